#pragma once
// A fixture for tools/check_layers.py: geometry must not include models (the check must fail on this file).
#include "models/mlp.h"

#pragma once
// Shape/dtype/device checks for op inputs; messages print the actual sizes so a user can see what went wrong.
#include <ATen/core/Tensor.h>

#include "common/error.h"

#define NMFLOW_CHECK_SHAPE(t, expected_dim, name)                                                   \
  NMFLOW_CHECK((t).dim() == (expected_dim), name, " must have ", expected_dim, " dimensions, got ", \
               (t).sizes())

#define NMFLOW_CHECK_FLOATING(t, name) \
  NMFLOW_CHECK((t).is_floating_point(), name, " must be float32 or float64, got ", (t).scalar_type())

#define NMFLOW_CHECK_SAME_DEVICE(a, b, name_a, name_b)                                                  \
  NMFLOW_CHECK((a).device() == (b).device(), name_a, " is on ", (a).device(), " but ", name_b, " is on ", \
               (b).device())

#pragma once
// Pointwise activations of the metric networks and their derivatives up to order 4 — the inputs of the
// Faà di Bruno step of the forward-mode Taylor jets (docs/design.md §7).
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"

namespace nmflow {

// "tanh", "gelu" (erf form z Φ(z)), "softplus", "erf", "sin", "cos", "relu"; throws nmflow::Error naming the
// allowed values otherwise (Activation and its name table: common/config_enums.h).
Activation parse_activation(const std::string& name);
std::string activation_name(Activation activation);

// Highest derivative order the activation supports in a jet: 1 for relu (its second derivative is a delta),
// 4 for the smooth ones.
int64_t max_jet_order(Activation activation);

// z: any shape. Returns φ(z) — the one forward definition shared by Mlp::forward and the jets.
at::Tensor activation_value(Activation activation, const at::Tensor& z);

// z: any shape. Returns {φ(z), φ'(z), …, φ^(order)(z)}, each shaped like z and differentiable (autograd) in z.
// Throws nmflow::Error if order exceeds max_jet_order(activation) or is outside 0..4.
std::vector<at::Tensor> activation_derivatives(Activation activation, const at::Tensor& z, int64_t order);

}  // namespace nmflow

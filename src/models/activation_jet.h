#pragma once
// Fused second-order activation jet: the elementwise step of a forward Taylor jet, h = σ(z) carried to second
// order in one pass per point (src/models/activation_jet_math.h), with an explicit fused backward. Replaces the
// chain of ATen ops (index_select, products, index_add, cat) that otherwise dominates a narrow network's jet and its
// parameter gradient (docs/BENCHMARKS.md "Jets").
//
// A jet is [B, R, W]: row 0 the value, rows 1..R−1 derivatives; the layout lists which products of first-order
// rows feed which second-order rows.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/activation.h"
#include "models/activation_jet_math.h"

namespace nmflow {

struct ActivationJetLayout {
  int64_t rows = 0;                            // R
  std::vector<JetProductTerm<double>> terms;  // second-order products (row indices within a point)
};

// Real 2-jet in n inputs: rows {value, ∂_a (a < n), ∂_a∂_b (a ≤ b, multi_index_table(n, 2) order)}, R = 1 + n +
// n(n+1)/2; terms ∂_a∂_b h += σ'' ∂_a z ∂_b z.
const ActivationJetLayout& real_jet2_layout(int64_t n);

// Kähler jet in m complex coordinates (KahlerPhiModel's Wirtinger jet): rows {value, Re ∂_a, Im ∂_a,
// Re ∂_a∂_b̄ (a ≤ b), Im ∂_a∂_b̄ (a < b)}, R = 1 + 2m + m²; ∂_a∂_b̄ h += σ'' ∂_a z conj(∂_b z).
const ActivationJetLayout& kahler_jet_layout(int64_t m);

// t: [B, R, W] pre-activation jet without the bias (contiguous, float32/float64, CPU or CUDA); bias: [W] added to
// the value row, or undefined. Returns the jet of σ(t + bias), [B, R, W]. Differentiable in t and bias: the first
// backward runs the fused kernel; a backward that builds a graph (create_graph, e.g. curvature of a jet) goes
// through activation_jet_reference, so every order of autograd stays exact.
at::Tensor activation_jet(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                          const ActivationJetLayout& layout);

// The same map in plain ATen ops (any autograd order; the oracle of the tests).
at::Tensor activation_jet_reference(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                                    const ActivationJetLayout& layout);

}  // namespace nmflow

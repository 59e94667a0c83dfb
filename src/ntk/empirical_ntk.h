#pragma once
// Empirical metric-NTK of a NeuralMetric (docs/design.md §5), three methods that give the same matrix.
//
// Layout. Θ is a [B·p, B'·p] matrix, p = n(n+1)/2 packed metric components (models/symmetric_packing.h: upper
// triangle row by row, (0,0), (0,1), …, (n−1,n−1)). Row b·p + P holds component P = (i ≤ j) of g(x_b), column
// b'·p + Q component Q = (k ≤ l) of g(x'_b'). So Θ.view({B, p, B', p})[b][P][b'][Q] = Θ_PQ(x_b, x'_b').
// Sum convention. Θ_PQ(x, x') = Σ_θ ∂g_P(x)/∂θ ∂g_Q(x')/∂θ: a plain sum over every scalar entry θ of
// model.parameters() (no averaging over outputs, points or parameters; neural-tangents' trace_axes averages).
// The component g_P is the matrix entry g_ij itself, so for the symmetric head (off-diagonal outputs placed with
// weight 1/√2) Θ_PQ = w_P w_Q Θ^f_PQ, w = 1 on the diagonal and 1/√2 off it, Θ^f the NTK of the trunk outputs.
//
// Methods (cost for N = B + B' points, O = p outputs, P parameters, F = one forward pass):
//   JacobianContraction  J(x) J(x')ᵀ with J by reverse mode, one backward per row: N·O·F + N²O²P, memory N·O·P.
//                        The reference.
//   NtkVectorProducts    one column at a time via Θ·v = J(x) (J(x')ᵀ v) (vjp, then the vjp of the vjp):
//                        memory of one backward pass; use ntk_vector_product directly for iterative solvers
//                        or when only Θ·v is needed on large point sets.
//   Structured           per-layer factorisation of an Mlp trunk (structured_ntk.h): never forms J; one GEMM pair
//                        per layer, each layer's [B·p, B'·p] product materialised.
//   Fused                the same factorisation contracted tile by tile with every layer accumulated in registers
//                        (fused_ntk.h; CPU and CUDA): the fastest for full matrices, the default choice
//                        (kDefaultNtkMethod). Θ(x, x) with x2 the same tensor computes only half the tiles.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/neural_metric.h"

namespace nmflow {

enum class NtkMethod { JacobianContraction, NtkVectorProducts, Structured, Fused };

// The method to use when the caller has no reason to choose (docs/BENCHMARKS.md, "Empirical metric-NTK").
constexpr NtkMethod kDefaultNtkMethod = NtkMethod::Fused;

// "jacobian" | "ntk_vector_products" | "structured" | "fused"; throws nmflow::Error naming the allowed values.
NtkMethod parse_ntk_method(const std::string& name);
std::string ntk_method_name(NtkMethod method);
// Every method, in enum order (the Jacobian contraction, the reference, first).
std::vector<NtkMethod> all_ntk_methods();

// x: [B, n] → [B, p], the packed components g_P(x_b) (differentiable in the parameters).
at::Tensor packed_metric(const NeuralMetric& model, const at::Tensor& x);

// x: [B, n] → J: [B·p, P_total], J[b·p + P, θ] = ∂g_P(x_b)/∂θ, parameters in model.parameters() order, each
// flattened row-major. Detached.
at::Tensor metric_parameter_jacobian(const NeuralMetric& model, const at::Tensor& x);

// x: [B, n], x2: [B', n], v: [B'·p] → Θ(x, x2) v: [B·p] (layout above). Detached.
at::Tensor ntk_vector_product(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2,
                              const at::Tensor& v);

// x: [B, n], x2: [B', n] → Θ(x, x2): [B·p, B'·p] by the chosen method. Detached, dtype of the model.
at::Tensor empirical_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2,
                                NtkMethod method);

}  // namespace nmflow

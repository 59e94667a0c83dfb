#include "ntk/structured_ntk.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "common/error.h"
#include "models/activation.h"
#include "models/symmetric_packing.h"
#include "models/tile_gemm_cpu.h"

namespace nmflow {

namespace {

// g: [B, n, n] → [B, p] packed upper triangle (row by row).
at::Tensor pack_upper(const at::Tensor& g) {
  const int64_t n = g.size(1);
  const at::Tensor upper = at::triu_indices(n, n, 0, at::TensorOptions().dtype(at::kLong).device(g.device()));
  return g.reshape({g.size(0), n * n}).index_select(1, upper[0] * n + upper[1]);
}

// f: [B, O] trunk outputs → A: [B, p, O], A[b,P,o] = ∂g_P/∂f_o at x_b. g_b depends on f_b only, so one backward
// of Σ_b g_bP per component P gives row P at every point.
at::Tensor head_jacobian(const MetricHead& head, const at::Tensor& f) {
  const c10::AutoGradMode grad_mode(true);
  const at::Tensor leaf = f.detach().requires_grad_(true);
  const at::Tensor g = pack_upper(metric_from_outputs(head, leaf));
  std::vector<at::Tensor> rows;
  for (int64_t p = 0; p < g.size(1); ++p) {
    std::vector<at::Tensor> grad = torch::autograd::grad({g.select(1, p).sum()}, {leaf}, {}, /*retain_graph=*/true,
                                                         /*create_graph=*/false, /*allow_unused=*/true);
    rows.push_back(grad[0].defined() ? grad[0] : at::zeros_like(leaf));
  }
  return at::stack(rows, 1).detach();
}

// a·b for a [M, K] and b [K, N]. On the CPU in float64 through nmflow's tile GEMM, whose rows do not depend on
// the thread count or on M: the factors — and so the fused metric-NTK — are then the same bits at any thread
// count and on any CPU vendor (ATen's mm, MKL, splits its work by thread count on Intel CPUs and rounds
// differently).
at::Tensor product(const at::Tensor& a, const at::Tensor& b) {
  if (!a.device().is_cpu() || !tile_gemm_cpu_has_kernel(a.scalar_type())) return at::mm(a, b);
  at::Tensor c = at::empty({a.size(0), b.size(1)}, a.options());
  tile_gemm_cpu(c, a, b.contiguous(), false);
  return c;
}

}  // namespace

StructuredLayerFactors structured_layer_factors(const NeuralMetric& model, const at::Tensor& x) {
  const Mlp& mlp = model.trunk();
  const std::vector<Mlp::Layer>& layers = mlp.layers();
  const size_t count = layers.size();
  StructuredLayerFactors factors;
  std::vector<at::Tensor> preactivations;
  at::Tensor h = x.detach();
  {
    const at::NoGradGuard no_grad;
    for (size_t l = 0; l < count; ++l) {
      factors.inputs.push_back(h.contiguous());
      const at::Tensor z = product(h, layers[l].weight.detach().t()) * layers[l].weight_scale +
                           layers[l].bias.detach() * layers[l].bias_scale;
      preactivations.push_back(z);
      h = l + 1 < count ? activation_value(mlp.config().activation, z) : z;
    }
  }
  factors.deltas.resize(count);
  at::Tensor delta = head_jacobian(model.head(), h);  // δ_L = ∂g/∂f: [B, p, O]
  const at::NoGradGuard no_grad;
  for (size_t l = count; l-- > 0;) {
    factors.deltas[l] = delta.contiguous();
    if (l > 0) {
      // δ_{l−1} = (s_w δ_l W_l) ⊙ φ'(z_{l−1}): backprop through layer l and the activation before it.
      const at::Tensor slope = activation_derivatives(mlp.config().activation, preactivations[l - 1], 1)[1];
      const int64_t rows = delta.size(0) * delta.size(1);
      delta = product(delta.reshape({rows, delta.size(2)}), layers[l].weight.detach())
                  .view({delta.size(0), delta.size(1), layers[l].weight.size(1)}) *
              layers[l].weight_scale * slope.unsqueeze(1);
    }
  }
  return factors;
}

at::Tensor structured_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2) {
  const int64_t n = model.head().dim;
  const at::ScalarType dtype = model.trunk().config().dtype;
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n && x.scalar_type() == dtype, "structured_metric_ntk: x must be [B, ",
               n, "] of dtype ", dtype, ", got ", x.sizes(), " of ", x.scalar_type());
  NMFLOW_CHECK(x2.dim() == 2 && x2.size(1) == n && x2.scalar_type() == dtype,
               "structured_metric_ntk: x2 must be [B', ", n, "] of dtype ", dtype, ", got ", x2.sizes(), " of ",
               x2.scalar_type());
  const StructuredLayerFactors a = structured_layer_factors(model, x);
  const StructuredLayerFactors b = structured_layer_factors(model, x2);
  const int64_t p = packed_size(n);
  const int64_t rows = x.size(0);
  const int64_t columns = x2.size(0);
  const at::NoGradGuard no_grad;
  at::Tensor theta = at::zeros({rows, p, columns, p}, x.options());
  const std::vector<Mlp::Layer>& layers = model.trunk().layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    const double sw2 = layers[l].weight_scale * layers[l].weight_scale;
    const double sb2 = layers[l].bias_scale * layers[l].bias_scale;
    // [B, B']: s_w² h·h' + s_b² (the N×N GEMM).
    const at::Tensor input_kernel = at::matmul(a.inputs[l], b.inputs[l].t()) * sw2 + sb2;
    // [B·p, B'·p]: δ^P(x)·δ^Q(x') (the (N·O)×(N·O) GEMM).
    const int64_t width = a.deltas[l].size(2);
    const at::Tensor delta_kernel =
        at::matmul(a.deltas[l].reshape({rows * p, width}), b.deltas[l].reshape({columns * p, width}).t());
    theta.add_(delta_kernel.view({rows, p, columns, p}) * input_kernel.view({rows, 1, columns, 1}));
  }
  return theta.view({rows * p, columns * p});
}

}  // namespace nmflow

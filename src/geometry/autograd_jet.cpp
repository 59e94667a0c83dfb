#include "geometry/autograd_jet.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"

namespace nmflow {

namespace {

// ∂/∂x of sum_b y[b]: because the function is pointwise, row b of the result is ∂y[b]/∂x[b].
at::Tensor batch_gradient(const at::Tensor& y, const at::Tensor& x, bool create_graph) {
  if (!y.requires_grad()) {
    return at::zeros_like(x);
  }
  auto grads = torch::autograd::grad({y.sum()}, {x}, /*grad_outputs=*/{}, /*retain_graph=*/true, create_graph,
                                     /*allow_unused=*/true);
  return grads[0].defined() ? grads[0] : at::zeros_like(x);
}

}  // namespace

MetricJet jet_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& metric_fn, const at::Tensor& x,
                          bool create_graph) {
  NMFLOW_CHECK(x.dim() == 2, "jet_by_autograd: x must be [B, n], got ", x.sizes());
  const int64_t b = x.size(0);
  const int64_t n = x.size(1);
  at::Tensor xv = x.detach().requires_grad_(true);
  at::Tensor g = metric_fn(xv);
  NMFLOW_CHECK(g.sizes() == at::IntArrayRef({b, n, n}), "jet_by_autograd: metric_fn must return [B, n, n] = [", b,
               ", ", n, ", ", n, "], got ", g.sizes());
  // first[i][j]: [B, c] = ∂_c g_ij; second[i][j]: [B, c, d] = ∂_c ∂_d g_ij; only i ≤ j is differentiated.
  std::vector<std::vector<at::Tensor>> first(n, std::vector<at::Tensor>(n));
  std::vector<std::vector<at::Tensor>> second(n, std::vector<at::Tensor>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i; j < n; ++j) {
      at::Tensor d = batch_gradient(g.select(1, i).select(1, j), xv, /*create_graph=*/true);
      std::vector<at::Tensor> per_c;
      for (int64_t c = 0; c < n; ++c) {
        per_c.push_back(batch_gradient(d.select(1, c), xv, create_graph));
      }
      first[i][j] = first[j][i] = d;
      second[i][j] = second[j][i] = at::stack(per_c, /*dim=*/1);
    }
  }
  std::vector<at::Tensor> dg_rows;
  std::vector<at::Tensor> d2g_rows;
  for (int64_t i = 0; i < n; ++i) {
    dg_rows.push_back(at::stack(first[i], /*dim=*/2));    // [B, c, j]
    d2g_rows.push_back(at::stack(second[i], /*dim=*/3));  // [B, c, d, j]
  }
  MetricJet jet{g, at::stack(dg_rows, /*dim=*/2), at::stack(d2g_rows, /*dim=*/3)};
  if (!create_graph) {
    jet = MetricJet{jet.g.detach(), jet.dg.detach(), jet.d2g.detach()};
  }
  return jet;
}

}  // namespace nmflow

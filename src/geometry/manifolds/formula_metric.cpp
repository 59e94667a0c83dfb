#include "geometry/manifolds/formula_metric.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

namespace nmflow {

MetricJet jet_from_points(const at::Tensor& x, int64_t n, const PointJetFn& fn, const std::string& who) {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, who, ": x must be [B, ", n, "], got ", x.sizes());
  const at::Tensor xc = x.detach().to(at::kCPU, at::kDouble).contiguous();
  const int64_t batch = xc.size(0);
  const at::TensorOptions options = xc.options();
  at::Tensor g = at::empty({batch, n, n}, options);
  at::Tensor dg = at::empty({batch, n, n, n}, options);
  at::Tensor d2g = at::empty({batch, n, n, n, n}, options);
  const double* px = xc.data_ptr<double>();
  double* pg = g.data_ptr<double>();
  double* pdg = dg.data_ptr<double>();
  double* pd2g = d2g.data_ptr<double>();
  const int64_t n2 = n * n;
  at::parallel_for(0, batch, /*grain_size=*/64, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      fn(px + b * n, pg + b * n2, pdg + b * n2 * n, pd2g + b * n2 * n2);
    }
  });
  return MetricJet{g.to(x.device()), dg.to(x.device()), d2g.to(x.device())};
}

std::vector<at::Tensor> coordinate_columns(const at::Tensor& x, int64_t n, const std::string& who) {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, who, ": x must be [B, ", n, "], got ", x.sizes());
  std::vector<at::Tensor> columns;
  columns.reserve(n);
  for (int64_t a = 0; a < n; ++a) {
    columns.push_back(x.select(1, a));
  }
  return columns;
}

at::Tensor stack_metric_entries(const std::vector<at::Tensor>& entries, int64_t n) {
  TORCH_INTERNAL_ASSERT(static_cast<int64_t>(entries.size()) == n * n);
  const at::Tensor flat = at::stack(entries, /*dim=*/1);  // [B, n·n]
  return flat.view({flat.size(0), n, n});
}

}  // namespace nmflow

#include "flows/flow_comparison.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

namespace {

// One weighted sample sorted by value, its weights normalised to mass 1.
std::vector<std::pair<double, double>> sorted_mass(const at::Tensor& values, const at::Tensor& weights,
                                                   const char* name) {
  NMFLOW_CHECK(values.dim() == 1 && weights.sizes() == values.sizes() && values.numel() > 0,
               "empirical_wasserstein2: ", name, " and its weights must both be [M] with M > 0, got ", values.sizes(),
               " and ", weights.sizes());
  const at::Tensor v = values.detach().to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor w = weights.detach().to(at::kCPU, at::kDouble).contiguous();
  const double total = w.sum().item<double>();
  NMFLOW_CHECK(at::isfinite(v).all().item<bool>() && (w >= 0).all().item<bool>() && total > 0.0,
               "empirical_wasserstein2: ", name, " needs finite values and weights ≥ 0 of positive sum");
  std::vector<std::pair<double, double>> mass(static_cast<size_t>(v.numel()));
  for (int64_t i = 0; i < v.numel(); ++i) mass[i] = {v.data_ptr<double>()[i], w.data_ptr<double>()[i] / total};
  std::sort(mass.begin(), mass.end());
  return mass;
}

}  // namespace

at::Tensor relative_metric_deviations(const at::Tensor& g, const at::Tensor& g_ref) {
  NMFLOW_CHECK(g.dim() == 3 && g.sizes() == g_ref.sizes() && g.size(1) == g.size(2),
               "relative_metric_deviation: g and g_ref must both be [P, n, n], got ", g.sizes(), " and ",
               g_ref.sizes());
  const at::Tensor ref = g_ref.to(at::kDouble);
  // g_ref⁻¹ Δ, then tr((g_ref⁻¹ Δ)²) / n.
  const at::Tensor a = at::linalg_solve(ref, g.to(at::kDouble) - ref);
  const at::Tensor squared = at::einsum("pij,pji->p", {a, a}) / static_cast<double>(g.size(1));
  NMFLOW_CHECK(at::isfinite(squared).all().item<bool>(), "relative_metric_deviation: non-finite deviation");
  return at::sqrt(at::clamp_min(squared, 0.0));
}

double relative_metric_deviation(const at::Tensor& g, const at::Tensor& g_ref) {
  return relative_metric_deviations(g, g_ref).max().item<double>();
}

double empirical_wasserstein2(const at::Tensor& a, const at::Tensor& w_a, const at::Tensor& b, const at::Tensor& w_b) {
  const std::vector<std::pair<double, double>> pa = sorted_mass(a, w_a, "a");
  const std::vector<std::pair<double, double>> pb = sorted_mass(b, w_b, "b");
  // Walk both quantile functions over u ∈ [0, 1]: on each piece both are constant.
  double squared = 0.0, left_a = pa[0].second, left_b = pb[0].second;
  size_t i = 0, j = 0;
  while (i < pa.size() && j < pb.size()) {
    const double piece = std::min(left_a, left_b);
    const double gap = pa[i].first - pb[j].first;
    squared += piece * gap * gap;
    left_a -= piece;
    left_b -= piece;
    if (left_a <= left_b) {
      if (++i < pa.size()) left_a += pa[i].second;
    } else if (++j < pb.size()) {
      left_b += pb[j].second;
    }
  }
  return std::sqrt(squared);
}

TrajectoryComparison compare_trajectories(Flow& flow, Flow& reference, const at::Tensor& probes,
                                          const std::vector<double>& times) {
  TrajectoryComparison result;
  for (const double t : times) {
    NMFLOW_CHECK(t > flow.time() && t > reference.time(), "compare_trajectories: time ", t,
                 " is not after the flows' current times ", flow.time(), " and ", reference.time());
    flow.step(t - flow.time());
    reference.step(t - reference.time());
    const double d = relative_metric_deviation(flow.observe(probes).g, reference.observe(probes).g);
    result.times.push_back(t);
    result.deviations.push_back(d);
    result.max_deviation = std::max(result.max_deviation, d);
  }
  return result;
}

}  // namespace nmflow

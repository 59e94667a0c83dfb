#include "flows/flow_comparison.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

double relative_metric_deviation(const at::Tensor& g, const at::Tensor& g_ref) {
  NMFLOW_CHECK(g.dim() == 3 && g.sizes() == g_ref.sizes() && g.size(1) == g.size(2),
               "relative_metric_deviation: g and g_ref must both be [P, n, n], got ", g.sizes(), " and ",
               g_ref.sizes());
  const at::Tensor ref = g_ref.to(at::kDouble);
  // g_ref⁻¹ Δ, then tr((g_ref⁻¹ Δ)²) / n.
  const at::Tensor a = at::linalg_solve(ref, g.to(at::kDouble) - ref);
  const at::Tensor squared = at::einsum("pij,pji->p", {a, a}) / static_cast<double>(g.size(1));
  NMFLOW_CHECK(at::isfinite(squared).all().item<bool>(), "relative_metric_deviation: non-finite deviation");
  return std::sqrt(std::max(0.0, squared.max().item<double>()));
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

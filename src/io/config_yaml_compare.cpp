// Section `compare` of kind real_metric_flow (docs/config.md "compare", docs/flow_comparison.md): which reference
// Ricci flow starts from the network's g₀, and the rules that make the comparison meaningful, each failing at
// compare.ricci_flow with what to change.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <optional>
#include <string>

#include "io/config_reader.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

namespace {

const char* const kComparableManifolds = "round_sphere, berger, su2, sphere_torus, conformal_torus";

double param(const std::map<std::string, double>& params, const char* key, double fallback) {
  const auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

// The ricci_flow family and parameters whose g₀ is `manifold`'s metric in the same chart (the defaults are those of
// make_reference_metric): the space-form ODE in the stereographic chart, the SU(2) ODEs in the Euler-angle chart,
// S^m × T^k with ℓ_i = (length/2π)² (the flat factor Σ ℓ_i dθ_i² on [0, 2π)^k), the conformal torus e^{2u} δ on
// [0, 2π)² with the same Fourier modes of u on the conformal_t2 grid. Empty for the other manifolds.
std::optional<RicciFlowConfig> ricci_flow_reference_for(const ManifoldConfig& manifold) {
  const std::map<std::string, double>& p = manifold.params;
  RicciFlowConfig r;
  if (manifold.name == "round_sphere") {
    r.family = RicciFlowFamily::RoundSphere;
    r.dim = static_cast<int64_t>(param(p, "dim", 2.0));
    r.radius = param(p, "radius", 1.0);
  } else if (manifold.name == "berger") {
    r.family = RicciFlowFamily::Berger;
    r.a = param(p, "A", 1.0);
    r.b = param(p, "B", 1.0);
  } else if (manifold.name == "su2") {
    r.family = RicciFlowFamily::Su2;
    r.a = param(p, "A", 1.0);
    r.b = param(p, "B", 1.0);
    r.c = param(p, "C", 1.0);
  } else if (manifold.name == "sphere_torus") {
    r.family = RicciFlowFamily::SphereTorus;
    r.radius = param(p, "radius", 1.0);
    r.sphere_dim = static_cast<int64_t>(param(p, "sphere_dim", 2.0));
    r.torus_dim = static_cast<int64_t>(param(p, "torus_dim", 1.0));
    const double scale = param(p, "length", 2.0 * M_PI) / (2.0 * M_PI);
    r.lengths.assign(static_cast<size_t>(r.torus_dim), scale * scale);
  } else if (manifold.name == "conformal_torus") {
    r.family = RicciFlowFamily::ConformalT2;
    r.u0.clear();
    for (const auto& [key, amplitude] : p) {  // cos_<kx>_<ky>, sin_<kx>_<ky>, checked by the metric's factory
      RicciFlowFourierMode mode;
      int kx = 0, ky = 0;
      std::sscanf(key.c_str() + 4, "%d_%d", &kx, &ky);
      mode.kx = kx;
      mode.ky = ky;
      (key[0] == 'c' ? mode.cos : mode.sin) = amplitude;
      r.u0.push_back(mode);
    }
  } else {
    return std::nullopt;
  }
  return r;
}

}  // namespace

void read_compare(ConfigReader r, const ExperimentConfig& experiment, RealMetricFlowConfig& s) {
  CompareConfig& c = s.compare;
  c.ricci_flow = r.boolean("ricci_flow", c.ricci_flow);
  if (!c.ricci_flow) {
    if (r.has("every")) r.fail("every", "applies only with ricci_flow: true");
    return;
  }
  c.every = r.integer("every", experiment.recording.every, 1, kMaxConfigCount);
  const std::optional<RicciFlowConfig> reference = ricci_flow_reference_for(s.manifold);
  if (!reference) {
    r.fail("ricci_flow", "nmflow has no reference Ricci flow starting from manifold '" + s.manifold.name +
                             "'; supported: " + kComparableManifolds);
  }
  if (s.optimizer.name != OptimizerKind::GradientDescent) {
    r.fail("ricci_flow", "optimizer '" + enum_name(kOptimizerKindNames, s.optimizer.name) +
                             "' has no flow time (only gradient descent is the flow dθ/dt = −∇L with t = Σ η); "
                             "allowed with compare: optimizer.name sgd");
  }
  if (s.model.background != MetricBackground::Reference || s.model.init_scale != 0.0) {
    r.fail("ricci_flow", "the reference starts from the manifold's metric, so the network's g₀ must be it: "
                         "model.background reference and model.init_scale 0 (a zero last layer: u = 0 or "
                         "P(f) = 0); got background '" + enum_name(kMetricBackgroundNames, s.model.background) +
                         "', init_scale " + fmt::format("{}", s.model.init_scale));
  }
  if (experiment.dtype != Precision::Float64) {
    r.fail("ricci_flow", "the network's g₀ is checked against the reference's to 1e-12, which needs dtype float64");
  }
  if (reference->family == RicciFlowFamily::ConformalT2) {
    for (const RicciFlowFourierMode& m : reference->u0) {
      if (2 * std::max(std::abs(m.kx), std::abs(m.ky)) >= reference->grid) {
        r.fail("ricci_flow", fmt::format("the reference integrates the conformal torus on a {0}×{0} grid, which "
                                         "resolves wave numbers |k| < {1}; manifold.params has a mode ({2}, {3})",
                                         reference->grid, reference->grid / 2, m.kx, m.ky));
      }
    }
  }
  c.reference = *reference;
}

}  // namespace nmflow

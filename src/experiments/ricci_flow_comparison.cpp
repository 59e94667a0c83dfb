#include "experiments/ricci_flow_comparison.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cmath>
#include <limits>

#include "common/enum_names.h"
#include "common/error.h"
#include "flows/flow_comparison.h"

namespace nmflow {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kStartTolerance = 1e-12;

double named(const NamedValues& values, const char* name) {
  for (const auto& [key, value] : values) {
    if (key == name) return value;
  }
  return kNaN;
}

// ∫ f dV ≈ mean(density · f).
double integral(const at::Tensor& density, const at::Tensor& f) { return (density * f).mean().item<double>(); }

std::string reference_text(const RicciFlowConfig& c) {
  const std::string family = enum_name(kRicciFlowFamilyNames, c.family);
  switch (c.family) {
    case RicciFlowFamily::RoundSphere: return fmt::format("{} dim={} radius={}", family, c.dim, c.radius);
    case RicciFlowFamily::Berger: return fmt::format("{} A={} B={}", family, c.a, c.b);
    case RicciFlowFamily::Su2: return fmt::format("{} A={} B={} C={}", family, c.a, c.b, c.c);
    case RicciFlowFamily::SphereTorus:
      return fmt::format("{} radius={} sphere_dim={} torus_dim={} l={}", family, c.radius, c.sphere_dim, c.torus_dim,
                         c.lengths.empty() ? 1.0 : c.lengths.front());
    case RicciFlowFamily::ConformalT2: {
      std::string u0;
      for (const RicciFlowFourierMode& m : c.u0) {
        u0 += fmt::format(" cos_{0}_{1}={2} sin_{0}_{1}={3}", m.kx, m.ky, m.cos, m.sin);
      }
      return fmt::format("{} grid={}{}", family, c.grid, u0);
    }
    default: return family;
  }
}

}  // namespace

RicciFlowComparison::RicciFlowComparison(const RicciFlowConfig& reference)
    : config_(reference), reference_(config_), extinction_time_(reference_.extinction_time()) {}

void RicciFlowComparison::check_start(const at::Tensor& probe_x, const at::Tensor& probe_g) {
  const at::Tensor x = probe_x.detach().to(at::kCPU, at::kDouble);
  const at::Tensor g_ref = reference_.observe(x).g;
  const at::Tensor g = probe_g.detach().to(at::kCPU, at::kDouble);
  const double scale = std::max(1.0, g_ref.abs().max().item<double>());
  const double gap = (g - g_ref).abs().max().item<double>() / scale;
  NMFLOW_CHECK(gap <= kStartTolerance, "compare: the network's initial metric differs from the start of the ",
               "reference Ricci flow (", reference_text(config_), ") by ", gap, " at the probe points (tolerance ",
               kStartTolerance, "); the comparison needs the network to start at the manifold's metric");
  start_g_ = g_ref;
}

void RicciFlowComparison::advance_to(double t) {
  NMFLOW_CHECK(t >= reference_.time(), "compare: flow time ", t, " is before the reference's time ",
               reference_.time());
  if (t > reference_.time()) reference_.step(t - reference_.time());
}

CompareRecord RicciFlowComparison::compare(int64_t steps_done, double t, const at::Tensor& probe_x,
                                           const NetworkFlowFields& net) {
  const at::Tensor weights = net.weights.detach().to(at::kCPU, at::kDouble);
  const at::Tensor density = weights * net.volume_density.detach().to(at::kCPU, at::kDouble);
  const at::Tensor scalar = net.scalar.detach().to(at::kCPU, at::kDouble);
  const bool alive = std::isnan(extinction_time_) || t < extinction_time_;
  CompareRecord record;
  record.steps_done = steps_done;
  NMFLOW_CHECK(start_g_.defined(), "RicciFlowComparison: check_start must come before compare");
  NMFLOW_CHECK(at::isfinite(net.probe_g).all().item<bool>() && at::isfinite(density).all().item<bool>() &&
                   at::isfinite(scalar).all().item<bool>(),
               "compare: after step ", steps_done, " the network's metric or curvature is not finite at the probe or "
               "integration points; the run diverged — lower optimizer.lr");
  double deviation_max = kNaN, deviation_mean = kNaN, drift_max = kNaN, w2 = kNaN;
  NamedValues invariants;
  const at::Tensor x = probe_x.detach().to(at::kCPU, at::kDouble);
  if (alive) {
    advance_to(t);
    const TrajectoryRecord ref = reference_.observe(x);
    const at::Tensor deviations = relative_metric_deviations(net.probe_g.detach().to(at::kCPU, at::kDouble), ref.g);
    deviation_max = deviations.max().item<double>();
    deviation_mean = deviations.mean().item<double>();
    drift_max = relative_metric_deviation(start_g_, ref.g);
    // The reference's R on the same points, weighted by the same Monte-Carlo weights times its own volume density:
    // each flow's distribution of R under its own dV.
    const TrajectoryRecord ref_points = reference_.observe(net.x.detach().to(at::kCPU, at::kDouble));
    w2 = empirical_wasserstein2(scalar, density, ref_points.scalar, weights * at::sqrt(at::linalg_det(ref_points.g)));
    invariants = reference_.terms();
    record.reference_g = ref.g;
    record.reference_scalar = ref.scalar;
  } else {
    const int64_t n = reference_.dim();
    record.reference_g = at::full({x.size(0), n, n}, kNaN, x.options());
    record.reference_scalar = at::full({x.size(0)}, kNaN, x.options());
  }
  record.values = {{"time", t},
                   {"reference_time", alive ? reference_.time() : kNaN},
                   {"reference_alive", alive ? 1.0 : 0.0},
                   {"deviation_max", deviation_max},
                   {"deviation_mean", deviation_mean},
                   {"reference_drift_max", drift_max},
                   {"volume", density.mean().item<double>()},
                   {"volume_reference", named(invariants, "volume")},
                   {"total_scalar", integral(density, scalar)},
                   {"total_scalar_reference", named(invariants, "total_scalar")},
                   {"total_scalar_squared", integral(density, scalar * scalar)},
                   {"total_scalar_squared_reference", named(invariants, "total_scalar_squared")},
                   {"scalar_w2", w2}};
  return record;
}

void RicciFlowComparison::write_attributes(Hdf5File& file) const {
  file.write_string_attribute("compare", "reference", reference_text(config_));
  file.write_string_attribute("compare", "gauge", reference_.gauge());
  file.write_double_attribute("compare", "extinction_time", extinction_time_);
  file.write_string_attribute("compare", "time", "network t = sum of sgd learning rates; reference t of -2 Ric");
}

}  // namespace nmflow

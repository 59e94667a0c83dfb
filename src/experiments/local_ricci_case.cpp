#include "experiments/local_ricci_case.h"

#include <cmath>

#include "common/enum_names.h"
#include "common/error.h"

namespace nmflow {

namespace {


}  // namespace

LocalRicciManifold parse_local_ricci_manifold(const std::string& name) {
  return parse_enum(kLocalRicciManifoldNames, name, "local Ricci manifold");
}

std::string local_ricci_manifold_name(LocalRicciManifold manifold) {
  return enum_name(kLocalRicciManifoldNames, manifold);
}

void check_local_ricci_options(const LocalRicciOptions& o) {
  if (o.manifold == LocalRicciManifold::S3) {
    NMFLOW_CHECK(o.a0 > 0.0 && o.b0 > 0.0, "local Ricci check: A0 and B0 must be > 0, got ", o.a0, ", ", o.b0);
    NMFLOW_CHECK(o.head == MetricHeadKind::FrameExponential || o.head == MetricHeadKind::Symmetric,
                 "local Ricci check: on S3 the head must be frame_exp or symmetric, got ", metric_head_name(o.head));
    NMFLOW_CHECK(o.features >= 1, "local Ricci check: features must be >= 1, got ", o.features);
    NMFLOW_CHECK(o.points >= 8, "local Ricci check: points must be >= 8, got ", o.points);
  } else {
    NMFLOW_CHECK(o.head == MetricHeadKind::FrameExponential || o.head == MetricHeadKind::Conformal,
                 "local Ricci check: on conformal_t2 the head must be frame_exp or conformal, got ",
                 metric_head_name(o.head));
    const auto centres = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(o.features))));
    NMFLOW_CHECK(o.features >= 4 && centres * centres == o.features,
                 "local Ricci check: on conformal_t2 features must be a square n_c² >= 4, got ", o.features);
    NMFLOW_CHECK(o.bandwidth >= 0.5, "local Ricci check: on conformal_t2 the bandwidth 1/ε must be >= 0.5, got ",
                 o.bandwidth);
    NMFLOW_CHECK(o.grid >= 8 && o.probe_grid >= 4 && o.reference_grid >= 8,
                 "local Ricci check: need grid >= 8, probe_grid >= 4, reference_grid >= 8, got ", o.grid, ", ",
                 o.probe_grid, ", ", o.reference_grid);
    NMFLOW_CHECK(!o.u0.empty(), "local Ricci check: u0 needs at least one Fourier mode");
  }
  NMFLOW_CHECK(o.bandwidth > 0.0, "local Ricci check: bandwidth must be > 0, got ", o.bandwidth);
  NMFLOW_CHECK(o.probes >= 1, "local Ricci check: probes must be >= 1, got ", o.probes);
  NMFLOW_CHECK(o.learning_rate > 0.0 && o.final_time > 0.0, "local Ricci check: η and the final time must be > 0");
  NMFLOW_CHECK(o.observations >= 1, "local Ricci check: observations must be >= 1, got ", o.observations);
  const double steps = o.final_time / (o.learning_rate * static_cast<double>(o.observations));
  NMFLOW_CHECK(std::abs(steps - std::round(steps)) <= 1e-9 * steps && std::round(steps) >= 1.0,
               "local Ricci check: final_time / (η · observations) must be a whole number >= 1, got ", steps);
}

}  // namespace nmflow

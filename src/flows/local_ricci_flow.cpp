#include "flows/local_ricci_flow.h"

#include <cmath>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "common/error.h"
#include "training/losses.h"

namespace nmflow {

LocalGradientFlow::LocalGradientFlow(at::Tensor coefficients, Trainer::LossFn loss, double learning_rate,
                                     JetAtFn jet_at)
    : learning_rate_(learning_rate),
      jet_at_(std::move(jet_at)),
      trainer_({std::move(coefficients)}, std::move(loss), gradient_descent_options(learning_rate)) {
  NMFLOW_CHECK(learning_rate > 0.0, "LocalGradientFlow: η must be > 0, got ", learning_rate);
  NMFLOW_CHECK(static_cast<bool>(jet_at_), "LocalGradientFlow: jet_at must be set");
}

void LocalGradientFlow::step(double dt) {
  const auto steps = static_cast<int64_t>(std::llround(dt / learning_rate_));
  NMFLOW_CHECK(steps >= 1 && std::abs(static_cast<double>(steps) * learning_rate_ - dt) <= 1e-9 * dt,
               "local Ricci check: dt = ", dt, " is not a whole number of steps of η = ", learning_rate_);
  trainer_.run(steps);
}

FlowObservation LocalGradientFlow::observe(const at::Tensor& probes) const {
  at::AutoGradMode grad_mode(false);
  const MetricJet jet = jet_at_(probes);
  return FlowObservation{jet.g.detach(), curvature_fields(jet, CurvatureBackend::Reference).scalar.detach()};
}

}  // namespace nmflow

#include "flows/neural_metric_flow.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "common/error.h"

namespace nmflow {

NeuralMetricFlow::NeuralMetricFlow(NeuralMetric model, Trainer::LossFn loss, double learning_rate,
                                   CurvatureBackend backend)
    : model_(std::move(model)),
      backend_(backend),
      trainer_(model_.parameters(), std::move(loss), gradient_descent_options(learning_rate)) {}

void NeuralMetricFlow::step(double dt) {
  const double eta = trainer_.learning_rate_at(0);
  const double ratio = dt / eta;
  const double steps = std::round(ratio);
  NMFLOW_CHECK(dt > 0.0 && steps >= 1.0 && std::abs(ratio - steps) <= 1e-9 * steps,
               "NeuralMetricFlow::step: dt = ", dt, " must be a positive whole multiple of the learning rate ", eta);
  trainer_.run(static_cast<int64_t>(steps));
}

FlowObservation NeuralMetricFlow::observe(const at::Tensor& probes) const {
  const at::NoGradGuard no_grad;
  const MetricJet jet = model_.jet(probes);
  return {jet.g, curvature_fields(jet, backend_).scalar};
}

}  // namespace nmflow

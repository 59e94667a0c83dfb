#pragma once
// The NN metric flow of the local-flow Ricci checks (docs/local_ricci.md): full-batch gradient descent at rate η on
// the coefficients of a linear-in-parameters model, as a Flow (t = η × steps, docs/design.md §4). Shared by the S³ and
// the conformal-T² cases of local_ricci_check.
#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>

#include "flows/flow.h"
#include "training/trainer.h"
#include "geometry/metric_jet.h"

namespace nmflow {

class LocalGradientFlow : public Flow {
 public:
  // probes: [P, n] → the model's metric 2-jet at the probes for the current coefficients.
  using JetAtFn = std::function<MetricJet(const at::Tensor& probes)>;

  // coefficients: the trained leaf tensor (requires grad); loss: the training loss of the current coefficients.
  LocalGradientFlow(at::Tensor coefficients, Trainer::LossFn loss, double learning_rate, JetAtFn jet_at);

  double time() const override { return trainer_.time(); }
  // dt must be a whole number of steps of η.
  void step(double dt) override;
  // probes: [P, n] → g [P, n, n] and R [P] (reference curvature engine), detached.
  FlowObservation observe(const at::Tensor& probes) const override;

 private:
  double learning_rate_;
  JetAtFn jet_at_;
  Trainer trainer_;
};

}  // namespace nmflow

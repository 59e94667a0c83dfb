#pragma once
// NeuralMetricFlow: the training loop as a Flow (flow.h; docs/design.md §4 "NeuralMetricFlow"). Full-batch gradient
// descent at a constant rate η on a loss of a NeuralMetric's parameters; step(dt) takes dt/η gradient steps, so
// time() = η × steps is the flow time of seed eq. 18, comparable with the reference Ricci-flow integrators.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "flows/flow.h"
#include "training/losses.h"
#include "training/trainer.h"
#include "models/neural_metric.h"

namespace nmflow {

class NeuralMetricFlow : public Flow {
 public:
  // model: its parameters are shared (NeuralMetric copies share tensors), so `loss` may capture the caller's
  // model. learning_rate: η > 0. backend: the curvature engine for observe().
  NeuralMetricFlow(NeuralMetric model, Trainer::LossFn loss, double learning_rate,
                   CurvatureBackend backend = CurvatureBackend::Reference);

  double time() const override { return trainer_.time(); }
  // dt must be a positive whole multiple of η (to 1e-9 relative); throws nmflow::Error otherwise.
  void step(double dt) override;
  // probes: [P, n] → g [P, n, n] and R [P] of the current network (detached).
  FlowObservation observe(const at::Tensor& probes) const override;

  // For callbacks, checkpoints and per-step records.
  Trainer& trainer() { return trainer_; }
  const NeuralMetric& model() const { return model_; }

 private:
  NeuralMetric model_;
  CurvatureBackend backend_;
  Trainer trainer_;
};

}  // namespace nmflow

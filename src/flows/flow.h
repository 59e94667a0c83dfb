#pragma once
// Flow: the one interface of every metric flow (docs/design.md §4 "Flows to provide"): a state at a time t, a step that
// advances it, and an observation of the metric at probe points in the flow's chart. The neural flows and the
// reference integrators implement it, so comparisons (trajectory distance at matched t, diffeomorphism-invariant
// quantities) are written once against it.
#include <ATen/core/Tensor.h>

namespace nmflow {

struct FlowObservation {
  at::Tensor g;       // [P, n, n] metric at the probes
  at::Tensor scalar;  // [P] scalar curvature R at the probes; undefined (default tensor) where a flow cannot give it
};

class Flow {
 public:
  virtual ~Flow() = default;
  // Flow time t (for a trained network t = learning rate × steps, docs/design.md §4).
  virtual double time() const = 0;
  // Advances the state from time() to time() + dt (dt > 0).
  virtual void step(double dt) = 0;
  // probes: [P, n] chart coordinates → the metric (and R where available) at the current time.
  virtual FlowObservation observe(const at::Tensor& probes) const = 0;
};

}  // namespace nmflow

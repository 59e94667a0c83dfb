#pragma once
// HomogeneousRicciFlow: the Flow (flow.h) of an invariant metric, stepping its HomogeneousRicciOde with adaptive
// Dormand–Prince (tolerance in AdaptiveOdeOptions, default rtol 1e-12) and observing g = Eᵀ diag(λ) E at probes.
#include <memory>
#include <vector>

#include "flows/flow.h"
#include "flows/reference/homogeneous_ricci_ode.h"
#include "flows/reference/ode_integrator.h"

namespace nmflow {

struct HomogeneousFlowState {
  double t = 0.0;
  std::vector<double> y;  // the ODE's coefficients (e.g. (A, B, C))
};

class HomogeneousRicciFlow : public Flow {
 public:
  HomogeneousRicciFlow(std::shared_ptr<const HomogeneousRicciOde> ode, std::vector<double> y0,
                       AdaptiveOdeOptions options = {});

  double time() const override { return state_.t; }
  void step(double dt) override;
  // probes: [P, n] → g [P, n, n] in probes' dtype/device, scalar [P] (constant).
  FlowObservation observe(const at::Tensor& probes) const override;

  const HomogeneousFlowState& state() const { return state_; }
  const HomogeneousRicciOde& ode() const { return *ode_; }

 private:
  std::shared_ptr<const HomogeneousRicciOde> ode_;
  HomogeneousFlowState state_;
  AdaptiveOdeOptions options_;
};

}  // namespace nmflow

#include "flows/reference/homogeneous_ricci_flow.h"

#include <ATen/ATen.h>

#include <utility>

#include "common/error.h"

namespace nmflow {

HomogeneousRicciFlow::HomogeneousRicciFlow(std::shared_ptr<const HomogeneousRicciOde> ode, std::vector<double> y0,
                                           AdaptiveOdeOptions options)
    : ode_(std::move(ode)), state_{0.0, std::move(y0)}, options_(options) {
  NMFLOW_CHECK(ode_ != nullptr, "HomogeneousRicciFlow: an ODE is required");
  ode_->check_coefficients(state_.y, "HomogeneousRicciFlow");
}

void HomogeneousRicciFlow::step(double dt) {
  NMFLOW_CHECK(dt > 0.0, "HomogeneousRicciFlow::step: dt must be > 0, got ", dt);
  const OdeRhs rhs = [this](double, const std::vector<double>& y) { return ode_->velocity(y); };
  OdeSolution sol = integrate_adaptive(rhs, state_.t, state_.y, state_.t + dt, options_);
  ode_->check_coefficients(sol.y, "HomogeneousRicciFlow::step (past extinction?)");
  state_.t = sol.t;
  state_.y = std::move(sol.y);
}

FlowObservation HomogeneousRicciFlow::observe(const at::Tensor& probes) const {
  const at::Tensor g = ode_->metric(probes, state_.y);
  return {g, at::full({probes.size(0)}, ode_->scalar_curvature(state_.y), g.options())};
}

}  // namespace nmflow

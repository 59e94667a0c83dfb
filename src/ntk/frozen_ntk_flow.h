#pragma once
// FrozenNTKFlow: the linearised (frozen-NTK) metric flow (docs/design.md §4 "FrozenNTKFlow", docs/local_ricci.md §1).
//
// Curvature needs the 2-jet of g in x, which a set of point values does not carry, so the flow is linearised in
// PARAMETER space: the linearised model
//     g_lin(x; θ) = g(x; θ₀) + J(x) (θ − θ₀),   J(x) = ∂(g, ∂g, ∂²g)(x)/∂θ at θ₀,
// applied to the whole jet (value and x-derivatives; ∂_x commutes with the linearisation), is trained by gradient
// flow dθ/dt = −∇_θ L(g_lin(θ)). By the chain rule its metric moves as
//     ∂_t g_P(x_b) = −Σ_{b',Q} Θ̄_{bP,b'Q} ∂L/∂g_Q(x_b'),   Θ̄ = J Jᵀ at θ₀ (ntk/empirical_ntk.h layout and sum),
// where ∂L/∂g_Q(x_b') is the plain partial derivative of the discrete loss (it already carries the loss's
// Monte-Carlo weights w_b'/B'; for an off-diagonal packed component Q = (k < l) it is ∂L/∂g_kl + ∂L/∂g_lk, since
// g_kl and g_lk are the one entry g_Q) — plus the same with the jet rows when L depends on ∂g, ∂²g. This is exactly
// what one full-batch gradient-descent step of rate η does to first order in η: g(θ₀ − η∇L) = g − η J Jᵀ ∂L/∂g + O(η²).
// The kernel is frozen at θ₀: the empirical NTK of the network at initialisation.
//
// Integration: classical RK4 on δθ = θ − θ₀ with a fixed step. J v (jvp) is the vjp of the vjp: with y the flat jet at
// θ₀ and u a dummy cotangent, Jᵀu is built once with create_graph and J v = ∂(Jᵀu · v)/∂u.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "flows/flow.h"
#include "training/losses.h"
#include "geometry/metric_jet.h"

namespace nmflow {

namespace detail {
struct JetLinearisation;  // the jet at θ₀ with the graph of Jᵀu (frozen_ntk_flow.cpp)
}  // namespace detail

class FrozenNTKFlow : public Flow {
 public:
  // x: [B, n] → the metric 2-jet at the CURRENT values of `parameters`, differentiable in them (twice: the jvp
  // differentiates a vjp), e.g. [&](const at::Tensor& x) { return model.jet(x); }.
  using JetFn = std::function<MetricJet(const at::Tensor& x)>;
  // The loss of a 2-jet on the training points (the jet's rows are the points of `points` in order).
  using JetLossFn = std::function<LossValue(const MetricJet& jet)>;

  // parameters: the network's leaf tensors, read at construction (θ₀) and never changed by this flow; the caller
  // must not change them while the flow is used (checked in observe/step). points: [B, n] training points.
  // rk4_step: the fixed integration step (> 0); step(dt) takes ceil(dt / rk4_step) equal substeps.
  FrozenNTKFlow(std::vector<at::Tensor> parameters, JetFn jet_fn, at::Tensor points, JetLossFn loss,
                double rk4_step);

  double time() const override { return time_; }
  void step(double dt) override;
  // probes: [P, n] → g_lin [P, n, n] and its scalar curvature R [P] (reference engine). Detached.
  FlowObservation observe(const at::Tensor& probes) const override;

  // The linearised model's 2-jet at probes [P, n] for the current δθ. Detached.
  MetricJet linearised_jet(const at::Tensor& probes) const;
  // probes: [P, n] → ∂_t g_lin at the probes for the current δθ: J(probes) (−∇_θ L): [P, n, n]. Detached.
  at::Tensor metric_velocity(const at::Tensor& probes) const;
  // δθ = θ − θ₀, one tensor per parameter.
  const std::vector<at::Tensor>& displacement() const { return delta_; }

 private:
  // −∇_θ L(g_lin(θ₀ + delta)) on the training points.
  std::vector<at::Tensor> parameter_velocity(const std::vector<at::Tensor>& delta) const;
  void check_parameters_unchanged() const;

  std::vector<at::Tensor> parameters_;
  std::vector<at::Tensor> theta0_;  // detached copies, to detect changes
  JetFn jet_fn_;
  at::Tensor points_;
  JetLossFn loss_;
  double rk4_step_;
  double time_ = 0.0;
  std::vector<at::Tensor> delta_;
  // The training points' linearisation, built once: θ₀ and the points do not change, so every right-hand side
  // reuses its graph.
  std::shared_ptr<const detail::JetLinearisation> training_;
};

}  // namespace nmflow

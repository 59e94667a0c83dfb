#include "ntk/frozen_ntk_flow.h"

#include <cmath>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"

namespace nmflow {
namespace detail {

// The flat 2-jet y(θ) = (g, ∂g, ∂²g) at θ₀ with the graph that turns a cotangent u into Jᵀu (kept with create_graph,
// so that J v = ∂(Σ_θ (Jᵀu)_θ v_θ)/∂u is one more backward pass).
struct JetLinearisation {
  MetricJet jet0;                // detached jet at θ₀
  at::Tensor flat;               // [M] y(θ₀), with its graph to the parameters
  at::Tensor cotangent;          // [M] the dummy u (requires grad)
  std::vector<at::Tensor> jt_u;  // Jᵀu per parameter (undefined where a parameter does not reach y)
};

}  // namespace detail
namespace {

using detail::JetLinearisation;

JetLinearisation linearise(const std::vector<at::Tensor>& parameters, const FrozenNTKFlow::JetFn& jet_fn,
                           const at::Tensor& x) {
  at::AutoGradMode grad_mode(true);
  const MetricJet jet = jet_fn(x);
  check_metric_jet(jet, "FrozenNTKFlow");
  JetLinearisation lin;
  lin.jet0 = MetricJet{jet.g.detach(), jet.dg.detach(), jet.d2g.detach()};
  lin.flat = at::cat({jet.g.reshape(-1), jet.dg.reshape(-1), jet.d2g.reshape(-1)});
  NMFLOW_CHECK(lin.flat.requires_grad(), "FrozenNTKFlow: the jet does not depend on the parameters");
  lin.cotangent = at::zeros_like(lin.flat).requires_grad_(true);
  lin.jt_u = torch::autograd::grad({lin.flat}, parameters, {lin.cotangent}, /*retain_graph=*/true,
                                   /*create_graph=*/true, /*allow_unused=*/true);
  return lin;
}

MetricJet unflatten_like(const at::Tensor& flat, const MetricJet& like) {
  const int64_t ng = like.g.numel();
  const int64_t ndg = like.dg.numel();
  return MetricJet{flat.narrow(0, 0, ng).view(like.g.sizes()), flat.narrow(0, ng, ndg).view(like.dg.sizes()),
                   flat.narrow(0, ng + ndg, like.d2g.numel()).view(like.d2g.sizes())};
}

// J v: [M].
at::Tensor jacobian_vector_product(const JetLinearisation& lin, const std::vector<at::Tensor>& v) {
  at::AutoGradMode grad_mode(true);
  at::Tensor contraction;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!lin.jt_u[i].defined() || !lin.jt_u[i].requires_grad()) {
      continue;  // this parameter does not reach the jet (or reaches it only through a u-independent term)
    }
    const at::Tensor term = (lin.jt_u[i] * v[i]).sum();
    contraction = contraction.defined() ? contraction + term : term;
  }
  if (!contraction.defined()) {
    return at::zeros_like(lin.flat).detach();
  }
  const std::vector<at::Tensor> jv = torch::autograd::grad({contraction}, {lin.cotangent}, {},
                                                           /*retain_graph=*/true, /*create_graph=*/false,
                                                           /*allow_unused=*/true);
  return jv[0].defined() ? jv[0].detach() : at::zeros_like(lin.flat).detach();
}

// Jᵀ c: one tensor per parameter.
std::vector<at::Tensor> vector_jacobian_product(const JetLinearisation& lin,
                                                const std::vector<at::Tensor>& parameters, const at::Tensor& c) {
  at::AutoGradMode grad_mode(true);
  std::vector<at::Tensor> grads = torch::autograd::grad({lin.flat}, parameters, {c}, /*retain_graph=*/true,
                                                        /*create_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    grads[i] = grads[i].defined() ? grads[i].detach() : at::zeros_like(parameters[i]).detach();
  }
  return grads;
}

std::vector<at::Tensor> axpy(const std::vector<at::Tensor>& x, double a, const std::vector<at::Tensor>& y) {
  std::vector<at::Tensor> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    out[i] = x[i] + a * y[i];
  }
  return out;
}

}  // namespace

FrozenNTKFlow::FrozenNTKFlow(std::vector<at::Tensor> parameters, JetFn jet_fn, at::Tensor points, JetLossFn loss,
                             double rk4_step)
    : parameters_(std::move(parameters)),
      jet_fn_(std::move(jet_fn)),
      points_(std::move(points)),
      loss_(std::move(loss)),
      rk4_step_(rk4_step) {
  NMFLOW_CHECK(!parameters_.empty(), "FrozenNTKFlow: no parameters");
  NMFLOW_CHECK(std::isfinite(rk4_step_) && rk4_step_ > 0.0, "FrozenNTKFlow: rk4_step must be > 0, got ", rk4_step_);
  NMFLOW_CHECK(points_.defined() && points_.dim() == 2, "FrozenNTKFlow: points must be [B, n], got ",
               points_.defined() ? points_.sizes() : at::IntArrayRef{});
  NMFLOW_CHECK(jet_fn_ && loss_, "FrozenNTKFlow: jet_fn and loss must be set");
  for (const at::Tensor& p : parameters_) {
    NMFLOW_CHECK(p.requires_grad(), "FrozenNTKFlow: every parameter must require grad");
    theta0_.push_back(p.detach().clone());
    delta_.push_back(at::zeros_like(p).detach());
  }
  training_ = std::make_shared<const JetLinearisation>(linearise(parameters_, jet_fn_, points_));
}

void FrozenNTKFlow::check_parameters_unchanged() const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    NMFLOW_CHECK(at::equal(parameters_[i].detach(), theta0_[i]),
                 "FrozenNTKFlow: parameter ", i, " changed since construction; the flow is linearised at θ₀");
  }
}

std::vector<at::Tensor> FrozenNTKFlow::parameter_velocity(const std::vector<at::Tensor>& delta) const {
  const JetLinearisation& lin = *training_;
  const at::Tensor flat_lin = at::cat({lin.jet0.g.reshape(-1), lin.jet0.dg.reshape(-1), lin.jet0.d2g.reshape(-1)}) +
                              jacobian_vector_product(lin, delta);
  // ∂L/∂(jet) at the linearised jet, then −Jᵀ of it: the gradient flow of L ∘ g_lin.
  at::AutoGradMode grad_mode(true);
  const at::Tensor leaf = flat_lin.detach().requires_grad_(true);
  const LossValue value = loss_(unflatten_like(leaf, lin.jet0));
  const std::vector<at::Tensor> dl = torch::autograd::grad({value.total}, {leaf}, {}, /*retain_graph=*/false,
                                                           /*create_graph=*/false, /*allow_unused=*/true);
  NMFLOW_CHECK(dl[0].defined(), "FrozenNTKFlow: the loss does not depend on the jet");
  NMFLOW_CHECK(at::isfinite(dl[0]).all().item<bool>(), "FrozenNTKFlow: ∂L/∂g is not finite at t = ", time_);
  std::vector<at::Tensor> grads = vector_jacobian_product(lin, parameters_, dl[0]);
  for (at::Tensor& g : grads) {
    g = -g;
  }
  return grads;
}

void FrozenNTKFlow::step(double dt) {
  NMFLOW_CHECK(std::isfinite(dt) && dt > 0.0, "FrozenNTKFlow::step: dt must be > 0, got ", dt);
  check_parameters_unchanged();
  const int64_t substeps = static_cast<int64_t>(std::ceil(dt / rk4_step_ - 1e-9));
  const double h = dt / static_cast<double>(substeps);
  for (int64_t s = 0; s < substeps; ++s) {
    // Classical RK4 on δθ.
    const std::vector<at::Tensor> k1 = parameter_velocity(delta_);
    const std::vector<at::Tensor> k2 = parameter_velocity(axpy(delta_, h / 2, k1));
    const std::vector<at::Tensor> k3 = parameter_velocity(axpy(delta_, h / 2, k2));
    const std::vector<at::Tensor> k4 = parameter_velocity(axpy(delta_, h, k3));
    for (size_t i = 0; i < delta_.size(); ++i) {
      delta_[i] = delta_[i] + (h / 6.0) * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    time_ += h;
  }
}

MetricJet FrozenNTKFlow::linearised_jet(const at::Tensor& probes) const {
  const JetLinearisation lin = linearise(parameters_, jet_fn_, probes);
  const at::Tensor jv = jacobian_vector_product(lin, delta_);
  const MetricJet dj = unflatten_like(jv, lin.jet0);
  return MetricJet{lin.jet0.g + dj.g, lin.jet0.dg + dj.dg, lin.jet0.d2g + dj.d2g};
}

at::Tensor FrozenNTKFlow::metric_velocity(const at::Tensor& probes) const {
  check_parameters_unchanged();
  const JetLinearisation lin = linearise(parameters_, jet_fn_, probes);
  return unflatten_like(jacobian_vector_product(lin, parameter_velocity(delta_)), lin.jet0).g;
}

FlowObservation FrozenNTKFlow::observe(const at::Tensor& probes) const {
  check_parameters_unchanged();
  const MetricJet jet = linearised_jet(probes);
  const CurvatureFields fields = curvature_fields(jet, CurvatureBackend::Reference);
  return FlowObservation{jet.g, fields.scalar.detach()};
}

}  // namespace nmflow

#include "experiments/local_ricci_t2.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"
#include "flows/reference/conformal_surface_flow.h"
#include "flows/flow_comparison.h"
#include "flows/local_ricci_flow.h"
#include "training/losses.h"
#include "training/perelman.h"
#include "geometry/manifolds/sampler.h"
#include "models/matrix_jet_ops.h"
#include "ntk/ntk_diagnostics.h"

namespace nmflow {
namespace {

constexpr double kTwoPi = 2.0 * M_PI;

// Periodic Gaussian bump w(t − c) = Σ_m e^{−(d − 2πm)²/(2ε²)}, d = t − c wrapped into [−π, π), and its first two
// derivatives in t. Images |m| ≤ 2 leave out terms below e^{−9π²/(2ε²)} (< 1e−19 for ε ≤ 2).
struct BumpJet {
  at::Tensor w;    // [B, n_c]
  at::Tensor dw;   // [B, n_c]
  at::Tensor d2w;  // [B, n_c]
};

BumpJet periodic_bump_jet(const at::Tensor& t, int64_t centres, double eps) {
  const at::Tensor c = at::arange(centres, at::kDouble) * (kTwoPi / static_cast<double>(centres));
  const at::Tensor d = at::remainder(t.unsqueeze(1) - c.unsqueeze(0) + M_PI, kTwoPi) - M_PI;  // [B, n_c]
  const double inv = 1.0 / (eps * eps);
  BumpJet jet{at::zeros_like(d), at::zeros_like(d), at::zeros_like(d)};
  for (int m = -2; m <= 2; ++m) {
    const at::Tensor s = d - kTwoPi * m;
    const at::Tensor e = at::exp(-0.5 * inv * s * s);
    jet.w = jet.w + e;
    jet.dw = jet.dw - inv * s * e;
    jet.d2w = jet.d2w + (inv * inv * s * s - inv) * e;
  }
  return jet;
}

// u₀ and its flat derivatives from the Fourier modes: x [B, 2] → value [B], grad [B, 2], hess [B, 2, 2].
ScalarJet2 fourier_potential_jet(const std::vector<FourierMode>& modes, const at::Tensor& x) {
  const int64_t b = x.size(0);
  ScalarJet2 u{at::zeros({b}, at::kDouble), at::zeros({b, 2}, at::kDouble), at::zeros({b, 2, 2}, at::kDouble)};
  for (const FourierMode& m : modes) {
    const at::Tensor k = at::tensor({static_cast<double>(m.kx), static_cast<double>(m.ky)}, at::kDouble);
    const at::Tensor phase = at::matmul(x, k);
    const at::Tensor value = m.cos_amplitude * at::cos(phase) + m.sin_amplitude * at::sin(phase);
    const at::Tensor slope = -m.cos_amplitude * at::sin(phase) + m.sin_amplitude * at::cos(phase);
    u.value = u.value + value;
    u.grad = u.grad + slope.unsqueeze(1) * k;
    u.hess = u.hess - value.view({b, 1, 1}) * at::outer(k, k);
  }
  return u;
}

// Uniform grid of m² points of [0, 2π)², shifted by `offset` spacings: [m², 2].
at::Tensor torus_grid(int64_t m, double offset) {
  const at::Tensor axis = (at::arange(m, at::kDouble) + offset) * (kTwoPi / static_cast<double>(m));
  const std::vector<at::Tensor> mesh = at::meshgrid({axis, axis}, "ij");
  return at::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
}

// Everything about a point set that does not depend on the trained coefficients.
struct T2FixedJets {
  BumpJet axis0;     // bumps in x¹
  BumpJet axis1;     // bumps in x²
  MetricJet frame;   // E = e^{u₀} I with its 2-jet
  ScalarJet2 u0;     // u₀
};

class ConformalTorusBumpMetric {
 public:
  explicit ConformalTorusBumpMetric(const LocalRicciOptions& options) : options_(options) {
    centres_ = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(options.features))));
    head_.kind = options.head;
    head_.dim = 2;
    coefficients_ =
        at::zeros({centres_, centres_, head_output_dim(options.head, 2)}, at::kDouble).requires_grad_(true);
  }

  T2FixedJets fixed_jets(const at::Tensor& x) const {
    const double eps = 1.0 / options_.bandwidth;
    T2FixedJets f;
    f.axis0 = periodic_bump_jet(x.select(1, 0), centres_, eps);
    f.axis1 = periodic_bump_jet(x.select(1, 1), centres_, eps);
    f.u0 = fourier_potential_jet(options_.u0, x);
    // E = e^{u₀} I: ∂_c E = e^{u₀} ∂_c u₀ I, ∂_c∂_d E = e^{u₀}(∂_c u₀ ∂_d u₀ + ∂_c∂_d u₀) I.
    const int64_t b = x.size(0);
    const at::Tensor e = at::exp(f.u0.value);
    const at::Tensor eye = at::eye(2, at::kDouble);
    const at::Tensor second = f.u0.grad.unsqueeze(2) * f.u0.grad.unsqueeze(1) + f.u0.hess;  // [B, 2, 2]
    f.frame = MetricJet{e.view({b, 1, 1}) * eye, (e.unsqueeze(1) * f.u0.grad).view({b, 2, 1, 1}) * eye,
                        (e.view({b, 1, 1}) * second).view({b, 2, 2, 1, 1}) * eye};
    return f;
  }

  // The chart metric's 2-jet g = E M(S) E, differentiable in the coefficients.
  MetricJet jet(const T2FixedJets& f) const {
    const double norm = 1.0 / static_cast<double>(centres_);  // N^{−1/2}, N = n_c²
    // S_P = N^{−1/2} Σ_ij X_i A_ijP Y_j for the (x¹, x²) bump factors X, Y and their derivatives.
    const auto contract = [&](const at::Tensor& x0, const at::Tensor& x1) {
      return norm * at::einsum("bi,ijp,bj->bp", {x0, coefficients_, x1});
    };
    const BumpJet& a = f.axis0;
    const BumpJet& c = f.axis1;
    MlpJet2 s;
    s.value = contract(a.w, c.w);                                               // [B, O]
    s.grad = at::stack({contract(a.dw, c.w), contract(a.w, c.dw)}, 2);          // [B, O, 2]
    const at::Tensor mixed = contract(a.dw, c.dw);
    s.hess = at::stack({at::stack({contract(a.d2w, c.w), mixed}, 2), at::stack({mixed, contract(a.w, c.d2w)}, 2)},
                       2);                                                      // [B, O, 2, 2]
    const MetricJet m = metric_jet_from_outputs(head_, s);
    return jet_matmul(f.frame, jet_matmul(m, f.frame));
  }

  const at::Tensor& coefficients() const { return coefficients_; }

 private:
  LocalRicciOptions options_;
  int64_t centres_ = 0;
  MetricHead head_;
  at::Tensor coefficients_;  // [n_c, n_c, O]
};

// Metric-NTK on probes, [P·3, P·3] in ntk/empirical_ntk.h's layout (packed upper triangle, plain sum).
at::Tensor probe_metric_ntk(const ConformalTorusBumpMetric& model, const T2FixedJets& fixed) {
  at::AutoGradMode grad_mode(true);
  const at::Tensor g = model.jet(fixed).g;  // [P, 2, 2]
  const at::Tensor iu = at::triu_indices(2, 2, 0, at::kLong);
  const at::Tensor packed = g.index({at::indexing::Slice(), iu[0], iu[1]}).reshape(-1);
  std::vector<at::Tensor> rows;
  for (int64_t r = 0; r < packed.size(0); ++r) {
    rows.push_back(torch::autograd::grad({packed[r]}, {model.coefficients()}, {}, true, false)[0].reshape(-1));
  }
  const at::Tensor jacobian = at::stack(rows, 0);
  return at::matmul(jacobian, jacobian.t());
}

// Area-weighted R of an observation on the probe grid: weights √det g (the grid's d²x weights are equal).
double curvature_distance(const FlowObservation& a, const FlowObservation& b, double* rms_b) {
  const at::Tensor wa = at::sqrt(at::linalg_det(a.g));
  const at::Tensor wb = at::sqrt(at::linalg_det(b.g));
  *rms_b = std::sqrt(((wb * b.scalar * b.scalar).sum() / wb.sum()).item<double>());
  return weighted_wasserstein2(a.scalar, wa, b.scalar, wb);
}

// max over probes of ‖X‖_g = tr(g⁻¹X g⁻¹X)^{1/2}; g, x: [P, 2, 2].
double max_metric_norm(const at::Tensor& g, const at::Tensor& x) {
  const at::Tensor a = at::linalg_solve(g, x);
  return at::sqrt(at::clamp_min(at::einsum("pij,pji->p", {a, a}), 0.0)).max().item<double>();
}

}  // namespace

at::Tensor conformal_slaved_perelman_velocity(const at::Tensor& du, const at::Tensor& d2u, const at::Tensor& dl,
                                              const at::Tensor& d2l) {
  NMFLOW_CHECK(du.dim() == 2 && du.size(1) == 2 && d2u.dim() == 3 && dl.sizes() == du.sizes() &&
                   d2l.sizes() == d2u.sizes(),
               "conformal_slaved_perelman_velocity: need du, dl [B, 2] and d2u, d2l [B, 2, 2], got ", du.sizes(),
               ", ", dl.sizes(), ", ", d2u.sizes(), ", ", d2l.sizes());
  const int64_t b = du.size(0);
  const at::Tensor eye = at::eye(2, du.options());
  // f = 2u − ℓ (e^{−f} e^{2u} = e^{ℓ}).
  const at::Tensor df = 2.0 * du - dl;
  const at::Tensor d2f = 2.0 * d2u - d2l;
  const at::Tensor lap_u = d2u.diagonal(0, 1, 2).sum(1);
  // ∇_i∇_j f = ∂_i∂_j f − Γ^k_ij ∂_k f, Γ^k_ij = δ_ik ∂_ju + δ_jk ∂_iu − δ_ij ∂_ku for g = e^{2u}δ.
  const at::Tensor hess_f = d2f - du.unsqueeze(2) * df.unsqueeze(1) - df.unsqueeze(2) * du.unsqueeze(1) +
                            (du * df).sum(1).view({b, 1, 1}) * eye;
  // Ric = (R/2) g = −Δu δ in two dimensions.
  return 2.0 * lap_u.view({b, 1, 1}) * eye - 2.0 * hess_f;
}

at::Tensor conformal_slaved_u_rate(const at::Tensor& u, const at::Tensor& lap_l) {
  NMFLOW_CHECK(u.dim() == 1 && lap_l.sizes() == u.sizes(), "conformal_slaved_u_rate: need u, lap_l [B], got ",
               u.sizes(), ", ", lap_l.sizes());
  return 0.5 * at::exp(-2.0 * u) * lap_l;
}

at::Tensor torus_bump_kernel(double bandwidth, const at::Tensor& delta) {
  NMFLOW_CHECK(bandwidth > 0.0 && delta.size(-1) == 2, "torus_bump_kernel: need bandwidth > 0 and delta [..., 2], "
               "got ", bandwidth, ", ", delta.sizes());
  const double eps = 1.0 / bandwidth;
  // (1/4π²) Π_c ∫ w(t − c) w(t' − c) dc = (1/4π²) Π_c √π ε ϑ(Δ_c).
  const at::Tensor d = at::remainder(delta.to(at::kDouble) + M_PI, kTwoPi) - M_PI;
  at::Tensor theta = at::zeros_like(d);
  for (int m = -2; m <= 2; ++m) {
    theta = theta + at::exp(-(d - kTwoPi * m).pow(2) / (4.0 * eps * eps));
  }
  return (eps * eps / (4.0 * M_PI)) * theta.prod(-1);
}

at::Tensor torus_bump_features(int64_t centres_per_axis, double bandwidth, const at::Tensor& x) {
  NMFLOW_CHECK(centres_per_axis >= 1 && bandwidth > 0.0 && x.dim() == 2 && x.size(1) == 2,
               "torus_bump_features: need n_c >= 1, bandwidth > 0, x [B, 2], got ", centres_per_axis, ", ",
               bandwidth, ", ", x.sizes());
  const double eps = 1.0 / bandwidth;
  const at::Tensor a = periodic_bump_jet(x.select(1, 0), centres_per_axis, eps).w;
  const at::Tensor c = periodic_bump_jet(x.select(1, 1), centres_per_axis, eps).w;
  return (a.unsqueeze(2) * c.unsqueeze(1)).reshape({x.size(0), -1}) / static_cast<double>(centres_per_axis);
}

double weighted_wasserstein2(const at::Tensor& values_a, const at::Tensor& weights_a, const at::Tensor& values_b,
                             const at::Tensor& weights_b) {
  NMFLOW_CHECK(values_a.dim() == 1 && weights_a.sizes() == values_a.sizes() && values_b.dim() == 1 &&
                   weights_b.sizes() == values_b.sizes() && values_a.numel() >= 2 && values_b.numel() >= 2,
               "weighted_wasserstein2: need values and weights of equal shape [P], P >= 2, got ", values_a.sizes(),
               ", ", weights_a.sizes(), ", ", values_b.sizes(), ", ", weights_b.sizes());
  const int64_t k = 2000;
  const at::Tensor p = (at::arange(k, at::kDouble) + 0.5) / static_cast<double>(k);
  // Quantile function: sorted values at the weight midpoints (C_i − w_i/2)/W, linear in between, constant beyond.
  const auto quantile = [&](const at::Tensor& values, const at::Tensor& weights) {
    NMFLOW_CHECK((weights > 0).all().item<bool>(), "weighted_wasserstein2: weights must be > 0");
    const std::tuple<at::Tensor, at::Tensor> sorted = at::sort(values.to(at::kDouble));
    const at::Tensor v = std::get<0>(sorted);
    const at::Tensor w = weights.to(at::kDouble).index_select(0, std::get<1>(sorted));
    const at::Tensor mid = (at::cumsum(w, 0) - 0.5 * w) / w.sum();
    const at::Tensor hi = at::clamp(at::searchsorted(mid, p), 1, v.numel() - 1);
    const at::Tensor lo = hi - 1;
    const at::Tensor m0 = mid.index_select(0, lo);
    const at::Tensor m1 = mid.index_select(0, hi);
    const at::Tensor s = at::clamp((p - m0) / (m1 - m0), 0.0, 1.0);
    return v.index_select(0, lo) * (1.0 - s) + v.index_select(0, hi) * s;
  };
  return std::sqrt((quantile(values_a, weights_a) - quantile(values_b, weights_b)).pow(2).mean().item<double>());
}

at::Tensor conformal_t2_initial_ntk(const LocalRicciOptions& options, const at::Tensor& probes) {
  check_local_ricci_options(options);
  const ConformalTorusBumpMetric model(options);
  return probe_metric_ntk(model, model.fixed_jets(probes));
}

LocalRicciResult run_local_ricci_t2(const LocalRicciOptions& options) {
  check_local_ricci_options(options);
  NMFLOW_CHECK(options.manifold == LocalRicciManifold::ConformalT2, "run_local_ricci_t2: manifold must be "
               "conformal_t2");
  LocalRicciResult result;
  const double eps = 1.0 / options.bandwidth;
  result.omega = std::pow(eps, 4);  // ∫ d²x' Θ_S(x, x') = (1/4π²)(∫ψ)² = ε⁴ (docs/local_ricci.md §5)

  auto model = std::make_shared<ConformalTorusBumpMetric>(options);
  const at::Tensor train_x = torus_grid(options.grid, 0.0);
  const T2FixedJets train = model->fixed_jets(train_x);
  const at::Tensor weights = at::full({train_x.size(0)}, kTwoPi * kTwoPi, at::kDouble);  // ∫ h d²x = mean w h
  const double scale = 2.0 / result.omega;  // L = −c F/Ω, c = 2
  Trainer::LossFn loss = [model, train, weights, scale]() {
    const MetricJet jet = model->jet(train);
    // Flat sampling density: ℓ = 0 (an undefined value), so f = log √det g.
    const ScalarJet2 dilaton = slaved_dilaton(jet, ScalarJet2{});
    LossValue f = perelman_f(weights, jet, dilaton, CurvatureBackend::Reference);
    f.total = -scale * f.total;
    return f;
  };

  const at::Tensor probes = torus_grid(options.probe_grid, 0.5);
  const T2FixedJets probe_jets = model->fixed_jets(probes);
  const auto jet_at = [model](const at::Tensor& x) { return model->jet(model->fixed_jets(x)); };

  // Velocity at t = 0: ∂_t g = (d/dε) g(A − ε∇L) by a central difference (the model is smooth in A).
  {
    at::AutoGradMode grad_mode(true);
    const at::Tensor grad = torch::autograd::grad({loss().total}, {model->coefficients()})[0];
    const double h = 1e-4 / std::max(grad.abs().max().item<double>(), 1e-300);
    at::Tensor velocity;
    {
      at::NoGradGuard no_grad;
      model->coefficients().sub_(h * grad);
      const at::Tensor plus = model->jet(probe_jets).g;
      model->coefficients().add_(2.0 * h * grad);
      const at::Tensor minus = model->jet(probe_jets).g;
      model->coefficients().sub_(h * grad);
      velocity = (plus - minus) / (2.0 * h);
    }
    const ScalarJet2& u = probe_jets.u0;
    const at::Tensor derived = conformal_slaved_perelman_velocity(u.grad, u.hess, at::zeros_like(u.grad),
                                                                  at::zeros_like(u.hess));
    const at::Tensor g0 = probe_jets.frame.g.pow(2);  // e^{2u₀} I
    // frame_exp tracks V = −2(Ric + ∇∇f); the conformal head tracks its conformal projection, which is 0.
    const at::Tensor target = options.head == MetricHeadKind::Conformal ? at::zeros_like(derived) : derived;
    result.velocity_deviation = max_metric_norm(g0, velocity - target) / max_metric_norm(g0, derived);
  }

  const at::Tensor ntk_probes = make_torus_sampler(2)->sample(options.probes, options.seed + 2).x;
  const T2FixedJets ntk_jets = model->fixed_jets(ntk_probes);
  const at::Tensor theta0 = probe_metric_ntk(*model, ntk_jets);
  result.nonlocal_mass = ntk_nonlocal_mass(theta0, 3);

  PeriodicGrid grid;
  grid.dim = 2;
  grid.points_per_axis = options.reference_grid;
  grid.length = kTwoPi;
  const at::Tensor u0_grid = fourier_potential_jet(options.u0, grid.points()).value.view(
      {options.reference_grid, options.reference_grid});
  ConformalSurfaceFlow reference(grid, u0_grid);
  const FlowObservation initial = reference.observe(probes);
  LocalGradientFlow flow(model->coefficients(), loss, options.learning_rate, jet_at);

  for (int64_t k = 1; k <= options.observations; ++k) {
    const double t = options.final_time * static_cast<double>(k) / static_cast<double>(options.observations);
    flow.step(t - flow.time());
    reference.step(t - reference.time());
    const FlowObservation nn = flow.observe(probes);
    const FlowObservation ref = reference.observe(probes);
    double rms = 0.0;
    const double d = curvature_distance(nn, ref, &rms) / rms;
    result.times.push_back(t);
    result.deviations.push_back(d);
    result.max_deviation = std::max(result.max_deviation, d);
    if (k == options.observations) {
      result.reference_change = curvature_distance(initial, ref, &rms) / rms;
      if (options.head == MetricHeadKind::Conformal) {
        // The derived flow of the conformal head is ∂_t u = 0 (well-posed, trivially): compare with g₀.
        result.derived_deviation = relative_metric_deviation(nn.g, initial.g);
      }
    }
  }
  result.ntk_drift = ntk_relative_drift(probe_metric_ntk(*model, ntk_jets), theta0);
  return result;
}

}  // namespace nmflow

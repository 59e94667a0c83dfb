#include "experiments/ricci_flow_case.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <optional>

#include "common/error.h"
#include "flows/reference/homogeneous_ricci_ode.h"
#include "flows/reference/periodic_spectral.h"
#include "geometry/curvature/curvature_reference.h"

namespace nmflow {

namespace {

using F = RicciFlowFamily;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

AdaptiveOdeOptions ode_options(const RicciFlowConfig& c) {
  AdaptiveOdeOptions o;
  o.rtol = c.rtol;
  o.atol = c.atol;
  return o;
}

std::shared_ptr<const HomogeneousRicciOde> make_ode(const RicciFlowConfig& c) {
  switch (c.family) {
    case F::RoundSphere: return make_space_form_ode(c.dim, 1);
    case F::Hyperbolic: return make_space_form_ode(c.dim, -1);
    case F::Su2:
    case F::Berger: return make_su2_ode();
    case F::Nil: return make_nil_ode();
    case F::SphereTorus: return make_sphere_torus_ode(c.sphere_dim, c.torus_dim);
    default: return nullptr;
  }
}

// y₀ of the family's ODE: ρ = radius² for the space forms, (A, B, C) (Berger: (A, A, B)), (ρ, ℓ₁, …, ℓ_k).
std::vector<double> initial_coefficients(const RicciFlowConfig& c) {
  switch (c.family) {
    case F::RoundSphere:
    case F::Hyperbolic: return {c.radius * c.radius};
    case F::Su2:
    case F::Nil: return {c.a, c.b, c.c};
    case F::Berger: return {c.a, c.a, c.b};
    case F::SphereTorus: {
      std::vector<double> y = {c.radius * c.radius};
      y.insert(y.end(), c.lengths.begin(), c.lengths.end());
      return y;
    }
    default: return {};
  }
}

// The coefficients as recorded terms, named as the config names them.
std::vector<std::pair<std::string, double>> coefficient_terms(const RicciFlowConfig& c, const std::vector<double>& y) {
  switch (c.family) {
    case F::RoundSphere:
    case F::Hyperbolic: return {{"rho", y[0]}};
    case F::Su2:
    case F::Nil: return {{"A", y[0]}, {"B", y[1]}, {"C", y[2]}};
    case F::Berger: return {{"A", y[0]}, {"B", y[2]}};
    case F::SphereTorus: {
      std::vector<std::pair<std::string, double>> terms = {{"rho", y[0]}};
      for (size_t i = 1; i < y.size(); ++i) terms.emplace_back("l" + std::to_string(i), y[i]);
      return terms;
    }
    default: return {};
  }
}

// Closed-form coefficients y(t) where known (docs/design.md §6, docs/ricci_flow_reference.md §1): the space forms and
// S^m × T^k move linearly, the round S³ (A = B = C) shrinks as A₀ − 4t, Nil expands as
// A₀ s^{−1/3}, B₀ s^{1/3}, C₀ s^{1/3} with s = 1 + 12 A₀t/(B₀C₀).
std::optional<std::vector<double>> closed_form_y(const RicciFlowConfig& c, double t) {
  const std::vector<double> y0 = initial_coefficients(c);
  switch (c.family) {
    case F::RoundSphere: return std::vector<double>{y0[0] - 2.0 * static_cast<double>(c.dim - 1) * t};
    case F::Hyperbolic: return std::vector<double>{y0[0] + 2.0 * static_cast<double>(c.dim - 1) * t};
    case F::SphereTorus: {
      std::vector<double> y = y0;
      y[0] -= 2.0 * static_cast<double>(c.sphere_dim - 1) * t;
      return y;
    }
    case F::Su2:
    case F::Berger:
      if (y0[0] == y0[1] && y0[1] == y0[2]) return std::vector<double>(3, y0[0] - 4.0 * t);
      return std::nullopt;
    case F::Nil: {
      const double s = 1.0 + 12.0 * y0[0] / (y0[1] * y0[2]) * t;
      return std::vector<double>{y0[0] * std::cbrt(1.0 / s), y0[1] * std::cbrt(s), y0[2] * std::cbrt(s)};
    }
    default: return std::nullopt;
  }
}

// The closed-form extinction time where known: r²/(2(m−1)) for a round sphere factor; the Berger formula of
// homogeneous_ricci_ode.h when two of A, B, C agree (the pair's value, then the third).
double closed_form_extinction(const RicciFlowConfig& c) {
  switch (c.family) {
    case F::RoundSphere: return round_sphere_extinction_time(c.dim, c.radius);
    case F::SphereTorus: return round_sphere_extinction_time(c.sphere_dim, c.radius);
    case F::Berger: return berger_extinction_time(c.a, c.b);
    case F::Su2:
      if (c.a == c.b) return berger_extinction_time(c.a, c.c);
      if (c.b == c.c) return berger_extinction_time(c.b, c.a);
      if (c.a == c.c) return berger_extinction_time(c.a, c.b);
      return kNaN;
    default: return kNaN;
  }
}

// Volume of the unit round S^m: 2π^{(m+1)/2} / Γ((m+1)/2).
double unit_sphere_volume(int64_t m) {
  const double h = 0.5 * static_cast<double>(m + 1);
  return 2.0 * std::pow(M_PI, h) / std::tgamma(h);
}

// Vol_g of a compact homogeneous metric: ρ^{n/2} ω_n (S^n); 2π² √(ABC) (SU(2): σ₁² + σ₂² + σ₃² is the unit S³);
// ρ^{m/2} ω_m Π 2π√ℓ_i (S^m × T^k). NaN for the non-compact H^n and Nil.
double homogeneous_volume(const RicciFlowConfig& c, const std::vector<double>& y) {
  switch (c.family) {
    case F::RoundSphere: return std::pow(y[0], 0.5 * static_cast<double>(c.dim)) * unit_sphere_volume(c.dim);
    case F::Su2:
    case F::Berger: return 2.0 * M_PI * M_PI * std::sqrt(y[0] * y[1] * y[2]);
    case F::SphereTorus: {
      double v = std::pow(y[0], 0.5 * static_cast<double>(c.sphere_dim)) * unit_sphere_volume(c.sphere_dim);
      for (size_t i = 1; i < y.size(); ++i) v *= 2.0 * M_PI * std::sqrt(y[i]);
      return v;
    }
    default: return kNaN;
  }
}

// Σ cos·cos(k·x) + sin·sin(k·x) at x: [M, n] → [M].
// component: only the modes of g_ij (either order).
at::Tensor fourier_series(const std::vector<RicciFlowFourierMode>& modes, const at::Tensor& x, bool component,
                          int64_t i, int64_t j) {
  at::Tensor out = at::zeros({x.size(0)}, x.options());
  for (const RicciFlowFourierMode& m : modes) {
    if (component && !((m.i == i && m.j == j) || (m.i == j && m.j == i))) continue;
    at::Tensor phase = static_cast<double>(m.kx) * x.select(1, 0) + static_cast<double>(m.ky) * x.select(1, 1);
    if (x.size(1) == 3) phase = phase + static_cast<double>(m.kz) * x.select(1, 2);
    out = out + m.cos * at::cos(phase) + m.sin * at::sin(phase);
  }
  return out;
}

PeriodicGrid torus_grid(const RicciFlowConfig& c) {
  PeriodicGrid grid;
  grid.dim = c.family == F::DeTurckT3 ? 3 : 2;
  grid.points_per_axis = c.grid;
  grid.length = 2.0 * M_PI;
  return grid;
}

// Probe points drawn from `seed`, uniform in a box of the family's chart away from its singular set.
at::Tensor probe_box_points(const RicciFlowConfig& c, int64_t n, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor u = at::rand({c.probes, n}, generator, at::TensorOptions().dtype(at::kDouble));
  std::vector<double> lo(n, -1.0), hi(n, 1.0);
  switch (c.family) {
    case F::Hyperbolic:  // upper half-space: x_n > 0
      lo[n - 1] = 0.5;
      hi[n - 1] = 2.0;
      break;
    case F::Su2:
    case F::Berger:  // Euler angles (φ, θ, ψ) ∈ [0, 2π) × (0, π) × [0, 4π), θ kept off the chart's poles
      lo = {0.0, 0.2, 0.0};
      hi = {2.0 * M_PI, M_PI - 0.2, 4.0 * M_PI};
      break;
    case F::SphereTorus:
      for (int64_t k = c.sphere_dim; k < n; ++k) {
        lo[k] = 0.0;
        hi[k] = 2.0 * M_PI;
      }
      break;
    case F::ConformalT2:
    case F::DeTurckT2:
    case F::DeTurckT3:
      lo.assign(n, 0.0);
      hi.assign(n, 2.0 * M_PI);
      break;
    default: break;
  }
  const at::Tensor low = at::tensor(lo, u.options());
  return low + u * (at::tensor(hi, u.options()) - low);
}


// A flat torus (every mode constant) is a fixed point: g(t) = g₀, R = 0.
bool flat_start(const RicciFlowConfig& c) {
  if (!ricci_flow_on_grid(c.family)) return false;
  for (const RicciFlowFourierMode& m : c.family == F::ConformalT2 ? c.u0 : c.g0) {
    if (m.kx != 0 || m.ky != 0 || m.kz != 0) return false;
  }
  return true;
}

}  // namespace

RicciFlowCase::RicciFlowCase(const RicciFlowConfig& c) : config_(c) {
  if (!ricci_flow_on_grid(c.family)) {
    homogeneous_ = std::make_unique<HomogeneousRicciFlow>(make_ode(c), initial_coefficients(c), ode_options(c));
    dim_ = homogeneous_->ode().dim();
    return;
  }
  const PeriodicGrid grid = torus_grid(c);
  dim_ = grid.dim;
  const at::Tensor x = grid.points();  // [M, n]
  GridFlowOptions options;
  options.cfl = c.cfl;
  if (c.family == F::ConformalT2) {
    const at::Tensor u0 = fourier_series(c.u0, x, false, 0, 0).reshape({c.grid, c.grid});
    conformal_ = std::make_unique<ConformalSurfaceFlow>(grid, u0, options);
    return;
  }
  // g₀ = δ + Σ modes (config_yaml_ricci_flow.cpp checked it is positive definite on this grid).
  std::vector<at::Tensor> rows;
  for (int64_t i = 0; i < dim_; ++i) {
    std::vector<at::Tensor> row;
    for (int64_t j = 0; j < dim_; ++j) row.push_back(fourier_series(c.g0, x, true, i, j) + (i == j ? 1.0 : 0.0));
    rows.push_back(at::stack(row, 1));
  }
  deturck_ = std::make_unique<RicciDeTurckFlow>(grid, at::stack(rows, 1), options);
}

Flow& RicciFlowCase::flow() const {
  if (homogeneous_) return *homogeneous_;
  if (conformal_) return *conformal_;
  return *deturck_;
}

std::string RicciFlowCase::gauge() const {
  return homogeneous_ ? "invariant_frame" : conformal_ ? "conformal" : "deturck";
}

at::Tensor RicciFlowCase::probe_points(uint64_t seed) const { return probe_box_points(config_, dim_, seed); }

TrajectoryRecord RicciFlowCase::observe(const at::Tensor& probes) const {
  TrajectoryRecord r;
  if (homogeneous_) {
    const std::vector<double>& y = homogeneous_->state().y;
    r.g = homogeneous_->ode().metric(probes, y);
    r.ricci = homogeneous_->ode().ricci(probes, y);
    r.scalar = at::full({probes.size(0)}, homogeneous_->ode().scalar_curvature(y), probes.options());
  } else if (conformal_) {
    const FlowObservation o = conformal_->observe(probes);
    r.g = o.g;
    r.ricci = 0.5 * o.scalar.view({-1, 1, 1}) * o.g;  // Ric = (R/2) g on a surface
    r.scalar = o.scalar;
  } else {
    const MetricJet jet = deturck_->jet_at(probes);
    const CurvatureReference curvature = curvature_reference(jet);
    r.g = jet.g;
    r.ricci = curvature.ricci;
    r.scalar = curvature.scalar;
  }
  return r;
}

NamedValues RicciFlowCase::coefficients() const {
  return homogeneous_ ? coefficient_terms(config_, homogeneous_->state().y) : NamedValues{};
}

NamedValues RicciFlowCase::terms() const {
  NamedValues terms = coefficients();
  double volume = kNaN, total_r = kNaN, total_r2 = kNaN;
  if (homogeneous_) {
    const std::vector<double>& y = homogeneous_->state().y;
    volume = homogeneous_volume(config_, y);
    const double r = homogeneous_->ode().scalar_curvature(y);
    total_r = r * volume;
    total_r2 = r * r * volume;
  } else {
    // Grid means are exact integrals of the trigonometric interpolant (periodic_spectral.h).
    const at::Tensor density = conformal_ ? conformal_->area_density().flatten() : deturck_->volume_density();
    const at::Tensor scalar = conformal_ ? conformal_->scalar_curvature().flatten() : deturck_->scalar_curvature();
    const double cell = std::pow(2.0 * M_PI, static_cast<double>(dim_));
    volume = density.mean().item<double>() * cell;
    total_r = (scalar * density).mean().item<double>() * cell;
    total_r2 = (scalar * scalar * density).mean().item<double>() * cell;
  }
  if (!std::isnan(volume)) {
    terms.emplace_back("volume", volume);
    terms.emplace_back("total_scalar", total_r);
    terms.emplace_back("total_scalar_squared", total_r2);
  }
  return terms;
}

double RicciFlowCase::volume() const {
  for (const auto& [name, value] : terms()) {
    if (name == "volume") return value;
  }
  return kNaN;
}

double RicciFlowCase::extinction_time() const {
  if (!ricci_flow_goes_extinct(config_.family)) return kNaN;
  return nmflow::extinction_time(homogeneous_->ode(), initial_coefficients(config_), ode_options(config_));
}

double RicciFlowCase::closed_form_extinction_time() const { return closed_form_extinction(config_); }

bool RicciFlowCase::has_closed_form() const { return flat_start(config_) || closed_form_y(config_, 0.0).has_value(); }

std::string RicciFlowCase::closed_form_text() const {
  if (flat_start(config_)) return "flat torus: g(t) = g0, R = 0";
  switch (config_.family) {
    case F::RoundSphere: return "rho(t) = radius^2 - 2(n-1)t";
    case F::Hyperbolic: return "rho(t) = radius^2 + 2(n-1)t";
    case F::SphereTorus: return "rho(t) = radius^2 - 2(m-1)t, lengths constant";
    case F::Nil: return "A0 s^(-1/3), B0 s^(1/3), C0 s^(1/3), s = 1 + 12 A0 t/(B0 C0)";
    case F::Su2:
    case F::Berger:
      if (closed_form_y(config_, 0.0)) return "round S^3: A(t) = B(t) = C(t) = A0 - 4t";
      return std::isnan(closed_form_extinction(config_)) ? "none" : "extinction time only (Berger)";
    default: return "none";
  }
}

NamedValues RicciFlowCase::closed_form_coefficients(double t) const {
  NMFLOW_CHECK(has_closed_form(), "RicciFlowCase: no closed-form solution is known for this start");
  const std::optional<std::vector<double>> y = closed_form_y(config_, t);
  return y ? coefficient_terms(config_, *y) : NamedValues{};
}

double RicciFlowCase::closed_form_scalar(double t) const {
  NMFLOW_CHECK(has_closed_form(), "RicciFlowCase: no closed-form solution is known for this start");
  const std::optional<std::vector<double>> y = closed_form_y(config_, t);
  return y ? homogeneous_->ode().scalar_curvature(*y) : 0.0;
}

}  // namespace nmflow

#include "flows/reference/homogeneous_ricci_ode.h"

#include <ATen/ATen.h>

#include <cmath>
#include <numeric>

#include "common/error.h"
#include "geometry/manifolds/left_invariant_su2.h"

namespace nmflow {

namespace {

void check_probes(const at::Tensor& x, int64_t n, const std::string& who) {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, who, ": probes must be [P, ", n, "], got ", x.sizes());
}

class SpaceFormOde : public HomogeneousRicciOde {
 public:
  SpaceFormOde(int64_t n, int sign) : n_(n), sign_(sign) {
    NMFLOW_CHECK(n >= 2 && n <= 8, "space form ODE: n must be in [2, 8], got ", n);
    NMFLOW_CHECK(sign == 1 || sign == -1, "space form ODE: sign must be +1 (sphere) or -1 (hyperbolic), got ", sign);
  }
  std::string name() const override { return sign_ > 0 ? "round_sphere" : "hyperbolic"; }
  int64_t dim() const override { return n_; }
  int64_t num_coefficients() const override { return 1; }
  // Ric = sign (n−1) ĝ for every ρ, so ∂_t(ρ ĝ) = −2 sign (n−1) ĝ.
  std::vector<double> velocity(const std::vector<double>&) const override {
    return {-2.0 * sign_ * static_cast<double>(n_ - 1)};
  }
  std::vector<double> frame_weights(const std::vector<double>& y) const override {
    return std::vector<double>(n_, y.at(0));
  }
  // Sphere: ĝ = 4|dx|²/(1+|x|²)²; hyperbolic: ĝ = |dx|²/x_n².
  at::Tensor coframe(const at::Tensor& x) const override {
    check_probes(x, n_, name());
    const at::Tensor factor = sign_ > 0 ? 2.0 / (1.0 + (x * x).sum(1)) : 1.0 / x.select(1, n_ - 1);
    return factor.view({-1, 1, 1}) * at::eye(n_, x.options()).expand({x.size(0), n_, n_});
  }
  double scalar_curvature(const std::vector<double>& y) const override {
    return sign_ * static_cast<double>(n_ * (n_ - 1)) / y.at(0);
  }
  std::vector<double> size_weights() const override { return {1.0}; }

 private:
  int64_t n_;
  int sign_;
};

class SU2Ode : public HomogeneousRicciOde {
 public:
  std::string name() const override { return "su2"; }
  int64_t dim() const override { return 3; }
  int64_t num_coefficients() const override { return 3; }
  std::vector<double> velocity(const std::vector<double>& y) const override {
    std::vector<double> v(3);
    for (int i = 0; i < 3; ++i) {
      const double a = y[i], b = y[(i + 1) % 3], c = y[(i + 2) % 3];
      v[i] = -4.0 * (a * a - (b - c) * (b - c)) / (b * c);
    }
    return v;
  }
  std::vector<double> frame_weights(const std::vector<double>& y) const override { return y; }
  at::Tensor coframe(const at::Tensor& x) const override {
    check_probes(x, 3, name());
    return s3_coframe(x);
  }
  double scalar_curvature(const std::vector<double>& y) const override {
    const double a = y[0], b = y[1], c = y[2];
    return 2.0 * (2.0 * (a * b + b * c + c * a) - (a * a + b * b + c * c)) / (a * b * c);
  }
  std::vector<double> size_weights() const override { return {1.0 / 3, 1.0 / 3, 1.0 / 3}; }
};

class NilOde : public HomogeneousRicciOde {
 public:
  std::string name() const override { return "nil"; }
  int64_t dim() const override { return 3; }
  int64_t num_coefficients() const override { return 3; }
  // Milnor frame e_i = X_i/√λ_i has [e₂, e₃] = 2√(A/(BC)) e₁, so Ric(e₁) = 2A/(BC), Ric(e₂) = Ric(e₃) = −2A/(BC).
  std::vector<double> velocity(const std::vector<double>& y) const override {
    const double a = y[0], b = y[1], c = y[2];
    return {-4.0 * a * a / (b * c), 4.0 * a / c, 4.0 * a / b};
  }
  std::vector<double> frame_weights(const std::vector<double>& y) const override { return y; }
  at::Tensor coframe(const at::Tensor& x) const override {
    check_probes(x, 3, name());
    const at::Tensor x1 = x.select(1, 0), x2 = x.select(1, 1);
    const at::Tensor one = at::ones_like(x1), zero = at::zeros_like(x1);
    return at::stack({at::stack({x2, -x1, one}, 1), at::stack({one, zero, zero}, 1), at::stack({zero, one, zero}, 1)},
                     1);
  }
  double scalar_curvature(const std::vector<double>& y) const override { return -2.0 * y[0] / (y[1] * y[2]); }
  std::vector<double> size_weights() const override { return {1.0, 0.0, 0.0}; }
};

class SphereTorusOde : public HomogeneousRicciOde {
 public:
  SphereTorusOde(int64_t m, int64_t k) : m_(m), k_(k) {
    NMFLOW_CHECK(m >= 2 && k >= 1 && m + k <= 8, "sphere_torus ODE: need sphere_dim >= 2, torus_dim >= 1 and ",
                 "sphere_dim + torus_dim <= 8, got ", m, " and ", k);
  }
  std::string name() const override { return "sphere_torus"; }
  int64_t dim() const override { return m_ + k_; }
  int64_t num_coefficients() const override { return 1 + k_; }
  std::vector<double> velocity(const std::vector<double>&) const override {
    std::vector<double> v(1 + k_, 0.0);
    v[0] = -2.0 * static_cast<double>(m_ - 1);
    return v;
  }
  std::vector<double> frame_weights(const std::vector<double>& y) const override {
    std::vector<double> w(m_, y.at(0));
    w.insert(w.end(), y.begin() + 1, y.end());
    return w;
  }
  at::Tensor coframe(const at::Tensor& x) const override {
    check_probes(x, m_ + k_, name());
    const at::Tensor factor = 2.0 / (1.0 + x.narrow(1, 0, m_).pow(2).sum(1));
    at::Tensor diag = at::ones_like(x);
    diag.narrow(1, 0, m_).copy_(factor.unsqueeze(1).expand({x.size(0), m_}));
    return at::diag_embed(diag);
  }
  double scalar_curvature(const std::vector<double>& y) const override {
    return static_cast<double>(m_ * (m_ - 1)) / y.at(0);
  }
  std::vector<double> size_weights() const override {
    std::vector<double> c(1 + k_, 0.0);
    c[0] = 1.0;
    return c;
  }

 private:
  int64_t m_;
  int64_t k_;
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

}  // namespace

at::Tensor HomogeneousRicciOde::metric(const at::Tensor& x, const std::vector<double>& y) const {
  check_coefficients(y, "HomogeneousRicciOde::metric");
  const at::Tensor e = coframe(x);  // [P, n, n]
  const at::Tensor weights = at::tensor(frame_weights(y), e.options());
  // g_bc = Σ_a λ_a E_ab E_ac.
  return at::einsum("a,pab,pac->pbc", {weights, e, e});
}

at::Tensor HomogeneousRicciOde::ricci(const at::Tensor& x, const std::vector<double>& y) const {
  check_coefficients(y, "HomogeneousRicciOde::ricci");
  const at::Tensor e = coframe(x);  // [P, n, n]
  std::vector<double> ricci_frame = frame_weights(velocity(y));
  for (double& r : ricci_frame) r *= -0.5;
  return at::einsum("a,pab,pac->pbc", {at::tensor(ricci_frame, e.options()), e, e});
}

void HomogeneousRicciOde::check_coefficients(const std::vector<double>& y, const char* who) const {
  NMFLOW_CHECK(static_cast<int64_t>(y.size()) == num_coefficients(), who, ": ", name(), " has ",
               num_coefficients(), " coefficients, got ", y.size());
  for (double w : frame_weights(y)) {
    NMFLOW_CHECK(std::isfinite(w) && w > 0.0, who, ": ", name(), " frame weights must be finite and > 0, got ", w);
  }
}

std::unique_ptr<HomogeneousRicciOde> make_space_form_ode(int64_t n, int sign) {
  return std::make_unique<SpaceFormOde>(n, sign);
}
std::unique_ptr<HomogeneousRicciOde> make_su2_ode() { return std::make_unique<SU2Ode>(); }
std::unique_ptr<HomogeneousRicciOde> make_nil_ode() { return std::make_unique<NilOde>(); }
std::unique_ptr<HomogeneousRicciOde> make_sphere_torus_ode(int64_t sphere_dim, int64_t torus_dim) {
  return std::make_unique<SphereTorusOde>(sphere_dim, torus_dim);
}

double extinction_time(const HomogeneousRicciOde& ode, const std::vector<double>& y0,
                       const AdaptiveOdeOptions& options, double size_ratio, double max_time) {
  ode.check_coefficients(y0, "extinction_time");
  NMFLOW_CHECK(size_ratio > 0.0 && size_ratio < 1.0, "extinction_time: size_ratio must be in (0, 1), got ",
               size_ratio);
  const std::vector<double> c = ode.size_weights();
  const double size0 = dot(c, y0);
  NMFLOW_CHECK(size0 > 0.0, "extinction_time: size(y0) must be > 0, got ", size0);
  const size_t m = y0.size();
  // z = (y, t) as functions of τ: dy/dτ = size(y) F(y), dt/dτ = size(y).
  const OdeRhs rhs = [&](double, const std::vector<double>& z) {
    const std::vector<double> y(z.begin(), z.begin() + m);
    const double size = dot(c, y);
    std::vector<double> dz = ode.velocity(y);
    for (double& v : dz) {
      v *= size;
    }
    dz.push_back(size);
    return dz;
  };
  std::vector<double> z0 = y0;
  z0.push_back(0.0);
  const OdeSolution sol = integrate_adaptive_until(
      rhs, 0.0, z0,
      [&](double, const std::vector<double>& z) {
        NMFLOW_CHECK(z[m] <= max_time, "extinction_time: ", ode.name(), " is not extinct by t = ", max_time);
        return dot(c, std::vector<double>(z.begin(), z.begin() + m)) < size_ratio * size0;
      },
      options);
  const std::vector<double> y(sol.y.begin(), sol.y.begin() + m);
  const double size_rate = dot(c, ode.velocity(y));  // d size/dt
  NMFLOW_CHECK(size_rate < 0.0, "extinction_time: ", ode.name(), " size is not shrinking at the end (d size/dt = ",
               size_rate, ")");
  return sol.y[m] - dot(c, y) / size_rate;
}

double round_sphere_extinction_time(int64_t n, double r0) {
  NMFLOW_CHECK(n >= 2 && r0 > 0.0, "round_sphere_extinction_time: need n >= 2 and r0 > 0, got n = ", n,
               ", r0 = ", r0);
  return r0 * r0 / (2.0 * static_cast<double>(n - 1));
}

double berger_extinction_time(double a0, double b0) {
  NMFLOW_CHECK(a0 > 0.0 && b0 > 0.0, "berger_extinction_time: need A0, B0 > 0, got ", a0, ", ", b0);
  const double x0 = b0 / a0;
  const double k = (1.0 - x0) / x0;
  double ratio = 1.0;  // asinh(√k)/√k → 1 as k → 0
  if (k > 1e-12) {
    ratio = std::asinh(std::sqrt(k)) / std::sqrt(k);
  } else if (k < -1e-12) {
    ratio = std::asin(std::sqrt(-k)) / std::sqrt(-k);
  }
  return a0 / 8.0 * (1.0 + std::sqrt(x0) * ratio);
}

}  // namespace nmflow

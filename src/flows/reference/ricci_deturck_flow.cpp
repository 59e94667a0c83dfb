#include "flows/reference/ricci_deturck_flow.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "flows/reference/ode_integrator.h"
#include "geometry/curvature/curvature_reference.h"

namespace nmflow {

namespace {

// Grid axes after `lead` leading dims of a [lead…, N…] field, and the field flattened to [lead…, M].
std::vector<int64_t> with_grid(std::vector<int64_t> lead, const PeriodicGrid& grid) {
  for (int64_t s : grid.shape()) {
    lead.push_back(s);
  }
  return lead;
}

}  // namespace

at::Tensor ricci_deturck_velocity(const MetricJet& jet) {
  check_metric_jet(jet, "ricci_deturck_velocity");
  const at::Tensor ginv = at::linalg_inv(jet.g);
  const at::Tensor& dg = jet.dg;  // [B,c,i,j] = ∂_c g_ij
  // gamma_low[z,a,c,e] = Γ_ace = ½(∂_c g_ea + ∂_e g_ca − ∂_a g_ce).
  const at::Tensor gamma_low = 0.5 * (dg.permute({0, 3, 1, 2}) + dg.permute({0, 3, 2, 1}) - dg);
  const at::Tensor principal = at::einsum("zcd,zcdab->zab", {ginv, jet.d2g});
  // g^ef ∂_e g_ca → [z,f,c,a]; g^ef Γ_ace → [z,a,c,f].
  const at::Tensor raised_dg = at::einsum("zef,zeca->zfca", {ginv, dg});
  const at::Tensor raised_gamma = at::einsum("zef,zace->zacf", {ginv, gamma_low});
  const at::Tensor quadratic = at::einsum("zcd,zfca,zfdb->zab", {ginv, raised_dg, dg}) -
                               at::einsum("zcd,zacf,zbdf->zab", {ginv, raised_gamma, gamma_low});
  return principal - 2.0 * quadratic;
}

RicciDeTurckFlow::RicciDeTurckFlow(PeriodicGrid grid, const at::Tensor& g0, GridFlowOptions options)
    : grid_(grid), options_(options) {
  grid_.check();
  const int64_t n = grid_.dim;
  NMFLOW_CHECK(n == 2 || n == 3, "RicciDeTurckFlow: grid dim must be 2 or 3, got ", n);
  NMFLOW_CHECK(g0.dim() == 3 && g0.size(0) == grid_.num_points() && g0.size(1) == n && g0.size(2) == n &&
                   g0.scalar_type() == at::kDouble,
               "RicciDeTurckFlow: g0 must be float64 [", grid_.num_points(), ", ", n, ", ", n, "], got ", g0.sizes(),
               " ", g0.scalar_type());
  NMFLOW_CHECK(options_.cfl > 0.0 && options_.cfl <= 1.0 && options_.max_substep > 0.0,
               "RicciDeTurckFlow: need 0 < cfl <= 1 and max_substep > 0, got cfl = ", options_.cfl,
               ", max_substep = ", options_.max_substep);
  const at::Tensor g = g0.cpu();
  NMFLOW_CHECK(at::allclose(g, g.transpose(1, 2)), "RicciDeTurckFlow: g0 must be symmetric");
  NMFLOW_CHECK(at::linalg_eigvalsh(g).min().item<double>() > 0.0, "RicciDeTurckFlow: g0 must be positive definite");
  field_ = g.permute({1, 2, 0}).reshape(with_grid({n, n}, grid_)).contiguous();
}

MetricJet RicciDeTurckFlow::jet_of(const at::Tensor& field) const {
  const int64_t n = grid_.dim;
  const int64_t m = grid_.num_points();
  const at::Tensor flat = field.reshape(with_grid({n * n}, grid_));                  // [n², N…]
  const at::Tensor g = field.reshape({n, n, m}).permute({2, 0, 1});                   // [M, i, j]
  const at::Tensor dg = spectral_gradient(flat, grid_).reshape({n, n, n, m}).permute({3, 2, 0, 1});  // [M,c,i,j]
  const at::Tensor d2g =
      spectral_hessian(flat, grid_).reshape({n, n, n, n, m}).permute({4, 2, 3, 0, 1});  // [M,c,d,i,j]
  return {g.contiguous(), dg.contiguous(), d2g.contiguous()};
}

at::Tensor RicciDeTurckFlow::field_velocity(const at::Tensor& field) const {
  const int64_t n = grid_.dim;
  const at::Tensor v = ricci_deturck_velocity(jet_of(field));  // [M, n, n]
  return v.permute({1, 2, 0}).reshape(with_grid({n, n}, grid_));
}

at::Tensor RicciDeTurckFlow::metric() const {
  const int64_t n = grid_.dim;
  return field_.reshape({n, n, grid_.num_points()}).permute({2, 0, 1}).contiguous();
}

MetricJet RicciDeTurckFlow::grid_jet() const { return jet_of(field_); }

at::Tensor RicciDeTurckFlow::scalar_curvature() const { return curvature_reference(grid_jet()).scalar; }

at::Tensor RicciDeTurckFlow::volume_density() const { return at::sqrt(at::linalg_det(metric())); }

double RicciDeTurckFlow::volume() const {
  return volume_density().mean().item<double>() * std::pow(grid_.length, static_cast<double>(grid_.dim));
}

double RicciDeTurckFlow::stable_step() const {
  const double k_max = M_PI * static_cast<double>(grid_.points_per_axis) / grid_.length;
  // max eig g⁻¹ = 1 / min eig g.
  const double inv_eig = 1.0 / at::linalg_eigvalsh(metric()).min().item<double>();
  return kRk4RealStabilityLimit / (inv_eig * static_cast<double>(grid_.dim) * k_max * k_max);
}

void RicciDeTurckFlow::step(double dt) {
  NMFLOW_CHECK(dt > 0.0, "RicciDeTurckFlow::step: dt must be > 0, got ", dt);
  const double target = t_ + dt;
  while (t_ < target) {
    const double remaining = target - t_;
    const double max_h = std::min(options_.max_substep, options_.cfl * stable_step());
    const double h = remaining / static_cast<double>(substep_count(remaining, max_h));
    field_ = rk4_step([this](const at::Tensor& f) { return field_velocity(f); }, field_, h);
    NMFLOW_CHECK(at::isfinite(field_).all().item<bool>(), "RicciDeTurckFlow::step: g became non-finite at t = ", t_);
    t_ = h >= remaining ? target : t_ + h;
  }
}

MetricJet RicciDeTurckFlow::jet_at(const at::Tensor& probes) const {
  const int64_t n = grid_.dim;
  const int64_t p = probes.size(0);
  const int64_t nn = n * n;
  const at::Tensor flat = field_.reshape(with_grid({nn}, grid_));
  // Interpolate g, ∂g and ∂²g together: [nn (1 + n + n²), N…] → values at the probes.
  const at::Tensor channels = at::cat({flat, spectral_gradient(flat, grid_).reshape(with_grid({nn * n}, grid_)),
                                       spectral_hessian(flat, grid_).reshape(with_grid({nn * n * n}, grid_))});
  const at::Tensor values = trigonometric_interpolation(channels, grid_, probes);  // [channels, P]
  const at::Tensor g = values.narrow(0, 0, nn).reshape({n, n, p}).permute({2, 0, 1});
  const at::Tensor dg = values.narrow(0, nn, nn * n).reshape({n, n, n, p}).permute({3, 2, 0, 1});
  const at::Tensor d2g = values.narrow(0, nn + nn * n, nn * n * n).reshape({n, n, n, n, p}).permute({4, 2, 3, 0, 1});
  return {g.contiguous(), dg.contiguous(), d2g.contiguous()};
}

FlowObservation RicciDeTurckFlow::observe(const at::Tensor& probes) const {
  const MetricJet jet = jet_at(probes);
  return {jet.g.to(probes.options()), curvature_reference(jet).scalar.to(probes.options())};
}

}  // namespace nmflow

#include "flows/reference/conformal_surface_flow.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/error.h"
#include "flows/reference/ode_integrator.h"

namespace nmflow {

ConformalSurfaceFlow::ConformalSurfaceFlow(PeriodicGrid grid, at::Tensor u0, GridFlowOptions options)
    : grid_(grid), u_(std::move(u0)), options_(options) {
  grid_.check();
  NMFLOW_CHECK(grid_.dim == 2, "ConformalSurfaceFlow: the grid must be 2-dimensional, got dim = ", grid_.dim);
  NMFLOW_CHECK(u_.dim() == 2 && u_.size(0) == grid_.points_per_axis && u_.size(1) == grid_.points_per_axis &&
                   u_.scalar_type() == at::kDouble,
               "ConformalSurfaceFlow: u0 must be float64 [", grid_.points_per_axis, ", ", grid_.points_per_axis,
               "], got ", u_.sizes(), " ", u_.scalar_type());
  NMFLOW_CHECK(options_.cfl > 0.0 && options_.cfl <= 1.0 && options_.max_substep > 0.0,
               "ConformalSurfaceFlow: need 0 < cfl <= 1 and max_substep > 0, got cfl = ", options_.cfl,
               ", max_substep = ", options_.max_substep);
  u_ = u_.contiguous().cpu();
}

at::Tensor ConformalSurfaceFlow::velocity(const at::Tensor& u) const {
  return at::exp(-2.0 * u) * spectral_laplacian(u.unsqueeze(0), grid_).squeeze(0);
}

at::Tensor ConformalSurfaceFlow::scalar_curvature() const { return -2.0 * velocity(u_); }

at::Tensor ConformalSurfaceFlow::area_density() const { return at::exp(2.0 * u_); }

double ConformalSurfaceFlow::area() const {
  return grid_mean(area_density().unsqueeze(0), grid_).item<double>() * grid_.length * grid_.length;
}

double ConformalSurfaceFlow::stable_step() const {
  const double k_max = M_PI * static_cast<double>(grid_.points_per_axis) / grid_.length;
  const double rate = at::exp(-2.0 * u_).max().item<double>() * 2.0 * k_max * k_max;
  return kRk4RealStabilityLimit / rate;
}

void ConformalSurfaceFlow::step(double dt) {
  NMFLOW_CHECK(dt > 0.0, "ConformalSurfaceFlow::step: dt must be > 0, got ", dt);
  const double target = t_ + dt;
  while (t_ < target) {
    const double remaining = target - t_;
    const double max_h = std::min(options_.max_substep, options_.cfl * stable_step());
    const double h = remaining / static_cast<double>(substep_count(remaining, max_h));
    u_ = rk4_step([this](const at::Tensor& u) { return velocity(u); }, u_, h);
    NMFLOW_CHECK(at::isfinite(u_).all().item<bool>(), "ConformalSurfaceFlow::step: u became non-finite at t = ", t_);
    t_ = h >= remaining ? target : t_ + h;
  }
}

FlowObservation ConformalSurfaceFlow::observe(const at::Tensor& probes) const {
  const at::Tensor fields = at::stack({u_, spectral_laplacian(u_.unsqueeze(0), grid_).squeeze(0)});  // [2, N, N]
  const at::Tensor values = trigonometric_interpolation(fields, grid_, probes);                      // [2, P]
  const at::Tensor u = values.select(0, 0);
  const at::Tensor conformal = at::exp(2.0 * u);
  const at::Tensor g = conformal.view({-1, 1, 1}) * at::eye(2, conformal.options()).expand({u.size(0), 2, 2});
  const at::Tensor scalar = -2.0 * at::exp(-2.0 * u) * values.select(0, 1);
  return {g.to(probes.options()), scalar.to(probes.options())};
}

}  // namespace nmflow

#pragma once
// Ricci flow of a surface in conformal gauge on T² (docs/design.md §6): g = e^{2u}(dx² + dy²) stays conformal to the
// flat metric under ∂_t g = −2Ric = −R g, and with R = −2e^{−2u}Δu this is the scalar equation
//   ∂_t u = e^{−2u} Δu,
// solved on a periodic N×N grid with Fourier spectral Δ and classical RK4. Area ∫e^{2u}d²x is conserved
// (dA/dt = −∫R dA = 0 by Gauss–Bonnet on T²); the semi-discrete scheme conserves it exactly since Σ_grid Δu = 0.
#include <ATen/core/Tensor.h>

#include <limits>

#include "flows/flow.h"
#include "flows/reference/periodic_spectral.h"

namespace nmflow {

struct GridFlowOptions {
  // Substeps are at most cfl × the RK4 stability limit of the current state, and at most max_substep.
  double cfl = 0.5;
  double max_substep = std::numeric_limits<double>::infinity();
};

class ConformalSurfaceFlow : public Flow {
 public:
  // grid: dim 2; u0: [N, N] float64 values of u at grid.points().
  ConformalSurfaceFlow(PeriodicGrid grid, at::Tensor u0, GridFlowOptions options = {});

  double time() const override { return t_; }
  void step(double dt) override;
  // probes: [P, 2] → g = e^{2u} I: [P, 2, 2] and R = −2e^{−2u}Δu: [P], u and Δu interpolated spectrally.
  FlowObservation observe(const at::Tensor& probes) const override;

  const PeriodicGrid& grid() const { return grid_; }
  const at::Tensor& u() const { return u_; }  // [N, N]
  // ∂_t u = e^{−2u}Δu: [N, N] for u: [N, N].
  at::Tensor velocity(const at::Tensor& u) const;
  at::Tensor scalar_curvature() const;  // [N, N] R = −2e^{−2u}Δu on the grid
  at::Tensor area_density() const;      // [N, N] √det g = e^{2u}
  double area() const;                  // ∫ e^{2u} d²x
  // RK4 limit for the current u: kRk4RealStabilityLimit / (max e^{−2u} · k_max²), k_max² = 2(πN/L)².
  double stable_step() const;

 private:
  PeriodicGrid grid_;
  at::Tensor u_;
  double t_ = 0.0;
  GridFlowOptions options_;
};

}  // namespace nmflow

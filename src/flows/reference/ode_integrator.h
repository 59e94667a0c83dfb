#pragma once
// Explicit Runge–Kutta integrators for the small ODE systems of the homogeneous Ricci flows (docs/design.md §4
// "RicciFlowReference"): classical RK4 with a fixed step, and Dormand–Prince 5(4) with adaptive steps.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace nmflow {

// dy/dt = f(t, y).
using OdeRhs = std::function<std::vector<double>(double t, const std::vector<double>& y)>;

// One classical RK4 step of size dt from (t, y); local error O(dt⁵).
std::vector<double> rk4_step(const OdeRhs& f, double t, const std::vector<double>& y, double dt);

// Dormand–Prince 5(4) with local extrapolation. The error estimate of each step is held to
//   sqrt(mean_i (err_i / (atol + rtol max(|y_i|, |y_i'|)))²) ≤ 1,
// i.e. a per-step relative error of rtol (defaults: 1e-12, a global error of ~1e-11 on smooth problems).
struct AdaptiveOdeOptions {
  double rtol = 1e-12;
  double atol = 1e-14;
  double initial_step = 1e-4;  // first trial step (shrunk at once if rejected)
  int64_t max_steps = 1000000; // accepted + rejected steps before giving up with an Error
};

struct OdeSolution {
  double t = 0.0;
  std::vector<double> y;
  int64_t accepted_steps = 0;
  int64_t rejected_steps = 0;
};

// Integrates from (t0, y0) to t1 > t0, landing exactly on t1. Throws nmflow::Error on a non-finite state or when
// max_steps is exceeded.
OdeSolution integrate_adaptive(const OdeRhs& f, double t0, const std::vector<double>& y0, double t1,
                               const AdaptiveOdeOptions& options = {});

// As above with no end time: integrates forward until stop(t, y) holds after an accepted step, and returns that
// step's end point (stop is not located more finely than one step).
OdeSolution integrate_adaptive_until(const OdeRhs& f, double t0, const std::vector<double>& y0,
                                     const std::function<bool(double, const std::vector<double>&)>& stop,
                                     const AdaptiveOdeOptions& options = {});

// The same RK4 step for a tensor state (the grid flows): y: any shape, f(y) of the same shape.
at::Tensor rk4_step(const std::function<at::Tensor(const at::Tensor&)>& f, const at::Tensor& y, double dt);

// Classical RK4 is stable for y' = −μy (μ > 0) when μ dt ≤ 2.7853 (the real-axis end of its stability region), so
// an explicit diffusion step must satisfy dt ≤ kRk4RealStabilityLimit / (largest decay rate).
inline constexpr double kRk4RealStabilityLimit = 2.7852935634;

// Number of equal substeps of size ≤ max_substep covering dt (≥ 1).
int64_t substep_count(double dt, double max_substep);

}  // namespace nmflow

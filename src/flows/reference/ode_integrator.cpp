#include "flows/reference/ode_integrator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace nmflow {

namespace {

// y + h Σ_s a_s k_s over the stages with a nonzero coefficient.
std::vector<double> combine(const std::vector<double>& y, double h, const std::vector<const std::vector<double>*>& k,
                            const std::vector<double>& a) {
  std::vector<double> out = y;
  for (size_t s = 0; s < k.size(); ++s) {
    if (a[s] == 0.0) {
      continue;
    }
    const std::vector<double>& ks = *k[s];
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] += h * a[s] * ks[i];
    }
  }
  return out;
}

bool all_finite(const std::vector<double>& y) {
  return std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); });
}

// Dormand & Prince (1980), RK5(4)7M: Butcher tableau, 5th-order weights (= last stage row, FSAL) and the
// difference of the 5th- and 4th-order weights for the error estimate.
constexpr double kC[7] = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
const std::vector<std::vector<double>> kA = {
    {},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
const std::vector<double> kE = {71.0 / 57600,      0.0,          -71.0 / 16695, 71.0 / 1920,
                                -17253.0 / 339200, 22.0 / 525,   -1.0 / 40};

OdeSolution integrate_impl(const OdeRhs& f, double t0, const std::vector<double>& y0, double t1, bool has_end,
                           const std::function<bool(double, const std::vector<double>&)>& stop,
                           const AdaptiveOdeOptions& options) {
  NMFLOW_CHECK(options.rtol > 0.0 && options.atol >= 0.0 && options.initial_step > 0.0,
               "integrate_adaptive: need rtol > 0, atol >= 0, initial_step > 0, got rtol = ", options.rtol,
               ", atol = ", options.atol, ", initial_step = ", options.initial_step);
  NMFLOW_CHECK(!has_end || t1 >= t0, "integrate_adaptive: t1 must be >= t0, got t0 = ", t0, ", t1 = ", t1);
  NMFLOW_CHECK(all_finite(y0), "integrate_adaptive: the initial state is not finite");
  OdeSolution sol{t0, y0, 0, 0};
  if (has_end && t1 == t0) {
    return sol;
  }
  double h = options.initial_step;
  std::vector<double> k1 = f(sol.t, sol.y);
  std::vector<std::vector<double>> k(7);
  while (true) {
    NMFLOW_CHECK(sol.accepted_steps + sol.rejected_steps < options.max_steps, "integrate_adaptive: more than ",
                 options.max_steps, " steps at t = ", sol.t, " (stiff or singular right-hand side?)");
    bool last = false;
    if (has_end && sol.t + h >= t1) {
      h = t1 - sol.t;
      last = true;
    }
    k[0] = k1;
    std::vector<const std::vector<double>*> stages;
    for (int s = 1; s < 7; ++s) {
      stages.push_back(&k[s - 1]);
      k[s] = f(sol.t + kC[s] * h, combine(sol.y, h, stages, kA[s]));
    }
    stages.push_back(&k[6]);
    const std::vector<double> y_new = combine(sol.y, h, {stages.begin(), stages.end() - 1}, kA[6]);
    const std::vector<double> err = combine(std::vector<double>(sol.y.size(), 0.0), h, stages, kE);
    double sum = 0.0;
    for (size_t i = 0; i < y_new.size(); ++i) {
      const double scale = options.atol + options.rtol * std::max(std::abs(sol.y[i]), std::abs(y_new[i]));
      const double r = err[i] / scale;
      sum += r * r;
    }
    const double norm = std::sqrt(sum / static_cast<double>(std::max<size_t>(1, y_new.size())));
    if (!std::isfinite(norm)) {
      ++sol.rejected_steps;
      h *= 0.2;
      continue;
    }
    const double factor = norm == 0.0 ? 5.0 : std::min(5.0, std::max(0.2, 0.9 * std::pow(norm, -0.2)));
    if (norm <= 1.0) {
      sol.t = last ? t1 : sol.t + h;
      sol.y = y_new;
      k1 = k[6];  // first-same-as-last
      ++sol.accepted_steps;
      if (last || (!has_end && stop(sol.t, sol.y))) {
        return sol;
      }
    } else {
      ++sol.rejected_steps;
    }
    h *= factor;
    NMFLOW_CHECK(h > std::abs(sol.t) * std::numeric_limits<double>::epsilon(),
                 "integrate_adaptive: step size underflow at t = ", sol.t);
  }
}

}  // namespace

std::vector<double> rk4_step(const OdeRhs& f, double t, const std::vector<double>& y, double dt) {
  const std::vector<double> k1 = f(t, y);
  const std::vector<double> k2 = f(t + 0.5 * dt, combine(y, dt, {&k1}, {0.5}));
  const std::vector<double> k3 = f(t + 0.5 * dt, combine(y, dt, {&k2}, {0.5}));
  const std::vector<double> k4 = f(t + dt, combine(y, dt, {&k3}, {1.0}));
  return combine(y, dt, {&k1, &k2, &k3, &k4}, {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6});
}

at::Tensor rk4_step(const std::function<at::Tensor(const at::Tensor&)>& f, const at::Tensor& y, double dt) {
  const at::Tensor k1 = f(y);
  const at::Tensor k2 = f(y + (0.5 * dt) * k1);
  const at::Tensor k3 = f(y + (0.5 * dt) * k2);
  const at::Tensor k4 = f(y + dt * k3);
  return y + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
}

int64_t substep_count(double dt, double max_substep) {
  NMFLOW_CHECK(dt > 0.0 && max_substep > 0.0, "substep_count: dt and max_substep must be > 0, got dt = ", dt,
               ", max_substep = ", max_substep);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(dt / max_substep * (1.0 - 1e-12))));
}

OdeSolution integrate_adaptive(const OdeRhs& f, double t0, const std::vector<double>& y0, double t1,
                               const AdaptiveOdeOptions& options) {
  return integrate_impl(f, t0, y0, t1, /*has_end=*/true, nullptr, options);
}

OdeSolution integrate_adaptive_until(const OdeRhs& f, double t0, const std::vector<double>& y0,
                                     const std::function<bool(double, const std::vector<double>&)>& stop,
                                     const AdaptiveOdeOptions& options) {
  NMFLOW_CHECK(stop != nullptr, "integrate_adaptive_until: a stop condition is required");
  return integrate_impl(f, t0, y0, 0.0, /*has_end=*/false, stop, options);
}

}  // namespace nmflow

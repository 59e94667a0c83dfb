#pragma once
// Samplers of points with weights on the reference manifolds (PointSet's weight convention, point_set.h).
// Deterministic: the same seed (or the same generator state) gives identical tensors. CPU, float64.
#include <ATen/core/Generator.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "geometry/manifolds/point_set.h"

namespace nmflow {

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  virtual int64_t dim() const = 0;
  virtual int64_t num_charts() const = 0;
  // count > 0 points drawn from `generator` (a CPU generator).
  virtual PointSet draw(int64_t count, at::Generator& generator) const = 0;
  // draw() from a fresh CPU generator seeded with `seed`.
  PointSet sample(int64_t count, uint64_t seed) const;
};

// T^n, x uniform in [0, 2π)^n, w = (2π)^n, chart 0.
std::unique_ptr<Sampler> make_torus_sampler(int64_t n);

// S^n uniform, mapped to the stereographic chart from the pole farther from the point, so |x| ≤ 1:
// chart 0 = projection from the north pole e_{n+1} (points with y_{n+1} ≤ 0), x = y'/(1 − y_{n+1});
// chart 1 = projection from the south pole (y_{n+1} > 0), x = y'/(1 + y_{n+1}).
// w = Vol(S^n_1) / √det ĝ(x) with ĝ = 4|dx|²/(1 + |x|²)², so mean(w √det ĝ) = Vol(S^n_1) exactly.
std::unique_ptr<Sampler> make_sphere_sampler(int64_t n);

// S^3 = SU(2) Haar-uniform, in the Euler-angle chart of left_invariant_su2.h; w = 16π² / sin β, so
// mean(w √det g) = 2π² √(ABC) exactly for g = Aσ₁² + Bσ₂² + Cσ₃².
std::unique_ptr<Sampler> make_s3_euler_sampler();

// The box [−h, h]^{n−1} × [y_min, y_max] of the upper half-space, y drawn with density ∝ y^{−n} (the hyperbolic
// volume), so w √det g = (2h)^{n−1} (y_min^{1−n} − y_max^{1−n})/(n − 1), the box's hyperbolic volume, at every point.
std::unique_ptr<Sampler> make_hyperbolic_box_sampler(int64_t n, double half_width, double y_min, double y_max);

// King–Rosenau S² at time t < 0 in its (x, θ) chart, drawn with density ∝ its area form, so w √det g = −8πt.
std::unique_ptr<Sampler> make_king_rosenau_sampler(double t);

// Independent factors: x = (x₁, x₂), w = w₁ w₂, chart = chart₁ · num_charts₂ + chart₂.
std::unique_ptr<Sampler> make_product_sampler(std::unique_ptr<Sampler> first, std::unique_ptr<Sampler> second);

// Vol(S^n) of the unit sphere: 2π^{(n+1)/2} / Γ((n+1)/2).
double unit_sphere_volume(int64_t n);

// Names accepted by make_sampler, with parameters (defaults in brackets):
//   torus [dim 2], sphere [dim 2], s3 (none), hyperbolic_box [dim 2, half_width 1, y_min 0.5, y_max 2],
//   sphere_torus [sphere_dim 2, torus_dim 1], king_rosenau [t −1].
std::unique_ptr<Sampler> make_sampler(const std::string& name, const std::map<std::string, double>& params);
std::vector<std::string> sampler_names();
// The sampler name for a reference metric name (make_reference_metric); throws for metrics with no sampler.
std::string sampler_name_for_metric(const std::string& metric_name);

}  // namespace nmflow

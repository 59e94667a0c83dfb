#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <utility>

#include "common/error.h"
#include "common/memory_budget.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/sampler.h"

namespace nmflow {

namespace {

const at::TensorOptions kReal = at::TensorOptions().dtype(at::kDouble);
const at::TensorOptions kIndex = at::TensorOptions().dtype(at::kLong);

class TorusSampler : public Sampler {
 public:
  explicit TorusSampler(int64_t n) : n_(n) { NMFLOW_CHECK(n >= 1, "torus sampler: dim must be >= 1, got ", n); }
  std::string name() const override { return "torus"; }
  int64_t dim() const override { return n_; }
  int64_t num_charts() const override { return 1; }
  PointSet draw(int64_t count, at::Generator& generator) const override {
    const at::Tensor x = 2.0 * M_PI * at::rand({count, n_}, generator, kReal);
    return PointSet{x, at::full({count}, std::pow(2.0 * M_PI, static_cast<double>(n_)), kReal),
                    at::zeros({count}, kIndex), "uniform_torus"};
  }

 private:
  int64_t n_;
};

class SphereSampler : public Sampler {
 public:
  explicit SphereSampler(int64_t n) : n_(n) { NMFLOW_CHECK(n >= 1, "sphere sampler: dim must be >= 1, got ", n); }
  std::string name() const override { return "sphere"; }
  int64_t dim() const override { return n_; }
  int64_t num_charts() const override { return 2; }
  PointSet draw(int64_t count, at::Generator& generator) const override {
    at::Tensor y = at::randn({count, n_ + 1}, generator, kReal);
    y = y / y.norm(2, /*dim=*/1, /*keepdim=*/true);
    const at::Tensor last = y.select(1, n_);
    // Projection from the farther pole: x = y' / (1 + |y_{n+1}|), so |x|² = (1 − |y_{n+1}|)/(1 + |y_{n+1}|) ≤ 1.
    const at::Tensor x = y.narrow(1, 0, n_) / (1.0 + last.abs()).unsqueeze(1);
    const at::Tensor chart = (last > 0.0).to(at::kLong);
    // √det ĝ = (2 / (1 + |x|²))^n for the unit round metric in either chart.
    const at::Tensor sqrt_det = at::pow(2.0 / (1.0 + (x * x).sum(1)), static_cast<double>(n_));
    return PointSet{x, unit_sphere_volume(n_) / sqrt_det, chart, "uniform_sphere"};
  }

 private:
  int64_t n_;
};

class S3EulerSampler : public Sampler {
 public:
  std::string name() const override { return "s3"; }
  int64_t dim() const override { return 3; }
  int64_t num_charts() const override { return 1; }
  PointSet draw(int64_t count, at::Generator& generator) const override {
    at::Tensor q = at::randn({count, 4}, generator, kReal);
    q = q / q.norm(2, /*dim=*/1, /*keepdim=*/true);
    const at::Tensor x = s3_euler_from_quaternion(q);
    // Haar density in the chart: √det ĝ / Vol = (sin β / 8) / (2π²).
    return PointSet{x, 16.0 * M_PI * M_PI / at::sin(x.select(1, 1)), at::zeros({count}, kIndex), "haar_s3"};
  }
};

class HyperbolicBoxSampler : public Sampler {
 public:
  HyperbolicBoxSampler(int64_t n, double half_width, double y_min, double y_max)
      : n_(n), half_width_(half_width), y_min_(y_min), y_max_(y_max) {
    NMFLOW_CHECK(n >= 2, "hyperbolic_box sampler: dim must be >= 2, got ", n);
    NMFLOW_CHECK(half_width > 0.0, "hyperbolic_box sampler: half_width must be > 0, got ", half_width);
    NMFLOW_CHECK(y_min > 0.0 && y_max > y_min, "hyperbolic_box sampler: need 0 < y_min < y_max, got y_min = ", y_min,
                 ", y_max = ", y_max);
  }
  std::string name() const override { return "hyperbolic_box"; }
  int64_t dim() const override { return n_; }
  int64_t num_charts() const override { return 1; }
  PointSet draw(int64_t count, at::Generator& generator) const override {
    const double e = 1.0 - static_cast<double>(n_);  // y^{1−n} is linear in the CDF of the density ∝ y^{−n}
    const at::Tensor horizontal = half_width_ * (2.0 * at::rand({count, n_ - 1}, generator, kReal) - 1.0);
    const at::Tensor v = at::rand({count}, generator, kReal);
    const double lo = std::pow(y_min_, e), hi = std::pow(y_max_, e);
    const at::Tensor y = at::pow(lo + v * (hi - lo), 1.0 / e);
    const double box_volume = std::pow(2.0 * half_width_, -e) * (lo - hi) / (-e);  // ∫ y^{−n} d^n x
    return PointSet{at::cat({horizontal, y.unsqueeze(1)}, 1), box_volume * at::pow(y, static_cast<double>(n_)),
                    at::zeros({count}, kIndex), "hyperbolic_volume_box"};
  }

 private:
  int64_t n_;
  double half_width_, y_min_, y_max_;
};

class KingRosenauSampler : public Sampler {
 public:
  explicit KingRosenauSampler(double t) : t_(t) {
    NMFLOW_CHECK(t < 0.0, "king_rosenau sampler: t must be < 0, got ", t);
  }
  std::string name() const override { return "king_rosenau"; }
  int64_t dim() const override { return 2; }
  int64_t num_charts() const override { return 1; }
  // Density ∝ 1/(cosh 2x + c), c = cosh 2t, s = sinh(−2t). With u = e^{2|x|} ≥ 1 the half-line CDF is
  // log ρ(u) linear, ρ(u) = (u + c − s)/(u + c + s), so ρ = ρ₁^{1−v} for v uniform and
  // u = (ρ(c + s) − (c − s))/(1 − ρ); ∫_R dx/(cosh 2x + c) = −2t/s.
  PointSet draw(int64_t count, at::Generator& generator) const override {
    const double c = std::cosh(2.0 * t_), s = std::sinh(-2.0 * t_);
    const double log_rho1 = std::log((1.0 + c - s) / (1.0 + c + s));
    const at::Tensor v = at::rand({count}, generator, kReal);
    const at::Tensor sign = 2.0 * (at::rand({count}, generator, kReal) < 0.5).to(at::kDouble) - 1.0;
    const at::Tensor theta = 2.0 * M_PI * at::rand({count}, generator, kReal);
    const at::Tensor a = (1.0 - v) * log_rho1;
    const at::Tensor u = (at::exp(a) * (c + s) - (c - s)) / (-at::expm1(a));
    const at::Tensor x = sign * 0.5 * at::log(u);
    const double normaliser = 2.0 * M_PI * (-2.0 * t_ / s);
    return PointSet{at::stack({x, theta}, 1), normaliser * (at::cosh(2.0 * x) + c), at::zeros({count}, kIndex),
                    "king_rosenau_area"};
  }

 private:
  double t_;
};

class ProductSampler : public Sampler {
 public:
  ProductSampler(std::unique_ptr<Sampler> first, std::unique_ptr<Sampler> second)
      : first_(std::move(first)), second_(std::move(second)) {
    NMFLOW_CHECK(first_ != nullptr && second_ != nullptr, "product sampler: both factors must be given");
  }
  std::string name() const override { return "product(" + first_->name() + "," + second_->name() + ")"; }
  int64_t dim() const override { return first_->dim() + second_->dim(); }
  int64_t num_charts() const override { return first_->num_charts() * second_->num_charts(); }
  PointSet draw(int64_t count, at::Generator& generator) const override {
    const PointSet a = first_->draw(count, generator);
    const PointSet b = second_->draw(count, generator);
    return PointSet{at::cat({a.x, b.x}, 1), a.weights * b.weights, a.chart * second_->num_charts() + b.chart,
                    "product(" + a.measure + "," + b.measure + ")"};
  }

 private:
  std::unique_ptr<Sampler> first_;
  std::unique_ptr<Sampler> second_;
};

}  // namespace

PointSet Sampler::sample(int64_t count, uint64_t seed) const {
  NMFLOW_CHECK(count > 0, name(), " sampler: count must be > 0, got ", count);
  // x [count, n], weights [count] (float64) and chart [count] (int64).
  check_memory_fits(name() + " sampler", static_cast<double>(count), 8.0 * static_cast<double>(dim() + 2), "points",
                    "; sample fewer points at a time");
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return draw(count, generator);
}

double unit_sphere_volume(int64_t n) {
  const double half = 0.5 * static_cast<double>(n + 1);
  return 2.0 * std::pow(M_PI, half) / std::tgamma(half);
}

std::unique_ptr<Sampler> make_torus_sampler(int64_t n) { return std::make_unique<TorusSampler>(n); }
std::unique_ptr<Sampler> make_sphere_sampler(int64_t n) { return std::make_unique<SphereSampler>(n); }
std::unique_ptr<Sampler> make_s3_euler_sampler() { return std::make_unique<S3EulerSampler>(); }
std::unique_ptr<Sampler> make_hyperbolic_box_sampler(int64_t n, double half_width, double y_min, double y_max) {
  return std::make_unique<HyperbolicBoxSampler>(n, half_width, y_min, y_max);
}
std::unique_ptr<Sampler> make_king_rosenau_sampler(double t) { return std::make_unique<KingRosenauSampler>(t); }
std::unique_ptr<Sampler> make_product_sampler(std::unique_ptr<Sampler> first, std::unique_ptr<Sampler> second) {
  return std::make_unique<ProductSampler>(std::move(first), std::move(second));
}

}  // namespace nmflow

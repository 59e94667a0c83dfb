#include "geometry/manifolds/flat_torus.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "common/error.h"

namespace nmflow {

namespace {

class FlatTorus : public ReferenceMetric {
 public:
  FlatTorus(const std::vector<double>& gram, int64_t n) : n_(n) {
    NMFLOW_CHECK(n >= 1, "flat_torus: dim must be >= 1, got ", n);
    NMFLOW_CHECK(static_cast<int64_t>(gram.size()) == n * n, "flat_torus: the constant metric needs ", n * n,
                 " entries, got ", gram.size());
    gram_ = at::tensor(gram, at::kDouble).view({n, n}).clone();
    NMFLOW_CHECK(at::allclose(gram_, gram_.t(), 0.0, 0.0), "flat_torus: the constant metric must be symmetric");
    const auto info = std::get<1>(at::linalg_cholesky_ex(gram_));
    NMFLOW_CHECK(info.item<int64_t>() == 0, "flat_torus: the constant metric must be positive definite");
  }

  std::string name() const override { return "flat_torus"; }
  int64_t dim() const override { return n_; }

  // x: [B, n] → g: [B, n, n], constant in x.
  at::Tensor metric(const at::Tensor& x) const override {
    NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n_, "flat_torus: x must be [B, ", n_, "], got ", x.sizes());
    return gram_.to(x.options()).expand({x.size(0), n_, n_}).contiguous();
  }

  MetricJet jet(const at::Tensor& x) const override {
    NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n_, "flat_torus: x must be [B, ", n_, "], got ", x.sizes());
    const at::TensorOptions options = x.options().dtype(at::kDouble);
    const int64_t b = x.size(0);
    return MetricJet{gram_.to(options).expand({b, n_, n_}).contiguous(), at::zeros({b, n_, n_, n_}, options),
                     at::zeros({b, n_, n_, n_, n_}, options)};
  }

 private:
  int64_t n_;
  at::Tensor gram_;  // [n, n]
};

}  // namespace

std::unique_ptr<ReferenceMetric> make_flat_torus(const std::vector<double>& gram, int64_t n) {
  return std::make_unique<FlatTorus>(gram, n);
}

}  // namespace nmflow

#include "geometry/manifolds/product_metric.h"

#include <ATen/ATen.h>

#include <utility>

#include "common/error.h"

namespace nmflow {

namespace {

class ProductMetric : public ReferenceMetric {
 public:
  ProductMetric(std::unique_ptr<ReferenceMetric> first, std::unique_ptr<ReferenceMetric> second)
      : first_(std::move(first)), second_(std::move(second)) {
    NMFLOW_CHECK(first_ != nullptr && second_ != nullptr, "product metric: both factors must be given");
  }

  std::string name() const override { return "product(" + first_->name() + "," + second_->name() + ")"; }
  int64_t dim() const override { return first_->dim() + second_->dim(); }

  // x: [B, n₁ + n₂] → g: [B, n, n] block-diagonal.
  at::Tensor metric(const at::Tensor& x) const override {
    check_points(x);
    const int64_t n1 = first_->dim();
    const at::Tensor g1 = first_->metric(x.narrow(1, 0, n1));
    const at::Tensor g2 = second_->metric(x.narrow(1, n1, second_->dim()));
    return block_diagonal(g1, g2);
  }

  MetricJet jet(const at::Tensor& x) const override {
    check_points(x);
    const int64_t n1 = first_->dim();
    const int64_t n2 = second_->dim();
    const MetricJet j1 = first_->jet(x.narrow(1, 0, n1));
    const MetricJet j2 = second_->jet(x.narrow(1, n1, n2));
    const int64_t b = x.size(0);
    const int64_t n = n1 + n2;
    const at::TensorOptions options = j1.g.options();
    at::Tensor dg = at::zeros({b, n, n, n}, options);
    dg.narrow(1, 0, n1).narrow(2, 0, n1).narrow(3, 0, n1).copy_(j1.dg);
    dg.narrow(1, n1, n2).narrow(2, n1, n2).narrow(3, n1, n2).copy_(j2.dg);
    at::Tensor d2g = at::zeros({b, n, n, n, n}, options);
    d2g.narrow(1, 0, n1).narrow(2, 0, n1).narrow(3, 0, n1).narrow(4, 0, n1).copy_(j1.d2g);
    d2g.narrow(1, n1, n2).narrow(2, n1, n2).narrow(3, n1, n2).narrow(4, n1, n2).copy_(j2.d2g);
    return MetricJet{block_diagonal(j1.g, j2.g), dg, d2g};
  }

 private:
  void check_points(const at::Tensor& x) const {
    NMFLOW_CHECK(x.dim() == 2 && x.size(1) == dim(), name(), ": x must be [B, ", dim(), "], got ", x.sizes());
  }

  // g1: [B, n₁, n₁], g2: [B, n₂, n₂] → [B, n₁ + n₂, n₁ + n₂] (differentiable: cat, not in-place copies).
  static at::Tensor block_diagonal(const at::Tensor& g1, const at::Tensor& g2) {
    const int64_t b = g1.size(0), n1 = g1.size(1), n2 = g2.size(1);
    const at::Tensor top = at::cat({g1, at::zeros({b, n1, n2}, g1.options())}, 2);
    const at::Tensor bottom = at::cat({at::zeros({b, n2, n1}, g2.options()), g2}, 2);
    return at::cat({top, bottom}, 1);
  }

  std::unique_ptr<ReferenceMetric> first_;
  std::unique_ptr<ReferenceMetric> second_;
};

}  // namespace

std::unique_ptr<ReferenceMetric> make_product_metric(std::unique_ptr<ReferenceMetric> first,
                                                     std::unique_ptr<ReferenceMetric> second) {
  return std::make_unique<ProductMetric>(std::move(first), std::move(second));
}

}  // namespace nmflow

#pragma once
// The one tolerance helper of the suite: symmetric relative error with NaN/Inf checked first.
#include <ATen/ATen.h>

#include <sstream>
#include <string>

namespace nmflow::test {

// max |a − b| / max(|a|, |b|, floor) over all elements; +inf if either side has a NaN or Inf or the shapes differ.
inline double max_relative_error(const at::Tensor& a, const at::Tensor& b, double floor = 1.0) {
  if (a.sizes() != b.sizes()) {
    return std::numeric_limits<double>::infinity();
  }
  const at::Tensor x = a.detach().to(at::kCPU, at::kDouble);
  const at::Tensor y = b.detach().to(at::kCPU, at::kDouble);
  if (!at::isfinite(x).all().item<bool>() || !at::isfinite(y).all().item<bool>()) {
    return std::numeric_limits<double>::infinity();
  }
  if (x.numel() == 0) {
    return 0.0;
  }
  const at::Tensor scale = at::maximum(at::maximum(x.abs(), y.abs()), at::full_like(x, floor));
  return ((x - y).abs() / scale).max().item<double>();
}

inline std::string describe_mismatch(const at::Tensor& a, const at::Tensor& b, double floor = 1.0) {
  std::ostringstream out;
  out << "max relative error " << max_relative_error(a, b, floor) << " (shapes " << a.sizes() << " vs "
      << b.sizes() << ")";
  return out.str();
}

}  // namespace nmflow::test

// CHECK_CLOSE(a, b, tol): every element agrees to tol relative (absolute below |x| = 1), NaN/Inf fail.
#define CHECK_CLOSE(a, b, tol)                                                \
  do {                                                                        \
    INFO(::nmflow::test::describe_mismatch((a), (b)));                        \
    CHECK(::nmflow::test::max_relative_error((a), (b)) <= (tol));             \
  } while (0)
#define REQUIRE_CLOSE(a, b, tol)                                              \
  do {                                                                        \
    INFO(::nmflow::test::describe_mismatch((a), (b)));                        \
    REQUIRE(::nmflow::test::max_relative_error((a), (b)) <= (tol));           \
  } while (0)

// Tests of the flow comparison measures (src/flows/flow_comparison.h) against closed forms.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "flows/flow_comparison.h"

using namespace nmflow;

namespace {

const at::TensorOptions kF64 = at::TensorOptions().dtype(at::kDouble);

}  // namespace

TEST_CASE("Relative metric deviation of s·g_ref is |s − 1| at every probe, in any chart", "[flows]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor a = at::randn({5, 3, 3}, generator, kF64);
  const at::Tensor g_ref = at::matmul(a, a.transpose(1, 2)) + at::eye(3, kF64);  // SPD, not diagonal
  const at::Tensor scale = at::tensor({1.0, 1.1, 0.7, 2.0, 1.0 - 1e-3}, kF64).view({5, 1, 1});
  const at::Tensor d = relative_metric_deviations(scale * g_ref, g_ref);
  const at::Tensor expected = (scale.flatten() - 1.0).abs();
  CHECK((d - expected).abs().max().item<double>() < 1e-13);
  CHECK(relative_metric_deviation(scale * g_ref, g_ref) == Approx(1.0).epsilon(1e-13));
}

TEST_CASE("Relative metric deviation of a diagonal change is the RMS of the relative eigenvalue changes", "[flows]") {
  const at::Tensor g_ref = at::diag(at::tensor({2.0, 3.0, 5.0}, kF64)).unsqueeze(0);
  const at::Tensor g = at::diag(at::tensor({2.2, 3.0, 4.0}, kF64)).unsqueeze(0);
  // (0.1² + 0 + 0.2²)/3 under the square root.
  CHECK(relative_metric_deviations(g, g_ref).item<double>() == Approx(std::sqrt(0.05 / 3.0)).epsilon(1e-14));
}

TEST_CASE("W2 between a weighted sample and one value is the weighted RMS of their difference", "[flows]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(7);
  const at::Tensor r = at::randn({200}, generator, kF64);
  const at::Tensor w = at::rand({200}, generator, kF64) + 0.1;
  const at::Tensor r_ref = at::full({30}, 0.4, kF64);
  const at::Tensor w_ref = at::rand({30}, generator, kF64) + 0.1;
  const double rms = std::sqrt(((r - 0.4).pow(2) * w).sum().item<double>() / w.sum().item<double>());
  CHECK(empirical_wasserstein2(r, w, r_ref, w_ref) == Approx(rms).epsilon(1e-12));
  CHECK(empirical_wasserstein2(r_ref, w_ref, r, w) == Approx(rms).epsilon(1e-12));
}

TEST_CASE("W2 of two equal-weight samples of equal size pairs the sorted values", "[flows]") {
  const at::Tensor a = at::tensor({3.0, -1.0, 2.0, 0.5}, kF64);
  const at::Tensor b = at::tensor({0.0, 1.0, 4.0, -2.0}, kF64);
  const at::Tensor w = at::ones({4}, kF64);
  // sorted: (-1, 0.5, 2, 3) against (-2, 0, 1, 4): differences 1, 0.5, 1, -1.
  CHECK(empirical_wasserstein2(a, w, b, 3.0 * w) == Approx(std::sqrt((1.0 + 0.25 + 1.0 + 1.0) / 4.0)).epsilon(1e-14));
  CHECK(empirical_wasserstein2(a, w, a.flip(0), w) == 0.0);
}

TEST_CASE("W2 of a shifted distribution is the shift, and of two unequal splits the quantile integral", "[flows]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor a = at::randn({50}, generator, kF64);
  const at::Tensor w = at::rand({50}, generator, kF64);
  CHECK(empirical_wasserstein2(a, w, a + 0.25, w) == Approx(0.25).epsilon(1e-12));
  // Mass (1/4, 3/4) at (0, 1) against (1/2, 1/2) at (0, 1): the quantiles differ by 1 on u ∈ (1/4, 1/2).
  const at::Tensor x = at::tensor({0.0, 1.0}, kF64);
  CHECK(empirical_wasserstein2(x, at::tensor({1.0, 3.0}, kF64), x, at::tensor({1.0, 1.0}, kF64)) ==
        Approx(0.5).epsilon(1e-14));
}

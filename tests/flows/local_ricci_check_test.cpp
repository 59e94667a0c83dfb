#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

#include "flows/flow_comparison.h"
#include "flows/local_ricci_check.h"
#include "support/tolerance.h"

using nmflow::FrequencyDistribution;
using nmflow::LocalRicciOptions;
using nmflow::LocalRicciResult;

TEST_CASE("relative metric deviation is the invariant RMS of g_ref⁻¹g − I", "[flows]") {
  const at::Tensor e = at::tensor({1.0, 0.4, 0.0, 0.2, 1.1, 0.3, 0.0, -0.5, 0.9}, at::kDouble).view({1, 3, 3});
  const at::Tensor lambda = at::diag(at::tensor({1.0, 2.0, 0.5}, at::kDouble)).unsqueeze(0);
  const at::Tensor g_ref = at::matmul(e.transpose(1, 2), at::matmul(lambda, e));
  // Frame components scaled by (1.1, 1, 0.7): deviation √((0.1² + 0 + 0.3²)/3) whatever E and λ are.
  const at::Tensor g = at::matmul(
      e.transpose(1, 2), at::matmul(at::diag(at::tensor({1.1, 2.0, 0.35}, at::kDouble)).unsqueeze(0), e));
  CHECK(nmflow::relative_metric_deviation(g, g_ref) == Approx(std::sqrt((0.01 + 0.09) / 3.0)).epsilon(1e-12));
  CHECK(nmflow::relative_metric_deviation(2.0 * g_ref, g_ref) == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("the local weight Ω of the Gaussian embedding kernel is 2π² e^{−κ} I₁(κ)/κ, κ = σ²/4", "[flows]") {
  for (const double sigma : {0.5, 2.0, 4.0, 8.0}) {
    const double kappa = sigma * sigma / 4.0;
    const double expected = 2.0 * M_PI * M_PI * std::exp(-kappa) * std::cyl_bessel_i(1.0, kappa) / kappa;
    CHECK(nmflow::local_kernel_omega(FrequencyDistribution::Gaussian, sigma) == Approx(expected).epsilon(1e-10));
  }
  // Large bandwidth: the flat-space limit ½ (8π/σ²)^{3/2}, with O(1/σ²) curvature corrections.
  const double sigma = 40.0;
  CHECK(nmflow::local_kernel_omega(FrequencyDistribution::Gaussian, sigma) ==
        Approx(0.5 * std::pow(8.0 * M_PI / (sigma * sigma), 1.5)).epsilon(3.0 / (sigma * sigma)));
}

namespace {

// Small tensors: run with one thread (the pool's spin-waits dominate otherwise), restoring the count afterwards.
struct OneThread {
  int saved = at::get_num_threads();
  OneThread() { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(saved); }
};

LocalRicciOptions quick_options(double b0, nmflow::MetricHeadKind head, int64_t features) {
  LocalRicciOptions o;
  o.b0 = b0;
  o.head = head;
  o.features = features;
  o.bandwidth = 2.0;
  o.points = 256;
  o.learning_rate = 4e-3;
  o.final_time = 0.04;
  o.probes = 8;
  o.observations = 2;
  o.seed = 0;
  return o;
}

}  // namespace

TEST_CASE("NN flow of the frame-output local model approaches Ricci flow on round and Berger S³ as width grows",
          "[flows]") {
  OneThread one_thread;
  for (const double b0 : {1.0, 0.5}) {
    const LocalRicciResult narrow =
        nmflow::run_local_ricci_case(quick_options(b0, nmflow::MetricHeadKind::FrameExponential, 64));
    const LocalRicciResult wide =
        nmflow::run_local_ricci_case(quick_options(b0, nmflow::MetricHeadKind::FrameExponential, 1024));
    std::printf("B0 = %.1f: deviation %.3e (N = 64) -> %.3e (N = 1024); drift %.3f, non-local %.3f\n", b0,
                narrow.max_deviation, wide.max_deviation, wide.ntk_drift, wide.nonlocal_mass);
    CHECK(wide.max_deviation < 0.02);
    CHECK(wide.max_deviation < 0.6 * narrow.max_deviation);
    // The K = g g kernel follows g: Θ ∝ g g shrinks with the metric, drift ≈ 1 − (g(T)/g(0))² ≈ 0.3 on the round
    // sphere at T = 0.04 (g(T) = 0.84 g(0)).
    CHECK(wide.ntk_drift == Approx(1.0 - 0.84 * 0.84).margin(0.1));
  }
}

TEST_CASE("the flat component kernel does not reproduce Ricci flow on the Berger sphere", "[flows]") {
  OneThread one_thread;
  const LocalRicciResult frame =
      nmflow::run_local_ricci_case(quick_options(0.5, nmflow::MetricHeadKind::FrameExponential, 1024));
  const LocalRicciResult flat =
      nmflow::run_local_ricci_case(quick_options(0.5, nmflow::MetricHeadKind::Symmetric, 1024));
  std::printf("Berger: frame_exp deviation %.3e, flat component kernel %.3e\n", frame.max_deviation,
              flat.max_deviation);
  CHECK(flat.max_deviation > 0.1);
  CHECK(flat.max_deviation > 10.0 * frame.max_deviation);
}

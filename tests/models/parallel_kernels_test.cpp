// nmflow's own CPU kernels split their points over LibTorch's threads with at::parallel_for (OpenMP); each point
// (line, tile of NTK entries) is computed by one thread with the same arithmetic whatever the split, so two threads
// must reproduce one thread's results bit for bit — only the trunk's weight gradients, summed per thread group in a
// fixed order, may differ by rounding.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <functional>
#include <vector>

#include "geometry/curvature/fused_curvature.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/polynomial_roots.h"
#include "models/activation_jet.h"
#include "models/neural_metric.h"
#include "models/weighted_gather.h"
#include "ntk/empirical_ntk.h"
#include "ntk/structured_ntk.h"
#include "support/random_metric.h"
#include "support/tolerance.h"

namespace {

// Runs f at one and at two threads (restoring the count) and returns both results.
std::vector<std::vector<at::Tensor>> at_one_and_two_threads(const std::function<std::vector<at::Tensor>()>& f) {
  const int saved = at::get_num_threads();
  std::vector<std::vector<at::Tensor>> results;
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);
    results.push_back(f());
  }
  at::set_num_threads(saved);
  return results;
}

void check_equal(const std::vector<std::vector<at::Tensor>>& r) {
  REQUIRE(r[0].size() == r[1].size());
  for (size_t k = 0; k < r[0].size(); ++k) {
    INFO("output " << k);
    CHECK(at::equal(r[0][k], r[1][k]));
  }
}

}  // namespace

TEST_CASE("Two threads reproduce one thread: metric jet, curvature, NTK, activation jet, gather, roots",
          "[models][threads]") {
  const nmflow::NeuralMetric metric =
      nmflow::test::random_metric(nmflow::MetricHeadKind::Symmetric, 3, {64, 64, 64}, nmflow::Activation::Tanh,
                                  nmflow::Parameterisation::Ntk, 5);
  at::manual_seed(6);
  const at::Tensor x = at::randn({1500, 3}, at::kDouble);  // several trunk tiles and parallel grains

  SECTION("metric 2-jet values, and its parameter gradient to rounding") {
    const auto r = at_one_and_two_threads([&] {
      const nmflow::MetricJet jet = metric.jet(x);
      const at::Tensor loss = jet.d2g.pow(2).sum() + jet.dg.pow(2).sum() + jet.g.pow(2).sum();
      std::vector<at::Tensor> out{jet.g.detach(), jet.dg.detach(), jet.d2g.detach()};
      for (const at::Tensor& grad : torch::autograd::grad({loss}, metric.parameters())) out.push_back(grad);
      return out;
    });
    for (size_t k = 0; k < 3; ++k) CHECK(at::equal(r[0][k], r[1][k]));
    for (size_t k = 3; k < r[0].size(); ++k) CHECK_CLOSE(r[0][k], r[1][k], 1e-12);
  }
  SECTION("fused curvature of that jet") {
    const at::NoGradGuard no_grad;
    const nmflow::MetricJet jet = metric.jet(x);
    check_equal(at_one_and_two_threads([&] {
      const nmflow::FusedCurvature c = nmflow::fused_curvature(jet);
      return std::vector<at::Tensor>{c.ricci, c.scalar, c.ricci_norm_squared};
    }));
  }
  SECTION("fused metric-NTK") {
    const at::Tensor probes = x.narrow(0, 0, 96);
    check_equal(at_one_and_two_threads([&] {
      return std::vector<at::Tensor>{nmflow::empirical_metric_ntk(metric, probes, probes, nmflow::NtkMethod::Fused)};
    }));
  }
  SECTION("the structured NTK's layer factors (the fused NTK's GEMMs) at many points") {
    // 1500 points: δ's GEMMs have 9000 rows, where MKL's Intel code paths (ctest runs this with MKL_CBWR set)
    // split the work by thread count and round some rows differently; nmflow's tile GEMM does not.
    check_equal(at_one_and_two_threads([&] {
      const nmflow::StructuredLayerFactors f = nmflow::structured_layer_factors(metric, x);
      std::vector<at::Tensor> out = f.inputs;
      out.insert(out.end(), f.deltas.begin(), f.deltas.end());
      return out;
    }));
  }
  SECTION("activation jet and weighted gather") {
    const nmflow::ActivationJetLayout& layout = nmflow::real_jet2_layout(3);
    const at::Tensor t = at::randn({700, layout.rows, 64}, at::kDouble);
    const at::Tensor bias = at::randn({64}, at::kDouble);
    const at::Tensor src = at::randn({700, 40}, at::kDouble);
    const at::Tensor index = at::tensor({3, 0, 39, 3, 17}, at::kLong);
    const at::Tensor weight = at::randn({5}, at::kDouble);
    check_equal(at_one_and_two_threads([&] {
      return std::vector<at::Tensor>{nmflow::activation_jet(nmflow::Activation::Gelu, t, bias, layout),
                                     nmflow::weighted_gather(src, index, weight)};
    }));
  }
  SECTION("line-intersection roots and residuals") {
    const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
    const at::Tensor a = at::randn({1003, 5}, at::kComplexDouble);
    const at::Tensor b = at::randn({1003, 5}, at::kComplexDouble);
    check_equal(at_one_and_two_threads([&] {
      const nmflow::LineRoots roots =
          nmflow::line_intersection_roots(a, b, quintic.exponents(), quintic.coefficients(), 5);
      return std::vector<at::Tensor>{roots.t, roots.residual, roots.converged};
    }));
  }
}

// The fused tile kernel (ntk/fused_ntk.h) against the three other empirical metric-NTK methods.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <vector>

#include "common/error.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"
#include "ntk/fused_ntk.h"
#include "ntk/structured_ntk.h"
#include "support/random_metric.h"
#include "support/tolerance.h"

using nmflow::Activation;
using nmflow::MetricHeadKind;
using nmflow::NeuralMetric;
using nmflow::NtkMethod;
using nmflow::Parameterisation;

using nmflow::test::random_metric;

TEST_CASE("The fused kernel equals the Jacobian contraction, NTK-vector products and structured methods to 1e-10",
          "[ntk]") {
  at::manual_seed(31);
  struct Case {
    MetricHeadKind head;
    Activation activation;
    Parameterisation parameterisation;
    int64_t n;
  };
  const std::vector<Case> cases{
      {MetricHeadKind::Symmetric, Activation::Tanh, Parameterisation::Ntk, 3},
      {MetricHeadKind::Symmetric, Activation::Erf, Parameterisation::Standard, 2},
      {MetricHeadKind::Symmetric, Activation::Relu, Parameterisation::Ntk, 4},
      {MetricHeadKind::FreeSpd, Activation::Sin, Parameterisation::Standard, 2},
      {MetricHeadKind::FreeSpd, Activation::Cos, Parameterisation::Ntk, 3},
      {MetricHeadKind::FrameExponential, Activation::Gelu, Parameterisation::Standard, 3},
      {MetricHeadKind::Conformal, Activation::Softplus, Parameterisation::Ntk, 2},
  };
  for (const Case& c : cases) {
    // Widths 7 and 5 (not multiples of the 4×8 register block) and 5 / 3 points: every block has padding.
    const NeuralMetric model = random_metric(c.head, c.n, {7, 5}, c.activation, c.parameterisation, 6);
    const at::Tensor x = at::randn({5, c.n}, at::kDouble);
    const at::Tensor x2 = at::randn({3, c.n}, at::kDouble);
    INFO("head " << nmflow::metric_head_name(c.head) << ", activation " << nmflow::activation_name(c.activation)
                 << ", " << nmflow::parameterisation_name(c.parameterisation) << ", n = " << c.n);
    const at::Tensor reference = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::JacobianContraction);
    const at::Tensor fused = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::Fused);
    CHECK(reference.abs().max().item<double>() > 1e-2);  // a non-trivial kernel
    CHECK_CLOSE(fused, reference, 1e-10);
    CHECK_CLOSE(fused, nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::NtkVectorProducts), 1e-10);
    CHECK_CLOSE(fused, nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::Structured), 1e-10);
    // Θ(x, x): the symmetric path (only tiles on and above the diagonal) against the reference.
    CHECK_CLOSE(nmflow::fused_metric_ntk(model, x, x),
                nmflow::empirical_metric_ntk(model, x, x, NtkMethod::JacobianContraction), 1e-10);
  }
}

TEST_CASE("The fused kernel over many tiles equals the structured method, with and without the symmetric shortcut",
          "[ntk]") {
  at::manual_seed(32);
  // n = 3 (p = 6): 41 points = 246 rows = 3 row tiles of 96 (last one partial), 37 points = 222 columns; width 70
  // (not a multiple of anything the kernel blocks by) and three hidden layers.
  const NeuralMetric model =
      random_metric(MetricHeadKind::Symmetric, 3, {70, 33, 70}, Activation::Tanh, Parameterisation::Ntk, 2);
  const at::Tensor x = at::randn({41, 3}, at::kDouble);
  const at::Tensor x2 = at::randn({37, 3}, at::kDouble);
  const at::Tensor structured = nmflow::structured_metric_ntk(model, x, x2);
  CHECK_CLOSE(nmflow::fused_metric_ntk(model, x, x2), structured, 1e-12);
  CHECK_CLOSE(nmflow::fused_metric_ntk(model, x2, x), structured.t(), 1e-12);

  const at::Tensor structured_xx = nmflow::structured_metric_ntk(model, x, x);
  const at::Tensor symmetric = nmflow::fused_metric_ntk(model, x, x);      // same tensor: half the tiles, mirrored
  const at::Tensor full = nmflow::fused_metric_ntk(model, x, x.clone());   // distinct tensor: every tile computed
  CHECK_CLOSE(symmetric, structured_xx, 1e-12);
  CHECK_CLOSE(full, structured_xx, 1e-12);
  CHECK(at::equal(symmetric, symmetric.t()));
}

TEST_CASE("The fused kernel in float32 matches the float64 kernel to float32 accuracy", "[ntk]") {
  at::manual_seed(33);
  const NeuralMetric model64 =
      random_metric(MetricHeadKind::Symmetric, 3, {24, 24}, Activation::Tanh, Parameterisation::Ntk, 9);
  const NeuralMetric model32 = random_metric(MetricHeadKind::Symmetric, 3, {24, 24}, Activation::Tanh,
                                          Parameterisation::Ntk, 9, at::kFloat);
  const at::Tensor x = at::randn({20, 3}, at::kDouble);
  const at::Tensor x2 = at::randn({17, 3}, at::kDouble);
  const at::Tensor theta32 = nmflow::fused_metric_ntk(model32, x.to(at::kFloat), x2.to(at::kFloat));
  REQUIRE(theta32.scalar_type() == at::kFloat);
  CHECK_CLOSE(theta32, nmflow::fused_metric_ntk(model64, x, x2), 2e-5);
}

TEST_CASE("The fused method is parsed, named, the default, and rejects bad points", "[ntk]") {
  CHECK(nmflow::parse_ntk_method("fused") == NtkMethod::Fused);
  CHECK(nmflow::ntk_method_name(NtkMethod::Fused) == "fused");
  CHECK(nmflow::kDefaultNtkMethod == NtkMethod::Fused);
  const NeuralMetric model = random_metric(MetricHeadKind::Symmetric, 2, {4}, Activation::Tanh, Parameterisation::Ntk, 1);
  CHECK_THROWS_AS(nmflow::fused_metric_ntk(model, at::randn({3, 3}, at::kDouble), at::randn({2, 2}, at::kDouble)),
                  nmflow::Error);
  CHECK_THROWS_AS(nmflow::fused_metric_ntk(model, at::randn({3, 2}, at::kFloat), at::randn({2, 2}, at::kFloat)),
                  nmflow::Error);
  const at::Tensor empty =
      nmflow::fused_metric_ntk(model, at::randn({0, 2}, at::kDouble), at::randn({2, 2}, at::kDouble));
  CHECK(empty.sizes() == at::IntArrayRef({0, 6}));
}

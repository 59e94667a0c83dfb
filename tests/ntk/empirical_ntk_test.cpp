#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <vector>

#include "common/error.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"
#include "ntk/structured_ntk.h"
#include "support/random_metric.h"
#include "support/tolerance.h"

using nmflow::MetricHeadKind;
using nmflow::NeuralMetric;
using nmflow::NtkMethod;

using nmflow::test::random_metric;

TEST_CASE("Jacobian contraction, NTK-vector products and the structured method give the same metric-NTK",
          "[ntk]") {
  at::manual_seed(11);
  struct Case {
    MetricHeadKind head;
    nmflow::Activation activation;
    nmflow::Parameterisation parameterisation;
    int64_t n;
  };
  const std::vector<Case> cases{
      {MetricHeadKind::Symmetric, nmflow::Activation::Tanh, nmflow::Parameterisation::Ntk, 2},
      {MetricHeadKind::Symmetric, nmflow::Activation::Erf, nmflow::Parameterisation::Standard, 3},
      {MetricHeadKind::Symmetric, nmflow::Activation::Relu, nmflow::Parameterisation::Ntk, 2},
      {MetricHeadKind::FreeSpd, nmflow::Activation::Sin, nmflow::Parameterisation::Ntk, 2},
      {MetricHeadKind::FrameExponential, nmflow::Activation::Gelu, nmflow::Parameterisation::Standard, 3},
      {MetricHeadKind::Conformal, nmflow::Activation::Softplus, nmflow::Parameterisation::Ntk, 2},
  };
  for (const Case& c : cases) {
    const NeuralMetric model = random_metric(c.head, c.n, {7, 5}, c.activation, c.parameterisation, 3);
    const at::Tensor x = at::randn({4, c.n}, at::kDouble);
    const at::Tensor x2 = at::randn({3, c.n}, at::kDouble);
    const int64_t p = c.n * (c.n + 1) / 2;
    const at::Tensor reference = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::JacobianContraction);
    const at::Tensor products = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::NtkVectorProducts);
    const at::Tensor structured = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::Structured);
    INFO("head " << nmflow::metric_head_name(c.head) << ", activation " << nmflow::activation_name(c.activation)
                 << ", " << nmflow::parameterisation_name(c.parameterisation));
    REQUIRE(reference.sizes() == at::IntArrayRef({4 * p, 3 * p}));
    CHECK(reference.abs().max().item<double>() > 1e-2);  // a non-trivial kernel
    CHECK_CLOSE(products, reference, 1e-10);
    CHECK_CLOSE(structured, reference, 1e-10);
    // Symmetry under (x, P) ↔ (x', Q).
    CHECK_CLOSE(nmflow::empirical_metric_ntk(model, x2, x, NtkMethod::Structured).t(), reference, 1e-10);
  }
}

TEST_CASE("An affine trunk with the symmetric head has Θ = (s_w² x·x' + s_b²) T_PQ, T = 1 on diagonal components "
          "and 1/2 off them",
          "[ntk]") {
  // No hidden layer: f = s_w W x + s_b b, so Σ_θ ∂f_o/∂θ ∂f_o'/∂θ = δ_oo' (s_w² x·x' + s_b²) exactly, and
  // g_ij = w_ij f_p with w = 1, 1/√2 gives the factor T — a check of the layout, the sum convention (no mean)
  // and the head weights that does not go through any of the three methods' own algebra.
  at::manual_seed(5);
  const int64_t n = 3;
  for (auto parameterisation : {nmflow::Parameterisation::Ntk, nmflow::Parameterisation::Standard}) {
    const NeuralMetric model = random_metric(MetricHeadKind::Symmetric, n, {}, nmflow::Activation::Tanh,
                                          parameterisation, 8);
    const double sw2 = parameterisation == nmflow::Parameterisation::Ntk ? 1.3 * 1.3 / n : 1.0;
    const double sb2 = parameterisation == nmflow::Parameterisation::Ntk ? 0.4 * 0.4 : 1.0;
    const at::Tensor x = at::randn({3, n}, at::kDouble);
    const at::Tensor x2 = at::randn({2, n}, at::kDouble);
    const at::Tensor scalar = sw2 * at::matmul(x, x2.t()) + sb2;
    const at::Tensor t = at::diag(at::tensor({1.0, 0.5, 0.5, 1.0, 0.5, 1.0}, at::kDouble));
    const at::Tensor expected = at::kron(scalar, t);
    INFO(nmflow::parameterisation_name(parameterisation));
    for (NtkMethod method : {NtkMethod::JacobianContraction, NtkMethod::NtkVectorProducts, NtkMethod::Structured}) {
      INFO("method " << nmflow::ntk_method_name(method));
      CHECK_CLOSE(nmflow::empirical_metric_ntk(model, x, x2, method), expected, 1e-12);
    }
  }
}

TEST_CASE("ntk_vector_product equals the Jacobian-contraction kernel times v", "[ntk]") {
  at::manual_seed(9);
  const NeuralMetric model = random_metric(MetricHeadKind::FreeSpd, 3, {6, 6}, nmflow::Activation::Tanh,
                                        nmflow::Parameterisation::Ntk, 4);
  const at::Tensor x = at::randn({5, 3}, at::kDouble);
  const at::Tensor x2 = at::randn({4, 3}, at::kDouble);
  const at::Tensor v = at::randn({4 * 6}, at::kDouble);
  const at::Tensor theta = nmflow::empirical_metric_ntk(model, x, x2, NtkMethod::JacobianContraction);
  CHECK_CLOSE(nmflow::ntk_vector_product(model, x, x2, v), at::matmul(theta, v), 1e-10);
  CHECK_THROWS_AS(nmflow::ntk_vector_product(model, x, x2, at::randn({5}, at::kDouble)), nmflow::Error);
}

TEST_CASE("Jacobian rows are the parameter gradients of each packed metric component", "[ntk]") {
  at::manual_seed(2);
  const NeuralMetric model = random_metric(MetricHeadKind::Symmetric, 2, {4}, nmflow::Activation::Tanh,
                                        nmflow::Parameterisation::Ntk, 1);
  const at::Tensor x = at::randn({2, 2}, at::kDouble);
  const at::Tensor j = nmflow::metric_parameter_jacobian(model, x);
  // Row b·p + P = 1·3 + 1 is g_01(x_1); its gradient through an independent path (metric()[1][0][1]).
  const at::Tensor g01 = model.metric(x)[1][0][1];
  std::vector<at::Tensor> grads = torch::autograd::grad({g01}, model.parameters());
  std::vector<at::Tensor> flat;
  for (const at::Tensor& grad : grads) flat.push_back(grad.reshape({-1}));
  CHECK_CLOSE(j[3 + 1], at::cat(flat), 1e-14);
  CHECK(nmflow::parse_ntk_method("structured") == NtkMethod::Structured);
  CHECK_THROWS_AS(nmflow::parse_ntk_method("jjt"), nmflow::Error);
}

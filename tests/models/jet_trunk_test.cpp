// The fused jet trunk (src/models/jet_trunk.*) against the layer-by-layer path (at::matmul + activation_jet, itself
// checked against the ATen reference in activation_jet_test.cpp and against nested autograd through whole networks
// in mlp_jet_test.cpp / kahler_phi_model_test.cpp): outputs, parameter and input gradients, a create_graph
// backward, several tiles and several threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "models/jet_trunk.h"
#include "models/mlp.h"
#include "support/tolerance.h"

using nmflow::Activation;
using nmflow::ActivationJetLayout;
using nmflow::Mlp;

namespace {

Mlp network(int64_t inputs, std::vector<int64_t> hidden, int64_t outputs, Activation activation,
            nmflow::Parameterisation parameterisation, at::ScalarType dtype = at::kDouble) {
  nmflow::MlpConfig config;
  config.input_dim = inputs;
  config.hidden = std::move(hidden);
  config.output_dim = outputs;
  config.activation = activation;
  config.parameterisation = parameterisation;
  config.sigma_w = 1.3;
  config.sigma_b = 0.4;
  config.seed = 5;
  config.dtype = dtype;
  return Mlp(config);
}

// Parameter (and input) gradients of Σ out ⊙ upstream.
std::vector<at::Tensor> gradients(const at::Tensor& out, const at::Tensor& upstream, std::vector<at::Tensor> wrt,
                                  bool create_graph = false) {
  return torch::autograd::grad({(out * upstream).sum()}, wrt, {}, /*retain_graph=*/true, create_graph,
                               /*allow_unused=*/true);
}

// Restores the thread count when a test changes it.
struct ThreadCount {
  int saved = at::get_num_threads();
  ~ThreadCount() { at::set_num_threads(saved); }
};

}  // namespace

TEST_CASE("fused trunk = layered trunk: values and gradients, real and Kähler layouts, many tiles",
          "[jet_trunk]") {
  struct Case {
    const ActivationJetLayout* layout;
    int64_t inputs;
    int64_t batch;
    int64_t outputs;
  };
  // 700 points of a 16-row jet through width 40: several tiles (a tile is ~1 MB of the widest jet) and a partial one.
  // 7 outputs: the output GEMM runs on 12 padded columns (gemm_output_columns), 2 outputs unpadded.
  const std::vector<Case> cases{{&nmflow::real_jet2_layout(3), 3, 300, 7}, {&nmflow::kahler_jet_layout(3), 7, 700, 2}};
  for (const Case& c : cases) {
    // All six smooth activations: the fused trunk evaluates σ … σ''' in activation_sigma_cpu, the layered one
    // through activation_derivatives' ATen expressions — two independent codings of the same formulas.
    for (const Activation activation : {Activation::Tanh, Activation::Gelu, Activation::Softplus, Activation::Erf,
                                        Activation::Sin, Activation::Cos}) {
      for (const auto parameterisation : {nmflow::Parameterisation::Standard, nmflow::Parameterisation::Ntk}) {
        INFO("rows " << c.layout->rows << ", " << nmflow::activation_name(activation));
        const Mlp mlp = network(c.inputs, {40, 40, 40}, c.outputs, activation, parameterisation);
        at::manual_seed(11);
        const at::Tensor x0 = at::randn({c.batch, c.layout->rows, c.inputs}, at::kDouble);
        const at::Tensor upstream = at::randn({c.batch, c.layout->rows, c.outputs}, at::kDouble);
        std::vector<std::vector<at::Tensor>> grads;
        std::vector<at::Tensor> outs;
        for (const bool fused : {true, false}) {
          const at::Tensor x = x0.clone().requires_grad_(true);
          const at::Tensor out = fused ? nmflow::mlp_jet_trunk(mlp, x, *c.layout)
                                       : nmflow::mlp_jet_trunk_layered(mlp, x, *c.layout);
          std::vector<at::Tensor> wrt = mlp.parameters();
          wrt.push_back(x);
          grads.push_back(gradients(out, upstream, wrt));
          outs.push_back(out.detach());
        }
        CHECK_CLOSE(outs[0], outs[1], 1e-13);
        REQUIRE(grads[0].size() == grads[1].size());
        for (size_t k = 0; k < grads[0].size(); ++k) {
          INFO("gradient " << k);
          REQUIRE(grads[0][k].defined());
          // Relative to the gradient's largest entry: a weight gradient sums 700 points × 16 rows with
          // cancellation, so its small entries carry the rounding of the large ones (the fused and the layered
          // sums run in different orders; measured ≤ 7e-15 of the largest entry, 1.4e-12 of a unit-size one).
          const double scale = grads[1][k].abs().max().item<double>();
          INFO(::nmflow::test::describe_mismatch(grads[0][k], grads[1][k]) << ", scale " << scale);
          CHECK(::nmflow::test::max_relative_error(grads[0][k], grads[1][k], std::max(1.0, scale)) <= 1e-13);
        }
      }
    }
  }
}

TEST_CASE("fused trunk without a graph (evaluation) gives the same values", "[jet_trunk]") {
  const ActivationJetLayout& layout = nmflow::kahler_jet_layout(2);
  const Mlp mlp = network(5, {16, 16}, 1, Activation::Softplus, nmflow::Parameterisation::Ntk);
  const at::Tensor x = at::randn({50, layout.rows, 5}, at::kDouble);
  const at::Tensor with_graph = nmflow::mlp_jet_trunk(mlp, x, layout).detach();
  const at::NoGradGuard no_grad;
  CHECK(at::equal(nmflow::mlp_jet_trunk(mlp, x, layout), with_graph));
}

TEST_CASE("fused trunk: a create_graph backward is exact (second derivatives in the inputs and parameters)",
          "[jet_trunk]") {
  const ActivationJetLayout& layout = nmflow::real_jet2_layout(2);
  const Mlp mlp = network(2, {12, 12}, 1, Activation::Tanh, nmflow::Parameterisation::Standard);
  at::manual_seed(2);
  const at::Tensor x0 = at::randn({20, layout.rows, 2}, at::kDouble);
  const at::Tensor upstream = at::randn({20, layout.rows, 1}, at::kDouble);
  std::vector<std::vector<at::Tensor>> second;
  for (const bool fused : {true, false}) {
    const at::Tensor x = x0.clone().requires_grad_(true);
    const at::Tensor out =
        fused ? nmflow::mlp_jet_trunk(mlp, x, layout) : nmflow::mlp_jet_trunk_layered(mlp, x, layout);
    const at::Tensor gx = gradients(out, upstream, {x}, /*create_graph=*/true)[0];
    REQUIRE(gx.requires_grad());
    std::vector<at::Tensor> wrt = mlp.parameters();
    wrt.push_back(x);
    second.push_back(gradients(gx, at::ones_like(gx), wrt));
  }
  for (size_t k = 0; k < second[0].size(); ++k) {
    INFO("second derivative " << k);
    // The output bias does not reach ∂out/∂x: undefined on both sides.
    REQUIRE(second[0][k].defined() == second[1][k].defined());
    if (second[0][k].defined()) CHECK_CLOSE(second[0][k], second[1][k], 1e-12);
  }
  CHECK_FALSE(second[0][second[0].size() - 2].defined());
  CHECK(second[0].back().abs().max().item<double>() > 1e-3);  // not vacuous
}

TEST_CASE("fused trunk with two threads: same values, gradients to rounding", "[jet_trunk]") {
  const ThreadCount restore;
  const ActivationJetLayout& layout = nmflow::kahler_jet_layout(3);
  const Mlp mlp = network(7, {64, 64}, 1, Activation::Gelu, nmflow::Parameterisation::Ntk);
  // 900 points: 8 tiles of 128 on either thread count; 300 points: 3 tiles on one thread, rebalanced to 4 of 75 on
  // two (shape_of), so the tiles themselves differ.
  for (const int64_t batch : {900, 300}) {
    INFO("batch " << batch);
    at::manual_seed(4);
    const at::Tensor x = at::randn({batch, layout.rows, 7}, at::kDouble);
    const at::Tensor upstream = at::randn({batch, layout.rows, 1}, at::kDouble);
    std::vector<std::vector<at::Tensor>> grads;
    std::vector<at::Tensor> outs;
    for (const int threads : {1, 2}) {
      at::set_num_threads(threads);
      const at::Tensor out = nmflow::mlp_jet_trunk(mlp, x, layout);
      grads.push_back(gradients(out, upstream, mlp.parameters()));
      outs.push_back(out.detach());
    }
    CHECK(at::equal(outs[0], outs[1]));  // each point's rows see the same arithmetic whatever the tiling
    for (size_t k = 0; k < grads[0].size(); ++k) CHECK_CLOSE(grads[0][k], grads[1][k], 1e-12);
  }
}

TEST_CASE("fused trunk: float32, and bad inputs named", "[jet_trunk]") {
  const ActivationJetLayout& layout = nmflow::real_jet2_layout(3);
  const Mlp mlp32 = network(3, {16}, 2, Activation::Erf, nmflow::Parameterisation::Standard, at::kFloat);
  const at::Tensor x = at::randn({30, layout.rows, 3}, at::kFloat);
  CHECK_CLOSE(nmflow::mlp_jet_trunk(mlp32, x, layout), nmflow::mlp_jet_trunk_layered(mlp32, x, layout), 1e-5);
  CHECK_THROWS_WITH(nmflow::mlp_jet_trunk(mlp32, x.to(at::kDouble), layout), Catch::Contains("dtype"));
  CHECK_THROWS_WITH(nmflow::mlp_jet_trunk(mlp32, at::zeros({30, layout.rows + 1, 3}, at::kFloat), layout),
                    Catch::Contains("input_jet must be [B, 10, 3]"));
  const Mlp relu = network(3, {8}, 1, Activation::Relu, nmflow::Parameterisation::Standard);
  CHECK_THROWS_WITH(nmflow::mlp_jet_trunk(relu, at::zeros({2, layout.rows, 3}, at::kDouble), layout),
                    Catch::Contains("no second derivative"));
}

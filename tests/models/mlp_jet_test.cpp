#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "models/mlp.h"
#include "models/mlp_jet.h"
#include "models/multi_index.h"
#include "support/tolerance.h"

using nmflow::Activation;
using nmflow::Mlp;
using nmflow::MlpConfig;
using nmflow::Parameterisation;

namespace {

const std::vector<Activation> kSmooth{Activation::Tanh, Activation::Gelu, Activation::Softplus,
                                      Activation::Erf,  Activation::Sin,  Activation::Cos};

Mlp random_mlp(int64_t n, int64_t outputs, Activation activation, Parameterisation parameterisation, uint64_t seed) {
  MlpConfig config;
  config.input_dim = n;
  config.hidden = {7, 6};
  config.output_dim = outputs;
  config.activation = activation;
  config.parameterisation = parameterisation;
  config.sigma_w = 1.4;  // large enough that the activations are used well outside their linear range
  config.sigma_b = 0.5;
  config.seed = seed;
  return Mlp(config);
}

// ∂/∂x of Σ_b y[b], i.e. row b is ∂y[b]/∂x[b] for a pointwise y; always differentiable again.
at::Tensor batch_gradient(const at::Tensor& y, const at::Tensor& x) {
  if (!y.requires_grad()) {
    return at::zeros_like(x);
  }
  const auto grads = torch::autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                           /*allow_unused=*/true);
  return grads[0].defined() ? grads[0] : at::zeros_like(x);
}

// Nested reverse-mode derivatives of y: [B] w.r.t. x: [B, n] up to `order`: result[k−1] is [B, n, …, n] (k n's).
std::vector<at::Tensor> nested_derivatives(const at::Tensor& y, const at::Tensor& x, int64_t order) {
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  std::vector<at::Tensor> result;
  std::vector<at::Tensor> current{y};  // every derivative of the current order, row-major in (a1, …, ak)
  std::vector<int64_t> shape{batch};
  for (int64_t k = 1; k <= order; ++k) {
    std::vector<at::Tensor> next;
    for (const at::Tensor& t : current) {
      const at::Tensor g = batch_gradient(t, x);
      for (int64_t a = 0; a < n; ++a) {
        next.push_back(g.select(1, a));
      }
    }
    shape.push_back(n);
    result.push_back(at::stack(next, 1).view(shape));
    current = next;
  }
  return result;
}

struct NestedJet2 {
  at::Tensor value;  // [B, O]
  at::Tensor grad;   // [B, O, n]
  at::Tensor hess;   // [B, O, n, n]
};

NestedJet2 nested_jet2(const Mlp& mlp, const at::Tensor& x0) {
  const at::Tensor x = x0.detach().requires_grad_(true);
  const at::Tensor f = mlp.forward(x);
  std::vector<at::Tensor> grads;
  std::vector<at::Tensor> hessians;
  for (int64_t o = 0; o < f.size(1); ++o) {
    const auto d = nested_derivatives(f.select(1, o), x, 2);
    grads.push_back(d[0]);
    hessians.push_back(d[1]);
  }
  return NestedJet2{f, at::stack(grads, 1), at::stack(hessians, 1)};
}

std::string describe(Activation activation, Parameterisation parameterisation, int64_t n) {
  return nmflow::activation_name(activation) + "/" + nmflow::parameterisation_name(parameterisation) +
         " n=" + std::to_string(n);
}

}  // namespace

TEST_CASE("Packed multi-index tables count C(n+k-1,k) rows and Faà di Bruno terms sum to Stirling numbers",
          "[models]") {
  const nmflow::MultiIndexTable& table = nmflow::multi_index_table(4, 4);
  CHECK(table.count(1) == 4);
  CHECK(table.count(2) == 10);
  CHECK(table.count(3) == 20);
  CHECK(table.count(4) == 35);
  CHECK(table.row({2, 0, 1}) == table.row({0, 1, 2}));
  // Σ of coefficients of the m-block terms of one order-k row = S(k, m): the number of set partitions.
  const double stirling[5][5] = {{0}, {0, 1}, {0, 1, 1}, {0, 1, 3, 1}, {0, 1, 7, 6, 1}};
  for (const auto& terms : table.product_terms()) {
    std::vector<double> sum(static_cast<size_t>(table.rows()), 0.0);
    for (size_t t = 0; t < terms.target.size(); ++t) {
      sum[static_cast<size_t>(terms.target[t])] += terms.coefficient[t];
    }
    for (int64_t r = 0; r < table.rows(); ++r) {
      const size_t k = table.index(r).size();
      INFO("row " << r << " order " << k << " blocks " << terms.blocks);
      CHECK(sum[static_cast<size_t>(r)] == stirling[k][terms.blocks]);
    }
  }
}

TEST_CASE("MLP 2-jet equals nested autograd for every activation, parameterisation and n = 2, 3, 4", "[models]") {
  at::manual_seed(3);
  uint64_t seed = 100;
  for (Activation activation : kSmooth) {
    for (Parameterisation parameterisation : {Parameterisation::Standard, Parameterisation::Ntk}) {
      for (int64_t n : {2, 3, 4}) {
        INFO(describe(activation, parameterisation, n));
        const Mlp mlp = random_mlp(n, 3, activation, parameterisation, ++seed);
        const at::Tensor x = at::randn({5, n}, at::kDouble);
        const nmflow::MlpJet2 jet = nmflow::mlp_jet2(mlp, x);
        const NestedJet2 reference = nested_jet2(mlp, x);
        CHECK_CLOSE(jet.value, reference.value, 1e-12);
        CHECK_CLOSE(jet.grad, reference.grad, 1e-10);
        CHECK_CLOSE(jet.hess, reference.hess, 1e-10);
      }
    }
  }
}

TEST_CASE("Relu MLP has a 1-jet equal to autograd and refuses order 2 with a clear error", "[models]") {
  at::manual_seed(4);
  for (Parameterisation parameterisation : {Parameterisation::Standard, Parameterisation::Ntk}) {
    const Mlp mlp = random_mlp(3, 2, Activation::Relu, parameterisation, 7);
    const at::Tensor x = at::randn({6, 3}, at::kDouble);
    const nmflow::MlpTaylorJet jet = nmflow::mlp_taylor_jet(mlp, x, 1);
    const NestedJet2 reference = nested_jet2(mlp, x);
    CHECK_CLOSE(jet.value, reference.value, 1e-12);
    CHECK_CLOSE(nmflow::full_derivative(jet, 1), reference.grad, 1e-12);
    try {
      nmflow::mlp_jet2(mlp, x);
      FAIL("relu order-2 jet did not throw");
    } catch (const nmflow::Error& e) {
      CHECK(std::string(e.what()).find("relu'' is a delta") != std::string::npos);
    }
  }
}

TEST_CASE("Parameter gradients of a loss on the MLP 2-jet equal those through nested autograd", "[models]") {
  at::manual_seed(5);
  for (Activation activation : kSmooth) {
    for (Parameterisation parameterisation : {Parameterisation::Standard, Parameterisation::Ntk}) {
      INFO(describe(activation, parameterisation, 3));
      const Mlp mlp = random_mlp(3, 2, activation, parameterisation, 40);
      const at::Tensor x = at::randn({4, 3}, at::kDouble);
      const auto loss_of = [](const at::Tensor& value, const at::Tensor& grad, const at::Tensor& hess) {
        return hess.pow(2).sum() + 0.5 * (grad * value.unsqueeze(-1)).sum();
      };
      const nmflow::MlpJet2 jet = nmflow::mlp_jet2(mlp, x);
      const NestedJet2 reference = nested_jet2(mlp, x);
      const auto g_jet = torch::autograd::grad({loss_of(jet.value, jet.grad, jet.hess)}, mlp.parameters());
      const auto g_ref =
          torch::autograd::grad({loss_of(reference.value, reference.grad, reference.hess)}, mlp.parameters());
      for (size_t i = 0; i < g_jet.size(); ++i) {
        INFO("parameter " << i);
        CHECK_CLOSE(g_jet[i], g_ref[i], 1e-10);
      }
    }
  }
}

TEST_CASE("Scalar MLP 4-jet equals nested autograd to order 4 for every smooth activation", "[models]") {
  at::manual_seed(6);
  uint64_t seed = 200;
  for (Activation activation : kSmooth) {
    for (int64_t n : {2, 3}) {
      const Parameterisation parameterisation = n == 2 ? Parameterisation::Ntk : Parameterisation::Standard;
      INFO(describe(activation, parameterisation, n));
      const Mlp mlp = random_mlp(n, 1, activation, parameterisation, ++seed);
      const at::Tensor x0 = at::randn({4, n}, at::kDouble);
      const nmflow::ScalarJet4 jet = nmflow::mlp_scalar_jet4(mlp, x0);
      const at::Tensor x = x0.detach().requires_grad_(true);
      const at::Tensor y = mlp.forward(x).select(1, 0);
      const auto reference = nested_derivatives(y, x, 4);
      CHECK_CLOSE(jet.value, y, 1e-12);
      CHECK_CLOSE(jet.d1, reference[0], 1e-10);
      CHECK_CLOSE(jet.d2, reference[1], 1e-10);
      CHECK_CLOSE(jet.d3, reference[2], 1e-10);
      CHECK_CLOSE(jet.d4, reference[3], 1e-10);
    }
  }
}

TEST_CASE("Scalar 4-jet at n = 4 and the parameter gradient of a loss on 4th partials match nested autograd",
          "[models]") {
  at::manual_seed(8);
  const Mlp mlp = random_mlp(4, 1, Activation::Gelu, Parameterisation::Ntk, 300);
  const at::Tensor x0 = at::randn({3, 4}, at::kDouble);
  const nmflow::ScalarJet4 jet = nmflow::mlp_scalar_jet4(mlp, x0);
  const at::Tensor x = x0.detach().requires_grad_(true);
  const auto reference = nested_derivatives(mlp.forward(x).select(1, 0), x, 4);
  CHECK_CLOSE(jet.d3, reference[2], 1e-10);
  CHECK_CLOSE(jet.d4, reference[3], 1e-10);
  // The output bias does not reach any derivative: allow_unused, and require it unused on both paths.
  const auto g_jet = torch::autograd::grad({jet.d4.pow(2).sum() + jet.d2.pow(2).sum()}, mlp.parameters(), {},
                                           std::nullopt, false, /*allow_unused=*/true);
  const auto g_ref = torch::autograd::grad({reference[3].pow(2).sum() + reference[1].pow(2).sum()},
                                           mlp.parameters(), {}, std::nullopt, false, /*allow_unused=*/true);
  for (size_t i = 0; i < g_jet.size(); ++i) {
    INFO("parameter " << i);
    REQUIRE(g_jet[i].defined() == g_ref[i].defined());
    CHECK(g_jet[i].defined() == (i + 1 < g_jet.size()));
    if (g_jet[i].defined()) {
      CHECK_CLOSE(g_jet[i], g_ref[i], 1e-10);
    }
  }
}

// The fused second-order activation jet (src/models/activation_jet.*) against its ATen reference: forward, the fused
// backward against autograd of the reference, and a create_graph backward (second derivatives through the op).
// The reference itself is checked against nested autograd through whole networks in mlp_jet_test.cpp and
// kahler_phi_model_test.cpp, which now run on the fused op.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "models/activation_jet.h"
#include "models/multi_index.h"
#include "support/tolerance.h"

using nmflow::Activation;
using nmflow::ActivationJetLayout;

namespace {

const std::vector<Activation> kSmooth{Activation::Tanh, Activation::Gelu, Activation::Softplus,
                                      Activation::Erf,  Activation::Sin,  Activation::Cos};

struct NamedLayout {
  std::string name;
  const ActivationJetLayout* layout;
};

std::vector<NamedLayout> layouts() {
  return {{"real n=1", &nmflow::real_jet2_layout(1)}, {"real n=3", &nmflow::real_jet2_layout(3)},
          {"real n=6", &nmflow::real_jet2_layout(6)}, {"kahler m=1", &nmflow::kahler_jet_layout(1)},
          {"kahler m=3", &nmflow::kahler_jet_layout(3)}};
}

// Pre-activations well outside the activations' linear range, and a bias.
std::pair<at::Tensor, at::Tensor> random_inputs(const ActivationJetLayout& layout, int64_t batch, int64_t width,
                                                at::ScalarType dtype) {
  at::manual_seed(7);
  return {(1.5 * at::randn({batch, layout.rows, width}, at::kDouble)).to(dtype),
          (0.7 * at::randn({width}, at::kDouble)).to(dtype)};
}

}  // namespace

TEST_CASE("layouts: real 2-jet rows and products follow the multi-index table; Kähler rows split ∂z conj(∂z)",
          "[activation_jet]") {
  const ActivationJetLayout& real = nmflow::real_jet2_layout(3);
  CHECK(real.rows == 1 + 3 + 6);
  REQUIRE(real.terms.size() == 6);  // one product ∂_a z ∂_b z per a ≤ b
  const nmflow::MultiIndexTable& table = nmflow::multi_index_table(3, 2);
  for (const auto& term : real.terms) {
    const std::vector<int64_t>& target = table.index(term.target - 1);
    CHECK(target == std::vector<int64_t>{table.index(term.left - 1)[0], table.index(term.right - 1)[0]});
    CHECK(term.coefficient == 1.0);
  }
  const ActivationJetLayout& kahler = nmflow::kahler_jet_layout(3);
  CHECK(kahler.rows == 1 + 6 + 9);
  CHECK(kahler.terms.size() == 2 * 9);
}

TEST_CASE("fused forward equals the ATen reference for every smooth activation and layout", "[activation_jet]") {
  for (const NamedLayout& named : layouts()) {
    for (const Activation activation : kSmooth) {
      INFO(named.name << ", " << nmflow::activation_name(activation));
      const auto [t, bias] = random_inputs(*named.layout, 37, 13, at::kDouble);
      const at::NoGradGuard no_grad;
      CHECK_CLOSE(nmflow::activation_jet(activation, t, bias, *named.layout),
                  nmflow::activation_jet_reference(activation, t, bias, *named.layout), 1e-14);
      CHECK_CLOSE(nmflow::activation_jet(activation, t, at::Tensor(), *named.layout),
                  nmflow::activation_jet_reference(activation, t, at::Tensor(), *named.layout), 1e-14);
    }
  }
}

TEST_CASE("fused backward equals autograd of the reference (gradients in t and bias)", "[activation_jet]") {
  for (const NamedLayout& named : layouts()) {
    for (const Activation activation : kSmooth) {
      INFO(named.name << ", " << nmflow::activation_name(activation));
      auto [t0, b0] = random_inputs(*named.layout, 29, 11, at::kDouble);
      const at::Tensor upstream = at::randn({29, named.layout->rows, 11}, at::kDouble);
      const auto grads_of = [&](bool fused) {
        const at::Tensor t = t0.clone().requires_grad_(true);
        const at::Tensor bias = b0.clone().requires_grad_(true);
        const at::Tensor out = fused ? nmflow::activation_jet(activation, t, bias, *named.layout)
                                     : nmflow::activation_jet_reference(activation, t, bias, *named.layout);
        return torch::autograd::grad({(out * upstream).sum()}, {t, bias});
      };
      const auto fused = grads_of(true);
      const auto reference = grads_of(false);
      CHECK_CLOSE(fused[0], reference[0], 1e-13);
      CHECK_CLOSE(fused[1], reference[1], 1e-13);
    }
  }
}

TEST_CASE("a create_graph backward through the fused op gives exact second derivatives", "[activation_jet]") {
  const ActivationJetLayout& layout = nmflow::kahler_jet_layout(2);
  for (const Activation activation : {Activation::Tanh, Activation::Gelu}) {
    INFO(nmflow::activation_name(activation));
    auto [t0, b0] = random_inputs(layout, 9, 5, at::kDouble);
    const at::Tensor upstream = at::randn({9, layout.rows, 5}, at::kDouble);
    const at::Tensor direction = at::randn({9, layout.rows, 5}, at::kDouble);
    const auto second_of = [&](bool fused) {
      const at::Tensor t = t0.clone().requires_grad_(true);
      const at::Tensor bias = b0.clone().requires_grad_(true);
      const at::Tensor out = fused ? nmflow::activation_jet(activation, t, bias, layout)
                                   : nmflow::activation_jet_reference(activation, t, bias, layout);
      const auto first = torch::autograd::grad({(out * upstream).sum()}, {t, bias}, {}, true, /*create_graph=*/true);
      REQUIRE(first[0].requires_grad());
      return torch::autograd::grad({(first[0] * direction).sum() + first[1].sum()}, {t, bias});
    };
    const auto fused = second_of(true);
    const auto reference = second_of(false);
    CHECK_CLOSE(fused[0], reference[0], 1e-13);
    CHECK_CLOSE(fused[1], reference[1], 1e-13);
    CHECK(fused[0].abs().max().item<double>() > 1e-3);  // the check is not vacuous
  }
}

TEST_CASE("float32 runs the same formulas", "[activation_jet]") {
  const ActivationJetLayout& layout = nmflow::real_jet2_layout(4);
  auto [t, bias] = random_inputs(layout, 17, 9, at::kFloat);
  const at::Tensor fused = nmflow::activation_jet(Activation::Softplus, t, bias, layout);
  CHECK(fused.scalar_type() == at::kFloat);
  CHECK_CLOSE(fused, nmflow::activation_jet_reference(Activation::Softplus, t.to(at::kDouble),
                                                      bias.to(at::kDouble), layout), 1e-5);
}

TEST_CASE("bad inputs name the expected shape", "[activation_jet]") {
  const ActivationJetLayout& layout = nmflow::real_jet2_layout(2);
  const at::Tensor t = at::zeros({3, layout.rows + 1, 4}, at::kDouble);
  CHECK_THROWS_WITH(nmflow::activation_jet(Activation::Tanh, t, at::Tensor(), layout),
                    Catch::Contains("t must be [B, 6, W]"));
  const at::Tensor good = at::zeros({3, layout.rows, 4}, at::kDouble);
  CHECK_THROWS_WITH(nmflow::activation_jet(Activation::Tanh, good, at::zeros({5}, at::kDouble), layout),
                    Catch::Contains("bias must be [4]"));
  CHECK_THROWS_WITH(nmflow::activation_jet(Activation::Relu, good, at::Tensor(), layout),
                    Catch::Contains("no second derivative"));
  CHECK_THROWS_AS(nmflow::real_jet2_layout(0), nmflow::Error);
}

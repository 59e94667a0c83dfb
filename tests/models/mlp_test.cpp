#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "models/metric_heads.h"
#include "models/mlp.h"
#include "support/tolerance.h"

using nmflow::Mlp;
using nmflow::MlpConfig;

namespace {

MlpConfig small_config(nmflow::Parameterisation parameterisation, uint64_t seed) {
  MlpConfig config;
  config.input_dim = 3;
  config.hidden = {8, 7};
  config.output_dim = 2;
  config.activation = nmflow::Activation::Tanh;
  config.parameterisation = parameterisation;
  config.sigma_w = 1.3;
  config.sigma_b = 0.4;
  config.seed = seed;
  return config;
}

// Message of the nmflow::Error thrown by f, or "" if none was thrown.
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const nmflow::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Standard and NTK parameterisations are the same function at initialisation", "[models]") {
  const Mlp standard(small_config(nmflow::Parameterisation::Standard, 5));
  const Mlp ntk(small_config(nmflow::Parameterisation::Ntk, 5));
  at::manual_seed(1);
  const at::Tensor x = at::randn({9, 3}, at::kDouble);
  CHECK_CLOSE(standard.forward(x), ntk.forward(x), 1e-14);
  // NTK stores N(0,1) weights and scales by σ_w/√n_in at use; standard stores the scaled weights.
  CHECK(ntk.layers()[1].weight_scale == Approx(1.3 / std::sqrt(8.0)).epsilon(1e-15));
  CHECK(ntk.layers()[1].bias_scale == 0.4);
  CHECK(standard.layers()[1].weight_scale == 1.0);
  CHECK_CLOSE(standard.layers()[1].weight, ntk.layers()[1].weight * (1.3 / std::sqrt(8.0)), 1e-15);
}

TEST_CASE("Mlp initialisation is deterministic in the seed and float32 matches float64", "[models]") {
  const Mlp a(small_config(nmflow::Parameterisation::Ntk, 11));
  const Mlp b(small_config(nmflow::Parameterisation::Ntk, 11));
  const Mlp c(small_config(nmflow::Parameterisation::Ntk, 12));
  REQUIRE(a.parameters().size() == 6);
  for (size_t i = 0; i < a.parameters().size(); ++i) {
    CHECK(a.parameters()[i].requires_grad());
    CHECK(at::equal(a.parameters()[i], b.parameters()[i]));
    CHECK_FALSE(at::equal(a.parameters()[i], c.parameters()[i]));
  }
  MlpConfig single = small_config(nmflow::Parameterisation::Ntk, 11);
  single.dtype = at::kFloat;
  const Mlp f32(single);
  CHECK(f32.parameters()[0].scalar_type() == at::kFloat);
  at::manual_seed(2);
  const at::Tensor x = at::randn({9, 3}, at::kDouble);
  CHECK_CLOSE(f32.forward(x.to(at::kFloat)).to(at::kDouble), a.forward(x), 1e-5);
}

TEST_CASE("Bad model configurations throw nmflow::Error naming the allowed values", "[models]") {
  CHECK(error_message([] { nmflow::parse_activation("swish"); }).find("tanh, gelu, softplus, erf, sin, cos, relu") !=
        std::string::npos);
  CHECK(error_message([] { nmflow::parse_parameterisation("mup"); }).find("standard, ntk") != std::string::npos);
  CHECK(error_message([] { nmflow::parse_metric_head("cholesky"); })
            .find("conformal, symmetric, free_spd, frame_exp") != std::string::npos);
  MlpConfig zero_width = small_config(nmflow::Parameterisation::Ntk, 0);
  zero_width.hidden = {8, 0};
  CHECK(error_message([&] { Mlp{zero_width}; }).find("hidden width 1 must be ≥ 1, got 0") != std::string::npos);
  MlpConfig no_input = small_config(nmflow::Parameterisation::Ntk, 0);
  no_input.input_dim = 0;
  CHECK_THROWS_AS(Mlp{no_input}, nmflow::Error);
  MlpConfig half = small_config(nmflow::Parameterisation::Ntk, 0);
  half.dtype = at::kHalf;
  CHECK(error_message([&] { Mlp{half}; }).find("float64 or float32") != std::string::npos);
  const Mlp mlp(small_config(nmflow::Parameterisation::Ntk, 0));
  CHECK(error_message([&] { mlp.forward(at::zeros({4, 2}, at::kDouble)); }).find("[B, 3]") != std::string::npos);
}

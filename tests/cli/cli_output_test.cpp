// Files written by the nmflow CLI (CTest fixtures cli_sample_writes, cli_curvature_writes,
// cli_sample_quintic_writes; paths in the environment) open with Hdf5File and hold consistent data.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

#include "io/hdf5_file.h"
#include "support/tolerance.h"

namespace {

std::string fixture_path(const char* variable) {
  const char* path = std::getenv(variable);
  INFO(variable << " is set by CTest (tests/cli/CMakeLists.txt); run this binary through ctest");
  REQUIRE(path != nullptr);
  return path;
}

}  // namespace

TEST_CASE("nmflow sample writes S^3 points whose weights integrate the round volume 2π²", "[cli]") {
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(fixture_path("NMFLOW_CLI_SAMPLE_FILE"));
  const at::Tensor x = file.read_tensor("x");
  const at::Tensor weights = file.read_tensor("weights");
  const at::Tensor chart = file.read_tensor("chart");
  REQUIRE(x.sizes() == at::IntArrayRef({1000, 3}));
  REQUIRE(x.scalar_type() == at::kDouble);
  REQUIRE(weights.sizes() == at::IntArrayRef({1000}));
  REQUIRE(chart.scalar_type() == at::kLong);
  CHECK(file.read_string_attribute("/", "measure") == "uniform_sphere");
  CHECK(file.read_string_attribute("/", "manifold") == "sphere");
  CHECK(file.read_int_attribute("/", "dim") == 3);
  CHECK(file.read_int_attribute("/", "seed") == 1);
  CHECK(file.read_string_attribute("/", "config").find("manifold: sphere") != std::string::npos);
  CHECK(file.read_string_attribute("/", "command_line").find("sample --manifold sphere") != std::string::npos);
  // Two stereographic charts, each used from the farther pole: |x| ≤ 1.
  CHECK(((chart == 0) | (chart == 1)).all().item<bool>());
  CHECK(x.norm(2, 1).max().item<double>() <= 1.0 + 1e-12);
  // mean(w √det ĝ) with ĝ = 4|dx|²/(1 + |x|²)² is Vol(S^3) = 2π² at every sample, hence exactly.
  const at::Tensor sqrt_det = at::pow(2.0 / (1.0 + (x * x).sum(1)), 3);
  const double volume = (weights * sqrt_det).mean().item<double>();
  CHECK(std::abs(volume - 2.0 * M_PI * M_PI) <= 1e-12 * 2.0 * M_PI * M_PI);
}

TEST_CASE("nmflow curvature writes Ric = 2g and R = 6 for the unit round S^3", "[cli]") {
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(fixture_path("NMFLOW_CLI_CURVATURE_FILE"));
  const at::Tensor g = file.read_tensor("g");
  const at::Tensor ricci = file.read_tensor("ricci");
  const at::Tensor scalar = file.read_tensor("scalar");
  REQUIRE(g.sizes() == at::IntArrayRef({256, 3, 3}));
  REQUIRE(file.read_tensor("x").sizes() == at::IntArrayRef({256, 3}));
  CHECK_CLOSE(ricci, 2.0 * g, 1e-10);
  CHECK_CLOSE(scalar, at::full({256}, 6.0, at::kDouble), 1e-10);
  CHECK_CLOSE(file.read_tensor("ricci_norm_squared"), at::full({256}, 12.0, at::kDouble), 1e-10);  // 4·tr(δ)
  CHECK(file.read_tensor("einstein_deviation").max().item<double>() <= 1e-10);
  CHECK(std::abs(file.read_double_attribute("/", "einstein_lambda") - 2.0) <= 1e-10);
  CHECK(file.read_string_attribute("/", "metric") == "round_sphere");
  CHECK(file.read_int_attribute("/", "seed") == 2);
}

TEST_CASE("nmflow sample --hypersurface writes quintic points with Vol_CY = mean(w) and patch coordinate 1",
          "[cli]") {
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(fixture_path("NMFLOW_CLI_QUINTIC_FILE"));
  const at::Tensor z = file.read_tensor("z");
  REQUIRE(z.scalar_type() == at::kComplexDouble);
  REQUIRE(z.sizes() == at::IntArrayRef({2000, 5}));
  const at::Tensor patch = file.read_tensor("patch");
  const at::Tensor z_patch = z.gather(1, patch.unsqueeze(1)).squeeze(1);
  CHECK(at::equal(z_patch, at::ones({2000}, at::kComplexDouble)));
  // The Fermat quintic: Σ z_I⁵ = 0 at every point (scale-free residual).
  const at::Tensor residual = at::pow(z, 5).sum(1).abs() / at::pow(z.abs().pow(2).sum(1), 2.5);
  CHECK(residual.max().item<double>() <= 1e-10);
  const at::Tensor weights = file.read_tensor("weights");
  CHECK(std::abs(weights.mean().item<double>() - file.read_double_attribute("/", "vol_cy")) <=
        1e-12 * weights.mean().item<double>());
  // w = |Ω|²/det g_FS, as stored.
  CHECK_CLOSE(weights, file.read_tensor("omega_sq") / file.read_tensor("det_g_fs"), 1e-12);
  CHECK(file.read_tensor("g_fs").sizes() == at::IntArrayRef({2000, 3, 3}));
  const at::Tensor exponents = file.read_tensor("polynomial/exponents");  // [M, N+1]
  CHECK(exponents.size(1) == 5);
  CHECK((exponents.sum(1) == 5).all().item<bool>());
  CHECK(file.read_tensor("polynomial/coefficients").sizes() == at::IntArrayRef({exponents.size(0)}));
  CHECK(file.read_int_attribute("/", "degree") == 5);
}

// Tests of kind ricci_flow (src/experiments/ricci_flow_experiment.h, docs/ricci_flow_reference.md §5): the recorded
// reference trajectories against closed forms written out here (not the runner's own), at every record time.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/ricci_flow_experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

// Runs the configuration `text` (YAML) into `path` and returns the opened run file.
Hdf5File run_config(const std::string& text, const std::string& path, RicciFlowSummary* summary = nullptr) {
  const ExperimentConfig config = load_config(text, "test.yaml").config;
  ExperimentRunOptions options;
  options.output = path;
  options.config_text = text;
  const RicciFlowSummary s = run_ricci_flow_experiment(config, options);
  if (summary != nullptr) *summary = s;
  return Hdf5File::open(path);
}

std::vector<double> column(const Hdf5File& f, const std::string& name) {
  const at::Tensor t = f.read_tensor(name).flatten().contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

double relative(double value, double exact) { return std::abs(value - exact) / std::abs(exact); }

}  // namespace

TEST_CASE("ricci_flow: round S^n records rho = r^2 - 2(n-1)t, R = n(n-1)/rho and Ric = (n-1) g / rho", "[experiments]") {
  RicciFlowSummary s;
  const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: round_sphere, dim: 4, radius: 1.5}\n"
                                "flow: {extinction_fraction: 0.9, records: 5}\n",
                                "ricci_flow_test_sphere.h5", &s);
  const double r2 = 2.25, rate = 6.0;  // 2(n − 1)
  CHECK(f.read_string_attribute("/", "status") == "complete");
  CHECK(f.read_string_attribute("/", "kind") == "ricci_flow");
  CHECK(relative(f.read_double_attribute("/", "extinction_time"), r2 / rate) <= 1e-8);
  CHECK(relative(f.read_double_attribute("/", "extinction_time_closed_form"), r2 / rate) <= 1e-14);
  const std::vector<double> t = column(f, "trajectory/time");
  const std::vector<double> rho = column(f, "trajectory/terms/rho");
  const at::Tensor scalar = f.read_tensor("trajectory/scalar");  // [N, P]
  const at::Tensor g = f.read_tensor("trajectory/g");            // [N, P, n, n]
  const at::Tensor ricci = f.read_tensor("trajectory/ricci");
  REQUIRE(t.size() == 5);
  CHECK(relative(t.back(), 0.9 * r2 / rate) <= 1e-8);
  for (size_t k = 0; k < t.size(); ++k) {
    const double exact = r2 - rate * t[k];
    INFO("t = " << t[k]);
    CHECK(relative(rho[k], exact) <= 1e-10);
    CHECK(test::max_relative_error(scalar[k], at::full_like(scalar[k], 12.0 / exact), 1e-12) <= 1e-10);
    CHECK(test::max_relative_error(ricci[k], g[k] * (3.0 / exact), 1e-12) <= 1e-10);
  }
  // Vol S^4(r) = (8π²/3) r⁴, and ∫R dV = R Vol.
  const std::vector<double> volume = column(f, "trajectory/terms/volume");
  const std::vector<double> total = column(f, "trajectory/terms/total_scalar");
  const double exact_volume = 8.0 * M_PI * M_PI / 3.0 * std::pow(r2 - rate * t[2], 2.0);
  CHECK(relative(volume[2], exact_volume) <= 1e-10);
  CHECK(relative(total[2], 12.0 / (r2 - rate * t[2]) * exact_volume) <= 1e-10);
  CHECK(s.closed_form_error <= 1e-10);
  std::remove("ricci_flow_test_sphere.h5");
}

TEST_CASE("ricci_flow: the Berger sphere (0.49, 1.69) is extinct at the closed-form time, R = 8/A - 2B/A^2 throughout",
          "[experiments]") {
  const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: berger, A: 0.49, B: 1.69}\n"
                                "flow: {extinction_fraction: 0.95, records: 4}\n",
                                "ricci_flow_test_berger.h5");
  // x₀ = B/A > 1, k = (1 − x₀)/x₀ < 0: T = (A/8)[1 + √x₀ arcsin(√−k)/√−k] (docs/ricci_flow_reference.md §1).
  const double a = 0.49, x0 = 1.69 / 0.49, k = (1.0 - x0) / x0;
  const double exact = a / 8.0 * (1.0 + std::sqrt(x0) * std::asin(std::sqrt(-k)) / std::sqrt(-k));
  CHECK(relative(f.read_double_attribute("/", "extinction_time"), exact) <= 1e-8);
  CHECK(relative(f.read_double_attribute("/", "extinction_time_closed_form"), exact) <= 1e-12);
  const std::vector<double> big_a = column(f, "trajectory/terms/A");
  const std::vector<double> big_b = column(f, "trajectory/terms/B");
  const at::Tensor scalar = f.read_tensor("trajectory/scalar");
  for (size_t r = 0; r < big_a.size(); ++r) {
    const double expected = 8.0 / big_a[r] - 2.0 * big_b[r] / (big_a[r] * big_a[r]);
    CHECK(relative(scalar[r][0].item<double>(), expected) <= 1e-12);
  }
  // Near extinction the Berger sphere rounds out: B/A → 1.
  CHECK(std::abs(big_b.back() / big_a.back() - 1.0) < std::abs(x0 - 1.0));
  std::remove("ricci_flow_test_berger.h5");
}

TEST_CASE("ricci_flow: Nil, H^n, the round S^3 in SU(2) and S^2 x T^1 follow their closed forms to 1e-10",
          "[experiments]") {
  SECTION("Nil: A0 s^(-1/3), B0 s^(1/3), C0 s^(1/3), R = -2q0/s, s = 1 + 12 q0 t") {
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: nil, A: 1.0, B: 2.0, C: 0.5}\n"
                                  "flow: {end_time: 2.0, record_times: [0.5, 1.0, 2.0]}\n",
                                  "ricci_flow_test_nil.h5");
    const double q0 = 1.0;  // A0/(B0 C0)
    const std::vector<double> t = column(f, "trajectory/time");
    REQUIRE(t.size() == 3);
    const std::vector<double> a = column(f, "trajectory/terms/A"), b = column(f, "trajectory/terms/B"),
                              c = column(f, "trajectory/terms/C");
    const at::Tensor scalar = f.read_tensor("trajectory/scalar");
    for (size_t k = 0; k < t.size(); ++k) {
      const double s = 1.0 + 12.0 * q0 * t[k];
      CHECK(relative(a[k], std::cbrt(1.0 / s)) <= 1e-10);
      CHECK(relative(b[k], 2.0 * std::cbrt(s)) <= 1e-10);
      CHECK(relative(c[k], 0.5 * std::cbrt(s)) <= 1e-10);
      CHECK(relative(scalar[k][0].item<double>(), -2.0 * q0 / s) <= 1e-10);
    }
    CHECK_FALSE(f.exists("trajectory/terms/volume"));  // non-compact
    std::remove("ricci_flow_test_nil.h5");
  }
  SECTION("H^3: rho = r^2 + 4t") {
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: hyperbolic, dim: 3, radius: 0.5}\n"
                                  "flow: {end_time: 1.0, records: 4}\n",
                                  "ricci_flow_test_hyperbolic.h5");
    const std::vector<double> t = column(f, "trajectory/time"), rho = column(f, "trajectory/terms/rho");
    const std::vector<double> exact = column(f, "closed_form/rho");
    for (size_t k = 0; k < t.size(); ++k) {
      CHECK(relative(rho[k], 0.25 + 4.0 * t[k]) <= 1e-10);
      CHECK(relative(exact[k], 0.25 + 4.0 * t[k]) <= 1e-14);
    }
    std::remove("ricci_flow_test_hyperbolic.h5");
  }
  SECTION("SU(2) with A = B = C: A(t) = A0 - 4t, extinct at A0/4") {
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: su2, A: 2, B: 2, C: 2}\n"
                                  "flow: {extinction_fraction: 0.8, records: 4}\n",
                                  "ricci_flow_test_su2.h5");
    CHECK(relative(f.read_double_attribute("/", "extinction_time"), 0.5) <= 1e-8);
    const std::vector<double> t = column(f, "trajectory/time"), c = column(f, "trajectory/terms/C");
    for (size_t k = 0; k < t.size(); ++k) CHECK(relative(c[k], 2.0 - 4.0 * t[k]) <= 1e-10);
    std::remove("ricci_flow_test_su2.h5");
  }
  SECTION("S^2(r) x T^1: rho = r^2 - 2t, the circle fixed, extinct at r^2/2") {
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: sphere_torus, radius: 1.2, sphere_dim: 2, "
                                  "torus_dim: 1, lengths: [3.0]}\nflow: {extinction_fraction: 0.5, records: 3}\n",
                                  "ricci_flow_test_sphere_torus.h5");
    CHECK(relative(f.read_double_attribute("/", "extinction_time"), 0.72) <= 1e-8);
    const std::vector<double> t = column(f, "trajectory/time"), rho = column(f, "trajectory/terms/rho"),
                              l1 = column(f, "trajectory/terms/l1"), volume = column(f, "trajectory/terms/volume");
    for (size_t k = 0; k < t.size(); ++k) {
      CHECK(relative(rho[k], 1.44 - 2.0 * t[k]) <= 1e-10);
      CHECK(relative(l1[k], 3.0) <= 1e-12);
      CHECK(relative(volume[k], 4.0 * M_PI * (1.44 - 2.0 * t[k]) * 2.0 * M_PI * std::sqrt(3.0)) <= 1e-10);
    }
    std::remove("ricci_flow_test_sphere_torus.h5");
  }
}

TEST_CASE("ricci_flow: a small conformal mode on T^2 decays as exp(-|k|^2 t), area and Gauss-Bonnet kept",
          "[experiments]") {
  // u₀ = ε cos(x + 2y): to first order in ε, u = ε e^{−5t} cos(x + 2y) and R = −2e^{−2u}Δu = 10 u.
  const double eps = 1e-6;
  const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: conformal_t2, u0: [{kx: 1, ky: 2, cos: 1e-6}]}\n"
                                "flow: {end_time: 0.2, records: 2, grid: 16}\nrecording: {probes: 6}\n",
                                "ricci_flow_test_conformal.h5");
  const at::Tensor x = f.read_tensor("points/probe_x");  // [P, 2]
  const at::Tensor mode = at::cos(x.select(1, 0) + 2.0 * x.select(1, 1));
  const std::vector<double> t = column(f, "trajectory/time");
  const at::Tensor scalar = f.read_tensor("trajectory/scalar");
  const at::Tensor g = f.read_tensor("trajectory/g");
  for (size_t k = 0; k < t.size(); ++k) {
    const at::Tensor u = eps * std::exp(-5.0 * t[k]) * mode;
    INFO("t = " << t[k]);
    // Nonlinear terms are O(ε²) relative to the O(ε) mode: 1e-5 is far above them and far below a wrong rate.
    CHECK(((scalar[k] - 10.0 * u).abs().max() / (10.0 * eps * std::exp(-5.0 * t[k]))).item<double>() <= 1e-5);
    CHECK(((g[k].select(1, 0).select(1, 0) - at::exp(2.0 * u)).abs().max() / eps).item<double>() <= 1e-5);
  }
  const std::vector<double> area = column(f, "trajectory/terms/volume");
  const std::vector<double> total = column(f, "trajectory/terms/total_scalar");
  CHECK(relative(area.back(), 4.0 * M_PI * M_PI) <= 1e-10);
  CHECK(std::abs(total.back()) <= 1e-12);
  CHECK(f.read_string_attribute("/", "gauge") == "conformal");
  std::remove("ricci_flow_test_conformal.h5");
}

TEST_CASE("ricci_flow: Ricci-DeTurck on T^3 keeps a flat torus fixed and damps a small mode as exp(-|k|^2 t)",
          "[experiments]") {
  SECTION("flat: constant g0 = diag(1.2, 1, 1) + 0.1(dx dy + dy dx) stays, R = 0") {
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: deturck_t3, g0: [{i: 0, j: 0, cos: 0.2}, "
                                  "{i: 0, j: 1, cos: 0.1}]}\nflow: {end_time: 0.1, records: 2, grid: 8}\n",
                                  "ricci_flow_test_flat.h5");
    const at::Tensor g = f.read_tensor("trajectory/g");
    const at::Tensor g0 = f.read_tensor("initial/g");
    CHECK((g - g0.unsqueeze(0)).abs().max().item<double>() <= 1e-12);
    CHECK(f.read_tensor("trajectory/scalar").abs().max().item<double>() <= 1e-12);
    CHECK(at::equal(f.read_tensor("closed_form/scalar"), at::zeros({2, 1}, at::kDouble)));
    std::remove("ricci_flow_test_flat.h5");
  }
  SECTION("a mode eps cos(x - y + z) in g_22 decays as exp(-3t)") {
    const double eps = 1e-6;
    const Hdf5File f = run_config("kind: ricci_flow\nmetric: {family: deturck_t3, g0: [{i: 2, j: 2, kx: 1, ky: -1, "
                                  "kz: 1, cos: 1e-6}]}\nflow: {end_time: 0.1, records: 2, grid: 8}\n"
                                  "recording: {probes: 5}\n",
                                  "ricci_flow_test_deturck_mode.h5");
    const at::Tensor x = f.read_tensor("points/probe_x");
    const at::Tensor mode = at::cos(x.select(1, 0) - x.select(1, 1) + x.select(1, 2));
    const std::vector<double> t = column(f, "trajectory/time");
    const at::Tensor g = f.read_tensor("trajectory/g");
    for (size_t k = 0; k < t.size(); ++k) {
      const at::Tensor h = g[k].select(1, 2).select(1, 2) - 1.0;
      CHECK(((h - eps * std::exp(-3.0 * t[k]) * mode).abs().max() / eps).item<double>() <= 1e-5);
    }
    CHECK(f.read_string_attribute("/", "gauge") == "deturck");
    std::remove("ricci_flow_test_deturck_mode.h5");
  }
}

TEST_CASE("ricci_flow: an end time past extinction is refused naming flow.end_time and the extinction time",
          "[experiments]") {
  const ExperimentConfig config =
      load_config("kind: ricci_flow\nmetric: {family: round_sphere, dim: 3, radius: 1}\nflow: {end_time: 0.3}\n",
                  "test.yaml")
          .config;
  ExperimentRunOptions options;
  options.output = "ricci_flow_test_past.h5";
  try {
    run_ricci_flow_experiment(config, options);
    FAIL("no error");
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("flow.end_time = 0.3 is at or past the extinction time 0.25") != std::string::npos);
  }
}

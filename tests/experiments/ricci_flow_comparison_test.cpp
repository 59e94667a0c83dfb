// Section `compare` of kind real_metric_flow (experiments/ricci_flow_comparison.h, docs/flow_comparison.md): a network
// that cannot move is as far from Ricci flow as the reference has moved from g₀ (closed form on the round sphere);
// the start is checked; the reference stops at extinction; a run records /compare and resumes it bit for bit.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "experiments/experiment.h"
#include "experiments/ricci_flow_comparison.h"
#include "geometry/manifolds/space_forms.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"

using namespace nmflow;

namespace {

const at::TensorOptions kF64 = at::TensorOptions().dtype(at::kDouble);

double value(const CompareRecord& record, const std::string& name) {
  for (const auto& [key, v] : record.values) {
    if (key == name) return v;
  }
  FAIL("no compare value " << name);
  return 0.0;
}

RicciFlowConfig round_sphere(int64_t n, double radius) {
  RicciFlowConfig c;
  c.family = RicciFlowFamily::RoundSphere;
  c.dim = n;
  c.radius = radius;
  return c;
}

// The network held at g₀ = r² ĝ of S³ on random points of the stereographic chart (unit Monte-Carlo weights).
struct FrozenNetwork {
  at::Tensor probe_x, fields_x;
  NetworkFlowFields fields;
};

FrozenNetwork frozen_round_s3(double radius) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(4);
  FrozenNetwork f;
  f.probe_x = at::rand({6, 3}, generator, kF64) * 2.0 - 1.0;
  f.fields_x = at::rand({40, 3}, generator, kF64) * 2.0 - 1.0;
  const auto metric = make_round_sphere(3, radius);
  const at::Tensor g_train = metric->jet(f.fields_x).g;
  f.fields.probe_g = metric->jet(f.probe_x).g;
  f.fields.x = f.fields_x;
  f.fields.weights = at::ones({40}, kF64);
  f.fields.scalar = at::full({40}, 6.0 / (radius * radius), kF64);
  f.fields.volume_density = at::sqrt(at::linalg_det(g_train));
  return f;
}

std::string temp_path(const std::string& name) { return "ricci_flow_comparison_test_" + name + ".h5"; }

void remove_run(const std::string& path) {
  std::remove(path.c_str());
  std::remove(checkpoint_path(path).c_str());
}

const char* kCompareRun = R"(seed: 3
manifold: {name: round_sphere, params: {dim: 3, radius: 1.5}}
points: {train: 16, probe: 4, resample_every: 3}
model: {head: conformal, hidden: [6], init_scale: 0}
loss: {name: perelman_f, params: {volume_weight: 0}}
optimizer: {name: sgd, lr: 0.002, steps: 10}
compare: {ricci_flow: true, every: 3}
recording: {every: 2, checkpoint_every: 4}
)";

ExperimentRunOptions run_options(const std::string& path) {
  ExperimentRunOptions options;
  options.output = path;
  options.device = "cpu";
  options.config_text = kCompareRun;
  return options;
}

}  // namespace

TEST_CASE("A network that cannot move deviates from Ricci flow on S³ by |1 − s|/s, s = 1 − 4t/r²", "[experiments]") {
  const double r = 1.5, r0 = 6.0 / (r * r);
  RicciFlowComparison comparison(round_sphere(3, r));
  const FrozenNetwork net = frozen_round_s3(r);
  comparison.check_start(net.probe_x, net.fields.probe_g);
  const double volume0 = 2.0 * M_PI * M_PI * r * r * r;
  int64_t step = 0;
  for (const double t : {0.0, 0.01, 0.1, 0.3, 0.5}) {
    INFO("t = " << t);
    const CompareRecord record = comparison.compare(step++, t, net.probe_x, net.fields);
    const double s = 1.0 - 4.0 * t / (r * r);  // g(t) = s g₀ (ρ = r² − 2(n − 1)t)
    CHECK(value(record, "reference_alive") == 1.0);
    CHECK(value(record, "reference_time") == t);
    CHECK(value(record, "deviation_max") == Approx(std::abs(1.0 - s) / s).epsilon(1e-10).margin(1e-14));
    CHECK(value(record, "deviation_mean") == Approx(std::abs(1.0 - s) / s).epsilon(1e-10).margin(1e-14));
    CHECK(value(record, "reference_drift_max") == Approx(std::abs(1.0 - s) / s).epsilon(1e-10).margin(1e-14));
    CHECK(value(record, "volume_reference") == Approx(volume0 * std::pow(s, 1.5)).epsilon(1e-10));
    CHECK(value(record, "total_scalar_reference") == Approx(r0 / s * volume0 * std::pow(s, 1.5)).epsilon(1e-10));
    // R of the reference is one value, so W₂ is |R_net − R_ref| (the weighted RMS of a constant difference).
    CHECK(value(record, "scalar_w2") == Approx(std::abs(r0 - r0 / s)).epsilon(1e-10).margin(1e-13));
    CHECK(at::allclose(record.reference_g, s * net.fields.probe_g, 1e-12, 0.0));
    CHECK(record.reference_scalar.sizes() == at::IntArrayRef({6}));
  }
}

TEST_CASE("The reference stops once the network's t passes its extinction time, and says so", "[experiments]") {
  const double r = 1.0;  // extinction at r²/4
  RicciFlowComparison comparison(round_sphere(3, r));
  CHECK(comparison.extinction_time() == Approx(0.25).epsilon(1e-8));
  const FrozenNetwork net = frozen_round_s3(r);
  comparison.check_start(net.probe_x, net.fields.probe_g);
  comparison.compare(0, 0.2, net.probe_x, net.fields);
  const CompareRecord late = comparison.compare(1, 0.3, net.probe_x, net.fields);
  CHECK(value(late, "reference_alive") == 0.0);
  CHECK(std::isnan(value(late, "deviation_max")));
  CHECK(std::isnan(value(late, "volume_reference")));
  CHECK(std::isfinite(value(late, "volume")));
  CHECK(at::isnan(late.reference_g).all().item<bool>());
  CHECK(comparison.time() == 0.2);
}

TEST_CASE("A network whose g₀ is not the reference's start is refused with the gap", "[experiments]") {
  RicciFlowComparison comparison(round_sphere(3, 1.5));
  const FrozenNetwork net = frozen_round_s3(1.5);
  std::string message;
  try {
    comparison.check_start(net.probe_x, net.fields.probe_g * (1.0 + 1e-9));
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.find("initial metric differs from the start of the reference Ricci flow (round_sphere dim=3 "
                     "radius=1.5)") != std::string::npos);
}

TEST_CASE("A compare run records /compare at step 0 and every compare.every steps, and resumes bit for bit",
          "[experiments]") {
  const ExperimentConfig config = load_config(kCompareRun, "compare").config;
  const std::string full = temp_path("full"), split = temp_path("split");
  const ExperimentSummary summary = run_experiment(config, run_options(full));
  CHECK(summary.compare_records == 5);  // steps 0, 3, 6, 9, 10
  {
    const Hdf5File file = Hdf5File::open(full);
    const at::Tensor steps = file.read_tensor("compare/step").flatten();
    CHECK(at::equal(steps, at::tensor({0, 3, 6, 9, 10}, at::kLong)));
    const at::Tensor time = file.read_tensor("compare/time");
    CHECK(time.sizes() == at::IntArrayRef({5, 1}));
    CHECK(time[4].item<double>() == Approx(0.02).epsilon(1e-14));
    CHECK(file.read_tensor("compare/deviation_max")[0].item<double>() < 1e-14);  // the same g₀
    CHECK(file.read_tensor("compare/deviation_max")[4].item<double>() > 0.0);
    CHECK(file.read_tensor("compare/reference_g").sizes() == at::IntArrayRef({5, 4, 3, 3}));
    CHECK(file.read_string_attribute("compare", "reference") == "round_sphere dim=3 radius=1.5");
    CHECK(file.read_double_attribute("compare", "extinction_time") == Approx(1.5 * 1.5 / 4.0).epsilon(1e-8));
  }
  RunHooks hooks;
  int64_t steps = 0;
  hooks.on_progress = [&](const RunProgress&) { ++steps; };
  hooks.stop_requested = [&] { return steps == 7; };
  CHECK(run_experiment(config, run_options(split), hooks).interrupted);
  ExperimentRunOptions resume = run_options(split);
  resume.resume = true;
  run_experiment(config, resume);
  const Hdf5File a = Hdf5File::open(full), b = Hdf5File::open(split);
  for (const std::string& name : a.members("compare")) {
    INFO(name);
    CHECK(at::equal(a.read_tensor("compare/" + name), b.read_tensor("compare/" + name)));
  }
  CHECK(at::equal(a.read_tensor("trajectory/g"), b.read_tensor("trajectory/g")));
  remove_run(full);
  remove_run(split);
}

TEST_CASE("A run at a critical point of its loss deviates from Ricci flow exactly as the round sphere shrinks",
          "[experiments]") {
  // The Einstein loss vanishes to rounding on the round S³ with its gradient, so the network stays at g₀ while the
  // reference shrinks as g(t) = (1 − 4t/r²) g₀: d = |1 − s|/s at every record.
  const char* text = R"(seed: 2
manifold: {name: round_sphere, params: {dim: 3, radius: 1.5}}
points: {train: 16, probe: 4}
model: {head: symmetric, hidden: [6], init_scale: 0}
loss: {name: einstein}
optimizer: {name: sgd, lr: 0.01, steps: 12}
compare: {ricci_flow: true, every: 4}
recording: {every: 4}
)";
  const ExperimentConfig config = load_config(text, "einstein").config;
  const std::string path = temp_path("einstein");
  ExperimentRunOptions options = run_options(path);
  options.config_text = text;
  run_experiment(config, options);
  const Hdf5File file = Hdf5File::open(path);
  const at::Tensor t = file.read_tensor("compare/time").flatten();
  const at::Tensor d = file.read_tensor("compare/deviation_max").flatten();
  REQUIRE(t.size(0) == 4);
  for (int64_t i = 0; i < 4; ++i) {
    const double s = 1.0 - 4.0 * t[i].item<double>() / (1.5 * 1.5);
    INFO("t = " << t[i].item<double>());
    CHECK(d[i].item<double>() == Approx(std::abs(1.0 - s) / s).epsilon(1e-9).margin(1e-13));
  }
  CHECK(t[3].item<double>() == Approx(0.12).epsilon(1e-14));
  remove_run(path);
}

TEST_CASE("The conformal torus reference starts at the network's e^{2u₀} δ and keeps its area", "[experiments]") {
  RicciFlowConfig c;
  c.family = RicciFlowFamily::ConformalT2;
  c.u0 = {{0, 0, 1, 0, 0, 0.3, 0.0}, {0, 0, 1, 1, 0, 0.0, 0.2}};
  RicciFlowComparison comparison(c);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(9);
  const at::Tensor x = at::rand({32, 2}, generator, kF64) * (2.0 * M_PI);
  const at::Tensor u = 0.3 * at::cos(x.select(1, 0)) + 0.2 * at::sin(x.select(1, 0) + x.select(1, 1));
  const at::Tensor g = at::exp(2.0 * u).view({-1, 1, 1}) * at::eye(2, kF64).expand({32, 2, 2});
  comparison.check_start(x, g);
  CHECK(std::isnan(comparison.extinction_time()));  // a torus flows forever
  NetworkFlowFields net{g, x, at::ones({32}, kF64), at::zeros({32}, kF64), at::exp(2.0 * u)};
  const CompareRecord start = comparison.compare(0, 0.0, x, net);
  CHECK(value(start, "deviation_max") < 1e-13);
  const CompareRecord later = comparison.compare(1, 0.05, x, net);
  // Gauss–Bonnet: ∫R dA = 0 on T², and Ricci flow keeps the area of a surface of zero Euler characteristic.
  CHECK(std::abs(value(later, "total_scalar_reference")) < 1e-10);
  CHECK(value(later, "volume_reference") == Approx(value(start, "volume_reference")).epsilon(1e-10));
  CHECK(value(later, "deviation_max") > 0.01);
  CHECK(value(later, "deviation_max") == Approx(value(later, "reference_drift_max")).epsilon(1e-12));
}

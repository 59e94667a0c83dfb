// Tests of the Calabi–Yau kinds of `nmflow run` (src/experiments/cy_experiment.h, donaldson_experiment.h; layout in
// docs/hdf5.md "Calabi–Yau runs"): a tiny run writes every documented dataset, its final σ is the one the per-point
// ratios give, the same seed gives identical /epochs, a stop request ends the run cleanly, and a Donaldson run
// records one entry per k with the right number of sections.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "experiments/donaldson_experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

// 200 K3 points, a 2×8 network, 3 epochs of 4 steps.
const char* kTinyCY = R"(kind: cy_metric
seed: 7
variety: {name: fermat_quartic}
points: {train: 200, validation: 120}
model: {hidden: [8, 8]}
optimizer: {lr: 0.01}
training: {epochs: 3, batch_size: 50}
)";

ExperimentRunOptions options_for(const std::string& output, const char* text) {
  ExperimentRunOptions options;
  options.output = output;
  options.device = "cpu";
  options.config_text = text;
  return options;
}

CYExperimentSummary run_cy(const std::string& path, const char* text = kTinyCY, const RunHooks& hooks = {}) {
  return run_cy_experiment(load_config(text, "tiny.yaml").config, options_for(path, text), hooks);
}

double scalar(const Hdf5File& file, const std::string& name) { return file.read_tensor(name).item<double>(); }

}  // namespace

TEST_CASE("A tiny cy_metric run writes the documented datasets, and final sigma is the per-point ratios' sigma",
          "[flows]") {
  const std::string path = "cy_experiment_test_tiny.h5";
  const CYExperimentSummary summary = run_cy(path);
  CHECK(summary.epochs_done == 3);
  CHECK(summary.steps_done == 12);
  CHECK(summary.records == 4);
  CHECK_FALSE(summary.interrupted);
  const Hdf5File file = Hdf5File::open(path);
  for (const char* name : {"epoch", "steps", "wall_seconds", "cpu_seconds", "train_loss", "sigma", "kappa"}) {
    INFO(name);
    CHECK(file.shape(std::string("epochs/") + name) == std::vector<int64_t>{4, 1});
  }
  CHECK(at::equal(file.read_tensor("epochs/epoch").flatten(), at::arange(4, at::kLong)));
  CHECK(at::equal(file.read_tensor("epochs/steps").flatten(), at::arange(4, at::kLong) * 4));
  const at::Tensor ratio = file.read_tensor("final/validation/eta_ratio");
  const at::Tensor w = file.read_tensor("final/validation/weights");
  REQUIRE(ratio.sizes() == at::IntArrayRef{120});
  REQUIRE(w.sizes() == at::IntArrayRef{120});
  // The ratios are normalised by the model's own Vol_K: mean(w · ratio) = mean(w) exactly.
  CHECK_CLOSE((w * ratio).mean(), w.mean(), 1e-12);
  const at::Tensor sigma_from_points = (w * (1 - ratio).abs()).mean() / w.mean();
  CHECK_CLOSE(file.read_tensor("final/sigma"), sigma_from_points, 1e-12);
  // The last evaluation of training saw the same model on the same points.
  CHECK_CLOSE(file.read_tensor("final/sigma"), file.read_tensor("epochs/sigma")[3][0], 1e-10);
  CHECK_CLOSE(file.read_tensor("final/kappa"), file.read_tensor("epochs/kappa")[3][0], 1e-10);
  // Training lowered σ from Fubini–Study's (≈ 0.23 on K3).
  CHECK(summary.sigma_final < summary.sigma_initial);
  CHECK(file.read_string_attribute("/", "status") == "complete");
  CHECK(file.read_string_attribute("/", "kind") == "cy_metric");
  CHECK(file.read_string_attribute("/", "config") == kTinyCY);
  CHECK(file.read_int_attribute("/", "seed") == 7);
  for (const char* attribute : {"nmflow_version", "nmflow_git_hash", "libtorch_version", "start_time", "end_time"}) {
    CHECK(file.has_attribute("/", attribute));
  }
  CHECK_FALSE(file.exists("final/euler_characteristic"));  // measures.curvature is off
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("The same seed gives identical /epochs records (timings aside); another seed does not", "[flows]") {
  const std::string a = "cy_experiment_test_a.h5", b = "cy_experiment_test_b.h5", c = "cy_experiment_test_c.h5";
  run_cy(a);
  run_cy(b);
  const std::string other = std::string(kTinyCY).replace(std::string(kTinyCY).find("seed: 7"), 7, "seed: 8");
  run_cy(c, other.c_str());
  const Hdf5File fa = Hdf5File::open(a), fb = Hdf5File::open(b), fc = Hdf5File::open(c);
  for (const char* name : {"epochs/epoch", "epochs/steps", "epochs/train_loss", "epochs/sigma", "epochs/kappa",
                           "final/validation/eta_ratio", "final/validation/weights", "final/sigma"}) {
    INFO(name);
    // Bit for bit; epoch 0's train_loss is NaN in both (no epoch ran), hence equal_nan.
    CHECK(at::allclose(fa.read_tensor(name), fb.read_tensor(name), 0.0, 0.0, /*equal_nan=*/true));
  }
  CHECK_FALSE(at::equal(fa.read_tensor("epochs/sigma"), fc.read_tensor("epochs/sigma")));
  for (const std::string& path : {a, b, c}) {
    std::remove(path.c_str());
    std::remove((path + ".checkpoint").c_str());
  }
}

TEST_CASE("A stop request ends a cy_metric run at the next evaluation with status interrupted", "[flows]") {
  const std::string path = "cy_experiment_test_stop.h5";
  RunHooks hooks;
  int evaluations = 0;
  hooks.on_progress = [&](const RunProgress& p) {
    const int64_t total = p.total;
    CHECK(total == 3);
    ++evaluations;
  };
  hooks.stop_requested = [&] { return evaluations >= 2; };
  const CYExperimentSummary summary = run_cy(path, kTinyCY, hooks);
  CHECK(summary.interrupted);
  CHECK(summary.epochs_done == 1);
  const Hdf5File file = Hdf5File::open(path);
  CHECK(file.record_count("epochs/epoch") == 2);
  CHECK(file.read_string_attribute("/", "status") == "interrupted");
  CHECK(file.exists("final/sigma"));
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("An interrupted cy_metric run continued with resume matches an uninterrupted run bit for bit", "[flows]") {
  const std::string straight = "cy_experiment_test_straight.h5";
  const std::string resumed = "cy_experiment_test_resumed.h5";
  run_cy(straight);
  int evaluations = 0;
  RunHooks hooks;
  hooks.on_progress = [&](const RunProgress&) { ++evaluations; };
  hooks.stop_requested = [&] { return evaluations >= 2; };  // stops after epoch 1
  REQUIRE(run_cy(resumed, kTinyCY, hooks).interrupted);
  ExperimentRunOptions options = options_for(resumed, kTinyCY);
  options.resume = true;
  const CYExperimentSummary summary = run_cy_experiment(load_config(kTinyCY, "tiny.yaml").config, options);
  CHECK(summary.resumed_from_epoch == 1);
  CHECK(summary.epochs_done == 3);
  CHECK(summary.records == 4);
  {
    const Hdf5File a = Hdf5File::open(straight);
    const Hdf5File b = Hdf5File::open(resumed);
    for (const char* name : {"epochs/epoch", "epochs/steps", "epochs/sigma", "epochs/kappa", "final/sigma",
                             "final/validation/eta_ratio"}) {
      INFO(name);
      CHECK(at::equal(a.read_tensor(name), b.read_tensor(name)));
    }
    // train_loss: NaN at epoch 0 on both sides, equal after.
    CHECK(at::equal(a.read_tensor("epochs/train_loss").narrow(0, 1, 3),
                    b.read_tensor("epochs/train_loss").narrow(0, 1, 3)));
    CHECK(b.read_string_attribute("/", "status") == "complete");
    CHECK(b.read_int_attribute("/", "resumed_from_epoch") == 1);
  }
  // A fresh run into the same file removes the old checkpoint; resuming without one is an error naming it.
  run_cy(resumed);
  std::remove((resumed + ".checkpoint").c_str());
  CHECK_THROWS_WITH(run_cy_experiment(load_config(kTinyCY, "tiny.yaml").config, options),
                    Catch::Contains("no checkpoint 'cy_experiment_test_resumed.h5.checkpoint'"));
  for (const std::string& path : {straight, resumed}) {
    std::remove(path.c_str());
    std::remove((path + ".checkpoint").c_str());
  }
}

TEST_CASE("With measures.curvature the torus run writes the curvature measures on the first validation points",
          "[flows]") {
  const char* text = R"(kind: cy_metric
seed: 2
variety: {name: fermat_cubic}
points: {train: 100, validation: 60}
model: {hidden: [6]}
training: {epochs: 1, batch_size: 50}
measures: {curvature: true, curvature_points: 40}
)";
  const std::string path = "cy_experiment_test_curvature.h5";
  const CYExperimentSummary summary = run_cy(path, text);
  REQUIRE(summary.has_curvature);
  const Hdf5File file = Hdf5File::open(path);
  CHECK(file.shape("final/curvature/ricci_scalar") == std::vector<int64_t>{40});
  CHECK(file.shape("final/curvature/euler_density") == std::vector<int64_t>{40});
  CHECK(scalar(file, "final/euler_characteristic") == summary.curvature.euler_characteristic);
  CHECK(!file.exists("final/fubini_study"));
  CHECK(scalar(file, "final/max_abs_ricci_scalar") ==
        file.read_tensor("final/curvature/ricci_scalar").abs().max().item<double>());
  CHECK(scalar(file, "final/ricci_measure") > 0.0);
  CHECK(scalar(file, "final/euler_standard_error") > 0.0);
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("measures.fubini_study adds the Fubini-Study baseline on the same curvature points", "[flows]") {
  // All 60 validation points are curvature points, so the baseline's σ is the epoch-0 σ (g = g_FS) of /epochs.
  const char* text = R"(kind: cy_metric
seed: 2
variety: {name: fermat_cubic}
points: {train: 100, validation: 60}
model: {hidden: [6]}
training: {epochs: 1, batch_size: 50}
measures: {curvature: true, curvature_points: 60, fubini_study: true}
)";
  const std::string path = "cy_experiment_test_fubini_study.h5";
  const CYExperimentSummary summary = run_cy(path, text);
  REQUIRE(summary.has_fubini_study);
  const Hdf5File file = Hdf5File::open(path);
  const at::Tensor sigma = file.read_tensor("epochs/sigma");
  CHECK(std::abs(scalar(file, "final/fubini_study/sigma") - sigma[0][0].item<double>()) < 1e-12);
  CHECK(std::abs(summary.curvature.sigma - sigma[-1][0].item<double>()) < 1e-12);
  const at::Tensor r_fs = file.read_tensor("final/fubini_study/curvature/ricci_scalar");
  CHECK(r_fs.sizes() == at::IntArrayRef{60});
  // Gauss equation: a complex curve in P^2 has R_K ≤ the ambient holomorphic sectional curvature, 2π for
  // K_FS = (1/π) log|z|², with equality only where the second fundamental form vanishes.
  CHECK(r_fs.max().item<double>() <= 2.0 * M_PI * (1.0 + 1e-9));
  CHECK(scalar(file, "final/fubini_study/max_abs_ricci_scalar") == r_fs.abs().max().item<double>());
  CHECK(scalar(file, "final/fubini_study/euler_characteristic") == summary.fubini_study.euler_characteristic);
  // The torus has χ = 0 for every metric (Chern–Gauss–Bonnet); the Monte-Carlo χ of g_FS is 0 within 4 SE.
  CHECK(std::abs(summary.fubini_study.euler_characteristic) < 4.0 * summary.fubini_study.euler_standard_error);
  // The trained metric's measures stay where they were, beside the baseline.
  CHECK(scalar(file, "final/ricci_measure") == summary.curvature.ricci_measure);
  CHECK(summary.curvature.ricci_measure != summary.fubini_study.ricci_measure);
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("A donaldson run records sigma for each k with N_k sections (K3 quartic: 4, 10)", "[flows]") {
  const char* text = R"(kind: donaldson
seed: 1
variety: {name: fermat_quartic}
points: {train: 600, validation: 300}
donaldson: {k: [1, 2], iterations: 4}
)";
  const std::string path = "cy_experiment_test_donaldson.h5";
  const DonaldsonSummary summary =
      run_donaldson_experiment(load_config(text, "d.yaml").config, options_for(path, text));
  REQUIRE(summary.degrees.size() == 2);
  const Hdf5File file = Hdf5File::open(path);
  CHECK(at::equal(file.read_tensor("donaldson/k").flatten(), at::tensor({1, 2}, at::kLong)));
  CHECK(at::equal(file.read_tensor("donaldson/sections").flatten(), at::tensor({4, 10}, at::kLong)));
  CHECK(at::equal(file.read_tensor("donaldson/iterations").flatten(), at::tensor({4, 4}, at::kLong)));
  CHECK(file.shape("donaldson/sigma") == std::vector<int64_t>{2, 1});
  CHECK(file.shape("donaldson/seconds") == std::vector<int64_t>{2, 1});
  CHECK(file.read_tensor("donaldson/sigma")[1].item<double>() == summary.degrees[1].sigma);
  // k = 2 is closer to Ricci-flat than k = 1 (σ_FS ≈ 0.23 on K3).
  CHECK(summary.degrees[1].sigma < summary.degrees[0].sigma);
  CHECK(file.read_string_attribute("/", "status") == "complete");
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("A diverging cy_metric run stops naming the step and optimizer.lr, and its file says failed", "[flows]") {
  const std::string path = "cy_experiment_test_diverge.h5";
  const char* text = R"(kind: cy_metric
seed: 7
variety: {name: fermat_quartic}
points: {train: 200, validation: 120}
model: {hidden: [8, 8]}
optimizer: {lr: 1.0e+300}
training: {epochs: 3, batch_size: 50}
)";
  std::string message;
  try {
    run_cy(path, text);
  } catch (const nmflow::RunDiverged& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("training step 1: ") == 0);
  CHECK(message.find("the run diverged — lower optimizer.lr (1e+300 now)") != std::string::npos);
  const Hdf5File file = Hdf5File::open(path);
  CHECK(file.read_string_attribute("/", "status") == "failed");
  CHECK(file.read_string_attribute("/", "failure") == message);
  CHECK(file.read_tensor("epochs/epoch").size(0) == 1);  // epoch 0 (Fubini–Study) stays readable
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

TEST_CASE("A cy_metric run resumed with another learning rate is refused, naming the key", "[flows]") {
  const std::string path = "cy_experiment_test_resume_changed.h5";
  RunHooks hooks;
  int evaluations = 0;
  hooks.on_progress = [&](const RunProgress&) { ++evaluations; };
  hooks.stop_requested = [&] { return evaluations >= 2; };  // stops after epoch 1 (its checkpoint written)
  REQUIRE(run_cy(path, kTinyCY, hooks).interrupted);
  const LoadedConfig changed = load_config(kTinyCY, "tiny.yaml", {"seed=8"});
  ExperimentRunOptions options = options_for(path, changed.text.c_str());
  options.resume = true;
  CHECK_THROWS_WITH(run_cy_experiment(changed.config, options),
                    Catch::Contains("seed: 7 -> 8") && Catch::Contains("--resume-changed"));
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

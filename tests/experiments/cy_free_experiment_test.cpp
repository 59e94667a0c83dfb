// Tests of the kind cy_free_metric of `nmflow run` (src/experiments/cy_free_experiment.h; layout in docs/hdf5.md
// "cy_free_metric"): a tiny run writes every documented dataset and its final σ is the per-point ratios'; a stopped
// run continued with resume equals an uninterrupted one dataset by dataset; loss.kappa = batch changes the training.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/cy_free_experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/run_files.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

// 200 K3 points, a 2×8 network, 3 epochs of 4 steps.
const char* kTinyFree = R"(kind: cy_free_metric
seed: 7
variety: {name: fermat_quartic}
points: {train: 200, validation: 120}
model: {hidden: [8, 8]}
optimizer: {lr: 0.01}
training: {epochs: 3, batch_size: 50}
)";

ExperimentRunOptions options_for(const std::string& output, const std::string& text) {
  ExperimentRunOptions options;
  options.output = output;
  options.device = "cpu";
  options.config_text = text;
  return options;
}

CYFreeExperimentSummary run_free(const std::string& path, const std::string& text = kTinyFree,
                                 const RunHooks& hooks = {}) {
  return run_cy_free_experiment(load_config(text, "tiny.yaml").config, options_for(path, text), hooks);
}

void remove_run(const std::string& path) {
  std::remove(path.c_str());
  std::remove((path + ".checkpoint").c_str());
}

}  // namespace

TEST_CASE("A tiny cy_free_metric run writes the documented datasets, and final sigma is the per-point ratios' sigma",
          "[flows]") {
  const std::string path = "cy_free_experiment_test_tiny.h5";
  const CYFreeExperimentSummary summary = run_free(path);
  CHECK(summary.epochs_done == 3);
  CHECK(summary.steps_done == 12);
  CHECK(summary.records == 4);
  CHECK_FALSE(summary.interrupted);
  const Hdf5File file = Hdf5File::open(path);
  for (const char* name :
       {"epoch", "steps", "wall_seconds", "cpu_seconds", "train_loss", "sigma", "kappa", "kahler", "transition"}) {
    INFO(name);
    CHECK(file.shape(std::string("epochs/") + name) == std::vector<int64_t>{4, 1});
  }
  CHECK(at::equal(file.read_tensor("epochs/steps").flatten(), at::arange(4, at::kLong) * 4));
  const at::Tensor ratio = file.read_tensor("final/validation/eta_ratio");
  const at::Tensor w = file.read_tensor("final/validation/weights");
  REQUIRE(ratio.sizes() == at::IntArrayRef{120});
  CHECK_CLOSE((w * ratio).mean(), w.mean(), 1e-12);
  CHECK_CLOSE(file.read_tensor("final/sigma"), (w * (1 - ratio).abs()).mean() / w.mean(), 1e-12);
  // The last evaluation of training saw the same model on the same points.
  for (const char* name : {"sigma", "kappa", "kahler", "transition"}) {
    INFO(name);
    CHECK_CLOSE(file.read_tensor(std::string("final/") + name),
                file.read_tensor(std::string("epochs/") + name)[3][0], 1e-10);
  }
  // Epoch 0 is Fubini–Study (the multiplicative head starts there): Kähler and patch-consistent.
  CHECK(file.read_tensor("epochs/kahler")[0][0].item<double>() < 1e-26);
  CHECK(file.read_tensor("epochs/transition")[0][0].item<double>() < 1e-26);
  CHECK(file.read_tensor("epochs/transition")[3][0].item<double>() > 0.0);
  CHECK(summary.sigma_final < summary.sigma_initial);
  CHECK(file.read_string_attribute("/", "status") == "complete");
  CHECK(file.read_string_attribute("/", "kind") == "cy_free_metric");
  CHECK(file.read_string_attribute("/", "head") == "multiplicative");
  CHECK(file.read_string_attribute("/", "kappa") == "training_set");
  CHECK(file.read_int_attribute("/", "seed") == 7);
  remove_run(path);
}

TEST_CASE("A stopped cy_free_metric run continued with resume equals an uninterrupted run dataset by dataset",
          "[flows]") {
  const std::string straight = "cy_free_experiment_test_straight.h5";
  const std::string resumed = "cy_free_experiment_test_resumed.h5";
  run_free(straight);
  int evaluations = 0;
  RunHooks hooks;
  hooks.on_progress = [&](const RunProgress& p) {
    CHECK(p.unit == "epoch");
    CHECK(p.total == 3);
    ++evaluations;
  };
  hooks.stop_requested = [&] { return evaluations >= 2; };  // stops after epoch 1, its checkpoint written
  const CYFreeExperimentSummary stopped = run_free(resumed, kTinyFree, hooks);
  REQUIRE(stopped.interrupted);
  CHECK(stopped.epochs_done == 1);
  CHECK(Hdf5File::open(resumed).read_string_attribute("/", "status") == "interrupted");
  ExperimentRunOptions options = options_for(resumed, kTinyFree);
  options.resume = true;
  const CYFreeExperimentSummary summary =
      run_cy_free_experiment(load_config(kTinyFree, "tiny.yaml").config, options);
  CHECK(summary.resumed_from_epoch == 1);
  CHECK(summary.epochs_done == 3);
  CHECK(summary.records == 4);
  CHECK(test::check_same_datasets(straight, resumed) == 13);  // 7 in /epochs (timings aside), 6 in /final
  CHECK(Hdf5File::open(resumed).read_string_attribute("/", "status") == "complete");
  // Resuming another experiment is refused, naming the key.
  const std::string other = std::string(kTinyFree) + "loss: {alpha_kahler: 2}\n";
  ExperimentRunOptions changed = options_for(resumed, other);
  changed.resume = true;
  CHECK_THROWS_WITH(run_cy_free_experiment(load_config(other, "tiny.yaml").config, changed),
                    Catch::Contains("loss.alpha_kahler: 1 -> 2"));
  remove_run(straight);
  remove_run(resumed);
}

TEST_CASE("cy_free_metric honours loss.kappa: batch trains differently from training_set", "[flows]") {
  const std::string fixed = "cy_free_experiment_test_kappa_fixed.h5", batch = "cy_free_experiment_test_kappa_batch.h5";
  run_free(fixed);
  run_free(batch, std::string(kTinyFree) + "loss: {kappa: batch}\n");
  const Hdf5File a = Hdf5File::open(fixed), b = Hdf5File::open(batch);
  CHECK(b.read_string_attribute("/", "kappa") == "batch");
  // Same network and points: epoch 0 agrees, training does not.
  CHECK(at::equal(a.read_tensor("epochs/sigma")[0], b.read_tensor("epochs/sigma")[0]));
  CHECK_FALSE(at::equal(a.read_tensor("epochs/train_loss")[1], b.read_tensor("epochs/train_loss")[1]));
  CHECK_FALSE(at::equal(a.read_tensor("final/sigma"), b.read_tensor("final/sigma")));
  remove_run(fixed);
  remove_run(batch);
}

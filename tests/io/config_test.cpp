// Tests of experiment configurations (src/io/config_yaml.h, docs/config.md) and of runs built from them
// (src/flows/experiment.h, src/io/trajectory_recorder.h): every validation error names file:line:column, the key
// path and the allowed values; same seed → identical trajectories; resume == uninterrupted bit for bit; a run
// killed with SIGKILL leaves a readable trajectory.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"
#include "flows/experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"

using namespace nmflow;

namespace {

// The message load_config throws for `text` ("" when it does not throw).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    load_config(text, "test.yaml", overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

// A small run: 8 training points on a perturbed round S², 2 probes, a 4-wide network.
const char* kTinyRun = R"(seed: 5
manifold: {name: round_sphere, params: {dim: 2}}
points: {train: 8, probe: 2, resample_every: 3}
model: {head: conformal, hidden: [4]}
loss: {name: einstein, params: {volume_weight: 1.0}}
optimizer: {name: adam, lr: 0.01, steps: 10}
recording: {every: 2, checkpoint_every: 4}
)";

std::string temp_path(const std::string& name) { return "config_test_" + name + ".h5"; }

void remove_run(const std::string& path) {
  std::remove(path.c_str());
  std::remove(checkpoint_path(path).c_str());
}

ExperimentRunOptions run_options(const std::string& path) {
  ExperimentRunOptions options;
  options.output = path;
  options.device = "cpu";
  options.config_text = kTinyRun;
  return options;
}

const std::vector<std::string> kRecorded = {"trajectory/step", "trajectory/time", "trajectory/loss",
                                            "trajectory/grad_norm", "trajectory/learning_rate", "trajectory/g",
                                            "trajectory/ricci", "trajectory/scalar", "trajectory/terms/einstein",
                                            "trajectory/terms/volume_penalty", "points/train_x", "points/probe_x",
                                            "initial/g"};

void check_identical(const std::string& a, const std::string& b) {
  const Hdf5File fa = Hdf5File::open(a), fb = Hdf5File::open(b);
  for (const std::string& name : kRecorded) {
    INFO(name);
    const at::Tensor ta = fa.read_tensor(name), tb = fb.read_tensor(name);
    REQUIRE(ta.sizes() == tb.sizes());
    CHECK(at::equal(ta, tb));
  }
}

}  // namespace

TEST_CASE("The embedded default experiment validates and is a perturbed round S^2 under the Einstein loss", "[io]") {
  const LoadedConfig loaded = load_config(default_config_text(), "<default>");
  CHECK(loaded.text == default_config_text());
  CHECK(loaded.config.manifold.name == "round_sphere");
  CHECK(loaded.config.manifold.sampler == "sphere");
  CHECK(loaded.config.loss.name == "einstein");
  CHECK(loaded.config.optimizer.steps == 300);
}

TEST_CASE("Edit distance counts insertions, deletions and substitutions", "[io]") {
  CHECK(edit_distance("optimiser", "optimizer") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("steps", "steps") == 0);
}

TEST_CASE("Malformed YAML is reported with file:line:column", "[io]") {
  const std::string message = error_of("seed: 1\nmanifold: {name: round_sphere\npoints: 3\n");
  INFO(message);
  CHECK(has(message, "test.yaml:"));
  CHECK(has(message, "malformed YAML"));
}

TEST_CASE("A misspelled key gives file:line:column, the key path and a did-you-mean", "[io]") {
  const std::string top = error_of("seed: 1\noptimiser: {lr: 0.1}\n");
  INFO(top);
  CHECK(has(top, "test.yaml:2:1: optimiser: unknown key 'optimiser'; did you mean 'optimizer'? allowed: kind, seed"));
  const std::string nested = error_of("optimizer:\n  name: adam\n  setps: 10\n");
  INFO(nested);
  CHECK(has(nested, "test.yaml:3:3: optimizer.setps: unknown key 'setps'; did you mean 'steps'?"));
  const std::string param = error_of("loss: {name: ricci_norm, params: {volume_wieght: 1}}\n");
  INFO(param);
  CHECK(has(param, "loss.params.volume_wieght: unknown key 'volume_wieght'; did you mean 'volume_weight'?"));
  // Nothing close: no suggestion, only the allowed keys.
  CHECK_FALSE(has(error_of("zzzzzzzz: 1\n"), "did you mean"));
}

TEST_CASE("A wrong type names the key and what was expected", "[io]") {
  const std::string message = error_of("optimizer:\n  lr: fast\n");
  INFO(message);
  CHECK(has(message, "test.yaml:2:7: optimizer.lr: expected a number, got 'fast'"));
  const std::string list = error_of("model: {hidden: 32}\n");
  INFO(list);
  CHECK(has(list, "test.yaml:1:17: model.hidden: expected a list of integers"));
  CHECK(has(error_of("optimizer: {steps: [1, 2]}\n"), "optimizer.steps: expected an integer, got a sequence"));
}

TEST_CASE("An out-of-range value names the key, the interval and the value", "[io]") {
  const std::string message = error_of("seed: 1\noptimizer:\n  lr: -0.5\n");
  INFO(message);
  CHECK(has(message, "test.yaml:3:7: optimizer.lr: must be in (0, inf), got -0.5"));
  const std::string choice = error_of("loss: {name: ricci}\n");
  INFO(choice);
  CHECK(has(choice, "loss.name: unknown value 'ricci'; allowed: einstein, ricci_norm, perelman_f"));
  const std::string params = error_of("manifold:\n  name: berger\n  params: {A: -1}\n");
  INFO(params);
  CHECK(has(params, "test.yaml:3:11: manifold.params: reference metric 'berger': parameter 'A' must be > 0"));
}

TEST_CASE("Inconsistent combinations are reported at the key to change", "[io]") {
  const std::string lbfgs = error_of("points: {resample_every: 5}\noptimizer: {name: lbfgs}\n");
  INFO(lbfgs);
  CHECK(has(lbfgs, "test.yaml:1:26: points.resample_every: L-BFGS needs one fixed loss"));
  const std::string decay = error_of("optimizer:\n  schedule: cosine\n  decay_rate: 0.9\n");
  INFO(decay);
  CHECK(has(decay, "test.yaml:3:15: optimizer.decay_rate: applies only to schedule 'exponential'"));
  const std::string head = error_of("model: {head: frame_exp}\n");
  INFO(head);
  CHECK(has(head, "model.background: background 'reference' composes"));
  CHECK(has(head, "allowed: none"));
  const std::string perelman = error_of("manifold: {name: hyperbolic}\nloss: {name: perelman_f}\n");
  INFO(perelman);
  CHECK(has(perelman, "test.yaml:2:14: loss.name: perelman_f slaves the dilaton"));
}

TEST_CASE("--set overrides replace keys, parse YAML values and are blamed as --set", "[io]") {
  const LoadedConfig loaded =
      load_config(default_config_text(), "<default>", {"optimizer.steps=7", "model.hidden=[3, 5]", "seed=11"});
  CHECK(loaded.config.optimizer.steps == 7);
  CHECK(loaded.config.model.hidden == std::vector<int64_t>{3, 5});
  CHECK(loaded.config.seed == 11);
  CHECK(has(loaded.text, "steps: 7"));
  // The re-emitted text is the configuration actually run: loading it gives the same config.
  CHECK(load_config(loaded.text, "again").config.model.hidden == std::vector<int64_t>{3, 5});
  const std::string bad = error_of(default_config_text(), {"optimizer.lr=-1"});
  INFO(bad);
  CHECK(has(bad, "--set optimizer.lr: optimizer.lr: must be in (0, inf), got -1"));
  CHECK(has(error_of(default_config_text(), {"optimizer.stpes=3"}), "did you mean 'steps'?"));
  CHECK(has(error_of(default_config_text(), {"seed"}), "--set: expected key.path=value"));
}

TEST_CASE("The same seed gives identical trajectory datasets", "[io][flows]") {
  const ExperimentConfig config = load_config(kTinyRun, "tiny").config;
  const std::string a = temp_path("seed_a"), b = temp_path("seed_b");
  const ExperimentSummary summary = run_experiment(config, run_options(a));
  run_experiment(config, run_options(b));
  CHECK(summary.steps_done == 10);
  CHECK(summary.records == 5);
  check_identical(a, b);
  // A different seed gives a different run.
  ExperimentConfig other = config;
  other.seed = 6;
  run_experiment(other, run_options(b));
  CHECK_FALSE(at::equal(Hdf5File::open(a).read_tensor("trajectory/g"), Hdf5File::open(b).read_tensor("trajectory/g")));
  remove_run(a);
  remove_run(b);
}

TEST_CASE("A run stopped between steps and resumed equals an uninterrupted run bit for bit", "[io][flows]") {
  const ExperimentConfig config = load_config(kTinyRun, "tiny").config;
  const std::string full = temp_path("full"), split = temp_path("split");
  run_experiment(config, run_options(full));
  // Stop after 7 steps (as SIGINT does): not a multiple of the checkpoint or resampling period, so the resumed run
  // needs the saved training points and the generator state.
  ExperimentHooks hooks;
  int64_t steps = 0;
  hooks.on_step = [&](const StepRecord&, int64_t) { ++steps; };
  hooks.stop_requested = [&] { return steps == 7; };
  const ExperimentSummary first = run_experiment(config, run_options(split), hooks);
  CHECK(first.interrupted);
  CHECK(first.steps_done == 7);
  ExperimentRunOptions resume = run_options(split);
  resume.resume = true;
  const ExperimentSummary second = run_experiment(config, resume);
  CHECK(second.resumed_from == 7);
  CHECK(second.steps_done == 10);
  check_identical(full, split);
  CHECK(Hdf5File::open(split).read_string_attribute("/", "status") == "complete");
  remove_run(full);
  remove_run(split);
}

// The child of the SIGKILL test, started by exec (a forked copy of a process whose LibTorch thread pool is running
// may deadlock): runs until killed, writing each finished step's count to the pipe NMFLOW_TEST_KILL_FD.
TEST_CASE("sigkill child: run until killed", "[.sigkill_child]") {
  const char* path = std::getenv("NMFLOW_TEST_KILL_PATH");
  const char* fd = std::getenv("NMFLOW_TEST_KILL_FD");
  REQUIRE(path != nullptr);
  REQUIRE(fd != nullptr);
  const int pipe_fd = std::atoi(fd);
  ExperimentConfig config = load_config(kTinyRun, "tiny").config;
  config.optimizer.steps = 100000;
  config.recording.every = 1;
  ExperimentHooks hooks;
  hooks.on_step = [&](const StepRecord& r, int64_t) {
    const int64_t done = r.step + 1;
    if (write(pipe_fd, &done, sizeof done) != static_cast<ssize_t>(sizeof done)) _exit(3);
  };
  run_experiment(config, run_options(path), hooks);
}

TEST_CASE("A run killed with SIGKILL leaves a readable trajectory holding its records", "[io][flows]") {
  const std::string path = temp_path("killed");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    setenv("NMFLOW_TEST_KILL_PATH", path.c_str(), 1);
    setenv("NMFLOW_TEST_KILL_FD", std::to_string(ready[1]).c_str(), 1);
    execl("/proc/self/exe", "config_tests", "[.sigkill_child]", static_cast<char*>(nullptr));
    _exit(5);
  }
  close(ready[1]);
  int64_t acknowledged = 0;
  while (acknowledged < 5) {
    REQUIRE(read(ready[0], &acknowledged, sizeof acknowledged) == static_cast<ssize_t>(sizeof acknowledged));
  }
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  close(ready[0]);
  REQUIRE(WIFSIGNALED(status));
  const Hdf5File file = Hdf5File::open(path);
  const int64_t count = file.record_count("trajectory/step");
  INFO("records on disk: " << count << ", acknowledged: " << acknowledged);
  CHECK(count >= 5);
  CHECK(file.read_string_attribute("/", "status") == "running");
  const at::Tensor steps = file.read_tensor("trajectory/step").flatten();
  CHECK(at::equal(steps.slice(0, 0, 5), at::arange(1, 6, at::kLong)));
  const at::Tensor g = file.read_tensor("trajectory/g");
  CHECK(g.size(0) >= count);
  CHECK(at::isfinite(g.slice(0, 0, count)).all().item<bool>());
  remove_run(path);
}

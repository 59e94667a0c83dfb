// The run lifecycle of kind real_metric_flow (experiments/experiment.h, run_lifecycle.h): the same seed gives the same
// trajectory; a run stopped between steps and resumed, or killed with SIGKILL, keeps or reproduces its records bit for
// bit; NTK diagnostics resume too; --resume refuses a changed experiment; a diverging run and a run that cannot fit
// stop with a message and an honest file.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/experiment.h"
#include "io/config_entries.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

bool has(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

// The message of the nmflow::Error that `body` throws ("" when it does not throw).
template <class F>
std::string error_of_resume(F&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A small run: 8 training points on a perturbed round S², 2 probes, a 4-wide network.
const char* kTinyRun = R"(seed: 5
manifold: {name: round_sphere, params: {dim: 2}}
points: {train: 8, probe: 2, resample_every: 3}
model: {head: conformal, hidden: [4]}
loss: {name: einstein, params: {volume_weight: 1.0}}
optimizer: {name: adam, lr: 0.01, steps: 10}
recording: {every: 2, checkpoint_every: 4}
)";

std::string temp_path(const std::string& name) { return "real_metric_flow_test_" + name + ".h5"; }

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

TEST_CASE("The same seed gives identical trajectory datasets", "[experiments]") {
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

TEST_CASE("A run stopped between steps and resumed equals an uninterrupted run bit for bit", "[experiments]") {
  const ExperimentConfig config = load_config(kTinyRun, "tiny").config;
  const std::string full = temp_path("full"), split = temp_path("split");
  run_experiment(config, run_options(full));
  // Stop after 7 steps (as SIGINT does): not a multiple of the checkpoint or resampling period, so the resumed run
  // needs the saved training points and the generator state.
  RunHooks hooks;
  int64_t steps = 0;
  hooks.on_progress = [&](const RunProgress&) { ++steps; };
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
  config.sections<RealMetricFlowConfig>().optimizer.steps = 100000;
  config.recording.every = 1;
  RunHooks hooks;
  hooks.on_progress = [&](const RunProgress& p) {
    const int64_t done = p.done;
    if (write(pipe_fd, &done, sizeof done) != static_cast<ssize_t>(sizeof done)) _exit(3);
  };
  run_experiment(config, run_options(path), hooks);
}

TEST_CASE("A run killed with SIGKILL leaves a readable trajectory holding its records", "[experiments]") {
  const std::string path = temp_path("killed");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    setenv("NMFLOW_TEST_KILL_PATH", path.c_str(), 1);
    setenv("NMFLOW_TEST_KILL_FD", std::to_string(ready[1]).c_str(), 1);
    execl("/proc/self/exe", "experiments_tests", "[.sigkill_child]", static_cast<char*>(nullptr));
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

TEST_CASE("recording.ntk_every records /ntk: drift 0 at step 0 then > 0, eigenvalues descending, reproducible and "
          "resumable bit for bit", "[experiments]") {
  // Steps 0, 4, 8 and the last, 10. The text with the overrides is what the runs record (and --resume compares).
  const LoadedConfig loaded = load_config(
      kTinyRun, "tiny", {"recording.ntk_every=4", "recording.ntk_probes=2", "recording.ntk_eigenvalues=3"});
  const ExperimentConfig& config = loaded.config;
  const auto ntk_options = [&](const std::string& path) {
    ExperimentRunOptions options = run_options(path);
    options.config_text = loaded.text;
    return options;
  };
  const std::string a = temp_path("ntk_a"), b = temp_path("ntk_b"), split = temp_path("ntk_split");
  run_experiment(config, ntk_options(a));
  run_experiment(config, ntk_options(b));
  const std::vector<std::string> ntk = {"ntk/step", "ntk/flow_time", "ntk/relative_drift", "ntk/nonlocal_mass",
                                        "ntk/top_eigenvalues"};
  {
    const Hdf5File file = Hdf5File::open(a);
    const at::Tensor step = file.read_tensor("ntk/step");
    REQUIRE(step.sizes() == at::IntArrayRef{4});
    CHECK(step[0].item<int64_t>() == 0);
    CHECK(step[1].item<int64_t>() == 4);
    CHECK(step[3].item<int64_t>() == 10);
    // Flow time of step 4 is the trajectory's (record 1: steps 2, 4, …) and 4 η for adam's constant η = 0.01.
    const at::Tensor time = file.read_tensor("ntk/flow_time");
    CHECK(time[1].item<double>() == file.read_tensor("trajectory/time")[1][0].item<double>());
    CHECK_CLOSE(time[1], at::scalar_tensor(0.04, at::kDouble), 1e-14);
    const at::Tensor drift = file.read_tensor("ntk/relative_drift");
    const at::Tensor eig = file.read_tensor("ntk/top_eigenvalues");
    const at::Tensor mass = file.read_tensor("ntk/nonlocal_mass");  // 2 points: in [0, 1 − 1/2]
    INFO("drift " << drift << "\neigenvalues " << eig << "\nnonlocal mass " << mass);
    CHECK(drift[0].item<double>() == 0.0);
    for (int64_t i = 1; i < 4; ++i) CHECK(drift[i].item<double>() > 1e-8);
    REQUIRE(eig.sizes() == at::IntArrayRef({4, 3}));
    CHECK(at::all(eig.slice(1, 0, 2) >= eig.slice(1, 1, 3)).item<bool>());
    CHECK(at::all(eig.select(1, 1) > 0).item<bool>());
    // A conformal head has one scalar output per point, so its metric-NTK on 2 probes has rank 2: the third
    // eigenvalue is zero up to round-off (either sign).
    CHECK(at::all(eig.select(1, 2).abs() <= 1e-12 * eig.select(1, 0)).item<bool>());
    CHECK(at::all((mass > 0) & (mass <= 0.5 + 1e-12)).item<bool>());
  }
  const auto same_ntk = [&](const std::string& x, const std::string& y) {
    const Hdf5File fx = Hdf5File::open(x), fy = Hdf5File::open(y);
    for (const std::string& name : ntk) {
      INFO(name);
      const at::Tensor tx = fx.read_tensor(name), ty = fy.read_tensor(name);
      REQUIRE(tx.sizes() == ty.sizes());
      CHECK(at::equal(tx, ty));
    }
  };
  same_ntk(a, b);
  // Stopped after 7 steps (rows 0 and 4 written, checkpoint at 7) and resumed: Θ_0 is recomputed from the seed's
  // initial parameters, and the rows equal the uninterrupted run's.
  RunHooks hooks;
  int64_t steps = 0;
  hooks.on_progress = [&](const RunProgress&) { ++steps; };
  hooks.stop_requested = [&] { return steps == 7; };
  run_experiment(config, ntk_options(split), hooks);
  ExperimentRunOptions resume = ntk_options(split);
  resume.resume = true;
  run_experiment(config, resume);
  same_ntk(a, split);
  remove_run(a);
  remove_run(b);
  remove_run(split);
}

TEST_CASE("--resume refuses a changed experiment and names every differing key", "[experiments]") {
  const std::string path = temp_path("resume_changed");
  const ExperimentConfig config = load_config(kTinyRun, "tiny").config;
  RunHooks hooks;
  int64_t steps = 0;
  hooks.on_progress = [&](const RunProgress&) { ++steps; };
  hooks.stop_requested = [&] { return steps == 5; };
  REQUIRE(run_experiment(config, run_options(path), hooks).interrupted);

  const auto resume_with = [&](const std::vector<std::string>& sets, bool allow) {
    const LoadedConfig changed = load_config(kTinyRun, "tiny", sets);
    ExperimentRunOptions options = run_options(path);
    options.config_text = changed.text;
    options.resume = true;
    options.resume_changed = allow;
    return run_experiment(changed.config, options);
  };
  // A different learning rate and seed: refused before any step, each key with its old and new value.
  try {
    resume_with({"optimizer.lr=0.02", "seed=6"}, false);
    FAIL("a resume with a changed lr and seed ran");
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(has(message, "--resume: the configuration differs from the run being resumed"));
    CHECK(has(message, "optimizer.lr: 0.01 -> 0.02"));
    CHECK(has(message, "seed: 5 -> 6"));
    CHECK(has(message, "--resume-changed"));
  }
  CHECK(has(error_of_resume([&] { resume_with({"loss.name=ricci_norm"}, false); }), "loss.name: einstein -> ricci_norm"));
  CHECK(Hdf5File::open(path).read_string_attribute("/", "status") == "interrupted");
  // The step budget may change: 12 steps instead of 10 continue from step 5.
  CHECK(resume_with({"optimizer.steps=12"}, false).steps_done == 12);
  // With --resume-changed the run continues and records what changed.
  CHECK(resume_with({"optimizer.steps=14", "optimizer.lr=0.02"}, true).steps_done == 14);
  CHECK(has(Hdf5File::open(path).read_string_attribute("/", "resumed_with_changes"), "optimizer.lr: 0.01 -> 0.02"));
  remove_run(path);
}

TEST_CASE("A diverging run stops naming the step and optimizer.lr, leaving status failed and its checkpoint good",
          "[experiments]") {
  const std::string path = temp_path("diverge");
  const LoadedConfig good = load_config(kTinyRun, "tiny");
  run_experiment(good.config, run_options(path));  // 10 steps, checkpoint at step 10
  const at::Tensor checkpoint_before = Hdf5File::open(checkpoint_path(path)).read_tensor("parameters/0");

  // Continued at a learning rate of 1e300: the first update throws the parameters out of the metric's domain.
  const LoadedConfig wild = load_config(kTinyRun, "tiny", {"optimizer.steps=20", "optimizer.lr=1e300"});
  ExperimentRunOptions options = run_options(path);
  options.config_text = wild.text;
  options.resume = true;
  options.resume_changed = true;
  std::string message;
  try {
    run_experiment(wild.config, options);
  } catch (const RunDiverged& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(has(message, "training step 11: "));
  CHECK(has(message, "the run diverged — lower optimizer.lr (1e+300 now) or set optimizer.clip"));
  const Hdf5File file = Hdf5File::open(path);
  CHECK(file.read_string_attribute("/", "status") == "failed");
  CHECK(file.read_string_attribute("/", "failure") == message);
  CHECK(file.read_tensor("trajectory/step").size(0) == 5);  // the records of steps 2 … 10 stay readable
  // The checkpoint still holds step 10's finite parameters: a failed step never overwrites it.
  const Hdf5File checkpoint = Hdf5File::open(checkpoint_path(path));
  CHECK(checkpoint.read_int_attribute("/", "step") == 10);
  CHECK(at::equal(checkpoint.read_tensor("parameters/0"), checkpoint_before));
  remove_run(path);
}

TEST_CASE("A run whose training points cannot fit in memory is refused before any work", "[experiments]") {
  const LoadedConfig huge = load_config(kTinyRun, "tiny", {"points.train=100000000000"});
  const std::string path = temp_path("huge");
  try {
    run_experiment(huge.config, run_options(path));
    FAIL("a run of 1e11 training points started");
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(has(message, "points.train: 100000000000 training points need at least "));
    CHECK(has(message, " is available; at most "));
    CHECK(has(message, "lower points.train"));
  }
  CHECK_FALSE(std::ifstream(path).good());  // refused before the file was created
}

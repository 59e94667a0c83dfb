// nmflow run: an experiment from a YAML configuration (docs/config.md), or the embedded default experiment, with
// its results written to HDF5 (docs/hdf5.md). Dispatches on `kind`:
//   real_metric_flow  trajectory (docs/hdf5.md "Trajectories"); Ctrl-C stops after the current step, writes a
//                     checkpoint and closes the file; --resume continues from that checkpoint;
//   cy_metric         σ per evaluation and the final per-point data (docs/hdf5.md "Calabi–Yau runs"); a checkpoint at
//                     every evaluation; Ctrl-C stops at the next evaluation; --resume continues from the checkpoint;
//   donaldson         σ of the balanced metric per k; Ctrl-C stops before the next k.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "experiments/cy_experiment.h"
#include "experiments/donaldson_experiment.h"
#include "experiments/experiment.h"
#include "io/config_yaml.h"

namespace nmflow::cli {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void request_stop(int) {
  g_stop_requested = 1;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

struct RunOptions {
  std::string file;
  std::vector<std::string> sets;
  std::string output;
  bool resume = false;
  bool resume_changed = false;
  bool quick = false;
  int threads = 0;  // > 0: overrides the config's `threads`
};

std::string resolve_device(const std::string& device) {
  const bool cuda = at::hasCUDA();
  if (device == "cuda" && !cuda) {
    throw UsageError("device: cuda requested but LibTorch sees no CUDA device; allowed here: cpu, auto");
  }
  return (device == "cuda" || (device == "auto" && cuda)) ? "cuda:0" : "cpu";
}

std::string format_seconds(double s) {
  if (s < 60) return fmt::format("{:.1f}s", s);
  return fmt::format("{}m{:02d}s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
}

// A one-line bar redrawn in place on a terminal; a plain line every ~10% of the steps otherwise.
class Progress {
 public:
  Progress() : start_(std::chrono::steady_clock::now()) {}

  void update(const StepRecord& r, int64_t total) {
    const int64_t done = r.step + 1;
    if (first_step_ < 0) first_step_ = r.step;  // steps restored by --resume do not count towards the rate
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done - first_step_) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(kWidth * done / total);
      fmt::print("\r[{}{}] {}/{}  t {:.4g}  loss {:.4e}  {:.1f} it/s  ETA {}   ", std::string(filled, '#'),
                 std::string(kWidth - filled, '.'), done, total, r.time, r.loss, rate, format_seconds(eta));
      if (done == total) fmt::print("\n");
      std::fflush(stdout);
      return;
    }
    const int64_t tenth = std::max<int64_t>(1, total / 10);
    if (done % tenth == 0 || done == total) {
      fmt::print("step {}/{}  t {:.6g}  loss {:.6e}  |grad| {:.3e}  {:.1f} it/s  ETA {}\n", done, total, r.time, r.loss,
                 r.grad_norm, rate, format_seconds(eta));
      std::fflush(stdout);
    }
  }

 private:
  int64_t first_step_ = -1;
  std::chrono::steady_clock::time_point start_;
  bool tty_ = isatty(fileno(stdout)) != 0;
};

void print_summary(const ExperimentSummary& s, double seconds, const std::string& output) {
  fmt::print("\n{:<28}{}\n", "summary", s.interrupted ? "(interrupted)" : "");
  fmt::print("  {:<26}{}/{}{}\n", "steps", s.steps_done, s.total_steps,
             s.resumed_from > 0 ? fmt::format(" (resumed at {})", s.resumed_from) : "");
  fmt::print("  {:<26}{:.6g}\n", "flow time t", s.flow_time);
  fmt::print("  {:<26}{:.6e} -> {:.6e}\n", "loss (first -> last)", s.first_loss, s.last_loss);
  fmt::print("  {:<26}{:.4e} -> {:.4e}\n", "R range max-min (probes)", s.scalar_range_initial, s.scalar_range_final);
  fmt::print("  {:<26}{:.6g}\n", "mean R on probes", s.scalar_mean_final);
  fmt::print("  {:<26}{}\n", "records", s.records);
  fmt::print("  {:<26}{}\n", "wall time", format_seconds(seconds));
  fmt::print("wrote {} (checkpoint {})\n", output, s.checkpoint);
}

// One plain line per evaluation (a run has at most a few hundred).
void print_epoch(const CYEpochRecord& r, int64_t total_epochs) {
  fmt::print("epoch {}/{}  steps {}  sigma {:.6f}  kappa {:.6f}  train loss {:.6f}  {}\n", r.epoch, total_epochs,
             r.steps, r.sigma, r.kappa, r.train_loss, format_seconds(r.wall_seconds));
  std::fflush(stdout);
}

void print_cy_summary(const CYExperimentSummary& s, double seconds, const std::string& output) {
  fmt::print("\n{:<28}{}\n", "summary", s.interrupted ? "(interrupted)" : "");
  fmt::print("  {:<26}{}/{}\n", "epochs", s.epochs_done, s.total_epochs);
  fmt::print("  {:<26}{}/{}\n", "steps", s.steps_done, s.total_epochs * s.steps_per_epoch);
  fmt::print("  {:<26}{:.6f} -> {:.6f}\n", "sigma (FS -> final)", s.sigma_initial, s.sigma_final);
  fmt::print("  {:<26}{:.6f}\n", "kappa", s.kappa_final);
  fmt::print("  {:<26}{:.6e}\n", "train loss (last epoch)", s.train_loss_final);
  if (s.has_curvature) {
    fmt::print("  {:<26}{:.6e}\n", "Ricci measure", s.ricci_measure);
    fmt::print("  {:<26}{:.6e}\n", "max |R|", s.max_abs_ricci_scalar);
    fmt::print("  {:<26}{:.4f} +- {:.4f}\n", "Euler characteristic", s.euler_characteristic, s.euler_standard_error);
  }
  fmt::print("  {:<26}{}{}\n", "records", s.records,
             s.resumed_from_epoch > 0 ? fmt::format(" (resumed after epoch {})", s.resumed_from_epoch) : "");
  fmt::print("  {:<26}{} training, {} in all\n", "wall time", format_seconds(s.wall_seconds), format_seconds(seconds));
  fmt::print("wrote {}\n", output);
}

void print_donaldson_summary(const DonaldsonSummary& s, double seconds, const std::string& output) {
  fmt::print("\n{:<28}{}\n", "summary", s.interrupted ? "(interrupted)" : "");
  fmt::print("  {:<6}{:>10}{:>12}{:>14}{:>12}{:>10}\n", "k", "sections", "iterations", "residual", "sigma", "time");
  fmt::print("  {:<6}{:>10}{:>12}{:>14}{:>12.6f}{:>10}\n", "FS", "", "", "", s.sigma_fs, "");
  for (const DonaldsonRecord& r : s.degrees) {
    fmt::print("  {:<6}{:>10}{:>12}{:>14.3e}{:>12.6f}{:>10}\n", r.k, r.sections, r.iterations, r.residual, r.sigma,
               format_seconds(r.seconds));
  }
  fmt::print("  {:<26}{}/{}\n", "degrees", s.degrees.size(), s.total_degrees);
  fmt::print("  {:<26}{}\n", "wall time", format_seconds(seconds));
  fmt::print("wrote {}\n", output);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void exit_interrupted(const std::string& where, const std::string& command_line) {
  fmt::print("interrupted after {}; rerun with: {}\n", where, command_line);
  std::fflush(stdout);
  std::exit(130);  // the shell's convention for a run ended by SIGINT
}

bool stop_requested() { return g_stop_requested != 0; }

void run_real(const ExperimentConfig& config, const ExperimentRunOptions& options, const RunOptions& o,
              const Invocation& invocation) {
  fmt::print("nmflow run: {} on {} ({}), loss {}, optimizer {} x {} steps{} -> {}\n",
             o.file.empty() ? "default experiment" : o.file, config.manifold.name, options.device, config.loss.name,
             config.optimizer.name, config.optimizer.steps, o.quick ? " (quick)" : "", options.output);
  std::fflush(stdout);
  Progress progress;
  ExperimentHooks hooks;
  hooks.stop_requested = stop_requested;
  hooks.on_step = [&](const StepRecord& r, int64_t total) { progress.update(r, total); };
  const auto start = std::chrono::steady_clock::now();
  const ExperimentSummary summary = run_experiment(config, options, hooks);
  std::signal(SIGINT, SIG_DFL);
  print_summary(summary, seconds_since(start), options.output);
  if (summary.interrupted) {
    fmt::print("interrupted after step {}; continue with: {} --resume\n", summary.steps_done, invocation.command_line);
    std::fflush(stdout);
    std::exit(130);
  }
}

void run_cy_metric(const ExperimentConfig& config, const ExperimentRunOptions& options, const RunOptions& o,
                   const Invocation& invocation) {
  fmt::print("nmflow run: {} on {} ({}), phi-model {} x {} epochs of batch {}, {} + {} points{} -> {}\n", o.file,
             config.variety.name, options.device, config.optimizer.name, config.training.epochs,
             config.training.batch_size, config.cy_points.train, config.cy_points.validation,
             o.quick ? " (quick)" : "", options.output);
  std::fflush(stdout);
  CYExperimentHooks hooks;
  hooks.stop_requested = stop_requested;
  hooks.on_epoch = print_epoch;
  const auto start = std::chrono::steady_clock::now();
  const CYExperimentSummary summary = run_cy_experiment(config, options, hooks);
  std::signal(SIGINT, SIG_DFL);
  print_cy_summary(summary, seconds_since(start), options.output);
  if (summary.interrupted) {
    fmt::print("interrupted after epoch {}; continue with: {}{}\n", summary.epochs_done, invocation.command_line,
               o.resume ? "" : " --resume");
    std::fflush(stdout);
    std::exit(130);  // the shell's convention for a run ended by SIGINT
  }
}

void run_donaldson(const ExperimentConfig& config, const ExperimentRunOptions& options, const RunOptions& o,
                   const Invocation& invocation) {
  std::string degrees;
  for (const int64_t k : config.donaldson.k) degrees += (degrees.empty() ? "" : ",") + std::to_string(k);
  fmt::print("nmflow run: {} on {} ({}), balanced metrics k = {} ({} iterations), {} + {} points{} -> {}\n", o.file,
             config.variety.name, options.device, degrees, config.donaldson.iterations, config.cy_points.train,
             config.cy_points.validation, o.quick ? " (quick)" : "", options.output);
  std::fflush(stdout);
  DonaldsonHooks hooks;
  hooks.stop_requested = stop_requested;
  hooks.on_degree = [](const DonaldsonRecord& r, int64_t) {
    fmt::print("k {}  sections {}  iterations {}  residual {:.3e}  sigma {:.6f}  {}\n", r.k, r.sections, r.iterations,
               r.residual, r.sigma, format_seconds(r.seconds));
    std::fflush(stdout);
  };
  const auto start = std::chrono::steady_clock::now();
  const DonaldsonSummary summary = run_donaldson_experiment(config, options, hooks);
  std::signal(SIGINT, SIG_DFL);
  print_donaldson_summary(summary, seconds_since(start), options.output);
  if (summary.interrupted) {
    exit_interrupted(std::to_string(summary.degrees.size()) + " degrees", invocation.command_line);
  }
}

void run(const RunOptions& o, const Invocation& invocation) {
  const LoadedConfig loaded = o.file.empty() ? load_config(default_config_text(), "<default>", o.sets)
                                             : load_config_file(o.file, o.sets);
  ExperimentConfig config = loaded.config;
  if (o.quick) apply_quick(config);
  if (o.resume && config.kind != "real_metric_flow" && config.kind != "cy_metric") {
    throw UsageError("--resume: kind " + config.kind + " writes no checkpoint, so there is nothing to resume; "
                     "rerun without --resume");
  }
  if (o.threads > 0) config.threads = o.threads;
  if (config.threads > 0) at::set_num_threads(static_cast<int>(config.threads));
  ExperimentRunOptions options;
  options.output = o.output.empty() ? config.recording.output : o.output;
  options.resume = o.resume;
  options.resume_changed = o.resume_changed;
  options.quick = o.quick;
  options.config_text = loaded.text;
  options.command_line = invocation.command_line;
  options.device = resolve_device(config.device);
  options.start_time = invocation.start_time;
  g_stop_requested = 0;
  std::signal(SIGINT, request_stop);
  if (config.kind == "cy_metric") {
    run_cy_metric(config, options, o, invocation);
  } else if (config.kind == "donaldson") {
    run_donaldson(config, options, o, invocation);
  } else {
    run_real(config, options, o, invocation);
  }
}

}  // namespace

void add_run_command(CLI::App& app, const Invocation& invocation) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Run an experiment from a YAML configuration (none: the default one)");
  command->add_option("file", options->file, "Configuration file (YAML; docs/config.md)")->check(CLI::ExistingFile);
  command->add_option("--set", options->sets, "Override a key: key.path=value (YAML value; repeatable)")
      ->allow_extra_args(false);
  command->add_option("-o,--output", options->output, "Output file (default: recording.output)");
  command->add_flag("--resume", options->resume, "Continue from <output>.checkpoint (kind real_metric_flow)");
  command->add_flag("--resume-changed", options->resume_changed,
                    "With --resume: continue although the config differs from the run's (differences recorded)");
  command->add_flag("--quick", options->quick, "Shrink steps and points (smoke tests)");
  command->add_option("--threads", options->threads, "LibTorch CPU threads (overrides the config's `threads`; "
                      "0: the config's, else LibTorch's default)")
      ->check(CLI::Range(0, 4096));
  command->callback([options, &invocation] { run(*options, invocation); });
}

}  // namespace nmflow::cli

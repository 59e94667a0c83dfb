// nmflow run: an experiment from a YAML configuration (docs/config.md), or the embedded default experiment, with
// its results written to HDF5 (docs/hdf5.md). `kind` picks the experiment from the registry
// (experiments/experiment_registry.h); this file only resolves options, prints progress and the summary, and maps
// Ctrl-C to a clean stop (the kind checks it between units of work and closes its file; --resume continues).
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
#include "common/duration_text.h"
#include "experiments/experiment_registry.h"
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
  RunRequest request;
};

std::string resolve_device(DeviceChoice device) {
  const bool cuda = at::hasCUDA();
  if (device == DeviceChoice::Cuda && !cuda) {
    throw UsageError("device: cuda requested but LibTorch sees no CUDA device; allowed here: cpu, auto");
  }
  return (device == DeviceChoice::Cuda || (device == DeviceChoice::Auto && cuda)) ? "cuda:0" : "cpu";
}

// Frequent units (steps): a one-line bar redrawn in place on a terminal, a plain line every ~10% otherwise. Other
// units (epochs, degrees, …): one plain line each.
class Progress {
 public:
  Progress() : start_(std::chrono::steady_clock::now()) {}

  void update(const RunProgress& p) {
    if (!p.frequent) {
      fmt::print("{} {}/{}  {}\n", p.unit, p.done, p.total, p.line);
      std::fflush(stdout);
      return;
    }
    if (first_done_ < 0) first_done_ = p.done - 1;  // units restored by --resume do not count towards the rate
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(p.done - first_done_) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0.0;
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(kWidth * p.done / std::max<int64_t>(1, p.total));
      fmt::print("\r[{}{}] {}/{}  {}  {:.1f} it/s  ETA {}   ", std::string(filled, '#'),
                 std::string(kWidth - filled, '.'), p.done, p.total, p.line, rate, format_duration(eta));
      if (p.done == p.total) fmt::print("\n");
      std::fflush(stdout);
      return;
    }
    const int64_t tenth = std::max<int64_t>(1, p.total / 10);
    if (p.done % tenth == 0 || p.done == p.total) {
      fmt::print("{} {}/{}  {}  {:.1f} it/s  ETA {}\n", p.unit, p.done, p.total, p.line, rate, format_duration(eta));
      std::fflush(stdout);
    }
  }

 private:
  int64_t first_done_ = -1;
  std::chrono::steady_clock::time_point start_;
  bool tty_ = isatty(fileno(stdout)) != 0;
};

bool stop_requested() { return g_stop_requested != 0; }

}  // namespace

void run_configuration(const LoadedConfig& loaded, const RunRequest& o, const Invocation& invocation) {
  ExperimentConfig config = loaded.config;
  if (o.quick) apply_quick(config);
  const ExperimentKind& kind = find_experiment_kind(config.kind);
  if (o.resume && !kind.resumable) {
    throw UsageError("--resume: kind " + config.kind + " keeps no state to resume from; rerun without --resume");
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
  fmt::print("nmflow run: {} on {} ({}){} -> {}\n", o.label,
             kind.headline(config, options), options.device, o.quick ? " (quick)" : "", options.output);
  std::fflush(stdout);
  Progress progress;
  RunHooks hooks;
  hooks.stop_requested = stop_requested;
  hooks.on_progress = [&](const RunProgress& p) { progress.update(p); };
  const auto start = std::chrono::steady_clock::now();
  const RunReport report = kind.run(config, options, hooks);
  std::signal(SIGINT, SIG_DFL);
  fmt::print("\n{:<28}{}\n", "summary", report.interrupted ? "(interrupted)" : "");
  for (const std::string& line : report.lines) fmt::print("  {}\n", line);
  fmt::print("  {:<26}{}\n", "wall time",
             format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  fmt::print("wrote {}\n", options.output);
  if (report.interrupted) {
    fmt::print("interrupted after {}; continue with: {}{}\n", report.stopped_after, invocation.command_line,
               o.resume ? "" : " --resume");
    std::fflush(stdout);
    std::exit(130);  // the shell's convention for a run ended by SIGINT
  }
  if (report.failed_check) {
    fmt::print("check failed: see the summary above\n");
    std::fflush(stdout);
    std::exit(1);
  }
}

namespace {

void run(const RunOptions& o, const Invocation& invocation) {
  const LoadedConfig loaded = o.file.empty() ? load_config(default_config_text(), "<default>", o.sets)
                                             : load_config_file(o.file, o.sets);
  RunRequest request = o.request;
  request.label = o.file.empty() ? "default experiment" : o.file;
  run_configuration(loaded, request, invocation);
}

}  // namespace

void add_run_command(CLI::App& app, const Invocation& invocation) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Run an experiment from a YAML configuration (none: the default one)");
  command->add_option("file", options->file, "Configuration file (YAML; docs/config.md)")->check(CLI::ExistingFile);
  command->add_option("--set", options->sets, "Override a key: key.path=value (YAML value; repeatable)")
      ->allow_extra_args(false);
  command->add_option("-o,--output", options->request.output, "Output file (default: recording.output)");
  command->add_flag("--resume", options->request.resume, "Continue the run recorded in <output> (its checkpoint, or its finished units)");
  command->add_flag("--resume-changed", options->request.resume_changed,
                    "With --resume: continue although the config differs from the run's (differences recorded)");
  command->add_flag("--quick", options->request.quick, "Shrink steps and points (smoke tests)");
  command->add_option("--threads", options->request.threads, "LibTorch CPU threads (overrides the config's `threads`; "
                      "0: the config's, else LibTorch's default)")
      ->check(CLI::Range(0, 4096));
  command->callback([options, &invocation] { run(*options, invocation); });
}

}  // namespace nmflow::cli

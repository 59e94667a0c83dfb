#include "experiments/cy_width_ladder_experiment.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>

#include "common/duration_text.h"
#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "io/hdf5_file.h"

namespace nmflow {

namespace {

// Probe points come from a third stream, independent of the training points' (seed) and the validation points'
// (seed ^ 0x9E3779B97F4A7C15, cy_experiment.h).
constexpr uint64_t kProbeSeedOffset = 0xC2B2AE3D27D4EB4Full;

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const Hypersurface& surface, double sigma_fs, const std::string& status) {
  const CYWidthLadderRunConfig& s = c.sections<CYWidthLadderRunConfig>();
  file.write_int_attribute("/", "probe_points", s.ladder.probes);
  file.write_double_attribute("/", "sigma_fs", sigma_fs);
  write_cy_run_attributes(file, c, s.variety, s.points, o, surface, status);
}

// The runs a resumed ladder keeps: those the run file counts, each of which must be the run this ladder trains at
// its index, trained for training.epochs epochs (a key --resume may otherwise change: here it would compare runs of
// different budgets).
std::vector<CYLadderRun> kept_runs(const std::string& output, const CYWidthLadderConfig& ladder,
                                   const std::vector<CYLadderRunSpec>& plan) {
  const Hdf5File file = Hdf5File::open(output);
  NMFLOW_CHECK(file.exists("ladder") && file.has_attribute("ladder", "epochs"), "--resume: '", output,
               "' has no /ladder (not a cy_width_ladder run file)");
  const int64_t epochs = file.read_int_attribute("ladder", "epochs");
  NMFLOW_CHECK(epochs == ladder.epochs, "--resume: the runs in '", output, "' trained ", epochs,
               " epochs, training.epochs is now ", ladder.epochs, "; the runs of a ladder share one budget: restore "
               "training.epochs = ", epochs, ", or rerun without --resume to start afresh");
  std::vector<CYLadderRun> kept = read_cy_ladder_runs(file);
  NMFLOW_CHECK(kept.size() <= plan.size(), "--resume: '", output, "' holds ", kept.size(), " runs, the ladder has ",
               plan.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    const CYLadderRun& r = kept[i];
    NMFLOW_CHECK(r.width == plan[i].width && r.seed == plan[i].seed && r.regime == plan[i].regime &&
                     r.depth == ladder.depth,
                 "--resume: '", output, "' holds width ", r.width, ", depth ", r.depth, ", seed ", r.seed, ", ",
                 ladder_regime_name(r.regime), " as its run ", i, ", where this ladder trains width ", plan[i].width,
                 ", depth ", ladder.depth, ", seed ", plan[i].seed, ", ", ladder_regime_name(plan[i].regime));
  }
  return kept;
}

double min_sigma(const CYLadderRun& run) {
  double sigma = run.records.front().sigma;
  for (const CYEpochRecord& r : run.records) sigma = std::min(sigma, r.sigma);
  return sigma;
}

// One row of the ladder's table: the progress line of a run and a line of the summary.
std::string run_row(const CYLadderRun& run) {
  return fmt::format("{:>6} {:>4} {:<16} {:>8} {:>9.5f} {:>9.5f} {:>9.5f} {:>9.4f} {:>9.4f} {:>9.4f} {:>8.1f} {:>8.1f}",
                     run.width, run.seed, ladder_regime_name(run.regime), run.parameters, run.records.front().sigma,
                     run.records.back().sigma, min_sigma(run), run.ntk_drift.back(), run.eta_ntk_drift.back(),
                     run.weight_drift, run.records.back().cpu_seconds, run.ntk_seconds);
}

std::string table_header() {
  return fmt::format("{:>6} {:>4} {:<16} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}", "width", "seed",
                     "regime", "params", "sigma_FS", "sigma_end", "sigma_min", "ntk_drift", "eta_drift", "w_drift",
                     "cpu_s", "ntk_s");
}

std::vector<std::string> summary_lines(const CYWidthLadderSummary& s) {
  std::vector<std::string> lines = {table_header()};
  for (const CYLadderRun& run : s.runs) lines.push_back(run_row(run));
  lines.push_back(fmt::format("{:<26}{:.6f}", "sigma_FS (validation)", s.sigma_fs));
  lines.push_back(fmt::format("{:<26}{}/{}{}", "runs", s.runs.size(), s.total_runs,
                              s.resumed_runs > 0 ? fmt::format(" ({} kept from the resumed run)", s.resumed_runs)
                                                 : ""));
  return lines;
}

}  // namespace

CYPointSet sample_probe_points(const Hypersurface& surface, const ExperimentConfig& config) {
  return sample_cy_points(surface, config.sections<CYWidthLadderRunConfig>().ladder.probes,
                          config.seed ^ kProbeSeedOffset);
}

CYWidthLadderSummary run_cy_width_ladder_experiment(const ExperimentConfig& config,
                                                    const ExperimentRunOptions& options, const RunHooks& hooks) {
  NMFLOW_CHECK(config.kind == "cy_width_ladder", "run_cy_width_ladder_experiment: config kind is '", config.kind,
               "'; allowed: cy_width_ladder");
  NMFLOW_CHECK(options.device.empty() || options.device == "cpu",
               "kind cy_width_ladder runs on the CPU only so far; got device '", options.device, "'; allowed: cpu");
  const CYWidthLadderRunConfig& sections = config.sections<CYWidthLadderRunConfig>();
  const CYWidthLadderConfig& ladder = sections.ladder;
  check_cy_width_ladder_config(ladder);
  RunLifecycle lifecycle(config, options, options.output, "run file",
                         "a cy_width_ladder run keeps every finished run there; --resume trains the others");
  const std::vector<CYLadderRunSpec> plan = cy_width_ladder_runs(ladder);
  std::vector<CYLadderRun> kept;
  if (lifecycle.resuming()) kept = kept_runs(options.output, ladder, plan);
  const Hypersurface surface = variety_hypersurface(sections.variety);
  check_cy_points_fit(surface, sections.points);
  const CYPointSet train = sample_train_points(surface, sections.points, config.seed);
  const CYPointSet validation = sample_validation_points(surface, sections.points, config.seed);
  const CYPointSet probes = sample_probe_points(surface, config);
  CYWidthLadderSummary summary;
  summary.total_runs = static_cast<int64_t>(plan.size());
  summary.sigma_fs = cy_accuracy(validation.weights, validation.omega_sq, validation.det_g_fs).sigma;

  Hdf5File file = Hdf5File::create(options.output);
  write_cy_width_ladder_settings(file, ladder);
  lifecycle.begin(file, [&](Hdf5File& f, const std::string& status) {
    write_attributes(f, config, options, surface, summary.sigma_fs, status);
  });
  for (const CYLadderRun& run : kept) append_cy_ladder_run(file, run);
  summary.runs = kept;
  summary.resumed_runs = static_cast<int64_t>(kept.size());
  file.flush();

  // A failure from here on leaves the file with status = failed and its message.
  lifecycle.run(file, [&] {
    for (size_t index = kept.size(); index < plan.size(); ++index) {
      if (hooks.stop()) {
        summary.interrupted = true;
        break;
      }
      const CYLadderRun run = train_cy_ladder_run(train, validation, probes, ladder, plan[index]);
      append_cy_ladder_run(file, run);
      file.flush();
      summary.runs.push_back(run);
      hooks.progress(RunProgress{static_cast<int64_t>(summary.runs.size()), summary.total_runs, "run",
                                 run_row(run), false});
    }
  });
  lifecycle.end(file, summary.interrupted);
  return summary;
}

ExperimentKind cy_width_ladder_kind() {
  ExperimentKind kind;
  kind.name = "cy_width_ladder";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const CYWidthLadderRunConfig& c = config.sections<CYWidthLadderRunConfig>();
    const CYWidthLadderConfig& l = c.ladder;
    std::string widths, regimes;
    for (const int64_t w : l.widths) widths += (widths.empty() ? "" : ",") + std::to_string(w);
    for (const LadderRegime r : l.regimes) regimes += (regimes.empty() ? "" : ",") + ladder_regime_name(r);
    return fmt::format("{}, width ladder {} x {} x {} seed(s), {} epochs of batch {}, {} + {} points, {} probes",
                       c.variety.name, widths, regimes, l.seeds.size(), l.epochs, l.batch_size, c.points.train,
                       c.points.validation, l.probes);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const CYWidthLadderSummary summary = run_cy_width_ladder_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("{} of {} runs", summary.runs.size(), summary.total_runs);
    return report;
  };
  return kind;
}

}  // namespace nmflow

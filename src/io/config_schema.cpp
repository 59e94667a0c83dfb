#include "io/config_schema.h"

#include <algorithm>

#include "common/error.h"

namespace nmflow {

namespace {

// cy_metric and cy_free_metric (the measures of cy_metric apart).
void apply_quick_cy_training(CYPointsConfig& points, OptimizerConfig& optimizer, CYTrainingConfig& training) {
  points.train = std::min<int64_t>(points.train, 500);
  points.validation = std::min<int64_t>(points.validation, 200);
  // Ten steps per epoch whatever the configured batch, so the smoke run exercises several batches and epochs.
  // L-BFGS keeps the full batch (its loss must not change between steps).
  training.batch_size = optimizer.name == OptimizerKind::Lbfgs ? points.train
                                                               : std::max<int64_t>(1, points.train / 10);
  training.epochs = std::min<int64_t>(training.epochs, 2);
  training.eval_every = 1;
  training.max_wall_seconds = training.max_wall_seconds > 0.0 ? std::min(training.max_wall_seconds, 20.0) : 20.0;
  if (optimizer.schedule_steps > 0) {
    optimizer.schedule_steps = std::min<int64_t>(optimizer.schedule_steps, 20);
  }
}

void apply_quick_donaldson(DonaldsonRunConfig& config) {
  config.points.train = std::min<int64_t>(config.points.train, 2000);
  config.points.validation = std::min<int64_t>(config.points.validation, 500);
  std::vector<int64_t> small;
  for (const int64_t k : config.donaldson.k) {
    if (k <= 2) small.push_back(k);
  }
  config.donaldson.k = small.empty() ? std::vector<int64_t>{1} : small;
  config.donaldson.iterations = std::min<int64_t>(config.donaldson.iterations, 3);
}

// Four runs of 20 steps: two widths × two regimes, so that a quick ladder killed after its first run (the SIGKILL test
// of tests/cli) has runs left to resume.
void apply_quick_cy_width_ladder(CYWidthLadderRunConfig& config) {
  CYWidthLadderConfig& l = config.ladder;
  config.points.train = std::min<int64_t>(config.points.train, 1000);
  config.points.validation = std::min<int64_t>(config.points.validation, 500);
  l.probes = std::min<int64_t>(l.probes, 8);
  std::vector<int64_t> widths = l.widths;
  std::sort(widths.begin(), widths.end());
  l.widths = {std::min<int64_t>(widths[0], 16)};
  if (widths.size() > 1) l.widths.push_back(std::min<int64_t>(widths[1], 32));
  if (l.widths.size() == 2 && l.widths[0] == l.widths[1]) l.widths.pop_back();
  l.seeds.resize(1);
  if (l.regimes.size() > 2) l.regimes.resize(2);
  l.epochs = std::min<int64_t>(l.epochs, 2);
  l.batch_size = std::max<int64_t>(1, config.points.train / 10);
  l.eval_every = 1;
  l.top_eigenvalues = std::min<int64_t>(l.top_eigenvalues, 4);
}

void apply_quick_ricci_flow(RicciFlowConfig& r) {
  r.records = std::min<int64_t>(r.records, 3);
  r.grid = std::min<int64_t>(r.grid, 12);
  r.probes = std::min<int64_t>(r.probes, 4);
}

void apply_quick_real_metric_flow(RealMetricFlowConfig& sections, RecordingConfig& recording) {
  sections.optimizer.steps = std::min<int64_t>(sections.optimizer.steps, 20);
  sections.points.train = std::min<int64_t>(sections.points.train, 64);
  sections.points.probe = std::min<int64_t>(sections.points.probe, 16);
  recording.every = std::min<int64_t>(recording.every, 5);
  if (sections.compare.ricci_flow) sections.compare.every = std::min<int64_t>(sections.compare.every, 5);
  if (recording.checkpoint_every > 0) {
    recording.checkpoint_every = std::min<int64_t>(recording.checkpoint_every, 10);
  }
  if (recording.ntk_every > 0) {
    recording.ntk_every = std::min<int64_t>(recording.ntk_every, 10);
  }
  // Θ has ntk_probes · p ≥ ntk_probes rows: with fewer probes, ntk_eigenvalues ≤ ntk_probes keeps it in range.
  const int64_t probes = std::min(recording.ntk_probes, sections.points.probe);
  if (probes < recording.ntk_probes) {
    recording.ntk_eigenvalues = std::min(recording.ntk_eigenvalues, probes);
    recording.ntk_probes = probes;
  }
}

}  // namespace

void throw_wrong_kind_sections(const char* held, const char* asked) {
  throw Error(std::string("the configuration is of kind ") + held + ", not of kind " + asked + " (whose sections " +
              "were asked for)");
}

void apply_quick(ExperimentConfig& config) {
  if (auto* cy = std::get_if<CYMetricConfig>(&config.kind_sections)) {
    apply_quick_cy_training(cy->points, cy->optimizer, cy->training);
    cy->measures.curvature_points = std::min<int64_t>(cy->measures.curvature_points, 100);
  } else if (auto* cy_free = std::get_if<CYFreeMetricRunConfig>(&config.kind_sections)) {
    apply_quick_cy_training(cy_free->points, cy_free->optimizer, cy_free->training);
  } else if (auto* donaldson = std::get_if<DonaldsonRunConfig>(&config.kind_sections)) {
    apply_quick_donaldson(*donaldson);
  } else if (auto* ladder = std::get_if<CYWidthLadderRunConfig>(&config.kind_sections)) {
    apply_quick_cy_width_ladder(*ladder);
  } else if (auto* real = std::get_if<RealMetricFlowConfig>(&config.kind_sections)) {
    apply_quick_real_metric_flow(*real, config.recording);
  } else if (auto* ricci = std::get_if<RicciFlowConfig>(&config.kind_sections)) {
    apply_quick_ricci_flow(*ricci);
  }
  // local_ricci_check is unchanged: its quick form is a config of its own, configs/checks/local_ricci_quick.yaml
  // (docs/config.md).
}

}  // namespace nmflow

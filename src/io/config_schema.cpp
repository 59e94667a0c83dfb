#include "io/config_schema.h"

#include <algorithm>

namespace nmflow {

namespace {

void apply_quick_cy_training(ExperimentConfig& config) {
  config.cy_points.train = std::min<int64_t>(config.cy_points.train, 500);
  config.cy_points.validation = std::min<int64_t>(config.cy_points.validation, 200);
  // Ten steps per epoch whatever the configured batch, so the smoke run exercises several batches and epochs.
  // L-BFGS keeps the full batch (its loss must not change between steps).
  config.training.batch_size = config.optimizer.name == OptimizerKind::Lbfgs ? config.cy_points.train
                                                                : std::max<int64_t>(1, config.cy_points.train / 10);
  config.training.epochs = std::min<int64_t>(config.training.epochs, 2);
  config.training.eval_every = 1;
  config.training.max_wall_seconds =
      config.training.max_wall_seconds > 0.0 ? std::min(config.training.max_wall_seconds, 20.0) : 20.0;
  config.measures.curvature_points = std::min<int64_t>(config.measures.curvature_points, 100);
  if (config.optimizer.schedule_steps > 0) {
    config.optimizer.schedule_steps = std::min<int64_t>(config.optimizer.schedule_steps, 20);
  }
}

void apply_quick_donaldson(ExperimentConfig& config) {
  config.cy_points.train = std::min<int64_t>(config.cy_points.train, 2000);
  config.cy_points.validation = std::min<int64_t>(config.cy_points.validation, 500);
  std::vector<int64_t> small;
  for (const int64_t k : config.donaldson.k) {
    if (k <= 2) small.push_back(k);
  }
  config.donaldson.k = small.empty() ? std::vector<int64_t>{1} : small;
  config.donaldson.iterations = std::min<int64_t>(config.donaldson.iterations, 3);
}

// Four runs of 20 steps: two widths × two regimes, so that a quick ladder killed after its first run (the SIGKILL test
// of tests/cli) has runs left to resume.
void apply_quick_cy_width_ladder(ExperimentConfig& config) {
  CYWidthLadderConfig& l = config.ladder;
  config.cy_points.train = std::min<int64_t>(config.cy_points.train, 1000);
  config.cy_points.validation = std::min<int64_t>(config.cy_points.validation, 500);
  l.probes = std::min<int64_t>(l.probes, 8);
  std::vector<int64_t> widths = l.widths;
  std::sort(widths.begin(), widths.end());
  l.widths = {std::min<int64_t>(widths[0], 16)};
  if (widths.size() > 1) l.widths.push_back(std::min<int64_t>(widths[1], 32));
  if (l.widths.size() == 2 && l.widths[0] == l.widths[1]) l.widths.pop_back();
  l.seeds.resize(1);
  if (l.regimes.size() > 2) l.regimes.resize(2);
  l.epochs = std::min<int64_t>(l.epochs, 2);
  l.batch_size = std::max<int64_t>(1, config.cy_points.train / 10);
  l.eval_every = 1;
  l.top_eigenvalues = std::min<int64_t>(l.top_eigenvalues, 4);
}

}  // namespace

void apply_quick(ExperimentConfig& config) {
  if (config.kind == "cy_metric" || config.kind == "cy_free_metric") {
    apply_quick_cy_training(config);
    return;
  }
  if (config.kind == "donaldson") {
    apply_quick_donaldson(config);
    return;
  }
  if (config.kind == "cy_width_ladder") {
    apply_quick_cy_width_ladder(config);
    return;
  }
  if (config.kind == "local_ricci_check") {
    return;  // its quick form is a config of its own, configs/checks/local_ricci_quick.yaml (docs/config.md)
  }
  if (config.kind == "ricci_flow") {
    RicciFlowConfig& r = config.ricci_flow;
    r.records = std::min<int64_t>(r.records, 3);
    r.grid = std::min<int64_t>(r.grid, 12);
    r.probes = std::min<int64_t>(r.probes, 4);
    return;
  }
  config.optimizer.steps = std::min<int64_t>(config.optimizer.steps, 20);
  config.points.train = std::min<int64_t>(config.points.train, 64);
  config.points.probe = std::min<int64_t>(config.points.probe, 16);
  config.recording.every = std::min<int64_t>(config.recording.every, 5);
  if (config.recording.checkpoint_every > 0) {
    config.recording.checkpoint_every = std::min<int64_t>(config.recording.checkpoint_every, 10);
  }
  if (config.recording.ntk_every > 0) {
    config.recording.ntk_every = std::min<int64_t>(config.recording.ntk_every, 10);
  }
  // Θ has ntk_probes · p ≥ ntk_probes rows: with fewer probes, ntk_eigenvalues ≤ ntk_probes keeps it in range.
  const int64_t probes = std::min(config.recording.ntk_probes, config.points.probe);
  if (probes < config.recording.ntk_probes) {
    config.recording.ntk_eigenvalues = std::min(config.recording.ntk_eigenvalues, probes);
    config.recording.ntk_probes = probes;
  }
}

}  // namespace nmflow

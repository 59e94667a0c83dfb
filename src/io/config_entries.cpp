#include "io/config_entries.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "common/config_enums.h"
#include "common/error.h"
#include "io/config_yaml.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

namespace {

std::string text(double value) { return fmt::format("{}", value); }  // the shortest text that reads back exactly
std::string text(int64_t value) { return std::to_string(value); }
std::string text(uint64_t value) { return std::to_string(value); }
std::string text(bool value) { return value ? "true" : "false"; }
std::string text(const std::vector<int64_t>& values) {
  std::string out;
  for (const int64_t v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return "[" + out + "]";
}
std::string text(const std::vector<uint64_t>& values) {
  std::string out;
  for (const uint64_t v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return "[" + out + "]";
}
std::string text(const std::vector<LadderRegime>& values) {
  std::string out;
  for (const LadderRegime v : values) out += (out.empty() ? "" : ", ") + enum_name(kLadderRegimeNames, v);
  return "[" + out + "]";
}

void add_optimizer(std::map<std::string, std::string>& e, const OptimizerConfig& o, bool with_steps) {
  e["optimizer.name"] = enum_name(kOptimizerKindNames, o.name);
  e["optimizer.lr"] = text(o.lr);
  e["optimizer.schedule"] = enum_name(kLearningRateScheduleNames, o.schedule);
  // Each schedule's own keys only: the others are rejected when given (and unused).
  if (o.schedule == LearningRateSchedule::Exponential) e["optimizer.decay_rate"] = text(o.decay_rate);
  if (o.schedule == LearningRateSchedule::Cosine) {
    e["optimizer.min_lr"] = text(o.min_lr);
    e["optimizer.schedule_steps"] = text(o.schedule_steps);
  }
  e["optimizer.clip"] = text(o.clip);
  if (with_steps) e["optimizer.steps"] = text(o.steps);
}

void add_variety(std::map<std::string, std::string>& e, const VarietyConfig& variety, const CYPointsConfig& points) {
  e["variety.name"] = variety.name;
  if (variety.has_psi) {
    e["variety.psi.re"] = text(variety.psi_re);
    e["variety.psi.im"] = text(variety.psi_im);
  }
  e["points.train"] = text(points.train);
  e["points.validation"] = text(points.validation);
}

void add_real_metric_flow(std::map<std::string, std::string>& e, const RealMetricFlowConfig& c,
                          const RecordingConfig& recording) {
  e["manifold.name"] = c.manifold.name;
  for (const auto& [name, value] : c.manifold.params) e["manifold.params." + name] = text(value);
  e["points.train"] = text(c.points.train);
  e["points.probe"] = text(c.points.probe);
  e["points.resample_every"] = text(c.points.resample_every);
  e["model.head"] = enum_name(kMetricHeadKindNames, c.model.head);
  e["model.background"] = enum_name(kMetricBackgroundNames, c.model.background);
  e["model.hidden"] = text(c.model.hidden);
  e["model.activation"] = enum_name(kActivationNames, c.model.activation);
  e["model.parameterisation"] = enum_name(kParameterisationNames, c.model.parameterisation);
  e["model.sigma_w"] = text(c.model.sigma_w);
  e["model.sigma_b"] = text(c.model.sigma_b);
  e["model.init_scale"] = text(c.model.init_scale);
  e["loss.name"] = enum_name(kMetricLossNames, c.loss.name);
  if (c.loss.has_lambda) e["loss.params.lambda"] = text(c.loss.lambda);
  e["loss.params.volume_weight"] = text(c.loss.volume_weight);
  // 0 stands for "the initial metric's volume", which cannot be written as a value.
  if (c.loss.volume_target > 0.0) e["loss.params.volume_target"] = text(c.loss.volume_target);
  e["loss.curvature_backend"] = enum_name(kCurvatureBackendNames, c.loss.curvature_backend);
  add_optimizer(e, c.optimizer, true);
  e["recording.every"] = text(recording.every);
  e["recording.output"] = recording.output;
  e["recording.checkpoint_every"] = text(recording.checkpoint_every);
  e["recording.ntk_every"] = text(recording.ntk_every);
  e["recording.ntk_probes"] = text(recording.ntk_probes);
  e["recording.ntk_eigenvalues"] = text(recording.ntk_eigenvalues);
  // Only when on, so the entries of a run without the section are those it always had.
  if (c.compare.ricci_flow) {
    e["compare.ricci_flow"] = "true";
    e["compare.every"] = text(c.compare.every);
  }
}

void add_cy_training(std::map<std::string, std::string>& e, const OptimizerConfig& optimizer,
                     const CYTrainingConfig& training) {
  add_optimizer(e, optimizer, false);
  e["training.epochs"] = text(training.epochs);
  e["training.batch_size"] = text(training.batch_size);
  e["training.eval_every"] = text(training.eval_every);
  e["training.max_wall_seconds"] = text(training.max_wall_seconds);
}

void add_cy_metric(std::map<std::string, std::string>& e, const CYMetricConfig& c, const RecordingConfig& recording) {
  add_variety(e, c.variety, c.points);
  e["model.inputs"] = enum_name(kPhiInputsNames, c.model.inputs);
  e["model.hidden"] = text(c.model.hidden);
  e["model.activation"] = enum_name(kActivationNames, c.model.activation);
  e["model.parameterisation"] = enum_name(kParameterisationNames, c.model.parameterisation);
  e["model.sigma_w"] = text(c.model.sigma_w);
  e["model.sigma_b"] = text(c.model.sigma_b);
  e["loss.monge_ampere"] = enum_name(kMongeAmpereWeightingNames, c.loss.monge_ampere);
  e["loss.kappa"] = enum_name(kMongeAmpereKappaNames, c.loss.kappa);
  add_cy_training(e, c.optimizer, c.training);
  e["training.method"] = enum_name(kPhiJetMethodNames, c.training.method);
  e["measures.curvature"] = text(c.measures.curvature);
  e["measures.curvature_points"] = text(c.measures.curvature_points);
  e["measures.fubini_study"] = text(c.measures.fubini_study);
  e["recording.output"] = recording.output;
}

void add_donaldson(std::map<std::string, std::string>& e, const DonaldsonRunConfig& c,
                   const RecordingConfig& recording) {
  add_variety(e, c.variety, c.points);
  e["donaldson.k"] = text(c.donaldson.k);
  e["donaldson.iterations"] = text(c.donaldson.iterations);
  e["recording.output"] = recording.output;
}

void add_cy_free_metric(std::map<std::string, std::string>& e, const CYFreeMetricRunConfig& c,
                        const RecordingConfig& recording) {
  add_variety(e, c.variety, c.points);
  const FreeMetricModelConfig& m = c.model;
  e["model.head"] = enum_name(kFreeMetricHeadNames, m.head);
  e["model.inputs"] = enum_name(kPhiInputsNames, m.inputs);
  e["model.hidden"] = text(m.hidden);
  e["model.activation"] = enum_name(kActivationNames, m.activation);
  e["model.parameterisation"] = enum_name(kParameterisationNames, m.parameterisation);
  e["model.sigma_w"] = text(m.sigma_w);
  e["model.sigma_b"] = text(m.sigma_b);
  e["loss.monge_ampere"] = enum_name(kMongeAmpereWeightingNames, c.loss.monge_ampere);
  e["loss.kappa"] = enum_name(kMongeAmpereKappaNames, c.loss.kappa);
  e["loss.alpha_kahler"] = text(c.loss.alpha_kahler);
  e["loss.alpha_transition"] = text(c.loss.alpha_transition);
  add_cy_training(e, c.optimizer, c.training);
  e["recording.output"] = recording.output;
}

void add_cy_width_ladder(std::map<std::string, std::string>& e, const CYWidthLadderRunConfig& c,
                         const RecordingConfig& recording) {
  const CYWidthLadderConfig& l = c.ladder;
  add_variety(e, c.variety, c.points);
  e["points.probes"] = text(l.probes);
  e["ladder.widths"] = text(l.widths);
  e["ladder.depth"] = text(l.depth);
  e["ladder.seeds"] = text(l.seeds);
  e["ladder.regimes"] = text(l.regimes);
  e["model.init"] = enum_name(kLadderInitNames, l.init);
  e["model.activation"] = enum_name(kActivationNames, l.activation);
  e["model.sigma_w"] = text(l.sigma_w);
  e["model.sigma_b"] = text(l.sigma_b);
  e["optimizer.adam_lr"] = text(l.adam_lr);
  e["optimizer.sgd_lr"] = text(l.sgd_lr);
  e["optimizer.schedule"] = enum_name(kLearningRateScheduleNames, l.schedule);
  if (l.schedule == LearningRateSchedule::Cosine) e["optimizer.min_lr_fraction"] = text(l.min_lr_fraction);
  e["training.epochs"] = text(l.epochs);
  e["training.batch_size"] = text(l.batch_size);
  e["training.eval_every"] = text(l.eval_every);
  e["ntk.top_eigenvalues"] = text(l.top_eigenvalues);
  e["recording.output"] = recording.output;
}

std::string text(const std::vector<LocalRicciModeConfig>& modes) {
  std::string out;
  for (const LocalRicciModeConfig& m : modes) {
    out += (out.empty() ? "" : ", ") + fmt::format("{{kx: {}, ky: {}, cos: {}, sin: {}}}", m.kx, m.ky, m.cos, m.sin);
  }
  return "[" + out + "]";
}

// Lists of mappings flatten to cases[i].key, each case with the keys of its manifold.
void add_local_ricci_check(std::map<std::string, std::string>& e, const LocalRicciCheckConfig& c,
                           const RecordingConfig& recording) {
  for (size_t i = 0; i < c.cases.size(); ++i) {
    const LocalRicciCaseConfig& k = c.cases[i];
    const std::string p = "cases[" + std::to_string(i) + "].";
    e[p + "name"] = k.name;
    e[p + "manifold"] = enum_name(kLocalRicciManifoldNames, k.manifold);
    e[p + "head"] = enum_name(kMetricHeadKindNames, k.head);
    e[p + "features"] = text(k.features);
    e[p + "bandwidth"] = text(k.bandwidth);
    e[p + "probes"] = text(k.probes);
    e[p + "final_time"] = text(k.final_time);
    e[p + "learning_rate"] = text(k.learning_rate);
    e[p + "observations"] = text(k.observations);
    if (k.manifold == LocalRicciManifold::S3) {
      e[p + "frequencies"] = enum_name(kFrequencyDistributionNames, k.frequencies);
      e[p + "a0"] = text(k.a0);
      e[p + "b0"] = text(k.b0);
      e[p + "points"] = text(k.points);
    } else {
      e[p + "grid"] = text(k.grid);
      e[p + "probe_grid"] = text(k.probe_grid);
      e[p + "reference_grid"] = text(k.reference_grid);
      e[p + "u0"] = text(k.u0);
    }
  }
  for (size_t i = 0; i < c.criteria.size(); ++i) {
    const LocalRicciCriterionConfig& k = c.criteria[i];
    const std::string p = "criteria[" + std::to_string(i) + "].";
    e[p + "test"] = enum_name(kCriterionTestNames, k.test);
    e[p + "ladder"] = k.ladder;
    if (k.test == CriterionTest::Falls || k.test == CriterionTest::EndsLower) {
      e[p + "along"] = enum_name(kCriterionAxisNames, k.along);
    } else {
      e[p + "quantity"] = enum_name(kCriterionQuantityNames, k.quantity);
      e[p + "threshold"] = text(k.threshold);
    }
  }
  e["recording.output"] = recording.output;
}

std::string text(const std::vector<double>& values) {
  std::string out;
  for (const double v : values) out += (out.empty() ? "" : ", ") + text(v);
  return "[" + out + "]";
}

// u₀ / g₀ as one flow list, each mode with the keys of its family (as the reader takes them).
std::string text(const std::vector<RicciFlowFourierMode>& modes, bool metric_modes, bool three_d) {
  std::string out;
  for (const RicciFlowFourierMode& m : modes) {
    std::string mode = metric_modes ? fmt::format("i: {}, j: {}, ", m.i, m.j) : "";
    mode += fmt::format("kx: {}, ky: {}, ", m.kx, m.ky) + (three_d ? fmt::format("kz: {}, ", m.kz) : "");
    out += (out.empty() ? "" : ", ") + fmt::format("{{{}cos: {}, sin: {}}}", mode, m.cos, m.sin);
  }
  return "[" + out + "]";
}

// Each family's own keys only (config_yaml_ricci_flow.cpp rejects the others).
void add_ricci_flow(std::map<std::string, std::string>& e, const RicciFlowConfig& c, const RecordingConfig& recording) {
  using F = RicciFlowFamily;
  e["metric.family"] = enum_name(kRicciFlowFamilyNames, c.family);
  switch (c.family) {
    case F::RoundSphere:
    case F::Hyperbolic:
      e["metric.dim"] = text(c.dim);
      e["metric.radius"] = text(c.radius);
      break;
    case F::Su2:
    case F::Berger:
    case F::Nil:
      e["metric.A"] = text(c.a);
      e["metric.B"] = text(c.b);
      if (c.family != F::Berger) e["metric.C"] = text(c.c);
      break;
    case F::SphereTorus:
      e["metric.radius"] = text(c.radius);
      e["metric.sphere_dim"] = text(c.sphere_dim);
      e["metric.torus_dim"] = text(c.torus_dim);
      e["metric.lengths"] = text(c.lengths);
      break;
    case F::ConformalT2:
      e["metric.u0"] = text(c.u0, false, false);
      break;
    case F::DeTurckT2:
    case F::DeTurckT3:
      e["metric.g0"] = text(c.g0, true, c.family == F::DeTurckT3);
      break;
  }
  if (c.end_time > 0.0) e["flow.end_time"] = text(c.end_time);
  if (c.extinction_fraction > 0.0) e["flow.extinction_fraction"] = text(c.extinction_fraction);
  if (c.record_times.empty()) {
    e["flow.records"] = text(c.records);
  } else {
    e["flow.record_times"] = text(c.record_times);
  }
  if (ricci_flow_on_grid(c.family)) {
    e["flow.grid"] = text(c.grid);
    e["flow.cfl"] = text(c.cfl);
  } else {
    e["flow.rtol"] = text(c.rtol);
    e["flow.atol"] = text(c.atol);
  }
  e["recording.output"] = recording.output;
  e["recording.probes"] = text(c.probes);
}

}  // namespace

std::map<std::string, std::string> config_entries(const ExperimentConfig& c) {
  std::map<std::string, std::string> e;
  e["kind"] = c.kind;
  e["seed"] = text(c.seed);
  e["threads"] = text(c.threads);
  if (const auto* check = std::get_if<LocalRicciCheckConfig>(&c.kind_sections)) {
    add_local_ricci_check(e, *check, c.recording);  // CPU, float64: no device or dtype keys
    return e;
  }
  if (const auto* ricci = std::get_if<RicciFlowConfig>(&c.kind_sections)) {
    add_ricci_flow(e, *ricci, c.recording);  // CPU, float64: no device or dtype keys
    return e;
  }
  e["device"] = enum_name(kDeviceChoiceNames, c.device);
  e["dtype"] = enum_name(kPrecisionNames, c.dtype);
  if (const auto* real = std::get_if<RealMetricFlowConfig>(&c.kind_sections)) {
    add_real_metric_flow(e, *real, c.recording);
  } else if (const auto* cy = std::get_if<CYMetricConfig>(&c.kind_sections)) {
    add_cy_metric(e, *cy, c.recording);
  } else if (const auto* donaldson = std::get_if<DonaldsonRunConfig>(&c.kind_sections)) {
    add_donaldson(e, *donaldson, c.recording);
  } else if (const auto* cy_free = std::get_if<CYFreeMetricRunConfig>(&c.kind_sections)) {
    add_cy_free_metric(e, *cy_free, c.recording);
  } else if (const auto* ladder = std::get_if<CYWidthLadderRunConfig>(&c.kind_sections)) {
    add_cy_width_ladder(e, *ladder, c.recording);
  }
  return e;
}

const std::vector<std::string>& resumable_config_keys() {
  static const std::vector<std::string> keys = {"optimizer.steps", "training.epochs", "training.max_wall_seconds",
                                                "recording.output", "threads"};
  return keys;
}

std::vector<std::string> config_differences(const ExperimentConfig& was, const ExperimentConfig& now) {
  const std::map<std::string, std::string> a = config_entries(was);
  const std::map<std::string, std::string> b = config_entries(now);
  std::set<std::string> keys;
  for (const auto& entry : a) keys.insert(entry.first);
  for (const auto& entry : b) keys.insert(entry.first);
  const std::vector<std::string>& free = resumable_config_keys();
  std::vector<std::string> differences;
  for (const std::string& key : keys) {
    if (std::find(free.begin(), free.end(), key) != free.end()) continue;
    const auto in_a = a.find(key);
    const auto in_b = b.find(key);
    const std::string before = in_a == a.end() ? "(absent)" : in_a->second;
    const std::string after = in_b == b.end() ? "(absent)" : in_b->second;
    if (before != after) differences.push_back(key + ": " + before + " -> " + after);
  }
  return differences;
}

std::string default_config_yaml(const std::string& kind) {
  const std::vector<std::string>& kinds = experiment_kinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string allowed;
    for (const std::string& k : kinds) allowed += (allowed.empty() ? "" : ", ") + k;
    throw Error("--kind: unknown experiment kind '" + kind + "'; allowed: " + allowed);
  }
  const std::map<std::string, std::string> entries =
      config_entries(load_config("kind: " + kind + "\n", "<defaults of " + kind + ">").config);
  std::ostringstream out;
  std::vector<std::string> open;  // the sections of the previous line
  // The kind's top-level keys and sections in the order validation lists them (config_yaml_kinds.h).
  for (const std::string& head : kind_keys(kind, "")) {
    // A list of mappings (cases[i].key): one "- " element each, in index order, its keys in the kind's order.
    std::map<size_t, std::map<std::string, std::string>> elements;
    const std::string list = head + "[";
    for (const auto& [key, value] : entries) {
      if (key.compare(0, list.size(), list) != 0) continue;
      const size_t close = key.find(']');
      elements[std::stoul(key.substr(list.size(), close - list.size()))][key.substr(close + 2)] = value;
    }
    if (!elements.empty()) {
      out << head << ":\n";
      for (const auto& [index, keys] : elements) {
        const char* lead = "  - ";
        for (const std::string& element_key : kind_keys(kind, head)) {
          const auto found = keys.find(element_key);
          if (found == keys.end()) continue;
          out << lead << element_key << ": " << found->second << "\n";
          lead = "    ";
        }
      }
      open.clear();
      continue;
    }
    for (const auto& [key, value] : entries) {
      if (key.substr(0, key.find('.')) != head) continue;
      std::vector<std::string> path;
      for (size_t start = 0;;) {
        const size_t dot = key.find('.', start);
        path.push_back(key.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      size_t common = 0;
      while (common + 1 < path.size() && common < open.size() && open[common] == path[common]) ++common;
      for (size_t depth = common; depth + 1 < path.size(); ++depth) {
        out << std::string(2 * depth, ' ') << path[depth] << ":\n";
      }
      out << std::string(2 * (path.size() - 1), ' ') << path.back() << ": " << value << "\n";
      open.assign(path.begin(), path.end() - 1);
    }
  }
  return out.str();
}

}  // namespace nmflow

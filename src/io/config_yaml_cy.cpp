// Schema of the Calabi–Yau kinds of `nmflow run` (docs/config.md, "Calabi–Yau kinds"): `cy_metric` (the Kähler
// φ-model trained on the Monge–Ampère loss), `donaldson` (balanced metrics), `cy_free_metric` (the free metric
// models with the Kähler and transition losses) and `cy_width_ladder` (the Halverson–Ruehle width ladder), plus the
// table of which keys each kind (local_ricci_check and ricci_flow too) takes, so that a key of one kind inside another is named as such.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>

#include "common/config_enums.h"
#include "common/error.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

namespace {

const std::string kReal = RealMetricFlowConfig::kKind;
const std::string kCY = CYMetricConfig::kKind;
const std::string kDonaldson = DonaldsonRunConfig::kKind;
const std::string kFree = CYFreeMetricRunConfig::kKind;
const std::string kLadder = CYWidthLadderRunConfig::kKind;
const std::string kLocalRicci = LocalRicciCheckConfig::kKind;
const std::string kRicciFlow = RicciFlowConfig::kKind;

using SectionKeys = std::map<std::string, std::vector<std::string>>;

const std::map<std::string, SectionKeys>& key_table() {
  static const std::map<std::string, SectionKeys> table = {
      {kReal,
       {{"", {"kind", "seed", "device", "dtype", "threads", "manifold", "points", "model", "loss", "optimizer",
              "compare", "recording"}},
        {"manifold", {"name", "params"}},
        {"points", {"train", "probe", "resample_every"}},
        {"model", {"head", "background", "hidden", "activation", "parameterisation", "sigma_w", "sigma_b",
                   "init_scale"}},
        {"loss", {"name", "params", "curvature_backend"}},
        {"optimizer", {"name", "lr", "schedule", "decay_rate", "min_lr", "schedule_steps", "clip", "steps"}},
        {"compare", {"ricci_flow", "every"}},
        {"recording", {"every", "output", "checkpoint_every", "ntk_every", "ntk_probes", "ntk_eigenvalues"}}}},
      {kCY,
       {{"", {"kind", "seed", "device", "dtype", "threads", "variety", "points", "model", "loss", "optimizer",
              "training", "measures", "recording"}},
        {"variety", {"name", "psi"}},
        {"points", {"train", "validation"}},
        {"model", {"inputs", "hidden", "activation", "parameterisation", "sigma_w", "sigma_b"}},
        {"loss", {"monge_ampere", "kappa"}},
        {"optimizer", {"name", "lr", "schedule", "decay_rate", "min_lr", "schedule_steps", "clip"}},
        {"training", {"epochs", "batch_size", "eval_every", "method", "max_wall_seconds"}},
        {"measures", {"curvature", "curvature_points", "fubini_study"}},
        {"recording", {"output"}}}},
      {kDonaldson,
       {{"", {"kind", "seed", "device", "dtype", "threads", "variety", "points", "donaldson", "recording"}},
        {"variety", {"name", "psi"}},
        {"points", {"train", "validation"}},
        {"donaldson", {"k", "iterations"}},
        {"recording", {"output"}}}},
      {kFree,
       {{"", {"kind", "seed", "device", "dtype", "threads", "variety", "points", "model", "loss", "optimizer",
              "training", "recording"}},
        {"variety", {"name", "psi"}},
        {"points", {"train", "validation"}},
        {"model", {"head", "inputs", "hidden", "activation", "parameterisation", "sigma_w", "sigma_b"}},
        {"loss", {"monge_ampere", "kappa", "alpha_kahler", "alpha_transition"}},
        {"optimizer", {"name", "lr", "schedule", "decay_rate", "min_lr", "schedule_steps", "clip"}},
        {"training", {"epochs", "batch_size", "eval_every", "max_wall_seconds"}},
        {"recording", {"output"}}}},
      {kLadder,
       {{"", {"kind", "seed", "device", "dtype", "threads", "variety", "points", "ladder", "model", "optimizer",
              "training", "ntk", "recording"}},
        {"variety", {"name", "psi"}},
        {"points", {"train", "validation", "probes"}},
        {"ladder", {"widths", "depth", "seeds", "regimes"}},
        {"model", {"init", "activation", "sigma_w", "sigma_b"}},
        {"optimizer", {"adam_lr", "sgd_lr", "schedule", "min_lr_fraction"}},
        {"training", {"epochs", "batch_size", "eval_every"}},
        {"ntk", {"top_eigenvalues"}},
        {"recording", {"output"}}}},
      {kLocalRicci,
       {{"", {"kind", "seed", "threads", "cases", "criteria", "recording"}},
        {"cases", {"name", "manifold", "head", "features", "bandwidth", "probes", "final_time", "learning_rate",
                   "observations", "frequencies", "a0", "b0", "points", "grid", "probe_grid", "reference_grid", "u0"}},
        {"criteria", {"test", "ladder", "along", "quantity", "threshold"}},
        {"recording", {"output"}}}},
      {kRicciFlow,
       {{"", {"kind", "seed", "threads", "metric", "flow", "recording"}},
        {"metric", {"family", "dim", "radius", "A", "B", "C", "sphere_dim", "torus_dim", "lengths", "u0", "g0"}},
        {"flow", {"end_time", "extinction_fraction", "records", "record_times", "rtol", "atol", "grid", "cfl"}},
        {"recording", {"output", "probes"}}}}};
  return table;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Why a key of another kind has no meaning here, where a short reason helps.
std::string foreign_key_hint(const std::string& kind, const std::string& section, const std::string& key) {
  const bool trains = kind == kCY || kind == kFree;
  if (trains && section == "optimizer" && key == "steps") return " (a " + kind + " run lasts training.epochs)";
  if (trains && section == "recording" && key == "every") return " (σ is recorded every training.eval_every epochs)";
  if (trains && section == "recording" && key == "checkpoint_every") {
    return " (a " + kind + " run writes its checkpoint at every evaluation, every training.eval_every epochs)";
  }
  if (kind == kFree && section == "training" && key == "method") {
    return " (it picks how the φ-model gets ∂∂̄φ; a free model has no potential φ, its ∂g comes from the forward "
           "jet of the network)";
  }
  if (kind == kFree && section == "" && key == "measures") {
    return " (the curvature measures take a Kähler potential; a free metric has none and is Kähler only "
           "approximately)";
  }
  if (kind == kLadder && section == "optimizer") return " (each regime names its optimiser: adam_lr and sgd_lr)";
  if (kind == kLadder && section == "model" && key == "hidden") {
    return " (the ladder's hidden layers are ladder.widths and ladder.depth)";
  }
  if (kind == kLocalRicci && section == "") {
    if (key == "device" || key == "dtype") return " (the check runs on the CPU in float64)";
    if (key == "manifold") return " (each case names its own: cases[i].manifold)";
    return "";
  }
  if (kind == kRicciFlow && section == "") {
    if (key == "device" || key == "dtype") return " (the reference flows run on the CPU in float64)";
    if (key == "manifold") return " (ricci_flow takes metric.family instead)";
    return "";
  }
  if (section == "" && key == "manifold") return " (Calabi–Yau kinds take a variety instead)";
  if (section == "" && key == "variety") return " (real_metric_flow takes a manifold instead)";
  return "";
}

void reject_foreign_keys(const std::shared_ptr<const ConfigContext>& context, const YAML::Node& node,
                         const std::string& path, const std::string& section, const std::string& kind) {
  if (!node.IsDefined() || !node.IsMap()) return;
  const std::vector<std::string>& allowed = kind_keys(kind, section);
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return;  // the section reader reports it
    const std::string key = entry.first.Scalar();
    if (contains(allowed, key)) continue;
    std::vector<std::string> owners;
    for (const std::string& other : experiment_kinds()) {
      if (other != kind && contains(kind_keys(other, section), key)) owners.push_back(other);
    }
    if (owners.empty()) return;  // not a key of any kind: the section reader gives its did-you-mean
    std::vector<std::string> every_key;
    for (const auto& e : node) every_key.push_back(e.first.Scalar());
    std::string owner_names;  // "a", "a and b", "a, b and c"
    for (std::size_t i = 0; i < owners.size(); ++i) {
      owner_names += (i == 0 ? "" : i + 1 == owners.size() ? " and " : ", ") + owners[i];
    }
    ConfigReader(context, node, path, every_key)
        .fail(key, "'" + key + "' is a key of kind " + owner_names + ", not of kind " + kind +
                       foreign_key_hint(kind, section, key) + "; allowed here: " + join_names(allowed));
  }
}

// --- the variety ---

struct VarietyEntry {
  int64_t n_coords;  // N + 1
  bool takes_psi;
};

// The names of make_hypersurface (geometry/kahler/hypersurface.h), with what validation needs to know of each.
const std::map<std::string, VarietyEntry>& variety_table() {
  static const std::map<std::string, VarietyEntry> table = {
      {"fermat_quintic", {5, false}}, {"dwork_quintic", {5, true}}, {"k3_quartic", {4, false}},
      {"fermat_quartic", {4, false}}, {"dwork_quartic", {4, true}}, {"fermat_cubic", {3, false}},
      {"dwork_cubic", {3, true}}};
  return table;
}

void read_variety(ConfigReader r, VarietyConfig& v) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : variety_table()) names.push_back(name);
  v.name = r.choice("name", v.name, names);
  const VarietyEntry entry = variety_table().at(v.name);
  v.has_psi = r.has("psi");
  if (v.has_psi && !entry.takes_psi) {
    r.fail("psi", "variety '" + v.name + "' takes no psi (it is the ψ = 0 member); for ψ ≠ 0 use name dwork_" +
                      (entry.n_coords == 5 ? "quintic" : entry.n_coords == 4 ? "quartic" : "cubic"));
  }
  if (!v.has_psi && entry.takes_psi) {
    r.fail("name", "variety '" + v.name + "' needs the complex modulus psi: {re: <number>, im: <number>}");
  }
  if (!v.has_psi) return;
  ConfigReader psi = r.child("psi", {"re", "im"});
  v.psi_re = psi.real("re", 0.0, Interval{});
  v.psi_im = psi.real("im", 0.0, Interval{});
  // Σ z_I^n − n ψ Π z_I (n = N + 1) is singular exactly when ψ^n = 1 (the conifold points): there the line
  // sampler's roots degenerate and |Ω|² diverges.
  const std::complex<double> power = std::pow(std::complex<double>(v.psi_re, v.psi_im), entry.n_coords);
  if (std::abs(power - 1.0) < 1e-6) {
    r.fail("psi", "ψ^" + std::to_string(entry.n_coords) + " = 1: this member of the Dwork family is singular "
                      "(a conifold point); allowed: any ψ with ψ^" + std::to_string(entry.n_coords) + " ≠ 1");
  }
}

void read_cy_points(ConfigReader r, CYPointsConfig& p) {
  p.train = r.integer("train", p.train, 1, kMaxConfigCount);
  p.validation = r.integer("validation", p.validation, 1, kMaxConfigCount);
}

void read_phi_model(ConfigReader r, PhiModelConfig& m) {
  m.inputs = r.enumeration("inputs", m.inputs, kPhiInputsNames);
  m.hidden = r.integer_list("hidden", m.hidden, 1, 65536);
  m.activation = r.enumeration("activation", m.activation, kActivationNames);
  if (m.activation == Activation::Relu) {
    r.fail("activation", "relu has a zero second derivative, so ∂∂̄φ is zero almost everywhere; allowed: tanh, "
                         "gelu, softplus, erf, sin, cos");
  }
  m.parameterisation = r.enumeration("parameterisation", m.parameterisation, kParameterisationNames);
  m.sigma_w = r.real("sigma_w", m.sigma_w, positive());
  m.sigma_b = r.real("sigma_b", m.sigma_b, non_negative());
}

void read_training(ConfigReader r, CYTrainingConfig& t, const CYPointsConfig& points) {
  t.epochs = r.integer("epochs", t.epochs, 0, kMaxConfigCount);
  t.batch_size = r.integer("batch_size", t.batch_size, 1, kMaxConfigCount);
  if (t.batch_size > points.train) {
    r.fail("batch_size", "exceeds points.train = " + std::to_string(points.train) + "; allowed: 1 to " +
                             std::to_string(points.train));
  }
  t.eval_every = r.integer("eval_every", t.eval_every, 1, kMaxConfigCount);
  t.max_wall_seconds = r.real("max_wall_seconds", t.max_wall_seconds, non_negative());
}

// L-BFGS compares gradients of one loss, so a CY kind that trains with it takes full batches.
void check_lbfgs_batch(const ConfigReader& r, const OptimizerConfig& optimizer, const CYTrainingConfig& training,
                       const CYPointsConfig& points) {
  if (optimizer.name == OptimizerKind::Lbfgs && training.batch_size != points.train) {
    r.fail("batch_size", "L-BFGS needs one fixed loss (its curvature pairs compare gradients of the same "
                         "function), so every step must see all training points; allowed with lbfgs: " +
                             std::to_string(points.train) + " (= points.train)");
  }
}

void read_free_model(ConfigReader r, FreeMetricModelConfig& m) {
  m.head = r.enumeration("head", m.head, kFreeMetricHeadNames);
  m.inputs = r.enumeration("inputs", m.inputs, kPhiInputsNames);
  m.hidden = r.integer_list("hidden", m.hidden, 1, 65536);
  m.activation = r.enumeration("activation", m.activation, kActivationNames);
  m.parameterisation = r.enumeration("parameterisation", m.parameterisation, kParameterisationNames);
  m.sigma_w = r.real("sigma_w", m.sigma_w, positive());
  m.sigma_b = r.real("sigma_b", m.sigma_b, non_negative());
}

void read_free_loss(ConfigReader r, FreeMetricLossConfig& l) {
  l.monge_ampere = r.enumeration("monge_ampere", l.monge_ampere, kMongeAmpereWeightingNames);
  l.kappa = r.enumeration("kappa", l.kappa, kMongeAmpereKappaNames);
  l.alpha_kahler = r.real("alpha_kahler", l.alpha_kahler, non_negative());
  l.alpha_transition = r.real("alpha_transition", l.alpha_transition, non_negative());
}

void read_measures(ConfigReader r, CYMeasuresConfig& m, const CYPointsConfig& points) {
  m.curvature = r.boolean("curvature", m.curvature);
  m.curvature_points = r.integer("curvature_points", m.curvature_points, 1, kMaxConfigCount);
  m.fubini_study = r.boolean("fubini_study", m.fubini_study);
  if (m.fubini_study && !m.curvature) {
    r.fail("fubini_study", "needs measures.curvature: true (it is the baseline of the trained metric's measures)");
  }
  if (m.curvature && m.curvature_points > points.validation) {
    r.fail("curvature_points", "exceeds points.validation = " + std::to_string(points.validation) +
                                   " (the measures use the first validation points); allowed: 1 to " +
                                   std::to_string(points.validation));
  }
}

void read_donaldson_section(ConfigReader r, const YAML::Node& node, DonaldsonConfig& d) {
  const YAML::Node k = node.IsMap() ? static_cast<const YAML::Node&>(node)["k"] : YAML::Node();
  if (k.IsDefined() && k.IsScalar()) {
    d.k = {r.integer("k", 1, 1, 8)};
  } else {
    d.k = r.integer_list("k", d.k, 1, 8);
  }
  if (d.k.empty()) r.fail("k", "needs at least one degree; allowed: integers 1 to 8, e.g. [1, 2, 3]");
  for (std::size_t i = 1; i < d.k.size(); ++i) {
    if (d.k[i] <= d.k[i - 1]) r.fail("k", "degrees must be strictly ascending, e.g. [1, 2, 3]");
  }
  d.iterations = r.integer("iterations", d.iterations, 1, 10000);
}

void read_cy_recording(ConfigReader r, RecordingConfig& c) {
  c.output = r.string("output", c.output);
  if (c.output.empty()) r.fail("output", "must be a file path");
}

// The top-level rules of the CY kinds (their seed, dtype and threads keys are read by the caller).
void check_cy_top_level(const ConfigReader& root, const ExperimentConfig& c) {
  if (c.kind == kDonaldson && c.device != DeviceChoice::Cpu) {
    root.fail("device", "kind donaldson runs on the CPU only so far (the balanced-metric code has no device move); "
                        "allowed: cpu");
  }
  if (c.kind == kDonaldson && c.dtype != Precision::Float64) {
    root.fail("dtype", "balanced metrics are computed in complex128; allowed with kind donaldson: float64");
  }
  if (c.kind == kFree && c.device != DeviceChoice::Cpu) {
    root.fail("device", "kind cy_free_metric runs on the CPU only so far (the free model and its per-point data "
                        "have no device move); allowed: cpu");
  }
  if (c.kind == kLadder && c.device != DeviceChoice::Cpu) {
    root.fail("device", "kind cy_width_ladder runs on the CPU only so far (the linearised model and the NTKs have "
                        "no device move); allowed: cpu");
  }
  if (c.kind == kLadder && c.dtype != Precision::Float64) {
    root.fail("dtype", "the ladder's NTKs and drifts are compared in float64; allowed with kind cy_width_ladder: "
                       "float64");
  }
}

// --- cy_width_ladder ---

// Fails when `values` lists one value twice: each run of the ladder is its own (seed, width, regime).
template <typename T>
void require_distinct(const ConfigReader& r, const std::string& key, const std::vector<T>& values,
                      const std::vector<std::string>& texts) {
  if (values.empty()) r.fail(key, "needs at least one value");
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (values[i] == values[j]) {
        r.fail(key, "lists " + texts[i] + " twice; each (seed, width, regime) is one run, so list each value once");
      }
    }
  }
}

void read_ladder_grid(ConfigReader r, CYWidthLadderConfig& l) {
  l.widths = r.integer_list("widths", l.widths, 1, 65536);
  std::vector<std::string> texts;
  for (const int64_t w : l.widths) texts.push_back("width " + std::to_string(w));
  require_distinct(r, "widths", l.widths, texts);
  l.depth = r.integer("depth", l.depth, 1, 64);
  std::vector<int64_t> seeds(l.seeds.begin(), l.seeds.end());
  seeds = r.integer_list("seeds", seeds, 0, INT64_MAX);
  texts.clear();
  for (const int64_t s : seeds) texts.push_back("seed " + std::to_string(s));
  require_distinct(r, "seeds", seeds, texts);
  l.seeds.assign(seeds.begin(), seeds.end());
  std::vector<std::string> regimes;
  for (const LadderRegime regime : l.regimes) regimes.push_back(enum_name(kLadderRegimeNames, regime));
  regimes = r.choice_list("regimes", regimes, enum_names(kLadderRegimeNames));
  require_distinct(r, "regimes", regimes, regimes);
  l.regimes.clear();
  for (const std::string& name : regimes) l.regimes.push_back(parse_enum(kLadderRegimeNames, name, "regime"));
}

void read_ladder_model(ConfigReader r, CYWidthLadderConfig& l) {
  l.init = r.enumeration("init", l.init, kLadderInitNames);
  l.activation = r.enumeration("activation", l.activation, kActivationNames);
  if (l.activation == Activation::Relu) {
    r.fail("activation", "relu has a zero second derivative, so ∂∂̄φ is zero almost everywhere; allowed: tanh, "
                         "gelu, softplus, erf, sin, cos");
  }
  l.sigma_w = r.real("sigma_w", l.sigma_w, positive());
  l.sigma_b = r.real("sigma_b", l.sigma_b, non_negative());
}

void read_ladder_optimizer(ConfigReader r, CYWidthLadderConfig& l) {
  l.adam_lr = r.real("adam_lr", l.adam_lr, positive());
  l.sgd_lr = r.real("sgd_lr", l.sgd_lr, positive());
  // The ladder's schedules: constant, or one cosine decay over each run's steps.
  const std::vector<std::string> schedules = {enum_name(kLearningRateScheduleNames, LearningRateSchedule::Constant),
                                              enum_name(kLearningRateScheduleNames, LearningRateSchedule::Cosine)};
  l.schedule = r.enumeration("schedule", l.schedule, kLearningRateScheduleNames, schedules);
  if (r.has("min_lr_fraction") && l.schedule != LearningRateSchedule::Cosine) {
    r.fail("min_lr_fraction", "applies only to schedule 'cosine' (schedule is '" +
                                  enum_name(kLearningRateScheduleNames, l.schedule) + "')");
  }
  l.min_lr_fraction = r.real("min_lr_fraction", l.min_lr_fraction, Interval{0.0, 1.0, false, false});
}

void read_ladder_training(ConfigReader r, CYWidthLadderConfig& l, const CYPointsConfig& points) {
  l.epochs = r.integer("epochs", l.epochs, 1, kMaxConfigCount);
  l.batch_size = r.integer("batch_size", l.batch_size, 1, kMaxConfigCount);
  if (l.batch_size > points.train) {
    r.fail("batch_size", "exceeds points.train = " + std::to_string(points.train) + "; allowed: 1 to " +
                             std::to_string(points.train));
  }
  l.eval_every = r.integer("eval_every", l.eval_every, 1, kMaxConfigCount);
}

// m = dim of the variety: the metric-NTK on the probes has probes · m² rows, the most eigenvalues it has.
void read_ladder_ntk(ConfigReader r, CYWidthLadderConfig& l, int64_t m) {
  const int64_t rows = l.probes * m * m;
  // The default shrinks to what a small probe set allows; an explicit value out of range fails.
  l.top_eigenvalues = r.integer("top_eigenvalues", std::min(l.top_eigenvalues, rows), 1, rows);
}

YAML::Node section_node(const YAML::Node& parent, const std::string& section) {
  const YAML::Node& p = parent;  // the const operator[] never inserts the key
  if (!p.IsMap()) return YAML::Node();
  // A missing key gives an invalid node, whose IsMap() throws yaml-cpp's bare "invalid node": an absent section
  // (e.g. `kind: donaldson` alone, every key at its default) is an empty one.
  const YAML::Node child = p[section];
  return child.IsDefined() ? child : YAML::Node();
}

}  // namespace

const std::vector<std::string>& experiment_kinds() {
  static const std::vector<std::string> kinds = {kReal, kCY, kDonaldson, kFree, kLadder, kLocalRicci, kRicciFlow};
  return kinds;
}

const std::vector<std::string>& kind_keys(const std::string& kind, const std::string& section) {
  static const std::vector<std::string> none;
  const auto sections = key_table().find(kind);
  if (sections == key_table().end()) return none;
  const auto keys = sections->second.find(section);
  return keys == sections->second.end() ? none : keys->second;
}

ConfigReader kind_section(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& parent,
                          const YAML::Node& parent_node, const std::string& section, const std::string& kind) {
  reject_foreign_keys(context, section_node(parent_node, section), parent.path_of(section), section, kind);
  return parent.child(section, kind_keys(kind, section));
}

void reject_foreign_top_level_keys(const std::shared_ptr<const ConfigContext>& context, const YAML::Node& root,
                                   const std::string& kind) {
  reject_foreign_keys(context, root, "", "", kind);
}

std::string read_kind(const std::shared_ptr<const ConfigContext>& context, const YAML::Node& root) {
  if (!root.IsMap() || !section_node(root, "kind").IsDefined()) return kReal;
  // Every key is accepted here: which keys are allowed depends on the kind, checked afterwards.
  std::vector<std::string> every_key;
  for (const auto& entry : root) {
    if (entry.first.IsScalar()) every_key.push_back(entry.first.Scalar());
  }
  return ConfigReader(context, root, "", every_key).choice("kind", kReal, experiment_kinds());
}

void read_cy_metric(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                    const YAML::Node& root_node, ExperimentConfig& c) {
  check_cy_top_level(root, c);
  CYMetricConfig& s = c.kind_sections.emplace<CYMetricConfig>();
  s.optimizer.lr = 1e-3;  // the CY default (docs/config.md), where it differs from the real kind's
  read_variety(kind_section(context, root, root_node, "variety", kCY), s.variety);
  read_cy_points(kind_section(context, root, root_node, "points", kCY), s.points);
  read_phi_model(kind_section(context, root, root_node, "model", kCY), s.model);
  ConfigReader loss = kind_section(context, root, root_node, "loss", kCY);
  s.loss.monge_ampere = loss.enumeration("monge_ampere", s.loss.monge_ampere, kMongeAmpereWeightingNames);
  s.loss.kappa = loss.enumeration("kappa", s.loss.kappa, kMongeAmpereKappaNames);
  ConfigReader optimizer = kind_section(context, root, root_node, "optimizer", kCY);
  read_optimizer_keys(optimizer, s.optimizer);
  ConfigReader training = kind_section(context, root, root_node, "training", kCY);
  read_training(training, s.training, s.points);
  s.training.method = training.enumeration("method", s.training.method, kPhiJetMethodNames);
  check_lbfgs_batch(training, s.optimizer, s.training, s.points);
  read_measures(kind_section(context, root, root_node, "measures", kCY), s.measures, s.points);
  read_cy_recording(kind_section(context, root, root_node, "recording", kCY), c.recording);
}

void read_donaldson(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                    const YAML::Node& root_node, ExperimentConfig& c) {
  check_cy_top_level(root, c);
  DonaldsonRunConfig& s = c.kind_sections.emplace<DonaldsonRunConfig>();
  read_variety(kind_section(context, root, root_node, "variety", kDonaldson), s.variety);
  read_cy_points(kind_section(context, root, root_node, "points", kDonaldson), s.points);
  read_donaldson_section(kind_section(context, root, root_node, "donaldson", kDonaldson),
                         section_node(root_node, "donaldson"), s.donaldson);
  read_cy_recording(kind_section(context, root, root_node, "recording", kDonaldson), c.recording);
}

void read_cy_free_metric(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                         const YAML::Node& root_node, ExperimentConfig& c) {
  check_cy_top_level(root, c);
  CYFreeMetricRunConfig& s = c.kind_sections.emplace<CYFreeMetricRunConfig>();
  s.optimizer.lr = 5e-3;  // where the free models were measured (docs/cy_training.md, "Free metric models")
  read_variety(kind_section(context, root, root_node, "variety", kFree), s.variety);
  read_cy_points(kind_section(context, root, root_node, "points", kFree), s.points);
  read_free_model(kind_section(context, root, root_node, "model", kFree), s.model);
  read_free_loss(kind_section(context, root, root_node, "loss", kFree), s.loss);
  ConfigReader optimizer = kind_section(context, root, root_node, "optimizer", kFree);
  read_optimizer_keys(optimizer, s.optimizer);
  ConfigReader training = kind_section(context, root, root_node, "training", kFree);
  read_training(training, s.training, s.points);
  check_lbfgs_batch(training, s.optimizer, s.training, s.points);
  read_cy_recording(kind_section(context, root, root_node, "recording", kFree), c.recording);
}

void read_cy_width_ladder(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                          const YAML::Node& root_node, ExperimentConfig& c) {
  check_cy_top_level(root, c);
  CYWidthLadderRunConfig& s = c.kind_sections.emplace<CYWidthLadderRunConfig>();
  // The ladder's defaults where they differ from the other CY kinds' (docs/config.md): the K3 study of
  // docs/ntk_width_ladder.md.
  s.variety.name = "k3_quartic";
  s.points.train = 4000;
  s.points.validation = 4000;
  const auto section = [&](const std::string& name) { return kind_section(context, root, root_node, name, kLadder); };
  read_variety(section("variety"), s.variety);
  ConfigReader points = section("points");
  read_cy_points(points, s.points);
  s.ladder.probes = points.integer("probes", s.ladder.probes, 1, 65536);
  read_ladder_grid(section("ladder"), s.ladder);
  read_ladder_model(section("model"), s.ladder);
  read_ladder_optimizer(section("optimizer"), s.ladder);
  read_ladder_training(section("training"), s.ladder, s.points);
  read_ladder_ntk(section("ntk"), s.ladder, variety_table().at(s.variety.name).n_coords - 2);
  read_cy_recording(section("recording"), c.recording);
}

}  // namespace nmflow

// Schema of `nmflow run` configurations (docs/config.md): each section is read by one function, and each
// cross-key rule sits next to the keys it relates, so its error names the key a user must change.
#include "io/config_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/error.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "io/config_reader.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

void read_optimizer_keys(ConfigReader& r, OptimizerConfig& o) {
  o.name = r.enumeration("name", o.name, kOptimizerKindNames);
  o.lr = r.real("lr", o.lr, positive());
  o.schedule = r.enumeration("schedule", o.schedule, kLearningRateScheduleNames);
  const std::string schedule = enum_name(kLearningRateScheduleNames, o.schedule);
  if (r.has("decay_rate") && o.schedule != LearningRateSchedule::Exponential) {
    r.fail("decay_rate", "applies only to schedule 'exponential' (schedule is '" + schedule + "')");
  }
  o.decay_rate = r.real("decay_rate", o.decay_rate, Interval{0.0, 1.0, true, false});
  for (const char* key : {"min_lr", "schedule_steps"}) {
    if (r.has(key) && o.schedule != LearningRateSchedule::Cosine) {
      r.fail(key, "applies only to schedule 'cosine' (schedule is '" + schedule + "')");
    }
  }
  o.min_lr = r.real("min_lr", o.min_lr, Interval{0.0, o.lr, false, false});
  o.schedule_steps = r.integer("schedule_steps", o.schedule_steps, 0, kMaxConfigCount);
  o.clip = r.real("clip", o.clip, non_negative());
  if (o.name == OptimizerKind::Lbfgs && o.clip > 0.0) {
    r.fail("clip", "L-BFGS takes no clipped steps (its line search bounds the step); allowed with lbfgs: 0");
  }
}

namespace {

constexpr int64_t kMaxCount = kMaxConfigCount;

// Reference metrics with a sampler (the cigar has none: it has infinite area).
std::vector<std::string> manifold_names() {
  std::vector<std::string> names;
  for (const std::string& name : reference_metric_names()) {
    try {
      sampler_name_for_metric(name);
      names.push_back(name);
    } catch (const Error&) {
    }
  }
  return names;
}

// The manifold parameters that also describe the sampler (its dimension or time).
std::map<std::string, double> sampler_params_for(const std::map<std::string, double>& params) {
  std::map<std::string, double> out;
  for (const char* key : {"dim", "sphere_dim", "torus_dim", "t"}) {
    const auto it = params.find(key);
    if (it != params.end()) out[key] = it->second;
  }
  return out;
}

int64_t read_manifold(ConfigReader r, ManifoldConfig& m) {
  m.name = r.choice("name", m.name, manifold_names());
  m.params = r.real_map("params");
  std::unique_ptr<ReferenceMetric> metric;
  try {
    metric = make_reference_metric(m.name, m.params);
    m.sampler = sampler_name_for_metric(m.name);
    m.sampler_params = sampler_params_for(m.params);
    make_sampler(m.sampler, m.sampler_params);
  } catch (const Error& e) {
    r.fail("params", e.what());
  }
  return metric->dim();
}

void read_points(ConfigReader r, PointsConfig& p) {
  p.train = r.integer("train", p.train, 1, kMaxCount);
  p.probe = r.integer("probe", p.probe, 1, kMaxCount);
  p.resample_every = r.integer("resample_every", p.resample_every, 0, kMaxCount);
}

void read_model(ConfigReader r, ModelConfig& m) {
  m.head = r.enumeration("head", m.head, kMetricHeadKindNames);
  m.background = r.enumeration("background", m.background, kMetricBackgroundNames);
  if (m.background == MetricBackground::Reference && m.head != MetricHeadKind::Conformal &&
      m.head != MetricHeadKind::Symmetric) {
    r.fail("background", "background 'reference' composes g₀ with the network only for head conformal "
                         "(g = e^{2u} g₀) or symmetric (g = g₀ + P(f)); head '" + enum_name(kMetricHeadKindNames, m.head) +
                         "' needs background 'none'; allowed: none");
  }
  m.hidden = r.integer_list("hidden", m.hidden, 1, 65536);
  m.activation = r.enumeration("activation", m.activation, kActivationNames);
  if (m.activation == Activation::Relu) {
    r.fail("activation", "relu has a zero second derivative, so the curvature of the network metric carries no "
                         "gradient; allowed: tanh, gelu, softplus, erf, sin, cos");
  }
  m.parameterisation = r.enumeration("parameterisation", m.parameterisation, kParameterisationNames);
  m.sigma_w = r.real("sigma_w", m.sigma_w, positive());
  m.sigma_b = r.real("sigma_b", m.sigma_b, non_negative());
  m.init_scale = r.real("init_scale", m.init_scale, non_negative());
}

void read_loss(ConfigReader r, LossConfig& l, const ManifoldConfig& manifold, int64_t dim) {
  l.name = r.enumeration("name", l.name, kMetricLossNames);
  std::vector<std::string> allowed = {"volume_weight", "volume_target"};
  if (l.name == MetricLoss::Einstein) allowed.insert(allowed.begin(), "lambda");
  const std::map<std::string, double> params = r.real_map("params", allowed);
  ConfigReader p = r.child("params", allowed);
  l.has_lambda = params.count("lambda") > 0;
  l.lambda = p.real("lambda", l.lambda, Interval{});
  l.volume_weight = p.real("volume_weight", l.volume_weight, non_negative());
  l.volume_target = p.real("volume_target", l.volume_target, positive());
  l.curvature_backend = r.enumeration("curvature_backend", l.curvature_backend, kCurvatureBackendNames);
  if (l.curvature_backend == CurvatureBackend::Fused && (dim < 2 || dim > 6)) {
    r.fail("curvature_backend", "the fused kernel handles dimensions 2..6, manifold '" + manifold.name +
                                    "' has dimension " + std::to_string(dim) + "; allowed: reference");
  }
  const std::vector<std::string> slaved = {"torus", "sphere", "s3"};
  if (l.name == MetricLoss::PerelmanF && std::find(slaved.begin(), slaved.end(), manifold.sampler) == slaved.end()) {
    r.fail("name", "perelman_f slaves the dilaton to the sampling measure, known for the torus, sphere and s3 "
                   "samplers only; manifold '" + manifold.name + "' uses sampler '" + manifold.sampler +
                   "'; allowed here: einstein, ricci_norm");
  }
}

void read_optimizer(ConfigReader r, OptimizerConfig& o) {
  read_optimizer_keys(r, o);
  o.steps = r.integer("steps", o.steps, 1, kMaxCount);
}

// dim: the manifold's n, so Θ on ntk_probes points has ntk_probes · n(n+1)/2 rows (ntk/empirical_ntk.h).
void read_recording(ConfigReader r, RecordingConfig& c, const PointsConfig& points, int64_t dim) {
  c.every = r.integer("every", c.every, 1, kMaxCount);
  c.output = r.string("output", c.output);
  if (c.output.empty()) r.fail("output", "must be a file path");
  c.checkpoint_every = r.integer("checkpoint_every", c.checkpoint_every, 0, kMaxCount);
  c.ntk_every = r.integer("ntk_every", c.ntk_every, 0, kMaxCount);
  // The defaults shrink to what a small probe set allows; an explicit value out of range fails.
  c.ntk_probes = r.integer("ntk_probes", std::min(c.ntk_probes, points.probe), 1, points.probe);
  const int64_t rows = c.ntk_probes * (dim * (dim + 1) / 2);
  c.ntk_eigenvalues = r.integer("ntk_eigenvalues", std::min(c.ntk_eigenvalues, rows), 1, rows);
}

ExperimentConfig read_experiment(const YAML::Node& root_node, std::shared_ptr<const ConfigContext> context) {
  ExperimentConfig c;
  // The kind decides which sections (and keys) the file may have, so it is looked at first.
  const std::string kind = read_kind(context, root_node);
  reject_foreign_top_level_keys(context, root_node, kind);
  ConfigReader root(context, root_node, "", kind_keys(kind, ""));
  c.kind = kind;
  c.seed = static_cast<uint64_t>(root.integer("seed", 0, 0, INT64_MAX));
  c.device = root.enumeration("device", c.device, kDeviceChoiceNames);
  c.dtype = root.enumeration("dtype", c.dtype, kPrecisionNames);
  c.threads = root.integer("threads", c.threads, 0, 4096);
  if (c.kind == "cy_metric") {
    read_cy_metric(context, root, root_node, c);
    return c;
  }
  if (c.kind == "donaldson") {
    read_donaldson(context, root, root_node, c);
    return c;
  }
  if (c.kind == "cy_free_metric") {
    read_cy_free_metric(context, root, root_node, c);
    return c;
  }
  if (c.kind == "cy_width_ladder") {
    read_cy_width_ladder(context, root, root_node, c);
    return c;
  }
  if (c.kind == "local_ricci_check") {
    read_local_ricci_check(context, root, root_node, c);
    return c;
  }
  if (c.kind == "ricci_flow") {
    read_ricci_flow(context, root, root_node, c);
    return c;
  }
  RealMetricFlowConfig& s = c.kind_sections.emplace<RealMetricFlowConfig>();
  const auto section = [&](const std::string& name) { return kind_section(context, root, root_node, name, kind); };
  const int64_t dim = read_manifold(section("manifold"), s.manifold);
  read_points(section("points"), s.points);
  read_model(section("model"), s.model);
  read_loss(section("loss"), s.loss, s.manifold, dim);
  read_optimizer(section("optimizer"), s.optimizer);
  if (s.optimizer.name == OptimizerKind::Lbfgs && s.points.resample_every > 0) {
    section("points").fail("resample_every", "L-BFGS needs one fixed loss (its curvature pairs compare gradients of "
                                             "the same function), so points cannot be resampled; allowed with "
                                             "lbfgs: 0");
  }
  read_recording(section("recording"), c.recording, s.points, dim);
  read_compare(section("compare"), c, s);
  return c;
}

// Sets root[a][b]…[z] = value for "a.b.….z=value", creating missing mappings.
void apply_override(YAML::Node& root, const std::string& entry, std::set<std::string>& overridden) {
  const std::size_t equals = entry.find('=');
  NMFLOW_CHECK(equals != std::string::npos && equals > 0, "--set: expected key.path=value, got '", entry, "'");
  const std::string path = entry.substr(0, equals);
  YAML::Node value;
  try {
    value = YAML::Load(entry.substr(equals + 1));
  } catch (const YAML::Exception& e) {
    throw_error("--set " + path + ": the value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> keys;
  std::stringstream stream(path);
  for (std::string key; std::getline(stream, key, '.');) {
    NMFLOW_CHECK(!key.empty(), "--set: empty key in '", path, "'");
    keys.push_back(key);
  }
  YAML::Node node;
  node.reset(root);
  std::string prefix;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    prefix += (i == 0 ? "" : ".") + keys[i];
    YAML::Node next = node[keys[i]];
    if (!next.IsDefined() || next.IsNull()) {
      node[keys[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(node[keys[i]]);
    }
    NMFLOW_CHECK(next.IsMap(), "--set ", path, ": '", prefix, "' is not a mapping");
    node.reset(next);
  }
  node[keys.back()] = value;
  overridden.insert(path);
}

}  // namespace

LoadedConfig load_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  auto context = std::make_shared<ConfigContext>();
  context->source = source;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw_error(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": malformed YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    // An empty file is far more often a mistake (a truncated copy, a wrong path) than a wish for every default.
    NMFLOW_CHECK(!overrides.empty(), source, ": the configuration is empty (no keys); write at least 'kind: …' "
                 "(`nmflow config --print-default` prints a complete one), or run `nmflow run` without a file for "
                 "the default experiment");
    root = YAML::Node(YAML::NodeType::Map);
  }
  for (const std::string& entry : overrides) {
    NMFLOW_CHECK(root.IsMap(), source, ": the configuration is not a mapping of keys, so --set cannot apply");
    apply_override(root, entry, context->overridden);
  }
  LoadedConfig loaded;
  loaded.config = read_experiment(root, context);
  if (overrides.empty()) {
    loaded.text = text;
  } else {
    YAML::Emitter emitter;
    emitter << root;
    loaded.text = std::string(emitter.c_str()) + "\n";
  }
  return loaded;
}

LoadedConfig load_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  NMFLOW_CHECK(in.good(), "cannot read configuration file '", path, "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config(buffer.str(), path, overrides);
}

}  // namespace nmflow

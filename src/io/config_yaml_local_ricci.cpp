// Schema of the local_ricci_check kind of `nmflow run` (docs/config.md, "local_ricci_check"): a list of cases (one NN
// flow against Ricci flow each; cases of one name form a ladder) and a list of pass/fail criteria over the ladders.
// Every rule the runner would otherwise trip on (experiments/local_ricci_case.h) is checked here, at its key.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/error.h"
#include "io/config_yaml.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

std::vector<std::string> local_ricci_head_names(LocalRicciManifold manifold) {
  // S³: the K = g g kernel or the flat component kernel (the control); T²: K = g g or the conformal head (control).
  const MetricHeadKind control =
      manifold == LocalRicciManifold::S3 ? MetricHeadKind::Symmetric : MetricHeadKind::Conformal;
  return {enum_name(kMetricHeadKindNames, MetricHeadKind::FrameExponential), enum_name(kMetricHeadKindNames, control)};
}

namespace {

const std::string kKind = LocalRicciCheckConfig::kKind;
const std::vector<std::string> kS3Keys = {"frequencies", "a0", "b0", "points"};
const std::vector<std::string> kT2Keys = {"grid", "probe_grid", "reference_grid", "u0"};

bool is_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<LocalRicciModeConfig> read_modes(ConfigReader& r, const std::vector<LocalRicciModeConfig>& fallback) {
  if (!r.has("u0")) return fallback;
  std::vector<LocalRicciModeConfig> modes;
  for (ConfigReader m : r.mapping_list("u0", {"kx", "ky", "cos", "sin"})) {
    LocalRicciModeConfig mode;
    mode.kx = m.integer("kx", 0, -64, 64);
    mode.ky = m.integer("ky", 0, -64, 64);
    mode.cos = m.real("cos", 0.0, Interval{});
    mode.sin = m.real("sin", 0.0, Interval{});
    modes.push_back(mode);
  }
  if (modes.empty()) r.fail("u0", "needs at least one Fourier mode, e.g. [{kx: 1, ky: 0, cos: 0.3}]");
  return modes;
}

LocalRicciCaseConfig read_case(ConfigReader& r) {
  LocalRicciCaseConfig c;
  c.name = r.string("name", "");
  if (!is_name(c.name)) {
    r.fail("name", "every case needs a name of letters, digits and '_' (cases sharing a name form a ladder)");
  }
  c.manifold = r.enumeration("manifold", c.manifold, kLocalRicciManifoldNames);
  const bool s3 = c.manifold == LocalRicciManifold::S3;
  for (const std::string& key : s3 ? kT2Keys : kS3Keys) {
    if (r.has(key)) {
      r.fail(key, "applies only to manifold " + std::string(s3 ? "conformal_t2" : "s3") + " (this case is on " +
                      enum_name(kLocalRicciManifoldNames, c.manifold) + ")");
    }
  }
  c.head = r.enumeration("head", c.head, kMetricHeadKindNames, local_ricci_head_names(c.manifold));
  c.features = r.integer("features", c.features, s3 ? 1 : 4, kMaxConfigCount);
  const auto centres = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(c.features))));
  if (!s3 && centres * centres != c.features) {
    r.fail("features", "on conformal_t2 the features are an n_c × n_c grid of bump centres, so a square; got " +
                           std::to_string(c.features));
  }
  c.bandwidth = r.real("bandwidth", c.bandwidth, s3 ? positive() : Interval{0.5, INFINITY, false, true});
  c.probes = r.integer("probes", c.probes, 1, kMaxConfigCount);
  c.final_time = r.real("final_time", c.final_time, positive());
  c.learning_rate = r.real("learning_rate", c.learning_rate, positive());
  c.observations = r.integer("observations", c.observations, 1, kMaxConfigCount);
  const double steps = c.final_time / (c.learning_rate * static_cast<double>(c.observations));
  if (!(std::abs(steps - std::round(steps)) <= 1e-9 * steps && std::round(steps) >= 1.0)) {
    r.fail("learning_rate", "final_time / (learning_rate · observations) must be a whole number ≥ 1 of steps "
                            "between comparisons; got " + std::to_string(steps));
  }
  if (s3) {
    c.frequencies = r.enumeration("frequencies", c.frequencies, kFrequencyDistributionNames);
    c.a0 = r.real("a0", c.a0, positive());
    c.b0 = r.real("b0", c.b0, positive());
    c.points = r.integer("points", c.points, 8, kMaxConfigCount);
  } else {
    c.grid = r.integer("grid", c.grid, 8, 65536);
    c.probe_grid = r.integer("probe_grid", c.probe_grid, 4, 65536);
    c.reference_grid = r.integer("reference_grid", c.reference_grid, 8, 65536);
    c.u0 = read_modes(r, c.u0);
  }
  return c;
}

LocalRicciCriterionConfig read_criterion(ConfigReader& r, const std::vector<LocalRicciCaseConfig>& cases) {
  LocalRicciCriterionConfig c;
  c.test = r.enumeration("test", c.test, kCriterionTestNames);
  const std::string test = enum_name(kCriterionTestNames, c.test);
  const bool along_ladder = c.test == CriterionTest::Falls || c.test == CriterionTest::EndsLower;
  for (const char* key : {"along", "quantity", "threshold"}) {
    const bool applies = along_ladder == (std::string(key) == "along");
    if (r.has(key) && !applies) {
      r.fail(key, "applies only to test " + std::string(along_ladder ? "below and above" : "falls and ends_lower") +
                      " (this criterion's test is " + test + ")");
    }
  }
  c.ladder = r.string("ladder", "");
  std::vector<const LocalRicciCaseConfig*> ladder;
  std::vector<std::string> names;
  for (const LocalRicciCaseConfig& k : cases) {
    if (k.name == c.ladder) ladder.push_back(&k);
    if (std::find(names.begin(), names.end(), k.name) == names.end()) names.push_back(k.name);
  }
  if (ladder.empty()) r.fail("ladder", "names no case '" + c.ladder + "'; allowed: " + join_names(names));
  if (along_ladder) {
    c.along = r.enumeration("along", c.along, kCriterionAxisNames);
    std::set<double> abscissae;
    for (const LocalRicciCaseConfig* k : ladder) {
      abscissae.insert(c.along == CriterionAxis::Width ? static_cast<double>(k->features) : k->bandwidth);
    }
    if (abscissae.size() < 2) {
      r.fail(r.has("along") ? "along" : "ladder",
             "ladder '" + c.ladder + "' needs at least two cases of different " + enum_name(kCriterionAxisNames, c.along) +
                 " to fit an exponent");
    }
    return c;
  }
  c.quantity = r.enumeration("quantity", c.quantity, kCriterionQuantityNames);
  const LocalRicciCaseConfig& last = *ladder.back();
  if (c.quantity == CriterionQuantity::DerivedDeviation &&
      !(last.manifold == LocalRicciManifold::ConformalT2 && last.head == MetricHeadKind::Conformal)) {
    r.fail("quantity", "derived_deviation is defined for the conformal head on conformal_t2 only (its derived flow "
                       "∂_t u = 0); the last case of '" + c.ladder + "' is " + enum_name(kMetricHeadKindNames, last.head) + " on " +
                       enum_name(kLocalRicciManifoldNames, last.manifold) +
                       "; allowed: deviation");
  }
  if (!r.has("threshold")) r.fail("threshold", "test " + test + " needs a threshold (a positive number)");
  c.threshold = r.real("threshold", c.threshold, positive());
  return c;
}

// The cases and criteria of the shipped quick check, for a configuration that leaves them out.
const LocalRicciCheckConfig& quick_check() {
  static const LocalRicciCheckConfig quick = [] {
    return load_config(local_ricci_check_config_text(true), "configs/checks/local_ricci_quick.yaml (embedded)")
        .config.sections<LocalRicciCheckConfig>();
  }();
  return quick;
}

}  // namespace

void read_local_ricci_check(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                            const YAML::Node& root_node, ExperimentConfig& c) {
  LocalRicciCheckConfig& s = c.kind_sections.emplace<LocalRicciCheckConfig>();
  if (root.has("cases")) {
    for (ConfigReader r : root.mapping_list("cases", kind_keys(kKind, "cases"))) {
      s.cases.push_back(read_case(r));
    }
    if (s.cases.empty()) root.fail("cases", "needs at least one case");
  } else {
    s.cases = quick_check().cases;
    if (!root.has("criteria")) s.criteria = quick_check().criteria;
  }
  for (ConfigReader r : root.mapping_list("criteria", kind_keys(kKind, "criteria"))) {
    s.criteria.push_back(read_criterion(r, s.cases));
  }
  ConfigReader recording = kind_section(context, root, root_node, "recording", kKind);
  c.recording.output = recording.string("output", "local_ricci_check.h5");
  if (c.recording.output.empty()) recording.fail("output", "must be a file path");
}

}  // namespace nmflow

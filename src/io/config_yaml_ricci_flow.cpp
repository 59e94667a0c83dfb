// Schema of kind ricci_flow of `nmflow run` (docs/config.md, "ricci_flow"): the starting metric (`metric`), the
// integration (`flow`) and the recording. A key of another family fails at that key, naming the families that take
// it; a u₀ or g₀ that is not a smooth positive metric on the grid fails at metric.u0 / metric.g0.
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

namespace {

const std::string kKind = "ricci_flow";
using F = RicciFlowFamily;

// Which families take each family-specific key (every other key applies to all).
struct FamilyKey {
  const char* section;
  const char* key;
  std::vector<F> families;
};

const std::vector<FamilyKey>& family_keys() {
  static const std::vector<FamilyKey> table = {
      {"metric", "dim", {F::RoundSphere, F::Hyperbolic}},
      {"metric", "radius", {F::RoundSphere, F::Hyperbolic, F::SphereTorus}},
      {"metric", "A", {F::Su2, F::Berger, F::Nil}},
      {"metric", "B", {F::Su2, F::Berger, F::Nil}},
      {"metric", "C", {F::Su2, F::Nil}},
      {"metric", "sphere_dim", {F::SphereTorus}},
      {"metric", "torus_dim", {F::SphereTorus}},
      {"metric", "lengths", {F::SphereTorus}},
      {"metric", "u0", {F::ConformalT2}},
      {"metric", "g0", {F::DeTurckT2, F::DeTurckT3}},
      {"flow", "extinction_fraction", {F::RoundSphere, F::Su2, F::Berger, F::SphereTorus}},
      {"flow", "rtol", {F::RoundSphere, F::Hyperbolic, F::Su2, F::Berger, F::Nil, F::SphereTorus}},
      {"flow", "atol", {F::RoundSphere, F::Hyperbolic, F::Su2, F::Berger, F::Nil, F::SphereTorus}},
      {"flow", "grid", {F::ConformalT2, F::DeTurckT2, F::DeTurckT3}},
      {"flow", "cfl", {F::ConformalT2, F::DeTurckT2, F::DeTurckT3}}};
  return table;
}

void reject_other_family_keys(const ConfigReader& r, const std::string& section, F family) {
  for (const FamilyKey& entry : family_keys()) {
    if (entry.section != section || !r.has(entry.key)) continue;
    if (std::find(entry.families.begin(), entry.families.end(), family) != entry.families.end()) continue;
    std::string names;
    for (const F f : entry.families) names += (names.empty() ? "" : ", ") + enum_name(kRicciFlowFamilyNames, f);
    r.fail(entry.key, "applies only to metric.family " + names + " (the family is " +
                          enum_name(kRicciFlowFamilyNames, family) + ")");
  }
}

int64_t torus_dim_of(F family) { return family == F::DeTurckT3 ? 3 : 2; }

// u₀ or g₀ as a list of {i, j, kx, ky, kz, cos, sin}; the keys a family does not use are unknown keys there.
std::vector<RicciFlowFourierMode> read_modes(ConfigReader& r, const std::string& key,
                                             const std::vector<RicciFlowFourierMode>& fallback, F family) {
  if (!r.has(key)) return fallback;
  const bool metric_modes = key == "g0";
  const int64_t n = torus_dim_of(family);
  std::vector<std::string> allowed = {"kx", "ky", "cos", "sin"};
  if (n == 3) allowed.insert(allowed.begin() + 2, "kz");
  if (metric_modes) allowed.insert(allowed.begin(), {"i", "j"});
  std::vector<RicciFlowFourierMode> modes;
  for (ConfigReader m : r.mapping_list(key, allowed)) {
    RicciFlowFourierMode mode;
    if (metric_modes) {
      mode.i = m.integer("i", 0, 0, n - 1);
      mode.j = m.integer("j", 0, 0, n - 1);
    }
    mode.kx = m.integer("kx", 0, -64, 64);
    mode.ky = m.integer("ky", 0, -64, 64);
    mode.kz = m.integer("kz", 0, -64, 64);
    mode.cos = m.real("cos", 0.0, Interval{});
    mode.sin = m.real("sin", 0.0, Interval{});
    modes.push_back(mode);
  }
  if (modes.empty() && !metric_modes) r.fail(key, "needs at least one Fourier mode, e.g. [{kx: 1, ky: 0, cos: 0.1}]");
  return modes;
}

std::string real_text(double x) { return fmt::format("{:.6g}", x); }

double mode_value(const RicciFlowFourierMode& m, const double* x) {
  const double phase = static_cast<double>(m.kx) * x[0] + static_cast<double>(m.ky) * x[1] +
                       static_cast<double>(m.kz) * x[2];
  return m.cos * std::cos(phase) + m.sin * std::sin(phase);
}

std::string point_text(const double* x, int64_t n) {
  std::string out;
  for (int64_t c = 0; c < n; ++c) out += (c == 0 ? "(" : ", ") + real_text(x[c]);
  return out + ")";
}

// Every mode must be resolved by the grid (|k_c| < N/2: no aliasing, no Nyquist mode), and the metric must be
// positive definite at every grid point: e^{2u₀} within e^{±2 kMaxConformalExponent}, g₀ = δ + Σ modes with positive
// leading minors (Sylvester).
constexpr double kMaxConformalExponent = 5.0;

void check_modes_on_grid(const ConfigReader& metric, const RicciFlowConfig& c) {
  const bool conformal = c.family == F::ConformalT2;
  const std::string key = conformal ? "u0" : "g0";
  const std::vector<RicciFlowFourierMode>& modes = conformal ? c.u0 : c.g0;
  const int64_t n = torus_dim_of(c.family);
  for (const RicciFlowFourierMode& m : modes) {
    const int64_t k = std::max({std::abs(m.kx), std::abs(m.ky), std::abs(m.kz)});
    if (2 * k >= c.grid) {
      metric.fail(key, "mode k = (" + std::to_string(m.kx) + ", " + std::to_string(m.ky) +
                           (n == 3 ? ", " + std::to_string(m.kz) : std::string()) + ") is not resolved by flow.grid = " +
                           std::to_string(c.grid) + " (each |k_c| must be < grid/2); raise flow.grid or drop the mode");
    }
  }
  const int64_t points = n == 3 ? c.grid * c.grid * c.grid : c.grid * c.grid;
  const double h = 2.0 * M_PI / static_cast<double>(c.grid);
  for (int64_t p = 0; p < points; ++p) {
    double x[3] = {0.0, 0.0, 0.0};
    int64_t rest = p;
    for (int64_t axis = n - 1; axis >= 0; --axis) {
      x[axis] = h * static_cast<double>(rest % c.grid);
      rest /= c.grid;
    }
    if (conformal) {
      double u = 0.0;
      for (const RicciFlowFourierMode& m : modes) u += mode_value(m, x);
      if (std::abs(u) > kMaxConformalExponent) {
        metric.fail(key, "u0 = " + real_text(u) + " at x = " + point_text(x, n) + ": the conformal factor e^{2u0} must "
                         "stay within e^{±" + real_text(2.0 * kMaxConformalExponent) + "} on the grid (|u0| ≤ " +
                         real_text(kMaxConformalExponent) + "); lower the amplitudes");
      }
      continue;
    }
    double g[3][3] = {{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
    for (const RicciFlowFourierMode& m : modes) {
      const double v = mode_value(m, x);
      g[m.i][m.j] += v;
      if (m.i != m.j) g[m.j][m.i] += v;
    }
    const double minor1 = g[0][0];
    const double minor2 = g[0][0] * g[1][1] - g[0][1] * g[1][0];
    const double minor3 = g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1]) -
                          g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0]) +
                          g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]);
    const double smallest = n == 3 ? std::min({minor1, minor2, minor3}) : std::min(minor1, minor2);
    if (!(smallest > 1e-8)) {
      metric.fail(key, "g0 = δ + Σ modes is not positive definite at x = " + point_text(x, n) +
                           " (a leading minor is " + real_text(smallest) + "); lower the amplitudes");
    }
  }
}

void read_metric(ConfigReader& r, RicciFlowConfig& c) {
  c.family = r.enumeration("family", c.family, kRicciFlowFamilyNames);
  reject_other_family_keys(r, "metric", c.family);
  switch (c.family) {
    case F::RoundSphere:
    case F::Hyperbolic:
      c.dim = r.integer("dim", c.dim, 2, 8);
      c.radius = r.real("radius", c.radius, positive());
      break;
    case F::Su2:
    case F::Berger:
    case F::Nil:
      c.a = r.real("A", c.a, positive());
      c.b = r.real("B", c.b, positive());
      if (c.family != F::Berger) c.c = r.real("C", c.c, positive());
      break;
    case F::SphereTorus:
      c.radius = r.real("radius", c.radius, positive());
      c.sphere_dim = r.integer("sphere_dim", c.sphere_dim, 2, 7);
      c.torus_dim = r.integer("torus_dim", c.torus_dim, 1, 8 - c.sphere_dim);
      c.lengths = r.real_list("lengths", std::vector<double>(c.torus_dim, 1.0), positive());
      if (static_cast<int64_t>(c.lengths.size()) != c.torus_dim) {
        r.fail("lengths", "needs torus_dim = " + std::to_string(c.torus_dim) + " lengths, got " +
                              std::to_string(c.lengths.size()));
      }
      break;
    case F::ConformalT2:
      c.u0 = read_modes(r, "u0", c.u0, c.family);
      break;
    case F::DeTurckT2:
    case F::DeTurckT3:
      c.g0 = read_modes(r, "g0", c.g0, c.family);
      break;
  }
}

void read_flow(ConfigReader& r, RicciFlowConfig& c) {
  reject_other_family_keys(r, "flow", c.family);
  if (r.has("end_time") && r.has("extinction_fraction")) {
    r.fail("extinction_fraction", "give either flow.end_time or flow.extinction_fraction, not both");
  }
  const bool extinct = ricci_flow_goes_extinct(c.family);
  if (extinct && !r.has("end_time")) {
    c.extinction_fraction = r.real("extinction_fraction", 0.5, Interval{0.0, 1.0, true, true});
  } else {
    const double fallback = ricci_flow_on_grid(c.family) ? 0.2 : 1.0;
    c.end_time = r.real("end_time", fallback, positive());
  }
  if (r.has("records") && r.has("record_times")) {
    r.fail("record_times", "give either flow.records (equally spaced) or flow.record_times, not both");
  }
  c.records = r.integer("records", c.records, 1, 100000);
  if (r.has("record_times")) {
    if (c.end_time <= 0.0) {
      r.fail("record_times", "needs flow.end_time (with extinction_fraction the times are not known before the run); "
                             "use flow.records");
    }
    c.record_times = r.real_list("record_times", {}, Interval{0.0, c.end_time, true, false});
    if (c.record_times.empty()) r.fail("record_times", "needs at least one time");
    for (size_t i = 1; i < c.record_times.size(); ++i) {
      if (!(c.record_times[i] > c.record_times[i - 1])) r.fail("record_times", "must be strictly ascending");
    }
  }
  if (!ricci_flow_on_grid(c.family)) {
    c.rtol = r.real("rtol", c.rtol, Interval{1e-15, 1e-2, false, false});
    c.atol = r.real("atol", c.atol, Interval{0.0, 1.0, true, false});
  } else {
    c.grid = r.integer("grid", c.grid, 8, c.family == F::DeTurckT3 ? 64 : 256);
    c.cfl = r.real("cfl", c.cfl, Interval{0.0, 1.0, true, false});
  }
}

}  // namespace

void read_ricci_flow(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                     const YAML::Node& root_node, ExperimentConfig& config) {
  RicciFlowConfig& c = config.kind_sections.emplace<RicciFlowConfig>();
  ConfigReader metric = kind_section(context, root, root_node, "metric", kKind);
  read_metric(metric, c);
  ConfigReader flow = kind_section(context, root, root_node, "flow", kKind);
  read_flow(flow, c);
  if (ricci_flow_on_grid(c.family)) check_modes_on_grid(metric, c);
  ConfigReader recording = kind_section(context, root, root_node, "recording", kKind);
  config.recording.output = recording.string("output", "ricci_flow.h5");
  if (config.recording.output.empty()) recording.fail("output", "must be a file path");
  c.probes = recording.integer("probes", c.probes, 1, 4096);
}

}  // namespace nmflow

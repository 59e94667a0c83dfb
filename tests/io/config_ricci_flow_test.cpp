// Tests of kind ricci_flow's configuration (src/io/config_yaml_ricci_flow.cpp, docs/config.md "ricci_flow"): every
// bad value is one error naming file:line:column, the key path and what is allowed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "io/config_entries.h"
#include "io/config_yaml.h"

using namespace nmflow;

namespace {

std::string error_of(const std::string& text) {
  try {
    load_config(text, "test.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ricci_flow: each family reads its own keys, with the documented defaults", "[io]") {
  const ExperimentConfig defaults = load_config("kind: ricci_flow\n", "t").config;
  const RicciFlowConfig& d = defaults.sections<RicciFlowConfig>();
  CHECK(d.family == RicciFlowFamily::Berger);
  CHECK(d.a == 1.0);
  CHECK(d.b == 0.5);
  CHECK(d.extinction_fraction == 0.5);
  CHECK(d.end_time == 0.0);
  CHECK(defaults.recording.output == "ricci_flow.h5");

  const RicciFlowConfig torus =
      load_config("kind: ricci_flow\nmetric: {family: sphere_torus, radius: 2, sphere_dim: 3, torus_dim: 2, "
                  "lengths: [1, 4]}\nflow: {end_time: 0.5, record_times: [0.1, 0.5]}\n", "t")
          .config.sections<RicciFlowConfig>();
  CHECK(torus.lengths == std::vector<double>{1.0, 4.0});
  CHECK(torus.record_times == std::vector<double>{0.1, 0.5});

  const ExperimentConfig t3 = load_config("kind: ricci_flow\nmetric: {family: deturck_t3, g0: [{i: 1, j: 2, kx: 1, "
                                          "kz: -1, sin: 0.1}]}\nflow: {grid: 20}\n", "t").config;
  REQUIRE(t3.sections<RicciFlowConfig>().g0.size() == 1);
  CHECK(t3.sections<RicciFlowConfig>().g0[0].kz == -1);
  CHECK(t3.sections<RicciFlowConfig>().end_time == 0.2);
  CHECK(config_entries(t3).at("metric.g0") == "[{i: 1, j: 2, kx: 1, ky: 0, kz: -1, cos: 0, sin: 0.1}]");

  ExperimentConfig quick = t3;
  apply_quick(quick);
  CHECK(quick.sections<RicciFlowConfig>().grid == 12);
  CHECK(t3.sections<RicciFlowConfig>().grid == 20);
  CHECK(quick.sections<RicciFlowConfig>().records == 3);
  CHECK(quick.sections<RicciFlowConfig>().probes == 4);
}

TEST_CASE("ricci_flow: bad values are located and name what is allowed", "[io]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"kind: ricci_flow\nmetric: {family: klein}\n",
       "test.yaml:2:18: metric.family: unknown value 'klein'"},
      {"kind: ricci_flow\nmetric: {family: berger, C: 1}\n",
       "test.yaml:2:29: metric.C: applies only to metric.family su2, nil (the family is berger)"},
      {"kind: ricci_flow\nmetric: {family: su2, A: -1}\n", "test.yaml:2:26: metric.A: must be in (0, inf), got -1"},
      {"kind: ricci_flow\nmetric: {family: round_sphere, dim: 9}\n", "metric.dim: must be in [2, 8], got 9"},
      {"kind: ricci_flow\nmetric: {family: sphere_torus, torus_dim: 2, lengths: [1]}\n",
       "metric.lengths: needs torus_dim = 2 lengths, got 1"},
      {"kind: ricci_flow\nmetric: {family: hyperbolic}\nflow: {extinction_fraction: 0.5}\n",
       "test.yaml:3:29: flow.extinction_fraction: applies only to metric.family round_sphere, su2, berger, "
       "sphere_torus (the family is hyperbolic)"},
      {"kind: ricci_flow\nflow: {extinction_fraction: 1.5}\n", "flow.extinction_fraction: must be in (0, 1), got 1.5"},
      {"kind: ricci_flow\nflow: {end_time: 0.1, extinction_fraction: 0.5}\n",
       "flow.extinction_fraction: give either flow.end_time or flow.extinction_fraction, not both"},
      {"kind: ricci_flow\nmetric: {family: nil}\nflow: {end_time: 1, record_times: [0.5, 0.2]}\n",
       "flow.record_times: must be strictly ascending"},
      {"kind: ricci_flow\nmetric: {family: nil}\nflow: {end_time: 1, record_times: [2]}\n",
       "flow.record_times[0]: must be in (0, 1], got 2"},
      {"kind: ricci_flow\nflow: {record_times: [0.1]}\n", "flow.record_times: needs flow.end_time"},
      {"kind: ricci_flow\nmetric: {family: conformal_t2}\nflow: {rtol: 1e-9}\n",
       "flow.rtol: applies only to metric.family round_sphere, hyperbolic, su2, berger, nil, sphere_torus"},
      {"kind: ricci_flow\nmetric: {family: nil}\nflow: {grid: 16}\n",
       "flow.grid: applies only to metric.family conformal_t2, deturck_t2, deturck_t3 (the family is nil)"},
      {"kind: ricci_flow\nmetric: {family: conformal_t2, u0: [{kx: 1, kz: 1, cos: 0.1}]}\n",
       "metric.u0[0].kz: unknown key 'kz'"},
      {"kind: ricci_flow\nmetric: {family: conformal_t2, u0: [{kx: 9, cos: 0.1}]}\nflow: {grid: 16}\n",
       "test.yaml:2:36: metric.u0: mode k = (9, 0) is not resolved by flow.grid = 16"},
      {"kind: ricci_flow\nmetric: {family: conformal_t2, u0: [{kx: 1, cos: 4}, {ky: 1, cos: 4}]}\n",
       "metric.u0: u0 = 8 at x = (0, 0): the conformal factor e^{2u0} must stay within e^{±10}"},
      {"kind: ricci_flow\nmetric: {family: deturck_t2, g0: [{i: 0, j: 1, kx: 1, cos: 1.5}]}\n",
       "test.yaml:2:34: metric.g0: g0 = δ + Σ modes is not positive definite at x = (0, 0)"},
      {"kind: ricci_flow\nmetric: {family: deturck_t2, g0: [{i: 2, j: 0, cos: 0.1}]}\n",
       "metric.g0[0].i: must be in [0, 1], got 2"},
      {"kind: ricci_flow\nmanifold: {name: round_sphere}\n",
       "'manifold' is a key of kind real_metric_flow, not of kind ricci_flow (ricci_flow takes metric.family instead)"},
      {"kind: ricci_flow\ndevice: cuda\n", "(the reference flows run on the CPU in float64)"},
      {"kind: ricci_flow\nrecording: {every: 3}\n",
       "'every' is a key of kind real_metric_flow, not of kind ricci_flow"},
      {"kind: real_metric_flow\nflow: {end_time: 1}\n", "'flow' is a key of kind ricci_flow, not of kind real_metric_flow"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.text);
    INFO(c.text << "\n-> " << message);
    CHECK(has(message, c.expected));
  }
}

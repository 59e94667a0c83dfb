// The local_ricci_check kind (experiments/local_ricci_experiment.h): its criteria judged on hand-made results, its
// run lifecycle (a stopped run resumed with --resume writes what an uninterrupted run writes), and its config names
// against the runner's name tables.
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/local_ricci_experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/run_files.h"

namespace nmflow {
namespace {

// Four cheap cases (a few steps each, well under a second): a two-rung S³ width ladder, a repeat of its first rung
// (reused, not rerun), and a conformal-head T² case.
constexpr const char* kTinyCheck = R"(kind: local_ricci_check
seed: 4
threads: 1
cases:
  - {name: round, features: 16, points: 8, probes: 2, final_time: 0.004, learning_rate: 0.002, observations: 1}
  - {name: round, features: 32, points: 8, probes: 2, final_time: 0.004, learning_rate: 0.002, observations: 1}
  - {name: again, features: 16, points: 8, probes: 2, final_time: 0.004, learning_rate: 0.002, observations: 1}
  - {name: t2, manifold: conformal_t2, head: conformal, features: 16, bandwidth: 1, grid: 8, probe_grid: 4,
     reference_grid: 8, probes: 2, final_time: 0.004, learning_rate: 0.002, observations: 2}
criteria:
  - {test: below, ladder: round, quantity: deviation, threshold: 1e9}
  - {test: below, ladder: t2, quantity: derived_deviation, threshold: 1e-3}
  - {test: below, ladder: again, quantity: deviation, threshold: 1e9}
)";

ExperimentRunOptions options_for(const std::string& path) {
  ExperimentRunOptions options;
  options.output = path;
  options.config_text = kTinyCheck;
  options.device = "cpu";
  return options;
}

struct OneThread {
  int saved = at::get_num_threads();
  OneThread() { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(saved); }
};

LocalRicciRow row(const std::string& name, int64_t features, double bandwidth, double deviation) {
  LocalRicciRow r;
  r.name = name;
  r.options.features = features;
  r.options.bandwidth = bandwidth;
  r.result.max_deviation = deviation;
  return r;
}

LocalRicciCriterionConfig criterion(const std::string& test, const std::string& ladder, const std::string& along,
                                    const std::string& quantity = "deviation", double threshold = 0.0) {
  LocalRicciCriterionConfig c;
  c.test = parse_enum(kCriterionTestNames, test, "test");
  c.ladder = ladder;
  if (!along.empty()) c.along = parse_enum(kCriterionAxisNames, along, "along");
  c.quantity = parse_enum(kCriterionQuantityNames, quantity, "quantity");
  c.threshold = threshold;
  return c;
}

}  // namespace

TEST_CASE("local_ricci_check criteria: falls, ends_lower, below and above judge a ladder's rows", "[experiments]") {
  // Deviation ∝ width^{-1/2} along "a"; "b" ends lower but is high near its end (fitted exponent > 0).
  std::vector<LocalRicciRow> rows = {row("a", 64, 2.0, 0.04), row("a", 256, 2.0, 0.02), row("a", 1024, 2.0, 0.01),
                                     row("b", 100, 3.0, 0.10), row("b", 1500, 3.0, 0.90), row("b", 1600, 3.0, 0.09),
                                     row("c", 484, 4.0, 0.25)};
  rows.back().result.derived_deviation = 5e-11;
  CHECK(fitted_exponent(ladder_rows(rows, "a"), CriterionAxis::Width) == Approx(-0.5).epsilon(1e-12));
  const std::vector<LocalRicciOutcome> o = evaluate_local_ricci_criteria(
      {criterion("falls", "a", "width"), criterion("falls", "b", "width"), criterion("ends_lower", "b", "width"),
       criterion("below", "a", "", "deviation", 0.02), criterion("below", "a", "", "deviation", 0.01),
       criterion("above", "c", "", "deviation", 0.15), criterion("below", "c", "", "derived_deviation", 1e-6),
       criterion("below", "a", "", "derived_deviation", 1.0)},
      rows);
  REQUIRE(o.size() == 8);
  CHECK(o[0].passed);
  CHECK(o[0].value == Approx(-0.5));
  CHECK_FALSE(o[1].passed);  // last < first, but the fitted exponent is positive
  CHECK(o[1].value > 0.0);
  CHECK(o[2].passed);
  CHECK(o[3].passed);
  CHECK_FALSE(o[4].passed);  // strictly below: 0.01 is not below 0.01
  CHECK(o[5].passed);
  CHECK(o[6].passed);
  CHECK_FALSE(o[7].passed);  // NaN (not defined on S³) passes nothing
  CHECK(o[0].line == "a: deviation falls with width (fitted exponent -0.50; 4.000e-02 -> 1.000e-02)");
  CHECK(o[5].line == "c: deviation from Ricci flow 2.500e-01 at the last case, must stay above 0.15");
  CHECK_THROWS_WITH(evaluate_local_ricci_criteria({criterion("falls", "d", "width")}, rows),
                    Catch::Contains("names ladder 'd', which has no finished case"));
  // The bandwidth abscissa: deviation ∝ Λ^{-3/2}.
  const std::vector<LocalRicciRow> t2 = {row("t", 144, 2.0, 0.1), row("t", 484, 4.0, 0.1 / std::pow(2.0, 1.5))};
  CHECK(fitted_exponent(ladder_rows(t2, "t"), CriterionAxis::Bandwidth) == Approx(-1.5).epsilon(1e-12));
}

TEST_CASE("A local_ricci_check run stopped after one case and resumed equals an uninterrupted run",
          "[experiments]") {
  OneThread one;
  const ExperimentConfig config = load_config(kTinyCheck, "tiny.yaml").config;
  const std::string straight = "local_ricci_test_straight.h5", resumed = "local_ricci_test_resumed.h5";
  const LocalRicciCheckSummary whole = run_local_ricci_check_experiment(config, options_for(straight));
  REQUIRE(whole.rows.size() == 4);
  CHECK(whole.passed());
  CHECK(whole.rows[2].result.max_deviation == whole.rows[0].result.max_deviation);  // reused
  CHECK(whole.rows[2].seconds == 0.0);
  CHECK(whole.rows[3].result.derived_deviation < 1e-3);  // ∂_t u = 0 to the accuracy of an 8² grid

  int cases = 0;
  RunHooks hooks;
  hooks.on_progress = [&](const RunProgress& p) {
    CHECK(p.unit == "case");
    ++cases;
  };
  hooks.stop_requested = [&] { return cases >= 1; };
  const LocalRicciCheckSummary first = run_local_ricci_check_experiment(config, options_for(resumed), hooks);
  CHECK(first.interrupted);
  CHECK(first.rows.size() == 1);
  CHECK(first.outcomes.empty());
  CHECK(Hdf5File::open(resumed).read_string_attribute("/", "status") == "interrupted");
  CHECK_FALSE(Hdf5File::open(resumed).exists("criteria"));
  ExperimentRunOptions options = options_for(resumed);
  options.resume = true;
  const LocalRicciCheckSummary second = run_local_ricci_check_experiment(config, options);
  CHECK(second.resumed_cases == 1);
  CHECK(second.passed());
  // 20 per-case columns, times, deviations, case (seconds excepted) and 3 criteria datasets.
  CHECK(test::check_same_datasets(straight, resumed) == 25);
  const Hdf5File file = Hdf5File::open(resumed);
  CHECK(file.read_string_attribute("/", "status") == "complete");
  CHECK(file.read_int_attribute("/", "passed") == 1);
  CHECK(file.read_string_attribute("/", "case_names") == "round,again,t2");
  CHECK(file.read_tensor("case").sizes() == at::IntArrayRef{4});
  CHECK((file.read_tensor("times").sizes() == at::IntArrayRef{4, 2}));
  CHECK(std::isnan(file.read_tensor("times")[0][1].item<double>()));  // one comparison time: NaN-padded
  for (const std::string& path : {straight, resumed}) std::remove(path.c_str());
}

TEST_CASE("local_ricci_check: a failed criterion fails the check, and the report says which", "[experiments]") {
  OneThread one;
  ExperimentConfig config = load_config(kTinyCheck, "tiny.yaml").config;
  // A deviation below 1e-12 after a few steps: not met.
  config.sections<LocalRicciCheckConfig>().criteria[2].threshold = 1e-12;
  const std::string path = "local_ricci_test_failed.h5";
  const LocalRicciCheckSummary summary = run_local_ricci_check_experiment(config, options_for(path));
  CHECK_FALSE(summary.passed());
  const std::vector<std::string> lines =
      local_ricci_check_report(summary, config.sections<LocalRicciCheckConfig>().criteria);
  CHECK(lines.back() == "local-ricci check FAILED: 1 of 3 criteria not met");
  CHECK(lines[lines.size() - 2].rfind("FAIL  again: deviation from Ricci flow", 0) == 0);
  CHECK(Hdf5File::open(path).read_int_attribute("/", "passed") == 0);
  const RunReport report = local_ricci_check_kind().run(config, options_for(path), {});
  CHECK(report.failed_check);
  std::remove(path.c_str());
}

TEST_CASE("Each manifold of the local-Ricci check takes the K = g g head and its own control head", "[experiments]") {
  CHECK(local_ricci_head_names(LocalRicciManifold::S3) == std::vector<std::string>{"frame_exp", "symmetric"});
  CHECK(local_ricci_head_names(LocalRicciManifold::ConformalT2) ==
        std::vector<std::string>{"frame_exp", "conformal"});
  CHECK_THROWS_WITH(parse_local_ricci_manifold("torus"), Catch::Contains("allowed: s3, conformal_t2"));
}

}  // namespace nmflow

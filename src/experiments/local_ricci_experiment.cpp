#include "experiments/local_ricci_experiment.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "common/error.h"
#include "experiments/local_ricci_check.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace nmflow {

namespace {

// The per-case columns of the run file (docs/hdf5.md): options and results, one 0-dim record per case each.
struct LongColumn {
  const char* name;
  int64_t& (*field)(LocalRicciRow& row);
};
struct RealColumn {
  const char* name;
  double& (*field)(LocalRicciRow& row);
};

const LongColumn kLongColumns[] = {
    {"width", [](LocalRicciRow& r) -> int64_t& { return r.options.features; }},
    {"points", [](LocalRicciRow& r) -> int64_t& { return r.options.points; }},
    {"probes", [](LocalRicciRow& r) -> int64_t& { return r.options.probes; }},
    {"observations", [](LocalRicciRow& r) -> int64_t& { return r.options.observations; }},
    {"grid", [](LocalRicciRow& r) -> int64_t& { return r.options.grid; }},
    {"probe_grid", [](LocalRicciRow& r) -> int64_t& { return r.options.probe_grid; }},
    {"reference_grid", [](LocalRicciRow& r) -> int64_t& { return r.options.reference_grid; }}};

const RealColumn kRealColumns[] = {
    {"bandwidth", [](LocalRicciRow& r) -> double& { return r.options.bandwidth; }},
    {"a0", [](LocalRicciRow& r) -> double& { return r.options.a0; }},
    {"b0", [](LocalRicciRow& r) -> double& { return r.options.b0; }},
    {"final_time", [](LocalRicciRow& r) -> double& { return r.options.final_time; }},
    {"learning_rate", [](LocalRicciRow& r) -> double& { return r.options.learning_rate; }},
    {"omega", [](LocalRicciRow& r) -> double& { return r.result.omega; }},
    {"max_relative_deviation", [](LocalRicciRow& r) -> double& { return r.result.max_deviation; }},
    {"ntk_drift", [](LocalRicciRow& r) -> double& { return r.result.ntk_drift; }},
    {"nonlocal_mass", [](LocalRicciRow& r) -> double& { return r.result.nonlocal_mass; }},
    {"velocity_deviation", [](LocalRicciRow& r) -> double& { return r.result.velocity_deviation; }},
    {"reference_change", [](LocalRicciRow& r) -> double& { return r.result.reference_change; }},
    {"derived_deviation", [](LocalRicciRow& r) -> double& { return r.result.derived_deviation; }},
    {"seconds", [](LocalRicciRow& r) -> double& { return r.seconds; }}};

// The ladder names in order of first appearance: the `case` column indexes them.
std::vector<std::string> ladder_names(const LocalRicciCheckConfig& check) {
  std::vector<std::string> names;
  for (const LocalRicciCaseConfig& c : check.cases) {
    if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  }
  return names;
}

int64_t ladder_index(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) - names.begin();
}

// Comparison times per row: the most any case has (shorter rows are NaN-padded).
int64_t max_observations(const LocalRicciCheckConfig& check) {
  int64_t most = 1;
  for (const LocalRicciCaseConfig& c : check.cases) most = std::max(most, c.observations);
  return most;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

bool same_case(const LocalRicciOptions& a, const LocalRicciOptions& b) {
  const auto modes = [](const LocalRicciOptions& o) {
    std::vector<std::tuple<int, int, double, double>> out;
    for (const FourierMode& m : o.u0) out.emplace_back(m.kx, m.ky, m.cos_amplitude, m.sin_amplitude);
    return out;
  };
  return a.manifold == b.manifold && a.a0 == b.a0 && a.b0 == b.b0 && a.head == b.head && a.features == b.features &&
         a.frequencies == b.frequencies && a.bandwidth == b.bandwidth && a.points == b.points &&
         a.probes == b.probes && a.final_time == b.final_time && a.learning_rate == b.learning_rate &&
         a.observations == b.observations && a.seed == b.seed && a.grid == b.grid && a.probe_grid == b.probe_grid &&
         a.reference_grid == b.reference_grid && modes(a) == modes(b);
}

void create_columns(Hdf5File& file, int64_t observations) {
  for (const LongColumn& c : kLongColumns) file.create_extendible(c.name, at::kLong, {});
  for (const RealColumn& c : kRealColumns) file.create_extendible(c.name, at::kDouble, {});
  file.create_extendible("times", at::kDouble, {observations});
  file.create_extendible("deviations", at::kDouble, {observations});
  file.create_extendible("case", at::kLong, {});
}

void append_row(Hdf5File& file, LocalRicciRow row, int64_t ladder, int64_t observations) {
  for (const LongColumn& c : kLongColumns) file.append_record(c.name, at::scalar_tensor(c.field(row), at::kLong));
  for (const RealColumn& c : kRealColumns) file.append_record(c.name, at::scalar_tensor(c.field(row), at::kDouble));
  at::Tensor times = at::full({observations}, NAN, at::kDouble);
  at::Tensor deviations = times.clone();
  for (size_t k = 0; k < row.result.times.size(); ++k) {
    times[static_cast<int64_t>(k)] = row.result.times[k];
    deviations[static_cast<int64_t>(k)] = row.result.deviations[k];
  }
  file.append_record("times", times);
  file.append_record("deviations", deviations);
  // `case` goes last: a reader who sees it may trust the other columns of that row.
  file.append_record("case", at::scalar_tensor(ladder, at::kLong));
}

// The rows a resumed run keeps: the complete rows of the run file, which are the first configured cases.
std::vector<LocalRicciRow> kept_rows(const std::string& output, const ExperimentConfig& config) {
  const Hdf5File file = Hdf5File::open(output);
  NMFLOW_CHECK(file.exists("case") && file.exists("max_relative_deviation"), "--resume: '", output,
               "' has no per-case rows (not a local_ricci_check run file)");
  const auto& cases = config.sections<LocalRicciCheckConfig>().cases;
  const int64_t count = file.record_count("case");
  NMFLOW_CHECK(count <= static_cast<int64_t>(cases.size()), "--resume: '", output, "' holds ", count,
               " cases, more than the ", cases.size(), " configured");
  std::map<std::string, at::Tensor> columns;
  for (const LongColumn& c : kLongColumns) columns[c.name] = file.read_tensor(c.name);
  for (const RealColumn& c : kRealColumns) columns[c.name] = file.read_tensor(c.name);
  const at::Tensor times = file.read_tensor("times");
  const at::Tensor deviations = file.read_tensor("deviations");
  std::vector<LocalRicciRow> kept;
  for (int64_t i = 0; i < count; ++i) {
    LocalRicciRow row;
    row.name = cases[static_cast<size_t>(i)].name;
    row.options = local_ricci_case_options(cases[static_cast<size_t>(i)], config.seed);
    for (const LongColumn& c : kLongColumns) c.field(row) = columns[c.name][i].item<int64_t>();
    for (const RealColumn& c : kRealColumns) c.field(row) = columns[c.name][i].item<double>();
    for (int64_t k = 0; k < times.size(1) && !std::isnan(times[i][k].item<double>()); ++k) {
      row.result.times.push_back(times[i][k].item<double>());
      row.result.deviations.push_back(deviations[i][k].item<double>());
    }
    NMFLOW_CHECK(same_case(row.options, local_ricci_case_options(cases[static_cast<size_t>(i)], config.seed)),
                 "--resume: row ", i, " of '", output, "' does not hold case ", i, " of local_ricci.cases");
    kept.push_back(row);
  }
  return kept;
}

void write_criteria(Hdf5File& file, const std::vector<LocalRicciCriterionConfig>& criteria,
                    const std::vector<LocalRicciOutcome>& outcomes) {
  std::vector<int64_t> passed;
  std::vector<double> value, threshold;
  file.create_group("criteria");
  for (size_t i = 0; i < outcomes.size(); ++i) {
    passed.push_back(outcomes[i].passed ? 1 : 0);
    value.push_back(outcomes[i].value);
    const bool judged_against_threshold =
        criteria[i].test == CriterionTest::Below || criteria[i].test == CriterionTest::Above;
    threshold.push_back(judged_against_threshold ? criteria[i].threshold : NAN);
    file.write_string_attribute("criteria", "criterion_" + std::to_string(i),
                                enum_name(kCriterionTestNames, criteria[i].test) + " " + criteria[i].ladder + ": " +
                                    outcomes[i].line);
  }
  file.write_tensor("criteria/passed", at::tensor(passed, at::kLong));
  file.write_tensor("criteria/value", at::tensor(value, at::kDouble));
  file.write_tensor("criteria/threshold", at::tensor(threshold, at::kDouble));
}

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const LocalRicciCheckSummary& summary, const std::string& status) {
  const LocalRicciCheckConfig& check = c.sections<LocalRicciCheckConfig>();
  file.write_string_attribute("/", "kind", c.kind);
  file.write_string_attribute("/", "case_names", joined(ladder_names(check)));
  std::vector<std::string> manifolds, heads, frequencies;
  for (const LocalRicciCaseConfig& k : check.cases) {
    manifolds.push_back(enum_name(kLocalRicciManifoldNames, k.manifold));
    heads.push_back(enum_name(kMetricHeadKindNames, k.head));
    frequencies.push_back(k.manifold == LocalRicciManifold::S3 ? enum_name(kFrequencyDistributionNames, k.frequencies)
                                                               : "-");
  }
  file.write_string_attribute("/", "case_manifolds", joined(manifolds));
  file.write_string_attribute("/", "case_heads", joined(heads));
  file.write_string_attribute("/", "case_frequencies", joined(frequencies));
  file.write_int_attribute("/", "total_cases", static_cast<int64_t>(check.cases.size()));
  file.write_string_attribute("/", "loss", "-2 F / Omega, dilaton slaved to the measure");
  file.write_string_attribute("/", "measure",
                              "S3: haar_s3 (unit round volume, 2 pi^2); T2: flat d^2x on a uniform grid (4 pi^2)");
  file.write_string_attribute("/", "deviation",
                              "S3: max relative metric deviation on probes; T2: W2 of area-weighted R "
                              "distributions / rms R (NaN columns: not defined for the case)");
  for (size_t i = 0; i < check.criteria.size(); ++i) {
    const LocalRicciCriterionConfig& k = check.criteria[i];
    if (k.test == CriterionTest::Below && k.quantity == CriterionQuantity::Deviation) {
      file.write_double_attribute("/", "tolerance_" + k.ladder, k.threshold);
    }
    if (i < summary.outcomes.size() && (k.test == CriterionTest::Falls || k.test == CriterionTest::EndsLower)) {
      file.write_double_attribute("/", "exponent_" + k.ladder, summary.outcomes[i].value);
    }
  }
  file.write_int_attribute("/", "passed", status == "complete" && summary.passed() ? 1 : 0);
  file.write_int_attribute("/", "quick", o.quick ? 1 : 0);
  file.write_string_attribute("/", "status", status);
  write_provenance(file, {o.config_text, static_cast<int64_t>(c.seed), o.device, o.command_line, o.start_time});
}

RunProgress case_progress(const LocalRicciRow& row, int64_t done, int64_t total) {
  return RunProgress{done, total, "case", local_ricci_table_row(row), false};
}

}  // namespace

LocalRicciOptions local_ricci_case_options(const LocalRicciCaseConfig& c, uint64_t seed) {
  LocalRicciOptions o;
  o.manifold = c.manifold;
  o.head = c.head;
  o.features = c.features;
  o.bandwidth = c.bandwidth;
  o.probes = c.probes;
  o.final_time = c.final_time;
  o.learning_rate = c.learning_rate;
  o.observations = c.observations;
  o.seed = seed;
  if (o.manifold == LocalRicciManifold::S3) {
    o.frequencies = c.frequencies;
    o.a0 = c.a0;
    o.b0 = c.b0;
    o.points = c.points;
  } else {
    o.grid = c.grid;
    o.probe_grid = c.probe_grid;
    o.reference_grid = c.reference_grid;
    o.u0.clear();
    for (const LocalRicciModeConfig& m : c.u0) {
      o.u0.push_back(FourierMode{static_cast<int>(m.kx), static_cast<int>(m.ky), m.cos, m.sin});
    }
  }
  return o;
}

bool LocalRicciCheckSummary::passed() const {
  if (interrupted) return false;
  return std::all_of(outcomes.begin(), outcomes.end(), [](const LocalRicciOutcome& o) { return o.passed; });
}

LocalRicciCheckSummary run_local_ricci_check_experiment(const ExperimentConfig& config,
                                                        const ExperimentRunOptions& options, const RunHooks& hooks) {
  NMFLOW_CHECK(config.kind == "local_ricci_check", "run_local_ricci_check_experiment: config kind is '", config.kind,
               "'; allowed: local_ricci_check");
  NMFLOW_CHECK(options.device.empty() || options.device == "cpu",
               "kind local_ricci_check runs on the CPU only; got device '", options.device, "'; allowed: cpu");
  const LocalRicciCheckConfig& check = config.sections<LocalRicciCheckConfig>();
  RunLifecycle lifecycle(config, options, options.output, "run file",
                         "a local_ricci_check run keeps every finished case there; --resume runs the others");
  LocalRicciCheckSummary summary;
  summary.total_cases = static_cast<int64_t>(check.cases.size());
  if (lifecycle.resuming()) summary.rows = kept_rows(options.output, config);
  summary.resumed_cases = static_cast<int64_t>(summary.rows.size());
  const std::vector<std::string> ladders = ladder_names(check);
  const int64_t observations = max_observations(check);

  Hdf5File file = Hdf5File::create(options.output);
  create_columns(file, observations);
  lifecycle.begin(file, [&](Hdf5File& f, const std::string& status) {
    write_attributes(f, config, options, summary, status);
  });
  for (const LocalRicciRow& row : summary.rows) append_row(file, row, ladder_index(ladders, row.name), observations);
  file.flush();

  // A failure from here on leaves the file with status = failed and its message.
  lifecycle.run(file, [&] {
    for (size_t index = summary.rows.size(); index < check.cases.size(); ++index) {
      if (hooks.stop()) {
        summary.interrupted = true;
        break;
      }
      const auto start = std::chrono::steady_clock::now();
      LocalRicciRow row;
      row.name = check.cases[index].name;
      row.options = local_ricci_case_options(check.cases[index], config.seed);
      const auto same = std::find_if(summary.rows.begin(), summary.rows.end(),
                                     [&](const LocalRicciRow& r) { return same_case(r.options, row.options); });
      if (same != summary.rows.end()) {
        row.result = same->result;
      } else {
        row.result = run_local_ricci_case(row.options);
        row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      append_row(file, row, ladder_index(ladders, row.name), observations);
      file.flush();
      summary.rows.push_back(row);
      hooks.progress(case_progress(row, static_cast<int64_t>(summary.rows.size()), summary.total_cases));
    }
    if (!summary.interrupted) {
      summary.outcomes = evaluate_local_ricci_criteria(check.criteria, summary.rows);
      write_criteria(file, check.criteria, summary.outcomes);
    }
  });
  lifecycle.end(file, summary.interrupted);
  return summary;
}

std::vector<std::string> local_ricci_check_report(const LocalRicciCheckSummary& summary,
                                                  const std::vector<LocalRicciCriterionConfig>& criteria) {
  std::vector<std::string> lines = {local_ricci_table_header()};
  for (const LocalRicciRow& row : summary.rows) lines.push_back(local_ricci_table_row(row));
  lines.push_back(fmt::format("cases {}/{}{}", summary.rows.size(), summary.total_cases,
                              summary.resumed_cases > 0
                                  ? fmt::format(" ({} kept from the resumed run)", summary.resumed_cases)
                                  : ""));
  if (summary.interrupted) return lines;
  // The fitted exponents first (one per ladder and abscissa), then each criterion's verdict.
  for (size_t i = 0; i < criteria.size(); ++i) {
    const LocalRicciCriterionConfig& c = criteria[i];
    if (c.test != CriterionTest::Falls && c.test != CriterionTest::EndsLower) continue;
    const std::vector<const LocalRicciRow*> ladder = ladder_rows(summary.rows, c.ladder);
    lines.push_back(fmt::format("{}: deviation ~ {}^{:.2f} (fitted), {:.3e} at the last case", c.ladder,
                                enum_name(kCriterionAxisNames, c.along),
                                summary.outcomes[i].value, ladder.back()->result.max_deviation));
  }
  int64_t failed = 0;
  for (const LocalRicciOutcome& o : summary.outcomes) {
    lines.push_back(fmt::format("{}  {}", o.passed ? "pass" : "FAIL", o.line));
    failed += o.passed ? 0 : 1;
  }
  lines.push_back(failed == 0 ? std::string("local-ricci check passed")
                              : fmt::format("local-ricci check FAILED: {} of {} criteria not met", failed,
                                            summary.outcomes.size()));
  return lines;
}

ExperimentKind local_ricci_check_kind() {
  ExperimentKind kind;
  kind.name = "local_ricci_check";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const LocalRicciCheckConfig& check = config.sections<LocalRicciCheckConfig>();
    int64_t s3 = 0;
    for (const LocalRicciCaseConfig& k : check.cases) s3 += k.manifold == LocalRicciManifold::S3 ? 1 : 0;
    const int64_t total = static_cast<int64_t>(check.cases.size());
    const size_t criteria = check.criteria.size();
    return fmt::format("local-flow Ricci check, {} cases ({} on S^3, {} on conformal T^2), {} {}", total, s3,
                       total - s3, criteria, criteria == 1 ? "criterion" : "criteria");
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const LocalRicciCheckSummary summary = run_local_ricci_check_experiment(c, o, hooks);
    RunReport report;
    report.lines = local_ricci_check_report(summary, c.sections<LocalRicciCheckConfig>().criteria);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("{} of {} cases", summary.rows.size(), summary.total_cases);
    report.failed_check = !summary.interrupted && !summary.passed();
    return report;
  };
  return kind;
}

}  // namespace nmflow

#include "experiments/donaldson_experiment.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <string>

#include "common/duration_text.h"
#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/donaldson.h"
#include "geometry/kahler/monomial_basis.h"
#include "io/hdf5_file.h"
#include "io/run_status.h"

namespace nmflow {

namespace {


const char* const kRecordLongs[] = {"sections", "iterations"};
const char* const kRecordReals[] = {"residual", "sigma", "kappa", "seconds"};

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const Hypersurface& surface, double sigma_fs, const std::string& status) {
  const DonaldsonRunConfig& d = c.sections<DonaldsonRunConfig>();
  file.write_int_attribute("/", "max_iterations", d.donaldson.iterations);
  file.write_double_attribute("/", "sigma_fs", sigma_fs);
  write_cy_run_attributes(file, c, d.variety, d.points, o, surface, status);
}

// The degrees a resumed run keeps: the complete /donaldson records of the run file (`k` is written last, so a row
// with its k is whole).
std::vector<DonaldsonRecord> kept_degrees(const std::string& output) {
  const Hdf5File file = Hdf5File::open(output);
  NMFLOW_CHECK(file.exists("donaldson/k"), "--resume: '", output, "' has no /donaldson (not a donaldson run file)");
  std::vector<DonaldsonRecord> kept(static_cast<size_t>(file.record_count("donaldson/k")));
  const auto column = [&](const std::string& name) { return file.read_tensor("donaldson/" + name).view({-1}); };
  const at::Tensor k = column("k"), sections = column("sections"), iterations = column("iterations");
  const at::Tensor residual = column("residual"), sigma = column("sigma"), kappa = column("kappa");
  const at::Tensor seconds = column("seconds");
  for (size_t i = 0; i < kept.size(); ++i) {
    const int64_t r = static_cast<int64_t>(i);
    kept[i] = DonaldsonRecord{k[r].item<int64_t>(),        sections[r].item<int64_t>(), iterations[r].item<int64_t>(),
                              residual[r].item<double>(),  sigma[r].item<double>(),     kappa[r].item<double>(),
                              seconds[r].item<double>()};
  }
  return kept;
}

void append_record(Hdf5File& file, const DonaldsonRecord& record) {
  // `k` goes last: a reader who sees it may trust the other datasets of that record.
  file.append_value("donaldson/sections", record.sections);
  file.append_value("donaldson/iterations", record.iterations);
  file.append_value("donaldson/residual", record.residual);
  file.append_value("donaldson/sigma", record.sigma);
  file.append_value("donaldson/kappa", record.kappa);
  file.append_value("donaldson/seconds", record.seconds);
  file.append_value("donaldson/k", record.k);
}

RunProgress degree_progress(const DonaldsonRecord& r, int64_t done, int64_t total) {
  return RunProgress{done, total, "degree",
                     fmt::format("k {}  sections {}  iterations {}  residual {:.3e}  sigma {:.6f}  {}", r.k,
                                 r.sections, r.iterations, r.residual, r.sigma, format_duration(r.seconds)),
                     false};
}

std::vector<std::string> summary_lines(const DonaldsonSummary& s) {
  std::vector<std::string> lines = {
      fmt::format("{:<6}{:>10}{:>12}{:>14}{:>12}{:>10}", "k", "sections", "iterations", "residual", "sigma", "time"),
      fmt::format("{:<6}{:>10}{:>12}{:>14}{:>12.6f}{:>10}", "FS", "", "", "", s.sigma_fs, "")};
  for (const DonaldsonRecord& r : s.degrees) {
    lines.push_back(fmt::format("{:<6}{:>10}{:>12}{:>14.3e}{:>12.6f}{:>10}", r.k, r.sections, r.iterations,
                                r.residual, r.sigma, format_duration(r.seconds)));
  }
  lines.push_back(fmt::format("{:<26}{}/{}{}", "degrees", s.degrees.size(), s.total_degrees,
                              s.resumed_degrees > 0 ? fmt::format(" ({} kept from the resumed run)", s.resumed_degrees)
                                                    : ""));
  return lines;
}

}  // namespace

DonaldsonSummary run_donaldson_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                          const RunHooks& hooks) {
  NMFLOW_CHECK(config.kind == "donaldson", "run_donaldson_experiment: config kind is '", config.kind,
               "'; allowed: donaldson");
  NMFLOW_CHECK(options.device.empty() || options.device == "cpu",
               "kind donaldson runs on the CPU only so far; got device '", options.device, "'; allowed: cpu");
  const DonaldsonRunConfig& d = config.sections<DonaldsonRunConfig>();
  RunLifecycle lifecycle(config, options, options.output, "run file",
                         "a donaldson run keeps every finished degree there; --resume balances the others");
  std::vector<DonaldsonRecord> kept;
  if (lifecycle.resuming()) kept = kept_degrees(options.output);
  for (size_t i = 0; i < kept.size(); ++i) {
    NMFLOW_CHECK(i < d.donaldson.k.size() && kept[i].k == d.donaldson.k[i], "--resume: '", options.output,
                 "' holds degree k = ", kept[i].k, " as its record ", i, ", which donaldson.k does not list there");
  }
  const Hypersurface surface = variety_hypersurface(d.variety);
  check_cy_points_fit(surface, d.points);
  const CYPointSet train = sample_train_points(surface, d.points, config.seed);
  const CYPointSet validation = sample_validation_points(surface, d.points, config.seed);
  DonaldsonSummary summary;
  summary.total_degrees = static_cast<int64_t>(d.donaldson.k.size());
  summary.sigma_fs = cy_accuracy(validation.weights, validation.omega_sq, validation.det_g_fs).sigma;

  Hdf5File file = Hdf5File::create(options.output);
  for (const char* name : kRecordLongs) file.create_extendible(std::string("donaldson/") + name, at::kLong, {1});
  for (const char* name : kRecordReals) file.create_extendible(std::string("donaldson/") + name, at::kDouble, {1});
  file.create_extendible("donaldson/k", at::kLong, {1});
  lifecycle.begin(file, [&](Hdf5File& f, const std::string& status) {
    write_attributes(f, config, options, surface, summary.sigma_fs, status);
  });
  for (const DonaldsonRecord& record : kept) {
    append_record(file, record);
    summary.degrees.push_back(record);
  }
  summary.resumed_degrees = static_cast<int64_t>(kept.size());
  file.flush();

  DonaldsonOptions balancing;
  balancing.max_iterations = d.donaldson.iterations;
  // A failure from here on leaves the file with status = failed and its message.
  lifecycle.run(file, [&] {
    for (size_t index = kept.size(); index < d.donaldson.k.size(); ++index) {
      const int64_t k = d.donaldson.k[index];
      if (hooks.stop()) {
        summary.interrupted = true;
        break;
      }
      const auto start = std::chrono::steady_clock::now();
      // The T-operator is a Monte-Carlo sum over points.train points of rank-one N_k × N_k terms: too few points
      // leave it singular, and the iteration fails or goes non-finite.
      const auto diverged = [&](const std::string& what) {
        const int64_t sections = section_monomials(surface, k).size(0);
        return RunDiverged(c10::str("k = ", k, ": ", what, "; the balancing diverged — raise points.train (",
                                    d.points.train, " now) well above N_k² = ", sections * sections,
                                    " (N_k = ", sections, " sections), or lower donaldson.k"));
      };
      BalancedMetric metric;
      CYAccuracy accuracy{};
      try {
        metric = donaldson_balanced_metric(surface, train, k, balancing);
        accuracy = balanced_accuracy(metric, validation);
      } catch (const c10::Error& error) {
        throw diverged(c10::str("the T-operator iteration failed (", run_failure_message(error), ")"));
      }
      if (!std::isfinite(metric.residuals.back()) || !std::isfinite(accuracy.sigma)) {
        throw diverged(c10::str("the T-operator iteration gave residual ", metric.residuals.back(), " and sigma ",
                                accuracy.sigma, " (not finite)"));
      }
      DonaldsonRecord record;
      record.k = k;
      record.sections = metric.h.size(0);
      record.iterations = static_cast<int64_t>(metric.residuals.size()) - 1;
      record.residual = metric.residuals.back();
      record.sigma = accuracy.sigma;
      record.kappa = accuracy.kappa;
      record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      append_record(file, record);
      file.flush();
      summary.degrees.push_back(record);
      hooks.progress(degree_progress(record, static_cast<int64_t>(summary.degrees.size()), summary.total_degrees));
    }
  });
  lifecycle.end(file, summary.interrupted);
  return summary;
}


ExperimentKind donaldson_kind() {
  ExperimentKind kind;
  kind.name = "donaldson";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const DonaldsonRunConfig& c = config.sections<DonaldsonRunConfig>();
    std::string degrees;
    for (const int64_t k : c.donaldson.k) degrees += (degrees.empty() ? "" : ",") + std::to_string(k);
    return fmt::format("{}, balanced metrics k = {} ({} iterations), {} + {} points", c.variety.name, degrees,
                       c.donaldson.iterations, c.points.train, c.points.validation);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const DonaldsonSummary summary = run_donaldson_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("{} of {} degrees", summary.degrees.size(), summary.total_degrees);
    return report;
  };
  return kind;
}

}  // namespace nmflow

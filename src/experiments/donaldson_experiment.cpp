#include "experiments/donaldson_experiment.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <string>

#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/donaldson.h"
#include "geometry/kahler/monomial_basis.h"
#include "io/hdf5_file.h"
#include "io/run_status.h"

namespace nmflow {

namespace {

at::Tensor one(double value) { return at::full({1}, value, at::kDouble); }
at::Tensor one(int64_t value) { return at::full({1}, value, at::kLong); }

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const Hypersurface& surface, double sigma_fs, const char* status) {
  file.write_int_attribute("/", "max_iterations", c.donaldson.iterations);
  file.write_double_attribute("/", "sigma_fs", sigma_fs);
  write_cy_run_attributes(file, c, o, surface, status);
}

}  // namespace

DonaldsonSummary run_donaldson_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                          const DonaldsonHooks& hooks) {
  NMFLOW_CHECK(config.kind == "donaldson", "run_donaldson_experiment: config kind is '", config.kind,
               "'; allowed: donaldson");
  NMFLOW_CHECK(options.device.empty() || options.device == "cpu",
               "kind donaldson runs on the CPU only so far; got device '", options.device, "'; allowed: cpu");
  NMFLOW_CHECK(!options.resume, "--resume: kind donaldson writes no checkpoint (each k is balanced from h = I); "
                                "rerun without --resume");
  const Hypersurface surface = variety_hypersurface(config.variety);
  check_cy_points_fit(surface, config);
  const CYPointSet train = sample_train_points(surface, config);
  const CYPointSet validation = sample_validation_points(surface, config);
  DonaldsonSummary summary;
  summary.total_degrees = static_cast<int64_t>(config.donaldson.k.size());
  summary.sigma_fs = cy_accuracy(validation.weights, validation.omega_sq, validation.det_g_fs).sigma;

  Hdf5File file = Hdf5File::create(options.output);
  file.create_extendible("donaldson/sections", at::kLong, {1});
  file.create_extendible("donaldson/iterations", at::kLong, {1});
  for (const char* name : {"residual", "sigma", "kappa", "seconds"}) {
    file.create_extendible(std::string("donaldson/") + name, at::kDouble, {1});
  }
  file.create_extendible("donaldson/k", at::kLong, {1});
  write_attributes(file, config, options, surface, summary.sigma_fs, "running");
  file.flush();

  DonaldsonOptions balancing;
  balancing.max_iterations = config.donaldson.iterations;
  // A failure from here on leaves the file with status = failed and its message.
  record_failure_in(file, [&] {
    for (const int64_t k : config.donaldson.k) {
      if (hooks.stop_requested && hooks.stop_requested()) {
        summary.interrupted = true;
        break;
      }
      const auto start = std::chrono::steady_clock::now();
      // The T-operator is a Monte-Carlo sum over points.train points of rank-one N_k × N_k terms: too few points
      // leave it singular, and the iteration fails or goes non-finite.
      const auto diverged = [&](const std::string& what) {
        const int64_t sections = section_monomials(surface, k).size(0);
        return RunDiverged(c10::str("k = ", k, ": ", what, "; the balancing diverged — raise points.train (",
                                    config.cy_points.train, " now) well above N_k² = ", sections * sections,
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
      // `k` goes last: a reader who sees it may trust the other datasets of that record.
      file.append_record("donaldson/sections", one(record.sections));
      file.append_record("donaldson/iterations", one(record.iterations));
      file.append_record("donaldson/residual", one(record.residual));
      file.append_record("donaldson/sigma", one(record.sigma));
      file.append_record("donaldson/kappa", one(record.kappa));
      file.append_record("donaldson/seconds", one(record.seconds));
      file.append_record("donaldson/k", one(record.k));
      summary.degrees.push_back(record);
      if (hooks.on_degree) hooks.on_degree(record, summary.total_degrees);
    }
  });
  write_attributes(file, config, options, surface, summary.sigma_fs, summary.interrupted ? "interrupted" : "complete");
  file.flush();
  return summary;
}

}  // namespace nmflow

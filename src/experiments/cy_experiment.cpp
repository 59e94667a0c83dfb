#include "experiments/cy_experiment.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common/duration_text.h"
#include "common/error.h"
#include "common/memory_budget.h"
#include "geometry/kahler/cy_curvature.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"
#include "io/run_status.h"
#include "models/kahler_phi_model.h"

namespace nmflow {

namespace {

// Validation points come from a stream independent of the training points' (as the real kind's probes).
constexpr uint64_t kValidationSeedOffset = 0x9E3779B97F4A7C15ull;

// The /epochs datasets, [N, 1] each (the trajectory convention of docs/hdf5.md); `epoch` goes last in a record so
// that a reader who sees it may trust the others.
const std::vector<std::string> kEpochReals = {"wall_seconds", "cpu_seconds", "train_loss", "sigma", "kappa"};


KahlerPhiModelConfig phi_model_config(const ExperimentConfig& c) {
  const PhiModelConfig& model = c.sections<CYMetricConfig>().model;
  KahlerPhiModelConfig m;
  m.inputs = model.inputs;
  m.hidden = model.hidden;
  m.activation = model.activation;
  m.parameterisation = model.parameterisation;
  m.sigma_w = model.sigma_w;
  m.sigma_b = model.sigma_b;
  m.seed = c.seed;
  m.dtype = precision_dtype(c.dtype);
  return m;
}

CYTrainingOptions training_options(const ExperimentConfig& c, int64_t steps_per_epoch) {
  const CYMetricConfig& s = c.sections<CYMetricConfig>();
  CYTrainingOptions o;
  static_cast<CYEpochOptions&>(o) = cy_epoch_options(s.optimizer, s.training, c.seed, steps_per_epoch);
  o.weighting = s.loss.monge_ampere;
  o.kappa = s.loss.kappa;
  o.method = s.training.method;
  return o;
}

// The first n points of a set (every per-point field).
CYPointSet first_points(const CYPointSet& points, int64_t n) {
  return map_cy_points(points, [n](const at::Tensor& t) { return t.narrow(0, 0, n); });
}

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const Hypersurface& surface, const std::string& status) {
  const CYMetricConfig& s = c.sections<CYMetricConfig>();
  file.write_int_attribute("/", "total_epochs", s.training.epochs);
  file.write_string_attribute("/", "optimizer", enum_name(kOptimizerKindNames, s.optimizer.name));
  file.write_string_attribute("/", "monge_ampere", enum_name(kMongeAmpereWeightingNames, s.loss.monge_ampere));
  file.write_string_attribute("/", "kappa", enum_name(kMongeAmpereKappaNames, s.loss.kappa));
  write_cy_run_attributes(file, c, s.variety, s.points, o, surface, status);
}

// The curvature measures of one metric (phi empty: g_FS) on `points` (CPU), written under `prefix` ("final/" for the
// trained metric, "final/fubini_study/" for the baseline); det_g: that metric's det g at the points, for σ there.
CYCurvatureSummary write_curvature(Hdf5File& file, const std::string& prefix, const Hypersurface& surface,
                                   const CYPointSet& points, const KahlerPotential& phi, const at::Tensor& det_g) {
  const CYCurvatureMeasures measures = cy_curvature_measures(surface, points, phi);
  file.write_tensor(prefix + "curvature/ricci_scalar", measures.ricci_scalar.detach());
  file.write_tensor(prefix + "curvature/euler_density", measures.euler_density.detach());
  file.write_scalar(prefix + "ricci_measure", measures.ricci_measure);
  file.write_scalar(prefix + "max_abs_ricci_scalar", measures.max_abs_ricci_scalar);
  file.write_scalar(prefix + "mean_abs_ricci_scalar", measures.mean_abs_ricci_scalar);
  file.write_scalar(prefix + "euler_characteristic", measures.euler_characteristic);
  file.write_scalar(prefix + "euler_standard_error", measures.euler_standard_error);
  CYCurvatureSummary s;
  s.sigma = cy_accuracy(points.weights, points.omega_sq, det_g).sigma;
  s.ricci_measure = measures.ricci_measure;
  s.max_abs_ricci_scalar = measures.max_abs_ricci_scalar;
  s.mean_abs_ricci_scalar = measures.mean_abs_ricci_scalar;
  s.euler_characteristic = measures.euler_characteristic;
  s.euler_standard_error = measures.euler_standard_error;
  return s;
}

// /final: per-point η ratios and weights on the validation points, σ and κ, and the curvature measures when asked.
void write_final(Hdf5File& file, const KahlerPhiModel& model, const Hypersurface& surface,
                 const CYPointSet& validation, const CYMeasuresConfig& measures_config, CYExperimentSummary& summary) {
  // Per-point η·Vol_CY/Vol_K on the validation points: σ = mean(w |1 − ratio|)/mean(w) (cy_measures.h).
  const at::Tensor det_g =
      evaluate_phi_model_det(model, validation, phi_input_jet(model.config().inputs, validation, model.config().dtype));
  const CYAccuracy accuracy = cy_accuracy(validation.weights, validation.omega_sq, det_g);
  const at::Tensor eta_ratio = det_g / validation.omega_sq * (accuracy.vol_cy / accuracy.vol_k);
  file.write_tensor("final/validation/eta_ratio", eta_ratio);
  file.write_tensor("final/validation/weights", validation.weights);
  file.write_scalar("final/sigma", accuracy.sigma);
  file.write_scalar("final/kappa", accuracy.kappa);
  summary.sigma_final = accuracy.sigma;
  summary.kappa_final = accuracy.kappa;
  if (!measures_config.curvature) return;
  const auto start = std::chrono::steady_clock::now();
  // On the CPU (the variety's polynomial and the Newton charts live there): a CPU copy of a model trained
  // elsewhere, on the CPU copy of the first validation points.
  KahlerPhiModel cpu_model = model;
  cpu_model.to(at::Device(at::kCPU));
  const CYPointSet points = cy_points_to(
      first_points(validation, std::min(measures_config.curvature_points, validation.size())), at::kCPU);
  const at::Tensor cpu_det_g = det_g.narrow(0, 0, points.size()).to(at::kCPU);
  summary.curvature = write_curvature(file, "final/", surface, points, phi_model_potential(cpu_model), cpu_det_g);
  summary.has_curvature = true;
  if (measures_config.fubini_study) {
    summary.fubini_study = write_curvature(file, "final/fubini_study/", surface, points, {}, points.det_g_fs);
    file.write_scalar("final/fubini_study/sigma", summary.fubini_study.sigma);
    summary.has_fubini_study = true;
  }
  summary.curvature_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_run(const ExperimentConfig& config) {
  NMFLOW_CHECK(config.kind == "cy_metric", "run_cy_experiment: config kind is '", config.kind,
               "'; allowed: cy_metric");
}


RunProgress epoch_progress(const CYEpochRecord& r, int64_t total_epochs) {
  return RunProgress{r.epoch, total_epochs, "epoch",
                     fmt::format("steps {}  sigma {:.6f}  kappa {:.6f}  train loss {:.6f}  {}", r.steps, r.sigma,
                                 r.kappa, r.train_loss, format_duration(r.wall_seconds)),
                     false};
}

std::vector<std::string> summary_lines(const CYExperimentSummary& s) {
  std::vector<std::string> lines = {
      fmt::format("{:<26}{}/{}", "epochs", s.epochs_done, s.total_epochs),
      fmt::format("{:<26}{}/{}", "steps", s.steps_done, s.total_epochs * s.steps_per_epoch),
      fmt::format("{:<26}{:.6f} -> {:.6f}", "sigma (FS -> final)", s.sigma_initial, s.sigma_final),
      fmt::format("{:<26}{:.6f}", "kappa", s.kappa_final),
      fmt::format("{:<26}{:.6e}", "train loss (last epoch)", s.train_loss_final)};
  if (s.has_curvature) {
    const auto add = [&lines](const std::string& metric, const CYCurvatureSummary& c) {
      lines.push_back(fmt::format("{:<26}sigma {:.6f}  Ricci measure {:.6e}  max |R| {:.6e}  mean |R| {:.6e}",
                                  metric, c.sigma, c.ricci_measure, c.max_abs_ricci_scalar, c.mean_abs_ricci_scalar));
      lines.push_back(fmt::format("{:<26}{:.4f} +- {:.4f}", "  Euler characteristic", c.euler_characteristic,
                                  c.euler_standard_error));
    };
    if (s.has_fubini_study) add("curvature, Fubini-Study", s.fubini_study);
    add("curvature, trained", s.curvature);
    lines.push_back(fmt::format("{:<26}{}", "curvature time (wall)", format_duration(s.curvature_seconds)));
  }
  lines.push_back(fmt::format("{:<26}{}{}", "records", s.records,
                              s.resumed_from_epoch > 0
                                  ? fmt::format(" (resumed after epoch {})", s.resumed_from_epoch)
                                  : ""));
  lines.push_back(fmt::format("{:<26}{}", "training time (wall)", format_duration(s.wall_seconds)));
  return lines;
}

}  // namespace

CYEpochOptions cy_epoch_options(const OptimizerConfig& optimizer, const CYTrainingConfig& training, uint64_t seed,
                                int64_t steps_per_epoch) {
  CYEpochOptions o;
  TrainerOptions& t = o.trainer;
  t.optimizer.kind = optimizer.name;
  t.learning_rate = optimizer.lr;
  t.schedule = optimizer.schedule;
  t.decay_rate = optimizer.decay_rate;
  t.schedule_steps = optimizer.schedule_steps > 0 ? optimizer.schedule_steps
                                                  : std::max<int64_t>(1, training.epochs * steps_per_epoch);
  t.min_learning_rate = optimizer.min_lr;
  t.clip_grad_norm = optimizer.clip;
  t.seed = seed;
  o.epochs = training.epochs;
  o.batch_size = training.batch_size;
  o.eval_every = training.eval_every;
  o.max_wall_seconds = training.max_wall_seconds;
  return o;
}

// check_resume_config has already required the run file.
std::map<std::string, at::Tensor> kept_epoch_rows(const std::string& output, int64_t checkpoint_epoch,
                                                  const std::vector<std::string>& reals, const std::string& kind) {
  std::map<std::string, at::Tensor> rows;
  const Hdf5File file = Hdf5File::open(output);
  NMFLOW_CHECK(file.exists("epochs/epoch"), "--resume: '", output, "' has no /epochs (not a ", kind, " run file)");
  const at::Tensor epoch = file.read_tensor("epochs/epoch").view({-1});
  const at::Tensor keep = (epoch <= checkpoint_epoch).nonzero().view({-1});
  rows["epoch"] = epoch.index_select(0, keep);
  rows["steps"] = file.read_tensor("epochs/steps").view({-1}).index_select(0, keep);
  for (const std::string& name : reals) {
    rows[name] = file.read_tensor("epochs/" + name).view({-1}).index_select(0, keep);
  }
  return rows;
}

CYEpochResume cy_epoch_resume(const RunLifecycle& lifecycle, const std::string& output,
                              const std::vector<std::string>& reals, const std::string& kind) {
  CYEpochResume resume;
  if (!lifecycle.resuming()) return resume;
  resume.checkpoint_epoch = Hdf5File::open(lifecycle.checkpoint()).read_int_attribute("/", "cy_epoch");
  resume.kept = kept_epoch_rows(output, resume.checkpoint_epoch, reals, kind);
  return resume;
}

Hdf5File create_cy_epoch_file(const std::string& output, const std::vector<std::string>& reals,
                              const CYEpochResume& resume) {
  Hdf5File file = Hdf5File::create(output);
  file.create_extendible("epochs/epoch", at::kLong, {1});
  file.create_extendible("epochs/steps", at::kLong, {1});
  for (const std::string& name : reals) file.create_extendible("epochs/" + name, at::kDouble, {1});
  if (resume.checkpoint_epoch > 0) file.write_int_attribute("/", "resumed_from_epoch", resume.checkpoint_epoch);
  return file;
}

Hypersurface variety_hypersurface(const VarietyConfig& variety) {
  std::map<std::string, std::complex<double>> params;
  if (variety.has_psi) params["psi"] = std::complex<double>(variety.psi_re, variety.psi_im);
  return make_hypersurface(variety.name, params);
}

void check_cy_points_fit(const Hypersurface& surface, const CYPointsConfig& points) {
  check_memory_fits("points.train + points.validation",
                    static_cast<double>(points.train) + static_cast<double>(points.validation),
                    cy_point_set_bytes_per_point(surface), "points", "; lower points.train or points.validation");
}

CYPointSet sample_train_points(const Hypersurface& surface, const CYPointsConfig& points, uint64_t seed) {
  return sample_cy_points(surface, points.train, seed);
}

CYPointSet sample_validation_points(const Hypersurface& surface, const CYPointsConfig& points, uint64_t seed) {
  return sample_cy_points(surface, points.validation, seed ^ kValidationSeedOffset);
}

void write_cy_run_attributes(Hdf5File& file, const ExperimentConfig& c, const VarietyConfig& variety,
                             const CYPointsConfig& points, const ExperimentRunOptions& o,
                             const Hypersurface& surface, const std::string& status) {
  file.write_string_attribute("/", "kind", c.kind);
  file.write_string_attribute("/", "variety", variety.name);
  file.write_string_attribute("/", "hypersurface", surface.name());
  file.write_double_attribute("/", "psi_re", variety.psi_re);
  file.write_double_attribute("/", "psi_im", variety.psi_im);
  file.write_int_attribute("/", "dim", surface.dim());
  file.write_int_attribute("/", "train_points", points.train);
  file.write_int_attribute("/", "validation_points", points.validation);
  file.write_int_attribute("/", "quick", o.quick ? 1 : 0);
  file.write_string_attribute("/", "status", status);
  write_provenance(file, {o.config_text, static_cast<int64_t>(c.seed), o.device, o.command_line, o.start_time});
}

CYExperimentSummary run_cy_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                      const RunHooks& hooks) {
  check_run(config);
  const CYMetricConfig& sections = config.sections<CYMetricConfig>();
  const Hypersurface surface = variety_hypersurface(sections.variety);
  // The samplers run on the CPU (seeded, so a run's points do not depend on the device); training and evaluation
  // run on options.device.
  const at::Device device(options.device.empty() ? "cpu" : options.device);
  check_cy_points_fit(surface, sections.points);
  const CYPointSet train = cy_points_to(sample_train_points(surface, sections.points, config.seed), device);
  const CYPointSet validation =
      cy_points_to(sample_validation_points(surface, sections.points, config.seed), device);
  KahlerPhiModel model(phi_model_config(config), surface.n_coords());
  model.to(device);
  CYExperimentSummary summary;
  summary.total_epochs = sections.training.epochs;
  summary.steps_per_epoch = train.size() / sections.training.batch_size;
  const CYTrainingOptions training = training_options(config, summary.steps_per_epoch);

  // Checkpoint next to the output (run_lifecycle.h): written at every evaluation, continued by --resume.
  CYTrainingOptions training_run = training;
  training_run.checkpoint = checkpoint_path(options.output);
  training_run.resume = options.resume;
  bool stopped = false;
  training_run.stop_requested = [&] { return stopped = hooks.stop(); };
  RunLifecycle lifecycle(config, options, training_run.checkpoint, "checkpoint",
                         "a cy_metric run writes one at every evaluation after epoch 0");
  CYEpochResume resume = cy_epoch_resume(lifecycle, options.output, kEpochReals, "cy_metric");
  std::map<std::string, at::Tensor>& kept = resume.kept;
  summary.resumed_from_epoch = resume.checkpoint_epoch;
  Hdf5File file = create_cy_epoch_file(options.output, kEpochReals, resume);
  lifecycle.begin(file, [&](Hdf5File& f, const std::string& status) {
    write_attributes(f, config, options, surface, status);
  });

  summary.train_loss_final = std::numeric_limits<double>::quiet_NaN();
  const auto append = [&](const CYEpochRecord& r) {
    file.append_value("epochs/steps", r.steps);
    file.append_value("epochs/wall_seconds", r.wall_seconds);
    file.append_value("epochs/cpu_seconds", r.cpu_seconds);
    file.append_value("epochs/train_loss", r.train_loss);
    file.append_value("epochs/sigma", r.sigma);
    file.append_value("epochs/kappa", r.kappa);
    file.append_value("epochs/epoch", r.epoch);
    if (r.epoch == 0) summary.sigma_initial = r.sigma;
    summary.epochs_done = r.epoch;
    summary.steps_done = r.steps;
    summary.wall_seconds = r.wall_seconds;
    summary.train_loss_final = r.train_loss;
    summary.records += 1;
  };
  for (int64_t i = 0; !kept.empty() && i < kept["epoch"].size(0); ++i) {  // the resumed run's earlier rows
    CYEpochRecord r;
    r.epoch = kept["epoch"][i].item<int64_t>();
    r.steps = kept["steps"][i].item<int64_t>();
    r.wall_seconds = kept["wall_seconds"][i].item<double>();
    r.cpu_seconds = kept["cpu_seconds"][i].item<double>();
    r.train_loss = kept["train_loss"][i].item<double>();
    r.sigma = kept["sigma"][i].item<double>();
    r.kappa = kept["kappa"][i].item<double>();
    append(r);
  }
  file.flush();
  const auto on_record = [&](const CYEpochRecord& r) {
    append(r);
    hooks.progress(epoch_progress(r, sections.training.epochs));
  };
  // A failure from here on (a diverged step, an I/O error) leaves the file with status = failed and its message.
  lifecycle.run(file, [&] {
    train_phi_model(model, train, validation, training_run, on_record);
    summary.interrupted = stopped && summary.epochs_done < sections.training.epochs;
    write_final(file, model, surface, validation, sections.measures, summary);
  });
  lifecycle.end(file, summary.interrupted);
  return summary;
}


ExperimentKind cy_metric_kind() {
  ExperimentKind kind;
  kind.name = "cy_metric";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const CYMetricConfig& c = config.sections<CYMetricConfig>();
    return fmt::format("{}, phi-model {} x {} epochs of batch {}, {} + {} points", c.variety.name,
                       enum_name(kOptimizerKindNames, c.optimizer.name), c.training.epochs, c.training.batch_size,
                       c.points.train, c.points.validation);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const CYExperimentSummary summary = run_cy_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("epoch {}", summary.epochs_done);
    return report;
  };
  return kind;
}

}  // namespace nmflow

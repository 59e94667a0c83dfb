#include "experiments/cy_free_experiment.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/duration_text.h"
#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "geometry/kahler/cy_measures.h"
#include "io/hdf5_file.h"
#include "models/free_cy_metric.h"
#include "training/cy_free_training.h"

namespace nmflow {

namespace {

constexpr int64_t kEvalChunk = 4096;

// The /epochs datasets, [N, 1] each (docs/hdf5.md); `epoch` goes last in a record so that a reader who sees it may
// trust the others.
const std::vector<std::string> kEpochReals = {"wall_seconds", "cpu_seconds", "train_loss", "sigma",
                                              "kappa",        "kahler",      "transition"};


FreeCYMetricConfig model_config(const ExperimentConfig& c) {
  const FreeMetricModelConfig& model = c.sections<CYFreeMetricRunConfig>().model;
  FreeCYMetricConfig m;
  m.head = model.head;
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

FreeCYTrainingOptions training_options(const ExperimentConfig& c, int64_t steps_per_epoch) {
  const CYFreeMetricRunConfig& s = c.sections<CYFreeMetricRunConfig>();
  FreeCYTrainingOptions o;
  static_cast<CYEpochOptions&>(o) = cy_epoch_options(s.optimizer, s.training, c.seed, steps_per_epoch);
  o.weighting = s.loss.monge_ampere;
  o.kappa = s.loss.kappa;
  o.alpha_kahler = s.loss.alpha_kahler;
  o.alpha_transition = s.loss.alpha_transition;
  return o;
}

// det g of the trained model on `data` (no graph; in chunks), [B] float64.
at::Tensor model_det(const FreeCYMetric& model, const FreeMetricData& data) {
  const c10::AutoGradMode no_grad(false);
  return evaluate_in_chunks(
      data.size(),
      [&](int64_t start, int64_t len) {
        const at::Tensor inputs = data.input_jet.select(1, 0).narrow(0, start, len);
        return hermitian_det(model.metric(inputs, data.g_fs.narrow(0, start, len)));
      },
      kEvalChunk);
}

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const Hypersurface& surface, const std::string& status) {
  const CYFreeMetricRunConfig& s = c.sections<CYFreeMetricRunConfig>();
  file.write_int_attribute("/", "total_epochs", s.training.epochs);
  file.write_string_attribute("/", "optimizer", enum_name(kOptimizerKindNames, s.optimizer.name));
  file.write_string_attribute("/", "head", free_metric_head_name(s.model.head));
  file.write_string_attribute("/", "inputs", phi_inputs_name(s.model.inputs));
  file.write_string_attribute("/", "monge_ampere", monge_ampere_weighting_name(s.loss.monge_ampere));
  file.write_string_attribute("/", "kappa", monge_ampere_kappa_name(s.loss.kappa));
  file.write_double_attribute("/", "alpha_kahler", s.loss.alpha_kahler);
  file.write_double_attribute("/", "alpha_transition", s.loss.alpha_transition);
  write_cy_run_attributes(file, c, s.variety, s.points, o, surface, status);
}

// /final: per-point η ratios and weights on the validation points, σ, κ, L_K and L_T there.
void write_final(Hdf5File& file, const FreeCYMetric& model, const FreeMetricData& validation,
                 CYFreeExperimentSummary& summary) {
  // Per-point η·Vol_CY/Vol_K: σ = mean(w |1 − ratio|)/mean(w) (cy_measures.h).
  const at::Tensor det_g = model_det(model, validation);
  const CYAccuracy accuracy = cy_accuracy(validation.weights, validation.omega_sq, det_g);
  const at::Tensor eta_ratio = det_g / validation.omega_sq * (accuracy.vol_cy / accuracy.vol_k);
  const FreeCYEpochRecord measured = evaluate_free_metric(model, validation);
  file.write_tensor("final/validation/eta_ratio", eta_ratio);
  file.write_tensor("final/validation/weights", validation.weights);
  file.write_scalar("final/sigma", accuracy.sigma);
  file.write_scalar("final/kappa", accuracy.kappa);
  file.write_scalar("final/kahler", measured.kahler);
  file.write_scalar("final/transition", measured.transition);
  summary.sigma_final = accuracy.sigma;
  summary.kappa_final = accuracy.kappa;
  summary.kahler_final = measured.kahler;
  summary.transition_final = measured.transition;
}

void check_run(const ExperimentConfig& config, const ExperimentRunOptions& options) {
  NMFLOW_CHECK(config.kind == "cy_free_metric", "run_cy_free_experiment: config kind is '", config.kind,
               "'; allowed: cy_free_metric");
  NMFLOW_CHECK(options.device.empty() || options.device == "cpu", "run_cy_free_experiment: device '",
               options.device, "'; kind cy_free_metric runs on the CPU only so far; allowed: cpu");
}

RunProgress epoch_progress(const FreeCYEpochRecord& r, int64_t total_epochs) {
  return RunProgress{r.cy.epoch, total_epochs, "epoch",
                     fmt::format("steps {}  sigma {:.6f}  kappa {:.6f}  L_K {:.3e}  L_T {:.3e}  train loss {:.6f}  {}",
                                 r.cy.steps, r.cy.sigma, r.cy.kappa, r.kahler, r.transition, r.cy.train_loss,
                                 format_duration(r.cy.wall_seconds)),
                     false};
}

std::vector<std::string> summary_lines(const CYFreeExperimentSummary& s) {
  const char* sigma_label = s.starts_at_fubini_study ? "sigma (FS -> final)" : "sigma (initial -> final)";
  std::vector<std::string> lines = {
      fmt::format("{:<26}{}/{}", "epochs", s.epochs_done, s.total_epochs),
      fmt::format("{:<26}{}/{}", "steps", s.steps_done, s.total_epochs * s.steps_per_epoch),
      fmt::format("{:<26}{:.6f} -> {:.6f}", sigma_label, s.sigma_initial, s.sigma_final),
      fmt::format("{:<26}{:.6f}", "kappa", s.kappa_final),
      fmt::format("{:<26}{:.6e}", "L_K (Kahler)", s.kahler_final),
      fmt::format("{:<26}{:.6e}", "L_T (transition)", s.transition_final),
      fmt::format("{:<26}{:.6e}", "train loss (last epoch)", s.train_loss_final),
      fmt::format("{:<26}{}{}", "records", s.records,
                  s.resumed_from_epoch > 0 ? fmt::format(" (resumed after epoch {})", s.resumed_from_epoch) : ""),
      fmt::format("{:<26}{}", "training time (wall)", format_duration(s.wall_seconds))};
  return lines;
}

}  // namespace

CYFreeExperimentSummary run_cy_free_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                               const RunHooks& hooks) {
  check_run(config, options);
  const CYFreeMetricRunConfig& sections = config.sections<CYFreeMetricRunConfig>();
  const Hypersurface surface = variety_hypersurface(sections.variety);
  check_cy_points_fit(surface, sections.points);
  const CYPointSet train_points = sample_train_points(surface, sections.points, config.seed);
  const FreeCYMetricConfig free_config = model_config(config);
  FreeCYMetric model(free_config, surface.n_coords());
  const FreeMetricData train = prepare_free_metric_data(surface, train_points, free_config.inputs, free_config.dtype);
  const FreeMetricData validation =
      prepare_free_metric_data(surface, sample_validation_points(surface, sections.points, config.seed),
                               free_config.inputs, free_config.dtype);
  // κ of L_MA (unless loss.kappa = batch): Fubini–Study's Vol_K/Vol_CY on the training points, as cy_metric.
  const double kappa = fubini_study_kappa(train_points);
  CYFreeExperimentSummary summary;
  summary.total_epochs = sections.training.epochs;
  summary.steps_per_epoch = train.size() / sections.training.batch_size;
  summary.starts_at_fubini_study = free_config.head != FreeMetricHead::Free;

  // Checkpoint next to the output (run_lifecycle.h): written at every evaluation, continued by --resume.
  FreeCYTrainingOptions training = training_options(config, summary.steps_per_epoch);
  training.checkpoint = checkpoint_path(options.output);
  training.resume = options.resume;
  bool stopped = false;
  training.stop_requested = [&] { return stopped = hooks.stop(); };
  RunLifecycle lifecycle(config, options, training.checkpoint, "checkpoint",
                         "a cy_free_metric run writes one at every evaluation after epoch 0");
  CYEpochResume resume = cy_epoch_resume(lifecycle, options.output, kEpochReals, "cy_free_metric");
  std::map<std::string, at::Tensor>& kept = resume.kept;
  summary.resumed_from_epoch = resume.checkpoint_epoch;
  Hdf5File file = create_cy_epoch_file(options.output, kEpochReals, resume);
  lifecycle.begin(file, [&](Hdf5File& f, const std::string& status) {
    write_attributes(f, config, options, surface, status);
  });

  summary.train_loss_final = std::numeric_limits<double>::quiet_NaN();
  const auto append = [&](const FreeCYEpochRecord& r) {
    const std::map<std::string, double> reals = {
        {"wall_seconds", r.cy.wall_seconds}, {"cpu_seconds", r.cy.cpu_seconds}, {"train_loss", r.cy.train_loss},
        {"sigma", r.cy.sigma},               {"kappa", r.cy.kappa},             {"kahler", r.kahler},
        {"transition", r.transition}};
    file.append_value("epochs/steps", r.cy.steps);
    for (const std::string& name : kEpochReals) file.append_value("epochs/" + name, reals.at(name));
    file.append_value("epochs/epoch", r.cy.epoch);
    if (r.cy.epoch == 0) summary.sigma_initial = r.cy.sigma;
    summary.epochs_done = r.cy.epoch;
    summary.steps_done = r.cy.steps;
    summary.wall_seconds = r.cy.wall_seconds;
    summary.train_loss_final = r.cy.train_loss;
    summary.records += 1;
  };
  for (int64_t i = 0; !kept.empty() && i < kept["epoch"].size(0); ++i) {  // the resumed run's earlier rows
    FreeCYEpochRecord r;
    r.cy.epoch = kept["epoch"][i].item<int64_t>();
    r.cy.steps = kept["steps"][i].item<int64_t>();
    r.cy.wall_seconds = kept["wall_seconds"][i].item<double>();
    r.cy.cpu_seconds = kept["cpu_seconds"][i].item<double>();
    r.cy.train_loss = kept["train_loss"][i].item<double>();
    r.cy.sigma = kept["sigma"][i].item<double>();
    r.cy.kappa = kept["kappa"][i].item<double>();
    r.kahler = kept["kahler"][i].item<double>();
    r.transition = kept["transition"][i].item<double>();
    append(r);
  }
  file.flush();
  const auto on_record = [&](const FreeCYEpochRecord& r) {
    append(r);
    hooks.progress(epoch_progress(r, sections.training.epochs));
  };
  // A failure from here on (a diverged step, an I/O error) leaves the file with status = failed and its message.
  lifecycle.run(file, [&] {
    train_free_metric(model, train, validation, kappa, training, on_record);
    summary.interrupted = stopped && summary.epochs_done < sections.training.epochs;
    write_final(file, model, validation, summary);
  });
  lifecycle.end(file, summary.interrupted);
  return summary;
}

ExperimentKind cy_free_metric_kind() {
  ExperimentKind kind;
  kind.name = "cy_free_metric";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const CYFreeMetricRunConfig& c = config.sections<CYFreeMetricRunConfig>();
    return fmt::format("{}, free metric ({} head) {} x {} epochs of batch {}, {} + {} points", c.variety.name,
                       free_metric_head_name(c.model.head), enum_name(kOptimizerKindNames, c.optimizer.name),
                       c.training.epochs, c.training.batch_size, c.points.train, c.points.validation);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const CYFreeExperimentSummary summary = run_cy_free_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("epoch {}", summary.epochs_done);
    return report;
  };
  return kind;
}

}  // namespace nmflow

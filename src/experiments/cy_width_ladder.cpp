#include "experiments/cy_width_ladder.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "common/chunked.h"
#include "common/enum_names.h"
#include "common/error.h"
#include "training/cy_losses.h"
#include "training/trainer.h"
#include "geometry/kahler/cy_measures.h"
#include "models/kahler_phi_model.h"
#include "ntk/ntk_diagnostics.h"
#include "ntk/phi_model_ntk.h"

namespace nmflow {

namespace {

// Points per no-grad evaluation chunk: the ladder's widest networks keep a chunk's jets within memory.
constexpr int64_t kChunk = 4096;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool is_linearised(LadderRegime regime) {
  return regime == LadderRegime::LinearisedAdam || regime == LadderRegime::LinearisedSgd;
}

// ∂∂̄φ at every point without a graph: [B, m, m] complex128. jet: [B, rows, n_in].
at::Tensor ddbar_no_grad(const KahlerPhiModel& model, const at::Tensor& jet) {
  const c10::AutoGradMode no_grad(false);
  return evaluate_in_chunks(
      jet.size(0),
      [&](int64_t start, int64_t len) { return model.ddbar_phi(jet.narrow(0, start, len), PhiJetMethod::WirtingerJet); },
      kChunk);
}

// J₀δ at every point without keeping a graph: [B, m, m] complex128.
at::Tensor displacement_no_grad(const LinearisedPhiModel& linear, const at::Tensor& jet) {
  return evaluate_in_chunks(
      jet.size(0),
      [&](int64_t start, int64_t len) {
        return linear.ddbar_displacement(jet.narrow(0, start, len), /*create_graph=*/false).detach();
      },
      kChunk);
}

// The point set with the reference metric g_FS replaced by g_FS − ∂∂̄φ_θ₀: the centred model's g at θ₀ is g_FS.
CYPointSet centred(const CYPointSet& points, const at::Tensor& ddbar0) {
  CYPointSet shifted = points;
  shifted.g_fs = points.g_fs - ddbar0;
  return shifted;
}

double norm_of(const std::vector<at::Tensor>& tensors) {
  double sum = 0.0;
  for (const at::Tensor& t : tensors) sum += t.detach().to(at::kDouble).square().sum().item<double>();
  return std::sqrt(sum);
}

TrainerOptions trainer_options(const CYWidthLadderConfig& config, LadderRegime regime, uint64_t seed,
                               int64_t n_train) {
  TrainerOptions trainer;
  const bool adam = regime == LadderRegime::Adam || regime == LadderRegime::LinearisedAdam;
  trainer.optimizer.kind = adam ? OptimizerKind::Adam : OptimizerKind::GradientDescent;
  trainer.learning_rate = adam ? config.adam_lr : config.sgd_lr;
  trainer.seed = seed;
  if (config.schedule == LearningRateSchedule::Cosine) {
    trainer.schedule = LearningRateSchedule::Cosine;
    trainer.schedule_steps = std::max<int64_t>(1, config.epochs * (n_train / config.batch_size));
    trainer.min_learning_rate = config.min_lr_fraction * trainer.learning_rate;
  }
  return trainer;
}

// σ and κ of g = g_FS + J₀δ on `points`. jet: phi_input_jet(points).
CYEpochRecord evaluate_linearised(const LinearisedPhiModel& linear, const CYPointSet& points, const at::Tensor& jet) {
  const at::Tensor det_g = hermitian_det(points.g_fs + displacement_no_grad(linear, jet));
  const CYAccuracy accuracy = cy_accuracy(points.weights, points.omega_sq, det_g);
  CYEpochRecord record;
  record.sigma = accuracy.sigma;
  record.kappa = accuracy.kappa;
  return record;
}

// Trains the linearised model g = g_FS + J₀δ in δ through run_cy_epochs, the loop train_phi_model uses (same
// batches from the same seeded permutation, same loss, same records), so a network and its linearisation differ only
// in the model.
std::vector<CYEpochRecord> train_linearised(const LinearisedPhiModel& linear, const CYPointSet& train,
                                            const CYPointSet& validation, const CYTrainingOptions& options,
                                            const std::function<void(const CYEpochRecord&)>& callback) {
  const at::ScalarType dtype = linear.base().config().dtype;
  const at::Tensor train_jet = phi_input_jet(linear.base().config().inputs, train, dtype);
  const at::Tensor validation_jet = phi_input_jet(linear.base().config().inputs, validation, dtype);
  const double kappa = fubini_study_kappa(train);
  const auto batch_loss = [&](const at::Tensor& batch_index) {
    const CYPointSet batch = select_cy_points(train, batch_index);
    const at::Tensor ddbar = linear.ddbar_displacement(train_jet.index_select(0, batch_index));
    return monge_ampere_loss(hermitian_det(batch.g_fs + ddbar), batch.omega_sq, batch.weights, kappa,
                             options.weighting, options.kappa);
  };
  std::vector<CYEpochRecord> records;
  const auto on_evaluation = [&](const CYEpochRecord& progress) {
    const CYEpochRecord record =
        evaluated_record(progress, evaluate_linearised(linear, validation, validation_jet), options.trainer);
    records.push_back(record);
    if (callback) callback(record);
  };
  run_cy_epochs(linear.displacement(), train.size(), train.z.device(), options, batch_loss, on_evaluation);
  return records;
}

// Metric- and η-NTK on the probes for one run; drift is measured against the first call.
class ProbeKernels {
 public:
  ProbeKernels(const CYPointSet& probes, const at::Tensor& probe_jet, int64_t top)
      : probes_(probes), jet_(probe_jet), top_(top) {}

  // theta: the metric-NTK now [B·m², B·m²]; g: the metric on the probes now [B, m, m].
  void observe(const at::Tensor& theta, const at::Tensor& g, CYLadderRun& run) {
    const at::Tensor d = eta_metric_gradient(g, probes_.omega_sq);
    const at::Tensor eta_theta = eta_ntk_from_metric_ntk(theta, d, d);
    const int64_t k = std::min<int64_t>(top_, theta.size(0));
    if (!theta0_.defined()) {
      theta0_ = theta;
      eta_theta0_ = eta_theta;
      run.top_eigenvalues_start = ntk_top_eigenvalues(theta, k);
    }
    run.ntk_drift.push_back(ntk_relative_drift(theta, theta0_));
    run.eta_ntk_drift.push_back(ntk_relative_drift(eta_theta, eta_theta0_));
    run.top_eigenvalues_end = ntk_top_eigenvalues(theta, k);
  }

  const at::Tensor& jet() const { return jet_; }
  const CYPointSet& probes() const { return probes_; }

 private:
  CYPointSet probes_;
  at::Tensor jet_;
  int64_t top_;
  at::Tensor theta0_, eta_theta0_;
};

at::Tensor column(const std::vector<CYEpochRecord>& records, double CYEpochRecord::*field) {
  std::vector<double> values;
  for (const CYEpochRecord& r : records) values.push_back(r.*field);
  return at::tensor(values, at::kDouble);
}

std::vector<double> doubles(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

LadderRegime parse_ladder_regime(const std::string& name) {
  return parse_enum(kLadderRegimeNames, name, "ladder regime");
}

std::string ladder_regime_name(LadderRegime value) { return enum_name(kLadderRegimeNames, value); }

LadderInit parse_ladder_init(const std::string& name) { return parse_enum(kLadderInitNames, name, "ladder init"); }

std::string ladder_init_name(LadderInit value) { return enum_name(kLadderInitNames, value); }

CYLadderRun train_cy_ladder_run(const CYPointSet& train, const CYPointSet& validation, const CYPointSet& probes,
                                const CYWidthLadderConfig& ladder, const CYLadderRunSpec& spec) {
  check_cy_width_ladder_config(ladder);
  KahlerPhiModelConfig config;
  config.hidden = std::vector<int64_t>(ladder.depth, spec.width);
  config.activation = ladder.activation;
  config.parameterisation = Parameterisation::Ntk;
  config.sigma_w = ladder.sigma_w;
  config.sigma_b = ladder.sigma_b;
  config.zero_output_layer = ladder.init == LadderInit::ZeroOutput;
  config.seed = spec.seed;
  KahlerPhiModel model(config, train.z.size(1));

  CYTrainingOptions training;
  training.trainer = trainer_options(ladder, spec.regime, spec.seed, train.size());
  training.epochs = ladder.epochs;
  training.batch_size = ladder.batch_size;
  training.eval_every = ladder.eval_every;

  CYLadderRun run;
  run.width = spec.width;
  run.depth = ladder.depth;
  run.seed = spec.seed;
  run.regime = spec.regime;
  for (const at::Tensor& p : model.parameters()) run.parameters += p.numel();
  const at::Tensor probe_jet = phi_input_jet(config.inputs, probes, config.dtype);

  if (is_linearised(spec.regime)) {
    // g_lin = g_FS + J₀δ: the centred linearisation (for zero_output, ∂∂̄φ_θ₀ = 0 anyway). Θ stays Θ(θ₀).
    const LinearisedPhiModel linear(model);
    ProbeKernels kernels(probes, probe_jet, ladder.top_eigenvalues);
    const auto ntk_start = std::chrono::steady_clock::now();
    const at::Tensor theta0 = phi_model_metric_ntk(linear.base(), probe_jet, probe_jet);
    run.ntk_seconds += seconds_since(ntk_start);
    run.records = train_linearised(linear, train, validation, training, [&](const CYEpochRecord&) {
      kernels.observe(theta0, probes.g_fs + displacement_no_grad(linear, probe_jet), run);
    });
    run.weight_drift = norm_of(linear.displacement()) / norm_of(model.parameters());
    return run;
  }

  const CYPointSet train_c = centred(train, ddbar_no_grad(model, phi_input_jet(config.inputs, train, config.dtype)));
  const CYPointSet validation_c =
      centred(validation, ddbar_no_grad(model, phi_input_jet(config.inputs, validation, config.dtype)));
  ProbeKernels kernels(centred(probes, ddbar_no_grad(model, probe_jet)), probe_jet, ladder.top_eigenvalues);
  std::vector<at::Tensor> theta0_params;
  for (const at::Tensor& p : model.parameters()) theta0_params.push_back(p.detach().clone());
  run.records = train_phi_model(model, train_c, validation_c, training, [&](const CYEpochRecord&) {
    const auto ntk_start = std::chrono::steady_clock::now();
    const at::Tensor theta = phi_model_metric_ntk(model, probe_jet, probe_jet);
    kernels.observe(theta, kernels.probes().g_fs + ddbar_no_grad(model, probe_jet), run);
    run.ntk_seconds += seconds_since(ntk_start);
  });
  std::vector<at::Tensor> moved;
  const std::vector<at::Tensor> params = model.parameters();
  for (size_t k = 0; k < params.size(); ++k) moved.push_back(params[k].detach() - theta0_params[k]);
  run.weight_drift = norm_of(moved) / norm_of(theta0_params);
  return run;
}

void check_cy_width_ladder_config(const CYWidthLadderConfig& c) {
  NMFLOW_CHECK(!c.widths.empty() && !c.seeds.empty() && !c.regimes.empty(),
               "CYWidthLadderConfig: widths, seeds and regimes must be non-empty, got ", c.widths.size(), ", ",
               c.seeds.size(), ", ", c.regimes.size());
  for (const int64_t w : c.widths) {
    NMFLOW_CHECK(w >= 1, "CYWidthLadderConfig: widths must be ≥ 1, got ", w);
  }
  NMFLOW_CHECK(c.depth >= 1, "CYWidthLadderConfig: depth must be ≥ 1, got ", c.depth);
  NMFLOW_CHECK(c.adam_lr > 0.0 && c.sgd_lr > 0.0, "CYWidthLadderConfig: learning rates must be > 0, got adam ",
               c.adam_lr, ", sgd ", c.sgd_lr);
  NMFLOW_CHECK(c.schedule == LearningRateSchedule::Constant || c.schedule == LearningRateSchedule::Cosine,
               "CYWidthLadderConfig: schedule must be constant or cosine, got ",
               learning_rate_schedule_name(c.schedule));
  NMFLOW_CHECK(c.min_lr_fraction >= 0.0 && c.min_lr_fraction <= 1.0,
               "CYWidthLadderConfig: min_lr_fraction must be in [0, 1], got ", c.min_lr_fraction);
  NMFLOW_CHECK(c.epochs >= 1 && c.batch_size >= 1 && c.eval_every >= 1 && c.top_eigenvalues >= 1,
               "CYWidthLadderConfig: epochs, batch_size, eval_every, top_eigenvalues must be ≥ 1, got ", c.epochs,
               ", ", c.batch_size, ", ", c.eval_every, ", ", c.top_eigenvalues);
}

std::vector<CYLadderRunSpec> cy_width_ladder_runs(const CYWidthLadderConfig& config) {
  std::vector<CYLadderRunSpec> runs;
  for (const uint64_t seed : config.seeds) {
    for (const int64_t width : config.widths) {
      for (const LadderRegime regime : config.regimes) runs.push_back(CYLadderRunSpec{width, seed, regime});
    }
  }
  return runs;
}

std::vector<CYLadderRun> run_cy_width_ladder(const CYPointSet& train, const CYPointSet& validation,
                                             const CYPointSet& probes, const CYWidthLadderConfig& config,
                                             const std::function<void(const CYLadderRun&)>& callback) {
  check_cy_width_ladder_config(config);
  std::vector<CYLadderRun> runs;
  for (const CYLadderRunSpec& spec : cy_width_ladder_runs(config)) {
    runs.push_back(train_cy_ladder_run(train, validation, probes, config, spec));
    if (callback) callback(runs.back());
  }
  return runs;
}

void write_cy_width_ladder_settings(Hdf5File& file, const CYWidthLadderConfig& config) {
  file.create_group("ladder");
  file.write_int_attribute("ladder", "depth", config.depth);
  file.write_string_attribute("ladder", "init", ladder_init_name(config.init));
  file.write_string_attribute("ladder", "activation", activation_name(config.activation));
  file.write_string_attribute("ladder", "parameterisation", "ntk");
  file.write_double_attribute("ladder", "sigma_w", config.sigma_w);
  file.write_double_attribute("ladder", "sigma_b", config.sigma_b);
  file.write_double_attribute("ladder", "adam_learning_rate", config.adam_lr);
  file.write_double_attribute("ladder", "sgd_learning_rate", config.sgd_lr);
  file.write_string_attribute("ladder", "schedule", learning_rate_schedule_name(config.schedule));
  file.write_double_attribute("ladder", "min_learning_rate_fraction", config.min_lr_fraction);
  file.write_int_attribute("ladder", "epochs", config.epochs);
  file.write_int_attribute("ladder", "batch_size", config.batch_size);
  file.write_int_attribute("ladder", "eval_every", config.eval_every);
  file.write_int_attribute("ladder", "runs", 0);
}

void append_cy_ladder_run(Hdf5File& file, const CYLadderRun& run) {
  const int64_t index = file.read_int_attribute("ladder", "runs");
  const std::string group = "runs/" + std::to_string(index);
  file.create_group(group);
  file.write_int_attribute(group, "width", run.width);
  file.write_int_attribute(group, "depth", run.depth);
  file.write_int_attribute(group, "seed", static_cast<int64_t>(run.seed));
  file.write_string_attribute(group, "regime", ladder_regime_name(run.regime));
  file.write_int_attribute(group, "parameters", run.parameters);
  file.write_double_attribute(group, "weight_drift", run.weight_drift);
  file.write_double_attribute(group, "ntk_seconds", run.ntk_seconds);
  std::vector<int64_t> epochs, steps;
  for (const CYEpochRecord& r : run.records) {
    epochs.push_back(r.epoch);
    steps.push_back(r.steps);
  }
  file.write_tensor(group + "/epoch", at::tensor(epochs, at::kLong));
  file.write_tensor(group + "/steps", at::tensor(steps, at::kLong));
  file.write_tensor(group + "/wall_seconds", column(run.records, &CYEpochRecord::wall_seconds));
  file.write_tensor(group + "/cpu_seconds", column(run.records, &CYEpochRecord::cpu_seconds));
  file.write_tensor(group + "/train_loss", column(run.records, &CYEpochRecord::train_loss));
  file.write_tensor(group + "/sigma", column(run.records, &CYEpochRecord::sigma));
  file.write_tensor(group + "/kappa", column(run.records, &CYEpochRecord::kappa));
  file.write_tensor(group + "/ntk_drift", at::tensor(run.ntk_drift, at::kDouble));
  file.write_tensor(group + "/eta_ntk_drift", at::tensor(run.eta_ntk_drift, at::kDouble));
  file.write_tensor(group + "/top_eigenvalues_start", run.top_eigenvalues_start);
  file.write_tensor(group + "/top_eigenvalues_end", run.top_eigenvalues_end);
  file.write_int_attribute("ladder", "runs", index + 1);
}

std::vector<CYLadderRun> read_cy_ladder_runs(const Hdf5File& file) {
  NMFLOW_CHECK(file.exists("ladder") && file.has_attribute("ladder", "runs"), "'", file.path(),
               "' has no /ladder with a run count (not a cy_width_ladder run file)");
  std::vector<CYLadderRun> runs(static_cast<size_t>(file.read_int_attribute("ladder", "runs")));
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string group = "runs/" + std::to_string(i);
    CYLadderRun& run = runs[i];
    run.width = file.read_int_attribute(group, "width");
    run.depth = file.read_int_attribute(group, "depth");
    run.seed = static_cast<uint64_t>(file.read_int_attribute(group, "seed"));
    run.regime = parse_ladder_regime(file.read_string_attribute(group, "regime"));
    run.parameters = file.read_int_attribute(group, "parameters");
    run.weight_drift = file.read_double_attribute(group, "weight_drift");
    run.ntk_seconds = file.read_double_attribute(group, "ntk_seconds");
    const at::Tensor epoch = file.read_tensor(group + "/epoch"), steps = file.read_tensor(group + "/steps");
    const std::vector<double> wall = doubles(file.read_tensor(group + "/wall_seconds"));
    const std::vector<double> cpu = doubles(file.read_tensor(group + "/cpu_seconds"));
    const std::vector<double> loss = doubles(file.read_tensor(group + "/train_loss"));
    const std::vector<double> sigma = doubles(file.read_tensor(group + "/sigma"));
    const std::vector<double> kappa = doubles(file.read_tensor(group + "/kappa"));
    for (int64_t r = 0; r < epoch.size(0); ++r) {
      const size_t k = static_cast<size_t>(r);
      run.records.push_back(CYEpochRecord{epoch[r].item<int64_t>(), steps[r].item<int64_t>(), wall[k], cpu[k],
                                          loss[k], sigma[k], kappa[k]});
    }
    run.ntk_drift = doubles(file.read_tensor(group + "/ntk_drift"));
    run.eta_ntk_drift = doubles(file.read_tensor(group + "/eta_ntk_drift"));
    run.top_eigenvalues_start = file.read_tensor(group + "/top_eigenvalues_start");
    run.top_eigenvalues_end = file.read_tensor(group + "/top_eigenvalues_end");
  }
  return runs;
}

void write_cy_width_ladder(Hdf5File& file, const CYWidthLadderConfig& config, const std::vector<CYLadderRun>& runs) {
  write_cy_width_ladder_settings(file, config);
  for (const CYLadderRun& run : runs) append_cy_ladder_run(file, run);
}

}  // namespace nmflow

#include "experiments/cy_width_ladder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

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

constexpr int64_t kChunk = 4096;  // points per no-grad evaluation chunk

double cpu_seconds_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool is_linearised(LadderRegime regime) {
  return regime == LadderRegime::LinearisedAdam || regime == LadderRegime::LinearisedSgd;
}

// ∂∂̄φ at every point without a graph: [B, m, m] complex128. jet: [B, rows, n_in].
at::Tensor ddbar_no_grad(const KahlerPhiModel& model, const at::Tensor& jet) {
  const c10::AutoGradMode no_grad(false);
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < jet.size(0); start += kChunk) {
    const int64_t len = std::min(kChunk, jet.size(0) - start);
    parts.push_back(model.ddbar_phi(jet.narrow(0, start, len), PhiJetMethod::WirtingerJet));
  }
  return at::cat(parts, 0);
}

// J₀δ at every point without keeping a graph: [B, m, m] complex128.
at::Tensor displacement_no_grad(const LinearisedPhiModel& linear, const at::Tensor& jet) {
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < jet.size(0); start += kChunk) {
    const int64_t len = std::min(kChunk, jet.size(0) - start);
    parts.push_back(linear.ddbar_displacement(jet.narrow(0, start, len), /*create_graph=*/false).detach());
  }
  return at::cat(parts, 0);
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

TrainerOptions trainer_options(const CYWidthLadderOptions& options, LadderRegime regime, uint64_t seed,
                               int64_t n_train) {
  TrainerOptions trainer;
  const bool adam = regime == LadderRegime::Adam || regime == LadderRegime::LinearisedAdam;
  trainer.optimizer.kind = adam ? OptimizerKind::Adam : OptimizerKind::GradientDescent;
  trainer.learning_rate = adam ? options.adam_learning_rate : options.sgd_learning_rate;
  trainer.seed = seed;
  if (options.schedule == LearningRateSchedule::Cosine) {
    trainer.schedule = LearningRateSchedule::Cosine;
    trainer.schedule_steps = std::max<int64_t>(1, options.epochs * (n_train / options.batch_size));
    trainer.min_learning_rate = options.min_learning_rate_fraction * trainer.learning_rate;
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

// train_phi_model's loop (same batches from the same seeded permutation, same loss, same records) for the
// linearised model g = g_FS + J₀δ, trained in δ.
std::vector<CYEpochRecord> train_linearised(const LinearisedPhiModel& linear, const CYPointSet& train,
                                            const CYPointSet& validation, const CYTrainingOptions& options,
                                            const std::function<void(const CYEpochRecord&)>& callback) {
  check_cy_training_options(options);
  const int64_t n_train = train.size();
  NMFLOW_CHECK(n_train >= options.batch_size, "run_cy_width_ladder: batch_size ", options.batch_size,
               " exceeds the ", n_train, " training points");
  const at::ScalarType dtype = linear.base().config().dtype;
  const at::Tensor train_jet = phi_input_jet(linear.base().config().inputs, train, dtype);
  const at::Tensor validation_jet = phi_input_jet(linear.base().config().inputs, validation, dtype);
  const double kappa = fubini_study_kappa(train);
  const int64_t steps_per_epoch = n_train / options.batch_size;
  at::Tensor permutation, batch_index;
  const auto before_step = [&](int64_t step, at::Generator& generator) {
    const int64_t k = step % steps_per_epoch;
    if (k == 0) permutation = at::randperm(n_train, generator, at::TensorOptions().dtype(at::kLong));
    batch_index = permutation.narrow(0, k * options.batch_size, options.batch_size);
  };
  const auto loss = [&]() {
    const CYPointSet batch = select_cy_points(train, batch_index);
    const at::Tensor ddbar = linear.ddbar_displacement(train_jet.index_select(0, batch_index));
    return monge_ampere_loss(hermitian_det(batch.g_fs + ddbar), batch.omega_sq, batch.weights, kappa,
                             options.weighting);
  };
  Trainer trainer(linear.displacement(), loss, options.trainer, before_step);
  std::vector<CYEpochRecord> records;
  const auto record_epoch = [&](CYEpochRecord record) {
    records.push_back(record);
    if (callback) callback(record);
  };
  CYEpochRecord initial = evaluate_linearised(linear, validation, validation_jet);
  initial.train_loss = std::numeric_limits<double>::quiet_NaN();
  record_epoch(initial);
  double wall = 0.0, cpu = 0.0;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto wall_start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds_now();
    double loss_sum = 0.0;
    for (int64_t k = 0; k < steps_per_epoch; ++k) loss_sum += trainer.step().loss;
    wall += seconds_since(wall_start);
    cpu += cpu_seconds_now() - cpu_start;
    if (epoch % options.eval_every == 0 || epoch == options.epochs) {
      CYEpochRecord record = evaluate_linearised(linear, validation, validation_jet);
      record.epoch = epoch;
      record.steps = trainer.steps_done();
      record.wall_seconds = wall;
      record.cpu_seconds = cpu;
      record.train_loss = loss_sum / static_cast<double>(steps_per_epoch);
      record_epoch(record);
    }
  }
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

CYLadderRun run_one(const CYPointSet& train, const CYPointSet& validation, const CYPointSet& probes,
                    const CYWidthLadderOptions& options, int64_t width, uint64_t seed, LadderRegime regime) {
  KahlerPhiModelConfig config;
  config.hidden = std::vector<int64_t>(options.depth, width);
  config.activation = options.activation;
  config.parameterisation = Parameterisation::Ntk;
  config.sigma_w = options.sigma_w;
  config.sigma_b = options.sigma_b;
  config.zero_output_layer = options.init == LadderInit::ZeroOutput;
  config.seed = seed;
  KahlerPhiModel model(config, train.z.size(1));

  CYTrainingOptions training;
  training.trainer = trainer_options(options, regime, seed, train.size());
  training.epochs = options.epochs;
  training.batch_size = options.batch_size;
  training.eval_every = options.eval_every;

  CYLadderRun run;
  run.width = width;
  run.depth = options.depth;
  run.seed = seed;
  run.regime = regime;
  for (const at::Tensor& p : model.parameters()) run.parameters += p.numel();
  const at::Tensor probe_jet = phi_input_jet(config.inputs, probes, config.dtype);

  if (is_linearised(regime)) {
    // g_lin = g_FS + J₀δ: the centred linearisation (for zero_output, ∂∂̄φ_θ₀ = 0 anyway). Θ stays Θ(θ₀).
    const LinearisedPhiModel linear(model);
    ProbeKernels kernels(probes, probe_jet, options.top_eigenvalues);
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
  ProbeKernels kernels(centred(probes, ddbar_no_grad(model, probe_jet)), probe_jet, options.top_eigenvalues);
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

at::Tensor column(const std::vector<CYEpochRecord>& records, double CYEpochRecord::*field) {
  std::vector<double> values;
  for (const CYEpochRecord& r : records) values.push_back(r.*field);
  return at::tensor(values, at::kDouble);
}

constexpr EnumName<LadderRegime> kLadderRegimeNames[] = {
    {LadderRegime::Adam, "adam"}, {LadderRegime::Sgd, "sgd"}, {LadderRegime::LinearisedAdam, "linearised_adam"},
    {LadderRegime::LinearisedSgd, "linearised_sgd"}};

constexpr EnumName<LadderInit> kLadderInitNames[] = {{LadderInit::Centred, "centred"},
                                                     {LadderInit::ZeroOutput, "zero_output"}};

}  // namespace

LadderRegime parse_ladder_regime(const std::string& name) {
  return parse_enum(kLadderRegimeNames, name, "ladder regime");
}

std::string ladder_regime_name(LadderRegime value) { return enum_name(kLadderRegimeNames, value); }

LadderInit parse_ladder_init(const std::string& name) { return parse_enum(kLadderInitNames, name, "ladder init"); }

std::string ladder_init_name(LadderInit value) { return enum_name(kLadderInitNames, value); }

void check_cy_width_ladder_options(const CYWidthLadderOptions& options) {
  NMFLOW_CHECK(!options.widths.empty() && !options.seeds.empty() && !options.regimes.empty(),
               "CYWidthLadderOptions: widths, seeds and regimes must be non-empty, got ", options.widths.size(), ", ",
               options.seeds.size(), ", ", options.regimes.size());
  for (const int64_t w : options.widths) {
    NMFLOW_CHECK(w >= 1, "CYWidthLadderOptions: widths must be ≥ 1, got ", w);
  }
  NMFLOW_CHECK(options.depth >= 1, "CYWidthLadderOptions: depth must be ≥ 1, got ", options.depth);
  NMFLOW_CHECK(options.adam_learning_rate > 0.0 && options.sgd_learning_rate > 0.0,
               "CYWidthLadderOptions: learning rates must be > 0, got adam ", options.adam_learning_rate, ", sgd ",
               options.sgd_learning_rate);
  NMFLOW_CHECK(options.schedule == LearningRateSchedule::Constant || options.schedule == LearningRateSchedule::Cosine,
               "CYWidthLadderOptions: schedule must be constant or cosine, got ",
               learning_rate_schedule_name(options.schedule));
  NMFLOW_CHECK(options.min_learning_rate_fraction >= 0.0 && options.min_learning_rate_fraction <= 1.0,
               "CYWidthLadderOptions: min_learning_rate_fraction must be in [0, 1], got ",
               options.min_learning_rate_fraction);
  NMFLOW_CHECK(options.epochs >= 1 && options.batch_size >= 1 && options.eval_every >= 1 &&
                   options.top_eigenvalues >= 1,
               "CYWidthLadderOptions: epochs, batch_size, eval_every, top_eigenvalues must be ≥ 1, got ",
               options.epochs, ", ", options.batch_size, ", ", options.eval_every, ", ", options.top_eigenvalues);
}

std::vector<CYLadderRun> run_cy_width_ladder(const CYPointSet& train, const CYPointSet& validation,
                                             const CYPointSet& probes, const CYWidthLadderOptions& options,
                                             const std::function<void(const CYLadderRun&)>& callback) {
  check_cy_width_ladder_options(options);
  std::vector<CYLadderRun> runs;
  for (const uint64_t seed : options.seeds) {
    for (const int64_t width : options.widths) {
      for (const LadderRegime regime : options.regimes) {
        runs.push_back(run_one(train, validation, probes, options, width, seed, regime));
        if (callback) callback(runs.back());
      }
    }
  }
  return runs;
}

void write_cy_width_ladder(Hdf5File& file, const CYWidthLadderOptions& options, const std::vector<CYLadderRun>& runs) {
  file.create_group("ladder");
  file.write_int_attribute("ladder", "depth", options.depth);
  file.write_string_attribute("ladder", "init", ladder_init_name(options.init));
  file.write_string_attribute("ladder", "activation", activation_name(options.activation));
  file.write_string_attribute("ladder", "parameterisation", "ntk");
  file.write_double_attribute("ladder", "sigma_w", options.sigma_w);
  file.write_double_attribute("ladder", "sigma_b", options.sigma_b);
  file.write_double_attribute("ladder", "adam_learning_rate", options.adam_learning_rate);
  file.write_double_attribute("ladder", "sgd_learning_rate", options.sgd_learning_rate);
  file.write_string_attribute("ladder", "schedule", learning_rate_schedule_name(options.schedule));
  file.write_double_attribute("ladder", "min_learning_rate_fraction", options.min_learning_rate_fraction);
  file.write_int_attribute("ladder", "epochs", options.epochs);
  file.write_int_attribute("ladder", "batch_size", options.batch_size);
  file.write_int_attribute("ladder", "eval_every", options.eval_every);
  file.write_int_attribute("ladder", "runs", static_cast<int64_t>(runs.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    const CYLadderRun& run = runs[i];
    const std::string group = "runs/" + std::to_string(i);
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
  }
}

}  // namespace nmflow

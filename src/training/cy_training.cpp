#include "training/cy_training.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ctime>
#include <limits>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "common/chunked.h"
#include "common/error.h"
#include "io/hdf5_file.h"
#include "geometry/kahler/cy_measures.h"

namespace nmflow {

namespace {

double cpu_seconds_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct CYCheckpointProgress {
  int64_t epoch = 0;
  double wall_seconds = 0.0;
  double cpu_seconds = 0.0;
};

// Trainer::save_checkpoint plus the epoch loop's own progress, written aside and renamed so that a kill never leaves
// half a checkpoint.
void save_cy_checkpoint(const Trainer& trainer, const std::string& path, int64_t epoch, double wall, double cpu) {
  const std::string partial = path + ".partial";
  trainer.save_checkpoint(partial);
  {
    Hdf5File file = Hdf5File::open(partial, Hdf5Mode::read_write);
    file.write_int_attribute("/", "cy_epoch", epoch);
    file.write_double_attribute("/", "cy_wall_seconds", wall);
    file.write_double_attribute("/", "cy_cpu_seconds", cpu);
  }
  NMFLOW_CHECK(std::rename(partial.c_str(), path.c_str()) == 0, "cannot write checkpoint '", path, "'");
}

CYCheckpointProgress load_cy_checkpoint(Trainer& trainer, const std::string& path, int64_t steps_per_epoch) {
  NMFLOW_CHECK(!path.empty(), "run_cy_epochs: resume needs options.checkpoint (the checkpoint to continue from)");
  NMFLOW_CHECK(std::ifstream(path).good(), "--resume: no checkpoint '", path,
               "' (a CY run writes one at every evaluation after epoch 0, so at its end and when interrupted)");
  trainer.load_checkpoint(path);
  const Hdf5File file = Hdf5File::open(path);
  NMFLOW_CHECK(file.has_attribute("/", "cy_epoch"), "checkpoint '", path,
               "' was not written by a CY training run (no cy_epoch attribute)");
  CYCheckpointProgress progress;
  progress.epoch = file.read_int_attribute("/", "cy_epoch");
  progress.wall_seconds = file.read_double_attribute("/", "cy_wall_seconds");
  progress.cpu_seconds = file.read_double_attribute("/", "cy_cpu_seconds");
  NMFLOW_CHECK(trainer.steps_done() == progress.epoch * steps_per_epoch, "checkpoint '", path, "' holds ",
               trainer.steps_done(), " steps after ", progress.epoch, " epochs, but this run has ", steps_per_epoch,
               " steps per epoch (training points or batch_size changed?)");
  return progress;
}

}  // namespace

void check_cy_training_options(const CYEpochOptions& options) {
  check_trainer_options(options.trainer);
  NMFLOW_CHECK(options.epochs >= 0, "CY training: epochs must be ≥ 0, got ", options.epochs);
  NMFLOW_CHECK(options.batch_size >= 1, "CY training: batch_size must be ≥ 1, got ", options.batch_size);
  NMFLOW_CHECK(options.max_wall_seconds >= 0.0, "CY training: max_wall_seconds must be ≥ 0, got ",
               options.max_wall_seconds);
  NMFLOW_CHECK(options.eval_every >= 1, "CY training: eval_every must be ≥ 1, got ", options.eval_every);
}

at::Tensor evaluate_phi_model_det(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet) {
  const c10::AutoGradMode no_grad(false);
  return evaluate_in_chunks(points.size(), [&](int64_t start, int64_t len) {
    const at::Tensor ddbar = model.ddbar_phi(input_jet.narrow(0, start, len), PhiJetMethod::WirtingerJet);
    return hermitian_det(points.g_fs.narrow(0, start, len) + ddbar);
  });
}

CYEpochRecord evaluate_phi_model(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet) {
  const CYAccuracy accuracy = cy_accuracy(points.weights, points.omega_sq, evaluate_phi_model_det(model, points, input_jet));
  CYEpochRecord record;
  record.sigma = accuracy.sigma;
  record.kappa = accuracy.kappa;
  return record;
}

CYEpochRecord evaluated_record(const CYEpochRecord& progress, const CYEpochRecord& measured,
                               const TrainerOptions& trainer) {
  if (!std::isfinite(measured.sigma) || !std::isfinite(measured.kappa)) {
    const std::string what = c10::str("sigma = ", measured.sigma, ", kappa = ", measured.kappa,
                                      " on the validation points (not finite)");
    if (progress.steps == 0) throw Error("epoch 0 (the initial model): " + what);
    throw RunDiverged(c10::str("epoch ", progress.epoch, " (step ", progress.steps, "): ", what, "; ",
                               divergence_advice(trainer)));
  }
  CYEpochRecord record = progress;
  record.sigma = measured.sigma;
  record.kappa = measured.kappa;
  return record;
}

void run_cy_epochs(const std::vector<at::Tensor>& parameters, int64_t n_train, const at::Device& device,
                   const CYEpochOptions& options,
                   const std::function<LossValue(const at::Tensor& batch_index)>& batch_loss,
                   const std::function<void(const CYEpochRecord& record)>& on_evaluation) {
  check_cy_training_options(options);
  NMFLOW_CHECK(n_train >= options.batch_size, "run_cy_epochs: batch_size ", options.batch_size, " exceeds the ",
               n_train, " training points");
  const int64_t steps_per_epoch = n_train / options.batch_size;
  at::Tensor permutation;
  at::Tensor batch_index;
  const auto before_step = [&](int64_t step, at::Generator& generator) {
    const int64_t k = step % steps_per_epoch;
    if (k == 0) permutation = at::randperm(n_train, generator, at::TensorOptions().dtype(at::kLong));
    batch_index = permutation.narrow(0, k * options.batch_size, options.batch_size).to(device);
  };
  Trainer trainer(parameters, [&]() { return batch_loss(batch_index); }, options.trainer, before_step);

  double wall = 0.0, cpu = 0.0;
  int64_t first_epoch = 1;
  if (options.resume) {
    const CYCheckpointProgress progress = load_cy_checkpoint(trainer, options.checkpoint, steps_per_epoch);
    first_epoch = progress.epoch + 1;
    wall = progress.wall_seconds;
    cpu = progress.cpu_seconds;
  } else {
    CYEpochRecord initial;
    initial.train_loss = std::numeric_limits<double>::quiet_NaN();
    on_evaluation(initial);
    if (options.stop_requested && options.stop_requested()) return;
  }
  for (int64_t epoch = first_epoch; epoch <= options.epochs; ++epoch) {
    const auto wall_start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds_now();
    double loss_sum = 0.0;
    for (int64_t k = 0; k < steps_per_epoch; ++k) loss_sum += trainer.step().loss;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    cpu += cpu_seconds_now() - cpu_start;
    const bool out_of_time = options.max_wall_seconds > 0.0 && wall >= options.max_wall_seconds;
    if (epoch % options.eval_every == 0 || epoch == options.epochs || out_of_time) {
      CYEpochRecord record;
      record.epoch = epoch;
      record.steps = trainer.steps_done();
      record.wall_seconds = wall;
      record.cpu_seconds = cpu;
      record.train_loss = loss_sum / static_cast<double>(steps_per_epoch);
      if (!options.checkpoint.empty()) save_cy_checkpoint(trainer, options.checkpoint, epoch, wall, cpu);
      on_evaluation(record);
      if (options.stop_requested && options.stop_requested()) break;
    }
    if (out_of_time) break;
  }
}

std::vector<CYEpochRecord> train_phi_model(KahlerPhiModel& model, const CYPointSet& train,
                                           const CYPointSet& validation, const CYTrainingOptions& options,
                                           const std::function<void(const CYEpochRecord&)>& callback) {
  check_cy_training_options(options);
  const at::ScalarType dtype = model.config().dtype;
  const at::Tensor train_jet = phi_input_jet(model.config().inputs, train, dtype);
  const at::Tensor validation_jet = phi_input_jet(model.config().inputs, validation, dtype);
  const double kappa = fubini_study_kappa(train);
  const auto batch_loss = [&](const at::Tensor& batch_index) {
    const CYPointSet batch = select_cy_points(train, batch_index);
    const at::Tensor jet = options.method == PhiJetMethod::Autograd ? at::Tensor()
                                                                     : train_jet.index_select(0, batch_index);
    const at::Tensor det_g = phi_model_det(model, batch, jet, options.method);
    return monge_ampere_loss(det_g, batch.omega_sq, batch.weights, kappa, options.weighting, options.kappa);
  };
  std::vector<CYEpochRecord> records;
  const auto on_evaluation = [&](const CYEpochRecord& progress) {
    const CYEpochRecord record =
        evaluated_record(progress, evaluate_phi_model(model, validation, validation_jet), options.trainer);
    records.push_back(record);
    if (callback) callback(record);
  };
  run_cy_epochs(model.parameters(), train.size(), train.z.device(), options, batch_loss, on_evaluation);
  return records;
}

}  // namespace nmflow

#include "flows/cy_free_training.h"

#include <chrono>
#include <ctime>
#include <limits>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "common/error.h"
#include "flows/trainer.h"
#include "geometry/kahler/cy_measures.h"

namespace nmflow {

namespace {

constexpr int64_t kEvalChunk = 4096;

double cpu_seconds_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

void run_cy_epochs(const std::vector<at::Tensor>& parameters, int64_t n_train, const at::Device& device,
                   const CYTrainingOptions& options,
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

  CYEpochRecord initial;
  initial.train_loss = std::numeric_limits<double>::quiet_NaN();
  on_evaluation(initial);
  double wall = 0.0, cpu = 0.0;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
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
      on_evaluation(record);
    }
    if (out_of_time) break;
  }
}

FreeCYEpochRecord evaluate_free_metric(const FreeCYMetric& model, const FreeMetricData& data) {
  const c10::AutoGradMode no_grad(false);
  const int64_t m = model.dim();
  std::vector<at::Tensor> dets;
  double kahler_sum = 0.0, transition_sum = 0.0;
  for (int64_t start = 0; start < data.size(); start += kEvalChunk) {
    const int64_t len = std::min(kEvalChunk, data.size() - start);
    const at::Tensor index = at::arange(start, start + len, at::TensorOptions().dtype(at::kLong)).to(
        data.g_fs.device());
    const FreeMetricData chunk = data.select(index);
    const HermitianJet jet = model.metric_jet(chunk.input_jet, chunk.g_fs, chunk.dg_fs);
    dets.push_back(hermitian_det(jet.g));
    kahler_sum += kahler_loss(jet.dg).terms.front().second * static_cast<double>(len);
    const at::Tensor g_alt = model.metric(chunk.alt_inputs.flatten(0, 1), chunk.alt_g_fs.flatten(0, 1));
    transition_sum += transition_loss(g_alt, jet.g.repeat_interleave(m, 0), chunk.jacobian.flatten(0, 1))
                          .terms.front()
                          .second *
                      static_cast<double>(len);
  }
  const CYAccuracy accuracy = cy_accuracy(data.weights, data.omega_sq, at::cat(dets, 0));
  FreeCYEpochRecord record;
  record.cy.sigma = accuracy.sigma;
  record.cy.kappa = accuracy.kappa;
  record.kahler = kahler_sum / static_cast<double>(data.size());
  record.transition = transition_sum / static_cast<double>(data.size());
  return record;
}

std::vector<FreeCYEpochRecord> train_free_metric(FreeCYMetric& model, const FreeMetricData& train,
                                                 const FreeMetricData& validation, double kappa,
                                                 const FreeCYTrainingOptions& options,
                                                 const std::function<void(const FreeCYEpochRecord&)>& callback) {
  const FreeLossWeights weights{options.alpha_kahler, options.alpha_transition, options.cy.weighting};
  std::vector<FreeCYEpochRecord> records;
  run_cy_epochs(
      model.parameters(), train.size(), train.g_fs.device(), options.cy,
      [&](const at::Tensor& batch_index) {
        return free_metric_loss(model, train.select(batch_index), kappa, weights);
      },
      [&](const CYEpochRecord& timing) {
        FreeCYEpochRecord record = evaluate_free_metric(model, validation);
        const CYEpochRecord measured = record.cy;
        record.cy = timing;
        record.cy.sigma = measured.sigma;
        record.cy.kappa = measured.kappa;
        records.push_back(record);
        if (callback) callback(record);
      });
  return records;
}

}  // namespace nmflow

#include "training/cy_free_training.h"

#include <limits>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "common/chunked.h"
#include "common/error.h"
#include "training/trainer.h"
#include "geometry/kahler/cy_measures.h"

namespace nmflow {

namespace {

// The free model's per-point data (every chart's inputs and Jacobians) is several times the phi-model's.
constexpr int64_t kEvalChunk = 4096;

}  // namespace

FreeCYEpochRecord evaluate_free_metric(const FreeCYMetric& model, const FreeMetricData& data) {
  const c10::AutoGradMode no_grad(false);
  const int64_t m = model.dim();
  double kahler_sum = 0.0, transition_sum = 0.0;
  const auto chunk_det = [&](int64_t start, int64_t len) {
    const at::Tensor index = at::arange(start, start + len, at::TensorOptions().dtype(at::kLong)).to(
        data.g_fs.device());
    const FreeMetricData chunk = data.select(index);
    const HermitianJet jet = model.metric_jet(chunk.input_jet, chunk.g_fs, chunk.dg_fs);
    kahler_sum += kahler_loss(jet.dg).terms.front().second * static_cast<double>(len);
    const at::Tensor g_alt = model.metric(chunk.alt_inputs.flatten(0, 1), chunk.alt_g_fs.flatten(0, 1));
    transition_sum += transition_loss(g_alt, jet.g.repeat_interleave(m, 0), chunk.jacobian.flatten(0, 1))
                          .terms.front()
                          .second *
                      static_cast<double>(len);
    return hermitian_det(jet.g);
  };
  const at::Tensor det_g = evaluate_in_chunks(data.size(), chunk_det, kEvalChunk);
  const CYAccuracy accuracy = cy_accuracy(data.weights, data.omega_sq, det_g);
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
  const FreeLossWeights weights{options.alpha_kahler, options.alpha_transition, options.weighting, options.kappa};
  std::vector<FreeCYEpochRecord> records;
  run_cy_epochs(
      model.parameters(), train.size(), train.g_fs.device(), options,
      [&](const at::Tensor& batch_index) {
        return free_metric_loss(model, train.select(batch_index), kappa, weights);
      },
      [&](const CYEpochRecord& timing) {
        FreeCYEpochRecord record = evaluate_free_metric(model, validation);
        record.cy = evaluated_record(timing, record.cy, options.trainer);
        records.push_back(record);
        if (callback) callback(record);
      });
  return records;
}

}  // namespace nmflow

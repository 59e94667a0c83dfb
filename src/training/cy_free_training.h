#pragma once
// Training the free CY metric models (models/free_cy_metric.h) with L = L_MA + α_K L_K + α_T L_T
// (training/cy_free_losses.h; docs/cy_training.md, "Free metric models"): minibatch Adam over a fixed training set,
// σ, L_K and L_T on held-out points every `eval_every` epochs — the φ-model's protocol (cy_training.h), so the two
// compare at equal budgets.
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "training/cy_free_losses.h"
#include "training/cy_training.h"
#include "training/losses.h"
#include "models/free_cy_metric.h"

namespace nmflow {

// The epoch loop (optimiser, epochs, batch, eval_every, max_wall_seconds, checkpoint/resume/stop) and the loss.
// Every option is read: a free model has no φ, so the φ-model's PhiJetMethod has no place here.
struct FreeCYTrainingOptions : CYEpochOptions {
  MongeAmpereWeighting weighting = MongeAmpereWeighting::Weighted;
  MongeAmpereKappa kappa = MongeAmpereKappa::TrainingSet;  // κ of L_MA: the `kappa` argument, or κ_b per batch
  double alpha_kahler = 1.0;      // α_K
  double alpha_transition = 1.0;  // α_T
};

struct FreeCYEpochRecord {
  CYEpochRecord cy;         // epoch, steps, times, mean train loss, σ and κ on the validation set
  double kahler = 0.0;      // L_K on the validation set
  double transition = 0.0;  // L_T on the validation set
};

// σ, κ, L_K and L_T of the model on `data` (no graph; in chunks).
FreeCYEpochRecord evaluate_free_metric(const FreeCYMetric& model, const FreeMetricData& data);

// Trains `model` in place; κ of the loss is `kappa` (fubini_study_kappa of the training points), or the batch's κ_b
// with options.kappa = Batch (cy_losses.h).
std::vector<FreeCYEpochRecord> train_free_metric(FreeCYMetric& model, const FreeMetricData& train,
                                                 const FreeMetricData& validation, double kappa,
                                                 const FreeCYTrainingOptions& options,
                                                 const std::function<void(const FreeCYEpochRecord&)>& callback = {});

}  // namespace nmflow

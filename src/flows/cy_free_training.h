#pragma once
// Training the free CY metric models (models/free_cy_metric.h) with L = L_MA + α_K L_K + α_T L_T
// (flows/cy_free_losses.h; docs/cy_training.md, "Free metric models"): minibatch Adam over a fixed training set,
// σ, L_K and L_T on held-out points every `eval_every` epochs — the φ-model's protocol (cy_training.h), so the two
// compare at equal budgets.
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "flows/cy_free_losses.h"
#include "flows/cy_training.h"
#include "flows/losses.h"
#include "models/free_cy_metric.h"

namespace nmflow {

// The minibatch epoch loop shared by CY trainings: `options.trainer` through Trainer, ⌊n_train/batch⌋ steps per
// epoch over a fresh permutation drawn from the trainer's seeded generator, `batch_loss` given the batch's row
// indices [batch] int64 (on `device`). `on_evaluation` is called before training (epoch 0) and after every
// eval_every-th epoch, the last one, and the first one that ends past max_wall_seconds, with epoch, steps,
// wall/CPU seconds of training (evaluation excluded) and the epoch's mean loss filled in (σ, κ left to the caller).
// options.method is not read.
void run_cy_epochs(const std::vector<at::Tensor>& parameters, int64_t n_train, const at::Device& device,
                   const CYTrainingOptions& options,
                   const std::function<LossValue(const at::Tensor& batch_index)>& batch_loss,
                   const std::function<void(const CYEpochRecord& record)>& on_evaluation);

struct FreeCYTrainingOptions {
  CYTrainingOptions cy;           // optimiser, epochs, batch, weighting, eval_every, max_wall_seconds
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

// Trains `model` in place; κ of the loss is `kappa` (fubini_study_kappa of the training points).
std::vector<FreeCYEpochRecord> train_free_metric(FreeCYMetric& model, const FreeMetricData& train,
                                                 const FreeMetricData& validation, double kappa,
                                                 const FreeCYTrainingOptions& options,
                                                 const std::function<void(const FreeCYEpochRecord&)>& callback = {});

}  // namespace nmflow

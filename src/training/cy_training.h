#pragma once
// Training the Kähler φ-model on a Calabi–Yau hypersurface with the Monge–Ampère loss (docs/design.md §3, §8;
// docs/cy_training.md): minibatch Adam (or any Trainer optimiser) over a fixed training set, σ measured on
// held-out points after every `eval_every` epochs, with the wall and CPU time spent training.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "training/cy_losses.h"
#include "training/trainer.h"
#include "geometry/kahler/cy_point_set.h"
#include "models/kahler_phi_model.h"

namespace nmflow {

// The minibatch epoch loop shared by the CY trainings (run_cy_epochs): what every model's training reads.
struct CYEpochOptions {
  TrainerOptions trainer;  // optimiser (Adam for accuracy runs), learning rate and schedule in steps
  int64_t epochs = 10;
  int64_t batch_size = 2000;  // points per step; an epoch is ⌊n_train/batch⌋ steps over a fresh permutation
  int64_t eval_every = 1;  // σ on the validation set after every this many epochs (and before training)
  double max_wall_seconds = 0.0;  // > 0: stop (with a final σ) after the first epoch that ends past this budget
  // Non-empty: a checkpoint (Trainer state + epoch and training time so far) is written there, atomically, before
  // every evaluation after epoch 0 — so an interrupted or crashed run keeps its last evaluated epoch.
  std::string checkpoint;
  // Continue from `checkpoint` instead of starting fresh: parameters, optimiser state, generator, epoch count and
  // training time are restored; the loop runs on to `epochs` (which may be larger than the original run's) and
  // reproduces an uninterrupted run bit for bit on the CPU. No epoch-0 evaluation is made.
  bool resume = false;
  // Checked after every evaluation (epoch 0 included); true ends training there, as a completed run would (the
  // checkpoint of that evaluation is on disk).
  std::function<bool()> stop_requested;
};

// The φ-model's training: the loop and its loss. (The free models take their own, training/cy_free_training.h:
// they have no φ, so no PhiJetMethod.)
struct CYTrainingOptions : CYEpochOptions {
  MongeAmpereWeighting weighting = MongeAmpereWeighting::Weighted;
  MongeAmpereKappa kappa = MongeAmpereKappa::TrainingSet;  // κ of the loss: fixed (FS, training set) or per batch
  PhiJetMethod method = PhiJetMethod::WirtingerJet;  // how the training loss gets ∂∂̄φ
};

void check_cy_training_options(const CYEpochOptions& options);

struct CYEpochRecord {
  int64_t epoch = 0;           // epochs done (0: before training)
  int64_t steps = 0;           // optimiser steps done
  double wall_seconds = 0.0;   // training time so far (σ evaluations excluded)
  double cpu_seconds = 0.0;    // process CPU time spent training so far (all threads)
  double train_loss = 0.0;     // mean minibatch loss of this epoch (NaN for epoch 0)
  double sigma = 0.0;          // σ on the validation set (cy_accuracy)
  double kappa = 0.0;          // Vol_K/Vol_CY of the model on the validation set
};

// det g = det(g_FS + ∂∂̄φ) of the model on `points` (no graph; in chunks of kEvaluationChunk), [B] float64.
// input_jet: phi_input_jet(points) in the model's dtype.
at::Tensor evaluate_phi_model_det(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet);

// σ and κ of the model's metric on `points` (no graph; in chunks). input_jet: phi_input_jet(points) in the model's
// dtype.
CYEpochRecord evaluate_phi_model(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet);

// The record of an evaluation: `progress` as run_cy_epochs passes it (epoch, steps, wall/CPU seconds, mean loss)
// with σ and κ from `measured`. A σ or κ that is not finite stops the training: nmflow::Error at epoch 0 (the
// initial model cannot be trained), RunDiverged afterwards with the advice of `trainer` (lower the rate or clip).
CYEpochRecord evaluated_record(const CYEpochRecord& progress, const CYEpochRecord& measured,
                               const TrainerOptions& trainer);

// The minibatch epoch loop shared by CY trainings: `options.trainer` through Trainer, ⌊n_train/batch⌋ steps per
// epoch over a fresh permutation drawn from the trainer's seeded generator, `batch_loss` given the batch's row
// indices [batch] int64 (on `device`). `on_evaluation` is called before training (epoch 0) and after every
// eval_every-th epoch, the last one, and the first one that ends past max_wall_seconds, with epoch, steps,
// wall/CPU seconds of training (evaluation excluded) and the epoch's mean loss filled in (σ, κ left to the caller).
// Writes options.checkpoint and honours options.resume (see CYEpochOptions).
void run_cy_epochs(const std::vector<at::Tensor>& parameters, int64_t n_train, const at::Device& device,
                   const CYEpochOptions& options,
                   const std::function<LossValue(const at::Tensor& batch_index)>& batch_loss,
                   const std::function<void(const CYEpochRecord& record)>& on_evaluation);

// Trains `model` in place. κ of the loss is fubini_study_kappa(train). Returns the record after epoch 0 (before
// training) and after every eval_every-th epoch (and the last); `callback` sees each as it is made.
std::vector<CYEpochRecord> train_phi_model(KahlerPhiModel& model, const CYPointSet& train,
                                           const CYPointSet& validation, const CYTrainingOptions& options,
                                           const std::function<void(const CYEpochRecord&)>& callback = {});

}  // namespace nmflow

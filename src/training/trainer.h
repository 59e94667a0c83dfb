#pragma once
// Trainer: the neural metric flow (docs/design.md §4, seed eq. 18). Each step evaluates a loss of the parameters,
// takes its gradient by autograd and moves the parameters with the chosen optimiser. With plain gradient descent at
// rate η this is the explicit Euler step of ∂_t θ = −∇_θ L, so the flow time is t = Σ_k η_k (= η × steps at a
// constant rate); the trainer records t for every optimiser, though only for gradient descent is it a flow time.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include "common/config_enums.h"
#include "training/losses.h"
#include "training/optimizers.h"

namespace nmflow {

// "constant" | "exponential" | "cosine"; throws nmflow::Error naming the allowed values.
LearningRateSchedule parse_learning_rate_schedule(const std::string& name);
std::string learning_rate_schedule_name(LearningRateSchedule schedule);

struct TrainerOptions {
  OptimizerOptions optimizer;
  double learning_rate = 1e-3;  // η₀ (L-BFGS: the first trial step of its line search)
  // η_k at step k = 0, 1, …:
  //   constant     η₀
  //   exponential  η₀ · decay_rate^k
  //   cosine       η_min + ½(η₀ − η_min)(1 + cos(π min(k, K)/K)), K = schedule_steps
  LearningRateSchedule schedule = LearningRateSchedule::Constant;
  double decay_rate = 1.0;            // exponential; in (0, 1]
  int64_t schedule_steps = 0;         // cosine; > 0
  double min_learning_rate = 0.0;     // cosine; in [0, η₀]
  double clip_grad_norm = 0.0;        // > 0: rescale the gradient to this global 2-norm when larger (not L-BFGS)
  uint64_t seed = 0;                  // of the trainer's CPU generator (for resampling hooks)
};

void check_trainer_options(const TrainerOptions& options);

// Full-batch gradient descent at `learning_rate`, everything else default: the options of a metric flow
// (flow time = learning rate × steps).
TrainerOptions gradient_descent_options(double learning_rate);

// What one step did, for the recorder (CLI, HDF5 writer).
struct StepRecord {
  int64_t step = 0;             // index of this step (0-based)
  double time = 0.0;            // flow time after the step, Σ η
  double learning_rate = 0.0;   // η of this step
  double loss = 0.0;            // loss at the parameters before the step
  double grad_norm = 0.0;       // global 2-norm of the gradient before clipping
  std::vector<std::pair<std::string, double>> terms;  // the loss's terms before the step
};

class Trainer {
 public:
  // The loss at the current parameters (differentiable in them).
  using LossFn = std::function<LossValue()>;
  // Called at the start of every step with its index and the trainer's generator, e.g. to resample points.
  using BeforeStepFn = std::function<void(int64_t step, at::Generator& generator)>;
  using CallbackFn = std::function<void(const StepRecord&)>;

  // parameters: leaf tensors with requires_grad (e.g. NeuralMetric::parameters()), updated in place.
  Trainer(std::vector<at::Tensor> parameters, LossFn loss, TrainerOptions options, BeforeStepFn before_step = {});

  // One optimiser step. A loss term or gradient that is NaN/Inf, or a LibTorch error while evaluating the loss (a
  // metric that is no longer positive definite fails its Cholesky factorisation), throws through fail(), leaving
  // the parameters as they were before the step.
  StepRecord step();
  // `steps` steps, calling `callback` (if set) after each.
  void run(int64_t steps, const CallbackFn& callback = {});

  int64_t steps_done() const { return step_; }
  double time() const { return time_; }
  double learning_rate_at(int64_t step) const;
  at::Generator& generator() { return generator_; }

  // The one error for a failure at the current parameters, `quantity` naming what failed: RunDiverged naming the
  // step and the optimiser.lr to lower once updates were taken (they left the region where the metric is valid);
  // at step 0, before any update, a plain Error about the starting parameters.
  [[noreturn]] void fail(const std::string& quantity) const;
  // Runs `evaluate` (the loss, or an observation of the metric at the current parameters); a LibTorch error it
  // throws goes through fail().
  template <class F>
  auto guarded(F&& evaluate) const -> decltype(evaluate());

  // Checkpoint (HDF5, docs/losses.md): parameters, optimiser state, step, flow time and the generator state, so that
  // load_checkpoint + run continues an interrupted run bit for bit (CPU). Parameters that are not finite are never
  // saved: fail() instead, so the last checkpoint stays the last good state.
  void save_checkpoint(const std::string& path) const;
  // Restores into this trainer, which must have the same optimiser kind and parameter shapes.
  void load_checkpoint(const std::string& path);

 private:
  std::vector<at::Tensor> parameters_;
  LossFn loss_;
  TrainerOptions options_;
  BeforeStepFn before_step_;
  Optimizer optimizer_;
  at::Generator generator_;
  int64_t step_ = 0;
  double time_ = 0.0;
};

// "the run diverged — lower optimizer.lr (… now) or set optimizer.clip": what a diverged run's message tells the user
// to change (the clip only when none is set).
std::string divergence_advice(const TrainerOptions& options);

// What a LibTorch error says went wrong, for Trainer::fail: a Cholesky failure as the metric that is not positive
// definite, anything else as its first line.
std::string torch_failure_quantity(const c10::Error& error);

template <class F>
auto Trainer::guarded(F&& evaluate) const -> decltype(evaluate()) {
  try {
    return evaluate();
  } catch (const c10::Error& error) {
    fail(torch_failure_quantity(error));
  }
}

}  // namespace nmflow

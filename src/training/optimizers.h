#pragma once
// The optimisers of the neural metric flow (docs/design.md §4): plain gradient descent (the flow proper), Adam and
// L-BFGS, written over at::Tensor so that their whole state is a list of tensors that a checkpoint can store and
// restore bit for bit (LibTorch's torch::optim would pull the torch/nn headers and its own archive format in).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"

namespace nmflow {

// OptimizerKind and its name table (sgd, adam, lbfgs): common/config_enums.h.

// "sgd" | "adam" | "lbfgs"; throws nmflow::Error naming the allowed values.
OptimizerKind parse_optimizer(const std::string& name);
std::string optimizer_name(OptimizerKind kind);

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::GradientDescent;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  int64_t lbfgs_history = 10;       // stored (s, y) pairs
  int64_t lbfgs_line_search = 20;   // at most this many Armijo halvings per step
  double lbfgs_armijo = 1e-4;       // sufficient decrease constant c₁
};

void check_optimizer_options(const OptimizerOptions& options);

// The optimiser's state as named tensors (for checkpoints). Keys are fixed by each kind.
using OptimizerState = std::map<std::string, at::Tensor>;

class Optimizer {
 public:
  // Evaluates the loss at the current parameters without building a graph (L-BFGS's line search).
  using LossOnly = std::function<double()>;

  Optimizer(std::vector<at::Tensor> parameters, OptimizerOptions options);

  // One update with learning rate lr from the gradients `grads` (one per parameter, same shapes) of the loss
  // `loss` at the current parameters:
  //   gradient descent  θ ← θ − lr g
  //   Adam              m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵏ), v̂ = v/(1−β₂ᵏ)
  //                     (Kingma–Ba; the same arithmetic as torch.optim.Adam's defaults)
  //   L-BFGS            d = −H g by the two-loop recursion over the last pairs s = Δθ, y = Δg (H₀ = (s·y/y·y) I;
  //                     first step d = −g/max(1, |g|₁)); θ ← θ + α d with α = lr, halved until the Armijo condition
  //                     loss(θ + αd) ≤ loss + c₁ α g·d holds (α = 0: no move, after lbfgs_line_search halvings).
  void step(double lr, const std::vector<at::Tensor>& grads, double loss, const LossOnly& loss_only);

  const OptimizerOptions& options() const { return options_; }
  OptimizerState state() const;
  // Restores a state returned by state() of an optimiser of the same kind over parameters of the same shapes.
  void load_state(const OptimizerState& state);

 private:
  std::vector<at::Tensor> parameters_;
  OptimizerOptions options_;
  int64_t adam_steps_ = 0;
  std::vector<at::Tensor> adam_m_, adam_v_;
  std::vector<at::Tensor> lbfgs_s_, lbfgs_y_;  // flat [P] pairs, oldest first
  at::Tensor lbfgs_previous_params_, lbfgs_previous_grad_;  // flat [P]; undefined before the first step
};

}  // namespace nmflow

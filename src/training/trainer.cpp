#include "training/trainer.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/enum_names.h"
#include "common/error.h"
#include "io/hdf5_file.h"

namespace nmflow {

LearningRateSchedule parse_learning_rate_schedule(const std::string& name) {
  return parse_enum(kLearningRateScheduleNames, name, "learning-rate schedule");
}

std::string learning_rate_schedule_name(LearningRateSchedule value) {
  return enum_name(kLearningRateScheduleNames, value);
}

TrainerOptions gradient_descent_options(double learning_rate) {
  TrainerOptions options;
  options.optimizer.kind = OptimizerKind::GradientDescent;
  options.learning_rate = learning_rate;
  return options;
}

void check_trainer_options(const TrainerOptions& o) {
  check_optimizer_options(o.optimizer);
  NMFLOW_CHECK(o.learning_rate > 0.0 && std::isfinite(o.learning_rate), "learning_rate must be positive; got ",
               o.learning_rate);
  NMFLOW_CHECK(o.decay_rate > 0.0 && o.decay_rate <= 1.0, "decay_rate must be in (0, 1]; got ", o.decay_rate);
  NMFLOW_CHECK(o.schedule != LearningRateSchedule::Cosine || o.schedule_steps > 0,
               "the cosine schedule needs schedule_steps > 0; got ", o.schedule_steps);
  NMFLOW_CHECK(o.min_learning_rate >= 0.0 && o.min_learning_rate <= o.learning_rate,
               "min_learning_rate must be in [0, learning_rate = ", o.learning_rate, "]; got ", o.min_learning_rate);
  NMFLOW_CHECK(o.clip_grad_norm >= 0.0, "clip_grad_norm must be ≥ 0 (0 = off); got ", o.clip_grad_norm);
  NMFLOW_CHECK(o.clip_grad_norm == 0.0 || o.optimizer.kind != OptimizerKind::Lbfgs,
               "clip_grad_norm is not used with lbfgs (its line search sets the step); set it to 0");
}

Trainer::Trainer(std::vector<at::Tensor> parameters, LossFn loss, TrainerOptions options, BeforeStepFn before_step)
    : parameters_(parameters),
      loss_(std::move(loss)),
      options_(options),
      before_step_(std::move(before_step)),
      optimizer_(std::move(parameters), options.optimizer),
      generator_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {
  check_trainer_options(options_);
  NMFLOW_CHECK(static_cast<bool>(loss_), "Trainer: no loss function given");
  for (size_t i = 0; i < parameters_.size(); ++i) {
    NMFLOW_CHECK(parameters_[i].requires_grad(), "Trainer: parameter ", i, " does not require grad");
  }
}

double Trainer::learning_rate_at(int64_t step) const {
  const double lr = options_.learning_rate;
  switch (options_.schedule) {
    case LearningRateSchedule::Constant: return lr;
    case LearningRateSchedule::Exponential: return lr * std::pow(options_.decay_rate, static_cast<double>(step));
    case LearningRateSchedule::Cosine: {
      const double k = static_cast<double>(std::min(step, options_.schedule_steps));
      const double lo = options_.min_learning_rate;
      return lo + 0.5 * (lr - lo) * (1.0 + std::cos(M_PI * k / static_cast<double>(options_.schedule_steps)));
    }
  }
  return lr;
}

std::string torch_failure_quantity(const c10::Error& error) {
  std::string message = error.what_without_backtrace();
  if (message.find("positive-definite") != std::string::npos) {
    return "the metric is not positive definite at some point (its Cholesky factorisation failed)";
  }
  message = message.substr(0, message.find('\n'));
  return "evaluating the metric failed (" + message + ")";
}

std::string divergence_advice(const TrainerOptions& options) {
  return c10::str("the run diverged — lower optimizer.lr (", options.learning_rate, " now)",
                  options.clip_grad_norm > 0.0 ? "" : " or set optimizer.clip");
}

void Trainer::fail(const std::string& quantity) const {
  if (step_ == 0) {
    throw Error(c10::str("training step 0 (the initial parameters): ", quantity,
                         "; the run cannot start from this network (check the model's initialisation, e.g. "
                         "model.init_scale, and the starting metric)"));
  }
  throw RunDiverged(c10::str("training step ", step_, ": ", quantity, "; ", divergence_advice(options_),
                             " (a checkpoint only ever holds finite parameters)"));
}

StepRecord Trainer::step() {
  if (before_step_) before_step_(step_, generator_);
  StepRecord record;
  record.step = step_;
  std::vector<at::Tensor> grads;
  guarded([&] {
    const LossValue loss = loss_();
    NMFLOW_CHECK(loss.total.defined() && loss.total.numel() == 1, "Trainer: the loss must be a single number");
    record.loss = loss.total.detach().item<double>();
    record.terms = loss.terms;
    for (const auto& [name, value] : loss.terms) {
      if (!std::isfinite(value)) fail(c10::str("loss term '", name, "' is ", value, " (not finite)"));
    }
    if (!std::isfinite(record.loss)) fail(c10::str("the total loss is ", record.loss, " (not finite)"));
    grads = torch::autograd::grad({loss.total}, parameters_, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                  /*create_graph=*/false, /*allow_unused=*/true);
  });
  // Each parameter's Σ g² on its device, brought to the host in one transfer (not one sync per tensor), then summed
  // in parameter order.
  std::vector<at::Tensor> squares;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) grads[i] = at::zeros_like(parameters_[i]);
    squares.push_back(grads[i].square().sum());
  }
  double norm2 = 0.0;
  if (!squares.empty()) {
    const at::Tensor host = at::stack(squares).to(at::kCPU, at::kDouble).contiguous();
    const double* values = host.data_ptr<double>();
    for (int64_t i = 0; i < host.numel(); ++i) norm2 += values[i];
  }
  record.grad_norm = std::sqrt(norm2);
  if (!std::isfinite(record.grad_norm)) {
    fail(c10::str("the gradient norm is ", record.grad_norm, " although every loss term is finite"));
  }
  if (options_.clip_grad_norm > 0.0 && record.grad_norm > options_.clip_grad_norm) {
    const double scale = options_.clip_grad_norm / record.grad_norm;
    for (at::Tensor& g : grads) g = g * scale;
  }
  record.learning_rate = learning_rate_at(step_);
  const auto loss_only = [this]() {
    const at::NoGradGuard no_grad;
    return loss_().total.item<double>();
  };
  guarded([&] { optimizer_.step(record.learning_rate, grads, record.loss, loss_only); });
  time_ += record.learning_rate;
  ++step_;
  record.time = time_;
  return record;
}

void Trainer::run(int64_t steps, const CallbackFn& callback) {
  NMFLOW_CHECK(steps >= 0, "Trainer::run: steps must be ≥ 0; got ", steps);
  for (int64_t k = 0; k < steps; ++k) {
    const StepRecord record = step();
    if (callback) callback(record);
  }
}

void Trainer::save_checkpoint(const std::string& path) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (!at::isfinite(parameters_[i].detach()).all().item<bool>()) {
      fail(c10::str("parameter ", i, " holds a non-finite value after the update (no checkpoint written)"));
    }
  }
  Hdf5File file = Hdf5File::create(path);
  file.write_string_attribute("/", "optimizer", optimizer_name(options_.optimizer.kind));
  file.write_int_attribute("/", "step", step_);
  file.write_double_attribute("/", "time", time_);
  file.write_int_attribute("/", "parameter_count", static_cast<int64_t>(parameters_.size()));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    file.write_tensor("parameters/" + std::to_string(i), parameters_[i].detach());
  }
  file.create_group("optimizer");
  for (const auto& [key, tensor] : optimizer_.state()) {
    file.write_tensor("optimizer/" + key, tensor);
  }
  // The generator state is a byte tensor; HDF5 stores it as int64.
  file.write_tensor("rng_state", generator_.get_state().to(at::kLong));
}

void Trainer::load_checkpoint(const std::string& path) {
  const Hdf5File file = Hdf5File::open(path);
  const std::string kind = file.read_string_attribute("/", "optimizer");
  NMFLOW_CHECK(kind == optimizer_name(options_.optimizer.kind), "checkpoint ", path, " was written by optimizer '",
               kind, "', this trainer uses '", optimizer_name(options_.optimizer.kind), "'");
  const int64_t count = file.read_int_attribute("/", "parameter_count");
  NMFLOW_CHECK(count == static_cast<int64_t>(parameters_.size()), "checkpoint ", path, " holds ", count,
               " parameters, this trainer has ", parameters_.size());
  // Whatever state save_checkpoint wrote (the optimiser's own keys); load_state checks it against the kind.
  OptimizerState state;
  for (const std::string& key : file.members("optimizer")) state[key] = file.read_tensor("optimizer/" + key);
  {
    const at::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const at::Tensor saved = file.read_tensor("parameters/" + std::to_string(i));
      NMFLOW_CHECK(saved.sizes() == parameters_[i].sizes(), "checkpoint ", path, ": parameter ", i, " has shape ",
                   saved.sizes(), ", this trainer's has ", parameters_[i].sizes());
      parameters_[i].copy_(saved);
    }
  }
  optimizer_.load_state(state);
  generator_.set_state(file.read_tensor("rng_state").to(at::kByte));
  step_ = file.read_int_attribute("/", "step");
  time_ = file.read_double_attribute("/", "time");
}

}  // namespace nmflow

#include "training/optimizers.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "common/enum_names.h"
#include "common/error.h"

namespace nmflow {

namespace {


}  // namespace

OptimizerKind parse_optimizer(const std::string& name) { return parse_enum(kOptimizerKindNames, name, "optimizer"); }

std::string optimizer_name(OptimizerKind value) { return enum_name(kOptimizerKindNames, value); }

void check_optimizer_options(const OptimizerOptions& o) {
  NMFLOW_CHECK(o.adam_beta1 >= 0.0 && o.adam_beta1 < 1.0, "adam_beta1 must be in [0, 1); got ", o.adam_beta1);
  NMFLOW_CHECK(o.adam_beta2 >= 0.0 && o.adam_beta2 < 1.0, "adam_beta2 must be in [0, 1); got ", o.adam_beta2);
  NMFLOW_CHECK(o.adam_epsilon > 0.0, "adam_epsilon must be > 0; got ", o.adam_epsilon);
  NMFLOW_CHECK(o.lbfgs_history >= 1, "lbfgs_history must be ≥ 1; got ", o.lbfgs_history);
  NMFLOW_CHECK(o.lbfgs_line_search >= 0, "lbfgs_line_search must be ≥ 0; got ", o.lbfgs_line_search);
  NMFLOW_CHECK(o.lbfgs_armijo > 0.0 && o.lbfgs_armijo < 1.0, "lbfgs_armijo must be in (0, 1); got ",
               o.lbfgs_armijo);
}

Optimizer::Optimizer(std::vector<at::Tensor> parameters, OptimizerOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  check_optimizer_options(options_);
  NMFLOW_CHECK(!parameters_.empty(), "Optimizer: no parameters to optimise");
  if (options_.kind == OptimizerKind::Adam) {
    for (const at::Tensor& p : parameters_) {
      adam_m_.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous));
      adam_v_.push_back(at::zeros_like(p, at::MemoryFormat::Contiguous));
    }
  }
}

namespace {

at::Tensor flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor& t : tensors) flat.push_back(t.detach().reshape(-1));
  return at::cat(flat);
}

void assign_flat(const std::vector<at::Tensor>& parameters, const at::Tensor& flat) {
  const at::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const at::Tensor& p : parameters) {
    const int64_t count = p.numel();
    p.copy_(flat.slice(0, offset, offset + count).view_as(p));
    offset += count;
  }
}

double dot_value(const at::Tensor& a, const at::Tensor& b) { return at::dot(a, b).item<double>(); }

}  // namespace

void Optimizer::step(double lr, const std::vector<at::Tensor>& grads, double loss, const LossOnly& loss_only) {
  NMFLOW_CHECK(grads.size() == parameters_.size(), "Optimizer::step: ", grads.size(), " gradients for ",
               parameters_.size(), " parameters");
  NMFLOW_CHECK(lr > 0.0 && std::isfinite(lr), "Optimizer::step: learning rate must be positive; got ", lr);
  if (options_.kind == OptimizerKind::GradientDescent) {
    const at::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].sub_(lr * grads[i]);
    return;
  }
  if (options_.kind == OptimizerKind::Adam) {
    const at::NoGradGuard no_grad;
    ++adam_steps_;
    const double b1 = options_.adam_beta1, b2 = options_.adam_beta2;
    const double correction1 = 1.0 - std::pow(b1, static_cast<double>(adam_steps_));
    const double correction2 = 1.0 - std::pow(b2, static_cast<double>(adam_steps_));
    for (size_t i = 0; i < parameters_.size(); ++i) {
      adam_m_[i].mul_(b1).add_(grads[i], 1.0 - b1);
      adam_v_[i].mul_(b2).addcmul_(grads[i], grads[i], 1.0 - b2);
      const at::Tensor denominator = (adam_v_[i] / correction2).sqrt_().add_(options_.adam_epsilon);
      parameters_[i].addcdiv_(adam_m_[i], denominator, -lr / correction1);
    }
    return;
  }
  // L-BFGS (Nocedal–Wright Alg. 7.4) with a backtracking Armijo line search.
  const at::NoGradGuard no_grad;
  const at::Tensor g = flatten(grads);
  const at::Tensor theta = flatten(parameters_).clone();
  if (lbfgs_previous_params_.defined()) {
    const at::Tensor s = theta - lbfgs_previous_params_, y = g - lbfgs_previous_grad_;
    // Keep only curvature pairs (s·y > 0), which keep H positive definite.
    if (dot_value(s, y) > 1e-12 * std::sqrt(dot_value(s, s) * dot_value(y, y))) {
      lbfgs_s_.push_back(s);
      lbfgs_y_.push_back(y);
      if (static_cast<int64_t>(lbfgs_s_.size()) > options_.lbfgs_history) {
        lbfgs_s_.erase(lbfgs_s_.begin());
        lbfgs_y_.erase(lbfgs_y_.begin());
      }
    }
  }
  at::Tensor direction;
  if (lbfgs_s_.empty()) {
    direction = -g / std::max(1.0, g.abs().sum().item<double>());
  } else {
    const size_t k = lbfgs_s_.size();
    std::vector<double> alpha(k), rho(k);
    at::Tensor q = g.clone();
    for (size_t i = k; i-- > 0;) {
      rho[i] = 1.0 / dot_value(lbfgs_y_[i], lbfgs_s_[i]);
      alpha[i] = rho[i] * dot_value(lbfgs_s_[i], q);
      q.sub_(lbfgs_y_[i], alpha[i]);
    }
    at::Tensor r = q * (dot_value(lbfgs_s_.back(), lbfgs_y_.back()) / dot_value(lbfgs_y_.back(), lbfgs_y_.back()));
    for (size_t i = 0; i < k; ++i) {
      const double beta = rho[i] * dot_value(lbfgs_y_[i], r);
      r.add_(lbfgs_s_[i], alpha[i] - beta);
    }
    direction = -r;
  }
  double slope = dot_value(g, direction);
  if (!(slope < 0.0)) {  // not a descent direction (or NaN): restart from steepest descent
    lbfgs_s_.clear();
    lbfgs_y_.clear();
    direction = -g / std::max(1.0, g.abs().sum().item<double>());
    slope = dot_value(g, direction);
  }
  double step = lr;
  bool accepted = false;
  for (int64_t trial = 0; trial <= options_.lbfgs_line_search; ++trial, step *= 0.5) {
    assign_flat(parameters_, theta + step * direction);
    const double trial_loss = loss_only();
    if (std::isfinite(trial_loss) && trial_loss <= loss + options_.lbfgs_armijo * step * slope) {
      accepted = true;
      break;
    }
  }
  if (!accepted) assign_flat(parameters_, theta);
  lbfgs_previous_params_ = theta;
  lbfgs_previous_grad_ = g;
}

OptimizerState Optimizer::state() const {
  OptimizerState state;
  if (options_.kind == OptimizerKind::Adam) {
    state["adam_steps"] = at::full({}, adam_steps_, at::kLong);
    for (size_t i = 0; i < parameters_.size(); ++i) {
      state["adam_m_" + std::to_string(i)] = adam_m_[i];
      state["adam_v_" + std::to_string(i)] = adam_v_[i];
    }
  } else if (options_.kind == OptimizerKind::Lbfgs && lbfgs_previous_params_.defined()) {
    const int64_t size = lbfgs_previous_params_.numel();
    const auto stacked = [&](const std::vector<at::Tensor>& list) {
      return list.empty() ? at::zeros({0, size}, lbfgs_previous_params_.options()) : at::stack(list);
    };
    state["lbfgs_s"] = stacked(lbfgs_s_);
    state["lbfgs_y"] = stacked(lbfgs_y_);
    state["lbfgs_previous_params"] = lbfgs_previous_params_;
    state["lbfgs_previous_grad"] = lbfgs_previous_grad_;
  }
  return state;
}

void Optimizer::load_state(const OptimizerState& state) {
  const auto get = [&](const std::string& key) {
    const auto it = state.find(key);
    NMFLOW_CHECK(it != state.end(), "Optimizer::load_state: ", optimizer_name(options_.kind),
                 " state has no entry '", key, "'");
    return it->second;
  };
  const auto device = parameters_.front().device();
  if (options_.kind == OptimizerKind::Adam) {
    adam_steps_ = get("adam_steps").item<int64_t>();
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const at::Tensor m = get("adam_m_" + std::to_string(i)), v = get("adam_v_" + std::to_string(i));
      NMFLOW_CHECK(m.sizes() == parameters_[i].sizes() && v.sizes() == parameters_[i].sizes(),
                   "Optimizer::load_state: Adam moment ", i, " has shape ", m.sizes(), ", parameter has ",
                   parameters_[i].sizes());
      adam_m_[i] = m.to(device, parameters_[i].scalar_type()).contiguous();
      adam_v_[i] = v.to(device, parameters_[i].scalar_type()).contiguous();
    }
  } else if (options_.kind == OptimizerKind::Lbfgs) {
    lbfgs_s_.clear();
    lbfgs_y_.clear();
    lbfgs_previous_params_ = at::Tensor();
    lbfgs_previous_grad_ = at::Tensor();
    if (state.count("lbfgs_previous_params") == 0) return;  // saved before the first step
    const auto dtype = parameters_.front().scalar_type();
    lbfgs_previous_params_ = get("lbfgs_previous_params").to(device, dtype);
    lbfgs_previous_grad_ = get("lbfgs_previous_grad").to(device, dtype);
    const at::Tensor s = get("lbfgs_s").to(device, dtype), y = get("lbfgs_y").to(device, dtype);
    for (int64_t i = 0; i < s.size(0); ++i) {
      lbfgs_s_.push_back(s[i].clone());
      lbfgs_y_.push_back(y[i].clone());
    }
  }
}

}  // namespace nmflow

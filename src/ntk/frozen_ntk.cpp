#include "ntk/frozen_ntk.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/error.h"

namespace nmflow {

namespace {

void check_frozen_config(const MlpConfig& config) {
  check_mlp_config(config);
  NMFLOW_CHECK(config.parameterisation == Parameterisation::Ntk,
               "frozen kernels need the NTK parameterisation (the standard one has no finite infinite-width NTK); "
               "got '", parameterisation_name(config.parameterisation), "'");
  const Activation a = config.activation;
  NMFLOW_CHECK(a == Activation::Relu || a == Activation::Erf || a == Activation::Sin || a == Activation::Cos,
               "frozen kernels have closed forms for relu, erf, sin, cos only; got '", activation_name(a), "'");
}

}  // namespace

DualKernels dual_activation_kernels(Activation activation, const at::Tensor& k11, const at::Tensor& k22,
                                    const at::Tensor& k12) {
  switch (activation) {
    case Activation::Relu: {
      const at::Tensor norm = at::sqrt(k11 * k22);
      // Clamp: rounding can push the correlation a hair outside [−1, 1] on the diagonal.
      const at::Tensor theta = at::arccos(at::clamp(k12 / norm, -1.0, 1.0));
      return {norm * (at::sin(theta) + (M_PI - theta) * at::cos(theta)) / (2.0 * M_PI),
              (M_PI - theta) / (2.0 * M_PI)};
    }
    case Activation::Erf: {
      const at::Tensor product = (1.0 + 2.0 * k11) * (1.0 + 2.0 * k22);
      return {(2.0 / M_PI) * at::arcsin(at::clamp(2.0 * k12 / at::sqrt(product), -1.0, 1.0)),
              (4.0 / M_PI) / at::sqrt(product - 4.0 * k12 * k12)};
    }
    case Activation::Sin:
    case Activation::Cos: {
      // E[cos(u ∓ u')] = s±; sin u sin u' = (cos(u−u') − cos(u+u'))/2, cos u cos u' = (cos(u−u') + cos(u+u'))/2.
      const at::Tensor mean = -(k11 + k22) / 2.0;
      const at::Tensor s_plus = at::exp(mean + k12);
      const at::Tensor s_minus = at::exp(mean - k12);
      const at::Tensor sin_sin = (s_plus - s_minus) / 2.0;
      const at::Tensor cos_cos = (s_plus + s_minus) / 2.0;
      return activation == Activation::Sin ? DualKernels{sin_sin, cos_cos} : DualKernels{cos_cos, sin_sin};
    }
    default:
      throw_error(c10::str("dual_activation_kernels: no closed form for '", activation_name(activation),
                           "'; allowed: relu, erf, sin, cos"));
  }
}

FrozenKernels frozen_mlp_kernels(const MlpConfig& config, const at::Tensor& x, const at::Tensor& x2) {
  check_frozen_config(config);
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == config.input_dim, "frozen_mlp_kernels: x must be [B, ",
               config.input_dim, "], got ", x.sizes());
  NMFLOW_CHECK(x2.dim() == 2 && x2.size(1) == config.input_dim, "frozen_mlp_kernels: x2 must be [B', ",
               config.input_dim, "], got ", x2.sizes());
  const at::Tensor a = x.detach().to(at::kDouble);
  const at::Tensor b = x2.detach().to(at::kDouble);
  const double d = static_cast<double>(config.input_dim);
  const double sw2 = config.sigma_w * config.sigma_w;
  const double sb2 = config.sigma_b * config.sigma_b;
  // First dense layer, on K⁰ = x·x'/d_in with Θ⁰ = 0: K¹ = σ_w² K⁰ + σ_b², Θ¹ = K¹. The diagonals k1 [B], k2 [B']
  // are carried along: each hidden layer's expectations need the variances at both points.
  at::Tensor k12 = sw2 * at::matmul(a, b.t()) / d + sb2;
  at::Tensor k1 = sw2 * (a * a).sum(1) / d + sb2;
  at::Tensor k2 = sw2 * (b * b).sum(1) / d + sb2;
  at::Tensor theta = k12.clone();
  for (size_t l = 0; l < config.hidden.size(); ++l) {
    const DualKernels cross = dual_activation_kernels(config.activation, k1.unsqueeze(1), k2.unsqueeze(0), k12);
    k1 = sw2 * dual_activation_kernels(config.activation, k1, k1, k1).value + sb2;
    k2 = sw2 * dual_activation_kernels(config.activation, k2, k2, k2).value + sb2;
    k12 = sw2 * cross.value + sb2;
    theta = k12 + sw2 * theta * cross.derivative;
  }
  return {k12.to(x.scalar_type()), theta.to(x.scalar_type())};
}

at::Tensor frozen_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2) {
  NMFLOW_CHECK(model.head().kind == MetricHeadKind::Symmetric,
               "frozen_metric_ntk: the infinite-width metric kernel is computed for the linear 'symmetric' head "
               "only; got '", metric_head_name(model.head().kind), "'");
  const int64_t n = model.head().dim;
  const at::Tensor theta = frozen_mlp_kernels(model.trunk().config(), x, x2).ntk;
  // T_PQ = δ_PQ (1 on diagonal components, ½ off them).
  std::vector<double> t;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i; j < n; ++j) {
      t.push_back(i == j ? 1.0 : 0.5);
    }
  }
  const at::Tensor component = at::diag(at::tensor(t, theta.options()));
  return at::kron(theta, component);
}

}  // namespace nmflow

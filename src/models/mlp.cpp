#include "models/mlp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "common/enum_names.h"
#include "common/error.h"

namespace nmflow {

Parameterisation parse_parameterisation(const std::string& name) {
  return parse_enum(kParameterisationNames, name, "parameterisation");
}

std::string parameterisation_name(Parameterisation value) { return enum_name(kParameterisationNames, value); }

void check_mlp_config(const MlpConfig& config) {
  NMFLOW_CHECK(config.input_dim > 0, "Mlp: input_dim must be ≥ 1, got ", config.input_dim);
  NMFLOW_CHECK(config.output_dim > 0, "Mlp: output_dim must be ≥ 1, got ", config.output_dim);
  for (size_t l = 0; l < config.hidden.size(); ++l) {
    NMFLOW_CHECK(config.hidden[l] > 0, "Mlp: hidden width ", l, " must be ≥ 1, got ", config.hidden[l]);
  }
  NMFLOW_CHECK(config.dtype == at::kDouble || config.dtype == at::kFloat,
               "Mlp: dtype must be float64 or float32, got ", config.dtype);
  NMFLOW_CHECK(std::isfinite(config.sigma_w) && config.sigma_w > 0.0, "Mlp: sigma_w must be finite and > 0, got ",
               config.sigma_w);
  NMFLOW_CHECK(std::isfinite(config.sigma_b) && config.sigma_b >= 0.0,
               "Mlp: sigma_b must be finite and ≥ 0, got ", config.sigma_b);
}

Mlp::Mlp(const MlpConfig& config) : config_(config) {
  check_mlp_config(config);
  // Draw in float64 on the CPU from one seeded generator (W then b, layer by layer), so the same seed gives the
  // same network in float32 and float64 and on every device.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
  const at::TensorOptions draw = at::TensorOptions().dtype(at::kDouble);
  std::vector<int64_t> widths{config.input_dim};
  widths.insert(widths.end(), config.hidden.begin(), config.hidden.end());
  widths.push_back(config.output_dim);
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int64_t n_in = widths[l];
    const int64_t n_out = widths[l + 1];
    at::Tensor weight = at::randn({n_out, n_in}, generator, draw);
    at::Tensor bias = at::randn({n_out}, generator, draw);
    const double weight_factor = config.sigma_w / std::sqrt(static_cast<double>(n_in));
    Layer layer;
    if (config.parameterisation == Parameterisation::Ntk) {
      layer.weight_scale = weight_factor;
      layer.bias_scale = config.sigma_b;
    } else {
      weight = weight * weight_factor;
      bias = bias * config.sigma_b;
      layer.weight_scale = 1.0;
      layer.bias_scale = 1.0;
    }
    layer.weight = weight.to(config.dtype).requires_grad_(true);
    layer.bias = bias.to(config.dtype).requires_grad_(true);
    layers_.push_back(layer);
  }
}

at::Tensor Mlp::forward(const at::Tensor& x) const {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == config_.input_dim, "Mlp::forward: x must be [B, ", config_.input_dim,
               "], got ", x.sizes());
  NMFLOW_CHECK(x.scalar_type() == config_.dtype, "Mlp::forward: x has dtype ", x.scalar_type(),
               " but the network is ", config_.dtype);
  at::Tensor h = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    h = at::addmm(layer.bias, h, layer.weight.t(), layer.bias_scale, layer.weight_scale);
    if (l + 1 < layers_.size()) {
      h = activation_value(config_.activation, h);
    }
  }
  return h;
}

std::vector<at::Tensor> Mlp::parameters() const {
  std::vector<at::Tensor> result;
  for (const Layer& layer : layers_) {
    result.push_back(layer.weight);
    result.push_back(layer.bias);
  }
  return result;
}

void Mlp::to(const at::Device& device) {
  for (Layer& layer : layers_) {
    layer.weight = layer.weight.detach().to(device).requires_grad_(true);
    layer.bias = layer.bias.detach().to(device).requires_grad_(true);
  }
}

}  // namespace nmflow

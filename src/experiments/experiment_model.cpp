#include "experiments/experiment_model.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "experiments/experiment_kind.h"

namespace nmflow {

namespace {

// Probe points are drawn from a stream independent of the training points'.
constexpr uint64_t kProbeSeedOffset = 0x9E3779B97F4A7C15ull;

MlpConfig trunk_config(const ExperimentConfig& c, int64_t n) {
  const ModelConfig& model = c.sections<RealMetricFlowConfig>().model;
  MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = model.hidden;
  trunk.activation = model.activation;
  trunk.parameterisation = model.parameterisation;
  trunk.sigma_w = model.sigma_w;
  trunk.sigma_b = model.sigma_b;
  trunk.seed = c.seed;
  trunk.dtype = precision_dtype(c.dtype);
  return trunk;
}

MetricHead head_config(const ModelConfig& model, int64_t n) {
  MetricHead head;
  head.kind = model.head;
  head.dim = n;
  return head;
}

}  // namespace

NeuralMetric make_experiment_network(const ExperimentConfig& config, int64_t n, const c10::Device& device) {
  const ModelConfig& m = config.sections<RealMetricFlowConfig>().model;
  NeuralMetric model(trunk_config(config, n), head_config(m, n));
  model.trunk().to(device);
  if (m.init_scale != 1.0) {
    // Scaling the last layer at initialisation sets the size of the initial perturbation of g₀.
    const at::NoGradGuard no_grad;
    const Mlp::Layer& last = model.trunk().layers().back();
    last.weight.mul_(m.init_scale);
    last.bias.mul_(m.init_scale);
  }
  return model;
}

PointSet experiment_probe_points(const ExperimentConfig& config, const Sampler& sampler, int64_t count) {
  return sampler.sample(count, config.seed ^ kProbeSeedOffset);
}

}  // namespace nmflow

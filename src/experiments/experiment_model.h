#pragma once
// The network and probe points of a real_metric_flow experiment exactly as run_experiment builds them
// (experiments/experiment.h), for tools that need the model at initialisation without running the flow (`nmflow ntk`).
#include <cstdint>

#include <c10/core/Device.h>

#include "geometry/manifolds/sampler.h"
#include "io/config_schema.h"
#include "models/neural_metric.h"

namespace nmflow {

// The NeuralMetric of `config` (kind real_metric_flow) on an n-dimensional manifold (n = the reference metric's
// dim()), initialised from config.seed, its last layer scaled by model.init_scale, moved to `device`. It is the network alone: with
// model.background = reference, run_experiment composes its metric with g₀ (conformal: e^{2u} g₀; symmetric:
// g₀ + P(f)).
NeuralMetric make_experiment_network(const ExperimentConfig& config, int64_t n, const c10::Device& device);

// `count` probe points drawn from `sampler` with the probe stream of config.seed (independent of the training
// points'); run_experiment draws points.probe of them.
PointSet experiment_probe_points(const ExperimentConfig& config, const Sampler& sampler, int64_t count);

}  // namespace nmflow

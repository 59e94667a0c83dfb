#pragma once
// The experiment configuration of `nmflow run` as plain data (docs/config.md documents every key, its default and
// its unit). Only src/io reads YAML (config_yaml.h); every other module takes these structs, already validated.
// `kind` selects the experiment family so that later kinds (Calabi–Yau metrics, NTK flows) add their own sections
// without changing the meaning of the existing ones.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nmflow {

struct ManifoldConfig {
  std::string name = "round_sphere";     // make_reference_metric name; the metric g₀ the run starts from
  std::map<std::string, double> params;  // make_reference_metric parameters (dim, radius, A, B, …)
  std::string sampler;                   // sampler_name_for_metric(name), filled by validation
  std::map<std::string, double> sampler_params;  // the subset of params the sampler reads, filled by validation
};

struct PointsConfig {
  int64_t train = 256;          // training points (Monte-Carlo integration of the loss)
  int64_t probe = 64;           // fixed probe points where g, Ric and R are recorded
  int64_t resample_every = 0;   // draw fresh training points every this many steps (0: never)
};

struct ModelConfig {
  std::string head = "conformal";          // conformal | symmetric | free_spd | frame_exp (models/metric_heads.h)
  std::string background = "reference";    // reference: the network modifies g₀; none: the network is g
  std::vector<int64_t> hidden = {24};      // hidden widths
  std::string activation = "tanh";
  std::string parameterisation = "ntk";    // ntk | standard
  double sigma_w = 0.8;
  double sigma_b = 0.1;
  double init_scale = 1.0;                 // multiplies the last layer's initial weights and bias
};

struct LossConfig {
  std::string name = "einstein";           // einstein | ricci_norm | perelman_f
  double lambda = 0.0;                     // einstein: fixed λ when has_lambda, else the volume average of R/n
  bool has_lambda = false;
  double volume_weight = 1.0;              // weight of the penalty (Vol_g/V₀ − 1)²; 0 disables it
  double volume_target = 0.0;              // V₀; 0: the volume of the initial metric on the training points
  std::string curvature_backend = "reference";  // reference | fused
};

struct OptimizerConfig {
  std::string name = "adam";               // sgd | adam | lbfgs
  double lr = 1e-2;                        // η₀
  std::string schedule = "constant";       // constant | exponential | cosine
  double decay_rate = 1.0;                 // exponential
  double min_lr = 0.0;                     // cosine
  int64_t schedule_steps = 0;              // cosine; 0: steps
  double clip = 0.0;                       // global gradient-norm clip (0: none)
  int64_t steps = 300;
};

struct RecordingConfig {
  int64_t every = 10;                      // record probes every this many steps (and always the last step)
  std::string output = "nmflow_run.h5";
  int64_t checkpoint_every = 0;            // 0: checkpoint only at the end or on interruption
};

struct ExperimentConfig {
  std::string kind = "real_metric_flow";
  uint64_t seed = 0;
  std::string device = "cpu";              // cpu | cuda | auto
  std::string dtype = "float64";           // float64 | float32
  int64_t threads = 0;                     // 0: LibTorch's default
  ManifoldConfig manifold;
  PointsConfig points;
  ModelConfig model;
  LossConfig loss;
  OptimizerConfig optimizer;
  RecordingConfig recording;
};

// Shrinks a validated config for smoke tests (`nmflow run --quick`): at most 20 steps, 64 training and 16 probe
// points, records every ≤ 5 steps, checkpoints every ≤ 10 steps when checkpointing is on.
void apply_quick(ExperimentConfig& config);

}  // namespace nmflow

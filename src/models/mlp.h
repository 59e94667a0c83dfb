#pragma once
// Mlp: the fully connected trunk of the neural metric families, in standard or NTK parameterisation
// (docs/design.md §5). Plain tensors with requires_grad, so jets and losses see the parameters directly.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/activation.h"

namespace nmflow {

// Parameterisation (the enum and its names: common/config_enums.h):
// standard: z_l = W_l h_{l−1} + b_l with W ~ N(0, σ_w²/n_{l−1}), b ~ N(0, σ_b²).
// ntk:      z_l = (σ_w/√n_{l−1}) W_l h_{l−1} + σ_b b_l with W, b ~ N(0, 1).
// Both draw the same standard normals from the same seed, so at initialisation they are the same function; they
// differ in how gradient descent scales each parameter's step (NTK: O(1) kernel as width → ∞).

Parameterisation parse_parameterisation(const std::string& name);  // "standard" | "ntk"
std::string parameterisation_name(Parameterisation parameterisation);

struct MlpConfig {
  int64_t input_dim = 0;
  std::vector<int64_t> hidden;  // widths of the hidden layers (may be empty: an affine map)
  int64_t output_dim = 0;
  Activation activation = Activation::Tanh;
  Parameterisation parameterisation = Parameterisation::Ntk;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
  uint64_t seed = 0;
  at::ScalarType dtype = at::kDouble;  // kDouble or kFloat
};

// Throws nmflow::Error naming the bad field and the allowed values.
void check_mlp_config(const MlpConfig& config);

class Mlp {
 public:
  // One dense layer z = weight_scale · W h + bias_scale · b.
  struct Layer {
    at::Tensor weight;  // [n_out, n_in], requires_grad
    at::Tensor bias;    // [n_out], requires_grad
    double weight_scale;  // σ_w/√n_in (ntk) or 1 (standard)
    double bias_scale;    // σ_b (ntk) or 1 (standard)
  };

  explicit Mlp(const MlpConfig& config);

  // x: [B, input_dim] → [B, output_dim]. Activation after every layer except the last.
  at::Tensor forward(const at::Tensor& x) const;

  // W_1, b_1, W_2, b_2, … (leaf tensors with requires_grad).
  std::vector<at::Tensor> parameters() const;
  const std::vector<Layer>& layers() const { return layers_; }
  const MlpConfig& config() const { return config_; }
  int64_t input_dim() const { return config_.input_dim; }
  int64_t output_dim() const { return config_.output_dim; }

  // Moves the parameters to `device` (new leaves with requires_grad; optimisers must be rebuilt afterwards).
  void to(const at::Device& device);

 private:
  MlpConfig config_;
  std::vector<Layer> layers_;
};

}  // namespace nmflow

#include "models/mlp_jet.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "common/error.h"
#include "models/activation_jet.h"
#include "models/jet_trunk.h"
#include "models/multi_index.h"

namespace nmflow {

namespace {

at::Tensor index_tensor(const std::vector<int64_t>& rows, const at::Device& device) {
  return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(device);
}

// Jet of h = φ(z) from the jet of z. value: [B, W] pre-activation; derivatives: [B, M, W].
void apply_activation(Activation activation, const MultiIndexTable& table, at::Tensor& value,
                      at::Tensor& derivatives) {
  const std::vector<at::Tensor> phi = activation_derivatives(activation, value, table.order());
  // One-block partitions: φ'(z) ∂_α z for every row α.
  at::Tensor result = phi[1].unsqueeze(1) * derivatives;
  for (const MultiIndexTable::ProductTerms& terms : table.product_terms()) {
    const at::Device device = derivatives.device();
    at::Tensor product = derivatives.index_select(1, index_tensor(terms.factor[0], device));
    for (size_t j = 1; j < terms.factor.size(); ++j) {
      product = product * derivatives.index_select(1, index_tensor(terms.factor[j], device));
    }
    const bool unit = std::all_of(terms.coefficient.begin(), terms.coefficient.end(),
                                  [](double c) { return c == 1.0; });
    if (!unit) {
      const at::Tensor coefficient =
          at::tensor(terms.coefficient, at::TensorOptions().dtype(at::kDouble)).to(device, derivatives.scalar_type());
      product = product * coefficient.view({1, -1, 1});
    }
    product = product * phi[static_cast<size_t>(terms.blocks)].unsqueeze(1);
    result = result.index_add(1, index_tensor(terms.target, device), product);
  }
  value = phi[0];
  derivatives = result;
}

// Order 2 through the fused jet trunk (jet_trunk.h): the input jet is (x, e_a, 0) — ∂_a x = e_a, second input
// derivatives vanish — and the trunk carries all 1 + n + n(n+1)/2 rows through every layer in cache-sized tiles.
at::Tensor taylor_jet2_fused(const Mlp& mlp, const at::Tensor& x) {
  const int64_t n = mlp.input_dim();
  const ActivationJetLayout& layout = real_jet2_layout(n);
  const int64_t batch = x.size(0);
  const at::Tensor input_jet =
      at::cat({x.unsqueeze(1), at::eye(n, x.options()).unsqueeze(0).expand({batch, n, n}),
               at::zeros({batch, layout.rows - 1 - n, n}, x.options())},
              1);
  return mlp_jet_trunk(mlp, input_jet, layout);
}

// The packed rows as an MlpTaylorJet: row 0 the value, the rest the derivatives (views, no copy).
MlpTaylorJet taylor_jet_from_packed(const at::Tensor& packed, int64_t n) {
  return MlpTaylorJet{packed.select(1, 0), packed.narrow(1, 1, packed.size(1) - 1), n, 2};
}

void check_jet_input(const Mlp& mlp, const at::Tensor& x, int64_t order) {
  const int64_t n = mlp.input_dim();
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, "mlp_taylor_jet: x must be [B, ", n, "], got ", x.sizes());
  NMFLOW_CHECK(x.scalar_type() == mlp.config().dtype, "mlp_taylor_jet: x has dtype ", x.scalar_type(),
               " but the network is ", mlp.config().dtype);
  NMFLOW_CHECK(order >= 1 && order <= max_jet_order(mlp.config().activation), "mlp_taylor_jet: order must be 1..",
               max_jet_order(mlp.config().activation), " for activation '",
               activation_name(mlp.config().activation), "', got ", order,
               mlp.config().activation == Activation::Relu
                   ? " (relu'' is a delta; use a smooth activation: tanh, gelu, softplus, erf, sin, cos)"
                   : "");
}

}  // namespace

at::Tensor mlp_jet2_packed(const Mlp& mlp, const at::Tensor& x) {
  check_jet_input(mlp, x, 2);
  return taylor_jet2_fused(mlp, x);
}

MlpTaylorJet mlp_taylor_jet(const Mlp& mlp, const at::Tensor& x, int64_t order) {
  const int64_t n = mlp.input_dim();
  check_jet_input(mlp, x, order);
  if (order == 2) {
    return taylor_jet_from_packed(taylor_jet2_fused(mlp, x), n);
  }
  const MultiIndexTable& table = multi_index_table(n, order);
  const int64_t batch = x.size(0);
  const auto& layers = mlp.layers();
  at::Tensor value;
  at::Tensor derivatives;
  for (size_t l = 0; l < layers.size(); ++l) {
    const Mlp::Layer& layer = layers[l];
    const at::Tensor scaled_weight = layer.weight_scale == 1.0 ? layer.weight : layer.weight * layer.weight_scale;
    if (l == 0) {
      value = at::addmm(layer.bias, x, layer.weight.t(), layer.bias_scale, layer.weight_scale);
      // ∂_a z = s_w W e_a, the same at every point; higher input derivatives vanish.
      const int64_t width = scaled_weight.size(0);
      const at::Tensor first = scaled_weight.t().unsqueeze(0).expand({batch, n, width});
      derivatives = table.rows() > n
                        ? at::cat({first, at::zeros({batch, table.rows() - n, width}, value.options())}, 1)
                        : first.contiguous();
    } else {
      value = at::addmm(layer.bias, value, layer.weight.t(), layer.bias_scale, layer.weight_scale);
      derivatives = at::matmul(derivatives, scaled_weight.t());
    }
    if (l + 1 < layers.size()) {
      apply_activation(mlp.config().activation, table, value, derivatives);
    }
  }
  return MlpTaylorJet{value, derivatives, n, order};
}

at::Tensor full_derivative(const MlpTaylorJet& jet, int64_t k) {
  NMFLOW_CHECK(k >= 1 && k <= jet.order, "full_derivative: order must be 1..", jet.order, ", got ", k);
  const int64_t batch = jet.value.size(0);
  const int64_t outputs = jet.value.size(1);
  const int64_t n = jet.dim;
  const MultiIndexTable& table = multi_index_table(n, jet.order);
  TORCH_INTERNAL_ASSERT(table.rows() == jet.derivatives.size(1));
  const at::Tensor rows = index_tensor(table.full_rows(k), jet.derivatives.device());
  std::vector<int64_t> shape{batch};
  for (int64_t i = 0; i < k; ++i) {
    shape.push_back(n);
  }
  shape.push_back(outputs);
  return jet.derivatives.index_select(1, rows).view(shape).movedim(-1, 1).contiguous();
}

MlpJet2 mlp_jet2(const Mlp& mlp, const at::Tensor& x) {
  return jet2_from_packed(mlp_jet2_packed(mlp, x), mlp.input_dim());
}

MlpJet2 jet2_from_packed(const at::Tensor& packed, int64_t n) {
  const MlpTaylorJet jet = taylor_jet_from_packed(packed, n);
  return MlpJet2{jet.value, full_derivative(jet, 1), full_derivative(jet, 2)};
}

ScalarJet4 mlp_scalar_jet4(const Mlp& mlp, const at::Tensor& x) {
  NMFLOW_CHECK(mlp.output_dim() == 1, "mlp_scalar_jet4: the network must have one output, got output_dim = ",
               mlp.output_dim());
  const MlpTaylorJet jet = mlp_taylor_jet(mlp, x, 4);
  return ScalarJet4{jet.value.squeeze(1), full_derivative(jet, 1).squeeze(1), full_derivative(jet, 2).squeeze(1),
                    full_derivative(jet, 3).squeeze(1), full_derivative(jet, 4).squeeze(1)};
}

}  // namespace nmflow

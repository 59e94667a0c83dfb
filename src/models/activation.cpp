#include "models/activation.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/enum_names.h"
#include "common/error.h"

namespace nmflow {

namespace {

// Truncates a full list {φ, φ', φ'', φ''', φ''''} to the requested order.
std::vector<at::Tensor> first(std::vector<at::Tensor> all, int64_t order) {
  all.resize(static_cast<size_t>(order + 1));
  return all;
}

}  // namespace

Activation parse_activation(const std::string& name) { return parse_enum(kActivationNames, name, "activation"); }

std::string activation_name(Activation value) { return enum_name(kActivationNames, value); }

int64_t max_jet_order(Activation activation) { return activation == Activation::Relu ? 1 : 4; }

at::Tensor activation_value(Activation activation, const at::Tensor& z) {
  switch (activation) {
    case Activation::Tanh: return at::tanh(z);
    // GELU, erf form: z Φ(z) with Φ the standard normal CDF.
    case Activation::Gelu: return 0.5 * z * (1.0 + at::erf(z * M_SQRT1_2));
    // log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): exact and overflow-free (at::softplus linearises above 20,
    // which would differ from the jets' σ(z) there).
    case Activation::Softplus: return at::relu(z) + at::log1p(at::exp(-z.abs()));
    case Activation::Erf: return at::erf(z);
    case Activation::Sin: return at::sin(z);
    case Activation::Cos: return at::cos(z);
    case Activation::Relu: return at::relu(z);
  }
  throw_error("activation_value: invalid Activation enum value");
}

std::vector<at::Tensor> activation_derivatives(Activation activation, const at::Tensor& z, int64_t order) {
  NMFLOW_CHECK(order >= 0 && order <= max_jet_order(activation), "activation '", activation_name(activation),
               "' supports derivative orders 0..", max_jet_order(activation), " in a jet, got ", order,
               activation == Activation::Relu
                   ? " (relu'' is a delta: use order 1, or a smooth activation: tanh, gelu, softplus, erf, sin, cos)"
                   : "");
  if (activation == Activation::Gelu && order > 0) {
    // One erf for φ and Φ (activation_value's expression, so φ stays bit-identical to the forward pass).
    // ϕ = e^{−z²/2}/√(2π): φ' = Φ + zϕ, φ'' = (2 − z²)ϕ, φ''' = (z³ − 4z)ϕ, φ'''' = (−z⁴ + 7z² − 4)ϕ.
    const at::Tensor erf_term = 1.0 + at::erf(z * M_SQRT1_2);
    const at::Tensor value = 0.5 * z * erf_term;
    const at::Tensor cdf = 0.5 * erf_term;
    const at::Tensor z2 = z * z;
    const at::Tensor pdf = at::exp(-0.5 * z2) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
    std::vector<at::Tensor> out{value, cdf + z * pdf};  // only the orders asked for (the jets' hot path)
    if (order >= 2) out.push_back((2.0 - z2) * pdf);
    if (order >= 3) out.push_back(z * (z2 - 4.0) * pdf);
    if (order >= 4) out.push_back(((7.0 - z2) * z2 - 4.0) * pdf);
    return out;
  }
  const at::Tensor value = activation_value(activation, z);
  if (order == 0) {
    return {value};
  }
  switch (activation) {
    case Activation::Tanh: {
      // t = tanh z, s = 1 − t²: φ' = s, φ'' = −2ts, φ''' = s(6t² − 2), φ'''' = 8ts(2 − 3t²).
      const at::Tensor t = value;
      const at::Tensor t2 = t * t;
      const at::Tensor s = 1.0 - t2;
      std::vector<at::Tensor> out{value, s};  // only the orders asked for (the jets' hot path)
      if (order >= 2) out.push_back(-2.0 * t * s);
      if (order >= 3) out.push_back(s * (6.0 * t2 - 2.0));
      if (order >= 4) out.push_back(8.0 * t * s * (2.0 - 3.0 * t2));
      return out;
    }
    case Activation::Gelu:
      break;  // handled above (one erf for φ and φ')
    case Activation::Softplus: {
      // σ = sigmoid z: φ' = σ, φ'' = σ(1−σ), φ''' = σ(1−σ)(1−2σ), φ'''' = σ(1−σ)(1 − 6σ + 6σ²).
      const at::Tensor sg = at::sigmoid(z);
      const at::Tensor v = sg * (1.0 - sg);
      return first({value, sg, v, v * (1.0 - 2.0 * sg), v * (1.0 - 6.0 * v)}, order);
    }
    case Activation::Erf: {
      // e = (2/√π) e^{−z²}: φ' = e, φ'' = −2z e, φ''' = (4z² − 2) e, φ'''' = (12z − 8z³) e.
      const at::Tensor z2 = z * z;
      const at::Tensor e = at::exp(-z2) * M_2_SQRTPI;
      return first({value, e, -2.0 * z * e, (4.0 * z2 - 2.0) * e, z * (12.0 - 8.0 * z2) * e}, order);
    }
    case Activation::Sin: {
      // sin^(k)(z) = sin(z + kπ/2).
      const at::Tensor c = at::cos(z);
      return first({value, c, -value, -c, value}, order);
    }
    case Activation::Cos: {
      const at::Tensor s = at::sin(z);
      return first({value, -s, -value, s, value}, order);
    }
    case Activation::Relu:
      // φ' = 1[z > 0] (order ≤ 1 was checked above).
      return {value, (z > 0).to(z.scalar_type())};
  }
  throw_error("activation_derivatives: invalid Activation enum value");
}

}  // namespace nmflow

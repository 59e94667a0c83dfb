#include "models/kahler_phi_model.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/enum_names.h"
#include "common/error.h"
#include "models/activation_jet.h"
#include "models/jet_trunk.h"
#include "models/mlp_jet.h"

namespace nmflow {

namespace {

constexpr int64_t kInputChunk = 8192;  // points per chunk of phi_input_jet (bounds the [B, m, m, N+1, N+1] temporaries)

struct PairIndex {
  std::vector<int64_t> a, b;
};

// (a, b) with a ≤ b (inclusive) or a < b (strict), row-major.
PairIndex upper_pairs(int64_t m, bool inclusive) {
  PairIndex pairs;
  for (int64_t a = 0; a < m; ++a) {
    for (int64_t b = inclusive ? a : a + 1; b < m; ++b) {
      pairs.a.push_back(a);
      pairs.b.push_back(b);
    }
  }
  return pairs;
}

at::Tensor long_tensor(const std::vector<int64_t>& values, const at::Device& device) {
  return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device);
}

// Linear maps from the packed rows of a Kähler jet to the full m×m real and imaginary parts:
// re = Sre @ expand_re [p1, m·m], im = Sim @ expand_im [p2, m·m] (Hermitian: re symmetric, im antisymmetric).
std::pair<at::Tensor, at::Tensor> hermitian_expansion(int64_t m, at::ScalarType dtype, const at::Device& device) {
  const PairIndex incl = upper_pairs(m, true);
  const PairIndex strict = upper_pairs(m, false);
  at::Tensor re = at::zeros({static_cast<int64_t>(incl.a.size()), m * m}, at::TensorOptions().dtype(dtype));
  at::Tensor im = at::zeros({static_cast<int64_t>(strict.a.size()), m * m}, at::TensorOptions().dtype(dtype));
  for (size_t r = 0; r < incl.a.size(); ++r) {
    re[r][incl.a[r] * m + incl.b[r]] = 1.0;
    re[r][incl.b[r] * m + incl.a[r]] = 1.0;
  }
  for (size_t r = 0; r < strict.a.size(); ++r) {
    im[r][strict.a[r] * m + strict.b[r]] = 1.0;
    im[r][strict.b[r] * m + strict.a[r]] = -1.0;
  }
  return {re.to(device), im.to(device)};
}

// The real inputs x_i(z) of the network as columns: invariant → u_IJ = z_I z̄_J/|z|² pieces; patch_affine → w = z/z_k.
// z: [B, N+1] complex (differentiable); patch: [B] int64. Returns [B, n_in] float64.
at::Tensor network_inputs(PhiInputs inputs, const at::Tensor& z, const at::Tensor& patch) {
  const int64_t n = z.size(1);
  if (inputs == PhiInputs::PatchAffine) {
    const at::Tensor w = z / z.gather(1, patch.view({-1, 1}));
    return at::cat({at::real(w), at::imag(w)}, 1);
  }
  const at::Tensor s = (at::real(z).square() + at::imag(z).square()).sum(1);  // |z|²
  const at::Tensor u = (z.unsqueeze(2) * at::conj(z).unsqueeze(1)).reshape({z.size(0), n * n}) /
                       s.unsqueeze(1);  // u_IJ at column I·(N+1) + J
  std::vector<int64_t> diag, upper;
  for (int64_t i = 0; i < n; ++i) {
    diag.push_back(i * n + i);
    for (int64_t j = i + 1; j < n; ++j) upper.push_back(i * n + j);
  }
  const at::Tensor upper_u = u.index_select(1, long_tensor(upper, z.device()));
  return at::cat({at::real(u.index_select(1, long_tensor(diag, z.device()))), at::real(upper_u), at::imag(upper_u)},
                 1);
}

// First and mixed second Wirtinger derivatives of the inputs in the local coordinates, complex:
// d: [B, m, n_in] = ∂_a x_i;  dd: [B, m, m, n_in] = ∂_a∂_b̄ x_i.
std::pair<at::Tensor, at::Tensor> input_derivatives(PhiInputs inputs, const at::Tensor& z, const at::Tensor& p) {
  const int64_t batch = z.size(0);
  const int64_t n = z.size(1);
  const int64_t m = p.size(1);
  if (inputs == PhiInputs::PatchAffine) {
    // z is normalised in its patch (z_k ≡ 1), so ∂_a w_I = P_a^I and w is holomorphic: ∂_a Re w = P/2,
    // ∂_a Im w = P/(2i), ∂_a∂_b̄ x = 0.
    const at::Tensor d = at::cat({p * 0.5, p * c10::complex<double>(0.0, -0.5)}, 2);
    return {d, at::zeros({batch, m, m, 2 * n}, d.options())};
  }
  const at::Tensor zb = at::conj(z);
  const at::Tensor s = (at::real(z).square() + at::imag(z).square()).sum(1).view({batch, 1, 1, 1});
  const at::Tensor q = at::matmul(p, zb.unsqueeze(2)).squeeze(2);   // q_a = Σ_A P_a^A z̄_A: [B, m]
  const at::Tensor pph = at::matmul(p, at::conj(p).transpose(1, 2));  // (P P†)_ab: [B, m, m]
  const at::Tensor zz = z.unsqueeze(2) * zb.unsqueeze(1);            // z_I z̄_J: [B, N+1, N+1]
  // ∂_a u_IJ = P_a^I z̄_J/s − z_I z̄_J q_a/s²
  const at::Tensor du = p.unsqueeze(3) * zb.view({batch, 1, 1, n}) / s -
                        zz.unsqueeze(1) * q.view({batch, m, 1, 1}) / s.square();  // [B, m, I, J]
  // ∂_a∂_b̄ u_IJ = P_a^I P̄_b^J/s − P_a^I z̄_J q̄_b/s² − z_I P̄_b^J q_a/s² − z_I z̄_J (PP†)_ab/s²
  //              + 2 z_I z̄_J q_a q̄_b/s³
  const at::Tensor s5 = s.unsqueeze(1);
  const at::Tensor pa = p.view({batch, m, 1, n, 1});
  const at::Tensor pb = at::conj(p).view({batch, 1, m, 1, n});
  const at::Tensor qa = q.view({batch, m, 1, 1, 1});
  const at::Tensor qb = at::conj(q).view({batch, 1, m, 1, 1});
  const at::Tensor zI = z.view({batch, 1, 1, n, 1});
  const at::Tensor zJ = zb.view({batch, 1, 1, 1, n});
  const at::Tensor zz5 = zz.view({batch, 1, 1, n, n});
  const at::Tensor ddu = pa * pb / s5 - pa * zJ * qb / s5.square() - zI * pb * qa / s5.square() -
                         zz5 * pph.view({batch, m, m, 1, 1}) / s5.square() +
                         2.0 * zz5 * qa * qb / (s5.square() * s5);  // [B, m, m, I, J]
  // Real inputs: u_II, Re u_IJ = (u_IJ + u_JI)/2, Im u_IJ = (u_IJ − u_JI)/(2i) (conj u_IJ = u_JI).
  std::vector<int64_t> re_ij, re_ji, im_ij, im_ji;
  for (int64_t i = 0; i < n; ++i) {
    re_ij.push_back(i * n + i);
    re_ji.push_back(i * n + i);
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      re_ij.push_back(i * n + j);
      re_ji.push_back(j * n + i);
      im_ij.push_back(i * n + j);
      im_ji.push_back(j * n + i);
    }
  }
  const at::Device device = z.device();
  const auto assemble = [&](const at::Tensor& t) {  // t: [..., n, n] → [..., n_in]
    at::Tensor flat = t.flatten(-2);
    const at::Tensor re = (flat.index_select(-1, long_tensor(re_ij, device)) +
                           flat.index_select(-1, long_tensor(re_ji, device))) * 0.5;
    const at::Tensor im = (flat.index_select(-1, long_tensor(im_ij, device)) -
                           flat.index_select(-1, long_tensor(im_ji, device))) * c10::complex<double>(0.0, -0.5);
    return at::cat({re, im}, -1);
  };
  return {assemble(du), assemble(ddu)};
}

void check_points(const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch, int64_t n_coords,
                  const char* who) {
  NMFLOW_CHECK(z.dim() == 2 && z.size(1) == n_coords && z.scalar_type() == at::kComplexDouble, who,
               ": z must be [B, ", n_coords, "] complex128, got ", z.sizes(), " ", z.scalar_type());
  NMFLOW_CHECK(pullback.dim() == 3 && pullback.size(0) == z.size(0) && pullback.size(2) == n_coords &&
                   pullback.scalar_type() == at::kComplexDouble,
               who, ": pullback must be [B, m, ", n_coords, "] complex128 with B = ", z.size(0), ", got ",
               pullback.sizes(), " ", pullback.scalar_type());
  NMFLOW_CHECK(patch.dim() == 1 && patch.size(0) == z.size(0) && patch.scalar_type() == at::kLong, who,
               ": patch must be [", z.size(0), "] int64, got ", patch.sizes(), " ", patch.scalar_type());
}

}  // namespace

PhiInputs parse_phi_inputs(const std::string& name) { return parse_enum(kPhiInputsNames, name, "φ-model inputs"); }

std::string phi_inputs_name(PhiInputs value) { return enum_name(kPhiInputsNames, value); }

namespace {


}  // namespace

PhiJetMethod parse_phi_jet_method(const std::string& name) {
  return parse_enum(kPhiJetMethodNames, name, "φ jet method");
}

std::string phi_jet_method_name(PhiJetMethod value) { return enum_name(kPhiJetMethodNames, value); }

int64_t phi_input_dim(PhiInputs inputs, int64_t n_coords) {
  return inputs == PhiInputs::Invariant ? n_coords * n_coords : 2 * n_coords;
}

int64_t kahler_jet_rows(int64_t m) { return 1 + 2 * m + m * m; }

at::Tensor phi_input_jet(PhiInputs inputs, const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch,
                         at::ScalarType dtype) {
  check_points(z, pullback, patch, z.size(1), "phi_input_jet");
  const int64_t batch = z.size(0);
  const int64_t m = pullback.size(1);
  const PairIndex incl = upper_pairs(m, true);
  const PairIndex strict = upper_pairs(m, false);
  const at::Tensor ia = long_tensor(incl.a, z.device()), ib = long_tensor(incl.b, z.device());
  const at::Tensor ja = long_tensor(strict.a, z.device()), jb = long_tensor(strict.b, z.device());
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < batch; start += kInputChunk) {
    const int64_t len = std::min(kInputChunk, batch - start);
    const at::Tensor zc = z.narrow(0, start, len);
    const at::Tensor pc = pullback.narrow(0, start, len);
    const at::Tensor value = network_inputs(inputs, zc, patch.narrow(0, start, len));  // [b, n_in]
    const auto [d, dd] = input_derivatives(inputs, zc, pc);
    const at::Tensor upper_re = at::real(dd.index({at::indexing::Slice(), ia, ib}));  // [b, p1, n_in]
    const at::Tensor upper_im = at::imag(dd.index({at::indexing::Slice(), ja, jb}));  // [b, p2, n_in]
    chunks.push_back(at::cat({value.unsqueeze(1), at::real(d), at::imag(d), upper_re, upper_im}, 1).to(dtype));
  }
  return at::cat(chunks, 0);
}

at::Tensor phi_input_jet(PhiInputs inputs, const CYPointSet& points, at::ScalarType dtype) {
  return phi_input_jet(inputs, points.z, points.pullback, points.patch, dtype);
}

at::Tensor ddbar_from_kahler_jet(const at::Tensor& jet, int64_t m) {
  NMFLOW_CHECK(jet.dim() == 2 && jet.size(1) == kahler_jet_rows(m), "ddbar_from_kahler_jet: jet must be [B, ",
               kahler_jet_rows(m), "] for m = ", m, ", got ", jet.sizes());
  const at::Tensor j = jet.to(at::kDouble);
  const int64_t p1 = m * (m + 1) / 2;
  const auto [expand_re, expand_im] = hermitian_expansion(m, at::kDouble, j.device());
  const at::Tensor re = at::matmul(j.narrow(1, 1 + 2 * m, p1), expand_re);
  const at::Tensor im = m > 1 ? at::matmul(j.narrow(1, 1 + 2 * m + p1, m * (m - 1) / 2), expand_im)
                              : at::zeros_like(re);
  return at::complex(re, im).view({jet.size(0), m, m});
}

at::Tensor hermitian_det(const at::Tensor& g) {
  NMFLOW_CHECK(g.dim() == 3 && g.size(1) == g.size(2), "hermitian_det: g must be [B, m, m], got ", g.sizes());
  const int64_t m = g.size(1);
  const auto e = [&](int64_t i, int64_t j) { return g.select(1, i).select(1, j); };
  at::Tensor det;
  if (m == 1) {
    det = e(0, 0);
  } else if (m == 2) {
    det = e(0, 0) * e(1, 1) - e(0, 1) * e(1, 0);
  } else if (m == 3) {
    det = e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1)) - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0)) +
          e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0));
  } else {
    det = at::linalg_det(g);
  }
  return g.is_complex() ? at::real(det) : det;
}

KahlerPhiModel::KahlerPhiModel(const KahlerPhiModelConfig& config, int64_t n_coords)
    : config_(config), n_coords_(n_coords), mlp_([&] {
        NMFLOW_CHECK(n_coords >= 3, "KahlerPhiModel: n_coords (N+1) must be ≥ 3, got ", n_coords);
        MlpConfig mc;
        mc.input_dim = phi_input_dim(config.inputs, n_coords);
        mc.hidden = config.hidden;
        mc.output_dim = 1;
        mc.activation = config.activation;
        mc.parameterisation = config.parameterisation;
        mc.sigma_w = config.sigma_w;
        mc.sigma_b = config.sigma_b;
        mc.seed = config.seed;
        mc.dtype = config.dtype;
        NMFLOW_CHECK(max_jet_order(config.activation) >= 2, "KahlerPhiModel: activation '",
                     activation_name(config.activation),
                     "' has no second derivative; use tanh, gelu, softplus, erf, sin or cos");
        return mc;
      }()) {
  if (config.zero_output_layer) {
    const c10::AutoGradMode no_grad(false);
    mlp_.layers().back().weight.zero_();
    mlp_.layers().back().bias.zero_();
  }
}

at::Tensor KahlerPhiModel::phi(const at::Tensor& z, const at::Tensor& patch) const {
  return mlp_.forward(network_inputs(config_.inputs, z, patch).to(config_.dtype)).squeeze(1).to(at::kDouble);
}

at::Tensor KahlerPhiModel::ddbar_phi(const at::Tensor& input_jet, PhiJetMethod method) const {
  const int64_t n_in = mlp_.input_dim();
  NMFLOW_CHECK(input_jet.dim() == 3 && input_jet.size(2) == n_in && input_jet.scalar_type() == config_.dtype,
               "KahlerPhiModel::ddbar_phi: input_jet must be [B, 1 + 2m + m², ", n_in, "] of dtype ", config_.dtype,
               ", got ", input_jet.sizes(), " ", input_jet.scalar_type());
  const int64_t m = n_coords_ - 2;
  const int64_t rows = kahler_jet_rows(m);
  NMFLOW_CHECK(input_jet.size(1) == rows, "KahlerPhiModel::ddbar_phi: input_jet has ", input_jet.size(1),
               " rows; m = ", m, " needs ", rows);
  const int64_t p1 = m * (m + 1) / 2;
  const int64_t p2 = m * (m - 1) / 2;
  if (method == PhiJetMethod::InputHessian) {
    const MlpJet2 jet = mlp_jet2(mlp_, input_jet.select(1, 0));
    const at::Tensor grad = jet.grad.select(1, 0).to(at::kDouble);               // [B, n_in]
    const at::Tensor hess = jet.hess.select(1, 0).to(at::kDouble);               // [B, n_in, n_in]
    const at::Tensor x = input_jet.to(at::kDouble);
    const at::Tensor d = at::complex(x.narrow(1, 1, m), x.narrow(1, 1 + m, m));  // ∂_a x_i: [B, m, n_in]
    const auto [expand_re, expand_im] = hermitian_expansion(m, at::kDouble, x.device());
    const at::Tensor s_re = at::matmul(x.narrow(1, 1 + 2 * m, p1).transpose(1, 2), expand_re);  // [B, n_in, m·m]
    const at::Tensor s_im = m > 1 ? at::matmul(x.narrow(1, 1 + 2 * m + p1, p2).transpose(1, 2), expand_im)
                                  : at::zeros_like(s_re);
    // Σ_ij ∂_a x_i H_ij conj(∂_b x_j) + Σ_i ∂_i f ∂_a∂_b̄ x_i
    const at::Tensor first = at::matmul(at::matmul(d, at::complex(hess, at::zeros_like(hess))),
                                        at::conj(d).transpose(1, 2));
    const at::Tensor g = grad.unsqueeze(1);
    const at::Tensor second = at::complex(at::matmul(g, s_re), at::matmul(g, s_im)).view({-1, m, m});
    return first + second;
  }
  NMFLOW_CHECK(method == PhiJetMethod::WirtingerJet, "KahlerPhiModel::ddbar_phi: method '",
               phi_jet_method_name(method), "' needs the points; call ddbar_phi_autograd");
  // The whole network in one fused op (jet_trunk.h): per unit ∂_a∂_b̄ σ(z) = σ'' ∂_a z conj(∂_b z) + σ' ∂_a∂_b̄ z.
  const at::Tensor t = mlp_jet_trunk(mlp_, input_jet, kahler_jet_layout(m));  // [B, rows, 1]
  return ddbar_from_kahler_jet(t.select(2, 0), m);
}

at::Tensor ddbar_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& potential, const at::Tensor& z,
                             const at::Tensor& pullback) {
  const int64_t n = z.size(1);
  const at::Tensor x = at::cat({at::real(z), at::imag(z)}, 1).detach().requires_grad_(true);  // [B, 2n]
  const at::Tensor value = potential(at::complex(x.narrow(1, 0, n), x.narrow(1, n, n)));
  NMFLOW_CHECK(value.dim() == 1 && value.size(0) == z.size(0), "ddbar_by_autograd: the potential must return [",
               z.size(0), "], got ", value.sizes());
  const at::Tensor grad = torch::autograd::grad({value.sum()}, {x}, {}, true, true)[0];  // [B, 2n]
  std::vector<at::Tensor> rows;
  for (int64_t r = 0; r < 2 * n; ++r) {
    rows.push_back(torch::autograd::grad({grad.select(1, r).sum()}, {x}, {}, true, true, true)[0]);
    if (!rows.back().defined()) rows.back() = at::zeros_like(x);
  }
  const at::Tensor h = at::stack(rows, 1);  // h[b, r, c] = ∂_r ∂_c F over (Re z, Im z)
  const at::Tensor hxx = h.narrow(1, 0, n).narrow(2, 0, n), hyy = h.narrow(1, n, n).narrow(2, n, n);
  const at::Tensor hxy = h.narrow(1, 0, n).narrow(2, n, n), hyx = h.narrow(1, n, n).narrow(2, 0, n);
  // ∂_I∂_J̄ = ¼(∂x_I∂x_J + ∂y_I∂y_J + i(∂x_I∂y_J − ∂y_I∂x_J))
  const at::Tensor ambient = at::complex(0.25 * (hxx + hyy), 0.25 * (hxy - hyx));
  return at::matmul(at::matmul(pullback, ambient), at::conj(pullback).transpose(1, 2));
}

at::Tensor KahlerPhiModel::ddbar_phi_autograd(const at::Tensor& z, const at::Tensor& pullback,
                                              const at::Tensor& patch) const {
  check_points(z, pullback, patch, n_coords_, "KahlerPhiModel::ddbar_phi_autograd");
  return ddbar_by_autograd([&](const at::Tensor& zz) { return phi(zz, patch); }, z, pullback);
}

at::Tensor phi_model_det(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet,
                         PhiJetMethod method) {
  const at::Tensor ddbar = method == PhiJetMethod::Autograd
                               ? model.ddbar_phi_autograd(points.z, points.pullback, points.patch)
                               : model.ddbar_phi(input_jet, method);
  return hermitian_det(points.g_fs + ddbar);
}

KahlerPotential phi_model_potential(const KahlerPhiModel& model) {
  KahlerPotential phi;
  phi.n_coords = model.n_coords();
  phi.ddbar = [&model](const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch) {
    const at::Tensor jet = phi_input_jet(model.config().inputs, z, pullback, patch, model.config().dtype);
    return model.ddbar_phi(jet, PhiJetMethod::WirtingerJet);
  };
  return phi;
}

}  // namespace nmflow

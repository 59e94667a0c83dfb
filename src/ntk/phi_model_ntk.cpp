#include "ntk/phi_model_ntk.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"

namespace nmflow {

namespace {

// (a, b) index lists of the packed layout: Re for a ≤ b, then Im for a < b (row-major).
struct HermitianIndex {
  std::vector<int64_t> re_a, re_b, im_a, im_b;
};

HermitianIndex hermitian_index(int64_t m) {
  HermitianIndex index;
  for (int64_t a = 0; a < m; ++a) {
    for (int64_t b = a; b < m; ++b) {
      index.re_a.push_back(a);
      index.re_b.push_back(b);
      if (b > a) {
        index.im_a.push_back(a);
        index.im_b.push_back(b);
      }
    }
  }
  return index;
}

at::Tensor long_tensor(const std::vector<int64_t>& values, const at::Device& device) {
  return at::tensor(values, at::TensorOptions().dtype(at::kLong)).to(device);
}

void check_hermitian(const at::Tensor& g, const char* who) {
  NMFLOW_CHECK(g.dim() == 3 && g.size(1) == g.size(2) && g.is_complex(), who,
               ": g must be [B, m, m] complex, got ", g.sizes(), " ", g.scalar_type());
}

// The packed ∂∂̄φ of the model at each point: [B, m²] float64, differentiable in the parameters.
at::Tensor packed_ddbar(const KahlerPhiModel& model, const at::Tensor& input_jet) {
  return pack_hermitian(model.ddbar_phi(input_jet, PhiJetMethod::WirtingerJet));
}

}  // namespace

at::Tensor pack_hermitian(const at::Tensor& g) {
  check_hermitian(g, "pack_hermitian");
  const int64_t m = g.size(1);
  const HermitianIndex index = hermitian_index(m);
  const at::Device device = g.device();
  const at::Tensor re = at::real(g.index({at::indexing::Slice(), long_tensor(index.re_a, device),
                                          long_tensor(index.re_b, device)}));
  if (index.im_a.empty()) return re.to(at::kDouble);
  const at::Tensor im = at::imag(g.index({at::indexing::Slice(), long_tensor(index.im_a, device),
                                          long_tensor(index.im_b, device)}));
  return at::cat({re, im}, 1).to(at::kDouble);
}

at::Tensor unpack_hermitian(const at::Tensor& packed, int64_t m) {
  NMFLOW_CHECK(packed.dim() == 2 && packed.size(1) == m * m && !packed.is_complex(),
               "unpack_hermitian: packed must be [B, ", m * m, "] real for m = ", m, ", got ", packed.sizes(), " ",
               packed.scalar_type());
  const HermitianIndex index = hermitian_index(m);
  const int64_t p1 = static_cast<int64_t>(index.re_a.size());
  const int64_t p2 = m * m - p1;
  // Linear maps from the packed entries to the full real (symmetric) and imaginary (antisymmetric) parts.
  at::Tensor expand_re = at::zeros({p1, m * m}, packed.options());
  at::Tensor expand_im = at::zeros({std::max<int64_t>(p2, 1), m * m}, packed.options());
  for (int64_t r = 0; r < p1; ++r) {
    expand_re[r][index.re_a[r] * m + index.re_b[r]] = 1.0;
    expand_re[r][index.re_b[r] * m + index.re_a[r]] = 1.0;
  }
  for (int64_t r = 0; r < p2; ++r) {
    expand_im[r][index.im_a[r] * m + index.im_b[r]] = 1.0;
    expand_im[r][index.im_b[r] * m + index.im_a[r]] = -1.0;
  }
  const at::Tensor p = packed.to(at::kDouble);
  const at::Tensor re = at::matmul(p.narrow(1, 0, p1), expand_re.to(at::kDouble));
  const at::Tensor im = p2 > 0 ? at::matmul(p.narrow(1, p1, p2), expand_im.to(at::kDouble)) : at::zeros_like(re);
  return at::complex(re, im).view({packed.size(0), m, m});
}

at::Tensor phi_model_metric_jacobian(const KahlerPhiModel& model, const at::Tensor& input_jet) {
  const c10::AutoGradMode grad_mode(true);
  const std::vector<at::Tensor> params = model.parameters();
  const at::Tensor components = packed_ddbar(model, input_jet).reshape({-1});  // [B·m²]
  const int64_t rows = components.numel();
  int64_t total = 0;
  for (const at::Tensor& p : params) total += p.numel();
  at::Tensor jacobian = at::zeros({rows, total}, at::TensorOptions().dtype(at::kDouble));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<at::Tensor> grads = torch::autograd::grad({components[r]}, params, {}, /*retain_graph=*/true,
                                                                /*create_graph=*/false, /*allow_unused=*/true);
    int64_t offset = 0;
    for (size_t k = 0; k < params.size(); ++k) {
      const int64_t n = params[k].numel();
      // An unused parameter (the output bias: φ + c has the same ∂∂̄φ) keeps its zero columns.
      if (grads[k].defined()) jacobian[r].narrow(0, offset, n).copy_(grads[k].reshape({-1}).to(at::kDouble));
      offset += n;
    }
  }
  return jacobian;
}

at::Tensor phi_model_metric_ntk(const KahlerPhiModel& model, const at::Tensor& input_jet,
                                const at::Tensor& input_jet2) {
  const at::Tensor j1 = phi_model_metric_jacobian(model, input_jet);
  if (input_jet2.is_same(input_jet)) return at::matmul(j1, j1.t());
  return at::matmul(j1, phi_model_metric_jacobian(model, input_jet2).t());
}

at::Tensor eta_metric_gradient(const at::Tensor& g, const at::Tensor& omega_sq) {
  check_hermitian(g, "eta_metric_gradient");
  NMFLOW_CHECK(omega_sq.dim() == 1 && omega_sq.size(0) == g.size(0), "eta_metric_gradient: omega_sq must be [",
               g.size(0), "], got ", omega_sq.sizes());
  const int64_t m = g.size(1);
  const at::Tensor gd = g.detach().to(at::kComplexDouble);
  const at::Tensor eta = hermitian_det(gd) / omega_sq.detach().to(at::kDouble);  // [B]
  const at::Tensor h = pack_hermitian(at::linalg_inv(gd));                        // [B, m²]
  // Weight 1 on the diagonal entries, 2 on Re and Im of the off-diagonal ones (each appears in g_ab̄ and g_bā).
  at::Tensor weight = at::full({m * m}, 2.0, h.options());
  int64_t row = 0;
  for (int64_t a = 0; a < m; ++a) {
    weight[row] = 1.0;
    row += m - a;  // the next diagonal entry in the row-major upper triangle
  }
  return eta.unsqueeze(1) * h * weight.unsqueeze(0);
}

at::Tensor eta_ntk_from_metric_ntk(const at::Tensor& theta, const at::Tensor& d, const at::Tensor& d2) {
  NMFLOW_CHECK(d.dim() == 2 && d2.dim() == 2 && d.size(1) == d2.size(1), "eta_ntk_from_metric_ntk: d, d2 must be [B, "
               "p] and [B', p], got ", d.sizes(), " and ", d2.sizes());
  const int64_t p = d.size(1);
  NMFLOW_CHECK(theta.dim() == 2 && theta.size(0) == d.size(0) * p && theta.size(1) == d2.size(0) * p,
               "eta_ntk_from_metric_ntk: theta must be [", d.size(0) * p, ", ", d2.size(0) * p, "], got ",
               theta.sizes());
  const at::Tensor blocks = theta.to(at::kDouble).view({d.size(0), p, d2.size(0), p});
  return at::einsum("bp,bpcq,cq->bc", {d.to(at::kDouble), blocks, d2.to(at::kDouble)});
}

LinearisedPhiModel::LinearisedPhiModel(const KahlerPhiModel& model)
    : base_(model.config(), model.n_coords()) {
  const c10::AutoGradMode no_grad(false);
  const std::vector<at::Tensor> source = model.parameters();
  const std::vector<at::Tensor> target = base_.parameters();
  for (size_t k = 0; k < source.size(); ++k) {
    target[k].copy_(source[k]);
    displacement_.push_back(at::zeros_like(source[k]).requires_grad_(true));
  }
}

at::Tensor LinearisedPhiModel::ddbar_displacement(const at::Tensor& input_jet, bool create_graph) const {
  const c10::AutoGradMode grad_mode(true);
  const int64_t m = base_.n_coords() - 2;
  const std::vector<at::Tensor> params = base_.parameters();
  const at::Tensor c = packed_ddbar(base_, input_jet);           // [B, m²], a function of θ₀
  const at::Tensor u = at::zeros_like(c).requires_grad_(true);   // cotangent; J₀ᵀu is linear in it
  const std::vector<at::Tensor> jt_u = torch::autograd::grad({c}, params, {u}, /*retain_graph=*/true,
                                                             /*create_graph=*/true, /*allow_unused=*/true);
  at::Tensor pairing = at::zeros({}, c.options());
  for (size_t k = 0; k < params.size(); ++k) {
    if (jt_u[k].defined()) pairing = pairing + (jt_u[k] * displacement_[k].to(jt_u[k].scalar_type())).sum();
  }
  // ∂/∂u (δ · J₀ᵀu) = J₀δ; with create_graph the result stays differentiable in δ.
  const std::vector<at::Tensor> jd = torch::autograd::grad({pairing}, {u}, {}, /*retain_graph=*/create_graph,
                                                           create_graph, /*allow_unused=*/true);
  const at::Tensor packed = jd[0].defined() ? jd[0] : at::zeros_like(c);
  return unpack_hermitian(packed, m);
}

}  // namespace nmflow

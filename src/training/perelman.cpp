#include "training/perelman.h"

#include <ATen/ATen.h>

#include "common/error.h"
#include "models/mlp_jet.h"

namespace nmflow {

namespace {

void check_dilaton(const ScalarJet2& f, const MetricJet& jet, bool need_hess, const char* who) {
  check_metric_jet(jet, who);
  const int64_t b = jet.batch(), n = jet.dim();
  NMFLOW_CHECK(f.value.defined() && f.value.dim() == 1 && f.value.size(0) == b, who,
               ": dilaton value must be [B] with B = ", b, "; got ",
               f.value.defined() ? f.value.sizes() : at::IntArrayRef{});
  NMFLOW_CHECK(f.grad.defined() && f.grad.dim() == 2 && f.grad.size(0) == b && f.grad.size(1) == n, who,
               ": dilaton grad must be [B, n] = [", b, ", ", n, "]");
  if (need_hess) {
    NMFLOW_CHECK(f.hess.defined() && f.hess.dim() == 3 && f.hess.size(0) == b && f.hess.size(1) == n &&
                     f.hess.size(2) == n,
                 who, ": dilaton hess must be [B, n, n] = [", b, ", ", n, ", ", n, "]");
  }
}

// Γ^c_ab = ½ g^cd (∂_a g_bd + ∂_b g_ad − ∂_d g_ab) as [B, c, a, b]; dg[b,c,i,j] = ∂_c g_ij.
at::Tensor christoffel(const at::Tensor& g_inv, const at::Tensor& dg) {
  const at::Tensor lowered = 0.5 * (dg + dg.permute({0, 2, 1, 3}) - dg.permute({0, 2, 3, 1}));
  // lowered[b, a, bb, d] = ½(∂_a g_bb,d + ∂_bb g_a,d − ∂_d g_a,bb)
  return at::einsum("xcd,xabd->xcab", {g_inv, lowered});
}

// The two combinations of the first variation: P^ij = R^ij + ∇^i∇^j f and s = 2Δf − |∇f|² + R.
struct PerelmanFields {
  CurvatureFields curvature;
  at::Tensor hess_cov;     // [B, n, n] ∇_i∇_j f
  at::Tensor p_up;         // [B, n, n] R^ij + ∇^i∇^j f
  at::Tensor s;            // [B]
  at::Tensor grad_norm2;   // [B] |∇f|²
};

PerelmanFields perelman_fields(const MetricJet& jet, const ScalarJet2& f, CurvatureBackend backend) {
  PerelmanFields p;
  p.curvature = curvature_fields(jet, backend);
  const at::Tensor& g_inv = p.curvature.inverse_metric;
  const at::Tensor gamma = christoffel(g_inv, jet.dg);
  p.hess_cov = f.hess - at::einsum("xkij,xk->xij", {gamma, f.grad});
  const at::Tensor t = p.curvature.ricci + p.hess_cov;
  p.p_up = at::matmul(at::matmul(g_inv, t), g_inv);
  p.grad_norm2 = at::einsum("xab,xa,xb->x", {g_inv, f.grad, f.grad});
  const at::Tensor laplacian = (g_inv * p.hess_cov).sum({-2, -1});
  p.s = 2.0 * laplacian - p.grad_norm2 + p.curvature.scalar;
  return p;
}

}  // namespace

ScalarJet2 dilaton_jet_from_mlp(const Mlp& mlp, const at::Tensor& x) {
  NMFLOW_CHECK(mlp.output_dim() == 1, "dilaton_jet_from_mlp: the dilaton network must have output_dim 1; got ",
               mlp.output_dim());
  const MlpJet2 jet = mlp_jet2(mlp, x);
  return {jet.value.select(1, 0), jet.grad.select(1, 0), jet.hess.select(1, 0)};
}

ScalarJet2 log_volume_density_jet(const MetricJet& jet) {
  check_metric_jet(jet, "log_volume_density_jet");
  const at::Tensor chol = at::linalg_cholesky(jet.g);
  const at::Tensor g_inv = at::cholesky_inverse(chol);
  ScalarJet2 out;
  out.value = chol.diagonal(0, -2, -1).log().sum(-1);
  out.grad = 0.5 * at::einsum("xij,xcij->xc", {g_inv, jet.dg});
  // A_c = g⁻¹ ∂_c g; ∂_a∂_b log √det g = ½ tr(g⁻¹ ∂_a∂_b g) − ½ tr(A_a A_b).
  const at::Tensor a = at::matmul(g_inv.unsqueeze(1), jet.dg);  // [B, c, i, j] = (g⁻¹ ∂_c g)_ij
  out.hess = 0.5 * at::einsum("xij,xcdij->xcd", {g_inv, jet.d2g}) - 0.5 * at::einsum("xaij,xbji->xab", {a, a});
  return out;
}

ScalarJet2 slaved_dilaton(const MetricJet& jet, const ScalarJet2& log_measure_density, double shift) {
  ScalarJet2 f = log_volume_density_jet(jet);
  f.value = f.value + shift;
  if (log_measure_density.value.defined()) {
    check_dilaton(log_measure_density, jet, true, "slaved_dilaton (log_measure_density)");
    f.value = f.value - log_measure_density.value;
    f.grad = f.grad - log_measure_density.grad;
    f.hess = f.hess - log_measure_density.hess;
  }
  return f;
}

LossValue perelman_f(const at::Tensor& weights, const MetricJet& jet, const ScalarJet2& dilaton,
                     CurvatureBackend backend) {
  check_dilaton(dilaton, jet, false, "perelman_f");
  NMFLOW_CHECK(weights.dim() == 1 && weights.size(0) == jet.batch(), "perelman_f: weights must be [B] with B = ",
               jet.batch(), "; got ", weights.sizes());
  const CurvatureFields c = curvature_fields(jet, backend);
  const at::Tensor grad_norm2 = at::einsum("xab,xa,xb->x", {c.inverse_metric, dilaton.grad, dilaton.grad});
  const at::Tensor e = at::exp(-dilaton.value);
  const at::Tensor total = integrate_volume(weights, (c.scalar + grad_norm2) * e, c.volume_density);
  const at::Tensor weighted_volume = integrate_volume(weights, e, c.volume_density);
  const at::Tensor volume = integrate_volume(weights, at::ones_like(e), c.volume_density);
  return {total,
          {{"perelman_f", total.detach().item<double>()},
           {"weighted_volume", weighted_volume.detach().item<double>()},
           {"volume", volume.detach().item<double>()}}};
}

at::Tensor perelman_first_variation(const at::Tensor& weights, const MetricJet& jet, const ScalarJet2& dilaton,
                                    const at::Tensor& v, const at::Tensor& h, CurvatureBackend backend) {
  check_dilaton(dilaton, jet, true, "perelman_first_variation");
  NMFLOW_CHECK(v.sizes() == jet.g.sizes() && h.sizes() == dilaton.value.sizes(),
               "perelman_first_variation: v must be [B, n, n] and h [B] like the jet; got ", v.sizes(), " and ",
               h.sizes());
  const PerelmanFields p = perelman_fields(jet, dilaton, backend);
  const at::Tensor trace_v = (p.curvature.inverse_metric * v).sum({-2, -1});
  const at::Tensor integrand =
      (-(v * p.p_up).sum({-2, -1}) + (0.5 * trace_v - h) * p.s) * at::exp(-dilaton.value);
  return integrate_volume(weights, integrand, p.curvature.volume_density);
}

at::Tensor perelman_velocity(const MetricJet& jet, const ScalarJet2& dilaton, CurvatureBackend backend) {
  check_dilaton(dilaton, jet, true, "perelman_velocity");
  const PerelmanFields p = perelman_fields(jet, dilaton, backend);
  return -2.0 * (p.curvature.ricci + p.hess_cov);
}

at::Tensor perelman_lambda(const at::Tensor& weights, const MetricJet& jet, const at::Tensor& basis,
                           const at::Tensor& basis_grad, CurvatureBackend backend) {
  check_metric_jet(jet, "perelman_lambda");
  const int64_t b = jet.batch(), n = jet.dim();
  NMFLOW_CHECK(basis.dim() == 2 && basis.size(0) == b && basis_grad.dim() == 3 && basis_grad.size(0) == b &&
                   basis_grad.size(1) == basis.size(1) && basis_grad.size(2) == n,
               "perelman_lambda: basis must be [B, K] and basis_grad [B, K, n] with B = ", b, ", n = ", n,
               "; got ", basis.sizes(), " and ", basis_grad.sizes());
  NMFLOW_CHECK(weights.dim() == 1 && weights.size(0) == b, "perelman_lambda: weights must be [B]; got ",
               weights.sizes());
  const CurvatureFields c = curvature_fields(jet, backend);
  const at::Tensor mu = (weights * c.volume_density / static_cast<double>(b)).view({b, 1, 1});  // mean(w · √det g ·)
  const at::Tensor phi_phi = basis.unsqueeze(2) * basis.unsqueeze(1);                             // [B, K, K]
  const at::Tensor grad_grad = at::einsum("xab,xka,xlb->xkl", {c.inverse_metric, basis_grad, basis_grad});
  const at::Tensor a = ((4.0 * grad_grad + c.scalar.view({b, 1, 1}) * phi_phi) * mu).sum(0);
  const at::Tensor m = (phi_phi * mu).sum(0);
  // M = L Lᵀ: the generalised problem A c = λ M c becomes the symmetric L⁻¹ A L⁻ᵀ.
  const at::Tensor l = at::linalg_cholesky(m);
  const at::Tensor left = at::linalg_solve_triangular(l, a, /*upper=*/false);
  const at::Tensor sym = at::linalg_solve_triangular(l, left.transpose(0, 1), /*upper=*/false);
  return at::linalg_eigvalsh(0.5 * (sym + sym.transpose(0, 1))).select(0, 0);
}

}  // namespace nmflow

#include "geometry/curvature/curvature_reference.h"

#include <ATen/ATen.h>

namespace nmflow {

CurvatureReference curvature_reference(const MetricJet& jet) {
  check_metric_jet(jet, "curvature_reference");
  const at::Tensor ginv = at::linalg_inv(jet.g);
  const at::Tensor& dg = jet.dg;    // [B,c,i,j] = ∂_c g_ij
  const at::Tensor& d2g = jet.d2g;  // [B,e,c,i,j] = ∂_e ∂_c g_ij
  // Lowered Γ_dab = ½(∂_a g_bd + ∂_b g_ad − ∂_d g_ab), stored [B,d,a,b].
  const at::Tensor gamma_low = 0.5 * (dg.permute({0, 3, 1, 2}) + dg.permute({0, 3, 2, 1}) - dg);
  const at::Tensor gamma = at::einsum("zcd,zdab->zcab", {ginv, gamma_low});
  // ∂_e Γ_dab, stored [B,e,d,a,b].
  const at::Tensor dgamma_low =
      0.5 * (d2g.permute({0, 1, 4, 2, 3}) + d2g.permute({0, 1, 4, 3, 2}) - d2g);
  // ∂_e Γ^c_ab = −g^cp (∂_e g_pq) Γ^q_ab + g^cd ∂_e Γ_dab.
  const at::Tensor dgamma = at::einsum("zcd,zedab->zecab", {ginv, dgamma_low}) -
                            at::einsum("zcp,zepq,zqab->zecab", {ginv, dg, gamma});
  // R_bd = ∂_a Γ^a_db − ∂_d Γ^a_ab + Γ^a_ae Γ^e_db − Γ^a_de Γ^e_ab.
  const at::Tensor ricci = at::einsum("zaadb->zbd", {dgamma}) - at::einsum("zdaab->zbd", {dgamma}) +
                           at::einsum("zaae,zedb->zbd", {gamma, gamma}) -
                           at::einsum("zade,zeab->zbd", {gamma, gamma});
  const at::Tensor scalar = at::einsum("zbd,zbd->z", {ginv, ricci});
  return CurvatureReference{ginv, gamma, dgamma, ricci, scalar};
}

at::Tensor riemann_reference(const CurvatureReference& curvature) {
  const at::Tensor& gamma = curvature.christoffel;
  const at::Tensor& dgamma = curvature.christoffel_deriv;
  return at::einsum("zcadb->zabcd", {dgamma}) - at::einsum("zdacb->zabcd", {dgamma}) +
         at::einsum("zace,zedb->zabcd", {gamma, gamma}) - at::einsum("zade,zecb->zabcd", {gamma, gamma});
}

at::Tensor ricci_norm_squared(const CurvatureReference& curvature) {
  const at::Tensor& ginv = curvature.inverse_metric;
  return at::einsum("zac,zbd,zab,zcd->z", {ginv, ginv, curvature.ricci, curvature.ricci});
}

}  // namespace nmflow

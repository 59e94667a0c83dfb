#pragma once
// Curvature of a metric 2-jet by plain LibTorch tensor ops (einsum): the differentiable reference that every
// fused kernel is checked against. Conventions are docs/design.md §2:
//   Γ^c_ab = ½ g^cd (∂_a g_bd + ∂_b g_ad − ∂_d g_ab)
//   R^a_bcd = ∂_c Γ^a_db − ∂_d Γ^a_cb + Γ^a_ce Γ^e_db − Γ^a_de Γ^e_cb,   R_bd = R^a_bad,   R = g^bd R_bd
// so the unit round S^n has Ric = (n−1) g and R = n(n−1).
#include "geometry/metric_jet.h"

namespace nmflow {

struct CurvatureReference {
  at::Tensor inverse_metric;       // [B, n, n]        g^ij
  at::Tensor christoffel;          // [B, n, n, n]     christoffel[b,c,a,b'] = Γ^c_ab'
  at::Tensor christoffel_deriv;    // [B, n, n, n, n]  christoffel_deriv[b,e,c,a,b'] = ∂_e Γ^c_ab'
  at::Tensor ricci;                // [B, n, n]        R_ij
  at::Tensor scalar;               // [B]              R
};

// All of the above; differentiable through the jet.
CurvatureReference curvature_reference(const MetricJet& jet);

// riemann: [B, n, n, n, n] with riemann[b,a,b',c,d] = R^a_b'cd.
at::Tensor riemann_reference(const CurvatureReference& curvature);

// |Ric|² = g^ac g^bd R_ab R_cd: [B].
at::Tensor ricci_norm_squared(const CurvatureReference& curvature);

}  // namespace nmflow

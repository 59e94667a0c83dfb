#pragma once
// Fused curvature: Ricci, scalar curvature and |Ric|² of a metric 2-jet in one pass per point (CPU: at::parallel_for
// over points; CUDA: one thread per point), with an explicit reverse-mode backward. Same conventions as
// curvature_reference.h (docs/design.md §2); the per-point formulas are in curvature_math.h.
//
// The jet is assumed symmetric (g_ij, ∂_c g_ij in (i,j); ∂_c∂_d g_ij in (c,d) and (i,j)) with g positive definite.
// Gradients are those of the symmetric parametrisation: the reference's autograd gradient projected onto symmetric
// tensors (v ↦ ½(v + vᵀ) on each symmetric index pair). Double backward is not supported and throws.
#include "geometry/metric_jet.h"

namespace nmflow {

struct FusedCurvature {
  at::Tensor ricci;               // [B, n, n]  R_ij (exactly symmetric)
  at::Tensor scalar;              // [B]        R = g^ij R_ij
  at::Tensor ricci_norm_squared;  // [B]        |Ric|² = g^ac g^bd R_ab R_cd
};

// jet: g [B, n, n], dg [B, n, n, n], d2g [B, n, n, n, n]; float32 or float64, one device (CPU or CUDA), n in 2..6.
// Differentiable (once) with respect to g, dg and d2g.
FusedCurvature fused_curvature(const MetricJet& jet);

// Throws nmflow::Error, naming the actual sizes/dtypes/devices, unless `jet` is a valid input of fused_curvature.
void check_fused_curvature_inputs(const MetricJet& jet);

}  // namespace nmflow

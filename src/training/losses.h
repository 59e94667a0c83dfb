#pragma once
// Curvature losses of a metric 2-jet on a weighted point set (docs/design.md §4, docs/losses.md). Every integral is the
// Monte-Carlo estimate of PointSet's weight convention (geometry/manifolds/point_set.h):
//     ∫ f dV_g ≈ mean_b(w_b f(x_b) √det g(x_b)),
// i.e. the measure is the Riemannian volume dV_g of the metric being trained, estimated with the sampler's weights.
// Every loss is a 0-dim differentiable tensor (autograd reaches the network parameters through the jet) and comes
// with its named terms as plain numbers for logging.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"
#include "geometry/metric_jet.h"

namespace nmflow {

// Which curvature engine turns a jet into Ricci and R: the einsum reference (curvature_reference.h, any n, double
// backward) or the fused per-point kernel (fused_curvature.h, n in 2..6, first-order backward only, faster).
// CurvatureBackend and its name table: common/config_enums.h.

// "reference" | "fused"; throws nmflow::Error naming the allowed values.
CurvatureBackend parse_curvature_backend(const std::string& name);
std::string curvature_backend_name(CurvatureBackend backend);

// The pointwise curvature every loss needs.
struct CurvatureFields {
  at::Tensor inverse_metric;      // [B, n, n]  g^ij
  at::Tensor ricci;               // [B, n, n]  R_ij
  at::Tensor scalar;              // [B]        R
  at::Tensor ricci_norm_squared;  // [B]        |Ric|² = g^ac g^bd R_ab R_cd
  at::Tensor volume_density;      // [B]        √det g
};

// jet: (g [B,n,n], ∂g, ∂²g) → the fields above, differentiable through the jet.
CurvatureFields curvature_fields(const MetricJet& jet, CurvatureBackend backend);

// A differentiable scalar and its named terms (detached values: the loss's own value under its name first, then
// diagnostics) for logging.
struct LossValue {
  at::Tensor total;                                   // [] (0-dim), differentiable
  std::vector<std::pair<std::string, double>> terms;  // e.g. {"einstein", 0.12}, {"volume", 12.56}, ...
};

// ∫ f dV_g ≈ mean(w f √det g). weights: [B]; integrand: [B]; volume_density: [B] √det g. Differentiable.
at::Tensor integrate_volume(const at::Tensor& weights, const at::Tensor& integrand, const at::Tensor& volume_density);

// Vol_g ≈ mean(w √det g). weights: [B]; jet.g: [B, n, n].
at::Tensor metric_volume(const at::Tensor& weights, const MetricJet& jet);

// Ricci norm L = ∫ |Ric|² dV_g. Terms: ricci_norm, volume, mean_scalar (= ∫R dV / Vol).
LossValue ricci_norm_loss(const at::Tensor& weights, const MetricJet& jet, CurvatureBackend backend);

// Einstein L = ∫ |Ric − λ g|² dV_g with |T|² = g^ac g^bd T_ab T_cd.
//   lambda given (std::isfinite): that constant;
//   lambda = NaN (the default): λ = ∫R dV / (n Vol), the volume average of R/n, computed on the same points and
//   differentiated through (so the loss is scale-free: it vanishes on every Einstein metric, whatever its λ).
// Terms: einstein, lambda, volume, mean_scalar.
struct EinsteinOptions {
  double lambda = std::numeric_limits<double>::quiet_NaN();
};
LossValue einstein_loss(const at::Tensor& weights, const MetricJet& jet, CurvatureBackend backend,
                        const EinsteinOptions& options = {});

// Volume normalisation penalty P = (Vol_g / V₀ − 1)², V₀ > 0. Terms: volume_penalty, volume.
LossValue volume_penalty(const at::Tensor& weights, const MetricJet& jet, double target_volume);

// The sum a.total + scale · b.total, with a's terms followed by b's (unscaled). scale ≥ 0.
LossValue add_loss(LossValue a, const LossValue& b, double scale);

}  // namespace nmflow

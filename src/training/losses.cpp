#include "training/losses.h"

#include <cmath>

#include <ATen/ATen.h>

#include "common/enum_names.h"
#include "common/error.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"

namespace nmflow {

namespace {


}  // namespace

CurvatureBackend parse_curvature_backend(const std::string& name) {
  return parse_enum(kCurvatureBackendNames, name, "curvature backend");
}

std::string curvature_backend_name(CurvatureBackend value) { return enum_name(kCurvatureBackendNames, value); }

CurvatureFields curvature_fields(const MetricJet& jet, CurvatureBackend backend) {
  check_metric_jet(jet, "curvature_fields");
  // Cholesky once: g = L Lᵀ gives √det g = Π L_ii and g⁻¹; it also rejects a metric that is not positive definite.
  const at::Tensor chol = at::linalg_cholesky(jet.g);
  CurvatureFields fields;
  fields.volume_density = chol.diagonal(0, -2, -1).prod(-1);
  if (backend == CurvatureBackend::Fused) {
    const FusedCurvature fused = fused_curvature(jet);
    fields.inverse_metric = at::cholesky_inverse(chol);
    fields.ricci = fused.ricci;
    fields.scalar = fused.scalar;
    fields.ricci_norm_squared = fused.ricci_norm_squared;
  } else {
    const CurvatureReference reference = curvature_reference(jet);
    fields.inverse_metric = reference.inverse_metric;
    fields.ricci = reference.ricci;
    fields.scalar = reference.scalar;
    fields.ricci_norm_squared = ricci_norm_squared(reference);
  }
  return fields;
}

at::Tensor integrate_volume(const at::Tensor& weights, const at::Tensor& integrand, const at::Tensor& volume_density) {
  NMFLOW_CHECK(weights.dim() == 1 && integrand.sizes() == weights.sizes() &&
                   volume_density.sizes() == weights.sizes(),
               "integrate_volume: weights, integrand and volume_density must all be [B]; got ", weights.sizes(), ", ",
               integrand.sizes(), ", ", volume_density.sizes());
  return (weights * integrand * volume_density).mean();
}

at::Tensor metric_volume(const at::Tensor& weights, const MetricJet& jet) {
  const at::Tensor density = at::linalg_cholesky(jet.g).diagonal(0, -2, -1).prod(-1);
  return integrate_volume(weights, at::ones_like(density), density);
}

namespace {

void check_weights(const at::Tensor& weights, const MetricJet& jet, const char* who) {
  check_metric_jet(jet, who);
  NMFLOW_CHECK(weights.dim() == 1 && weights.size(0) == jet.batch(), who, ": weights must be [B] with B = ",
               jet.batch(), " (the jet's batch); got ", weights.sizes());
}

double value_of(const at::Tensor& t) { return t.detach().item<double>(); }

}  // namespace

LossValue ricci_norm_loss(const at::Tensor& weights, const MetricJet& jet, CurvatureBackend backend) {
  check_weights(weights, jet, "ricci_norm_loss");
  const CurvatureFields c = curvature_fields(jet, backend);
  const at::Tensor volume = integrate_volume(weights, at::ones_like(c.scalar), c.volume_density);
  const at::Tensor total = integrate_volume(weights, c.ricci_norm_squared, c.volume_density);
  const at::Tensor mean_scalar = integrate_volume(weights, c.scalar, c.volume_density) / volume;
  return {total,
          {{"ricci_norm", value_of(total)}, {"volume", value_of(volume)}, {"mean_scalar", value_of(mean_scalar)}}};
}

LossValue einstein_loss(const at::Tensor& weights, const MetricJet& jet, CurvatureBackend backend,
                        const EinsteinOptions& options) {
  check_weights(weights, jet, "einstein_loss");
  NMFLOW_CHECK(!std::isinf(options.lambda), "einstein_loss: lambda must be finite or NaN (= volume average R/n); got ",
               options.lambda);
  const CurvatureFields c = curvature_fields(jet, backend);
  const int64_t n = jet.dim();
  const at::Tensor volume = integrate_volume(weights, at::ones_like(c.scalar), c.volume_density);
  const at::Tensor mean_scalar = integrate_volume(weights, c.scalar, c.volume_density) / volume;
  const at::Tensor lambda = std::isnan(options.lambda) ? mean_scalar / static_cast<double>(n)
                                                       : at::full({}, options.lambda, mean_scalar.options());
  // E = Ric − λ g and |E|² = g^ac g^bd E_ab E_cd, formed directly (not as |Ric|² − 2λR + nλ², which cancels
  // catastrophically near an Einstein metric).
  const at::Tensor e = c.ricci - lambda * jet.g;
  const at::Tensor e_up = at::matmul(at::matmul(c.inverse_metric, e), c.inverse_metric);  // E^ab
  const at::Tensor norm2 = (e_up * e).sum({-2, -1});
  const at::Tensor total = integrate_volume(weights, norm2, c.volume_density);
  return {total,
          {{"einstein", value_of(total)},
           {"lambda", value_of(lambda)},
           {"volume", value_of(volume)},
           {"mean_scalar", value_of(mean_scalar)}}};
}

LossValue volume_penalty(const at::Tensor& weights, const MetricJet& jet, double target_volume) {
  check_weights(weights, jet, "volume_penalty");
  NMFLOW_CHECK(target_volume > 0.0 && std::isfinite(target_volume),
               "volume_penalty: target_volume must be positive and finite; got ", target_volume);
  const at::Tensor volume = metric_volume(weights, jet);
  const at::Tensor total = (volume / target_volume - 1.0).square();
  return {total, {{"volume_penalty", value_of(total)}, {"volume", value_of(volume)}}};
}

LossValue add_loss(LossValue a, const LossValue& b, double scale) {
  NMFLOW_CHECK(scale >= 0.0 && std::isfinite(scale), "add_loss: scale must be finite and ≥ 0; got ", scale);
  a.total = a.total + scale * b.total;
  a.terms.insert(a.terms.end(), b.terms.begin(), b.terms.end());
  return a;
}

}  // namespace nmflow

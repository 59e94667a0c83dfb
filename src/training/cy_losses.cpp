#include "training/cy_losses.h"

#include <cmath>

#include <ATen/ATen.h>

#include "common/enum_names.h"
#include "common/error.h"
#include "geometry/kahler/cy_measures.h"

namespace nmflow {

MongeAmpereWeighting parse_monge_ampere_weighting(const std::string& name) {
  return parse_enum(kMongeAmpereWeightingNames, name, "Monge–Ampère weighting");
}

std::string monge_ampere_weighting_name(MongeAmpereWeighting value) {
  return enum_name(kMongeAmpereWeightingNames, value);
}

MongeAmpereKappa parse_monge_ampere_kappa(const std::string& name) {
  return parse_enum(kMongeAmpereKappaNames, name, "Monge–Ampère kappa");
}

std::string monge_ampere_kappa_name(MongeAmpereKappa value) { return enum_name(kMongeAmpereKappaNames, value); }

double fubini_study_kappa(const CYPointSet& points) {
  return cy_accuracy(points.weights, points.omega_sq, points.det_g_fs).kappa;
}

LossValue monge_ampere_loss(const at::Tensor& det_g, const at::Tensor& omega_sq, const at::Tensor& weights,
                            double kappa, MongeAmpereWeighting weighting, MongeAmpereKappa kappa_source) {
  NMFLOW_CHECK(det_g.dim() == 1 && omega_sq.sizes() == det_g.sizes() && weights.sizes() == det_g.sizes() &&
                   det_g.numel() > 0,
               "monge_ampere_loss: det_g, omega_sq, weights must all be [B] with B ≥ 1, got ", det_g.sizes(), ", ",
               omega_sq.sizes(), ", ", weights.sizes());
  at::Tensor ratio = det_g / omega_sq;
  if (kappa_source == MongeAmpereKappa::Batch) {
    ratio = ratio / ((weights * ratio).sum() / weights.sum()).detach();
  } else {
    NMFLOW_CHECK(std::isfinite(kappa) && kappa > 0.0, "monge_ampere_loss: kappa must be finite and > 0, got ",
                 kappa);
    ratio = ratio / kappa;
  }
  const at::Tensor residual = (1.0 - ratio).abs();
  const at::Tensor total =
      weighting == MongeAmpereWeighting::Uniform ? residual.mean() : (weights * residual).mean() / weights.mean();
  return LossValue{total, {{"monge_ampere", total.detach().item<double>()}}};
}

}  // namespace nmflow

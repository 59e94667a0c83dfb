#include "geometry/kahler/cy_measures.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

CYAccuracy cy_accuracy(const at::Tensor& weights, const at::Tensor& omega_sq, const at::Tensor& det_g) {
  NMFLOW_CHECK(weights.dim() == 1 && omega_sq.sizes() == weights.sizes() && det_g.sizes() == weights.sizes() &&
                   weights.numel() > 0,
               "cy_accuracy: weights, omega_sq, det_g must all be [B] with B ≥ 1, got ", weights.sizes(), ", ",
               omega_sq.sizes(), ", ", det_g.sizes());
  const at::Tensor eta = det_g / omega_sq;
  const double vol_cy = weights.mean().item<double>();
  const double vol_k = (weights * eta).mean().item<double>();
  const double sigma = (weights * (1.0 - eta * (vol_cy / vol_k)).abs()).mean().item<double>() / vol_cy;
  return CYAccuracy{vol_cy, vol_k, sigma, vol_k / vol_cy};
}

}  // namespace nmflow

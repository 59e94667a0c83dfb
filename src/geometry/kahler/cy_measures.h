#pragma once
// Accuracy measures of a CY metric, identical to cymetric / MLGeometry / CYJAX / cymyc (docs/design.md §3):
//   Vol_CY = mean(w);  η = det g/|Ω|²;  Vol_K = mean(w η);  σ = mean(w |1 − η Vol_CY/Vol_K|)/Vol_CY;
//   κ = Vol_K/Vol_CY.
#include <ATen/core/Tensor.h>

namespace nmflow {

struct CYAccuracy {
  double vol_cy;
  double vol_k;
  double sigma;
  double kappa;
};

// weights, omega_sq, det_g: [B] float64 (w, |Ω|², det g of the metric being judged).
CYAccuracy cy_accuracy(const at::Tensor& weights, const at::Tensor& omega_sq, const at::Tensor& det_g);

}  // namespace nmflow

#pragma once
// Losses of Calabi–Yau metric learning (docs/design.md §3; docs/cy_training.md). The Ricci-flat metric in the class of
// J_FS solves the complex Monge–Ampère equation det g = κ |Ω|² with κ = Vol_K/Vol_CY a constant fixed by the class
// (computed once with g_FS, since Vol_K = ∫J^m/m! is topological).
#include <string>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"
#include "training/losses.h"
#include "geometry/kahler/cy_point_set.h"

namespace nmflow {

// MongeAmpereWeighting (the enum and its names: common/config_enums.h):
// uniform   L = mean |1 − det g/(κ|Ω|²)|                (average over the sampling measure, J_FS^m/m!)
// weighted  L = mean(w |1 − det g/(κ|Ω|²)|)/mean(w)      (average over Ω∧Ω̄, the measure σ uses; w = |Ω|²/det g_FS)
MongeAmpereWeighting parse_monge_ampere_weighting(const std::string& name);  // "uniform" | "weighted"
std::string monge_ampere_weighting_name(MongeAmpereWeighting weighting);

// Where κ comes from, MongeAmpereKappa (common/config_enums.h):
// training_set  κ = Vol_K/Vol_CY of Fubini–Study on the whole training set, fixed (exact in the limit: Vol_K is
//               topological);
// batch         κ_b = Σ w det g/|Ω|² / Σ w over the minibatch (w the weights of `weights`), recomputed every step
//               and held constant in the gradient — MLGeometry's "local batch normalisation"; it removes the
//               minibatch's Monte-Carlo volume error from the residual.
MongeAmpereKappa parse_monge_ampere_kappa(const std::string& name);  // "training_set" | "batch"
std::string monge_ampere_kappa_name(MongeAmpereKappa kappa);

// κ = Vol_K/Vol_CY of Fubini–Study on these points (cy_accuracy with det g_FS).
double fubini_study_kappa(const CYPointSet& points);

// det_g, omega_sq, weights: [B] float64 (det g differentiable). Terms: monge_ampere. With MongeAmpereKappa::Batch,
// `kappa` is ignored and κ_b (above) is used.
LossValue monge_ampere_loss(const at::Tensor& det_g, const at::Tensor& omega_sq, const at::Tensor& weights,
                            double kappa, MongeAmpereWeighting weighting,
                            MongeAmpereKappa kappa_source = MongeAmpereKappa::TrainingSet);

}  // namespace nmflow

#pragma once
// Comparison of two flows on probe points at matched flow time (docs/design.md §4 "Comparison").
//
// The distance is measured in the reference metric itself, so it is the same in every chart and frame:
//     d(g, g_ref)(x) = ( tr(g_ref⁻¹ Δ g_ref⁻¹ Δ) / n )^{1/2},   Δ = g − g_ref,
// i.e. the RMS relative deviation of the eigenvalues of g_ref⁻¹ g from 1. For g_ref = Eᵀ diag(λ) E (an invariant
// metric in its invariant frame E) it is the relative deviation of the frame components, ((Σ_ab (ΔM_ab)²/(λ_a λ_b))/n)^{1/2}.
#include <vector>

#include <ATen/core/Tensor.h>

#include "flows/flow.h"

namespace nmflow {

// g, g_ref: [P, n, n] → d(g, g_ref): [P] float64, one per probe.
at::Tensor relative_metric_deviations(const at::Tensor& g, const at::Tensor& g_ref);
// g, g_ref: [P, n, n] → max over the probes of d(g, g_ref).
double relative_metric_deviation(const at::Tensor& g, const at::Tensor& g_ref);

// The Wasserstein-2 distance of two weighted samples on the line, a: [M] with weights w_a: [M] ≥ 0 and b: [K] with
// w_b: [K] ≥ 0 (each normalised to mass 1 here): W₂² = ∫₀¹ (Q_a(u) − Q_b(u))² du with Q the quantile functions,
// exact for the two step functions (sort, then integrate over the merged cumulative weights). When b is one value
// R_b it is the weighted RMS of a − R_b. (local_ricci_t2.h's weighted_wasserstein2 instead interpolates the
// quantiles between samples, for samples of a continuous field on a grid.)
double empirical_wasserstein2(const at::Tensor& a, const at::Tensor& w_a, const at::Tensor& b, const at::Tensor& w_b);

struct TrajectoryComparison {
  std::vector<double> times;       // the matched flow times (after each step)
  std::vector<double> deviations;  // relative_metric_deviation at each time
  double max_deviation = 0.0;
};

// Steps `flow` and `reference` together to each time in `times` (increasing, > both flows' current times) and
// compares them at `probes` [P, n].
TrajectoryComparison compare_trajectories(Flow& flow, Flow& reference, const at::Tensor& probes,
                                          const std::vector<double>& times);

}  // namespace nmflow

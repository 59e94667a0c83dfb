#pragma once
// Local-flow Ricci recovery (docs/design.md §4; derivation with every factor in docs/local_ricci.md).
//
// Model. On S³ = SU(2) in the Euler-angle chart (left_invariant_su2.h) the network outputs the metric in the
// left-invariant coframe E(x) (σ_i = E_ia dx^a):
//     g(x) = E(x)ᵀ M(x) E(x),   M = L₀ᵀ exp(P(S)) L₀   (head frame_exp,  kernel K = g g at S = 0), or
//                               M = M₀ + P(S)          (head symmetric, the flat component kernel — the control),
// M₀ = L₀ᵀ L₀ = diag(A₀, A₀, B₀), with S a linear model over random Fourier features of the embedding q(x) ∈ R⁴ of
// the point as a unit quaternion:
//     S_P(x) = Σ_i a_iP φ_i(x),   φ_i = N^{−1/2} cos(b_i·q(x) + c_i),   b_i, c_i fixed, a trained (a = 0 at start).
// Its frozen kernel is Θ_S(x, x') = ½ χ(|q − q'|) δ_PQ: a function of the chordal distance, so bi-invariant on
// SU(2), and local as the bandwidth grows. With μ the unit-round volume (Haar measure, total 2π²) and the dilaton
// slaved to it (e^{−f} dV_g = μ), gradient descent on L = −c F/Ω, c = 2, Ω = ∫ dμ(x') ½ χ(|q(x) − q(x')|), moves
// g by ∂_t g = −2(Ric + ∇∇f) = −2 Ric on invariant metrics (f is constant there), which is what is checked.
//
// Case (c), an inhomogeneous conformal metric on T² (manifold = conformal_t2), lives in local_ricci_t2.h.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "experiments/local_ricci_case.h"
#include "ntk/random_fourier.h"

namespace nmflow {

double local_kernel_omega(FrequencyDistribution frequencies, double bandwidth);

// Runs the NN flow (gradient descent at rate η on L = −2F/Ω) and the reference Ricci flow of the Berger ODE from
// the same g₀ and compares them on the probes at the observation times (S³); dispatches to run_local_ricci_t2 for
// conformal_t2.
LocalRicciResult run_local_ricci_case(const LocalRicciOptions& options);

}  // namespace nmflow

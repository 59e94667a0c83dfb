#pragma once
// Local-flow Ricci recovery (DESIGN.md §4; derivation with every factor in docs/local_ricci.md).
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
#include <cstdint>
#include <string>
#include <vector>

#include "models/metric_heads.h"
#include "ntk/random_fourier.h"

namespace nmflow {

struct LocalRicciOptions {
  double a0 = 1.0;  // initial Berger metric A₀(σ₁² + σ₂²) + B₀σ₃² (A₀ = B₀ = 1: the unit round S³)
  double b0 = 1.0;
  MetricHeadKind head = MetricHeadKind::FrameExponential;  // frame_exp (K = g g) or symmetric (flat control)
  int64_t features = 256;                                  // N
  FrequencyDistribution frequencies = FrequencyDistribution::Gaussian;
  double bandwidth = 2.0;  // σ_b (Gaussian, b ~ N(0, σ_b²/4 I₄)) or Λ (uniform ball in R⁴)
  int64_t points = 256;    // Haar-uniform training points
  int64_t probes = 16;     // Haar-uniform probe points (independent of the training points)
  double final_time = 0.04;
  double learning_rate = 2e-3;  // η; final_time/η must be a whole number of steps
  int64_t observations = 4;     // comparison times final_time·k/observations, k = 1..observations
  uint64_t seed = 0;
};
void check_local_ricci_options(const LocalRicciOptions& options);

struct LocalRicciResult {
  double omega = 0.0;          // Ω = ∫ dμ ½χ, the local weight of the frozen kernel (docs/local_ricci.md)
  double max_deviation = 0.0;  // max over comparison times of flow_comparison.h's relative deviation
  double ntk_drift = 0.0;      // ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F of the metric-NTK on the probes (Θ_0 at t = 0)
  double nonlocal_mass = 0.0;  // ntk_nonlocal_mass of Θ_0 on the probes
  std::vector<double> times;
  std::vector<double> deviations;
};

// Ω(χ) = ∫_{S³} dμ(x') ½ χ(|q − q'|) = 2π ∫_0^π sin²ψ χ(2 sin(ψ/2)) dψ (geodesic polar coordinates on the unit S³,
// chordal distance 2 sin(ψ/2)), by composite Simpson with 4000 intervals.
double local_kernel_omega(FrequencyDistribution frequencies, double bandwidth);

// Runs the NN flow (gradient descent at rate η on L = −2F/Ω) and the reference Ricci flow of the Berger ODE from
// the same g₀ and compares them on the probes at the observation times.
LocalRicciResult run_local_ricci_case(const LocalRicciOptions& options);

}  // namespace nmflow

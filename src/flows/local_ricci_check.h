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

#include "geometry/manifolds/conformal_torus.h"
#include "models/metric_heads.h"
#include "ntk/random_fourier.h"

namespace nmflow {

enum class LocalRicciManifold {
  S3,           // round/Berger S³ (a0, b0), features of the embedding q ∈ R⁴
  ConformalT2,  // g₀ = e^{2u₀}δ on T², periodic Gaussian bumps (local_ricci_t2.h)
};

struct LocalRicciOptions {
  LocalRicciManifold manifold = LocalRicciManifold::S3;
  double a0 = 1.0;  // initial Berger metric A₀(σ₁² + σ₂²) + B₀σ₃² (A₀ = B₀ = 1: the unit round S³)
  double b0 = 1.0;
  // S³: frame_exp (K = g g) or symmetric (flat control); T²: frame_exp (K = g g) or conformal (control).
  MetricHeadKind head = MetricHeadKind::FrameExponential;
  int64_t features = 256;  // N (T²: n_c², a perfect square)
  FrequencyDistribution frequencies = FrequencyDistribution::Gaussian;  // S³ only
  // S³: σ_b (Gaussian, b ~ N(0, σ_b²/4 I₄)) or Λ (uniform ball in R⁴); T²: Λ = 1/ε of the bumps.
  double bandwidth = 2.0;
  int64_t points = 256;  // S³: Haar-uniform training points (T²: see grid)
  int64_t probes = 16;   // S³: Haar-uniform comparison and NTK probes; T²: uniform NTK probes
  double final_time = 0.04;
  double learning_rate = 2e-3;  // η; final_time/η must be a whole number of steps
  int64_t observations = 4;     // comparison times final_time·k/observations, k = 1..observations
  uint64_t seed = 0;
  // T² only.
  std::vector<FourierMode> u0{{1, 0, 0.3, 0.0}, {1, 1, 0.0, 0.2}};  // u₀ = 0.3 cos x + 0.2 sin(x + y)
  int64_t grid = 32;            // training points: the grid² uniform grid, w = 4π²
  int64_t probe_grid = 32;      // comparison probes: the probe_grid² grid offset by half a spacing
  int64_t reference_grid = 64;  // grid of the Ricci-flow reference (conformal_surface_flow.h)
};
void check_local_ricci_options(const LocalRicciOptions& options);

struct LocalRicciResult {
  double omega = 0.0;          // Ω = ∫ dμ ½χ, the local weight of the frozen kernel (docs/local_ricci.md)
  double max_deviation = 0.0;  // max over comparison times of flow_comparison.h's relative deviation
  double ntk_drift = 0.0;      // ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F of the metric-NTK on the probes (Θ_0 at t = 0)
  double nonlocal_mass = 0.0;  // ntk_nonlocal_mass of Θ_0 on the probes
  // T² only (NaN for S³). max_deviation is there W₂(R_NN, R_Ricci)/rms(R_Ricci) of the area-weighted
  // distributions of R (a diffeomorphism invariant).
  double reference_change = std::numeric_limits<double>::quiet_NaN();    // the same W₂ of R_Ricci(T) vs R(0)
  double velocity_deviation = std::numeric_limits<double>::quiet_NaN();  // NN ∂_t g at t = 0 vs derived, relative
  double derived_deviation = std::numeric_limits<double>::quiet_NaN();   // trajectory vs the derived flow where
                                                                         // well-posed (conformal head: ∂_t u = 0)
  std::vector<double> times;
  std::vector<double> deviations;
};

// Ω(χ) = ∫_{S³} dμ(x') ½ χ(|q − q'|) = 2π ∫_0^π sin²ψ χ(2 sin(ψ/2)) dψ (geodesic polar coordinates on the unit S³,
// chordal distance 2 sin(ψ/2)), by composite Simpson with 4000 intervals.
double local_kernel_omega(FrequencyDistribution frequencies, double bandwidth);

// Runs the NN flow (gradient descent at rate η on L = −2F/Ω) and the reference Ricci flow of the Berger ODE from
// the same g₀ and compares them on the probes at the observation times (S³); dispatches to run_local_ricci_t2 for
// conformal_t2.
LocalRicciResult run_local_ricci_case(const LocalRicciOptions& options);

}  // namespace nmflow

#pragma once
// The options and results of one local-flow Ricci-recovery case (docs/local_ricci.md), shared by the S³ cases
// (local_ricci_check.h) and the conformal-T² case (local_ricci_t2.h), so that neither runner depends on the other.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "geometry/manifolds/conformal_torus.h"
#include "models/metric_heads.h"
#include "ntk/random_fourier.h"

namespace nmflow {

// LocalRicciManifold and its name table: common/config_enums.h.

// "s3" | "conformal_t2"; throws nmflow::Error naming the allowed values.
LocalRicciManifold parse_local_ricci_manifold(const std::string& name);
std::string local_ricci_manifold_name(LocalRicciManifold manifold);

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
}  // namespace nmflow

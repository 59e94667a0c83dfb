#pragma once
// Kind ricci_flow (docs/config.md, "ricci_flow"; docs/ricci_flow_reference.md §5): a reference Ricci flow
// ∂_t g = −2 Ric from a starting metric chosen by `metric.family`, integrated by src/flows/reference and recorded as a
// trajectory. Plain data, validated once by io/config_yaml_ricci_flow.cpp; each member names the families it applies
// to (the others keep the default and are rejected when given).
#include <cstdint>
#include <vector>

#include "common/config_enums.h"

namespace nmflow {

// One term cos·cos(k·x) + sin·sin(k·x), k = (kx, ky, kz), of a Fourier series on the torus [0, 2π)^n. For u₀
// (conformal_t2) i, j and kz are unused; for g₀ (deturck_t2, deturck_t3) the term is added to g_ij and g_ji.
struct RicciFlowFourierMode {
  int64_t i = 0;
  int64_t j = 0;
  int64_t kx = 0;
  int64_t ky = 0;
  int64_t kz = 0;
  double cos = 0.0;
  double sin = 0.0;
};

struct RicciFlowConfig {
  static constexpr const char* kKind = "ricci_flow";
  // YAML section `metric`.
  RicciFlowFamily family = RicciFlowFamily::Berger;
  int64_t dim = 3;                  // round_sphere, hyperbolic: n
  double radius = 1.0;              // round_sphere, hyperbolic, sphere_torus: g = radius² ĝ (the sphere factor's)
  double a = 1.0;                   // su2, berger, nil: A
  double b = 0.5;                   // su2, berger, nil: B (berger: A(σ₁² + σ₂²) + Bσ₃²)
  double c = 1.0;                   // su2, nil: C
  int64_t sphere_dim = 2;           // sphere_torus: m of S^m × T^k
  int64_t torus_dim = 1;            // sphere_torus: k
  std::vector<double> lengths;      // sphere_torus: ℓ_i of Σ ℓ_i dθ_i², torus_dim of them (all 1 when not given)
  std::vector<RicciFlowFourierMode> u0 = {{0, 0, 1, 0, 0, 0.3, 0.0}, {0, 0, 1, 1, 0, 0.0, 0.2}};  // conformal_t2
  std::vector<RicciFlowFourierMode> g0 = {{0, 0, 1, 0, 0, 0.2, 0.0}, {0, 1, 1, 1, 0, 0.0, 0.1}};  // deturck: δ + Σ
  // YAML section `flow`: exactly one of end_time and extinction_fraction is > 0 after validation.
  double end_time = 0.0;            // the flow runs to this t
  double extinction_fraction = 0.0;  // round_sphere, su2, berger, sphere_torus: to this fraction of the extinction time
  int64_t records = 10;             // records at end·k/records, k = 1…records (when record_times is empty)
  std::vector<double> record_times;  // explicit record times, ascending, each ≤ end_time (end_time families only)
  double rtol = 1e-12;              // homogeneous families: Dormand–Prince tolerances (flows/reference/ode_integrator.h)
  double atol = 1e-14;
  int64_t grid = 32;                // grid families: points per axis N
  double cfl = 0.5;                 // grid families: RK4 substeps ≤ cfl × the stability limit
  // YAML section `recording` (with recording.output).
  int64_t probes = 8;               // probe points where g, Ric and R are recorded, drawn from `seed`
};

// The families integrated on a periodic grid (the others are homogeneous ODEs).
inline bool ricci_flow_on_grid(RicciFlowFamily family) {
  return family == RicciFlowFamily::ConformalT2 || family == RicciFlowFamily::DeTurckT2 ||
         family == RicciFlowFamily::DeTurckT3;
}

// The families whose flow becomes extinct in finite time (compact with positive curvature).
inline bool ricci_flow_goes_extinct(RicciFlowFamily family) {
  return family == RicciFlowFamily::RoundSphere || family == RicciFlowFamily::Su2 ||
         family == RicciFlowFamily::Berger || family == RicciFlowFamily::SphereTorus;
}

}  // namespace nmflow

#pragma once
// An independent estimator of integrals over a hypersurface X ⊂ P^N, to check the line sampler (docs/design.md §6).
// X is cut into the cells C_ke = {patch k, eliminated e} that choose_patches assigns. On C_ke the local
// coordinates x ∈ C^m (z_k = 1, z_e solved for) lie in the unit polydisk D^m, so
//   ∫_{C_ke} F d^{2m}x = π^m E_{x ~ U(D^m)} [ Σ_{roots z_e of p(x, z_e) = 0 with (x, z_e) ∈ C_ke} F ],
// and ∫_X = Σ_{k≠e} ∫_{C_ke}. Both integrands used here, det g_FS and |Ω|², are bounded on every cell
// (|∂p/∂z_e| is the largest of the N candidates, and Euler's identity bounds ∂p/∂z_k by them), so the
// Monte-Carlo variance is finite. Needs the pure power z_e^d in p with a nonzero coefficient for every e.
#include <cstdint>

#include "geometry/kahler/hypersurface.h"

namespace nmflow {

struct MonteCarloEstimate {
  double value = 0.0;
  double standard_error = 0.0;
};

struct PatchCellIntegrals {
  MonteCarloEstimate fs_volume;  // ∫_X det g_FS d^{2m}x = ∫_X J^m/m!  (= deg p / m! at t = 1)
  MonteCarloEstimate omega_sq;   // ∫_X |Ω|² d^{2m}x (Ω = 1/(∂p/∂z_e); meaningful for Calabi–Yau X)
  int64_t samples = 0;           // polydisk samples over all cells
  int64_t residual_failures = 0; // roots above the residual tolerance (counted, not integrated)
};

// samples_per_cell: polydisk points per (k, e) cell; t: Kähler modulus of g_FS. CPU.
PatchCellIntegrals integrate_over_patch_cells(const Hypersurface& surface, int64_t samples_per_cell, uint64_t seed,
                                              double t = 1.0, double residual_tolerance = 1e-10);

}  // namespace nmflow

#pragma once
// Patches and pullbacks on a hypersurface X ⊂ P^N (docs/design.md §3):
//   patch k = argmax_I |z_I|, z rescaled by 1/z_k so z_k = 1 exactly;
//   eliminated e = argmax_{I≠k} |∂p/∂z_I| (the best-conditioned coordinate to solve p = 0 for);
//   local coordinates x_a = z_I for the m = N − 1 indices I ∉ {k, e}, in ascending order;
//   pullback P_a^I = ∂z_I/∂x_a: δ for kept coordinates, 0 at I = k, P_a^e = −(∂p/∂z_{I_a})/(∂p/∂z_e).
#include <ATen/core/Tensor.h>

#include "geometry/kahler/hypersurface.h"

namespace nmflow {

struct PatchChoice {
  at::Tensor z;              // [B, N+1] complex128, rescaled so z[b, patch[b]] = 1 exactly
  at::Tensor patch;          // [B] int64  k
  at::Tensor eliminated;     // [B] int64  e
  at::Tensor local_indices;  // [B, m] int64  homogeneous index I_a of local coordinate x_a (ascending)
  at::Tensor dp;             // [B, N+1] complex128  ∂p/∂z_I at the rescaled z
};

// z: [B, N+1] complex128, points of X in any scaling.
PatchChoice choose_patches(const Hypersurface& surface, const at::Tensor& z);

// P: [B, m, N+1] complex128 with P[b, a, I] = ∂z_I/∂x_a.
at::Tensor pullback_matrix(const PatchChoice& patches);

}  // namespace nmflow

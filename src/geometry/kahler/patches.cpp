#include "geometry/kahler/patches.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

PatchChoice choose_patches(const Hypersurface& surface, const at::Tensor& z_in) {
  NMFLOW_CHECK(z_in.dim() == 2 && z_in.size(1) == surface.n_coords() && z_in.scalar_type() == at::kComplexDouble,
               "choose_patches: z must be complex128 [B, ", surface.n_coords(), "], got ", z_in.scalar_type(), " ",
               z_in.sizes());
  const int64_t n = surface.n_coords();
  const at::Tensor patch = z_in.abs().argmax(1);  // [B]
  at::Tensor z = z_in / z_in.gather(1, patch.unsqueeze(1));
  z.scatter_(1, patch.unsqueeze(1), at::ones({z.size(0), 1}, z.options()));  // exactly 1, not ≈ 1
  const at::Tensor dp = surface.gradient(z);
  // The patch coordinate is fixed, so it cannot be eliminated: mask it below every |∂p/∂z_I| ≥ 0.
  const at::Tensor dp_abs = dp.abs().scatter(1, patch.unsqueeze(1), -1.0);
  const at::Tensor eliminated = dp_abs.argmax(1);
  at::Tensor kept = at::ones({z.size(0), n}, z.options().dtype(at::kBool));
  kept.scatter_(1, patch.unsqueeze(1), false);
  kept.scatter_(1, eliminated.unsqueeze(1), false);
  const at::Tensor indices = at::arange(n, patch.options()).expand({z.size(0), n});
  const at::Tensor local_indices = indices.masked_select(kept).view({z.size(0), n - 2});
  return PatchChoice{z, patch, eliminated, local_indices, dp};
}

at::Tensor pullback_matrix(const PatchChoice& patches) {
  const int64_t batch = patches.z.size(0);
  const int64_t n = patches.z.size(1);
  const int64_t m = n - 2;
  at::Tensor p = at::zeros({batch, m, n}, patches.z.options());
  p.scatter_(2, patches.local_indices.unsqueeze(2), 1.0);
  // ∂z_e/∂x_a from p(z) = 0 with z_k fixed: ∂_{I_a} p + ∂_e p · ∂z_e/∂x_a = 0.
  const at::Tensor dp_e = patches.dp.gather(1, patches.eliminated.unsqueeze(1));  // [B, 1]
  const at::Tensor dz_e = -patches.dp.gather(1, patches.local_indices) / dp_e;    // [B, m]
  p.scatter_(2, patches.eliminated.view({batch, 1, 1}).expand({batch, m, 1}), dz_e.unsqueeze(2));
  return p;
}

}  // namespace nmflow

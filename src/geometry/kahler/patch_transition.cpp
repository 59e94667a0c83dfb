#include "geometry/kahler/patch_transition.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

namespace {

constexpr int64_t kNewtonIterations = 30;

void check_chart(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                 const at::Tensor& eliminated, const char* who) {
  const int64_t n = surface.n_coords();
  NMFLOW_CHECK(z.dim() == 2 && z.size(1) == n && z.scalar_type() == at::kComplexDouble, who,
               ": z must be complex128 [B, ", n, "], got ", z.scalar_type(), " ", z.sizes());
  NMFLOW_CHECK(patch.dim() == 1 && patch.size(0) == z.size(0) && patch.scalar_type() == at::kLong &&
                   eliminated.sizes() == patch.sizes() && eliminated.scalar_type() == at::kLong,
               who, ": patch and eliminated must be int64 [", z.size(0), "], got ", patch.sizes(), " ",
               patch.scalar_type(), " and ", eliminated.sizes(), " ", eliminated.scalar_type());
  if (z.size(0) == 0) return;
  NMFLOW_CHECK(patch.min().item<int64_t>() >= 0 && patch.max().item<int64_t>() < n &&
                   eliminated.min().item<int64_t>() >= 0 && eliminated.max().item<int64_t>() < n,
               who, ": patch and eliminated indices must lie in [0, ", n - 1, "]");
  NMFLOW_CHECK(!patch.eq(eliminated).any().item<bool>(), who,
               ": the patch coordinate cannot be the eliminated one (patch == eliminated at some point)");
}

// J[r, c, a] = z_k' (P'[r, c, I_a] − x_a P'[r, c, k]), z normalised in k (formula in the header).
// z: [R, N+1]; local_indices: [R, m] (I_a of the original chart); patch: [R] (k); alt_pullback: [R, m, N+1] (P');
// alt_patch: [R] (k').
at::Tensor transition_jacobian(const at::Tensor& z, const at::Tensor& local_indices, const at::Tensor& patch,
                               const at::Tensor& alt_pullback, const at::Tensor& alt_patch) {
  const int64_t rows = z.size(0);
  const int64_t m = local_indices.size(1);
  const at::Tensor x = z.gather(1, local_indices);                                          // [R, m]
  const at::Tensor z_alt = z.gather(1, alt_patch.unsqueeze(1)).view({rows, 1, 1});          // z_k'
  const at::Tensor p_local = alt_pullback.gather(2, local_indices.unsqueeze(1).expand({rows, m, m}));  // P'^{I_a}
  const at::Tensor p_patch = alt_pullback.gather(2, patch.view({rows, 1, 1}).expand({rows, m, 1}));    // P'^k
  return z_alt * (p_local - p_patch * x.unsqueeze(1));
}

}  // namespace

PatchChoice patch_choice_at(const Hypersurface& surface, const at::Tensor& z_in, const at::Tensor& patch,
                            const at::Tensor& eliminated) {
  check_chart(surface, z_in, patch, eliminated, "patch_choice_at");
  const int64_t n = surface.n_coords();
  at::Tensor z = z_in / z_in.gather(1, patch.unsqueeze(1));
  z = z.scatter(1, patch.unsqueeze(1), at::ones({z.size(0), 1}, z.options()));  // exactly 1, as choose_patches
  at::Tensor kept = at::ones({z.size(0), n}, z.options().dtype(at::kBool));
  kept.scatter_(1, patch.unsqueeze(1), false);
  kept.scatter_(1, eliminated.unsqueeze(1), false);
  const at::Tensor indices = at::arange(n, patch.options()).expand({z.size(0), n});
  const at::Tensor local_indices = indices.masked_select(kept).view({z.size(0), n - 2});
  return PatchChoice{z, patch, eliminated, local_indices, surface.gradient(z)};
}

CYPointSet cy_point_set_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                           const at::Tensor& eliminated, double t) {
  return cy_point_set_from_patches(patch_choice_at(surface, z, patch, eliminated), t);
}

at::Tensor chart_transition_jacobian(const CYPointSet& original, const CYPointSet& alternative) {
  NMFLOW_CHECK(original.size() == alternative.size() && original.z.sizes() == alternative.z.sizes(),
               "chart_transition_jacobian: the two descriptions must hold the same points, got z ",
               original.z.sizes(), " and ", alternative.z.sizes());
  return transition_jacobian(original.z, original.local_indices, original.patch, alternative.pullback,
                             alternative.patch);
}

PatchTransitions patch_transitions(const Hypersurface& surface, const CYPointSet& points, double t) {
  const int64_t m = points.local_indices.size(1);
  // k' runs over the original local indices: exactly {0..N} \ {k, e}.
  const at::Tensor alt_patch = points.local_indices.reshape({-1});
  const at::Tensor z = points.z.repeat_interleave(m, 0);
  PatchTransitions out;
  out.alternative = cy_point_set_at(surface, z, alt_patch, points.eliminated.repeat_interleave(m, 0), t);
  out.jacobian = transition_jacobian(z, points.local_indices.repeat_interleave(m, 0),
                                     points.patch.repeat_interleave(m, 0), out.alternative.pullback, alt_patch);
  out.per_point = m;
  return out;
}

at::Tensor pullback_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                       const at::Tensor& eliminated, const at::Tensor& local_indices) {
  check_chart(surface, z, patch, eliminated, "pullback_at");
  NMFLOW_CHECK(local_indices.dim() == 2 && local_indices.size(0) == z.size(0) &&
                   local_indices.size(1) == surface.dim(),
               "pullback_at: local_indices must be [", z.size(0), ", ", surface.dim(), "], got ",
               local_indices.sizes());
  return pullback_matrix(PatchChoice{z, patch, eliminated, local_indices, surface.gradient(z)});
}

at::Tensor chart_point(const Hypersurface& surface, const at::Tensor& z_guess, const at::Tensor& patch,
                       const at::Tensor& eliminated, const at::Tensor& local_indices, const at::Tensor& x) {
  check_chart(surface, z_guess, patch, eliminated, "chart_point");
  NMFLOW_CHECK(x.dim() == 2 && x.size(0) == z_guess.size(0) && x.size(1) == surface.dim() &&
                   x.scalar_type() == at::kComplexDouble && local_indices.sizes() == x.sizes(),
               "chart_point: x and local_indices must be [", z_guess.size(0), ", ", surface.dim(),
               "] (complex128, int64), got ", x.sizes(), " ", x.scalar_type(), " and ", local_indices.sizes());
  at::Tensor z = z_guess.scatter(1, local_indices, x);
  z = z.scatter(1, patch.unsqueeze(1), at::ones({z.size(0), 1}, z.options()));
  const at::Tensor e = eliminated.unsqueeze(1);
  // Newton in z_e alone: z_e ← z_e − p(z)/(∂p/∂z_e).
  for (int64_t iteration = 0; iteration < kNewtonIterations; ++iteration) {
    const at::Tensor step = surface.evaluate(z).unsqueeze(1) / surface.gradient(z).gather(1, e);
    z = z.scatter(1, e, z.gather(1, e) - step);
  }
  return z;
}

}  // namespace nmflow

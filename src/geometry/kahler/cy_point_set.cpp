#include "geometry/kahler/cy_point_set.h"

#include <ATen/ATen.h>

#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/patches.h"

namespace nmflow {

CYPointSet make_cy_point_set(const Hypersurface& surface, const at::Tensor& z, double t) {
  const PatchChoice patches = choose_patches(surface, z);
  const at::Tensor p = pullback_matrix(patches);  // [B, m, N+1]
  const at::Tensor g_ambient = fubini_study_ambient(patches.z, t);
  const at::Tensor g = at::matmul(at::matmul(p, g_ambient), p.conj().transpose(1, 2));  // P G P†
  const at::Tensor det_g = at::real(at::linalg_det(g));
  const at::Tensor omega_sq = 1.0 / patches.dp.gather(1, patches.eliminated.unsqueeze(1)).squeeze(1).abs().pow(2);
  CYPointSet points;
  points.z = patches.z;
  points.patch = patches.patch;
  points.eliminated = patches.eliminated;
  points.local_indices = patches.local_indices;
  points.pullback = p;
  points.g_fs = g;
  points.det_g_fs = det_g;
  points.omega_sq = omega_sq;
  points.weights = omega_sq / det_g;
  return points;
}

}  // namespace nmflow

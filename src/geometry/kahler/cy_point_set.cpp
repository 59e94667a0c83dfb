#include "geometry/kahler/cy_point_set.h"

#include <ATen/ATen.h>

#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/patches.h"

namespace nmflow {

CYPointSet make_cy_point_set(const Hypersurface& surface, const at::Tensor& z, double t) {
  return cy_point_set_from_patches(choose_patches(surface, z), t);
}

CYPointSet cy_point_set_from_patches(const PatchChoice& patches, double t) {
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

CYPointSet select_cy_points(const CYPointSet& points, const at::Tensor& index) {
  const auto rows = [&](const at::Tensor& t) { return t.defined() ? t.index_select(0, index) : at::Tensor(); };
  CYPointSet out;
  out.z = rows(points.z);
  out.patch = rows(points.patch);
  out.eliminated = rows(points.eliminated);
  out.local_indices = rows(points.local_indices);
  out.pullback = rows(points.pullback);
  out.g_fs = rows(points.g_fs);
  out.det_g_fs = rows(points.det_g_fs);
  out.omega_sq = rows(points.omega_sq);
  out.weights = rows(points.weights);
  return out;
}

}  // namespace nmflow

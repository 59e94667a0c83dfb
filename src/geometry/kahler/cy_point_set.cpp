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

CYPointSet map_cy_points(const CYPointSet& points, const std::function<at::Tensor(const at::Tensor&)>& map) {
  CYPointSet out = points;
  for (at::Tensor* field : {&out.z, &out.patch, &out.eliminated, &out.local_indices, &out.pullback, &out.g_fs,
                            &out.det_g_fs, &out.omega_sq, &out.weights}) {
    if (field->defined()) *field = map(*field);
  }
  return out;
}

CYPointSet select_cy_points(const CYPointSet& points, const at::Tensor& index) {
  CYPointSet out = map_cy_points(points, [&](const at::Tensor& t) { return t.index_select(0, index); });
  out.lines_used = 0;  // a selection is not a sampler's output
  out.lines_rejected = 0;
  return out;
}

CYPointSet cy_points_to(const CYPointSet& points, const at::Device& device) {
  return map_cy_points(points, [&](const at::Tensor& t) { return t.to(device); });
}

}  // namespace nmflow

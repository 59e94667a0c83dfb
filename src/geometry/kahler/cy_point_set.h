#pragma once
// Points on a Calabi–Yau hypersurface with everything the metric models and losses need per point
// (docs/design.md §3): patch data, pullback, Fubini–Study metric, |Ω|² and integration weights.
#include <functional>

#include <ATen/core/Tensor.h>

#include "geometry/kahler/hypersurface.h"

namespace nmflow {

struct PatchChoice;  // geometry/kahler/patches.h

struct CYPointSet {
  at::Tensor z;              // [B, N+1] complex128, rescaled so z[b, patch[b]] = 1 exactly
  at::Tensor patch;          // [B] int64   k = argmax |z_I|
  at::Tensor eliminated;     // [B] int64   e = argmax_{I≠k} |∂p/∂z_I|
  at::Tensor local_indices;  // [B, m] int64  I_a of the local coordinates x_a = z_{I_a}
  at::Tensor pullback;       // [B, m, N+1] complex128  P_a^I = ∂z_I/∂x_a
  at::Tensor g_fs;           // [B, m, m] complex128   g_ab̄ = P_a^I G_IJ̄ conj(P_b^J), Fubini–Study pulled back
  at::Tensor det_g_fs;       // [B] float64            det g_FS
  at::Tensor omega_sq;       // [B] float64            |Ω|² = 1/|∂p/∂z_e|²
  at::Tensor weights;        // [B] float64            w = |Ω|²/det g_FS (sampling measure → Ω∧Ω̄)
  int64_t lines_used = 0;      // lines whose roots were all kept (samplers fill this)
  int64_t lines_rejected = 0;  // lines resampled because a root failed the residual check

  int64_t size() const { return z.size(0); }
};

// The bytes one point of a CYPointSet holds on `surface` (its tensors as documented above), plus its raw
// homogeneous coordinates while the sampler builds it: the lower bound of what sampling a point costs.
double cy_point_set_bytes_per_point(const Hypersurface& surface);

// z: [B, N+1] complex128 points of X (any scaling; same device as `surface`); t: Kähler modulus of G_FS.
CYPointSet make_cy_point_set(const Hypersurface& surface, const at::Tensor& z, double t = 1.0);

// Whether make_cy_point_set computes these points in one pass per point (cy_point_math.h: on the CPU, or on CUDA
// with nmflow's kernels built; N+1 ≤ 16 coordinates), with no whole-batch temporaries; else it runs the batched
// ATen composition below, whose temporaries grow with the batch.
bool cy_point_set_in_one_pass(const Hypersurface& surface, const at::Tensor& z);

// The point set of points already described in charts (patch k, eliminated e, ∂p at the rescaled z): pullback,
// g_FS = P G_FS P†, det, |Ω|² = 1/|∂p/∂z_e|², w. make_cy_point_set is this with choose_patches' charts.
CYPointSet cy_point_set_from_patches(const PatchChoice& patches, double t = 1.0);

// The rows `index` ([K] int64, same device) of every per-point tensor of `points` (undefined ones stay undefined);
// the sampler counters are not carried over.
CYPointSet select_cy_points(const CYPointSet& points, const at::Tensor& index);

// Every tensor field of `points` through `map` (undefined fields stay undefined); the line counts are kept.
CYPointSet map_cy_points(const CYPointSet& points, const std::function<at::Tensor(const at::Tensor&)>& map);

// The same points on `device` (e.g. CUDA for training; the samplers run on the CPU).
CYPointSet cy_points_to(const CYPointSet& points, const at::Device& device);

}  // namespace nmflow

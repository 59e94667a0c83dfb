#pragma once
// Line-intersection sampler (Shiffman–Zelditch; Douglas et al.; docs/design.md §3): a random line z(t) = a + t b,
// a, b i.i.d. standard complex Gaussian in C^{N+1}, meets X in d = deg p points, the roots of q(t) = p(a + t b).
// Because the line's distribution is U(N+1)-invariant, the points are distributed by the Fubini–Study volume
// form of X, J^m/m! normalised; the weights w = |Ω|²/det g_FS convert that measure to Ω∧Ω̄.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"

namespace nmflow {

struct LineSamplerOptions {
  int64_t n_points = 0;
  uint64_t seed = 0;                  // lines are drawn on CPU from this seed, so CPU and CUDA see the same lines
  double residual_tolerance = 1e-10;  // every kept point has |p(z)|/‖z‖^d ≤ this after the Newton polish
  double kahler_modulus = 1.0;        // t of the Fubini–Study metric in the weights
  at::Device device = at::kCPU;       // where roots, patches and weights are computed
  int64_t chunk_points = 1 << 16;     // points per batch of the ATen pipeline (bounds memory)
};

struct HypersurfacePoints {
  at::Tensor z;                // [n_points, N+1] complex128, line-major: line l gives rows l·d … l·d + d − 1
  int64_t lines_used = 0;      // lines whose d roots all passed the residual check
  int64_t lines_rejected = 0;  // lines discarded (and replaced by fresh ones) because a root failed it
};

// Raw points on X (unscaled homogeneous coordinates). The last line may contribute fewer than d points when
// n_points is not a multiple of d. Throws if more lines fail than succeed (a singular X).
HypersurfacePoints sample_line_intersections(const Hypersurface& surface, const LineSamplerOptions& options);

// sample_line_intersections + make_cy_point_set in chunks, with the line counters filled.
CYPointSet sample_cy_points(const Hypersurface& surface, const LineSamplerOptions& options);

// The same with the default options but `n_points` and `seed`.
CYPointSet sample_cy_points(const Hypersurface& surface, int64_t n_points, uint64_t seed);

}  // namespace nmflow

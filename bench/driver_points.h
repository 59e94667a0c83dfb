#pragma once
// Calabi–Yau points of the bench drivers: `n` line-sampler points of `surface` from `seed`.
#include <cstdint>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"

namespace nmflow::bench {

inline CYPointSet sample_points(const Hypersurface& surface, int64_t n, uint64_t seed) {
  LineSamplerOptions sampler;
  sampler.n_points = n;
  sampler.seed = seed;
  return sample_cy_points(surface, sampler);
}

}  // namespace nmflow::bench

#pragma once
// Inputs of the CY point-set tests (CPU and CUDA suites share them).
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"

namespace nmflow::test {

// One hypersurface of each kind the charts must handle: m = 3 (Fermat and a complex Dwork quintic), 2, 1.
inline std::vector<Hypersurface> chart_test_surfaces() {
  return {fermat_quintic(), dwork_quintic({0.5, 0.3}), fermat_quartic(), fermat_cubic()};
}

// `count` points of the surface from the line sampler (seed `seed`), each row times a random complex number
// (generator seeded with `scale_seed`): make_cy_point_set takes points in any scaling. CPU, complex128.
inline at::Tensor scaled_line_points(const Hypersurface& surface, int64_t count, uint64_t seed, uint64_t scale_seed) {
  LineSamplerOptions options;
  options.n_points = count;
  options.seed = seed;
  const at::Tensor raw = sample_line_intersections(surface, options).z;
  at::manual_seed(scale_seed);
  return raw * at::randn({raw.size(0), 1}, at::kComplexDouble);
}

}  // namespace nmflow::test

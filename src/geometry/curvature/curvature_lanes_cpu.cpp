#include "geometry/curvature/curvature_lanes_cpu.h"

#include <cstdint>
#include <cstring>

#include "common/cpu_targets.h"
#include "geometry/curvature/curvature_math.h"
#include "geometry/curvature/fused_dims.h"

namespace nmflow {

namespace {

// One copy of the kernels per x86-64 level, each compiled for its level throughout with vectors of its register
// width (cpu_targets.h) — curvature_math.h's templates included again inside each copy's region as
// levelK::nmflow::curvature_math, since a template is compiled for the target in force where it is defined.
namespace level4 {
NMFLOW_BEGIN_TARGET_X86_64_V4
#define NMFLOW_LANES_WIDTH 8
#define NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_math.h"  // nmflow::curvature_math again, in this namespace
#undef NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_lanes_kernels.inc"
NMFLOW_END_TARGET
}  // namespace level4

namespace level3 {
NMFLOW_BEGIN_TARGET_X86_64_V3
#define NMFLOW_LANES_WIDTH 4
#define NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_math.h"  // nmflow::curvature_math again, in this namespace
#undef NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_lanes_kernels.inc"
NMFLOW_END_TARGET
}  // namespace level3

namespace baseline {
#define NMFLOW_LANES_WIDTH 2
#define NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_math.h"  // nmflow::curvature_math again, in this namespace
#undef NMFLOW_CURVATURE_MATH_AGAIN
#include "geometry/curvature/curvature_lanes_kernels.inc"
}  // namespace baseline

}  // namespace

void curvature_forward_lanes_cpu(int n, const double* g, const double* dg, const double* d2g, int64_t count,
                                 double* ricci, double* scalar, double* norm_squared) {
  static const auto points =
      pick_for_cpu_level(&level4::forward_points, &level3::forward_points, &baseline::forward_points);
  points(n, g, dg, d2g, count, ricci, scalar, norm_squared);
}

void curvature_backward_lanes_cpu(int n, const double* g, const double* dg, const double* d2g, const double* ricci,
                                  const double* v_ricci, const double* v_scalar, const double* v_norm, int64_t count,
                                  double* v_g, double* v_dg, double* v_d2g) {
  static const auto points =
      pick_for_cpu_level(&level4::backward_points, &level3::backward_points, &baseline::backward_points);
  points(n, g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, count, v_g, v_dg, v_d2g);
}

}  // namespace nmflow

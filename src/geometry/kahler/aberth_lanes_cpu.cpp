#include "geometry/kahler/aberth_lanes_cpu.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/cpu_targets.h"
#include "geometry/kahler/polynomial_roots_math.h"

namespace nmflow {

namespace {

// The scalar start of one polynomial (aberth_start: monic coefficients, radius, rotated start points), compiled for
// baseline x86-64 and never inlined into the per-level copies: there GCC's SLP pattern for a complex product
// (re = ac − bd, im = ad + bc) becomes vfmaddsub/vfmsubadd even under -ffp-contract=off, which rounds the start points
// differently from the scalar aberth_roots (seen as 1e−16 differences in tests/geometry/aberth_lanes_test.cpp).
__attribute__((noinline)) int aberth_start_baseline(const kahler_math::Complex* coeffs, int degree,
                                                    kahler_math::Complex rotation, kahler_math::Complex* monic,
                                                    kahler_math::Complex* roots) {
  return kahler_math::aberth_start(coeffs, degree, rotation, monic, roots);
}

// One copy of the kernels per x86-64 level, each compiled for its level throughout (cpu_targets.h).
namespace level4 {
NMFLOW_BEGIN_TARGET_X86_64_V4
#define NMFLOW_LANES_WIDTH 8
#include "geometry/kahler/aberth_lanes_kernels.inc"
NMFLOW_END_TARGET
}  // namespace level4

namespace level3 {
NMFLOW_BEGIN_TARGET_X86_64_V3
#define NMFLOW_LANES_WIDTH 4
#include "geometry/kahler/aberth_lanes_kernels.inc"
NMFLOW_END_TARGET
}  // namespace level3

namespace baseline {
#define NMFLOW_LANES_WIDTH 2
#include "geometry/kahler/aberth_lanes_kernels.inc"
}  // namespace baseline

}  // namespace

void aberth_roots_lanes(const kahler_math::Complex* const* coeffs, int count, int degree, int max_iterations,
                        kahler_math::Complex* const* roots, int* converged) {
  static const auto group =
      pick_for_cpu_level(&level4::aberth_roots_group, &level3::aberth_roots_group, &baseline::aberth_roots_group);
  group(coeffs, count, degree, max_iterations, roots, converged);
}

void line_roots_lanes(const kahler_math::Complex* const* a, const kahler_math::Complex* const* b, int count,
                      int n_coords, const int64_t* exponents, const kahler_math::Complex* coefficients, int n_monomials,
                      int degree, int max_iterations, kahler_math::Complex* const* t, double* const* residual,
                      int* converged) {
  static const auto group =
      pick_for_cpu_level(&level4::line_roots_group, &level3::line_roots_group, &baseline::line_roots_group);
  group(a, b, count, n_coords, exponents, coefficients, n_monomials, degree, max_iterations, t, residual, converged);
}

}  // namespace nmflow

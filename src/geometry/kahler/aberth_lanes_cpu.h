#pragma once
// The CPU's Aberth root finder on kAberthLanes polynomials at once (polynomial_roots.cpp): the start and the
// Newton polish per polynomial as in polynomial_roots_math.h, the sweeps — the hot part — lane by lane in structure
// of arrays so that they vectorise (8 doubles per AVX-512 register). Every lane performs the scalar sweep's
// operations in the scalar sweep's order and stops updating once it has converged, so its roots are the scalar
// aberth_roots' bit for bit (tests/kahler/polynomial_roots_test.cpp); CUDA runs the scalar function per thread.
#include <cstdint>

#include "geometry/kahler/complex_math.h"

namespace nmflow {

constexpr int kAberthLanes = 8;

// count ≤ kAberthLanes polynomials of one degree: coeffs[l] points at [degree + 1] coefficients (lowest power
// first), roots[l] at [degree] outputs. converged[l] as aberth_roots returns it (0, roots untouched, for a
// polynomial whose leading coefficient is zero).
void aberth_roots_lanes(const kahler_math::Complex* const* coeffs, int count, int degree, int max_iterations,
                        kahler_math::Complex* const* roots, int* converged);

// count ≤ kAberthLanes lines of the sampler (kahler_math::line_intersection_roots, bit for bit): a[l], b[l] point
// at [n_coords ≤ 16] coordinates, exponents [n_monomials, n_coords] and coefficients [n_monomials] define p of
// degree `degree`; t[l] and residual[l] receive [degree] roots and residuals |p(a + t b)|/‖a + t b‖^d.
void line_roots_lanes(const kahler_math::Complex* const* a, const kahler_math::Complex* const* b, int count,
                      int n_coords, const int64_t* exponents, const kahler_math::Complex* coefficients,
                      int n_monomials, int degree, int max_iterations, kahler_math::Complex* const* t,
                      double* const* residual, int* converged);

}  // namespace nmflow

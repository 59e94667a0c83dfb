#pragma once
// Per-line math of the line-intersection sampler (docs/design.md §3), compiled by g++ (CPU, at::parallel_for) and
// nvcc (cuda/polynomial_roots.cu, one thread per line), so both devices run the same formulas:
//   1. q(t) = p(a + t b) = Σ_k c_k Π_I (a_I + t b_I)^{e_kI}, a polynomial of degree d = deg p in t;
//   2. all d roots of q at once by the Aberth–Ehrlich iteration (Gauss–Seidel sweeps)
//        z_k ← z_k − 1 / ( q'(z_k)/q(z_k) − Σ_{j≠k} 1/(z_k − z_j) ),
//      which converges cubically to simple roots from any start that is not symmetric about the roots;
//   3. a Newton polish z ← z − q(z)/q'(z), each step kept only when it lowers |q(z)|.
// Coefficients are stored lowest power first: coeffs[j] multiplies t^j.
#include <cstdint>

#include "common/host_device.h"
#include "geometry/kahler/complex_math.h"

namespace nmflow::kahler_math {

// Largest polynomial degree the fixed-size per-thread arrays hold (the quintic needs 5).
constexpr int kMaxRootDegree = 16;
// Most homogeneous coordinates a sampled line may have (fixed-size per-line arrays).
constexpr int kMaxCoords = 16;
// Newton polish steps after Aberth has converged.
constexpr int kNewtonPolishSteps = 3;

// q(t) and q'(t) by Horner's rule; coeffs: [degree + 1].
NMFLOW_HOST_DEVICE void horner_with_derivative(const Complex* coeffs, int degree, Complex t, Complex* q,
                                               Complex* dq) {
  Complex value = coeffs[degree];
  Complex deriv = make_complex(0.0, 0.0);
  for (int j = degree - 1; j >= 0; --j) {
    deriv = deriv * t + value;
    value = value * t + coeffs[j];
  }
  *q = value;
  *dq = deriv;
}

// Coefficients of q(t) = p(a + t b) for p(z) = Σ_k c_k z^{e_k}.
// a, b: [n_coords]; exponents: [n_monomials, n_coords] (row-major); coefficients: [n_monomials];
// out: [degree + 1]. Every monomial must have total degree `degree` (p homogeneous).
NMFLOW_HOST_DEVICE void line_polynomial_coefficients(const Complex* a, const Complex* b, int n_coords,
                                                     const int64_t* exponents, const Complex* coefficients,
                                                     int n_monomials, int degree, Complex* out) {
  for (int j = 0; j <= degree; ++j) {
    out[j] = make_complex(0.0, 0.0);
  }
  Complex product[kMaxRootDegree + 1];
  for (int k = 0; k < n_monomials; ++k) {
    // Π_I (a_I + t b_I)^{e_kI}, built one linear factor at a time; `filled` is its current degree.
    product[0] = make_complex(1.0, 0.0);
    int filled = 0;
    for (int i = 0; i < n_coords; ++i) {
      const int64_t power = exponents[k * n_coords + i];
      for (int64_t r = 0; r < power; ++r) {
        product[filled + 1] = b[i] * product[filled];
        for (int j = filled; j >= 1; --j) {
          product[j] = a[i] * product[j] + b[i] * product[j - 1];
        }
        product[0] = a[i] * product[0];
        ++filled;
      }
    }
    for (int j = 0; j <= filled; ++j) {
      out[j] = out[j] + coefficients[k] * product[j];
    }
  }
}

// Aberth's starting state: the monic polynomial (monic: [degree + 1]) and `degree` start points on the circle
// whose radius is the geometric mean of the root moduli, |q(0)/lead|^{1/d}, rotated off the real axis so the start
// is not symmetric about roots of real or Fermat-type polynomials. Returns 0 (nothing written) for a degree out of
// range or a zero leading coefficient.
// e^{2πi/d}, the rotation between successive start points.
NMFLOW_HOST_DEVICE Complex aberth_rotation(int degree) {
  const double two_pi = 6.283185307179586476925286766559;
  return make_complex(cos(two_pi / degree), sin(two_pi / degree));
}

NMFLOW_HOST_DEVICE int aberth_start(const Complex* coeffs, int degree, Complex rotation, Complex* monic,
                                    Complex* roots) {
  if (degree < 1 || degree > kMaxRootDegree || abs_squared(coeffs[degree]) == 0.0) {
    return 0;
  }
  const Complex lead = coeffs[degree];
  for (int j = 0; j <= degree; ++j) {
    monic[j] = coeffs[j] / lead;
  }
  double radius = pow(abs_squared(monic[0]), 0.5 / degree);
  if (!(radius > 0.0) || !is_finite(radius)) {
    radius = 1.0;
  }
  // radius · e^{i(2πk/d + 0.7)} as successive rotations by aberth_rotation(degree).
  roots[0] = make_complex(radius * cos(0.7), radius * sin(0.7));
  for (int k = 1; k < degree; ++k) {
    roots[k] = rotation * roots[k - 1];
  }
  return 1;
}

// Aberth–Ehrlich sweeps on the monic polynomial until every correction is below 1e-12 relative or max_iterations;
// returns 1 when converged. (polynomial_roots.cpp runs the same sweep on 8 lines at a time, lane by lane, with the
// same operations in the same order.)
NMFLOW_HOST_DEVICE int aberth_sweeps(const Complex* monic, int degree, int max_iterations, Complex* roots) {
  int converged = 0;
  for (int iteration = 0; iteration < max_iterations && !converged; ++iteration) {
    converged = 1;
    for (int k = 0; k < degree; ++k) {
      Complex q;
      Complex dq;
      horner_with_derivative(monic, degree, roots[k], &q, &dq);
      if (abs_squared(q) == 0.0) {
        continue;  // exact root
      }
      Complex repulsion = make_complex(0.0, 0.0);
      for (int j = 0; j < degree; ++j) {
        if (j != k) {
          repulsion = repulsion + reciprocal(roots[k] - roots[j]);
        }
      }
      const Complex step = reciprocal(dq * reciprocal(q) - repulsion);
      if (!is_finite(step.re) || !is_finite(step.im)) {
        converged = 0;
        continue;
      }
      roots[k] = roots[k] - step;
      // |step| > 1e-12 |root| (+ 1e-300 so that a root at 0 converges), compared squared.
      if (abs_squared(step) > 1e-24 * abs_squared(roots[k]) + 1e-300) {
        converged = 0;
      }
    }
  }
  return converged;
}

// Newton polish z ← z − q(z)/q'(z) of every root, each step kept only when it lowers |q(z)|. The quotient is
// q · conj(q')/|q'|², one division as in the sweeps (Smith's division took six in the 8-lane version, both branches),
// and an accepted candidate's q, q' serve the next step, so each step costs one Horner pass.
NMFLOW_HOST_DEVICE void newton_polish(const Complex* monic, int degree, Complex* roots) {
  for (int k = 0; k < degree; ++k) {
    Complex q;
    Complex dq;
    horner_with_derivative(monic, degree, roots[k], &q, &dq);
    for (int step = 0; step < kNewtonPolishSteps; ++step) {
      if (abs_squared(dq) == 0.0 || abs_squared(q) == 0.0) {
        break;
      }
      const Complex candidate = roots[k] - q * reciprocal(dq);
      Complex q_candidate;
      Complex dq_candidate;
      horner_with_derivative(monic, degree, candidate, &q_candidate, &dq_candidate);
      if (!(abs_squared(q_candidate) < abs_squared(q))) {
        break;
      }
      roots[k] = candidate;
      q = q_candidate;
      dq = dq_candidate;
    }
  }
}

// All `degree` roots of q (coeffs: [degree + 1], leading coefficient nonzero) into roots: [degree].
// Returns 1 when the Aberth corrections fell below 1e-12 relative before max_iterations, else 0; callers
// must still check residuals (a nearly double root converges slowly and is ill-conditioned).
NMFLOW_HOST_DEVICE int aberth_roots(const Complex* coeffs, int degree, int max_iterations, Complex* roots) {
  Complex monic[kMaxRootDegree + 1];
  if (degree < 1 || degree > kMaxRootDegree ||
      !aberth_start(coeffs, degree, aberth_rotation(degree), monic, roots)) {
    return 0;
  }
  const int converged = aberth_sweeps(monic, degree, max_iterations, roots);
  newton_polish(monic, degree, roots);
  return converged;
}

// The sampler's acceptance test |p(z)|/‖z‖^d, with p evaluated directly from its monomials (not from q).
// z: [n_coords]; exponents: [n_monomials, n_coords]; coefficients: [n_monomials].
NMFLOW_HOST_DEVICE double relative_residual(const Complex* z, int n_coords, const int64_t* exponents,
                                            const Complex* coefficients, int n_monomials, int degree) {
  Complex p = make_complex(0.0, 0.0);
  for (int k = 0; k < n_monomials; ++k) {
    Complex monomial = coefficients[k];
    for (int i = 0; i < n_coords; ++i) {
      for (int64_t r = 0; r < exponents[k * n_coords + i]; ++r) {
        monomial = monomial * z[i];
      }
    }
    p = p + monomial;
  }
  double norm_sq = 0.0;
  for (int i = 0; i < n_coords; ++i) {
    norm_sq += abs_squared(z[i]);
  }
  const double norm = sqrt(norm_sq);
  double norm_d = 1.0;  // ‖z‖^d by multiplication (pow is a library call per point)
  for (int j = 0; j < degree; ++j) norm_d *= norm;
  return sqrt(abs_squared((1.0 / norm_d) * p));  // scaled first: |p|² alone could overflow where p/‖z‖^d cannot
}

// Residual |p(z)|/‖z‖^d of each point z = a + t_j b of a line: residual: [degree].
NMFLOW_HOST_DEVICE void line_residuals(const Complex* a, const Complex* b, int n_coords, const int64_t* exponents,
                                       const Complex* coefficients, int n_monomials, int degree, const Complex* t,
                                       double* residual) {
  Complex z[kMaxCoords];
  for (int j = 0; j < degree; ++j) {
    for (int i = 0; i < n_coords; ++i) {
      z[i] = a[i] + t[j] * b[i];
    }
    residual[j] = relative_residual(z, n_coords, exponents, coefficients, n_monomials, degree);
  }
}

// One line of the sampler: coefficients of p(a + t b), its roots t: [degree], and the residual of each
// point z = a + t b: [degree]. Returns aberth_roots' flag. n_coords ≤ kMaxCoords.
NMFLOW_HOST_DEVICE int line_intersection_roots(const Complex* a, const Complex* b, int n_coords,
                                               const int64_t* exponents, const Complex* coefficients,
                                               int n_monomials, int degree, int max_iterations, Complex* t,
                                               double* residual) {
  if (degree < 1 || degree > kMaxRootDegree || n_coords > kMaxCoords) {
    return 0;
  }
  Complex line_coeffs[kMaxRootDegree + 1];
  line_polynomial_coefficients(a, b, n_coords, exponents, coefficients, n_monomials, degree, line_coeffs);
  const int converged = aberth_roots(line_coeffs, degree, max_iterations, t);
  line_residuals(a, b, n_coords, exponents, coefficients, n_monomials, degree, t, residual);
  return converged;
}

}  // namespace nmflow::kahler_math

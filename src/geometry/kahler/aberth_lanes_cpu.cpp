#include "geometry/kahler/aberth_lanes_cpu.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/cpu_clones.h"
#include "geometry/kahler/polynomial_roots_math.h"

namespace nmflow {

namespace {

constexpr int L = kAberthLanes;
using kahler_math::Complex;
using kahler_math::kMaxCoords;
using kahler_math::kMaxRootDegree;

// Eight lanes as one GCC vector: an AVX-512 register in the x86-64-v4 clone, two or four narrower ones elsewhere.
// (Plain loops over the lanes were fully unrolled and left scalar by the compiler.)
typedef double Lanes __attribute__((vector_size(8 * L)));
// Lanes pass by value between functions that are always inlined into the clones, so GCC's note that a 64-byte
// vector argument's ABI differs without AVX-512 concerns no call that exists.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef long long Mask __attribute__((vector_size(8 * L)));  // comparison results: −1 true, 0 false

NMFLOW_INLINE_INTO_CLONES Lanes load(const double* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
NMFLOW_INLINE_INTO_CLONES void store(double* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// L complex numbers; the operators are complex_math.h's, term for term (same products, same order — and this file
// is compiled without fused multiply-adds), so that every lane rounds exactly as the scalar code does.
struct LaneComplex {
  Lanes re, im;
};
NMFLOW_INLINE_INTO_CLONES LaneComplex load(const double* re, const double* im) { return {load(re), load(im)}; }
NMFLOW_INLINE_INTO_CLONES void store(double* re, double* im, LaneComplex a) {
  store(re, a.re);
  store(im, a.im);
}
NMFLOW_INLINE_INTO_CLONES LaneComplex operator+(LaneComplex a, LaneComplex b) { return {a.re + b.re, a.im + b.im}; }
NMFLOW_INLINE_INTO_CLONES LaneComplex operator-(LaneComplex a, LaneComplex b) { return {a.re - b.re, a.im - b.im}; }
NMFLOW_INLINE_INTO_CLONES LaneComplex operator*(LaneComplex a, LaneComplex b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
NMFLOW_INLINE_INTO_CLONES LaneComplex operator*(Complex a, LaneComplex b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
NMFLOW_INLINE_INTO_CLONES LaneComplex operator*(Lanes s, LaneComplex a) { return {s * a.re, s * a.im}; }
NMFLOW_INLINE_INTO_CLONES Lanes abs_squared(LaneComplex a) { return a.re * a.re + a.im * a.im; }
NMFLOW_INLINE_INTO_CLONES LaneComplex reciprocal(LaneComplex b) {
  const Lanes inv = 1.0 / (b.re * b.re + b.im * b.im);
  return {b.re * inv, -b.im * inv};
}
// Smith's division (complex_math.h's operator/), both branches computed and the scalar's one selected per lane.
NMFLOW_INLINE_INTO_CLONES LaneComplex divide(LaneComplex a, LaneComplex b) {
  const Mask wide = (b.re >= 0.0 ? b.re : -b.re) >= (b.im >= 0.0 ? b.im : -b.im);
  const Lanes r1 = b.im / b.re, den1 = b.re + b.im * r1;
  const Lanes r2 = b.re / b.im, den2 = b.re * r2 + b.im;
  return {wide ? (a.re + a.im * r1) / den1 : (a.re * r2 + a.im) / den2,
          wide ? (a.im - a.re * r1) / den1 : (a.im * r2 - a.re) / den2};
}
NMFLOW_INLINE_INTO_CLONES LaneComplex select(Mask m, LaneComplex a, LaneComplex b) {
  return {m ? a.re : b.re, m ? a.im : b.im};
}
NMFLOW_INLINE_INTO_CLONES Lanes lanes_sqrt(Lanes x) {
  for (int l = 0; l < L; ++l) x[l] = std::sqrt(x[l]);
  return x;
}

// Complex arrays in structure of arrays: entry j of lane l at re[j·L + l], im[j·L + l].
struct LaneArray {
  double re[(kMaxRootDegree + 1) * L] = {};
  double im[(kMaxRootDegree + 1) * L] = {};
  LaneComplex get(int j) const { return load(re + j * L, im + j * L); }
  void set(int j, LaneComplex a) { store(re + j * L, im + j * L, a); }
  void put(int lane, const Complex* x, int n) {  // x[0..n) into lane `lane`
    for (int j = 0; j < n; ++j) {
      re[j * L + lane] = x[j].re;
      im[j * L + lane] = x[j].im;
    }
  }
  void take(int lane, Complex* x, int n) const {  // lane `lane` into x[0..n)
    for (int j = 0; j < n; ++j) x[j] = kahler_math::make_complex(re[j * L + lane], im[j * L + lane]);
  }
};
static_assert(kMaxCoords <= kMaxRootDegree + 1, "LaneArray also holds the lines' coordinates");

// horner_with_derivative for L lanes: value ← coeffs[d]; deriv ← 0; for j = d−1…0: deriv ← deriv·t + value,
// value ← value·t + coeffs[j].
NMFLOW_INLINE_INTO_CLONES void horner(const LaneArray& monic, int degree, LaneComplex t, LaneComplex& q,
                                      LaneComplex& dq) {
  LaneComplex value = monic.get(degree);
  LaneComplex deriv = {};
  for (int j = degree - 1; j >= 0; --j) {
    deriv = deriv * t + value;
    value = value * t + monic.get(j);
  }
  q = value;
  dq = deriv;
}

// aberth_sweeps (polynomial_roots_math.h) for L polynomials; started[l] = 0 masks a lane from the start, and a lane
// stops updating once its sweep has converged, as the scalar loop stops.
NMFLOW_CPU_CLONES void sweeps(const LaneArray& monic, int degree, int max_iterations, LaneArray& roots,
                              const int* started, int* converged) {
  Mask active, done = {};
  for (int l = 0; l < L; ++l) active[l] = started[l] ? -1 : 0;
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    bool any = false;
    for (int l = 0; l < L; ++l) any = any || active[l] != 0;
    if (!any) break;
    Mask sweep_converged = active | ~active;  // all true
    for (int k = 0; k < degree; ++k) {
      const LaneComplex t = roots.get(k);
      LaneComplex q, dq;
      horner(monic, degree, t, q, dq);
      const Mask exact = abs_squared(q) == 0.0;
      LaneComplex repulsion = {};
      for (int j = 0; j < degree; ++j) {
        if (j != k) repulsion = repulsion + reciprocal(t - roots.get(j));
      }
      const LaneComplex step = reciprocal(dq * reciprocal(q) - repulsion);
      const Mask finite = (step.re - step.re == 0.0) & (step.im - step.im == 0.0);
      const LaneComplex next = t - step;
      const Mask big = abs_squared(step) > 1e-24 * abs_squared(next) + 1e-300;
      const Mask live = active & ~exact;
      roots.set(k, select(live & finite, next, t));
      sweep_converged &= ~(live & (~finite | big));
    }
    const Mask now = active & sweep_converged;
    done |= now;
    active &= ~now;
  }
  for (int l = 0; l < L; ++l) converged[l] = done[l] != 0;
}

// newton_polish (polynomial_roots_math.h) for L lanes; started[l] = 0 masks a lane.
NMFLOW_CPU_CLONES void polish(const LaneArray& monic, int degree, LaneArray& roots, const int* started) {
  Mask started_mask;
  for (int l = 0; l < L; ++l) started_mask[l] = started[l] ? -1 : 0;
  for (int k = 0; k < degree; ++k) {
    LaneComplex t = roots.get(k);
    Mask live = started_mask;
    for (int step = 0; step < kahler_math::kNewtonPolishSteps; ++step) {
      LaneComplex q, dq;
      horner(monic, degree, t, q, dq);
      const Lanes q2 = abs_squared(q);
      live &= ~((abs_squared(dq) == 0.0) | (q2 == 0.0));
      const LaneComplex candidate = t - divide(q, dq);
      LaneComplex q_candidate, dq_candidate;
      horner(monic, degree, candidate, q_candidate, dq_candidate);
      live &= abs_squared(q_candidate) < q2;
      t = select(live, candidate, t);
    }
    roots.set(k, t);
  }
}

// line_polynomial_coefficients (polynomial_roots_math.h) for L lines; exponents and coefficients are the
// surface's, the same for every lane.
NMFLOW_CPU_CLONES void line_coefficients(const LaneArray& a, const LaneArray& b, int n_coords,
                                         const int64_t* exponents, const Complex* coefficients, int n_monomials,
                                         int degree, LaneArray& out) {
  LaneComplex sum[kMaxRootDegree + 1] = {};
  LaneComplex product[kMaxRootDegree + 1];
  for (int k = 0; k < n_monomials; ++k) {
    // Π_I (a_I + t b_I)^{e_kI}, one linear factor at a time; `filled` is its current degree.
    product[0] = {Lanes{} + 1.0, Lanes{}};
    int filled = 0;
    for (int i = 0; i < n_coords; ++i) {
      const LaneComplex ai = a.get(i), bi = b.get(i);
      for (int64_t r = 0; r < exponents[k * n_coords + i]; ++r) {
        product[filled + 1] = bi * product[filled];
        for (int j = filled; j >= 1; --j) product[j] = ai * product[j] + bi * product[j - 1];
        product[0] = ai * product[0];
        ++filled;
      }
    }
    for (int j = 0; j <= filled; ++j) sum[j] = sum[j] + coefficients[k] * product[j];
  }
  for (int j = 0; j <= degree; ++j) out.set(j, sum[j]);
}

// line_residuals (polynomial_roots_math.h) for L lines: relative_residual at z = a + t_j b; residual as [j][lane].
NMFLOW_CPU_CLONES void line_residuals(const LaneArray& a, const LaneArray& b, int n_coords, const int64_t* exponents,
                                      const Complex* coefficients, int n_monomials, int degree, const LaneArray& t,
                                      double* residual) {
  LaneComplex z[kMaxCoords];
  for (int j = 0; j < degree; ++j) {
    const LaneComplex tj = t.get(j);
    for (int i = 0; i < n_coords; ++i) z[i] = a.get(i) + tj * b.get(i);
    LaneComplex p = {};
    for (int k = 0; k < n_monomials; ++k) {
      LaneComplex monomial = {Lanes{} + coefficients[k].re, Lanes{} + coefficients[k].im};
      for (int i = 0; i < n_coords; ++i) {
        for (int64_t r = 0; r < exponents[k * n_coords + i]; ++r) monomial = monomial * z[i];
      }
      p = p + monomial;
    }
    Lanes norm_sq = {};
    for (int i = 0; i < n_coords; ++i) norm_sq = norm_sq + abs_squared(z[i]);
    const Lanes norm = lanes_sqrt(norm_sq);
    Lanes norm_d = Lanes{} + 1.0;
    for (int q = 0; q < degree; ++q) norm_d *= norm;
    store(residual + j * L, lanes_sqrt(abs_squared((1.0 / norm_d) * p)));
  }
}

// Start, sweeps and polish of count ≤ L polynomials; the roots stay in `roots` (structure of arrays), started[L]
// and converged[L] (all L lanes written) as aberth_roots' flags.
void solve_group(const Complex* const* coeffs, int count, int degree, int max_iterations, LaneArray& roots,
                 int* started, int* converged) {
  LaneArray monic;
  for (int l = 0; l < L; ++l) started[l] = converged[l] = 0;
  if (degree < 1 || degree > kMaxRootDegree) return;
  const Complex rotation = kahler_math::aberth_rotation(degree);
  for (int l = 0; l < count; ++l) {
    Complex lane_monic[kMaxRootDegree + 1];
    Complex lane_roots[kMaxRootDegree];
    started[l] = kahler_math::aberth_start(coeffs[l], degree, rotation, lane_monic, lane_roots);
    if (!started[l]) continue;
    monic.put(l, lane_monic, degree + 1);
    roots.put(l, lane_roots, degree);
  }
  // Masked lanes (beyond count, or without a start) compute on zeros; their results are never read.
  sweeps(monic, degree, max_iterations, roots, started, converged);
  polish(monic, degree, roots, started);
}

}  // namespace

void aberth_roots_lanes(const Complex* const* coeffs, int count, int degree, int max_iterations,
                        Complex* const* roots, int* converged) {
  LaneArray lane_roots;
  int started[L], done[L];
  solve_group(coeffs, count, degree, max_iterations, lane_roots, started, done);
  for (int l = 0; l < count; ++l) {
    converged[l] = done[l];
    if (started[l]) lane_roots.take(l, roots[l], degree);
  }
}

void line_roots_lanes(const Complex* const* a, const Complex* const* b, int count, int n_coords,
                      const int64_t* exponents, const Complex* coefficients, int n_monomials, int degree,
                      int max_iterations, Complex* const* t, double* const* residual, int* converged) {
  LaneArray lane_a, lane_b, lane_coeffs, lane_t;
  for (int l = 0; l < count; ++l) {
    lane_a.put(l, a[l], n_coords);
    lane_b.put(l, b[l], n_coords);
  }
  line_coefficients(lane_a, lane_b, n_coords, exponents, coefficients, n_monomials, degree, lane_coeffs);
  Complex line_coeffs[L][kMaxRootDegree + 1];
  const Complex* coeff_ptrs[L] = {};
  for (int l = 0; l < count; ++l) {
    lane_coeffs.take(l, line_coeffs[l], degree + 1);
    coeff_ptrs[l] = line_coeffs[l];
  }
  int started[L], done[L];
  solve_group(coeff_ptrs, count, degree, max_iterations, lane_t, started, done);
  // A polynomial without a start keeps its roots untouched, as the scalar function leaves them.
  for (int l = 0; l < count; ++l) {
    converged[l] = done[l];
    if (started[l]) {
      lane_t.take(l, t[l], degree);
    } else {
      lane_t.put(l, t[l], degree);
    }
  }
  double res[kMaxRootDegree * L];
  line_residuals(lane_a, lane_b, n_coords, exponents, coefficients, n_monomials, degree, lane_t, res);
  for (int l = 0; l < count; ++l) {
    for (int j = 0; j < degree; ++j) residual[l][j] = res[j * L + l];
  }
}

}  // namespace nmflow

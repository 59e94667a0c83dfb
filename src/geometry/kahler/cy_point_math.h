#pragma once
// Per-point chart data of a Calabi–Yau sample (docs/design.md §3; cy_point_set.h for the fields), one function that g++
// compiles for the CPU loop of make_cy_point_set (cy_point_set.cpp) and nvcc can compile for a kernel — the same
// formulas as the batched ATen composition choose_patches → pullback_matrix → fubini_study_ambient → P G P† →
// det, in one pass over a point's few dozen numbers instead of a dozen whole-batch tensor ops:
//   k = argmax_I |z_I| (first of equals), z ← z / z_k with z_k = 1 exactly;
//   ∂_I p = Σ_k c_k e_kI z_I^{e_kI − 1} Π_{J≠I} z_J^{e_kJ};  e = argmax_{I≠k} |∂_I p| (first of equals);
//   local coordinates x_a = z_{I_a}, I_a ascending over I ∉ {k, e};  P_a^I = δ_{I, I_a} − δ_{I, e} ∂_{I_a}p / ∂_e p;
//   G_IJ̄ = (t/π)(|z|² δ_IJ − z̄_I z_J)/|z|⁴;  g_ab̄ = P_a^I G_IJ̄ conj(P_b^J)  (two non-zeros per row of P);
//   det g by LU with partial pivoting;  |Ω|² = 1/|∂_e p|²;  w = |Ω|²/det g.
#include <cstdint>

#include "common/host_device.h"
#include "geometry/kahler/complex_math.h"
#include "geometry/kahler/polynomial_roots_math.h"

namespace nmflow::kahler_math {

// Outputs of one point; pointers into the CYPointSet tensors' rows (m = n − 2).
struct CYPointRow {
  Complex* z;              // [n] in: the point (any scaling); out: rescaled, z[k] = 1
  int64_t* patch;          // [1] k
  int64_t* eliminated;     // [1] e
  int64_t* local_indices;  // [m]
  Complex* pullback;       // [m, n]
  Complex* g;              // [m, m]
  double* det;             // [1]
  double* omega_sq;        // [1]
  double* weight;          // [1]
};

// ∂_I p at z (n coordinates ≤ kMaxCoords) into dp[n]; exponents [M, n], coefficients [M].
NMFLOW_HOST_DEVICE void hypersurface_gradient(const Complex* z, int n, const int64_t* exponents,
                                              const Complex* coefficients, int n_monomials, Complex* dp) {
  for (int i = 0; i < n; ++i) dp[i] = make_complex(0.0, 0.0);
  for (int k = 0; k < n_monomials; ++k) {
    const int64_t* e = exponents + static_cast<int64_t>(k) * n;
    for (int i = 0; i < n; ++i) {
      if (e[i] == 0) continue;
      // c_k e_kI z_I^{e_kI − 1} Π_{J≠I} z_J^{e_kJ}
      Complex term = static_cast<double>(e[i]) * coefficients[k];
      for (int j = 0; j < n; ++j) {
        const int64_t power = j == i ? e[j] - 1 : e[j];
        for (int64_t r = 0; r < power; ++r) term = term * z[j];
      }
      dp[i] = dp[i] + term;
    }
  }
}

// det of the m × m complex matrix a (row-major, overwritten) by LU with partial pivoting; real part returned (g is
// Hermitian, so its determinant is real up to rounding).
NMFLOW_HOST_DEVICE double hermitian_determinant(Complex* a, int m) {
  Complex det = make_complex(1.0, 0.0);
  for (int c = 0; c < m; ++c) {
    int pivot = c;
    for (int r = c + 1; r < m; ++r) {
      if (abs_squared(a[r * m + c]) > abs_squared(a[pivot * m + c])) pivot = r;
    }
    if (pivot != c) {
      for (int j = 0; j < m; ++j) {
        const Complex swap = a[c * m + j];
        a[c * m + j] = a[pivot * m + j];
        a[pivot * m + j] = swap;
      }
      det = make_complex(-det.re, -det.im);
    }
    const Complex diagonal = a[c * m + c];
    det = det * diagonal;
    if (abs_squared(diagonal) == 0.0) return 0.0;
    const Complex inverse = reciprocal(diagonal);
    for (int r = c + 1; r < m; ++r) {
      const Complex factor = a[r * m + c] * inverse;
      for (int j = c + 1; j < m; ++j) a[r * m + j] = a[r * m + j] - factor * a[c * m + j];
    }
  }
  return det.re;
}

// One point: n ≤ kMaxCoords coordinates (n ≥ 3), t the Kähler modulus.
NMFLOW_HOST_DEVICE void cy_point_chart(const int64_t* exponents, const Complex* coefficients, int n_monomials, int n,
                                       double t, CYPointRow out) {
  const int m = n - 2;
  Complex* z = out.z;
  int k = 0;
  for (int i = 1; i < n; ++i) {
    if (abs_squared(z[i]) > abs_squared(z[k])) k = i;
  }
  const Complex scale = z[k];
  for (int i = 0; i < n; ++i) z[i] = i == k ? make_complex(1.0, 0.0) : z[i] / scale;
  Complex dp[kMaxCoords];
  hypersurface_gradient(z, n, exponents, coefficients, n_monomials, dp);
  int e = k == 0 ? 1 : 0;
  for (int i = 0; i < n; ++i) {
    if (i != k && abs_squared(dp[i]) > abs_squared(dp[e])) e = i;
  }
  int local[kMaxCoords];
  for (int i = 0, a = 0; i < n; ++i) {
    if (i != k && i != e) local[a++] = i;
  }
  // Row a of P: 1 at I_a, −∂_{I_a}p/∂_e p at e.
  Complex dz_e[kMaxCoords];
  for (int a = 0; a < m; ++a) {
    dz_e[a] = make_complex(0.0, 0.0) - dp[local[a]] / dp[e];
    for (int i = 0; i < n; ++i) out.pullback[a * n + i] = make_complex(0.0, 0.0);
    out.pullback[a * n + local[a]] = make_complex(1.0, 0.0);
    out.pullback[a * n + e] = dz_e[a];
    out.local_indices[a] = local[a];
  }
  // G_IJ̄ on the entries P touches: G(I, J) = c (|z|² δ_IJ − z̄_I z_J), c = t/(π|z|⁴).
  double norm_sq = 0.0;
  for (int i = 0; i < n; ++i) norm_sq += abs_squared(z[i]);
  const double c = t / (3.14159265358979323846 * norm_sq * norm_sq);
  const auto ambient = [&](int i, int j) {
    const Complex outer = conjugate(z[i]) * z[j];
    return make_complex(c * ((i == j ? norm_sq : 0.0) - outer.re), -c * outer.im);
  };
  // g_ab̄ = Σ_{I ∈ {I_a, e}, J ∈ {I_b, e}} P_a^I G_IJ̄ conj(P_b^J).
  Complex lu[kMaxCoords * kMaxCoords];
  for (int a = 0; a < m; ++a) {
    for (int b = 0; b < m; ++b) {
      const Complex pb = conjugate(dz_e[b]);
      const Complex s = ambient(local[a], local[b]) + ambient(local[a], e) * pb +
                        dz_e[a] * (ambient(e, local[b]) + ambient(e, e) * pb);
      out.g[a * m + b] = s;
      lu[a * m + b] = s;
    }
  }
  const double det = hermitian_determinant(lu, m);
  const double omega_sq = 1.0 / abs_squared(dp[e]);
  *out.patch = k;
  *out.eliminated = e;
  *out.det = det;
  *out.omega_sq = omega_sq;
  *out.weight = omega_sq / det;
}

}  // namespace nmflow::kahler_math

// Include guard, not #pragma once: curvature_lanes_cpu.cpp includes this header a second time inside each x86-64
// level's namespace and target region (with NMFLOW_CURVATURE_MATH_AGAIN defined), so that the templates are compiled
// for that level when instantiated on its vector type (common/cpu_targets.h).
#if !defined(NMFLOW_GEOMETRY_CURVATURE_CURVATURE_MATH_H_) || defined(NMFLOW_CURVATURE_MATH_AGAIN)
#ifndef NMFLOW_CURVATURE_MATH_AGAIN
#define NMFLOW_GEOMETRY_CURVATURE_CURVATURE_MATH_H_
#endif
// Per-point curvature of a metric 2-jet and its reverse-mode VJP, written once for the CPU path (g++) and the
// CUDA kernels (nvcc). Conventions and index order are docs/design.md §2 and curvature_reference.cpp:
//   g[i][j] = g_ij,  dg[c][i][j] = ∂_c g_ij,  d2g[c][d][i][j] = ∂_c ∂_d g_ij   (row-major, contiguous)
//   Γ^c_ab = ½ g^cd (∂_a g_bd + ∂_b g_ad − ∂_d g_ab)
//   R_bd = ∂_a Γ^a_db − ∂_d Γ^a_ab + Γ^a_ae Γ^e_db − Γ^a_de Γ^e_ab,   R = g^bd R_bd,   |Ric|² = g^ac g^bd R_ab R_cd
//
// Symmetric inputs. The op assumes g symmetric positive definite, dg symmetric in (i,j) and d2g symmetric in (c,d)
// and in (i,j), as every metric jet is. The formulas below use those symmetries to save work, so they agree with
// the reference only on symmetric inputs, and the gradients are those of the symmetric parametrisation: the
// gradient of the curvature restricted to symmetric jets, i.e. the ambient gradient projected by
// v ↦ ½(v + vᵀ) on (i,j) (and on (c,d) for d2g). A g that is not positive definite gives NaN/Inf (no pivoting).
//
// Arrays are fixed-size (N ≤ 6) locals, so the whole computation lives on the stack / in registers.
#include "common/host_device.h"

namespace nmflow::curvature_math {

// g = L D Lᵀ with unit lower-triangular L (LDLᵀ: Cholesky without square roots, so no libm call in device code),
// then g⁻¹ = L⁻ᵀ D⁻¹ L⁻¹. ginv comes out exactly symmetric.
template <typename T, int N>
NMFLOW_HOST_DEVICE void inverse_spd(const T* g, T* ginv) {
  T l[N * N];
  T diag[N];
  T inv_d[N];
  for (int j = 0; j < N; ++j) {
    T dj = g[j * N + j];
    for (int k = 0; k < j; ++k) {
      dj -= l[j * N + k] * l[j * N + k] * diag[k];
    }
    diag[j] = dj;
    inv_d[j] = T(1) / dj;
    for (int i = j + 1; i < N; ++i) {
      T s = g[i * N + j];
      for (int k = 0; k < j; ++k) {
        s -= l[i * N + k] * l[j * N + k] * diag[k];
      }
      l[i * N + j] = s * inv_d[j];
    }
  }
  // m = L⁻¹ (unit lower-triangular) by forward substitution.
  T m[N * N];
  for (int j = 0; j < N; ++j) {
    for (int i = 0; i < N; ++i) {
      m[i * N + j] = i == j ? T(1) : T(0);
    }
    for (int i = j + 1; i < N; ++i) {
      T s = 0;
      for (int k = j; k < i; ++k) {
        s -= l[i * N + k] * m[k * N + j];
      }
      m[i * N + j] = s;
    }
  }
  // (g⁻¹)_ij = Σ_{k ≥ max(i,j)} m_ki m_kj / D_k.
  for (int i = 0; i < N; ++i) {
    for (int j = i; j < N; ++j) {
      T s = 0;
      for (int k = j; k < N; ++k) {
        s += m[k * N + i] * m[k * N + j] * inv_d[k];
      }
      ginv[i * N + j] = s;
      ginv[j * N + i] = s;
    }
  }
}

// First-order quantities shared by forward and backward.
template <typename T, int N>
struct FirstOrder {
  T ginv[N * N];         // g^ij
  T gamma_low[N * N * N];  // [d][a][b] = Γ_dab = ½(∂_a g_bd + ∂_b g_ad − ∂_d g_ab)
  T gamma[N * N * N];    // [c][a][b] = Γ^c_ab = g^cd Γ_dab
  T a_mat[N * N * N];    // [d][a][q] = (g⁻¹ ∂_d g)^a_q = g^ap ∂_d g_pq
  T k[N];                // k_q = Γ^a_aq − g^ap ∂_a g_pq = ½ A_q[a][a] − A_a[a][q]
};

template <typename T, int N>
NMFLOW_HOST_DEVICE void first_order(const T* g, const T* dg, FirstOrder<T, N>& f) {
  inverse_spd<T, N>(g, f.ginv);
  for (int d = 0; d < N; ++d) {
    for (int a = 0; a < N; ++a) {
      for (int b = a; b < N; ++b) {
        const T v = T(0.5) * (dg[(a * N + b) * N + d] + dg[(b * N + a) * N + d] - dg[(d * N + a) * N + b]);
        f.gamma_low[(d * N + a) * N + b] = v;
        f.gamma_low[(d * N + b) * N + a] = v;
      }
    }
  }
  for (int c = 0; c < N; ++c) {
    for (int a = 0; a < N; ++a) {
      for (int b = a; b < N; ++b) {
        T s = 0;
        for (int d = 0; d < N; ++d) {
          s += f.ginv[c * N + d] * f.gamma_low[(d * N + a) * N + b];
        }
        f.gamma[(c * N + a) * N + b] = s;
        f.gamma[(c * N + b) * N + a] = s;
      }
    }
  }
  for (int d = 0; d < N; ++d) {
    for (int a = 0; a < N; ++a) {
      for (int q = 0; q < N; ++q) {
        T s = 0;
        for (int p = 0; p < N; ++p) {
          s += f.ginv[a * N + p] * dg[(d * N + p) * N + q];
        }
        f.a_mat[(d * N + a) * N + q] = s;
      }
    }
  }
  // Γ^a_aq = ½ g^ap ∂_q g_ap (the ∂_a g_qp and ∂_p g_aq terms cancel under the symmetric sum).
  for (int q = 0; q < N; ++q) {
    T s = 0;
    for (int a = 0; a < N; ++a) {
      s += T(0.5) * f.a_mat[(q * N + a) * N + a] - f.a_mat[(a * N + a) * N + q];
    }
    f.k[q] = s;
  }
}

// Ricci, written for symmetric jets as R_bd = D_bd + E_bd with
//   D_bd = ½ g^ap (∂_a∂_d g_bp + ∂_a∂_b g_dp − ∂_a∂_p g_db − ∂_d∂_b g_ap)            (second-order part)
//   E_bd = ½ tr(A_d A_b) + k_q Γ^q_db − Γ^a_de Γ^e_ab,  A_d = g⁻¹∂_d g             (first-order part)
// Derivation from docs/design.md §2: ∂_eΓ^c_ab = g^cp(∂_eΓ_pab − ∂_e g_pq Γ^q_ab); the trace ∂_dΓ^a_ab = ½ ∂_d∂_b log det g
// = ½ g^ap ∂_d∂_b g_ap − ½ tr(A_d A_b); the terms −g^ap ∂_a g_pq Γ^q_db (from ∂_aΓ^a_db) and Γ^a_ae Γ^e_db
// combine into k_q Γ^q_db. Only b ≤ d is computed; the result is mirrored, so it is exactly symmetric.
template <typename T, int N>
NMFLOW_HOST_DEVICE void ricci_from_first_order(const FirstOrder<T, N>& f, const T* d2g, T* ricci) {
  // x[b][d] = g^ap ∂_a∂_d g_bp, so D_bd = ½(x_bd + x_db) − ½ g^ap(∂_a∂_p g_db + ∂_d∂_b g_ap).
  T x[N * N];
  for (int b = 0; b < N; ++b) {
    for (int d = 0; d < N; ++d) {
      T s = 0;
      for (int a = 0; a < N; ++a) {
        for (int p = 0; p < N; ++p) {
          s += f.ginv[a * N + p] * d2g[((a * N + d) * N + b) * N + p];
        }
      }
      x[b * N + d] = s;
    }
  }
  for (int b = 0; b < N; ++b) {
    for (int d = b; d < N; ++d) {
      T second = T(0.5) * (x[b * N + d] + x[d * N + b]);
      T first = 0;
      for (int a = 0; a < N; ++a) {
        for (int p = 0; p < N; ++p) {
          const T gap = f.ginv[a * N + p];
          second -= T(0.5) * gap * (d2g[((a * N + p) * N + d) * N + b] + d2g[((d * N + b) * N + a) * N + p]);
          first += T(0.5) * f.a_mat[(d * N + a) * N + p] * f.a_mat[(b * N + p) * N + a] -
                   f.gamma[(a * N + d) * N + p] * f.gamma[(p * N + a) * N + b];
        }
        first += f.k[a] * f.gamma[(a * N + d) * N + b];
      }
      ricci[b * N + d] = second + first;
      ricci[d * N + b] = second + first;
    }
  }
}

// R = g^bd R_bd and |Ric|² = tr(g⁻¹ Ric g⁻¹ Ric).
template <typename T, int N>
NMFLOW_HOST_DEVICE void scalar_and_norm(const T* ginv, const T* ricci, T* scalar, T* norm_squared) {
  T m[N * N];  // (g⁻¹ Ric)^a_b
  T r = 0;
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      T s = 0;
      for (int c = 0; c < N; ++c) {
        s += ginv[a * N + c] * ricci[c * N + b];
      }
      m[a * N + b] = s;
      r += ginv[a * N + b] * ricci[a * N + b];
    }
  }
  T n2 = 0;
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      n2 += m[a * N + b] * m[b * N + a];
    }
  }
  *scalar = r;
  *norm_squared = n2;
}

// Forward for one point: ricci [N*N], scalar [1], norm_squared [1] = |Ric|².
template <typename T, int N>
NMFLOW_HOST_DEVICE void curvature_point(const T* g, const T* dg, const T* d2g, T* ricci, T* scalar,
                                        T* norm_squared) {
  FirstOrder<T, N> f;
  first_order<T, N>(g, dg, f);
  ricci_from_first_order<T, N>(f, d2g, ricci);
  scalar_and_norm<T, N>(f.ginv, ricci, scalar, norm_squared);
}

// Reverse mode for one point. Inputs: the jet, the forward's ricci, cotangents v_ricci [N*N], v_scalar, v_norm
// (of |Ric|²). Outputs (overwritten): v_g [N*N], v_dg [N³], v_d2g [N⁴], symmetrised as the header comment says.
template <typename T, int N>
NMFLOW_HOST_DEVICE void curvature_point_vjp(const T* g, const T* dg, const T* d2g, const T* ricci,
                                            const T* v_ricci, T v_scalar, T v_norm, T* v_g, T* v_dg, T* v_d2g) {
  FirstOrder<T, N> f;
  first_order<T, N>(g, dg, f);
  const T* gi = f.ginv;

  // ric_gi = Ric g⁻¹, gi_ric_gi = g⁻¹ Ric g⁻¹.
  T ric_gi[N * N];
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      T s = 0;
      for (int c = 0; c < N; ++c) {
        s += ricci[a * N + c] * gi[c * N + b];
      }
      ric_gi[a * N + b] = s;
    }
  }
  // P = cotangent of the (symmetric) Ricci entries: ½(v_R + v_Rᵀ) + v_s g⁻¹ + 2 v_n g⁻¹ Ric g⁻¹, since
  // ∂R/∂R_bd = g^bd and ∂|Ric|²/∂R_bd = 2 (g⁻¹ Ric g⁻¹)^bd. v_gi = ∂L/∂g^ij accumulates from here on:
  // ∂R/∂g^bd = R_bd and ∂|Ric|²/∂g^bd = 2 (Ric g⁻¹ Ric)_bd.
  T p_mat[N * N];
  T v_gi[N * N];
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      T gi_ric_gi = 0;
      T ric_gi_ric = 0;
      for (int c = 0; c < N; ++c) {
        gi_ric_gi += gi[a * N + c] * ric_gi[c * N + b];
        ric_gi_ric += ric_gi[a * N + c] * ricci[c * N + b];
      }
      p_mat[a * N + b] = T(0.5) * (v_ricci[a * N + b] + v_ricci[b * N + a]) + v_scalar * gi[a * N + b] +
                         T(2) * v_norm * gi_ric_gi;
      v_gi[a * N + b] = v_scalar * ricci[a * N + b] + T(2) * v_norm * ric_gi_ric;
    }
  }

  // Second-order part D_bd = ½ g^ap (d2g[a][d][b][p] + d2g[a][b][d][p] − d2g[a][p][d][b] − d2g[d][b][a][p]).
  // ∂/∂g^ap (P symmetric, so the first two terms give the same sum):
  //   v_gi[a][p] += P_bd d2g[a][d][b][p] − ½ P_bd d2g[a][p][d][b] − ½ P_bd d2g[d][b][a][p].
  for (int a = 0; a < N; ++a) {
    for (int p = 0; p < N; ++p) {
      T s = 0;
      for (int b = 0; b < N; ++b) {
        for (int d = 0; d < N; ++d) {
          const T pbd = p_mat[b * N + d];
          s += pbd * (d2g[((a * N + d) * N + b) * N + p] - T(0.5) * d2g[((a * N + p) * N + d) * N + b] -
                      T(0.5) * d2g[((d * N + b) * N + a) * N + p]);
        }
      }
      v_gi[a * N + p] += s;
    }
  }
  // ∂/∂d2g[c][e][i][j] before symmetrising: g^cj P_ie − ½ g^ce P_ij − ½ g^ij P_ce; projected onto tensors
  // symmetric in (c,e) and (i,j):
  //   v_d2g = ¼(g^cj P_ie + g^ci P_je + g^ej P_ic + g^ei P_jc) − ½ g^ce P_ij − ½ g^ij P_ce.
  for (int c = 0; c < N; ++c) {
    for (int e = 0; e < N; ++e) {
      for (int i = 0; i < N; ++i) {
        for (int j = 0; j < N; ++j) {
          v_d2g[((c * N + e) * N + i) * N + j] =
              T(0.25) * (gi[c * N + j] * p_mat[i * N + e] + gi[c * N + i] * p_mat[j * N + e] +
                         gi[e * N + j] * p_mat[i * N + c] + gi[e * N + i] * p_mat[j * N + c]) -
              T(0.5) * (gi[c * N + e] * p_mat[i * N + j] + gi[i * N + j] * p_mat[c * N + e]);
        }
      }
    }
  }

  // First-order part E_bd = ½ A_d[a][q] A_b[q][a] + k_q Γ^q_db − Γ^a_de Γ^e_ab.
  //   v_A[x][i][j] = P_xb A_b[j][i]                         (both factors of the trace, P symmetric)
  //   v_k[q]       = P_bd Γ^q_db
  //   v_Γ[q][d][b] = k_q P_bd − P_cd Γ^b_qc − P_bc Γ^d_cq      (from k_q Γ^q_db and both factors of Γ^a_de Γ^e_ab)
  T v_a[N * N * N];
  for (int x = 0; x < N; ++x) {
    for (int i = 0; i < N; ++i) {
      for (int j = 0; j < N; ++j) {
        T s = 0;
        for (int b = 0; b < N; ++b) {
          s += p_mat[x * N + b] * f.a_mat[(b * N + j) * N + i];
        }
        v_a[(x * N + i) * N + j] = s;
      }
    }
  }
  T v_gamma[N * N * N];
  for (int q = 0; q < N; ++q) {
    T v_k = 0;
    for (int d = 0; d < N; ++d) {
      for (int b = 0; b < N; ++b) {
        const T pbd = p_mat[b * N + d];
        v_k += pbd * f.gamma[(q * N + d) * N + b];
        T s = f.k[q] * pbd;
        for (int c = 0; c < N; ++c) {
          s -= p_mat[c * N + d] * f.gamma[(b * N + q) * N + c] + p_mat[b * N + c] * f.gamma[(d * N + c) * N + q];
        }
        v_gamma[(q * N + d) * N + b] = s;
      }
    }
    // k_q = ½ A_q[a][a] − A_a[a][q].
    for (int a = 0; a < N; ++a) {
      v_a[(q * N + a) * N + a] += T(0.5) * v_k;
      v_a[(a * N + a) * N + q] -= v_k;
    }
  }

  for (int t = 0; t < N * N * N; ++t) {
    v_dg[t] = 0;
  }
  // A_d[a][q] = g^ap dg[d][p][q]:  v_gi[a][p] += v_A[d][a][q] dg[d][p][q];  v_dg[d][p][q] += g^ap v_A[d][a][q].
  for (int d = 0; d < N; ++d) {
    for (int p = 0; p < N; ++p) {
      for (int q = 0; q < N; ++q) {
        T s = 0;
        for (int a = 0; a < N; ++a) {
          s += gi[a * N + p] * v_a[(d * N + a) * N + q];
        }
        v_dg[(d * N + p) * N + q] += s;
      }
    }
    for (int a = 0; a < N; ++a) {
      for (int p = 0; p < N; ++p) {
        T s = 0;
        for (int q = 0; q < N; ++q) {
          s += v_a[(d * N + a) * N + q] * dg[(d * N + p) * N + q];
        }
        v_gi[a * N + p] += s;
      }
    }
  }
  // Γ^c_ab = g^cd Γ_dab:  v_gi[c][d] += v_Γ[c][a][b] Γ_dab;  v_Γlow[d][a][b] = g^cd v_Γ[c][a][b], and
  // Γ_dab = ½(dg[a][b][d] + dg[b][a][d] − dg[d][a][b]) scatters v_Γlow into v_dg.
  for (int c = 0; c < N; ++c) {
    for (int d = 0; d < N; ++d) {
      T s = 0;
      for (int ab = 0; ab < N * N; ++ab) {
        s += v_gamma[c * N * N + ab] * f.gamma_low[d * N * N + ab];
      }
      v_gi[c * N + d] += s;
    }
  }
  for (int d = 0; d < N; ++d) {
    for (int a = 0; a < N; ++a) {
      for (int b = 0; b < N; ++b) {
        T s = 0;
        for (int c = 0; c < N; ++c) {
          s += gi[c * N + d] * v_gamma[(c * N + a) * N + b];
        }
        const T half = T(0.5) * s;
        v_dg[(a * N + b) * N + d] += half;
        v_dg[(b * N + a) * N + d] += half;
        v_dg[(d * N + a) * N + b] -= half;
      }
    }
  }
  // Symmetrise v_dg in (i,j).
  for (int c = 0; c < N; ++c) {
    for (int i = 0; i < N; ++i) {
      for (int j = i + 1; j < N; ++j) {
        const T s = T(0.5) * (v_dg[(c * N + i) * N + j] + v_dg[(c * N + j) * N + i]);
        v_dg[(c * N + i) * N + j] = s;
        v_dg[(c * N + j) * N + i] = s;
      }
    }
  }
  // g⁻¹ = inv(g):  v_g = −g⁻¹ v_gi g⁻¹ (g⁻¹ symmetric), then symmetrised.
  T tmp[N * N];
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      T s = 0;
      for (int c = 0; c < N; ++c) {
        s += v_gi[a * N + c] * gi[c * N + b];
      }
      tmp[a * N + b] = s;
    }
  }
  for (int a = 0; a < N; ++a) {
    for (int b = a; b < N; ++b) {
      T s = 0;
      for (int c = 0; c < N; ++c) {
        s += gi[a * N + c] * tmp[c * N + b] + gi[b * N + c] * tmp[c * N + a];
      }
      v_g[a * N + b] = T(-0.5) * s;
      v_g[b * N + a] = T(-0.5) * s;
    }
  }
}

}  // namespace nmflow::curvature_math

#endif  // NMFLOW_GEOMETRY_CURVATURE_CURVATURE_MATH_H_

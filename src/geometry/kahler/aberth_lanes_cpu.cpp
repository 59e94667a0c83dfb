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
using kahler_math::kMaxRootDegree;

// Eight lanes as one GCC vector: an AVX-512 register in the x86-64-v4 clone, two or four narrower ones elsewhere.
// (Plain loops over the lanes were fully unrolled and left scalar by the compiler.)
typedef double Lanes __attribute__((vector_size(8 * L)));
// load/store take and return Lanes by value; they are always inlined into the clones, so GCC's note that a 64-byte
// vector argument's ABI differs without AVX-512 concerns no call that exists.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef long long Mask __attribute__((vector_size(8 * L)));  // comparison results: −1 true, 0 false

NMFLOW_INLINE_INTO_CLONES Lanes load(const double* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
NMFLOW_INLINE_INTO_CLONES void store(double* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// Horner's q and q' at t for L lanes, horner_with_derivative's operations: value ← coeffs[d]; deriv ← 0; for
// j = d−1…0: deriv ← deriv·t + value, value ← value·t + coeffs[j].
NMFLOW_INLINE_INTO_CLONES void horner_lanes(const double* mre, const double* mim, int degree, Lanes tre, Lanes tim,
                                            Lanes& qre, Lanes& qim, Lanes& dre, Lanes& dim) {
  Lanes vre = load(mre + degree * L), vim = load(mim + degree * L);
  const Lanes zero = {};
  dre = zero;
  dim = zero;
  for (int j = degree - 1; j >= 0; --j) {
    const Lanes pre = dre * tre - dim * tim;
    const Lanes pim = dre * tim + dim * tre;
    dre = pre + vre;
    dim = pim + vim;
    const Lanes xre = vre * tre - vim * tim;
    const Lanes xim = vre * tim + vim * tre;
    vre = xre + load(mre + j * L);
    vim = xim + load(mim + j * L);
  }
  qre = vre;
  qim = vim;
}

// aberth_sweeps (polynomial_roots_math.h) for L polynomials: monic and roots as [j][lane] real and imaginary parts;
// active[l] = 0 masks a lane from the start. Each complex operation is spelled out exactly as complex_math.h
// evaluates it (same products, same order; this file is compiled without fused multiply-adds), so that a lane
// reproduces the scalar sweep bit for bit.
NMFLOW_CPU_CLONES void sweeps(const double* mre, const double* mim, int degree, int max_iterations, double* rre,
                              double* rim, int* active_in, int* converged) {
  Mask active, done = {};
  for (int l = 0; l < L; ++l) active[l] = active_in[l] ? -1 : 0;
  const Lanes zero = {};
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    bool any = false;
    for (int l = 0; l < L; ++l) any = any || active[l] != 0;
    if (!any) break;
    Mask sweep_converged = active | ~active;  // all true
    for (int k = 0; k < degree; ++k) {
      Lanes tre = load(rre + k * L);
      Lanes tim = load(rim + k * L);
      Lanes vre, vim, dre, dim;  // q and q' at the lanes' root k
      horner_lanes(mre, mim, degree, tre, tim, vre, vim, dre, dim);
      Lanes sre = zero, sim = zero;  // repulsion Σ_{j≠k} 1/(z_k − z_j)
      for (int j = 0; j < degree; ++j) {
        if (j == k) continue;
        const Lanes are = tre - load(rre + j * L);
        const Lanes aim = tim - load(rim + j * L);
        const Lanes inv = 1.0 / (are * are + aim * aim);
        sre = sre + are * inv;
        sim = sim + -aim * inv;
      }
      const Lanes qq = vre * vre + vim * vim;
      const Mask exact = qq == 0.0;
      const Lanes qinv = 1.0 / qq;  // reciprocal(q)
      const Lanes rqre = vre * qinv;
      const Lanes rqim = -vim * qinv;
      const Lanes ere = (dre * rqre - dim * rqim) - sre;  // dq · reciprocal(q) − repulsion
      const Lanes eim = (dre * rqim + dim * rqre) - sim;
      const Lanes einv = 1.0 / (ere * ere + eim * eim);
      const Lanes step_re = ere * einv;
      const Lanes step_im = -eim * einv;
      const Mask finite = (step_re - step_re == 0.0) & (step_im - step_im == 0.0);
      const Lanes nre = tre - step_re;
      const Lanes nim = tim - step_im;
      const Mask big = step_re * step_re + step_im * step_im > 1e-24 * (nre * nre + nim * nim) + 1e-300;
      const Mask live = active & ~exact;
      const Mask update = live & finite;
      store(rre + k * L, update ? nre : tre);
      store(rim + k * L, update ? nim : tim);
      sweep_converged &= ~(live & (~finite | big));
    }
    const Mask now = active & sweep_converged;
    done |= now;
    active &= ~now;
  }
  for (int l = 0; l < L; ++l) converged[l] = done[l] != 0;
}

// newton_polish (polynomial_roots_math.h) for L lanes, started[l] = 0 masking a lane: q/q' by Smith's division,
// both of its branches computed and the scalar's branch selected per lane.
NMFLOW_CPU_CLONES void polish(const double* mre, const double* mim, int degree, double* rre, double* rim,
                              const int* started) {
  Mask started_mask;
  for (int l = 0; l < L; ++l) started_mask[l] = started[l] ? -1 : 0;
  for (int k = 0; k < degree; ++k) {
    Lanes tre = load(rre + k * L), tim = load(rim + k * L);
    Mask live = started_mask;
    for (int step = 0; step < kahler_math::kNewtonPolishSteps; ++step) {
      Lanes qre, qim, dre, dim;
      horner_lanes(mre, mim, degree, tre, tim, qre, qim, dre, dim);
      const Lanes q2 = qre * qre + qim * qim;
      live &= ~((dre * dre + dim * dim == 0.0) | (q2 == 0.0));
      // q / dq (Smith): |dq.re| ≥ |dq.im| ? (r = im/re, den = re + im·r) : (r = re/im, den = re·r + im).
      const Mask wide = (dre >= 0.0 ? dre : -dre) >= (dim >= 0.0 ? dim : -dim);
      const Lanes r1 = dim / dre, den1 = dre + dim * r1;
      const Lanes r2 = dre / dim, den2 = dre * r2 + dim;
      const Lanes sre = wide ? (qre + qim * r1) / den1 : (qre * r2 + qim) / den2;
      const Lanes sim = wide ? (qim - qre * r1) / den1 : (qim * r2 - qre) / den2;
      const Lanes cre = tre - sre, cim = tim - sim;
      Lanes cqre, cqim, cdre, cdim;
      horner_lanes(mre, mim, degree, cre, cim, cqre, cqim, cdre, cdim);
      live &= cqre * cqre + cqim * cqim < q2;
      tre = live ? cre : tre;
      tim = live ? cim : tim;
    }
    store(rre + k * L, tre);
    store(rim + k * L, tim);
  }
}

// line_polynomial_coefficients (polynomial_roots_math.h) for L lines: a, b as [i][lane] real and imaginary parts,
// out as [j][lane]; exponents and coefficients are the surface's, the same for every lane.
NMFLOW_CPU_CLONES void line_coefficients(const double* are, const double* aim, const double* bre, const double* bim,
                                         int n_coords, const int64_t* exponents, const Complex* coefficients,
                                         int n_monomials, int degree, double* out_re, double* out_im) {
  const Lanes zero = {};
  Lanes ore[kMaxRootDegree + 1], oim[kMaxRootDegree + 1];
  for (int j = 0; j <= degree; ++j) ore[j] = oim[j] = zero;
  Lanes pre[kMaxRootDegree + 1], pim[kMaxRootDegree + 1];
  for (int k = 0; k < n_monomials; ++k) {
    pre[0] = zero + 1.0;
    pim[0] = zero;
    int filled = 0;
    for (int i = 0; i < n_coords; ++i) {
      const Lanes ar = load(are + i * L), ai = load(aim + i * L), br = load(bre + i * L), bi = load(bim + i * L);
      for (int64_t r = 0; r < exponents[k * n_coords + i]; ++r) {
        // product[filled + 1] = b · product[filled]
        pre[filled + 1] = br * pre[filled] - bi * pim[filled];
        pim[filled + 1] = br * pim[filled] + bi * pre[filled];
        for (int j = filled; j >= 1; --j) {  // product[j] = a · product[j] + b · product[j − 1]
          const Lanes xr = ar * pre[j] - ai * pim[j], xi = ar * pim[j] + ai * pre[j];
          const Lanes yr = br * pre[j - 1] - bi * pim[j - 1], yi = br * pim[j - 1] + bi * pre[j - 1];
          pre[j] = xr + yr;
          pim[j] = xi + yi;
        }
        const Lanes xr = ar * pre[0] - ai * pim[0], xi = ar * pim[0] + ai * pre[0];  // product[0] = a · product[0]
        pre[0] = xr;
        pim[0] = xi;
        ++filled;
      }
    }
    const double cr = coefficients[k].re, ci = coefficients[k].im;
    for (int j = 0; j <= filled; ++j) {  // out[j] = out[j] + c_k · product[j]
      ore[j] = ore[j] + (cr * pre[j] - ci * pim[j]);
      oim[j] = oim[j] + (cr * pim[j] + ci * pre[j]);
    }
  }
  for (int j = 0; j <= degree; ++j) {
    store(out_re + j * L, ore[j]);
    store(out_im + j * L, oim[j]);
  }
}

// line_residuals for L lines: t as [j][lane]; residual as [j][lane].
NMFLOW_CPU_CLONES void line_residuals(const double* are, const double* aim, const double* bre, const double* bim,
                                      int n_coords, const int64_t* exponents, const Complex* coefficients,
                                      int n_monomials, int degree, const double* tre, const double* tim,
                                      double* residual) {
  const Lanes zero = {};
  Lanes zre[16], zim[16];  // kMaxCoords
  for (int j = 0; j < degree; ++j) {
    const Lanes trj = load(tre + j * L), tij = load(tim + j * L);
    for (int i = 0; i < n_coords; ++i) {  // z_i = a_i + t_j · b_i
      const Lanes br = load(bre + i * L), bi = load(bim + i * L);
      zre[i] = load(are + i * L) + (trj * br - tij * bi);
      zim[i] = load(aim + i * L) + (trj * bi + tij * br);
    }
    Lanes pr = zero, pi = zero;
    for (int k = 0; k < n_monomials; ++k) {
      Lanes mr = zero + coefficients[k].re, mi = zero + coefficients[k].im;
      for (int i = 0; i < n_coords; ++i) {
        for (int64_t r = 0; r < exponents[k * n_coords + i]; ++r) {  // monomial = monomial · z_i
          const Lanes xr = mr * zre[i] - mi * zim[i], xi = mr * zim[i] + mi * zre[i];
          mr = xr;
          mi = xi;
        }
      }
      pr = pr + mr;
      pi = pi + mi;
    }
    Lanes norm_sq = zero;
    for (int i = 0; i < n_coords; ++i) norm_sq = norm_sq + (zre[i] * zre[i] + zim[i] * zim[i]);
    Lanes norm, value;
    for (int l = 0; l < L; ++l) norm[l] = std::sqrt(norm_sq[l]);
    Lanes norm_d = zero + 1.0;
    for (int q = 0; q < degree; ++q) norm_d *= norm;
    const Lanes scale = 1.0 / norm_d;
    const Lanes sr = scale * pr, si = scale * pi;
    const Lanes mod_sq = sr * sr + si * si;
    for (int l = 0; l < L; ++l) value[l] = std::sqrt(mod_sq[l]);
    store(residual + j * L, value);
  }
}

}  // namespace

void aberth_roots_lanes(const Complex* const* coeffs, int count, int degree, int max_iterations,
                        Complex* const* roots, int* converged) {
  Complex monic[L][kMaxRootDegree + 1];
  double mre[(kMaxRootDegree + 1) * L] = {}, mim[(kMaxRootDegree + 1) * L] = {};
  double rre[kMaxRootDegree * L] = {}, rim[kMaxRootDegree * L] = {};
  int active[L] = {}, started[L] = {}, done[L] = {};
  const bool valid_degree = degree >= 1 && degree <= kMaxRootDegree;
  const Complex rotation = valid_degree ? kahler_math::aberth_rotation(degree) : kahler_math::make_complex(1.0, 0.0);
  for (int l = 0; l < count; ++l) {
    started[l] = active[l] =
        valid_degree && kahler_math::aberth_start(coeffs[l], degree, rotation, monic[l], roots[l]);
    if (!started[l]) continue;
    for (int j = 0; j <= degree; ++j) {
      mre[j * L + l] = monic[l][j].re;
      mim[j * L + l] = monic[l][j].im;
    }
    for (int k = 0; k < degree; ++k) {
      rre[k * L + l] = roots[l][k].re;
      rim[k * L + l] = roots[l][k].im;
    }
  }
  // Masked lanes (beyond count, or without a start) compute on zeros; their results are never read.
  if (valid_degree) {
    sweeps(mre, mim, degree, max_iterations, rre, rim, active, done);
    polish(mre, mim, degree, rre, rim, started);
  }
  for (int l = 0; l < count; ++l) {
    converged[l] = 0;
    if (!started[l]) continue;
    for (int k = 0; k < degree; ++k) roots[l][k] = kahler_math::make_complex(rre[k * L + l], rim[k * L + l]);
    converged[l] = done[l];
  }
}

void line_roots_lanes(const Complex* const* a, const Complex* const* b, int count, int n_coords,
                      const int64_t* exponents, const Complex* coefficients, int n_monomials, int degree,
                      int max_iterations, Complex* const* t, double* const* residual, int* converged) {
  double are[16 * L] = {}, aim[16 * L] = {}, bre[16 * L] = {}, bim[16 * L] = {};  // kMaxCoords
  for (int l = 0; l < count; ++l) {
    for (int i = 0; i < n_coords; ++i) {
      are[i * L + l] = a[l][i].re;
      aim[i * L + l] = a[l][i].im;
      bre[i * L + l] = b[l][i].re;
      bim[i * L + l] = b[l][i].im;
    }
  }
  double cre[(kMaxRootDegree + 1) * L], cim[(kMaxRootDegree + 1) * L];
  line_coefficients(are, aim, bre, bim, n_coords, exponents, coefficients, n_monomials, degree, cre, cim);
  Complex line_coeffs[L][kMaxRootDegree + 1];
  const Complex* coeff_ptrs[L] = {};
  for (int l = 0; l < count; ++l) {
    for (int j = 0; j <= degree; ++j) line_coeffs[l][j] = kahler_math::make_complex(cre[j * L + l], cim[j * L + l]);
    coeff_ptrs[l] = line_coeffs[l];
  }
  aberth_roots_lanes(coeff_ptrs, count, degree, max_iterations, t, converged);
  double tre[kMaxRootDegree * L] = {}, tim[kMaxRootDegree * L] = {}, res[kMaxRootDegree * L];
  for (int l = 0; l < count; ++l) {
    for (int j = 0; j < degree; ++j) {
      tre[j * L + l] = t[l][j].re;
      tim[j * L + l] = t[l][j].im;
    }
  }
  line_residuals(are, aim, bre, bim, n_coords, exponents, coefficients, n_monomials, degree, tre, tim, res);
  for (int l = 0; l < count; ++l) {
    for (int j = 0; j < degree; ++j) residual[l][j] = res[j * L + l];
  }
}

}  // namespace nmflow

#include "geometry/standard_normal_cpu.h"

#include <ATen/ATen.h>

#include "common/avx512.h"

namespace nmflow {

namespace {

#ifdef NMFLOW_HAVE_AVX512_KERNELS

// log x for x in (0, 1]: x = m 2^e with m ∈ [√½, √2), log m = 2 atanh s = 2 s Σ_{k ≤ 11} s^{2k}/(2k + 1) with
// s = (m − 1)/(m + 1), |s| ≤ 0.172 (truncation < 1e−17 relative), and e ln 2 with a two-part ln 2 (Muller,
// "Elementary Functions", 3rd ed., §11.2).
NMFLOW_AVX512_INLINE __m512d log8(__m512d x) {
  __m512d m = _mm512_maskz_getmant_pd(0xff, x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
  __m512d e = _mm512_maskz_getexp_pd(0xff, x);
  const __mmask8 high = _mm512_cmp_pd_mask(m, _mm512_set1_pd(1.4142135623730951), _CMP_GT_OQ);
  m = _mm512_mask_mul_pd(m, high, m, _mm512_set1_pd(0.5));
  e = _mm512_mask_add_pd(e, high, e, _mm512_set1_pd(1.0));
  const __m512d s = _mm512_div_pd(_mm512_sub_pd(m, _mm512_set1_pd(1.0)), _mm512_add_pd(m, _mm512_set1_pd(1.0)));
  const __m512d w = _mm512_mul_pd(s, s);
  __m512d p = _mm512_set1_pd(1.0 / 23);
  for (int k = 10; k >= 0; --k) p = _mm512_fmadd_pd(p, w, _mm512_set1_pd(1.0 / (2 * k + 1)));
  const __m512d log_m = _mm512_mul_pd(_mm512_add_pd(s, s), p);
  return _mm512_fmadd_pd(e, _mm512_set1_pd(kLn2High), _mm512_fmadd_pd(e, _mm512_set1_pd(kLn2Low), log_m));
}

// v − ⌊v⌋.
NMFLOW_AVX512_INLINE __m512d fraction(__m512d v) {
  return _mm512_sub_pd(v, _mm512_maskz_roundscale_pd(0xff, v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
}

// cos θ and sin θ for θ ∈ [0, 2π]: θ = k π/2 + r with a three-part π/2 (33 + 33 + 53 bits; k ≤ 4, so k·p_i is
// exact), |r| ≤ π/4, Taylor series to r¹⁸/18! and r¹⁷/17! (truncation < 1e−19), then the quadrant k mod 4.
NMFLOW_AVX512_INLINE void sincos8(__m512d theta, __m512d& cosine, __m512d& sine) {
  const __m512d k = _mm512_maskz_roundscale_pd(0xff, _mm512_mul_pd(theta, _mm512_set1_pd(0.63661977236758134)),
                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(1.57079632673412561417e+00), theta);
  r = _mm512_fnmadd_pd(k, _mm512_set1_pd(6.07710050630396597660e-11), r);
  r = _mm512_fnmadd_pd(k, _mm512_set1_pd(2.02226624879595063154e-21), r);
  const __m512d r2 = _mm512_mul_pd(r, r);
  // cos r = Σ_{j ≤ 9} (−r²)^j/(2j)!, sin r = r Σ_{j ≤ 8} (−r²)^j/(2j + 1)! (every factorial up to 18! is exact).
  constexpr double cos_c[10] = {1.0,
                                -1.0 / 2,
                                1.0 / 24,
                                -1.0 / 720,
                                1.0 / 40320,
                                -1.0 / 3628800,
                                1.0 / 479001600,
                                -1.0 / 87178291200.0,
                                1.0 / 20922789888000.0,
                                -1.0 / 6402373705728000.0};
  constexpr double sin_c[9] = {1.0,
                               -1.0 / 6,
                               1.0 / 120,
                               -1.0 / 5040,
                               1.0 / 362880,
                               -1.0 / 39916800,
                               1.0 / 6227020800.0,
                               -1.0 / 1307674368000.0,
                               1.0 / 355687428096000.0};
  __m512d c = _mm512_set1_pd(cos_c[9]);
  for (int j = 8; j >= 0; --j) c = _mm512_fmadd_pd(c, r2, _mm512_set1_pd(cos_c[j]));
  __m512d s = _mm512_set1_pd(sin_c[8]);
  for (int j = 7; j >= 0; --j) s = _mm512_fmadd_pd(s, r2, _mm512_set1_pd(sin_c[j]));
  s = _mm512_mul_pd(s, r);
  // Quadrant q = k mod 4: (cos θ, sin θ) = (c, s), (−s, c), (−c, −s), (s, −c) for q = 0, 1, 2, 3.
  const __mmask8 odd =
      _mm512_cmp_pd_mask(fraction(_mm512_mul_pd(k, _mm512_set1_pd(0.5))), _mm512_set1_pd(0.25), _CMP_GT_OQ);
  const __mmask8 sine_negative =
      _mm512_cmp_pd_mask(fraction(_mm512_mul_pd(k, _mm512_set1_pd(0.25))), _mm512_set1_pd(0.375), _CMP_GT_OQ);
  const __mmask8 cosine_negative =
      _mm512_cmp_pd_mask(fraction(_mm512_mul_pd(_mm512_add_pd(k, _mm512_set1_pd(1.0)), _mm512_set1_pd(0.25))),
                         _mm512_set1_pd(0.375), _CMP_GT_OQ);
  const __m512d zero = _mm512_setzero_pd();
  cosine = _mm512_mask_blend_pd(odd, c, s);
  sine = _mm512_mask_blend_pd(odd, s, c);
  cosine = _mm512_mask_sub_pd(cosine, cosine_negative, zero, cosine);
  sine = _mm512_mask_sub_pd(sine, sine_negative, zero, sine);
}

// One block of 16 uniforms → 16 normals, in place (ATen's normal_fill_16 with mean 0, std 1).
NMFLOW_AVX512_INLINE void box_muller16(double* data) {
  const __m512d u1 = _mm512_sub_pd(_mm512_set1_pd(1.0), _mm512_loadu_pd(data));  // [0, 1) → (0, 1] for log
  const __m512d theta = _mm512_mul_pd(_mm512_set1_pd(2.0 * 3.14159265358979323846), _mm512_loadu_pd(data + 8));
  const __m512d radius = _mm512_maskz_sqrt_pd(0xff, _mm512_mul_pd(_mm512_set1_pd(-2.0), log8(u1)));
  __m512d cosine, sine;
  sincos8(theta, cosine, sine);
  _mm512_storeu_pd(data, _mm512_mul_pd(radius, cosine));
  _mm512_storeu_pd(data + 8, _mm512_mul_pd(radius, sine));
}

// Every whole block of 16 in data[0, size).
NMFLOW_AVX512_KERNEL void box_muller_blocks(double* data, int64_t size) {
  for (int64_t i = 0; i + 16 <= size; i += 16) box_muller16(data + i);
}

#endif  // NMFLOW_HAVE_AVX512_KERNELS

}  // namespace

at::Tensor standard_normal_cpu(at::IntArrayRef sizes, at::Generator& generator) {
  const at::TensorOptions options = at::TensorOptions().dtype(at::kDouble);
  at::Tensor out = at::empty(sizes, options);
  const int64_t size = out.numel();
#ifdef NMFLOW_HAVE_AVX512_KERNELS
  if (size >= 16 && cpu_has_avx512f()) {
    out.uniform_(0.0, 1.0, generator);
    double* data = out.data_ptr<double>();
    box_muller_blocks(data, size);
    if (size % 16 != 0) {  // the last 16 values again, from 16 fresh uniforms
      at::Tensor last = out.view({size}).narrow(0, size - 16, 16);
      last.uniform_(0.0, 1.0, generator);
      box_muller_blocks(data + size - 16, 16);
    }
    return out;
  }
#endif
  return out.normal_(0.0, 1.0, generator);
}

}  // namespace nmflow

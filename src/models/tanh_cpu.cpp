#include "models/tanh_cpu.h"

#include <ATen/ATen.h>

#include "common/avx512.h"

namespace nmflow {

namespace {

template <typename T>
void tanh_aten(T* x, int64_t count) {
  at::from_blob(x, {count}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value)).tanh_();
}

#ifdef NMFLOW_HAVE_AVX512_KERNELS

// tanh of eight doubles (the header gives the method).
NMFLOW_AVX512_INLINE __m512d tanh8(__m512d x) {
  const __m512d magnitude = _mm512_abs_pd(x);
  // y = −2|x|, clamped at −40 (tanh 20 rounds to 1); vmaxpd returns its second operand for a NaN, so NaN passes.
  const __m512d y = _mm512_maskz_max_pd(0xff, _mm512_set1_pd(-40.0), _mm512_mul_pd(_mm512_set1_pd(-2.0), magnitude));
  const __m512d n = _mm512_maskz_roundscale_pd(0xff, _mm512_mul_pd(y, _mm512_set1_pd(1.4426950408889634)),
                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2High), y);  // n · kLn2High exact (common/avx512.h)
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2Low), r);
  // expm1(r) = r + r² (1/2! + r/3! + … + r¹¹/13!).
  constexpr double kInverseFactorial[] = {1.0 / 2,       1.0 / 6,        1.0 / 24,        1.0 / 120,
                                          1.0 / 720,     1.0 / 5040,     1.0 / 40320,     1.0 / 362880,
                                          1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};
  __m512d q = _mm512_set1_pd(kInverseFactorial[11]);
  for (int k = 10; k >= 0; --k) q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(kInverseFactorial[k]));
  const __m512d expm1_r = _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
  const __m512d scale = _mm512_maskz_scalef_pd(0xff, _mm512_set1_pd(1.0), n);  // 2ⁿ
  const __m512d u = _mm512_fmadd_pd(scale, expm1_r, _mm512_sub_pd(scale, _mm512_set1_pd(1.0)));
  const __m512d t = _mm512_div_pd(u, _mm512_add_pd(u, _mm512_set1_pd(2.0)));  // −tanh|x|
  // |t| with the sign of x: flip the sign bit where x's is set (integer view: the pd bit operations need AVX512DQ).
  const __m512i sign_bit = _mm512_set1_epi64(static_cast<int64_t>(0x8000000000000000ull));
  const __mmask8 negative = _mm512_test_epi64_mask(_mm512_castpd_si512(x), sign_bit);
  const __m512i magnitude_t = _mm512_castpd_si512(_mm512_abs_pd(t));
  return _mm512_castsi512_pd(_mm512_mask_xor_epi64(magnitude_t, negative, magnitude_t, sign_bit));
}

NMFLOW_AVX512_KERNEL void tanh_avx512(double* x, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) _mm512_storeu_pd(x + i, tanh8(_mm512_loadu_pd(x + i)));
  if (i < count) {
    const auto tail = static_cast<__mmask8>((1u << (count - i)) - 1u);
    _mm512_mask_storeu_pd(x + i, tail, tanh8(_mm512_maskz_loadu_pd(tail, x + i)));
  }
}

#endif  // NMFLOW_HAVE_AVX512_KERNELS

}  // namespace

void tanh_in_place_cpu(double* x, int64_t count) {
#ifdef NMFLOW_HAVE_AVX512_KERNELS
  if (cpu_has_avx512f()) {
    tanh_avx512(x, count);
    return;
  }
#endif
  tanh_aten(x, count);
}

void tanh_in_place_cpu(float* x, int64_t count) { tanh_aten(x, count); }

}  // namespace nmflow

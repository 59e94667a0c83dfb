#include "models/tanh_cpu.h"

#include <ATen/ATen.h>

#include "common/avx512.h"
#include "common/cpu_targets.h"

namespace nmflow {

namespace {

template <typename T>
void tanh_aten(T* x, int64_t count) {
  at::from_blob(x, {count}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value)).tanh_();
}

#ifdef NMFLOW_HAVE_AVX512_KERNELS

// 1/2!, 1/3!, …, 1/13!: expm1(r) = r + r² (1/2! + r/3! + … + r¹¹/13!), Horner from the last.
constexpr double kInverseFactorial[] = {1.0 / 2,       1.0 / 6,        1.0 / 24,        1.0 / 120,
                                        1.0 / 720,     1.0 / 5040,     1.0 / 40320,     1.0 / 362880,
                                        1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};

// tanh of eight doubles (the header gives the method).
NMFLOW_AVX512_INLINE __m512d tanh8(__m512d x) {
  const __m512d magnitude = _mm512_abs_pd(x);
  // y = −2|x|, clamped at −40 (tanh 20 rounds to 1); vmaxpd returns its second operand for a NaN, so NaN passes.
  const __m512d y = _mm512_maskz_max_pd(0xff, _mm512_set1_pd(-40.0), _mm512_mul_pd(_mm512_set1_pd(-2.0), magnitude));
  const __m512d n = _mm512_maskz_roundscale_pd(0xff, _mm512_mul_pd(y, _mm512_set1_pd(1.4426950408889634)),
                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2High), y);  // n · kLn2High exact (common/avx512.h)
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(kLn2Low), r);
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

#define NMFLOW_AVX2_KERNEL __attribute__((target("avx2,fma")))
#define NMFLOW_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

// tanh8's operations on four doubles with AVX2 + FMA (x86-64-v3), so the same bits: the same FMAs and rounding; 2ⁿ
// built in the exponent field (n ∈ [−58, 0] here: n + 1.5·2⁵² puts n in the low mantissa bits) where AVX-512 has
// scalef; sign and magnitude by bit masks.
NMFLOW_AVX2_INLINE __m256d tanh4(__m256d x) {
  const __m256d sign_bit = _mm256_set1_pd(-0.0);
  const __m256d magnitude = _mm256_andnot_pd(sign_bit, x);
  // vmaxpd returns its second operand for a NaN, as in tanh8, so NaN passes the clamp.
  const __m256d y = _mm256_max_pd(_mm256_set1_pd(-40.0), _mm256_mul_pd(_mm256_set1_pd(-2.0), magnitude));
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(y, _mm256_set1_pd(1.4426950408889634)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(kLn2High), y);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(kLn2Low), r);
  __m256d q = _mm256_set1_pd(kInverseFactorial[11]);
  for (int k = 10; k >= 0; --k) q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(kInverseFactorial[k]));
  const __m256d expm1_r = _mm256_fmadd_pd(_mm256_mul_pd(r, r), q, r);
  const __m256i low_bits = _mm256_castpd_si256(_mm256_add_pd(n, _mm256_set1_pd(6755399441055744.0)));
  const __m256d scale =
      _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(low_bits, _mm256_set1_epi64x(1023)), 52));  // 2ⁿ
  const __m256d u = _mm256_fmadd_pd(scale, expm1_r, _mm256_sub_pd(scale, _mm256_set1_pd(1.0)));
  const __m256d t = _mm256_div_pd(u, _mm256_add_pd(u, _mm256_set1_pd(2.0)));  // −tanh|x|
  return _mm256_or_pd(_mm256_andnot_pd(sign_bit, t), _mm256_and_pd(sign_bit, x));
}

NMFLOW_AVX2_KERNEL void tanh_avx2(double* x, int64_t count) {
  int64_t i = 0;
  for (; i + 4 <= count; i += 4) _mm256_storeu_pd(x + i, tanh4(_mm256_loadu_pd(x + i)));
  if (i < count) {
    const __m256i tail = _mm256_cmpgt_epi64(_mm256_set1_epi64x(count - i), _mm256_setr_epi64x(0, 1, 2, 3));
    _mm256_maskstore_pd(x + i, tail, tanh4(_mm256_maskload_pd(x + i, tail)));
  }
}

#endif  // NMFLOW_HAVE_AVX512_KERNELS

}  // namespace

bool tanh_cpu_has_kernel() {
#ifdef NMFLOW_HAVE_AVX512_KERNELS
  return cpu_x86_64_level() >= 3;
#else
  return false;
#endif
}

void tanh_in_place_cpu(double* x, int64_t count) {
#ifdef NMFLOW_HAVE_AVX512_KERNELS
  if (cpu_has_avx512f()) {
    tanh_avx512(x, count);
    return;
  }
  if (cpu_x86_64_level() >= 3) {
    tanh_avx2(x, count);
    return;
  }
#endif
  tanh_aten(x, count);
}

void tanh_in_place_cpu(float* x, int64_t count) { tanh_aten(x, count); }

}  // namespace nmflow

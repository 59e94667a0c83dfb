#pragma once
// Hand-written AVX-512 kernels (tile GEMM, tanh, Box–Muller): the library is built for baseline x86-64, so each
// kernel function carries the target attribute itself and the caller checks the CPU at run time
// (cpu_has_avx512f), falling back to ATen elsewhere. Helpers are NMFLOW_AVX512_INLINE so that they inline into the
// kernel (a lambda does not inherit a target attribute; write a helper instead). Intrinsics whose plain form takes
// an internal undefined source register (getmant, getexp, roundscale, scalef, sqrt, max) are used in their
// full-mask maskz form: the plain ones trip GCC 12's -Wmaybe-uninitialized.
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#include "common/cpu_targets.h"
#define NMFLOW_HAVE_AVX512_KERNELS 1
#define NMFLOW_AVX512_KERNEL __attribute__((target("avx512f")))
#define NMFLOW_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) inline

namespace nmflow {

// ln 2 = kLn2High + kLn2Low to 1e−26, for Cody–Waite reduction (Muller, "Elementary Functions", 3rd ed., §11.2):
// kLn2High's last 21 mantissa bits are zero, so k · kLn2High is exact for |k| < 2²¹.
constexpr double kLn2High = 6.93147180369123816490e-01;
constexpr double kLn2Low = 1.90821492927058770002e-10;

// The AVX-512 kernels may run: level 4 (which includes AVX-512F), not capped off by NMFLOW_CPU_LEVEL (cpu_targets.h).
inline bool cpu_has_avx512f() { return cpu_x86_64_level() >= 4; }

}  // namespace nmflow
#endif

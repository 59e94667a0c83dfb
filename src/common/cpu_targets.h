#pragma once
// Whole-region copies of a kernel per x86-64 level, for kernels written with GCC vector types (`vector_size`), where
// target_clones (cpu_clones.h) is not enough: GCC 12 lowers a vector comparison (a == b, a > b) to one scalar compare
// per lane (vucomisd, setnp, cmov, vpinsrq) in every function compiled for baseline x86-64 — and a clone, or an
// always-inline helper, has its body lowered before it receives the clone's target. Only code compiled under the target
// from the start gets one vcmppd into a mask register. So: write the kernel in a body file without include guard,
// include it once per level inside its own namespace between NMFLOW_BEGIN_TARGET_X86_64_V4 (or _V3) and
// NMFLOW_END_TARGET, and pick the copy once with pick_for_cpu_level(). Give each copy vectors of its level's register
// width (a macro set before the include: in C++ the pragma does not define __AVX512F__ and friends) — a vector wider
// than the registers is lowered through memory and compared lane by lane.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NMFLOW_BEGIN_TARGET_X86_64_V4 _Pragma("GCC push_options") _Pragma("GCC target(\"arch=x86-64-v4\")")
#define NMFLOW_BEGIN_TARGET_X86_64_V3 _Pragma("GCC push_options") _Pragma("GCC target(\"arch=x86-64-v3\")")
#define NMFLOW_END_TARGET _Pragma("GCC pop_options")
#else
#define NMFLOW_BEGIN_TARGET_X86_64_V4
#define NMFLOW_BEGIN_TARGET_X86_64_V3
#define NMFLOW_END_TARGET
#endif

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/error.h"

namespace nmflow {

// 4 on x86-64-v4 (AVX-512 F/BW/CD/DQ/VL), 3 on x86-64-v3 (AVX2, FMA, BMI2), else 1 (baseline; also every
// non-x86 build). Under compilers other than GCC the level copies are all compiled alike (no target pragmas), but
// the level still gates the AVX-512 / AVX2 intrinsic kernels (avx512.h, tile_gemm_avx2.cpp, tanh_cpu.cpp). The
// environment variable NMFLOW_CPU_LEVEL (1, 3 or 4) caps it, read once: so the fallback copies run, and are tested
// (tests/CMakeLists.txt), on a CPU that has more. Throws nmflow::Error naming the variable for any other value.
// (target_clones functions are resolved by the loader from the CPU itself; the cap does not reach them.)
inline int cpu_x86_64_level() {
  static const int level = [] {
#if defined(__GNUC__) && defined(__x86_64__)
    // By features (what GCC's "x86-64-v4" / "x86-64-v3" names test), which clang's builtin knows too.
    // (MOVBE, also in v3, is not a feature name clang 14 accepts; no kernel here needs it.)
    const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                    __builtin_cpu_supports("avx512vl");
    const int detected = v4 ? 4 : v3 ? 3 : 1;
#else
    const int detected = 1;
#endif
    const char* cap = std::getenv("NMFLOW_CPU_LEVEL");
    if (cap == nullptr || *cap == '\0') return detected;
    const std::string value(cap);
    if (value != "1" && value != "3" && value != "4") {
      throw Error("environment variable NMFLOW_CPU_LEVEL must be 1, 3 or 4 (an x86-64 level, a cap on the CPU "
                  "kernels), got '" + value + "'");
    }
    return std::min(detected, std::stoi(value));
  }();
  return level;
}

// The copy of a kernel for this CPU's level: level4 at 4, level3 at 3, baseline below.
template <typename Function>
Function pick_for_cpu_level(Function level4, Function level3, Function baseline) {
  const int level = cpu_x86_64_level();
  return level >= 4 ? level4 : level == 3 ? level3 : baseline;
}

// "x86-64-v4 (AVX-512)" etc., for nmflow info and benchmark reports.
inline const char* cpu_x86_64_level_name(int level) {
  return level >= 4 ? "x86-64-v4 (AVX-512)" : level == 3 ? "x86-64-v3 (AVX2, FMA)" : "x86-64 baseline (SSE2)";
}

}  // namespace nmflow

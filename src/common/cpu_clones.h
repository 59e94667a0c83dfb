#pragma once
// One copy of a hot CPU loop per x86-64 level, picked at load time (GCC ifunc): the library is built for baseline
// x86-64 (SSE2, no FMA), which would run vectorised loops at a quarter of the rate of AVX2+FMA. Mark the outer
// function NMFLOW_CPU_CLONES and the helpers it calls NMFLOW_INLINE_INTO_CLONES, so that each clone's instruction
// set reaches them.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NMFLOW_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define NMFLOW_INLINE_INTO_CLONES __attribute__((always_inline)) inline
#else
#define NMFLOW_CPU_CLONES
#define NMFLOW_INLINE_INTO_CLONES inline
#endif

// On a clone whose helpers are header templates too large for the inliner's budget: inline every call, so the
// clone's instruction set reaches them (a helper left out of line is compiled for baseline x86-64 only).
#if defined(__GNUC__) && !defined(__clang__)
#define NMFLOW_FLATTEN __attribute__((flatten))
#else
#define NMFLOW_FLATTEN
#endif

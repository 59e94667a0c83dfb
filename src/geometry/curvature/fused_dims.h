#pragma once
// The metric dimensions the fused curvature kernels are compiled for, and the one switch from a runtime n to the
// compile-time N their templates take — shared by the CPU per-point and lane paths and the CUDA launches.
#include <cstdint>
#include <type_traits>

namespace nmflow {

constexpr int kFusedMinDim = 2;
constexpr int kFusedMaxDim = 6;

// Calls f(std::integral_constant<int, N>{}) with N = n and returns true; returns false, calling nothing, for n
// outside kFusedMinDim..kFusedMaxDim (callers check n first and name the supported range in their error).
template <typename F>
bool dispatch_fused_dim(int64_t n, F&& f) {
  switch (n) {
    case 2: f(std::integral_constant<int, 2>{}); return true;
    case 3: f(std::integral_constant<int, 3>{}); return true;
    case 4: f(std::integral_constant<int, 4>{}); return true;
    case 5: f(std::integral_constant<int, 5>{}); return true;
    case 6: f(std::integral_constant<int, 6>{}); return true;
    default: return false;
  }
}

}  // namespace nmflow

#pragma once
// tanh over a contiguous array, in place, for the fused trunk's σ (activation_sigma_cpu.cpp). ATen's tanh_ goes to
// MKL VML's high-accuracy tanh at ≈ 11 cycles per double on this machine (13 % of a 3-dimensional metric 2-jet);
// in float64 on a CPU with AVX-512 this one evaluates eight values in a few cycles (four with AVX2 + FMA, the same
// operations, so the same bits), to within a few ulp of std::tanh (tested: ≤ 4 ulp over 24 decades of |x|, signed
// zeros, ±∞ and NaN). Other dtypes and CPUs call ATen.
//
// tanh|x| = −u / (u + 2) with u = expm1(−2|x|): no cancellation for any x (u ∈ (−1, 0], u + 2 ∈ (1, 2]), and
// expm1(y) = 2ⁿ expm1(r) + (2ⁿ − 1) with y = n ln 2 + r, |r| ≤ ln 2 / 2 (Cody–Waite reduction with a two-part ln 2;
// Muller, "Elementary Functions", 3rd ed., §11.2), expm1(r) by its Taylor series to r¹³/13! (truncation
// < 2·10⁻¹⁷ relative on that interval).
#include <cstdint>

namespace nmflow {

void tanh_in_place_cpu(double* x, int64_t count);

// Whether the float64 version runs nmflow's kernel on this CPU (else ATen's tanh_).
bool tanh_cpu_has_kernel();
void tanh_in_place_cpu(float* x, int64_t count);

}  // namespace nmflow

#pragma once
// σ(z) and its derivatives at the value row of a jet tile, for the fused trunk (jet_trunk.cpp): z = t[b, 0, w] +
// bias[w]. Each transcendental is one in-place call over the tile (tanh_cpu.h for tanh, ATen — MKL VML — for the
// others), everything else — the bias, the arguments, the derivative polynomials of activation_derivatives
// (activation.cpp) — one plain loop.
// The ATen expression of the same quantities is a dozen or more dispatched ops per tile and layer for gelu, which
// makes small (L2-resident) tiles slower than large ones.
#include <cstdint>

#include "models/activation.h"

namespace nmflow {

// t: np points × rows × width (row 0 the pre-activation value without bias); bias: [width] or nullptr. Writes
// s_k[b·width + w] = σ^(k)(z) for k = 0, 1, 2, and k = 3 when s3 is not null. The activation must have a second
// derivative (not relu).
template <typename T>
void activation_sigma_cpu(Activation activation, const T* t, int64_t rows, int64_t width, const T* bias, int64_t np,
                          T* s0, T* s1, T* s2, T* s3);

}  // namespace nmflow

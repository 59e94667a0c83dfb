#pragma once
// Launcher of the per-point chart kernel of make_cy_point_set (one thread per point). Plain C++ types only: complex
// arrays are interleaved (re, im) doubles, the layout of at::kComplexDouble; `stream` is a cudaStream_t passed as
// void*. The per-point math is src/geometry/kahler/cy_point_math.h, which the CPU path compiles too.
#include <cstdint>

namespace nmflow::cuda {

// exponents: [n_monomials, n] int64; coefficients: [n_monomials] complex; z: [batch, n] complex, rescaled in place;
// patch, eliminated: [batch] int64; local_indices: [batch, n − 2] int64; pullback: [batch, n − 2, n] complex;
// g: [batch, n − 2, n − 2] complex; det, omega_sq, weight: [batch]. All pointers are device pointers.
void launch_cy_point_chart(const int64_t* exponents, const double* coefficients, int n_monomials, int n, double t,
                           int64_t batch, double* z, int64_t* patch, int64_t* eliminated, int64_t* local_indices,
                           double* pullback, double* g, double* det, double* omega_sq, double* weight, void* stream);

}  // namespace nmflow::cuda

#pragma once
// Launchers of the batched polynomial root finder (one thread per polynomial / line). Plain C++ types only:
// complex arrays are interleaved (re, im) doubles, the layout of at::kComplexDouble; `stream` is a cudaStream_t
// passed as void* so this header needs no CUDA headers. The per-line math is
// src/geometry/kahler/polynomial_roots_math.h, which the CPU path compiles too.
#include <cstdint>

namespace nmflow::cuda {

// coeffs: [lines, degree + 1] complex (lowest power first); roots: [lines, degree] complex;
// converged: [lines] (1 when Aberth converged). All pointers are device pointers.
void launch_polynomial_roots(const double* coeffs, int64_t lines, int degree, int max_iterations, double* roots,
                             int32_t* converged, void* stream);

// For each line L: roots t of p(a_L + t b_L), p(z) = Σ_k c_k z^{e_k}.
// a, b: [lines, n_coords] complex; exponents: [n_monomials, n_coords] int64; coefficients: [n_monomials]
// complex; t: [lines, degree] complex; residual: [lines, degree] |p(a + t b)|/‖a + t b‖^d; converged: [lines].
void launch_line_intersection_roots(const double* a, const double* b, int64_t lines, int n_coords,
                                    const int64_t* exponents, const double* coefficients, int n_monomials,
                                    int degree, int max_iterations, double* t, double* residual, int32_t* converged,
                                    void* stream);

}  // namespace nmflow::cuda

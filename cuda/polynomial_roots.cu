// CUDA kernels of the line-intersection sampler's root finder: one thread per line, running the same
// NMFLOW_HOST_DEVICE math as the CPU path (src/geometry/kahler/polynomial_roots_math.h).
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "geometry/kahler/polynomial_roots_math.h"
#include "polynomial_roots_launch.h"

namespace nmflow::cuda {

namespace {

using kahler_math::Complex;

constexpr int kThreadsPerBlock = 128;

__global__ void polynomial_roots_kernel(const Complex* coeffs, int64_t lines, int degree, int max_iterations,
                                        Complex* roots, int32_t* converged) {
  const int64_t line = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (line >= lines) {
    return;
  }
  converged[line] =
      kahler_math::aberth_roots(coeffs + line * (degree + 1), degree, max_iterations, roots + line * degree);
}

__global__ void line_intersection_roots_kernel(const Complex* a, const Complex* b, int64_t lines, int n_coords,
                                               const int64_t* exponents, const Complex* coefficients,
                                               int n_monomials, int degree, int max_iterations, Complex* t,
                                               double* residual, int32_t* converged) {
  const int64_t line = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (line >= lines) {
    return;
  }
  converged[line] = kahler_math::line_intersection_roots(a + line * n_coords, b + line * n_coords, n_coords,
                                                         exponents, coefficients, n_monomials, degree,
                                                         max_iterations, t + line * degree,
                                                         residual + line * degree);
}

unsigned int block_count(int64_t lines) {
  return static_cast<unsigned int>((lines + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

}  // namespace

void launch_polynomial_roots(const double* coeffs, int64_t lines, int degree, int max_iterations, double* roots,
                             int32_t* converged, void* stream) {
  if (lines == 0) {
    return;
  }
  polynomial_roots_kernel<<<block_count(lines), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const Complex*>(coeffs), lines, degree, max_iterations, reinterpret_cast<Complex*>(roots),
      converged);
  NMFLOW_CUDA_LAUNCH_CHECK();
}

void launch_line_intersection_roots(const double* a, const double* b, int64_t lines, int n_coords,
                                    const int64_t* exponents, const double* coefficients, int n_monomials,
                                    int degree, int max_iterations, double* t, double* residual, int32_t* converged,
                                    void* stream) {
  if (lines == 0) {
    return;
  }
  line_intersection_roots_kernel<<<block_count(lines), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const Complex*>(a), reinterpret_cast<const Complex*>(b), lines, n_coords, exponents,
      reinterpret_cast<const Complex*>(coefficients), n_monomials, degree, max_iterations,
      reinterpret_cast<Complex*>(t), residual, converged);
  NMFLOW_CUDA_LAUNCH_CHECK();
}

}  // namespace nmflow::cuda

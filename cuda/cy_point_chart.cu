// CUDA kernel of make_cy_point_set's per-point chart (patch, ∂p, pullback, P G_FS P†, det, |Ω|², weight): one thread
// per point, running the same NMFLOW_HOST_DEVICE math as the CPU path (src/geometry/kahler/cy_point_math.h).
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "cy_point_chart_launch.h"
#include "geometry/kahler/cy_point_math.h"

namespace nmflow::cuda {

namespace {

using kahler_math::Complex;

constexpr int kThreadsPerBlock = 128;

__global__ void cy_point_chart_kernel(const int64_t* exponents, const Complex* coefficients, int n_monomials, int n,
                                      double t, int64_t batch, Complex* z, int64_t* patch, int64_t* eliminated,
                                      int64_t* local_indices, Complex* pullback, Complex* g, double* det,
                                      double* omega_sq, double* weight) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= batch) {
    return;
  }
  const int64_t m = n - 2;
  kahler_math::cy_point_chart(exponents, coefficients, n_monomials, n, t,
                              {z + b * n, patch + b, eliminated + b, local_indices + b * m, pullback + b * m * n,
                               g + b * m * m, det + b, omega_sq + b, weight + b});
}

}  // namespace

void launch_cy_point_chart(const int64_t* exponents, const double* coefficients, int n_monomials, int n, double t,
                           int64_t batch, double* z, int64_t* patch, int64_t* eliminated, int64_t* local_indices,
                           double* pullback, double* g, double* det, double* omega_sq, double* weight, void* stream) {
  if (batch == 0) {
    return;
  }
  const auto blocks = static_cast<unsigned int>((batch + kThreadsPerBlock - 1) / kThreadsPerBlock);
  cy_point_chart_kernel<<<blocks, kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      exponents, reinterpret_cast<const Complex*>(coefficients), n_monomials, n, t, batch,
      reinterpret_cast<Complex*>(z), patch, eliminated, local_indices, reinterpret_cast<Complex*>(pullback),
      reinterpret_cast<Complex*>(g), det, omega_sq, weight);
  NMFLOW_CUDA_LAUNCH_CHECK();
}

}  // namespace nmflow::cuda

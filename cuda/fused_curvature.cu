// Fused curvature kernels: one thread per point, the per-point math shared with the CPU path
// (src/geometry/curvature/curvature_math.h).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_check.h"
#include "fused_curvature_launch.h"
#include "geometry/curvature/curvature_math.h"
#include "geometry/curvature/fused_dims.h"

namespace nmflow::cuda {

namespace {

constexpr int kThreadsPerBlock = 128;

template <typename T, int N>
__global__ void fused_curvature_forward_kernel(const T* __restrict__ g, const T* __restrict__ dg,
                                               const T* __restrict__ d2g, int64_t batch, T* __restrict__ ricci,
                                               T* __restrict__ scalar, T* __restrict__ norm_squared) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= batch) {
    return;
  }
  constexpr int64_t n2 = N * N;
  curvature_math::curvature_point<T, N>(g + p * n2, dg + p * n2 * N, d2g + p * n2 * n2, ricci + p * n2,
                                        scalar + p, norm_squared + p);
}

template <typename T, int N>
__global__ void fused_curvature_backward_kernel(const T* __restrict__ g, const T* __restrict__ dg,
                                                const T* __restrict__ d2g, const T* __restrict__ ricci,
                                                const T* __restrict__ v_ricci, const T* __restrict__ v_scalar,
                                                const T* __restrict__ v_norm, int64_t batch, T* __restrict__ v_g,
                                                T* __restrict__ v_dg, T* __restrict__ v_d2g) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= batch) {
    return;
  }
  constexpr int64_t n2 = N * N;
  curvature_math::curvature_point_vjp<T, N>(g + p * n2, dg + p * n2 * N, d2g + p * n2 * n2, ricci + p * n2,
                                            v_ricci + p * n2, v_scalar[p], v_norm[p], v_g + p * n2,
                                            v_dg + p * n2 * N, v_d2g + p * n2 * n2);
}

unsigned int blocks_for(int64_t batch) {
  return static_cast<unsigned int>((batch + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

// Calls launch.template operator()<N>() for the runtime n; the adapter has already rejected n outside the fused range.
template <typename Launch>
void dispatch_dim(int n, const Launch& launch) {
  const bool dispatched =
      nmflow::dispatch_fused_dim(n, [&](auto dim) { launch.template operator()<decltype(dim)::value>(); });
  if (!dispatched) throw std::invalid_argument("fused curvature kernel: n must be in 2..6, got " + std::to_string(n));
}

template <typename T>
struct ForwardLaunch {
  const T* g;
  const T* dg;
  const T* d2g;
  int64_t batch;
  T* ricci;
  T* scalar;
  T* norm_squared;
  cudaStream_t stream;
  template <int N>
  void operator()() const {
    fused_curvature_forward_kernel<T, N>
        <<<blocks_for(batch), kThreadsPerBlock, 0, stream>>>(g, dg, d2g, batch, ricci, scalar, norm_squared);
    NMFLOW_CUDA_LAUNCH_CHECK();
  }
};

template <typename T>
struct BackwardLaunch {
  const T* g;
  const T* dg;
  const T* d2g;
  const T* ricci;
  const T* v_ricci;
  const T* v_scalar;
  const T* v_norm;
  int64_t batch;
  T* v_g;
  T* v_dg;
  T* v_d2g;
  cudaStream_t stream;
  template <int N>
  void operator()() const {
    fused_curvature_backward_kernel<T, N><<<blocks_for(batch), kThreadsPerBlock, 0, stream>>>(
        g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, batch, v_g, v_dg, v_d2g);
    NMFLOW_CUDA_LAUNCH_CHECK();
  }
};

template <typename T>
void forward(const T* g, const T* dg, const T* d2g, int64_t batch, int n, T* ricci, T* scalar, T* norm_squared,
             void* stream) {
  if (batch == 0) {
    return;
  }
  dispatch_dim(n, ForwardLaunch<T>{g, dg, d2g, batch, ricci, scalar, norm_squared,
                                   static_cast<cudaStream_t>(stream)});
}

template <typename T>
void backward(const T* g, const T* dg, const T* d2g, const T* ricci, const T* v_ricci, const T* v_scalar,
              const T* v_norm, int64_t batch, int n, T* v_g, T* v_dg, T* v_d2g, void* stream) {
  if (batch == 0) {
    return;
  }
  dispatch_dim(n, BackwardLaunch<T>{g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, batch, v_g, v_dg, v_d2g,
                                    static_cast<cudaStream_t>(stream)});
}

}  // namespace

void launch_fused_curvature_forward(const double* g, const double* dg, const double* d2g, int64_t batch, int n,
                                    double* ricci, double* scalar, double* ricci_norm_squared, void* stream) {
  forward(g, dg, d2g, batch, n, ricci, scalar, ricci_norm_squared, stream);
}

void launch_fused_curvature_forward(const float* g, const float* dg, const float* d2g, int64_t batch, int n,
                                    float* ricci, float* scalar, float* ricci_norm_squared, void* stream) {
  forward(g, dg, d2g, batch, n, ricci, scalar, ricci_norm_squared, stream);
}

void launch_fused_curvature_backward(const double* g, const double* dg, const double* d2g, const double* ricci,
                                     const double* v_ricci, const double* v_scalar, const double* v_norm,
                                     int64_t batch, int n, double* v_g, double* v_dg, double* v_d2g, void* stream) {
  backward(g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, batch, n, v_g, v_dg, v_d2g, stream);
}

void launch_fused_curvature_backward(const float* g, const float* dg, const float* d2g, const float* ricci,
                                     const float* v_ricci, const float* v_scalar, const float* v_norm,
                                     int64_t batch, int n, float* v_g, float* v_dg, float* v_d2g, void* stream) {
  backward(g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, batch, n, v_g, v_dg, v_d2g, stream);
}

}  // namespace nmflow::cuda

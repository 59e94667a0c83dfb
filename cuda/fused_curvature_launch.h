#pragma once
// Launchers for the fused curvature kernels (cuda/fused_curvature.cu). Plain C++ types only, so the C++ adapter
// (src/geometry/curvature/fused_curvature.cpp) includes this without CUDA headers. All pointers are device pointers
// to contiguous row-major arrays; `stream` is the cudaStream_t to launch on (the caller's current stream).
// n must be in 2..6 (the adapter checks); batch = 0 launches nothing.
#include <cstdint>

namespace nmflow::cuda {

// g: [B, n, n]; dg: [B, n, n, n]; d2g: [B, n, n, n, n] (the MetricJet layout).
// ricci: [B, n, n]; scalar: [B]; ricci_norm_squared: [B] — all written.
void launch_fused_curvature_forward(const double* g, const double* dg, const double* d2g, int64_t batch, int n,
                                    double* ricci, double* scalar, double* ricci_norm_squared, void* stream);
void launch_fused_curvature_forward(const float* g, const float* dg, const float* d2g, int64_t batch, int n,
                                    float* ricci, float* scalar, float* ricci_norm_squared, void* stream);

// Reverse mode. ricci: [B, n, n] from the forward; v_ricci: [B, n, n]; v_scalar, v_norm: [B] (cotangent of
// |Ric|²). v_g: [B, n, n]; v_dg: [B, n, n, n]; v_d2g: [B, n, n, n, n] — all written (symmetric-parametrisation
// gradients, curvature_math.h).
void launch_fused_curvature_backward(const double* g, const double* dg, const double* d2g, const double* ricci,
                                     const double* v_ricci, const double* v_scalar, const double* v_norm,
                                     int64_t batch, int n, double* v_g, double* v_dg, double* v_d2g, void* stream);
void launch_fused_curvature_backward(const float* g, const float* dg, const float* d2g, const float* ricci,
                                     const float* v_ricci, const float* v_scalar, const float* v_norm,
                                     int64_t batch, int n, float* v_g, float* v_dg, float* v_d2g, void* stream);

}  // namespace nmflow::cuda

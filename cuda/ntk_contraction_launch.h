#pragma once
// Launcher of the fused metric-NTK contraction (cuda/ntk_contraction.cu). Plain C++ types only, so the C++ adapter
// (src/ntk/fused_ntk.cpp) includes it without CUDA headers. All pointers are device pointers to contiguous
// row-major arrays; `stream` is the cudaStream_t to launch on (the caller's current stream).
#include <cstdint>

namespace nmflow::cuda {

// At most this many dense layers per trunk (the per-layer views travel as one kernel argument).
constexpr int kNtkMaxLayers = 32;

// One dense layer's factors (structured_ntk.h) on both point sets.
template <typename T>
struct NtkLayerView {
  const T* inputs;   // [B, in_width]   h_{l−1}(x_b)
  const T* inputs2;  // [B', in_width]  h_{l−1}(x'_b')
  const T* deltas;   // [B·p, width]    δ_l^P(x_b) at row b·p + P
  const T* deltas2;  // [B'·p, width]
  int64_t in_width;
  int64_t width;
  T weight_scale2;  // s_w²
  T bias_scale2;    // s_b²
};

// layers: host array of layer_count ≤ kNtkMaxLayers views. theta: [B·p, B'·p], every entry written.
// points = B, points2 = B', components = p ≥ 1; B = 0 or B' = 0 launches nothing.
void launch_ntk_contraction(const NtkLayerView<double>* layers, int layer_count, int64_t points, int64_t points2,
                            int64_t components, double* theta, void* stream);
void launch_ntk_contraction(const NtkLayerView<float>* layers, int layer_count, int64_t points, int64_t points2,
                            int64_t components, float* theta, void* stream);

}  // namespace nmflow::cuda

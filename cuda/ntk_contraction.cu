// Fused metric-NTK contraction (src/ntk/fused_ntk.h): one thread block per 64×64 tile of Θ, 16×16 threads with a
// 4×4 register block each. Per layer l the block computes the input kernel K_l for the tile's points into shared
// memory, streams δ_l(x) and δ_l(x') through shared memory in slices of 16 along the layer width, runs the shared
// micro-kernel (ntk/ntk_contraction_math.h) and adds K_l · D_l to the registers; Θ is written once at the end.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cuda_check.h"
#include "ntk/ntk_contraction_math.h"
#include "ntk_contraction_launch.h"

namespace nmflow::cuda {

namespace {

constexpr int kTile = 64;                         // Θ entries per tile side
constexpr int kMicro = 4;                         // entries per thread per side
constexpr int kThreadsPerSide = kTile / kMicro;  // 16
constexpr int kThreads = kThreadsPerSide * kThreadsPerSide;
constexpr int kDepth = 16;                        // slice of the layer width staged in shared memory

template <typename T>
struct LayerTable {
  NtkLayerView<T> layer[kNtkMaxLayers];
  int count;
};

// Points a tile side can touch: 64 consecutive rows span at most ⌈63/p⌉ + 1 points.
__host__ __device__ inline int64_t tile_points(int64_t p) { return (kTile - 1) / p + 2; }

template <typename T>
__global__ void __launch_bounds__(kThreads)
    ntk_contraction_kernel(const LayerTable<T> table, int64_t points, int64_t points2, int64_t p,
                           T* __restrict__ theta) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  T* a_tile = reinterpret_cast<T*>(shared_bytes);  // [kDepth][kTile]  δ_l(x) slice, k-major
  T* b_tile = a_tile + kDepth * kTile;             // [kDepth][kTile]  δ_l(x') slice
  T* k_tile = b_tile + kDepth * kTile;             // [row points][col points]  K_l

  const int64_t rows = points * p;
  const int64_t cols = points2 * p;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t pr0 = r0 / p;
  const int64_t pc0 = c0 / p;
  const int64_t row_points = min(points, (min(r0 + kTile, rows) - 1) / p + 1) - pr0;
  const int64_t col_points = min(points2, (min(c0 + kTile, cols) - 1) / p + 1) - pc0;
  const int tid = threadIdx.y * kThreadsPerSide + threadIdx.x;
  const int row_offset = threadIdx.y * kMicro;
  const int col_offset = threadIdx.x * kMicro;

  // K_l row/column of each of this thread's entries (clamped for entries past the edge, never written).
  int64_t row_point[kMicro];
  int64_t col_point[kMicro];
#pragma unroll
  for (int k = 0; k < kMicro; ++k) {
    row_point[k] = min((r0 + row_offset + k) / p - pr0, row_points - 1);
    col_point[k] = min((c0 + col_offset + k) / p - pc0, col_points - 1);
  }

  T block[kMicro * kMicro];
#pragma unroll
  for (int k = 0; k < kMicro * kMicro; ++k) block[k] = T(0);

  for (int l = 0; l < table.count; ++l) {
    const NtkLayerView<T> layer = table.layer[l];
    for (int64_t idx = tid; idx < row_points * col_points; idx += kThreads) {
      const int64_t a = idx / col_points;
      const int64_t b = idx % col_points;
      k_tile[idx] = ntk_math::input_kernel<T>(layer.inputs + (pr0 + a) * layer.in_width,
                                              layer.inputs2 + (pc0 + b) * layer.in_width, layer.in_width,
                                              layer.weight_scale2, layer.bias_scale2);
    }
    T acc[kMicro * kMicro];
#pragma unroll
    for (int k = 0; k < kMicro * kMicro; ++k) acc[k] = T(0);
    for (int64_t k0 = 0; k0 < layer.width; k0 += kDepth) {
      // Consecutive threads read consecutive width entries of one row (kDepth contiguous values per row).
      for (int idx = tid; idx < kDepth * kTile; idx += kThreads) {
        const int r = idx / kDepth;
        const int i = idx % kDepth;
        const bool in_width = k0 + i < layer.width;
        a_tile[i * kTile + r] =
            (r0 + r < rows && in_width) ? layer.deltas[(r0 + r) * layer.width + k0 + i] : T(0);
        b_tile[i * kTile + r] =
            (c0 + r < cols && in_width) ? layer.deltas2[(c0 + r) * layer.width + k0 + i] : T(0);
      }
      __syncthreads();
      ntk_math::micro_product<T, kMicro, kMicro>(a_tile + row_offset, kTile, b_tile + col_offset, kTile, kDepth,
                                                 acc);
      __syncthreads();
    }
    __syncthreads();  // k_tile complete even for a zero-width layer
#pragma unroll
    for (int rr = 0; rr < kMicro; ++rr) {
#pragma unroll
      for (int cc = 0; cc < kMicro; ++cc) {
        block[rr * kMicro + cc] += k_tile[row_point[rr] * col_points + col_point[cc]] * acc[rr * kMicro + cc];
      }
    }
    __syncthreads();  // every thread has read k_tile before the next layer overwrites it
  }

#pragma unroll
  for (int rr = 0; rr < kMicro; ++rr) {
    const int64_t r = r0 + row_offset + rr;
#pragma unroll
    for (int cc = 0; cc < kMicro; ++cc) {
      const int64_t c = c0 + col_offset + cc;
      if (r < rows && c < cols) {
        theta[r * cols + c] = block[rr * kMicro + cc];
      }
    }
  }
}

template <typename T>
void contract(const NtkLayerView<T>* layers, int layer_count, int64_t points, int64_t points2, int64_t components,
              T* theta, void* stream) {
  if (layer_count < 0 || layer_count > kNtkMaxLayers) {
    throw std::invalid_argument("ntk_contraction: layer_count must be in 0.." + std::to_string(kNtkMaxLayers) +
                                ", got " + std::to_string(layer_count));
  }
  if (components < 1) {
    throw std::invalid_argument("ntk_contraction: components must be ≥ 1, got " + std::to_string(components));
  }
  if (points == 0 || points2 == 0) {
    return;
  }
  const int64_t row_tiles = (points * components + kTile - 1) / kTile;
  const int64_t col_tiles = (points2 * components + kTile - 1) / kTile;
  if (row_tiles > 65535 || col_tiles > 0x7fffffff) {
    throw std::invalid_argument("ntk_contraction: B·p = " + std::to_string(points * components) +
                                " rows exceed the grid limit (65535 tiles of 64)");
  }
  LayerTable<T> table{};
  std::copy(layers, layers + layer_count, table.layer);
  table.count = layer_count;
  const int64_t kpoints = tile_points(components);
  const size_t shared = (2 * kDepth * kTile + kpoints * kpoints) * sizeof(T);
  // Over 48 KiB (only for p = 1 in float64) dynamic shared memory must be opted into.
  NMFLOW_CUDA_CHECK(cudaFuncSetAttribute(ntk_contraction_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(shared)));
  const dim3 grid(static_cast<unsigned int>(col_tiles), static_cast<unsigned int>(row_tiles));
  const dim3 threads(kThreadsPerSide, kThreadsPerSide);
  ntk_contraction_kernel<T><<<grid, threads, shared, static_cast<cudaStream_t>(stream)>>>(table, points, points2,
                                                                                           components, theta);
  NMFLOW_CUDA_LAUNCH_CHECK();
}

}  // namespace

void launch_ntk_contraction(const NtkLayerView<double>* layers, int layer_count, int64_t points, int64_t points2,
                            int64_t components, double* theta, void* stream) {
  contract(layers, layer_count, points, points2, components, theta, stream);
}

void launch_ntk_contraction(const NtkLayerView<float>* layers, int layer_count, int64_t points, int64_t points2,
                            int64_t components, float* theta, void* stream) {
  contract(layers, layer_count, points, points2, components, theta, stream);
}

}  // namespace nmflow::cuda

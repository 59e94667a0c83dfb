#include "ntk/fused_ntk.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "common/cpu_clones.h"
#include "common/error.h"
#include "models/symmetric_packing.h"
#include "ntk/ntk_contraction_math.h"
#include "ntk/structured_ntk.h"

#ifdef NMFLOW_WITH_CUDA
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "ntk_contraction_launch.h"
#endif

namespace nmflow {

namespace {

// Register block of the CPU micro-kernel (rows × columns of Θ): 4 × 8 doubles = 8 AVX2 or 4 AVX-512 registers of
// accumulators. A tile is kTilePanelsR × kTilePanelsC blocks = 96 × 96 entries: its δ panels (2 · 96 · width
// values per layer) stay in L2 across all layers.
constexpr int kMR = 4;
constexpr int kNR = 8;
constexpr int64_t kTilePanelsR = 24;
constexpr int64_t kTilePanelsC = 12;

// Everything the tile loop reads, as raw pointers (one set per layer).
template <typename T>
struct TileProblem {
  std::vector<const T*> panels;   // per layer: [row panels, width, kMR]   δ_l(x), zero-padded rows
  std::vector<const T*> panels2;  // per layer: [col panels, width, kNR]   δ_l(x'), zero-padded rows
  std::vector<const T*> inputs;   // per layer: [B, in_width]
  std::vector<const T*> inputs2;  // per layer: [B', in_width]
  std::vector<int64_t> in_width;
  std::vector<int64_t> width;
  std::vector<T> weight_scale2;
  std::vector<T> bias_scale2;
  int64_t points = 0;   // B
  int64_t points2 = 0;  // B'
  int64_t p = 0;
  T* theta = nullptr;  // [B·p, B'·p]
};

// δ: [B, p, width] → [⌈B·p/rows⌉, width, rows]: panel m holds rows m·rows … m·rows + rows − 1 "k-major", so the
// micro-kernel streams both operands with unit stride; rows past B·p are zero.
at::Tensor pack_panels(const at::Tensor& delta, int64_t rows) {
  const int64_t total = delta.size(0) * delta.size(1);
  const int64_t width = delta.size(2);
  const int64_t count = (total + rows - 1) / rows;
  at::Tensor padded = at::zeros({count * rows, width}, delta.options());
  padded.narrow(0, 0, total).copy_(delta.reshape({total, width}));
  return padded.view({count, rows, width}).transpose(1, 2).contiguous();
}

// Θ over the tile (row panels [tile_r·kTilePanelsR, …), column panels [tile_c·kTilePanelsC, …)). When `mirror`,
// also writes the transposed tile (symmetric Θ(x, x), off-diagonal tiles).
// Inlined into each clone of contract_tiles_*, so that the clone's instruction set reaches the micro-kernel.
template <typename T>
NMFLOW_INLINE_INTO_CLONES void contract_tile(const TileProblem<T>& problem, int64_t tile_r, int64_t tile_c,
                                             bool mirror) {
  const int64_t p = problem.p;
  const int64_t rows = problem.points * p;
  const int64_t cols = problem.points2 * p;
  const int64_t row_panels = (rows + kMR - 1) / kMR;
  const int64_t col_panels = (cols + kNR - 1) / kNR;
  const int64_t m0 = tile_r * kTilePanelsR;
  const int64_t m1 = std::min(row_panels, m0 + kTilePanelsR);
  const int64_t q0 = tile_c * kTilePanelsC;
  const int64_t q1 = std::min(col_panels, q0 + kTilePanelsC);
  const int64_t r0 = m0 * kMR;
  const int64_t c0 = q0 * kNR;
  const int64_t tile_cols = (q1 - q0) * kNR;
  // Points met by the tile's (padded) rows and columns; padding rows map to the last point (their δ is zero).
  const int64_t pr0 = r0 / p;
  const int64_t pr1 = std::min(problem.points, (m1 * kMR - 1) / p + 1);
  const int64_t pc0 = c0 / p;
  const int64_t pc1 = std::min(problem.points2, (q1 * kNR - 1) / p + 1);
  const size_t layers = problem.width.size();

  // kc[l][a][j] = K_l(pr0 + a, point of column c0 + j): the input kernel spread over the tile's columns, so the
  // micro-kernel scales its accumulators by a unit-stride row.
  const int64_t row_points = pr1 - pr0;
  std::vector<T> point_kernel(static_cast<size_t>(row_points * (pc1 - pc0)));
  std::vector<T> kc(layers * static_cast<size_t>(row_points * tile_cols));
  for (size_t l = 0; l < layers; ++l) {
    for (int64_t a = 0; a < row_points; ++a) {
      for (int64_t b = 0; b < pc1 - pc0; ++b) {
        point_kernel[a * (pc1 - pc0) + b] = ntk_math::input_kernel<T>(
            problem.inputs[l] + (pr0 + a) * problem.in_width[l], problem.inputs2[l] + (pc0 + b) * problem.in_width[l],
            problem.in_width[l], problem.weight_scale2[l], problem.bias_scale2[l]);
      }
      T* row = kc.data() + (l * row_points + a) * tile_cols;
      for (int64_t j = 0; j < tile_cols; ++j) {
        const int64_t b = std::min((c0 + j) / p, pc1 - 1) - pc0;
        row[j] = point_kernel[a * (pc1 - pc0) + b];
      }
    }
  }

  for (int64_t m = m0; m < m1; ++m) {
    int64_t row_point[kMR];
    for (int rr = 0; rr < kMR; ++rr) {
      row_point[rr] = std::min((m * kMR + rr) / p, pr1 - 1) - pr0;
    }
    for (int64_t q = q0; q < q1; ++q) {
      T block[kMR * kNR] = {};
      for (size_t l = 0; l < layers; ++l) {
        const int64_t width = problem.width[l];
        T acc[kMR * kNR] = {};
        ntk_math::micro_product<T, kMR, kNR>(problem.panels[l] + m * width * kMR, kMR,
                                             problem.panels2[l] + q * width * kNR, kNR, width, acc);
        const T* kc_l = kc.data() + l * row_points * tile_cols + (q - q0) * kNR;
        for (int rr = 0; rr < kMR; ++rr) {
          const T* k_row = kc_l + row_point[rr] * tile_cols;
          for (int cc = 0; cc < kNR; ++cc) {
            block[rr * kNR + cc] += k_row[cc] * acc[rr * kNR + cc];
          }
        }
      }
      for (int rr = 0; rr < kMR; ++rr) {
        const int64_t r = m * kMR + rr;
        if (r >= rows) break;
        for (int cc = 0; cc < kNR; ++cc) {
          const int64_t c = q * kNR + cc;
          if (c >= cols) break;
          problem.theta[r * cols + c] = block[rr * kNR + cc];
          if (mirror) {
            problem.theta[c * rows + r] = block[rr * kNR + cc];
          }
        }
      }
    }
  }
}

// The tile loop per dtype: target_clones needs plain (non-template) functions; contract_tile is inlined into each.
NMFLOW_CPU_CLONES void contract_tiles_f64(const TileProblem<double>& problem, const int64_t* tiles, int64_t count,
                                          bool symmetric) {
  for (int64_t t = 0; t < count; ++t) {
    contract_tile(problem, tiles[2 * t], tiles[2 * t + 1], symmetric && tiles[2 * t] != tiles[2 * t + 1]);
  }
}

NMFLOW_CPU_CLONES void contract_tiles_f32(const TileProblem<float>& problem, const int64_t* tiles, int64_t count,
                                          bool symmetric) {
  for (int64_t t = 0; t < count; ++t) {
    contract_tile(problem, tiles[2 * t], tiles[2 * t + 1], symmetric && tiles[2 * t] != tiles[2 * t + 1]);
  }
}

void contract_tiles(const TileProblem<double>& problem, const int64_t* tiles, int64_t count, bool symmetric) {
  contract_tiles_f64(problem, tiles, count, symmetric);
}

void contract_tiles(const TileProblem<float>& problem, const int64_t* tiles, int64_t count, bool symmetric) {
  contract_tiles_f32(problem, tiles, count, symmetric);
}

// factors of x and x2 (structured_layer_factors) → Θ [B·p, B'·p] on the CPU.
template <typename T>
at::Tensor contract_cpu(const NeuralMetric& model, const StructuredLayerFactors& a, const StructuredLayerFactors& b,
                        int64_t points, int64_t points2, int64_t p, bool symmetric, const at::TensorOptions& options) {
  const std::vector<Mlp::Layer>& layers = model.trunk().layers();
  std::vector<at::Tensor> keep;  // owns the packed panels while the raw pointers are used
  TileProblem<T> problem;
  for (size_t l = 0; l < layers.size(); ++l) {
    keep.push_back(pack_panels(a.deltas[l], kMR));
    problem.panels.push_back(keep.back().data_ptr<T>());
    keep.push_back(symmetric ? pack_panels(a.deltas[l], kNR) : pack_panels(b.deltas[l], kNR));
    problem.panels2.push_back(keep.back().data_ptr<T>());
    problem.inputs.push_back(a.inputs[l].data_ptr<T>());
    problem.inputs2.push_back(b.inputs[l].data_ptr<T>());
    problem.in_width.push_back(a.inputs[l].size(1));
    problem.width.push_back(a.deltas[l].size(2));
    problem.weight_scale2.push_back(static_cast<T>(layers[l].weight_scale * layers[l].weight_scale));
    problem.bias_scale2.push_back(static_cast<T>(layers[l].bias_scale * layers[l].bias_scale));
  }
  at::Tensor theta = at::empty({points * p, points2 * p}, options);
  problem.points = points;
  problem.points2 = points2;
  problem.p = p;
  problem.theta = theta.data_ptr<T>();

  const int64_t tiles_r = ((points * p + kMR - 1) / kMR + kTilePanelsR - 1) / kTilePanelsR;
  const int64_t tiles_c = ((points2 * p + kNR - 1) / kNR + kTilePanelsC - 1) / kTilePanelsC;
  // Symmetric Θ(x, x): row and column tiles must cover the same index ranges for the mirror write.
  TORCH_INTERNAL_ASSERT(!symmetric || kTilePanelsR * kMR == kTilePanelsC * kNR);
  std::vector<int64_t> tiles;
  for (int64_t i = 0; i < tiles_r; ++i) {
    for (int64_t j = symmetric ? i : 0; j < tiles_c; ++j) {
      tiles.push_back(i);
      tiles.push_back(j);
    }
  }
  const int64_t count = static_cast<int64_t>(tiles.size() / 2);
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    contract_tiles(problem, tiles.data() + 2 * begin, end - begin, symmetric);
  });
  return theta;
}

#ifdef NMFLOW_WITH_CUDA
template <typename T>
at::Tensor contract_cuda(const NeuralMetric& model, const StructuredLayerFactors& a, const StructuredLayerFactors& b,
                         int64_t points, int64_t points2, int64_t p, const at::TensorOptions& options) {
  const std::vector<Mlp::Layer>& layers = model.trunk().layers();
  NMFLOW_CHECK(static_cast<int64_t>(layers.size()) <= cuda::kNtkMaxLayers, "fused_metric_ntk: the trunk has ",
               layers.size(), " dense layers; the CUDA kernel handles at most ", cuda::kNtkMaxLayers);
  std::vector<cuda::NtkLayerView<T>> views;
  for (size_t l = 0; l < layers.size(); ++l) {
    views.push_back(cuda::NtkLayerView<T>{
        a.inputs[l].data_ptr<T>(), b.inputs[l].data_ptr<T>(), a.deltas[l].data_ptr<T>(), b.deltas[l].data_ptr<T>(),
        a.inputs[l].size(1), a.deltas[l].size(2),
        static_cast<T>(layers[l].weight_scale * layers[l].weight_scale),
        static_cast<T>(layers[l].bias_scale * layers[l].bias_scale)});
  }
  at::Tensor theta = at::empty({points * p, points2 * p}, options);
  const at::Device device = theta.device();
  const c10::DeviceGuard guard(device);
  void* stream = c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(device).native_handle();
  cuda::launch_ntk_contraction(views.data(), static_cast<int>(views.size()), points, points2, p, theta.data_ptr<T>(),
                               stream);
  return theta;
}
#else
// Unreachable: check_fused_inputs rejects CUDA points in a build without the kernels.
template <typename T>
at::Tensor contract_cuda(const NeuralMetric& /*model*/, const StructuredLayerFactors& /*a*/,
                         const StructuredLayerFactors& /*b*/, int64_t /*points*/, int64_t /*points2*/, int64_t /*p*/,
                         const at::TensorOptions& options) {
  TORCH_INTERNAL_ASSERT(false, "fused_metric_ntk: CUDA points on ", options.device(), " in a build without CUDA");
}
#endif

bool same_points(const at::Tensor& x, const at::Tensor& x2) {
  return x.data_ptr() == x2.data_ptr() && x.sizes() == x2.sizes() && x.strides() == x2.strides() &&
         x.device() == x2.device();
}

void check_fused_inputs(const NeuralMetric& model, const at::Tensor& x, const char* name) {
  const int64_t n = model.head().dim;
  const at::ScalarType dtype = model.trunk().config().dtype;
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n && x.scalar_type() == dtype, "fused_metric_ntk: ", name,
               " must be [B, ", n, "] of dtype ", dtype, ", got ", x.sizes(), " of ", x.scalar_type());
  NMFLOW_CHECK(dtype == at::kDouble || dtype == at::kFloat, "fused_metric_ntk: dtype must be float64 or float32, got ",
               dtype);
  const at::Device device = x.device();
  NMFLOW_CHECK(device.is_cpu() || device.is_cuda(), "fused_metric_ntk: ", name, " must be on CPU or CUDA, got ",
               device);
  NMFLOW_CHECK(device == model.parameters().front().device(), "fused_metric_ntk: ", name, " is on ", device,
               " but the model is on ", model.parameters().front().device());
#ifndef NMFLOW_WITH_CUDA
  NMFLOW_CHECK(!device.is_cuda(), "fused_metric_ntk: ", name, " is on ", device,
               " but nmflow was built without its CUDA kernels (NMFLOW_CUDA=OFF or no nvcc at configure time)");
#endif
}

}  // namespace

at::Tensor fused_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2) {
  check_fused_inputs(model, x, "x");
  check_fused_inputs(model, x2, "x2");
  const bool symmetric = same_points(x, x2);
  const StructuredLayerFactors a = structured_layer_factors(model, x);
  const StructuredLayerFactors b = symmetric ? a : structured_layer_factors(model, x2);
  const int64_t p = packed_size(model.head().dim);
  const int64_t points = x.size(0);
  const int64_t points2 = x2.size(0);
  if (points == 0 || points2 == 0) {
    return at::zeros({points * p, points2 * p}, x.options());
  }
  at::Tensor theta;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_metric_ntk", [&] {
    theta = x.is_cuda() ? contract_cuda<scalar_t>(model, a, b, points, points2, p, x.options())
                        : contract_cpu<scalar_t>(model, a, b, points, points2, p, symmetric, x.options());
  });
  return theta;
}

}  // namespace nmflow

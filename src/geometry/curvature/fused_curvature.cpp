#include "geometry/curvature/fused_curvature.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <type_traits>

#include "common/error.h"
#include "geometry/curvature/curvature_lanes_cpu.h"
#include "geometry/curvature/curvature_math.h"
#include "geometry/curvature/fused_dims.h"

#ifdef NMFLOW_WITH_CUDA
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "fused_curvature_launch.h"
#endif

namespace nmflow {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Points per at::parallel_for task: one point is ~10³–10⁴ flops, so a few dozen amortise the task overhead.
constexpr int64_t kGrainPoints = 32;

// n was checked by check_fused_curvature_inputs.
template <typename F>
void dispatch_dim(int64_t n, const F& f) {
  TORCH_INTERNAL_ASSERT(dispatch_fused_dim(n, f), "fused_curvature: n = ", n, " passed check_fused_curvature_inputs");
}

// The CPU loops over points [begin, end): per point with the scalar functions, and for float64 on vector lanes
// (curvature_lanes_cpu.h: the scalar function's results bit for bit; forward 3.5 / 3.2 / 2.4 / 2.7× faster at
// n = 2 / 3 / 4 / 6, forward + backward 2.9 / 2.4 / 1.7 / 2.2×, BM_Curvature_Fused(Backward)).
template <int64_t N, typename T>
void forward_points_cpu(const T* g, const T* dg, const T* d2g, int64_t begin, int64_t end, T* ricci, T* scalar,
                        T* norm) {
  for (int64_t p = begin; p < end; ++p) {
    curvature_math::curvature_point<T, N>(g + p * N * N, dg + p * N * N * N, d2g + p * N * N * N * N,
                                          ricci + p * N * N, scalar + p, norm + p);
  }
}

template <int64_t N>
void forward_points_cpu(const double* g, const double* dg, const double* d2g, int64_t begin, int64_t end,
                        double* ricci, double* scalar, double* norm) {
  curvature_forward_lanes_cpu(static_cast<int>(N), g + begin * N * N, dg + begin * N * N * N,
                              d2g + begin * N * N * N * N, end - begin, ricci + begin * N * N, scalar + begin,
                              norm + begin);
}

template <int64_t N, typename T>
void backward_points_cpu(const T* g, const T* dg, const T* d2g, const T* ricci, const T* v_ricci, const T* v_scalar,
                         const T* v_norm, int64_t begin, int64_t end, T* v_g, T* v_dg, T* v_d2g) {
  for (int64_t p = begin; p < end; ++p) {
    curvature_math::curvature_point_vjp<T, N>(g + p * N * N, dg + p * N * N * N, d2g + p * N * N * N * N,
                                              ricci + p * N * N, v_ricci + p * N * N, v_scalar[p], v_norm[p],
                                              v_g + p * N * N, v_dg + p * N * N * N, v_d2g + p * N * N * N * N);
  }
}

template <int64_t N>
void backward_points_cpu(const double* g, const double* dg, const double* d2g, const double* ricci,
                         const double* v_ricci, const double* v_scalar, const double* v_norm, int64_t begin,
                         int64_t end, double* v_g, double* v_dg, double* v_d2g) {
  curvature_backward_lanes_cpu(static_cast<int>(N), g + begin * N * N, dg + begin * N * N * N,
                               d2g + begin * N * N * N * N, ricci + begin * N * N, v_ricci + begin * N * N,
                               v_scalar + begin, v_norm + begin, end - begin, v_g + begin * N * N,
                               v_dg + begin * N * N * N, v_d2g + begin * N * N * N * N);
}

// The CUDA launches, kept out of the dtype-dispatch macros (no preprocessor directives inside macro arguments).
#ifdef NMFLOW_WITH_CUDA
void* current_cuda_stream(const at::Device& device) {
  return c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(device).native_handle();
}

template <typename T>
void forward_cuda(const at::Device& device, const T* g, const T* dg, const T* d2g, int64_t batch, int64_t n,
                  T* ricci, T* scalar, T* norm) {
  const c10::DeviceGuard guard(device);
  cuda::launch_fused_curvature_forward(g, dg, d2g, batch, static_cast<int>(n), ricci, scalar, norm,
                                       current_cuda_stream(device));
}

template <typename T>
void backward_cuda(const at::Device& device, const T* g, const T* dg, const T* d2g, const T* ricci,
                   const T* v_ricci, const T* v_scalar, const T* v_norm, int64_t batch, int64_t n, T* v_g, T* v_dg,
                   T* v_d2g) {
  const c10::DeviceGuard guard(device);
  cuda::launch_fused_curvature_backward(g, dg, d2g, ricci, v_ricci, v_scalar, v_norm, batch, static_cast<int>(n),
                                        v_g, v_dg, v_d2g, current_cuda_stream(device));
}
#else
// Unreachable: check_fused_curvature_inputs rejects CUDA jets in a build without the kernels.
template <typename... Args>
void forward_cuda(const at::Device& device, const Args&... /*unused*/) {
  TORCH_INTERNAL_ASSERT(false, "fused_curvature: CUDA jet on ", device, " in a build without CUDA kernels");
}

template <typename... Args>
void backward_cuda(const at::Device& device, const Args&... /*unused*/) {
  TORCH_INTERNAL_ASSERT(false, "fused_curvature: CUDA jet on ", device, " in a build without CUDA kernels");
}
#endif

// g: [B, n, n]; dg: [B, n, n, n]; d2g: [B, n, n, n, n]; all contiguous, checked.
FusedCurvature curvature_forward(const at::Tensor& g, const at::Tensor& dg, const at::Tensor& d2g) {
  const int64_t batch = g.size(0);
  const int64_t n = g.size(1);
  FusedCurvature out{at::empty({batch, n, n}, g.options()), at::empty({batch}, g.options()),
                     at::empty({batch}, g.options())};
  if (batch == 0) {
    return out;
  }
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "fused_curvature", [&] {
    const scalar_t* g_p = g.data_ptr<scalar_t>();
    const scalar_t* dg_p = dg.data_ptr<scalar_t>();
    const scalar_t* d2g_p = d2g.data_ptr<scalar_t>();
    scalar_t* ricci_p = out.ricci.data_ptr<scalar_t>();
    scalar_t* scalar_p = out.scalar.data_ptr<scalar_t>();
    scalar_t* norm_p = out.ricci_norm_squared.data_ptr<scalar_t>();
    if (g.is_cuda()) {
      forward_cuda(g.device(), g_p, dg_p, d2g_p, batch, n, ricci_p, scalar_p, norm_p);
      return;
    }
    dispatch_dim(n, [&](auto dim) {
      constexpr int64_t N = decltype(dim)::value;
      at::parallel_for(0, batch, kGrainPoints, [&](int64_t begin, int64_t end) {
        forward_points_cpu<N>(g_p, dg_p, d2g_p, begin, end, ricci_p, scalar_p, norm_p);
      });
    });
  });
  return out;
}

// Inputs as curvature_forward plus ricci: [B, n, n] (its output), v_ricci: [B, n, n], v_scalar, v_norm: [B];
// all contiguous. Returns {v_g [B, n, n], v_dg [B, n, n, n], v_d2g [B, n, n, n, n]}.
variable_list curvature_backward(const at::Tensor& g, const at::Tensor& dg, const at::Tensor& d2g,
                                 const at::Tensor& ricci, const at::Tensor& v_ricci, const at::Tensor& v_scalar,
                                 const at::Tensor& v_norm) {
  const int64_t batch = g.size(0);
  const int64_t n = g.size(1);
  at::Tensor v_g = at::empty_like(g);
  at::Tensor v_dg = at::empty_like(dg);
  at::Tensor v_d2g = at::empty_like(d2g);
  if (batch == 0) {
    return {v_g, v_dg, v_d2g};
  }
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "fused_curvature_backward", [&] {
    const scalar_t* g_p = g.data_ptr<scalar_t>();
    const scalar_t* dg_p = dg.data_ptr<scalar_t>();
    const scalar_t* d2g_p = d2g.data_ptr<scalar_t>();
    const scalar_t* ricci_p = ricci.data_ptr<scalar_t>();
    const scalar_t* v_ricci_p = v_ricci.data_ptr<scalar_t>();
    const scalar_t* v_scalar_p = v_scalar.data_ptr<scalar_t>();
    const scalar_t* v_norm_p = v_norm.data_ptr<scalar_t>();
    scalar_t* v_g_p = v_g.data_ptr<scalar_t>();
    scalar_t* v_dg_p = v_dg.data_ptr<scalar_t>();
    scalar_t* v_d2g_p = v_d2g.data_ptr<scalar_t>();
    if (g.is_cuda()) {
      backward_cuda(g.device(), g_p, dg_p, d2g_p, ricci_p, v_ricci_p, v_scalar_p, v_norm_p, batch, n, v_g_p, v_dg_p,
                    v_d2g_p);
      return;
    }
    dispatch_dim(n, [&](auto dim) {
      constexpr int64_t N = decltype(dim)::value;
      at::parallel_for(0, batch, kGrainPoints, [&](int64_t begin, int64_t end) {
        backward_points_cpu<N>(g_p, dg_p, d2g_p, ricci_p, v_ricci_p, v_scalar_p, v_norm_p, begin, end, v_g_p, v_dg_p,
                               v_d2g_p);
      });
    });
  });
  return {v_g, v_dg, v_d2g};
}

// The backward as a Function of its own, so that differentiating the gradient (create_graph = true, then a second
// backward) reaches a node that throws instead of silently returning zero second derivatives.
class FusedCurvatureBackward : public torch::autograd::Function<FusedCurvatureBackward> {
 public:
  static variable_list forward(AutogradContext* /*ctx*/, const at::Tensor& g, const at::Tensor& dg,
                               const at::Tensor& d2g, const at::Tensor& ricci, const at::Tensor& v_ricci,
                               const at::Tensor& v_scalar, const at::Tensor& v_norm) {
    return curvature_backward(g, dg, d2g, ricci, v_ricci, v_scalar, v_norm);
  }

  static variable_list backward(AutogradContext* /*ctx*/, variable_list /*grad_outputs*/) {
    throw_error(
        "fused_curvature: double backward (a derivative of its gradient) is not supported; use "
        "curvature_reference where second derivatives of curvature are needed");
  }
};

class FusedCurvatureFunction : public torch::autograd::Function<FusedCurvatureFunction> {
 public:
  // g: [B, n, n]; dg: [B, n, n, n]; d2g: [B, n, n, n, n]; contiguous, checked.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& g, const at::Tensor& dg,
                               const at::Tensor& d2g) {
    FusedCurvature out = curvature_forward(g, dg, d2g);
    ctx->save_for_backward({g, dg, d2g, out.ricci});
    return {out.ricci, out.scalar, out.ricci_norm_squared};
  }

  // grad_outputs: {v_ricci [B, n, n], v_scalar [B], v_norm [B]} (undefined ones materialised as zeros).
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    return FusedCurvatureBackward::apply(saved[0], saved[1], saved[2], saved[3], grad_outputs[0].contiguous(),
                                         grad_outputs[1].contiguous(), grad_outputs[2].contiguous());
  }
};

}  // namespace

void check_fused_curvature_inputs(const MetricJet& jet) {
  check_metric_jet(jet, "fused_curvature");
  const at::ScalarType dtype = jet.g.scalar_type();
  NMFLOW_CHECK(dtype == at::kFloat || dtype == at::kDouble, "fused_curvature: the jet must be float32 or float64, got ",
               dtype);
  const int64_t n = jet.dim();
  NMFLOW_CHECK(n >= kFusedMinDim && n <= kFusedMaxDim, "fused_curvature: dimension n = ", n, " (g is ",
               jet.g.sizes(), ") is not supported; the fused kernel handles n in ", kFusedMinDim, "..", kFusedMaxDim,
               " (curvature_reference handles any n)");
  const at::Device device = jet.g.device();
  NMFLOW_CHECK(device.is_cpu() || device.is_cuda(), "fused_curvature: the jet must be on CPU or CUDA, got ", device);
#ifndef NMFLOW_WITH_CUDA
  NMFLOW_CHECK(!device.is_cuda(), "fused_curvature: the jet is on ", device,
               " but nmflow was built without its CUDA kernels (NMFLOW_CUDA=OFF or no nvcc at configure time)");
#endif
}

FusedCurvature fused_curvature(const MetricJet& jet) {
  check_fused_curvature_inputs(jet);
  const variable_list out = FusedCurvatureFunction::apply(jet.g.contiguous(), jet.dg.contiguous(),
                                                          jet.d2g.contiguous());
  return FusedCurvature{out[0], out[1], out[2]};
}

}  // namespace nmflow

#include "geometry/kahler/cy_point_set.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "common/version.h"
#include "geometry/kahler/cy_point_math.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/patches.h"

#ifdef NMFLOW_WITH_CUDA
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "cy_point_chart_launch.h"
#endif

namespace nmflow {

namespace {

// Points per at::parallel_for task: a point is a few hundred to a few thousand flops.
constexpr int64_t kGrainPoints = 256;

// make_cy_point_set in one pass per point (cy_point_math.h; CPU: at::parallel_for, CUDA: one thread per point),
// equal to the ATen composition cy_point_set_from_patches(choose_patches(…)) to rounding
// (tests/geometry/cy_point_set_test.cpp; tests/cuda/cy_point_set_cuda_test.cpp for the device).
CYPointSet cy_point_set_fused(const Hypersurface& surface, const at::Tensor& z_in, double t) {
  using kahler_math::Complex;
  const int64_t batch = z_in.size(0), n = z_in.size(1), m = n - 2;
  const at::TensorOptions complex_options = z_in.options();
  const at::TensorOptions real = complex_options.dtype(at::kDouble), index = complex_options.dtype(at::kLong);
  CYPointSet points;
  points.z = z_in.clone(at::MemoryFormat::Contiguous);
  points.patch = at::empty({batch}, index);
  points.eliminated = at::empty({batch}, index);
  points.local_indices = at::empty({batch, m}, index);
  points.pullback = at::empty({batch, m, n}, complex_options);
  points.g_fs = at::empty({batch, m, m}, complex_options);
  points.det_g_fs = at::empty({batch}, real);
  points.omega_sq = at::empty({batch}, real);
  points.weights = at::empty({batch}, real);
  const at::Tensor exponents = surface.exponents().contiguous();
  const at::Tensor coefficients = surface.coefficients().contiguous();
  const int n_monomials = static_cast<int>(exponents.size(0));
  const auto complex_data = [](const at::Tensor& x) { return reinterpret_cast<double*>(x.data_ptr()); };
#ifdef NMFLOW_WITH_CUDA
  if (z_in.is_cuda()) {
    const c10::DeviceGuard guard(z_in.device());
    void* stream = c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(z_in.device()).native_handle();
    cuda::launch_cy_point_chart(exponents.data_ptr<int64_t>(), complex_data(coefficients), n_monomials,
                                static_cast<int>(n), t, batch, complex_data(points.z), points.patch.data_ptr<int64_t>(),
                                points.eliminated.data_ptr<int64_t>(), points.local_indices.data_ptr<int64_t>(),
                                complex_data(points.pullback), complex_data(points.g_fs),
                                points.det_g_fs.data_ptr<double>(), points.omega_sq.data_ptr<double>(),
                                points.weights.data_ptr<double>(), stream);
    return points;
  }
#endif
  const int64_t* e = exponents.data_ptr<int64_t>();
  const auto* c = reinterpret_cast<const Complex*>(complex_data(coefficients));
  auto* z = reinterpret_cast<Complex*>(complex_data(points.z));
  auto* pullback = reinterpret_cast<Complex*>(complex_data(points.pullback));
  auto* g = reinterpret_cast<Complex*>(complex_data(points.g_fs));
  int64_t* patch = points.patch.data_ptr<int64_t>();
  int64_t* eliminated = points.eliminated.data_ptr<int64_t>();
  int64_t* local = points.local_indices.data_ptr<int64_t>();
  double* det = points.det_g_fs.data_ptr<double>();
  double* omega_sq = points.omega_sq.data_ptr<double>();
  double* weights = points.weights.data_ptr<double>();
  at::parallel_for(0, batch, kGrainPoints, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      kahler_math::cy_point_chart(e, c, n_monomials, static_cast<int>(n), t,
                                  {z + b * n, patch + b, eliminated + b, local + b * m, pullback + b * m * n,
                                   g + b * m * m, det + b, omega_sq + b, weights + b});
    }
  });
  return points;
}

}  // namespace

// Anything else goes to the ATen composition, whose checks (choose_patches) name what is wrong.
double cy_point_set_bytes_per_point(const Hypersurface& surface) {
  const double coords = static_cast<double>(surface.n_coords());
  const double m = static_cast<double>(surface.dim());
  constexpr double kComplex = 16.0, kReal = 8.0;
  // z twice (the raw roots and the rescaled copy), patch, eliminated, local_indices, pullback, g_fs, three reals.
  return 2.0 * kComplex * coords + 2.0 * kReal + kReal * m + kComplex * m * coords + kComplex * m * m + 3.0 * kReal;
}

bool cy_point_set_in_one_pass(const Hypersurface& surface, const at::Tensor& z) {
  const bool device_ok = z.device().is_cpu() || (built_with_cuda() && z.is_cuda());
  return device_ok && z.dim() == 2 && z.scalar_type() == at::kComplexDouble && z.size(1) == surface.n_coords() &&
         surface.n_coords() >= 3 && surface.n_coords() <= kahler_math::kMaxCoords &&
         surface.exponents().device() == z.device();
}

CYPointSet make_cy_point_set(const Hypersurface& surface, const at::Tensor& z, double t) {
  if (cy_point_set_in_one_pass(surface, z)) return cy_point_set_fused(surface, z, t);
  return cy_point_set_from_patches(choose_patches(surface, z), t);
}

CYPointSet cy_point_set_from_patches(const PatchChoice& patches, double t) {
  const at::Tensor p = pullback_matrix(patches);  // [B, m, N+1]
  const at::Tensor g_ambient = fubini_study_ambient(patches.z, t);
  const at::Tensor g = at::matmul(at::matmul(p, g_ambient), p.conj().transpose(1, 2));  // P G P†
  const at::Tensor det_g = at::real(at::linalg_det(g));
  const at::Tensor omega_sq = 1.0 / patches.dp.gather(1, patches.eliminated.unsqueeze(1)).squeeze(1).abs().pow(2);
  CYPointSet points;
  points.z = patches.z;
  points.patch = patches.patch;
  points.eliminated = patches.eliminated;
  points.local_indices = patches.local_indices;
  points.pullback = p;
  points.g_fs = g;
  points.det_g_fs = det_g;
  points.omega_sq = omega_sq;
  points.weights = omega_sq / det_g;
  return points;
}

CYPointSet map_cy_points(const CYPointSet& points, const std::function<at::Tensor(const at::Tensor&)>& map) {
  CYPointSet out = points;
  for (at::Tensor* field : {&out.z, &out.patch, &out.eliminated, &out.local_indices, &out.pullback, &out.g_fs,
                            &out.det_g_fs, &out.omega_sq, &out.weights}) {
    if (field->defined()) *field = map(*field);
  }
  return out;
}

CYPointSet select_cy_points(const CYPointSet& points, const at::Tensor& index) {
  CYPointSet out = map_cy_points(points, [&](const at::Tensor& t) { return t.index_select(0, index); });
  out.lines_used = 0;  // a selection is not a sampler's output
  out.lines_rejected = 0;
  return out;
}

CYPointSet cy_points_to(const CYPointSet& points, const at::Device& device) {
  return map_cy_points(points, [&](const at::Tensor& t) { return t.to(device); });
}

}  // namespace nmflow

#include "geometry/kahler/polynomial_roots.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "common/error.h"
#include "geometry/kahler/aberth_lanes_cpu.h"
#include "geometry/kahler/polynomial_roots_math.h"

#ifdef NMFLOW_WITH_CUDA
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "polynomial_roots_launch.h"
#endif

namespace nmflow {

namespace {

using kahler_math::Complex;

// Lines per at::parallel_for task: one line costs ~1 µs, so this keeps scheduling overhead negligible.
constexpr int64_t kCpuGrain = 256;

void check_complex_input(const at::Tensor& t, int64_t dim, const char* name, const char* who) {
  NMFLOW_CHECK(t.dim() == dim, who, ": ", name, " must have ", dim, " dimensions, got ", t.sizes());
  NMFLOW_CHECK(t.scalar_type() == at::kComplexDouble, who, ": ", name, " must be complex128, got ",
               t.scalar_type());
}

void check_degree(int64_t degree, const char* who) {
  NMFLOW_CHECK(degree >= 1 && degree <= kahler_math::kMaxRootDegree, who, ": degree must be in [1, ",
               kahler_math::kMaxRootDegree, "], got ", degree);
}

const Complex* as_complex(const at::Tensor& t) {
  return reinterpret_cast<const Complex*>(t.data_ptr<c10::complex<double>>());
}

Complex* as_complex_mut(at::Tensor& t) { return reinterpret_cast<Complex*>(t.data_ptr<c10::complex<double>>()); }

#ifdef NMFLOW_WITH_CUDA
void* current_stream(const at::Tensor& t) {
  return c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(t.device()).native_handle();
}
#endif

}  // namespace

PolynomialRoots polynomial_roots(const at::Tensor& coeffs_in, int max_iterations) {
  check_complex_input(coeffs_in, 2, "coeffs", "polynomial_roots");
  const int64_t degree = coeffs_in.size(1) - 1;
  check_degree(degree, "polynomial_roots");
  const at::Tensor coeffs = coeffs_in.contiguous();
  const int64_t lines = coeffs.size(0);
  at::Tensor roots = at::empty({lines, degree}, coeffs.options());
  at::Tensor converged = at::empty({lines}, coeffs.options().dtype(at::kInt));
  if (coeffs.is_cuda()) {
#ifdef NMFLOW_WITH_CUDA
    const c10::DeviceGuard guard(coeffs.device());
    cuda::launch_polynomial_roots(reinterpret_cast<const double*>(coeffs.data_ptr<c10::complex<double>>()), lines,
                                  static_cast<int>(degree), max_iterations,
                                  reinterpret_cast<double*>(roots.data_ptr<c10::complex<double>>()),
                                  converged.data_ptr<int32_t>(), current_stream(coeffs));
#else
    NMFLOW_CHECK(false, "polynomial_roots: got a CUDA tensor but nmflow was built without CUDA (NMFLOW_CUDA=OFF "
                        "or no nvcc); use CPU tensors or rebuild with CUDA");
#endif
  } else {
    NMFLOW_CHECK(coeffs.is_cpu(), "polynomial_roots: coeffs must be on CPU or CUDA, got ", coeffs.device());
    const Complex* c = as_complex(coeffs);
    Complex* r = as_complex_mut(roots);
    int32_t* ok = converged.data_ptr<int32_t>();
    // kAberthLanes polynomials at a time (aberth_lanes_cpu.h: the scalar aberth_roots' results, vectorised).
    at::parallel_for(0, lines, kCpuGrain, [&](int64_t begin, int64_t end) {
      for (int64_t l0 = begin; l0 < end; l0 += kAberthLanes) {
        const int count = static_cast<int>(std::min<int64_t>(kAberthLanes, end - l0));
        const Complex* group_coeffs[kAberthLanes];
        Complex* group_roots[kAberthLanes];
        for (int i = 0; i < count; ++i) {
          group_coeffs[i] = c + (l0 + i) * (degree + 1);
          group_roots[i] = r + (l0 + i) * degree;
        }
        aberth_roots_lanes(group_coeffs, count, static_cast<int>(degree), max_iterations, group_roots, ok + l0);
      }
    });
  }
  return PolynomialRoots{roots, converged.to(at::kBool)};
}

LineRoots line_intersection_roots(const at::Tensor& a_in, const at::Tensor& b_in, const at::Tensor& exponents_in,
                                        const at::Tensor& coefficients_in, int64_t degree, int max_iterations) {
  const char* who = "line_intersection_roots";
  check_complex_input(a_in, 2, "a", who);
  check_complex_input(b_in, 2, "b", who);
  check_complex_input(coefficients_in, 1, "coefficients", who);
  check_degree(degree, who);
  NMFLOW_CHECK(a_in.sizes() == b_in.sizes(), who, ": a and b must have the same shape [L, N+1], got ",
               a_in.sizes(), " and ", b_in.sizes());
  NMFLOW_CHECK(exponents_in.dim() == 2 && exponents_in.scalar_type() == at::kLong &&
                   exponents_in.size(1) == a_in.size(1) && exponents_in.size(0) == coefficients_in.size(0),
               who, ": exponents must be int64 [M, N+1] = [", coefficients_in.size(0), ", ", a_in.size(1),
               "], got ", exponents_in.scalar_type(), " ", exponents_in.sizes());
  NMFLOW_CHECK(a_in.device() == b_in.device() && a_in.device() == exponents_in.device() &&
                   a_in.device() == coefficients_in.device(),
               who, ": a, b, exponents, coefficients must share one device, got ", a_in.device(), ", ",
               b_in.device(), ", ", exponents_in.device(), ", ", coefficients_in.device());
  const at::Tensor a = a_in.contiguous();
  const at::Tensor b = b_in.contiguous();
  const at::Tensor exponents = exponents_in.contiguous();
  const at::Tensor coefficients = coefficients_in.contiguous();
  const int64_t lines = a.size(0);
  const int n_coords = static_cast<int>(a.size(1));
  const int n_monomials = static_cast<int>(coefficients.size(0));
  NMFLOW_CHECK(n_coords <= kahler_math::kMaxCoords, who, ": at most ", kahler_math::kMaxCoords,
               " homogeneous coordinates, got ", n_coords);
  at::Tensor t = at::empty({lines, degree}, a.options());
  at::Tensor residual = at::empty({lines, degree}, a.options().dtype(at::kDouble));
  at::Tensor converged = at::empty({lines}, a.options().dtype(at::kInt));
  if (a.is_cuda()) {
#ifdef NMFLOW_WITH_CUDA
    const c10::DeviceGuard guard(a.device());
    cuda::launch_line_intersection_roots(
        reinterpret_cast<const double*>(a.data_ptr<c10::complex<double>>()),
        reinterpret_cast<const double*>(b.data_ptr<c10::complex<double>>()), lines, n_coords,
        exponents.data_ptr<int64_t>(), reinterpret_cast<const double*>(coefficients.data_ptr<c10::complex<double>>()),
        n_monomials, static_cast<int>(degree), max_iterations,
        reinterpret_cast<double*>(t.data_ptr<c10::complex<double>>()), residual.data_ptr<double>(),
        converged.data_ptr<int32_t>(), current_stream(a));
#else
    NMFLOW_CHECK(false, who, ": got CUDA tensors but nmflow was built without CUDA (NMFLOW_CUDA=OFF or no nvcc); "
                 "use CPU tensors or rebuild with CUDA");
#endif
  } else {
    NMFLOW_CHECK(a.is_cpu(), who, ": tensors must be on CPU or CUDA, got ", a.device());
    const Complex* pa = as_complex(a);
    const Complex* pb = as_complex(b);
    const Complex* pc = as_complex(coefficients);
    const int64_t* pe = exponents.data_ptr<int64_t>();
    Complex* pt = as_complex_mut(t);
    double* pr = residual.data_ptr<double>();
    int32_t* ok = converged.data_ptr<int32_t>();
    // kAberthLanes lines at a time (aberth_lanes_cpu.h: kahler_math::line_intersection_roots' results, vectorised).
    at::parallel_for(0, lines, kCpuGrain, [&](int64_t begin, int64_t end) {
      for (int64_t l0 = begin; l0 < end; l0 += kAberthLanes) {
        const int count = static_cast<int>(std::min<int64_t>(kAberthLanes, end - l0));
        const Complex* group_a[kAberthLanes];
        const Complex* group_b[kAberthLanes];
        Complex* group_t[kAberthLanes];
        double* group_residual[kAberthLanes];
        for (int i = 0; i < count; ++i) {
          const int64_t l = l0 + i;
          group_a[i] = pa + l * n_coords;
          group_b[i] = pb + l * n_coords;
          group_t[i] = pt + l * degree;
          group_residual[i] = pr + l * degree;
        }
        line_roots_lanes(group_a, group_b, count, n_coords, pe, pc, n_monomials, static_cast<int>(degree),
                         max_iterations, group_t, group_residual, ok + l0);
      }
    });
  }
  return LineRoots{t, residual, converged.to(at::kBool)};
}

}  // namespace nmflow

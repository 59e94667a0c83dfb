// The CPU root finder runs the Aberth sweeps on 8 polynomials at a time (aberth_lanes_cpu.h); each lane must
// reproduce the scalar per-polynomial functions of polynomial_roots_math.h (what CUDA runs) bit for bit.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <vector>

#include "common/cpu_targets.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/polynomial_roots.h"
#include "geometry/kahler/polynomial_roots_math.h"

using nmflow::kahler_math::Complex;

namespace {

const Complex* as_complex(const at::Tensor& t) {
  return reinterpret_cast<const Complex*>(t.data_ptr<c10::complex<double>>());
}

// Largest |a − b| over matching entries, exactly (0 when bit-identical up to signed zeros).
double max_difference(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("Vectorised Aberth lanes reproduce the scalar aberth_roots bit for bit, degree 1..8", "[geometry][lanes]") {
  // Which copy runs: ctest runs these cases again with NMFLOW_CPU_LEVEL=3 and =1 (cpu_targets.h).
  WARN("Aberth lanes: the x86-64 level " << nmflow::cpu_x86_64_level() << " copy");
  at::manual_seed(41);
  for (int64_t degree = 1; degree <= 8; ++degree) {
    INFO("degree " << degree);
    // 37 polynomials: four full groups of 8 and a partial one; among them a zero leading coefficient (no roots,
    // not converged), an exact root at 0, a double root and the real Fermat-type t^d − 1.
    at::Tensor coeffs = at::randn({37, degree + 1}, at::kComplexDouble);
    coeffs[3][degree] = 0.0;
    coeffs[9][0] = 0.0;
    coeffs[17].zero_();
    coeffs[17][0] = -1.0;
    coeffs[17][degree] = 1.0;
    if (degree >= 2) {  // (t − 1)² (t + 2)^{d−2}: a double root, the slow case
      at::Tensor p = at::ones({1}, at::kComplexDouble);
      for (int64_t f = 0; f < degree; ++f) {
        const double root = f < 2 ? 1.0 : -2.0;
        at::Tensor next = at::zeros({p.size(0) + 1}, at::kComplexDouble);
        next.narrow(0, 1, p.size(0)).add_(p);
        next.narrow(0, 0, p.size(0)).sub_(root * p);
        p = next;
      }
      coeffs[25].copy_(p);
    }
    const nmflow::PolynomialRoots lanes = nmflow::polynomial_roots(coeffs);
    at::Tensor scalar = at::zeros({37, degree}, at::kComplexDouble);
    std::vector<int> scalar_converged(37);
    for (int64_t l = 0; l < 37; ++l) {
      at::Tensor row = scalar[l];
      scalar_converged[static_cast<size_t>(l)] = nmflow::kahler_math::aberth_roots(
          as_complex(coeffs[l].contiguous()), static_cast<int>(degree), nmflow::kDefaultRootIterations,
          reinterpret_cast<Complex*>(row.data_ptr<c10::complex<double>>()));
    }
    for (int64_t l = 0; l < 37; ++l) {
      INFO("polynomial " << l);
      CHECK(static_cast<int>(lanes.converged[l].item<bool>()) == scalar_converged[static_cast<size_t>(l)]);
      if (l != 3) CHECK(max_difference(lanes.roots[l], scalar[l]) == 0.0);
    }
    CHECK_FALSE(lanes.converged[3].item<bool>());
    CHECK(lanes.converged[17].item<bool>());
  }
}

TEST_CASE("Vectorised line roots reproduce the scalar line_intersection_roots bit for bit (quintic, K3)",
          "[geometry][lanes]") {
  at::manual_seed(42);
  for (const nmflow::Hypersurface& surface : {nmflow::fermat_quintic(), nmflow::dwork_quintic(0.3),
                                              nmflow::fermat_quartic()}) {
    INFO(surface.name());
    const int64_t lines = 101;  // 12 full groups of 8 and a partial one
    const int64_t n = surface.n_coords();
    const at::Tensor a = at::randn({lines, n}, at::kComplexDouble);
    const at::Tensor b = at::randn({lines, n}, at::kComplexDouble);
    const nmflow::LineRoots lanes = nmflow::line_intersection_roots(a, b, surface.exponents(),
                                                                    surface.coefficients(), surface.degree());
    const at::Tensor exponents = surface.exponents().contiguous();
    const at::Tensor coefficients = surface.coefficients().contiguous();
    at::Tensor t = at::zeros({lines, surface.degree()}, at::kComplexDouble);
    at::Tensor residual = at::zeros({lines, surface.degree()}, at::kDouble);
    for (int64_t l = 0; l < lines; ++l) {
      at::Tensor t_row = t[l];
      at::Tensor r_row = residual[l];
      const int ok = nmflow::kahler_math::line_intersection_roots(
          as_complex(a[l].contiguous()), as_complex(b[l].contiguous()), static_cast<int>(n),
          exponents.data_ptr<int64_t>(), as_complex(coefficients), static_cast<int>(coefficients.size(0)),
          static_cast<int>(surface.degree()), nmflow::kDefaultRootIterations,
          reinterpret_cast<Complex*>(t_row.data_ptr<c10::complex<double>>()), r_row.data_ptr<double>());
      CHECK(static_cast<int>(lanes.converged[l].item<bool>()) == ok);
    }
    CHECK(max_difference(lanes.t, t) == 0.0);
    CHECK(max_difference(lanes.residual, residual) == 0.0);
    CHECK(lanes.residual.max().item<double>() < 1e-10);
  }
}

#include "geometry/manifolds/left_invariant_su2.h"

#include <ATen/ATen.h>

#include <array>
#include <cmath>

#include "geometry/manifolds/formula_metric.h"

namespace nmflow {

namespace {

// E[i][a]: σ_i = E_ia dx^a in the Euler-angle chart (header comment).
template <class S>
std::array<S, 9> euler_coframe(const S* x) {
  using std::cos;
  using std::sin;
  const S& beta = x[1];
  const S& gamma = x[2];
  const S sb = sin(beta), cb = cos(beta), sg = sin(gamma), cg = cos(gamma);
  const S zero = 0.0 * beta;
  return {-0.5 * sb * cg, 0.5 * sg, zero,          //
          0.5 * sb * sg,  0.5 * cg, zero,          //
          0.5 * cb,       zero,     zero + 0.5};
}

struct LeftInvariantSU2Formula {
  static constexpr int kMinDim = 3;
  static constexpr int kMaxDim = 3;
  int64_t n = 3;
  std::array<double, 3> lambda;  // (A, B, C)

  // g_ab = Σ_i λ_i E_ia E_ib.
  template <class S>
  void operator()(const S* x, S* g) const {
    const std::array<S, 9> e = euler_coframe(x);
    for (int a = 0; a < 3; ++a) {
      for (int b = a; b < 3; ++b) {
        S sum = lambda[0] * (e[a] * e[b]);
        for (int i = 1; i < 3; ++i) {
          sum = sum + lambda[i] * (e[3 * i + a] * e[3 * i + b]);
        }
        g[3 * a + b] = sum;
        g[3 * b + a] = sum;
      }
    }
  }
};

std::unique_ptr<ReferenceMetric> make_su2(const char* name, double a, double b, double c) {
  NMFLOW_CHECK(a > 0.0 && b > 0.0 && c > 0.0, name, ": A, B, C must be > 0, got A = ", a, ", B = ", b, ", C = ", c);
  return std::make_unique<FormulaMetric<LeftInvariantSU2Formula>>(name, LeftInvariantSU2Formula{3, {a, b, c}});
}

}  // namespace

std::unique_ptr<ReferenceMetric> make_left_invariant_su2(double a, double b, double c) {
  return make_su2("su2", a, b, c);
}

std::unique_ptr<ReferenceMetric> make_berger_sphere(double a, double b) {
  NMFLOW_CHECK(a > 0.0 && b > 0.0, "berger: A and B must be > 0, got A = ", a, ", B = ", b);
  return make_su2("berger", a, a, b);
}

at::Tensor s3_coframe(const at::Tensor& x) {
  const std::vector<at::Tensor> columns = coordinate_columns(x, 3, "s3_coframe");
  const std::array<at::Tensor, 9> e = euler_coframe(columns.data());
  return stack_metric_entries(std::vector<at::Tensor>(e.begin(), e.end()), 3);
}

// q = cos(β/2) (cos s + k sin s) + sin(β/2) (i sin d + j cos d), s = (α + γ)/2, d = (γ − α)/2: the product
// e^{kα/2} e^{jβ/2} e^{kγ/2} multiplied out.
at::Tensor s3_quaternion_from_euler(const at::Tensor& x) {
  const std::vector<at::Tensor> c = coordinate_columns(x, 3, "s3_quaternion_from_euler");
  const at::Tensor half_sum = 0.5 * (c[0] + c[2]);
  const at::Tensor half_diff = 0.5 * (c[2] - c[0]);
  const at::Tensor cb = at::cos(0.5 * c[1]);
  const at::Tensor sb = at::sin(0.5 * c[1]);
  return at::stack({cb * at::cos(half_sum), sb * at::sin(half_diff), sb * at::cos(half_diff), cb * at::sin(half_sum)},
                   /*dim=*/1);
}

at::Tensor s3_euler_from_quaternion(const at::Tensor& q) {
  NMFLOW_CHECK(q.dim() == 2 && q.size(1) == 4, "s3_euler_from_quaternion: q must be [B, 4], got ", q.sizes());
  const at::Tensor q0 = q.select(1, 0), q1 = q.select(1, 1), q2 = q.select(1, 2), q3 = q.select(1, 3);
  const at::Tensor beta = 2.0 * at::atan2(at::hypot(q1, q2), at::hypot(q0, q3));
  const at::Tensor half_sum = at::atan2(q3, q0);   // s, defined mod 2π
  const at::Tensor half_diff = at::atan2(q1, q2);  // d, defined mod 2π
  // (α, γ) = (s − d, s + d) is defined up to the lattice spanned by (2π, 2π) and (−2π, 2π): shift by the first
  // to put α in [0, 2π), then reduce γ mod 4π.
  at::Tensor alpha = half_sum - half_diff;
  at::Tensor gamma = half_sum + half_diff;
  const at::Tensor turns = at::floor(alpha / (2.0 * M_PI));
  alpha = alpha - 2.0 * M_PI * turns;
  gamma = at::remainder(gamma - 2.0 * M_PI * turns, 4.0 * M_PI);
  return at::stack({alpha, beta, gamma}, /*dim=*/1);
}

}  // namespace nmflow

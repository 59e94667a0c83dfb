#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "common/error.h"
#include "ntk/ntk_diagnostics.h"
#include "support/tolerance.h"

TEST_CASE("Relative NTK drift is ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F", "[ntk]") {
  const at::Tensor theta0 = 2.0 * at::eye(4, at::kDouble);  // ‖Θ_0‖_F = 4
  at::Tensor theta_t = theta0.clone();
  theta_t[0][1] = 1.2;  // perturbation with ‖E‖_F = √(1.2² + 1.6²) = 2
  theta_t[2][2] = 2.0 + 1.6;
  CHECK(nmflow::ntk_relative_drift(theta_t, theta0) == Approx(0.5).epsilon(1e-14));
  CHECK(nmflow::ntk_relative_drift(theta0, theta0) == 0.0);
  CHECK_THROWS_AS(nmflow::ntk_relative_drift(theta0, at::zeros({4, 4}, at::kDouble)), nmflow::Error);
  CHECK_THROWS_AS(nmflow::ntk_relative_drift(theta0, at::zeros({3, 4}, at::kDouble)), nmflow::Error);
}

TEST_CASE("Top-k NTK eigenvalues of Q diag(5, 3, 2, -1, 0.5) Qᵀ are 5, 3, 2 in descending order", "[ntk]") {
  at::manual_seed(1);
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({5, 5}, at::kDouble)));
  const at::Tensor spectrum = at::tensor({5.0, 3.0, 2.0, -1.0, 0.5}, at::kDouble);
  at::Tensor theta = at::matmul(at::matmul(q, at::diag(spectrum)), q.t());
  theta[0][1] += 1e-13;  // rounding-level asymmetry is symmetrised away
  CHECK_CLOSE(nmflow::ntk_top_eigenvalues(theta, 3), at::tensor({5.0, 3.0, 2.0}, at::kDouble), 1e-12);
  CHECK_THROWS_AS(nmflow::ntk_top_eigenvalues(theta, 6), nmflow::Error);
}

TEST_CASE("Non-local NTK mass: 0 for a block-diagonal kernel, 1 − 1/B for a constant one, b/(a+b) in between",
          "[ntk]") {
  const int64_t points = 4;
  const int64_t p = 3;
  const at::Tensor local = at::kron(at::eye(points, at::kDouble), at::randn({p, p}, at::kDouble));
  CHECK(nmflow::ntk_nonlocal_mass(local, p) == 0.0);
  const at::Tensor constant = at::ones({points * p, points * p}, at::kDouble);
  CHECK(nmflow::ntk_nonlocal_mass(constant, p) == Approx(1.0 - 1.0 / points).epsilon(1e-14));
  // Diagonal blocks 2·I_p (each ‖·‖² = 4p), off-diagonal blocks all 0.5 (each ‖·‖² = p²/4).
  const at::Tensor mixed = at::kron(at::eye(points, at::kDouble), 2.0 * at::eye(p, at::kDouble)) +
                           at::kron(at::ones({points, points}, at::kDouble) - at::eye(points, at::kDouble),
                                    0.5 * at::ones({p, p}, at::kDouble));
  const double diagonal = points * 4.0 * p;
  const double off = points * (points - 1) * p * p / 4.0;
  CHECK(nmflow::ntk_nonlocal_mass(mixed, p) == Approx(off / (diagonal + off)).epsilon(1e-14));
  CHECK_THROWS_AS(nmflow::ntk_nonlocal_mass(at::ones({7, 7}, at::kDouble), p), nmflow::Error);
}

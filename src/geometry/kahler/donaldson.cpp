#include "geometry/kahler/donaldson.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "geometry/kahler/monomial_basis.h"

namespace nmflow {

namespace {

void check_h(const at::Tensor& exponents, const at::Tensor& h, const char* who) {
  const int64_t n_k = exponents.size(0);
  NMFLOW_CHECK(h.dim() == 2 && h.size(0) == n_k && h.size(1) == n_k && h.scalar_type() == at::kComplexDouble, who,
               ": h must be complex128 [N_k, N_k] = [", n_k, ", ", n_k, "], got ", h.scalar_type(), " ", h.sizes());
}

void check_chunk(int64_t chunk_points, const char* who) {
  NMFLOW_CHECK(chunk_points >= 1, who, ": chunk_points must be ≥ 1, got ", chunk_points);
}

// S = sᵀ h s̄ per row; s: [B, N_k] → [B] float64 (s̄ hᵀ has entries Σ_β h_αβ̄ s̄_β).
at::Tensor section_norm(const at::Tensor& s, const at::Tensor& h) {
  return at::real((s * at::matmul(s.conj(), h.transpose(0, 1))).sum(1));
}

}  // namespace

at::Tensor donaldson_t_operator(const at::Tensor& exponents, const at::Tensor& h_in, const at::Tensor& z,
                                const at::Tensor& weights, int64_t chunk_points) {
  check_h(exponents, h_in, "donaldson_t_operator");
  check_chunk(chunk_points, "donaldson_t_operator");
  NMFLOW_CHECK(weights.dim() == 1 && weights.size(0) == z.size(0) && weights.scalar_type() == at::kDouble &&
                   z.size(0) > 0,
               "donaldson_t_operator: weights must be float64 [B] with B = ", z.size(0), " ≥ 1, got ",
               weights.scalar_type(), " ", weights.sizes());
  const at::Tensor h = h_in.to(z.device());
  const int64_t n_k = exponents.size(0);
  at::Tensor t = at::zeros({n_k, n_k}, z.options());
  for (int64_t start = 0; start < z.size(0); start += chunk_points) {
    const int64_t len = std::min(chunk_points, z.size(0) - start);
    const at::Tensor s = evaluate_monomials(exponents, z.narrow(0, start, len));  // [C, N_k]
    const at::Tensor w = weights.narrow(0, start, len);
    // a_iα = s_α √(w_i/S_i), so Σ_i w_i s_α s̄_β/S_i = (aᵀ ā)_αβ: one GEMM per chunk.
    const at::Tensor a = s * at::sqrt(w / section_norm(s, h)).unsqueeze(1);
    t.add_(at::matmul(a.transpose(0, 1), a.conj()));
  }
  return t * (static_cast<double>(n_k) / weights.sum().item<double>());
}

double balance_residual(const at::Tensor& t_of_h, const at::Tensor& h) {
  NMFLOW_CHECK(t_of_h.dim() == 2 && t_of_h.sizes() == h.sizes() && t_of_h.size(0) == t_of_h.size(1),
               "balance_residual: T(h) and h must both be [N_k, N_k], got ", t_of_h.sizes(), " and ", h.sizes());
  const int64_t n_k = h.size(0);
  const at::Tensor eye = at::eye(n_k, h.options());
  return at::linalg_matrix_norm(at::matmul(t_of_h, h.transpose(0, 1)) - eye, "fro").item<double>() /
         std::sqrt(static_cast<double>(n_k));
}

BalancedMetric balanced_metric_from(const Hypersurface& surface, int64_t k, const at::Tensor& h) {
  BalancedMetric metric;
  metric.k = k;
  metric.exponents = section_monomials(surface, k);
  check_h(metric.exponents, h, "balanced_metric_from");
  metric.h = h;
  return metric;
}

BalancedMetric donaldson_balanced_metric(const Hypersurface& surface, const CYPointSet& points, int64_t k,
                                         const DonaldsonOptions& options) {
  NMFLOW_CHECK(options.max_iterations >= 0 && options.tolerance >= 0.0,
               "donaldson_balanced_metric: max_iterations and tolerance must be ≥ 0, got ", options.max_iterations,
               " and ", options.tolerance);
  const at::Tensor exponents = section_monomials(surface, k);
  BalancedMetric metric =
      balanced_metric_from(surface, k, at::eye(exponents.size(0), points.z.options()));
  for (int64_t iteration = 0;; ++iteration) {
    const at::Tensor t = donaldson_t_operator(metric.exponents, metric.h, points.z, points.weights,
                                              options.chunk_points);
    metric.residuals.push_back(balance_residual(t, metric.h));
    if (iteration == options.max_iterations || metric.residuals.back() <= options.tolerance) {
      break;
    }
    // Balanced: T(h) = (h⁻¹)ᵀ. T is Hermitian positive definite; symmetrising removes round-off drift.
    const at::Tensor h_next = at::linalg_inv(0.5 * (t + t.conj().transpose(0, 1))).transpose(0, 1);
    metric.h = 0.5 * (h_next + h_next.conj().transpose(0, 1));
  }
  return metric;
}

at::Tensor balanced_kahler_potential(const BalancedMetric& metric, const at::Tensor& z) {
  check_h(metric.exponents, metric.h, "balanced_kahler_potential");
  const at::Tensor s = evaluate_monomials(metric.exponents, z);
  return at::log(section_norm(s, metric.h.to(z.device()))) / (static_cast<double>(metric.k) * M_PI);
}

at::Tensor balanced_ambient_metric(const BalancedMetric& metric, const at::Tensor& z, int64_t chunk_points) {
  check_h(metric.exponents, metric.h, "balanced_ambient_metric");
  check_chunk(chunk_points, "balanced_ambient_metric");
  const at::Tensor h = metric.h.to(z.device());
  const int64_t n_coords = z.size(1);
  const int64_t n_k = metric.exponents.size(0);
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < z.size(0); start += chunk_points) {
    const int64_t len = std::min(chunk_points, z.size(0) - start);
    const at::Tensor zc = z.narrow(0, start, len);
    const at::Tensor s = evaluate_monomials(metric.exponents, zc);      // [C, N_k]
    const at::Tensor ds = monomial_gradients(metric.exponents, zc);     // [C, N+1, N_k], ds[b, I, α] = ∂_I s_α
    const at::Tensor hs = at::matmul(s.conj(), h.transpose(0, 1));     // [C, N_k]  (h s̄)_α
    const at::Tensor norm = at::real((s * hs).sum(1));                  // S
    const at::Tensor d_norm = at::matmul(ds, hs.unsqueeze(2)).squeeze(2);  // ∂_I S: [C, N+1]
    const at::Tensor dh = at::matmul(ds.reshape({len * n_coords, n_k}), h).reshape({len, n_coords, n_k});
    const at::Tensor ddbar = at::matmul(dh, ds.conj().transpose(1, 2));    // ∂_I∂_J̄ S: [C, N+1, N+1]
    const at::Tensor inv_norm = (1.0 / norm).to(z.scalar_type()).view({len, 1, 1});
    const at::Tensor outer = d_norm.unsqueeze(2) * d_norm.conj().unsqueeze(1);  // ∂_I S ∂_J̄ S
    chunks.push_back((ddbar * inv_norm - outer * inv_norm * inv_norm) / (static_cast<double>(metric.k) * M_PI));
  }
  return at::cat(chunks, 0);
}

at::Tensor balanced_metric_on_x(const BalancedMetric& metric, const CYPointSet& points, int64_t chunk_points) {
  const at::Tensor big_g = balanced_ambient_metric(metric, points.z, chunk_points);
  const at::Tensor& p = points.pullback;  // [B, m, N+1]
  return at::matmul(at::matmul(p, big_g), p.conj().transpose(1, 2));
}

CYAccuracy balanced_accuracy(const BalancedMetric& metric, const CYPointSet& points, int64_t chunk_points) {
  const at::Tensor g = balanced_metric_on_x(metric, points, chunk_points);
  return cy_accuracy(points.weights, points.omega_sq, at::real(at::linalg_det(g)));
}

}  // namespace nmflow

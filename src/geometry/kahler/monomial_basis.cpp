#include "geometry/kahler/monomial_basis.h"

#include <ATen/ATen.h>

#include <vector>

#include "common/error.h"

namespace nmflow {

namespace {

// All exponent vectors of total degree `remaining` in the coordinates from `index` on, lexicographic order.
void enumerate_monomials(int64_t index, int64_t remaining, std::vector<int64_t>& current,
                         std::vector<std::vector<int64_t>>& out) {
  const int64_t n = static_cast<int64_t>(current.size());
  if (index == n - 1) {
    current[index] = remaining;
    out.push_back(current);
    return;
  }
  for (int64_t power = remaining; power >= 0; --power) {
    current[index] = power;
    enumerate_monomials(index + 1, remaining - power, current, out);
  }
}

void check_inputs(const at::Tensor& exponents, const at::Tensor& z, const char* who) {
  NMFLOW_CHECK(exponents.dim() == 2 && exponents.scalar_type() == at::kLong, who,
               ": exponents must be int64 [N_k, N+1], got ", exponents.scalar_type(), " ", exponents.sizes());
  NMFLOW_CHECK(z.dim() == 2 && z.scalar_type() == at::kComplexDouble && z.size(1) == exponents.size(1), who,
               ": z must be complex128 [B, ", exponents.size(1), "], got ", z.scalar_type(), " ", z.sizes());
}

// Power table of coordinate I: [B, max_power + 1] with column p = z_I^p, built by repeated multiplication so that
// it stays differentiable (and exact for p = 0, 1).
at::Tensor power_table(const at::Tensor& z_column, int64_t max_power) {
  std::vector<at::Tensor> powers{at::ones_like(z_column)};
  for (int64_t p = 1; p <= max_power; ++p) {
    powers.push_back(powers.back() * z_column);
  }
  return at::stack(powers, /*dim=*/1);
}

}  // namespace

at::Tensor section_monomials(const Hypersurface& surface, int64_t k) {
  const int64_t n_coords = surface.n_coords();
  const int64_t d = surface.degree();
  NMFLOW_CHECK(k >= 1, "section_monomials: k must be ≥ 1, got ", k);
  const at::Tensor exps = surface.exponents().to(at::kCPU);
  const at::Tensor coeffs = surface.coefficients().to(at::kCPU);
  bool has_leading_power = false;
  for (int64_t row = 0; row < exps.size(0); ++row) {
    if (exps[row][0].item<int64_t>() == d && coeffs[row].abs().item<double>() > 0.0) {
      has_leading_power = true;
    }
  }
  NMFLOW_CHECK(has_leading_power, "section_monomials: p must contain z_0^", d,
               " with a nonzero coefficient (the leading term that makes monomials not divisible by it a basis "
               "of H^0(O(k))|_X); ", surface.name(), " does not");
  std::vector<std::vector<int64_t>> all;
  std::vector<int64_t> current(n_coords, 0);
  enumerate_monomials(0, k, current, all);
  std::vector<int64_t> flat;
  int64_t rows = 0;
  for (const auto& e : all) {
    if (e[0] >= d) {
      continue;  // divisible by z_0^d: reduces modulo p to the other monomials
    }
    flat.insert(flat.end(), e.begin(), e.end());
    ++rows;
  }
  return at::tensor(flat, at::kLong).reshape({rows, n_coords});
}

at::Tensor evaluate_monomials(const at::Tensor& exponents_in, const at::Tensor& z) {
  check_inputs(exponents_in, z, "evaluate_monomials");
  const at::Tensor exponents = exponents_in.to(z.device());
  const int64_t max_power = exponents.max().item<int64_t>();
  at::Tensor s;
  for (int64_t i = 0; i < z.size(1); ++i) {
    const at::Tensor factor = power_table(z.select(1, i), max_power).index_select(1, exponents.select(1, i));
    s = s.defined() ? s * factor : factor;
  }
  return s;
}

at::Tensor monomial_gradients(const at::Tensor& exponents_in, const at::Tensor& z) {
  check_inputs(exponents_in, z, "monomial_gradients");
  const at::Tensor exponents = exponents_in.to(z.device());
  const int64_t n_coords = z.size(1);
  const int64_t max_power = exponents.max().item<int64_t>();
  std::vector<at::Tensor> factors;       // z_I^{e_αI}: [B, N_k] each
  std::vector<at::Tensor> derivatives;   // e_αI z_I^{e_αI − 1} (0 where e_αI = 0): [B, N_k] each
  for (int64_t i = 0; i < n_coords; ++i) {
    const at::Tensor table = power_table(z.select(1, i), max_power);
    const at::Tensor e = exponents.select(1, i);
    factors.push_back(table.index_select(1, e));
    derivatives.push_back(table.index_select(1, (e - 1).clamp_min(0)) * e.to(at::kDouble).unsqueeze(0));
  }
  // Π_{J≠I} factors from exclusive prefix/suffix products (no division, exact at z_J = 0).
  std::vector<at::Tensor> prefix(n_coords + 1);
  std::vector<at::Tensor> suffix(n_coords + 1);
  prefix[0] = at::ones_like(factors[0]);
  suffix[n_coords] = at::ones_like(factors[0]);
  for (int64_t i = 0; i < n_coords; ++i) {
    prefix[i + 1] = prefix[i] * factors[i];
    suffix[n_coords - 1 - i] = suffix[n_coords - i] * factors[n_coords - 1 - i];
  }
  std::vector<at::Tensor> grads;
  for (int64_t i = 0; i < n_coords; ++i) {
    grads.push_back(derivatives[i] * prefix[i] * suffix[i + 1]);
  }
  return at::stack(grads, /*dim=*/1);
}

}  // namespace nmflow

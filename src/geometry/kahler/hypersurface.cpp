#include "geometry/kahler/hypersurface.h"

#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "common/error.h"

namespace nmflow {

Hypersurface::Hypersurface(const at::Tensor& exponents, const at::Tensor& coefficients, std::string name)
    : exponents_(exponents.contiguous()), coefficients_(coefficients.contiguous()), degree_(0), name_(std::move(name)) {
  NMFLOW_CHECK(exponents_.dim() == 2 && exponents_.scalar_type() == at::kLong, "Hypersurface ", name_,
               ": exponents must be int64 [M, N+1], got ", exponents_.scalar_type(), " ", exponents_.sizes());
  NMFLOW_CHECK(coefficients_.dim() == 1 && coefficients_.scalar_type() == at::kComplexDouble &&
                   coefficients_.size(0) == exponents_.size(0),
               "Hypersurface ", name_, ": coefficients must be complex128 [M] with M = ", exponents_.size(0),
               ", got ", coefficients_.scalar_type(), " ", coefficients_.sizes());
  NMFLOW_CHECK(exponents_.size(0) >= 1 && exponents_.size(1) >= 3, "Hypersurface ", name_,
               ": need M ≥ 1 monomials in N+1 ≥ 3 coordinates (a hypersurface of dimension ≥ 1), got exponents ",
               exponents_.sizes());
  const at::Tensor e = exponents_.cpu();
  NMFLOW_CHECK(e.min().item<int64_t>() >= 0, "Hypersurface ", name_, ": exponents must be ≥ 0, got ", e);
  const at::Tensor row_degrees = e.sum(1);
  degree_ = row_degrees[0].item<int64_t>();
  NMFLOW_CHECK(degree_ >= 1 && row_degrees.eq(degree_).all().item<bool>(), "Hypersurface ", name_,
               ": p must be homogeneous of degree ≥ 1 (all monomial degrees equal), got degrees ", row_degrees);
}

Hypersurface Hypersurface::to(const at::Device& device) const {
  return Hypersurface(exponents_.to(device), coefficients_.to(device), name_);
}

at::Tensor Hypersurface::monomial_factors(const at::Tensor& z, bool derivative) const {
  NMFLOW_CHECK(z.dim() == 2 && z.size(1) == n_coords() && z.scalar_type() == at::kComplexDouble, "Hypersurface ",
               name_, ": z must be complex128 [B, ", n_coords(), "], got ", z.scalar_type(), " ", z.sizes());
  NMFLOW_CHECK(z.device() == exponents_.device(), "Hypersurface ", name_, ": z is on ", z.device(),
               " but the polynomial is on ", exponents_.device(), " (use Hypersurface::to)");
  // powers[b, I, j] = z_I^j for j = 0..d, by repeated multiplication (exact for integer powers, unlike pow).
  std::vector<at::Tensor> powers{at::ones_like(z)};
  for (int64_t j = 1; j <= degree_; ++j) {
    powers.push_back(powers.back() * z);
  }
  const at::Tensor table = at::stack(powers, /*dim=*/2);  // [B, N+1, d+1]
  const at::Tensor e = exponents_.t().unsqueeze(0).expand({z.size(0), n_coords(), exponents_.size(0)});
  if (!derivative) {
    return table.gather(2, e);  // [B, N+1, M]
  }
  // ∂_I z_I^{e} = e z_I^{e−1}; the clamp only touches e = 0, where the factor e kills the term anyway.
  return table.gather(2, (e - 1).clamp_min(0)) * e.to(at::kDouble);
}

at::Tensor Hypersurface::evaluate(const at::Tensor& z) const {
  return at::matmul(monomial_factors(z, false).prod(1), coefficients_);  // [B, M] · [M]
}

at::Tensor Hypersurface::gradient(const at::Tensor& z) const {
  const at::Tensor factors = monomial_factors(z, false);   // [B, N+1, M]
  const at::Tensor d_factors = monomial_factors(z, true);  // [B, N+1, M]
  // ∂_I z^{e_k} = (∂_I z_I^{e_kI}) Π_{J<I} z_J^{e_kJ} Π_{J>I} z_J^{e_kJ}: exclusive prefix and suffix products
  // (no division, so zero coordinates are fine).
  const at::Tensor ones = at::ones_like(factors.narrow(1, 0, 1));
  const int64_t n = n_coords();
  const at::Tensor prefix = at::cat({ones, factors.narrow(1, 0, n - 1).cumprod(1)}, 1);
  const at::Tensor suffix = at::cat({factors.narrow(1, 1, n - 1).flip(1).cumprod(1).flip(1), ones}, 1);
  return at::matmul(d_factors * prefix * suffix, coefficients_);  // [B, N+1, M] · [M]
}

at::Tensor Hypersurface::relative_residual(const at::Tensor& z) const {
  return evaluate(z).abs() / at::linalg_vector_norm(z, 2, {1}).pow(static_cast<double>(degree_));
}

namespace {

// "(psi=0.5+0.3i)": names carry the parameter so that two members of a family never share a name.
std::string psi_suffix(std::complex<double> psi) {
  return "(psi=" + c10::str(psi.real()) + (psi.imag() < 0 ? "" : "+") + c10::str(psi.imag()) + "i)";
}

Hypersurface renamed(const Hypersurface& surface, const std::string& name) {
  return Hypersurface(surface.exponents(), surface.coefficients(), name);
}

}  // namespace

Hypersurface dwork_hypersurface(int64_t ambient_dim, std::complex<double> psi) {
  NMFLOW_CHECK(ambient_dim >= 2, "dwork_hypersurface: ambient dimension N must be ≥ 2, got ", ambient_dim);
  const int64_t n = ambient_dim + 1;
  at::Tensor exponents = at::zeros({n + 1, n}, at::kLong);
  exponents.narrow(0, 0, n).copy_(at::eye(n, at::kLong) * n);  // z_I^{N+1}
  exponents[n].fill_(1);                                         // Π_I z_I
  at::Tensor coefficients = at::ones({n + 1}, at::kComplexDouble);
  coefficients[n] = c10::complex<double>(-static_cast<double>(n) * psi.real(), -static_cast<double>(n) * psi.imag());
  return Hypersurface(exponents, coefficients, "dwork_P" + std::to_string(ambient_dim) + psi_suffix(psi));
}

Hypersurface fermat_quintic() { return renamed(dwork_hypersurface(4, 0.0), "fermat_quintic"); }
Hypersurface dwork_quintic(std::complex<double> psi) {
  return renamed(dwork_hypersurface(4, psi), "dwork_quintic" + psi_suffix(psi));
}
Hypersurface fermat_quartic() { return renamed(dwork_hypersurface(3, 0.0), "fermat_quartic"); }
Hypersurface dwork_quartic(std::complex<double> psi) {
  return renamed(dwork_hypersurface(3, psi), "dwork_quartic" + psi_suffix(psi));
}
Hypersurface fermat_cubic() { return renamed(dwork_hypersurface(2, 0.0), "fermat_cubic"); }

Hypersurface make_hypersurface(const std::string& name, const std::map<std::string, std::complex<double>>& params) {
  struct Entry {
    int64_t ambient_dim;
    bool takes_psi;
  };
  const std::map<std::string, Entry> table{
      {"fermat_quintic", {4, false}}, {"dwork_quintic", {4, true}},  {"k3_quartic", {3, false}},
      {"fermat_quartic", {3, false}}, {"dwork_quartic", {3, true}},  {"fermat_cubic", {2, false}},
      {"dwork_cubic", {2, true}}};
  std::string allowed;
  for (const auto& [key, entry] : table) {
    allowed += (allowed.empty() ? "" : ", ") + key + (entry.takes_psi ? " {psi}" : "");
  }
  const auto found = table.find(name);
  NMFLOW_CHECK(found != table.end(), "make_hypersurface: unknown hypersurface '", name, "'; allowed: ", allowed);
  const Entry entry = found->second;
  for (const auto& [key, value] : params) {
    NMFLOW_CHECK(entry.takes_psi && key == "psi", "make_hypersurface: '", name, "' takes ",
                 entry.takes_psi ? "only the parameter psi" : "no parameters", ", got '", key, "'");
  }
  std::complex<double> psi = 0.0;
  if (entry.takes_psi) {
    const auto p = params.find("psi");
    NMFLOW_CHECK(p != params.end(), "make_hypersurface: '", name, "' needs the complex parameter psi");
    psi = p->second;
  }
  return renamed(dwork_hypersurface(entry.ambient_dim, psi), entry.takes_psi ? name + psi_suffix(psi) : name);
}

}  // namespace nmflow

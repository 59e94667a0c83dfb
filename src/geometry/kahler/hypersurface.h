#pragma once
// A hypersurface X = {p(z) = 0} ⊂ P^N, p(z) = Σ_k c_k z^{e_k} homogeneous of degree d, given by monomial
// exponents [M, N+1] and complex coefficients [M] (docs/design.md §3). Complex tensors are at::kComplexDouble.
#include <ATen/core/Tensor.h>

#include <complex>
#include <map>
#include <string>

namespace nmflow {

class Hypersurface {
 public:
  // exponents: [M, N+1] int64 ≥ 0, every row summing to the same degree d ≥ 1; coefficients: [M] complex128.
  Hypersurface(const at::Tensor& exponents, const at::Tensor& coefficients, std::string name = "custom");

  int64_t n_coords() const { return exponents_.size(1); }  // N + 1
  int64_t dim() const { return n_coords() - 2; }            // m = N − 1, the complex dimension of X
  int64_t degree() const { return degree_; }                // d
  bool is_calabi_yau() const { return degree_ == n_coords(); }
  const at::Tensor& exponents() const { return exponents_; }        // [M, N+1] int64
  const at::Tensor& coefficients() const { return coefficients_; }  // [M] complex128
  const std::string& name() const { return name_; }

  // The same polynomial with its tensors on `device`.
  Hypersurface to(const at::Device& device) const;

  // z: [B, N+1] complex128 → p(z): [B] complex128.
  at::Tensor evaluate(const at::Tensor& z) const;
  // z: [B, N+1] complex128 → ∂p/∂z_I: [B, N+1] complex128.
  at::Tensor gradient(const at::Tensor& z) const;
  // z: [B, N+1] → |p(z)| / ‖z‖^d: [B] float64, the scale-invariant residual the samplers check.
  at::Tensor relative_residual(const at::Tensor& z) const;

 private:
  // [B, N+1, M] factors z_I^{e_kI} (or, with derivative, e_kI z_I^{e_kI − 1}) gathered from a power table.
  at::Tensor monomial_factors(const at::Tensor& z, bool derivative) const;

  at::Tensor exponents_;
  at::Tensor coefficients_;
  int64_t degree_;
  std::string name_;
};

// Σ_{I=0}^{N} z_I^{N+1} − (N+1) ψ Π_I z_I in P^N: the Dwork family (ψ = 0 is the Fermat hypersurface).
// N = 4: quintic threefold; N = 3: K3 quartic; N = 2: cubic curve (a torus).
Hypersurface dwork_hypersurface(int64_t ambient_dim, std::complex<double> psi);
Hypersurface fermat_quintic();
Hypersurface dwork_quintic(std::complex<double> psi);
Hypersurface fermat_quartic();
Hypersurface dwork_quartic(std::complex<double> psi);
Hypersurface fermat_cubic();

// The factory behind the CLI. Names: fermat_quintic, dwork_quintic {psi}, k3_quartic (= fermat_quartic),
// fermat_quartic, dwork_quartic {psi}, fermat_cubic, dwork_cubic {psi}. Throws nmflow::Error listing the
// allowed names for an unknown name, and the allowed keys for an unknown or missing parameter.
Hypersurface make_hypersurface(const std::string& name,
                               const std::map<std::string, std::complex<double>>& params = {});

}  // namespace nmflow

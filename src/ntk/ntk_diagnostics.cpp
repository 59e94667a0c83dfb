#include "ntk/ntk_diagnostics.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

double ntk_relative_drift(const at::Tensor& theta_t, const at::Tensor& theta_0) {
  NMFLOW_CHECK(theta_t.sizes() == theta_0.sizes(), "ntk_relative_drift: Θ_t and Θ_0 must have the same shape, got ",
               theta_t.sizes(), " and ", theta_0.sizes());
  const at::Tensor a = theta_t.detach().to(at::kDouble);
  const at::Tensor b = theta_0.detach().to(at::kDouble);
  const double reference = b.norm().item<double>();
  NMFLOW_CHECK(reference > 0.0, "ntk_relative_drift: Θ_0 is zero, the relative drift is undefined");
  return (a - b).norm().item<double>() / reference;
}

at::Tensor ntk_top_eigenvalues(const at::Tensor& theta, int64_t k) {
  NMFLOW_CHECK(theta.dim() == 2 && theta.size(0) == theta.size(1), "ntk_top_eigenvalues: Θ must be [M, M], got ",
               theta.sizes());
  NMFLOW_CHECK(k >= 1 && k <= theta.size(0), "ntk_top_eigenvalues: k must be in 1..", theta.size(0), ", got ", k);
  const at::Tensor a = theta.detach().to(at::kDouble);
  // eigvalsh returns ascending eigenvalues of the symmetric part.
  const at::Tensor ascending = at::linalg_eigvalsh((a + a.t()) / 2.0);
  return ascending.flip({0}).narrow(0, 0, k).contiguous();
}

double ntk_nonlocal_mass(const at::Tensor& theta, int64_t components) {
  NMFLOW_CHECK(components >= 1, "ntk_nonlocal_mass: components p must be ≥ 1, got ", components);
  NMFLOW_CHECK(theta.dim() == 2 && theta.size(0) == theta.size(1) && theta.size(0) % components == 0,
               "ntk_nonlocal_mass: Θ must be [B·p, B·p] with p = ", components, ", got ", theta.sizes());
  const int64_t points = theta.size(0) / components;
  // [B, B]: squared Frobenius norm of each [p, p] block.
  const at::Tensor blocks =
      theta.detach().to(at::kDouble).view({points, components, points, components}).pow(2).sum({1, 3});
  const double total = blocks.sum().item<double>();
  NMFLOW_CHECK(total > 0.0, "ntk_nonlocal_mass: Θ is zero, the non-local mass is undefined");
  return (total - blocks.diagonal().sum().item<double>()) / total;
}

}  // namespace nmflow

#include "geometry/kahler/fubini_study.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/error.h"
#include "geometry/kahler/kahler_curvature.h"

namespace nmflow {

namespace {

void check_real_coordinates(const at::Tensor& x, const char* who) {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) % 2 == 0 && x.size(1) >= 2 && x.scalar_type() == at::kDouble, who,
               ": x must be float64 [B, 2m] = (Re w, Im w), got ", x.scalar_type(), " ", x.sizes());
}

}  // namespace

at::Tensor fubini_study_ambient(const at::Tensor& z, double t) {
  NMFLOW_CHECK(z.dim() == 2 && z.scalar_type() == at::kComplexDouble,
               "fubini_study_ambient: z must be complex128 [B, N+1], got ", z.scalar_type(), " ", z.sizes());
  const at::Tensor norm_sq = at::real(z * z.conj()).sum(1).view({-1, 1, 1});  // |z|²
  const at::Tensor eye = at::eye(z.size(1), z.options());
  // G_IJ̄ = (t/π)(|z|² δ_IJ − z̄_I z_J)/|z|⁴: row I carries the conjugate.
  const at::Tensor outer = z.conj().unsqueeze(2) * z.unsqueeze(1);
  return (t / M_PI) * (norm_sq * eye - outer) / norm_sq.pow(2);
}

at::Tensor fubini_study_affine(const at::Tensor& w, double t) {
  NMFLOW_CHECK(w.dim() == 2 && w.scalar_type() == at::kComplexDouble,
               "fubini_study_affine: w must be complex128 [B, m], got ", w.scalar_type(), " ", w.sizes());
  const at::Tensor s = 1.0 + at::real(w * w.conj()).sum(1).view({-1, 1, 1});  // 1 + |w|²
  const at::Tensor eye = at::eye(w.size(1), w.options());
  return (t / M_PI) * (eye / s - w.conj().unsqueeze(2) * w.unsqueeze(1) / s.pow(2));
}

at::Tensor fubini_study_potential(const at::Tensor& x, double t) {
  check_real_coordinates(x, "fubini_study_potential");
  return (t / M_PI) * at::log1p((x * x).sum(1));
}

at::Tensor fubini_study_real_metric(const at::Tensor& x, double t) {
  check_real_coordinates(x, "fubini_study_real_metric");
  const int64_t m = x.size(1) / 2;
  const at::Tensor u = x.narrow(1, 0, m);  // Re w
  const at::Tensor v = x.narrow(1, m, m);  // Im w
  const at::Tensor s = 1.0 + (x * x).sum(1).view({-1, 1, 1});
  const at::Tensor eye = at::eye(m, x.options());
  // w̄_i w_j = (u_i u_j + v_i v_j) + i (u_i v_j − v_i u_j).
  const at::Tensor outer_re = u.unsqueeze(2) * u.unsqueeze(1) + v.unsqueeze(2) * v.unsqueeze(1);
  const at::Tensor outer_im = u.unsqueeze(2) * v.unsqueeze(1) - v.unsqueeze(2) * u.unsqueeze(1);
  const at::Tensor re = (t / M_PI) * (eye / s - outer_re / s.pow(2));
  const at::Tensor im = -(t / M_PI) * outer_im / s.pow(2);
  return real_form_from_parts(re, im);
}

}  // namespace nmflow

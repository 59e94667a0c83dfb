#include "geometry/kahler/kahler_curvature.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "common/error.h"

namespace nmflow {

namespace {

// ∂(Σ_b y_b)/∂x: row b is ∂y_b/∂x_b because y is pointwise.
at::Tensor batch_gradient(const at::Tensor& y, const at::Tensor& x, bool create_graph) {
  if (!y.requires_grad()) {
    return at::zeros_like(x);
  }
  auto grads = torch::autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
  return grads[0].defined() ? grads[0] : at::zeros_like(x);
}

// Real Hessian H[b, a, c] = ∂_a ∂_c f at x (x must require grad).
at::Tensor real_hessian(const RealScalarFn& f, const at::Tensor& x, bool create_graph) {
  const at::Tensor value = f(x);
  NMFLOW_CHECK(value.dim() == 1 && value.size(0) == x.size(0), "complex_hessian: f must return [B] = [", x.size(0),
               "], got ", value.sizes());
  const at::Tensor first = batch_gradient(value, x, /*create_graph=*/true);
  std::vector<at::Tensor> rows;
  for (int64_t a = 0; a < x.size(1); ++a) {
    rows.push_back(batch_gradient(first.select(1, a), x, create_graph));
  }
  return at::stack(rows, /*dim=*/1);
}

struct HermitianParts {
  at::Tensor re;  // [B, m, m]
  at::Tensor im;  // [B, m, m]
};

// ∂_i∂_j̄ f = ¼(f_{x_i x_j} + f_{y_i y_j}) + (i/4)(f_{x_i y_j} − f_{y_i x_j}) (docs/design.md §3).
HermitianParts wirtinger_parts(const at::Tensor& h) {
  const int64_t m = h.size(1) / 2;
  const at::Tensor hxx = h.narrow(1, 0, m).narrow(2, 0, m);
  const at::Tensor hxy = h.narrow(1, 0, m).narrow(2, m, m);
  const at::Tensor hyx = h.narrow(1, m, m).narrow(2, 0, m);
  const at::Tensor hyy = h.narrow(1, m, m).narrow(2, m, m);
  return HermitianParts{0.25 * (hxx + hyy), 0.25 * (hxy - hyx)};
}

at::Tensor prepare_coordinates(const at::Tensor& x, const char* who) {
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) % 2 == 0 && x.size(1) >= 2 && x.scalar_type() == at::kDouble, who,
               ": x must be float64 [B, 2m] = (Re w, Im w), got ", x.scalar_type(), " ", x.sizes());
  return x.detach().requires_grad_(true);
}

}  // namespace

at::Tensor real_form_from_parts(const at::Tensor& re, const at::Tensor& im) {
  NMFLOW_CHECK(re.dim() == 3 && re.sizes() == im.sizes() && re.size(1) == re.size(2),
               "real_form_from_parts: re and im must both be [B, m, m], got ", re.sizes(), " and ", im.sizes());
  const at::Tensor top = at::cat({re, im}, /*dim=*/2);
  const at::Tensor bottom = at::cat({-im, re}, /*dim=*/2);
  return 2.0 * at::cat({top, bottom}, /*dim=*/1);
}

at::Tensor real_form(const at::Tensor& h) {
  NMFLOW_CHECK(h.scalar_type() == at::kComplexDouble, "real_form: h must be complex128, got ", h.scalar_type());
  return real_form_from_parts(at::real(h), at::imag(h));
}

at::Tensor complex_hessian(const RealScalarFn& f, const at::Tensor& x_in, bool create_graph) {
  const at::Tensor x = x_in.requires_grad() ? x_in : prepare_coordinates(x_in, "complex_hessian");
  const HermitianParts parts = wirtinger_parts(real_hessian(f, x, create_graph));
  return at::complex(parts.re, parts.im);
}

KahlerCurvature kahler_curvature_from_potential(const RealScalarFn& potential, const at::Tensor& x_in) {
  const at::Tensor x = prepare_coordinates(x_in, "kahler_curvature_from_potential");
  // log det g = ½ log det of the real form [[Re g, Im g], [−Im g, Re g]] (whose determinant is |det g|²); the
  // overall factor 2 of real_form only adds a constant, which ∂∂̄ removes.
  const RealScalarFn log_det_metric = [&potential](const at::Tensor& y) {
    const HermitianParts g = wirtinger_parts(real_hessian(potential, y, /*create_graph=*/true));
    return 0.5 * at::logdet(real_form_from_parts(g.re, g.im));
  };
  const at::Tensor metric = complex_hessian(potential, x, /*create_graph=*/false).detach();
  const at::Tensor ricci = (-complex_hessian(log_det_metric, x, /*create_graph=*/false)).detach();
  const at::Tensor scalar = at::real(at::linalg_solve(metric, ricci).diagonal(0, 1, 2).sum(1));
  return KahlerCurvature{metric, ricci, scalar};
}

}  // namespace nmflow

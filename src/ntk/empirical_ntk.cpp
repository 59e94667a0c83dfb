#include "ntk/empirical_ntk.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "common/enum_names.h"
#include "common/error.h"
#include "models/symmetric_packing.h"
#include "ntk/fused_ntk.h"
#include "ntk/structured_ntk.h"

namespace nmflow {

namespace {

void check_points(const NeuralMetric& model, const at::Tensor& x, const char* name, const char* who) {
  const int64_t n = model.head().dim;
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, who, ": ", name, " must be [B, ", n, "], got ", x.sizes());
  NMFLOW_CHECK(x.scalar_type() == model.trunk().config().dtype, who, ": ", name, " has dtype ", x.scalar_type(),
               " but the model is ", model.trunk().config().dtype);
}

// Gradients of `outputs` (weighted by grad_outputs) with respect to `inputs`; an input the outputs do not depend
// on gets zeros, so the flattened layout never shifts.
std::vector<at::Tensor> gradients(const at::Tensor& outputs, const std::vector<at::Tensor>& inputs,
                                  const at::Tensor& grad_outputs, bool create_graph) {
  std::vector<at::Tensor> grads = torch::autograd::grad({outputs}, inputs, {grad_outputs}, /*retain_graph=*/true,
                                                        create_graph, /*allow_unused=*/true);
  for (size_t k = 0; k < grads.size(); ++k) {
    if (!grads[k].defined()) {
      grads[k] = at::zeros_like(inputs[k]);
    }
  }
  return grads;
}

at::Tensor flatten_all(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  flat.reserve(tensors.size());
  for (const at::Tensor& t : tensors) {
    flat.push_back(t.reshape({-1}));
  }
  return at::cat(flat);
}

// Θ·v = J(x) u with u = J(x')ᵀ v. The second factor is the vjp of the linear map w ↦ J(x)ᵀ w (built once with
// create_graph) against the cotangent u: (Jᵀ)ᵀ u = J u.
class NtkVectorProduct {
 public:
  NtkVectorProduct(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2)
      : params_(model.parameters()) {
    const at::Tensor g = packed_metric(model, x).reshape({-1});
    g2_ = packed_metric(model, x2).reshape({-1});
    w_ = at::zeros_like(g).requires_grad_(true);
    jt_w_ = gradients(g, params_, w_, /*create_graph=*/true);
  }

  int64_t rows() const { return w_.numel(); }
  int64_t columns() const { return g2_.numel(); }

  at::Tensor apply(const at::Tensor& v) const {  // v: [B'·p] → [B·p]
    const std::vector<at::Tensor> u = gradients(g2_, params_, v, /*create_graph=*/false);
    std::vector<at::Tensor> result = torch::autograd::grad(jt_w_, {w_}, u, /*retain_graph=*/true,
                                                           /*create_graph=*/false, /*allow_unused=*/true);
    return result[0].defined() ? result[0].detach() : at::zeros_like(w_).detach();
  }

 private:
  std::vector<at::Tensor> params_;
  at::Tensor g2_;
  at::Tensor w_;
  std::vector<at::Tensor> jt_w_;
};

at::Tensor ntk_from_products(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2) {
  const NtkVectorProduct product(model, x, x2);
  const at::Tensor identity = at::eye(product.columns(), x.options());
  std::vector<at::Tensor> columns;
  columns.reserve(static_cast<size_t>(product.columns()));
  for (int64_t q = 0; q < product.columns(); ++q) {
    columns.push_back(product.apply(identity[q]));
  }
  return at::stack(columns, 1);
}

constexpr EnumName<NtkMethod> kNtkMethodNames[] = {
    {NtkMethod::JacobianContraction, "jacobian"}, {NtkMethod::NtkVectorProducts, "ntk_vector_products"},
    {NtkMethod::Structured, "structured"}, {NtkMethod::Fused, "fused"}
};

}  // namespace

NtkMethod parse_ntk_method(const std::string& name) { return parse_enum(kNtkMethodNames, name, "NTK method"); }

std::string ntk_method_name(NtkMethod value) { return enum_name(kNtkMethodNames, value); }

at::Tensor packed_metric(const NeuralMetric& model, const at::Tensor& x) {
  check_points(model, x, "x", "packed_metric");
  const int64_t n = model.head().dim;
  // at::triu_indices lists the upper triangle row by row: the packing of models/symmetric_packing.h.
  const at::Tensor upper = at::triu_indices(n, n, 0, at::TensorOptions().dtype(at::kLong).device(x.device()));
  const at::Tensor flat_index = upper[0] * n + upper[1];
  const at::Tensor g = model.metric(x);
  return g.reshape({g.size(0), n * n}).index_select(1, flat_index);
}

std::vector<NtkMethod> all_ntk_methods() { return enum_values(kNtkMethodNames); }

at::Tensor metric_parameter_jacobian(const NeuralMetric& model, const at::Tensor& x) {
  check_points(model, x, "x", "metric_parameter_jacobian");
  const c10::AutoGradMode grad_mode(true);
  const std::vector<at::Tensor> params = model.parameters();
  const at::Tensor g = packed_metric(model, x).reshape({-1});
  const at::Tensor identity = at::eye(g.numel(), g.options());
  std::vector<at::Tensor> rows;
  rows.reserve(static_cast<size_t>(g.numel()));
  for (int64_t r = 0; r < g.numel(); ++r) {
    rows.push_back(flatten_all(gradients(g, params, identity[r], /*create_graph=*/false)).detach());
  }
  return at::stack(rows, 0);
}

at::Tensor ntk_vector_product(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2,
                              const at::Tensor& v) {
  check_points(model, x, "x", "ntk_vector_product");
  check_points(model, x2, "x2", "ntk_vector_product");
  const int64_t columns = x2.size(0) * packed_size(model.head().dim);
  NMFLOW_CHECK(v.dim() == 1 && v.size(0) == columns, "ntk_vector_product: v must be [B'·p] = [", columns,
               "], got ", v.sizes());
  NMFLOW_CHECK(v.scalar_type() == x.scalar_type(), "ntk_vector_product: v has dtype ", v.scalar_type(),
               " but the points are ", x.scalar_type());
  const c10::AutoGradMode grad_mode(true);
  return NtkVectorProduct(model, x, x2).apply(v.detach());
}

at::Tensor empirical_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2,
                                NtkMethod method) {
  check_points(model, x, "x", "empirical_metric_ntk");
  check_points(model, x2, "x2", "empirical_metric_ntk");
  const c10::AutoGradMode grad_mode(true);
  switch (method) {
    case NtkMethod::JacobianContraction: {
      const at::Tensor j = metric_parameter_jacobian(model, x);
      const at::Tensor j2 = metric_parameter_jacobian(model, x2);
      return at::matmul(j, j2.t());
    }
    case NtkMethod::NtkVectorProducts:
      return ntk_from_products(model, x, x2);
    case NtkMethod::Structured:
      return structured_metric_ntk(model, x, x2);
    case NtkMethod::Fused:
      return fused_metric_ntk(model, x, x2);
  }
  throw_error("empirical_metric_ntk: invalid NtkMethod enum value");
}

}  // namespace nmflow

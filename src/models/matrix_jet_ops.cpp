#include "models/matrix_jet_ops.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace nmflow {

namespace {

constexpr int kExpTaylorDegree = 16;
constexpr double kExpScaledNorm = 0.5;

MetricJet scaled(const MetricJet& x, double factor) {
  return MetricJet{x.g * factor, x.dg * factor, x.d2g * factor};
}

}  // namespace

MetricJet jet_matmul(const MetricJet& x, const MetricJet& y) {
  const int64_t batch = x.g.size(0);
  const int64_t n = x.g.size(1);
  const at::Tensor xv = x.g.reshape({batch, 1, n, n});
  const at::Tensor yv = y.g.reshape({batch, 1, n, n});
  const at::Tensor value = at::matmul(x.g, y.g);
  const at::Tensor first = at::matmul(x.dg, yv) + at::matmul(xv, y.dg);
  // cross[c,d] = X_c Y_d; the Leibniz rule needs it and its (c,d)-transpose.
  const at::Tensor cross = at::matmul(x.dg.unsqueeze(2), y.dg.unsqueeze(1));
  const at::Tensor second = at::matmul(x.d2g, yv.unsqueeze(1)) +
                            at::matmul(xv.unsqueeze(1), y.d2g) + cross + cross.transpose(1, 2);
  return MetricJet{value, first, second};
}

MetricJet jet_transpose(const MetricJet& x) {
  return MetricJet{x.g.transpose(-1, -2), x.dg.transpose(-1, -2), x.d2g.transpose(-1, -2)};
}

MetricJet jet_matrix_exp(const MetricJet& x) {
  check_metric_jet(x, "jet_matrix_exp");
  const int64_t batch = x.g.size(0);
  const int64_t n = x.g.size(1);
  const double norm = batch == 0 ? 0.0 : at::linalg_matrix_norm(x.g.detach(), "fro").max().item<double>();
  NMFLOW_CHECK(std::isfinite(norm), "jet_matrix_exp: the matrix is not finite (Frobenius norm ", norm, ")");
  const int squarings = norm > kExpScaledNorm ? static_cast<int>(std::ceil(std::log2(norm / kExpScaledNorm))) : 0;
  const MetricJet reduced = scaled(x, std::ldexp(1.0, -squarings));
  const at::Tensor identity = at::eye(n, x.g.options()).expand({batch, n, n});
  // Horner: T = I + X/1 (I + X/2 (I + … (I + X/K))).
  MetricJet taylor{identity, at::zeros_like(x.dg), at::zeros_like(x.d2g)};
  for (int k = kExpTaylorDegree; k >= 1; --k) {
    taylor = scaled(jet_matmul(reduced, taylor), 1.0 / k);
    taylor.g = taylor.g + identity;
  }
  for (int i = 0; i < squarings; ++i) {
    taylor = jet_matmul(taylor, taylor);
  }
  return taylor;
}

}  // namespace nmflow

#include "models/metric_heads.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/enum_names.h"
#include "common/error.h"
#include "models/matrix_jet_ops.h"
#include "models/mlp_jet.h"
#include "models/multi_index.h"
#include "models/symmetric_packing.h"
#include "models/weighted_gather.h"

namespace nmflow {

namespace {

at::Tensor packed_rows(int64_t n, const at::Device& device) {
  return at::tensor(packed_index_table(n), at::TensorOptions().dtype(at::kLong)).to(device);
}

// [n, n] weight of each output in the placed matrix: P(f) (symmetric, 1 and 1/√2) or L (lower triangle, 1).
at::Tensor placement_weights(MetricHeadKind kind, int64_t n, const at::TensorOptions& options) {
  const at::Tensor ones = at::ones({n, n}, options);
  if (kind == MetricHeadKind::FreeSpd) {
    return at::tril(ones);
  }
  return at::eye(n, options) + (ones - at::eye(n, options)) * M_SQRT1_2;
}

// f: [B, p, rest…] → [B, n, n, rest…] with entry (i, j) = weight_ij f_{p(i,j)}.
at::Tensor place(const at::Tensor& f, const at::Tensor& weights, int64_t n) {
  std::vector<int64_t> shape{f.size(0), n, n};
  std::vector<int64_t> weight_shape{n, n};
  for (int64_t d = 2; d < f.dim(); ++d) {
    shape.push_back(f.size(d));
    weight_shape.push_back(1);
  }
  return f.index_select(1, packed_rows(n, f.device())).view(shape) * weights.view(weight_shape);
}

// The matrix placed from the outputs' 2-jet, as a matrix jet (dg [B,c,i,j], d2g [B,c,d,i,j]).
MetricJet place_jet(const MlpJet2& f, const at::Tensor& weights, int64_t n) {
  return MetricJet{place(f.value, weights, n), place(f.grad, weights, n).permute({0, 3, 1, 2}),
                   place(f.hess, weights, n).permute({0, 3, 4, 1, 2})};
}

// Gathers P(f) or L and its first and second derivatives from the packed 2-jet [B, 1 + M, O]: entry (i, j) of
// the value block is weight_ij · packed[b, 0, p(i,j)], of ∂_c the same from row 1 + row(c), of ∂_c∂_d from
// row 1 + row(c, d) (multi_index_table(n, 2) rows). Layout as place_jet: g [B,i,j], dg [B,c,i,j], d2g [B,c,d,i,j].
MetricJet place_packed_jet(const at::Tensor& packed, const at::Tensor& weights, int64_t n) {
  const int64_t batch = packed.size(0);
  const int64_t outputs = packed.size(2);
  const MultiIndexTable& table = multi_index_table(n, 2);
  NMFLOW_CHECK(packed.dim() == 3 && packed.size(1) == 1 + table.rows(), "metric_jet_from_packed: packed must be [B, ",
               1 + table.rows(), ", O], got ", packed.sizes());
  const std::vector<int64_t> entry = packed_index_table(n);
  const std::vector<int64_t> first = table.full_rows(1);
  const std::vector<int64_t> second = table.full_rows(2);
  const at::Tensor flat = packed.reshape({batch, packed.size(1) * outputs});
  const at::Tensor w = weights.reshape({n * n});
  // rows: the packed row (1 + table row, or 0 for the value) of each derivative block, in output order.
  const auto gather = [&](const std::vector<int64_t>& rows) {
    std::vector<int64_t> index;
    index.reserve(rows.size() * entry.size());
    for (const int64_t row : rows) {
      for (const int64_t e : entry) index.push_back(row * outputs + e);
    }
    const at::Tensor idx = at::tensor(index, at::TensorOptions().dtype(at::kLong)).to(packed.device());
    return weighted_gather(flat, idx, w.repeat({static_cast<int64_t>(rows.size())}));
  };
  std::vector<int64_t> rows1, rows2;
  for (const int64_t r : first) rows1.push_back(1 + r);
  for (const int64_t r : second) rows2.push_back(1 + r);
  return MetricJet{gather({0}).view({batch, n, n}), gather(rows1).view({batch, n, n, n}),
                   gather(rows2).view({batch, n, n, n, n})};
}

at::Tensor reference_or(const MetricHead& head, const at::Tensor& fallback) {
  return head.reference.defined() ? head.reference.to(fallback.options()) : fallback;
}

MetricJet conformal_jet(const MetricHead& head, const MlpJet2& f) {
  const int64_t n = head.dim;
  const at::Tensor g_hat = reference_or(head, at::eye(n, f.value.options()));
  const at::Tensor u1 = f.grad.select(1, 0);   // [B, c]
  const at::Tensor u2 = f.hess.select(1, 0);   // [B, c, d]
  const at::Tensor e = at::exp(2.0 * f.value.select(1, 0));  // [B]
  // ∂_c g = 2 u_c e^{2u} ĝ;  ∂_c∂_d g = (2 u_cd + 4 u_c u_d) e^{2u} ĝ.
  const at::Tensor first = 2.0 * u1 * e.unsqueeze(1);
  const at::Tensor second = (2.0 * u2 + 4.0 * u1.unsqueeze(2) * u1.unsqueeze(1)) * e.view({-1, 1, 1});
  return MetricJet{e.view({-1, 1, 1}) * g_hat, first.unsqueeze(-1).unsqueeze(-1) * g_hat,
                   second.unsqueeze(-1).unsqueeze(-1) * g_hat};
}

void check_outputs(const MetricHead& head, const at::Tensor& value, const char* who) {
  const int64_t outputs = head_output_dim(head.kind, head.dim);
  NMFLOW_CHECK(value.dim() == 2 && value.size(1) == outputs, who, ": head '", metric_head_name(head.kind),
               "' with n = ", head.dim, " needs outputs [B, ", outputs, "], got ", value.sizes());
}

// g from the placed matrix jet (P(f) or L) of a matrix head: L Lᵀ + εI (Leibniz), g_ref + P(f), or
// e₀ᵀ exp(P(f)) e₀ (jet_matrix_exp).
MetricJet metric_jet_from_placed(const MetricHead& head, const MetricJet& placed) {
  const int64_t n = head.dim;
  const at::TensorOptions options = placed.g.options();
  switch (head.kind) {
    case MetricHeadKind::FreeSpd: {
      MetricJet g = jet_matmul(placed, jet_transpose(placed));
      g.g = g.g + head.epsilon * at::eye(n, options);
      return g;
    }
    case MetricHeadKind::Symmetric: {
      MetricJet g = placed;
      if (head.reference.defined()) {
        g.g = g.g + head.reference.to(options);
      }
      return g;
    }
    case MetricHeadKind::FrameExponential: {
      const at::Tensor frame = reference_or(head, at::eye(n, options));
      const MetricJet e = jet_matrix_exp(placed);
      const at::Tensor frame_t = frame.t();
      return MetricJet{at::matmul(at::matmul(frame_t, e.g), frame), at::matmul(at::matmul(frame_t, e.dg), frame),
                       at::matmul(at::matmul(frame_t, e.d2g), frame)};
    }
    case MetricHeadKind::Conformal:
      break;
  }
  throw_error("metric_jet_from_placed: not a matrix head");
}


}  // namespace

MetricHeadKind parse_metric_head(const std::string& name) {
  return parse_enum(kMetricHeadKindNames, name, "metric head");
}

std::string metric_head_name(MetricHeadKind value) { return enum_name(kMetricHeadKindNames, value); }

void check_metric_head(const MetricHead& head) {
  NMFLOW_CHECK(head.dim >= 1, "metric head: dimension n must be ≥ 1, got ", head.dim);
  if (head.reference.defined()) {
    NMFLOW_CHECK(head.reference.sizes() == at::IntArrayRef({head.dim, head.dim}), "metric head '",
                 metric_head_name(head.kind), "': reference must be [", head.dim, ", ", head.dim, "], got ",
                 head.reference.sizes());
    NMFLOW_CHECK(head.kind != MetricHeadKind::FreeSpd, "metric head 'free_spd' takes no reference matrix");
  }
  NMFLOW_CHECK(head.kind != MetricHeadKind::FreeSpd || (std::isfinite(head.epsilon) && head.epsilon >= 0.0),
               "metric head 'free_spd': epsilon must be finite and ≥ 0, got ", head.epsilon);
}

int64_t head_output_dim(MetricHeadKind kind, int64_t n) {
  return kind == MetricHeadKind::Conformal ? 1 : packed_size(n);
}

at::Tensor metric_from_outputs(const MetricHead& head, const at::Tensor& f) {
  check_metric_head(head);
  check_outputs(head, f, "metric_from_outputs");
  const int64_t n = head.dim;
  const at::TensorOptions options = f.options();
  switch (head.kind) {
    case MetricHeadKind::FreeSpd: {
      const at::Tensor lower = place(f, placement_weights(head.kind, n, options), n);
      return at::matmul(lower, lower.transpose(1, 2)) + head.epsilon * at::eye(n, options);
    }
    case MetricHeadKind::Symmetric: {
      const at::Tensor sym = place(f, placement_weights(head.kind, n, options), n);
      return head.reference.defined() ? sym + head.reference.to(options) : sym;
    }
    case MetricHeadKind::Conformal:
      return at::exp(2.0 * f).view({-1, 1, 1}) * reference_or(head, at::eye(n, options));
    case MetricHeadKind::FrameExponential: {
      const at::Tensor frame = reference_or(head, at::eye(n, options));
      const at::Tensor s = place(f, placement_weights(head.kind, n, options), n);
      return at::matmul(at::matmul(frame.t(), at::linalg_matrix_exp(s)), frame);
    }
  }
  throw_error("metric_from_outputs: invalid MetricHeadKind enum value");
}

MetricJet metric_jet_from_outputs(const MetricHead& head, const MlpJet2& f) {
  check_metric_head(head);
  check_outputs(head, f.value, "metric_jet_from_outputs");
  if (head.kind == MetricHeadKind::Conformal) return conformal_jet(head, f);
  const int64_t n = head.dim;
  return metric_jet_from_placed(head, place_jet(f, placement_weights(head.kind, n, f.value.options()), n));
}

MetricJet metric_jet_from_packed(const MetricHead& head, const at::Tensor& packed) {
  check_metric_head(head);
  NMFLOW_CHECK(packed.dim() == 3, "metric_jet_from_packed: packed must be [B, R, O], got ", packed.sizes());
  check_outputs(head, packed.select(1, 0), "metric_jet_from_packed");
  const int64_t n = head.dim;
  if (head.kind == MetricHeadKind::Conformal) return conformal_jet(head, jet2_from_packed(packed, n));
  return metric_jet_from_placed(head, place_packed_jet(packed, placement_weights(head.kind, n, packed.options()), n));
}

}  // namespace nmflow

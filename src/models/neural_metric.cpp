#include "models/neural_metric.h"

#include <vector>

#include <ATen/ATen.h>

#include "common/error.h"
#include "models/mlp_jet.h"

namespace nmflow {

MlpConfig NeuralMetric::with_head_outputs(MlpConfig trunk, const MetricHead& head) {
  check_metric_head(head);
  const int64_t outputs = head_output_dim(head.kind, head.dim);
  NMFLOW_CHECK(trunk.input_dim == head.dim, "NeuralMetric: trunk input_dim (", trunk.input_dim,
               ") must equal the metric dimension n = ", head.dim);
  NMFLOW_CHECK(trunk.output_dim == 0 || trunk.output_dim == outputs, "NeuralMetric: head '",
               metric_head_name(head.kind), "' with n = ", head.dim, " reads ", outputs,
               " outputs, but trunk output_dim = ", trunk.output_dim, " (use 0 to set it from the head)");
  trunk.output_dim = outputs;
  return trunk;
}

NeuralMetric::NeuralMetric(MlpConfig trunk, MetricHead head)
    : head_(std::move(head)), trunk_(with_head_outputs(std::move(trunk), head_)) {
  if (head_.reference.defined()) {
    head_.reference = head_.reference.to(trunk_.config().dtype);
  }
}

at::Tensor NeuralMetric::metric(const at::Tensor& x) const {
  return metric_from_outputs(head_, trunk_.forward(x));
}

MetricJet NeuralMetric::jet(const at::Tensor& x) const {
  // The trunk tiles the batch itself (jet_trunk.h) and the head reads its packed rows directly, so the whole batch
  // goes in one call: blocking it here would only add per-block overhead and a final cat.
  return metric_jet_from_packed(head_, mlp_jet2_packed(trunk_, x));
}

}  // namespace nmflow

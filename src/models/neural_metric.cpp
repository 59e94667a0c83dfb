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
  // Point blocks: the jet's temporaries are (1 + n + n(n+1)/2) × B × width; at B in the thousands each is tens of MB,
  // and glibc hands such blocks back to the kernel on free, so every op pays fresh page faults (measured: 65 % of
  // the time at B = 4096, n = 6; docs/BENCHMARKS.md). Blocks of kJetBlock points keep them cache- and heap-resident.
  constexpr int64_t kJetBlock = 256;
  if (x.size(0) <= kJetBlock) {
    return metric_jet_from_outputs(head_, mlp_jet2(trunk_, x));
  }
  std::vector<at::Tensor> g, dg, d2g;
  for (const at::Tensor& block : x.split(kJetBlock, 0)) {
    MetricJet part = metric_jet_from_outputs(head_, mlp_jet2(trunk_, block));
    g.push_back(std::move(part.g));
    dg.push_back(std::move(part.dg));
    d2g.push_back(std::move(part.d2g));
  }
  return MetricJet{at::cat(g, 0), at::cat(dg, 0), at::cat(d2g, 0)};
}

}  // namespace nmflow

#pragma once
// MetricJet: the 2-jet of a metric at a batch of points — the unit of work for curvature (docs/design.md §2).
#include <ATen/core/Tensor.h>

namespace nmflow {

struct MetricJet {
  at::Tensor g;    // [B, n, n]        g[b,i,j]         = g_ij(x_b), symmetric positive definite
  at::Tensor dg;   // [B, n, n, n]     dg[b,c,i,j]      = ∂_c g_ij
  at::Tensor d2g;  // [B, n, n, n, n]  d2g[b,c,d,i,j]   = ∂_c ∂_d g_ij (symmetric in c,d and in i,j)

  int64_t batch() const { return g.size(0); }
  int64_t dim() const { return g.size(1); }
};

// Throws nmflow::Error naming `who` unless the three tensors have the shapes above, one dtype and one device.
void check_metric_jet(const MetricJet& jet, const char* who);

}  // namespace nmflow

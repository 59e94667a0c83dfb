#include "geometry/metric_jet.h"

#include "common/error.h"

namespace nmflow {

void check_metric_jet(const MetricJet& jet, const char* who) {
  NMFLOW_CHECK(jet.g.defined() && jet.dg.defined() && jet.d2g.defined(), who, ": metric jet has undefined tensors");
  NMFLOW_CHECK(jet.g.dim() == 3 && jet.g.size(1) == jet.g.size(2), who, ": g must be [B, n, n], got ", jet.g.sizes());
  const int64_t b = jet.g.size(0);
  const int64_t n = jet.g.size(1);
  NMFLOW_CHECK(jet.dg.sizes() == at::IntArrayRef({b, n, n, n}), who, ": dg must be [B, n, n, n] = [", b, ", ", n,
               ", ", n, ", ", n, "], got ", jet.dg.sizes());
  NMFLOW_CHECK(jet.d2g.sizes() == at::IntArrayRef({b, n, n, n, n}), who, ": d2g must be [B, n, n, n, n] = [", b,
               ", ", n, ", ", n, ", ", n, ", ", n, "], got ", jet.d2g.sizes());
  NMFLOW_CHECK(jet.g.is_floating_point(), who, ": g must be float32 or float64, got ", jet.g.scalar_type());
  NMFLOW_CHECK(jet.dg.scalar_type() == jet.g.scalar_type() && jet.d2g.scalar_type() == jet.g.scalar_type(), who,
               ": g, dg, d2g must share one dtype, got ", jet.g.scalar_type(), ", ", jet.dg.scalar_type(), ", ",
               jet.d2g.scalar_type());
  NMFLOW_CHECK(jet.dg.device() == jet.g.device() && jet.d2g.device() == jet.g.device(), who,
               ": g, dg, d2g must be on one device, got ", jet.g.device(), ", ", jet.dg.device(), ", ",
               jet.d2g.device());
}

}  // namespace nmflow

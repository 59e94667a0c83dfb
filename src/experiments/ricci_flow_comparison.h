#pragma once
// RicciFlowComparison: section `compare` of kind real_metric_flow (docs/flow_comparison.md). The reference Ricci flow
// ∂_t g = −2 Ric from the network's own g₀ (a RicciFlowCase of the family io/config_yaml_compare.cpp maps the
// manifold to), advanced to each compared flow time t = Σ η of the network and measured against it: the pointwise
// relative deviation d(g, g_ref) at the probes (flow_comparison.h) and the diffeomorphism-invariant volume, ∫R dV,
// ∫R² dV and W₂ between the volume-weighted distributions of R.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "experiments/ricci_flow_case.h"
#include "io/config_ricci_flow.h"
#include "io/hdf5_file.h"
#include "io/trajectory_recorder.h"

namespace nmflow {

// The network's side of one comparison, detached, on the run's device and dtype.
struct NetworkFlowFields {
  at::Tensor probe_g;         // [P, n, n] g at the probe points
  at::Tensor x;               // [M, n]    the points of the Monte-Carlo integrals (the run's probe points)
  at::Tensor weights;         // [M]       their weights w: ∫ h dⁿx ≈ mean(w h)
  at::Tensor scalar;          // [M]       R there
  at::Tensor volume_density;  // [M]       √det g there: ∫ f dV_g ≈ mean(w f √det g)
};

class RicciFlowComparison {
 public:
  explicit RicciFlowComparison(const RicciFlowConfig& reference);
  RicciFlowComparison(const RicciFlowComparison&) = delete;  // reference_ refers to config_
  RicciFlowComparison& operator=(const RicciFlowComparison&) = delete;

  // Throws nmflow::Error unless the network's g₀ at the probes equals the reference's to 1e-12 (relative to the
  // largest |g_ij|), and keeps g₀ as the yardstick of a network that does not move. probe_x: [P, n];
  // probe_g: [P, n, n]. Call it before compare().
  void check_start(const at::Tensor& probe_x, const at::Tensor& probe_g);
  // Advances the reference to flow time t (no step when t is its time already); throws when t is before it.
  void advance_to(double t);
  // The comparison at the network's flow time t after steps_done steps: the reference advanced to t while t is
  // before its extinction time, else left where it is and every reference value NaN (reference_alive = 0).
  CompareRecord compare(int64_t steps_done, double t, const at::Tensor& probe_x, const NetworkFlowFields& net);
  // The /compare group's attributes (docs/hdf5.md): reference, gauge, extinction_time, time.
  void write_attributes(Hdf5File& file) const;

  double extinction_time() const { return extinction_time_; }  // NaN for an immortal flow
  double time() const { return reference_.time(); }

 private:
  RicciFlowConfig config_;
  RicciFlowCase reference_;
  double extinction_time_;
  at::Tensor start_g_;  // [P, n, n] g₀ at the probes (CPU, float64)
};

}  // namespace nmflow

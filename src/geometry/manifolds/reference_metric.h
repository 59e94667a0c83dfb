#pragma once
// ReferenceMetric: a closed-form metric written in a coordinate chart, with an exact 2-jet. These are the oracles
// of docs/design.md §6 (round and hyperbolic space forms, Berger and left-invariant SU(2) spheres, conformal tori,
// products, the cigar and King–Rosenau solutions) and the starting metrics of the reference flows.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "geometry/metric_jet.h"

namespace nmflow {

class ReferenceMetric {
 public:
  virtual ~ReferenceMetric() = default;
  virtual std::string name() const = 0;
  virtual int64_t dim() const = 0;
  // x: [B, n] chart coordinates → g: [B, n, n]. Plain differentiable LibTorch ops in x's dtype and device, so
  // nested autograd (jet_by_autograd) and parameter gradients flow through it.
  virtual at::Tensor metric(const at::Tensor& x) const = 0;
  // x: [B, n] → the exact 2-jet in float64 on x's device (forward-mode Taylor arithmetic, no autograd).
  virtual MetricJet jet(const at::Tensor& x) const = 0;
};

// Names accepted by make_reference_metric, each with its parameters (defaults in brackets; docs/geometry.md):
//   flat_torus       dim [2], length [2π] (all axes), length<i> (axis i = 1..dim),
//                    g<i>_<j> (off-diagonal entry of the constant metric, i < j)
//   round_sphere     dim [2], radius [1]
//   hyperbolic       dim [2]
//   berger           A [1], B [1]              (A(σ₁² + σ₂²) + Bσ₃² on S^3, Euler-angle chart)
//   su2              A [1], B [1], C [1]       (Aσ₁² + Bσ₂² + Cσ₃²)
//   conformal_torus  cos_<kx>_<ky>, sin_<kx>_<ky> (Fourier amplitudes of u; none: u = 0)
//   sphere_torus     radius [1], sphere_dim [2], torus_dim [1], length [2π]   (S^m(r) × T^k)
//   cigar            t [0]
//   king_rosenau     t [−1] (t < 0)
// Unknown names or parameters and out-of-range values throw nmflow::Error naming the allowed ones.
std::unique_ptr<ReferenceMetric> make_reference_metric(const std::string& name,
                                                       const std::map<std::string, double>& params);

std::vector<std::string> reference_metric_names();

}  // namespace nmflow

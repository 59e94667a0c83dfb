#pragma once
// PointSet: sampled points in chart coordinates with integration weights.
//
// Weight convention (all samplers; docs/geometry.md "Charts, measures and weights"): the weights integrate against
// the chart's coordinate Lebesgue measure d^n x in the MEAN convention,
//     ∫ f d^n x ≈ mean_b(w_b f(x_b)),
// i.e. w = 1/p(x) with p the sampling density with respect to d^n x. Hence for ANY metric g written in that chart
//     ∫ f dV_g ≈ mean(w f √det g),   Vol_g ≈ mean(w √det g),
// which is docs/design.md §3's Vol = mean(w) with the metric's volume element folded in. Points of different charts are
// summed together: each sampler's charts partition the manifold (up to measure zero), so no overlap is counted twice.
#include <ATen/core/Tensor.h>

#include <string>

namespace nmflow {

struct PointSet {
  at::Tensor x;         // [B, n] float64 chart coordinates
  at::Tensor weights;   // [B]    float64, ∫ f d^n x ≈ mean(weights · f)
  at::Tensor chart;     // [B]    int64 chart index (meaning fixed by the sampler)
  std::string measure;  // how the points were drawn, e.g. "uniform_sphere"
};

}  // namespace nmflow

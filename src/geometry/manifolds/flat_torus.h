#pragma once
// Flat torus T^n = R^n / (2π Z)^n in the chart x ∈ [0, 2π)^n with a constant SPD metric G (docs/design.md §6: Ric = 0).
// Per-axis circumferences L_i are G = diag((L_i / 2π)²); the volume is (2π)^n √det G.
#include <cstdint>
#include <memory>
#include <vector>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

// gram: n·n row-major entries of G (symmetric positive definite, checked).
std::unique_ptr<ReferenceMetric> make_flat_torus(const std::vector<double>& gram, int64_t n);

}  // namespace nmflow

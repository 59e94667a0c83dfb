#pragma once
// Constant-curvature reference metrics (docs/design.md §6):
//   round S^n of radius r in a stereographic chart: g = 4r² |dx|² / (1 + |x|²)²  → Ric = (n−1)/r² g, R = n(n−1)/r².
//     The same formula holds in both charts (projection from the north or the south pole; transition x ↦ x/|x|²).
//   hyperbolic H^n in the upper half-space x = (x_1, …, x_{n−1}, y), y > 0: g = |dx|² / y²  → Ric = −(n−1) g.
#include <cstdint>
#include <memory>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

std::unique_ptr<ReferenceMetric> make_round_sphere(int64_t n, double radius);  // 2 ≤ n ≤ 8, radius > 0
std::unique_ptr<ReferenceMetric> make_hyperbolic(int64_t n);                   // 2 ≤ n ≤ 8

}  // namespace nmflow

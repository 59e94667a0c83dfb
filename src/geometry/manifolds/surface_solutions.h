#pragma once
// Closed-form Ricci-flow solutions on surfaces, as metrics at a fixed time t (docs/design.md §6):
//   Hamilton's cigar on R²:  g = (dx² + dy²) / (e^{4t} + x² + y²),           R = 4e^{4t} / (e^{4t} + r²).
//   King–Rosenau on S², chart (x, θ) ∈ R × [0, 2π), t < 0:
//     g = 2 sinh(−2t) / (cosh 2x + cosh 2t) (dx² + dθ²),  area −8πt,
//     R = 2(1 + cosh 2t cosh 2x) / (sinh(−2t) (cosh 2x + cosh 2t))  (R = −2e^{−2u}Δu): 2/sinh(−2t) at the equator
//     x = 0, → 2 coth(−2t) at the poles x → ±∞.
#include <memory>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

std::unique_ptr<ReferenceMetric> make_hamilton_cigar(double t);
std::unique_ptr<ReferenceMetric> make_king_rosenau(double t);  // t < 0

}  // namespace nmflow

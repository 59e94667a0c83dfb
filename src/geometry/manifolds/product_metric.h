#pragma once
// Riemannian product M₁ × M₂: x = (x₁, x₂), g = diag(g₁(x₁), g₂(x₂)). The jet is block-diagonal too: ∂g₁ only
// along x₁, ∂g₂ only along x₂, so curvature splits into the factors' (docs/design.md §6: S²(r) × T^k).
#include <memory>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

std::unique_ptr<ReferenceMetric> make_product_metric(std::unique_ptr<ReferenceMetric> first,
                                                     std::unique_ptr<ReferenceMetric> second);

}  // namespace nmflow

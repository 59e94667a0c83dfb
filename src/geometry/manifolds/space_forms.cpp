#include "geometry/manifolds/space_forms.h"

#include <ATen/ATen.h>

#include "geometry/manifolds/formula_metric.h"

namespace nmflow {

namespace {

struct RoundSphereFormula {
  static constexpr int kMinDim = 2;
  static constexpr int kMaxDim = kMaxTaylorDim;
  int64_t n;
  double radius;

  template <class S>
  void operator()(const S* x, S* g) const {
    S norm2 = x[0] * x[0];
    for (int64_t a = 1; a < n; ++a) {
      norm2 = norm2 + x[a] * x[a];
    }
    const S one_plus = 1.0 + norm2;
    write_conformally_flat<S>((4.0 * radius * radius) / (one_plus * one_plus), x[0], n, g);
  }
};

struct HyperbolicFormula {
  static constexpr int kMinDim = 2;
  static constexpr int kMaxDim = kMaxTaylorDim;
  int64_t n;

  template <class S>
  void operator()(const S* x, S* g) const {
    const S& y = x[n - 1];
    write_conformally_flat<S>(1.0 / (y * y), y, n, g);
  }
};

}  // namespace

std::unique_ptr<ReferenceMetric> make_round_sphere(int64_t n, double radius) {
  NMFLOW_CHECK(radius > 0.0, "round_sphere: radius must be > 0, got ", radius);
  return std::make_unique<FormulaMetric<RoundSphereFormula>>("round_sphere", RoundSphereFormula{n, radius});
}

std::unique_ptr<ReferenceMetric> make_hyperbolic(int64_t n) {
  return std::make_unique<FormulaMetric<HyperbolicFormula>>("hyperbolic", HyperbolicFormula{n});
}

}  // namespace nmflow

#include "geometry/manifolds/surface_solutions.h"

#include <ATen/ATen.h>

#include <cmath>

#include "geometry/manifolds/formula_metric.h"

namespace nmflow {

namespace {

struct HamiltonCigarFormula {
  static constexpr int kMinDim = 2;
  static constexpr int kMaxDim = 2;
  int64_t n = 2;
  double t;

  template <class S>
  void operator()(const S* x, S* g) const {
    write_conformally_flat<S>(1.0 / (std::exp(4.0 * t) + x[0] * x[0] + x[1] * x[1]), x[0], n, g);
  }
};

struct KingRosenauFormula {
  static constexpr int kMinDim = 2;
  static constexpr int kMaxDim = 2;
  int64_t n = 2;
  double t;

  template <class S>
  void operator()(const S* x, S* g) const {
    using std::cosh;
    write_conformally_flat<S>((2.0 * std::sinh(-2.0 * t)) / (cosh(2.0 * x[0]) + std::cosh(2.0 * t)), x[0], n, g);
  }
};

}  // namespace

std::unique_ptr<ReferenceMetric> make_hamilton_cigar(double t) {
  NMFLOW_CHECK(std::isfinite(std::exp(4.0 * t)) && std::exp(4.0 * t) > 0.0,
               "cigar: e^{4t} must be finite and > 0, got t = ", t);
  return std::make_unique<FormulaMetric<HamiltonCigarFormula>>("cigar", HamiltonCigarFormula{2, t});
}

std::unique_ptr<ReferenceMetric> make_king_rosenau(double t) {
  NMFLOW_CHECK(t < 0.0, "king_rosenau: t must be < 0 (an ancient solution, extinct at t = 0), got ", t);
  return std::make_unique<FormulaMetric<KingRosenauFormula>>("king_rosenau", KingRosenauFormula{2, t});
}

}  // namespace nmflow

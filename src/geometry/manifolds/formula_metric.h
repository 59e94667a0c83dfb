#pragma once
// FormulaMetric<Formula>: a ReferenceMetric built from one closed-form formula
//   struct Formula { int64_t n; ...; static constexpr int kMinDim, kMaxDim;
//                    template <class S> void operator()(const S* x, S* g) const; };   // x[n] → g[n*n] row-major
// evaluated with S = at::Tensor (coordinate columns [B]: the differentiable torch metric) and S = Taylor2<n>
// (the exact 2-jet). Formulas write `using std::sin;` etc. and call functions unqualified, so ADL picks
// at::sin for tensors and nmflow::sin for Taylor2; constants enter as doubles (`1.0 + r2`, `0.0 * x[0]`).
// Include only from .cpp files that also include <ATen/ATen.h> (the tensor ops are found at instantiation).
#include <ATen/core/Tensor.h>

#include <array>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/taylor2.h"

namespace nmflow {

// Largest chart dimension with a Taylor2 jet (the Hessian is carried densely, cost O(n²) per operation).
inline constexpr int kMaxTaylorDim = 8;

// fn(x, g, dg, d2g) fills one point's jet: x [n], g [n·n] (i,j), dg [n³] (c,i,j), d2g [n⁴] (c,d,i,j).
using PointJetFn = std::function<void(const double*, double*, double*, double*)>;

// x: [B, n] → the jet from fn at every point (float64, CPU, parallel over points), returned on x's device.
MetricJet jet_from_points(const at::Tensor& x, int64_t n, const PointJetFn& fn, const std::string& who);

// x: [B, n] → its n coordinate columns, each [B]; throws naming `who` on a wrong shape.
std::vector<at::Tensor> coordinate_columns(const at::Tensor& x, int64_t n, const std::string& who);

// entries: n·n tensors [B] (row-major g_ij) → g: [B, n, n].
at::Tensor stack_metric_entries(const std::vector<at::Tensor>& entries, int64_t n);

// g[n·n] (row-major) = factor · δ_ij for a conformally flat formula. The zero entries are 0·x0 so that with
// S = at::Tensor they carry x's batch shape and dtype (and with S = Taylor2 a zero jet).
template <class S>
void write_conformally_flat(const S& factor, const S& x0, int64_t n, S* g) {
  const S zero = 0.0 * x0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      g[i * n + j] = i == j ? factor : zero;
    }
  }
}

template <int N, class Formula>
void taylor_point_jet(const Formula& formula, const double* x, double* g, double* dg, double* d2g) {
  std::array<Taylor2<N>, N> xt;
  std::array<Taylor2<N>, N * N> gt;
  for (int a = 0; a < N; ++a) {
    xt[a] = Taylor2<N>::variable(x[a], a);
  }
  formula(xt.data(), gt.data());
  constexpr int nn = N * N;
  for (int k = 0; k < nn; ++k) {
    g[k] = gt[k].v;
    for (int c = 0; c < N; ++c) {
      dg[c * nn + k] = gt[k].d[c];
      for (int e = 0; e < N; ++e) {
        d2g[(c * N + e) * nn + k] = gt[k].h[c * N + e];
      }
    }
  }
}

// The per-point jet function for runtime dimension n, dispatched over N ∈ [Formula::kMinDim, Formula::kMaxDim].
template <class Formula, int N = Formula::kMinDim>
PointJetFn taylor_jet_fn(const Formula& formula, int64_t n) {
  static_assert(Formula::kMaxDim <= kMaxTaylorDim, "Taylor2 jets are instantiated up to kMaxTaylorDim");
  if (n == N) {
    return [formula](const double* x, double* g, double* dg, double* d2g) {
      taylor_point_jet<N>(formula, x, g, dg, d2g);
    };
  }
  if constexpr (N < Formula::kMaxDim) {
    return taylor_jet_fn<Formula, N + 1>(formula, n);
  } else {
    throw_error(c10::str("no Taylor2 jet for dimension ", n, "; allowed ", Formula::kMinDim, "..",
                         Formula::kMaxDim));
  }
}

template <class Formula>
class FormulaMetric : public ReferenceMetric {
 public:
  FormulaMetric(std::string name, Formula formula) : name_(std::move(name)), formula_(std::move(formula)) {
    NMFLOW_CHECK(formula_.n >= Formula::kMinDim && formula_.n <= Formula::kMaxDim, name_, ": dim must be in [",
                 Formula::kMinDim, ", ", Formula::kMaxDim, "], got ", formula_.n);
  }

  std::string name() const override { return name_; }
  int64_t dim() const override { return formula_.n; }

  // x: [B, n] → g: [B, n, n]
  at::Tensor metric(const at::Tensor& x) const override {
    const std::vector<at::Tensor> columns = coordinate_columns(x, formula_.n, name_);
    std::vector<at::Tensor> entries(formula_.n * formula_.n);
    formula_(columns.data(), entries.data());
    return stack_metric_entries(entries, formula_.n);
  }

  // x: [B, n] → exact float64 jet
  MetricJet jet(const at::Tensor& x) const override {
    return jet_from_points(x, formula_.n, taylor_jet_fn(formula_, formula_.n), name_);
  }

 protected:
  const Formula& formula() const { return formula_; }

 private:
  std::string name_;
  Formula formula_;
};

}  // namespace nmflow

#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <string>
#include <vector>

#include "geometry/autograd_jet.h"
#include "models/matrix_jet_ops.h"
#include "models/metric_heads.h"
#include "models/mlp_jet.h"
#include "models/neural_metric.h"
#include "models/symmetric_packing.h"
#include "support/tolerance.h"

using nmflow::MetricHead;
using nmflow::MetricHeadKind;
using nmflow::MetricJet;
using nmflow::NeuralMetric;

namespace {

const std::vector<MetricHeadKind> kHeads{MetricHeadKind::FreeSpd, MetricHeadKind::Symmetric,
                                         MetricHeadKind::Conformal, MetricHeadKind::FrameExponential};

// A head with a non-trivial constant matrix: SPD g_ref / ĝ, or a generic frame e₀.
MetricHead make_head(MetricHeadKind kind, int64_t n) {
  MetricHead head;
  head.kind = kind;
  head.dim = n;
  head.epsilon = 0.05;
  const at::Tensor a = at::randn({n, n}, at::kDouble);
  if (kind == MetricHeadKind::Symmetric || kind == MetricHeadKind::Conformal) {
    head.reference = at::matmul(a, a.t()) + at::eye(n, at::kDouble);
  } else if (kind == MetricHeadKind::FrameExponential) {
    head.reference = at::eye(n, at::kDouble) + 0.3 * a;
  }
  return head;
}

NeuralMetric make_metric(MetricHeadKind kind, int64_t n, uint64_t seed) {
  nmflow::MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = {8, 6};
  trunk.activation = nmflow::Activation::Tanh;
  trunk.sigma_w = 1.4;
  trunk.sigma_b = 0.5;
  trunk.seed = seed;
  return NeuralMetric(trunk, make_head(kind, n));
}

MetricJet autograd_metric_jet(const NeuralMetric& metric, const at::Tensor& x, bool create_graph) {
  return nmflow::jet_by_autograd([&](const at::Tensor& y) { return metric.metric(y); }, x, create_graph);
}

void check_jets_close(const MetricJet& a, const MetricJet& b, double tol) {
  CHECK_CLOSE(a.g, b.g, tol);
  CHECK_CLOSE(a.dg, b.dg, tol);
  CHECK_CLOSE(a.d2g, b.d2g, tol);
}

// Σ_p ∂g_ij/∂f_p ∂g_kl/∂f_p at outputs f: [1, p] → [n, n, n, n]: the head's factor of the metric-NTK.
at::Tensor head_kernel(const MetricHead& head, const at::Tensor& f) {
  const int64_t n = head.dim;
  const at::Tensor fv = f.detach().requires_grad_(true);
  const at::Tensor g = nmflow::metric_from_outputs(head, fv).view({n * n});
  std::vector<at::Tensor> rows;
  for (int64_t e = 0; e < n * n; ++e) {
    rows.push_back(torch::autograd::grad({g[e]}, {fv}, {}, /*retain_graph=*/true)[0].view({-1}));
  }
  const at::Tensor jacobian = at::stack(rows);  // [n·n, p]
  return at::matmul(jacobian, jacobian.t()).view({n, n, n, n});
}

}  // namespace

TEST_CASE("Metric 2-jets of all four heads equal nested autograd (n = 2, 3, 4)", "[models]") {
  at::manual_seed(21);
  uint64_t seed = 0;
  for (MetricHeadKind kind : kHeads) {
    for (int64_t n : {2, 3, 4}) {
      INFO(nmflow::metric_head_name(kind) << " n=" << n);
      const NeuralMetric metric = make_metric(kind, n, ++seed);
      const at::Tensor x = at::randn({5, n}, at::kDouble);
      check_jets_close(metric.jet(x), autograd_metric_jet(metric, x, false), 1e-10);
    }
  }
}

TEST_CASE("Parameter gradients of a loss on the metric jet equal those through nested autograd", "[models]") {
  at::manual_seed(22);
  for (MetricHeadKind kind : kHeads) {
    INFO(nmflow::metric_head_name(kind));
    const NeuralMetric metric = make_metric(kind, 3, 50);
    const at::Tensor x = at::randn({4, 3}, at::kDouble);
    const auto loss_of = [](const MetricJet& jet) {
      return jet.d2g.pow(2).sum() + (jet.dg * jet.g.unsqueeze(1)).sum();
    };
    const auto g_jet = torch::autograd::grad({loss_of(metric.jet(x))}, metric.parameters());
    const auto g_ref = torch::autograd::grad({loss_of(autograd_metric_jet(metric, x, true))}, metric.parameters());
    for (size_t i = 0; i < g_jet.size(); ++i) {
      INFO("parameter " << i);
      CHECK_CLOSE(g_jet[i], g_ref[i], 1e-10);
    }
  }
}

TEST_CASE("Jets of batches spanning several trunk tiles equal nested autograd, values and parameter gradients",
          "[models]") {
  // The fused trunk works in tiles of ≈ 1 MB of jet rows (1638 points at 10 rows × width 8); 6000 points span
  // four tiles, the last one partial.
  at::manual_seed(23);
  const NeuralMetric metric = make_metric(MetricHeadKind::Symmetric, 3, 51);
  const at::Tensor x = at::randn({6000, 3}, at::kDouble);
  const MetricJet jet = metric.jet(x);
  check_jets_close(jet, autograd_metric_jet(metric, x, false), 1e-10);
  const auto loss_of = [](const MetricJet& j) { return j.d2g.pow(2).sum() + j.dg.pow(2).sum() + j.g.pow(2).sum(); };
  const auto g_jet = torch::autograd::grad({loss_of(jet)}, metric.parameters());
  const auto g_ref = torch::autograd::grad({loss_of(autograd_metric_jet(metric, x, true))}, metric.parameters());
  for (size_t i = 0; i < g_jet.size(); ++i) {
    INFO("parameter " << i);
    CHECK_CLOSE(g_jet[i], g_ref[i], 1e-10);
  }
}

TEST_CASE("metric_jet_from_packed equals metric_jet_from_outputs on the full 2-jet, all heads, n = 1…6",
          "[models]") {
  // The packed gather (NeuralMetric::jet's path) against the full-tensor path on the same network outputs; n = 5, 6
  // are beyond the nested-autograd tests above, n = 1 has no off-diagonal entries.
  at::manual_seed(24);
  uint64_t seed = 100;
  for (MetricHeadKind kind : kHeads) {
    for (int64_t n = 1; n <= 6; ++n) {
      INFO(nmflow::metric_head_name(kind) << " n=" << n);
      const NeuralMetric metric = make_metric(kind, n, ++seed);
      const at::Tensor x = at::randn({7, n}, at::kDouble);
      const MetricJet packed = nmflow::metric_jet_from_packed(metric.head(), nmflow::mlp_jet2_packed(metric.trunk(), x));
      const MetricJet full = nmflow::metric_jet_from_outputs(metric.head(), nmflow::mlp_jet2(metric.trunk(), x));
      check_jets_close(packed, full, 1e-13);
    }
  }
  const NeuralMetric metric = make_metric(MetricHeadKind::Symmetric, 3, 1);
  CHECK_THROWS_WITH(nmflow::metric_jet_from_packed(metric.head(), at::zeros({2, 9, 6}, at::kDouble)),
                    Catch::Contains("[B, 10, O]"));
  CHECK_THROWS_WITH(nmflow::metric_jet_from_packed(metric.head(), at::zeros({2, 10, 5}, at::kDouble)),
                    Catch::Contains("needs outputs [B, 6]"));
}

TEST_CASE("Metric jets of an empty batch have the right shapes for every head", "[models]") {
  for (MetricHeadKind kind : kHeads) {
    INFO(nmflow::metric_head_name(kind));
    const NeuralMetric metric = make_metric(kind, 3, 60);
    const MetricJet jet = metric.jet(at::zeros({0, 3}, at::kDouble));
    CHECK(jet.g.sizes() == at::IntArrayRef({0, 3, 3}));
    CHECK(jet.dg.sizes() == at::IntArrayRef({0, 3, 3, 3}));
    CHECK(jet.d2g.sizes() == at::IntArrayRef({0, 3, 3, 3, 3}));
  }
}

TEST_CASE("Symmetric head has kernel (δ_ik δ_jl + δ_il δ_jk)/2 and frame_exp at S = 0 has (G_ik G_jl + G_il G_jk)/2",
          "[models]") {
  at::manual_seed(23);
  const int64_t n = 3;
  const at::Tensor delta = at::eye(n, at::kDouble);
  const MetricHead symmetric = make_head(MetricHeadKind::Symmetric, n);
  const at::Tensor expected_flat =
      0.5 * (at::einsum("ik,jl->ijkl", {delta, delta}) + at::einsum("il,jk->ijkl", {delta, delta}));
  CHECK_CLOSE(head_kernel(symmetric, at::randn({1, nmflow::packed_size(n)}, at::kDouble)), expected_flat, 1e-14);
  const MetricHead frame = make_head(MetricHeadKind::FrameExponential, n);
  const at::Tensor g0 = at::matmul(frame.reference.t(), frame.reference);
  const at::Tensor expected_gg = 0.5 * (at::einsum("ik,jl->ijkl", {g0, g0}) + at::einsum("il,jk->ijkl", {g0, g0}));
  CHECK_CLOSE(head_kernel(frame, at::zeros({1, nmflow::packed_size(n)}, at::kDouble)), expected_gg, 1e-13);
}

TEST_CASE("Jet of the matrix exponential is accurate when scaling and squaring is needed", "[models]") {
  at::manual_seed(24);
  const int64_t n = 4;
  // X(x) = x_0 A + x_1² B + x_0 x_1 C + x_2 x_3 D with ‖X‖ up to ~10, so several squarings are used.
  // Symmetric coefficients: jet_by_autograd differentiates only i ≤ j (as for a metric).
  const auto random_symmetric = [&](double scale) {
    const at::Tensor m = at::randn({n, n}, at::kDouble);
    return scale * (m + m.t());
  };
  const at::Tensor a = random_symmetric(1.0);
  const at::Tensor b = random_symmetric(0.5);
  const at::Tensor c = random_symmetric(0.5);
  const at::Tensor d = random_symmetric(0.5);
  const auto matrix_of = [&](const at::Tensor& x) {
    const auto coordinate = [&](int64_t i) { return x.select(1, i).view({-1, 1, 1}); };
    return coordinate(0) * a + coordinate(1) * coordinate(1) * b + coordinate(0) * coordinate(1) * c +
           coordinate(2) * coordinate(3) * d;
  };
  const at::Tensor x = 1.5 * at::randn({6, n}, at::kDouble);
  const MetricJet reference =
      nmflow::jet_by_autograd([&](const at::Tensor& y) { return at::linalg_matrix_exp(matrix_of(y)); }, x);
  const MetricJet input = nmflow::jet_by_autograd(matrix_of, x);  // exact: X is polynomial
  const MetricJet exp_jet = nmflow::jet_matrix_exp(input);
  REQUIRE(at::linalg_matrix_norm(input.g, "fro").max().item<double>() > 4.0);
  // Relative to the size of each part: the entries reach ~e^10.
  const double scale_g = reference.g.abs().max().item<double>();
  const double scale_dg = reference.dg.abs().max().item<double>();
  const double scale_d2g = reference.d2g.abs().max().item<double>();
  CHECK_CLOSE(exp_jet.g / scale_g, reference.g / scale_g, 1e-12);
  CHECK_CLOSE(exp_jet.dg / scale_dg, reference.dg / scale_dg, 1e-12);
  CHECK_CLOSE(exp_jet.d2g / scale_d2g, reference.d2g / scale_d2g, 1e-12);
}

TEST_CASE("free_spd head gives symmetric positive definite metrics with eigenvalues at least epsilon", "[models]") {
  at::manual_seed(25);
  const NeuralMetric metric = make_metric(MetricHeadKind::FreeSpd, 4, 9);
  const at::Tensor g = metric.metric(at::randn({32, 4}, at::kDouble)).detach();
  CHECK_CLOSE(g, g.transpose(1, 2), 1e-15);
  CHECK(at::linalg_eigvalsh(g).min().item<double>() >= 0.05 * (1 - 1e-12));
}

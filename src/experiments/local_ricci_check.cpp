#include "experiments/local_ricci_check.h"

#include <cmath>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"
#include "flows/flow_comparison.h"
#include "flows/reference/homogeneous_ricci_flow.h"
#include "flows/local_ricci_flow.h"
#include "experiments/local_ricci_t2.h"
#include "training/losses.h"
#include "training/perelman.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/sampler.h"
#include "models/matrix_jet_ops.h"
#include "ntk/ntk_diagnostics.h"

namespace nmflow {
namespace {

// The 2-jet of a pointwise map x [B, n] → y [B, k] by nested autograd (fixed geometry only: no parameters).
struct VectorJet2 {
  at::Tensor value;  // [B, k]
  at::Tensor grad;   // [B, k, n]
  at::Tensor hess;   // [B, k, n, n]
};

template <typename Fn>
VectorJet2 vector_function_jet(const Fn& fn, const at::Tensor& x) {
  at::AutoGradMode grad_mode(true);
  const at::Tensor xr = x.detach().requires_grad_(true);
  const at::Tensor y = fn(xr);
  const int64_t k = y.size(1);
  const int64_t n = x.size(1);
  std::vector<at::Tensor> grads;
  std::vector<at::Tensor> hessians;
  for (int64_t o = 0; o < k; ++o) {
    // Rows are independent, so the gradient of the column sum is the per-row gradient.
    const at::Tensor d1 = torch::autograd::grad({y.select(1, o).sum()}, {xr}, {}, true, true)[0];  // [B, n]
    std::vector<at::Tensor> rows;
    for (int64_t c = 0; c < n; ++c) {
      rows.push_back(torch::autograd::grad({d1.select(1, c).sum()}, {xr}, {}, true, false, true)[0]);
    }
    grads.push_back(d1.detach());
    hessians.push_back(at::stack(rows, 1).detach());  // [B, n, n]
  }
  return VectorJet2{y.detach(), at::stack(grads, 1), at::stack(hessians, 1)};
}

// Everything about a point set that does not depend on the trained coefficients a.
struct FixedJets {
  at::Tensor phi;    // [B, N]        φ_i(x_b)
  at::Tensor dphi;   // [B, n, N]     ∂_c φ_i
  at::Tensor d2phi;  // [B, n, n, N]  ∂_c ∂_d φ_i
  MetricJet coframe;  // E [B, 3, 3] (σ_i = E_ia dx^a) with ∂E, ∂²E in MetricJet's layout
};

class EmbeddedFourierFrameMetric {
 public:
  EmbeddedFourierFrameMetric(const LocalRicciOptions& options) : options_(options) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    frequencies_ = sample_rff_frequencies(options.frequencies, options.bandwidth, options.features, 4, generator);
    phases_ = (2.0 * at::rand({options.features}, generator, at::kDouble) - 1.0) * M_PI;
    coefficients_ = at::zeros({options.features, 6}, at::kDouble).requires_grad_(true);
    head_.kind = options.head;
    head_.dim = 3;
    const at::Tensor m0 = at::tensor({options.a0, options.a0, options.b0}, at::kDouble);
    // frame_exp: M = L₀ᵀ exp(P(S)) L₀ with L₀ = M₀^{1/2}; symmetric: M = M₀ + P(S).
    head_.reference = at::diag(options.head == MetricHeadKind::FrameExponential ? m0.sqrt() : m0);
  }

  FixedJets fixed_jets(const at::Tensor& x) const {
    const VectorJet2 q = vector_function_jet([](const at::Tensor& y) { return s3_quaternion_from_euler(y); }, x);
    const VectorJet2 e =
        vector_function_jet([](const at::Tensor& y) { return s3_coframe(y).reshape({y.size(0), 9}); }, x);
    const double norm = 1.0 / std::sqrt(static_cast<double>(options_.features));
    // u_i = b_i·q + c_i and its x-derivatives, then φ = cos u / √N by the chain rule.
    const at::Tensor u = at::matmul(q.value, frequencies_.t()) + phases_;                       // [B, N]
    const at::Tensor du = at::einsum("bkc,ik->bci", {q.grad, frequencies_});                    // [B, n, N]
    const at::Tensor d2u = at::einsum("bkcd,ik->bcdi", {q.hess, frequencies_});                 // [B, n, n, N]
    const at::Tensor cu = at::cos(u);
    const at::Tensor su = at::sin(u);
    FixedJets jets;
    jets.phi = norm * cu;
    jets.dphi = -norm * su.unsqueeze(1) * du;
    jets.d2phi = -norm * (cu.unsqueeze(1).unsqueeze(1) * du.unsqueeze(2) * du.unsqueeze(1) +
                          su.unsqueeze(1).unsqueeze(1) * d2u);
    const int64_t b = x.size(0);
    jets.coframe = MetricJet{e.value.view({b, 3, 3}), e.grad.permute({0, 2, 1}).reshape({b, 3, 3, 3}),
                             e.hess.permute({0, 2, 3, 1}).reshape({b, 3, 3, 3, 3})};
    return jets;
  }

  // The chart metric's 2-jet g = Eᵀ M E, differentiable in a.
  MetricJet jet(const FixedJets& fixed) const {
    MlpJet2 s;
    s.value = at::matmul(fixed.phi, coefficients_);                          // [B, 6]
    s.grad = at::matmul(fixed.dphi, coefficients_).permute({0, 2, 1});        // [B, 6, n]
    s.hess = at::matmul(fixed.d2phi, coefficients_).permute({0, 3, 1, 2});    // [B, 6, n, n]
    const MetricJet frame_metric = metric_jet_from_outputs(head_, s);
    return jet_matmul(jet_transpose(fixed.coframe), jet_matmul(frame_metric, fixed.coframe));
  }

  const at::Tensor& coefficients() const { return coefficients_; }

 private:
  LocalRicciOptions options_;
  at::Tensor frequencies_;   // [N, 4] b_i, fixed
  at::Tensor phases_;        // [N] c_i, fixed
  at::Tensor coefficients_;  // [N, 6] a_iP, trained
  MetricHead head_;
};

// Metric-NTK on the probes, [P·6, P·6] in ntk/empirical_ntk.h's layout (packed upper triangle, plain sum over a).
at::Tensor probe_metric_ntk(const EmbeddedFourierFrameMetric& model, const FixedJets& fixed) {
  at::AutoGradMode grad_mode(true);
  const at::Tensor g = model.jet(fixed).g;  // [P, 3, 3]
  const at::Tensor iu = at::triu_indices(3, 3, 0, at::kLong);
  const at::Tensor packed = g.index({at::indexing::Slice(), iu[0], iu[1]}).reshape(-1);  // [P·6]
  std::vector<at::Tensor> rows;
  for (int64_t r = 0; r < packed.size(0); ++r) {
    rows.push_back(torch::autograd::grad({packed[r]}, {model.coefficients()}, {}, true, false)[0].reshape(-1));
  }
  const at::Tensor jacobian = at::stack(rows, 0);
  return at::matmul(jacobian, jacobian.t());
}

// Haar-uniform probes away from the chart's coordinate singularity (sin β ≥ 0.3), where the chart metric is
// well conditioned; the deviation measure itself is chart independent.
at::Tensor draw_probes(int64_t count, uint64_t seed) {
  const PointSet candidates = make_s3_euler_sampler()->sample(8 * count + 64, seed);
  const at::Tensor keep = at::nonzero(at::sin(candidates.x.select(1, 1)) >= 0.3).squeeze(1);
  NMFLOW_CHECK(keep.size(0) >= count, "local Ricci check: not enough probes away from the chart poles");
  return candidates.x.index_select(0, keep.narrow(0, 0, count));
}

}  // namespace

double local_kernel_omega(FrequencyDistribution frequencies, double bandwidth) {
  const int64_t intervals = 4000;
  const at::Tensor psi = at::linspace(0.0, M_PI, intervals + 1, at::kDouble);
  at::Tensor delta = at::zeros({intervals + 1, 4}, at::kDouble);
  delta.select(1, 0).copy_(2.0 * at::sin(psi / 2.0));
  const at::Tensor integrand = at::sin(psi).pow(2) * rff_chi(frequencies, bandwidth, delta);
  // Composite Simpson weights 1, 4, 2, 4, …, 4, 1 times h/3.
  at::Tensor weights = at::full({intervals + 1}, 2.0, at::kDouble);
  weights.slice(0, 1, intervals, 2).fill_(4.0);
  weights[0] = 1.0;
  weights[intervals] = 1.0;
  const double h = M_PI / static_cast<double>(intervals);
  // ½ · 4π ∫ sin²ψ χ dψ.
  return 2.0 * M_PI * (h / 3.0) * (weights * integrand).sum().item<double>();
}

LocalRicciResult run_local_ricci_case(const LocalRicciOptions& options) {
  check_local_ricci_options(options);
  if (options.manifold == LocalRicciManifold::ConformalT2) {
    return run_local_ricci_t2(options);
  }
  LocalRicciResult result;
  result.omega = local_kernel_omega(options.frequencies, options.bandwidth);

  auto model = std::make_shared<EmbeddedFourierFrameMetric>(options);
  const PointSet points = make_s3_euler_sampler()->sample(options.points, options.seed + 1);
  const FixedJets train = model->fixed_jets(points.x);
  // ℓ = log √det ĝ of the unit round metric: the density of μ = dV_round, so e^{−f} dV_g = μ (perelman.h (b)).
  const ScalarJet2 log_density = log_volume_density_jet(make_berger_sphere(1.0, 1.0)->jet(points.x));
  const at::Tensor weights = points.weights;
  const double scale = 2.0 / result.omega;  // L = −c F / Ω, c = 2
  Trainer::LossFn loss = [model, train, log_density, weights, scale]() {
    const MetricJet jet = model->jet(train);
    const ScalarJet2 dilaton = slaved_dilaton(jet, log_density);
    LossValue f = perelman_f(weights, jet, dilaton, CurvatureBackend::Reference);
    f.total = -scale * f.total;
    return f;
  };

  const at::Tensor probes = draw_probes(options.probes, options.seed + 2);
  const FixedJets probe_jets = model->fixed_jets(probes);
  const at::Tensor theta0 = probe_metric_ntk(*model, probe_jets);
  result.nonlocal_mass = ntk_nonlocal_mass(theta0, 6);

  LocalGradientFlow flow(model->coefficients(), loss, options.learning_rate,
                         [model](const at::Tensor& x) { return model->jet(model->fixed_jets(x)); });
  HomogeneousRicciFlow reference(make_su2_ode(), {options.a0, options.a0, options.b0});
  std::vector<double> times;
  for (int64_t k = 1; k <= options.observations; ++k) {
    times.push_back(options.final_time * static_cast<double>(k) / static_cast<double>(options.observations));
  }
  const TrajectoryComparison comparison = compare_trajectories(flow, reference, probes, times);
  result.times = comparison.times;
  result.deviations = comparison.deviations;
  result.max_deviation = comparison.max_deviation;
  result.ntk_drift = ntk_relative_drift(probe_metric_ntk(*model, probe_jets), theta0);
  return result;
}

}  // namespace nmflow

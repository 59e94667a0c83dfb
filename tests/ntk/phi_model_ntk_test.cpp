#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <vector>

#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"
#include "ntk/phi_model_ntk.h"
#include "support/tolerance.h"

using nmflow::KahlerPhiModel;
using nmflow::KahlerPhiModelConfig;

namespace {

KahlerPhiModel make_model(std::vector<int64_t> hidden, int64_t n_coords, bool zero_output, uint64_t seed) {
  KahlerPhiModelConfig config;
  config.hidden = std::move(hidden);
  config.parameterisation = nmflow::Parameterisation::Ntk;
  config.zero_output_layer = zero_output;
  config.seed = seed;
  return KahlerPhiModel(config, n_coords);
}

double relative_frobenius(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).norm().item<double>() / b.norm().item<double>();
}

at::Tensor jet_of(const KahlerPhiModel& model, const nmflow::CYPointSet& points) {
  return nmflow::phi_input_jet(model.config().inputs, points, at::kDouble);
}

// Central finite differences of the packed ∂∂̄φ in every scalar parameter: J_fd [B·m², P].
at::Tensor finite_difference_jacobian(const KahlerPhiModel& model, const at::Tensor& jet, double h) {
  const c10::AutoGradMode no_grad(false);
  std::vector<at::Tensor> columns;
  for (const at::Tensor& p : model.parameters()) {
    at::Tensor flat = p.view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double saved = flat[i].item<double>();
      flat[i] = saved + h;
      const at::Tensor plus = nmflow::pack_hermitian(model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet));
      flat[i] = saved - h;
      const at::Tensor minus = nmflow::pack_hermitian(model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet));
      flat[i] = saved;
      columns.push_back(((plus - minus) / (2.0 * h)).reshape({-1}));
    }
  }
  return at::stack(columns, 1);
}

}  // namespace

TEST_CASE("pack_hermitian puts Re g_ab (a<=b) then Im g_ab (a<b) and unpack_hermitian inverts it", "[ntk]") {
  // m = 3: Re (0,0) (0,1) (0,2) (1,1) (1,2) (2,2), then Im (0,1) (0,2) (1,2).
  const at::Tensor packed = at::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0}, at::kDouble).view({1, 9});
  const at::Tensor g = nmflow::unpack_hermitian(packed, 3);
  CHECK(at::real(g[0][0][1]).item<double>() == 2.0);
  CHECK(at::imag(g[0][0][1]).item<double>() == 7.0);
  CHECK(at::imag(g[0][1][0]).item<double>() == -7.0);  // Hermitian: g_bā = conj g_ab̄
  CHECK(at::real(g[0][1][2]).item<double>() == 5.0);
  CHECK(at::imag(g[0][1][2]).item<double>() == 9.0);
  CHECK(at::real(g[0][2][2]).item<double>() == 6.0);
  CHECK(at::equal(nmflow::pack_hermitian(g), packed));
}

TEST_CASE("phi-model metric-NTK is symmetric, PSD and equals the finite-difference J J^T", "[ntk]") {
  const nmflow::Hypersurface k3 = nmflow::dwork_quartic({0.3, 0.2});
  const nmflow::CYPointSet points = nmflow::sample_cy_points(k3, 6, 11);
  const nmflow::CYPointSet others = nmflow::sample_cy_points(k3, 4, 12);
  const KahlerPhiModel model = make_model({4, 3}, k3.n_coords(), /*zero_output=*/false, 3);
  const at::Tensor jet = jet_of(model, points);
  const at::Tensor jet2 = jet_of(model, others);

  const at::Tensor theta = nmflow::phi_model_metric_ntk(model, jet, jet);  // [6·4, 6·4]
  REQUIRE(theta.sizes() == at::IntArrayRef({24, 24}));
  CHECK(at::equal(theta, theta.t()));
  const at::Tensor eig = at::linalg_eigvalsh(theta);
  INFO("eigenvalues " << eig);
  CHECK(eig.min().item<double>() >= -1e-12 * eig.max().item<double>());

  // h = 1e-5: truncation ~h² · (3rd derivative) and rounding ~1e-16/h both ≪ 1e-8 of Θ.
  const at::Tensor j_fd = finite_difference_jacobian(model, jet, 1e-5);
  const at::Tensor j_fd2 = finite_difference_jacobian(model, jet2, 1e-5);
  CHECK(relative_frobenius(nmflow::phi_model_metric_jacobian(model, jet), j_fd) <= 1e-8);
  CHECK(relative_frobenius(theta, at::matmul(j_fd, j_fd.t())) <= 1e-8);
  const at::Tensor cross = nmflow::phi_model_metric_ntk(model, jet, jet2);  // [24, 16]
  CHECK(relative_frobenius(cross, at::matmul(j_fd, j_fd2.t())) <= 1e-8);
  CHECK_CLOSE(nmflow::phi_model_metric_ntk(model, jet2, jet), cross.t(), 1e-14);
}

TEST_CASE("With a zeroed output layer only the output weights carry the metric-NTK", "[ntk]") {
  // ∂g/∂(hidden parameters) is proportional to the output weights, so at the project's default initialisation
  // (φ ≡ 0) Θ₀ is the output layer's kernel alone and the hidden layers' share switches on only during training.
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, 5, 21);
  const KahlerPhiModel model = make_model({8, 6}, quintic.n_coords(), /*zero_output=*/true, 4);
  const at::Tensor jacobian = nmflow::phi_model_metric_jacobian(model, jet_of(model, points));  // [5·9, P]
  const auto& out = model.mlp().layers().back();
  const int64_t n_out = out.weight.numel() + out.bias.numel();
  const int64_t hidden = jacobian.size(1) - n_out;
  CHECK(jacobian.narrow(1, 0, hidden).abs().max().item<double>() == 0.0);
  CHECK(jacobian.narrow(1, hidden + out.weight.numel(), out.bias.numel()).abs().max().item<double>() == 0.0);
  const at::Tensor theta = at::matmul(jacobian, jacobian.t());
  CHECK(theta.diagonal().min().item<double>() > 0.0);
}

TEST_CASE("eta-NTK from the metric-NTK and dEta/dg equals the Jacobian contraction of eta itself", "[ntk]") {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, 5, 31);
  const KahlerPhiModel model = make_model({6}, quintic.n_coords(), /*zero_output=*/false, 5);
  const at::Tensor jet = jet_of(model, points);
  // Scale the reference metric so g = 3 g_FS + ∂∂̄φ stays positive definite with a random O(1) φ.
  const at::Tensor g_ref = 3.0 * points.g_fs;
  const at::Tensor g = (g_ref + model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet)).detach();
  REQUIRE(at::linalg_eigvalsh(g).min().item<double>() > 0.0);

  const at::Tensor d = nmflow::eta_metric_gradient(g, points.omega_sq);  // [5, 9]
  const at::Tensor eta_ntk = nmflow::eta_ntk_from_metric_ntk(nmflow::phi_model_metric_ntk(model, jet, jet), d, d);

  // Reference: J_η by one reverse pass per point through det(g_ref + ∂∂̄φ)/|Ω|².
  const std::vector<at::Tensor> params = model.parameters();
  const at::Tensor eta = nmflow::hermitian_det(g_ref + model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet)) /
                         points.omega_sq;
  std::vector<at::Tensor> rows;
  for (int64_t b = 0; b < eta.size(0); ++b) {
    std::vector<at::Tensor> grads = torch::autograd::grad({eta[b]}, params, {}, true, false, true);
    std::vector<at::Tensor> flat;
    for (size_t k = 0; k < grads.size(); ++k) {
      flat.push_back(grads[k].defined() ? grads[k].reshape({-1}) : at::zeros({params[k].numel()}, at::kDouble));
    }
    rows.push_back(at::cat(flat));
  }
  const at::Tensor j_eta = at::stack(rows, 0);
  CHECK(relative_frobenius(eta_ntk, at::matmul(j_eta, j_eta.t())) <= 1e-12);
}

TEST_CASE("Linearised phi-model: ddbar of the displacement is J0 delta and matches the model to first order",
          "[ntk]") {
  const nmflow::Hypersurface k3 = nmflow::fermat_quartic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(k3, 6, 41);
  KahlerPhiModel model = make_model({5, 4}, k3.n_coords(), /*zero_output=*/false, 6);
  const at::Tensor jet = jet_of(model, points);
  const nmflow::LinearisedPhiModel linear(model);
  CHECK(linear.ddbar_displacement(jet).abs().max().item<double>() == 0.0);  // δ = 0 at construction

  at::Generator generator = at::detail::createCPUGenerator(7);
  std::vector<at::Tensor> flat_delta;
  {
    const c10::AutoGradMode no_grad(false);
    for (const at::Tensor& delta : linear.displacement()) {
      delta.copy_(at::randn(delta.sizes(), generator, at::kDouble));
      flat_delta.push_back(delta.reshape({-1}));
    }
  }
  const at::Tensor jd = at::matmul(nmflow::phi_model_metric_jacobian(model, jet), at::cat(flat_delta));
  const at::Tensor lin = linear.ddbar_displacement(jet);
  CHECK(relative_frobenius(nmflow::pack_hermitian(lin).reshape({-1}), jd) <= 1e-12);

  // Differentiable in δ: ∂/∂δ of Σ Re(J₀δ)_P is Σ_rows J₀, so its norm is positive.
  const at::Tensor grad = torch::autograd::grad({nmflow::pack_hermitian(lin).sum()}, {linear.displacement()[0]})[0];
  CHECK(grad.norm().item<double>() > 0.0);

  // The linearisation is the tangent: ∂∂̄φ(θ₀ + εδ) − ∂∂̄φ(θ₀) − εJ₀δ = O(ε²), so halving ε quarters the gap.
  const at::Tensor base = model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet).detach();
  const auto gap = [&](double eps) {
    const c10::AutoGradMode no_grad(false);
    const std::vector<at::Tensor> params = model.parameters();
    for (size_t k = 0; k < params.size(); ++k) params[k].add_(eps * linear.displacement()[k]);
    const at::Tensor moved = model.ddbar_phi(jet, nmflow::PhiJetMethod::WirtingerJet);
    for (size_t k = 0; k < params.size(); ++k) params[k].sub_(eps * linear.displacement()[k]);
    return (moved - base - eps * lin.detach()).abs().max().item<double>();
  };
  const double ratio = gap(1e-3) / gap(5e-4);
  INFO("gap ratio " << ratio);
  CHECK(ratio > 3.5);
  CHECK(ratio < 4.5);
}

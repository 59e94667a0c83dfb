#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "common/error.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"
#include "support/tolerance.h"

using nmflow::KahlerPhiModel;
using nmflow::KahlerPhiModelConfig;
using nmflow::PhiInputs;
using nmflow::PhiJetMethod;

namespace {

// A random (non-zero) φ so that every term of the chain rule contributes.
KahlerPhiModel random_model(PhiInputs inputs, int64_t n_coords, nmflow::Activation activation) {
  KahlerPhiModelConfig config;
  config.inputs = inputs;
  config.hidden = {12, 10};
  config.activation = activation;
  config.zero_output_layer = false;
  config.seed = 7;
  return KahlerPhiModel(config, n_coords);
}

at::Tensor as_real(const at::Tensor& complex) { return at::view_as_real(complex.contiguous()); }

}  // namespace

TEST_CASE("Wirtinger jet, input-Hessian jet and nested autograd give the same ddbar phi", "[models]") {
  for (const auto& surface : {nmflow::fermat_quintic(), nmflow::dwork_quartic({0.3, 0.2})}) {
    const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 60, 11);
    for (const PhiInputs inputs : {PhiInputs::Invariant, PhiInputs::PatchAffine}) {
      for (const auto activation : {nmflow::Activation::Gelu, nmflow::Activation::Tanh}) {
        INFO(surface.name() << " inputs " << nmflow::phi_inputs_name(inputs) << " "
                            << nmflow::activation_name(activation));
        const KahlerPhiModel model = random_model(inputs, surface.n_coords(), activation);
        const at::Tensor jet = nmflow::phi_input_jet(inputs, points, at::kDouble);
        const at::Tensor reference = model.ddbar_phi_autograd(points.z, points.pullback, points.patch);
        const at::Tensor wirtinger = model.ddbar_phi(jet, PhiJetMethod::WirtingerJet);
        const at::Tensor hessian = model.ddbar_phi(jet, PhiJetMethod::InputHessian);
        REQUIRE(at::view_as_real(reference).abs().max().item<double>() > 1e-2);  // not trivially zero
        CHECK_CLOSE(as_real(wirtinger), as_real(reference), 1e-10);
        CHECK_CLOSE(as_real(hessian), as_real(reference), 1e-10);
        // Hermitian: exact by construction for the jets, to rounding for autograd.
        CHECK_CLOSE(as_real(reference), as_real(at::conj(reference).transpose(1, 2)), 1e-12);
      }
    }
  }
}

TEST_CASE("ddbar of K_FS = (1/pi) log|z|^2 by autograd is the pulled-back Fubini-Study metric g_FS", "[models]") {
  // Fixes the normalisation of K = K_FS + φ against fubini_study (t/π factor, the ¼ of the Wirtinger Hessian).
  const nmflow::CYPointSet points = nmflow::sample_cy_points(nmflow::fermat_quintic(), 40, 3);
  const at::Tensor g = nmflow::ddbar_by_autograd(
      [](const at::Tensor& z) { return at::log((at::real(z).square() + at::imag(z).square()).sum(1)) / M_PI; },
      points.z, points.pullback);
  CHECK_CLOSE(as_real(g), as_real(points.g_fs), 1e-12);
}

TEST_CASE("Invariant phi inputs are C*-invariant: phi(lambda z) = phi(z)", "[models]") {
  const nmflow::CYPointSet points = nmflow::sample_cy_points(nmflow::fermat_quintic(), 30, 5);
  const KahlerPhiModel model = random_model(PhiInputs::Invariant, 5, nmflow::Activation::Gelu);
  const at::Tensor lambda = at::complex(at::full({30, 1}, 1.7, at::kDouble), at::full({30, 1}, -0.4, at::kDouble));
  CHECK_CLOSE(model.phi(points.z * lambda, points.patch), model.phi(points.z, points.patch), 1e-13);
}

TEST_CASE("A zero output layer gives phi = 0 and g = g_FS exactly", "[models]") {
  const nmflow::CYPointSet points = nmflow::sample_cy_points(nmflow::fermat_quintic(), 50, 9);
  KahlerPhiModelConfig config;  // defaults: invariant inputs, 3×64 gelu, zero output layer
  const KahlerPhiModel model(config, 5);
  const at::Tensor jet = nmflow::phi_input_jet(config.inputs, points, at::kDouble);
  CHECK(at::view_as_real(model.ddbar_phi(jet, PhiJetMethod::WirtingerJet)).abs().max().item<double>() == 0.0);
  CHECK_CLOSE(nmflow::phi_model_det(model, points, jet, PhiJetMethod::WirtingerJet), points.det_g_fs, 1e-13);
}

TEST_CASE("hermitian_det matches linalg_det for m = 1, 2, 3", "[models]") {
  for (int64_t m = 1; m <= 3; ++m) {
    const at::Tensor a = at::randn({20, m, m}, at::kComplexDouble);
    const at::Tensor g = at::matmul(a, at::conj(a).transpose(1, 2)) + at::eye(m, at::kComplexDouble);
    CHECK_CLOSE(nmflow::hermitian_det(g), at::real(at::linalg_det(g)), 1e-12);
  }
}

TEST_CASE("Float32 phi-model agrees with float64 to single precision", "[models]") {
  const nmflow::CYPointSet points = nmflow::sample_cy_points(nmflow::fermat_quintic(), 40, 13);
  KahlerPhiModelConfig config;
  config.hidden = {16, 16};
  config.zero_output_layer = false;
  const KahlerPhiModel model64(config, 5);
  config.dtype = at::kFloat;
  const KahlerPhiModel model32(config, 5);
  const at::Tensor d64 = model64.ddbar_phi(nmflow::phi_input_jet(config.inputs, points, at::kDouble),
                                           PhiJetMethod::WirtingerJet);
  const at::Tensor d32 = model32.ddbar_phi(nmflow::phi_input_jet(config.inputs, points, at::kFloat),
                                           PhiJetMethod::WirtingerJet);
  CHECK_CLOSE(as_real(d32), as_real(d64), 1e-4);
}

TEST_CASE("phi-model options are validated", "[models]") {
  CHECK_THROWS_AS(nmflow::parse_phi_inputs("affine"), nmflow::Error);
  CHECK_THROWS_AS(nmflow::parse_phi_jet_method("jet"), nmflow::Error);
  KahlerPhiModelConfig config;
  config.activation = nmflow::Activation::Relu;
  CHECK_THROWS_AS(KahlerPhiModel(config, 5), nmflow::Error);
}

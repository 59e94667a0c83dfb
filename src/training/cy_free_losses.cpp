#include "training/cy_free_losses.h"

#include <ATen/ATen.h>

#include "common/error.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/patch_transition.h"

namespace nmflow {

namespace {

constexpr int64_t kPrepareChunk = 4096;  // points per autograd pass of ∂g_FS (bounds the graph's memory)

at::Tensor squared_modulus(const at::Tensor& c) { return at::real(c).square() + at::imag(c).square(); }

}  // namespace

LossValue kahler_loss(const at::Tensor& dg) {
  NMFLOW_CHECK(dg.dim() == 4 && dg.size(1) == dg.size(2) && dg.size(2) == dg.size(3) && dg.size(0) > 0 &&
                   dg.is_complex(),
               "kahler_loss: dg must be complex [B, m, m, m] with B ≥ 1, got ", dg.sizes(), " ", dg.scalar_type());
  // c_aij = ∂_a g_ij̄ − ∂_i g_aj̄
  const at::Tensor total = squared_modulus(dg - dg.transpose(1, 2)).sum({1, 2, 3}).mean();
  return LossValue{total, {{"kahler", total.detach().item<double>()}}};
}

LossValue transition_loss(const at::Tensor& g_alternative, const at::Tensor& g, const at::Tensor& jacobian) {
  NMFLOW_CHECK(g.dim() == 3 && g.size(1) == g.size(2) && g.size(0) > 0 && g_alternative.sizes() == g.sizes() &&
                   jacobian.sizes() == g.sizes() && g.is_complex() && g_alternative.is_complex() &&
                   jacobian.is_complex(),
               "transition_loss: g_alternative, g, jacobian must all be complex [R, m, m] with R ≥ 1, got ",
               g_alternative.sizes(), ", ", g.sizes(), ", ", jacobian.sizes());
  const int64_t m = g.size(1);
  const at::Tensor residual = g_alternative - at::matmul(at::matmul(jacobian, g), at::conj(jacobian).transpose(1, 2));
  const at::Tensor total = squared_modulus(residual).sum({1, 2}).mean() / static_cast<double>(m * m);
  return LossValue{total, {{"transition", total.detach().item<double>()}}};
}

FreeMetricData FreeMetricData::select(const at::Tensor& index) const {
  FreeMetricData out;
  out.input_jet = input_jet.index_select(0, index);
  out.g_fs = g_fs.index_select(0, index);
  out.dg_fs = dg_fs.index_select(0, index);
  out.omega_sq = omega_sq.index_select(0, index);
  out.weights = weights.index_select(0, index);
  out.alt_inputs = alt_inputs.index_select(0, index);
  out.alt_g_fs = alt_g_fs.index_select(0, index);
  out.jacobian = jacobian.index_select(0, index);
  return out;
}

FreeMetricData prepare_free_metric_data(const Hypersurface& surface, const CYPointSet& points, PhiInputs inputs,
                                        at::ScalarType dtype, double t) {
  NMFLOW_CHECK(points.size() > 0 && points.z.size(1) == surface.n_coords(),
               "prepare_free_metric_data: need ≥ 1 point of ", surface.n_coords(), " coordinates, got z ",
               points.z.sizes());
  const int64_t batch = points.size();
  const int64_t m = surface.dim();
  FreeMetricData data;
  data.input_jet = phi_input_jet(inputs, points, dtype).narrow(1, 0, 1 + 2 * m).contiguous();
  data.g_fs = points.g_fs;
  data.omega_sq = points.omega_sq;
  data.weights = points.weights;
  std::vector<at::Tensor> dg_chunks;
  for (int64_t start = 0; start < batch; start += kPrepareChunk) {
    const int64_t len = std::min(kPrepareChunk, batch - start);
    const at::Tensor patch = points.patch.narrow(0, start, len);
    const at::Tensor eliminated = points.eliminated.narrow(0, start, len);
    const at::Tensor local = points.local_indices.narrow(0, start, len);
    const auto g_fs_of_z = [&](const at::Tensor& z) {
      const at::Tensor p = pullback_at(surface, z, patch, eliminated, local);
      return at::matmul(at::matmul(p, fubini_study_ambient(z, t)), at::conj(p).transpose(1, 2));
    };
    dg_chunks.push_back(holomorphic_derivative_by_autograd(g_fs_of_z, points.z.narrow(0, start, len),
                                                           points.pullback.narrow(0, start, len), false)
                            .detach());
  }
  data.dg_fs = at::cat(dg_chunks, 0);
  const PatchTransitions transitions = patch_transitions(surface, points, t);
  const CYPointSet& alt = transitions.alternative;
  data.alt_inputs = phi_input_jet(inputs, alt.z, alt.pullback, alt.patch, dtype).select(1, 0).reshape({batch, m, -1});
  data.alt_g_fs = alt.g_fs.reshape({batch, m, m, m});
  data.jacobian = transitions.jacobian.reshape({batch, m, m, m});
  return data;
}

LossValue free_metric_loss(const FreeCYMetric& model, const FreeMetricData& data, double kappa,
                           const FreeLossWeights& weights) {
  NMFLOW_CHECK(weights.kahler >= 0.0 && weights.transition >= 0.0,
               "free_metric_loss: the loss weights α_K, α_T must be ≥ 0, got ", weights.kahler, ", ",
               weights.transition);
  const int64_t m = model.dim();
  at::Tensor g;
  LossValue kahler{};
  if (weights.kahler > 0.0) {
    const HermitianJet jet = model.metric_jet(data.input_jet, data.g_fs, data.dg_fs);
    g = jet.g;
    kahler = kahler_loss(jet.dg);
  } else {
    g = model.metric(data.input_jet.select(1, 0), data.g_fs);
  }
  LossValue total =
      monge_ampere_loss(hermitian_det(g), data.omega_sq, data.weights, kappa, weights.weighting, weights.kappa);
  if (weights.kahler > 0.0) total = add_loss(total, kahler, weights.kahler);
  if (weights.transition > 0.0) {
    const at::Tensor g_alt = model.metric(data.alt_inputs.flatten(0, 1), data.alt_g_fs.flatten(0, 1));
    total = add_loss(total, transition_loss(g_alt, g.repeat_interleave(m, 0), data.jacobian.flatten(0, 1)),
                     weights.transition);
  }
  return total;
}

}  // namespace nmflow

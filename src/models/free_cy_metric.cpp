#include "models/free_cy_metric.h"

#include <cmath>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/enum_names.h"
#include "common/error.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/patch_transition.h"
#include "models/mlp_jet.h"

namespace nmflow {

namespace {

enum class Pattern { Hermitian, Lower, LowerDagger };

// E: [m², m²] complex128 with (pattern of v)_flat = v @ E, C-linear so that it maps ∂_a v the same way as v:
//   Hermitian     H_ii = v_ii; H_ij = v_ij + i v_ji, H_ji = v_ij − i v_ji (i < j)
//   Lower         L_ij = v_ij + i v_ji (i > j), zero diagonal (the head adds exp(v_ii))
//   LowerDagger   (L†)_ji = v_ij − i v_ji (i > j), zero diagonal
at::Tensor pattern_matrix(Pattern pattern, int64_t m, const at::Device& device) {
  at::Tensor re = at::zeros({m * m, m * m}, at::kDouble);
  at::Tensor im = at::zeros({m * m, m * m}, at::kDouble);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      const int64_t ij = i * m + j, ji = j * m + i;
      if (pattern == Pattern::Hermitian) {
        if (i == j) re[ij][ij] = 1.0;
        if (i < j) {
          re[ij][ij] = 1.0;
          im[ji][ij] = 1.0;
          re[ij][ji] = 1.0;
          im[ji][ji] = -1.0;
        }
      } else if (i > j) {
        if (pattern == Pattern::Lower) {
          re[ij][ij] = 1.0;
          im[ji][ij] = 1.0;
        } else {
          re[ij][ji] = 1.0;
          im[ji][ji] = -1.0;
        }
      }
    }
  }
  return at::complex(re, im).to(device);
}

// v: [..., m²] (real or complex) → [..., m, m] complex128.
at::Tensor apply_pattern(Pattern pattern, const at::Tensor& v, int64_t m) {
  const at::Tensor vc = v.is_complex() ? v : at::complex(v, at::zeros_like(v));
  std::vector<int64_t> shape(v.sizes().begin(), v.sizes().end() - 1);
  shape.push_back(m);
  shape.push_back(m);
  return at::matmul(vc, pattern_matrix(pattern, m, v.device())).view(shape);
}

// The diagonal entries v_ii: [..., m²] → [..., m].
at::Tensor diagonal_of(const at::Tensor& v, int64_t m) {
  return v.index_select(-1, at::arange(0, m * m, m + 1, at::TensorOptions().dtype(at::kLong).device(v.device())));
}

at::Tensor as_complex(const at::Tensor& x) { return at::complex(x, at::zeros_like(x)); }

int64_t output_side(const at::Tensor& v, const char* who) {
  const int64_t m = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(v.size(-1)))));
  NMFLOW_CHECK(m >= 1 && m * m == v.size(-1), who, ": the last dimension of v must be m², got ", v.sizes());
  return m;
}

void check_head_inputs(const at::Tensor& v, const at::Tensor& g_fs, int64_t m, const char* who) {
  NMFLOW_CHECK(v.dim() == 2 && !v.is_complex(), who, ": v must be real [B, m²], got ", v.sizes(), " ",
               v.scalar_type());
  NMFLOW_CHECK(g_fs.dim() == 3 && g_fs.size(0) == v.size(0) && g_fs.size(1) == m && g_fs.size(2) == m &&
                   g_fs.scalar_type() == at::kComplexDouble,
               who, ": g_fs must be complex128 [", v.size(0), ", ", m, ", ", m, "], got ", g_fs.sizes(), " ",
               g_fs.scalar_type());
}

}  // namespace

FreeMetricHead parse_free_metric_head(const std::string& name) {
  return parse_enum(kFreeMetricHeadNames, name, "free metric head");
}

std::string free_metric_head_name(FreeMetricHead value) { return enum_name(kFreeMetricHeadNames, value); }

at::Tensor free_metric_head(FreeMetricHead head, const at::Tensor& v_in, const at::Tensor& g_fs) {
  const int64_t m = output_side(v_in, "free_metric_head");
  check_head_inputs(v_in, g_fs, m, "free_metric_head");
  const at::Tensor v = v_in.to(at::kDouble);
  switch (head) {
    case FreeMetricHead::Free: {
      const at::Tensor diag = at::diag_embed(as_complex(diagonal_of(v, m).exp()));
      return at::matmul(apply_pattern(Pattern::Lower, v, m) + diag, apply_pattern(Pattern::LowerDagger, v, m) + diag);
    }
    case FreeMetricHead::Additive: return g_fs + apply_pattern(Pattern::Hermitian, v, m);
    case FreeMetricHead::Multiplicative: return g_fs * (1.0 + apply_pattern(Pattern::Hermitian, v, m));
  }
  return g_fs;
}

HermitianJet free_metric_head_jet(FreeMetricHead head, const at::Tensor& v_in, const at::Tensor& dv,
                                  const at::Tensor& g_fs, const at::Tensor& dg_fs) {
  const int64_t m = output_side(v_in, "free_metric_head_jet");
  check_head_inputs(v_in, g_fs, m, "free_metric_head_jet");
  NMFLOW_CHECK(dv.dim() == 3 && dv.size(0) == v_in.size(0) && dv.size(1) == m && dv.size(2) == m * m &&
                   dv.scalar_type() == at::kComplexDouble,
               "free_metric_head_jet: dv must be complex128 [", v_in.size(0), ", ", m, ", ", m * m, "], got ",
               dv.sizes(), " ", dv.scalar_type());
  NMFLOW_CHECK(head == FreeMetricHead::Free ||
                   (dg_fs.dim() == 4 && dg_fs.size(0) == v_in.size(0) && dg_fs.size(1) == m &&
                    dg_fs.size(2) == m && dg_fs.size(3) == m && dg_fs.scalar_type() == at::kComplexDouble),
               "free_metric_head_jet: dg_fs must be complex128 [", v_in.size(0), ", ", m, ", ", m, ", ", m,
               "], got ", dg_fs.sizes());
  const at::Tensor v = v_in.to(at::kDouble);
  switch (head) {
    case FreeMetricHead::Free: {
      // g = L L†: ∂_a g = (∂_a L) L† + L ∂_a(L†); ∂_a exp(v_ii) = exp(v_ii) ∂_a v_ii.
      const at::Tensor d = diagonal_of(v, m).exp();                                  // [B, m]
      const at::Tensor diag = at::diag_embed(as_complex(d));
      const at::Tensor d_diag = at::diag_embed(as_complex(d).unsqueeze(1) * diagonal_of(dv, m));  // [B, m, m, m]
      const at::Tensor lower = apply_pattern(Pattern::Lower, v, m) + diag;
      const at::Tensor dagger = apply_pattern(Pattern::LowerDagger, v, m) + diag;
      const at::Tensor d_lower = apply_pattern(Pattern::Lower, dv, m) + d_diag;
      const at::Tensor d_dagger = apply_pattern(Pattern::LowerDagger, dv, m) + d_diag;
      return HermitianJet{at::matmul(lower, dagger),
                          at::matmul(d_lower, dagger.unsqueeze(1)) + at::matmul(lower.unsqueeze(1), d_dagger)};
    }
    case FreeMetricHead::Additive:
      return HermitianJet{g_fs + apply_pattern(Pattern::Hermitian, v, m),
                          dg_fs + apply_pattern(Pattern::Hermitian, dv, m)};
    case FreeMetricHead::Multiplicative: {
      const at::Tensor factor = 1.0 + apply_pattern(Pattern::Hermitian, v, m);
      return HermitianJet{g_fs * factor,
                          dg_fs * factor.unsqueeze(1) + g_fs.unsqueeze(1) * apply_pattern(Pattern::Hermitian, dv, m)};
    }
  }
  return HermitianJet{};
}

at::Tensor holomorphic_derivative_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& fn,
                                              const at::Tensor& z, const at::Tensor& pullback, bool create_graph) {
  NMFLOW_CHECK(z.dim() == 2 && z.scalar_type() == at::kComplexDouble,
               "holomorphic_derivative_by_autograd: z must be complex128 [B, N+1], got ", z.sizes(), " ",
               z.scalar_type());
  NMFLOW_CHECK(pullback.dim() == 3 && pullback.size(0) == z.size(0) && pullback.size(2) == z.size(1),
               "holomorphic_derivative_by_autograd: pullback must be [", z.size(0), ", m, ", z.size(1), "], got ",
               pullback.sizes());
  const int64_t batch = z.size(0);
  const int64_t n = z.size(1);
  const int64_t m = pullback.size(1);
  const c10::AutoGradMode grad_mode(true);
  const at::Tensor x = at::cat({at::real(z), at::imag(z)}, 1).detach().requires_grad_(true);  // [B, 2n]
  const at::Tensor out = fn(at::complex(x.narrow(1, 0, n), x.narrow(1, n, n)));
  NMFLOW_CHECK(out.dim() >= 1 && out.size(0) == batch && out.scalar_type() == at::kComplexDouble,
               "holomorphic_derivative_by_autograd: fn must return complex128 [", batch, ", ...], got ",
               out.sizes(), " ", out.scalar_type());
  const at::Tensor flat = at::view_as_real(out.contiguous()).reshape({batch, -1});  // [B, 2Q]: (Re, Im) pairs
  const int64_t q = flat.size(1) / 2;
  std::vector<at::Tensor> rows;
  for (int64_t r = 0; r < 2 * q; ++r) {
    at::Tensor row = torch::autograd::grad({flat.select(1, r).sum()}, {x}, {}, true, create_graph, true)[0];
    rows.push_back(row.defined() ? row : at::zeros_like(x));
  }
  const at::Tensor jac = at::stack(rows, 1).view({batch, q, 2, 2 * n});  // [B, Q, (Re|Im), (∂x|∂y)]
  // ∂_I F = ½(∂x_I − i ∂y_I) F for real F; F = U + iV → ∂_I F = ∂_I U + i ∂_I V.
  const auto wirtinger = [&](int64_t part) {
    const at::Tensor j = jac.select(2, part);
    return at::complex(0.5 * j.narrow(2, 0, n), -0.5 * j.narrow(2, n, n));  // [B, Q, n]
  };
  const at::Tensor d_ambient = wirtinger(0) + c10::complex<double>(0.0, 1.0) * wirtinger(1);
  const at::Tensor d_local = at::matmul(d_ambient, pullback.transpose(1, 2)).transpose(1, 2);  // [B, m, Q]
  std::vector<int64_t> shape{batch, m};
  shape.insert(shape.end(), out.sizes().begin() + 1, out.sizes().end());
  return d_local.reshape(shape);
}

FreeCYMetric::FreeCYMetric(const FreeCYMetricConfig& config, int64_t n_coords)
    : config_(config), n_coords_(n_coords), mlp_([&] {
        NMFLOW_CHECK(n_coords >= 3, "FreeCYMetric: n_coords (N+1) must be ≥ 3, got ", n_coords);
        NMFLOW_CHECK(max_jet_order(config.activation) >= 1, "FreeCYMetric: activation '",
                     activation_name(config.activation), "' has no derivative");
        MlpConfig mc;
        mc.input_dim = phi_input_dim(config.inputs, n_coords);
        mc.hidden = config.hidden;
        mc.output_dim = (n_coords - 2) * (n_coords - 2);
        mc.activation = config.activation;
        mc.parameterisation = config.parameterisation;
        mc.sigma_w = config.sigma_w;
        mc.sigma_b = config.sigma_b;
        mc.seed = config.seed;
        mc.dtype = config.dtype;
        return mc;
      }()) {
  if (config.zero_output_layer) {
    const c10::AutoGradMode no_grad(false);
    mlp_.layers().back().weight.zero_();
    mlp_.layers().back().bias.zero_();
  }
}

at::Tensor FreeCYMetric::outputs(const at::Tensor& inputs) const {
  NMFLOW_CHECK(inputs.dim() == 2 && inputs.size(1) == mlp_.input_dim() && inputs.scalar_type() == config_.dtype,
               "FreeCYMetric::outputs: inputs must be [B, ", mlp_.input_dim(), "] of dtype ", config_.dtype,
               ", got ", inputs.sizes(), " ", inputs.scalar_type());
  return mlp_.forward(inputs).to(at::kDouble);
}

at::Tensor FreeCYMetric::metric(const at::Tensor& inputs, const at::Tensor& g_fs) const {
  return free_metric_head(config_.head, outputs(inputs), g_fs);
}

HermitianJet FreeCYMetric::metric_jet(const at::Tensor& input_jet, const at::Tensor& g_fs,
                                      const at::Tensor& dg_fs) const {
  const int64_t m = dim();
  NMFLOW_CHECK(input_jet.dim() == 3 && input_jet.size(1) >= 1 + 2 * m && input_jet.size(2) == mlp_.input_dim() &&
                   input_jet.scalar_type() == config_.dtype,
               "FreeCYMetric::metric_jet: input_jet must be [B, ≥ ", 1 + 2 * m, ", ", mlp_.input_dim(),
               "] of dtype ", config_.dtype, ", got ", input_jet.sizes(), " ", input_jet.scalar_type());
  const MlpTaylorJet jet = mlp_taylor_jet(mlp_, input_jet.select(1, 0), 1);  // derivatives: [B, n_in, m²]
  const at::Tensor rows = input_jet.narrow(1, 1, 2 * m).to(at::kDouble);
  const at::Tensor dx = at::complex(rows.narrow(1, 0, m), rows.narrow(1, m, m));  // ∂_a x_i: [B, m, n_in]
  const at::Tensor dv = at::matmul(dx, as_complex(jet.derivatives.to(at::kDouble)));  // ∂_a v = Σ_i ∂_a x_i ∂_i v
  return free_metric_head_jet(config_.head, jet.value.to(at::kDouble), dv, g_fs, dg_fs);
}

at::Tensor FreeCYMetric::metric_of_z(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                                     const at::Tensor& eliminated, const at::Tensor& local_indices, double t) const {
  NMFLOW_CHECK(surface.n_coords() == n_coords_, "FreeCYMetric::metric_of_z: the surface has ", surface.n_coords(),
               " coordinates, the model ", n_coords_);
  const at::Tensor p = pullback_at(surface, z, patch, eliminated, local_indices);
  const at::Tensor g_fs = at::matmul(at::matmul(p, fubini_study_ambient(z, t)), at::conj(p).transpose(1, 2));
  const at::Tensor inputs = phi_input_jet(config_.inputs, z, p, patch, config_.dtype).select(1, 0);
  return metric(inputs, g_fs);
}

}  // namespace nmflow

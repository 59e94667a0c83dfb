#include "models/jet_trunk.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "models/activation_jet_cpu.h"
#include "models/activation_sigma_cpu.h"
#include "models/tile_gemm_cpu.h"

namespace nmflow {

namespace {

// Effective layer parameters (scales folded in) as a flat list: W_0, b_0, W_1, b_1, …
std::vector<at::Tensor> scaled_parameters(const Mlp& mlp) {
  std::vector<at::Tensor> params;
  for (const Mlp::Layer& layer : mlp.layers()) {
    params.push_back(layer.weight_scale == 1.0 ? layer.weight : layer.weight * layer.weight_scale);
    params.push_back(layer.bias_scale == 1.0 ? layer.bias : layer.bias * layer.bias_scale);
  }
  return params;
}

at::Tensor layered(Activation activation, const at::Tensor& input_jet, at::TensorList params,
                   const ActivationJetLayout& layout) {
  const size_t layers = params.size() / 2;
  at::Tensor t = input_jet;
  for (size_t l = 0; l < layers; ++l) {
    t = at::matmul(t, params[2 * l].t());
    if (l + 1 == layers) {
      return at::cat({t.narrow(1, 0, 1) + params[2 * l + 1], t.narrow(1, 1, layout.rows - 1)}, 1);
    }
    t = activation_jet(activation, t, params[2 * l + 1], layout);
  }
  TORCH_INTERNAL_ASSERT(false, "mlp_jet_trunk: a network without layers");
}

// Points per tile: the tile's widest jet, R·W values, about kTileValues: GEMMs of [R·P, 64] × [64, 64] with a few
// thousand rows keep their operands in L2 and run near the core's peak, much larger ones fall out of cache
// (docs/BENCHMARKS.md, Jets); larger tiles also spread the per-tile ATen calls (σ and its derivatives) over more
// points.
int64_t tile_points(int64_t rows, int64_t max_width) {
  constexpr int64_t kTileValues = 131072;  // 1 MB of doubles
  return std::max<int64_t>(1, kTileValues / std::max<int64_t>(1, rows * max_width));
}

// Columns the output layer's GEMM computes. tile_gemm_cpu's own kernel takes any width; MKL's double-precision
// kernels on this machine (AMD EPYC, zen code path) run [2044, 64] × [64, N] at 20 GFLOP/s for N = 21 but 37 for
// N = 24 — 272 vs 166 µs, fewer flops taking longer; every N ≥ 5 measured (6, 8, 10, 16, 21, 28, 45, 64) ran at
// least as fast padded up to a multiple of 12, N ≤ 4 slower (docs/BENCHMARKS.md, Jets). The padded columns
// multiply zero weight rows and are dropped.
int64_t gemm_output_columns(int64_t width, at::ScalarType dtype) {
  return width < 5 || tile_gemm_cpu_has_kernel(dtype) ? width : (width + 11) / 12 * 12;
}

// Each layer's Wᵀ as a contiguous [W_in, W_out] matrix (tile_gemm_cpu's B operand), the output layer's padded with
// zero columns to gemm_output_columns.
std::vector<at::Tensor> transposed_weights(at::TensorList params) {
  std::vector<at::Tensor> weight_t;
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    const at::Tensor& w = params[2 * l];
    const int64_t columns = l + 1 == layers ? gemm_output_columns(w.size(0), w.scalar_type()) : w.size(0);
    at::Tensor t = at::zeros({w.size(1), columns}, w.options());
    t.narrow(1, 0, w.size(0)).copy_(w.t());
    weight_t.push_back(t);
  }
  return weight_t;
}

struct TrunkShape {
  int64_t batch, rows, layers, max_width, tile, tiles;
};

TrunkShape shape_of(const at::Tensor& input_jet, at::TensorList params) {
  TrunkShape s;
  s.batch = input_jet.size(0);
  s.rows = input_jet.size(1);
  s.layers = static_cast<int64_t>(params.size() / 2);
  s.max_width = input_jet.size(2);
  for (int64_t l = 0; l < s.layers; ++l) s.max_width = std::max(s.max_width, params[2 * l].size(0));
  s.max_width = std::max(
      s.max_width, gemm_output_columns(params[2 * (s.layers - 1)].size(0), params[2 * (s.layers - 1)].scalar_type()));
  s.tile = tile_points(s.rows, s.max_width);
  s.tiles = (s.batch + s.tile - 1) / s.tile;
  // With several threads and few tiles, shrink the tiles so that their count is a multiple of the threads: 3 tiles
  // on 2 threads run as 2 + 1, i.e. no faster than 4 smaller ones as 2 + 2 (tiles ≥ 512 rows keep the GEMMs at
  // full speed, docs/BENCHMARKS.md "Jets").
  const int64_t threads = at::get_num_threads();
  if (threads > 1 && s.tiles > 1 && s.tiles % threads != 0 && s.tiles < 4 * threads) {
    const int64_t balanced = (s.tiles + threads - 1) / threads * threads;
    s.tile = (s.batch + balanced - 1) / balanced;
    s.tiles = (s.batch + s.tile - 1) / s.tile;
  }
  return s;
}

// Thread groups of consecutive tiles; each group owns its gradient accumulators (summed in a fixed order, so a run
// is reproducible for a given thread count).
int64_t group_count(const TrunkShape& s) {
  return std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), s.tiles));
}

// The calling thread's scratch buffer number `slot`, at least `count` elements, kept from call to call: fresh
// megabyte buffers per call were handed back to the OS by glibc on free and faulted in again page by page on first
// touch — 13 % of a 3-dimensional metric 2-jet (perf). The buffers never leave forward_cpu / backward_cpu.
at::Tensor thread_scratch(size_t slot, int64_t count, const at::TensorOptions& options) {
  thread_local std::vector<at::Tensor> slots;
  if (slots.size() <= slot) slots.resize(slot + 1);
  at::Tensor& buffer = slots[slot];
  if (!buffer.defined() || buffer.numel() < count || buffer.scalar_type() != options.dtype().toScalarType()) {
    buffer = at::empty({count}, options);
  }
  return buffer.narrow(0, 0, count);
}

// Runs the trunk tile by tile. `pre` (one [B, R, W_l] per hidden layer) receives the pre-activation jets when
// non-empty (kept for the backward); otherwise they live only in the tile's scratch.
template <typename T>
void forward_cpu(Activation activation, const at::Tensor& x, at::TensorList params, const ActivationJetLayout& layout,
                 const std::vector<at::Tensor>& pre, const std::vector<std::vector<at::Tensor>>& sigma_saved,
                 at::Tensor& out) {
  const TrunkShape s = shape_of(x, params);
  const std::vector<JetProductTerm<T>> terms = activation_jet_terms<T>(layout);
  const int64_t groups = group_count(s);
  const std::vector<at::Tensor> weight_t = transposed_weights(params);
  at::parallel_for(0, groups, 1, [&](int64_t g0, int64_t g1) {
    const int64_t buffer = s.tile * s.rows * s.max_width;
    at::Tensor t_buf = thread_scratch(0, buffer, x.options());
    at::Tensor h_buf = thread_scratch(1, buffer, x.options());
    // σ, σ', σ'' of the tile in evaluation (with a backward to come they go to sigma_saved instead).
    const at::Tensor sigma_buf =
        pre.empty() ? thread_scratch(2, 3 * s.tile * s.max_width, x.options()).view({3, s.tile * s.max_width})
                    : at::Tensor();
    for (int64_t group = g0; group < g1; ++group) {
      for (int64_t tile = group * s.tiles / groups; tile < (group + 1) * s.tiles / groups; ++tile) {
        const int64_t p0 = tile * s.tile;
        const int64_t np = std::min(s.tile, s.batch - p0);
        const int64_t tile_rows = np * s.rows;
        at::Tensor cur = x.narrow(0, p0, np).view({tile_rows, x.size(2)});
        for (int64_t l = 0; l < s.layers; ++l) {
          const at::Tensor& w = params[2 * l];
          const at::Tensor& b = params[2 * l + 1];
          const int64_t width = w.size(0);
          if (l + 1 == s.layers) {
            at::Tensor o = out.narrow(0, p0, np);
            const at::Tensor& w_t = weight_t[static_cast<size_t>(l)];
            if (w_t.size(1) == width) {
              at::Tensor o2 = o.view({tile_rows, width});
              tile_gemm_cpu(o2, cur, w_t, false);
            } else {
              at::Tensor wide = t_buf.narrow(0, 0, tile_rows * w_t.size(1)).view({tile_rows, w_t.size(1)});
              tile_gemm_cpu(wide, cur, w_t, false);
              o.view({tile_rows, width}).copy_(wide.narrow(1, 0, width));
            }
            o.select(1, 0).add_(b);
            break;
          }
          // The GEMM writes the tile's pre-activations straight into the saved tensor when there is one (they
          // stay in cache for the activation pass), else into scratch.
          at::Tensor t =
              pre.empty() ? t_buf.narrow(0, 0, tile_rows * width).view({np, s.rows, width}) : pre[l].narrow(0, p0, np);
          at::Tensor t2 = t.view({tile_rows, width});
          tile_gemm_cpu(t2, cur, weight_t[static_cast<size_t>(l)], false);
          // With a backward to come, σ … σ''' go straight into the saved [B, W_l] tensors (the backward needs them
          // at every point); otherwise σ, σ', σ'' live in the tile's scratch.
          T* sigma[4] = {nullptr, nullptr, nullptr, nullptr};
          for (int64_t k = 0; k < (pre.empty() ? 3 : 4); ++k) {
            sigma[k] = pre.empty()
                           ? sigma_buf.select(0, k).data_ptr<T>()
                           : sigma_saved[static_cast<size_t>(l)][static_cast<size_t>(k)].data_ptr<T>() + p0 * width;
          }
          activation_sigma_cpu(activation, t.data_ptr<T>(), s.rows, width, b.data_ptr<T>(), np, sigma[0], sigma[1],
                               sigma[2], sigma[3]);
          at::Tensor h = h_buf.narrow(0, 0, tile_rows * width);
          activation_jet_forward_cpu(t.data_ptr<T>(), h.data_ptr<T>(), sigma[0], sigma[1], sigma[2], 0, np,
                                     static_cast<int>(s.rows), static_cast<int>(width), terms.data(),
                                     static_cast<int>(terms.size()));
          cur = h.view({tile_rows, width});  // the next GEMM reads h_buf and writes t_buf
        }
      }
    }
  });
}

// Gradients of every parameter (and of the input jet when `input_grad` is defined) from grad_out [B, R, O].
template <typename T>
std::vector<at::Tensor> backward_cpu(const at::Tensor& x, at::TensorList params, const ActivationJetLayout& layout,
                                     const std::vector<at::Tensor>& pre,
                                     const std::vector<std::vector<at::Tensor>>& sigma_all, const at::Tensor& grad_out,
                                     at::Tensor& input_grad) {
  const TrunkShape s = shape_of(x, params);
  const std::vector<JetProductTerm<T>> terms = activation_jet_terms<T>(layout);
  const int64_t groups = group_count(s);
  std::vector<std::vector<at::Tensor>> partial(static_cast<size_t>(groups));
  for (auto& grads : partial) {
    for (const at::Tensor& p : params) grads.push_back(at::zeros(p.sizes(), p.options()));
  }
  std::vector<at::Tensor> weight;  // W_l as [W_out, W_in] rows: the B operand of ∂L/∂h = g W
  for (int64_t l = 0; l < s.layers; ++l) weight.push_back(params[2 * l].contiguous());
  at::parallel_for(0, groups, 1, [&](int64_t g0, int64_t g1) {
    const int64_t buffer = s.tile * s.rows * s.max_width;
    at::Tensor prev_buf = thread_scratch(0, buffer, x.options());
    at::Tensor gh_buf = thread_scratch(1, buffer, x.options());
    at::Tensor gt_bufs[2] = {thread_scratch(2, buffer, x.options()), thread_scratch(3, buffer, x.options())};
    for (int64_t group = g0; group < g1; ++group) {
      std::vector<at::Tensor>& grads = partial[static_cast<size_t>(group)];
      // Last tile first: the forward wrote it last, so its saved pre-activations are the likeliest still in cache.
      for (int64_t tile = (group + 1) * s.tiles / groups - 1; tile >= group * s.tiles / groups; --tile) {
        const int64_t p0 = tile * s.tile;
        const int64_t np = std::min(s.tile, s.batch - p0);
        const int64_t tile_rows = np * s.rows;
        at::Tensor g = grad_out.narrow(0, p0, np).view({tile_rows, grad_out.size(2)});
        for (int64_t l = s.layers - 1; l >= 0; --l) {
          const at::Tensor& w = params[2 * l];
          const int64_t in_width = w.size(1);
          at::Tensor prev;  // h_{l−1}, the layer's input
          at::Tensor gt;    // ∂L/∂t_{l−1}, the next (lower) layer's upstream gradient
          if (l == 0) {
            prev = x.narrow(0, p0, np).view({tile_rows, in_width});
          } else {
            const T* sigma[4];  // layer l − 1's σ … σ''' at the tile's points
            for (size_t k = 0; k < 4; ++k) sigma[k] = sigma_all[l - 1][k].template data_ptr<T>() + p0 * in_width;
            at::Tensor gh = gh_buf.narrow(0, 0, tile_rows * in_width).view({tile_rows, in_width});
            tile_gemm_cpu(gh, g, weight[static_cast<size_t>(l)], false);  // ∂L/∂h_{l−1}
            // h_{l−1} recomputed and ∂L/∂t_{l−1} in one pass over the saved pre-activations.
            const at::Tensor t = pre[l - 1].narrow(0, p0, np);
            prev = prev_buf.narrow(0, 0, tile_rows * in_width).view({tile_rows, in_width});
            gt = gt_bufs[l % 2].narrow(0, 0, tile_rows * in_width).view({tile_rows, in_width});
            activation_jet_forward_backward_cpu(t.data_ptr<T>(), prev.data_ptr<T>(), gh.data_ptr<T>(), gt.data_ptr<T>(),
                                                sigma[0], sigma[1], sigma[2], sigma[3], 0, np, static_cast<int>(s.rows),
                                                static_cast<int>(in_width), terms.data(),
                                                static_cast<int>(terms.size()));
          }
          tile_gemm_cpu(grads[2 * l], g.t(), prev, true);                              // ∂L/∂W_l += gᵀ h_{l−1}
          grads[2 * l + 1].add_(g.view({np, s.rows, w.size(0)}).select(1, 0).sum(0));  // bias: value row only
          if (l == 0) {
            if (input_grad.defined()) {
              at::Tensor gi = input_grad.narrow(0, p0, np).view({tile_rows, in_width});
              tile_gemm_cpu(gi, g, weight[0], false);
            }
            break;
          }
          g = gt;
        }
      }
    }
  });
  for (size_t group = 1; group < partial.size(); ++group) {
    for (size_t k = 0; k < params.size(); ++k) partial[0][k].add_(partial[group][k]);
  }
  return partial[0];
}

struct JetTrunkFunction : public torch::autograd::Function<JetTrunkFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input_jet, at::TensorList params,
                            int64_t activation, const ActivationJetLayout* layout) {
    const at::Tensor x = input_jet.contiguous();
    const TrunkShape s = shape_of(x, params);
    std::vector<at::Tensor> pre;  // pre-activation jets of the hidden layers, saved for the backward
    for (int64_t l = 0; l + 1 < s.layers; ++l) {
      pre.push_back(at::empty({s.batch, s.rows, params[2 * l].size(0)}, x.options()));
    }
    std::vector<std::vector<at::Tensor>> sigma(pre.size());  // σ … σ''' of each hidden layer, [B, W_l] each
    for (size_t l = 0; l < pre.size(); ++l) {
      for (int k = 0; k < 4; ++k) sigma[l].push_back(at::empty({s.batch, pre[l].size(2)}, x.options()));
    }
    at::Tensor out = at::empty({s.batch, s.rows, params[2 * (s.layers - 1)].size(0)}, x.options());
    {
      const at::NoGradGuard no_grad;
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "mlp_jet_trunk", [&] {
        forward_cpu<scalar_t>(static_cast<Activation>(activation), x, params, *layout, pre, sigma, out);
      });
    }
    std::vector<at::Tensor> saved{x};  // x, params, pre (one per hidden layer), σ … σ''' (four per hidden layer)
    saved.insert(saved.end(), params.begin(), params.end());
    saved.insert(saved.end(), pre.begin(), pre.end());
    for (const std::vector<at::Tensor>& layer_sigma : sigma) {
      saved.insert(saved.end(), layer_sigma.begin(), layer_sigma.end());
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["activation"] = activation;
    ctx->saved_data["params"] = static_cast<int64_t>(params.size());
    // Layouts are cached for the life of the process (activation_jet.h), so the address stays valid.
    ctx->saved_data["layout"] = reinterpret_cast<int64_t>(layout);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const auto activation = static_cast<Activation>(ctx->saved_data["activation"].toInt());
    const auto count = static_cast<size_t>(ctx->saved_data["params"].toInt());
    const auto* layout = reinterpret_cast<const ActivationJetLayout*>(ctx->saved_data["layout"].toInt());
    const at::Tensor& x = saved[0];
    const std::vector<at::Tensor> params(saved.begin() + 1, saved.begin() + 1 + static_cast<int64_t>(count));
    const auto hidden = static_cast<int64_t>(count / 2 - 1);
    const auto pre_begin = saved.begin() + 1 + static_cast<int64_t>(count);
    const std::vector<at::Tensor> pre(pre_begin, pre_begin + hidden);
    std::vector<std::vector<at::Tensor>> sigma;
    for (int64_t l = 0; l < hidden; ++l) sigma.emplace_back(pre_begin + hidden + 4 * l, pre_begin + hidden + 4 * l + 4);
    torch::autograd::variable_list result(1 + count + 2);
    if (at::GradMode::is_enabled()) {
      // A backward that records a graph: differentiate the layered path (itself differentiable to every order).
      std::vector<at::Tensor> inputs;
      std::vector<size_t> slots;
      if (x.requires_grad()) {
        inputs.push_back(x);
        slots.push_back(0);
      }
      for (size_t k = 0; k < count; ++k) {
        if (params[k].requires_grad()) {
          inputs.push_back(params[k]);
          slots.push_back(1 + k);
        }
      }
      if (inputs.empty()) return result;
      const at::Tensor out = layered(activation, x, params, *layout);
      const auto grads = torch::autograd::grad({out}, inputs, {grad_outputs[0]}, /*retain_graph=*/true,
                                               /*create_graph=*/true, /*allow_unused=*/true);
      for (size_t i = 0; i < slots.size(); ++i) result[slots[i]] = grads[i];
      return result;
    }
    const at::Tensor grad_out = grad_outputs[0].contiguous();
    at::Tensor input_grad = ctx->needs_input_grad(0) ? at::empty_like(x) : at::Tensor();
    std::vector<at::Tensor> grads;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "mlp_jet_trunk_backward", [&] {
      grads = backward_cpu<scalar_t>(x, params, *layout, pre, sigma, grad_out, input_grad);
    });
    result[0] = input_grad;
    for (size_t k = 0; k < count; ++k) result[1 + k] = grads[k];
    return result;
  }
};

void check_trunk_inputs(const Mlp& mlp, const at::Tensor& input_jet, const ActivationJetLayout& layout) {
  NMFLOW_CHECK(input_jet.dim() == 3 && input_jet.size(1) == layout.rows && input_jet.size(2) == mlp.input_dim(),
               "mlp_jet_trunk: input_jet must be [B, ", layout.rows, ", ", mlp.input_dim(), "], got ",
               input_jet.sizes());
  NMFLOW_CHECK(input_jet.scalar_type() == mlp.config().dtype, "mlp_jet_trunk: input_jet has dtype ",
               input_jet.scalar_type(), " but the network is ", mlp.config().dtype);
  NMFLOW_CHECK(max_jet_order(mlp.config().activation) >= 2, "mlp_jet_trunk: activation '",
               activation_name(mlp.config().activation),
               "' has no second derivative; use tanh, gelu, softplus, erf, sin or cos");
}

}  // namespace

at::Tensor mlp_jet_trunk_layered(const Mlp& mlp, const at::Tensor& input_jet, const ActivationJetLayout& layout) {
  check_trunk_inputs(mlp, input_jet, layout);
  return layered(mlp.config().activation, input_jet, scaled_parameters(mlp), layout);
}

at::Tensor mlp_jet_trunk(const Mlp& mlp, const at::Tensor& input_jet, const ActivationJetLayout& layout) {
  check_trunk_inputs(mlp, input_jet, layout);
  const std::vector<at::Tensor> params = scaled_parameters(mlp);
  if (!input_jet.device().is_cpu() || input_jet.size(0) == 0) {
    return layered(mlp.config().activation, input_jet, params, layout);
  }
  const bool needs_graph =
      at::GradMode::is_enabled() &&
      (input_jet.requires_grad() ||
       std::any_of(params.begin(), params.end(), [](const at::Tensor& p) { return p.requires_grad(); }));
  if (!needs_graph) {  // evaluation: nothing to save for a backward
    const at::NoGradGuard no_grad;
    const at::Tensor x = input_jet.contiguous();
    at::Tensor out = at::empty({x.size(0), x.size(1), mlp.output_dim()}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "mlp_jet_trunk",
                               [&] { forward_cpu<scalar_t>(mlp.config().activation, x, params, layout, {}, {}, out); });
    return out;
  }
  return JetTrunkFunction::apply(input_jet, at::TensorList(params), static_cast<int64_t>(mlp.config().activation),
                                 &layout);
}

}  // namespace nmflow

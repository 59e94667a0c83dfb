#include "models/activation_jet.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <map>
#include <memory>
#include <mutex>

#include "common/cpu_clones.h"
#include "common/error.h"
#include "models/activation_jet_cpu.h"
#include "models/multi_index.h"

#ifdef NMFLOW_WITH_CUDA
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "activation_jet_launch.h"
#endif

namespace nmflow {

namespace {

ActivationJetLayout build_real_jet2_layout(int64_t n) {
  const MultiIndexTable& table = multi_index_table(n, 2);
  ActivationJetLayout layout;
  layout.rows = 1 + table.rows();
  for (const MultiIndexTable::ProductTerms& group : table.product_terms()) {
    TORCH_INTERNAL_ASSERT(group.blocks == 2);
    for (size_t t = 0; t < group.target.size(); ++t) {
      // +1: row 0 of the jet is the value; the table numbers derivative rows from 0.
      layout.terms.push_back({static_cast<int32_t>(group.target[t] + 1), static_cast<int32_t>(group.factor[0][t] + 1),
                              static_cast<int32_t>(group.factor[1][t] + 1), group.coefficient[t]});
    }
  }
  return layout;
}

ActivationJetLayout build_kahler_jet_layout(int64_t m) {
  ActivationJetLayout layout;
  layout.rows = 1 + 2 * m + m * m;
  const auto re = [](int64_t a) { return static_cast<int32_t>(1 + a); };
  const auto im = [m](int64_t a) { return static_cast<int32_t>(1 + m + a); };
  // ∂_a z conj(∂_b z) = (Re_a Re_b + Im_a Im_b) + i (Im_a Re_b − Re_a Im_b)
  int32_t row = static_cast<int32_t>(1 + 2 * m);
  for (int64_t a = 0; a < m; ++a) {
    for (int64_t b = a; b < m; ++b, ++row) {
      layout.terms.push_back({row, re(a), re(b), 1.0});
      layout.terms.push_back({row, im(a), im(b), 1.0});
    }
  }
  for (int64_t a = 0; a < m; ++a) {
    for (int64_t b = a + 1; b < m; ++b, ++row) {
      layout.terms.push_back({row, im(a), re(b), 1.0});
      layout.terms.push_back({row, re(a), im(b), -1.0});
    }
  }
  TORCH_INTERNAL_ASSERT(row == layout.rows);
  return layout;
}

template <typename Build>
const ActivationJetLayout& cached_layout(int kind, int64_t size, Build build) {
  static std::mutex mutex;
  static std::map<std::pair<int, int64_t>, std::unique_ptr<ActivationJetLayout>> layouts;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = layouts[{kind, size}];
  if (!slot) {
    slot = std::make_unique<ActivationJetLayout>(build(size));
  }
  return *slot;
}

void check_inputs(const at::Tensor& t, const at::Tensor& bias, const ActivationJetLayout& layout) {
  NMFLOW_CHECK(t.dim() == 3 && t.size(1) == layout.rows, "activation_jet: t must be [B, ", layout.rows,
               ", W], got ", t.sizes());
  NMFLOW_CHECK(t.scalar_type() == at::kDouble || t.scalar_type() == at::kFloat,
               "activation_jet: t must be float32 or float64, got ", t.scalar_type());
  NMFLOW_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == t.size(2) &&
                                   bias.scalar_type() == t.scalar_type() && bias.device() == t.device()),
               "activation_jet: bias must be [", t.size(2), "] of t's dtype and device, got ",
               bias.defined() ? bias.sizes() : at::IntArrayRef{}, " ",
               bias.defined() ? bias.scalar_type() : t.scalar_type());
}

}  // namespace

std::vector<at::Tensor> activation_jet_sigma(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                                             int64_t order) {
  const at::NoGradGuard no_grad;
  at::Tensor z = t.select(1, 0);
  z = bias.defined() ? z + bias : z.contiguous();
  std::vector<at::Tensor> sigma = activation_derivatives(activation, z, order);
  for (at::Tensor& s : sigma) {
    s = s.contiguous();
  }
  return sigma;
}

template <typename T>
std::vector<JetProductTerm<T>> activation_jet_terms(const ActivationJetLayout& layout) {
  std::vector<JetProductTerm<T>> terms;
  for (const JetProductTerm<double>& term : layout.terms) {
    terms.push_back({term.target, term.left, term.right, static_cast<T>(term.coefficient)});
  }
  return terms;
}
template std::vector<JetProductTerm<double>> activation_jet_terms<double>(const ActivationJetLayout&);
template std::vector<JetProductTerm<float>> activation_jet_terms<float>(const ActivationJetLayout&);

namespace {

// CPU loops: one point per call of the lane functions, whole width as lanes.
template <typename T>
NMFLOW_INLINE_INTO_CLONES void forward_points(const T* in, T* out, const T* s0, const T* s1, const T* s2,
                                              int64_t begin, int64_t end, int rows, int width,
                                              const JetProductTerm<T>* terms, int term_count) {
  const int64_t stride = static_cast<int64_t>(rows) * width;
  for (int64_t b = begin; b < end; ++b) {
    activation_jet_forward_lanes(in + b * stride, out + b * stride, width, rows, width, s0 + b * width,
                                 s1 + b * width, s2 + b * width, terms, term_count);
  }
}

template <typename T>
NMFLOW_INLINE_INTO_CLONES void backward_points(const T* in, const T* grad_out, T* grad_in, const T* s1, const T* s2,
                                               const T* s3, int64_t begin, int64_t end, int rows, int width,
                                               const JetProductTerm<T>* terms, int term_count) {
  const int64_t stride = static_cast<int64_t>(rows) * width;
  for (int64_t b = begin; b < end; ++b) {
    activation_jet_backward_lanes(in + b * stride, grad_out + b * stride, grad_in + b * stride, width, rows, width,
                                  s1 + b * width, s2 + b * width, s3 + b * width, terms, term_count);
  }
}

template <typename T>
NMFLOW_INLINE_INTO_CLONES void forward_backward_points(const T* in, T* out, const T* grad_out, T* grad_in, const T* s0,
                                                       const T* s1, const T* s2, const T* s3, int64_t begin,
                                                       int64_t end, int rows, int width,
                                                       const JetProductTerm<T>* terms, int term_count) {
  const int64_t stride = static_cast<int64_t>(rows) * width;
  for (int64_t b = begin; b < end; ++b) {
    const int64_t o = b * stride;
    const int64_t so = b * width;
    // The saved pre-activations come from memory (tens of MB per layer), and the loads stall: fetch the next
    // point's rows while this one is computed.
    if (b + 1 < end) {
      const int64_t line = 64 / static_cast<int64_t>(sizeof(T));
      for (int64_t k = 0; k < stride; k += line) __builtin_prefetch(in + o + stride + k);
    }
    activation_jet_forward_lanes(in + o, out + o, width, rows, width, s0 + so, s1 + so, s2 + so, terms, term_count);
    activation_jet_backward_lanes(in + o, grad_out + o, grad_in + o, width, rows, width, s1 + so, s2 + so, s3 + so,
                                  terms, term_count);
  }
}

}  // namespace

// The public CPU entry points are the cloned functions themselves (target_clones needs non-template functions; the
// templates above are inlined into each clone).
NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_forward_cpu(const double* in, double* out, const double* s0,
                                                                 const double* s1, const double* s2, int64_t b0,
                                                                 int64_t b1, int rows, int width,
                                                                 const JetProductTerm<double>* terms, int count) {
  forward_points(in, out, s0, s1, s2, b0, b1, rows, width, terms, count);
}
NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_forward_cpu(const float* in, float* out, const float* s0,
                                                                 const float* s1, const float* s2, int64_t b0,
                                                                 int64_t b1, int rows, int width,
                                                                 const JetProductTerm<float>* terms, int count) {
  forward_points(in, out, s0, s1, s2, b0, b1, rows, width, terms, count);
}
NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_backward_cpu(const double* in, const double* g, double* gi,
                                                                  const double* s1, const double* s2,
                                                                  const double* s3, int64_t b0, int64_t b1, int rows,
                                                                  int width, const JetProductTerm<double>* terms,
                                                                  int count) {
  backward_points(in, g, gi, s1, s2, s3, b0, b1, rows, width, terms, count);
}
NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_backward_cpu(const float* in, const float* g, float* gi,
                                                                  const float* s1, const float* s2, const float* s3,
                                                                  int64_t b0, int64_t b1, int rows, int width,
                                                                  const JetProductTerm<float>* terms, int count) {
  backward_points(in, g, gi, s1, s2, s3, b0, b1, rows, width, terms, count);
}

NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_forward_backward_cpu(
    const double* in, double* out, const double* g, double* gi, const double* s0, const double* s1, const double* s2,
    const double* s3, int64_t b0, int64_t b1, int rows, int width, const JetProductTerm<double>* terms, int count) {
  forward_backward_points(in, out, g, gi, s0, s1, s2, s3, b0, b1, rows, width, terms, count);
}
NMFLOW_CPU_CLONES NMFLOW_FLATTEN void activation_jet_forward_backward_cpu(
    const float* in, float* out, const float* g, float* gi, const float* s0, const float* s1, const float* s2,
    const float* s3, int64_t b0, int64_t b1, int rows, int width, const JetProductTerm<float>* terms, int count) {
  forward_backward_points(in, out, g, gi, s0, s1, s2, s3, b0, b1, rows, width, terms, count);
}

namespace {

// Points per parallel task: enough work per task (R·W values per point) to pay for the dispatch.
int64_t grain_points(int64_t rows, int64_t width) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, rows * width));
}

// GPU launches (cuda/activation_jet.cu); t, out, grad tensors and σ's are contiguous on one CUDA device.
#ifdef NMFLOW_WITH_CUDA
void* current_stream(const at::Tensor& t) {
  return c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(t.device()).native_handle();
}

template <typename T>
void forward_cuda(const at::Tensor& t, at::Tensor& out, const std::vector<at::Tensor>& sigma,
                  const std::vector<JetProductTerm<T>>& terms) {
  const c10::DeviceGuard guard(t.device());
  cuda::launch_activation_jet_forward(t.data_ptr<T>(), out.data_ptr<T>(), sigma[0].data_ptr<T>(),
                                      sigma[1].data_ptr<T>(), sigma[2].data_ptr<T>(), t.size(0),
                                      static_cast<int>(t.size(1)), static_cast<int>(t.size(2)), terms.data(),
                                      static_cast<int>(terms.size()), current_stream(t));
}

template <typename T>
void backward_cuda(const at::Tensor& t, const at::Tensor& grad_out, at::Tensor& grad_in,
                   const std::vector<at::Tensor>& sigma, const std::vector<JetProductTerm<T>>& terms) {
  const c10::DeviceGuard guard(t.device());
  cuda::launch_activation_jet_backward(t.data_ptr<T>(), grad_out.data_ptr<T>(), grad_in.data_ptr<T>(),
                                       sigma[1].data_ptr<T>(), sigma[2].data_ptr<T>(), sigma[3].data_ptr<T>(),
                                       t.size(0), static_cast<int>(t.size(1)), static_cast<int>(t.size(2)),
                                       terms.data(), static_cast<int>(terms.size()), current_stream(t));
}
#else
template <typename T>
void forward_cuda(const at::Tensor& t, at::Tensor& /*out*/, const std::vector<at::Tensor>& /*sigma*/,
                  const std::vector<JetProductTerm<T>>& /*terms*/) {
  NMFLOW_CHECK(false, "activation_jet: tensor on ", t.device(), " but this build has no CUDA kernels");
}

template <typename T>
void backward_cuda(const at::Tensor& t, const at::Tensor& /*grad_out*/, at::Tensor& /*grad_in*/,
                   const std::vector<at::Tensor>& /*sigma*/, const std::vector<JetProductTerm<T>>& /*terms*/) {
  NMFLOW_CHECK(false, "activation_jet: tensor on ", t.device(), " but this build has no CUDA kernels");
}
#endif

at::Tensor fused_forward(Activation activation, const at::Tensor& t_in, const at::Tensor& bias,
                         const ActivationJetLayout& layout) {
  const at::Tensor t = t_in.contiguous();
  const std::vector<at::Tensor> sigma = activation_jet_sigma(activation, t, bias, 2);
  at::Tensor out = at::empty_like(t, t.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t batch = t.size(0);
  const int rows = static_cast<int>(t.size(1));
  const int width = static_cast<int>(t.size(2));
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "activation_jet", [&] {
    const std::vector<JetProductTerm<scalar_t>> terms = activation_jet_terms<scalar_t>(layout);
    const int count = static_cast<int>(terms.size());
    if (t.is_cuda()) {
      forward_cuda<scalar_t>(t, out, sigma, terms);
      return;
    }
    const scalar_t* in = t.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    const scalar_t* s0 = sigma[0].data_ptr<scalar_t>();
    const scalar_t* s1 = sigma[1].data_ptr<scalar_t>();
    const scalar_t* s2 = sigma[2].data_ptr<scalar_t>();
    at::parallel_for(0, batch, grain_points(rows, width), [&](int64_t b0, int64_t b1) {
      activation_jet_forward_cpu(in, o, s0, s1, s2, b0, b1, rows, width, terms.data(), count);
    });
  });
  return out;
}

// Returns ∂L/∂t (row 0 = ∂L/∂z).
at::Tensor fused_backward(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                          const at::Tensor& grad_out_in, const ActivationJetLayout& layout) {
  const at::Tensor grad_out = grad_out_in.contiguous();
  const std::vector<at::Tensor> sigma = activation_jet_sigma(activation, t, bias, 3);
  at::Tensor grad_in = at::empty_like(t, t.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t batch = t.size(0);
  const int rows = static_cast<int>(t.size(1));
  const int width = static_cast<int>(t.size(2));
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "activation_jet_backward", [&] {
    const std::vector<JetProductTerm<scalar_t>> terms = activation_jet_terms<scalar_t>(layout);
    const int count = static_cast<int>(terms.size());
    if (t.is_cuda()) {
      backward_cuda<scalar_t>(t, grad_out, grad_in, sigma, terms);
      return;
    }
    const scalar_t* in = t.data_ptr<scalar_t>();
    const scalar_t* g = grad_out.data_ptr<scalar_t>();
    scalar_t* gi = grad_in.data_ptr<scalar_t>();
    const scalar_t* s1 = sigma[1].data_ptr<scalar_t>();
    const scalar_t* s2 = sigma[2].data_ptr<scalar_t>();
    const scalar_t* s3 = sigma[3].data_ptr<scalar_t>();
    at::parallel_for(0, batch, grain_points(rows, width), [&](int64_t b0, int64_t b1) {
      activation_jet_backward_cpu(in, g, gi, s1, s2, s3, b0, b1, rows, width, terms.data(), count);
    });
  });
  return grad_in;
}

struct ActivationJetFunction : public torch::autograd::Function<ActivationJetFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& t, const at::Tensor& bias,
                            int64_t activation, const ActivationJetLayout* layout) {
    ctx->save_for_backward({t, bias});
    ctx->saved_data["activation"] = activation;
    // Layouts are cached for the life of the process (real_jet2_layout, kahler_jet_layout), so the address stays valid.
    ctx->saved_data["layout"] = reinterpret_cast<int64_t>(layout);
    return fused_forward(static_cast<Activation>(activation), t, bias, *layout);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const at::Tensor& t = saved[0];
    const at::Tensor& bias = saved[1];
    const auto activation = static_cast<Activation>(ctx->saved_data["activation"].toInt());
    const auto* layout = reinterpret_cast<const ActivationJetLayout*>(ctx->saved_data["layout"].toInt());
    const at::Tensor& grad_out = grad_outputs[0];
    const bool bias_needs_grad = bias.defined() && bias.requires_grad();
    if (at::GradMode::is_enabled()) {
      // A backward that records a graph: differentiate the ATen reference instead, so that the gradient is itself
      // differentiable (the fused kernel's output is not).
      std::vector<at::Tensor> inputs{t};
      if (bias_needs_grad) inputs.push_back(bias);
      const at::Tensor out = activation_jet_reference(activation, t, bias, *layout);
      const auto grads = torch::autograd::grad({out}, inputs, {grad_out}, /*retain_graph=*/true,
                                               /*create_graph=*/true, /*allow_unused=*/true);
      return {grads[0], bias_needs_grad ? grads[1] : at::Tensor(), at::Tensor(), at::Tensor()};
    }
    const at::Tensor grad_in = fused_backward(activation, t, bias, grad_out, *layout);
    const at::Tensor grad_bias = bias_needs_grad ? grad_in.select(1, 0).sum(0) : at::Tensor();
    return {grad_in, grad_bias, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

const ActivationJetLayout& real_jet2_layout(int64_t n) {
  NMFLOW_CHECK(n >= 1, "real_jet2_layout: n must be ≥ 1, got ", n);
  return cached_layout(0, n, build_real_jet2_layout);
}

const ActivationJetLayout& kahler_jet_layout(int64_t m) {
  NMFLOW_CHECK(m >= 1, "kahler_jet_layout: m must be ≥ 1, got ", m);
  return cached_layout(1, m, build_kahler_jet_layout);
}

at::Tensor activation_jet_reference(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                                    const ActivationJetLayout& layout) {
  check_inputs(t, bias, layout);
  const at::Tensor z = bias.defined() ? t.select(1, 0) + bias : t.select(1, 0);
  const std::vector<at::Tensor> sigma = activation_derivatives(activation, z, 2);
  at::Tensor out = at::cat({sigma[0].unsqueeze(1), sigma[1].unsqueeze(1) * t.narrow(1, 1, layout.rows - 1)}, 1);
  if (layout.terms.empty()) return out;
  std::vector<int64_t> target, left, right;
  std::vector<double> coefficient;
  for (const JetProductTerm<double>& term : layout.terms) {
    target.push_back(term.target);
    left.push_back(term.left);
    right.push_back(term.right);
    coefficient.push_back(term.coefficient);
  }
  const auto index = [&](const std::vector<int64_t>& rows) {
    return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(t.device());
  };
  const at::Tensor c = at::tensor(coefficient, at::TensorOptions().dtype(at::kDouble)).to(t.device(), t.scalar_type());
  const at::Tensor products = t.index_select(1, index(left)) * t.index_select(1, index(right)) * c.view({1, -1, 1}) *
                              sigma[2].unsqueeze(1);
  return out.index_add(1, index(target), products);
}

at::Tensor activation_jet(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                          const ActivationJetLayout& layout) {
  check_inputs(t, bias, layout);
  NMFLOW_CHECK(max_jet_order(activation) >= 2, "activation_jet: activation '", activation_name(activation),
               "' has no second derivative; use tanh, gelu, softplus, erf, sin or cos");
  if (t.size(0) == 0) return activation_jet_reference(activation, t, bias, layout);
  // The autograd Function needs a defined bias tensor (a zero one costs W values).
  const at::Tensor b = bias.defined() ? bias : at::zeros({t.size(2)}, t.options());
  return ActivationJetFunction::apply(t, b, static_cast<int64_t>(activation), &layout);
}

}  // namespace nmflow

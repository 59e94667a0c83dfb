#include "models/weighted_gather.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include "common/error.h"

namespace nmflow {

namespace {

template <typename T>
void gather_cpu(const at::Tensor& src, const at::Tensor& index, const at::Tensor& weight, at::Tensor& out) {
  const int64_t columns = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  const T* w = weight.data_ptr<T>();
  const T* s = src.data_ptr<T>();
  T* o = out.data_ptr<T>();
  const int64_t src_stride = src.stride(0);
  at::parallel_for(0, src.size(0), 64, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* row = s + b * src_stride;
      T* dst = o + b * columns;
      for (int64_t k = 0; k < columns; ++k) dst[k] = w[k] * row[idx[k]];
    }
  });
}

// grad_src[b, index[k]] += weight[k] · grad[b, k]; rows are independent, so points split across threads.
template <typename T>
void scatter_cpu(const at::Tensor& grad, const at::Tensor& index, const at::Tensor& weight, at::Tensor& grad_src) {
  const int64_t columns = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  const T* w = weight.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* d = grad_src.data_ptr<T>();
  const int64_t width = grad_src.size(1);
  at::parallel_for(0, grad.size(0), 64, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* row = g + b * columns;
      T* dst = d + b * width;
      for (int64_t k = 0; k < columns; ++k) dst[idx[k]] += w[k] * row[k];
    }
  });
}

struct WeightedGatherFunction : public torch::autograd::Function<WeightedGatherFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& src, const at::Tensor& index,
                            const at::Tensor& weight) {
    at::Tensor out = at::empty({src.size(0), index.numel()}, src.options());
    AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "weighted_gather", [&] {
      gather_cpu<scalar_t>(src, index, weight, out);
    });
    ctx->save_for_backward({index, weight});
    ctx->saved_data["src_columns"] = src.size(1);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const at::Tensor& index = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor grad = grad_outputs[0].contiguous();
    const int64_t src_columns = ctx->saved_data["src_columns"].toInt();
    at::Tensor grad_src = at::zeros({grad.size(0), src_columns}, grad.options());
    if (at::GradMode::is_enabled()) {  // a graph is being recorded: differentiable ATen ops
      grad_src = grad_src.index_add(1, index, grad * weight);
    } else {
      AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "weighted_gather_backward", [&] {
        scatter_cpu<scalar_t>(grad, index, weight, grad_src);
      });
    }
    return {grad_src, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor weighted_gather(const at::Tensor& src, const at::Tensor& index, const at::Tensor& weight) {
  NMFLOW_CHECK(src.dim() == 2, "weighted_gather: src must be [B, S], got ", src.sizes());
  NMFLOW_CHECK(index.dim() == 1 && index.scalar_type() == at::kLong,
               "weighted_gather: index must be a 1-D int64 tensor");
  NMFLOW_CHECK(weight.sizes() == index.sizes() && weight.scalar_type() == src.scalar_type(),
               "weighted_gather: weight must be [", index.numel(), "] of src's dtype");
  NMFLOW_CHECK(index.numel() == 0 || (index.min().item<int64_t>() >= 0 && index.max().item<int64_t>() < src.size(1)),
               "weighted_gather: index entries must lie in [0, ", src.size(1), ")");
  if (!src.device().is_cpu()) return src.index_select(1, index) * weight;
  const at::Tensor s = src.stride(1) == 1 ? src : src.contiguous();
  return WeightedGatherFunction::apply(s, index.contiguous(), weight.contiguous());
}

}  // namespace nmflow

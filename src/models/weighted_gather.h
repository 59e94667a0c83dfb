#pragma once
// Weighted column gather out[b, k] = weight[k] · src[b, index[k]] — how a metric head places the packed jet of
// its outputs into the matrices g, ∂g, ∂²g (metric_heads.cpp). One pass on the CPU; ATen's index_select on
// dim 1 copies element by element through memcpy and needs a second pass for the weights, a sizeable share of a
// metric jet at n = 6.
#include <ATen/core/Tensor.h>

namespace nmflow {

// src: [B, S] (rows may be strided, columns contiguous), index: [K] int64 in [0, S), weight: [K] of src's dtype
// and device. Returns [B, K], contiguous. Differentiable in src to every order (the adjoint is a scatter-add;
// a backward that records a graph uses ATen's index_add). Other devices run index_select · weight.
at::Tensor weighted_gather(const at::Tensor& src, const at::Tensor& index, const at::Tensor& weight);

}  // namespace nmflow

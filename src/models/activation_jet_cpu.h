#pragma once
// Internal to src/models: the raw CPU loops of the fused activation jet (activation_jet.cpp), shared with the fused
// jet trunk (jet_trunk.cpp), which runs them on cache-sized tiles of points.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/activation.h"
#include "models/activation_jet.h"

namespace nmflow {

// σ, σ', …, σ^(order) at z = t[:, 0] + bias (bias may be undefined), each [B, W] contiguous, outside autograd.
std::vector<at::Tensor> activation_jet_sigma(Activation activation, const at::Tensor& t, const at::Tensor& bias,
                                             int64_t order);

// The layout's product terms in the kernel's scalar type.
template <typename T>
std::vector<JetProductTerm<T>> activation_jet_terms(const ActivationJetLayout& layout);

// Points [b0, b1) of contiguous [B, rows, width] jets; s* are [B, width] (activation_jet_math.h for the formulas).
void activation_jet_forward_cpu(const double* in, double* out, const double* s0, const double* s1, const double* s2,
                                int64_t b0, int64_t b1, int rows, int width, const JetProductTerm<double>* terms,
                                int count);
void activation_jet_forward_cpu(const float* in, float* out, const float* s0, const float* s1, const float* s2,
                                int64_t b0, int64_t b1, int rows, int width, const JetProductTerm<float>* terms,
                                int count);
void activation_jet_backward_cpu(const double* in, const double* g, double* gi, const double* s1, const double* s2,
                                 const double* s3, int64_t b0, int64_t b1, int rows, int width,
                                 const JetProductTerm<double>* terms, int count);
void activation_jet_backward_cpu(const float* in, const float* g, float* gi, const float* s1, const float* s2,
                                 const float* s3, int64_t b0, int64_t b1, int rows, int width,
                                 const JetProductTerm<float>* terms, int count);

// Both of the above on the same input, point by point (the trunk's backward needs the recomputed activation h and
// the input gradient of each tile; one point's rows stay in L1 between the two): out = forward(in), gi =
// backward(in, g).
void activation_jet_forward_backward_cpu(const double* in, double* out, const double* g, double* gi,
                                         const double* s0, const double* s1, const double* s2, const double* s3,
                                         int64_t b0, int64_t b1, int rows, int width,
                                         const JetProductTerm<double>* terms, int count);
void activation_jet_forward_backward_cpu(const float* in, float* out, const float* g, float* gi, const float* s0,
                                         const float* s1, const float* s2, const float* s3, int64_t b0, int64_t b1,
                                         int rows, int width, const JetProductTerm<float>* terms, int count);

}  // namespace nmflow

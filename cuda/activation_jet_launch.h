#pragma once
// Launchers of the fused second-order activation jet (cuda/activation_jet.cu; C++ adapter src/models/activation_jet.cpp).
// Plain C++ types only. Device pointers: t, out, grad_out, grad_in [B, R, W] and s0..s3 [B, W], contiguous;
// `terms` is a HOST array (copied into the kernel's arguments); `stream` is the caller's cudaStream_t.
#include <cstdint>

#include "models/activation_jet_math.h"

namespace nmflow::cuda {

// At most this many product terms per layout (kernel-argument table): real 2-jets up to n = 15, Kähler jets up to
// m = 7.
constexpr int kActivationJetMaxTerms = 120;

void launch_activation_jet_forward(const double* t, double* out, const double* s0, const double* s1, const double* s2,
                                   int64_t batch, int rows, int width, const JetProductTerm<double>* terms,
                                   int term_count, void* stream);
void launch_activation_jet_forward(const float* t, float* out, const float* s0, const float* s1, const float* s2,
                                   int64_t batch, int rows, int width, const JetProductTerm<float>* terms,
                                   int term_count, void* stream);
void launch_activation_jet_backward(const double* t, const double* grad_out, double* grad_in, const double* s1,
                                    const double* s2, const double* s3, int64_t batch, int rows, int width,
                                    const JetProductTerm<double>* terms, int term_count, void* stream);
void launch_activation_jet_backward(const float* t, const float* grad_out, float* grad_in, const float* s1,
                                    const float* s2, const float* s3, int64_t batch, int rows, int width,
                                    const JetProductTerm<float>* terms, int term_count, void* stream);

}  // namespace nmflow::cuda

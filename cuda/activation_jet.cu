// Fused second-order activation jet on the GPU: one thread per (point, unit); the thread runs the shared lane
// functions (models/activation_jet_math.h) with one lane, so consecutive threads touch consecutive columns of each
// row (coalesced). The product-term table travels in the kernel arguments.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "activation_jet_launch.h"
#include "cuda_check.h"

namespace nmflow::cuda {

namespace {

constexpr int kThreadsPerBlock = 256;

template <typename T>
struct TermTable {
  JetProductTerm<T> term[kActivationJetMaxTerms];
  int count;
};

template <typename T>
TermTable<T> make_table(const JetProductTerm<T>* terms, int count) {
  if (count > kActivationJetMaxTerms) {
    throw std::runtime_error("activation jet: " + std::to_string(count) + " product terms; the CUDA kernel handles " +
                             "at most " + std::to_string(kActivationJetMaxTerms));
  }
  TermTable<T> table{};
  for (int k = 0; k < count; ++k) table.term[k] = terms[k];
  table.count = count;
  return table;
}

unsigned block_count(int64_t units) {
  return static_cast<unsigned>((units + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

// This thread's (point, unit), flattened: unit = b·W + w (also the index into σ's [B, W]).
__device__ inline int64_t thread_unit() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

// Offset of row 0 of that (point, unit) in a [B, R, W] jet.
__device__ inline int64_t row0_offset(int64_t unit, int rows, int width) {
  return (unit / width) * rows * width + unit % width;
}

template <typename T>
__global__ void activation_jet_forward_kernel(const T* __restrict__ t, T* __restrict__ out, const T* __restrict__ s0,
                                              const T* __restrict__ s1, const T* __restrict__ s2, int64_t batch,
                                              int rows, int width, const TermTable<T> table) {
  const int64_t unit = thread_unit();
  if (unit >= batch * width) return;
  const int64_t base = row0_offset(unit, rows, width);
  activation_jet_forward_lanes(t + base, out + base, width, rows, 1, s0 + unit, s1 + unit, s2 + unit, table.term,
                               table.count);
}

template <typename T>
__global__ void activation_jet_backward_kernel(const T* __restrict__ t, const T* __restrict__ grad_out,
                                               T* __restrict__ grad_in, const T* __restrict__ s1,
                                               const T* __restrict__ s2, const T* __restrict__ s3, int64_t batch,
                                               int rows, int width, const TermTable<T> table) {
  const int64_t unit = thread_unit();
  if (unit >= batch * width) return;
  const int64_t base = row0_offset(unit, rows, width);
  activation_jet_backward_lanes(t + base, grad_out + base, grad_in + base, width, rows, 1, s1 + unit, s2 + unit,
                                s3 + unit, table.term, table.count);
}

template <typename T>
void forward(const T* t, T* out, const T* s0, const T* s1, const T* s2, int64_t batch, int rows, int width,
             const JetProductTerm<T>* terms, int count, void* stream) {
  if (batch == 0 || width == 0) return;
  activation_jet_forward_kernel<<<block_count(batch * width), kThreadsPerBlock, 0,
                                  static_cast<cudaStream_t>(stream)>>>(t, out, s0, s1, s2, batch, rows, width,
                                                                       make_table(terms, count));
  NMFLOW_CUDA_LAUNCH_CHECK();
}

template <typename T>
void backward(const T* t, const T* grad_out, T* grad_in, const T* s1, const T* s2, const T* s3, int64_t batch,
              int rows, int width, const JetProductTerm<T>* terms, int count, void* stream) {
  if (batch == 0 || width == 0) return;
  activation_jet_backward_kernel<<<block_count(batch * width), kThreadsPerBlock, 0,
                                   static_cast<cudaStream_t>(stream)>>>(t, grad_out, grad_in, s1, s2, s3, batch, rows,
                                                                        width, make_table(terms, count));
  NMFLOW_CUDA_LAUNCH_CHECK();
}

}  // namespace

void launch_activation_jet_forward(const double* t, double* out, const double* s0, const double* s1, const double* s2,
                                   int64_t batch, int rows, int width, const JetProductTerm<double>* terms,
                                   int term_count, void* stream) {
  forward(t, out, s0, s1, s2, batch, rows, width, terms, term_count, stream);
}
void launch_activation_jet_forward(const float* t, float* out, const float* s0, const float* s1, const float* s2,
                                   int64_t batch, int rows, int width, const JetProductTerm<float>* terms,
                                   int term_count, void* stream) {
  forward(t, out, s0, s1, s2, batch, rows, width, terms, term_count, stream);
}
void launch_activation_jet_backward(const double* t, const double* grad_out, double* grad_in, const double* s1,
                                    const double* s2, const double* s3, int64_t batch, int rows, int width,
                                    const JetProductTerm<double>* terms, int term_count, void* stream) {
  backward(t, grad_out, grad_in, s1, s2, s3, batch, rows, width, terms, term_count, stream);
}
void launch_activation_jet_backward(const float* t, const float* grad_out, float* grad_in, const float* s1,
                                    const float* s2, const float* s3, int64_t batch, int rows, int width,
                                    const JetProductTerm<float>* terms, int term_count, void* stream) {
  backward(t, grad_out, grad_in, s1, s2, s3, batch, rows, width, terms, term_count, stream);
}

}  // namespace nmflow::cuda

#pragma once
// The one loop that evaluates a per-point function over many points in fixed-size chunks and concatenates the
// results: peak memory is one chunk's intermediates, whatever the point count. Chunks are consecutive row ranges
// [start, start + len), so a per-point result does not depend on the chunk size where the function's rows are
// independent of the batch (nmflow's kernels; see docs/hdf5.md "Reproducibility").
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nmflow {

// Rows per chunk of the no-graph evaluations (σ on validation sets, NTK probes): large enough to amortise the
// per-call overhead, small enough that a chunk's jets fit comfortably in memory.
constexpr int64_t kEvaluationChunk = 8192;

// f(start, len) → a tensor whose first dimension is len; returns their concatenation along dimension 0 ([count, …]).
// count must be ≥ 1.
template <typename F>
at::Tensor evaluate_in_chunks(int64_t count, F&& f, int64_t chunk = kEvaluationChunk) {
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < count; start += chunk) parts.push_back(f(start, std::min(chunk, count - start)));
  return parts.size() == 1 ? parts.front() : at::cat(parts, 0);
}

}  // namespace nmflow

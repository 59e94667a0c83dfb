#pragma once
// Packed components of a symmetric n×n matrix: p = n(n+1)/2 entries (i, j) with i ≤ j, upper triangle in
// row-major order: (0,0), (0,1), …, (0,n−1), (1,1), …, (n−1,n−1). Metric heads read network outputs in this order.
#include <cstdint>
#include <vector>

namespace nmflow {

inline int64_t packed_size(int64_t n) { return n * (n + 1) / 2; }

// Packed index of (i, j) or (j, i).
inline int64_t packed_index(int64_t i, int64_t j, int64_t n) {
  if (i > j) {
    const int64_t t = i;
    i = j;
    j = t;
  }
  return i * n - i * (i - 1) / 2 + (j - i);
}

// [n·n] packed index of every (i, j) in row-major order.
inline std::vector<int64_t> packed_index_table(int64_t n) {
  std::vector<int64_t> table;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      table.push_back(packed_index(i, j, n));
    }
  }
  return table;
}

}  // namespace nmflow

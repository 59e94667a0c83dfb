#include "models/multi_index.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "common/error.h"

namespace nmflow {

namespace {

// All sorted tuples of length k over 0..n−1, lexicographic.
void append_sorted_tuples(int64_t n, int64_t k, std::vector<int64_t>& prefix,
                          std::vector<std::vector<int64_t>>& out) {
  if (static_cast<int64_t>(prefix.size()) == k) {
    out.push_back(prefix);
    return;
  }
  const int64_t start = prefix.empty() ? 0 : prefix.back();
  for (int64_t a = start; a < n; ++a) {
    prefix.push_back(a);
    append_sorted_tuples(n, k, prefix, out);
    prefix.pop_back();
  }
}

// Calls visit(block_of) for every set partition of {0..k−1}, as restricted growth strings
// (block_of[0] = 0, block_of[i] ≤ 1 + max(block_of[0..i−1])). Bell(4) = 15 partitions at order 4.
template <typename Visit>
void for_each_set_partition(int64_t k, std::vector<int64_t>& block_of, int64_t i, int64_t blocks, Visit&& visit) {
  if (i == k) {
    visit(block_of, blocks);
    return;
  }
  for (int64_t b = 0; b <= blocks; ++b) {
    block_of[static_cast<size_t>(i)] = b;
    for_each_set_partition(k, block_of, i + 1, std::max(blocks, b + 1), visit);
  }
}

}  // namespace

MultiIndexTable::MultiIndexTable(int64_t n, int64_t order) : n_(n), order_(order) {
  NMFLOW_CHECK(n >= 1, "MultiIndexTable: dimension must be ≥ 1, got ", n);
  NMFLOW_CHECK(order >= 1 && order <= 4, "MultiIndexTable: jet order must be 1..4, got ", order);
  offsets_.push_back(0);
  for (int64_t k = 1; k <= order; ++k) {
    std::vector<int64_t> prefix;
    append_sorted_tuples(n, k, prefix, indices_);
    offsets_.push_back(static_cast<int64_t>(indices_.size()));
  }
  for (size_t r = 0; r < indices_.size(); ++r) {
    row_of_[indices_[r]] = static_cast<int64_t>(r);
  }
  // Faà di Bruno for a mixed partial: ∂_{a1…ak} φ(z) = Σ_{set partitions π of {1..k}} φ^(|π|)(z) Π_{B∈π} ∂_{a_B} z.
  // Equal products (same multiset of factor rows) are merged into one term with an integer coefficient.
  product_terms_.resize(static_cast<size_t>(std::max<int64_t>(order - 1, 0)));
  for (int64_t m = 2; m <= order; ++m) {
    product_terms_[static_cast<size_t>(m - 2)].blocks = m;
    product_terms_[static_cast<size_t>(m - 2)].factor.resize(static_cast<size_t>(m));
  }
  for (int64_t target = offsets_[1]; target < rows(); ++target) {
    const std::vector<int64_t>& alpha = indices_[static_cast<size_t>(target)];
    const int64_t k = static_cast<int64_t>(alpha.size());
    std::map<std::vector<int64_t>, int64_t> merged;  // sorted factor rows → number of partitions
    std::vector<int64_t> block_of(static_cast<size_t>(k));
    for_each_set_partition(k, block_of, 0, 0, [&](const std::vector<int64_t>& blocks_of, int64_t blocks) {
      if (blocks < 2) {
        return;
      }
      std::vector<std::vector<int64_t>> parts(static_cast<size_t>(blocks));
      for (int64_t i = 0; i < k; ++i) {
        parts[static_cast<size_t>(blocks_of[static_cast<size_t>(i)])].push_back(alpha[static_cast<size_t>(i)]);
      }
      std::vector<int64_t> factor_rows;
      for (const auto& part : parts) {
        factor_rows.push_back(row(part));
      }
      std::sort(factor_rows.begin(), factor_rows.end());
      ++merged[factor_rows];
    });
    for (const auto& [factor_rows, multiplicity] : merged) {
      ProductTerms& terms = product_terms_[factor_rows.size() - 2];
      terms.target.push_back(target);
      for (size_t j = 0; j < factor_rows.size(); ++j) {
        terms.factor[j].push_back(factor_rows[j]);
      }
      terms.coefficient.push_back(static_cast<double>(multiplicity));
    }
  }
}

int64_t MultiIndexTable::row(std::vector<int64_t> multi_index) const {
  std::sort(multi_index.begin(), multi_index.end());
  const auto it = row_of_.find(multi_index);
  NMFLOW_CHECK(it != row_of_.end(), "MultiIndexTable: multi-index of order ", multi_index.size(),
               " is outside this table (n = ", n_, ", order ≤ ", order_, ")");
  return it->second;
}

std::vector<int64_t> MultiIndexTable::full_rows(int64_t k) const {
  NMFLOW_CHECK(k >= 1 && k <= order_, "MultiIndexTable::full_rows: order must be 1..", order_, ", got ", k);
  int64_t total = 1;
  for (int64_t i = 0; i < k; ++i) {
    total *= n_;
  }
  std::vector<int64_t> result(static_cast<size_t>(total));
  std::vector<int64_t> digits(static_cast<size_t>(k));
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat;
    for (int64_t i = k - 1; i >= 0; --i) {
      digits[static_cast<size_t>(i)] = rest % n_;
      rest /= n_;
    }
    result[static_cast<size_t>(flat)] = row(digits);
  }
  return result;
}

const MultiIndexTable& multi_index_table(int64_t n, int64_t order) {
  static std::mutex mutex;
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<MultiIndexTable>> tables;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = tables[{n, order}];
  if (!slot) {
    slot = std::make_unique<MultiIndexTable>(n, order);
  }
  return *slot;
}

}  // namespace nmflow

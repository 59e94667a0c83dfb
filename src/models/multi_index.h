#pragma once
// Packed multi-indices for symmetric derivative tensors up to order K in n variables, and the Faà di Bruno
// tables that turn the jet of z into the jet of φ(z) (docs/design.md §7: Taylor jets carried layer by layer).
//
// A derivative ∂_{a1}…∂_{ak} with a1 ≤ … ≤ ak is stored once: the rows of a packed jet are all such sorted
// tuples, grouped by order k = 1..K and lexicographic within an order (order 1: a; order 2: (0,0),(0,1),…).
// Order k has C(n+k−1, k) rows, e.g. n(n+1)/2 for k = 2.
#include <cstdint>
#include <map>
#include <vector>

namespace nmflow {

class MultiIndexTable {
 public:
  // One group of Faà di Bruno terms with `blocks` ≥ 2 factors (the one-factor term φ'(z) ∂_α z is applied to
  // every row directly): ∂_α φ(z) += coefficient · φ^(blocks)(z) · Π_j ∂_{factor[j]} z.
  struct ProductTerms {
    int64_t blocks = 0;
    std::vector<int64_t> target;                  // [T] row α receiving the term
    std::vector<std::vector<int64_t>> factor;     // [blocks][T] rows of the factors
    std::vector<double> coefficient;              // [T] number of set partitions giving this product
  };

  MultiIndexTable(int64_t n, int64_t order);

  int64_t dim() const { return n_; }
  int64_t order() const { return order_; }
  int64_t rows() const { return static_cast<int64_t>(indices_.size()); }  // Σ_k C(n+k−1, k)
  int64_t offset(int64_t k) const { return offsets_[static_cast<size_t>(k - 1)]; }  // first row of order k
  int64_t count(int64_t k) const { return offsets_[static_cast<size_t>(k)] - offsets_[static_cast<size_t>(k - 1)]; }
  const std::vector<int64_t>& index(int64_t row) const { return indices_[static_cast<size_t>(row)]; }
  int64_t row(std::vector<int64_t> multi_index) const;  // any order of the entries; throws if absent

  const std::vector<ProductTerms>& product_terms() const { return product_terms_; }  // blocks = 2..order

  // [n^k] packed row of each full index (a1,…,ak) in row-major order: expands order k to a full tensor.
  std::vector<int64_t> full_rows(int64_t k) const;

 private:
  int64_t n_;
  int64_t order_;
  std::vector<std::vector<int64_t>> indices_;
  std::vector<int64_t> offsets_;  // offsets_[k−1] = first row of order k; offsets_[order] = rows()
  std::map<std::vector<int64_t>, int64_t> row_of_;
  std::vector<ProductTerms> product_terms_;
};

// Shared, immutable tables (built once per (n, order); thread-safe).
const MultiIndexTable& multi_index_table(int64_t n, int64_t order);

}  // namespace nmflow

#pragma once
// Algebra of 2-jets of matrix-valued functions, stored in a MetricJet (here g may be any square matrix):
// products by the Leibniz rule and the matrix exponential by scaling and squaring. Used by the metric heads.
#include "geometry/metric_jet.h"

namespace nmflow {

// x, y: jets of [B, n, n] matrices. (XY)_c = X_c Y + X Y_c; (XY)_cd = X_cd Y + X_c Y_d + X_d Y_c + X Y_cd.
MetricJet jet_matmul(const MetricJet& x, const MetricJet& y);

// Jet of Xᵀ.
MetricJet jet_transpose(const MetricJet& x);

// Jet of exp(X): exp(X) = (T_K(X/2^s))^{2^s}, T_K the degree-K Taylor polynomial evaluated in the jet algebra
// (Horner), K = 16, s the smallest integer with max_b ‖X_b‖_F / 2^s ≤ 1/2. In the jet algebra the k-th term of
// the series is bounded by θ^k/k! (value), θ^{k−1}/(k−1)! ‖∂X‖ (first) and θ^{k−2}/(k−2)! (‖∂X‖² + ‖∂²X‖)
// (second) with θ = ‖X‖/2^s ≤ 1/2, so the truncation error is below 4e−16 relative in all three parts; the
// squarings add rounding of order 2^s·ε. Tested against nested autograd of at::matrix_exp to 1e−10.
MetricJet jet_matrix_exp(const MetricJet& x);

}  // namespace nmflow

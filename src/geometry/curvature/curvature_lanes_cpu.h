#pragma once
// The CPU's fused curvature on float64, L points at a time: curvature_math.h's per-point functions instantiated on
// a vector type of L doubles (8 / 4 / 2 for AVX-512 / AVX2 / SSE2, common/cpu_targets.h), the points' jets
// transposed into lanes and the results back. Every lane performs the scalar function's operations in its order
// without FMA contraction, so the results equal the scalar curvature_point / curvature_point_vjp (what CUDA runs per
// thread) bit for bit (tests/geometry/curvature_lanes_test.cpp). Arrays as fused_curvature.cpp's, contiguous per
// point; n in 2..6; count ≥ 0 points from the pointers given.
#include <cstdint>

namespace nmflow {

void curvature_forward_lanes_cpu(int n, const double* g, const double* dg, const double* d2g, int64_t count,
                                 double* ricci, double* scalar, double* norm_squared);

void curvature_backward_lanes_cpu(int n, const double* g, const double* dg, const double* d2g, const double* ricci,
                                  const double* v_ricci, const double* v_scalar, const double* v_norm, int64_t count,
                                  double* v_g, double* v_dg, double* v_d2g);

}  // namespace nmflow

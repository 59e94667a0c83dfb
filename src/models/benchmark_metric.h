#pragma once
// The neural metric nmflow's timings are taken on (`nmflow bench`, the benchmarks and peer cases in bench/): a tanh
// MLP on n coordinates, NTK parameterisation, float64, with the symmetric head g = I + P(f) and its readout scaled by
// 0.1 so that g stays positive definite at the benchmark points (curvature needs g⁻¹) — a generic, non-diagonal
// metric. One definition, so that every table naming "3×64 tanh" times the same network.
#include <cstdint>
#include <vector>

#include "models/neural_metric.h"

namespace nmflow {

NeuralMetric benchmark_metric(int64_t n, const std::vector<int64_t>& hidden = {64, 64, 64}, uint64_t seed = 1);

}  // namespace nmflow

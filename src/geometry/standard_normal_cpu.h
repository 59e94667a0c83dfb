#pragma once
// Standard normal draws in float64 on the CPU for the line sampler (kahler/line_intersection_sampler.cpp): the
// values of at::randn(sizes, generator) to within a few ulp, and the generator left in the same state. The same
// uniforms are drawn from the same generator in the same order and paired as ATen's normal_fill pairs them — Box–
// Muller over blocks of 16, x_j = √(−2 log(1 − u_j)) cos(2π u_{j+8}), x_{j+8} = … sin(…), j < 8, and a trailing
// partial block recomputed from 16 fresh uniforms — but log, sin and cos are evaluated eight lanes at a time
// (AVX-512) instead of by glibc one value at a time, which was a quarter of the raw sampler's time.
// Without AVX-512, or below 16 values (where ATen takes another path), this is at::randn itself.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace nmflow {

at::Tensor standard_normal_cpu(at::IntArrayRef sizes, at::Generator& generator);

}  // namespace nmflow

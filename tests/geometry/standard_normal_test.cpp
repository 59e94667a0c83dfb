#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <vector>

#include "geometry/standard_normal_cpu.h"
#include "support/tolerance.h"

TEST_CASE("standard_normal_cpu = at::randn to a few ulp and leaves the generator where randn does",
          "[geometry][sampler]") {
  // Below one block of 16 (ATen's other path), whole blocks, partial last blocks (recomputed from fresh
  // uniforms), and the sampler's [lines, N+1, 2] shape of a chunk.
  const std::vector<std::vector<int64_t>> shapes = {{5}, {16}, {17}, {31}, {32}, {1000}, {13107, 5, 2}};
  for (const std::vector<int64_t>& shape : shapes) {
    for (const uint64_t seed : {0ull, 7ull, 123456789ull}) {
      INFO("shape " << at::IntArrayRef(shape) << ", seed " << seed);
      at::Generator ours = at::make_generator<at::CPUGeneratorImpl>(seed);
      at::Generator reference = at::make_generator<at::CPUGeneratorImpl>(seed);
      const at::Tensor x = nmflow::standard_normal_cpu(shape, ours);
      const at::Tensor expected = at::randn(shape, reference, at::TensorOptions().dtype(at::kDouble));
      REQUIRE(x.sizes() == expected.sizes());
      // Absolute below |x| = 1: a pairing or tail mistake would show at O(1); log, sqrt, sin and cos each within
      // an ulp or two give ≈ 1e-15 at |x| ≈ 5.
      CHECK_CLOSE(x, expected, 3e-15);
      CHECK(at::equal(at::rand({8}, ours, at::TensorOptions().dtype(at::kDouble)),
                      at::rand({8}, reference, at::TensorOptions().dtype(at::kDouble))));
    }
  }
}

TEST_CASE("standard_normal_cpu has mean 0 and variance 1 over 10^6 draws", "[geometry][sampler]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor x = nmflow::standard_normal_cpu({1000000}, generator);
  // Standard errors 1e-3 (mean) and √2·1e-3 (variance): five of them.
  CHECK(std::abs(x.mean().item<double>()) < 5e-3);
  CHECK(std::abs(x.var().item<double>() - 1.0) < 7.1e-3);
}

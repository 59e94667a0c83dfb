#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include "models/weighted_gather.h"
#include "support/tolerance.h"

namespace {

// The same map in ATen ops: the oracle.
at::Tensor reference(const at::Tensor& src, const at::Tensor& index, const at::Tensor& weight) {
  return src.index_select(1, index) * weight;
}

}  // namespace

TEST_CASE("weighted_gather = index_select · weight: values, first and second derivatives", "[weighted_gather]") {
  at::manual_seed(3);
  // Repeated and skipped source columns (the placement of a symmetric matrix reads f_p twice off the diagonal).
  const at::Tensor index = at::tensor({4, 0, 4, 2, 7, 7, 1}, at::kLong);
  const at::Tensor weight = at::randn({7}, at::kDouble);
  const at::Tensor src0 = at::randn({130, 9}, at::kDouble);  // > one parallel grain of 64 rows
  const at::Tensor upstream = at::randn({130, 7}, at::kDouble);
  std::vector<at::Tensor> grads, outs, second;
  for (const bool fused : {true, false}) {
    const at::Tensor src = src0.clone().requires_grad_(true);
    const at::Tensor out = fused ? nmflow::weighted_gather(src, index, weight) : reference(src, index, weight);
    outs.push_back(out.detach());
    // A loss nonlinear in src, so that its gradient depends on src and has a second derivative.
    const at::Tensor loss = (out * upstream).sum() + out.pow(3).sum();
    const at::Tensor g = torch::autograd::grad({loss}, {src}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    grads.push_back(g.detach());
    second.push_back(torch::autograd::grad({(g * g).sum()}, {src})[0]);
  }
  CHECK(outs[0].is_contiguous());
  CHECK_CLOSE(outs[0], outs[1], 1e-15);
  CHECK_CLOSE(grads[0], grads[1], 1e-14);
  CHECK_CLOSE(second[0], second[1], 1e-13);
}

TEST_CASE("weighted_gather reads strided rows, float32, and names bad inputs", "[weighted_gather]") {
  at::manual_seed(4);
  const at::Tensor index = at::tensor({2, 0, 1}, at::kLong);
  const at::Tensor wide = at::randn({5, 3, 4}, at::kDouble);
  const at::Tensor rows = wide.select(1, 1);  // [5, 4], row stride 12
  const at::Tensor weight = at::tensor({1.0, -2.0, 0.5}, at::kDouble);
  CHECK_CLOSE(nmflow::weighted_gather(rows, index, weight), reference(rows, index, weight), 0.0);
  const at::Tensor f = at::randn({6, 4}, at::kFloat);
  CHECK_CLOSE(nmflow::weighted_gather(f, index, weight.to(at::kFloat)), reference(f, index, weight.to(at::kFloat)),
              0.0);
  CHECK(nmflow::weighted_gather(at::zeros({0, 4}, at::kDouble), index, weight).sizes() == at::IntArrayRef({0, 3}));
  CHECK_THROWS_WITH(nmflow::weighted_gather(wide, index, weight), Catch::Contains("src must be [B, S]"));
  CHECK_THROWS_WITH(nmflow::weighted_gather(rows, index.to(at::kInt), weight), Catch::Contains("int64"));
  CHECK_THROWS_WITH(nmflow::weighted_gather(rows, index, weight.to(at::kFloat)), Catch::Contains("src's dtype"));
  CHECK_THROWS_WITH(nmflow::weighted_gather(rows, at::tensor({0, 4, 1}, at::kLong), weight),
                    Catch::Contains("must lie in [0, 4)"));
}

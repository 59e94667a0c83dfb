// The CUDA fused activation jet (cuda/activation_jet.cu) against the CPU path (same lane functions,
// models/activation_jet_math.h), which tests/models/activation_jet_test.cpp checks against the ATen reference.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include "models/activation_jet.h"
#include "support/tolerance.h"

TEST_CASE("CUDA activation jet matches the CPU kernel, forward and backward, float64", "[cuda][activation_jet]") {
  for (const nmflow::ActivationJetLayout* layout : {&nmflow::real_jet2_layout(3), &nmflow::kahler_jet_layout(3)}) {
    for (const nmflow::Activation activation : {nmflow::Activation::Tanh, nmflow::Activation::Gelu}) {
      at::manual_seed(3);
      const at::Tensor t_cpu = 1.5 * at::randn({301, layout->rows, 64}, at::kDouble);
      const at::Tensor b_cpu = at::randn({64}, at::kDouble);
      const at::Tensor upstream = at::randn({301, layout->rows, 64}, at::kDouble);
      const auto run = [&](const at::Device& device) {
        const at::Tensor t = t_cpu.to(device).requires_grad_(true);
        const at::Tensor bias = b_cpu.to(device).requires_grad_(true);
        const at::Tensor out = nmflow::activation_jet(activation, t, bias, *layout);
        const auto grads = torch::autograd::grad({(out * upstream.to(device)).sum()}, {t, bias});
        return std::vector<at::Tensor>{out.detach().cpu(), grads[0].cpu(), grads[1].cpu()};
      };
      const auto cpu = run(at::Device(at::kCPU));
      const auto gpu = run(at::Device(at::kCUDA));
      for (size_t k = 0; k < cpu.size(); ++k) {
        CHECK_CLOSE(gpu[k], cpu[k], 1e-12);
      }
    }
  }
}

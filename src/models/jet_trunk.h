#pragma once
// A second-order jet through a whole Mlp in one fused op (docs/design.md §7): the jet of the inputs goes in, the jet of
// the outputs comes out, and on the CPU every tile of a few dozen points runs all layers — GEMM into a tile of
// pre-activations, then the fused activation jet (activation_jet.h) — while it sits in cache. The backward is
// explicit and tiled the same way (pre-activations saved, activations recomputed per tile), accumulating the weight
// gradients with one GEMM per tile and layer. Layer by layer over the whole batch, the jet's [B·R, W] temporaries
// stream through memory several times per layer; that traffic, not the arithmetic, bounded the unfused jet
// (docs/BENCHMARKS.md "Jets", "Calabi–Yau training").
#include <ATen/core/Tensor.h>

#include "models/activation_jet.h"
#include "models/mlp.h"

namespace nmflow {

// input_jet: [B, R, n_in] with R = layout.rows — row 0 the network inputs, rows ≥ 1 their derivatives in the
// layout's order (first-order rows, then second-order rows); dtype = the network's. Returns [B, R, O]: row 0 the
// outputs, rows ≥ 1 their derivatives. Differentiable in the parameters and in input_jet; a backward that records a
// graph (create_graph) runs through mlp_jet_trunk_layered instead, so every autograd order stays exact. CUDA
// tensors take the layered path (GEMMs + the CUDA activation-jet kernel).
at::Tensor mlp_jet_trunk(const Mlp& mlp, const at::Tensor& input_jet, const ActivationJetLayout& layout);

// The same map layer by layer over the whole batch: at::matmul + activation_jet (the reference of the tests).
at::Tensor mlp_jet_trunk_layered(const Mlp& mlp, const at::Tensor& input_jet, const ActivationJetLayout& layout);

}  // namespace nmflow

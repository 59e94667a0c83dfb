// A tiny cy_metric run on the GPU against the same run on the CPU (src/experiments/cy_experiment.cpp): same sampled points
// (the samplers run on the CPU), same initial network and minibatches, float64 — the σ records and the final
// per-point ratios agree to rounding, and the curvature measures (computed on a CPU copy) are written.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "experiments/cy_experiment.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"
#include "support/tolerance.h"

namespace {

const char* kTiny = R"(kind: cy_metric
seed: 3
variety: {name: fermat_quartic}
points: {train: 200, validation: 120}
model: {hidden: [16, 16]}
optimizer: {lr: 0.01}
training: {epochs: 3, batch_size: 50}
measures: {curvature: true, curvature_points: 20}
)";

nmflow::CYExperimentSummary run_on(const std::string& device, const std::string& path) {
  nmflow::ExperimentRunOptions options;
  options.output = path;
  options.device = device;
  options.config_text = kTiny;
  return nmflow::run_cy_experiment(nmflow::load_config(kTiny, "tiny.yaml").config, options);
}

}  // namespace

TEST_CASE("cy_metric on CUDA matches the CPU run (sigma records, final ratios)", "[cuda][cy]") {
  const nmflow::CYExperimentSummary cpu = run_on("cpu", "cy_cuda_test_cpu.h5");
  const nmflow::CYExperimentSummary gpu = run_on("cuda", "cy_cuda_test_gpu.h5");
  CHECK(gpu.epochs_done == 3);
  CHECK(std::abs(gpu.sigma_final - cpu.sigma_final) <= 1e-9 * cpu.sigma_final);
  {
    const nmflow::Hdf5File a = nmflow::Hdf5File::open("cy_cuda_test_cpu.h5");
    const nmflow::Hdf5File b = nmflow::Hdf5File::open("cy_cuda_test_gpu.h5");
    CHECK_CLOSE(b.read_tensor("epochs/sigma"), a.read_tensor("epochs/sigma"), 1e-9);
    CHECK_CLOSE(b.read_tensor("final/validation/eta_ratio"), a.read_tensor("final/validation/eta_ratio"), 1e-9);
    CHECK(b.exists("final/curvature/ricci_scalar"));
  }
  for (const char* path : {"cy_cuda_test_cpu.h5", "cy_cuda_test_gpu.h5"}) {
    std::remove(path);
    std::remove((std::string(path) + ".checkpoint").c_str());
  }
}

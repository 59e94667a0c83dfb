#pragma once
// What the CUDA runtime sees, for `nmflow info` and for the CUDA tests' skip decision. No CUDA types here.
#include <string>

namespace nmflow::cuda {

// Number of usable CUDA devices; 0 (not an error) when there is no driver or no GPU.
int device_count();

// "name (sm_XY, N GiB)" for device `index`.
std::string device_description(int index);

// Nominal peaks of device `index`, from its attributes: FP64 FLOP/s = SMs × FP64 FMA units per SM × 2 × max SM clock
// (units per SM by compute capability: 64 for sm_90, 32 for sm_80 and sm_70, 2 for the consumer parts; 0 = not
// known), memory bytes/s = 2 × memory clock × bus width / 8. `basis` says how they were obtained.
struct DevicePeaks {
  double fp64_flops = 0.0;
  double memory_bytes_per_second = 0.0;
  std::string basis;
};
DevicePeaks device_peaks(int index);

}  // namespace nmflow::cuda

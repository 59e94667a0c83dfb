#include <cuda_runtime.h>

#include <cstdio>

#include "device_info.h"

namespace nmflow::cuda {

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error so later queries are not poisoned
    return 0;
  }
  return count;
}

std::string device_description(int index) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) {
    cudaGetLastError();
    return "unavailable";
  }
  char text[512];
  std::snprintf(text, sizeof(text), "%s (sm_%d%d, %.0f GiB)", prop.name, prop.major, prop.minor,
                static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

namespace {

int attribute(cudaDeviceAttr which, int index) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, which, index) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return value;
}

// FP64 fused multiply-add units per SM (CUDA C Programming Guide, "Arithmetic Instructions" throughput table).
int fp64_units_per_sm(int major, int minor) {
  if (major == 9 && minor == 0) return 64;                  // H100, H200
  if ((major == 8 && minor == 0) || major == 7) return 32;  // A100, V100
  if (major >= 6) return 2;  // consumer and workstation parts: FP64 at 1/32–1/64 of FP32
  return 0;
}

}  // namespace

DevicePeaks device_peaks(int index) {
  DevicePeaks peaks;
  const int sms = attribute(cudaDevAttrMultiProcessorCount, index);
  const int clock_khz = attribute(cudaDevAttrClockRate, index);
  const int major = attribute(cudaDevAttrComputeCapabilityMajor, index);
  const int minor = attribute(cudaDevAttrComputeCapabilityMinor, index);
  const int memory_khz = attribute(cudaDevAttrMemoryClockRate, index);
  const int bus_bits = attribute(cudaDevAttrGlobalMemoryBusWidth, index);
  const int units = fp64_units_per_sm(major, minor);
  peaks.fp64_flops = static_cast<double>(sms) * units * 2.0 * clock_khz * 1e3;
  peaks.memory_bytes_per_second = 2.0 * memory_khz * 1e3 * bus_bits / 8.0;
  char text[256];
  std::snprintf(text, sizeof(text),
                "%d SMs x %d FP64 units x 2 x %.0f MHz; memory 2 x %.0f MHz x %d bits (sm_%d%d, nominal)", sms, units,
                clock_khz / 1e3, memory_khz / 1e3, bus_bits, major, minor);
  peaks.basis = text;
  return peaks;
}

}  // namespace nmflow::cuda

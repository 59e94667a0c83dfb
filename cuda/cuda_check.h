#pragma once
// Error handling shared by the kernels: every CUDA call and launch is checked, with file:line in the message.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace nmflow::cuda {

inline void check(cudaError_t status, const char* what, const char* file, int line) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " +
                             cudaGetErrorString(status));
  }
}

}  // namespace nmflow::cuda

#define NMFLOW_CUDA_CHECK(call) ::nmflow::cuda::check((call), #call, __FILE__, __LINE__)
#define NMFLOW_CUDA_LAUNCH_CHECK() ::nmflow::cuda::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

// Main of the cuda_tests binary: exits 77 (CTest: skipped) with the reason when no CUDA device can run the
// kernels, so a CPU-only machine reports the CUDA tests as skipped rather than passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#ifdef NMFLOW_WITH_CUDA
#include "device_info.h"
#endif

int main(int argc, char* argv[]) {
  std::string reason;
#ifdef NMFLOW_WITH_CUDA
  if (nmflow::cuda::device_count() == 0) {
    reason = "the CUDA runtime reports no usable device";
  }
#else
  reason = "nmflow was built without CUDA kernels";
#endif
  if (!reason.empty()) {
    std::printf("skipped: no CUDA device (%s)\n", reason.c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}

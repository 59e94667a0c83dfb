// nmflow info: versions, threads and what CUDA support this binary has.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>

#include <cstdlib>

#include "commands.h"
#include "common/cpu_targets.h"
#include "common/version.h"
#ifdef NMFLOW_WITH_CUDA
#include "device_info.h"
#endif

namespace nmflow::cli {

void add_info_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("info", "Print versions, threads and CUDA devices");
  command->callback([] {
    fmt::print("nmflow {} (git {})\n", version(), git_hash());
    fmt::print("LibTorch {}\n", torch_version());
    fmt::print("LibTorch CPU threads: {}\n", at::get_num_threads());
    const char* cap = std::getenv("NMFLOW_CPU_LEVEL");
    fmt::print("nmflow CPU kernels: {}{}\n", cpu_x86_64_level_name(cpu_x86_64_level()),
               cap != nullptr && *cap != '\0' ? fmt::format(" (NMFLOW_CPU_LEVEL={})", cap) : "");
    fmt::print("LibTorch sees CUDA: {}\n", at::hasCUDA() ? "yes" : "no");
    fmt::print("nmflow CUDA kernels compiled: {}\n", built_with_cuda() ? "yes" : "no");
#ifdef NMFLOW_WITH_CUDA
    const int count = cuda::device_count();
    fmt::print("CUDA devices: {}\n", count);
    for (int index = 0; index < count; ++index) {
      fmt::print("  cuda:{} {}\n", index, cuda::device_description(index));
    }
#endif
  });
}

}  // namespace nmflow::cli

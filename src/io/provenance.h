#pragma once
// Provenance: what produced an output file, written as root attributes of every file nmflow writes
// (names and formats in docs/hdf5.md).
#include <chrono>
#include <cstdint>
#include <string>

#include "io/hdf5_file.h"

namespace nmflow {

struct ProvenanceInfo {
  std::string config_text;   // the full configuration (YAML text, or the CLI options as key: value lines)
  int64_t seed = 0;          // the random seed every sampler and initialiser was derived from
  std::string device;        // e.g. "cpu", "cuda:0"
  std::string command_line;  // the invocation, arguments shell-quoted
  std::chrono::system_clock::time_point start_time;
};

// Writes nmflow_version, nmflow_git_hash, libtorch_version, cuda_compiled, torch_num_threads, cpu_kernel_level,
// device, seed, config, command_line, start_time and end_time (ISO 8601 UTC; end_time = now) as root attributes.
void write_provenance(Hdf5File& file, const ProvenanceInfo& info);

// "2024-05-01T12:34:56.789Z"
std::string iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace nmflow

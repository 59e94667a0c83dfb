#include "io/provenance.h"

#include <ATen/Parallel.h>

#include <ctime>
#include <iomanip>
#include <sstream>

#include "common/cpu_targets.h"
#include "common/version.h"

namespace nmflow {

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::ostringstream out;
  out << std::put_time(&utc, "%Y-%m-%dT%H:%M:%S") << '.' << std::setw(3) << std::setfill('0')
      << (millis < 0 ? millis + 1000 : millis) << 'Z';
  return out.str();
}

void write_provenance(Hdf5File& file, const ProvenanceInfo& info) {
  file.write_string_attribute("/", "nmflow_version", version());
  file.write_string_attribute("/", "nmflow_git_hash", git_hash());
  file.write_string_attribute("/", "libtorch_version", torch_version());
  file.write_int_attribute("/", "cuda_compiled", built_with_cuda() ? 1 : 0);
  file.write_int_attribute("/", "torch_num_threads", at::get_num_threads());
  // CPU results agree bit for bit only between runs on the same level (the GEMM, tanh and Box–Muller differ by
  // rounding between the AVX-512 kernels and ATen's), so the level is part of what produced the file.
  file.write_string_attribute("/", "cpu_kernel_level", cpu_x86_64_level_name(cpu_x86_64_level()));
  file.write_string_attribute("/", "device", info.device);
  file.write_int_attribute("/", "seed", info.seed);
  file.write_string_attribute("/", "config", info.config_text);
  file.write_string_attribute("/", "command_line", info.command_line);
  file.write_string_attribute("/", "start_time", iso8601_utc(info.start_time));
  file.write_string_attribute("/", "end_time", iso8601_utc(std::chrono::system_clock::now()));
}

}  // namespace nmflow

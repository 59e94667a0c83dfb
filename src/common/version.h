#pragma once
// Provenance strings written into every output file.
#include <string>

namespace nmflow {

std::string version();        // e.g. "0.1.0"
std::string git_hash();       // short hash of the source tree at configure time, or "unknown"
std::string torch_version();  // LibTorch version nmflow was built against
bool built_with_cuda();       // true when cuda/ kernels are compiled in

}  // namespace nmflow

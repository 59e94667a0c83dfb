#pragma once
// What the CUDA runtime sees, for `nmflow info` and for the CUDA tests' skip decision. No CUDA types here.
#include <string>

namespace nmflow::cuda {

// Number of usable CUDA devices; 0 (not an error) when there is no driver or no GPU.
int device_count();

// "name (sm_XY, N GiB)" for device `index`.
std::string device_description(int index);

}  // namespace nmflow::cuda

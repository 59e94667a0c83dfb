#pragma once
// The key=value command lines of nmflow_peer_cases (the peer harness's nmflow side): every key must be one of
// the case's defaults.
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"

namespace nmflow::bench {

using DriverArgs = std::map<std::string, std::string>;

// argv[first…argc) as key=value over `defaults`; `who` names the driver in the error.
inline DriverArgs parse_driver_args(const std::string& who, int first, int argc, char** argv, DriverArgs defaults) {
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    NMFLOW_CHECK(eq != std::string::npos && defaults.count(arg.substr(0, eq)) == 1, who, ": bad argument '", arg,
                 "'; use key=value with a key of the defaults");
    defaults[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  return defaults;
}

// "a,b,,c" → {"a", "b", "c"}.
inline std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// "64,64,64" → {64, 64, 64}.
inline std::vector<int64_t> int_list(const std::string& text) {
  std::vector<int64_t> out;
  for (const std::string& item : split_commas(text)) out.push_back(std::stoll(item));
  return out;
}

}  // namespace nmflow::bench

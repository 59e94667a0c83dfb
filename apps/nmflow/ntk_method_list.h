#pragma once
// The NTK methods `nmflow ntk --method all` and `nmflow bench` run.
#include <vector>

#include "common/error.h"
#include "ntk/empirical_ntk.h"

namespace nmflow::cli {

// Every NtkMethod ntk/empirical_ntk.h defines, in enum order (the Jacobian contraction, the reference, first).
// ntk_method_name rejects values past the last one, so a method added there appears here without a change.
inline std::vector<NtkMethod> all_ntk_methods() {
  std::vector<NtkMethod> methods;
  for (int k = 0;; ++k) {
    const auto method = static_cast<NtkMethod>(k);
    try {
      ntk_method_name(method);
    } catch (const Error&) {
      return methods;
    }
    methods.push_back(method);
  }
}

}  // namespace nmflow::cli

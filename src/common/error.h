#pragma once
// nmflow::Error: the one exception type src/ throws. Its message names what was wrong and what is allowed,
// so apps/ can print it as is (src/ never prints).
#include <stdexcept>
#include <string>

#include <c10/util/StringUtil.h>

namespace nmflow {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A run that diverged: a non-finite loss, gradient or metric, or a metric no longer positive definite, after the
// run had started from a valid state. Its message names the step, the quantity and what to change; `nmflow`
// exits with kExitDiverged for it (docs/cli.md).
class RunDiverged : public Error {
 public:
  explicit RunDiverged(const std::string& message) : Error(message) {}
};

constexpr int kExitDiverged = 3;

[[noreturn]] void throw_error(const std::string& message);

}  // namespace nmflow

// NMFLOW_CHECK(cond, parts...): throws nmflow::Error with the parts concatenated (c10::str) when cond is false.
#define NMFLOW_CHECK(cond, ...)                              \
  do {                                                       \
    if (!(cond)) {                                           \
      ::nmflow::throw_error(::c10::str(__VA_ARGS__));        \
    }                                                        \
  } while (0)

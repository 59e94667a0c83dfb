#include "io/run_status.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace nmflow {

std::string one_line(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  return message;
}

std::string run_failure_message(const std::exception& error) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
  return one_line(torch_error != nullptr ? torch_error->what_without_backtrace() : error.what());
}

void mark_run_failed(Hdf5File& file, const std::exception& error) noexcept {
  try {
    file.write_string_attribute("/", "status", "failed");
    file.write_string_attribute("/", "failure", run_failure_message(error));
    file.flush();
  } catch (...) {  // the original error is what the user must see
  }
}

void write_resume_changes(Hdf5File& file, const std::vector<std::string>& differences) {
  std::string joined;
  for (const std::string& d : differences) joined += (joined.empty() ? "" : "; ") + d;
  file.write_string_attribute("/", "resumed_with_changes", joined);
}

}  // namespace nmflow

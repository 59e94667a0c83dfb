#include "common/error.h"

namespace nmflow {

void throw_error(const std::string& message) { throw Error(message); }

}  // namespace nmflow

#include "common/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace nmflow {

namespace {

double meminfo_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kilobytes = 0.0;
  std::string unit;
  while (meminfo >> key >> kilobytes >> unit) {
    if (key == "MemAvailable:") return kilobytes * 1024.0;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : HUGE_VAL;
}

}  // namespace

double available_memory_bytes() {
  double available = meminfo_available_bytes();
  if (const char* limit = std::getenv("NMFLOW_MEMORY_LIMIT"); limit != nullptr && *limit != '\0') {
    char* end = nullptr;
    const double value = std::strtod(limit, &end);
    NMFLOW_CHECK(end != limit && *end == '\0' && value > 0.0,
                 "environment variable NMFLOW_MEMORY_LIMIT must be a positive number of bytes, got '", limit, "'");
    available = std::min(available, value);
  }
  return available;
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 6) {
    bytes /= 1000.0;
    ++unit;
  }
  std::ostringstream out;
  out.precision(bytes < 10.0 ? 2 : 3);
  out << bytes << " " << kUnits[unit];
  return out.str();
}

void check_memory_fits(const std::string& what, double items, double bytes_per_item, const std::string& item_name,
                       const std::string& advice) {
  const double needed = items * bytes_per_item;
  // Below this every machine nmflow runs on has room; reading /proc/meminfo (≈ 20 µs) would cost small, frequent
  // requests (2000 sampled points) a few per cent.
  constexpr double kAlwaysFits = 256e6;
  if (needed <= kAlwaysFits) return;
  const double available = available_memory_bytes();
  if (needed <= available) return;
  std::ostringstream out;
  out.precision(15);
  out << what << ": " << items << " " << item_name << " need at least " << format_bytes(needed) << " ("
      << static_cast<int64_t>(bytes_per_item) << " bytes each), but " << format_bytes(available)
      << " is available; at most " << static_cast<int64_t>(std::floor(available / bytes_per_item)) << " fit"
      << advice;
  throw Error(out.str());
}

}  // namespace nmflow

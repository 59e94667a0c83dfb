#pragma once
// Durations as people read them in progress lines and summaries: "12.3s" below a minute, "4m05s" above.
#include <cstdio>
#include <string>

namespace nmflow {

inline std::string format_duration(double seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  } else {
    std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds / 60), static_cast<int>(seconds) % 60);
  }
  return text;
}

}  // namespace nmflow

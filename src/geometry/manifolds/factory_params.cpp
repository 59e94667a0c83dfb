#include "geometry/manifolds/factory_params.h"

#include <cmath>
#include <utility>

#include "common/error.h"

namespace nmflow {

FactoryParams::FactoryParams(std::string who, const std::map<std::string, double>& params, std::string allowed)
    : who_(std::move(who)), params_(params), allowed_(std::move(allowed)) {
  for (const auto& [key, value] : params_) {
    NMFLOW_CHECK(std::isfinite(value), who_, ": parameter '", key, "' must be finite, got ", value);
  }
}

bool FactoryParams::has(const std::string& key) const { return params_.count(key) > 0; }

double FactoryParams::real(const std::string& key, double fallback) {
  const auto it = params_.find(key);
  if (it == params_.end()) {
    return fallback;
  }
  used_.insert(key);
  return it->second;
}

int64_t FactoryParams::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  const double value = real(key, static_cast<double>(fallback));
  NMFLOW_CHECK(value == std::floor(value), who_, ": parameter '", key, "' must be an integer, got ", value);
  NMFLOW_CHECK(value >= static_cast<double>(min) && value <= static_cast<double>(max), who_, ": parameter '", key,
               "' must be in [", min, ", ", max, "], got ", value);
  return static_cast<int64_t>(value);
}

std::set<std::string> FactoryParams::keys_with_prefix(const std::string& prefix) const {
  std::set<std::string> keys;
  for (const auto& [key, value] : params_) {
    if (key.compare(0, prefix.size(), prefix) == 0) {
      keys.insert(key);
    }
  }
  return keys;
}

void FactoryParams::require(bool ok, const std::string& key, double value, const std::string& requirement) const {
  NMFLOW_CHECK(ok, who_, ": parameter '", key, "' must be ", requirement, ", got ", value);
}

void FactoryParams::reject_unused() const {
  std::string unknown;
  for (const auto& [key, value] : params_) {
    if (used_.count(key) == 0) {
      unknown += (unknown.empty() ? "'" : ", '") + key + "'";
    }
  }
  NMFLOW_CHECK(unknown.empty(), who_, ": unknown parameter(s) ", unknown, "; allowed: ", allowed_);
}

}  // namespace nmflow

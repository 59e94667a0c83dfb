#include "io/config_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "io/config_yaml.h"

namespace nmflow {

namespace {

std::string format_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out << x;
  return out.str();
}

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "nothing (null)";
    default: return "a scalar";
  }
}

}  // namespace

bool Interval::contains(double x) const {
  const bool above = lo_open ? x > lo : x >= lo;
  const bool below = hi_open ? x < hi : x <= hi;
  return above && below;
}

std::string Interval::str() const {
  return std::string(lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) + (hi_open ? ")" : "]");
}

Interval positive() { return Interval{0.0, std::numeric_limits<double>::infinity(), true, true}; }
Interval non_negative() { return Interval{0.0, std::numeric_limits<double>::infinity(), false, true}; }

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string unknown_key_message(const std::string& key, const std::vector<std::string>& allowed) {
  // A suggestion only when it is plausibly a typo: within a third of the word (at least 2 edits).
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const std::string& candidate : allowed) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  std::string message = "unknown key '" + key + "'";
  if (!best.empty()) message += "; did you mean '" + best + "'?";
  return message + (best.empty() ? "; " : " ") + "allowed: " + join_names(allowed);
}

ConfigReader::ConfigReader(std::shared_ptr<const ConfigContext> context, YAML::Node node, std::string path,
                           std::vector<std::string> allowed)
    // A missing key gives an invalid node that yaml-cpp refuses to reassign: start from a fresh empty mapping.
    : context_(std::move(context)),
      node_(node.IsDefined() && !node.IsNull() ? node : YAML::Node(YAML::NodeType::Map)),
      path_(std::move(path)) {
  if (!node_.IsMap()) {
    fail_at(node_, path_.empty() ? "(top level)" : path_,
            std::string("expected a mapping of keys, got ") + node_kind(node_) + "; allowed keys: " + join_names(allowed));
  }
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      fail_at(entry.first, path_.empty() ? "(top level)" : path_, "keys must be plain names");
    }
    const std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail_at(entry.first, path_of(key), unknown_key_message(key, allowed));
    }
  }
}

YAML::Node ConfigReader::get(const std::string& key) const {
  // The const operator[] never inserts a missing key into the mapping.
  const YAML::Node& node = node_;
  return node[key];
}

bool ConfigReader::has(const std::string& key) const {
  const YAML::Node value = get(key);
  return value.IsDefined();
}

std::string ConfigReader::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

std::string ConfigReader::where(const YAML::Node& node, const std::string& path) const {
  // A path set (or under a mapping set) by --set has no place in the file.
  for (std::string prefix = path;; prefix = prefix.substr(0, prefix.find_last_of(".["))) {
    if (context_->overridden.count(prefix) > 0) return "--set " + prefix;
    if (prefix.find_first_of(".[") == std::string::npos) break;
  }
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  if (mark.is_null()) return context_->source;
  return context_->source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void ConfigReader::fail_at(const YAML::Node& node, const std::string& path, const std::string& message) const {
  throw_error(where(node, path) + ": " + path + ": " + message);
}

void ConfigReader::fail(const std::string& key, const std::string& message) const {
  const YAML::Node value = get(key);
  fail_at(value.IsDefined() ? value : node_, path_of(key), message);
}

YAML::Node ConfigReader::scalar(const std::string& key, const char* expected) const {
  const YAML::Node value = get(key);
  if (!value.IsScalar()) {
    fail(key, std::string("expected ") + expected + ", got " + node_kind(value));
  }
  return value;
}

double ConfigReader::real(const std::string& key, double fallback, const Interval& range) {
  if (!has(key)) return fallback;
  const YAML::Node value = scalar(key, "a number");
  double x = 0.0;
  if (!YAML::convert<double>::decode(value, x)) {
    fail(key, "expected a number, got '" + value.Scalar() + "'");
  }
  if (!std::isfinite(x) || !range.contains(x)) {
    fail(key, "must be in " + range.str() + ", got " + value.Scalar());
  }
  return x;
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  if (!has(key)) return fallback;
  const YAML::Node value = scalar(key, "an integer");
  int64_t x = 0;
  if (!YAML::convert<int64_t>::decode(value, x)) {
    fail(key, "expected an integer, got '" + value.Scalar() + "'");
  }
  if (x < min || x > max) {
    fail(key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + value.Scalar());
  }
  return x;
}

bool ConfigReader::boolean(const std::string& key, bool fallback) {
  if (!has(key)) return fallback;
  const YAML::Node value = scalar(key, "true or false");
  bool x = false;
  if (!YAML::convert<bool>::decode(value, x)) {
    fail(key, "expected true or false, got '" + value.Scalar() + "'");
  }
  return x;
}

std::string ConfigReader::string(const std::string& key, const std::string& fallback) {
  if (!has(key)) return fallback;
  return scalar(key, "a string").Scalar();
}

std::string ConfigReader::choice(const std::string& key, const std::string& fallback,
                                 const std::vector<std::string>& allowed) {
  if (!has(key)) return fallback;
  const std::string value = scalar(key, "a name").Scalar();
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    fail(key, "unknown value '" + value + "'; allowed: " + join_names(allowed));
  }
  return value;
}

std::vector<int64_t> ConfigReader::integer_list(const std::string& key, const std::vector<int64_t>& fallback,
                                                int64_t min, int64_t max) {
  if (!has(key)) return fallback;
  const YAML::Node value = get(key);
  if (!value.IsSequence()) {
    fail(key, std::string("expected a list of integers such as [32, 32], got ") + node_kind(value));
  }
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    int64_t x = 0;
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar() || !YAML::convert<int64_t>::decode(item, x)) {
      fail_at(item, item_path, "expected an integer");
    }
    if (x < min || x > max) {
      fail_at(item, item_path, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                   item.Scalar());
    }
    out.push_back(x);
  }
  return out;
}

std::vector<double> ConfigReader::real_list(const std::string& key, const std::vector<double>& fallback,
                                            const Interval& range) {
  if (!has(key)) return fallback;
  const YAML::Node value = get(key);
  if (!value.IsSequence()) fail(key, std::string("expected a list of numbers such as [0.1, 0.2], got ") + node_kind(value));
  std::vector<double> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    double x = 0.0;
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar() || !YAML::convert<double>::decode(item, x)) fail_at(item, item_path, "expected a number");
    if (!std::isfinite(x) || !range.contains(x)) fail_at(item, item_path, "must be in " + range.str() + ", got " + item.Scalar());
    out.push_back(x);
  }
  return out;
}

std::vector<std::string> ConfigReader::choice_list(const std::string& key, const std::vector<std::string>& fallback,
                                                   const std::vector<std::string>& allowed) {
  if (!has(key)) return fallback;
  const YAML::Node value = get(key);
  if (!value.IsSequence()) {
    fail(key, "expected a list of names such as [" + allowed.front() + "], got " + node_kind(value) + "; allowed: " +
                  join_names(allowed));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) fail_at(item, item_path, std::string("expected a name, got ") + node_kind(item));
    if (std::find(allowed.begin(), allowed.end(), item.Scalar()) == allowed.end()) {
      fail_at(item, item_path, "unknown value '" + item.Scalar() + "'; allowed: " + join_names(allowed));
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::map<std::string, double> ConfigReader::real_map(const std::string& key, const std::vector<std::string>& allowed) {
  std::map<std::string, double> out;
  if (!has(key)) return out;
  const YAML::Node value = get(key);
  if (value.IsNull()) return out;
  if (!value.IsMap()) {
    fail(key, std::string("expected a mapping of names to numbers, got ") + node_kind(value));
  }
  for (const auto& entry : value) {
    const std::string name = entry.first.Scalar();
    const std::string entry_path = path_of(key) + "." + name;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      fail_at(entry.first, entry_path, unknown_key_message(name, allowed));
    }
    double x = 0.0;
    if (!entry.second.IsScalar() || !YAML::convert<double>::decode(entry.second, x) || !std::isfinite(x)) {
      fail_at(entry.second, entry_path, "expected a finite number");
    }
    out[name] = x;
  }
  return out;
}

ConfigReader ConfigReader::child(const std::string& key, std::vector<std::string> allowed) const {
  return ConfigReader(context_, get(key), path_of(key), std::move(allowed));
}

std::vector<ConfigReader> ConfigReader::mapping_list(const std::string& key,
                                                     const std::vector<std::string>& allowed) const {
  std::vector<ConfigReader> out;
  const YAML::Node value = get(key);
  if (!value.IsDefined() || value.IsNull()) return out;
  if (!value.IsSequence()) {
    fail(key, std::string("expected a list of mappings (- key: value …), got ") + node_kind(value) +
                  "; allowed keys of each: " + join_names(allowed));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) {
      fail_at(item, item_path, std::string("expected a mapping of keys, got ") + node_kind(item) +
                                   "; allowed keys: " + join_names(allowed));
    }
    out.emplace_back(context_, item, item_path, allowed);
  }
  return out;
}

}  // namespace nmflow

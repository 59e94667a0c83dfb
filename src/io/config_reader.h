#pragma once
// ConfigReader: typed, located access to one YAML mapping, used by config_yaml.cpp only (yaml-cpp is private to
// src/io). Every failure throws nmflow::Error "<where>: <key.path>: <message>", where <where> is file:line:column
// from yaml-cpp's Mark (1-based) or "--set" for values given on the command line.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/enum_names.h"

#include "common/enum_names.h"

namespace nmflow {

struct ConfigContext {
  std::string source;                // file name for messages
  std::set<std::string> overridden;  // key paths set by --set
};

// A real interval for range checks; printed as e.g. "(0, inf)" or "[0, 1]".
struct Interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = true;
  bool hi_open = true;
  bool contains(double x) const;
  std::string str() const;
};
Interval positive();      // (0, inf)
Interval non_negative();  // [0, inf)

class ConfigReader {
 public:
  // node: a mapping, or null/undefined (read as empty); anything else fails. Keys outside `allowed` fail at
  // construction with a did-you-mean.
  ConfigReader(std::shared_ptr<const ConfigContext> context, YAML::Node node, std::string path,
               std::vector<std::string> allowed);

  bool has(const std::string& key) const;
  std::string path_of(const std::string& key) const;

  double real(const std::string& key, double fallback, const Interval& range);
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  bool boolean(const std::string& key, bool fallback);
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed);
  // One of the names of an enum's table (common/config_enums.h), as its value: the allowed names are the table's.
  template <typename E, std::size_t N>
  E enumeration(const std::string& key, E fallback, const EnumName<E> (&table)[N]) {
    return enumeration(key, fallback, table, enum_names(table));
  }
  // The same, allowing only `allowed` (names of the table: e.g. the schedules one kind supports).
  template <typename E, std::size_t N>
  E enumeration(const std::string& key, E fallback, const EnumName<E> (&table)[N],
                const std::vector<std::string>& allowed) {
    return parse_enum(table, choice(key, enum_name(table, fallback), allowed), key.c_str());
  }
  std::string string(const std::string& key, const std::string& fallback);
  std::vector<int64_t> integer_list(const std::string& key, const std::vector<int64_t>& fallback, int64_t min,
                                    int64_t max);
  // A list of numbers, each in `range`.
  std::vector<double> real_list(const std::string& key, const std::vector<double>& fallback, const Interval& range);
  // A list of names, each one of `allowed`.
  std::vector<std::string> choice_list(const std::string& key, const std::vector<std::string>& fallback,
                                       const std::vector<std::string>& allowed);
  // A mapping of names to numbers; keys outside `allowed` (when non-empty) fail with a did-you-mean.
  std::map<std::string, double> real_map(const std::string& key, const std::vector<std::string>& allowed = {});
  ConfigReader child(const std::string& key, std::vector<std::string> allowed) const;
  // A list of mappings: one reader per element, at path key[i] (so errors read e.g. "cases[2].bandwidth: …"), each
  // with the `allowed` keys. Absent or null: no elements.
  std::vector<ConfigReader> mapping_list(const std::string& key, const std::vector<std::string>& allowed) const;

  // Fails at `key` (its value when present, else the mapping itself).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  [[noreturn]] void fail_at(const YAML::Node& node, const std::string& path, const std::string& message) const;
  std::string where(const YAML::Node& node, const std::string& path) const;
  YAML::Node scalar(const std::string& key, const char* expected) const;
  YAML::Node get(const std::string& key) const;

  std::shared_ptr<const ConfigContext> context_;
  YAML::Node node_;
  std::string path_;
};

// "unknown key 'x'; did you mean 'y'? allowed: a, b" (no suggestion when nothing is close).
std::string unknown_key_message(const std::string& key, const std::vector<std::string>& allowed);
std::string join_names(const std::vector<std::string>& names);

}  // namespace nmflow

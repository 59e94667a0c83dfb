#pragma once
// One name table per enum serves parsing, printing and the "allowed:" list of the error, so the three cannot drift.
//   constexpr EnumName<Activation> kActivationNames[] = {{Activation::Tanh, "tanh"}, …};
//   parse_enum(kActivationNames, name, "activation")  → the value, or nmflow::Error "unknown activation 'x'; allowed: …"
//   enum_name(kActivationNames, value)                  → "tanh"
#include <cstddef>
#include <string>
#include <vector>

#include <c10/util/StringUtil.h>

#include "common/error.h"

namespace nmflow {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

template <typename E, std::size_t N>
std::string enum_name_list(const EnumName<E> (&table)[N]) {
  std::string list;
  for (const EnumName<E>& entry : table) list += (list.empty() ? "" : ", ") + std::string(entry.name);
  return list;
}

template <typename E, std::size_t N>
E parse_enum(const EnumName<E> (&table)[N], const std::string& name, const char* what) {
  for (const EnumName<E>& entry : table) {
    if (name == entry.name) return entry.value;
  }
  throw_error(c10::str("unknown ", what, " '", name, "'; allowed: ", enum_name_list(table)));
}

template <typename E, std::size_t N>
std::string enum_name(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  throw_error("enum_name: a value outside its name table");
}

// Every name of the table, in table order (a config reader's allowed values).
template <typename E, std::size_t N>
std::vector<std::string> enum_names(const EnumName<E> (&table)[N]) {
  std::vector<std::string> names;
  for (const EnumName<E>& entry : table) names.push_back(entry.name);
  return names;
}

// Every value of the table, in table order (e.g. to run each NtkMethod).
template <typename E, std::size_t N>
std::vector<E> enum_values(const EnumName<E> (&table)[N]) {
  std::vector<E> values;
  for (const EnumName<E>& entry : table) values.push_back(entry.value);
  return values;
}

}  // namespace nmflow

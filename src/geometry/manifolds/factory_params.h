#pragma once
// FactoryParams: reads a name → value parameter map for the metric and sampler factories, so that every unknown
// key and every out-of-range value is reported the same way (who, the bad key or value, what is allowed).
#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace nmflow {

class FactoryParams {
 public:
  // who: e.g. "reference metric 'round_sphere'"; allowed: the human-readable list for error messages.
  FactoryParams(std::string who, const std::map<std::string, double>& params, std::string allowed);

  bool has(const std::string& key) const;
  // The value (or fallback when absent), marked as used.
  double real(const std::string& key, double fallback);
  // An integer-valued parameter in [min, max]; throws on a fractional or out-of-range value.
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  // Keys starting with prefix, in map order (the caller parses and then claims them with real()).
  std::set<std::string> keys_with_prefix(const std::string& prefix) const;
  // Throws if a value fails `ok`, naming the requirement (e.g. "> 0").
  void require(bool ok, const std::string& key, double value, const std::string& requirement) const;
  // Throws listing every key never read, with the allowed ones.
  void reject_unused() const;

  const std::string& who() const { return who_; }

 private:
  std::string who_;
  std::map<std::string, double> params_;
  std::string allowed_;
  std::set<std::string> used_;
};

}  // namespace nmflow

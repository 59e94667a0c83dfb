#pragma once
// Comparing two run files of `nmflow run` dataset by dataset, as the resume tests need: every dataset under `group`
// (recursively) must exist in both and be equal bit for bit, except timing datasets (names ending in "seconds"),
// which measure the machine rather than the run. NaN (a quantity a row does not define) equals NaN, as numpy's
// array_equal(equal_nan=True) of tests/cli/kill_and_resume.py.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <string>

#include "io/hdf5_file.h"

namespace nmflow::test {

inline bool same_values(const at::Tensor& a, const at::Tensor& b) {
  if (!at::isFloatingType(a.scalar_type()) || !at::isFloatingType(b.scalar_type())) return at::equal(a, b);
  const at::Tensor nan_a = at::isnan(a), nan_b = at::isnan(b);
  return at::equal(nan_a, nan_b) && at::equal(at::where(nan_a, 0.0, a), at::where(nan_b, 0.0, b));
}

inline bool is_timing_dataset(const std::string& name) {
  const std::string suffix = "seconds";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Returns the number of datasets compared (so a test can require that it compared something).
inline int check_same_datasets(const Hdf5File& a, const Hdf5File& b, const std::string& group = "/") {
  int compared = 0;
  const std::vector<std::string> names = a.members(group);
  CHECK(names == b.members(group));
  for (const std::string& name : names) {
    const std::string path = (group == "/" ? "" : group) + "/" + name;
    bool is_group = true;
    try {
      a.members(path);
    } catch (const std::exception&) {
      is_group = false;
    }
    if (is_group) {
      compared += check_same_datasets(a, b, path);
      continue;
    }
    if (is_timing_dataset(name)) continue;
    INFO(path);
    const at::Tensor ta = a.read_tensor(path), tb = b.read_tensor(path);
    REQUIRE(ta.sizes() == tb.sizes());
    CHECK(same_values(ta, tb));
    ++compared;
  }
  return compared;
}

inline int check_same_datasets(const std::string& a, const std::string& b) {
  return check_same_datasets(Hdf5File::open(a), Hdf5File::open(b));
}

}  // namespace nmflow::test

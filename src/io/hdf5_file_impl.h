#pragma once
// Internal to src/io (not installed, not included outside it): the HDF5 state behind Hdf5File's pimpl, shared by
// hdf5_file.cpp (files, datasets) and hdf5_attributes.cpp (attributes).
#include <H5Cpp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "io/hdf5_file.h"

namespace nmflow {
namespace hdf5_detail {

inline std::string absolute(const std::string& object) {
  return (!object.empty() && object.front() == '/') ? object : "/" + object;
}

constexpr const char* kComplexAttribute = "nmflow_complex";

// A group or a dataset, seen as the H5Object that carries attributes (H5Object itself cannot be owned).
struct AttributeTarget {
  H5::Group group;
  H5::DataSet dataset;
  bool is_dataset = false;
  const H5::H5Object& get() const {
    return is_dataset ? static_cast<const H5::H5Object&>(dataset) : static_cast<const H5::H5Object&>(group);
  }
};

}  // namespace hdf5_detail

struct Hdf5File::Impl {
  std::string path;
  H5::H5File file;

  // Runs an HDF5 call, turning the C++ API's exceptions into nmflow::Error naming the file and the object.
  template <class F>
  auto guarded(const std::string& object, const char* action, F&& body) const -> decltype(body()) {
    try {
      return body();
    } catch (const H5::Exception& e) {
      const std::string what = object.empty() ? std::string() : c10::str(" '", hdf5_detail::absolute(object), "'");
      throw Error(c10::str("HDF5 file '", path, "': cannot ", action, what, ": ", e.getDetailMsg()));
    }
  }

  bool exists(const std::string& object) const {
    const std::string full = hdf5_detail::absolute(object);
    if (full == "/") {
      return true;
    }
    // H5Lexists fails (rather than returning false) when a parent is missing, so walk the path.
    std::string prefix;
    size_t start = 1;
    while (start <= full.size()) {
      const size_t end = std::min(full.find('/', start), full.size());
      prefix += "/" + full.substr(start, end - start);
      if (!file.nameExists(prefix)) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }

  H5O_type_t type_of(const std::string& object) const {
    NMFLOW_CHECK(exists(object), "HDF5 file '", path, "' has no object '", hdf5_detail::absolute(object), "'");
    return guarded(object, "inspect", [&] { return file.childObjType(hdf5_detail::absolute(object)); });
  }

  H5::DataSet dataset(const std::string& name) const {
    NMFLOW_CHECK(exists(name) && type_of(name) == H5O_TYPE_DATASET, "HDF5 file '", path, "' has no dataset '",
                 hdf5_detail::absolute(name), "'");
    return guarded(name, "open dataset", [&] { return file.openDataSet(hdf5_detail::absolute(name)); });
  }

  // The group or dataset at `object`.
  hdf5_detail::AttributeTarget object_of(const std::string& object) const {
    hdf5_detail::AttributeTarget target;
    const std::string full = hdf5_detail::absolute(object);
    if (full != "/") {
      const H5O_type_t type = type_of(object);
      target.is_dataset = type == H5O_TYPE_DATASET;
      NMFLOW_CHECK(target.is_dataset || type == H5O_TYPE_GROUP, "HDF5 file '", path, "': '", full,
                   "' is neither a group nor a dataset");
    }
    if (target.is_dataset) {
      target.dataset = dataset(object);
    } else {
      target.group = guarded(object, "open group", [&] { return file.openGroup(full); });
    }
    return target;
  }

  void create_groups(const std::string& group) {
    const std::string full = hdf5_detail::absolute(group);
    size_t start = 1;
    while (start <= full.size()) {
      const size_t end = std::min(full.find('/', start), full.size());
      const std::string prefix = full.substr(0, end);
      if (prefix.size() > 1 && !file.nameExists(prefix)) {
        guarded(prefix, "create group", [&] { file.createGroup(prefix); });
      }
      start = end + 1;
    }
  }

  void create_parents(const std::string& object) {
    const std::string full = hdf5_detail::absolute(object);
    const size_t slash = full.rfind('/');
    if (slash > 0) {
      create_groups(full.substr(0, slash));
    }
  }

  // The dtype read_tensor() returns for `ds`, and whether it is stored as (re, im) pairs.
  std::pair<c10::ScalarType, bool> tensor_dtype(const H5::DataSet& ds, const std::string& name) const {
    return guarded(name, "read the type of", [&] {
      const bool is_complex = ds.attrExists(hdf5_detail::kComplexAttribute);
      switch (ds.getTypeClass()) {
        case H5T_FLOAT: {
          const size_t size = ds.getFloatType().getSize();
          NMFLOW_CHECK(size == 8 || size == 4, "HDF5 file '", path, "': dataset '", hdf5_detail::absolute(name),
                       "' has a ", size, "-byte float type; nmflow reads 4- and 8-byte floats");
          if (size == 8) {
            return std::make_pair(is_complex ? at::kComplexDouble : at::kDouble, is_complex);
          }
          return std::make_pair(is_complex ? at::kComplexFloat : at::kFloat, is_complex);
        }
        case H5T_INTEGER:
          return std::make_pair(at::kLong, false);
        case H5T_ENUM:
          return std::make_pair(at::kBool, false);
        default:
          throw Error(c10::str("HDF5 file '", path, "': dataset '", hdf5_detail::absolute(name),
                               "' has a type nmflow cannot read; allowed: float, integer, bool enum"));
      }
    });
  }

  std::vector<hsize_t> dims(const H5::DataSet& ds, const std::string& name, std::vector<hsize_t>* max_dims = nullptr) const {
    return guarded(name, "read the shape of", [&] {
      const H5::DataSpace space = ds.getSpace();
      std::vector<hsize_t> current(static_cast<size_t>(space.getSimpleExtentNdims()));
      std::vector<hsize_t> maximum(current.size());
      space.getSimpleExtentDims(current.data(), maximum.data());
      if (max_dims != nullptr) {
        *max_dims = maximum;
      }
      return current;
    });
  }
};

}  // namespace nmflow

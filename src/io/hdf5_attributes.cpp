// Hdf5File's scalar attributes (strings as variable-length UTF-8, F64LE reals, I64LE integers).
#include "io/hdf5_file.h"

#include "common/error.h"
#include "io/hdf5_file_impl.h"

namespace nmflow {

using hdf5_detail::absolute;
using hdf5_detail::AttributeTarget;

void Hdf5File::write_string_attribute(const std::string& object, const std::string& name, const std::string& value) {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  impl_->guarded(object, c10::str("write attribute '", name, "' of").c_str(), [&] {
    if (target.attrExists(name)) {
      target.removeAttr(name);
    }
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    target.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
  });
}

void Hdf5File::write_double_attribute(const std::string& object, const std::string& name, double value) {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  impl_->guarded(object, c10::str("write attribute '", name, "' of").c_str(), [&] {
    if (target.attrExists(name)) {
      target.removeAttr(name);
    }
    target.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_DOUBLE, &value);
  });
}

void Hdf5File::write_int_attribute(const std::string& object, const std::string& name, int64_t value) {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  impl_->guarded(object, c10::str("write attribute '", name, "' of").c_str(), [&] {
    if (target.attrExists(name)) {
      target.removeAttr(name);
    }
    target.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_INT64, &value);
  });
}

bool Hdf5File::has_attribute(const std::string& object, const std::string& name) const {
  if (!impl_->exists(object)) {
    return false;
  }
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  return impl_->guarded(object, "inspect attributes of", [&] { return target.attrExists(name); });
}

namespace {

// Opens attribute `name` of `target`, or throws naming the file, the object and the attribute.
H5::Attribute open_attribute(const H5::H5Object& target, const std::string& file, const std::string& object,
                             const std::string& name) {
  NMFLOW_CHECK(target.attrExists(name), "HDF5 file '", file, "': '", absolute(object), "' has no attribute '",
               name, "'");
  return target.openAttribute(name);
}

}  // namespace

std::string Hdf5File::read_string_attribute(const std::string& object, const std::string& name) const {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  return impl_->guarded(object, c10::str("read attribute '", name, "' of").c_str(), [&] {
    const H5::Attribute attribute = open_attribute(target, impl_->path, object, name);
    NMFLOW_CHECK(attribute.getTypeClass() == H5T_STRING, "HDF5 file '", impl_->path, "': attribute '", name,
                 "' of '", absolute(object), "' is not a string");
    std::string value;
    attribute.read(attribute.getStrType(), value);
    return value;
  });
}

double Hdf5File::read_double_attribute(const std::string& object, const std::string& name) const {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  return impl_->guarded(object, c10::str("read attribute '", name, "' of").c_str(), [&] {
    const H5::Attribute attribute = open_attribute(target, impl_->path, object, name);
    const H5T_class_t type_class = attribute.getTypeClass();
    NMFLOW_CHECK(type_class == H5T_FLOAT || type_class == H5T_INTEGER, "HDF5 file '", impl_->path,
                 "': attribute '", name, "' of '", absolute(object), "' is not numeric");
    double value = 0.0;
    attribute.read(H5::PredType::NATIVE_DOUBLE, &value);
    return value;
  });
}

int64_t Hdf5File::read_int_attribute(const std::string& object, const std::string& name) const {
  const AttributeTarget holder = impl_->object_of(object);
  const H5::H5Object& target = holder.get();
  return impl_->guarded(object, c10::str("read attribute '", name, "' of").c_str(), [&] {
    const H5::Attribute attribute = open_attribute(target, impl_->path, object, name);
    NMFLOW_CHECK(attribute.getTypeClass() == H5T_INTEGER, "HDF5 file '", impl_->path, "': attribute '", name,
                 "' of '", absolute(object), "' is not an integer");
    int64_t value = 0;
    attribute.read(H5::PredType::NATIVE_INT64, &value);
    return value;
  });
}

}  // namespace nmflow

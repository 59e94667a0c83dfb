#include "io/hdf5_file.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "common/error.h"
#include "io/hdf5_file_impl.h"

namespace nmflow {
namespace {

using hdf5_detail::absolute;
using hdf5_detail::kComplexAttribute;

constexpr int kGzipLevel = 4;
// Fixed datasets: 1 MiB chunks fit HDF5's default 1 MiB chunk cache. Extendible ones use 64 KiB so that the
// flush after every append recompresses little.
constexpr int64_t kChunkBytes = int64_t{1} << 20;
constexpr int64_t kExtendibleChunkBytes = int64_t{1} << 16;

// h5py's boolean: an int8 enum with exactly these two members.
H5::EnumType bool_type() {
  H5::EnumType type(H5::PredType::NATIVE_INT8);
  int8_t false_value = 0;
  int8_t true_value = 1;
  type.insert("FALSE", &false_value);
  type.insert("TRUE", &true_value);
  return type;
}

// In-memory HDF5 type for a storage dtype (after complex → real and bool → int8).
H5::DataType memory_type(c10::ScalarType storage_dtype, bool is_bool) {
  if (is_bool) {
    return bool_type();
  }
  switch (storage_dtype) {
    case c10::ScalarType::Double:
      return H5::PredType::NATIVE_DOUBLE;
    case c10::ScalarType::Float:
      return H5::PredType::NATIVE_FLOAT;
    case c10::ScalarType::Long:
      return H5::PredType::NATIVE_INT64;
    default:
      break;
  }
  throw Error(c10::str("unsupported dtype ", storage_dtype));
}

// File type: fixed little-endian so files are identical across hosts.
H5::DataType file_type(c10::ScalarType storage_dtype, bool is_bool) {
  if (is_bool) {
    return bool_type();
  }
  switch (storage_dtype) {
    case c10::ScalarType::Double:
      return H5::PredType::IEEE_F64LE;
    case c10::ScalarType::Float:
      return H5::PredType::IEEE_F32LE;
    default:
      return H5::PredType::STD_I64LE;
  }
}

bool is_supported(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::ScalarType::Double:
    case c10::ScalarType::Float:
    case c10::ScalarType::Long:
    case c10::ScalarType::Bool:
    case c10::ScalarType::ComplexDouble:
    case c10::ScalarType::ComplexFloat:
      return true;
    default:
      return false;
  }
}

void check_supported(c10::ScalarType dtype, const std::string& where) {
  NMFLOW_CHECK(is_supported(dtype), where, ": unsupported dtype ", dtype,
               "; allowed: float64, float32, int64, bool, complex128, complex64");
}

// The tensor as HDF5 stores it: CPU, contiguous, complex as a trailing (re, im) dimension, bool as int8.
at::Tensor storage_tensor(const at::Tensor& tensor) {
  at::Tensor data = tensor.detach().to(at::kCPU);
  if (data.is_complex()) {
    data = at::view_as_real(data.resolve_conj());
  } else if (data.scalar_type() == at::kBool) {
    data = data.to(at::kChar);
  }
  return data.contiguous();
}

std::vector<hsize_t> to_hsize(at::IntArrayRef sizes) {
  return std::vector<hsize_t>(sizes.begin(), sizes.end());
}

// Halves leading dimensions first until a chunk is at most `target` bytes (every chunk dimension ≥ 1).
std::vector<hsize_t> chunk_shape(std::vector<hsize_t> chunk, int64_t element_bytes, int64_t target) {
  auto bytes = [&] {
    int64_t total = element_bytes;
    for (hsize_t d : chunk) {
      total *= static_cast<int64_t>(d);
    }
    return total;
  };
  for (auto& d : chunk) {
    while (bytes() > target && d > 1) {
      d = (d + 1) / 2;
    }
  }
  return chunk;
}

}  // namespace

Hdf5File::Hdf5File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hdf5File::Hdf5File(Hdf5File&&) noexcept = default;
Hdf5File& Hdf5File::operator=(Hdf5File&&) noexcept = default;
Hdf5File::~Hdf5File() = default;

Hdf5File Hdf5File::create(const std::string& path) {
  H5::Exception::dontPrint();  // src/ never prints; errors travel as nmflow::Error
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  NMFLOW_CHECK(parent.empty() || std::filesystem::is_directory(parent), "cannot create HDF5 file '", path,
               "': directory '", parent.string(), "' does not exist");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->guarded("", "create the file", [&] { impl->file = H5::H5File(path, H5F_ACC_TRUNC); });
  return Hdf5File(std::move(impl));
}

Hdf5File Hdf5File::open(const std::string& path, Hdf5Mode mode) {
  H5::Exception::dontPrint();
  NMFLOW_CHECK(std::filesystem::exists(path), "HDF5 file '", path, "' does not exist");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->guarded("", "open the file", [&] {
    NMFLOW_CHECK(H5::H5File::isHdf5(path), "'", path, "' is not an HDF5 file");
    impl->file = H5::H5File(path, mode == Hdf5Mode::read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR);
  });
  return Hdf5File(std::move(impl));
}

const std::string& Hdf5File::path() const { return impl_->path; }

void Hdf5File::create_group(const std::string& group) { impl_->create_groups(group); }

bool Hdf5File::exists(const std::string& object) const { return impl_->exists(object); }

std::vector<std::string> Hdf5File::members(const std::string& group) const {
  return impl_->guarded(group, "list group", [&] {
    const H5::Group g = impl_->file.openGroup(absolute(group));
    std::vector<std::string> names;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) names.push_back(g.getObjnameByIdx(i));
    return names;
  });
}

void Hdf5File::write_tensor(const std::string& name, const at::Tensor& tensor) {
  const std::string where = c10::str("HDF5 file '", impl_->path, "': dataset '", absolute(name), "'");
  NMFLOW_CHECK(tensor.defined(), where, ": tensor is undefined");
  check_supported(tensor.scalar_type(), where);
  NMFLOW_CHECK(!impl_->exists(name), where, " already exists");
  const bool is_bool = tensor.scalar_type() == at::kBool;
  const at::Tensor data = storage_tensor(tensor);
  impl_->create_parents(name);
  impl_->guarded(name, "write dataset", [&] {
    const std::vector<hsize_t> dims = to_hsize(data.sizes());
    const H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR)
                                             : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
    H5::DSetCreatPropList props;
    if (!dims.empty() && data.numel() > 0) {
      const std::vector<hsize_t> chunk = chunk_shape(dims, data.element_size(), kChunkBytes);
      props.setChunk(static_cast<int>(chunk.size()), chunk.data());
      props.setShuffle();
      props.setDeflate(kGzipLevel);
    }
    const H5::DataSet ds = impl_->file.createDataSet(absolute(name), file_type(data.scalar_type(), is_bool), space, props);
    if (data.numel() > 0) {
      ds.write(data.data_ptr(), memory_type(data.scalar_type(), is_bool));
    }
    if (tensor.is_complex()) {
      const int64_t one = 1;
      ds.createAttribute(kComplexAttribute, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &one);
    }
  });
}

at::Tensor Hdf5File::read_tensor(const std::string& name) const {
  const H5::DataSet ds = impl_->dataset(name);
  const auto [dtype, is_complex] = impl_->tensor_dtype(ds, name);
  const std::vector<hsize_t> dims = impl_->dims(ds, name);
  const std::vector<int64_t> sizes(dims.begin(), dims.end());
  const bool is_bool = dtype == at::kBool;
  const c10::ScalarType storage = is_bool ? at::kChar : c10::toRealValueType(dtype);
  at::Tensor data = at::empty(sizes, at::TensorOptions().dtype(storage));
  if (data.numel() > 0) {
    impl_->guarded(name, "read dataset", [&] { ds.read(data.data_ptr(), memory_type(storage, is_bool)); });
  }
  if (is_bool) {
    return data.to(at::kBool);
  }
  if (is_complex) {
    NMFLOW_CHECK(!sizes.empty() && sizes.back() == 2, "HDF5 file '", impl_->path, "': complex dataset '",
                 absolute(name), "' must end in a (re, im) dimension of 2, got shape ", data.sizes());
    return at::view_as_complex(data);
  }
  return data;
}

std::vector<int64_t> Hdf5File::shape(const std::string& name) const {
  const H5::DataSet ds = impl_->dataset(name);
  const std::vector<hsize_t> dims = impl_->dims(ds, name);
  std::vector<int64_t> sizes(dims.begin(), dims.end());
  if (impl_->tensor_dtype(ds, name).second && !sizes.empty()) {
    sizes.pop_back();
  }
  return sizes;
}

void Hdf5File::create_extendible(const std::string& name, c10::ScalarType dtype,
                                 const std::vector<int64_t>& record_shape) {
  const std::string where = c10::str("HDF5 file '", impl_->path, "': extendible dataset '", absolute(name), "'");
  check_supported(dtype, where);
  NMFLOW_CHECK(!impl_->exists(name), where, " already exists");
  for (int64_t d : record_shape) {
    NMFLOW_CHECK(d > 0, where, ": record shape ", at::IntArrayRef(record_shape), " must have positive dimensions");
  }
  const bool is_complex = c10::isComplexType(dtype);
  const bool is_bool = dtype == at::kBool;
  const c10::ScalarType storage = is_bool ? at::kChar : c10::toRealValueType(dtype);
  std::vector<hsize_t> dims{0};
  dims.insert(dims.end(), record_shape.begin(), record_shape.end());
  if (is_complex) {
    dims.push_back(2);
  }
  std::vector<hsize_t> max_dims = dims;
  max_dims[0] = H5S_UNLIMITED;
  std::vector<hsize_t> one_record = dims;
  one_record[0] = 1;
  // Chunks of whole records (a record larger than the target is split along its own dimensions), then as
  // many records per chunk as fit the target.
  std::vector<hsize_t> chunk =
      chunk_shape(one_record, static_cast<int64_t>(c10::elementSize(storage)), kExtendibleChunkBytes);
  int64_t chunk_bytes = static_cast<int64_t>(c10::elementSize(storage));
  for (hsize_t d : chunk) {
    chunk_bytes *= static_cast<int64_t>(d);
  }
  chunk[0] = static_cast<hsize_t>(std::max<int64_t>(1, kExtendibleChunkBytes / chunk_bytes));
  impl_->create_parents(name);
  impl_->guarded(name, "create extendible dataset", [&] {
    const H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), max_dims.data());
    H5::DSetCreatPropList props;
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    props.setShuffle();
    props.setDeflate(kGzipLevel);
    const H5::DataSet ds = impl_->file.createDataSet(absolute(name), file_type(storage, is_bool), space, props);
    if (is_complex) {
      const int64_t one = 1;
      ds.createAttribute(kComplexAttribute, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &one);
    }
  });
}

void Hdf5File::write_scalar(const std::string& name, double value) {
  write_tensor(name, at::scalar_tensor(value, at::kDouble));
}

void Hdf5File::append_value(const std::string& name, double value) {
  append_record(name, at::full({1}, value, at::kDouble));
}

void Hdf5File::append_value(const std::string& name, int64_t value) {
  append_record(name, at::full({1}, value, at::kLong));
}

void Hdf5File::append_record(const std::string& name, const at::Tensor& record) {
  const std::string where = c10::str("HDF5 file '", impl_->path, "': extendible dataset '", absolute(name), "'");
  H5::DataSet ds = impl_->dataset(name);
  std::vector<hsize_t> max_dims;
  std::vector<hsize_t> dims = impl_->dims(ds, name, &max_dims);
  NMFLOW_CHECK(!dims.empty() && max_dims[0] == H5S_UNLIMITED, where, " is not extendible (create it with create_extendible)");
  const c10::ScalarType dtype = impl_->tensor_dtype(ds, name).first;
  NMFLOW_CHECK(record.defined() && record.scalar_type() == dtype, where, " holds ", dtype, " records, got ",
               record.defined() ? c10::toString(record.scalar_type()) : "an undefined tensor");
  const bool is_bool = dtype == at::kBool;
  const at::Tensor data = storage_tensor(record);
  std::vector<int64_t> expected(dims.begin() + 1, dims.end());
  if (record.is_complex()) {
    expected.pop_back();  // the stored (re, im) dimension
  }
  NMFLOW_CHECK(record.sizes() == at::IntArrayRef(expected), where, " holds records of shape ",
               at::IntArrayRef(expected), ", got ", record.sizes());
  impl_->guarded(name, "append to", [&] {
    std::vector<hsize_t> offset(dims.size(), 0);
    offset[0] = dims[0];
    std::vector<hsize_t> count = dims;
    count[0] = 1;
    dims[0] += 1;
    ds.extend(dims.data());
    const H5::DataSpace file_space = ds.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, count.data(), offset.data());
    const H5::DataSpace memory_space(static_cast<int>(count.size()), count.data());
    ds.write(data.data_ptr(), memory_type(data.scalar_type(), is_bool), memory_space, file_space);
    impl_->file.flush(H5F_SCOPE_GLOBAL);
  });
}

int64_t Hdf5File::record_count(const std::string& name) const {
  const H5::DataSet ds = impl_->dataset(name);
  const std::vector<hsize_t> dims = impl_->dims(ds, name);
  NMFLOW_CHECK(!dims.empty(), "HDF5 file '", impl_->path, "': dataset '", absolute(name), "' is a scalar, not a record list");
  return static_cast<int64_t>(dims[0]);
}

void Hdf5File::flush() {
  impl_->guarded("", "flush", [&] { impl_->file.flush(H5F_SCOPE_GLOBAL); });
}

}  // namespace nmflow

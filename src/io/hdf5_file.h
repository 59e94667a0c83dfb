#pragma once
// Hdf5File: nmflow's one door to HDF5 — tensors in, tensors out. HDF5 types stay behind a pimpl so that only
// hdf5_file.cpp sees <H5Cpp.h>. The on-disk layout (docs/hdf5.md) is plain HDF5 that h5py reads as numpy:
//   float64, float32, int64 → IEEE/STD little-endian datasets of the tensor's shape;
//   bool                    → h5py's boolean enum (int8, FALSE = 0, TRUE = 1);
//   complex128 / complex64  → float64 / float32 with one extra trailing dimension of 2 holding (re, im), and the
//                             dataset attribute `nmflow_complex` = 1 so read_tensor() returns a complex tensor;
//   0-dim tensors           → scalar dataspace; empty tensors → zero-size dataset (shape kept).
// Non-empty datasets are chunked (≤ 1 MiB chunks) and compressed with shuffle + gzip level 4.
// Object paths are absolute or relative to the root ("points" ≡ "/points"); missing parent groups are created.
// Every failure throws nmflow::Error naming the file and the object. Debian's HDF5 is not thread-safe: use
// Hdf5File objects from one thread at a time.
#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nmflow {

enum class Hdf5Mode { read_only, read_write };

class Hdf5File {
 public:
  // Creates `path`, replacing any existing file.
  static Hdf5File create(const std::string& path);
  // Opens an existing HDF5 file; throws if it is missing or not HDF5.
  static Hdf5File open(const std::string& path, Hdf5Mode mode = Hdf5Mode::read_only);

  Hdf5File(Hdf5File&&) noexcept;
  Hdf5File& operator=(Hdf5File&&) noexcept;
  ~Hdf5File();

  const std::string& path() const;

  // Creates the group and any missing parents ("trajectory/probes").
  void create_group(const std::string& group);
  // True when a group or dataset exists at `object` (any missing component gives false).
  bool exists(const std::string& object) const;
  // The names of the objects (groups and datasets) directly in `group`, in HDF5's name order; throws if `group`
  // is not a group.
  std::vector<std::string> members(const std::string& group) const;

  // tensor: any shape and any supported dtype (float64, float32, int64, bool, complex128, complex64), any
  // device (copied to the CPU). Throws if `dataset` already exists.
  void write_tensor(const std::string& dataset, const at::Tensor& tensor);
  // The dataset as a CPU tensor of the dtype it was written with (any integer type reads as int64).
  at::Tensor read_tensor(const std::string& dataset) const;
  // The tensor shape read_tensor() would return (without the (re, im) dimension of complex data).
  std::vector<int64_t> shape(const std::string& dataset) const;

  // Extendible datasets (trajectories): shape [0, record_shape...] with an unlimited first dimension.
  // record_shape must have no zero dimension.
  void create_extendible(const std::string& dataset, c10::ScalarType dtype, const std::vector<int64_t>& record_shape);
  // record: [record_shape...] of the dataset's dtype. Appends it as entry [count] and flushes the whole file
  // (H5Fflush), so a writer killed afterwards leaves a readable file holding this record.
  void append_record(const std::string& dataset, const at::Tensor& record);
  // One float64 number as a 0-dim dataset (h5py reads a numpy scalar).
  void write_scalar(const std::string& dataset, double value);
  // One number as the record of a [N, 1] dataset (float64, or int64 for the integer overload).
  void append_value(const std::string& dataset, double value);
  void append_value(const std::string& dataset, int64_t value);
  // Size of the first dimension of an extendible dataset.
  int64_t record_count(const std::string& dataset) const;

  // Scalar attributes on the root ("/"), a group or a dataset; an existing attribute of that name is replaced.
  // Strings are variable-length UTF-8 (h5py returns str).
  void write_string_attribute(const std::string& object, const std::string& name, const std::string& value);
  void write_double_attribute(const std::string& object, const std::string& name, double value);
  void write_int_attribute(const std::string& object, const std::string& name, int64_t value);
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string read_string_attribute(const std::string& object, const std::string& name) const;
  // Any numeric attribute (integers convert).
  double read_double_attribute(const std::string& object, const std::string& name) const;
  // Integer attributes only.
  int64_t read_int_attribute(const std::string& object, const std::string& name) const;

  // Writes every buffer to disk (H5Fflush, global scope).
  void flush();

 private:
  struct Impl;
  explicit Hdf5File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nmflow

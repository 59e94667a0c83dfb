// Hdf5File: every dtype and shape survives a write/read round trip bit for bit, attributes and extendible
// datasets work, a SIGKILLed writer leaves every flushed record readable, and errors name what is missing.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "common/version.h"
#include "common/cpu_targets.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace {

// A fresh file path under the system temp directory, unique per test and process.
std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("nmflow_io_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  return path.string();
}

// Bitwise equality including dtype and shape (round trips must be exact, not merely close).
bool identical(const at::Tensor& a, const at::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() && at::equal(a, b);
}

}  // namespace

TEST_CASE("every supported dtype and shape round-trips exactly through HDF5", "[io]") {
  const std::string path = temp_path("roundtrip.h5");
  at::manual_seed(7);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  std::vector<std::pair<std::string, at::Tensor>> cases = {
      {"f64_matrix", at::randn({37, 5}, f64)},
      {"f64_rank5", at::randn({3, 2, 4, 2, 3}, f64)},
      {"f64_scalar", at::scalar_tensor(3.25, f64)},
      {"f64_empty", at::empty({0, 3}, f64)},
      {"f64_empty_middle", at::empty({4, 0, 2}, f64)},
      {"f64_noncontiguous", at::randn({6, 4}, f64).t()},
      {"f32_vector", at::randn({1000}, at::TensorOptions().dtype(at::kFloat))},
      {"i64_vector", at::randint(-(int64_t{1} << 40), int64_t{1} << 40, {257}, at::TensorOptions().dtype(at::kLong))},
      {"i64_scalar", at::scalar_tensor(-5, at::TensorOptions().dtype(at::kLong))},
      {"bool_matrix", at::rand({9, 7}, f64) > 0.5},
      {"bool_empty", at::empty({0}, at::TensorOptions().dtype(at::kBool))},
      {"c128_matrix", at::randn({11, 3}, at::TensorOptions().dtype(at::kComplexDouble))},
      {"c128_conjugated", at::randn({4}, at::TensorOptions().dtype(at::kComplexDouble)).conj()},
      {"c64_vector", at::randn({8}, at::TensorOptions().dtype(at::kComplexFloat))},
      {"c128_empty", at::empty({0, 2}, at::TensorOptions().dtype(at::kComplexDouble))},
      {"nested/group/values", at::arange(12, f64).reshape({3, 4})},
      // Larger than one 1 MiB chunk, so several chunks are written and read back.
      {"f64_multichunk", at::randn({300000}, f64)},
  };
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
    for (const auto& [name, tensor] : cases) {
      file.write_tensor(name, tensor);
    }
  }
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(path);
  for (const auto& [name, tensor] : cases) {
    INFO(name);
    const at::Tensor back = file.read_tensor(name);
    CHECK(identical(back, tensor.resolve_conj()));
    CHECK(file.shape(name) == tensor.sizes().vec());
  }
  CHECK(file.exists("nested/group"));
  CHECK(file.exists("/nested/group/values"));
  CHECK_FALSE(file.exists("nested/missing/values"));
}

TEST_CASE("complex tensors are stored as a trailing (re, im) dimension of 2", "[io]") {
  const std::string path = temp_path("complex_layout.h5");
  nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
  // A real [2, 2] dataset marked as complex must read as the complex [2] tensor (1 − 2i, 3.5 + 4i).
  file.write_tensor("pairs", at::tensor({1.0, -2.0, 3.5, 4.0}, at::kDouble).reshape({2, 2}));
  file.write_int_attribute("pairs", "nmflow_complex", 1);
  const at::Tensor z = file.read_tensor("pairs");
  REQUIRE(z.scalar_type() == at::kComplexDouble);
  CHECK(file.shape("pairs") == std::vector<int64_t>{2});
  CHECK(identical(at::real(z).contiguous(), at::tensor({1.0, 3.5}, at::kDouble)));
  CHECK(identical(at::imag(z).contiguous(), at::tensor({-2.0, 4.0}, at::kDouble)));
  // And the writer marks complex data that way.
  file.write_tensor("z", z);
  CHECK(file.read_int_attribute("z", "nmflow_complex") == 1);
}

TEST_CASE("string, double and integer attributes round-trip on root, groups and datasets", "[io]") {
  const std::string path = temp_path("attributes.h5");
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
    file.create_group("run/diagnostics");
    file.write_tensor("run/x", at::zeros({2}, at::kDouble));
    file.write_string_attribute("/", "measure", "unit round S^3, dV normalised");
    file.write_string_attribute("/", "unicode", "Ω∧Ω̄ σ");
    file.write_string_attribute("/", "empty", "");
    file.write_double_attribute("run/diagnostics", "tolerance", 1.0e-12);
    file.write_int_attribute("run/x", "seed", int64_t{9007199254740993});  // 2^53 + 1: not a double
    file.write_double_attribute("run/x", "replaced", 1.0);
    file.write_double_attribute("run/x", "replaced", -2.5);
  }
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(path);
  CHECK(file.read_string_attribute("/", "measure") == "unit round S^3, dV normalised");
  CHECK(file.read_string_attribute("", "unicode") == "Ω∧Ω̄ σ");
  CHECK(file.read_string_attribute("/", "empty").empty());
  CHECK(file.read_double_attribute("run/diagnostics", "tolerance") == 1.0e-12);
  CHECK(file.read_int_attribute("run/x", "seed") == int64_t{9007199254740993});
  CHECK(file.read_double_attribute("run/x", "seed") == 9007199254740992.0);  // integers convert to double
  CHECK(file.read_double_attribute("run/x", "replaced") == -2.5);
  CHECK(file.has_attribute("run/x", "seed"));
  CHECK_FALSE(file.has_attribute("run/x", "nothing"));
  CHECK_THROWS_WITH(file.read_int_attribute("run/diagnostics", "tolerance"), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(file.read_double_attribute("/", "measure"), Catch::Contains("not numeric"));
  CHECK_THROWS_WITH(file.read_string_attribute("run/x", "nothing"),
                    Catch::Contains(path) && Catch::Contains("/run/x") && Catch::Contains("nothing"));
}

TEST_CASE("extendible datasets append records and reopen with every record", "[io]") {
  const std::string path = temp_path("extendible.h5");
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  at::manual_seed(3);
  std::vector<at::Tensor> metrics;
  std::vector<at::Tensor> phases;
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
    file.create_extendible("trajectory/g", at::kDouble, {4, 3, 3});
    file.create_extendible("trajectory/t", at::kDouble, {1});
    file.create_extendible("trajectory/phase", at::kComplexDouble, {2});
    file.create_extendible("trajectory/alive", at::kBool, {3});
    CHECK(file.record_count("trajectory/g") == 0);
    CHECK(file.read_tensor("trajectory/g").sizes() == at::IntArrayRef({0, 4, 3, 3}));
    for (int step = 0; step < 40; ++step) {
      metrics.push_back(at::randn({4, 3, 3}, f64));
      phases.push_back(at::randn({2}, at::TensorOptions().dtype(at::kComplexDouble)));
      file.append_record("trajectory/g", metrics.back());
      file.append_record("trajectory/t", at::full({1}, 0.01 * step, f64));
      file.append_record("trajectory/phase", phases.back());
      file.append_record("trajectory/alive", at::tensor({step % 2 == 0 ? 1 : 0, 1, 0}).to(at::kBool));
    }
    CHECK_THROWS_WITH(file.append_record("trajectory/g", at::zeros({4, 3}, f64)),
                      Catch::Contains("[4, 3, 3]") && Catch::Contains("[4, 3]"));
    CHECK_THROWS_WITH(file.append_record("trajectory/g", at::zeros({4, 3, 3}, at::kFloat)),
                      Catch::Contains("Double") && Catch::Contains("Float"));
    file.write_tensor("fixed", at::zeros({2}, f64));
    CHECK_THROWS_WITH(file.append_record("fixed", at::zeros({}, f64)), Catch::Contains("not extendible"));
  }
  nmflow::Hdf5File file = nmflow::Hdf5File::open(path, nmflow::Hdf5Mode::read_write);
  CHECK(file.record_count("trajectory/g") == 40);
  CHECK(identical(file.read_tensor("trajectory/g"), at::stack(metrics)));
  CHECK(identical(file.read_tensor("trajectory/phase"), at::stack(phases)));
  CHECK(identical(file.read_tensor("trajectory/t").squeeze(1), 0.01 * at::arange(40, f64)));
  CHECK(file.read_tensor("trajectory/alive").sum().item<int64_t>() == 20 + 40);
  // Resume: appending after reopening continues the record list.
  file.append_record("trajectory/t", at::full({1}, 0.4, f64));
  CHECK(file.record_count("trajectory/t") == 41);
}

TEST_CASE("a writer killed with SIGKILL leaves a readable file holding every flushed record", "[io]") {
  const std::string path = temp_path("killed.h5");
  constexpr int64_t kRecordSize = 64;
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: append record i = (i, i, ..., i) forever, reporting each one after its flush.
    close(ready[0]);
    try {
      nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
      file.create_extendible("records", at::kDouble, {kRecordSize});
      for (int64_t i = 0;; ++i) {
        file.append_record("records", at::full({kRecordSize}, static_cast<double>(i), at::kDouble));
        if (write(ready[1], &i, sizeof i) != static_cast<ssize_t>(sizeof i)) {
          _exit(3);
        }
      }
    } catch (...) {
      _exit(4);
    }
  }
  close(ready[1]);
  // Parent: wait for 200 acknowledged records, then kill the writer mid-run (it keeps appending meanwhile).
  int64_t last_acknowledged = -1;
  while (last_acknowledged < 199) {
    REQUIRE(read(ready[0], &last_acknowledged, sizeof last_acknowledged) ==
            static_cast<ssize_t>(sizeof last_acknowledged));
  }
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  close(ready[0]);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  const nmflow::Hdf5File file = nmflow::Hdf5File::open(path);
  const int64_t count = file.record_count("records");
  INFO("records on disk: " << count << ", acknowledged: " << last_acknowledged + 1);
  CHECK(count >= 200);
  const at::Tensor records = file.read_tensor("records");
  REQUIRE(records.sizes() == at::IntArrayRef({count, kRecordSize}));
  // Every acknowledged record is intact; a record appended after the last flush may be incomplete.
  const at::Tensor flushed = records.slice(0, 0, 200);
  const at::Tensor expected = at::arange(200, at::kDouble).unsqueeze(1).expand({200, kRecordSize});
  CHECK(identical(flushed, expected.contiguous()));
}

TEST_CASE("missing files, datasets and groups raise errors naming the path", "[io]") {
  const std::string missing = temp_path("does_not_exist.h5");
  CHECK_THROWS_AS(nmflow::Hdf5File::open(missing), nmflow::Error);
  CHECK_THROWS_WITH(nmflow::Hdf5File::open(missing), Catch::Contains(missing) && Catch::Contains("does not exist"));

  const std::string not_hdf5 = temp_path("not_hdf5.h5");
  { std::FILE* f = std::fopen(not_hdf5.c_str(), "w"); std::fputs("plain text", f); std::fclose(f); }
  CHECK_THROWS_WITH(nmflow::Hdf5File::open(not_hdf5), Catch::Contains(not_hdf5) && Catch::Contains("not an HDF5"));

  const std::string path = temp_path("errors.h5");
  nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
  file.write_tensor("group/x", at::zeros({3}, at::kDouble));
  CHECK_THROWS_WITH(file.read_tensor("group/y"), Catch::Contains(path) && Catch::Contains("/group/y"));
  CHECK_THROWS_WITH(file.read_tensor("elsewhere/deeper/y"), Catch::Contains("/elsewhere/deeper/y"));
  CHECK_THROWS_WITH(file.read_tensor("group"), Catch::Contains("no dataset") && Catch::Contains("/group"));
  CHECK_THROWS_WITH(file.write_tensor("group/x", at::zeros({3}, at::kDouble)), Catch::Contains("already exists"));
  CHECK_THROWS_WITH(file.write_tensor("int32", at::zeros({3}, at::kInt)),
                    Catch::Contains("Int") && Catch::Contains("float64, float32, int64, bool, complex128"));
  CHECK_THROWS_WITH(file.write_string_attribute("missing_group", "a", "b"), Catch::Contains("/missing_group"));
  CHECK_THROWS_WITH(file.create_extendible("bad", at::kDouble, {3, 0}), Catch::Contains("positive"));
}

TEST_CASE("provenance records versions, seed, device, config and times as root attributes", "[io]") {
  const std::string path = temp_path("provenance.h5");
  const auto start = std::chrono::system_clock::now();
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
    nmflow::write_provenance(file, {"manifold: sphere\ndim: 3\n", 1234567890123, "cpu", "nmflow sample -o x.h5", start});
  }
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(path);
  CHECK(file.read_string_attribute("/", "nmflow_version") == nmflow::version());
  CHECK(file.read_string_attribute("/", "nmflow_git_hash") == nmflow::git_hash());
  CHECK(file.read_string_attribute("/", "libtorch_version") == nmflow::torch_version());
  CHECK(file.read_int_attribute("/", "cuda_compiled") == (nmflow::built_with_cuda() ? 1 : 0));
  CHECK(file.read_int_attribute("/", "torch_num_threads") >= 1);
  CHECK(file.read_string_attribute("/", "cpu_kernel_level") ==
        nmflow::cpu_x86_64_level_name(nmflow::cpu_x86_64_level()));
  CHECK(file.read_int_attribute("/", "seed") == 1234567890123);
  CHECK(file.read_string_attribute("/", "device") == "cpu");
  CHECK(file.read_string_attribute("/", "config") == "manifold: sphere\ndim: 3\n");
  CHECK(file.read_string_attribute("/", "command_line") == "nmflow sample -o x.h5");
  CHECK(file.read_string_attribute("/", "start_time") == nmflow::iso8601_utc(start));
  const std::string end_time = file.read_string_attribute("/", "end_time");
  CHECK(end_time.size() == 24);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  CHECK(end_time >= file.read_string_attribute("/", "start_time"));
}

TEST_CASE("iso8601_utc formats the epoch and milliseconds", "[io]") {
  const std::chrono::system_clock::time_point epoch{};
  CHECK(nmflow::iso8601_utc(epoch) == "1970-01-01T00:00:00.000Z");
  CHECK(nmflow::iso8601_utc(epoch + std::chrono::milliseconds(86400123)) == "1970-01-02T00:00:00.123Z");
}

// Not run by default ([.]): CTest's io_h5py_fixture runs it to write the file that tests/io/h5py_reads_nmflow.py
// then reads with h5py. The values are simple closed forms so the Python side can check them exactly.
TEST_CASE("writes the h5py cross-check file to $NMFLOW_H5PY_FIXTURE", "[.h5py_fixture]") {
  const char* path = std::getenv("NMFLOW_H5PY_FIXTURE");
  REQUIRE(path != nullptr);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
  file.write_tensor("f64", at::arange(24, f64).reshape({2, 3, 4}) / 8.0);
  file.write_tensor("f32", at::arange(5, at::TensorOptions().dtype(at::kFloat)) - 2.5);
  file.write_tensor("i64", at::arange(-3, 3, at::TensorOptions().dtype(at::kLong)) * (int64_t{1} << 40));
  file.write_tensor("bool", at::tensor({1, 0, 1}).to(at::kBool));
  file.write_tensor("c128", at::view_as_complex(at::arange(6, f64).reshape({3, 2})));
  file.write_tensor("scalar", at::scalar_tensor(2.5, f64));
  file.write_tensor("empty", at::empty({0, 3}, f64));
  file.write_tensor("group/big", at::arange(300000, f64));
  file.create_extendible("records", at::kDouble, {2});
  for (int i = 0; i < 5; ++i) {
    file.append_record("records", at::full({2}, static_cast<double>(i), f64));
  }
  file.write_string_attribute("/", "measure", "Ω∧Ω̄");
  file.write_double_attribute("group", "x", 0.125);
  file.write_int_attribute("group/big", "n", 300000);
  nmflow::write_provenance(file, {"a: 1\n", 42, "cpu", "io_tests", std::chrono::system_clock::now()});
}

#pragma once
// Pieces shared by the nmflow subcommands: the usage-error type main() maps to exit code 2, the compute options
// (--device, --dtype, --threads), --param parsing, and the strings that go into provenance.
#include <CLI/CLI.hpp>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "io/hdf5_file.h"

#include <chrono>
#include <optional>
#include <complex>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nmflow::cli {

// A bad option value. main() prints "nmflow: error: <message>" and exits 2; the message names the option and
// the allowed values.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What every subcommand knows about how it was invoked (for provenance).
struct Invocation {
  std::string command_line;  // argv, shell-quoted
  std::chrono::system_clock::time_point start_time;
};

struct ComputeOptions {
  std::string device = "auto";    // cpu | cuda | auto
  std::string dtype = "float64";  // float64 | float32
  int threads = 0;                // 0: LibTorch's default
};

struct ComputeSetup {
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = c10::ScalarType::Double;
};

// Adds --device, --dtype and --threads to `command`.
void add_compute_options(CLI::App& command, ComputeOptions& options);
// Sets LibTorch's thread count and resolves the device ("auto": CUDA when a device is visible, else CPU);
// throws UsageError when --device cuda cannot be honoured.
ComputeSetup apply_compute_options(const ComputeOptions& options);
std::string dtype_name(c10::ScalarType dtype);  // "float64" | "float32"

// "key=value" entries of --param; throws UsageError naming the entry that does not parse.
std::map<std::string, double> parse_real_params(const std::vector<std::string>& entries);
// Adds --dim n as params["dim"] (dim > 0 only); throws UsageError if --param dim= says otherwise.
void merge_dim_option(int64_t dim, std::map<std::string, double>& params);
// Values may be complex: "0.5", "-1.5e-2", "2i", "1+2i", "1-0.5i".
std::map<std::string, std::complex<double>> parse_complex_params(const std::vector<std::string>& entries);

// The -o/--output file, created before any work so that a bad path fails at once; removed again when the run
// fails before commit(), so no half-written file is left behind.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);  // empty: no output requested
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();
  Hdf5File* get() { return file_ ? &*file_ : nullptr; }
  // Closes the file and keeps it.
  void commit();

 private:
  std::string path_;
  std::optional<Hdf5File> file_;
};

// Runs `body`; an nmflow::Error it throws becomes a UsageError prefixed with "<option>: ".
template <class F>
auto blame_option(const std::string& option, F&& body) -> decltype(body());

std::string join(const std::vector<std::string>& items, const std::string& separator);
bool contains(const std::vector<std::string>& items, const std::string& item);
std::string quote_command_line(int argc, char** argv);
// The run's options as YAML lines "key: value" (the `config` provenance attribute).
std::string config_text(const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace nmflow::cli

#include "common/error.h"

template <class F>
auto nmflow::cli::blame_option(const std::string& option, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const nmflow::Error& e) {
    throw UsageError(option + ": " + e.what());
  }
}

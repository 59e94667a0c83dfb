#include "cli_common.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace nmflow::cli {

void add_compute_options(CLI::App& command, ComputeOptions& options) {
  command.add_option("--device", options.device, "Where to compute: cpu, cuda or auto (cuda when visible)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  command.add_option("--dtype", options.dtype, "Floating-point type of the computation and output: float64 or float32")
      ->check(CLI::IsMember({"float64", "float32"}))
      ->capture_default_str();
  command.add_option("--threads", options.threads, "LibTorch CPU threads (default: LibTorch's choice)")
      ->check(CLI::Range(1, 4096));
}

ComputeSetup apply_compute_options(const ComputeOptions& options) {
  if (options.threads > 0) {
    at::set_num_threads(options.threads);
  }
  ComputeSetup setup;
  setup.dtype = options.dtype == "float32" ? c10::ScalarType::Float : c10::ScalarType::Double;
  const bool cuda_visible = at::hasCUDA();
  if (options.device == "cuda") {
    if (!cuda_visible) {
      throw UsageError("--device: cuda requested but LibTorch sees no CUDA device; allowed here: cpu, auto");
    }
    setup.device = c10::Device(c10::kCUDA, 0);
  } else if (options.device == "auto" && cuda_visible) {
    setup.device = c10::Device(c10::kCUDA, 0);
  }
  return setup;
}

std::string dtype_name(c10::ScalarType dtype) { return dtype == c10::ScalarType::Float ? "float32" : "float64"; }

namespace {

std::pair<std::string, std::string> split_param(const std::string& entry) {
  const size_t equals = entry.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
    throw UsageError("--param: expected key=value, got '" + entry + "'");
  }
  return {entry.substr(0, equals), entry.substr(equals + 1)};
}

// Parses a whole string as a double; false if anything is left over.
bool parse_double(const std::string& text, double& value) {
  if (text.empty()) {
    return false;
  }
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// "a", "bi", "a+bi", "a-bi" (b may be omitted: "i", "1-i").
bool parse_complex(const std::string& text, std::complex<double>& value) {
  double re = 0.0;
  if (parse_double(text, re)) {
    value = {re, 0.0};
    return true;
  }
  if (text.empty() || text.back() != 'i') {
    return false;
  }
  const std::string body = text.substr(0, text.size() - 1);
  // The imaginary part starts at the last sign that is not the first character nor an exponent's sign.
  size_t split = std::string::npos;
  for (size_t k = body.size(); k-- > 1;) {
    if ((body[k] == '+' || body[k] == '-') && body[k - 1] != 'e' && body[k - 1] != 'E') {
      split = k;
      break;
    }
  }
  const std::string re_text = split == std::string::npos ? "" : body.substr(0, split);
  std::string im_text = split == std::string::npos ? body : body.substr(split);
  if (im_text.empty() || im_text == "+" || im_text == "-") {
    im_text += "1";
  }
  double im = 0.0;
  if (!parse_double(im_text, im) || (!re_text.empty() && !parse_double(re_text, re))) {
    return false;
  }
  value = {re, im};
  return true;
}

}  // namespace

std::map<std::string, double> parse_real_params(const std::vector<std::string>& entries) {
  std::map<std::string, double> params;
  for (const std::string& entry : entries) {
    const auto [key, text] = split_param(entry);
    double value = 0.0;
    if (!parse_double(text, value)) {
      throw UsageError("--param: '" + entry + "' needs a real number after '='");
    }
    if (!params.emplace(key, value).second) {
      throw UsageError("--param: '" + key + "' given twice");
    }
  }
  return params;
}

void merge_dim_option(int64_t dim, std::map<std::string, double>& params) {
  if (dim <= 0) {
    return;
  }
  const auto given = params.find("dim");
  if (given != params.end() && given->second != static_cast<double>(dim)) {
    std::ostringstream message;
    message << "--dim: " << dim << " contradicts --param dim=" << given->second;
    throw UsageError(message.str());
  }
  params["dim"] = static_cast<double>(dim);
}

std::map<std::string, std::complex<double>> parse_complex_params(const std::vector<std::string>& entries) {
  std::map<std::string, std::complex<double>> params;
  for (const std::string& entry : entries) {
    const auto [key, text] = split_param(entry);
    std::complex<double> value;
    if (!parse_complex(text, value)) {
      throw UsageError("--param: '" + entry + "' needs a real or complex number after '=' (e.g. 0.5, 1+2i)");
    }
    if (!params.emplace(key, value).second) {
      throw UsageError("--param: '" + key + "' given twice");
    }
  }
  return params;
}

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (!path.empty()) {
    file_.emplace(blame_option("--output", [&] { return Hdf5File::create(path); }));
  }
}

OutputFile::~OutputFile() {
  if (file_) {
    file_.reset();
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

void OutputFile::commit() { file_.reset(); }

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string quote_command_line(int argc, char** argv) {
  std::string out;
  for (int k = 0; k < argc; ++k) {
    const std::string arg = argv[k];
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_=+./:,@%") == std::string::npos;
    std::string quoted = "'";
    for (char c : arg) {
      quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    out += (k == 0 ? "" : " ") + (plain ? arg : quoted + "'");
  }
  return out;
}

std::string config_text(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::ostringstream out;
  for (const auto& [key, value] : entries) {
    out << key << ": " << value << '\n';
  }
  return out.str();
}

}  // namespace nmflow::cli

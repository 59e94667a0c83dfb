// nmflow bench: a short in-process suite that shows, on the user's machine, what nmflow's fast paths gain over the
// baselines they replace (docs/design.md §7): x → curvature by forward jets + the fused kernel vs nested autograd + the
// einsum reference, the forward metric 2-jet vs the autograd jet, quintic sampling rate, and the NTK methods. Each
// row is timed in this process on the CPU with the library's own functions; ratios are baseline time / row time.
// The full suite (every size, variant and counter) is Google Benchmark's bench/nmflow_bench (docs/BENCHMARKS.md).
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "common/version.h"
#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/benchmark_metric.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"

namespace nmflow::cli {
namespace {

struct BenchOptions {
  bool quick = false;
  std::string json;
  int threads = 0;
};

struct Row {
  std::string group;
  std::string name;
  double seconds = 0.0;   // per call
  double baseline = 0.0;  // seconds per call of the group's baseline row (0: no baseline)
  double points = 0.0;    // points per call (for points/s)
};

// Seconds per call of `body`: the fastest of repeated calls, repeated until `budget` seconds have passed. The
// first call (one-time allocations, thread-pool start) counts only when it is the only one, i.e. for calls longer
// than the budget. The minimum is the least disturbed by other load on the machine.
double time_call(const std::function<void()>& body, double budget) {
  const auto timed = [&] {
    const auto start = std::chrono::steady_clock::now();
    body();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const double first = timed();
  if (first >= budget) return first;
  double best = timed();
  for (double spent = first + best; spent < budget;) {
    const double seconds = timed();
    best = std::min(best, seconds);
    spent += seconds;
  }
  return best;
}

at::Tensor bench_points(int64_t batch, int64_t n) {
  at::manual_seed(0);
  return 0.5 * at::randn({batch, n}, at::kDouble);
}

void add_curvature_rows(std::vector<Row>& rows, bool quick, double budget) {
  const int64_t batch = quick ? 256 : 1024;
  constexpr int64_t kDim = 3;
  const NeuralMetric model = benchmark_metric(kDim);
  const at::Tensor x = bench_points(batch, kDim);
  const auto metric = [&](const at::Tensor& y) { return model.metric(y); };
  const std::string group = fmt::format("x -> Ricci, R of a 3x64 tanh metric, n = {}, B = {}", kDim, batch);
  const double nested = time_call([&] { curvature_reference(jet_by_autograd(metric, x)); }, budget);
  const double fused = time_call(
      [&] {
        const at::NoGradGuard no_grad;
        fused_curvature(model.jet(x));
      },
      budget);
  rows.push_back(
      {group, "nested autograd jet + einsum reference (baseline)", nested, nested, static_cast<double>(batch)});
  rows.push_back({group, "forward Taylor jet + fused kernel", fused, nested, static_cast<double>(batch)});

  const MetricJet jet = jet_by_autograd(metric, x);
  const std::string jet_group = fmt::format("curvature of a given 2-jet, n = {}, B = {}", kDim, batch);
  const double reference = time_call([&] { curvature_reference(jet); }, budget);
  const double kernel = time_call([&] { fused_curvature(jet); }, budget);
  rows.push_back({jet_group, "einsum reference (baseline)", reference, reference, static_cast<double>(batch)});
  rows.push_back({jet_group, "fused kernel", kernel, reference, static_cast<double>(batch)});
}

void add_jet_rows(std::vector<Row>& rows, bool quick, double budget) {
  const int64_t batch = quick ? 256 : 1024;
  constexpr int64_t kDim = 3;
  const NeuralMetric model = benchmark_metric(kDim);
  const at::Tensor x = bench_points(batch, kDim);
  const std::string group = fmt::format("metric 2-jet (g, dg, d2g) of a 3x64 tanh metric, n = {}, B = {}", kDim, batch);
  const double autograd = time_call([&] { jet_by_autograd([&](const at::Tensor& y) { return model.metric(y); }, x); },
                                    budget);
  const double forward = time_call(
      [&] {
        const at::NoGradGuard no_grad;
        model.jet(x);
      },
      budget);
  rows.push_back({group, "nested autograd (baseline)", autograd, autograd, static_cast<double>(batch)});
  rows.push_back({group, "forward Taylor jet", forward, autograd, static_cast<double>(batch)});
}

void add_sampler_rows(std::vector<Row>& rows, bool quick, double budget) {
  LineSamplerOptions options;
  options.n_points = quick ? 2000 : 50000;
  options.seed = 1;
  const Hypersurface quintic = fermat_quintic();
  const double seconds = time_call([&] { sample_cy_points(quintic, options); }, budget);
  rows.push_back({fmt::format("Fermat quintic, {} points with weights (line intersection)", options.n_points),
                  "sample_cy_points", seconds, 0.0, static_cast<double>(options.n_points)});
}

// ntk_vector_products builds Θ one column at a time (B·p double-backward passes, each over all B points): minutes
// at B = 256, so the full suite times it at kVectorProductsBatch points only.
constexpr int64_t kVectorProductsBatch = 64;

void add_ntk_rows(std::vector<Row>& rows, bool quick, double budget) {
  constexpr int64_t kDim = 3;
  const NeuralMetric model = benchmark_metric(kDim, {64, 64});
  for (const int64_t batch : quick ? std::vector<int64_t>{8} : std::vector<int64_t>{kVectorProductsBatch, 256}) {
    const at::Tensor x = bench_points(batch, kDim);
    const std::string group = fmt::format("metric-NTK Theta(x, x) of a 2x64 tanh metric, n = {}, B = {} ([{}, {}])",
                                          kDim, batch, batch * 6, batch * 6);
    double baseline = 0.0;
    for (NtkMethod method : all_ntk_methods()) {
      if (method == NtkMethod::NtkVectorProducts && batch > kVectorProductsBatch) continue;
      const bool first = baseline == 0.0;  // the Jacobian contraction, the reference
      const double seconds = time_call([&] { empirical_metric_ntk(model, x, x, method); }, budget);
      if (first) baseline = seconds;
      rows.push_back({group, ntk_method_name(method) + (first ? " (baseline)" : ""), seconds, baseline,
                      static_cast<double>(batch)});
    }
  }
}

std::string format_time(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.1f} us", seconds * 1e6);
  if (seconds < 1.0) return fmt::format("{:.2f} ms", seconds * 1e3);
  return fmt::format("{:.3f} s", seconds);
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void write_json(const std::string& path, const BenchOptions& o, const std::vector<Row>& rows, double load) {
  std::ofstream out(path);
  if (!out) throw UsageError("--json: cannot write '" + path + "'");
  out << fmt::format("{{\n  \"nmflow_version\": \"{}\",\n  \"git_hash\": \"{}\",\n  \"device\": \"cpu\",\n"
                     "  \"threads\": {},\n  \"load_average_1min\": {:.2f},\n  \"quick\": {},\n  \"results\": [\n",
                     version(), git_hash(), at::get_num_threads(), load, o.quick ? "true" : "false");
  for (size_t k = 0; k < rows.size(); ++k) {
    const Row& r = rows[k];
    out << fmt::format("    {{\"group\": \"{}\", \"case\": \"{}\", \"seconds\": {:.6e}, \"points_per_second\": {:.6e}",
                       json_escape(r.group), json_escape(r.name), r.seconds, r.points / r.seconds);
    if (r.baseline > 0) out << fmt::format(", \"speedup\": {:.4f}", r.baseline / r.seconds);
    out << (k + 1 < rows.size() ? "},\n" : "}\n");
  }
  out << "  ]\n}\n";
}

void run_bench(const BenchOptions& o) {
  if (o.threads > 0) at::set_num_threads(o.threads);
  double load = 0.0;
  getloadavg(&load, 1);
  const double budget = o.quick ? 0.05 : 1.0;
  fmt::print("nmflow bench{}: CPU, float64, {} LibTorch threads, load average {:.2f}{}\n", o.quick ? " --quick" : "",
             at::get_num_threads(), load,
             at::hasCUDA() ? " (a CUDA device is visible; this suite runs on the CPU)" : "");
  fmt::print("speed-up = baseline time / time; each time is the fastest of repeated calls\n");
  std::fflush(stdout);
  std::vector<Row> rows;
  const std::vector<std::function<void()>> sections{
      [&] { add_curvature_rows(rows, o.quick, budget); }, [&] { add_jet_rows(rows, o.quick, budget); },
      [&] { add_sampler_rows(rows, o.quick, budget); }, [&] { add_ntk_rows(rows, o.quick, budget); }};
  size_t printed = 0;
  std::string group;
  for (const auto& section : sections) {
    section();
    for (; printed < rows.size(); ++printed) {
      const Row& r = rows[printed];
      if (r.group != group) {
        group = r.group;
        fmt::print("\n{}\n", group);
      }
      const std::string ratio = r.baseline > 0 ? fmt::format("{:.2f}x", r.baseline / r.seconds) : "";
      fmt::print("  {:<52} {:>11} {:>14.4g} points/s {:>9}\n", r.name, format_time(r.seconds), r.points / r.seconds,
                 ratio);
    }
    std::fflush(stdout);
  }
  if (!o.json.empty()) {
    write_json(o.json, o, rows, load);
    fmt::print("\nwrote {}\n", o.json);
  }
  fmt::print("\nThe full Google Benchmark suite (all sizes and variants): <build>/bench/nmflow_bench "
             "(docs/BENCHMARKS.md)\n");
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand("bench", "Time nmflow's fast paths against their baselines on this machine");
  command->add_flag("--quick", options->quick, "Small sizes and short timing loops (a few seconds)");
  command->add_option("--json", options->json, "Also write the results as JSON to this file");
  command->add_option("--threads", options->threads, "LibTorch CPU threads (default: LibTorch's choice)")
      ->check(CLI::Range(1, 4096));
  command->callback([options] { run_bench(*options); });
}

}  // namespace nmflow::cli

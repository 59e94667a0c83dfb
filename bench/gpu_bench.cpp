// nmflow_gpu_bench: the benchmark cases on a CUDA device, each against this machine's CPU (all its threads) in the
// same binary, with the achieved FP64 FLOP/s and memory bytes/s of the fused kernels against the device's nominal
// peaks (docs/BENCHMARKS.md, "GPU"). Run by scripts/gpu-check; on a machine without a usable device it prints why and
// exits 0. A benchmark driver, not a test: it never asserts.
//   nmflow_gpu_bench [--out FILE.json] [--quick] [--cpu-dry-run]
// --cpu-dry-run runs every case with the CPU in the GPU's place (no peaks): a check of this driver on a machine
// without a GPU before device time is spent on it.
// Flop counts are exact: curvature_math.h's per-point functions instantiated on a counting number type.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "geometry/curvature/curvature_math.h"
#include "geometry/curvature/fused_curvature.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/benchmark_metric.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"

#ifdef NMFLOW_WITH_CUDA
#include "device_info.h"
#endif

namespace {

// A double that counts the arithmetic done with it (+, −, ×, ÷ and their compound forms: one flop each).
struct Counted {
  double v = 0.0;
  static inline int64_t flops = 0;
  Counted() = default;
  Counted(double x) : v(x) {}  // NOLINT(runtime/explicit): T s = 0 in the templates
  Counted& operator+=(Counted b) { return ++flops, v += b.v, *this; }
  Counted& operator-=(Counted b) { return ++flops, v -= b.v, *this; }
  Counted& operator*=(Counted b) { return ++flops, v *= b.v, *this; }
};
Counted operator+(Counted a, Counted b) { return ++Counted::flops, Counted(a.v + b.v); }
Counted operator-(Counted a, Counted b) { return ++Counted::flops, Counted(a.v - b.v); }
Counted operator*(Counted a, Counted b) { return ++Counted::flops, Counted(a.v * b.v); }
Counted operator/(Counted a, Counted b) { return ++Counted::flops, Counted(a.v / b.v); }

// Flops of one point's curvature forward (and of forward + VJP) at dimension N, on the identity metric's jet.
template <int N>
std::pair<int64_t, int64_t> curvature_flops() {
  std::vector<Counted> g(N * N, 0.0), dg(N * N * N, 0.0), d2g(N * N * N * N, 0.0), ricci(N * N), v_ricci(N * N, 1.0);
  std::vector<Counted> v_g(N * N), v_dg(N * N * N), v_d2g(N * N * N * N);
  for (int i = 0; i < N; ++i) g[i * N + i] = 1.0;
  Counted scalar, norm;
  Counted::flops = 0;
  nmflow::curvature_math::curvature_point<Counted, N>(g.data(), dg.data(), d2g.data(), ricci.data(), &scalar, &norm);
  const int64_t forward = Counted::flops;
  Counted::flops = 0;
  nmflow::curvature_math::curvature_point_vjp<Counted, N>(g.data(), dg.data(), d2g.data(), ricci.data(), v_ricci.data(),
                                                          Counted(1.0), Counted(1.0), v_g.data(), v_dg.data(),
                                                          v_d2g.data());
  return {forward, forward + Counted::flops};
}

std::pair<int64_t, int64_t> curvature_flops(int64_t n) { return n == 3 ? curvature_flops<3>() : curvature_flops<6>(); }

// Waits for the device: a host copy of one element queues behind every kernel launched on the stream.
void synchronize(const at::Device& device) {
  if (device.is_cuda()) at::zeros({1}, at::TensorOptions().device(device)).item<double>();
}

// Seconds per call: one warm-up call, then `reps` calls between two synchronisations.
template <typename F>
double seconds_per_call(const at::Device& device, int reps, F f) {
  f();
  synchronize(device);
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) f();
  synchronize(device);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
}

// A random metric 2-jet with the symmetries of one (g SPD), on `device`.
nmflow::MetricJet random_jet(int64_t batch, int64_t n, const at::Device& device) {
  const at::TensorOptions options = at::TensorOptions().dtype(at::kDouble).device(device);
  const at::Tensor a = at::randn({batch, n, n}, options);
  const at::Tensor dg = at::randn({batch, n, n, n}, options);
  const at::Tensor d2g = at::randn({batch, n, n, n, n}, options);
  const at::Tensor d2g_cd = 0.5 * (d2g + d2g.transpose(1, 2));
  return {at::matmul(a, a.transpose(1, 2)) + static_cast<double>(n) * at::eye(n, options),
          0.5 * (dg + dg.transpose(2, 3)), 0.5 * (d2g_cd + d2g_cd.transpose(3, 4))};
}

struct Row {
  std::string name;
  int64_t gpu_points = 0, cpu_points = 0;
  double gpu_seconds = 0.0, cpu_seconds = 0.0;
  double flops = 0.0, bytes = 0.0;  // of the GPU call; 0 when not counted
};

void print_and_write(const std::vector<Row>& rows, double peak_flops, double peak_bytes, const std::string& out) {
  std::printf(
      "\n| case | GPU points | GPU time | GPU points/s | CPU points/s (%d threads) | GPU/CPU "
      "| FP64 GFLOP/s (%% of peak) | GB/s (%% of peak) |\n|---|---|---|---|---|---|---|---|\n",
      at::get_num_threads());
  std::string json = "{\"rows\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const double gpu_rate = r.gpu_points / r.gpu_seconds, cpu_rate = r.cpu_points / r.cpu_seconds;
    const double gflops = r.flops / r.gpu_seconds / 1e9, gbytes = r.bytes / r.gpu_seconds / 1e9;
    char flops_text[64] = "—", bytes_text[64] = "—";
    if (r.flops > 0) {
      std::snprintf(flops_text, sizeof flops_text, peak_flops > 0 ? "%.1f (%.1f %%)" : "%.1f", gflops,
                    100 * gflops * 1e9 / peak_flops);
    }
    if (r.bytes > 0) {
      std::snprintf(bytes_text, sizeof bytes_text, peak_bytes > 0 ? "%.0f (%.1f %%)" : "%.0f", gbytes,
                    100 * gbytes * 1e9 / peak_bytes);
    }
    std::printf("| %s | %lld | %.3g ms | %.3g | %.3g | %.1f× | %s | %s |\n", r.name.c_str(),
                static_cast<long long>(r.gpu_points), 1e3 * r.gpu_seconds, gpu_rate, cpu_rate, gpu_rate / cpu_rate,
                flops_text, bytes_text);
    char item[512];
    std::snprintf(item, sizeof item,
                  "%s{\"case\": \"%s\", \"gpu_points\": %lld, \"gpu_seconds\": %.6g, \"cpu_points\": %lld, "
                  "\"cpu_seconds\": %.6g, \"flops\": %.6g, \"bytes\": %.6g}",
                  i ? ", " : "", r.name.c_str(), static_cast<long long>(r.gpu_points), r.gpu_seconds,
                  static_cast<long long>(r.cpu_points), r.cpu_seconds, r.flops, r.bytes);
    json += item;
  }
  char tail[256];
  std::snprintf(tail, sizeof tail,
                "], \"peak_fp64_flops\": %.6g, \"peak_bytes_per_second\": %.6g, \"cpu_threads\": %d}\n", peak_flops,
                peak_bytes, at::get_num_threads());
  json += tail;
  if (!out.empty()) std::ofstream(out) << json;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  bool quick = false, dry_run = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (arg == "--quick") {
      quick = true;
    } else if (arg == "--cpu-dry-run") {
      dry_run = true;
    } else {
      std::fprintf(stderr, "usage: nmflow_gpu_bench [--out FILE.json] [--quick] [--cpu-dry-run]\n");
      return 2;
    }
  }
  double peak_flops = 0.0, peak_bytes = 0.0;
  if (!dry_run) {
#ifndef NMFLOW_WITH_CUDA
    std::printf("skipped: nmflow was built without CUDA kernels\n");
    return 0;
#else
    if (nmflow::cuda::device_count() == 0) {
      std::printf("skipped: no CUDA device (the CUDA runtime reports no usable device)\n");
      return 0;
    }
    const nmflow::cuda::DevicePeaks peaks = nmflow::cuda::device_peaks(0);
    peak_flops = peaks.fp64_flops;
    peak_bytes = peaks.memory_bytes_per_second;
    std::printf("device: %s\npeaks: %.1f TFLOP/s FP64, %.0f GB/s (%s)\n", nmflow::cuda::device_description(0).c_str(),
                peak_flops / 1e12, peak_bytes / 1e9, peaks.basis.c_str());
#endif
  } else {
    std::printf("dry run: the CPU in the GPU's place, no peaks\n");
  }
  try {
    const at::Device cpu(at::kCPU);
    const at::Device gpu = dry_run ? cpu : at::Device(at::kCUDA, 0);
    const int64_t scale = quick ? 8 : 1;
    const int reps = quick ? 3 : 10;
    std::vector<Row> rows;
    for (const int64_t n : {3, 6}) {
      const auto [forward_flops, total_flops] = curvature_flops(n);
      const int64_t points = (n == 3 ? 262144 : 65536) / scale, cpu_points = points / 16;
      const double bytes_per_point = 8.0 * static_cast<double>(n * n + n * n * n + n * n * n * n + n * n + 2);
      const nmflow::MetricJet jet = random_jet(points, n, gpu), cpu_jet = random_jet(cpu_points, n, cpu);
      const at::NoGradGuard no_grad;
      Row forward{"fused curvature n=" + std::to_string(n), points, cpu_points};
      forward.gpu_seconds = seconds_per_call(gpu, reps, [&] { nmflow::fused_curvature(jet); });
      forward.cpu_seconds = seconds_per_call(cpu, reps, [&] { nmflow::fused_curvature(cpu_jet); });
      forward.flops = static_cast<double>(forward_flops) * points;
      forward.bytes = bytes_per_point * points;
      rows.push_back(forward);
      std::printf("%s: %lld flops/point forward, %lld forward + backward\n", forward.name.c_str(),
                  static_cast<long long>(forward_flops), static_cast<long long>(total_flops));
      // Forward and the backward of Σ(|Ric|² + R), as a Ricci-norm loss runs it.
      const auto with_grad = [](const nmflow::MetricJet& j) {
        return nmflow::MetricJet{j.g.detach().requires_grad_(true), j.dg.detach().requires_grad_(true),
                                 j.d2g.detach().requires_grad_(true)};
      };
      const nmflow::MetricJet leaves = with_grad(jet), cpu_leaves = with_grad(cpu_jet);
      const auto step = [](const nmflow::MetricJet& j) {
        const at::AutoGradMode grad(true);
        const nmflow::FusedCurvature c = nmflow::fused_curvature(j);
        (c.ricci_norm_squared.sum() + c.scalar.sum()).backward();
        for (const at::Tensor& t : {j.g, j.dg, j.d2g}) t.mutable_grad().reset();
      };
      Row backward{"fused curvature + backward n=" + std::to_string(n), points, cpu_points};
      backward.gpu_seconds = seconds_per_call(gpu, reps, [&] { step(leaves); });
      backward.cpu_seconds = seconds_per_call(cpu, reps, [&] { step(cpu_leaves); });
      backward.flops = static_cast<double>(total_flops) * points;
      rows.push_back(backward);
    }
    {
      // Metric 2-jet of a 3×64 tanh MLP, n = 3 (forward Taylor jets: GEMMs and the activation-jet kernel).
      nmflow::NeuralMetric gpu_metric = nmflow::benchmark_metric(3);
      gpu_metric.trunk().to(gpu);
      const nmflow::NeuralMetric cpu_metric = nmflow::benchmark_metric(3);
      const int64_t points = 65536 / scale, cpu_points = points / 16;
      const at::Tensor x = at::randn({points, 3}, at::TensorOptions().dtype(at::kDouble).device(gpu));
      const at::Tensor x_cpu = at::randn({cpu_points, 3}, at::kDouble);
      const at::NoGradGuard no_grad;
      Row jet{"metric 2-jet n=3 (3x64 tanh)", points, cpu_points};
      jet.gpu_seconds = seconds_per_call(gpu, reps, [&] { gpu_metric.jet(x); });
      jet.cpu_seconds = seconds_per_call(cpu, reps, [&] { cpu_metric.jet(x_cpu); });
      rows.push_back(jet);
      // Empirical metric-NTK, fused contraction (layer by layer, not a dense J Jᵀ: no flop count); its bytes are
      // the [B·p, B·p] Θ it writes, a lower bound on its memory traffic.
      const int64_t ntk_points = quick ? 256 : 1024;
      const at::Tensor xn = x.narrow(0, 0, ntk_points), xn_cpu = at::randn({ntk_points, 3}, at::kDouble);
      Row ntk{"empirical NTK, fused (" + std::to_string(ntk_points) + " pts, p = 6; bytes: Θ written)", ntk_points,
              ntk_points};
      ntk.gpu_seconds =
          seconds_per_call(gpu, 2, [&] { nmflow::empirical_metric_ntk(gpu_metric, xn, xn, nmflow::NtkMethod::Fused); });
      ntk.cpu_seconds = seconds_per_call(
          cpu, 1, [&] { nmflow::empirical_metric_ntk(cpu_metric, xn_cpu, xn_cpu, nmflow::NtkMethod::Fused); });
      const double bp = static_cast<double>(ntk_points * 6);
      ntk.bytes = 8.0 * bp * bp;
      rows.push_back(ntk);
    }
    {
      // Quintic points with weights: lines and roots, patches, pullbacks, g_FS, weights.
      nmflow::LineSamplerOptions options;
      options.n_points = 1000000 / scale;
      options.device = gpu;
      nmflow::LineSamplerOptions cpu_options = options;
      cpu_options.device = cpu;
      cpu_options.n_points = options.n_points / 10;
      const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
      Row sampling{"quintic points with weights", options.n_points, cpu_options.n_points};
      sampling.gpu_seconds = seconds_per_call(gpu, 2, [&] { nmflow::sample_cy_points(quintic, options); });
      sampling.cpu_seconds = seconds_per_call(cpu, 2, [&] { nmflow::sample_cy_points(quintic, cpu_options); });
      rows.push_back(sampling);
    }
    print_and_write(rows, peak_flops, peak_bytes, out);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nmflow_gpu_bench: %s\n", error.what());
    return 1;
  }
  return 0;
}

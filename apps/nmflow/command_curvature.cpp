// nmflow curvature: samples a reference metric's manifold, takes the metric's exact 2-jet at every point and its
// Ricci and scalar curvature, prints a summary (R range, Einstein deviation) and writes HDF5 (docs/hdf5.md).
#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cstdint>
#include <memory>

#include "commands.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace nmflow::cli {
namespace {

// fused_curvature handles these dimensions; others use the LibTorch reference.
constexpr int64_t kFusedMinDim = 2;
constexpr int64_t kFusedMaxDim = 6;

struct CurvatureOptions {
  std::string metric;
  int64_t dim = 0;  // 0: not given
  int64_t points = 4096;
  uint64_t seed = 0;
  std::vector<std::string> params;
  std::string output;
  ComputeOptions compute;
};

struct Curvature {
  at::Tensor ricci;               // [B, n, n]
  at::Tensor scalar;              // [B]
  at::Tensor ricci_norm_squared;  // [B]
  std::string engine;
};

Curvature curvature_of(const MetricJet& jet) {
  if (jet.dim() >= kFusedMinDim && jet.dim() <= kFusedMaxDim) {
    FusedCurvature c = fused_curvature(jet);
    return {c.ricci, c.scalar, c.ricci_norm_squared, "fused"};
  }
  const CurvatureReference c = curvature_reference(jet);
  return {c.ricci, c.scalar, ricci_norm_squared(c), "reference"};
}

// The sampler's parameters, taken from the metric's (the sampler's chart is the metric's chart).
std::map<std::string, double> sampler_params(const std::string& sampler, const ReferenceMetric& metric,
                                             const std::map<std::string, double>& metric_params) {
  auto value_or = [&](const char* key, double fallback) {
    const auto it = metric_params.find(key);
    return it == metric_params.end() ? fallback : it->second;
  };
  if (sampler == "torus" || sampler == "sphere" || sampler == "hyperbolic_box") {
    return {{"dim", static_cast<double>(metric.dim())}};
  }
  if (sampler == "sphere_torus") {
    return {{"sphere_dim", value_or("sphere_dim", 2.0)}, {"torus_dim", value_or("torus_dim", 1.0)}};
  }
  if (sampler == "king_rosenau") {
    return {{"t", value_or("t", -1.0)}};
  }
  return {};
}

void run_curvature(const CurvatureOptions& o, const Invocation& invocation) {
  const std::vector<std::string> names = reference_metric_names();
  if (!contains(names, o.metric)) {
    throw UsageError("--metric: unknown metric '" + o.metric + "'; allowed: " + join(names, ", "));
  }
  std::map<std::string, double> params = parse_real_params(o.params);
  merge_dim_option(o.dim, params);
  const ComputeSetup setup = apply_compute_options(o.compute);
  OutputFile output(o.output);
  const std::unique_ptr<ReferenceMetric> metric =
      blame_option("--metric " + o.metric + " (--dim, --param)", [&] { return make_reference_metric(o.metric, params); });
  const std::string sampler_name = blame_option("--metric", [&] { return sampler_name_for_metric(o.metric); });
  const std::unique_ptr<Sampler> sampler = make_sampler(sampler_name, sampler_params(sampler_name, *metric, params));

  const PointSet points = sampler->sample(o.points, o.seed);
  const at::Tensor x = points.x.to(setup.device);
  MetricJet jet = metric->jet(x);  // exact, float64
  jet = MetricJet{jet.g.to(setup.dtype), jet.dg.to(setup.dtype), jet.d2g.to(setup.dtype)};
  const Curvature curvature = curvature_of(jet);

  // Summary in float64 on the CPU. λ = mean(R)/n makes Ric − λg traceless on average; its pointwise norm
  // |Ric − λg|_g = √(g^ac g^bd T_ab T_cd) is chart-independent and vanishes iff the metric is Einstein.
  const int64_t n = metric->dim();
  const at::Tensor g = jet.g.to(at::kCPU, at::kDouble);
  const at::Tensor ricci = curvature.ricci.to(at::kCPU, at::kDouble);
  const at::Tensor scalar = curvature.scalar.to(at::kCPU, at::kDouble);
  const at::Tensor weights = points.weights;
  const double lambda = scalar.mean().item<double>() / static_cast<double>(n);
  const at::Tensor deviation = ricci - lambda * g;
  const at::Tensor g_inv = at::linalg_inv(g);
  const at::Tensor mixed = at::matmul(g_inv, deviation);  // g^ac T_cb
  const at::Tensor deviation_norm = at::matmul(mixed, mixed).diagonal(0, -2, -1).sum(-1).clamp_min(0.0).sqrt();
  const at::Tensor volume_density = weights * at::linalg_det(g).sqrt();  // w √det g
  const double volume = volume_density.mean().item<double>();
  const double mean_r_volume = (volume_density * scalar).mean().item<double>() / volume;

  fmt::print("curvature of {} (n = {}) at {} points sampled on {} [{} curvature, {}, {}]\n", metric->name(), n,
             scalar.numel(), sampler->name(), curvature.engine, setup.device.str(), dtype_name(setup.dtype));
  fmt::print("  scalar curvature R: min {:.10f}  mean {:.10f}  max {:.10f}\n", scalar.min().item<double>(),
             scalar.mean().item<double>(), scalar.max().item<double>());
  fmt::print("  volume ≈ mean(w √det g) = {:.6f}; volume-weighted mean of R = {:.10f}\n", volume, mean_r_volume);
  fmt::print("  Einstein deviation max |Ric − λg|_g = {:.6e}  (λ = mean(R)/n = {:.10f})\n",
             deviation_norm.max().item<double>(), lambda);
  if (output.get() == nullptr) {
    return;
  }
  Hdf5File& file = *output.get();
  file.write_tensor("x", points.x.to(setup.dtype));
  file.write_tensor("weights", points.weights.to(setup.dtype));
  file.write_tensor("chart", points.chart);
  file.write_tensor("g", jet.g);
  file.write_tensor("ricci", curvature.ricci);
  file.write_tensor("scalar", curvature.scalar);
  file.write_tensor("ricci_norm_squared", curvature.ricci_norm_squared);
  file.write_tensor("einstein_deviation", deviation_norm.to(setup.dtype));
  file.write_string_attribute("/", "kind", "curvature");
  file.write_string_attribute("/", "metric", metric->name());
  file.write_int_attribute("/", "dim", n);
  file.write_string_attribute("/", "sampler", sampler->name());
  file.write_string_attribute("/", "measure", points.measure);
  file.write_string_attribute("/", "curvature_engine", curvature.engine);
  file.write_double_attribute("/", "einstein_lambda", lambda);
  file.write_double_attribute("/", "einstein_deviation_max", deviation_norm.max().item<double>());
  file.write_double_attribute("/", "volume", volume);
  std::vector<std::string> param_items;
  for (const auto& [key, value] : params) {
    param_items.push_back(fmt::format("{}: {}", key, value));
  }
  const std::string config = config_text({{"command", "curvature"},
                                          {"metric", o.metric},
                                          {"params", "{" + join(param_items, ", ") + "}"},
                                          {"points", std::to_string(o.points)},
                                          {"seed", std::to_string(o.seed)},
                                          {"device", setup.device.str()},
                                          {"dtype", dtype_name(setup.dtype)},
                                          {"output", o.output}});
  write_provenance(file, {config, static_cast<int64_t>(o.seed), setup.device.str(), invocation.command_line,
                          invocation.start_time});
  output.commit();
  fmt::print("wrote {}\n", o.output);
}

}  // namespace

void add_curvature_command(CLI::App& app, const Invocation& invocation) {
  auto options = std::make_shared<CurvatureOptions>();
  CLI::App* command = app.add_subcommand(
      "curvature", "Ricci and scalar curvature of a closed-form reference metric at sampled points");
  command->add_option("--metric", options->metric, "Reference metric: " + join(reference_metric_names(), ", "))
      ->required();
  command->add_option("--dim", options->dim, "Dimension n (same as --param dim=n)")->check(CLI::Range(1, 64));
  command->add_option("--param", options->params, "Metric parameter key=value (repeatable), e.g. A=1 B=0.5");
  command->add_option("--points", options->points, "Number of sample points")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}))
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "Output HDF5 file (none: print the summary only)");
  add_compute_options(*command, options->compute);
  command->callback([options, &invocation] { run_curvature(*options, invocation); });
}

}  // namespace nmflow::cli

// nmflow ntk: the empirical metric-NTK Θ(x, x) of a real_metric_flow configuration's network at initialisation
// (docs/design.md §5, ntk/empirical_ntk.h), on the experiment's probe points, by one or every NTK method: each method
// timed, the methods compared (they compute the same matrix), the top eigenvalues, the non-local mass and, with
// --frozen, the gap to the analytic infinite-width kernel (ntk/frozen_ntk.h). Table on stdout; HDF5 with -o
// (docs/hdf5.md, "NTK files"). Exit 1 when the methods disagree.
#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "common/error.h"
#include "experiments/experiment_model.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "io/config_yaml.h"
#include "io/provenance.h"
#include "models/symmetric_packing.h"
#include "ntk/empirical_ntk.h"
#include "ntk/frozen_ntk.h"
#include "ntk/ntk_diagnostics.h"

namespace nmflow::cli {
namespace {

struct NtkOptions {
  std::string file;
  std::vector<std::string> sets;
  std::string method = "all";
  int64_t points = 0;  // 0: the configuration's points.probe
  int64_t eigenvalues = 10;
  bool frozen = false;
  std::string output;
};

// The methods are different factorisations of one matrix, so they agree to rounding (float64) or to float32's
// accumulated error.
double agreement_tolerance(c10::ScalarType dtype) { return dtype == at::kFloat ? 1e-4 : 1e-9; }

std::vector<NtkMethod> selected_methods(const std::string& name) {
  if (name == "all") return all_ntk_methods();
  try {
    return {parse_ntk_method(name)};
  } catch (const Error& e) {
    throw UsageError(std::string("--method: ") + e.what() + ", all");
  }
}

// max |a − b| / max |b|: relative to the kernel's scale, so entries near zero do not inflate it.
double max_relative_difference(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

struct MethodResult {
  NtkMethod method;
  at::Tensor theta;  // [B·p, B·p]; undefined when the method does not apply to this model
  double seconds = 0.0;
  double difference = 0.0;  // max_relative_difference to the reference (first applicable) method
  std::string skipped;      // why the method does not apply
};

MethodResult time_method(const NeuralMetric& model, const at::Tensor& x, NtkMethod method) {
  MethodResult r{method, {}, 0.0, 0.0, ""};
  try {
    empirical_metric_ntk(model, x.narrow(0, 0, std::min<int64_t>(2, x.size(0))), x.narrow(0, 0, 1), method);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    r.theta = empirical_metric_ntk(model, x, x, method);
    r.theta.sum().item<double>();  // waits for a CUDA computation to finish before the clock stops
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } catch (const Error& e) {
    r.skipped = e.what();
  }
  return r;
}

std::string model_summary(const ModelConfig& model) {
  std::vector<std::string> widths;
  for (int64_t w : model.hidden) widths.push_back(std::to_string(w));
  return fmt::format("{} head, hidden [{}] {}, {} parameterisation", enum_name(kMetricHeadKindNames, model.head),
                     join(widths, ", "), enum_name(kActivationNames, model.activation),
                     enum_name(kParameterisationNames, model.parameterisation));
}

// The analytic kernel exists for the symmetric head with relu/erf/sin/cos in the NTK parameterisation
// (ntk/frozen_ntk.h); model.init_scale rescales the readout, which the infinite-width recursion does not know.
at::Tensor frozen_kernel(const ModelConfig& config, const NeuralMetric& model, const at::Tensor& x) {
  if (config.init_scale != 1.0) {
    throw UsageError(fmt::format("--frozen: the infinite-width kernel assumes model.init_scale = 1, got {} "
                                 "(add --set model.init_scale=1)",
                                 config.init_scale));
  }
  return blame_option("--frozen", [&] { return frozen_metric_ntk(model, x, x); });
}

void write_file(Hdf5File& file, const ExperimentConfig& c, const LoadedConfig& loaded, const Invocation& invocation,
                const std::string& device, const at::Tensor& x, const at::Tensor& weights,
                const std::vector<MethodResult>& results, const at::Tensor& eigenvalues, double nonlocal,
                const at::Tensor& frozen, double frozen_gap, int64_t parameters) {
  const RealMetricFlowConfig& s = c.sections<RealMetricFlowConfig>();
  const MethodResult& reference = results.front();
  std::vector<std::string> names;
  std::vector<double> seconds, differences;
  for (const MethodResult& r : results) {
    names.push_back(ntk_method_name(r.method));
    seconds.push_back(r.seconds);
    differences.push_back(r.difference);
  }
  file.write_tensor("points/x", x.cpu());
  file.write_tensor("points/weights", weights);
  file.write_tensor("theta", reference.theta.cpu());
  file.write_tensor("eigenvalues", eigenvalues);
  file.write_tensor("methods/seconds", at::tensor(seconds, at::kDouble));
  file.write_tensor("methods/max_relative_difference", at::tensor(differences, at::kDouble));
  file.write_string_attribute("methods", "names", join(names, ","));
  file.write_string_attribute("/", "kind", "ntk");
  file.write_string_attribute("/", "manifold", s.manifold.name);
  file.write_string_attribute("/", "sampler", s.manifold.sampler);
  file.write_string_attribute("/", "head", enum_name(kMetricHeadKindNames, s.model.head));
  file.write_string_attribute("/", "activation", enum_name(kActivationNames, s.model.activation));
  file.write_string_attribute("/", "parameterisation", enum_name(kParameterisationNames, s.model.parameterisation));
  std::vector<std::string> widths;
  for (int64_t w : s.model.hidden) widths.push_back(std::to_string(w));
  file.write_string_attribute("/", "hidden", join(widths, ","));
  file.write_int_attribute("/", "parameters", parameters);
  file.write_int_attribute("/", "points", x.size(0));
  file.write_int_attribute("/", "components", packed_size(x.size(1)));
  file.write_string_attribute("/", "reference_method", ntk_method_name(reference.method));
  file.write_double_attribute("/", "max_relative_difference",
                              *std::max_element(differences.begin(), differences.end()));
  file.write_double_attribute("/", "nonlocal_mass", nonlocal);
  file.write_double_attribute("/", "trace", reference.theta.trace().item<double>());
  if (frozen.defined()) {
    file.write_tensor("frozen/theta", frozen.cpu());
    file.write_double_attribute("/", "frozen_relative_gap", frozen_gap);
  }
  write_provenance(file, {loaded.text, static_cast<int64_t>(c.seed), device, invocation.command_line,
                          invocation.start_time});
}

void run_ntk(const NtkOptions& o, const Invocation& invocation) {
  const std::vector<NtkMethod> methods = selected_methods(o.method);
  const LoadedConfig loaded = load_config_file(o.file, o.sets);
  const ExperimentConfig& c = loaded.config;
  if (c.kind != "real_metric_flow") {
    throw UsageError(fmt::format("{}: kind '{}' has no NTK builder; allowed: real_metric_flow", o.file, c.kind));
  }
  const RealMetricFlowConfig& s = c.sections<RealMetricFlowConfig>();
  ComputeOptions compute;
  compute.device = enum_name(kDeviceChoiceNames, c.device);
  compute.dtype = enum_name(kPrecisionNames, c.dtype);
  compute.threads = static_cast<int>(c.threads);
  const ComputeSetup setup = apply_compute_options(compute);
  OutputFile output(o.output);

  const std::unique_ptr<ReferenceMetric> reference = make_reference_metric(s.manifold.name, s.manifold.params);
  const int64_t n = reference->dim();
  const std::unique_ptr<Sampler> sampler = make_sampler(s.manifold.sampler, s.manifold.sampler_params);
  const PointSet probes = experiment_probe_points(c, *sampler, o.points > 0 ? o.points : s.points.probe);
  const at::Tensor x = probes.x.to(at::TensorOptions().dtype(setup.dtype).device(setup.device));
  const NeuralMetric model = make_experiment_network(c, n, setup.device);
  int64_t parameters = 0;
  for (const at::Tensor& p : model.parameters()) parameters += p.numel();
  const int64_t p = packed_size(n);
  const int64_t size = x.size(0) * p;
  if (o.eigenvalues > size) {
    throw UsageError(fmt::format("--eigenvalues: {} exceeds the kernel's size B·p = {}", o.eigenvalues, size));
  }

  fmt::print("nmflow ntk: {} — {} (n = {}), {}, {} parameters [{}, {}]\n", o.file, s.manifold.name, n,
             model_summary(s.model), parameters, setup.device.str(), dtype_name(setup.dtype));
  fmt::print("metric-NTK Θ(x, x) of the network at initialisation on {} probe points: [{}, {}] (p = {} packed "
             "components per point)\n",
             x.size(0), size, size, p);
  // The analytic kernel first: a model it does not cover fails before the expensive methods run.
  const at::Tensor frozen = o.frozen ? frozen_kernel(s.model, model, x) : at::Tensor();
  std::vector<MethodResult> results;
  for (NtkMethod method : methods) {
    MethodResult r = time_method(model, x, method);
    if (!r.skipped.empty()) {
      if (methods.size() == 1) throw UsageError("--method: " + r.skipped);
      fmt::print("  {:<22} not applicable: {}\n", ntk_method_name(method), r.skipped);
      continue;
    }
    results.push_back(std::move(r));
  }
  if (results.empty()) throw UsageError("--method: no NTK method applies to this model");
  const at::Tensor& theta = results.front().theta;
  const std::string reference_name = ntk_method_name(results.front().method);
  fmt::print("{:<24} {:>10} {:>12} {:>24}\n", "method", "seconds", "speed-up", "max rel. diff vs " + reference_name);
  double worst = 0.0;
  for (MethodResult& r : results) {
    r.difference = max_relative_difference(r.theta, theta);
    worst = std::max(worst, r.difference);
    fmt::print("{:<24} {:>10.4f} {:>11.2f}x {:>24.3e}\n", ntk_method_name(r.method), r.seconds,
               results.front().seconds / r.seconds, r.difference);
  }
  const double tolerance = agreement_tolerance(setup.dtype);
  const bool agree = worst <= tolerance;
  if (results.size() > 1) {
    fmt::print("methods {}: max relative difference {:.3e} (tolerance {:.0e})\n", agree ? "agree" : "DISAGREE", worst,
               tolerance);
  }

  const at::Tensor eigenvalues = ntk_top_eigenvalues(theta, o.eigenvalues).cpu();
  const double nonlocal = ntk_nonlocal_mass(theta, p);
  std::string top;
  for (int64_t k = 0; k < eigenvalues.size(0); ++k) top += fmt::format(" {:.4e}", eigenvalues[k].item<double>());
  fmt::print("top {} eigenvalues:{}\n", eigenvalues.size(0), top);
  fmt::print("trace Θ / (B·p) = {:.6e}; non-local mass (off-diagonal point blocks) = {:.4f}\n",
             theta.trace().item<double>() / static_cast<double>(size), nonlocal);
  double frozen_gap = 0.0;
  if (o.frozen) {
    frozen_gap = ((theta - frozen).norm() / frozen.norm()).item<double>();
    fmt::print("frozen (infinite-width) kernel: relative gap |Θ − Θ∞|_F / |Θ∞|_F = {:.4e}\n", frozen_gap);
  }

  if (Hdf5File* file = output.get()) {
    write_file(*file, c, loaded, invocation, setup.device.str(), x, probes.weights, results, eigenvalues, nonlocal,
               frozen, frozen_gap, parameters);
    output.commit();
    fmt::print("wrote {}\n", o.output);
  }
  if (!agree) {
    throw std::runtime_error(fmt::format("NTK methods disagree: max relative difference {:.3e} > {:.0e}", worst,
                                         tolerance));  // main(): exit code 1
  }
}

}  // namespace

void add_ntk_command(CLI::App& app, const Invocation& invocation) {
  auto options = std::make_shared<NtkOptions>();
  CLI::App* command = app.add_subcommand(
      "ntk", "Empirical metric-NTK of a configuration's network at initialisation: methods, spectrum, locality");
  command->add_option("config", options->file, "Configuration file (YAML, kind real_metric_flow; docs/config.md)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--set", options->sets, "Override a key: key.path=value (YAML value; repeatable)")
      ->allow_extra_args(false);
  std::vector<std::string> method_names;
  for (const NtkMethod method : all_ntk_methods()) {
    method_names.push_back(ntk_method_name(method));
  }
  command->add_option("--method", options->method,
                      "NTK method: " + join(method_names, ", ") + " (ntk/empirical_ntk.h) or all")
      ->capture_default_str();
  command->add_option("--points", options->points, "Probe points (default: the configuration's points.probe)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  command->add_option("--eigenvalues", options->eigenvalues, "How many of the top eigenvalues to report")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  command->add_flag("--frozen", options->frozen,
                    "Also the gap to the infinite-width kernel (symmetric head; relu, erf, sin or cos; ntk "
                    "parameterisation)");
  command->add_option("-o,--output", options->output, "Output HDF5 file (docs/hdf5.md, NTK files)");
  command->callback([options, &invocation] { run_ntk(*options, invocation); });
}

}  // namespace nmflow::cli

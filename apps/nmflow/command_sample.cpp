// nmflow sample: points with integration weights on a real manifold (--manifold) or on a Calabi–Yau
// hypersurface in P^N (--hypersurface), written to HDF5 (layout: docs/hdf5.md, "sample files").
#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <memory>

#include "commands.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/manifolds/sampler.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace nmflow::cli {
namespace {

// Names of make_hypersurface (hypersurface.h); an unknown name makes the factory list them all.
constexpr const char* kHypersurfaceNames =
    "fermat_quintic, dwork_quintic, k3_quartic, fermat_quartic, dwork_quartic, fermat_cubic, dwork_cubic";

struct SampleOptions {
  std::string manifold;
  std::string hypersurface;
  int64_t dim = 0;  // 0: not given
  int64_t points = 1000;
  uint64_t seed = 0;
  std::vector<std::string> params;
  std::string output;
  ComputeOptions compute;
};

// Floating tensors in the requested dtype (complex ones in the matching complex type); others unchanged.
at::Tensor in_dtype(const at::Tensor& t, c10::ScalarType dtype) {
  if (t.is_complex()) {
    return t.to(dtype == c10::ScalarType::Float ? at::kComplexFloat : at::kComplexDouble);
  }
  return t.is_floating_point() ? t.to(dtype) : t;
}

std::string params_yaml(const std::vector<std::string>& entries) {
  std::vector<std::string> items;
  for (const std::string& entry : entries) {
    const size_t equals = entry.find('=');
    items.push_back(entry.substr(0, equals) + ": " + entry.substr(equals + 1));
  }
  return "{" + join(items, ", ") + "}";
}

std::string base_config(const SampleOptions& o, const ComputeSetup& setup, const std::string& kind) {
  return config_text({{"command", "sample"},
                      {kind, kind == "manifold" ? o.manifold : o.hypersurface},
                      {"dim", o.dim > 0 ? std::to_string(o.dim) : "default"},
                      {"points", std::to_string(o.points)},
                      {"seed", std::to_string(o.seed)},
                      {"params", params_yaml(o.params)},
                      {"device", setup.device.str()},
                      {"dtype", dtype_name(setup.dtype)},
                      {"output", o.output}});
}

void sample_manifold(const SampleOptions& o, const ComputeSetup& setup, const Invocation& invocation) {
  const std::vector<std::string> names = sampler_names();
  if (!contains(names, o.manifold)) {
    throw UsageError("--manifold: unknown manifold '" + o.manifold + "'; allowed: " + join(names, ", "));
  }
  std::map<std::string, double> params = parse_real_params(o.params);
  merge_dim_option(o.dim, params);
  OutputFile output(o.output);
  const std::unique_ptr<Sampler> sampler =
      blame_option("--manifold " + o.manifold + " (--dim, --param)", [&] { return make_sampler(o.manifold, params); });
  // The manifold samplers draw on the CPU from a CPU generator; --device does not apply to them.
  const PointSet points = sampler->sample(o.points, o.seed);
  const double mean_weight = points.weights.mean().item<double>();
  fmt::print("sampled {} points on {} (n = {}, {} chart{}, measure {})\n", points.x.size(0), sampler->name(),
             sampler->dim(), sampler->num_charts(), sampler->num_charts() == 1 ? "" : "s", points.measure);
  fmt::print("  mean weight = {:.10g} (estimates the chart-coordinate volume ∫ d^n x)\n", mean_weight);
  if (output.get() == nullptr) {
    return;
  }
  Hdf5File& file = *output.get();
  file.write_tensor("x", in_dtype(points.x, setup.dtype));
  file.write_tensor("weights", in_dtype(points.weights, setup.dtype));
  file.write_tensor("chart", points.chart);
  file.write_string_attribute("/", "kind", "manifold");
  file.write_string_attribute("/", "manifold", sampler->name());
  file.write_int_attribute("/", "dim", sampler->dim());
  file.write_int_attribute("/", "num_charts", sampler->num_charts());
  file.write_string_attribute("/", "measure", points.measure);
  file.write_string_attribute("/", "weights_convention", "integral f d^n x ~ mean(weights * f) in chart coordinates");
  write_provenance(file, {base_config(o, setup, "manifold"), static_cast<int64_t>(o.seed), "cpu",
                          invocation.command_line, invocation.start_time});
  output.commit();
  fmt::print("wrote {}\n", o.output);
}

void sample_hypersurface(const SampleOptions& o, const ComputeSetup& setup, const Invocation& invocation) {
  if (o.dim > 0) {
    throw UsageError("--dim: not used with --hypersurface (the hypersurface fixes its dimension)");
  }
  const auto params = parse_complex_params(o.params);
  OutputFile output(o.output);
  const Hypersurface surface = [&] {
    try {
      return make_hypersurface(o.hypersurface, params);
    } catch (const Error& e) {
      const bool bad_name = std::string(e.what()).find("unknown hypersurface") != std::string::npos;
      throw UsageError(std::string(bad_name ? "--hypersurface: " : "--param: ") + e.what());
    }
  }();
  LineSamplerOptions options;
  options.n_points = o.points;
  options.seed = o.seed;
  options.device = setup.device;
  const CYPointSet cy = sample_cy_points(surface, options);
  const at::Tensor weights = cy.weights.to(at::kCPU);
  const CYAccuracy fs = cy_accuracy(weights, cy.omega_sq.to(at::kCPU), cy.det_g_fs.to(at::kCPU));
  const double vol_cy_error = weights.std().item<double>() / std::sqrt(static_cast<double>(weights.numel()));
  fmt::print("sampled {} points on {} (degree {} in P^{}, complex dimension {}) on {}\n", cy.size(), surface.name(),
             surface.degree(), surface.n_coords() - 1, surface.dim(), setup.device.str());
  fmt::print("  lines used {}, rejected {}\n", cy.lines_used, cy.lines_rejected);
  fmt::print("  Vol_CY = mean(w) = {:.6f} ± {:.6f}\n", fs.vol_cy, vol_cy_error);
  fmt::print("  sigma_FS = {:.6f}   kappa_FS = Vol_K/Vol_CY = {:.6f}\n", fs.sigma, fs.kappa);
  if (output.get() == nullptr) {
    return;
  }
  Hdf5File& file = *output.get();
  file.write_tensor("z", in_dtype(cy.z, setup.dtype));
  file.write_tensor("weights", in_dtype(cy.weights, setup.dtype));
  file.write_tensor("patch", cy.patch);
  file.write_tensor("eliminated", cy.eliminated);
  file.write_tensor("local_indices", cy.local_indices);
  file.write_tensor("omega_sq", in_dtype(cy.omega_sq, setup.dtype));
  file.write_tensor("det_g_fs", in_dtype(cy.det_g_fs, setup.dtype));
  file.write_tensor("g_fs", in_dtype(cy.g_fs, setup.dtype));
  file.write_tensor("polynomial/exponents", surface.exponents());
  file.write_tensor("polynomial/coefficients", surface.coefficients());
  file.write_string_attribute("/", "kind", "hypersurface");
  file.write_string_attribute("/", "hypersurface", surface.name());
  file.write_int_attribute("/", "ambient_dim", surface.n_coords() - 1);
  file.write_int_attribute("/", "dim", surface.dim());
  file.write_int_attribute("/", "degree", surface.degree());
  file.write_double_attribute("/", "kahler_modulus", options.kahler_modulus);
  file.write_string_attribute("/", "measure",
                              "line_intersection: Fubini-Study volume form J^m/m! (normalised); weights convert to "
                              "Omega^Omega-bar, Vol_CY = mean(weights)");
  file.write_double_attribute("/", "vol_cy", fs.vol_cy);
  file.write_double_attribute("/", "vol_cy_stderr", vol_cy_error);
  file.write_double_attribute("/", "sigma_fs", fs.sigma);
  file.write_double_attribute("/", "kappa_fs", fs.kappa);
  file.write_int_attribute("/", "lines_used", cy.lines_used);
  file.write_int_attribute("/", "lines_rejected", cy.lines_rejected);
  write_provenance(file, {base_config(o, setup, "hypersurface"), static_cast<int64_t>(o.seed), setup.device.str(),
                          invocation.command_line, invocation.start_time});
  output.commit();
  fmt::print("wrote {}\n", o.output);
}

}  // namespace

void add_sample_command(CLI::App& app, const Invocation& invocation) {
  auto options = std::make_shared<SampleOptions>();
  CLI::App* command =
      app.add_subcommand("sample", "Sample points with integration weights on a manifold or a CY hypersurface");
  CLI::Option* manifold = command->add_option("--manifold", options->manifold,
                                              "Real manifold sampler: " + join(sampler_names(), ", "));
  CLI::Option* hypersurface = command->add_option(
      "--hypersurface", options->hypersurface, std::string("Calabi-Yau hypersurface in P^N: ") + kHypersurfaceNames);
  manifold->excludes(hypersurface);
  command->add_option("--dim", options->dim, "Manifold dimension n (same as --param dim=n)")->check(CLI::Range(1, 64));
  command->add_option("--points", options->points, "Number of points")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}))
      ->capture_default_str();
  command->add_option("--param", options->params, "Sampler / hypersurface parameter key=value (repeatable)");
  command->add_option("-o,--output", options->output, "Output HDF5 file (none: print the summary only)");
  add_compute_options(*command, options->compute);
  command->callback([options, &invocation] {
    if (options->manifold.empty() == options->hypersurface.empty()) {
      throw UsageError("sample: give exactly one of --manifold (" + join(sampler_names(), ", ") +
                       ") or --hypersurface (" + kHypersurfaceNames + ")");
    }
    const ComputeSetup setup = apply_compute_options(options->compute);
    if (!options->manifold.empty()) {
      sample_manifold(*options, setup, invocation);
    } else {
      sample_hypersurface(*options, setup, invocation);
    }
  });
}

}  // namespace nmflow::cli

// nmflow check local-ricci: the local-flow Ricci-recovery check (DESIGN.md §4, docs/local_ricci.md). Runs the NN
// metric flow of a local-kernel model (random Fourier features of S³ ⊂ R⁴, metric output in the left-invariant
// frame) and the reference Ricci flow from the same g₀ over a ladder of widths, prints the table, writes it to HDF5
// with -o, and exits 0 only when the deviation falls with width and is below the tolerance at the largest width
// (and the flat-component-kernel control on the Berger sphere stays far off); 1 when the check fails.
#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "flows/local_ricci_check.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace nmflow::cli {
namespace {

// The check passes when the largest width is within this relative deviation of Ricci flow.
constexpr double kTolerance = 0.02;
// ... and the flat component kernel (control) is at least this far off on the Berger sphere.
constexpr double kControlMinimum = 5.0 * kTolerance;

struct LocalRicciCheckOptions {
  bool quick = false;
  uint64_t seed = 0;
  std::string output;
  ComputeOptions compute;
};

struct Row {
  std::string name;
  LocalRicciOptions options;
  LocalRicciResult result;
};

// Least-squares slope of log deviation against log width.
double fitted_exponent(const std::vector<const Row*>& rows) {
  double mx = 0.0;
  double my = 0.0;
  for (const Row* r : rows) {
    mx += std::log(static_cast<double>(r->options.features)) / static_cast<double>(rows.size());
    my += std::log(r->result.max_deviation) / static_cast<double>(rows.size());
  }
  double sxy = 0.0;
  double sxx = 0.0;
  for (const Row* r : rows) {
    const double dx = std::log(static_cast<double>(r->options.features)) - mx;
    sxy += dx * (std::log(r->result.max_deviation) - my);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

void run_local_ricci_check(const LocalRicciCheckOptions& o, const Invocation& invocation) {
  ComputeOptions compute = o.compute;
  if (compute.threads == 0) {
    compute.threads = 1;  // small tensors: one thread avoids the thread pool's spin-waits (docs/local_ricci.md)
  }
  const ComputeSetup setup = apply_compute_options(compute);
  OutputFile output(o.output);

  const std::vector<int64_t> widths = o.quick ? std::vector<int64_t>{64, 256, 1024}
                                              : std::vector<int64_t>{64, 256, 1024, 4096};
  LocalRicciOptions base;
  base.bandwidth = 2.0;
  base.points = o.quick ? 256 : 512;
  base.probes = o.quick ? 8 : 16;
  base.final_time = 0.04;
  base.learning_rate = o.quick ? 4e-3 : 2e-3;
  base.observations = o.quick ? 2 : 4;
  base.seed = o.seed;

  struct CaseSpec {
    std::string name;
    double b0;
    MetricHeadKind head;
    bool all_widths;
  };
  const std::vector<CaseSpec> specs{{"round_s3", 1.0, MetricHeadKind::FrameExponential, true},
                                    {"berger_s3", 0.5, MetricHeadKind::FrameExponential, true},
                                    {"berger_s3_flat_kernel", 0.5, MetricHeadKind::Symmetric, false}};
  std::vector<Row> rows;
  fmt::print("local-flow Ricci recovery: NN flow (L = -2F/Omega, slaved dilaton) vs Ricci flow to t = {}, "
             "eta = {}, {} points, Gaussian features in R^4 of bandwidth {}\n",
             base.final_time, base.learning_rate, base.points, base.bandwidth);
  fmt::print("{:<22} {:>7} {:>9} {:>8} {:>13} {:>10} {:>11}\n", "case", "width", "bandwidth", "Omega",
             "max rel. dev", "NTK drift", "non-local");
  for (const CaseSpec& spec : specs) {
    for (size_t k = spec.all_widths ? 0 : widths.size() - 1; k < widths.size(); ++k) {
      Row row;
      row.name = spec.name;
      row.options = base;
      row.options.b0 = spec.b0;
      row.options.head = spec.head;
      row.options.features = widths[k];
      row.result = run_local_ricci_case(row.options);
      fmt::print("{:<22} {:>7} {:>9.3g} {:>8.4f} {:>13.4e} {:>10.4f} {:>11.4f}\n", row.name, widths[k],
                 row.options.bandwidth, row.result.omega, row.result.max_deviation, row.result.ntk_drift,
                 row.result.nonlocal_mass);
      rows.push_back(row);
    }
  }

  std::vector<std::string> failures;
  std::vector<double> exponents;
  for (const std::string name : {"round_s3", "berger_s3"}) {
    std::vector<const Row*> ladder;
    for (const Row& r : rows) {
      if (r.name == name) {
        ladder.push_back(&r);
      }
    }
    const double exponent = fitted_exponent(ladder);
    exponents.push_back(exponent);
    const double first = ladder.front()->result.max_deviation;
    const double last = ladder.back()->result.max_deviation;
    fmt::print("{}: deviation ~ width^{:.2f} (fitted), {:.3e} at the largest width (tolerance {})\n", name,
               exponent, last, kTolerance);
    if (!(exponent < 0.0 && last < first)) {
      failures.push_back(name + ": the deviation does not fall with width");
    }
    if (!(last < kTolerance)) {
      failures.push_back(fmt::format("{}: deviation {:.3e} at the largest width is above the tolerance {}", name,
                                     last, kTolerance));
    }
  }
  const double control = rows.back().result.max_deviation;
  fmt::print("control (flat component kernel on Berger): deviation {:.3e} (must stay above {})\n", control,
             kControlMinimum);
  if (!(control > kControlMinimum)) {
    failures.push_back(fmt::format("control: the flat component kernel came within {:.3e} of Ricci flow on the "
                                   "Berger sphere (expected > {})",
                                   control, kControlMinimum));
  }

  if (Hdf5File* file = output.get()) {
    std::vector<int64_t> case_index;
    std::vector<int64_t> features;
    std::vector<double> bandwidth, omega, deviation, drift, nonlocal;
    for (const Row& r : rows) {
      case_index.push_back(r.name == "round_s3" ? 0 : (r.name == "berger_s3" ? 1 : 2));
      features.push_back(r.options.features);
      bandwidth.push_back(r.options.bandwidth);
      omega.push_back(r.result.omega);
      deviation.push_back(r.result.max_deviation);
      drift.push_back(r.result.ntk_drift);
      nonlocal.push_back(r.result.nonlocal_mass);
    }
    const auto doubles = [](const std::vector<double>& v) { return at::tensor(v, at::kDouble); };
    file->write_tensor("case", at::tensor(case_index, at::kLong));
    file->write_tensor("width", at::tensor(features, at::kLong));
    file->write_tensor("bandwidth", doubles(bandwidth));
    file->write_tensor("omega", doubles(omega));
    file->write_tensor("max_relative_deviation", doubles(deviation));
    file->write_tensor("ntk_drift", doubles(drift));
    file->write_tensor("nonlocal_mass", doubles(nonlocal));
    file->write_string_attribute("/", "kind", "check_local_ricci");
    file->write_string_attribute("/", "case_names", "round_s3,berger_s3,berger_s3_flat_kernel");
    file->write_string_attribute("/", "loss", "-2 F / Omega, dilaton slaved to the unit-round volume");
    file->write_string_attribute("/", "measure", "haar_s3 (unit round volume, 2 pi^2)");
    file->write_double_attribute("/", "tolerance", kTolerance);
    file->write_double_attribute("/", "final_time", base.final_time);
    file->write_double_attribute("/", "learning_rate", base.learning_rate);
    file->write_int_attribute("/", "points", base.points);
    file->write_double_attribute("/", "exponent_round_s3", exponents[0]);
    file->write_double_attribute("/", "exponent_berger_s3", exponents[1]);
    file->write_int_attribute("/", "passed", failures.empty() ? 1 : 0);
    const std::string config = config_text({{"command", "check local-ricci"},
                                            {"quick", o.quick ? "true" : "false"},
                                            {"seed", std::to_string(o.seed)},
                                            {"output", o.output}});
    write_provenance(*file, {config, static_cast<int64_t>(o.seed), setup.device.str(), invocation.command_line,
                             invocation.start_time});
    output.commit();
    fmt::print("wrote {}\n", o.output);
  }
  if (!failures.empty()) {
    std::string message = "local-ricci check FAILED: " + failures.front();
    for (size_t i = 1; i < failures.size(); ++i) {
      message += "; " + failures[i];
    }
    throw std::runtime_error(message);  // main(): exit code 1
  }
  fmt::print("local-ricci check passed\n");
}

}  // namespace

void add_check_command(CLI::App& app, const Invocation& invocation) {
  CLI::App* check = app.add_subcommand("check", "Self-checks of the flows against their references");
  check->require_subcommand(1);
  auto options = std::make_shared<LocalRicciCheckOptions>();
  CLI::App* local = check->add_subcommand(
      "local-ricci", "NN flow of a local-kernel model vs Ricci flow on round and Berger S^3 (DESIGN.md §4)");
  local->add_flag("--quick", options->quick, "Small ladder (< 1 minute on 2 cores)");
  local->add_option("--seed", options->seed, "Random seed (features, points, probes)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}))
      ->capture_default_str();
  local->add_option("-o,--output", options->output, "Output HDF5 file with the table");
  add_compute_options(*local, options->compute);
  local->callback([options, &invocation] { run_local_ricci_check(*options, invocation); });
}

}  // namespace nmflow::cli

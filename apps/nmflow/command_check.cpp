// nmflow check local-ricci: the local-flow Ricci-recovery check (docs/design.md §4, docs/local_ricci.md). Runs the NN
// metric flow of a local-kernel model and the reference Ricci flow from the same g₀ over a ladder of widths and
// bandwidths, prints the table, writes it to HDF5 with -o, and exits 0 only when every case passes; 1 otherwise.
// Cases: round and Berger S³ (random Fourier features of S³ ⊂ R⁴, metric output in the left-invariant frame; pass:
// deviation falls with width and is below kTolerance at the largest, the flat-component-kernel control on Berger
// stays above kControlMinimum) and the conformal metric e^{2u₀}δ on T² (periodic Gaussian bumps, metric output in
// the frame e^{u₀}I; compared through the area-weighted distribution of R; pass: deviation falls with bandwidth and
// is below kT2Tolerance at the largest, the conformal-head control stays on its derived flow ∂_t u = 0 and above
// kT2ControlMinimum from Ricci flow).
#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "experiments/local_ricci_check.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"
#include "io/run_status.h"

namespace nmflow::cli {
namespace {

// The check passes when the largest width is within this relative deviation of Ricci flow.
constexpr double kTolerance = 0.02;
// ... and the flat component kernel (control) is at least this far off on the Berger sphere.
constexpr double kControlMinimum = 5.0 * kTolerance;
// T²: W₂ distance of the area-weighted R distributions relative to rms R, at the largest bandwidth.
constexpr double kT2Tolerance = 0.03;
// ... and the conformal-head control (static) at least this far from Ricci flow.
constexpr double kT2ControlMinimum = 5.0 * kT2Tolerance;
// The conformal-head control must stay on its derived flow ∂_t u = 0 to this relative metric deviation.
constexpr double kDerivedTolerance = 1e-6;

struct LocalRicciCheckOptions {
  bool quick = false;
  std::string manifold = "all";  // all | s3 | conformal_t2
  uint64_t seed = 0;
  std::string output;
  ComputeOptions compute;
};

struct Row {
  std::string name;
  LocalRicciOptions options;
  LocalRicciResult result;
};

// Least-squares slope of log deviation against log width (or log bandwidth).
double fitted_exponent(const std::vector<const Row*>& rows, bool against_bandwidth = false) {
  const auto abscissa = [against_bandwidth](const Row* r) {
    return std::log(against_bandwidth ? r->options.bandwidth : static_cast<double>(r->options.features));
  };
  double mx = 0.0;
  double my = 0.0;
  for (const Row* r : rows) {
    mx += abscissa(r) / static_cast<double>(rows.size());
    my += std::log(r->result.max_deviation) / static_cast<double>(rows.size());
  }
  double sxy = 0.0;
  double sxx = 0.0;
  for (const Row* r : rows) {
    const double dx = abscissa(r) - mx;
    sxy += dx * (std::log(r->result.max_deviation) - my);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

std::string optional_number(double value, const char* format) {
  return std::isnan(value) ? std::string("-") : fmt::format(fmt::runtime(format), value);
}

void print_row(const Row& row) {
  fmt::print("{:<24} {:>7} {:>9.3g} {:>10.4g} {:>13.4e} {:>10.4f} {:>10.4f} {:>10} {:>10}\n", row.name,
             row.options.features, row.options.bandwidth, row.result.omega, row.result.max_deviation,
             row.result.ntk_drift, row.result.nonlocal_mass, optional_number(row.result.velocity_deviation, "{:.3e}"),
             optional_number(row.result.reference_change, "{:.4f}"));
}

std::vector<const Row*> rows_named(const std::vector<Row>& rows, const std::string& name) {
  std::vector<const Row*> out;
  for (const Row& r : rows) {
    if (r.name == name) {
      out.push_back(&r);
    }
  }
  return out;
}

// Round/Berger S³: width ladder at bandwidth 2 and the flat-component-kernel control at the largest width.
void run_s3_cases(bool quick, uint64_t seed, std::vector<Row>& rows, std::vector<std::string>& failures,
                  std::vector<std::pair<std::string, double>>& exponents) {
  const std::vector<int64_t> widths = quick ? std::vector<int64_t>{64, 256, 1024}
                                            : std::vector<int64_t>{64, 256, 1024, 4096};
  LocalRicciOptions base;
  base.bandwidth = 2.0;
  base.points = quick ? 256 : 512;
  base.probes = quick ? 8 : 16;
  base.final_time = 0.04;
  base.learning_rate = quick ? 4e-3 : 2e-3;
  base.observations = quick ? 2 : 4;
  base.seed = seed;
  fmt::print("S^3: NN flow (L = -2F/Omega, slaved dilaton) vs Ricci flow to t = {}, eta = {}, {} points, Gaussian "
             "features in R^4 of bandwidth {}; deviation = max relative metric deviation on the probes\n",
             base.final_time, base.learning_rate, base.points, base.bandwidth);
  struct CaseSpec {
    std::string name;
    double b0;
    MetricHeadKind head;
    bool all_widths;
  };
  const std::vector<CaseSpec> specs{{"round_s3", 1.0, MetricHeadKind::FrameExponential, true},
                                    {"berger_s3", 0.5, MetricHeadKind::FrameExponential, true},
                                    {"berger_s3_flat_kernel", 0.5, MetricHeadKind::Symmetric, false}};
  for (const CaseSpec& spec : specs) {
    for (size_t k = spec.all_widths ? 0 : widths.size() - 1; k < widths.size(); ++k) {
      Row row;
      row.name = spec.name;
      row.options = base;
      row.options.b0 = spec.b0;
      row.options.head = spec.head;
      row.options.features = widths[k];
      row.result = run_local_ricci_case(row.options);
      print_row(row);
      rows.push_back(row);
    }
  }
  for (const std::string name : {"round_s3", "berger_s3"}) {
    const std::vector<const Row*> ladder = rows_named(rows, name);
    const double exponent = fitted_exponent(ladder);
    exponents.emplace_back(name, exponent);
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
  const double control = rows_named(rows, "berger_s3_flat_kernel").back()->result.max_deviation;
  fmt::print("control (flat component kernel on Berger): deviation {:.3e} (must stay above {})\n", control,
             kControlMinimum);
  if (!(control > kControlMinimum)) {
    failures.push_back(fmt::format("control: the flat component kernel came within {:.3e} of Ricci flow on the "
                                   "Berger sphere (expected > {})",
                                   control, kControlMinimum));
  }
}

// Bumps with centre spacing 2π/n_c ≤ 1.2 ε (ε = 1/Λ; kernel aliasing ≈ 2e^{−π²/1.44} ≈ 2e−3) and a training grid that
// resolves them (8Λ points per axis); η · Λ²/e ≤ 0.04 against the fastest rate Λ²/e of the filtered flow.
LocalRicciOptions t2_options(bool quick, uint64_t seed, double bandwidth, int64_t centres, MetricHeadKind head) {
  LocalRicciOptions o;
  o.manifold = LocalRicciManifold::ConformalT2;
  o.head = head;
  o.bandwidth = bandwidth;
  o.features = centres * centres;
  o.grid = std::max<int64_t>(32, static_cast<int64_t>(std::ceil(8.0 * bandwidth)));
  o.probe_grid = quick ? 32 : 48;
  o.reference_grid = 64;
  o.probes = 16;
  o.final_time = 0.05;  // at Λ = 8 the NN flow breaks down before t = 0.1 (docs/local_ricci.md §5.5)
  o.learning_rate = 2.5e-3 / std::ceil(bandwidth * bandwidth / 32.0);
  o.observations = 2;
  o.seed = seed;
  return o;
}

int64_t centres_for(double bandwidth) { return 2 * static_cast<int64_t>(std::ceil(M_PI * bandwidth / 1.2)); }

// Conformal T²: bandwidth ladder (n_c ∝ Λ), in the full run a width ladder at Λ = 3, and the conformal-head control.
void run_t2_cases(bool quick, uint64_t seed, std::vector<Row>& rows, std::vector<std::string>& failures,
                  std::vector<std::pair<std::string, double>>& exponents) {
  const std::vector<double> bandwidths = quick ? std::vector<double>{2.0, 4.0, 8.0}
                                               : std::vector<double>{2.0, 3.0, 4.0, 6.0, 8.0, 12.0};
  const LocalRicciOptions shown = t2_options(quick, seed, 1.0, 8, MetricHeadKind::FrameExponential);
  fmt::print("T^2: g0 = exp(2 u0) delta, u0 = 0.3 cos x + 0.2 sin(x + y); NN flow (L = -2F/Omega, dilaton slaved "
             "to d^2x) vs Ricci flow to t = {}, eta = {}/ceil(bandwidth^2/32); deviation = W2 of the area-weighted R "
             "distributions / rms R on a {}^2 probe grid; dv(0) = NN velocity at t = 0 vs -2(Ric + Hess f)\n",
             shown.final_time, shown.learning_rate, shown.probe_grid);
  for (const double bandwidth : bandwidths) {
    Row row;
    row.name = "conformal_t2";
    row.options = t2_options(quick, seed, bandwidth, centres_for(bandwidth), MetricHeadKind::FrameExponential);
    row.result = run_local_ricci_case(row.options);
    print_row(row);
    rows.push_back(row);
  }
  if (!quick) {
    for (const int64_t centres : {6, 10, 12}) {
      Row row;
      row.name = "conformal_t2_width";
      row.options = t2_options(quick, seed, 3.0, centres, MetricHeadKind::FrameExponential);
      row.result = run_local_ricci_case(row.options);
      print_row(row);
      rows.push_back(row);
    }
    Row widest = *rows_named(rows, "conformal_t2")[1];  // Λ = 3 with n_c = 16 from the bandwidth ladder
    widest.name = "conformal_t2_width";
    print_row(widest);
    rows.push_back(widest);
  }
  {
    Row row;
    row.name = "conformal_t2_conformal_head";
    const double bandwidth = 4.0;  // its derived flow ∂_t u = 0 holds at every bandwidth
    row.options = t2_options(quick, seed, bandwidth, centres_for(bandwidth), MetricHeadKind::Conformal);
    row.result = run_local_ricci_case(row.options);
    print_row(row);
    rows.push_back(row);
  }
  const std::vector<const Row*> ladder = rows_named(rows, "conformal_t2");
  const double exponent = fitted_exponent(ladder, true);
  exponents.emplace_back("conformal_t2", exponent);
  const double first = ladder.front()->result.max_deviation;
  const double last = ladder.back()->result.max_deviation;
  fmt::print("conformal_t2: deviation ~ bandwidth^{:.2f} (fitted), {:.3e} at the largest bandwidth (tolerance {}); "
             "Ricci flow itself moved the R distribution by {:.3e}\n",
             exponent, last, kT2Tolerance, ladder.back()->result.reference_change);
  if (!(exponent < 0.0 && last < first)) {
    failures.push_back("conformal_t2: the deviation does not fall with bandwidth");
  }
  if (!(last < kT2Tolerance)) {
    failures.push_back(fmt::format("conformal_t2: deviation {:.3e} at the largest bandwidth is above the tolerance "
                                   "{}", last, kT2Tolerance));
  }
  if (!quick) {
    const std::vector<const Row*> widths = rows_named(rows, "conformal_t2_width");
    const double width_exponent = fitted_exponent(widths);
    exponents.emplace_back("conformal_t2_width", width_exponent);
    fmt::print("conformal_t2 at bandwidth 3: deviation ~ width^{:.2f} (fitted)\n", width_exponent);
    if (!(widths.back()->result.max_deviation < widths.front()->result.max_deviation)) {
      failures.push_back("conformal_t2: at bandwidth 3 the deviation does not fall with width");
    }
  }
  const LocalRicciResult& control = rows_named(rows, "conformal_t2_conformal_head").back()->result;
  fmt::print("control (conformal head): {:.3e} from its derived flow du/dt = 0 (must stay below {}), {:.3e} from "
             "Ricci flow (must stay above {})\n",
             control.derived_deviation, kDerivedTolerance, control.max_deviation, kT2ControlMinimum);
  if (!(control.derived_deviation < kDerivedTolerance)) {
    failures.push_back(fmt::format("control: the conformal head moved {:.3e} away from du/dt = 0",
                                   control.derived_deviation));
  }
  if (!(control.max_deviation > kT2ControlMinimum)) {
    failures.push_back(fmt::format("control: the conformal head came within {:.3e} of Ricci flow on T^2",
                                   control.max_deviation));
  }
}

void run_local_ricci_check(const LocalRicciCheckOptions& o, const Invocation& invocation) {
  ComputeOptions compute = o.compute;
  if (compute.threads == 0) {
    compute.threads = 1;  // small tensors: one thread avoids the thread pool's spin-waits (docs/local_ricci.md)
  }
  const ComputeSetup setup = apply_compute_options(compute);
  OutputFile output(o.output);

  std::vector<Row> rows;
  std::vector<std::string> failures;
  std::vector<std::pair<std::string, double>> exponents;
  fmt::print("{:<24} {:>7} {:>9} {:>10} {:>13} {:>10} {:>10} {:>10} {:>10}\n", "case", "width", "bandwidth",
             "Omega", "max rel. dev", "NTK drift", "non-local", "dv(0)", "Ricci chg");
  // The table is written whatever happens: a case that throws (a diverged flow, an I/O error) leaves the rows done
  // so far with status = failed and the message, then the error ends the command.
  const auto write_table = [&](const char* status) {
    Hdf5File* file = output.get();
    if (file == nullptr) return;
    const std::vector<std::string> names{"round_s3",     "berger_s3",          "berger_s3_flat_kernel",
                                         "conformal_t2", "conformal_t2_width", "conformal_t2_conformal_head"};
    std::vector<int64_t> case_index;
    std::vector<int64_t> features;
    std::vector<double> bandwidth, omega, deviation, drift, nonlocal, velocity, change, derived, final_time, eta;
    for (const Row& r : rows) {
      case_index.push_back(std::find(names.begin(), names.end(), r.name) - names.begin());
      features.push_back(r.options.features);
      bandwidth.push_back(r.options.bandwidth);
      omega.push_back(r.result.omega);
      deviation.push_back(r.result.max_deviation);
      drift.push_back(r.result.ntk_drift);
      nonlocal.push_back(r.result.nonlocal_mass);
      velocity.push_back(r.result.velocity_deviation);
      change.push_back(r.result.reference_change);
      derived.push_back(r.result.derived_deviation);
      final_time.push_back(r.options.final_time);
      eta.push_back(r.options.learning_rate);
    }
    std::string case_names = names.front();
    for (size_t i = 1; i < names.size(); ++i) {
      case_names += "," + names[i];
    }
    const auto doubles = [](const std::vector<double>& v) { return at::tensor(v, at::kDouble); };
    file->write_tensor("case", at::tensor(case_index, at::kLong));
    file->write_tensor("width", at::tensor(features, at::kLong));
    file->write_tensor("bandwidth", doubles(bandwidth));
    file->write_tensor("omega", doubles(omega));
    file->write_tensor("max_relative_deviation", doubles(deviation));
    file->write_tensor("ntk_drift", doubles(drift));
    file->write_tensor("nonlocal_mass", doubles(nonlocal));
    file->write_tensor("velocity_deviation", doubles(velocity));
    file->write_tensor("reference_change", doubles(change));
    file->write_tensor("derived_deviation", doubles(derived));
    file->write_tensor("final_time", doubles(final_time));
    file->write_tensor("learning_rate", doubles(eta));
    // Per-row deviation at each comparison time, [rows, T], NaN-padded where a row has fewer comparison times.
    size_t columns = 0;
    for (const Row& r : rows) {
      columns = std::max(columns, r.result.times.size());
    }
    at::Tensor times = at::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(columns)}, NAN, at::kDouble);
    at::Tensor deviations = times.clone();
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t k = 0; k < rows[i].result.times.size(); ++k) {
        times[i][k] = rows[i].result.times[k];
        deviations[i][k] = rows[i].result.deviations[k];
      }
    }
    file->write_tensor("times", times);
    file->write_tensor("deviations", deviations);
    file->write_string_attribute("/", "kind", "check_local_ricci");
    file->write_string_attribute("/", "case_names", case_names);
    file->write_string_attribute("/", "loss", "-2 F / Omega, dilaton slaved to the measure");
    file->write_string_attribute("/", "measure",
                                 "S3: haar_s3 (unit round volume, 2 pi^2); T2: flat d^2x on a uniform grid (4 pi^2)");
    file->write_string_attribute("/", "deviation",
                                 "S3: max relative metric deviation on probes; T2: W2 of area-weighted R "
                                 "distributions / rms R (NaN columns: not defined for the case)");
    file->write_double_attribute("/", "tolerance", kTolerance);
    file->write_double_attribute("/", "tolerance_t2", kT2Tolerance);
    for (const auto& [name, exponent] : exponents) {
      file->write_double_attribute("/", "exponent_" + name, exponent);
    }
    file->write_int_attribute("/", "passed", failures.empty() && std::string(status) == "complete" ? 1 : 0);
    const std::string config = config_text({{"command", "check local-ricci"},
                                            {"quick", o.quick ? "true" : "false"},
                                            {"manifold", o.manifold},
                                            {"seed", std::to_string(o.seed)},
                                            {"output", o.output}});
    write_provenance(*file, {config, static_cast<int64_t>(o.seed), setup.device.str(), invocation.command_line,
                             invocation.start_time});
    file->write_string_attribute("/", "status", status);
    output.commit();
    fmt::print("wrote {}\n", o.output);
  };
  try {
    if (o.manifold == "all" || o.manifold == "s3") {
      run_s3_cases(o.quick, o.seed, rows, failures, exponents);
    }
    if (o.manifold == "all" || o.manifold == "conformal_t2") {
      run_t2_cases(o.quick, o.seed, rows, failures, exponents);
    }
  } catch (const std::exception& error) {
    if (Hdf5File* file = output.get()) mark_run_failed(*file, error);
    write_table("failed");
    throw;
  }
  write_table("complete");
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
      "local-ricci",
      "NN flow of a local-kernel model vs Ricci flow on round and Berger S^3 and a conformal T^2 (docs/design.md §4). "
      "Passes when, on S^3, the relative metric deviation falls with width and is below 0.02 at the largest width "
      "(flat-kernel control on Berger above 0.1), and, on T^2, the W2 distance of the area-weighted R "
      "distributions (relative to rms R) falls with bandwidth and is below 0.03 at the largest bandwidth (and, in "
      "the full run, falls with width at bandwidth 3), while the conformal-head control stays on du/dt = 0 (1e-6) "
      "and above 0.15 from Ricci flow");
  local->add_flag("--quick", options->quick, "Small ladders (< 1 minute on one core)");
  local->add_option("--manifold", options->manifold, "Which cases: all, s3 or conformal_t2")
      ->check(CLI::IsMember({"all", "s3", "conformal_t2"}))
      ->capture_default_str();
  local->add_option("--seed", options->seed, "Random seed (features, points, probes)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}))
      ->capture_default_str();
  local->add_option("-o,--output", options->output, "Output HDF5 file with the table");
  add_compute_options(*local, options->compute);
  local->callback([options, &invocation] { run_local_ricci_check(*options, invocation); });
}

}  // namespace nmflow::cli

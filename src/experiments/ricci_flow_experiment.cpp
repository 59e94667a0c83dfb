#include "experiments/ricci_flow_experiment.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "experiments/ricci_flow_case.h"
#include "io/provenance.h"
#include "io/trajectory_recorder.h"

namespace nmflow {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> record_times(const RicciFlowConfig& c, double end) {
  if (!c.record_times.empty()) return c.record_times;
  std::vector<double> times;
  for (int64_t k = 1; k <= c.records; ++k) {
    times.push_back(k == c.records ? end : end * static_cast<double>(k) / static_cast<double>(c.records));
  }
  return times;
}

double relative_error(double value, double exact) {
  return std::abs(value - exact) / std::max(std::abs(exact), 1e-300);
}

void write_attributes(Hdf5File& file, const ExperimentConfig& config, const ExperimentRunOptions& o,
                      const RicciFlowSummary& s, const RicciFlowCase& flow, const std::string& status) {
  file.write_string_attribute("/", "kind", config.kind);
  file.write_string_attribute("/", "family", s.family);
  file.write_string_attribute("/", "gauge", flow.gauge());
  file.write_int_attribute("/", "dim", flow.dim());
  file.write_double_attribute("/", "end_time", s.end_time);
  file.write_int_attribute("/", "total_records", s.total_records);
  file.write_string_attribute("/", "closed_form", flow.closed_form_text());
  if (!std::isnan(s.extinction_time)) file.write_double_attribute("/", "extinction_time", s.extinction_time);
  if (!std::isnan(s.extinction_time_closed_form)) {
    file.write_double_attribute("/", "extinction_time_closed_form", s.extinction_time_closed_form);
  }
  file.write_int_attribute("/", "quick", o.quick ? 1 : 0);
  file.write_string_attribute("/", "status", status);
  write_provenance(file, {o.config_text, static_cast<int64_t>(config.seed), "cpu", o.command_line, o.start_time});
}

std::string record_line(double t, const TrajectoryRecord& r, double volume, double exact_scalar) {
  std::string line = fmt::format("t {:.6g}  R mean {:.10g} [{:.6g}, {:.6g}]", t, r.scalar.mean().item<double>(),
                                 r.scalar.min().item<double>(), r.scalar.max().item<double>());
  if (!std::isnan(volume)) line += fmt::format("  vol {:.10g}", volume);
  if (!std::isnan(exact_scalar)) line += fmt::format("  R closed form {:.10g}", exact_scalar);
  return line;
}

std::vector<std::string> summary_lines(const RicciFlowSummary& s) {
  std::vector<std::string> lines = {
      fmt::format("{:<26}{}", "family", s.family),
      fmt::format("{:<26}{}/{}", "records", s.records, s.total_records),
      fmt::format("{:<26}{:.10g}", "end time", s.end_time),
      fmt::format("{:<26}{:.10g} -> {:.10g}", "mean R on probes", s.scalar_initial, s.scalar_final)};
  if (!std::isnan(s.volume_initial)) {
    lines.push_back(fmt::format("{:<26}{:.10g} -> {:.10g}", "volume", s.volume_initial, s.volume_final));
  }
  if (!std::isnan(s.extinction_time)) {
    lines.push_back(fmt::format("{:<26}{:.15g}", "extinction time", s.extinction_time));
  }
  if (!std::isnan(s.extinction_time_closed_form)) {
    lines.push_back(fmt::format("{:<26}{:.15g} (relative difference {:.2e})", "  closed form",
                                s.extinction_time_closed_form,
                                relative_error(s.extinction_time, s.extinction_time_closed_form)));
  }
  if (!std::isnan(s.closed_form_error)) {
    lines.push_back(fmt::format("{:<26}{:.2e} (max relative, R and coefficients)", "closed-form solution",
                                s.closed_form_error));
  }
  return lines;
}

}  // namespace

RicciFlowSummary run_ricci_flow_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                           const RunHooks& hooks) {
  NMFLOW_CHECK(config.kind == "ricci_flow", "run_ricci_flow_experiment runs kind ricci_flow, got '", config.kind, "'");
  NMFLOW_CHECK(!options.resume, "--resume: kind ricci_flow keeps no state to resume from; rerun without --resume");
  const RicciFlowConfig& c = config.sections<RicciFlowConfig>();
  RicciFlowSummary summary;
  summary.family = enum_name(kRicciFlowFamilyNames, c.family);
  RicciFlowCase flow(c);
  summary.extinction_time = flow.extinction_time();
  summary.extinction_time_closed_form = flow.closed_form_extinction_time();
  summary.end_time = c.extinction_fraction > 0.0 ? c.extinction_fraction * summary.extinction_time : c.end_time;
  if (!std::isnan(summary.extinction_time) && summary.end_time >= summary.extinction_time) {
    throw Error(fmt::format("flow.end_time = {:.6g} is at or past the extinction time {:.10g} of this {} metric; "
                            "lower it, or give flow.extinction_fraction in (0, 1)",
                            summary.end_time, summary.extinction_time, summary.family));
  }
  const std::vector<double> times = record_times(c, summary.end_time);
  summary.total_records = static_cast<int64_t>(times.size());
  const bool closed_form = flow.has_closed_form();
  summary.closed_form_error = closed_form ? 0.0 : kNaN;
  const at::Tensor probes = flow.probe_points(config.seed);

  RunLifecycle lifecycle(config, options, options.output, "run file", "kind ricci_flow is not resumable");
  TrajectoryRecorder recorder = TrajectoryRecorder::create(options.output);
  lifecycle.begin(recorder.file(), [&](Hdf5File& file, const std::string& status) {
    write_attributes(file, config, options, summary, flow, status);
  });
  lifecycle.run(recorder.file(), [&] {
    Hdf5File& file = recorder.file();
    const TrajectoryRecord initial = flow.observe(probes);
    file.write_tensor("points/probe_x", probes);
    file.write_tensor("initial/g", initial.g);
    file.write_tensor("initial/ricci", initial.ricci);
    file.write_tensor("initial/scalar", initial.scalar);
    summary.scalar_initial = initial.scalar.mean().item<double>();
    summary.volume_initial = flow.volume();
    summary.scalar_final = summary.scalar_initial;
    summary.volume_final = summary.volume_initial;
    if (closed_form) {
      file.create_extendible("closed_form/scalar", at::kDouble, {1});
      for (const auto& [name, value] : flow.closed_form_coefficients(0.0)) {
        file.create_extendible("closed_form/" + name, at::kDouble, {1});
      }
    }
    file.flush();
    double previous = 0.0;
    for (size_t k = 0; k < times.size(); ++k) {
      if (hooks.stop()) {
        summary.interrupted = true;
        break;
      }
      flow.step(times[k] - flow.time());
      TrajectoryRecord record = flow.observe(probes);
      record.steps_done = static_cast<int64_t>(k) + 1;
      record.time = flow.time();
      record.learning_rate = record.time - previous;
      record.terms = flow.terms();
      previous = record.time;
      double exact_scalar = kNaN;
      if (closed_form) {
        // Relative deviations of R and of each coefficient; absolute for R = 0 (a flat torus).
        exact_scalar = flow.closed_form_scalar(record.time);
        const double scale = exact_scalar == 0.0 ? 1.0 : std::abs(exact_scalar);
        summary.closed_form_error =
            std::max(summary.closed_form_error, (record.scalar - exact_scalar).abs().max().item<double>() / scale);
        const NamedValues exact = flow.closed_form_coefficients(record.time);
        const NamedValues integrated = flow.coefficients();
        for (size_t i = 0; i < exact.size(); ++i) {
          file.append_value("closed_form/" + exact[i].first, exact[i].second);
          summary.closed_form_error =
              std::max(summary.closed_form_error, relative_error(integrated[i].second, exact[i].second));
        }
        file.append_value("closed_form/scalar", exact_scalar);
      }
      recorder.record(record);
      summary.records = record.steps_done;
      summary.scalar_final = record.scalar.mean().item<double>();
      summary.volume_final = flow.volume();
      hooks.progress(RunProgress{summary.records, summary.total_records, "record",
                                 record_line(record.time, record, summary.volume_final, exact_scalar), false});
    }
  });
  lifecycle.end(recorder.file(), summary.interrupted);
  return summary;
}

ExperimentKind ricci_flow_kind() {
  ExperimentKind kind;
  kind.name = "ricci_flow";
  kind.resumable = false;  // a run takes seconds: rerun rather than resume
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const RicciFlowConfig& c = config.sections<RicciFlowConfig>();
    const std::string end = c.extinction_fraction > 0.0
                                ? fmt::format("{:g} of the extinction time", c.extinction_fraction)
                                : fmt::format("t = {:g}", c.end_time);
    const int64_t records = c.record_times.empty() ? c.records : static_cast<int64_t>(c.record_times.size());
    return fmt::format("reference Ricci flow of {} to {}, {} records", enum_name(kRicciFlowFamilyNames, c.family),
                       end, records);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const RicciFlowSummary summary = run_ricci_flow_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("record {}", summary.records);
    return report;
  };
  return kind;
}

}  // namespace nmflow

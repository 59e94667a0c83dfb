#include "experiments/experiment.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include "common/error.h"
#include "common/memory_budget.h"
#include "experiments/experiment_model.h"
#include "training/losses.h"
#include "experiments/ntk_recording.h"
#include "experiments/ricci_flow_comparison.h"
#include "training/perelman.h"
#include "training/trainer.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "geometry/manifolds/space_forms.h"
#include "io/provenance.h"
#include "io/run_status.h"
#include "io/trajectory_recorder.h"
#include "models/matrix_jet_ops.h"
#include "models/neural_metric.h"

namespace nmflow {

namespace {

const std::vector<std::string> kStaticDatasets = {"points/train_x", "points/train_weights", "points/probe_x",
                                                  "points/probe_weights", "initial/g", "initial/ricci",
                                                  "initial/scalar"};

MetricJet jet_to(const MetricJet& jet, const at::TensorOptions& options) {
  return MetricJet{jet.g.to(options), jet.dg.to(options), jet.d2g.to(options)};
}

MetricJet jet_sum(const MetricJet& a, const MetricJet& b) { return MetricJet{a.g + b.g, a.dg + b.dg, a.d2g + b.d2g}; }

double range(const at::Tensor& scalar) {
  return (scalar.max() - scalar.min()).item<double>();
}

// What one training point holds at least while the loss is differentiated: x, its weight and the background 2-jet
// (n + 1 + n² + n³ + n⁴ doubles), and per hidden layer the network's 2-jet (1 + n + n(n+1)/2 rows of its width) before
// and after the activation, kept for the backward pass.
double bytes_per_training_point(const ModelConfig& model, int64_t n) {
  const double d = static_cast<double>(n);
  double values = d + 1.0 + d * d + d * d * d + d * d * d * d;
  for (const int64_t width : model.hidden) values += 2.0 * (1.0 + d + d * (d + 1.0) / 2.0) * static_cast<double>(width);
  return 8.0 * values;
}

// Everything the loss and the observations need, built identically for fresh and resumed runs.
class RealMetricFlow {
 public:
  RealMetricFlow(const ExperimentConfig& c, const c10::Device& device)
      : config_(c.sections<RealMetricFlowConfig>()),
        options_(at::TensorOptions().dtype(precision_dtype(c.dtype)).device(device)),
        reference_(make_reference_metric(config_.manifold.name, config_.manifold.params)),
        sampler_(make_sampler(config_.manifold.sampler, config_.manifold.sampler_params)),
        backend_(config_.loss.curvature_backend),
        model_(make_experiment_network(c, reference_->dim(), device)) {
    check_memory_fits("points.train", static_cast<double>(config_.points.train),
                      bytes_per_training_point(config_.model, reference_->dim()), "training points",
                      "; lower points.train (or set points.resample_every to train on fresh smaller samples)");
    set_train_points(sampler_->sample(config_.points.train, c.seed));
    const PointSet probes = experiment_probe_points(c, *sampler_, config_.points.probe);
    probe_x_ = probes.x.to(options_);
    probe_weights_ = probes.weights;
    probe_background_ = jet_to(reference_->jet(probes.x), options_);
    const at::NoGradGuard no_grad;
    volume_target_ = config_.loss.volume_target > 0.0
                         ? config_.loss.volume_target
                         : metric_volume(train_weights_, jet(train_x_, train_background_)).item<double>();
  }

  void set_train_points(const PointSet& points) {
    train_cpu_ = points;
    train_x_ = points.x.to(options_);
    train_weights_ = points.weights.to(options_);
    train_background_ = jet_to(reference_->jet(points.x), options_);
    if (config_.loss.name == MetricLoss::PerelmanF) log_measure_ = log_measure_density(points.x);
  }

  LossValue loss() const {
    const MetricJet g = jet(train_x_, train_background_);
    LossValue value;
    if (config_.loss.name == MetricLoss::Einstein) {
      EinsteinOptions options;
      if (config_.loss.has_lambda) options.lambda = config_.loss.lambda;
      value = einstein_loss(train_weights_, g, backend_, options);
    } else if (config_.loss.name == MetricLoss::RicciNorm) {
      value = ricci_norm_loss(train_weights_, g, backend_);
    } else {
      // Gradient descent on −F ascends Perelman's F (docs/design.md §4).
      value = perelman_f(train_weights_, g, slaved_dilaton(g, log_measure_), backend_);
      value.total = -value.total;
    }
    if (config_.loss.volume_weight > 0.0) {
      value = add_loss(value, volume_penalty(train_weights_, g, volume_target_), config_.loss.volume_weight);
    }
    // The loss and the penalty both report "volume" (the same Vol_g): record each name once.
    std::vector<std::pair<std::string, double>> unique;
    for (const auto& term : value.terms) {
      bool seen = false;
      for (const auto& kept : unique) seen = seen || kept.first == term.first;
      if (!seen) unique.push_back(term);
    }
    value.terms = std::move(unique);
    return value;
  }

  // g, Ric and R at the probe points (detached).
  TrajectoryRecord observe() const {
    const at::NoGradGuard no_grad;
    const CurvatureFields fields = curvature_fields(jet(probe_x_, probe_background_), backend_);
    TrajectoryRecord record;
    record.g = model_metric(probe_x_, probe_background_);
    record.ricci = fields.ricci;
    record.scalar = fields.scalar;
    return record;
  }

  // The network's side of a comparison with a reference flow (ricci_flow_comparison.h), detached: its integrals are
  // taken on the probe points, where observe() takes R.
  NetworkFlowFields comparison_fields() const {
    const at::NoGradGuard no_grad;
    const CurvatureFields fields = curvature_fields(jet(probe_x_, probe_background_), backend_);
    return NetworkFlowFields{model_metric(probe_x_, probe_background_), probe_x_, probe_weights_, fields.scalar,
                             fields.volume_density};
  }

  std::vector<at::Tensor> parameters() const { return model_.parameters(); }
  const NeuralMetric& network() const { return model_; }
  const Sampler& sampler() const { return *sampler_; }
  const PointSet& train_points() const { return train_cpu_; }
  const at::Tensor& probe_x() const { return probe_x_; }
  const at::Tensor& probe_weights() const { return probe_weights_; }

 private:
  // The trained metric: the network composed with the background jet (see experiment.h).
  MetricJet jet(const at::Tensor& x, const MetricJet& background) const {
    const MetricJet net = model_.jet(x);
    if (config_.model.background == MetricBackground::None) return net;
    // conformal: the head with ĝ = I gives e^{2u} I, and (e^{2u} I)·g₀ = e^{2u} g₀ by the Leibniz rule.
    return config_.model.head == MetricHeadKind::Conformal ? jet_matmul(net, background) : jet_sum(background, net);
  }

  at::Tensor model_metric(const at::Tensor& x, const MetricJet& background) const {
    const at::Tensor net = model_.metric(x);
    if (config_.model.background == MetricBackground::None) return net;
    return config_.model.head == MetricHeadKind::Conformal ? at::matmul(net, background.g) : background.g + net;
  }

  // ℓ = log(dμ/dⁿx) of the sampling measure, up to a constant (perelman.h, variant (b)): the uniform torus has a
  // flat density; uniform sphere points and Haar S³ points have the density of the unit round metric.
  ScalarJet2 log_measure_density(const at::Tensor& x) const {
    const std::string& s = config_.manifold.sampler;
    if (s == "torus") return ScalarJet2{};
    const std::unique_ptr<ReferenceMetric> round =
        s == "sphere" ? make_round_sphere(reference_->dim(), 1.0) : make_left_invariant_su2(1.0, 1.0, 1.0);
    const ScalarJet2 l = log_volume_density_jet(jet_to(round->jet(x), options_));
    return l;
  }

  const RealMetricFlowConfig& config_;
  at::TensorOptions options_;
  std::unique_ptr<ReferenceMetric> reference_;
  std::unique_ptr<Sampler> sampler_;
  CurvatureBackend backend_;
  NeuralMetric model_;
  PointSet train_cpu_;
  at::Tensor train_x_, train_weights_, probe_x_, probe_weights_;
  MetricJet train_background_, probe_background_;
  ScalarJet2 log_measure_;
  double volume_target_ = 0.0;
};

TrainerOptions trainer_options(const OptimizerConfig& optimizer, uint64_t seed) {
  TrainerOptions o;
  o.optimizer.kind = optimizer.name;
  o.learning_rate = optimizer.lr;
  o.schedule = optimizer.schedule;
  o.decay_rate = optimizer.decay_rate;
  o.schedule_steps = optimizer.schedule_steps > 0 ? optimizer.schedule_steps : optimizer.steps;
  o.min_learning_rate = optimizer.min_lr;
  o.clip_grad_norm = optimizer.clip;
  o.seed = seed;
  return o;
}

// Trainer state + current training points, written aside and renamed so a kill never leaves half a checkpoint.
void write_checkpoint(const Trainer& trainer, const PointSet& points, const std::string& path) {
  const std::string partial = path + ".partial";
  trainer.save_checkpoint(partial);
  {
    Hdf5File file = Hdf5File::open(partial, Hdf5Mode::read_write);
    file.write_tensor("experiment/train_x", points.x);
    file.write_tensor("experiment/train_weights", points.weights);
    file.write_tensor("experiment/train_chart", points.chart);
  }
  NMFLOW_CHECK(std::rename(partial.c_str(), path.c_str()) == 0, "cannot write checkpoint '", path, "'");
}

void write_attributes(Hdf5File& file, const ExperimentConfig& c, const ExperimentRunOptions& o,
                      const std::string& status) {
  const RealMetricFlowConfig& s = c.sections<RealMetricFlowConfig>();
  file.write_string_attribute("/", "kind", c.kind);
  file.write_string_attribute("/", "manifold", s.manifold.name);
  file.write_string_attribute("/", "sampler", s.manifold.sampler);
  file.write_string_attribute("/", "loss", enum_name(kMetricLossNames, s.loss.name));
  file.write_string_attribute("/", "optimizer", enum_name(kOptimizerKindNames, s.optimizer.name));
  file.write_int_attribute("/", "total_steps", s.optimizer.steps);
  file.write_int_attribute("/", "quick", o.quick ? 1 : 0);
  file.write_string_attribute("/", "status", status);
  file.write_string_attribute("/", "measure", "integral f dV_g ~ mean(weights * f * sqrt(det g)) in chart coordinates");
  write_provenance(file, {o.config_text, static_cast<int64_t>(c.seed), o.device, o.command_line, o.start_time});
}

RunProgress step_progress(const StepRecord& step, int64_t total) {
  return RunProgress{step.step + 1, total, "step",
                     fmt::format("t {:.6g}  loss {:.6e}  |grad| {:.3e}", step.time, step.loss, step.grad_norm), true};
}

std::vector<std::string> summary_lines(const ExperimentSummary& s) {
  std::vector<std::string> lines = {fmt::format("{:<26}{}/{}{}", "steps", s.steps_done, s.total_steps,
                      s.resumed_from > 0 ? fmt::format(" (resumed at {})", s.resumed_from) : ""),
          fmt::format("{:<26}{:.6g}", "flow time t", s.flow_time),
          fmt::format("{:<26}{:.6e} -> {:.6e}", "loss (first -> last)", s.first_loss, s.last_loss),
          fmt::format("{:<26}{:.4e} -> {:.4e}", "R range max-min (probes)", s.scalar_range_initial,
                      s.scalar_range_final),
          fmt::format("{:<26}{:.6g}", "mean R on probes", s.scalar_mean_final),
          fmt::format("{:<26}{}", "records", s.records),
          fmt::format("{:<26}{}", "checkpoint", s.checkpoint)};
  if (s.compare_records > 0) {
    lines.push_back(fmt::format("{:<26}{} records, last at t {:.6g}: max {:.4e}  mean {:.4e}", "deviation from Ricci flow",
                                s.compare_records, s.compare_time, s.compare_deviation_max, s.compare_deviation_mean));
    lines.push_back(fmt::format("{:<26}{:.4e}", "g0 vs Ricci flow (max)", s.compare_drift_max));
    lines.push_back(fmt::format("{:<26}{:.4e}", "W2 of R vs Ricci flow", s.compare_scalar_w2));
    if (s.compare_stopped) {
      lines.push_back(fmt::format("{:<26}stopped: t passed its extinction time {:.6g}", "reference Ricci flow",
                                  s.compare_extinction_time));
    }
  }
  return lines;
}

double value_of(const CompareRecord& record, const std::string& name) {
  for (const auto& [key, value] : record.values) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void note_comparison(ExperimentSummary& summary, const CompareRecord& record, double extinction_time) {
  summary.compare_time = value_of(record, "time");
  summary.compare_deviation_max = value_of(record, "deviation_max");
  summary.compare_deviation_mean = value_of(record, "deviation_mean");
  summary.compare_drift_max = value_of(record, "reference_drift_max");
  summary.compare_scalar_w2 = value_of(record, "scalar_w2");
  summary.compare_stopped = value_of(record, "reference_alive") == 0.0;
  summary.compare_extinction_time = extinction_time;
}

}  // namespace

ExperimentSummary run_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                 const RunHooks& hooks) {
  NMFLOW_CHECK(config.kind == "real_metric_flow", "run_experiment runs kind real_metric_flow, got '", config.kind,
               "' (cy_metric: run_cy_experiment; donaldson: run_donaldson_experiment)");
  const RealMetricFlowConfig& sections = config.sections<RealMetricFlowConfig>();
  RealMetricFlow flow(config, c10::Device(options.device.empty() ? "cpu" : options.device));
  const Trainer::BeforeStepFn resample = [&](int64_t step, at::Generator& generator) {
    const int64_t every = sections.points.resample_every;
    if (every > 0 && step > 0 && step % every == 0) {
      flow.set_train_points(flow.sampler().draw(sections.points.train, generator));
    }
  };
  Trainer trainer(flow.parameters(), [&] { return flow.loss(); }, trainer_options(sections.optimizer, config.seed),
                  resample);
  // Θ_0 before any checkpoint is loaded: the network still holds its initial parameters, which config.seed
  // determines, so a resumed run recomputes the Θ_0 of the original run.
  const NtkRecording ntk(config.recording, flow.network(), flow.probe_x());
  std::optional<RicciFlowComparison> comparison;
  if (sections.compare.ricci_flow) {
    comparison.emplace(sections.compare.reference);
    comparison->check_start(flow.probe_x(), flow.comparison_fields().probe_g);
  }
  const std::string checkpoint = checkpoint_path(options.output);
  ExperimentSummary summary;
  summary.total_steps = sections.optimizer.steps;

  RunLifecycle lifecycle(config, options, checkpoint, "checkpoint",
                         "a run writes one every recording.checkpoint_every steps, at its end and when interrupted");
  std::optional<TrajectoryRecorder> recorder;
  if (lifecycle.resuming()) {
    trainer.load_checkpoint(checkpoint);
    {
      const Hdf5File file = Hdf5File::open(checkpoint);
      flow.set_train_points(PointSet{file.read_tensor("experiment/train_x"), file.read_tensor("experiment/train_weights"),
                                     file.read_tensor("experiment/train_chart"), flow.train_points().measure});
    }
    summary.resumed_from = trainer.steps_done();
    recorder.emplace(TrajectoryRecorder::resume(options.output, trainer.steps_done(), kStaticDatasets));
    if (comparison && recorder->file().exists("compare/step")) {
      // The same sequence of reference steps as the interrupted run took, so its state is bit for bit the same.
      const at::Tensor times = recorder->file().read_tensor("compare/time").flatten();
      const at::Tensor alive = recorder->file().read_tensor("compare/reference_alive").flatten();
      for (int64_t i = 0; i < times.size(0); ++i) {
        if (alive[i].item<double>() == 1.0) comparison->advance_to(times[i].item<double>());
      }
      comparison->write_attributes(recorder->file());
    }
  } else {
    recorder.emplace(TrajectoryRecorder::create(options.output));
    Hdf5File& file = recorder->file();
    file.write_tensor("points/train_x", flow.train_points().x);
    file.write_tensor("points/train_weights", flow.train_points().weights);
    file.write_tensor("points/probe_x", flow.probe_x());
    file.write_tensor("points/probe_weights", flow.probe_weights());
  }
  lifecycle.begin(recorder->file(), [&](Hdf5File& file, const std::string& status) {
    write_attributes(file, config, options, status);
  });

  const auto compare_now = [&](int64_t done) {
    const NetworkFlowFields fields = trainer.guarded([&] { return flow.comparison_fields(); });
    const CompareRecord record = comparison->compare(done, trainer.time(), flow.probe_x(), fields);
    recorder->record_compare(record);
    note_comparison(summary, record, comparison->extinction_time());
  };
  // A failure from here on (a diverged step, an I/O error) leaves the file with status = failed and its message.
  lifecycle.run(recorder->file(), [&] {
    if (!options.resume) {
      Hdf5File& file = recorder->file();
      const TrajectoryRecord initial = trainer.guarded([&] { return flow.observe(); });
      file.write_tensor("initial/g", initial.g);
      file.write_tensor("initial/ricci", initial.ricci);
      file.write_tensor("initial/scalar", initial.scalar);
      if (ntk.due(0, sections.optimizer.steps)) recorder->record_ntk(ntk.measure(flow.network(), 0, 0.0));
      if (comparison) {
        compare_now(0);
        comparison->write_attributes(file);
      }
      file.flush();
    }
    summary.scalar_range_initial = range(trainer.guarded([&] { return flow.observe(); }).scalar);
    summary.first_loss = std::numeric_limits<double>::quiet_NaN();
    summary.last_loss = summary.first_loss;
    const int64_t total = sections.optimizer.steps;
    while (trainer.steps_done() < total) {
      if (hooks.stop()) {
        summary.interrupted = true;
        break;
      }
      const StepRecord step = trainer.step();
      if (std::isnan(summary.first_loss)) summary.first_loss = step.loss;
      summary.last_loss = step.loss;
      const int64_t done = trainer.steps_done();
      if (done % config.recording.every == 0 || done == total) {
        TrajectoryRecord record = trainer.guarded([&] { return flow.observe(); });
        record.steps_done = done;
        record.time = trainer.time();
        record.learning_rate = step.learning_rate;
        record.loss = step.loss;
        record.grad_norm = step.grad_norm;
        record.terms = step.terms;
        recorder->record(record);
      }
      if (ntk.due(done, total)) recorder->record_ntk(ntk.measure(flow.network(), done, trainer.time()));
      if (comparison && (done % sections.compare.every == 0 || done == total)) compare_now(done);
      if (config.recording.checkpoint_every > 0 && done % config.recording.checkpoint_every == 0 && done < total) {
        write_checkpoint(trainer, flow.train_points(), checkpoint);
      }
      hooks.progress(step_progress(step, total));
    }
    write_checkpoint(trainer, flow.train_points(), checkpoint);
    summary.checkpoint = checkpoint;
    summary.steps_done = trainer.steps_done();
    summary.flow_time = trainer.time();
    const TrajectoryRecord final_state = trainer.guarded([&] { return flow.observe(); });
    summary.scalar_range_final = range(final_state.scalar);
    summary.scalar_mean_final = final_state.scalar.mean().item<double>();
    summary.records = recorder->record_count();
    summary.compare_records = recorder->compare_count();
  });
  lifecycle.end(recorder->file(), summary.interrupted);
  return summary;
}


ExperimentKind real_metric_flow_kind() {
  ExperimentKind kind;
  kind.name = "real_metric_flow";
  kind.resumable = true;
  kind.headline = [](const ExperimentConfig& config, const ExperimentRunOptions&) {
    const RealMetricFlowConfig& c = config.sections<RealMetricFlowConfig>();
    return fmt::format("{}, loss {}, optimizer {} x {} steps", c.manifold.name,
                       enum_name(kMetricLossNames, c.loss.name), enum_name(kOptimizerKindNames, c.optimizer.name),
                       c.optimizer.steps);
  };
  kind.run = [](const ExperimentConfig& c, const ExperimentRunOptions& o, const RunHooks& hooks) {
    const ExperimentSummary summary = run_experiment(c, o, hooks);
    RunReport report;
    report.lines = summary_lines(summary);
    report.interrupted = summary.interrupted;
    report.stopped_after = fmt::format("step {}", summary.steps_done);
    return report;
  };
  return kind;
}

}  // namespace nmflow

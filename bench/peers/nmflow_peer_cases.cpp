// nmflow's side of the peer benchmarks (bench/peers/run, docs/BENCHMARKS.md "Peers"). Each case builds its network
// and points, writes them to <out>/<case>.h5 for the peer script to read (so both sides compute the same thing),
// times the nmflow path, and writes the timings and the values to compare to <out>/<case>.nmflow.json.
//   nmflow_peer_cases curvature out=DIR n=3 points=4096 reps=5 chunk=0     3×64 tanh metric → neural_metric_curvature
//   nmflow_peer_cases sampling  out=DIR points=100000 reps=3        line sampler on the Fermat quintic (+ weights)
//   nmflow_peer_cases cy        out=DIR train=10000 validation=10000 epochs=10 batch=1000 lr=1e-3
//   nmflow_peer_cases ntk       out=DIR n=3 points=1024 reps=3 methods=structured,fused
// One intra-op thread unless threads= says otherwise. A benchmark driver, not a test: it never asserts.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "models/benchmark_metric.h"
#include "driver_args.h"
#include "common/error.h"
#include "training/cy_training.h"
#include "geometry/curvature/fused_curvature.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "io/hdf5_file.h"
#include "models/kahler_phi_model.h"
#include "models/neural_metric.h"
#include "models/neural_metric_curvature.h"
#include "ntk/empirical_ntk.h"

namespace {

using Args = nmflow::bench::DriverArgs;

int64_t integer(const Args& args, const std::string& key) { return std::stoll(args.at(key)); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `work` once untimed (warm-up: allocator, thread pool), then `reps` times; returns every rep's seconds.
std::vector<double> time_reps(int64_t reps, const std::function<void()>& work) {
  work();
  std::vector<double> out;
  for (int64_t r = 0; r < reps; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    out.push_back(seconds_since(start));
  }
  return out;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t k = values.size() / 2;
  return values.size() % 2 == 1 ? values[k] : 0.5 * (values[k - 1] + values[k]);
}

// A flat JSON object of numbers, strings and number lists, written in insertion order.
class Json {
 public:
  void number(const std::string& key, double value) {
    std::ostringstream s;
    s.precision(17);
    s << value;
    add(key, s.str());
  }
  void text(const std::string& key, const std::string& value) { add(key, "\"" + value + "\""); }
  void list(const std::string& key, const std::vector<double>& values) {
    std::ostringstream s;
    s.precision(17);
    s << "[";
    for (size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
    s << "]";
    add(key, s.str());
  }
  void write(const std::string& path) const {
    std::ofstream file(path);
    NMFLOW_CHECK(file.good(), "nmflow_peer_cases: cannot write ", path);
    file << "{\n";
    for (size_t i = 0; i < entries_.size(); ++i)
      file << "  " << entries_[i] << (i + 1 < entries_.size() ? ",\n" : "\n");
    file << "}\n";
  }

 private:
  void add(const std::string& key, const std::string& value) { entries_.push_back("\"" + key + "\": " + value); }
  std::vector<std::string> entries_;
};

// The peer rebuilds the network from W_l, b_l and the per-layer scales: z_l = s_w,l W_l h + s_b,l b_l.
void write_mlp(nmflow::Hdf5File& file, const std::string& group, const nmflow::Mlp& mlp) {
  std::vector<double> scales;
  const auto& layers = mlp.layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    file.write_tensor(group + "/W" + std::to_string(l), layers[l].weight.detach());
    file.write_tensor(group + "/b" + std::to_string(l), layers[l].bias.detach());
    scales.push_back(layers[l].weight_scale);
    scales.push_back(layers[l].bias_scale);
  }
  file.write_tensor(group + "/scales", at::tensor(scales, at::kDouble).view({static_cast<int64_t>(layers.size()), 2}));
}

// 3×64 tanh trunk, NTK parameterisation, symmetric head g = I + P(f): the network of the curvature and NTK cases.
void curvature_case(const Args& args) {
  const int64_t n = integer(args, "n");
  const int64_t points = integer(args, "points");
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(n);
  at::manual_seed(0);
  const at::Tensor x = 0.5 * at::randn({points, n}, at::kDouble);
  at::NoGradGuard no_grad;
  nmflow::MetricJet jet = metric.jet(x);
  const nmflow::FusedCurvature curvature = nmflow::fused_curvature(jet);
  const std::string stem = args.at("out") + "/curvature_n" + std::to_string(n);
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(stem + ".h5");
    file.write_tensor("x", x);
    write_mlp(file, "mlp", metric.trunk());
    file.write_tensor("ricci", curvature.ricci);
    file.write_tensor("scalar", curvature.scalar);
  }
  const int64_t reps = integer(args, "reps");
  // The library's evaluation path: neural_metric_curvature, chunk points at a time (0: its default, about 2 MB of
  // jet per chunk). The same jet + fused_curvature on the whole batch at once is timed too: its [B, n, n, n, n] ∂²g
  // is written and read back cold.
  const int64_t chunk = integer(args, "chunk");
  const std::vector<double> total = time_reps(reps, [&] { nmflow::neural_metric_curvature(metric, x, chunk); });
  const std::vector<double> whole = time_reps(reps, [&] { nmflow::fused_curvature(metric.jet(x)); });
  const std::vector<double> jet_only = time_reps(reps, [&] { jet = metric.jet(x); });
  const std::vector<double> fused_only = time_reps(reps, [&] { nmflow::fused_curvature(jet); });
  Json json;
  json.text("case", "curvature");
  json.text("path",
            "neural_metric_curvature: NeuralMetric::jet (mlp_taylor_jet order 2 + symmetric head) + fused_curvature, "
            "chunk by chunk");
  json.number("n", static_cast<double>(n));
  json.number("points", static_cast<double>(points));
  json.number("threads", at::get_num_threads());
  json.list("seconds", total);
  json.number("seconds_median", median(total));
  json.number("jet_seconds_median", median(jet_only));
  json.number("fused_seconds_median", median(fused_only));
  json.number("points_per_second", static_cast<double>(points) / median(total));
  json.number("chunk", static_cast<double>(chunk == 0 ? nmflow::default_curvature_chunk(n) : chunk));
  json.number("whole_batch_seconds_median", median(whole));
  json.write(stem + ".nmflow.json");
}

void sampling_case(const Args& args) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  nmflow::LineSamplerOptions options;
  options.n_points = integer(args, "points");
  const int64_t reps = integer(args, "reps");
  uint64_t seed = 100;
  at::NoGradGuard no_grad;
  nmflow::CYPointSet last;
  const std::vector<double> full = time_reps(reps, [&] {
    options.seed = seed++;
    last = nmflow::sample_cy_points(quintic, options);
  });
  const std::vector<double> raw = time_reps(reps, [&] {
    options.seed = seed++;
    nmflow::sample_line_intersections(quintic, options);
  });
  const nmflow::CYAccuracy fs = nmflow::cy_accuracy(last.weights, last.omega_sq, last.det_g_fs);
  Json json;
  json.text("case", "sampling");
  json.text("path",
            "sample_cy_points (line sampler + patches, pullbacks, g_FS, weights); raw = sample_line_intersections");
  json.number("points", static_cast<double>(options.n_points));
  json.number("threads", at::get_num_threads());
  json.list("seconds", full);
  json.number("points_per_second", static_cast<double>(options.n_points) / median(full));
  json.number("raw_points_per_second", static_cast<double>(options.n_points) / median(raw));
  json.number("sigma_fs", fs.sigma);
  json.write(args.at("out") + "/sampling.nmflow.json");
}

void write_points(nmflow::Hdf5File& file, const std::string& group, const nmflow::CYPointSet& points) {
  file.write_tensor(group + "/z", points.z);
  file.write_tensor(group + "/weights", points.weights);
  file.write_tensor(group + "/omega_sq", points.omega_sq);
}

// η = det g/|Ω|² of the model at every point (chart-independent, so the peer's patch choice does not matter).
at::Tensor eta(const nmflow::KahlerPhiModel& model, const nmflow::CYPointSet& points) {
  at::NoGradGuard no_grad;
  const at::Tensor input_jet = nmflow::phi_input_jet(nmflow::PhiInputs::Invariant, points, at::kDouble);
  return nmflow::phi_model_det(model, points, input_jet, nmflow::PhiJetMethod::WirtingerJet) / points.omega_sq;
}

void cy_case(const Args& args) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet train = nmflow::sample_cy_points(quintic, integer(args, "train"), 1000);
  const nmflow::CYPointSet validation = nmflow::sample_cy_points(quintic, integer(args, "validation"), 2000);
  nmflow::KahlerPhiModelConfig config;  // 3×64 gelu, invariant inputs u_IJ, output layer zeroed (φ ≡ 0 at start)
  config.seed = 0;
  nmflow::KahlerPhiModel model(config, quintic.n_coords());
  const std::string stem = args.at("out") + "/cy";
  nmflow::Hdf5File file = nmflow::Hdf5File::create(stem + ".h5");
  write_points(file, "train", train);
  write_points(file, "validation", validation);
  write_mlp(file, "initial", model.mlp());

  nmflow::CYTrainingOptions options;
  options.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
  options.trainer.learning_rate = std::stod(args.at("lr"));
  options.epochs = integer(args, "epochs");
  options.batch_size = integer(args, "batch");
  options.trainer.seed = static_cast<uint64_t>(integer(args, "shuffle_seed"));  // minibatch order
  options.eval_every = options.epochs;
  options.method = nmflow::PhiJetMethod::WirtingerJet;
  // The peer's loss: weighted_MAPE with κ renormalised on each batch (MLGeometry's compute_loss) — the same
  // objective on both sides, so σ after the same epochs compares the trainers, not the losses.
  options.weighting = nmflow::MongeAmpereWeighting::Weighted;
  options.kappa = nmflow::MongeAmpereKappa::Batch;
  const std::vector<nmflow::CYEpochRecord> records = nmflow::train_phi_model(model, train, validation, options);
  const nmflow::CYEpochRecord& last = records.back();
  write_mlp(file, "final", model.mlp());
  file.write_tensor("validation/eta_final", eta(model, validation));
  // σ after the same epochs depends on the minibatch order as much as on the trainer: the same run from the same
  // initial weights with more shuffle seeds, so that both sides' σ compare as means over seeds (case_cy.py does
  // the same on the peer's side).
  std::vector<double> sigma_by_seed{last.sigma};
  for (const std::string& seed : nmflow::bench::split_commas(args.at("sigma_seeds"))) {
    if (seed.empty()) continue;
    nmflow::KahlerPhiModel fresh(config, quintic.n_coords());
    nmflow::CYTrainingOptions seeded = options;
    seeded.trainer.seed = static_cast<uint64_t>(std::stoll(seed));
    sigma_by_seed.push_back(nmflow::train_phi_model(fresh, train, validation, seeded).back().sigma);
  }

  Json json;
  json.text("case", "cy");
  json.text(
      "path",
      "train_phi_model: Adam, Monge–Ampère (weighted, per-batch κ), wirtinger_jet ∂∂̄φ, invariant inputs, 3×64 gelu");
  json.number("train", static_cast<double>(train.size()));
  json.number("validation", static_cast<double>(validation.size()));
  json.number("epochs", static_cast<double>(options.epochs));
  json.number("batch", static_cast<double>(options.batch_size));
  json.number("lr", options.trainer.learning_rate);
  json.number("threads", at::get_num_threads());
  json.number("train_seconds", last.wall_seconds);
  json.number("seconds_per_epoch", last.wall_seconds / static_cast<double>(options.epochs));
  json.number("sigma_initial", records.front().sigma);
  json.number("sigma_final", last.sigma);
  json.number("train_loss_last_epoch", last.train_loss);
  json.text("sigma_seeds",
            args.at("shuffle_seed") + (args.at("sigma_seeds").empty() ? "" : "," + args.at("sigma_seeds")));
  json.list("sigma_final_by_seed", sigma_by_seed);
  json.write(stem + ".nmflow.json");
}

void ntk_case(const Args& args) {
  const int64_t n = integer(args, "n");
  const int64_t points = integer(args, "points");
  const int64_t compare_points = std::min<int64_t>(points, integer(args, "compare_points"));
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(n, {64, 64, 64}, 3);
  at::manual_seed(1);
  const at::Tensor x = at::randn({points, n}, at::kDouble);
  const std::string stem = args.at("out") + "/ntk";
  Json json;
  json.text("case", "ntk");
  json.number("n", static_cast<double>(n));
  json.number("points", static_cast<double>(points));
  json.number("threads", at::get_num_threads());
  std::string best;
  double best_seconds = 0.0;
  at::Tensor theta;
  for (const std::string& name : nmflow::bench::split_commas(args.at("methods"))) {
    const nmflow::NtkMethod method = nmflow::parse_ntk_method(name);
    const std::vector<double> seconds =
        time_reps(integer(args, "reps"), [&] { theta = nmflow::empirical_metric_ntk(metric, x, x, method); });
    json.number("seconds_" + name, median(seconds));
    if (best.empty() || median(seconds) < best_seconds) {
      best = name;
      best_seconds = median(seconds);
    }
  }
  json.text("best_method", best);
  json.number("seconds_best", best_seconds);
  // Θ(x, x) [B·p, B·p] by the last method: the rows of the first compare_points points go to the peer.
  const int64_t p = n * (n + 1) / 2;
  nmflow::Hdf5File file = nmflow::Hdf5File::create(stem + ".h5");
  file.write_tensor("x", x);
  write_mlp(file, "mlp", metric.trunk());
  file.write_tensor("theta_rows", theta.narrow(0, 0, compare_points * p).contiguous());
  json.number("compare_points", static_cast<double>(compare_points));
  json.write(stem + ".nmflow.json");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    NMFLOW_CHECK(argc >= 2, "usage: nmflow_peer_cases curvature|sampling|cy|ntk key=value…");
    const std::string which = argv[1];
    const Args common{{"out", "."}, {"threads", "1"}, {"reps", "3"}};
    const auto with = [&](Args extra) {
      extra.insert(common.begin(), common.end());
      return nmflow::bench::parse_driver_args("nmflow_peer_cases " + which, 2, argc, argv, extra);
    };
    Args args;
    if (which == "curvature") {
      args = with({{"n", "3"}, {"points", "4096"}, {"chunk", "0"}});
    } else if (which == "sampling") {
      args = with({{"points", "100000"}});
    } else if (which == "cy") {
      args = with({{"train", "10000"},
                   {"validation", "10000"},
                   {"epochs", "10"},
                   {"batch", "1000"},
                   {"lr", "1e-3"},
                   {"shuffle_seed", "0"},
                   {"sigma_seeds", ""}});
    } else if (which == "ntk") {
      args = with({{"n", "3"}, {"points", "1024"}, {"methods", "structured,fused"}, {"compare_points", "64"}});
    } else {
      NMFLOW_CHECK(false, "nmflow_peer_cases: unknown case '", which, "'; allowed: curvature, sampling, cy, ntk");
    }
    at::set_num_threads(static_cast<int>(integer(args, "threads")));
    if (which == "curvature") curvature_case(args);
    if (which == "sampling") sampling_case(args);
    if (which == "cy") cy_case(args);
    if (which == "ntk") ntk_case(args);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nmflow_peer_cases: %s\n", error.what());
    return 1;
  }
  return 0;
}

// Driver of the Calabi–Yau accuracy runs (docs/cy_training.md): samples train and held-out points on a CY
// hypersurface, trains the φ-model with minibatch Adam on the Monge–Ampère loss, and prints σ against wall and CPU
// time after every evaluation. With curvature=N > 0 it then samples N fresh held-out points and prints, for the
// Fubini–Study metric and for the trained model, σ, the Ricci measure, max/mean |R_K| and the Chern–Gauss–Bonnet χ
// (cy_curvature_measures) with the time taken. Arguments are key=value pairs (defaults in `Args`), e.g.
//   cy_training_run surface=fermat_quintic train=50000 validation=10000 epochs=200 batch=2000 lr=1e-3 minutes=30
//   cy_training_run surface=fermat_cubic train=20000 epochs=50 curvature=4000
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>
#include <string>

#include "common/error.h"
#include "driver_args.h"
#include "training/cy_training.h"
#include "geometry/kahler/cy_curvature.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"

namespace {

using Args = nmflow::bench::DriverArgs;

Args parse(int argc, char** argv) {
  return nmflow::bench::parse_driver_args("cy_training_run", 1, argc, argv,
                                          {{"surface", "fermat_quintic"},
                                           {"train", "50000"},
                                           {"validation", "10000"},
                                           {"hidden", "64,64,64"},
                                           {"activation", "gelu"},
                                           {"inputs", "invariant"},
                                           {"epochs", "100"},
                                           {"batch", "2000"},
                                           {"lr", "1e-3"},
                                           {"min_lr", "1e-4"},
                                           {"schedule", "cosine"},
                                           {"weighting", "weighted"},
                                           {"method", "wirtinger_jet"},
                                           {"dtype", "float64"},
                                           {"minutes", "0"},
                                           {"eval_every", "1"},
                                           {"seed", "0"},
                                           {"threads", "0"},
                                           {"curvature", "0"},
                                           {"curvature_chunk", "64"}});
}

// σ and the curvature measures of one metric (model == nullptr: Fubini–Study) on held-out points, with timing.
void print_curvature(const char* label, const nmflow::Hypersurface& surface, const nmflow::CYPointSet& points,
                     const nmflow::KahlerPhiModel* model, int64_t chunk) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const nmflow::CYCurvatureMeasures r = nmflow::cy_curvature_measures(
      surface, points, model != nullptr ? nmflow::phi_model_potential(*model) : nmflow::KahlerPotential{}, chunk);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const at::Tensor det_g =
      model == nullptr
          ? points.det_g_fs
          : nmflow::phi_model_det(*model, points,
                                  nmflow::phi_input_jet(model->config().inputs, points, model->config().dtype),
                                  nmflow::PhiJetMethod::WirtingerJet);
  const nmflow::CYAccuracy acc = nmflow::cy_accuracy(points.weights, points.omega_sq, det_g.detach());
  std::printf("%s %lld %.6f %.6f %.4f %.4f %.3f %.3f %.1f %.1f\n", label, static_cast<long long>(points.size()),
              acc.sigma, r.ricci_measure, r.max_abs_ricci_scalar, r.mean_abs_ricci_scalar, r.euler_characteristic,
              r.euler_standard_error, wall, cpu);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse(argc, argv);
    if (std::stoi(args["threads"]) > 0) at::set_num_threads(std::stoi(args["threads"]));
    const nmflow::Hypersurface surface = nmflow::make_hypersurface(args["surface"]);
    const uint64_t seed = std::stoull(args["seed"]);
    const nmflow::CYPointSet train = nmflow::sample_cy_points(surface, std::stoll(args["train"]), 1000 + seed);
    const nmflow::CYPointSet validation =
        nmflow::sample_cy_points(surface, std::stoll(args["validation"]), 2000 + seed);

    nmflow::KahlerPhiModelConfig config;
    config.inputs = nmflow::parse_phi_inputs(args["inputs"]);
    config.hidden = nmflow::bench::int_list(args["hidden"]);
    config.activation = nmflow::parse_activation(args["activation"]);
    config.seed = seed;
    NMFLOW_CHECK(args["dtype"] == "float64" || args["dtype"] == "float32", "dtype must be float64 or float32");
    config.dtype = args["dtype"] == "float64" ? at::kDouble : at::kFloat;
    nmflow::KahlerPhiModel model(config, surface.n_coords());

    nmflow::CYTrainingOptions options;
    options.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
    options.trainer.learning_rate = std::stod(args["lr"]);
    options.trainer.schedule = nmflow::parse_learning_rate_schedule(args["schedule"]);
    options.epochs = std::stoll(args["epochs"]);
    options.batch_size = std::stoll(args["batch"]);
    const int64_t steps = options.epochs * (train.size() / options.batch_size);
    options.trainer.schedule_steps = steps;
    options.trainer.min_learning_rate = std::stod(args["min_lr"]);
    options.trainer.decay_rate =
        std::pow(options.trainer.min_learning_rate / options.trainer.learning_rate, 1.0 / static_cast<double>(steps));
    options.weighting = nmflow::parse_monge_ampere_weighting(args["weighting"]);
    options.method = nmflow::parse_phi_jet_method(args["method"]);
    options.eval_every = std::stoll(args["eval_every"]);
    options.max_wall_seconds = 60.0 * std::stod(args["minutes"]);

    std::printf("# %s train=%lld validation=%lld threads=%d", surface.name().c_str(),
                static_cast<long long>(train.size()), static_cast<long long>(validation.size()), at::get_num_threads());
    for (const auto& [key, value] : args) std::printf(" %s=%s", key.c_str(), value.c_str());
    std::printf("\n# epoch steps wall_s cpu_s train_loss sigma_val kappa_val\n");
    std::fflush(stdout);
    nmflow::train_phi_model(model, train, validation, options, [](const nmflow::CYEpochRecord& r) {
      std::printf("%lld %lld %.2f %.2f %.6f %.6f %.6f\n", static_cast<long long>(r.epoch),
                  static_cast<long long>(r.steps), r.wall_seconds, r.cpu_seconds, r.train_loss, r.sigma, r.kappa);
      std::fflush(stdout);
    });
    const int64_t curvature_points = std::stoll(args["curvature"]);
    if (curvature_points > 0) {
      const nmflow::CYPointSet held_out = nmflow::sample_cy_points(surface, curvature_points, 3000 + seed);
      const int64_t chunk = std::stoll(args["curvature_chunk"]);
      std::printf(
          "# curvature on held-out points: metric points sigma ricci_measure max|R_K| mean|R_K| chi chi_se "
          "wall_s cpu_s\n");
      print_curvature("fubini_study", surface, held_out, nullptr, chunk);
      print_curvature("trained", surface, held_out, &model, chunk);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cy_training_run: %s\n", error.what());
    return 1;
  }
  return 0;
}

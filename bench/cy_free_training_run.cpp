// Driver of the free CY metric runs (docs/cy_training.md, "Free metric models"): samples train and held-out points
// (the seeds of cy_training_run, so both drivers see the same points), trains a free / additive / multiplicative
// model with L = L_MA + α_K L_K + α_T L_T, and prints σ, L_K and L_T against wall and CPU time. Arguments are
// key=value pairs (defaults in `parse`), e.g.
//   cy_free_training_run head=multiplicative train=20000 validation=5000 epochs=30 batch=1000 minutes=5
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "driver_args.h"
#include "training/cy_free_training.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/free_cy_metric.h"

namespace {

using Args = nmflow::bench::DriverArgs;

Args parse(int argc, char** argv) {
  return nmflow::bench::parse_driver_args("cy_free_training_run", 1, argc, argv,
                                          {{"surface", "fermat_quintic"},
                                           {"train", "20000"},
                                           {"validation", "5000"},
                                           {"head", "multiplicative"},
                                           {"inputs", "invariant"},
                                           {"hidden", "64,64,64"},
                                           {"activation", "gelu"},
                                           {"epochs", "30"},
                                           {"batch", "1000"},
                                           {"lr", "5e-3"},
                                           {"min_lr", "1e-5"},
                                           {"schedule", "cosine"},
                                           {"weighting", "weighted"},
                                           {"alpha_kahler", "1"},
                                           {"alpha_transition", "1"},
                                           {"minutes", "0"},
                                           {"eval_every", "1"},
                                           {"seed", "0"},
                                           {"threads", "1"}});
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse(argc, argv);
    if (std::stoi(args["threads"]) > 0) at::set_num_threads(std::stoi(args["threads"]));
    const nmflow::Hypersurface surface = nmflow::make_hypersurface(args["surface"]);
    const uint64_t seed = std::stoull(args["seed"]);
    const nmflow::CYPointSet train_points = nmflow::sample_cy_points(surface, std::stoll(args["train"]), 1000 + seed);
    const nmflow::CYPointSet validation_points =
        nmflow::sample_cy_points(surface, std::stoll(args["validation"]), 2000 + seed);

    nmflow::FreeCYMetricConfig config;
    config.head = nmflow::parse_free_metric_head(args["head"]);
    config.inputs = nmflow::parse_phi_inputs(args["inputs"]);
    config.hidden = nmflow::bench::int_list(args["hidden"]);
    config.activation = nmflow::parse_activation(args["activation"]);
    config.seed = seed;
    nmflow::FreeCYMetric model(config, surface.n_coords());
    const nmflow::FreeMetricData train =
        nmflow::prepare_free_metric_data(surface, train_points, config.inputs, config.dtype);
    const nmflow::FreeMetricData validation =
        nmflow::prepare_free_metric_data(surface, validation_points, config.inputs, config.dtype);

    nmflow::FreeCYTrainingOptions options;
    options.cy.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
    options.cy.trainer.learning_rate = std::stod(args["lr"]);
    options.cy.trainer.schedule = nmflow::parse_learning_rate_schedule(args["schedule"]);
    options.cy.epochs = std::stoll(args["epochs"]);
    options.cy.batch_size = std::stoll(args["batch"]);
    const int64_t steps = options.cy.epochs * (train.size() / options.cy.batch_size);
    options.cy.trainer.schedule_steps = steps;
    options.cy.trainer.min_learning_rate = std::stod(args["min_lr"]);
    options.cy.trainer.decay_rate = std::pow(options.cy.trainer.min_learning_rate / options.cy.trainer.learning_rate,
                                             1.0 / static_cast<double>(steps));
    options.cy.weighting = nmflow::parse_monge_ampere_weighting(args["weighting"]);
    options.cy.eval_every = std::stoll(args["eval_every"]);
    options.cy.max_wall_seconds = 60.0 * std::stod(args["minutes"]);
    options.alpha_kahler = std::stod(args["alpha_kahler"]);
    options.alpha_transition = std::stod(args["alpha_transition"]);

    std::printf("# %s train=%lld validation=%lld threads=%d", surface.name().c_str(),
                static_cast<long long>(train.size()), static_cast<long long>(validation.size()), at::get_num_threads());
    for (const auto& [key, value] : args) std::printf(" %s=%s", key.c_str(), value.c_str());
    // Scales to read L_K and L_T against: the same sums with the residual replaced by the FS quantity itself.
    const double m2 = static_cast<double>(surface.dim() * surface.dim());
    std::printf("\n# FS scales (validation): mean sum|dg_FS|^2 = %.4e, mean sum|g_FS|^2/m^2 = %.4e",
                at::view_as_real(validation.dg_fs).square().sum().item<double>() / validation.size(),
                at::view_as_real(validation.g_fs).square().sum().item<double>() / validation.size() / m2);
    std::printf("\n# epoch steps wall_s cpu_s train_loss sigma_val kappa_val kahler_val transition_val\n");
    std::fflush(stdout);
    nmflow::train_free_metric(model, train, validation, nmflow::fubini_study_kappa(train_points), options,
                              [](const nmflow::FreeCYEpochRecord& r) {
                                std::printf("%lld %lld %.2f %.2f %.6f %.6f %.6f %.3e %.3e\n",
                                            static_cast<long long>(r.cy.epoch), static_cast<long long>(r.cy.steps),
                                            r.cy.wall_seconds, r.cy.cpu_seconds, r.cy.train_loss, r.cy.sigma,
                                            r.cy.kappa, r.kahler, r.transition);
                                std::fflush(stdout);
                              });
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cy_free_training_run: %s\n", error.what());
    return 1;
  }
  return 0;
}

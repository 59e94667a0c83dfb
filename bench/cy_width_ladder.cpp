// Driver of the Halverson–Ruehle width ladder (docs/ntk_width_ladder.md; src/experiments/cy_width_ladder.h): samples
// train, held-out and probe points on a CY hypersurface, trains φ-models of each width in each regime, prints a
// table (σ_FS, σ reached, metric-NTK and η-NTK drift, weight drift, time) and writes everything to one HDF5 file
// with provenance. Arguments are key=value pairs (defaults in `Args`), e.g.
//   cy_width_ladder surface=k3_quartic train=4000 validation=4000 probes=32 widths=16,64,256,1024 epochs=20
//       regimes=adam,sgd,linearised_adam seeds=0,1 out=width_ladder.h5
#include "experiments/cy_width_ladder.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "driver_args.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "io/hdf5_file.h"
#include "io/provenance.h"

namespace {

using Args = nmflow::bench::DriverArgs;

Args parse(int argc, char** argv) {
  return nmflow::bench::parse_driver_args("cy_width_ladder", 1, argc, argv,
                                          {{"surface", "k3_quartic"},
                                           {"train", "4000"},
                                           {"validation", "4000"},
                                           {"probes", "32"},
                                           {"widths", "16,64,256,1024"},
                                           {"depth", "1"},
                                           {"seeds", "0"},
                                           {"init", "centred"},
                                           {"regimes", "adam,sgd,linearised_adam"},
                                           {"activation", "gelu"},
                                           {"sigma_w", "1.0"},
                                           {"sigma_b", "0.1"},
                                           {"adam_lr", "1e-3"},
                                           {"sgd_lr", "0.05"},
                                           {"schedule", "constant"},
                                           {"min_lr_fraction", "0"},
                                           {"epochs", "20"},
                                           {"batch", "500"},
                                           {"eval_every", "5"},
                                           {"point_seed", "0"},
                                           {"threads", "1"},
                                           {"out", "width_ladder.h5"}});
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto start_time = std::chrono::system_clock::now();
    Args args = parse(argc, argv);
    if (std::stoi(args["threads"]) > 0) at::set_num_threads(std::stoi(args["threads"]));
    const nmflow::Hypersurface surface = nmflow::make_hypersurface(args["surface"]);
    const uint64_t point_seed = std::stoull(args["point_seed"]);
    const nmflow::CYPointSet train = nmflow::sample_cy_points(surface, std::stoll(args["train"]), 1000 + point_seed);
    const nmflow::CYPointSet validation =
        nmflow::sample_cy_points(surface, std::stoll(args["validation"]), 2000 + point_seed);
    const nmflow::CYPointSet probes = nmflow::sample_cy_points(surface, std::stoll(args["probes"]), 3000 + point_seed);

    nmflow::CYWidthLadderOptions options;
    options.widths.clear();
    for (const std::string& w : nmflow::bench::split_commas(args["widths"])) options.widths.push_back(std::stoll(w));
    options.depth = std::stoll(args["depth"]);
    options.seeds.clear();
    for (const std::string& s : nmflow::bench::split_commas(args["seeds"])) options.seeds.push_back(std::stoull(s));
    options.regimes.clear();
    for (const std::string& r : nmflow::bench::split_commas(args["regimes"]))
      options.regimes.push_back(nmflow::parse_ladder_regime(r));
    options.init = nmflow::parse_ladder_init(args["init"]);
    options.activation = nmflow::parse_activation(args["activation"]);
    options.sigma_w = std::stod(args["sigma_w"]);
    options.sigma_b = std::stod(args["sigma_b"]);
    options.adam_learning_rate = std::stod(args["adam_lr"]);
    options.sgd_learning_rate = std::stod(args["sgd_lr"]);
    options.schedule = nmflow::parse_learning_rate_schedule(args["schedule"]);
    options.min_learning_rate_fraction = std::stod(args["min_lr_fraction"]);
    options.epochs = std::stoll(args["epochs"]);
    options.batch_size = std::stoll(args["batch"]);
    options.eval_every = std::stoll(args["eval_every"]);

    std::string config_text;
    std::string command_line = argv[0];
    for (const auto& [key, value] : args) config_text += key + ": " + value + "\n";
    for (int i = 1; i < argc; ++i) command_line += std::string(" '") + argv[i] + "'";
    std::printf("# %s train=%lld validation=%lld probes=%lld threads=%d init=%s depth=%lld\n", surface.name().c_str(),
                static_cast<long long>(train.size()), static_cast<long long>(validation.size()),
                static_cast<long long>(probes.size()), at::get_num_threads(), args["init"].c_str(),
                static_cast<long long>(options.depth));
    std::printf("# %6s %4s %-16s %8s %9s %9s %9s %9s %9s %9s %8s %8s\n", "width", "seed", "regime", "params",
                "sigma_FS", "sigma_end", "sigma_min", "ntk_drift", "eta_drift", "w_drift", "cpu_s", "ntk_s");
    std::fflush(stdout);
    // The file is rewritten after every run, so an interrupted ladder keeps what it finished.
    std::vector<nmflow::CYLadderRun> done;
    const auto write_file = [&]() {
      nmflow::Hdf5File file = nmflow::Hdf5File::create(args["out"]);
      file.write_string_attribute("/", "kind", "cy_width_ladder");
      file.write_string_attribute("/", "surface", surface.name());
      file.write_int_attribute("/", "train_points", train.size());
      file.write_int_attribute("/", "validation_points", validation.size());
      file.write_int_attribute("/", "probe_points", probes.size());
      nmflow::write_cy_width_ladder(file, options, done);
      nmflow::write_provenance(file, {config_text, static_cast<int64_t>(point_seed), "cpu", command_line, start_time});
    };
    nmflow::run_cy_width_ladder(train, validation, probes, options, [&](const nmflow::CYLadderRun& run) {
      double sigma_min = run.records.front().sigma;
      for (const auto& r : run.records) sigma_min = std::min(sigma_min, r.sigma);
      std::printf("  %6lld %4llu %-16s %8lld %9.5f %9.5f %9.5f %9.4f %9.4f %9.4f %8.1f %8.1f\n",
                  static_cast<long long>(run.width), static_cast<unsigned long long>(run.seed),
                  nmflow::ladder_regime_name(run.regime).c_str(), static_cast<long long>(run.parameters),
                  run.records.front().sigma, run.records.back().sigma, sigma_min, run.ntk_drift.back(),
                  run.eta_ntk_drift.back(), run.weight_drift, run.records.back().cpu_seconds, run.ntk_seconds);
      std::fflush(stdout);
      done.push_back(run);
      write_file();
    });
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cy_width_ladder: %s\n", error.what());
    return 1;
  }
  return 0;
}

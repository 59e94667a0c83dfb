// The donaldson kind's run lifecycle: a stopped run resumed with --resume writes what an uninterrupted run writes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "experiments/donaldson_experiment.h"
#include "io/config_yaml.h"
#include "support/run_files.h"

namespace nmflow {
namespace {

constexpr const char* kTinyDonaldson =
    "kind: donaldson\nseed: 3\nvariety: {name: fermat_cubic}\npoints: {train: 1500, validation: 300}\n"
    "donaldson: {k: [1, 2, 3], iterations: 3}\n";

ExperimentRunOptions options_for(const std::string& path) {
  ExperimentRunOptions options;
  options.output = path;
  options.config_text = kTinyDonaldson;
  options.device = "cpu";
  return options;
}

}  // namespace

TEST_CASE("A donaldson run stopped after one degree and resumed equals an uninterrupted run", "[experiments]") {
  const ExperimentConfig config = load_config(kTinyDonaldson, "tiny.yaml").config;
  const std::string straight = "donaldson_test_straight.h5", resumed = "donaldson_test_resumed.h5";
  CHECK(run_donaldson_experiment(config, options_for(straight)).degrees.size() == 3);
  RunHooks hooks;
  int64_t degrees = 0;
  hooks.on_progress = [&](const RunProgress& p) { degrees = p.done; };
  hooks.stop_requested = [&] { return degrees >= 1; };
  const DonaldsonSummary first = run_donaldson_experiment(config, options_for(resumed), hooks);
  CHECK(first.interrupted);
  CHECK(first.degrees.size() == 1);
  CHECK(Hdf5File::open(resumed).read_string_attribute("/", "status") == "interrupted");
  ExperimentRunOptions options = options_for(resumed);
  options.resume = true;
  const DonaldsonSummary second = run_donaldson_experiment(config, options);
  CHECK(second.resumed_degrees == 1);
  CHECK(second.degrees.size() == 3);
  CHECK(test::check_same_datasets(straight, resumed) == 6);
  CHECK(Hdf5File::open(resumed).read_string_attribute("/", "status") == "complete");
  // A resumed run needs its run file, and one whose degrees donaldson.k lists.
  ExperimentRunOptions missing = options_for("donaldson_test_missing.h5");
  missing.resume = true;
  CHECK_THROWS_WITH(run_donaldson_experiment(config, missing),
                    Catch::Contains("--resume: no run file 'donaldson_test_missing.h5'"));
  for (const std::string& path : {straight, resumed}) std::remove(path.c_str());
}

}  // namespace nmflow

// The registry of experiment kinds (experiments/experiment_registry.h) against the kinds io validates.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/experiment_registry.h"
#include "io/config_yaml_kinds.h"

namespace nmflow {

TEST_CASE("Every kind the config reader accepts has a runner in the registry, and no other", "[experiments]") {
  std::vector<std::string> registered;
  for (const ExperimentKind& kind : experiment_registry()) {
    registered.push_back(kind.name);
    CHECK(kind.headline);
    CHECK(kind.run);
  }
  CHECK(registered == experiment_kinds());
}

TEST_CASE("An unknown kind name is refused with the registered kinds listed", "[experiments]") {
  CHECK(&find_experiment_kind("cy_metric") == &experiment_registry()[1]);
  CHECK_THROWS_WITH(find_experiment_kind("ricci"),
                    Catch::Contains("unknown experiment kind 'ricci'") && Catch::Contains("real_metric_flow") &&
                        Catch::Contains("donaldson"));
}

}  // namespace nmflow

#include "experiments/experiment_registry.h"

#include "common/error.h"
#include "experiments/cy_experiment.h"
#include "experiments/cy_free_experiment.h"
#include "experiments/cy_width_ladder_experiment.h"
#include "experiments/donaldson_experiment.h"
#include "experiments/experiment.h"
#include "experiments/local_ricci_experiment.h"
#include "experiments/ricci_flow_experiment.h"

namespace nmflow {

const std::vector<ExperimentKind>& experiment_registry() {
  static const std::vector<ExperimentKind> kinds = {real_metric_flow_kind(), cy_metric_kind(), donaldson_kind(),
                                                    cy_free_metric_kind(),
                                                    cy_width_ladder_kind(),
                                                    local_ricci_check_kind(), ricci_flow_kind()};
  return kinds;
}

const ExperimentKind& find_experiment_kind(const std::string& name) {
  std::string names;
  for (const ExperimentKind& kind : experiment_registry()) {
    if (kind.name == name) return kind;
    names += (names.empty() ? "" : ", ") + kind.name;
  }
  throw Error("unknown experiment kind '" + name + "'; allowed: " + names);
}

}  // namespace nmflow

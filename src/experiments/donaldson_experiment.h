#pragma once
// The `donaldson` kind of `nmflow run` (docs/config.md "Calabi–Yau kinds", docs/hdf5.md "Calabi–Yau runs"):
// Donaldson's balanced metric for each degree k of donaldson.k, balanced on the training points
// (geometry/kahler/donaldson.h) and judged by σ on the validation points; one /donaldson record per k, appended
// and flushed as it is made. CPU only. Each k starts from h = I, so the run file is its own checkpoint: --resume keeps
// the degrees it holds and balances the others, giving the file an uninterrupted run writes (times aside).
// Progress: one RunProgress per degree; stop_requested is checked before each degree.
#include <cstdint>
#include <vector>

#include "experiments/experiment.h"
#include "io/config_schema.h"

namespace nmflow {

struct DonaldsonRecord {
  int64_t k = 0;
  int64_t sections = 0;     // N_k, the dimension of the monomial basis of H⁰(X, O(k))
  int64_t iterations = 0;   // T-operator updates done
  double residual = 0.0;    // balance residual ‖T hᵀ − I‖_F/√N_k of the final h
  double sigma = 0.0;       // σ of the balanced metric on the validation points
  double kappa = 0.0;
  double seconds = 0.0;     // wall time of the balancing iteration and the σ evaluation
};

struct DonaldsonSummary {
  double sigma_fs = 0.0;   // σ of Fubini–Study on the validation points (for comparison with k = 1)
  std::vector<DonaldsonRecord> degrees;
  int64_t total_degrees = 0;
  int64_t resumed_degrees = 0;  // degrees kept from the run file by --resume
  bool interrupted = false;
};

DonaldsonSummary run_donaldson_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                          const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h).
ExperimentKind donaldson_kind();

}  // namespace nmflow

#pragma once
// The `local_ricci_check` kind of `nmflow run` (docs/config.md "local_ricci_check", docs/hdf5.md "Local-Ricci
// check runs", docs/local_ricci.md): each case of local_ricci.cases runs the NN flow of a local-kernel model against
// Ricci flow (run_local_ricci_case), one row per case appended to the run file and flushed as it is made; at the end
// the criteria of local_ricci.criteria are judged on the rows. CPU only. Each case starts from its own seeded
// draws, so the run file is its own checkpoint: --resume keeps the rows it holds and runs the other cases, giving the
// file an uninterrupted run writes (times aside). A case whose options equal an earlier case's reuses its result.
// Progress: one RunProgress per case (unit "case", the table row); stop_requested is checked before each case.
#include <cstdint>
#include <vector>

#include "experiments/experiment_kind.h"
#include "experiments/local_ricci_criteria.h"
#include "io/config_schema.h"

namespace nmflow {

// The runner's options of one configured case (seed: the run's).
LocalRicciOptions local_ricci_case_options(const LocalRicciCaseConfig& config, uint64_t seed);

struct LocalRicciCheckSummary {
  std::vector<LocalRicciRow> rows;
  std::vector<LocalRicciOutcome> outcomes;  // one per criterion; empty when interrupted
  int64_t total_cases = 0;
  int64_t resumed_cases = 0;  // rows kept from the run file by --resume
  bool interrupted = false;
  bool passed() const;  // complete and every criterion passed
};

LocalRicciCheckSummary run_local_ricci_check_experiment(const ExperimentConfig& config,
                                                        const ExperimentRunOptions& options,
                                                        const RunHooks& hooks = {});

// The report lines of a summary: the table, the fitted exponents, each criterion, the verdict.
std::vector<std::string> local_ricci_check_report(const LocalRicciCheckSummary& summary,
                                                  const std::vector<LocalRicciCriterionConfig>& criteria);

// The registry's entry (experiment_registry.h).
ExperimentKind local_ricci_check_kind();

}  // namespace nmflow

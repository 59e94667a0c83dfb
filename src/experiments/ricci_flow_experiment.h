#pragma once
// The `ricci_flow` kind of `nmflow run` (docs/config.md "ricci_flow", docs/hdf5.md "Reference Ricci-flow runs",
// docs/ricci_flow_reference.md §5): the reference Ricci flow ∂_t g = −2 Ric from the starting metric of
// ricci_flow.family (ricci_flow_case.h: homogeneous families by Dormand–Prince on their ODE; conformal_t2 by
// ∂_t u = e^{−2u}Δu; deturck_t2/t3 by Ricci–DeTurck with a flat background), recorded at the record times as a
// real_metric_flow trajectory (g, Ric, R at seeded probes; the ODE's coefficients and the invariants as the record's
// terms), with the closed-form solution and extinction time beside it where known. CPU, float64. Not resumable: a
// whole run takes seconds, so --resume is refused (rerun instead).
// Progress: one RunProgress per record (unit "record"); stop_requested is checked before each record.
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/experiment_kind.h"
#include "io/config_schema.h"

namespace nmflow {

struct RicciFlowSummary {
  std::string family;
  double end_time = 0.0;
  int64_t records = 0;                  // records written (of total_records)
  int64_t total_records = 0;
  bool interrupted = false;
  double extinction_time = 0.0;         // integrated (extinction_time of homogeneous_ricci_ode.h); NaN: immortal
  double extinction_time_closed_form = 0.0;  // NaN where no closed form is known
  double scalar_initial = 0.0;          // mean R over the probes at t = 0 and at the last record
  double scalar_final = 0.0;
  double volume_initial = 0.0;          // NaN where the volume is not computable (non-compact families)
  double volume_final = 0.0;
  double closed_form_error = 0.0;       // max over records of the relative deviation from the closed form; NaN: none
};

RicciFlowSummary run_ricci_flow_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                           const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h).
ExperimentKind ricci_flow_kind();

}  // namespace nmflow

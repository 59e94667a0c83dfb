#pragma once
// The table and the pass/fail criteria of the local-Ricci check (docs/local_ricci.md). The criteria are data of the
// run's configuration (io/config_schema.h, LocalRicciCriterionConfig); this file only evaluates them on finished
// cases, so that they can be tested on hand-made results.
#include <string>
#include <vector>

#include "experiments/local_ricci_case.h"
#include "io/config_schema.h"

namespace nmflow {

// One finished case: the ladder it belongs to (its name), what it ran and what came out.
struct LocalRicciRow {
  std::string name;
  LocalRicciOptions options;
  LocalRicciResult result;
  double seconds = 0.0;  // wall time of the case (0 for a result reused from an identical earlier case)
};

// The rows named `name`, in order.
std::vector<const LocalRicciRow*> ladder_rows(const std::vector<LocalRicciRow>& rows, const std::string& name);

// Least-squares slope of log max_deviation against log features (along = "width") or log bandwidth ("bandwidth").
double fitted_exponent(const std::vector<const LocalRicciRow*>& ladder, CriterionAxis along);

struct LocalRicciOutcome {
  bool passed = false;
  double value = 0.0;  // falls, ends_lower: the fitted exponent; below, above: the quantity judged
  std::string line;    // what was judged and the numbers, without pass/fail
};

// Each criterion judged on `rows` (every ladder a criterion names must have rows; throws nmflow::Error otherwise).
std::vector<LocalRicciOutcome> evaluate_local_ricci_criteria(const std::vector<LocalRicciCriterionConfig>& criteria,
                                                             const std::vector<LocalRicciRow>& rows);

// The table: a header and one line per row (case, width, bandwidth, Ω, deviation, NTK drift, non-local mass, dv(0),
// Ricci change; "-" where a quantity is not defined).
std::string local_ricci_table_header();
std::string local_ricci_table_row(const LocalRicciRow& row);

}  // namespace nmflow

#include "experiments/local_ricci_criteria.h"

#include <fmt/core.h>

#include <cmath>

#include "common/error.h"

namespace nmflow {

namespace {

std::string optional_number(double value, const char* format) {
  return std::isnan(value) ? std::string("-") : fmt::format(fmt::runtime(format), value);
}

double quantity_of(const LocalRicciResult& result, CriterionQuantity quantity) {
  return quantity == CriterionQuantity::DerivedDeviation ? result.derived_deviation : result.max_deviation;
}

std::string quantity_words(CriterionQuantity quantity) {
  return quantity == CriterionQuantity::DerivedDeviation ? "deviation from its derived flow"
                                                         : "deviation from Ricci flow";
}

}  // namespace

std::vector<const LocalRicciRow*> ladder_rows(const std::vector<LocalRicciRow>& rows, const std::string& name) {
  std::vector<const LocalRicciRow*> out;
  for (const LocalRicciRow& r : rows) {
    if (r.name == name) out.push_back(&r);
  }
  return out;
}

double fitted_exponent(const std::vector<const LocalRicciRow*>& ladder, CriterionAxis along) {
  const auto abscissa = [along](const LocalRicciRow* r) {
    return std::log(along == CriterionAxis::Bandwidth ? r->options.bandwidth
                                                      : static_cast<double>(r->options.features));
  };
  const double n = static_cast<double>(ladder.size());
  double mx = 0.0;
  double my = 0.0;
  for (const LocalRicciRow* r : ladder) {
    mx += abscissa(r) / n;
    my += std::log(r->result.max_deviation) / n;
  }
  double sxy = 0.0;
  double sxx = 0.0;
  for (const LocalRicciRow* r : ladder) {
    const double dx = abscissa(r) - mx;
    sxy += dx * (std::log(r->result.max_deviation) - my);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

std::vector<LocalRicciOutcome> evaluate_local_ricci_criteria(const std::vector<LocalRicciCriterionConfig>& criteria,
                                                             const std::vector<LocalRicciRow>& rows) {
  std::vector<LocalRicciOutcome> outcomes;
  for (const LocalRicciCriterionConfig& c : criteria) {
    const std::vector<const LocalRicciRow*> ladder = ladder_rows(rows, c.ladder);
    NMFLOW_CHECK(!ladder.empty(), "local Ricci check: criterion '", enum_name(kCriterionTestNames, c.test),
                 "' names ladder '", c.ladder, "', which has no finished case");
    LocalRicciOutcome o;
    const double first = ladder.front()->result.max_deviation;
    const double last = ladder.back()->result.max_deviation;
    if (c.test == CriterionTest::Falls || c.test == CriterionTest::EndsLower) {
      o.value = fitted_exponent(ladder, c.along);
      const bool falls = c.test == CriterionTest::Falls;
      // ends_lower asks only that the last rung be below the first: the exponent is reported, not judged.
      o.passed = (!falls || o.value < 0.0) && last < first;
      o.line = fmt::format("{}: deviation {} with {} (fitted exponent {:.2f}; {:.3e} -> {:.3e})", c.ladder,
                           falls ? "falls" : "ends lower", enum_name(kCriterionAxisNames, c.along), o.value, first,
                           last);
    } else {
      o.value = quantity_of(ladder.back()->result, c.quantity);
      const bool below = c.test == CriterionTest::Below;
      // NaN (a quantity the case does not define) passes neither.
      o.passed = below ? o.value < c.threshold : o.value > c.threshold;
      o.line = fmt::format("{}: {} {:.3e} at the last case, must stay {} {}", c.ladder, quantity_words(c.quantity),
                           o.value, below ? "below" : "above", c.threshold);
    }
    outcomes.push_back(o);
  }
  return outcomes;
}

std::string local_ricci_table_header() {
  return fmt::format("{:<24} {:>7} {:>9} {:>10} {:>13} {:>10} {:>10} {:>10} {:>10}", "case", "width", "bandwidth",
                     "Omega", "max rel. dev", "NTK drift", "non-local", "dv(0)", "Ricci chg");
}

std::string local_ricci_table_row(const LocalRicciRow& row) {
  return fmt::format("{:<24} {:>7} {:>9.3g} {:>10.4g} {:>13.4e} {:>10.4f} {:>10.4f} {:>10} {:>10}", row.name,
                     row.options.features, row.options.bandwidth, row.result.omega, row.result.max_deviation,
                     row.result.ntk_drift, row.result.nonlocal_mass,
                     optional_number(row.result.velocity_deviation, "{:.3e}"),
                     optional_number(row.result.reference_change, "{:.4f}"));
}

}  // namespace nmflow

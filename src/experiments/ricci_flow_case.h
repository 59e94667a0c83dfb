#pragma once
// RicciFlowCase: the reference Ricci flow of one ricci_flow configuration (docs/ricci_flow_reference.md §5): the
// integrator its family picks (the homogeneous ODEs, the conformal surface flow on T², Ricci–DeTurck on T², T³), the
// starting metric built from the config, and what the run records of it — g, Ric and R at probes, the ODE's
// coefficients and the invariants, the closed-form solution and extinction time where known. The runner
// (ricci_flow_experiment.h) does the recording and the lifecycle.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flows/reference/conformal_surface_flow.h"
#include "flows/reference/homogeneous_ricci_flow.h"
#include "flows/reference/ricci_deturck_flow.h"
#include "io/config_ricci_flow.h"
#include "io/trajectory_recorder.h"

namespace nmflow {

using NamedValues = std::vector<std::pair<std::string, double>>;

class RicciFlowCase {
 public:
  // Throws nmflow::Error on a starting metric its integrator rejects (the config reader has checked the rest).
  explicit RicciFlowCase(const RicciFlowConfig& config);

  int64_t dim() const { return dim_; }
  double time() const { return flow().time(); }
  void step(double dt) { flow().step(dt); }
  // "invariant_frame" (homogeneous), "conformal" (conformal_t2) or "deturck" (deturck_t2, deturck_t3).
  std::string gauge() const;

  // [probes, n] points uniform in a box of the family's chart away from its singular set, drawn from `seed`
  // (docs/hdf5.md "Reference Ricci-flow runs").
  at::Tensor probe_points(uint64_t seed) const;
  // g, Ric and R at probes: [P, n, n], [P, n, n], [P] (the other TrajectoryRecord members unset).
  TrajectoryRecord observe(const at::Tensor& probes) const;
  // The ODE's coefficients by their config names (rho; A, B, C; Berger A, B; rho, l1…lk); empty on grids.
  NamedValues coefficients() const;
  // coefficients(), then volume, total_scalar = ∫R dV, total_scalar_squared = ∫R² dV where computable (compact).
  NamedValues terms() const;
  double volume() const;  // NaN where not computable (H^n, Nil)

  // The integrated extinction time (families that go extinct, at the configured tolerances); NaN otherwise.
  double extinction_time() const;
  // Its closed form where known (a round factor; the Berger formula when two of A, B, C agree); NaN otherwise.
  double closed_form_extinction_time() const;
  bool has_closed_form() const;
  std::string closed_form_text() const;  // the closed-form solution in words, "extinction time only …" or "none"
  // With has_closed_form(): the coefficients (as coefficients(); empty for a flat torus) and R at time t.
  NamedValues closed_form_coefficients(double t) const;
  double closed_form_scalar(double t) const;

 private:
  Flow& flow() const;

  const RicciFlowConfig& config_;
  int64_t dim_ = 0;
  std::unique_ptr<HomogeneousRicciFlow> homogeneous_;
  std::unique_ptr<ConformalSurfaceFlow> conformal_;
  std::unique_ptr<RicciDeTurckFlow> deturck_;
};

}  // namespace nmflow

#pragma once
// The Halverson–Ruehle comparison (arXiv:2310.19870; docs/design.md §5 "Diagnostics"; docs/ntk_width_ladder.md): train
// Kähler φ-models of a ladder of widths in the NTK parameterisation on a Calabi–Yau with the Monge–Ampère loss,
// under the same optimiser and budget, and record for each run σ(epoch) on held-out points and the drift of the
// metric-NTK on a probe set, ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F — feature learning against accuracy. Linearised models
// (ntk/phi_model_ntk.h: frozen Θ = Θ_0 by construction) trained the same way are the frozen-kernel control.
//
// Initialisation (LadderInit):
//   centred      a standard random NTK-parameterised draw (output layer included), centred so that training still
//                starts at Fubini–Study: g = g_FS + ∂∂̄φ_θ − ∂∂̄φ_θ₀ (Chizat–Oyallon–Bach's centred model). The
//                subtracted term is data (computed once per point), so Θ is the plain network's NTK, and at large
//                width it tends to the infinite-width kernel of every layer. The default.
//   zero_output  the project's KahlerPhiModel default (output layer zeroed, φ_θ₀ ≡ 0). Then ∂g/∂θ vanishes for
//                every hidden parameter at θ₀, Θ_0 is the output layer's kernel alone, and the hidden layers' share
//                of Θ switches on as the output weights grow: a drift that is not the movement of features.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "training/cy_training.h"
#include "training/trainer.h"
#include "geometry/kahler/cy_point_set.h"
#include "io/config_schema.h"
#include "io/hdf5_file.h"
#include "models/activation.h"

namespace nmflow {

// Regimes (LadderRegime, common/config_enums.h): adam / sgd, the φ-model itself with Adam or plain minibatch
// gradient descent (the NN metric flow proper); linearised_adam / linearised_sgd, its linearisation about θ₀ with the
// same optimiser, learning rate, batches and steps. The ladder's settings are CYWidthLadderConfig (io/config_schema.h).

LadderRegime parse_ladder_regime(const std::string& name);  // "adam" | "sgd" | "linearised_adam" | "linearised_sgd"
std::string ladder_regime_name(LadderRegime regime);
LadderInit parse_ladder_init(const std::string& name);      // "centred" | "zero_output"
std::string ladder_init_name(LadderInit init);

void check_cy_width_ladder_config(const CYWidthLadderConfig& config);

// One run of the ladder: a width, a seed (of the network and of its minibatch order) and a regime.
struct CYLadderRunSpec {
  int64_t width = 0;
  uint64_t seed = 0;
  LadderRegime regime = LadderRegime::Adam;
};

// Every run of the ladder, in the order it trains them: seeds, then widths, then regimes (innermost).
std::vector<CYLadderRunSpec> cy_width_ladder_runs(const CYWidthLadderConfig& config);

struct CYLadderRun {
  int64_t width = 0;
  int64_t depth = 0;
  uint64_t seed = 0;
  LadderRegime regime = LadderRegime::Adam;
  int64_t parameters = 0;
  std::vector<CYEpochRecord> records;  // σ(epoch) on the validation set; records[0] is epoch 0 (σ_FS)
  std::vector<double> ntk_drift;       // metric-NTK drift on the probes at each record (0 at epoch 0)
  std::vector<double> eta_ntk_drift;   // the same for the η-NTK (ntk/phi_model_ntk.h)
  double weight_drift = 0.0;           // ‖θ_T − θ_0‖/‖θ_0‖ over all parameters
  at::Tensor top_eigenvalues_start;    // [k] float64, metric-NTK on the probes at θ_0
  at::Tensor top_eigenvalues_end;      // [k] float64, at the end of training
  double ntk_seconds = 0.0;            // wall time spent on NTK evaluations (not in the records' training time)
};

// Trains one run on the given points. probes: the points the NTKs are evaluated on (tens of points: the Jacobian
// contraction costs one reverse pass per point and component). A run depends on nothing else, so the runs of a
// ladder may be trained in any order, or in several processes, with the same results.
CYLadderRun train_cy_ladder_run(const CYPointSet& train, const CYPointSet& validation, const CYPointSet& probes,
                                const CYWidthLadderConfig& config, const CYLadderRunSpec& spec);

// Trains every run of cy_width_ladder_runs(config) on the same points and returns one record each; `callback` sees
// each run when it is done.
std::vector<CYLadderRun> run_cy_width_ladder(const CYPointSet& train, const CYPointSet& validation,
                                             const CYPointSet& probes, const CYWidthLadderConfig& config,
                                             const std::function<void(const CYLadderRun&)>& callback = {});

// The file layout (docs/hdf5.md, "cy_width_ladder"): the settings as attributes of /ladder, run i under /runs/<i>.
// Provenance and the root attributes are the caller's (io/provenance.h).
//   write_cy_width_ladder_settings  /ladder's attributes, with runs = 0;
//   append_cy_ladder_run            /runs/<runs>, then /ladder's `runs` raised by one (last: a reader trusts the
//                                   runs it counts, so a file cut off mid-run holds only whole runs);
//   read_cy_ladder_runs             the runs /ladder counts, as written (bit for bit);
//   write_cy_width_ladder           settings and every run.
void write_cy_width_ladder_settings(Hdf5File& file, const CYWidthLadderConfig& config);
void append_cy_ladder_run(Hdf5File& file, const CYLadderRun& run);
std::vector<CYLadderRun> read_cy_ladder_runs(const Hdf5File& file);
void write_cy_width_ladder(Hdf5File& file, const CYWidthLadderConfig& config, const std::vector<CYLadderRun>& runs);

}  // namespace nmflow

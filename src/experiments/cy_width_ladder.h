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
#include "io/hdf5_file.h"
#include "models/activation.h"

namespace nmflow {

// adam / sgd: the φ-model itself with Adam or plain minibatch gradient descent (the NN metric flow proper);
// linearised_adam / linearised_sgd: its linearisation about θ₀ with the same optimiser, learning rate and steps.
enum class LadderRegime { Adam, Sgd, LinearisedAdam, LinearisedSgd };
enum class LadderInit { Centred, ZeroOutput };

LadderRegime parse_ladder_regime(const std::string& name);  // "adam" | "sgd" | "linearised_adam" | "linearised_sgd"
std::string ladder_regime_name(LadderRegime regime);
LadderInit parse_ladder_init(const std::string& name);      // "centred" | "zero_output"
std::string ladder_init_name(LadderInit init);

struct CYWidthLadderOptions {
  std::vector<int64_t> widths{16, 64, 256, 1024};
  int64_t depth = 1;  // hidden layers, all of the ladder's width
  std::vector<uint64_t> seeds{0};
  std::vector<LadderRegime> regimes{LadderRegime::Adam, LadderRegime::Sgd, LadderRegime::LinearisedAdam};
  LadderInit init = LadderInit::Centred;
  Activation activation = Activation::Gelu;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
  double adam_learning_rate = 1e-3;
  double sgd_learning_rate = 0.05;   // flow time t = η × steps at a constant rate
  // constant, or cosine from the rate above to min_learning_rate_fraction × it over all the run's steps
  LearningRateSchedule schedule = LearningRateSchedule::Constant;
  double min_learning_rate_fraction = 0.0;
  int64_t epochs = 20;
  int64_t batch_size = 500;
  int64_t eval_every = 5;        // σ and NTK drift after every this many epochs (and at 0 and the end)
  int64_t top_eigenvalues = 8;   // of the metric-NTK on the probes, at the start and the end
};

void check_cy_width_ladder_options(const CYWidthLadderOptions& options);

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

// Trains every (seed, width, regime) in that nesting order on the same points and returns one record each;
// `callback` sees each run when it is done. probes: the points the NTKs are evaluated on (tens of points:
// the Jacobian contraction costs one reverse pass per point and component).
std::vector<CYLadderRun> run_cy_width_ladder(const CYPointSet& train, const CYPointSet& validation,
                                             const CYPointSet& probes, const CYWidthLadderOptions& options,
                                             const std::function<void(const CYLadderRun&)>& callback = {});

// Writes the options as attributes of /ladder and every run under /runs/<index> (docs/ntk_width_ladder.md gives
// the layout). Provenance is the caller's (io/provenance.h).
void write_cy_width_ladder(Hdf5File& file, const CYWidthLadderOptions& options, const std::vector<CYLadderRun>& runs);

}  // namespace nmflow

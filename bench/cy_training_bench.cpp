// Training epochs of the Kähler φ-model on the Fermat quintic (docs/cy_training.md): the same 3×64 gelu network,
// the same 4000 points, batches of 1000 (4 Adam steps per epoch), with ∂∂̄φ from
//   0 wirtinger_jet   forward (h, ∂h, ∂∂̄h) jet in the local coordinates (16 rows per unit)
//   1 input_hessian   mlp_jet2 in the 25 network inputs (351 rows per unit) + chain rule
//   2 autograd        nested torch::autograd::grad over (Re z, Im z) (the baseline)
// Manual time = CYEpochRecord::wall_seconds (the training loop only: no sampling, no σ evaluation).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>

#include "training/cy_losses.h"
#include "training/cy_training.h"
#include "training/trainer.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"

namespace {

nmflow::CYPointSet quintic_points(int64_t n, uint64_t seed) {
  return nmflow::sample_cy_points(nmflow::fermat_quintic(), n, seed);
}

void BM_CyTrainingEpoch(benchmark::State& state) {
  const auto method = static_cast<nmflow::PhiJetMethod>(state.range(0));
  static const nmflow::CYPointSet train = quintic_points(4000, 1);
  static const nmflow::CYPointSet validation = quintic_points(100, 2);
  nmflow::KahlerPhiModel model(nmflow::KahlerPhiModelConfig{}, 5);
  nmflow::CYTrainingOptions options;
  options.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
  options.trainer.learning_rate = 1e-3;
  options.epochs = 1;
  options.batch_size = 1000;
  options.method = method;
  for (auto _ : state) {
    const std::vector<nmflow::CYEpochRecord> records = nmflow::train_phi_model(model, train, validation, options);
    state.SetIterationTime(records.back().wall_seconds);
  }
  state.SetLabel(nmflow::phi_jet_method_name(method));
  state.counters["points_per_epoch"] = 4000;
}
BENCHMARK(BM_CyTrainingEpoch)->Arg(0)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

namespace {

// One Adam step of the same φ-model on 1000 points, cut at successive stages (Wirtinger jet), so that the
// differences give where a step's time goes:
//   0  input-jet gather + ∂∂̄φ, no autograd graph         2  + the parameter backward (autograd::grad)
//   1  + graph, det g, Monge–Ampère loss                 3  the whole Trainer step (+ Adam update)
void BM_CyStepParts(benchmark::State& state) {
  const int64_t stage = state.range(0);
  static const nmflow::CYPointSet train = quintic_points(4000, 1);
  nmflow::KahlerPhiModel model(nmflow::KahlerPhiModelConfig{}, 5);
  const at::Tensor train_jet = nmflow::phi_input_jet(model.config().inputs, train, at::kDouble);
  const double kappa = nmflow::fubini_study_kappa(train);
  const at::Tensor batch_index = at::arange(1000, at::TensorOptions().dtype(at::kLong));
  const auto loss = [&]() {
    const nmflow::CYPointSet batch = nmflow::select_cy_points(train, batch_index);
    const at::Tensor det_g = nmflow::phi_model_det(model, batch, train_jet.index_select(0, batch_index),
                                                   nmflow::PhiJetMethod::WirtingerJet);
    return nmflow::monge_ampere_loss(det_g, batch.omega_sq, batch.weights, kappa,
                                     nmflow::MongeAmpereWeighting::Weighted);
  };
  nmflow::TrainerOptions options;
  options.optimizer.kind = nmflow::OptimizerKind::Adam;
  options.learning_rate = 1e-3;
  nmflow::Trainer trainer(model.parameters(), loss, options);
  for (auto _ : state) {
    if (stage == 0) {
      const at::NoGradGuard no_grad;
      benchmark::DoNotOptimize(model.ddbar_phi(train_jet.index_select(0, batch_index),
                                               nmflow::PhiJetMethod::WirtingerJet).data_ptr());
    } else if (stage == 1) {
      benchmark::DoNotOptimize(loss().total.data_ptr());
    } else if (stage == 2) {
      const auto grads = torch::autograd::grad({loss().total}, model.parameters(), {}, false, false, true);
      benchmark::DoNotOptimize(grads[0].data_ptr());
    } else {
      benchmark::DoNotOptimize(trainer.step().loss);
    }
  }
  state.counters["points_per_step"] = 1000;
}
BENCHMARK(BM_CyStepParts)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

}  // namespace

#pragma once
// The experiment configuration of `nmflow run` as plain data (docs/config.md documents every key, its default and
// its unit). Only src/io reads YAML (config_yaml.h); every other module takes these structs, already validated.
// ExperimentConfig holds the top-level keys every kind shares (kind, seed, device, dtype, threads, recording) and
// the sections of its kind as one struct per kind, each member named after its YAML section:
//   real_metric_flow  RealMetricFlowConfig    manifold, points, model, loss, optimizer, compare; recording (every
//                                             key)
//   cy_metric         CYMetricConfig          variety, points, model, loss, optimizer (no steps), training,
//                                             measures; recording.output
//   donaldson         DonaldsonRunConfig      variety, points, donaldson; recording.output
//   cy_free_metric    CYFreeMetricRunConfig   variety, points, model, loss, optimizer (no steps), training (no
//                                             method); recording.output
//   cy_width_ladder   CYWidthLadderRunConfig  variety, points (train, validation), ladder (YAML sections ladder,
//                                             model, optimizer, training, ntk and points.probes); recording.output
//   local_ricci_check LocalRicciCheckConfig   cases, criteria; recording.output
//   ricci_flow        RicciFlowConfig         metric, flow, recording.probes (io/config_ricci_flow.h);
//                                             recording.output
// (a "Run" in a name keeps it apart from the section struct named after the kind: DonaldsonConfig,
// CYWidthLadderConfig, and the model config FreeCYMetricConfig of models/free_cy_metric.h).
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/config_enums.h"
#include "io/config_ricci_flow.h"

namespace nmflow {

struct ManifoldConfig {
  std::string name = "round_sphere";     // make_reference_metric name; the metric g₀ the run starts from
  std::map<std::string, double> params;  // make_reference_metric parameters (dim, radius, A, B, …)
  std::string sampler;                   // sampler_name_for_metric(name), filled by validation
  std::map<std::string, double> sampler_params;  // the subset of params the sampler reads, filled by validation
};

struct PointsConfig {
  int64_t train = 256;          // training points (Monte-Carlo integration of the loss)
  int64_t probe = 64;           // fixed probe points where g, Ric and R are recorded
  int64_t resample_every = 0;   // draw fresh training points every this many steps (0: never)
};

struct ModelConfig {
  MetricHeadKind head = MetricHeadKind::Conformal;  // models/metric_heads.h
  MetricBackground background = MetricBackground::Reference;  // reference: the network modifies g₀; none: it is g
  std::vector<int64_t> hidden = {24};      // hidden widths
  Activation activation = Activation::Tanh;
  Parameterisation parameterisation = Parameterisation::Ntk;
  double sigma_w = 0.8;
  double sigma_b = 0.1;
  double init_scale = 1.0;                 // multiplies the last layer's initial weights and bias
};

struct LossConfig {
  MetricLoss name = MetricLoss::Einstein;
  double lambda = 0.0;                     // einstein: fixed λ when has_lambda, else the volume average of R/n
  bool has_lambda = false;
  double volume_weight = 1.0;              // weight of the penalty (Vol_g/V₀ − 1)²; 0 disables it
  double volume_target = 0.0;              // V₀; 0: the volume of the initial metric on the training points
  CurvatureBackend curvature_backend = CurvatureBackend::Reference;
};

struct OptimizerConfig {
  OptimizerKind name = OptimizerKind::Adam;
  double lr = 1e-2;                        // η₀
  LearningRateSchedule schedule = LearningRateSchedule::Constant;
  double decay_rate = 1.0;                 // exponential
  double min_lr = 0.0;                     // cosine
  int64_t schedule_steps = 0;              // cosine; 0: steps
  double clip = 0.0;                       // global gradient-norm clip (0: none)
  int64_t steps = 300;
};

struct RecordingConfig {
  int64_t every = 10;                      // record probes every this many steps (and always the last step)
  std::string output = "nmflow_run.h5";
  int64_t checkpoint_every = 0;            // 0: checkpoint only at the end or on interruption
  int64_t ntk_every = 0;                   // NTK diagnostics at recorded steps that are multiples (and at step 0
                                           // and the last step); 0: none (experiments/ntk_recording.h)
  int64_t ntk_probes = 16;                 // the first this many probe points (≤ points.probe)
  int64_t ntk_eigenvalues = 4;             // top eigenvalues of Θ recorded (≤ ntk_probes · p)
};

// Section `compare` of real_metric_flow (docs/flow_comparison.md): integrate the reference Ricci flow from the
// network's own g₀ beside the run and record both at matched flow time.
struct CompareConfig {
  bool ricci_flow = false;                 // on: the run needs a reference for its manifold (ricci_flow_reference_for)
  int64_t every = 0;                       // compare every this many steps (and at step 0 and the last step);
                                           // recording.every when not given
  RicciFlowConfig reference;               // the reference flow of manifold g₀, filled by validation when on
};

// --- kinds cy_metric and donaldson (docs/config.md, "Calabi–Yau kinds") ---

struct VarietyConfig {
  std::string name = "fermat_quintic";   // make_hypersurface name (geometry/kahler/hypersurface.h)
  bool has_psi = false;                  // the Dwork members take ψ, the Fermat ones none
  double psi_re = 0.0;                   // ψ = psi_re + i psi_im of Σ z_I^{N+1} − (N+1) ψ Π z_I
  double psi_im = 0.0;
};

struct CYPointsConfig {
  int64_t train = 50000;       // line-sampler points the loss (or the T-operator) averages over
  int64_t validation = 10000;  // held-out points where σ, κ (and the curvature measures) are taken
};

struct PhiModelConfig {
  PhiInputs inputs = PhiInputs::Invariant;  // models/kahler_phi_model.h
  std::vector<int64_t> hidden = {64, 64, 64};
  Activation activation = Activation::Gelu;
  Parameterisation parameterisation = Parameterisation::Standard;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
};

struct CYLossConfig {
  MongeAmpereWeighting monge_ampere = MongeAmpereWeighting::Weighted;  // training/cy_losses.h
  MongeAmpereKappa kappa = MongeAmpereKappa::TrainingSet;
};

struct CYTrainingConfig {
  int64_t epochs = 100;
  int64_t batch_size = 1000;               // an epoch is ⌊train/batch_size⌋ optimiser steps
  int64_t eval_every = 1;                  // σ on the validation points every this many epochs (and the last)
  PhiJetMethod method = PhiJetMethod::WirtingerJet;
  double max_wall_seconds = 0.0;           // > 0: stop after the epoch that crosses this training time
};

struct CYMeasuresConfig {
  bool curvature = false;                  // Ricci scalar and Euler characteristic of the trained metric
  int64_t curvature_points = 2000;         // the first this many validation points (≤ points.validation)
  bool fubini_study = false;               // also the same measures of g_FS on those points (the untrained baseline)
};

struct DonaldsonConfig {
  std::vector<int64_t> k = {1, 2, 3};      // degrees of the section basis, each in 1..8, ascending
  int64_t iterations = 15;                 // T-operator updates per k
};

// --- kind cy_free_metric (docs/config.md, "cy_free_metric"): the free CY metric models of models/free_cy_metric.h
// trained on L = L_MA + α_K L_K + α_T L_T (training/cy_free_losses.h) ---

struct FreeMetricModelConfig {
  FreeMetricHead head = FreeMetricHead::Multiplicative;
  PhiInputs inputs = PhiInputs::Invariant;
  std::vector<int64_t> hidden = {64, 64, 64};
  Activation activation = Activation::Gelu;
  Parameterisation parameterisation = Parameterisation::Standard;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
};

struct FreeMetricLossConfig {
  MongeAmpereWeighting monge_ampere = MongeAmpereWeighting::Weighted;
  MongeAmpereKappa kappa = MongeAmpereKappa::TrainingSet;
  double alpha_kahler = 1.0;      // α_K of the Kähler loss L_K
  double alpha_transition = 1.0;  // α_T of the transition loss L_T
};

// --- kind cy_width_ladder (docs/config.md, "cy_width_ladder"; experiments/cy_width_ladder.h) ---

// The Halverson–Ruehle width ladder: Kähler φ-models of each width in the NTK parameterisation, trained in each
// regime under one budget. The YAML section of each member is named in its comment.
struct CYWidthLadderConfig {
  int64_t probes = 32;                     // points.probes: where the NTKs are evaluated (an independent stream)
  std::vector<int64_t> widths{16, 64, 256, 1024};  // ladder.widths
  int64_t depth = 1;                       // ladder.depth: hidden layers, all of the ladder's width
  std::vector<uint64_t> seeds{0};          // ladder.seeds: network initialisations (and minibatch orders)
  std::vector<LadderRegime> regimes{LadderRegime::Adam, LadderRegime::Sgd, LadderRegime::LinearisedAdam};
                                           // ladder.regimes
  LadderInit init = LadderInit::Centred;   // model.init
  Activation activation = Activation::Gelu;  // model.activation
  double sigma_w = 1.0;                    // model.sigma_w
  double sigma_b = 0.1;                    // model.sigma_b
  double adam_lr = 1e-3;                   // optimizer.adam_lr: regimes adam and linearised_adam
  double sgd_lr = 0.05;                    // optimizer.sgd_lr: regimes sgd and linearised_sgd (flow time η × steps)
  LearningRateSchedule schedule = LearningRateSchedule::Constant;  // optimizer.schedule: constant | cosine
  double min_lr_fraction = 0.0;            // optimizer.min_lr_fraction: cosine ends at this × the rate
  int64_t epochs = 20;                     // training.epochs
  int64_t batch_size = 500;                // training.batch_size: an epoch is ⌊train/batch_size⌋ steps
  int64_t eval_every = 5;                  // training.eval_every: σ and NTK drift every this many epochs (and at 0
                                           // and the last)
  int64_t top_eigenvalues = 8;             // ntk.top_eigenvalues: of the metric-NTK on the probes, start and end
};

// --- kind local_ricci_check (docs/config.md, "local_ricci_check"; docs/local_ricci.md) ---

struct LocalRicciModeConfig {  // one term a cos(k·x) + b sin(k·x) of u₀ on T², k = (kx, ky)
  int64_t kx = 0;
  int64_t ky = 0;
  double cos = 0.0;
  double sin = 0.0;
};

// One case: an NN flow of a local-kernel model against Ricci flow from the same g₀ (experiments/local_ricci_case.h).
// Cases sharing a name form a ladder, in the order listed.
struct LocalRicciCaseConfig {
  std::string name;
  LocalRicciManifold manifold = LocalRicciManifold::S3;
  MetricHeadKind head = MetricHeadKind::FrameExponential;  // s3: frame_exp | symmetric; conformal_t2: frame_exp | conformal
  int64_t features = 256;              // N (conformal_t2: n_c², a square)
  double bandwidth = 2.0;              // σ_b or Λ (s3), Λ = 1/ε (conformal_t2)
  int64_t probes = 16;
  double final_time = 0.04;
  double learning_rate = 2e-3;         // η; final_time/(η · observations) a whole number
  int64_t observations = 4;
  // s3 only.
  FrequencyDistribution frequencies = FrequencyDistribution::Gaussian;
  double a0 = 1.0;
  double b0 = 1.0;
  int64_t points = 256;
  // conformal_t2 only.
  int64_t grid = 32;
  int64_t probe_grid = 32;
  int64_t reference_grid = 64;
  std::vector<LocalRicciModeConfig> u0 = {{1, 0, 0.3, 0.0}, {1, 1, 0.0, 0.2}};  // 0.3 cos x + 0.2 sin(x + y)
};

// One pass/fail rule over the results of a ladder (the cases of one name):
//   falls       the fitted exponent of deviation against `along` is < 0 and the last deviation < the first;
//   ends_lower  the last deviation < the first (the exponent along `along` is reported);
//   below       `quantity` of the ladder's last case < threshold;
//   above       `quantity` of the ladder's last case > threshold.
struct LocalRicciCriterionConfig {
  CriterionTest test = CriterionTest::Below;
  std::string ladder;                  // a case name
  CriterionAxis along = CriterionAxis::Width;                // falls, ends_lower
  CriterionQuantity quantity = CriterionQuantity::Deviation;  // below, above
  double threshold = 0.0;              // below, above
};

struct LocalRicciCheckConfig {
  static constexpr const char* kKind = "local_ricci_check";
  // Absent in the YAML: cases are those of the shipped quick check (configs/checks/local_ricci_quick.yaml), and so
  // are the criteria when the cases are too (with cases given, absent criteria are none).
  std::vector<LocalRicciCaseConfig> cases;
  std::vector<LocalRicciCriterionConfig> criteria;
};

// The heads a local-Ricci case on `manifold` takes: the K = g g kernel (frame_exp) and the manifold's control
// (symmetric on S³, conformal on T²).
std::vector<std::string> local_ricci_head_names(LocalRicciManifold manifold);

// --- one struct per kind: the sections it takes; kKind is the name of the kind (the YAML `kind`) ---

struct RealMetricFlowConfig {
  static constexpr const char* kKind = "real_metric_flow";
  ManifoldConfig manifold;
  PointsConfig points;
  ModelConfig model;
  LossConfig loss;
  OptimizerConfig optimizer;
  CompareConfig compare;
};

struct CYMetricConfig {
  static constexpr const char* kKind = "cy_metric";
  VarietyConfig variety;
  CYPointsConfig points;
  PhiModelConfig model;
  CYLossConfig loss;
  OptimizerConfig optimizer;               // every key but steps (a run lasts training.epochs)
  CYTrainingConfig training;
  CYMeasuresConfig measures;
};

struct DonaldsonRunConfig {
  static constexpr const char* kKind = "donaldson";
  VarietyConfig variety;
  CYPointsConfig points;                   // train: the balancing points
  DonaldsonConfig donaldson;
};

struct CYFreeMetricRunConfig {
  static constexpr const char* kKind = "cy_free_metric";
  VarietyConfig variety;
  CYPointsConfig points;
  FreeMetricModelConfig model;
  FreeMetricLossConfig loss;
  OptimizerConfig optimizer;               // every key but steps (a run lasts training.epochs)
  CYTrainingConfig training;               // every key but method (a free model has no potential φ)
};

struct CYWidthLadderRunConfig {
  static constexpr const char* kKind = "cy_width_ladder";
  VarietyConfig variety;
  CYPointsConfig points;
  CYWidthLadderConfig ladder;              // the YAML sections ladder, model, optimizer, training, ntk, points.probes
};

// The sections of one kind: the alternative is the struct of ExperimentConfig::kind.
using KindSections = std::variant<RealMetricFlowConfig, CYMetricConfig, DonaldsonRunConfig, CYFreeMetricRunConfig,
                                  CYWidthLadderRunConfig, LocalRicciCheckConfig, RicciFlowConfig>;

// Throws nmflow::Error: a config of kind `held` was asked for the sections of kind `asked`.
[[noreturn]] void throw_wrong_kind_sections(const char* held, const char* asked);

struct ExperimentConfig {
  std::string kind = RealMetricFlowConfig::kKind;
  uint64_t seed = 0;
  DeviceChoice device = DeviceChoice::Cpu;
  Precision dtype = Precision::Float64;
  int64_t threads = 0;                     // 0: LibTorch's default
  RecordingConfig recording;               // real_metric_flow reads every key, the other kinds only output
  KindSections kind_sections;              // the struct of `kind`, set with it when the YAML is read (config_yaml.h)

  // The sections of kind Sections::kKind, e.g. config.sections<CYMetricConfig>().variety; throws nmflow::Error
  // naming both kinds when the config is of another kind.
  template <typename Sections>
  const Sections& sections() const {
    const Sections* held = std::get_if<Sections>(&kind_sections);
    if (held == nullptr) {
      throw_wrong_kind_sections(std::visit([](const auto& s) { return s.kKind; }, kind_sections), Sections::kKind);
    }
    return *held;
  }
  template <typename Sections>
  Sections& sections() {
    return const_cast<Sections&>(static_cast<const ExperimentConfig&>(*this).sections<Sections>());
  }
};

// Shrinks a validated config for smoke tests (`nmflow run --quick`), so that each example runs in seconds:
//   real_metric_flow  at most 20 steps, 64 training and 16 probe points, records (and compares) every ≤ 5 steps, checkpoints
//                     every ≤ 10 steps when checkpointing is on, NTK diagnostics (when on) every ≤ 10 steps on
//                     at most 16 probe points;
//   cy_metric,        at most 500 training and 200 validation points, 2 epochs of 10 steps (batch = train/10),
//   cy_free_metric    eval every epoch, a 20 s wall budget, at most 100 curvature points (cy_metric);
//   donaldson         at most 2000 balancing and 500 validation points, k ≤ 2, at most 3 iterations;
//   cy_width_ladder   at most 1000 training, 500 validation and 8 probe points, the two smallest widths capped at
//                     16 and 32, the first seed, the first two regimes, 2 epochs of 10 steps (batch = train/10), σ
//                     every epoch, at most 4 eigenvalues.
//   local_ricci_check unchanged: its quick form is a config of its own (configs/checks/local_ricci_quick.yaml).
//   ricci_flow        at most 3 records (explicit record_times are kept), grids of at most 12 points per axis, at
//                     most 4 probes.
void apply_quick(ExperimentConfig& config);

}  // namespace nmflow

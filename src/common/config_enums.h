#pragma once
// The enums a configuration file names (docs/config.md), each with its one name table (common/enum_names.h). They
// live here, below every layer, because src/io validates configurations against the same tables that the modules
// above parse and print with, so a config error's "allowed:" list is what the code accepts.
#include "common/enum_names.h"

namespace nmflow {

// The pointwise activations of the networks (models/activation.h).
enum class Activation { Tanh, Gelu, Softplus, Erf, Sin, Cos, Relu };
inline constexpr EnumName<Activation> kActivationNames[] = {
    {Activation::Tanh, "tanh"}, {Activation::Gelu, "gelu"}, {Activation::Softplus, "softplus"},
    {Activation::Erf, "erf"}, {Activation::Sin, "sin"}, {Activation::Cos, "cos"}, {Activation::Relu, "relu"}};

// The parameterisation of an MLP's layers (models/mlp.h).
enum class Parameterisation { Standard, Ntk };
inline constexpr EnumName<Parameterisation> kParameterisationNames[] = {
    {Parameterisation::Standard, "standard"}, {Parameterisation::Ntk, "ntk"}};

// The inputs of the Kähler φ-model (models/kahler_phi_model.h).
enum class PhiInputs { Invariant, PatchAffine };
inline constexpr EnumName<PhiInputs> kPhiInputsNames[] = {
    {PhiInputs::Invariant, "invariant"}, {PhiInputs::PatchAffine, "patch_affine"}};

// The heads of the free CY metric models (models/free_cy_metric.h).
enum class FreeMetricHead { Free, Additive, Multiplicative };
inline constexpr EnumName<FreeMetricHead> kFreeMetricHeadNames[] = {
    {FreeMetricHead::Free, "free"}, {FreeMetricHead::Additive, "additive"},
    {FreeMetricHead::Multiplicative, "multiplicative"}};

// The Monge–Ampère loss's weighting and its κ (training/cy_losses.h).
enum class MongeAmpereWeighting { Uniform, Weighted };
inline constexpr EnumName<MongeAmpereWeighting> kMongeAmpereWeightingNames[] = {
    {MongeAmpereWeighting::Uniform, "uniform"}, {MongeAmpereWeighting::Weighted, "weighted"}};

enum class MongeAmpereKappa { TrainingSet, Batch };
inline constexpr EnumName<MongeAmpereKappa> kMongeAmpereKappaNames[] = {
    {MongeAmpereKappa::TrainingSet, "training_set"}, {MongeAmpereKappa::Batch, "batch"}};

// Where a real run's metric comes from (experiments/experiment.h): the network modifying the reference metric g₀,
// or the network's metric alone.
enum class MetricBackground { Reference, None };
inline constexpr EnumName<MetricBackground> kMetricBackgroundNames[] = {{MetricBackground::Reference, "reference"},
                                                                        {MetricBackground::None, "none"}};

// The heads turning a network's outputs into a metric (models/metric_heads.h).
enum class MetricHeadKind { FreeSpd, Symmetric, Conformal, FrameExponential };
inline constexpr EnumName<MetricHeadKind> kMetricHeadKindNames[] = {
    {MetricHeadKind::Conformal, "conformal"}, {MetricHeadKind::Symmetric, "symmetric"},
    {MetricHeadKind::FreeSpd, "free_spd"}, {MetricHeadKind::FrameExponential, "frame_exp"}};

// The curvature losses of a real run (training/losses.h, training/perelman.h).
enum class MetricLoss { Einstein, RicciNorm, PerelmanF };
inline constexpr EnumName<MetricLoss> kMetricLossNames[] = {
    {MetricLoss::Einstein, "einstein"}, {MetricLoss::RicciNorm, "ricci_norm"}, {MetricLoss::PerelmanF, "perelman_f"}};

// How a loss gets Ricci and R from a metric jet (training/losses.h).
enum class CurvatureBackend { Reference, Fused };
inline constexpr EnumName<CurvatureBackend> kCurvatureBackendNames[] = {{CurvatureBackend::Reference, "reference"},
                                                                        {CurvatureBackend::Fused, "fused"}};

// The optimisers of the Trainer (training/optimizers.h); sgd is plain gradient descent, the metric flow proper.
enum class OptimizerKind { GradientDescent, Adam, Lbfgs };
inline constexpr EnumName<OptimizerKind> kOptimizerKindNames[] = {
    {OptimizerKind::GradientDescent, "sgd"}, {OptimizerKind::Adam, "adam"}, {OptimizerKind::Lbfgs, "lbfgs"}};

// How the φ-model's training loss gets ∂∂̄φ (models/kahler_phi_model.h).
enum class PhiJetMethod { WirtingerJet, InputHessian, Autograd };
inline constexpr EnumName<PhiJetMethod> kPhiJetMethodNames[] = {{PhiJetMethod::WirtingerJet, "wirtinger_jet"},
                                                                {PhiJetMethod::InputHessian, "input_hessian"},
                                                                {PhiJetMethod::Autograd, "autograd"}};

// The device a run asks for (auto: CUDA when LibTorch sees one, else the CPU) and the floating-point type of its
// networks.
enum class DeviceChoice { Cpu, Cuda, Auto };
inline constexpr EnumName<DeviceChoice> kDeviceChoiceNames[] = {
    {DeviceChoice::Cpu, "cpu"}, {DeviceChoice::Cuda, "cuda"}, {DeviceChoice::Auto, "auto"}};

enum class Precision { Float64, Float32 };
inline constexpr EnumName<Precision> kPrecisionNames[] = {{Precision::Float64, "float64"},
                                                          {Precision::Float32, "float32"}};

// Random-feature frequency distributions (ntk/random_fourier.h).
enum class FrequencyDistribution {
  Gaussian,     // b ~ N(0, σ_b²/d · I): χ = exp(−σ_b² |Δ|² / (2d))
  UniformBall,  // b uniform in the ball |b| ≤ Λ: χ = Γ(d/2+1) (2/z)^{d/2} J_{d/2}(z), z = Λ|Δ|
};
inline constexpr EnumName<FrequencyDistribution> kFrequencyDistributionNames[] = {
    {FrequencyDistribution::Gaussian, "gaussian"}, {FrequencyDistribution::UniformBall, "uniform_ball"}};

// The manifolds of the local-flow Ricci check (experiments/local_ricci_case.h).
enum class LocalRicciManifold {
  S3,           // round/Berger S³ (a0, b0), features of the embedding q ∈ R⁴
  ConformalT2,  // g₀ = e^{2u₀}δ on T², periodic Gaussian bumps (experiments/local_ricci_t2.h)
};
inline constexpr EnumName<LocalRicciManifold> kLocalRicciManifoldNames[] = {
    {LocalRicciManifold::S3, "s3"}, {LocalRicciManifold::ConformalT2, "conformal_t2"}};

// A local-Ricci criterion (experiments/local_ricci_criteria.h): its test, the abscissa of a ladder's fitted exponent,
// and the quantity a threshold applies to.
enum class CriterionTest { Falls, EndsLower, Below, Above };
inline constexpr EnumName<CriterionTest> kCriterionTestNames[] = {{CriterionTest::Falls, "falls"},
                                                                  {CriterionTest::EndsLower, "ends_lower"},
                                                                  {CriterionTest::Below, "below"},
                                                                  {CriterionTest::Above, "above"}};
enum class CriterionAxis { Width, Bandwidth };
inline constexpr EnumName<CriterionAxis> kCriterionAxisNames[] = {{CriterionAxis::Width, "width"},
                                                                  {CriterionAxis::Bandwidth, "bandwidth"}};
enum class CriterionQuantity { Deviation, DerivedDeviation };
inline constexpr EnumName<CriterionQuantity> kCriterionQuantityNames[] = {
    {CriterionQuantity::Deviation, "deviation"}, {CriterionQuantity::DerivedDeviation, "derived_deviation"}};

// The starting metrics of kind ricci_flow (experiments/ricci_flow_experiment.h, docs/ricci_flow_reference.md): the
// homogeneous families integrated as ODEs, and the grid flows on tori (conformal gauge on T², Ricci–DeTurck on T², T³).
enum class RicciFlowFamily { RoundSphere, Hyperbolic, Su2, Berger, Nil, SphereTorus, ConformalT2, DeTurckT2, DeTurckT3 };
inline constexpr EnumName<RicciFlowFamily> kRicciFlowFamilyNames[] = {
    {RicciFlowFamily::RoundSphere, "round_sphere"}, {RicciFlowFamily::Hyperbolic, "hyperbolic"},
    {RicciFlowFamily::Su2, "su2"}, {RicciFlowFamily::Berger, "berger"}, {RicciFlowFamily::Nil, "nil"},
    {RicciFlowFamily::SphereTorus, "sphere_torus"}, {RicciFlowFamily::ConformalT2, "conformal_t2"},
    {RicciFlowFamily::DeTurckT2, "deturck_t2"}, {RicciFlowFamily::DeTurckT3, "deturck_t3"}};

// Learning-rate schedules of the Trainer (training/trainer.h).
enum class LearningRateSchedule { Constant, Exponential, Cosine };
inline constexpr EnumName<LearningRateSchedule> kLearningRateScheduleNames[] = {
    {LearningRateSchedule::Constant, "constant"}, {LearningRateSchedule::Exponential, "exponential"},
    {LearningRateSchedule::Cosine, "cosine"}};

// The training regimes and initialisations of the Calabi–Yau width ladder (experiments/cy_width_ladder.h).
enum class LadderRegime { Adam, Sgd, LinearisedAdam, LinearisedSgd };
inline constexpr EnumName<LadderRegime> kLadderRegimeNames[] = {
    {LadderRegime::Adam, "adam"}, {LadderRegime::Sgd, "sgd"}, {LadderRegime::LinearisedAdam, "linearised_adam"},
    {LadderRegime::LinearisedSgd, "linearised_sgd"}};

enum class LadderInit { Centred, ZeroOutput };
inline constexpr EnumName<LadderInit> kLadderInitNames[] = {{LadderInit::Centred, "centred"},
                                                            {LadderInit::ZeroOutput, "zero_output"}};

}  // namespace nmflow

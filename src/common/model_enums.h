#pragma once
// The enums a configuration names and the models and losses implement, each with its one name table
// (enum_names.h). They sit here, below both src/io (whose config structs hold them and whose reader validates
// against the tables) and src/models, src/training (which implement them and keep their parse_… and …_name
// functions), so that the allowed names have one source (docs/design.md §0).
#include "common/enum_names.h"

namespace nmflow {

// models/activation.h
enum class Activation { Tanh, Gelu, Softplus, Erf, Sin, Cos, Relu };
inline constexpr EnumName<Activation> kActivationNames[] = {
    {Activation::Tanh, "tanh"}, {Activation::Gelu, "gelu"}, {Activation::Softplus, "softplus"},
    {Activation::Erf, "erf"}, {Activation::Sin, "sin"}, {Activation::Cos, "cos"}, {Activation::Relu, "relu"}};

// models/mlp.h
enum class Parameterisation { Standard, Ntk };
inline constexpr EnumName<Parameterisation> kParameterisationNames[] = {
    {Parameterisation::Standard, "standard"}, {Parameterisation::Ntk, "ntk"}};

// models/kahler_phi_model.h
enum class PhiInputs { Invariant, PatchAffine };
inline constexpr EnumName<PhiInputs> kPhiInputsNames[] = {
    {PhiInputs::Invariant, "invariant"}, {PhiInputs::PatchAffine, "patch_affine"}};

// models/free_cy_metric.h
enum class FreeMetricHead { Free, Additive, Multiplicative };
inline constexpr EnumName<FreeMetricHead> kFreeMetricHeadNames[] = {
    {FreeMetricHead::Free, "free"}, {FreeMetricHead::Additive, "additive"},
    {FreeMetricHead::Multiplicative, "multiplicative"}};

// training/cy_losses.h
enum class MongeAmpereWeighting { Uniform, Weighted };
inline constexpr EnumName<MongeAmpereWeighting> kMongeAmpereWeightingNames[] = {
    {MongeAmpereWeighting::Uniform, "uniform"}, {MongeAmpereWeighting::Weighted, "weighted"}};

enum class MongeAmpereKappa { TrainingSet, Batch };
inline constexpr EnumName<MongeAmpereKappa> kMongeAmpereKappaNames[] = {
    {MongeAmpereKappa::TrainingSet, "training_set"}, {MongeAmpereKappa::Batch, "batch"}};

}  // namespace nmflow

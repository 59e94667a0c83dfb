// Tests of experiment configurations (src/io/config_yaml.h, docs/config.md): every validation error names
// file:line:column, the key path and the allowed values; defaults, --set, --quick and the flattened entries --resume
// compares. The runs themselves are tested with their kinds (tests/experiments/).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "io/config_entries.h"
#include "io/config_yaml.h"

using namespace nmflow;

namespace {

// The message load_config throws for `text` ("" when it does not throw).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    load_config(text, "test.yaml", overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

// The message config.sections<Sections>() throws ("" when it does not throw).
template <typename Sections>
std::string sections_error(const ExperimentConfig& config) {
  try {
    config.sections<Sections>();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("The embedded default experiment validates and is a perturbed round S^2 under the Einstein loss", "[io]") {
  const LoadedConfig loaded = load_config(default_config_text(), "<default>");
  CHECK(loaded.text == default_config_text());
  const RealMetricFlowConfig& s = loaded.config.sections<RealMetricFlowConfig>();
  CHECK(s.manifold.name == "round_sphere");
  CHECK(s.manifold.sampler == "sphere");
  CHECK(s.loss.name == MetricLoss::Einstein);
  CHECK(s.optimizer.steps == 300);
}

TEST_CASE("A config holds the sections of its kind, and asking for another kind's names both kinds", "[io]") {
  for (const std::string kind :
       {"real_metric_flow", "cy_metric", "donaldson", "cy_free_metric", "cy_width_ladder", "local_ricci_check",
        "ricci_flow"}) {
    INFO(kind);
    const ExperimentConfig config = load_config("kind: " + kind + "\n", "t").config;
    CHECK(config.kind == kind);
    const std::vector<std::pair<std::string, std::string>> asked = {
        {RealMetricFlowConfig::kKind, sections_error<RealMetricFlowConfig>(config)},
        {CYMetricConfig::kKind, sections_error<CYMetricConfig>(config)},
        {DonaldsonRunConfig::kKind, sections_error<DonaldsonRunConfig>(config)},
        {CYFreeMetricRunConfig::kKind, sections_error<CYFreeMetricRunConfig>(config)},
        {CYWidthLadderRunConfig::kKind, sections_error<CYWidthLadderRunConfig>(config)},
        {LocalRicciCheckConfig::kKind, sections_error<LocalRicciCheckConfig>(config)},
        {RicciFlowConfig::kKind, sections_error<RicciFlowConfig>(config)}};
    for (const auto& [other, message] : asked) {
      INFO(other);
      CHECK(message == (other == kind ? "" : "the configuration is of kind " + kind + ", not of kind " + other +
                                                 " (whose sections were asked for)"));
    }
  }
  // Without a kind key, and in the embedded default, the kind is real_metric_flow.
  for (const std::string& text : {std::string("seed: 1\n"), default_config_text()}) {
    const ExperimentConfig config = load_config(text, "t").config;
    CHECK(config.kind == RealMetricFlowConfig::kKind);
    CHECK(sections_error<RealMetricFlowConfig>(config).empty());
  }
}

TEST_CASE("Every kind's entries name its output file, so --print-default --kind shows it", "[io]") {
  for (const std::string kind : {"real_metric_flow", "cy_metric", "donaldson", "cy_free_metric", "cy_width_ladder",
                                 "local_ricci_check", "ricci_flow"}) {
    INFO(kind);
    const ExperimentConfig config = load_config("kind: " + kind + "\nrecording: {output: out_" + kind + ".h5}\n",
                                                "t").config;
    const std::map<std::string, std::string> entries = config_entries(config);
    REQUIRE(entries.count("recording.output") == 1);
    CHECK(entries.at("recording.output") == "out_" + kind + ".h5");
  }
}

TEST_CASE("Edit distance counts insertions, deletions and substitutions", "[io]") {
  CHECK(edit_distance("optimiser", "optimizer") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("steps", "steps") == 0);
}

TEST_CASE("Malformed YAML is reported with file:line:column", "[io]") {
  const std::string message = error_of("seed: 1\nmanifold: {name: round_sphere\npoints: 3\n");
  INFO(message);
  CHECK(has(message, "test.yaml:"));
  CHECK(has(message, "malformed YAML"));
}

TEST_CASE("A misspelled key gives file:line:column, the key path and a did-you-mean", "[io]") {
  const std::string top = error_of("seed: 1\noptimiser: {lr: 0.1}\n");
  INFO(top);
  CHECK(has(top, "test.yaml:2:1: optimiser: unknown key 'optimiser'; did you mean 'optimizer'? allowed: kind, seed"));
  const std::string nested = error_of("optimizer:\n  name: adam\n  setps: 10\n");
  INFO(nested);
  CHECK(has(nested, "test.yaml:3:3: optimizer.setps: unknown key 'setps'; did you mean 'steps'?"));
  const std::string param = error_of("loss: {name: ricci_norm, params: {volume_wieght: 1}}\n");
  INFO(param);
  CHECK(has(param, "loss.params.volume_wieght: unknown key 'volume_wieght'; did you mean 'volume_weight'?"));
  // Nothing close: no suggestion, only the allowed keys.
  CHECK_FALSE(has(error_of("zzzzzzzz: 1\n"), "did you mean"));
}

TEST_CASE("A wrong type names the key and what was expected", "[io]") {
  const std::string message = error_of("optimizer:\n  lr: fast\n");
  INFO(message);
  CHECK(has(message, "test.yaml:2:7: optimizer.lr: expected a number, got 'fast'"));
  const std::string list = error_of("model: {hidden: 32}\n");
  INFO(list);
  CHECK(has(list, "test.yaml:1:17: model.hidden: expected a list of integers"));
  CHECK(has(error_of("optimizer: {steps: [1, 2]}\n"), "optimizer.steps: expected an integer, got a sequence"));
}

TEST_CASE("An out-of-range value names the key, the interval and the value", "[io]") {
  const std::string message = error_of("seed: 1\noptimizer:\n  lr: -0.5\n");
  INFO(message);
  CHECK(has(message, "test.yaml:3:7: optimizer.lr: must be in (0, inf), got -0.5"));
  const std::string choice = error_of("loss: {name: ricci}\n");
  INFO(choice);
  CHECK(has(choice, "loss.name: unknown value 'ricci'; allowed: einstein, ricci_norm, perelman_f"));
  const std::string params = error_of("manifold:\n  name: berger\n  params: {A: -1}\n");
  INFO(params);
  CHECK(has(params, "test.yaml:3:11: manifold.params: reference metric 'berger': parameter 'A' must be > 0"));
}

TEST_CASE("Inconsistent combinations are reported at the key to change", "[io]") {
  const std::string lbfgs = error_of("points: {resample_every: 5}\noptimizer: {name: lbfgs}\n");
  INFO(lbfgs);
  CHECK(has(lbfgs, "test.yaml:1:26: points.resample_every: L-BFGS needs one fixed loss"));
  const std::string decay = error_of("optimizer:\n  schedule: cosine\n  decay_rate: 0.9\n");
  INFO(decay);
  CHECK(has(decay, "test.yaml:3:15: optimizer.decay_rate: applies only to schedule 'exponential'"));
  const std::string head = error_of("model: {head: frame_exp}\n");
  INFO(head);
  CHECK(has(head, "model.background: background 'reference' composes"));
  CHECK(has(head, "allowed: none"));
  const std::string perelman = error_of("manifold: {name: hyperbolic}\nloss: {name: perelman_f}\n");
  INFO(perelman);
  CHECK(has(perelman, "test.yaml:2:14: loss.name: perelman_f slaves the dilaton"));
}

TEST_CASE("--set overrides replace keys, parse YAML values and are blamed as --set", "[io]") {
  const LoadedConfig loaded =
      load_config(default_config_text(), "<default>", {"optimizer.steps=7", "model.hidden=[3, 5]", "seed=11"});
  CHECK(loaded.config.sections<RealMetricFlowConfig>().optimizer.steps == 7);
  CHECK(loaded.config.sections<RealMetricFlowConfig>().model.hidden == std::vector<int64_t>{3, 5});
  CHECK(loaded.config.seed == 11);
  CHECK(has(loaded.text, "steps: 7"));
  // The re-emitted text is the configuration actually run: loading it gives the same config.
  CHECK(load_config(loaded.text, "again").config.sections<RealMetricFlowConfig>().model.hidden ==
        std::vector<int64_t>{3, 5});
  const std::string bad = error_of(default_config_text(), {"optimizer.lr=-1"});
  INFO(bad);
  CHECK(has(bad, "--set optimizer.lr: optimizer.lr: must be in (0, inf), got -1"));
  CHECK(has(error_of(default_config_text(), {"optimizer.stpes=3"}), "did you mean 'steps'?"));
  CHECK(has(error_of(default_config_text(), {"seed"}), "--set: expected key.path=value"));
}

// --- Calabi–Yau kinds (cy_metric, donaldson) ---

TEST_CASE("A cy_metric config reads every section, and the CY defaults apply where keys are absent", "[io]") {
  const ExperimentConfig config =
      load_config("kind: cy_metric\nseed: 4\nvariety: {name: dwork_quartic, psi: {re: 0.3, im: -0.2}}\npoints: "
                  "{train: 300, validation: 50}\nmodel: {hidden: [8]}\nloss: {monge_ampere: uniform, kappa: batch}\n"
                  "optimizer: {schedule: cosine}\ntraining: {epochs: 3, batch_size: 100, method: input_hessian}\n",
                  "test.yaml")
          .config;
  CHECK(config.kind == "cy_metric");
  const CYMetricConfig& c = config.sections<CYMetricConfig>();
  CHECK(c.variety.name == "dwork_quartic");
  CHECK(c.variety.has_psi);
  CHECK(c.variety.psi_re == 0.3);
  CHECK(c.variety.psi_im == -0.2);
  CHECK(c.points.train == 300);
  CHECK(c.points.validation == 50);
  CHECK(c.model.hidden == std::vector<int64_t>{8});
  CHECK(c.model.activation == Activation::Gelu);
  CHECK(c.loss.monge_ampere == MongeAmpereWeighting::Uniform);
  CHECK(c.loss.kappa == MongeAmpereKappa::Batch);
  CHECK(c.optimizer.lr == 1e-3);
  CHECK(c.training.method == PhiJetMethod::InputHessian);
  CHECK_FALSE(c.measures.curvature);
}

TEST_CASE("cy_metric: loss.kappa defaults to training_set and names its allowed values", "[io]") {
  CHECK(load_config("kind: cy_metric\n", "test.yaml").config.sections<CYMetricConfig>().loss.kappa ==
        MongeAmpereKappa::TrainingSet);
  const std::string message = error_of("kind: cy_metric\nloss: {kappa: minibatch}\n");
  INFO(message);
  CHECK(has(message, "loss.kappa"));
  CHECK(has(message, "training_set"));
  CHECK(has(message, "batch"));
}

TEST_CASE("cy_metric: an unknown variety name is rejected with the allowed names and a did-you-mean", "[io]") {
  const std::string message = error_of("kind: cy_metric\nvariety:\n  name: fermat_quintc\n");
  INFO(message);
  CHECK(has(message, "test.yaml:3:9: variety.name: unknown value 'fermat_quintc'"));
  CHECK(has(message, "fermat_quintic"));
  CHECK(has(message, "dwork_quintic"));
}

TEST_CASE("cy_metric: psi is rejected on a Fermat variety, required on a Dwork one, and singular psi^n = 1 fails",
          "[io]") {
  const std::string fermat = error_of("kind: cy_metric\nvariety: {name: fermat_quintic, psi: {re: 0.5}}\n");
  INFO(fermat);
  CHECK(has(fermat, "variety.psi: variety 'fermat_quintic' takes no psi"));
  CHECK(has(fermat, "use name dwork_quintic"));
  const std::string missing = error_of("kind: cy_metric\nvariety: {name: dwork_quintic}\n");
  INFO(missing);
  CHECK(has(missing, "variety.name: variety 'dwork_quintic' needs the complex modulus psi"));
  // ψ = e^{2πi/5}: ψ^5 = 1, the conifold.
  const std::string conifold =
      error_of("kind: cy_metric\nvariety:\n  name: dwork_quintic\n  psi: {re: 0.30901699437494745, im: "
               "0.9510565162951535}\n");
  INFO(conifold);
  CHECK(has(conifold, "test.yaml:4:8: variety.psi: ψ^5 = 1: this member of the Dwork family is singular"));
  const std::string not_number = error_of("kind: cy_metric\nvariety: {name: dwork_cubic, psi: {re: big}}\n");
  INFO(not_number);
  CHECK(has(not_number, "variety.psi.re: expected a number, got 'big'"));
  const std::string bad_key = error_of("kind: cy_metric\nvariety: {name: dwork_cubic, psi: {real: 0.1}}\n");
  INFO(bad_key);
  CHECK(has(bad_key, "variety.psi.real: unknown key 'real'; did you mean 're'?"));
}

TEST_CASE("cy_metric: negative epochs and a batch larger than the training set name the key and the range",
          "[io]") {
  const std::string epochs = error_of("kind: cy_metric\ntraining:\n  epochs: -3\n");
  INFO(epochs);
  CHECK(has(epochs, "test.yaml:3:11: training.epochs: must be in [0, 1099511627776], got -3"));
  const std::string batch = error_of("kind: cy_metric\npoints: {train: 100}\ntraining: {batch_size: 200}\n");
  INFO(batch);
  CHECK(has(batch, "training.batch_size: exceeds points.train = 100; allowed: 1 to 100"));
  const std::string lbfgs = error_of("kind: cy_metric\npoints: {train: 100}\noptimizer: {name: lbfgs}\n"
                                     "training: {batch_size: 50}\n");
  INFO(lbfgs);
  CHECK(has(lbfgs, "training.batch_size: L-BFGS needs one fixed loss"));
}

TEST_CASE("cy_metric: an unknown key gets a did-you-mean among the cy_metric keys only", "[io]") {
  const std::string message = error_of("kind: cy_metric\ntraining:\n  epocs: 3\n");
  INFO(message);
  CHECK(has(message, "test.yaml:3:3: training.epocs: unknown key 'epocs'; did you mean 'epochs'? allowed: epochs, "
                     "batch_size, eval_every, method, max_wall_seconds"));
  const std::string top = error_of("kind: cy_metric\nvarity: {name: k3_quartic}\n");
  INFO(top);
  CHECK(has(top, "test.yaml:2:1: varity: unknown key 'varity'; did you mean 'variety'?"));
  CHECK_FALSE(has(top, "manifold"));  // the allowed list is the cy_metric one
}

TEST_CASE("A key of another kind is named as such: real keys in cy_metric and donaldson, CY keys in the real kind",
          "[io]") {
  const std::string head = error_of("kind: cy_metric\nmodel:\n  head: conformal\n");
  INFO(head);
  CHECK(has(head, "test.yaml:3:9: model.head: 'head' is a key of kind real_metric_flow and cy_free_metric, not of "
                  "kind cy_metric; allowed here: inputs, hidden"));
  const std::string steps = error_of("kind: cy_metric\noptimizer: {steps: 10}\n");
  INFO(steps);
  CHECK(has(steps, "optimizer.steps: 'steps' is a key of kind real_metric_flow, not of kind cy_metric (a "
                   "cy_metric run lasts training.epochs)"));
  const std::string manifold = error_of("kind: cy_metric\nmanifold: {name: round_sphere}\n");
  INFO(manifold);
  CHECK(has(manifold, "manifold: 'manifold' is a key of kind real_metric_flow, not of kind cy_metric"));
  const std::string training = error_of("kind: donaldson\ntraining: {epochs: 3}\n");
  INFO(training);
  CHECK(has(training, "training: 'training' is a key of kind cy_metric, cy_free_metric and cy_width_ladder, not of "
                      "kind donaldson"));
  const std::string variety = error_of("variety: {name: fermat_quintic}\n");
  INFO(variety);
  CHECK(has(variety, "variety: 'variety' is a key of kind cy_metric, donaldson, cy_free_metric and cy_width_ladder, "
                     "not of kind real_metric_flow"));
  const std::string validation = error_of("points: {validation: 10}\n");
  INFO(validation);
  CHECK(has(validation, "points.validation: 'validation' is a key of kind cy_metric, donaldson, cy_free_metric and "
                        "cy_width_ladder, "
                        "not of kind real_metric_flow; allowed here: train, probe, resample_every"));
}

TEST_CASE("A misspelled kind is reported first, with the kinds allowed", "[io]") {
  const std::string message = error_of("kind: cy_metrc\nvariety: {name: fermat_quintic}\n");
  INFO(message);
  CHECK(has(message, "test.yaml:1:7: kind: unknown value 'cy_metrc'"));
  CHECK(has(message, "real_metric_flow, cy_metric, donaldson"));
}

TEST_CASE("cy_metric: the curvature measures and the device are validated (donaldson: CPU only)", "[io]") {
  CHECK(load_config("kind: cy_metric\ndevice: cuda\n", "t").config.device == DeviceChoice::Cuda);
  CHECK(load_config("kind: cy_metric\ndevice: auto\n", "t").config.device == DeviceChoice::Auto);
  const std::string device = error_of("kind: donaldson\ndevice: cuda\n");
  INFO(device);
  CHECK(has(device, "device: kind donaldson runs on the CPU only so far"));
  const std::string points = error_of("kind: cy_metric\npoints: {validation: 50}\nmeasures: {curvature: true, "
                                      "curvature_points: 60}\n");
  INFO(points);
  CHECK(has(points, "test.yaml:3:47: measures.curvature_points: exceeds points.validation = 50"));
  CHECK(load_config("kind: cy_metric\nmeasures: {curvature: true}\n", "t")
            .config.sections<CYMetricConfig>()
            .measures.curvature);
  CHECK(has(error_of("kind: cy_metric\nmeasures: {curvature: yes please}\n"), "measures.curvature: expected"));
  const std::string baseline = error_of("kind: cy_metric\nmeasures: {fubini_study: true}\n");
  INFO(baseline);
  CHECK(has(baseline, "test.yaml:2:26: measures.fubini_study: needs measures.curvature: true"));
}

TEST_CASE("donaldson: k is one degree or an ascending list in 1..8, and float32 is rejected", "[io]") {
  const auto degrees = [](const std::string& text) {
    return load_config(text, "t").config.sections<DonaldsonRunConfig>().donaldson.k;
  };
  CHECK(degrees("kind: donaldson\ndonaldson: {k: 4}\n") == std::vector<int64_t>{4});
  CHECK(degrees("kind: donaldson\ndonaldson: {k: [1, 3]}\n") == std::vector<int64_t>{1, 3});
  const std::string nine = error_of("kind: donaldson\ndonaldson:\n  k: [1, 9]\n");
  INFO(nine);
  CHECK(has(nine, "test.yaml:3:10: donaldson.k[1]: must be in [1, 8], got 9"));
  CHECK(has(error_of("kind: donaldson\ndonaldson: {k: [2, 1]}\n"), "donaldson.k: degrees must be strictly ascending"));
  CHECK(has(error_of("kind: donaldson\ndtype: float32\n"), "dtype: balanced metrics are computed in complex128"));
}

TEST_CASE("--quick shrinks the CY kinds to seconds: 10 steps per epoch, 2 epochs, k <= 2", "[io]") {
  ExperimentConfig cy = load_config("kind: cy_metric\npoints: {train: 100000, validation: 10000}\n"
                                    "training: {epochs: 60, batch_size: 1000}\n",
                                    "t")
                            .config;
  apply_quick(cy);
  CHECK(cy.sections<CYMetricConfig>().points.train == 500);
  CHECK(cy.sections<CYMetricConfig>().points.validation == 200);
  CHECK(cy.sections<CYMetricConfig>().training.batch_size == 50);
  CHECK(cy.sections<CYMetricConfig>().training.epochs == 2);
  ExperimentConfig d = load_config("kind: donaldson\ndonaldson: {k: [1, 2, 3, 4, 5, 6], iterations: 10}\n", "t").config;
  apply_quick(d);
  CHECK(d.sections<DonaldsonRunConfig>().donaldson.k == std::vector<int64_t>{1, 2});
  CHECK(d.sections<DonaldsonRunConfig>().donaldson.iterations == 3);
}

// --- kind cy_free_metric ---

TEST_CASE("A cy_free_metric config reads every section into enums, with the free-model defaults", "[io]") {
  const ExperimentConfig config =
      load_config("kind: cy_free_metric\nseed: 5\nvariety: {name: k3_quartic}\npoints: {train: 300, validation: 100}\n"
                  "model: {head: free, inputs: patch_affine, hidden: [8], activation: relu, parameterisation: ntk}\n"
                  "loss: {monge_ampere: uniform, kappa: batch, alpha_kahler: 0.5, alpha_transition: 0}\n"
                  "optimizer: {schedule: cosine, min_lr: 0.0001}\ntraining: {epochs: 3, batch_size: 100}\n",
                  "test.yaml")
          .config;
  CHECK(config.kind == "cy_free_metric");
  const CYFreeMetricRunConfig& c = config.sections<CYFreeMetricRunConfig>();
  CHECK(c.model.head == FreeMetricHead::Free);
  CHECK(c.model.inputs == PhiInputs::PatchAffine);
  CHECK(c.model.hidden == std::vector<int64_t>{8});
  CHECK(c.model.activation == Activation::Relu);  // first derivatives only: relu is allowed here
  CHECK(c.model.parameterisation == Parameterisation::Ntk);
  CHECK(c.loss.monge_ampere == MongeAmpereWeighting::Uniform);
  CHECK(c.loss.kappa == MongeAmpereKappa::Batch);
  CHECK(c.loss.alpha_kahler == 0.5);
  CHECK(c.loss.alpha_transition == 0.0);
  CHECK(c.optimizer.lr == 5e-3);  // the free kind's default
  CHECK(c.training.epochs == 3);
  const ExperimentConfig defaults = load_config("kind: cy_free_metric\n", "t").config;
  const CYFreeMetricRunConfig& d = defaults.sections<CYFreeMetricRunConfig>();
  CHECK(d.model.head == FreeMetricHead::Multiplicative);
  CHECK(d.model.inputs == PhiInputs::Invariant);
  CHECK(d.loss.alpha_kahler == 1.0);
  CHECK(d.loss.kappa == MongeAmpereKappa::TrainingSet);
}

TEST_CASE("cy_free_metric: unknown names, wrong types and out-of-range values are located and name what is allowed",
          "[io]") {
  const std::string head = error_of("kind: cy_free_metric\nmodel:\n  head: cholesky\n");
  INFO(head);
  CHECK(has(head, "test.yaml:3:9: model.head: unknown value 'cholesky'; allowed: free, additive, multiplicative"));
  const std::string inputs = error_of("kind: cy_free_metric\nmodel: {inputs: affine}\n");
  INFO(inputs);
  CHECK(has(inputs, "model.inputs: unknown value 'affine'; allowed: invariant, patch_affine"));
  const std::string alpha = error_of("kind: cy_free_metric\nloss:\n  alpha_kahler: -1\n");
  INFO(alpha);
  CHECK(has(alpha, "test.yaml:3:17: loss.alpha_kahler: must be in [0, inf), got -1"));
  const std::string type = error_of("kind: cy_free_metric\nloss: {alpha_transition: lots}\n");
  INFO(type);
  CHECK(has(type, "loss.alpha_transition: expected a number, got 'lots'"));
  const std::string typo = error_of("kind: cy_free_metric\nloss: {alpha_kaehler: 1}\n");
  INFO(typo);
  CHECK(has(typo, "loss.alpha_kaehler: unknown key 'alpha_kaehler'; did you mean 'alpha_kahler'?"));
  const std::string batch = error_of("kind: cy_free_metric\npoints: {train: 100}\ntraining: {batch_size: 200}\n");
  INFO(batch);
  CHECK(has(batch, "training.batch_size: exceeds points.train = 100"));
  const std::string device = error_of("kind: cy_free_metric\ndevice: cuda\n");
  INFO(device);
  CHECK(has(device, "device: kind cy_free_metric runs on the CPU only so far"));
}

TEST_CASE("cy_free_metric: training.method and measures are cy_metric's and refused naming the kind and why; "
          "loss.kappa is honoured",
          "[io]") {
  const std::string method = error_of("kind: cy_free_metric\ntraining:\n  method: autograd\n");
  INFO(method);
  CHECK(has(method, "test.yaml:3:11: training.method: 'method' is a key of kind cy_metric, not of kind "
                    "cy_free_metric (it picks how the φ-model gets ∂∂̄φ; a free model has no potential φ"));
  CHECK(has(method, "allowed here: epochs, batch_size, eval_every, max_wall_seconds"));
  const std::string measures = error_of("kind: cy_free_metric\nmeasures: {curvature: true}\n");
  INFO(measures);
  CHECK(has(measures, "measures: 'measures' is a key of kind cy_metric, not of kind cy_free_metric (the curvature"));
  const std::string alpha = error_of("kind: cy_metric\nloss: {alpha_kahler: 1}\n");
  INFO(alpha);
  CHECK(has(alpha, "loss.alpha_kahler: 'alpha_kahler' is a key of kind cy_free_metric, not of kind cy_metric"));
  // kappa is read (and compared by --resume), not silently dropped.
  const ExperimentConfig batch = load_config("kind: cy_free_metric\nloss: {kappa: batch}\n", "t").config;
  CHECK(config_entries(batch).at("loss.kappa") == "batch");
  CHECK(config_differences(load_config("kind: cy_free_metric\n", "t").config, batch) ==
        std::vector<std::string>{"loss.kappa: training_set -> batch"});
  CHECK(config_entries(batch).count("training.method") == 0);
}

TEST_CASE("--quick shrinks cy_free_metric to 2 epochs of 10 steps on a few hundred points", "[io]") {
  ExperimentConfig c = load_config("kind: cy_free_metric\npoints: {train: 20000, validation: 5000}\n"
                                   "training: {epochs: 40, batch_size: 1000}\n",
                                   "t")
                           .config;
  apply_quick(c);
  const CYFreeMetricRunConfig& s = c.sections<CYFreeMetricRunConfig>();
  CHECK(s.points.train == 500);
  CHECK(s.points.validation == 200);
  CHECK(s.training.batch_size == 50);
  CHECK(s.training.epochs == 2);
}

// --- cy_width_ladder ---

TEST_CASE("cy_width_ladder: every section reads into typed values, with the K3 study's defaults", "[io]") {
  const ExperimentConfig config = load_config("kind: cy_width_ladder\nseed: 4\npoints: {train: 1000, probes: 16}\n"
                                         "ladder: {widths: [32, 8], depth: 2, seeds: [2, 0], regimes: [sgd, "
                                         "linearised_sgd]}\nmodel: {init: zero_output, activation: tanh, sigma_w: 2}\n"
                                         "optimizer: {sgd_lr: 1.0, schedule: cosine, min_lr_fraction: 0.01}\n"
                                         "training: {epochs: 30, batch_size: 250, eval_every: 3}\n"
                                         "ntk: {top_eigenvalues: 10}\nrecording: {output: l.h5}\n",
                                         "t")
                              .config;
  const CYWidthLadderRunConfig& c = config.sections<CYWidthLadderRunConfig>();
  const CYWidthLadderConfig& l = c.ladder;
  CHECK(c.variety.name == "k3_quartic");
  CHECK(c.points.train == 1000);
  CHECK(c.points.validation == 4000);
  CHECK(l.probes == 16);
  CHECK(l.widths == std::vector<int64_t>{32, 8});
  CHECK(l.depth == 2);
  CHECK(l.seeds == std::vector<uint64_t>{2, 0});
  // Double parentheses: Catch2 cannot print a vector of enums, so it checks the comparison as a plain bool.
  CHECK((l.regimes == std::vector<LadderRegime>{LadderRegime::Sgd, LadderRegime::LinearisedSgd}));
  CHECK(l.init == LadderInit::ZeroOutput);
  CHECK(l.activation == Activation::Tanh);
  CHECK(l.sigma_w == 2.0);
  CHECK(l.sigma_b == 0.1);
  CHECK(l.adam_lr == 1e-3);
  CHECK(l.sgd_lr == 1.0);
  CHECK(l.schedule == LearningRateSchedule::Cosine);
  CHECK(l.min_lr_fraction == 0.01);
  CHECK(l.epochs == 30);
  CHECK(l.batch_size == 250);
  CHECK(l.eval_every == 3);
  CHECK(l.top_eigenvalues == 10);
  CHECK(config.recording.output == "l.h5");
}

TEST_CASE("cy_width_ladder: unknown keys, wrong types and out-of-range values are located and name what is allowed",
          "[io]") {
  const auto located = [](const std::string& text, const std::string& expected) {
    const std::string message = error_of("kind: cy_width_ladder\n" + text);
    INFO(message);
    CHECK(has(message, expected));
  };
  located("ladder:\n  widht: [8]\n", "test.yaml:3:3: ladder.widht: unknown key 'widht'; did you mean 'widths'?");
  located("ladder: {widths: 16}\n", "test.yaml:2:18: ladder.widths: expected a list of integers");
  located("ladder: {widths: [16, 0]}\n", "test.yaml:2:23: ladder.widths[1]: must be in [1, 65536], got 0");
  located("ladder: {widths: [16, 64, 16]}\n", "ladder.widths: lists width 16 twice");
  located("ladder: {seeds: [1, -1]}\n", "ladder.seeds[1]: must be in [0, ");
  located("ladder: {regimes: [adam, lazy]}\n",
          "test.yaml:2:26: ladder.regimes[1]: unknown value 'lazy'; allowed: adam, sgd, linearised_adam, "
          "linearised_sgd");
  located("ladder: {regimes: adam}\n", "ladder.regimes: expected a list of names such as [adam], got a scalar");
  located("ladder: {regimes: []}\n", "ladder.regimes: needs at least one value");
  located("model: {init: zero}\n", "model.init: unknown value 'zero'; allowed: centred, zero_output");
  located("model: {activation: relu}\n", "model.activation: relu has a zero second derivative");
  located("model: {hidden: [64]}\n", "model.hidden: 'hidden' is a key of kind real_metric_flow, cy_metric and "
                                     "cy_free_metric, not of kind cy_width_ladder (the ladder's hidden layers are ladder.widths and "
                                     "ladder.depth); allowed here: init, activation, sigma_w, sigma_b");
  located("optimizer: {lr: 0.1}\n", "optimizer.lr: 'lr' is a key of kind real_metric_flow, cy_metric and "
                                    "cy_free_metric, not of kind cy_width_ladder (each regime names its optimiser: adam_lr and sgd_lr)");
  located("optimizer: {adam_lr: fast}\n", "optimizer.adam_lr: expected a number, got 'fast'");
  located("optimizer: {sgd_lr: 0}\n", "optimizer.sgd_lr: must be in (0, inf), got 0");
  located("optimizer: {schedule: exponential}\n", "optimizer.schedule: unknown value 'exponential'; allowed: "
                                                  "constant, cosine");
  located("optimizer: {min_lr_fraction: 0.1}\n", "optimizer.min_lr_fraction: applies only to schedule 'cosine'");
  located("optimizer: {schedule: cosine, min_lr_fraction: 2}\n", "optimizer.min_lr_fraction: must be in [0, 1], got 2");
  located("training: {epochs: 0}\n", "training.epochs: must be in [1, ");
  located("points: {train: 300}\ntraining: {batch_size: 400}\n",
          "test.yaml:3:24: training.batch_size: exceeds points.train = 300");
  located("points: {probes: 2}\nntk: {top_eigenvalues: 9}\n", "ntk.top_eigenvalues: must be in [1, 8], got 9");
  located("device: cuda\n", "device: kind cy_width_ladder runs on the CPU only so far");
  located("dtype: float32\n", "dtype: the ladder's NTKs and drifts are compared in float64");
  // A probe set too small for the default eigenvalue count shrinks the default instead of failing.
  CHECK(load_config("kind: cy_width_ladder\npoints: {probes: 1}\n", "t")
            .config.sections<CYWidthLadderRunConfig>()
            .ladder.top_eigenvalues == 4);
}

TEST_CASE("cy_width_ladder: --quick keeps four runs of two epochs on a thousand points", "[io]") {
  ExperimentConfig config = load_config("kind: cy_width_ladder\nladder: {widths: [1024, 64, 256], seeds: [3, 4], "
                                        "regimes: [linearised_sgd, adam, sgd]}\n",
                                        "t")
                                .config;
  apply_quick(config);
  const CYWidthLadderRunConfig& c = config.sections<CYWidthLadderRunConfig>();
  CHECK(c.points.train == 1000);
  CHECK(c.points.validation == 500);
  CHECK(c.ladder.probes == 8);
  CHECK(c.ladder.widths == std::vector<int64_t>{16, 32});
  CHECK(c.ladder.seeds == std::vector<uint64_t>{3});
  CHECK((c.ladder.regimes == std::vector<LadderRegime>{LadderRegime::LinearisedSgd, LadderRegime::Adam}));
  CHECK(c.ladder.epochs == 2);
  CHECK(c.ladder.batch_size == 100);
  CHECK(c.ladder.eval_every == 1);
  CHECK(c.ladder.top_eigenvalues == 4);
}

TEST_CASE("recording.ntk_*: probes within points.probe, eigenvalues within probes * p, --quick clamps both", "[io]") {
  const std::string sphere = "manifold: {name: round_sphere, params: {dim: 3}}\npoints: {probe: 8}\n";
  const std::string probes = error_of(sphere + "recording: {ntk_every: 5, ntk_probes: 9}\n");
  INFO(probes);
  CHECK(has(probes, "recording.ntk_probes: must be in [1, 8], got 9"));
  // 2 probes of the 3-sphere: Θ is [2·6, 2·6], so at most 12 eigenvalues.
  const std::string eig = error_of(sphere + "recording: {ntk_probes: 2, ntk_eigenvalues: 13}\n");
  INFO(eig);
  CHECK(has(eig, "recording.ntk_eigenvalues: must be in [1, 12], got 13"));
  CHECK(has(error_of(sphere + "recording: {ntk_every: -1}\n"), "recording.ntk_every: must be in [0, "));
  const ExperimentConfig defaults = load_config(sphere, "t").config;
  CHECK(defaults.recording.ntk_every == 0);
  CHECK(defaults.recording.ntk_probes == 8);  // the default 16 shrinks to points.probe
  CHECK(defaults.recording.ntk_eigenvalues == 4);
  ExperimentConfig quick =
      load_config("points: {probe: 64}\nrecording: {ntk_every: 50, ntk_probes: 40, ntk_eigenvalues: 30}\n", "t").config;
  apply_quick(quick);
  CHECK(quick.recording.ntk_every == 10);
  CHECK(quick.recording.ntk_probes == 16);
  CHECK(quick.recording.ntk_eigenvalues == 16);
}

TEST_CASE("An empty configuration is refused with what to write instead", "[io]") {
  for (const char* text : {"", "\n", "# only a comment\n"}) {
    const std::string message = error_of(text);
    INFO(message);
    CHECK(has(message, "test.yaml: the configuration is empty (no keys); write at least 'kind: …'"));
    CHECK(has(message, "nmflow config --print-default"));
  }
  // With --set entries the keys come from the command line: not empty.
  CHECK(load_config("", "test.yaml", {"optimizer.steps=3"}).config.sections<RealMetricFlowConfig>().optimizer.steps ==
        3);
}

TEST_CASE("Every kind's defaults print as YAML that loads back to the same configuration", "[io]") {
  for (const char* kind :
       {"real_metric_flow", "cy_metric", "donaldson", "cy_free_metric", "cy_width_ladder", "local_ricci_check",
        "ricci_flow"}) {
    INFO(kind);
    const std::string text = default_config_yaml(kind);
    INFO(text);
    CHECK(text.rfind(std::string("kind: ") + kind + "\n", 0) == 0);
    const ExperimentConfig defaults = load_config(std::string("kind: ") + kind + "\n", "t").config;
    const ExperimentConfig printed = load_config(text, "printed").config;
    CHECK(config_entries(printed) == config_entries(defaults));
    CHECK(config_differences(printed, defaults).empty());
  }
  CHECK(has(default_config_yaml("cy_metric"), "training:\n  batch_size: 1000\n"));
  CHECK(has(default_config_yaml("cy_width_ladder"), "ladder:\n  depth: 1\n  regimes: [adam, sgd, linearised_adam]\n"));
  CHECK_THROWS_WITH(default_config_yaml("ricci"), "--kind: unknown experiment kind 'ricci'; allowed: real_metric_flow, "
                                                  "cy_metric, donaldson, cy_free_metric, cy_width_ladder, local_ricci_check, "
                                                  "ricci_flow");
}

TEST_CASE("local_ricci_check: cases and criteria are lists whose errors name the element, cases[i].key", "[io]") {
  const std::string head = "kind: local_ricci_check\ncases:\n";
  const std::string s3 = "  - {name: round_s3, features: 16, points: 8, probes: 2, final_time: 0.004, "
                         "learning_rate: 0.002, observations: 1}\n";
  const std::string text = head + s3 + s3 + "  - {name: t2, manifold: conformal_t2, features: 16, bandwidth: 1}\n";
  const LocalRicciCheckConfig check = load_config(text, "t").config.sections<LocalRicciCheckConfig>();
  REQUIRE(check.cases.size() == 3);
  CHECK(check.cases[1].features == 16);
  CHECK(check.cases[2].manifold == LocalRicciManifold::ConformalT2);
  CHECK(check.cases[2].u0.size() == 2);  // the default u₀ = 0.3 cos x + 0.2 sin(x + y)
  CHECK(check.criteria.empty());         // cases given: no criteria unless listed

  const std::string bandwidth = error_of(head + s3 + s3 + "  - {name: t2, manifold: conformal_t2, bandwidth: -1}\n");
  INFO(bandwidth);
  CHECK(has(bandwidth, "test.yaml:5:51: cases[2].bandwidth: must be in [0.5, inf), got -1"));
  const std::string grid = error_of(head + "  - {name: a, grid: 16}\n");
  CHECK(has(grid, "test.yaml:3:21: cases[0].grid: applies only to manifold conformal_t2 (this case is on s3)"));
  const std::string mode = error_of(head + "  - name: t2\n    manifold: conformal_t2\n    u0:\n      - {kx: 1, "
                                    "cos: 0.1}\n      - {kx: 1, sine: 0.1}\n");
  INFO(mode);
  CHECK(has(mode, "test.yaml:7:17: cases[0].u0[1].sine: unknown key 'sine'; did you mean 'sin'?"));
  CHECK(has(error_of(head + "  - {name: a, head: conformal}\n"),
            "cases[0].head: unknown value 'conformal'; allowed: frame_exp, symmetric"));
  CHECK(has(error_of(head + "  - {name: a, manifold: conformal_t2, features: 20}\n"),
            "cases[0].features: on conformal_t2 the features are an n_c × n_c grid of bump centres, so a square"));
  CHECK(has(error_of(head + "  - {name: a, final_time: 0.01, learning_rate: 0.003}\n"),
            "cases[0].learning_rate: final_time / (learning_rate · observations) must be a whole number"));
  CHECK(has(error_of(head + "  - {manifold: s3}\n"), "cases[0].name: every case needs a name"));
  CHECK(has(error_of(head + "  - name: a\n  - 3\n"), "test.yaml:4:5: cases[1]: expected a mapping of keys"));
  CHECK(has(error_of(head + s3 + "criteria:\n  - {test: falls, ladder: round_s3}\n"),
            "criteria[0].ladder: ladder 'round_s3' needs at least two cases of different width"));
  CHECK(has(error_of(head + s3 + "criteria:\n  - {test: below, ladder: berger, threshold: 1}\n"),
            "test.yaml:5:27: criteria[0].ladder: names no case 'berger'; allowed: round_s3"));
  CHECK(has(error_of(head + s3 + "criteria:\n  - {test: below, ladder: round_s3}\n"),
            "criteria[0].threshold: test below needs a threshold"));
  CHECK(has(error_of(head + s3 + "criteria:\n  - {test: falls, ladder: round_s3, threshold: 1}\n"),
            "criteria[0].threshold: applies only to test below and above (this criterion's test is falls)"));
  CHECK(has(error_of(head + s3 + "criteria:\n  - {test: below, ladder: round_s3, quantity: derived_deviation, "
                                 "threshold: 1}\n"),
            "criteria[0].quantity: derived_deviation is defined for the conformal head on conformal_t2 only"));
  CHECK(has(error_of("kind: local_ricci_check\ndevice: cuda\n"),
            "'device' is a key of kind real_metric_flow, cy_metric, donaldson, cy_free_metric and cy_width_ladder, "
            "not of kind local_ricci_check "
            "(the check runs on the CPU in float64)"));
  CHECK(has(error_of(text, {"cases=[{name: x, points: 2}]"}), "--set cases: cases[0].points: must be in [8, "));
}

TEST_CASE("local_ricci_check: the shipped checks are embedded, and the default is the quick check", "[io]") {
  const ExperimentConfig quick = load_config(local_ricci_check_config_text(true), "quick").config;
  const ExperimentConfig full = load_config(local_ricci_check_config_text(false), "full").config;
  CHECK(quick.sections<LocalRicciCheckConfig>().cases.size() == 11);
  CHECK(quick.sections<LocalRicciCheckConfig>().criteria.size() == 9);
  CHECK(full.sections<LocalRicciCheckConfig>().cases.size() == 20);
  CHECK(full.sections<LocalRicciCheckConfig>().criteria.size() == 10);
  CHECK(quick.threads == 1);
  const ExperimentConfig defaults = load_config("kind: local_ricci_check\n", "t").config;
  std::map<std::string, std::string> expected = config_entries(quick);
  expected["recording.output"] = "local_ricci_check.h5";
  expected["threads"] = "0";  // only the cases and criteria come from the quick check
  CHECK(config_entries(defaults) == expected);
  const std::map<std::string, std::string> entries = config_entries(quick);
  CHECK(entries.at("cases[10].head") == "conformal");
  CHECK(entries.at("cases[10].u0") == "[{kx: 1, ky: 0, cos: 0.3, sin: 0}, {kx: 1, ky: 1, cos: 0, sin: 0.2}]");
  CHECK(entries.at("criteria[7].threshold") == "1e-06");
  CHECK(entries.count("device") == 0);
  // --quick leaves the kind alone: its quick form is a config of its own.
  ExperimentConfig shrunk = full;
  apply_quick(shrunk);
  CHECK(config_differences(full, shrunk).empty());
}

TEST_CASE("compare: a manifold without a reference, an optimiser without flow time and a moved g₀ are located errors",
          "[io]") {
  const std::string base = "manifold: {name: berger, params: {A: 0.49, B: 1.69}}\n"
                           "model: {init_scale: 0}\n"
                           "optimizer: {name: sgd}\n";
  CHECK(error_of(base + "compare: {ricci_flow: true}\n").empty());
  CHECK(has(error_of("manifold: {name: flat_torus, params: {dim: 3}}\nmodel: {init_scale: 0}\n"
                     "optimizer: {name: sgd}\ncompare: {ricci_flow: true}\n"),
            "test.yaml:4:23: compare.ricci_flow: nmflow has no reference Ricci flow starting from manifold "
            "'flat_torus'; supported: round_sphere, berger, su2, sphere_torus, conformal_torus"));
  CHECK(has(error_of("manifold: {name: conformal_torus, params: {cos_16_0: 0.1}}\nmodel: {init_scale: 0}\n"
                     "optimizer: {name: sgd}\ncompare: {ricci_flow: true}\n"),
            "compare.ricci_flow: the reference integrates the conformal torus on a 32×32 grid, which resolves wave "
            "numbers |k| < 16; manifold.params has a mode (16, 0)"));
  for (const char* optimizer : {"adam", "lbfgs"}) {
    CHECK(has(error_of(base + "compare: {ricci_flow: true}\n", {std::string("optimizer.name=") + optimizer}),
              "compare.ricci_flow: optimizer '" + std::string(optimizer) + "' has no flow time"));
  }
  CHECK(has(error_of(base + "compare: {ricci_flow: true}\n", {"model.init_scale=0.1"}),
            "compare.ricci_flow: the reference starts from the manifold's metric, so the network's g₀ must be it"));
  CHECK(has(error_of(base + "compare: {ricci_flow: true}\n", {"model.background=none", "model.head=free_spd"}),
            "got background 'none'"));
  CHECK(has(error_of(base + "compare: {ricci_flow: true}\n", {"dtype=float32"}), "needs dtype float64"));
  CHECK(has(error_of(base + "compare: {every: 5}\n"), "test.yaml:4:18: compare.every: applies only with ricci_flow: true"));
  CHECK(has(error_of(base + "compare: {ricci_flow: true, evry: 5}\n"), "compare.evry: unknown key 'evry'"));
}

TEST_CASE("compare: every defaults to recording.every, and the entries hold the section only when it is on", "[io]") {
  const std::string base = "manifold: {name: round_sphere, params: {dim: 3}}\nmodel: {init_scale: 0}\n"
                           "optimizer: {name: sgd}\nrecording: {every: 7}\n";
  const ExperimentConfig on = load_config(base + "compare: {ricci_flow: true}\n", "t").config;
  const RealMetricFlowConfig& s = on.sections<RealMetricFlowConfig>();
  CHECK(s.compare.every == 7);
  CHECK(s.compare.reference.family == RicciFlowFamily::RoundSphere);
  CHECK(s.compare.reference.dim == 3);
  CHECK(config_entries(on).at("compare.ricci_flow") == "true");
  const ExperimentConfig torus = load_config("manifold: {name: conformal_torus, params: {cos_1_0: 0.3, sin_1_1: 0.2}}\n"
                                             "model: {init_scale: 0}\noptimizer: {name: sgd}\ncompare: {ricci_flow: true}\n",
                                             "t").config;
  const RicciFlowConfig& r = torus.sections<RealMetricFlowConfig>().compare.reference;
  CHECK(r.family == RicciFlowFamily::ConformalT2);
  REQUIRE(r.u0.size() == 2);
  CHECK((r.u0[0].kx == 1 && r.u0[0].ky == 0 && r.u0[0].cos == 0.3 && r.u0[0].sin == 0.0));
  CHECK((r.u0[1].kx == 1 && r.u0[1].ky == 1 && r.u0[1].cos == 0.0 && r.u0[1].sin == 0.2));
  const ExperimentConfig off = load_config(base, "t").config;
  CHECK(config_entries(off).count("compare.ricci_flow") == 0);
}

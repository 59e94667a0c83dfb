// Tests of the neural metric flow's training loop (src/training/trainer.h, optimizers.h; docs/design.md §4): the update
// rules against closed forms, schedules, clipping, NaN stops, bit-exact checkpoint/resume, Perelman F increasing
// along its gradient ascent, and convergence of a perturbed round S^2 towards constant curvature.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "common/error.h"
#include "training/losses.h"
#include "flows/neural_metric_flow.h"
#include "training/perelman.h"
#include "training/trainer.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/manifolds/sampler.h"
#include "geometry/manifolds/space_forms.h"
#include "models/neural_metric.h"

using namespace nmflow;

namespace {

double rel(double a, double b) { return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-300}); }

// L = ½ Σ_i c_i (p_i − a_i)²: a quadratic with known minimiser and gradient c (p − a).
struct Quadratic {
  at::Tensor p = at::tensor({1.0, -2.0, 0.5}, at::kDouble).requires_grad_(true);
  at::Tensor a = at::tensor({0.3, 0.1, -0.7}, at::kDouble);
  at::Tensor c = at::tensor({1.0, 1.0, 1.0}, at::kDouble);
  Trainer::LossFn loss() const {
    return [this]() {
      const at::Tensor total = 0.5 * (c * (p - a).square()).sum();
      return LossValue{total, {{"quadratic", total.detach().item<double>()}}};
    };
  }
};

TrainerOptions options_for(OptimizerKind kind, double lr) {
  TrainerOptions options;
  options.optimizer.kind = kind;
  options.learning_rate = lr;
  return options;
}

}  // namespace

TEST_CASE("Gradient descent is theta - eta grad L and records flow time t = eta x steps", "[flows]") {
  Quadratic q;
  const at::Tensor p0 = q.p.detach().clone();
  const double eta = 0.1;
  Trainer trainer({q.p}, q.loss(), options_for(OptimizerKind::GradientDescent, eta));
  int64_t calls = 0;
  trainer.run(10, [&](const StepRecord& record) {
    CHECK(record.step == calls);
    CHECK(rel(record.time, eta * (calls + 1)) < 1e-14);
    ++calls;
  });
  CHECK(calls == 10);
  CHECK(rel(trainer.time(), 1.0) < 1e-14);
  // p_k = a + (1 − η)^k (p₀ − a) for unit curvatures.
  const at::Tensor expected = q.a + std::pow(1.0 - eta, 10) * (p0 - q.a);
  CHECK((q.p.detach() - expected).abs().max().item<double>() < 1e-14);
}

TEST_CASE("Adam's first step moves every parameter by the learning rate against its gradient sign", "[flows]") {
  Quadratic q;
  const at::Tensor p0 = q.p.detach().clone();
  Trainer trainer({q.p}, q.loss(), options_for(OptimizerKind::Adam, 0.01));
  const StepRecord record = trainer.step();
  // m̂ = g, v̂ = g²: Δp = −lr g/(|g| + ε).
  const at::Tensor g = p0 - q.a;
  CHECK(rel(record.grad_norm, g.norm().item<double>()) < 1e-14);
  CHECK(((q.p.detach() - p0) + 0.01 * g / (g.abs() + 1e-8)).abs().max().item<double>() < 1e-15);
}

TEST_CASE("L-BFGS minimises an ill-conditioned quadratic to 1e-10 in 40 steps", "[flows]") {
  Quadratic q;
  q.c = at::tensor({1.0, 30.0, 900.0}, at::kDouble);
  Trainer trainer({q.p}, q.loss(), options_for(OptimizerKind::Lbfgs, 1.0));
  trainer.run(40);
  CHECK((q.p.detach() - q.a).abs().max().item<double>() < 1e-10);
}

TEST_CASE("Learning-rate schedules: exponential eta0 d^k, cosine from eta0 to eta_min", "[flows]") {
  Quadratic q;
  TrainerOptions options = options_for(OptimizerKind::GradientDescent, 0.2);
  options.schedule = LearningRateSchedule::Exponential;
  options.decay_rate = 0.9;
  CHECK(rel(Trainer({q.p}, q.loss(), options).learning_rate_at(7), 0.2 * std::pow(0.9, 7)) < 1e-14);
  options.schedule = LearningRateSchedule::Cosine;
  options.schedule_steps = 100;
  options.min_learning_rate = 0.02;
  const Trainer cosine({q.p}, q.loss(), options);
  CHECK(rel(cosine.learning_rate_at(0), 0.2) < 1e-14);
  CHECK(rel(cosine.learning_rate_at(50), 0.11) < 1e-14);
  CHECK(rel(cosine.learning_rate_at(100), 0.02) < 1e-14);
  CHECK(rel(cosine.learning_rate_at(500), 0.02) < 1e-14);
  options.decay_rate = 1.5;
  CHECK_THROWS_AS(Trainer({q.p}, q.loss(), options), Error);
}

TEST_CASE("Gradient clipping rescales the step to the clip norm and records the unclipped norm", "[flows]") {
  Quadratic q;
  const at::Tensor p0 = q.p.detach().clone();
  TrainerOptions options = options_for(OptimizerKind::GradientDescent, 0.5);
  options.clip_grad_norm = 0.1;
  Trainer trainer({q.p}, q.loss(), options);
  const StepRecord record = trainer.step();
  CHECK(rel(record.grad_norm, (p0 - q.a).norm().item<double>()) < 1e-14);
  CHECK(rel((q.p.detach() - p0).norm().item<double>(), 0.5 * 0.1) < 1e-12);
}

TEST_CASE("A non-finite loss term stops training with an error naming the step and the term", "[flows]") {
  Quadratic q;
  int64_t evaluations = 0;
  const Trainer::LossFn loss = [&]() {
    LossValue value = q.loss()();
    const double bad = evaluations++ == 3 ? std::numeric_limits<double>::quiet_NaN() : 1.0;
    value.terms.push_back({"einstein", bad});
    return value;
  };
  Trainer trainer({q.p}, loss, options_for(OptimizerKind::GradientDescent, 0.1));
  trainer.run(3);
  const at::Tensor before = q.p.detach().clone();
  try {
    trainer.step();
    FAIL("no error thrown");
  } catch (const Error& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK(message.find("step 3") != std::string::npos);
    CHECK(message.find("'einstein'") != std::string::npos);
  }
  CHECK(at::equal(before, q.p.detach()));
}

namespace {

NeuralMetric small_sphere_model(uint64_t seed) {
  MlpConfig trunk;
  trunk.input_dim = 2;
  trunk.hidden = {8};
  trunk.seed = seed;
  MetricHead head;
  head.kind = MetricHeadKind::Symmetric;
  head.dim = 2;
  head.reference = 2.0 * at::eye(2, at::kDouble);
  return NeuralMetric(trunk, head);
}

}  // namespace

TEST_CASE("Checkpoint and resume reproduce an uninterrupted run bit for bit (Adam, L-BFGS, gradient descent)",
          "[flows]") {
  const auto sampler = make_sphere_sampler(2);
  for (const OptimizerKind kind : {OptimizerKind::Adam, OptimizerKind::Lbfgs, OptimizerKind::GradientDescent}) {
    INFO("optimizer " << optimizer_name(kind));
    const auto run = [&](NeuralMetric& model, int64_t steps, const std::string* save, const std::string* load) {
      // Fresh points every step from the trainer's generator, so the resumed run must restore its state too;
      // L-BFGS keeps one fixed set (its curvature pairs assume one loss function).
      PointSet points = sampler->sample(24, 5);
      const Trainer::BeforeStepFn resample = [&](int64_t, at::Generator& generator) {
        if (kind != OptimizerKind::Lbfgs) points = sampler->draw(24, generator);
      };
      const Trainer::LossFn loss = [&]() {
        const MetricJet jet = model.jet(points.x);
        return add_loss(einstein_loss(points.weights, jet, CurvatureBackend::Reference),
                        volume_penalty(points.weights, jet, 4 * M_PI), 1.0);
      };
      TrainerOptions options = options_for(kind, kind == OptimizerKind::Lbfgs ? 1.0 : 1e-3);
      options.seed = 17;
      Trainer trainer(model.parameters(), loss, options, resample);
      if (load != nullptr) trainer.load_checkpoint(*load);
      trainer.run(steps);
      if (save != nullptr) trainer.save_checkpoint(*save);
      return trainer.time();
    };
    NeuralMetric uninterrupted = small_sphere_model(1);
    const double time_full = run(uninterrupted, 6, nullptr, nullptr);
    const std::string path = "trainer_test_checkpoint_" + optimizer_name(kind) + ".h5";
    NeuralMetric first = small_sphere_model(1);
    run(first, 3, &path, nullptr);
    NeuralMetric resumed = small_sphere_model(2);  // different initial weights: all must come from the file
    const double time_resumed = run(resumed, 3, nullptr, &path);
    std::remove(path.c_str());
    CHECK(time_resumed == time_full);
    const std::vector<at::Tensor> a = uninterrupted.parameters(), b = resumed.parameters();
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(at::equal(a[i], b[i]));
    }
    CHECK_FALSE(at::equal(a[0], first.parameters()[0]));
  }
}

TEST_CASE("NeuralMetricFlow advances t = eta x steps by gradient descent and observes the network's g and R",
          "[flows]") {
  const PointSet points = make_sphere_sampler(2)->sample(32, 6);
  const auto loss_of = [&](const NeuralMetric& model) {
    return [&points, &model]() {
      const MetricJet jet = model.jet(points.x);
      return add_loss(einstein_loss(points.weights, jet, CurvatureBackend::Reference),
                      volume_penalty(points.weights, jet, 4 * M_PI), 1.0);
    };
  };
  NeuralMetric flowed = small_sphere_model(8), trained = small_sphere_model(8);
  NeuralMetricFlow flow(flowed, loss_of(flowed), 1e-3);
  flow.step(5e-3);
  Trainer trainer(trained.parameters(), loss_of(trained), options_for(OptimizerKind::GradientDescent, 1e-3));
  trainer.run(5);
  CHECK(flow.trainer().steps_done() == 5);
  CHECK(rel(flow.time(), 5e-3) < 1e-12);
  for (size_t i = 0; i < trained.parameters().size(); ++i) {
    CHECK(at::equal(flowed.parameters()[i], trained.parameters()[i]));
  }
  const at::Tensor probes = make_sphere_sampler(2)->sample(10, 7).x;
  const FlowObservation seen = flow.observe(probes);
  const at::NoGradGuard no_grad;
  // observe() reads g from the metric's jet, whose value row runs through the fused jet trunk's tiled GEMMs:
  // the same sums as metric()'s forward pass, rounded in a different order.
  CHECK(at::allclose(seen.g, trained.metric(probes), 1e-13, 1e-13));
  CHECK(at::allclose(seen.scalar, curvature_reference(trained.jet(probes)).scalar, 1e-12, 1e-12));
  CHECK_THROWS_AS(flow.step(1.5e-3), Error);
}

TEST_CASE("Perelman F (slaved dilaton) increases monotonically along gradient ascent in the network parameters",
          "[flows]") {
  MlpConfig trunk;
  trunk.input_dim = 2;
  trunk.hidden = {16};
  trunk.seed = 5;
  MetricHead head;
  head.kind = MetricHeadKind::FrameExponential;  // g = exp(S): positive definite for any output
  head.dim = 2;
  NeuralMetric model(trunk, head);
  const PointSet points = make_torus_sampler(2)->sample(128, 4);
  // Gradient descent on −F is gradient ascent on F (docs/design.md §4); the torus points have a flat density, ℓ = 0.
  const Trainer::LossFn loss = [&]() {
    const MetricJet jet = model.jet(points.x);
    LossValue f = perelman_f(points.weights, jet, slaved_dilaton(jet, {}), CurvatureBackend::Fused);
    f.total = -f.total;
    return f;
  };
  const double eta = 1e-3;
  Trainer trainer(model.parameters(), loss, options_for(OptimizerKind::GradientDescent, eta));
  std::vector<double> f_values;
  std::vector<double> predicted_rise;
  trainer.run(20, [&](const StepRecord& record) {
    f_values.push_back(-record.loss);
    predicted_rise.push_back(eta * record.grad_norm * record.grad_norm);  // dF = η |∇F|² to first order
  });
  f_values.push_back(-loss().total.item<double>());
  for (size_t k = 0; k + 1 < f_values.size(); ++k) {
    INFO("step " << k << ": F " << f_values[k] << " -> " << f_values[k + 1] << ", predicted rise "
                 << predicted_rise[k]);
    CHECK(f_values[k + 1] > f_values[k]);
    CHECK(rel(f_values[k + 1] - f_values[k], predicted_rise[k]) < 0.1);
  }
}

namespace {

// g = φ(x) G(x) with φ = ĝ₁₁ the stereographic round factor 4/(1 + |x|²)² and G = e^{2u} I the network's conformal
// head: the 2-jet by the product rule.
MetricJet times_round_factor(const MetricJet& round, const MetricJet& net) {
  const int64_t b = round.batch(), n = round.dim();
  const at::Tensor phi = round.g.select(2, 0).select(1, 0).view({b, 1, 1});
  const at::Tensor dphi = round.dg.select(3, 0).select(2, 0).view({b, n, 1, 1});            // ∂_c φ
  const at::Tensor d2phi = round.d2g.select(4, 0).select(3, 0).view({b, n, n, 1, 1});       // ∂_c∂_d φ
  MetricJet out;
  out.g = phi * net.g;
  out.dg = dphi * net.g.unsqueeze(1) + phi.unsqueeze(1) * net.dg;
  out.d2g = d2phi * net.g.unsqueeze(1).unsqueeze(1) + dphi.unsqueeze(2) * net.dg.unsqueeze(1) +
            dphi.unsqueeze(1) * net.dg.unsqueeze(2) + phi.unsqueeze(1).unsqueeze(1) * net.d2g;
  return out;
}

double scalar_spread(const at::Tensor& scalar) {
  return ((scalar.max() - scalar.min()) / scalar.mean()).item<double>();
}

}  // namespace

TEST_CASE("Adam on the Einstein loss takes a perturbed round S^2 to constant curvature (R spread falls >= 5x)",
          "[flows]") {
  // The network's u is a function of the stereographic coordinate |x| ≤ 1 of either hemisphere, so the metric
  // e^{2u} ĝ is reflection-symmetric across the equator (continuous there; the loss is pointwise and does not see
  // a possible crease).
  MlpConfig trunk;
  trunk.input_dim = 2;
  trunk.hidden = {24};
  trunk.seed = 3;
  trunk.sigma_w = 0.8;
  MetricHead head;
  head.kind = MetricHeadKind::Conformal;
  head.dim = 2;
  NeuralMetric model(trunk, head);
  const auto sphere = make_round_sphere(2, 1.0);
  const auto sampler = make_sphere_sampler(2);
  const PointSet train = sampler->sample(256, 21);
  const PointSet held_out = sampler->sample(400, 22);
  const MetricJet round_train = sphere->jet(train.x), round_held = sphere->jet(held_out.x);
  const auto held_out_scalar = [&]() {
    const at::NoGradGuard no_grad;
    return curvature_reference(times_round_factor(round_held, model.jet(held_out.x))).scalar;
  };
  const double spread_before = scalar_spread(held_out_scalar());
  const Trainer::LossFn loss = [&]() {
    const MetricJet jet = times_round_factor(round_train, model.jet(train.x));
    return add_loss(einstein_loss(train.weights, jet, CurvatureBackend::Fused),
                    volume_penalty(train.weights, jet, 4 * M_PI), 1.0);
  };
  TrainerOptions options = options_for(OptimizerKind::Adam, 1e-2);
  options.schedule = LearningRateSchedule::Cosine;
  options.schedule_steps = 300;
  options.min_learning_rate = 1e-3;
  Trainer trainer(model.parameters(), loss, options);
  double first_loss = 0.0, last_loss = 0.0;
  trainer.run(300, [&](const StepRecord& record) {
    if (record.step == 0) first_loss = record.loss;
    last_loss = record.loss;
  });
  const double spread_after = scalar_spread(held_out_scalar());
  INFO("held-out (max - min)/mean of R: " << spread_before << " -> " << spread_after << "; loss " << first_loss
                                          << " -> " << last_loss);
  CHECK(spread_before > 0.5);
  CHECK(spread_after * 5.0 < spread_before);
}

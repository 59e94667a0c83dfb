#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/cy_width_ladder.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "io/hdf5_file.h"

using nmflow::CYLadderRun;
using nmflow::LadderRegime;

namespace {

nmflow::CYPointSet sample(int64_t n, uint64_t seed) {
  return nmflow::sample_cy_points(nmflow::fermat_quartic(), n, seed);
}

}  // namespace

TEST_CASE("Width ladder on K3: SGD metric-NTK drift falls with width, linearised runs stay frozen", "[ntk]") {
  const nmflow::CYPointSet train = sample(400, 51);
  const nmflow::CYPointSet validation = sample(200, 52);
  const nmflow::CYPointSet probes = sample(6, 53);
  nmflow::CYWidthLadderOptions options;
  options.widths = {8, 256};
  options.seeds = {0, 1, 2};
  options.regimes = {LadderRegime::Sgd, LadderRegime::LinearisedSgd};
  options.sgd_learning_rate = 1.0;
  options.epochs = 3;
  options.batch_size = 100;  // 12 steps
  options.eval_every = 3;
  const std::vector<CYLadderRun> runs = nmflow::run_cy_width_ladder(train, validation, probes, options);
  REQUIRE(runs.size() == 12);  // seed × width × regime, in that nesting

  const double sigma_fs =
      nmflow::cy_accuracy(validation.weights, validation.omega_sq, validation.det_g_fs).sigma;
  for (size_t s = 0; s < 3; ++s) {
    const CYLadderRun& narrow = runs[4 * s];
    const CYLadderRun& narrow_lin = runs[4 * s + 1];
    const CYLadderRun& wide = runs[4 * s + 2];
    const CYLadderRun& wide_lin = runs[4 * s + 3];
    REQUIRE(narrow.width == 8);
    REQUIRE(wide.width == 256);
    REQUIRE(wide_lin.regime == LadderRegime::LinearisedSgd);
    INFO("seed " << s << ": drift width 8 " << narrow.ntk_drift.back() << ", width 256 " << wide.ntk_drift.back());
    // NTK parameterisation under gradient descent: the kernel moves ~ width^{-1/2}; a factor 32 in width gave
    // drift ratios 3.8, 8.1, 6.9 over the three seeds (3.4, 7.7, 4.7 after 24 steps): only ratio > 2 is asserted.
    CHECK(narrow.ntk_drift.back() > 2.0 * wide.ntk_drift.back());
    CHECK(narrow.weight_drift > 2.0 * wide.weight_drift);
    // The linearised model's kernel is Θ(θ₀) by construction, and every run starts at Fubini–Study (centred).
    CHECK(narrow_lin.ntk_drift.back() == 0.0);
    CHECK(wide_lin.ntk_drift.back() == 0.0);
    for (const CYLadderRun* run : {&narrow, &narrow_lin, &wide, &wide_lin}) {
      CHECK(std::abs(run->records.front().sigma - sigma_fs) <= 1e-12 * sigma_fs);
    }
    // The wide net and its linearisation both learn at this rate (the width-8 net at lr 1 does not always: one
    // seed of three ended above σ_FS, so that is not asserted; nor is which of the two follows its
    // linearisation more closely, which flipped between seeds).
    CHECK(wide.records.back().sigma < 0.95 * sigma_fs);
    CHECK(wide_lin.records.back().sigma < 0.95 * sigma_fs);
  }

  const std::string path = "cy_width_ladder_test.h5";
  {
    nmflow::Hdf5File file = nmflow::Hdf5File::create(path);
    nmflow::write_cy_width_ladder(file, options, runs);
  }
  const nmflow::Hdf5File file = nmflow::Hdf5File::open(path);
  CHECK(file.read_int_attribute("ladder", "runs") == 12);
  CHECK(file.read_string_attribute("runs/3", "regime") == "linearised_sgd");
  CHECK(file.read_int_attribute("runs/2", "width") == 256);
  const at::Tensor sigma = file.read_tensor("runs/2/sigma");
  CHECK(sigma.size(0) == 2);  // epochs 0, 3
  CHECK(sigma[1].item<double>() == runs[2].records.back().sigma);
  std::remove(path.c_str());
}

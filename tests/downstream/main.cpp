// Uses the installed nmflow package: its headers, the library and every link dependency it declares (LibTorch,
// HDF5, yaml-cpp), with results checked against closed forms. Exits 1 naming the first wrong result.
#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "common/version.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "io/config_yaml.h"
#include "io/hdf5_file.h"

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) {
    ++failures;
  }
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

int main() {
  // The library is the version the package config announced, and the compile definition matches the build.
  expect(nmflow::version() == NMFLOW_PACKAGE_VERSION,
         "nmflow::version() " + nmflow::version() + " is the package's " + NMFLOW_PACKAGE_VERSION);
#ifdef NMFLOW_WITH_CUDA
  const bool defined_cuda = true;
#else
  const bool defined_cuda = false;
#endif
  expect(nmflow::built_with_cuda() == defined_cuda, "NMFLOW_WITH_CUDA is defined exactly when the kernels are built");

  // Unit round S³: R = n(n−1) = 6, Ric = (n−1) g = 2g, and the sphere sampler's weights give Vol = 2π² exactly.
  const auto sampler = nmflow::make_sphere_sampler(3);
  const nmflow::PointSet points = sampler->sample(64, 7);
  const auto metric = nmflow::make_reference_metric("round_sphere", {{"dim", 3.0}});
  const nmflow::CurvatureReference curvature = nmflow::curvature_reference(metric->jet(points.x));
  const at::Tensor g = metric->metric(points.x);
  expect(max_abs(curvature.scalar - 6.0) < 1e-10, "round S^3 has scalar curvature 6");
  expect(max_abs(curvature.ricci - 2.0 * g) < 1e-10, "round S^3 has Ric = 2g");
  const double volume = (points.weights * at::linalg_det(g).sqrt()).mean().item<double>();
  const double pi = std::acos(-1.0);
  expect(std::abs(volume - 2.0 * pi * pi) < 1e-10, "mean(w sqrt(det g)) on S^3 is 2 pi^2");

  // YAML (yaml-cpp): a valid configuration is read, a misspelled key is refused with a suggestion.
  const auto loaded = nmflow::load_config("optimizer:\n  name: adam\n  steps: 17\n", "<downstream>");
  expect(loaded.config.sections<nmflow::RealMetricFlowConfig>().optimizer.steps == 17, "load_config reads optimizer.steps");
  std::string message;
  try {
    nmflow::load_config("optimizer:\n  setps: 10\n", "<downstream>");
  } catch (const nmflow::Error& e) {
    message = e.what();
  }
  expect(message.find("did you mean 'steps'") != std::string::npos,
         "a misspelled key is refused with a suggestion: " + message);

  // HDF5: a tensor written and read back unchanged.
  const std::string path = "nmflow_downstream.h5";
  nmflow::Hdf5File::create(path).write_tensor("points", points.x);
  expect(at::equal(nmflow::Hdf5File::open(path).read_tensor("points"), points.x), "an HDF5 round trip is exact");
  std::remove(path.c_str());

  std::printf("%s\n", failures == 0 ? "nmflow package works" : "nmflow package is broken");
  return failures == 0 ? 0 : 1;
}

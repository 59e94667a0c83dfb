#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "common/error.h"
#include "geometry/manifolds/conformal_torus.h"
#include "geometry/manifolds/factory_params.h"
#include "geometry/manifolds/flat_torus.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/product_metric.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/space_forms.h"
#include "geometry/manifolds/surface_solutions.h"

namespace nmflow {

namespace {

constexpr int64_t kMaxFlatDim = 64;

std::unique_ptr<ReferenceMetric> flat_torus_from(FactoryParams& p) {
  const int64_t n = p.integer("dim", 2, 1, kMaxFlatDim);
  const double length = p.real("length", 2.0 * M_PI);
  p.require(length > 0.0, "length", length, "> 0");
  std::vector<double> gram(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const std::string key = "length" + std::to_string(i + 1);
    const double li = p.real(key, length);
    p.require(li > 0.0, key, li, "> 0");
    gram[i * n + i] = (li / (2.0 * M_PI)) * (li / (2.0 * M_PI));
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double gij = p.real("g" + std::to_string(i + 1) + "_" + std::to_string(j + 1), 0.0);
      gram[i * n + j] = gram[j * n + i] = gij;
    }
  }
  p.reject_unused();
  return make_flat_torus(gram, n);
}

// Keys cos_<kx>_<ky> / sin_<kx>_<ky> with integer wave numbers (negative allowed).
std::vector<FourierMode> fourier_modes_from(FactoryParams& p) {
  std::vector<FourierMode> modes;
  for (const char* prefix : {"cos_", "sin_"}) {
    for (const std::string& key : p.keys_with_prefix(prefix)) {
      int kx = 0, ky = 0, consumed = 0;
      const std::string rest = key.substr(4);
      const bool parsed = std::sscanf(rest.c_str(), "%d_%d%n", &kx, &ky, &consumed) == 2 &&
                          consumed == static_cast<int>(rest.size());
      NMFLOW_CHECK(parsed, p.who(), ": parameter '", key, "' is not of the form cos_<kx>_<ky> or sin_<kx>_<ky>");
      const double amplitude = p.real(key, 0.0);
      FourierMode mode{kx, ky, 0.0, 0.0};
      (key[0] == 'c' ? mode.cos_amplitude : mode.sin_amplitude) = amplitude;
      modes.push_back(mode);
    }
  }
  return modes;
}

double positive(FactoryParams& p, const std::string& key, double fallback) {
  const double value = p.real(key, fallback);
  p.require(value > 0.0, key, value, "> 0");
  return value;
}

struct Entry {
  const char* name;
  const char* allowed;
  std::function<std::unique_ptr<ReferenceMetric>(FactoryParams&)> build;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"flat_torus", "dim, length, length<i>, g<i>_<j> (i < j)", flat_torus_from},
      {"round_sphere", "dim, radius",
       [](FactoryParams& p) {
         const int64_t n = p.integer("dim", 2, 2, 8);
         const double r = positive(p, "radius", 1.0);
         p.reject_unused();
         return make_round_sphere(n, r);
       }},
      {"hyperbolic", "dim",
       [](FactoryParams& p) {
         const int64_t n = p.integer("dim", 2, 2, 8);
         p.reject_unused();
         return make_hyperbolic(n);
       }},
      {"berger", "A, B",
       [](FactoryParams& p) {
         const double a = positive(p, "A", 1.0);
         const double b = positive(p, "B", 1.0);
         p.reject_unused();
         return make_berger_sphere(a, b);
       }},
      {"su2", "A, B, C",
       [](FactoryParams& p) {
         const double a = positive(p, "A", 1.0);
         const double b = positive(p, "B", 1.0);
         const double c = positive(p, "C", 1.0);
         p.reject_unused();
         return make_left_invariant_su2(a, b, c);
       }},
      {"conformal_torus", "cos_<kx>_<ky>, sin_<kx>_<ky>",
       [](FactoryParams& p) {
         std::vector<FourierMode> modes = fourier_modes_from(p);
         p.reject_unused();
         return make_conformal_torus(modes);
       }},
      {"sphere_torus", "radius, sphere_dim, torus_dim, length",
       [](FactoryParams& p) {
         const double r = positive(p, "radius", 1.0);
         const int64_t m = p.integer("sphere_dim", 2, 2, 8);
         const int64_t k = p.integer("torus_dim", 1, 1, kMaxFlatDim);
         const double length = positive(p, "length", 2.0 * M_PI);
         p.reject_unused();
         const double scale = (length / (2.0 * M_PI)) * (length / (2.0 * M_PI));
         std::vector<double> gram(k * k, 0.0);
         for (int64_t i = 0; i < k; ++i) {
           gram[i * k + i] = scale;
         }
         return make_product_metric(make_round_sphere(m, r), make_flat_torus(gram, k));
       }},
      {"cigar", "t",
       [](FactoryParams& p) {
         const double t = p.real("t", 0.0);
         p.reject_unused();
         return make_hamilton_cigar(t);
       }},
      {"king_rosenau", "t",
       [](FactoryParams& p) {
         const double t = p.real("t", -1.0);
         p.require(t < 0.0, "t", t, "< 0");
         p.reject_unused();
         return make_king_rosenau(t);
       }},
  };
  return entries;
}

}  // namespace

std::vector<std::string> reference_metric_names() {
  std::vector<std::string> names;
  for (const Entry& e : registry()) {
    names.emplace_back(e.name);
  }
  return names;
}

std::unique_ptr<ReferenceMetric> make_reference_metric(const std::string& name,
                                                       const std::map<std::string, double>& params) {
  std::string allowed;
  for (const Entry& e : registry()) {
    if (name == e.name) {
      FactoryParams p("reference metric '" + name + "'", params, e.allowed);
      return e.build(p);
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(e.name);
  }
  throw_error("unknown reference metric '" + name + "'; allowed: " + allowed);
}

}  // namespace nmflow

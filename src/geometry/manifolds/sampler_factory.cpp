#include <functional>

#include "common/error.h"
#include "geometry/manifolds/factory_params.h"
#include "geometry/manifolds/sampler.h"

namespace nmflow {

namespace {

struct SamplerEntry {
  const char* name;
  const char* allowed;
  std::function<std::unique_ptr<Sampler>(FactoryParams&)> build;
};

const std::vector<SamplerEntry>& sampler_registry() {
  static const std::vector<SamplerEntry> entries = {
      {"torus", "dim",
       [](FactoryParams& p) {
         const int64_t n = p.integer("dim", 2, 1, 64);
         p.reject_unused();
         return make_torus_sampler(n);
       }},
      {"sphere", "dim",
       [](FactoryParams& p) {
         const int64_t n = p.integer("dim", 2, 2, 8);
         p.reject_unused();
         return make_sphere_sampler(n);
       }},
      {"s3", "(none)",
       [](FactoryParams& p) {
         p.reject_unused();
         return make_s3_euler_sampler();
       }},
      {"hyperbolic_box", "dim, half_width, y_min, y_max",
       [](FactoryParams& p) {
         const int64_t n = p.integer("dim", 2, 2, 8);
         const double h = p.real("half_width", 1.0);
         p.require(h > 0.0, "half_width", h, "> 0");
         const double y_min = p.real("y_min", 0.5);
         p.require(y_min > 0.0, "y_min", y_min, "> 0");
         const double y_max = p.real("y_max", 2.0);
         p.require(y_max > y_min, "y_max", y_max, "> y_min");
         p.reject_unused();
         return make_hyperbolic_box_sampler(n, h, y_min, y_max);
       }},
      {"sphere_torus", "sphere_dim, torus_dim",
       [](FactoryParams& p) {
         const int64_t m = p.integer("sphere_dim", 2, 2, 8);
         const int64_t k = p.integer("torus_dim", 1, 1, 64);
         p.reject_unused();
         return make_product_sampler(make_sphere_sampler(m), make_torus_sampler(k));
       }},
      {"king_rosenau", "t",
       [](FactoryParams& p) {
         const double t = p.real("t", -1.0);
         p.require(t < 0.0, "t", t, "< 0");
         p.reject_unused();
         return make_king_rosenau_sampler(t);
       }},
  };
  return entries;
}

}  // namespace

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const SamplerEntry& e : sampler_registry()) {
    names.emplace_back(e.name);
  }
  return names;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const std::map<std::string, double>& params) {
  std::string allowed;
  for (const SamplerEntry& e : sampler_registry()) {
    if (name == e.name) {
      FactoryParams p("sampler '" + name + "'", params, e.allowed);
      return e.build(p);
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(e.name);
  }
  throw_error("unknown sampler '" + name + "'; allowed: " + allowed);
}

std::string sampler_name_for_metric(const std::string& metric_name) {
  static const std::map<std::string, std::string> table = {
      {"flat_torus", "torus"},     {"conformal_torus", "torus"}, {"round_sphere", "sphere"},
      {"hyperbolic", "hyperbolic_box"}, {"berger", "s3"},        {"su2", "s3"},
      {"sphere_torus", "sphere_torus"}, {"king_rosenau", "king_rosenau"}};
  const auto it = table.find(metric_name);
  if (it != table.end()) {
    return it->second;
  }
  std::string allowed;
  for (const auto& [metric, sampler] : table) {
    allowed += (allowed.empty() ? "" : ", ") + metric;
  }
  throw_error("no sampler for reference metric '" + metric_name + "' (the cigar is non-compact with infinite area); "
              "metrics with samplers: " + allowed);
}

}  // namespace nmflow

#pragma once
// Internal to src/io (config_yaml.cpp, config_yaml_cy.cpp, config_yaml_local_ricci.cpp, config_yaml_ricci_flow.cpp,
// config_yaml_compare.cpp): which keys each experiment kind takes in each section, and the readers of the Calabi–Yau
// kinds, of local_ricci_check and of real_metric_flow's compare. A key another kind takes is rejected with a message
// naming that kind rather than with a bare "unknown key".
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/config_reader.h"
#include "io/config_schema.h"

namespace nmflow {

constexpr int64_t kMaxConfigCount = int64_t{1} << 40;

// real_metric_flow, cy_metric, donaldson, cy_free_metric, cy_width_ladder, local_ricci_check, ricci_flow.
const std::vector<std::string>& experiment_kinds();

// The keys `kind` takes in `section` ("" = the top level; "points", "model", …; for a list of mappings such as
// "cases", the keys of each element); empty when it has no such section.
const std::vector<std::string>& kind_keys(const std::string& kind, const std::string& section);

// The reader of `section` under `parent` (parent_node: the parent's YAML mapping) for `kind`: the first key of
// the section that `kind` does not take fails — with "'key' is a key of kind X, not of kind Y" when another kind
// takes it, else with the usual unknown-key did-you-mean.
ConfigReader kind_section(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& parent,
                          const YAML::Node& parent_node, const std::string& section, const std::string& kind);

// Fails at the first top-level key of `root` that another kind takes but `kind` does not.
void reject_foreign_top_level_keys(const std::shared_ptr<const ConfigContext>& context, const YAML::Node& root,
                                   const std::string& kind);

// The optimizer keys shared by real_metric_flow and cy_metric (all but `steps`), from the section's reader
// (config_yaml.cpp).
void read_optimizer_keys(ConfigReader& r, OptimizerConfig& o);

// root["kind"] (default real_metric_flow), validated first: the other keys are checked against its sections.
std::string read_kind(const std::shared_ptr<const ConfigContext>& context, const YAML::Node& root);

// Read the sections of kinds cy_metric, donaldson, cy_free_metric and cy_width_ladder into config.kind_sections,
// set to the kind's struct, and recording.output (the other top-level keys are read by the caller).
void read_cy_metric(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                    const YAML::Node& root_node, ExperimentConfig& config);
void read_donaldson(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                    const YAML::Node& root_node, ExperimentConfig& config);
void read_cy_free_metric(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                         const YAML::Node& root_node, ExperimentConfig& config);
void read_cy_width_ladder(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                          const YAML::Node& root_node, ExperimentConfig& config);
// Read the cases and criteria of kind local_ricci_check into config.kind_sections (a LocalRicciCheckConfig) and
// recording.output (config_yaml_local_ricci.cpp).
void read_local_ricci_check(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                            const YAML::Node& root_node, ExperimentConfig& config);
// Read section `compare` of kind real_metric_flow into s.compare, after every other section and the recording
// (compare.every defaults to recording.every; config_yaml_compare.cpp).
void read_compare(ConfigReader r, const ExperimentConfig& experiment, RealMetricFlowConfig& s);
// Read the metric, flow and recording sections of kind ricci_flow (config_yaml_ricci_flow.cpp).
void read_ricci_flow(const std::shared_ptr<const ConfigContext>& context, const ConfigReader& root,
                     const YAML::Node& root_node, ExperimentConfig& config);

}  // namespace nmflow

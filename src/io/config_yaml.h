#pragma once
// Reading an experiment configuration from YAML (docs/config.md). Validation happens here, once, before any work:
// malformed YAML, unknown keys (with a did-you-mean by edit distance), wrong types, out-of-range values and
// inconsistent combinations each throw ONE nmflow::Error of the form
//     <file>:<line>:<column>: <key.path>: <what is wrong>; allowed: <values>
// (or "--set <key.path>: …" for a value given on the command line).
#include <cstddef>
#include <string>
#include <vector>

#include "io/config_schema.h"

namespace nmflow {

struct LoadedConfig {
  ExperimentConfig config;
  std::string text;  // the configuration actually run: the input text, or re-emitted YAML when overrides applied
};

// text: YAML; source: the name used in messages (a path, or "<default>"); overrides: "key.path=value" entries
// whose value is parsed as YAML (so "model.hidden=[8, 8]" works) and replaces or adds that key.
LoadedConfig load_config(const std::string& text, const std::string& source,
                         const std::vector<std::string>& overrides = {});
// Reads `path` (throws naming it when unreadable) and calls load_config.
LoadedConfig load_config_file(const std::string& path, const std::vector<std::string>& overrides = {});

// The embedded default experiment (config_default.cpp): a perturbed round S² flowed by the Einstein loss.
const std::string& default_config_text();

// The shipped local-Ricci checks, configs/checks/local_ricci_quick.yaml (quick) and configs/checks/local_ricci.yaml,
// embedded at build time (local_ricci_check_configs.cpp.in): what `nmflow check local-ricci` runs.
const std::string& local_ricci_check_config_text(bool quick);

// Levenshtein distance (insertions, deletions, substitutions), for did-you-mean suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace nmflow

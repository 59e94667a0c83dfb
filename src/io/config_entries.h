#pragma once
// A validated configuration as flat "key.path" → value entries, every key its kind reads, defaults filled in
// (the YAML paths of docs/config.md). What `--resume` compares: two configurations run the same experiment when
// their entries agree outside the step budget.
#include <map>
#include <string>
#include <vector>

#include "io/config_schema.h"

namespace nmflow {

// Keys that do not apply are left out (another schedule's keys, a volume_target of 0 = the initial volume, ψ of a
// Fermat member). Values as text: integers and names as written, reals in the shortest form that reads back exactly, lists as
// "[a, b]"; a list of mappings flattens to "cases[i].key" entries (u0 modes as one flow list "[{kx: 1, …}]").
std::map<std::string, std::string> config_entries(const ExperimentConfig& config);

// Keys a resumed run may change: the step budget (optimizer.steps, training.epochs, training.max_wall_seconds),
// where results go (recording.output) and the thread count (results then agree to rounding, not bit for bit).
const std::vector<std::string>& resumable_config_keys();

// "key.path: was → now" for each entry that differs between `was` and `now` outside resumable_config_keys(),
// in key order ("(absent)" for a key one kind does not read).
std::vector<std::string> config_differences(const ExperimentConfig& was, const ExperimentConfig& now);

// Every key of `kind` at its default, as YAML (`nmflow config --print-default --kind K`): the validated defaults of
// a configuration holding only `kind`, one line per config_entries() key, sections nested. Loading the text gives
// that configuration back. Throws nmflow::Error naming the kinds for another name.
std::string default_config_yaml(const std::string& kind);

}  // namespace nmflow

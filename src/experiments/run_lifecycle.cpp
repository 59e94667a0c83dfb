#include "experiments/run_lifecycle.h"

#include <cstdio>
#include <fstream>
#include <utility>

#include "common/error.h"
#include "io/config_entries.h"
#include "io/config_yaml.h"

namespace nmflow {

std::string checkpoint_path(const std::string& output) { return output + ".checkpoint"; }

std::vector<std::string> check_resume_config(const ExperimentConfig& config, const ExperimentRunOptions& options) {
  NMFLOW_CHECK(std::ifstream(options.output).good(), "--resume: no run file '", options.output,
               "' (the checkpoint continues the run recorded there)");
  const Hdf5File file = Hdf5File::open(options.output);
  NMFLOW_CHECK(file.has_attribute("/", "config"), "--resume: '", options.output,
               "' records no configuration (not a run file of nmflow run)");
  ExperimentConfig was = load_config(file.read_string_attribute("/", "config"), options.output + " (its config)").config;
  if (file.has_attribute("/", "quick") && file.read_int_attribute("/", "quick") != 0) apply_quick(was);
  const std::vector<std::string> differences = config_differences(was, config);
  if (differences.empty() || options.resume_changed) return differences;
  std::string list, free;
  for (const std::string& d : differences) list += (list.empty() ? "" : "; ") + d;
  for (const std::string& key : resumable_config_keys()) free += (free.empty() ? "" : ", ") + key;
  throw Error("--resume: the configuration differs from the run being resumed in '" + options.output + "' (" +
              list + "); only " + free + " may change. Restore those values, rerun without --resume to start "
              "afresh, or add --resume-changed to continue with the new values");
}

RunLifecycle::RunLifecycle(const ExperimentConfig& config, const ExperimentRunOptions& options,
                           std::string resume_source, const std::string& what, const std::string& hint)
    : options_(options), checkpoint_(checkpoint_path(options.output)) {
  if (options.resume) {
    NMFLOW_CHECK(std::ifstream(resume_source).good(), "--resume: no ", what, " '", resume_source, "' (", hint, ")");
    config_changes_ = check_resume_config(config, options);
  } else {
    std::remove(checkpoint_.c_str());
  }
}

void RunLifecycle::begin(Hdf5File& file, RunAttributeWriter attributes) {
  attributes_ = std::move(attributes);
  attributes_(file, "running");
  if (!config_changes_.empty()) write_resume_changes(file, config_changes_);
  file.flush();
}

void RunLifecycle::end(Hdf5File& file, bool interrupted) {
  attributes_(file, interrupted ? "interrupted" : "complete");
  file.flush();
}

}  // namespace nmflow

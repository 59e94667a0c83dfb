#pragma once
// The one lifecycle every experiment kind runs through (docs/design.md, "Experiments"; docs/hdf5.md, "Run status"):
//   fresh   a checkpoint left at <output>.checkpoint by an earlier run is removed (a later --resume would otherwise
//           continue it); the kind creates its file;
//   resume  what the kind resumes from (its checkpoint, or the run file itself for kinds that keep finished units
//           there) must exist, and the configuration must agree with the run's (check_resume_config);
//   file    status = running with provenance (and any --resume-changed differences), flushed, before any work; a
//           failure marks it failed with its message (record_failure_in); the end writes complete or interrupted.
// Stopping (Ctrl-C) is the kind's: it checks RunHooks::stop_requested between units of work and stops cleanly.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "io/config_schema.h"
#include "io/hdf5_file.h"
#include "io/run_status.h"

namespace nmflow {

struct ExperimentRunOptions {
  std::string output;           // the run file (HDF5)
  bool resume = false;          // continue the run recorded in `output` instead of starting afresh
  bool quick = false;           // recorded as an attribute (the config is already shrunk)
  bool resume_changed = false;  // resume although the config differs from the run's (check_resume_config)
  std::string config_text;      // provenance: the configuration as run
  std::string command_line;     // provenance
  std::string device;           // resolved device ("cpu", "cuda:0")
  std::chrono::system_clock::time_point start_time;
};

// The checkpoint path of a run file.
std::string checkpoint_path(const std::string& output);

// --resume continues the same experiment: `config` (as run now, after --quick) must agree with the configuration
// recorded in options.output, apart from resumable_config_keys() (io/config_entries.h). Throws nmflow::Error listing
// every differing key, unless options.resume_changed; returns the differences (empty when none).
std::vector<std::string> check_resume_config(const ExperimentConfig& config, const ExperimentRunOptions& options);

// Writes a kind's root attributes with the given status ("running", "complete", "interrupted").
using RunAttributeWriter = std::function<void(Hdf5File& file, const std::string& status)>;

class RunLifecycle {
 public:
  // Fresh: removes checkpoint_path(output). Resume: requires `resume_source` to exist (else "--resume: no <what>
  // '<path>' (<hint>)") and the configuration to agree with the run's.
  RunLifecycle(const ExperimentConfig& config, const ExperimentRunOptions& options, std::string resume_source,
               const std::string& what, const std::string& hint);

  bool resuming() const { return options_.resume; }
  const std::string& checkpoint() const { return checkpoint_; }
  const std::vector<std::string>& config_changes() const { return config_changes_; }

  // status = running through `attributes`, the --resume-changed differences, provenance (the writer's), flushed.
  void begin(Hdf5File& file, RunAttributeWriter attributes);

  // Runs the kind's work; an exception marks the file failed and propagates.
  template <class F>
  void run(Hdf5File& file, F&& body) {
    record_failure_in(file, std::forward<F>(body));
  }

  // status = complete or interrupted, flushed.
  void end(Hdf5File& file, bool interrupted);

 private:
  const ExperimentRunOptions& options_;
  std::string checkpoint_;
  std::vector<std::string> config_changes_;
  RunAttributeWriter attributes_;
};

}  // namespace nmflow

#pragma once
// The run file's `status` attribute when a run fails (docs/hdf5.md, "Run status"): running → complete, interrupted
// or failed. A failed run's file keeps every record written so far, with status = failed and the error's one-line
// message as the attribute `failure`, so it is readable and honest after the error has ended the process.
#include <exception>
#include <string>
#include <vector>

#include "io/hdf5_file.h"

namespace nmflow {

// `message` with its line breaks turned into spaces: errors are printed, and recorded, as one line.
std::string one_line(std::string message);

// The message of the error that ended a run, on one line (LibTorch's without its backtrace).
std::string run_failure_message(const std::exception& error);

// status = failed, failure = run_failure_message(error), flushed. Never throws: it runs while an error propagates
// (an HDF5 failure here leaves the file as it was).
void mark_run_failed(Hdf5File& file, const std::exception& error) noexcept;

// Runs `body` (a run's steps and final writes); an exception it throws marks `file` failed (mark_run_failed) and
// propagates. The one place where a run's failure reaches its file.
template <class F>
void record_failure_in(Hdf5File& file, F&& body) {
  try {
    body();
  } catch (const std::exception& error) {
    mark_run_failed(file, error);
    throw;
  }
}

// A run resumed with --resume-changed: its differences from the resumed run's configuration ("key: was -> now"),
// joined by "; ", as the attribute `resumed_with_changes`.
void write_resume_changes(Hdf5File& file, const std::vector<std::string>& differences);

}  // namespace nmflow

#include "io/config_schema.h"

#include <algorithm>

namespace nmflow {

void apply_quick(ExperimentConfig& config) {
  config.optimizer.steps = std::min<int64_t>(config.optimizer.steps, 20);
  config.points.train = std::min<int64_t>(config.points.train, 64);
  config.points.probe = std::min<int64_t>(config.points.probe, 16);
  config.recording.every = std::min<int64_t>(config.recording.every, 5);
  if (config.recording.checkpoint_every > 0) {
    config.recording.checkpoint_every = std::min<int64_t>(config.recording.checkpoint_every, 10);
  }
}

}  // namespace nmflow

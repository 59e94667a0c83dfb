#include "io/trajectory_recorder.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace nmflow {

namespace {

// One value per record: extendible [N, 1] datasets (as every nmflow trajectory scalar, docs/hdf5.md).
const std::vector<std::string> kScalarRecords = {"step", "time", "learning_rate", "loss", "grad_norm"};
const std::vector<std::string> kFieldRecords = {"g", "ricci", "scalar"};
// /ntk: one row per NTK record; "step" goes last when appending, as in /trajectory.
const std::vector<std::string> kNtkRecords = {"flow_time", "relative_drift", "nonlocal_mass", "top_eigenvalues",
                                              "step"};

const std::vector<std::string> kCompareFields = {"reference_g", "reference_scalar"};

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> names;
  std::stringstream stream(joined);
  for (std::string name; std::getline(stream, name, ',');) {
    if (!name.empty()) names.push_back(name);
  }
  return names;
}


}  // namespace

TrajectoryRecorder::TrajectoryRecorder(Hdf5File file) : file_(std::move(file)) {}

TrajectoryRecorder TrajectoryRecorder::create(const std::string& path) {
  return TrajectoryRecorder(Hdf5File::create(path));
}

TrajectoryRecorder TrajectoryRecorder::resume(const std::string& path, int64_t keep_until,
                                              const std::vector<std::string>& static_datasets) {
  const std::string previous = path + ".resume-tmp";
  NMFLOW_CHECK(std::rename(path.c_str(), previous.c_str()) == 0, "cannot resume: trajectory file '", path,
               "' cannot be moved aside (missing or not writable)");
  TrajectoryRecorder recorder = create(path);
  {
    const Hdf5File old = Hdf5File::open(previous);
    for (const std::string& name : static_datasets) {
      if (old.exists(name)) recorder.file_.write_tensor(name, old.read_tensor(name));
    }
    if (old.exists("trajectory/step")) {
      const at::Tensor steps = old.read_tensor("trajectory/step").flatten();
      const int64_t keep = (steps <= keep_until).sum().item<int64_t>();
      if (keep > 0) {
        recorder.term_names_ = split_names(old.read_string_attribute("trajectory", "term_names"));
        std::vector<std::string> names = kScalarRecords;
        names.insert(names.end(), kFieldRecords.begin(), kFieldRecords.end());
        for (const std::string& term : recorder.term_names_) names.push_back("terms/" + term);
        for (const std::string& name : names) {
          const at::Tensor records = old.read_tensor("trajectory/" + name);
          const std::vector<int64_t> shape(records.sizes().begin() + 1, records.sizes().end());
          recorder.file_.create_extendible("trajectory/" + name, records.scalar_type(), shape);
          for (int64_t i = 0; i < keep; ++i) recorder.file_.append_record("trajectory/" + name, records[i]);
        }
        recorder.file_.write_string_attribute("trajectory", "term_names",
                                              old.read_string_attribute("trajectory", "term_names"));
      }
    }
    if (old.exists("ntk/step")) {
      const int64_t keep = (old.read_tensor("ntk/step") <= keep_until).sum().item<int64_t>();
      for (const std::string& name : kNtkRecords) {
        const at::Tensor records = old.read_tensor("ntk/" + name);
        const std::vector<int64_t> shape(records.sizes().begin() + 1, records.sizes().end());
        recorder.file_.create_extendible("ntk/" + name, records.scalar_type(), shape);
        for (int64_t i = 0; i < keep; ++i) recorder.file_.append_record("ntk/" + name, records[i]);
      }
    }
    if (old.exists("compare/step")) {
      const int64_t keep = (old.read_tensor("compare/step").flatten() <= keep_until).sum().item<int64_t>();
      const std::string joined = old.read_string_attribute("compare", "value_names");
      std::vector<std::string> names = split_names(joined);
      names.insert(names.end(), kCompareFields.begin(), kCompareFields.end());
      names.push_back("step");
      for (const std::string& name : names) {
        const at::Tensor records = old.read_tensor("compare/" + name);
        const std::vector<int64_t> shape(records.sizes().begin() + 1, records.sizes().end());
        recorder.file_.create_extendible("compare/" + name, records.scalar_type(), shape);
        for (int64_t i = 0; i < keep; ++i) recorder.file_.append_record("compare/" + name, records[i]);
      }
      recorder.file_.write_string_attribute("compare", "value_names", joined);
    }
  }
  std::remove(previous.c_str());
  return recorder;
}

void TrajectoryRecorder::create_datasets(const TrajectoryRecord& record) {
  file_.create_extendible("trajectory/step", at::kLong, {1});
  for (std::size_t i = 1; i < kScalarRecords.size(); ++i) {
    file_.create_extendible("trajectory/" + kScalarRecords[i], at::kDouble, {1});
  }
  const std::vector<int64_t> matrix(record.g.sizes().begin(), record.g.sizes().end());
  file_.create_extendible("trajectory/g", record.g.scalar_type(), matrix);
  file_.create_extendible("trajectory/ricci", record.ricci.scalar_type(), matrix);
  file_.create_extendible("trajectory/scalar", record.scalar.scalar_type(), {record.scalar.size(0)});
  std::string joined;
  for (const auto& [name, value] : record.terms) {
    NMFLOW_CHECK(name.find(',') == std::string::npos && name.find('/') == std::string::npos,
                 "loss term name '", name, "' may not contain ',' or '/'");
    file_.create_extendible("trajectory/terms/" + name, at::kDouble, {1});
    term_names_.push_back(name);
    joined += (joined.empty() ? "" : ",") + name;
  }
  file_.write_string_attribute("trajectory", "term_names", joined);
}

void TrajectoryRecorder::record(const TrajectoryRecord& record) {
  if (!file_.exists("trajectory/step")) create_datasets(record);
  NMFLOW_CHECK(record.terms.size() == term_names_.size(), "trajectory record has ", record.terms.size(),
               " loss terms, the file holds ", term_names_.size());
  // The step goes last: a reader that sees it may trust every other dataset of that record.
  file_.append_value("trajectory/time", record.time);
  file_.append_value("trajectory/learning_rate", record.learning_rate);
  file_.append_value("trajectory/loss", record.loss);
  file_.append_value("trajectory/grad_norm", record.grad_norm);
  for (std::size_t i = 0; i < record.terms.size(); ++i) {
    NMFLOW_CHECK(record.terms[i].first == term_names_[i], "trajectory record term ", i, " is '",
                 record.terms[i].first, "', the file holds '", term_names_[i], "'");
    file_.append_value("trajectory/terms/" + term_names_[i], record.terms[i].second);
  }
  file_.append_record("trajectory/g", record.g.detach().cpu().contiguous());
  file_.append_record("trajectory/ricci", record.ricci.detach().cpu().contiguous());
  file_.append_record("trajectory/scalar", record.scalar.detach().cpu().contiguous());
  file_.append_record("trajectory/step", at::full({1}, record.steps_done, at::kLong));
}

void TrajectoryRecorder::record_compare(const CompareRecord& record) {
  const at::Tensor g = record.reference_g.detach().to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor scalar = record.reference_scalar.detach().to(at::kCPU, at::kDouble).contiguous();
  std::string joined;
  for (const auto& [name, value] : record.values) joined += (joined.empty() ? "" : ",") + name;
  if (!file_.exists("compare/step")) {
    for (const auto& [name, value] : record.values) {
      NMFLOW_CHECK(name.find(',') == std::string::npos && name.find('/') == std::string::npos && name != "step",
                   "compare value name '", name, "' may not contain ',' or '/' nor be 'step'");
      file_.create_extendible("compare/" + name, at::kDouble, {1});
    }
    file_.create_extendible("compare/reference_g", at::kDouble, std::vector<int64_t>(g.sizes().begin(), g.sizes().end()));
    file_.create_extendible("compare/reference_scalar", at::kDouble, {scalar.size(0)});
    file_.create_extendible("compare/step", at::kLong, {1});
    file_.write_string_attribute("compare", "value_names", joined);
  }
  NMFLOW_CHECK(joined == file_.read_string_attribute("compare", "value_names"), "compare record holds values '",
               joined, "', the file holds '", file_.read_string_attribute("compare", "value_names"), "'");
  for (const auto& [name, value] : record.values) file_.append_value("compare/" + name, value);
  file_.append_record("compare/reference_g", g);
  file_.append_record("compare/reference_scalar", scalar);
  // The step goes last, as in /trajectory.
  file_.append_record("compare/step", at::full({1}, record.steps_done, at::kLong));
}

int64_t TrajectoryRecorder::compare_count() const {
  return file_.exists("compare/step") ? file_.record_count("compare/step") : 0;
}

void TrajectoryRecorder::record_ntk(const NtkRecord& record) {
  const at::Tensor eigenvalues = record.top_eigenvalues.detach().to(at::kCPU, at::kDouble).contiguous();
  if (!file_.exists("ntk/step")) {
    file_.create_extendible("ntk/step", at::kLong, {});
    for (const char* name : {"flow_time", "relative_drift", "nonlocal_mass"}) {
      file_.create_extendible(std::string("ntk/") + name, at::kDouble, {});
    }
    file_.create_extendible("ntk/top_eigenvalues", at::kDouble, {eigenvalues.size(0)});
  }
  const std::vector<int64_t> stored = file_.shape("ntk/top_eigenvalues");
  NMFLOW_CHECK(eigenvalues.dim() == 1 && eigenvalues.size(0) == stored.back(), "NTK record has ",
               eigenvalues.numel(), " eigenvalues, the file holds ", stored.back());
  const auto scalar = [](double value) { return at::scalar_tensor(value, at::kDouble); };
  file_.append_record("ntk/flow_time", scalar(record.time));
  file_.append_record("ntk/relative_drift", scalar(record.relative_drift));
  file_.append_record("ntk/nonlocal_mass", scalar(record.nonlocal_mass));
  file_.append_record("ntk/top_eigenvalues", eigenvalues);
  file_.append_record("ntk/step", at::scalar_tensor(record.steps_done, at::kLong));
}

int64_t TrajectoryRecorder::record_count() const {
  return file_.exists("trajectory/step") ? file_.record_count("trajectory/step") : 0;
}

}  // namespace nmflow

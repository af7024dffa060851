#include "db-manager/retrying_store.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace ktune::db {
namespace {

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

bool IsRetryable(const absl::Status& status) { return absl::IsUnavailable(status); }

}  // namespace

std::chrono::milliseconds RetryBackoff(const RetryPolicy& policy, int attempt) {
  const std::chrono::milliseconds cap = std::max(policy.max_backoff, std::chrono::milliseconds(0));
  std::chrono::milliseconds wait = std::max(policy.initial_backoff, std::chrono::milliseconds(0));
  for (int i = 1; i < attempt && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap);
}

RetryingStore::RetryingStore(Store& base, RetryPolicy policy)
    : base_(base), policy_(std::move(policy)) {}

void RetryingStore::Sleep(std::chrono::milliseconds wait) const {
  if (policy_.sleep) {
    policy_.sleep(wait);
  } else {
    std::this_thread::sleep_for(wait);
  }
}

template <typename Result>
Result RetryingStore::Retry(const char* method, const std::function<Result()>& call) {
  const int max_attempts = std::max(policy_.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    Result result = call();
    const absl::Status& status = StatusOf(result);
    if (status.ok() || !IsRetryable(status)) return result;
    if (attempt >= max_attempts) {
      if (max_attempts == 1) return result;
      return absl::Status(status.code(), absl::StrCat(method, " failed after ", attempt,
                                                      " attempts: ", status.message()));
    }
    const std::chrono::milliseconds wait = RetryBackoff(policy_, attempt);
    spdlog::warn("store {} failed (attempt {} of {}), retrying in {} ms: {}", method, attempt,
                 max_attempts, wait.count(), std::string(status.message()));
    Sleep(wait);
  }
}

absl::StatusOr<core::Experiment> RetryingStore::CreateExperiment(const core::Experiment& e) {
  return Retry<absl::StatusOr<core::Experiment>>("CreateExperiment",
                                                 [&] { return base_.CreateExperiment(e); });
}

absl::StatusOr<core::Experiment> RetryingStore::UpdateExperimentSpec(const core::Experiment& e) {
  return Retry<absl::StatusOr<core::Experiment>>("UpdateExperimentSpec",
                                                 [&] { return base_.UpdateExperimentSpec(e); });
}

absl::StatusOr<core::Experiment> RetryingStore::UpdateExperimentStatus(const core::Experiment& e) {
  return Retry<absl::StatusOr<core::Experiment>>("UpdateExperimentStatus",
                                                 [&] { return base_.UpdateExperimentStatus(e); });
}

absl::StatusOr<core::Experiment> RetryingStore::GetExperiment(const std::string& ns,
                                                              const std::string& name) {
  return Retry<absl::StatusOr<core::Experiment>>("GetExperiment",
                                                 [&] { return base_.GetExperiment(ns, name); });
}

absl::StatusOr<Page<core::Experiment>> RetryingStore::ListExperiments(const ListOptions& options) {
  return Retry<absl::StatusOr<Page<core::Experiment>>>(
      "ListExperiments", [&] { return base_.ListExperiments(options); });
}

absl::Status RetryingStore::DeleteExperiment(const std::string& ns, const std::string& name) {
  return Retry<absl::Status>("DeleteExperiment", [&] { return base_.DeleteExperiment(ns, name); });
}

absl::StatusOr<core::Trial> RetryingStore::CreateTrial(const core::Trial& t) {
  return Retry<absl::StatusOr<core::Trial>>("CreateTrial", [&] { return base_.CreateTrial(t); });
}

absl::StatusOr<core::Trial> RetryingStore::UpdateTrialStatus(const core::Trial& t) {
  return Retry<absl::StatusOr<core::Trial>>("UpdateTrialStatus",
                                            [&] { return base_.UpdateTrialStatus(t); });
}

absl::StatusOr<core::Trial> RetryingStore::GetTrial(const std::string& ns,
                                                    const std::string& name) {
  return Retry<absl::StatusOr<core::Trial>>("GetTrial", [&] { return base_.GetTrial(ns, name); });
}

absl::StatusOr<std::vector<core::Trial>> RetryingStore::ListTrials(const std::string& ns,
                                                                   const std::string& experiment) {
  return Retry<absl::StatusOr<std::vector<core::Trial>>>(
      "ListTrials", [&] { return base_.ListTrials(ns, experiment); });
}

absl::StatusOr<Page<TrialSummary>> RetryingStore::ListTrialSummaries(const std::string& ns,
                                                                     const std::string& experiment,
                                                                     const ListOptions& options) {
  return Retry<absl::StatusOr<Page<TrialSummary>>>(
      "ListTrialSummaries", [&] { return base_.ListTrialSummaries(ns, experiment, options); });
}

absl::Status RetryingStore::PutSuggestionState(const std::string& ns, const std::string& experiment,
                                               const std::string& state) {
  return Retry<absl::Status>("PutSuggestionState",
                             [&] { return base_.PutSuggestionState(ns, experiment, state); });
}

absl::StatusOr<std::string> RetryingStore::GetSuggestionState(const std::string& ns,
                                                              const std::string& experiment) {
  return Retry<absl::StatusOr<std::string>>(
      "GetSuggestionState", [&] { return base_.GetSuggestionState(ns, experiment); });
}

absl::StatusOr<int64_t> RetryingStore::Revision() {
  return Retry<absl::StatusOr<int64_t>>("Revision", [&] { return base_.Revision(); });
}

absl::StatusOr<ChangeBatch> RetryingStore::ChangesSince(int64_t revision, int64_t limit) {
  return Retry<absl::StatusOr<ChangeBatch>>("ChangesSince",
                                            [&] { return base_.ChangesSince(revision, limit); });
}

int64_t RetryingStore::WaitForChanges(int64_t revision, absl::Duration timeout) {
  return base_.WaitForChanges(revision, timeout);
}

absl::Status RetryingStore::ReportObservationLog(const std::string& trial_name,
                                                 const std::vector<core::MetricLog>& logs) {
  return Retry<absl::Status>("ReportObservationLog",
                             [&] { return base_.ReportObservationLog(trial_name, logs); });
}

absl::StatusOr<std::vector<core::MetricLog>> RetryingStore::GetObservationLog(
    const ObservationQuery& query) {
  return Retry<absl::StatusOr<std::vector<core::MetricLog>>>(
      "GetObservationLog", [&] { return base_.GetObservationLog(query); });
}

absl::Status RetryingStore::DeleteObservationLog(const std::string& trial_name) {
  return Retry<absl::Status>("DeleteObservationLog",
                             [&] { return base_.DeleteObservationLog(trial_name); });
}

absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>>
RetryingStore::GetObservationLogs(const std::vector<std::string>& trial_names,
                                  const std::string& metric_name) {
  return Retry<absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>>>(
      "GetObservationLogs", [&] { return base_.GetObservationLogs(trial_names, metric_name); });
}

}  // namespace ktune::db

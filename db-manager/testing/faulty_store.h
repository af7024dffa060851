#pragma once
// FaultyStore: a test double that forwards every call to another Store and makes chosen calls
// fail, so that failure paths (a Store that is Unavailable on the Nth write, a full disk) can be
// tested deterministically. Test-only; header-only, so it needs no library of its own.
//
//   SqliteStore& real = ...;
//   FaultyStore store(real);
//   // The 3rd and 4th UpdateTrialStatus calls (0-based 2 and 3) fail; every other call goes
//   // through.
//   store.FailCalls("UpdateTrialStatus", absl::UnavailableError("injected"), /*after=*/2,
//                   /*count=*/2);
//
// Rules: each FailCalls adds a rule. A rule matches calls of `method` (a Store method name such
// as "UpdateTrialStatus", or "*" for every method; WaitForChanges, which returns no status, is
// counted but never failed) and counts the calls it matches, from 0, starting
// when the rule is added. The matched calls numbered after .. after+count-1 fail with `status`
// without reaching the base store, so they change nothing (the Store contract). When several
// rules fail one call, the first rule added wins; every matching rule counts the call either
// way. `calls(method)` counts every call of `method` (or of all methods for "*") since
// construction, failed ones included.
//
// Thread safety: safe to call from several threads at once, as the Store contract requires;
// the base store is called without FaultyStore's lock held.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/experiment.h"
#include "core/mutex.h"
#include "db-manager/store.h"

namespace ktune::db::testing {

class FaultyStore : public Store {
 public:
  // Borrows `base`, which must outlive this object.
  explicit FaultyStore(Store& base) : base_(base) {}
  FaultyStore(const FaultyStore&) = delete;
  FaultyStore& operator=(const FaultyStore&) = delete;

  // Adds a rule (see the file comment). `method` must name a Store method (or be "*"),
  // `status` must not be OK, `after` >= 0, `count` >= 0 (0 adds a rule that never fails).
  // A bad rule is a bug in the test: it aborts, so a misspelt method cannot fail silently.
  void FailCalls(std::string method, absl::Status status, int after = 0, int count = 1) {
    if (!IsMethod(method) || status.ok() || after < 0 || count < 0) {
      std::fprintf(stderr,
                   "FaultyStore::FailCalls(\"%s\"): needs a Store method name or \"*\", an "
                   "error status, after >= 0 and count >= 0\n",
                   method.c_str());
      std::abort();
    }
    MutexLock lock(mu_);
    rules_.push_back(Rule{std::move(method), std::move(status), after, count, 0});
  }

  // Removes every rule; call counts stay.
  void ClearFaults() {
    MutexLock lock(mu_);
    rules_.clear();
  }

  // Calls of `method` so far, failed ones included; "*" counts every method.
  int calls(std::string_view method) const {
    MutexLock lock(mu_);
    if (method == "*") return total_calls_;
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }

  // ---- ExperimentStore ----
  absl::StatusOr<core::Experiment> CreateExperiment(const core::Experiment& e) override {
    if (absl::Status fault = Enter("CreateExperiment"); !fault.ok()) return fault;
    return base_.CreateExperiment(e);
  }
  absl::StatusOr<core::Experiment> UpdateExperimentSpec(const core::Experiment& e) override {
    if (absl::Status fault = Enter("UpdateExperimentSpec"); !fault.ok()) return fault;
    return base_.UpdateExperimentSpec(e);
  }
  absl::StatusOr<core::Experiment> UpdateExperimentStatus(const core::Experiment& e) override {
    if (absl::Status fault = Enter("UpdateExperimentStatus"); !fault.ok()) return fault;
    return base_.UpdateExperimentStatus(e);
  }
  absl::StatusOr<core::Experiment> GetExperiment(const std::string& ns,
                                                 const std::string& name) override {
    if (absl::Status fault = Enter("GetExperiment"); !fault.ok()) return fault;
    return base_.GetExperiment(ns, name);
  }
  absl::StatusOr<Page<core::Experiment>> ListExperiments(const ListOptions& options) override {
    if (absl::Status fault = Enter("ListExperiments"); !fault.ok()) return fault;
    return base_.ListExperiments(options);
  }
  absl::Status DeleteExperiment(const std::string& ns, const std::string& name) override {
    if (absl::Status fault = Enter("DeleteExperiment"); !fault.ok()) return fault;
    return base_.DeleteExperiment(ns, name);
  }
  absl::StatusOr<core::Trial> CreateTrial(const core::Trial& t) override {
    if (absl::Status fault = Enter("CreateTrial"); !fault.ok()) return fault;
    return base_.CreateTrial(t);
  }
  absl::StatusOr<core::Trial> UpdateTrialStatus(const core::Trial& t) override {
    if (absl::Status fault = Enter("UpdateTrialStatus"); !fault.ok()) return fault;
    return base_.UpdateTrialStatus(t);
  }
  absl::StatusOr<core::Trial> GetTrial(const std::string& ns, const std::string& name) override {
    if (absl::Status fault = Enter("GetTrial"); !fault.ok()) return fault;
    return base_.GetTrial(ns, name);
  }
  absl::StatusOr<std::vector<core::Trial>> ListTrials(const std::string& ns,
                                                      const std::string& experiment) override {
    if (absl::Status fault = Enter("ListTrials"); !fault.ok()) return fault;
    return base_.ListTrials(ns, experiment);
  }
  absl::StatusOr<Page<TrialSummary>> ListTrialSummaries(const std::string& ns,
                                                        const std::string& experiment,
                                                        const ListOptions& options) override {
    if (absl::Status fault = Enter("ListTrialSummaries"); !fault.ok()) return fault;
    return base_.ListTrialSummaries(ns, experiment, options);
  }
  absl::Status PutSuggestionState(const std::string& ns, const std::string& experiment,
                                  const std::string& state) override {
    if (absl::Status fault = Enter("PutSuggestionState"); !fault.ok()) return fault;
    return base_.PutSuggestionState(ns, experiment, state);
  }
  absl::StatusOr<std::string> GetSuggestionState(const std::string& ns,
                                                 const std::string& experiment) override {
    if (absl::Status fault = Enter("GetSuggestionState"); !fault.ok()) return fault;
    return base_.GetSuggestionState(ns, experiment);
  }
  absl::StatusOr<int64_t> Revision() override {
    if (absl::Status fault = Enter("Revision"); !fault.ok()) return fault;
    return base_.Revision();
  }
  absl::StatusOr<ChangeBatch> ChangesSince(int64_t revision, int64_t limit = 0) override {
    if (absl::Status fault = Enter("ChangesSince"); !fault.ok()) return fault;
    return base_.ChangesSince(revision, limit);
  }
  // Counted, never failed (it returns no status): forwarded as is.
  int64_t WaitForChanges(int64_t revision, absl::Duration timeout) override {
    CountOnly("WaitForChanges");
    return base_.WaitForChanges(revision, timeout);
  }

  // ---- ObservationStore ----
  absl::Status ReportObservationLog(const std::string& trial_name,
                                    const std::vector<core::MetricLog>& logs) override {
    if (absl::Status fault = Enter("ReportObservationLog"); !fault.ok()) return fault;
    return base_.ReportObservationLog(trial_name, logs);
  }
  absl::StatusOr<std::vector<core::MetricLog>> GetObservationLog(
      const ObservationQuery& query) override {
    if (absl::Status fault = Enter("GetObservationLog"); !fault.ok()) return fault;
    return base_.GetObservationLog(query);
  }
  absl::Status DeleteObservationLog(const std::string& trial_name) override {
    if (absl::Status fault = Enter("DeleteObservationLog"); !fault.ok()) return fault;
    return base_.DeleteObservationLog(trial_name);
  }
  absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>> GetObservationLogs(
      const std::vector<std::string>& trial_names, const std::string& metric_name) override {
    if (absl::Status fault = Enter("GetObservationLogs"); !fault.ok()) return fault;
    return base_.GetObservationLogs(trial_names, metric_name);
  }

 private:
  struct Rule {
    std::string method;  // "*" matches every method
    absl::Status status;
    int after;
    int count;
    int matched;  // calls this rule has matched so far
  };

  static bool IsMethod(std::string_view method) {
    for (std::string_view known : {"*",
                                   "CreateExperiment",
                                   "UpdateExperimentSpec",
                                   "UpdateExperimentStatus",
                                   "GetExperiment",
                                   "ListExperiments",
                                   "DeleteExperiment",
                                   "CreateTrial",
                                   "UpdateTrialStatus",
                                   "GetTrial",
                                   "ListTrials",
                                   "ListTrialSummaries",
                                   "PutSuggestionState",
                                   "GetSuggestionState",
                                   "Revision",
                                   "ChangesSince",
                                   "ReportObservationLog",
                                   "GetObservationLog",
                                   "DeleteObservationLog",
                                   "GetObservationLogs"}) {
      if (method == known) return true;
    }
    return false;
  }

  void Count(std::string_view method) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++total_calls_;
    auto it = calls_.find(method);
    if (it == calls_.end()) it = calls_.emplace(std::string(method), 0).first;
    ++it->second;
  }
  void CountOnly(std::string_view method) {
    MutexLock lock(mu_);
    Count(method);
  }

  // Counts a call of `method` and returns the injected error, or OK to forward the call.
  absl::Status Enter(std::string_view method) {
    MutexLock lock(mu_);
    Count(method);
    absl::Status fault;
    for (Rule& rule : rules_) {
      if (rule.method != "*" && rule.method != method) continue;
      const int number = rule.matched++;
      if (fault.ok() && number >= rule.after && number - rule.after < rule.count) {
        fault = rule.status;
      }
    }
    return fault;
  }

  Store& base_;
  mutable Mutex mu_;
  std::vector<Rule> rules_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int, std::less<>> calls_ ABSL_GUARDED_BY(mu_);
  int total_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ktune::db::testing

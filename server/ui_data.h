#pragma once
// UiData: the web UI's read models under /apis/ktune.dev/v1/namespaces/{ns}/experiments/{name}
// (the contract is ui/src/api/types.ts), installed by ApiServer with its auth and replies:
//   GET  .../trialtable[?since=RV]  every trial of an experiment as one compact TrialTable; with
//        `since`, only the rows changed after RV (from the store's change feed) plus the names
//        deleted, `complete` false; a revision older than the feed's window gets the full table.
//   GET  .../intermediate[?metric=M]  each trial's reported values of M (default: the objective
//        metric) in report order, read in one store query; at most kMaxIntermediatePoints per
//        trial (evenly thinned, the first and the last kept; `reported` says how many there were).
//   GET  .../importance  PED-ANOVA parameter importance (server/importance.h) over the completed
//        trials, cached per (experiment uid, completed trials, their latest revision).
//   POST .../stop  ControllerManager::StopExperiment, then the experiment; 409 when it is done.
//
// ObservationFeed: the metric reports of running trials (which write observation logs, not
// objects, so the store's change feed does not see them), for the event stream's
// "Observation" events. Thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "controller/manager.h"
#include "core/mutex.h"
#include "db-manager/store.h"
#include "server/internal/reply.h"

namespace ktune::server {

inline constexpr int kMaxIntermediatePoints = 1000;

// Metric reports of running trials, and a wait that also wakes on store writes.
class ObservationFeed {
 public:
  struct Report {
    int64_t seq = 0;
    std::string ns;
    std::string trial;
    std::string experiment;
  };
  // Watches `store` for writes (one thread, ended by Stop or the destructor).
  explicit ObservationFeed(db::ExperimentStore& store);
  ~ObservationFeed();
  ObservationFeed(const ObservationFeed&) = delete;
  ObservationFeed& operator=(const ObservationFeed&) = delete;

  void Publish(const std::string& ns, const std::string& trial, const std::string& experiment);
  // The reports after `seq` that are still kept (the last 4096), oldest first; `*now` is the
  // newest seq.
  std::vector<Report> Since(int64_t seq, int64_t* now);
  int64_t seq();
  // Blocks until a report after `seq`, a store revision above `revision`, Stop, or `timeout`.
  void Wait(int64_t seq, int64_t revision, absl::Duration timeout);
  void Stop();

 private:
  void Follow();
  db::ExperimentStore& store_;
  Mutex mu_;
  CondVar changed_;
  std::deque<Report> reports_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread follower_;
};

class UiData {
 public:
  UiData(db::Store& store, controller::ControllerManager& manager);
  void Install(httplib::Server& http, const internal::RouteWrapper& route);

  // Large answers are gzipped here when the client accepts it (see LargeJson in the .cc).
  internal::Reply TrialTable(const std::string& ns, const std::string& name,
                             const httplib::Request& req, httplib::Response& res);
  internal::Reply Intermediate(const std::string& ns, const std::string& name,
                               const httplib::Request& req, httplib::Response& res);
  internal::Reply Importance(const std::string& ns, const std::string& name);
  internal::Reply Stop(const std::string& ns, const std::string& name);

 private:
  // One experiment's rows as JSON text, kept current from the store's change feed, so that a
  // table of 10 000 trials is decoded from the store once, not at every page load.
  struct Row {
    int64_t revision = 0;  // the trial's resource_version
    bool completed = false;
    std::string phase;
    std::string text;  // the TrialRow
  };
  struct Table {
    std::string uid;
    int64_t revision = -1;           // the store revision the rows reflect
    std::vector<std::string> order;  // creation order (names of deleted rows are skipped)
    std::map<std::string, Row> rows;
    int64_t used = 0;  // for eviction
  };
  // Each trial's values of one metric as JSON text; a completed trial's are kept while its
  // revision stands (a running trial's are read again: its reports bump no revision).
  struct Series {
    std::map<std::string, std::pair<int64_t, std::string>> rows;
    int64_t used = 0;
  };

  // The experiment's table brought up to the store's revision.
  // Valid while mu_ is held.
  absl::StatusOr<const Table*> SyncTable(const core::Experiment& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadTable(const core::Experiment& e, Table& table)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  db::Store& store_;
  controller::ControllerManager& manager_;
  Mutex mu_;
  int64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<std::string, std::string>, Table> tables_ ABSL_GUARDED_BY(mu_);
  std::map<std::tuple<std::string, std::string, std::string>, Series> series_ ABSL_GUARDED_BY(mu_);
  // (ns, name) -> (uid, completed trials, their newest revision) and the answer's body.
  std::map<std::pair<std::string, std::string>,
           std::pair<std::tuple<std::string, int64_t, int64_t>, std::string>>
      importance_cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktune::server

#include "controller/manager.h"

#include <algorithm>
#include <deque>
#include <random>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/conditions.h"
#include "core/json_access.h"
#include "core/settings.h"
#include "core/template.h"
#include "core/time_util.h"
#include "spdlog/spdlog.h"

namespace ktune::controller {
namespace {

using core::NowRfc3339;

// Katib's utilrand alphabet for generated trial names.
constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
constexpr char kReasonExperimentRestarting[] = "ExperimentRestarting";
constexpr char kMessageExperimentRestarting[] = "Experiment is restarted";
constexpr char kMessageExperimentStopped[] = "Experiment is stopped on request";
constexpr char kMessageTrialInterrupted[] =
    "ktune stopped before the trial ended; it runs again with the same assignments when the "
    "experiment is resumed";

// Katib's trial controller: on completion, Running flips to False keeping its reason/message.
void FlipTrialRunningFalse(core::Trial& t, const std::string& now) {
  if (const core::Condition* running = core::FindCondition(t.status.conditions, core::kRunning)) {
    core::Condition copy = *running;
    core::SetCondition(t.status.conditions, core::kRunning, "False", copy.reason, copy.message,
                       now);
  }
}

// Back to "created, not running": the state of a trial that will be (re)started.
void MarkTrialInterrupted(core::Trial& t, const std::string& now) {
  core::SetCondition(t.status.conditions, core::kRunning, "False", kReasonTrialInterrupted,
                     kMessageTrialInterrupted, now);
  t.status.completion_time.clear();
  t.status.observation.reset();
}

int32_t DoneCount(const core::ExperimentStatus& s) {
  return s.trials_succeeded + s.trials_failed + s.trials_killed + s.trials_early_stopped +
         s.trial_metrics_unavailable;
}

// Katib's restart rule (KATIB.md §1.7), checked against the stored trials.
bool IsRestartable(const core::Experiment& e, size_t trials) {
  const core::Condition* succeeded = core::FindCondition(e.status.conditions, core::kSucceeded);
  return succeeded && succeeded->status == "True" &&
         succeeded->reason == core::kReasonMaxTrialsReached &&
         (e.spec.resume_policy == "LongRunning" || e.spec.resume_policy == "FromVolume") &&
         e.spec.max_trial_count && *e.spec.max_trial_count > static_cast<int64_t>(trials);
}

// Katib's MarkExperimentStatusRestarting: removes Succeeded and Failed, sets Restarting.
void MarkExperimentRestarting(core::Experiment& e, const std::string& now) {
  auto& conditions = e.status.conditions;
  conditions.erase(std::remove_if(conditions.begin(), conditions.end(),
                                  [](const core::Condition& c) {
                                    return c.type == core::kSucceeded || c.type == core::kFailed;
                                  }),
                   conditions.end());
  core::SetCondition(conditions, core::kRestarting, "True", kReasonExperimentRestarting,
                     kMessageExperimentRestarting, now);
  e.status.completion_time.clear();
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string CheckTrialName(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) return "must be no more than 253 characters";
  bool label_start = true;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool last_of_label = i + 1 == name.size() || name[i + 1] == '.';
    if (c == '.') {
      if (label_start) return "must not start with '.' or contain an empty part between dots";
      label_start = true;
      continue;
    }
    if (!IsLowerAlnum(c) && c != '-') {
      return "must consist of lower case alphanumeric characters, '-' or '.'";
    }
    if (c == '-' && (label_start || last_of_label)) {
      return "each dot-separated part must start and end with an alphanumeric character";
    }
    label_start = false;
  }
  if (label_start) return "must not end with '.'";
  return "";
}

// What wakes an experiment besides "look again".
struct ControllerManager::Event {
  enum class Type { kExit, kSpecChanged, kStop, kDelete, kDeletedInStore };
  Type type = Type::kSpecChanged;
  TrialExit exit;
};

// One experiment's cached state. `inbox` and the outcome fields are guarded by the manager's
// mu_; everything else belongs to the worker processing the key (the WorkQueue hands a key to
// one worker at a time).
struct ControllerManager::Entry {
  enum class State { kActive, kDone, kDeleted, kGaveUp, kCancelled };

  ExperimentKey key;
  std::deque<Event> inbox;
  // The generation of the spec the worker works with (read by the change-feed follower).
  std::atomic<int64_t> generation{0};
  // Whether metric events wake it (spec.earlyStopping is set).
  std::atomic<bool> wants_metric_events{false};
  State state = State::kActive;
  absl::Status error;
  core::Experiment final_experiment;

  // ---- worker-owned ----
  bool loaded = false;
  core::Experiment experiment;
  std::vector<core::Trial> trials;
  std::map<std::string, size_t> index;
  bool exhausted = false;
  std::vector<core::Setting> returned_settings;
  std::unique_ptr<suggestion::Suggester> suggester;
  // Trials started or adopted whose exit has not been applied.
  std::set<std::string> started;
  // Trials whose last status write did not reach the store.
  std::set<std::string> unsaved;
  bool stop_requested = false;
  bool stop_applied = false;
  bool delete_requested = false;
  bool kill_sent = false;
  bool giving_up = false;
  absl::Status give_up_error;

  core::Trial* Find(const std::string& name) {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &trials[it->second];
  }
  int32_t Pending() const {
    int32_t pending = 0;
    for (const core::Trial& t : trials) {
      if (!core::IsTrialCompleted(t) && !started.count(t.metadata.name)) ++pending;
    }
    return pending;
  }
};

ControllerManager::ControllerManager(db::ExperimentStore& experiments,
                                     db::ObservationStore& observations,
                                     suggestion::SuggestionService& suggestions, Executor& executor,
                                     ManagerOptions options)
    : experiments_(experiments),
      observations_(observations),
      suggestions_(suggestions),
      executor_(executor),
      options_(std::move(options)),
      queue_(options_.retry_base_delay, options_.retry_max_delay),
      slots_(options_.max_running_trials) {}

ControllerManager::~ControllerManager() { Shutdown(); }

void ControllerManager::Start() {
  MutexLock lock(mu_);
  if (started_ || shutting_down_) return;
  started_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
  if (options_.watch_store) {
    // Read here, not on the follower's thread: every write after Start() is then seen.
    absl::StatusOr<int64_t> revision = experiments_.Revision();
    const int64_t from = revision.ok() ? *revision : 0;
    follower_ = std::thread([this, from] { FollowChanges(from); });
  }
}

absl::Status ControllerManager::EnqueueAll() {
  db::ListOptions list;
  while (true) {
    absl::StatusOr<db::Page<core::Experiment>> page = experiments_.ListExperiments(list);
    if (!page.ok()) return page.status();
    for (const core::Experiment& e : page->items) {
      // Finished with nothing left to run or to restart: nothing to load (a later event, a
      // spec change or a deletion, loads it then).
      const core::ExperimentStatus& s = e.status;
      if (core::IsExperimentCompleted(e) && s.trials_running == 0 && s.trials_pending == 0 &&
          !IsRestartable(e, static_cast<size_t>(std::max(0, s.trials)))) {
        continue;
      }
      Enqueue({e.metadata.namespace_, e.metadata.name});
    }
    if (page->continue_token.empty()) return absl::OkStatus();
    list.continue_token = page->continue_token;
  }
}

void ControllerManager::Enqueue(const ExperimentKey& key) {
  {
    MutexLock lock(mu_);
    if (shutting_down_) return;
    Entry& e = EntryFor(key);
    if (e.state != Entry::State::kActive && e.state != Entry::State::kDone) {
      // Deleted or given up earlier: start over from the store.
      entries_.erase(key);
      EntryFor(key);
    } else if (e.state == Entry::State::kDone) {
      e.state = Entry::State::kActive;
    }
  }
  queue_.Add(key);
}

ControllerManager::Entry* ControllerManager::FindEntry(const ExperimentKey& key) {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second.get();
}

ControllerManager::Entry& ControllerManager::EntryFor(const ExperimentKey& key) {
  std::shared_ptr<Entry>& slot = entries_[key];
  if (!slot) {
    slot = std::make_shared<Entry>();
    slot->key = key;
  }
  return *slot;
}

void ControllerManager::Post(const ExperimentKey& key, Event event) {
  {
    MutexLock lock(mu_);
    Entry* e = FindEntry(key);
    if (!e) {
      if (event.type == Event::Type::kExit) return;
      e = &EntryFor(key);
    }
    if (e->state == Entry::State::kDone) e->state = Entry::State::kActive;
    e->inbox.push_back(std::move(event));
  }
  queue_.Add(key);
}

void ControllerManager::Wake(const std::vector<ExperimentKey>& keys) {
  for (const ExperimentKey& key : keys) queue_.Add(key);
}

absl::StatusOr<core::Experiment> ControllerManager::Wait(const ExperimentKey& key) {
  MutexLock lock(mu_);
  while (true) {
    Entry* e = FindEntry(key);
    if (!e) return absl::NotFoundError(absl::StrCat("experiment ", key.ns, "/", key.name));
    switch (e->state) {
      case Entry::State::kActive:
        if (shut_down_ || shutdown_requested_) {
          return absl::CancelledError(
              "stopped before the experiment completed; run it again to resume");
        }
        break;
      case Entry::State::kDone:
        return e->final_experiment;
      case Entry::State::kDeleted:
        return absl::NotFoundError(
            absl::StrCat("experiment ", key.ns, "/", key.name, " was deleted"));
      case Entry::State::kGaveUp:
        return e->error;
      case Entry::State::kCancelled:
        return absl::CancelledError(
            "stopped before the experiment completed; run it again to resume");
    }
    changed_.Wait(mu_);
  }
}

absl::Status ControllerManager::StopExperiment(const ExperimentKey& key) {
  Post(key, Event{Event::Type::kStop, {}});
  MutexLock lock(mu_);
  while (true) {
    Entry* e = FindEntry(key);
    if (!e || e->state == Entry::State::kDeleted) {
      return absl::NotFoundError(absl::StrCat("experiment ", key.ns, "/", key.name));
    }
    if (e->state == Entry::State::kGaveUp) return e->error;
    if (e->state == Entry::State::kCancelled) return absl::CancelledError("shutting down");
    if (e->state == Entry::State::kDone) return absl::OkStatus();
    changed_.Wait(mu_);
  }
}

absl::Status ControllerManager::Delete(const ExperimentKey& key) {
  Post(key, Event{Event::Type::kDelete, {}});
  MutexLock lock(mu_);
  while (true) {
    Entry* e = FindEntry(key);
    if (!e || e->state == Entry::State::kDeleted) return absl::OkStatus();
    if (e->state == Entry::State::kGaveUp) return e->error;
    if (e->state == Entry::State::kCancelled) return absl::CancelledError("shutting down");
    changed_.Wait(mu_);
  }
}

absl::StatusOr<core::Experiment> ControllerManager::UpdateBudget(const ExperimentKey& key,
                                                                 const Budget& budget) {
  auto positive = [](const std::optional<int32_t>& v, const char* field) -> absl::Status {
    if (v && *v <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.", field, " must be greater than 0, got ", *v));
    }
    return absl::OkStatus();
  };
  if (absl::Status st = positive(budget.max_trial_count, "maxTrialCount"); !st.ok()) return st;
  if (absl::Status st = positive(budget.parallel_trial_count, "parallelTrialCount"); !st.ok()) {
    return st;
  }
  if (budget.max_failed_trial_count && *budget.max_failed_trial_count < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.maxFailedTrialCount must not be negative, got ", *budget.max_failed_trial_count));
  }
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<core::Experiment> stored = experiments_.GetExperiment(key.ns, key.name);
    if (!stored.ok()) return stored.status();
    core::ExperimentSpec& spec = stored->spec;
    if (budget.max_trial_count) spec.max_trial_count = *budget.max_trial_count;
    if (budget.parallel_trial_count) spec.parallel_trial_count = *budget.parallel_trial_count;
    if (budget.max_failed_trial_count) {
      spec.max_failed_trial_count = *budget.max_failed_trial_count;
    }
    if (spec.max_trial_count && spec.parallel_trial_count &&
        *spec.parallel_trial_count > *spec.max_trial_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec.parallelTrialCount (", *spec.parallel_trial_count,
          ") must not be greater than spec.maxTrialCount (", *spec.max_trial_count, ")"));
    }
    absl::StatusOr<core::Experiment> written = experiments_.UpdateExperimentSpec(*stored);
    if (absl::IsAborted(written.status()) && attempt < 10) continue;
    if (!written.ok()) return written.status();
    Post(key, Event{Event::Type::kSpecChanged, {}});
    return written;
  }
}

void ControllerManager::OnMetrics(const std::string& trial_name) {
  std::vector<ExperimentKey> keys;
  {
    MutexLock lock(mu_);
    auto [begin, end] = running_.equal_range(trial_name);
    for (auto it = begin; it != end; ++it) keys.push_back(it->second);
  }
  // Only experiments with early stopping act on metric events (its rules run in the
  // reconciler); waking the others would only rewrite their status.
  std::vector<ExperimentKey> wake;
  std::shared_ptr<const MetricsListener> listener;
  {
    MutexLock lock(mu_);
    for (const ExperimentKey& key : keys) {
      if (Entry* e = FindEntry(key); e && e->wants_metric_events) wake.push_back(key);
    }
    listener = metrics_listener_;
  }
  Wake(wake);
  if (listener && *listener) {
    for (const ExperimentKey& key : keys) (*listener)(trial_name, key);
  }
}

void ControllerManager::SetMetricsListener(MetricsListener listener) {
  auto shared = std::make_shared<const MetricsListener>(std::move(listener));
  MutexLock lock(mu_);
  metrics_listener_ = std::move(shared);
}

void ControllerManager::BeginShutdown() {
  MutexLock lock(mu_);
  shutdown_requested_ = true;
  changed_.SignalAll();
}

void ControllerManager::Shutdown() {
  bool started;
  {
    MutexLock lock(mu_);
    if (shut_down_) return;
    shutting_down_ = true;
    shutdown_requested_ = true;
    started = started_;
    changed_.SignalAll();
  }
  cancel_suggestions_ = true;
  // Every running trial of ours is interrupted; the exits reach the inboxes and are written
  // back as interrupted by the workers, which start nothing new once they see shutting_down_.
  // A reconcile that was already past that check may still start a trial: the second round
  // catches it once the workers are idle.
  for (int round = 0; round < 2; ++round) {
    std::vector<ExperimentKey> keys;
    {
      MutexLock lock(mu_);
      for (const auto& [key, e] : entries_) keys.push_back(key);
    }
    for (const ExperimentKey& key : keys) {
      executor_.KillAll(key.ns, key.name, StopReason::kInterrupt, /*wait=*/true);
    }
    if (started) queue_.WaitIdle();
  }
  stop_following_ = true;
  queue_.ShutDown();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (follower_.joinable()) follower_.join();
  MutexLock lock(mu_);
  for (auto& [key, e] : entries_) {
    if (e->state == Entry::State::kActive) e->state = Entry::State::kCancelled;
  }
  shut_down_ = true;
  changed_.SignalAll();
}

void ControllerManager::Work() {
  while (std::optional<ExperimentKey> key = queue_.Get()) {
    ProcessKey(*key);
    queue_.Done(*key);
  }
}

void ControllerManager::FollowChanges(int64_t seen) {
  while (!stop_following_) {
    const int64_t now = experiments_.WaitForChanges(seen, absl::Milliseconds(200));
    if (stop_following_) break;
    if (now <= seen) continue;
    absl::StatusOr<db::ChangeBatch> batch = experiments_.ChangesSince(seen);
    if (absl::IsOutOfRange(batch.status())) {
      // Too far behind the feed: look at every experiment again.
      if (absl::Status st = EnqueueAll(); !st.ok()) {
        spdlog::warn("controller: relisting experiments: {}", st.ToString());
      }
      seen = now;
      continue;
    }
    if (!batch.ok()) {
      spdlog::warn("controller: reading the change feed: {}", batch.status().ToString());
      continue;
    }
    for (const db::Change& c : batch->changes) {
      if (c.kind != db::ObjectKind::kExperiment) continue;
      const ExperimentKey key{c.ns, c.name};
      bool known = false;
      bool spec_changed = false;
      {
        MutexLock lock(mu_);
        Entry* e = FindEntry(key);
        known = e != nullptr;
        // The generation moves only with the spec; our own status writes do not wake us.
        spec_changed = e && c.generation != 0 && c.generation != e->generation.load();
      }
      switch (c.type) {
        case db::ChangeType::kAdded:
          if (!known) Enqueue(key);
          break;
        case db::ChangeType::kModified:
          if (spec_changed) Post(key, Event{Event::Type::kSpecChanged, {}});
          break;
        case db::ChangeType::kDeleted:
          if (known) Post(key, Event{Event::Type::kDeletedInStore, {}});
          break;
      }
    }
    seen = std::max(seen, batch->revision);
  }
}

void ControllerManager::ProcessKey(const ExperimentKey& key) {
  std::shared_ptr<Entry> e;
  {
    MutexLock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) e = it->second;
    if (!e || e->state == Entry::State::kDeleted || e->state == Entry::State::kGaveUp ||
        e->state == Entry::State::kCancelled) {
      return;
    }
  }
  ++reconciles_;
  absl::Status st = Reconcile(*e);
  if (st.ok()) {
    queue_.Forget(key);
    return;
  }
  if (absl::IsUnavailable(st)) {
    const int retries = queue_.AddRateLimited(key);
    if (retries <= options_.max_unavailable_retries) {
      spdlog::warn("experiment {}/{}: {} (retry {} of {})", key.ns, key.name, st.ToString(),
                   retries, options_.max_unavailable_retries);
      return;
    }
  }
  GiveUp(*e, st);
}

void ControllerManager::GiveUp(Entry& e, const absl::Status& error) {
  queue_.Forget(e.key);
  if (!e.started.empty()) {
    // Its trials are interrupted first; the entry gives up once their exits were applied (a
    // failing store then leaves them Running there, which the next load re-runs).
    spdlog::error("experiment {}/{}: {}; interrupting its trials", e.key.ns, e.key.name,
                  error.ToString());
    e.giving_up = true;
    e.give_up_error = error;
    executor_.KillAll(e.key.ns, e.key.name, StopReason::kInterrupt, /*wait=*/false);
    return;
  }
  spdlog::error("experiment {}/{}: {}", e.key.ns, e.key.name, error.ToString());
  Wake(slots_.Leave(e.key));
  MutexLock lock(mu_);
  e.state = Entry::State::kGaveUp;
  e.error = error;
  changed_.SignalAll();
}

absl::Status ControllerManager::Reconcile(Entry& e) {
  std::deque<Event> events;
  {
    MutexLock lock(mu_);
    events.swap(e.inbox);
  }
  // Events not applied because of an error go back to the front of the inbox for the retry.
  auto requeue = [&](size_t from) {
    MutexLock lock(mu_);
    for (size_t i = events.size(); i > from; --i) e.inbox.push_front(std::move(events[i - 1]));
  };
  for (size_t i = 0; i < events.size(); ++i) {
    Event& ev = events[i];
    switch (ev.type) {
      case Event::Type::kStop:
        e.stop_requested = true;
        break;
      case Event::Type::kDelete:
      case Event::Type::kDeletedInStore:
        e.delete_requested = true;
        break;
      default:
        break;
    }
  }
  if (!e.loaded && !e.delete_requested) {
    if (absl::Status st = Load(e); !st.ok()) {
      if (absl::IsNotFound(st)) {
        MutexLock lock(mu_);
        e.state = Entry::State::kDeleted;
        changed_.SignalAll();
        return absl::OkStatus();
      }
      requeue(0);
      return st;
    }
  }
  for (size_t i = 0; i < events.size(); ++i) {
    absl::Status st;
    if (events[i].type == Event::Type::kExit) {
      st = ApplyExit(e, events[i].exit);
    } else if (events[i].type == Event::Type::kSpecChanged && e.loaded && !e.delete_requested) {
      st = ReloadSpec(e);
    }
    if (!st.ok()) {
      requeue(i);
      return st;
    }
  }
  // Writes that failed in an earlier pass go first.
  for (auto it = e.unsaved.begin(); it != e.unsaved.end();) {
    core::Trial* t = e.Find(*it);
    if (t) {
      core::Trial copy = *t;
      copy.metadata.resource_version.clear();
      absl::StatusOr<core::Trial> written = experiments_.UpdateTrialStatus(copy);
      if (!written.ok()) return written.status();
    }
    it = e.unsaved.erase(it);
  }

  if (e.delete_requested) {
    if (!e.kill_sent && !e.started.empty()) {
      executor_.KillAll(e.key.ns, e.key.name, StopReason::kKill, /*wait=*/false);
    }
    e.kill_sent = true;
    if (!e.started.empty()) return absl::OkStatus();  // their exits wake us
    return FinishDelete(e);
  }
  if (e.giving_up) {
    if (e.started.empty()) {
      e.giving_up = false;
      GiveUp(e, e.give_up_error);
    }
    return absl::OkStatus();
  }
  bool shutting_down;
  {
    MutexLock lock(mu_);
    shutting_down = shutting_down_;
  }
  if (!shutting_down) {
    if (e.stop_requested && !e.stop_applied) {
      if (!core::IsExperimentCompleted(e.experiment)) {
        core::MarkExperimentSucceeded(e.experiment, kReasonExperimentStopped,
                                      kMessageExperimentStopped, NowRfc3339());
      }
      if (!e.started.empty()) {
        executor_.KillAll(e.key.ns, e.key.name, StopReason::kKill, /*wait=*/false);
      }
      // Pending (interrupted) trials of a stopped experiment do not run again.
      const std::string now = NowRfc3339();
      for (core::Trial& t : e.trials) {
        if (core::IsTrialCompleted(t) || e.started.count(t.metadata.name)) continue;
        core::SetCondition(t.status.conditions, core::kKilled, "True", "TrialKilled",
                           "Trial is killed: the experiment was stopped", now);
        t.status.completion_time = now;
        if (absl::Status st = SaveTrial(e, t); !st.ok()) return st;
      }
      e.stop_applied = true;
    }
    // The decisions of this pass (conditions) are redone if the spec changed under it.
    const std::vector<core::Condition> before = e.experiment.status.conditions;
    if (absl::Status st = Step(e); !st.ok()) return st;
    for (int attempt = 0;; ++attempt) {
      absl::Status saved = SaveStatus(e);
      if (saved.ok()) break;
      // Someone wrote the experiment meanwhile (a spec change): take their spec, keep our
      // status, and decide again under the new spec.
      if (!absl::IsAborted(saved) || attempt >= 10) return saved;
      e.experiment.status.conditions = before;
      if (absl::Status st = ReloadSpec(e); !st.ok()) return st;
      if (absl::Status st = Step(e); !st.ok()) return st;
    }
  } else {
    core::UpdateTrialsSummary(e.experiment, e.trials);
    if (absl::Status st = SaveStatus(e); !st.ok()) return st;
  }
  if (options_.on_progress) options_.on_progress(e.experiment, e.trials);
  Settle(e);
  return absl::OkStatus();
}

void ControllerManager::Settle(Entry& e) {
  const bool done = core::IsExperimentCompleted(e.experiment) && e.started.empty() &&
                    (e.Pending() == 0 || e.stop_applied);
  if (!done) return;
  e.suggester.reset();
  Wake(slots_.Leave(e.key));
  bool unload = false;
  {
    MutexLock lock(mu_);
    if (e.state == Entry::State::kActive && e.inbox.empty()) {
      e.state = Entry::State::kDone;
      e.final_experiment = e.experiment;
      changed_.SignalAll();
      unload = e.unsaved.empty();
    }
  }
  // A finished experiment keeps only its final state: its trials (runSpecs and all) are read
  // again when it wakes up (a restart, a stop, a deletion), so a server holding thousands of
  // finished experiments stays small.
  if (unload) {
    std::vector<core::Trial>().swap(e.trials);
    e.index.clear();
    e.loaded = false;
  }
}

absl::Status ControllerManager::FinishDelete(Entry& e) {
  absl::StatusOr<std::vector<core::Trial>> trials = experiments_.ListTrials(e.key.ns, e.key.name);
  std::vector<std::string> names;
  if (trials.ok()) {
    for (const core::Trial& t : *trials) names.push_back(t.metadata.name);
  } else if (!absl::IsNotFound(trials.status())) {
    return trials.status();
  }
  for (const std::string& name : names) {
    if (absl::Status st = observations_.DeleteObservationLog(name); !st.ok()) return st;
  }
  absl::Status st = experiments_.DeleteExperiment(e.key.ns, e.key.name);
  if (!st.ok() && !absl::IsNotFound(st)) return st;
  spdlog::info("experiment {}/{}: deleted", e.key.ns, e.key.name);
  if (options_.on_deleted) options_.on_deleted(e.key, names);
  e.suggester.reset();
  e.trials.clear();
  e.index.clear();
  Wake(slots_.Leave(e.key));
  MutexLock lock(mu_);
  e.state = Entry::State::kDeleted;
  changed_.SignalAll();
  return absl::OkStatus();
}

absl::Status ControllerManager::Load(Entry& e) {
  const ExperimentKey& key = e.key;
  absl::StatusOr<core::Experiment> stored = experiments_.GetExperiment(key.ns, key.name);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::vector<core::Trial>> trials = experiments_.ListTrials(key.ns, key.name);
  if (!trials.ok()) return trials.status();
  bool exhausted = false;
  std::vector<core::Setting> returned;
  std::string plugin_state;
  absl::StatusOr<std::string> state = experiments_.GetSuggestionState(key.ns, key.name);
  if (!state.ok() && !absl::IsNotFound(state.status())) return state.status();
  if (state.ok()) {
    absl::StatusOr<nlohmann::json> j = core::ParseJsonBounded(*state);
    if (!j.ok() || !j->is_object()) {
      spdlog::warn("experiment {}/{}: ignoring unreadable suggestion state", key.ns, key.name);
    } else {
      exhausted = core::BoolFieldOf(*j, "exhausted").value_or(false);
      if (const nlohmann::json* settings =
              core::FieldOf(*j, "algorithmSettings", core::JsonType::kArray)) {
        for (const nlohmann::json& s : *settings) {
          returned.push_back({core::StringFieldOr(s, "name"), core::StringFieldOr(s, "value")});
        }
      }
      if (!absl::Base64Unescape(core::StringFieldOr(*j, "pluginState"), &plugin_state)) {
        plugin_state.clear();
      }
    }
  }
  e.experiment = std::move(*stored);
  e.trials = std::move(*trials);
  e.index.clear();
  for (size_t i = 0; i < e.trials.size(); ++i) e.index[e.trials[i].metadata.name] = i;
  e.exhausted = exhausted;
  e.returned_settings = std::move(returned);
  e.started.clear();
  e.loaded = true;
  e.generation = e.experiment.metadata.generation;
  e.wants_metric_events = e.experiment.spec.early_stopping.has_value();

  const std::string now = NowRfc3339();
  if (core::IsExperimentCompleted(e.experiment) && IsRestartable(e.experiment, e.trials.size())) {
    spdlog::info("experiment {}/{}: restarting (maxTrialCount {} > {} trials)", key.ns, key.name,
                 *e.experiment.spec.max_trial_count, e.trials.size());
    MarkExperimentRestarting(e.experiment, now);
  }
  if (e.experiment.status.start_time.empty()) {
    e.experiment.status.start_time = now;
    core::MarkExperimentCreated(e.experiment, now);
  }
  // Trials a previous controller left Running: watch them again where they survived (the
  // executor reports the others Interrupted, and they run again).
  for (core::Trial& t : e.trials) {
    if (core::IsTrialCompleted(t) || !core::IsConditionTrue(t.status.conditions, core::kRunning)) {
      continue;
    }
    slots_.Take(1);
    {
      MutexLock lock(mu_);
      running_.emplace(t.metadata.name, key);
    }
    absl::Status adopted = executor_.Adopt(t, ExitCallbackFor(key));
    if (adopted.ok()) {
      e.started.insert(t.metadata.name);
    } else {
      Wake(slots_.Release(1));
      ForgetRunning(t.metadata.name, key);
      MarkTrialInterrupted(t, now);
      if (absl::Status st = SaveTrial(e, t); !st.ok()) return st;
    }
  }
  if (!core::IsExperimentCompleted(e.experiment)) OpenSuggester(e, plugin_state);
  spdlog::info("experiment {}/{}: running ({} trials so far)", key.ns, key.name, e.trials.size());
  return absl::OkStatus();
}

void ControllerManager::OpenSuggester(Entry& e, const std::string& plugin_state) {
  if (e.suggester) return;
  const core::Experiment request = ExperimentForSuggestion(e);
  if (absl::Status st = suggestions_.ValidateAlgorithmSettings(request); !st.ok()) {
    MarkFailed(e, absl::StrCat("Suggestion has failed: ", st.message()));
    return;
  }
  absl::StatusOr<std::unique_ptr<suggestion::Suggester>> suggester =
      suggestions_.Open(request, plugin_state);
  if (!suggester.ok()) {
    MarkFailed(e, absl::StrCat("Suggestion has failed: ", suggester.status().message()));
    return;
  }
  e.suggester = std::move(*suggester);
}

absl::Status ControllerManager::ReloadSpec(Entry& e) {
  absl::StatusOr<core::Experiment> stored = experiments_.GetExperiment(e.key.ns, e.key.name);
  if (!stored.ok()) return stored.status();
  const bool spec_changed = stored->metadata.generation != e.experiment.metadata.generation;
  // Status is ours; everything else is the stored object's.
  stored->status = std::move(e.experiment.status);
  e.experiment = std::move(*stored);
  e.generation = e.experiment.metadata.generation;
  if (!spec_changed) return absl::OkStatus();
  spdlog::info("experiment {}/{}: spec changed (generation {})", e.key.ns, e.key.name,
               e.experiment.metadata.generation);
  if (core::IsExperimentCompleted(e.experiment) && IsRestartable(e.experiment, e.trials.size())) {
    spdlog::info("experiment {}/{}: restarting (maxTrialCount {} > {} trials)", e.key.ns,
                 e.key.name, *e.experiment.spec.max_trial_count, e.trials.size());
    MarkExperimentRestarting(e.experiment, NowRfc3339());
    OpenSuggester(e, "");
  }
  return absl::OkStatus();
}

absl::Status ControllerManager::SaveStatus(Entry& e) {
  e.experiment.status.last_reconcile_time = NowRfc3339();
  absl::StatusOr<core::Experiment> written = experiments_.UpdateExperimentStatus(e.experiment);
  if (!written.ok()) return written.status();
  e.experiment.metadata.resource_version = written->metadata.resource_version;
  e.experiment.metadata.generation = written->metadata.generation;
  return absl::OkStatus();
}

absl::Status ControllerManager::SaveTrial(Entry& e, core::Trial& trial) {
  e.unsaved.insert(trial.metadata.name);
  trial.metadata.resource_version.clear();  // the controller is the trial status' only writer
  absl::StatusOr<core::Trial> written = experiments_.UpdateTrialStatus(trial);
  if (!written.ok()) return written.status();
  e.unsaved.erase(trial.metadata.name);
  return absl::OkStatus();
}

absl::Status ControllerManager::SaveSuggestionState(Entry& e, const std::string& plugin_state) {
  nlohmann::json j;
  j["exhausted"] = e.exhausted;
  j["algorithmSettings"] = nlohmann::json::array();
  for (const auto& s : e.returned_settings) {
    j["algorithmSettings"].push_back({{"name", s.name}, {"value", s.value}});
  }
  if (!plugin_state.empty()) j["pluginState"] = absl::Base64Escape(plugin_state);
  return experiments_.PutSuggestionState(e.key.ns, e.key.name, j.dump());
}

void ControllerManager::MarkFailed(Entry& e, const std::string& message) {
  spdlog::error("experiment {}/{}: {}", e.key.ns, e.key.name, message);
  core::MarkExperimentFailed(e.experiment, core::kReasonExperimentFailed, message, NowRfc3339());
}

core::Experiment ControllerManager::ExperimentForSuggestion(const Entry& e) const {
  // Katib sends the experiment with its settings overwritten by those the service returned.
  core::Experiment request = e.experiment;
  if (request.spec.algorithm) {
    core::MergeSettings(request.spec.algorithm->algorithm_settings, e.returned_settings);
  }
  return request;
}

std::string ControllerManager::NewTrialName(const Entry& e) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kNameAlphabet) - 2);
  while (true) {
    std::string name = e.experiment.metadata.name + "-";
    for (int i = 0; i < 8; ++i) name += kNameAlphabet[pick(rng)];
    if (!e.index.count(name)) return name;
  }
}

absl::Status ControllerManager::ApplyExit(Entry& e, const TrialExit& exit) {
  e.started.erase(exit.trial.name);
  core::Trial* t = e.Find(exit.trial.name);
  if (!t || core::IsTrialCompleted(*t)) return absl::OkStatus();
  const std::string now = NowRfc3339();
  auto& conditions = t->status.conditions;
  if (exit.kind == TrialExit::Kind::kInterrupted) {
    // Not final: it runs again (after its partial observation log is deleted).
    MarkTrialInterrupted(*t, now);
    return SaveTrial(e, *t);
  }
  auto observe = [&]() -> absl::StatusOr<std::optional<core::Observation>> {
    db::ObservationQuery query;
    query.trial_name = t->metadata.name;
    absl::StatusOr<std::vector<core::MetricLog>> logs = observations_.GetObservationLog(query);
    if (!logs.ok()) return logs.status();
    return std::optional<core::Observation>(
        core::ComputeObservation(core::MetricNames(t->spec.objective), *logs));
  };
  switch (exit.kind) {
    case TrialExit::Kind::kKilled:
      FlipTrialRunningFalse(*t, now);
      core::SetCondition(conditions, core::kKilled, "True", "TrialKilled",
                         absl::StrCat("Trial is killed: ", exit.message), now);
      break;
    case TrialExit::Kind::kFailed:
      FlipTrialRunningFalse(*t, now);
      core::SetCondition(conditions, core::kFailed, "True",
                         absl::StrCat("TrialFailed. Job reason: ", exit.reason),
                         absl::StrCat("Trial has failed. Job message: ", exit.message), now);
      break;
    case TrialExit::Kind::kEarlyStopped: {
      absl::StatusOr<std::optional<core::Observation>> obs = observe();
      if (!obs.ok()) return obs.status();
      FlipTrialRunningFalse(*t, now);
      if (core::IsObservationAvailable(t->spec.objective, *obs)) {
        t->status.observation = std::move(*obs);
      }
      core::SetCondition(conditions, core::kEarlyStopped, "True", "TrialEarlyStopped",
                         "Trial is early stopped", now);
      break;
    }
    case TrialExit::Kind::kSucceeded: {
      absl::StatusOr<std::optional<core::Observation>> obs = observe();
      if (!obs.ok()) return obs.status();
      FlipTrialRunningFalse(*t, now);
      if (!core::IsObservationAvailable(t->spec.objective, *obs)) {
        // The metrics collector recorded the objective as `unavailable` (Katib's rule).
        const std::string& name = t->spec.objective.objective_metric_name;
        t->status.observation =
            core::Observation{{{name, core::kUnavailable, core::kUnavailable, core::kUnavailable}}};
        core::SetCondition(
            conditions, core::kMetricsUnavailable, "True", "MetricsUnavailable",
            absl::StrCat("Metrics are not available: the trial ",
                         t->spec.metrics_collector.kind == "Push" ? "reported" : "printed",
                         " no \"", name, "\" metric"),
            now);
      } else {
        t->status.observation = std::move(*obs);
        core::SetCondition(conditions, core::kSucceeded, "True", "TrialSucceeded",
                           "Trial has succeeded", now);
      }
      break;
    }
    case TrialExit::Kind::kInterrupted:
      break;
  }
  t->status.completion_time = now;
  return SaveTrial(e, *t);
}

absl::Status ControllerManager::Step(Entry& e) {
  const core::ExperimentSpec& spec = e.experiment.spec;
  int32_t parallel = spec.parallel_trial_count.value_or(3);
  if (options_.max_parallel_trials) parallel = std::min(parallel, *options_.max_parallel_trials);
  if (options_.parallel_limit) {
    if (std::optional<int32_t> limit = options_.parallel_limit(e.experiment)) {
      parallel = std::min(parallel, *limit);
    }
  }
  parallel = std::max(parallel, 1);
  while (true) {
    {
      MutexLock lock(mu_);
      if (shutting_down_) break;  // nothing new starts; the executor would refuse it
    }
    const std::string now = NowRfc3339();
    core::UpdateTrialsSummary(e.experiment, e.trials);
    const core::ExperimentStatus& s = e.experiment.status;
    const int32_t finished = DoneCount(s);
    const int32_t running = static_cast<int32_t>(e.started.size());
    const int32_t pending = e.Pending();
    if (!core::IsExperimentCompleted(e.experiment)) {
      // Katib's order of completion checks.
      const int32_t failed = s.trials_failed + s.trial_metrics_unavailable;
      if (core::IsGoalReached(e.experiment)) {
        core::MarkExperimentSucceeded(e.experiment, core::kReasonGoalReached,
                                      core::kMessageGoalReached, now);
      } else if (spec.max_failed_trial_count && failed > 0 &&
                 failed >= *spec.max_failed_trial_count) {
        core::MarkExperimentFailed(e.experiment, core::kReasonExperimentFailed,
                                   core::kMessageMaxFailedReached, now);
      } else if (spec.max_trial_count && finished >= *spec.max_trial_count) {
        core::MarkExperimentSucceeded(e.experiment, core::kReasonMaxTrialsReached,
                                      core::kMessageMaxTrialsReached, now);
      } else if (e.exhausted && running + pending == 0) {
        core::MarkExperimentSucceeded(e.experiment, core::kReasonSuggestionEndReached,
                                      core::kMessageSuggestionEndReached, now);
      } else {
        core::MarkExperimentRunning(e.experiment, now);
      }
    }
    const bool completed = core::IsExperimentCompleted(e.experiment);
    // Unlike Katib, MetricsUnavailable trials count as done here too, so the number of trials
    // created never exceeds maxTrialCount.
    int32_t required = parallel;
    if (spec.max_trial_count) {
      required = std::min(parallel, static_cast<int32_t>(*spec.max_trial_count) - finished);
    }
    int32_t create = 0;
    if (!completed && !e.exhausted && e.suggester) {
      create = std::max(0, required - running - pending);
    }
    // Interrupted trials come first; they run to their end also after the experiment completed.
    const int32_t want = std::min(parallel - running, (e.stop_applied ? 0 : pending) + create);
    int32_t budget = slots_.Acquire(e.key, want);
    absl::Cleanup give_back = [&] {
      if (budget > 0) Wake(slots_.Release(budget));
    };
    std::string start_error;
    if (!e.stop_applied) {
      if (absl::Status st = StartPendingTrials(e, budget, start_error); !st.ok()) return st;
    }
    if (completed || create == 0 || budget <= 0) break;
    if (absl::Status st = CreateTrials(e, std::min(create, budget), budget, start_error);
        !st.ok()) {
      return st;
    }
    if (!e.started.empty()) break;
    // Nothing is running, so no event will wake us: decide now (the checks above conclude an
    // ended or failed suggestion on the next pass). Trials that cannot even start would fail
    // the same way forever unless a limit ends the experiment.
    if (!start_error.empty() && !spec.max_failed_trial_count && !spec.max_trial_count) {
      MarkFailed(e, absl::StrCat("trials cannot start: ", start_error));
    }
  }
  core::UpdateTrialsSummary(e.experiment, e.trials);
  return absl::OkStatus();
}

absl::Status ControllerManager::StartPendingTrials(Entry& e, int32_t& budget,
                                                   std::string& start_error) {
  for (size_t i = 0; i < e.trials.size() && budget > 0; ++i) {
    core::Trial& t = e.trials[i];
    if (core::IsTrialCompleted(t) || e.started.count(t.metadata.name)) continue;
    --budget;
    if (absl::Status st = StartTrial(e, t, start_error); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ControllerManager::CreateTrials(Entry& e, int32_t count, int32_t& budget,
                                             std::string& start_error) {
  const core::Experiment request = ExperimentForSuggestion(e);
  suggestion::CallOptions call;
  call.deadline = absl::Now() + options_.suggestion_timeout;
  call.cancelled = &cancel_suggestions_;
  absl::StatusOr<suggestion::SuggestionReply> reply = e.suggester->GetSuggestions(
      request, e.trials, count, static_cast<int32_t>(e.trials.size()) + count, call);
  if (!reply.ok()) {
    if (absl::IsCancelled(reply.status()) && cancel_suggestions_) return absl::OkStatus();
    MarkFailed(e, absl::StrCat("Suggestion has failed: ", reply.status().message()));
    return absl::OkStatus();
  }
  // Names from the algorithm are checked before anything of the reply is used.
  std::set<std::string> in_reply;
  for (const suggestion::SuggestedTrial& suggested : reply->trials) {
    if (suggested.trial_name.empty()) continue;
    const std::string& n = suggested.trial_name;
    std::string problem = CheckTrialName(n);
    if (problem.empty() && e.index.count(n)) problem = "a trial of that name already exists";
    if (problem.empty() && !in_reply.insert(n).second) problem = "the reply names two trials so";
    if (!problem.empty()) {
      MarkFailed(
          e, absl::StrCat("Suggestion has failed: the algorithm returned trial name ", Quoted(n),
                          ": ", problem, " (trial names must be unique DNS-1123 subdomains)"));
      return absl::OkStatus();
    }
  }
  // The algorithm's own state (ABI 1.1 save_state) is persisted with what it returned, so a
  // restart continues where this session is.
  absl::StatusOr<std::string> plugin_state = e.suggester->SaveState();
  if (!plugin_state.ok()) {
    spdlog::warn("experiment {}/{}: the algorithm could not save its state: {}", e.key.ns,
                 e.key.name, plugin_state.status().ToString());
    plugin_state = std::string();
  }
  if (!reply->algorithm_settings.empty() || reply->exhausted || !plugin_state->empty()) {
    core::MergeSettings(e.returned_settings, reply->algorithm_settings);
    e.exhausted = e.exhausted || reply->exhausted;
    if (absl::Status st = SaveSuggestionState(e, *plugin_state); !st.ok()) return st;
  }
  for (const suggestion::SuggestedTrial& suggested : reply->trials) {
    std::string name = suggested.trial_name.empty() ? NewTrialName(e) : suggested.trial_name;
    absl::StatusOr<core::Trial> trial =
        core::NewTrial(e.experiment, name, suggested.assignments, suggested.labels);
    if (!trial.ok()) {
      MarkFailed(e, absl::StrCat("cannot create trial: ", trial.status().message()));
      return absl::OkStatus();
    }
    const std::string now = NowRfc3339();
    trial->metadata.creation_timestamp = now;
    core::SetCondition(trial->status.conditions, core::kCreated, "True", "TrialCreated",
                       "Trial is created", now);
    absl::StatusOr<core::Trial> created = experiments_.CreateTrial(*trial);
    if (!created.ok()) return created.status();
    trial->metadata.resource_version = created->metadata.resource_version;
    trial->metadata.uid = created->metadata.uid;
    e.index[name] = e.trials.size();
    e.trials.push_back(std::move(*trial));
    if (budget <= 0) continue;  // created; it starts when a slot is free
    --budget;
    if (absl::Status st = StartTrial(e, e.trials.back(), start_error); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ControllerManager::StartTrial(Entry& e, core::Trial& trial, std::string& start_error) {
  const std::string name = trial.metadata.name;
  if (!trial.status.start_time.empty() ||
      core::FindCondition(trial.status.conditions, core::kRunning) != nullptr) {
    // It ran before and was interrupted: what it reported then is not a result.
    if (absl::Status st = observations_.DeleteObservationLog(name); !st.ok()) return st;
  }
  {
    MutexLock lock(mu_);
    running_.emplace(name, e.key);
  }
  absl::Status started = executor_.Start(trial, ExitCallbackFor(e.key));
  // The exit callback may already have fired: `trial` is only touched from this thread.
  const std::string now = NowRfc3339();
  trial.status.start_time = now;
  trial.status.completion_time.clear();
  trial.status.observation.reset();
  if (started.ok()) {
    e.started.insert(name);
    core::SetCondition(trial.status.conditions, core::kRunning, "True", "TrialRunning",
                       "Trial is running", now);
  } else {
    Wake(slots_.Release(1));
    ForgetRunning(name, e.key);
    bool shutting_down;
    {
      MutexLock lock(mu_);
      shutting_down = shutting_down_;
    }
    // Refused because the executor is shutting down: not the trial's fault, it runs on resume.
    if (shutting_down) return absl::OkStatus();
    spdlog::warn("trial {}: {}", name, std::string(started.message()));
    start_error = std::string(started.message());
    core::SetCondition(trial.status.conditions, core::kFailed, "True",
                       "TrialFailed. Job reason: StartError",
                       absl::StrCat("Trial has failed. Job message: ", started.message()), now);
    trial.status.completion_time = now;
  }
  return SaveTrial(e, trial);
}

Executor::ExitCallback ControllerManager::ExitCallbackFor(const ExperimentKey& key) {
  return [this, key](const TrialExit& exit) {
    // The slot is free as soon as the run is: another experiment may start a trial now.
    Wake(slots_.Release(1));
    ForgetRunning(exit.trial.name, key);
    Post(key, Event{Event::Type::kExit, exit});
  };
}

void ControllerManager::ForgetRunning(const std::string& trial_name, const ExperimentKey& key) {
  MutexLock lock(mu_);
  auto [begin, end] = running_.equal_range(trial_name);
  for (auto it = begin; it != end; ++it) {
    if (it->second == key) {
      running_.erase(it);
      return;
    }
  }
}

absl::Status MetricsTap::Report(const std::string& trial_name,
                                const std::vector<core::MetricLog>& logs) {
  absl::Status st = store_.ReportObservationLog(trial_name, logs);
  if (st.ok()) {
    if (ControllerManager* manager = manager_.load()) manager->OnMetrics(trial_name);
  }
  return st;
}

}  // namespace ktune::controller

#include "controller/experiment_controller.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/json_access.h"
#include "core/conditions.h"
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

std::vector<std::string> MetricNames(const core::ObjectiveSpec& o) {
  std::vector<std::string> names{o.objective_metric_name};
  names.insert(names.end(), o.additional_metric_names.begin(), o.additional_metric_names.end());
  return names;
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

ExperimentController::ExperimentController(db::Store& store,
                                           suggestion::SuggestionService& suggestions,
                                           Executor& executor, ControllerOptions options)
    : store_(store), suggestions_(suggestions), executor_(executor), options_(std::move(options)) {}

ExperimentController::~ExperimentController() { KillOwnTrialsAndWait(); }

void ExperimentController::Stop() {
  MutexLock lock(mu_);
  stop_requested_ = true;
  wake_.SignalAll();
}

bool ExperimentController::StopRequested() {
  MutexLock lock(mu_);
  return stop_requested_;
}

void ExperimentController::KillOwnTrialsAndWait() {
  std::set<std::string> live;
  {
    MutexLock lock(mu_);
    live = live_;
  }
  // Never with mu_ held: an executor may call on_exit from inside Kill.
  for (const std::string& name : live) executor_.Kill(name);
  MutexLock lock(mu_);
  while (!live_.empty()) wake_.Wait(mu_);
}

core::Trial* ExperimentController::FindTrial(const std::string& name) {
  auto it = trial_index_.find(name);
  return it == trial_index_.end() ? nullptr : &trials_[it->second];
}

absl::Status ExperimentController::SaveTrial(const core::Trial& trial) {
  return store_.UpdateTrial(trial);
}

absl::Status ExperimentController::SaveExperiment() {
  experiment_.status.last_reconcile_time = NowRfc3339();
  return store_.UpdateExperiment(experiment_);
}

absl::Status ExperimentController::SaveSuggestionState() {
  nlohmann::json j;
  j["exhausted"] = suggestion_state_.exhausted;
  j["algorithmSettings"] = nlohmann::json::array();
  for (const auto& s : suggestion_state_.algorithm_settings) {
    j["algorithmSettings"].push_back({{"name", s.name}, {"value", s.value}});
  }
  return store_.PutSuggestionState(experiment_.metadata.namespace_, experiment_.metadata.name,
                                   j.dump());
}

void ExperimentController::Fail(const std::string& message) {
  spdlog::error("experiment {}: {}", experiment_.metadata.name, message);
  core::MarkExperimentFailed(experiment_, core::kReasonExperimentFailed, message, NowRfc3339());
}

core::Experiment ExperimentController::ExperimentForSuggestion() const {
  // Katib sends the experiment with its settings overwritten by those the service returned.
  core::Experiment e = experiment_;
  if (!e.spec.algorithm) return e;
  for (const auto& returned : suggestion_state_.algorithm_settings) {
    auto& settings = e.spec.algorithm->algorithm_settings;
    auto it = std::find_if(settings.begin(), settings.end(),
                           [&](const core::Setting& s) { return s.name == returned.name; });
    if (it != settings.end()) {
      it->value = returned.value;
    } else {
      settings.push_back(returned);
    }
  }
  return e;
}

std::string ExperimentController::NewTrialName() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kNameAlphabet) - 2);
  while (true) {
    std::string name = experiment_.metadata.name + "-";
    for (int i = 0; i < 8; ++i) name += kNameAlphabet[pick(rng)];
    if (!trial_index_.count(name)) return name;
  }
}

int32_t ExperimentController::PendingCount() const {
  int32_t pending = 0;
  for (const core::Trial& t : trials_) {
    if (!core::IsTrialCompleted(t) && !started_.count(t.metadata.name)) ++pending;
  }
  return pending;
}

absl::StatusOr<core::Experiment> ExperimentController::Run(const std::string& ns,
                                                           const std::string& name) {
  {
    MutexLock lock(mu_);
    if (in_run_) {
      return absl::FailedPreconditionError(
          "ExperimentController::Run is already in progress on another thread");
    }
    in_run_ = true;
  }
  absl::StatusOr<core::Experiment> result = RunLoop(ns, name);
  // Whatever ended the loop (completion, Stop, a Store error), no trial of this Run outlives it.
  if (!started_.empty()) InterruptOwnTrials();
  {
    MutexLock lock(mu_);
    in_run_ = false;
    stop_requested_ = false;
  }
  return result;
}

absl::Status ExperimentController::Load(const std::string& ns, const std::string& name) {
  experiment_ = core::Experiment();
  trials_.clear();
  trial_index_.clear();
  suggestion_state_ = SuggestionState();
  suggester_.reset();
  started_.clear();
  interrupting_ = false;
  {
    MutexLock lock(mu_);
    events_.clear();
  }
  absl::StatusOr<core::Experiment> stored = store_.GetExperiment(ns, name);
  if (!stored.ok()) return stored.status();
  experiment_ = std::move(*stored);
  absl::StatusOr<std::vector<core::Trial>> stored_trials = store_.ListTrials(ns, name);
  if (!stored_trials.ok()) return stored_trials.status();
  trials_ = std::move(*stored_trials);
  for (size_t i = 0; i < trials_.size(); ++i) trial_index_[trials_[i].metadata.name] = i;
  absl::StatusOr<std::string> state = store_.GetSuggestionState(ns, name);
  if (absl::IsNotFound(state.status())) return absl::OkStatus();
  if (!state.ok()) return state.status();
  absl::StatusOr<nlohmann::json> j = core::ParseJsonBounded(*state);
  if (!j.ok() || !j->is_object()) {
    spdlog::warn("experiment {}/{}: ignoring unreadable suggestion state", ns, name);
    return absl::OkStatus();
  }
  suggestion_state_.exhausted = core::BoolFieldOf(*j, "exhausted").value_or(false);
  if (const nlohmann::json* settings =
          core::FieldOf(*j, "algorithmSettings", core::JsonType::kArray)) {
    for (const nlohmann::json& s : *settings) {
      suggestion_state_.algorithm_settings.push_back(
          {core::StringFieldOr(s, "name"), core::StringFieldOr(s, "value")});
    }
  }
  return absl::OkStatus();
}

absl::Status ExperimentController::PrepareResume() {
  // Trials that did not end under a previous controller (interrupted by a stop, or left
  // Running by a crash) run again: their partial observation logs go first.
  const std::string now = NowRfc3339();
  for (core::Trial& t : trials_) {
    if (core::IsTrialCompleted(t)) continue;
    if (absl::Status st = store_.DeleteObservationLog(t.metadata.name); !st.ok()) return st;
    if (core::IsConditionTrue(t.status.conditions, core::kRunning) || t.status.observation) {
      MarkTrialInterrupted(t, now);
      if (absl::Status st = SaveTrial(t); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<core::Experiment> ExperimentController::RunLoop(const std::string& ns,
                                                               const std::string& name) {
  if (absl::Status st = Load(ns, name); !st.ok()) return st;
  if (StopRequested()) {
    return absl::CancelledError("stopped before the experiment started; run it again to resume");
  }
  const std::string now = NowRfc3339();
  if (core::IsExperimentCompleted(experiment_)) {
    if (IsRestartable(experiment_, trials_.size())) {
      spdlog::info("experiment {}/{}: restarting (maxTrialCount {} > {} trials)", ns, name,
                   *experiment_.spec.max_trial_count, trials_.size());
      MarkExperimentRestarting(experiment_, now);
      if (absl::Status st = SaveExperiment(); !st.ok()) return st;
    } else if (PendingCount() == 0) {
      return experiment_;
    }
    // Otherwise it completed while trials were still running and ktune stopped before they
    // ended: they run to their end now.
  }
  if (experiment_.status.start_time.empty()) {
    experiment_.status.start_time = now;
    core::MarkExperimentCreated(experiment_, now);
  }
  if (absl::Status st = PrepareResume(); !st.ok()) return st;

  if (!core::IsExperimentCompleted(experiment_)) {
    if (absl::Status st = suggestions_.ValidateAlgorithmSettings(ExperimentForSuggestion());
        !st.ok()) {
      Fail(absl::StrCat("Suggestion has failed: ", st.message()));
    } else {
      absl::StatusOr<std::unique_ptr<suggestion::Suggester>> suggester =
          suggestions_.Open(ExperimentForSuggestion());
      if (!suggester.ok()) {
        Fail(absl::StrCat("Suggestion has failed: ", suggester.status().message()));
      } else {
        suggester_ = std::move(*suggester);
      }
    }
  }
  spdlog::info("experiment {}/{}: running ({} trials so far)", ns, name, trials_.size());

  while (true) {
    if (absl::Status st = DrainEvents(); !st.ok()) return st;
    if (StopRequested()) {
      InterruptOwnTrials();
      core::UpdateTrialsSummary(experiment_, trials_);
      if (absl::Status st = SaveExperiment(); !st.ok()) return st;
      if (options_.on_progress) options_.on_progress(experiment_, trials_);
      return absl::CancelledError(
          "stopped before the experiment completed; run it again to resume");
    }
    bool done = false;
    if (absl::Status st = Reconcile(done); !st.ok()) return st;
    if (options_.on_progress) options_.on_progress(experiment_, trials_);
    if (done) return experiment_;
    MutexLock lock(mu_);
    while (!stop_requested_ && events_.empty()) wake_.Wait(mu_);
  }
}

void ExperimentController::InterruptOwnTrials() {
  interrupting_ = true;
  KillOwnTrialsAndWait();
  // Exits that arrive now are applied; a failing Store leaves the trial Running there, which
  // the next Run treats the same way.
  if (absl::Status st = DrainEvents(); !st.ok()) {
    spdlog::warn("experiment {}: recording interrupted trials: {}", experiment_.metadata.name,
                 st.ToString());
    MutexLock lock(mu_);
    events_.clear();
  }
  started_.clear();
  interrupting_ = false;
}

absl::Status ExperimentController::DrainEvents() {
  std::deque<TrialExit> events;
  {
    MutexLock lock(mu_);
    events.swap(events_);
  }
  absl::Status first_error;
  for (const TrialExit& e : events) {
    absl::Status st = ApplyExit(e);
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  return first_error;
}

absl::Status ExperimentController::ApplyExit(const TrialExit& exit) {
  started_.erase(exit.trial_name);
  core::Trial* t = FindTrial(exit.trial_name);
  if (!t || core::IsTrialCompleted(*t)) return absl::OkStatus();
  const std::string now = NowRfc3339();
  auto& conditions = t->status.conditions;
  if (exit.kind == TrialExit::Kind::kKilled && interrupting_) {
    // Killed because this controller is stopping: not final, it runs again on resume.
    MarkTrialInterrupted(*t, now);
    return SaveTrial(*t);
  }
  FlipTrialRunningFalse(*t, now);
  switch (exit.kind) {
    case TrialExit::Kind::kKilled:
      core::SetCondition(conditions, core::kKilled, "True", "TrialKilled",
                         absl::StrCat("Trial is killed: ", exit.message), now);
      break;
    case TrialExit::Kind::kFailed:
      core::SetCondition(conditions, core::kFailed, "True",
                         absl::StrCat("TrialFailed. Job reason: ", exit.reason),
                         absl::StrCat("Trial has failed. Job message: ", exit.message), now);
      break;
    case TrialExit::Kind::kSucceeded: {
      db::ObservationQuery query;
      query.trial_name = t->metadata.name;
      absl::StatusOr<std::vector<core::MetricLog>> logs = store_.GetObservationLog(query);
      if (!logs.ok()) return logs.status();
      const std::vector<std::string> names = MetricNames(t->spec.objective);
      std::optional<core::Observation> obs = core::ComputeObservation(names, *logs);
      if (!core::IsObservationAvailable(t->spec.objective, obs)) {
        // Katib's collector records the objective as `unavailable` when it never appeared.
        core::MetricLog unavailable{core::kZeroTime, t->spec.objective.objective_metric_name,
                                    core::kUnavailable};
        if (absl::Status st = store_.ReportObservationLog(t->metadata.name, {unavailable});
            !st.ok()) {
          return st;
        }
        t->status.observation = core::Observation{
            {{unavailable.name, core::kUnavailable, core::kUnavailable, core::kUnavailable}}};
        core::SetCondition(conditions, core::kMetricsUnavailable, "True", "MetricsUnavailable",
                           absl::StrCat("Metrics are not available: the trial printed no \"",
                                        unavailable.name, "\" metric"),
                           now);
      } else {
        t->status.observation = std::move(obs);
        core::SetCondition(conditions, core::kSucceeded, "True", "TrialSucceeded",
                           "Trial has succeeded", now);
      }
      break;
    }
  }
  t->status.completion_time = now;
  return SaveTrial(*t);
}

absl::Status ExperimentController::Reconcile(bool& done) {
  const core::ExperimentSpec& spec = experiment_.spec;
  int32_t parallel = spec.parallel_trial_count.value_or(3);
  if (options_.max_parallel_trials) parallel = std::min(parallel, *options_.max_parallel_trials);
  parallel = std::max(parallel, 1);
  while (true) {
    const std::string now = NowRfc3339();
    core::UpdateTrialsSummary(experiment_, trials_);
    const core::ExperimentStatus& s = experiment_.status;
    const int32_t finished = DoneCount(s);
    if (!core::IsExperimentCompleted(experiment_)) {
      // Katib's order of completion checks.
      const int32_t failed = s.trials_failed + s.trial_metrics_unavailable;
      const int32_t active = static_cast<int32_t>(started_.size()) + PendingCount();
      if (core::IsGoalReached(experiment_)) {
        core::MarkExperimentSucceeded(experiment_, core::kReasonGoalReached,
                                      core::kMessageGoalReached, now);
      } else if (spec.max_failed_trial_count && failed > 0 &&
                 failed >= *spec.max_failed_trial_count) {
        core::MarkExperimentFailed(experiment_, core::kReasonExperimentFailed,
                                   core::kMessageMaxFailedReached, now);
      } else if (spec.max_trial_count && finished >= *spec.max_trial_count) {
        core::MarkExperimentSucceeded(experiment_, core::kReasonMaxTrialsReached,
                                      core::kMessageMaxTrialsReached, now);
      } else if (suggestion_state_.exhausted && active == 0) {
        core::MarkExperimentSucceeded(experiment_, core::kReasonSuggestionEndReached,
                                      core::kMessageSuggestionEndReached, now);
      } else {
        core::MarkExperimentRunning(experiment_, now);
      }
    }
    std::string start_error;
    // Trials that exist but are not running (interrupted ones) come first; they run to their
    // end also after the experiment completed.
    if (absl::Status st = StartPendingTrials(parallel, start_error); !st.ok()) return st;
    if (core::IsExperimentCompleted(experiment_)) {
      if (started_.empty() && PendingCount() == 0) {
        core::UpdateTrialsSummary(experiment_, trials_);
        done = true;
      }
      break;
    }
    // Unlike Katib, MetricsUnavailable trials count as done here too, so the number of trials
    // created never exceeds maxTrialCount.
    const int32_t active = static_cast<int32_t>(started_.size()) + PendingCount();
    int32_t required = parallel;
    if (spec.max_trial_count) {
      required = std::min(parallel, static_cast<int32_t>(*spec.max_trial_count) - finished);
    }
    const int32_t add = required - active;
    if (add <= 0 || suggestion_state_.exhausted || !suggester_) break;
    if (absl::Status st = CreateTrials(add, start_error); !st.ok()) return st;
    if (!started_.empty()) break;
    // Nothing is running, so no event will wake us: decide now. Trials that cannot even start
    // would fail the same way forever unless a limit ends the experiment.
    if (!start_error.empty() && !spec.max_failed_trial_count && !spec.max_trial_count) {
      Fail(absl::StrCat("trials cannot start: ", start_error));
    }
  }
  core::UpdateTrialsSummary(experiment_, trials_);
  return SaveExperiment();
}

absl::Status ExperimentController::StartPendingTrials(int32_t limit, std::string& start_error) {
  for (size_t i = 0; i < trials_.size(); ++i) {
    if (static_cast<int32_t>(started_.size()) >= limit) break;
    core::Trial& t = trials_[i];
    if (core::IsTrialCompleted(t) || started_.count(t.metadata.name)) continue;
    if (absl::Status st = StartTrial(t, start_error); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ExperimentController::CreateTrials(int count, std::string& start_error) {
  const core::Experiment request = ExperimentForSuggestion();
  absl::StatusOr<suggestion::SuggestionReply> reply = suggester_->GetSuggestions(
      request, trials_, count, static_cast<int32_t>(trials_.size()) + count);
  if (!reply.ok()) {
    Fail(absl::StrCat("Suggestion has failed: ", reply.status().message()));
    return absl::OkStatus();
  }
  // Names from the algorithm are checked before anything of the reply is used.
  std::set<std::string> in_reply;
  for (const suggestion::SuggestedTrial& suggested : reply->trials) {
    if (suggested.trial_name.empty()) continue;
    const std::string& n = suggested.trial_name;
    std::string problem = CheckTrialName(n);
    if (problem.empty() && trial_index_.count(n)) problem = "a trial of that name already exists";
    if (problem.empty() && !in_reply.insert(n).second) {
      problem = "the reply names two trials so";
    }
    if (!problem.empty()) {
      Fail(absl::StrCat(
          "Suggestion has failed: the algorithm returned trial name ",
          nlohmann::json(n).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), ": ",
          problem, " (trial names must be unique DNS-1123 subdomains)"));
      return absl::OkStatus();
    }
  }
  if (!reply->algorithm_settings.empty() || reply->exhausted) {
    for (const auto& returned : reply->algorithm_settings) {
      auto& mine = suggestion_state_.algorithm_settings;
      auto it = std::find_if(mine.begin(), mine.end(),
                             [&](const core::Setting& s) { return s.name == returned.name; });
      if (it != mine.end()) {
        it->value = returned.value;
      } else {
        mine.push_back(returned);
      }
    }
    suggestion_state_.exhausted = suggestion_state_.exhausted || reply->exhausted;
    if (absl::Status st = SaveSuggestionState(); !st.ok()) return st;
  }
  for (const suggestion::SuggestedTrial& suggested : reply->trials) {
    std::string name = suggested.trial_name.empty() ? NewTrialName() : suggested.trial_name;
    absl::StatusOr<core::Trial> trial =
        core::NewTrial(experiment_, name, suggested.assignments, suggested.labels);
    if (!trial.ok()) {
      Fail(absl::StrCat("cannot create trial: ", trial.status().message()));
      return absl::OkStatus();
    }
    const std::string now = NowRfc3339();
    trial->metadata.creation_timestamp = now;
    core::SetCondition(trial->status.conditions, core::kCreated, "True", "TrialCreated",
                       "Trial is created", now);
    if (absl::Status st = store_.CreateTrial(*trial); !st.ok()) return st;
    trial_index_[name] = trials_.size();
    trials_.push_back(std::move(*trial));
    if (absl::Status st = StartTrial(trials_.back(), start_error); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ExperimentController::StartTrial(core::Trial& trial, std::string& start_error) {
  const std::string name = trial.metadata.name;
  {
    MutexLock lock(mu_);
    live_.insert(name);
  }
  absl::Status started = executor_.Start(trial, [this](const TrialExit& exit) {
    MutexLock lock(mu_);
    events_.push_back(exit);
    live_.erase(exit.trial_name);
    wake_.SignalAll();
  });
  // The exit callback may already have fired: `trial` is only touched from this thread.
  const std::string now = NowRfc3339();
  trial.status.start_time = now;
  if (started.ok()) {
    started_.insert(name);
    core::SetCondition(trial.status.conditions, core::kRunning, "True", "TrialRunning",
                       "Trial is running", now);
  } else {
    {
      MutexLock lock(mu_);
      live_.erase(name);
    }
    spdlog::warn("trial {}: {}", name, std::string(started.message()));
    start_error = std::string(started.message());
    core::SetCondition(trial.status.conditions, core::kFailed, "True",
                       "TrialFailed. Job reason: StartError",
                       absl::StrCat("Trial has failed. Job message: ", started.message()), now);
    trial.status.completion_time = now;
  }
  return SaveTrial(trial);
}

}  // namespace ktune::controller

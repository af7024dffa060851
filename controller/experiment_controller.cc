#include "controller/experiment_controller.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/status.h"
#include "core/template.h"
#include "core/time_util.h"
#include "spdlog/spdlog.h"

namespace ktune::controller {
namespace {

using core::NowRfc3339;

// Katib's utilrand alphabet for generated trial names.
constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";

// Katib's trial controller: on completion, Running flips to False keeping its reason/message.
void FlipTrialRunningFalse(core::Trial& t, const std::string& now) {
  if (const core::Condition* running = core::FindCondition(t.status.conditions, core::kRunning)) {
    core::Condition copy = *running;
    core::SetCondition(t.status.conditions, core::kRunning, "False", copy.reason, copy.message, now);
  }
}

std::vector<std::string> MetricNames(const core::ObjectiveSpec& o) {
  std::vector<std::string> names{o.objective_metric_name};
  names.insert(names.end(), o.additional_metric_names.begin(), o.additional_metric_names.end());
  return names;
}

}  // namespace

ExperimentController::ExperimentController(db::Store& store, suggestion::SuggestionService& suggestions,
                                           Executor& executor, ControllerOptions options)
    : store_(store), suggestions_(suggestions), executor_(executor), options_(std::move(options)) {}

ExperimentController::~ExperimentController() = default;

void ExperimentController::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  wake_.notify_all();
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
  return store_.PutSuggestionState(experiment_.metadata.namespace_, experiment_.metadata.name, j.dump());
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

absl::StatusOr<core::Experiment> ExperimentController::Run(const std::string& ns, const std::string& name) {
  absl::StatusOr<core::Experiment> stored = store_.GetExperiment(ns, name);
  if (!stored.ok()) return stored.status();
  experiment_ = std::move(*stored);
  absl::StatusOr<std::vector<core::Trial>> stored_trials = store_.ListTrials(ns, name);
  if (!stored_trials.ok()) return stored_trials.status();
  trials_ = std::move(*stored_trials);
  trial_index_.clear();
  for (size_t i = 0; i < trials_.size(); ++i) trial_index_[trials_[i].metadata.name] = i;
  if (absl::StatusOr<std::string> state = store_.GetSuggestionState(ns, name); state.ok()) {
    nlohmann::json j = nlohmann::json::parse(*state, nullptr, false);
    if (j.is_object()) {
      suggestion_state_.exhausted = j.value("exhausted", false);
      for (const auto& s : j.value("algorithmSettings", nlohmann::json::array())) {
        suggestion_state_.algorithm_settings.push_back({s.value("name", ""), s.value("value", "")});
      }
    }
  } else if (!absl::IsNotFound(state.status())) {
    return state.status();
  }
  if (core::IsExperimentCompleted(experiment_)) return experiment_;

  const std::string now = NowRfc3339();
  if (experiment_.status.start_time.empty()) {
    experiment_.status.start_time = now;
    core::MarkExperimentCreated(experiment_, now);
  }
  // Trials that were running when a previous controller stopped have no process any more.
  for (core::Trial& t : trials_) {
    if (core::IsTrialCompleted(t)) continue;
    FlipTrialRunningFalse(t, now);
    core::SetCondition(t.status.conditions, core::kKilled, "True", "TrialKilled",
                       "Trial was running when ktune stopped; its process did not survive", now);
    t.status.completion_time = now;
    if (absl::Status st = SaveTrial(t); !st.ok()) return st;
  }

  if (absl::Status st = suggestions_.ValidateAlgorithmSettings(ExperimentForSuggestion()); !st.ok()) {
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
  spdlog::info("experiment {}/{}: running ({} trials so far)", ns, name, trials_.size());

  while (true) {
    if (absl::Status st = DrainEvents(); !st.ok()) return st;
    bool stop = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop = stop_requested_;
    }
    if (stop) {
      executor_.KillAllAndWait();
      if (absl::Status st = DrainEvents(); !st.ok()) return st;
      core::UpdateTrialsSummary(experiment_, trials_);
      if (absl::Status st = SaveExperiment(); !st.ok()) return st;
      if (options_.on_progress) options_.on_progress(experiment_, trials_);
      return absl::CancelledError("stopped before the experiment completed; run it again to resume");
    }
    bool completed = false;
    if (absl::Status st = Reconcile(completed); !st.ok()) return st;
    if (options_.on_progress) options_.on_progress(experiment_, trials_);
    if (completed) return experiment_;
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return stop_requested_ || !events_.empty(); });
  }
}

absl::Status ExperimentController::DrainEvents() {
  std::deque<TrialExit> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
  }
  for (const TrialExit& e : events) {
    if (absl::Status st = ApplyExit(e); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ExperimentController::ApplyExit(const TrialExit& exit) {
  core::Trial* t = FindTrial(exit.trial_name);
  if (!t || core::IsTrialCompleted(*t)) return absl::OkStatus();
  const std::string now = NowRfc3339();
  FlipTrialRunningFalse(*t, now);
  auto& conditions = t->status.conditions;
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
        if (absl::Status st = store_.ReportObservationLog(t->metadata.name, {unavailable}); !st.ok()) {
          return st;
        }
        t->status.observation = core::Observation{{{unavailable.name, core::kUnavailable,
                                                    core::kUnavailable, core::kUnavailable}}};
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

absl::Status ExperimentController::Finish(bool kill_running) {
  if (kill_running && executor_.Running() > 0) {
    executor_.KillAllAndWait();
    if (absl::Status st = DrainEvents(); !st.ok()) return st;
    core::UpdateTrialsSummary(experiment_, trials_);
  }
  return SaveExperiment();
}

absl::Status ExperimentController::Reconcile(bool& completed) {
  const core::ExperimentSpec& spec = experiment_.spec;
  while (true) {
    const std::string now = NowRfc3339();
    core::UpdateTrialsSummary(experiment_, trials_);
    const core::ExperimentStatus& s = experiment_.status;
    if (core::IsExperimentCompleted(experiment_)) {  // e.g. the suggestion failed
      completed = true;
      return Finish(true);
    }
    // Katib's order of completion checks.
    if (core::IsGoalReached(experiment_)) {
      core::MarkExperimentSucceeded(experiment_, core::kReasonGoalReached, core::kMessageGoalReached, now);
      completed = true;
      return Finish(true);
    }
    const int32_t failed = s.trials_failed + s.trial_metrics_unavailable;
    if (spec.max_failed_trial_count && failed > 0 && failed >= *spec.max_failed_trial_count) {
      core::MarkExperimentFailed(experiment_, core::kReasonExperimentFailed,
                                 core::kMessageMaxFailedReached, now);
      completed = true;
      return Finish(true);
    }
    const int32_t done = s.trials_succeeded + s.trials_failed + s.trials_killed +
                         s.trials_early_stopped + s.trial_metrics_unavailable;
    const int32_t active = s.trials_pending + s.trials_running;
    if (spec.max_trial_count && done >= *spec.max_trial_count) {
      core::MarkExperimentSucceeded(experiment_, core::kReasonMaxTrialsReached,
                                    core::kMessageMaxTrialsReached, now);
      completed = true;
      return Finish(false);
    }
    if (suggestion_state_.exhausted && active == 0) {
      core::MarkExperimentSucceeded(experiment_, core::kReasonSuggestionEndReached,
                                    core::kMessageSuggestionEndReached, now);
      completed = true;
      return Finish(false);
    }
    core::MarkExperimentRunning(experiment_, now);

    // Unlike Katib, MetricsUnavailable trials count as done here too, so the number of trials
    // started never exceeds maxTrialCount.
    const int32_t parallel = spec.parallel_trial_count.value_or(3);
    int32_t required = parallel;
    if (spec.max_trial_count) required = std::min(parallel, *spec.max_trial_count - done);
    const int32_t add = required - active;
    if (add <= 0 || suggestion_state_.exhausted || !suggester_) break;
    std::string start_error;
    if (absl::Status st = CreateTrials(add, start_error); !st.ok()) return st;
    core::UpdateTrialsSummary(experiment_, trials_);
    if (experiment_.status.trials_running + experiment_.status.trials_pending > 0) break;
    // Nothing is running, so no event will wake us: decide now. Trials that cannot even start
    // would fail the same way forever unless a limit ends the experiment.
    if (!start_error.empty() && !spec.max_failed_trial_count && !spec.max_trial_count) {
      Fail(absl::StrCat("trials cannot start: ", start_error));
    }
  }
  return SaveExperiment();
}

absl::Status ExperimentController::CreateTrials(int count, std::string& start_error) {
  const core::Experiment request = ExperimentForSuggestion();
  absl::StatusOr<suggestion::SuggestionReply> reply = suggester_->GetSuggestions(
      request, trials_, count, static_cast<int32_t>(trials_.size()) + count);
  if (!reply.ok()) {
    Fail(absl::StrCat("Suggestion has failed: ", reply.status().message()));
    return absl::OkStatus();
  }
  if (!reply->algorithm_settings.empty() || reply->exhausted) {
    for (const auto& returned : reply->algorithm_settings) {
      auto& mine = suggestion_state_.algorithm_settings;
      auto it = std::find_if(mine.begin(), mine.end(),
                             [&](const core::Setting& s) { return s.name == returned.name; });
      if (it != mine.end()) it->value = returned.value; else mine.push_back(returned);
    }
    suggestion_state_.exhausted = suggestion_state_.exhausted || reply->exhausted;
    if (absl::Status st = SaveSuggestionState(); !st.ok()) return st;
  }
  for (const suggestion::SuggestedTrial& suggested : reply->trials) {
    std::string name = suggested.trial_name.empty() ? NewTrialName() : suggested.trial_name;
    absl::StatusOr<core::Trial> trial = core::NewTrial(experiment_, name, suggested.assignments, suggested.labels);
    if (!trial.ok()) {
      Fail(absl::StrCat("cannot create trial: ", trial.status().message()));
      return absl::OkStatus();
    }
    const std::string now = NowRfc3339();
    trial->metadata.creation_timestamp = now;
    trial->status.start_time = now;
    core::SetCondition(trial->status.conditions, core::kCreated, "True", "TrialCreated", "Trial is created", now);
    if (absl::Status st = store_.CreateTrial(*trial); !st.ok()) return st;
    trial_index_[name] = trials_.size();
    trials_.push_back(std::move(*trial));
    if (absl::Status st = StartTrial(trials_.back(), start_error); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ExperimentController::StartTrial(core::Trial& trial, std::string& start_error) {
  const std::string name = trial.metadata.name;
  absl::Status started = executor_.Start(trial, [this](const TrialExit& exit) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(exit);
    wake_.notify_all();
  });
  // The exit callback may already have fired: `trial` is only touched from this thread.
  const std::string now = NowRfc3339();
  if (started.ok()) {
    core::SetCondition(trial.status.conditions, core::kRunning, "True", "TrialRunning", "Trial is running", now);
  } else {
    spdlog::warn("trial {}: {}", name, std::string(started.message()));
    start_error = std::string(started.message());
    core::SetCondition(trial.status.conditions, core::kFailed, "True", "TrialFailed. Job reason: StartError",
                       absl::StrCat("Trial has failed. Job message: ", started.message()), now);
    trial.status.completion_time = now;
  }
  return SaveTrial(trial);
}

}  // namespace ktune::controller

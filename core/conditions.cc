#include "core/conditions.h"

#include <optional>

#include "core/defaults.h"
#include "core/number.h"
#include "core/time_util.h"

namespace ktune::core {
namespace {

const MetricObservation* FindMetric(const Observation& obs, const std::string& name) {
  for (const auto& m : obs.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// True when `a` is a strictly better objective value than `b`.
bool Better(const std::string& type, double a, double b) {
  return type == "minimize" ? a < b : a > b;
}

}  // namespace

void SetCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  const std::string& now) {
  Condition next{type, status, reason, message, now, now};
  for (auto it = conditions.begin(); it != conditions.end(); ++it) {
    if (it->type != type) continue;
    if (it->status == status && it->reason == reason) return;
    if (it->status == status) next.last_transition_time = it->last_transition_time;
    conditions.erase(it);
    break;
  }
  conditions.push_back(std::move(next));
}

const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const std::vector<Condition>& conditions, const std::string& type) {
  const Condition* c = FindCondition(conditions, type);
  return c && c->status == "True";
}

void MarkExperimentCreated(Experiment& e, const std::string& now) {
  SetCondition(e.status.conditions, kCreated, "True", kReasonExperimentCreated,
               "Experiment is created", now);
}

void MarkExperimentRunning(Experiment& e, const std::string& now) {
  SetCondition(e.status.conditions, kRunning, "True", kReasonExperimentRunning,
               "Experiment is running", now);
}

namespace {
void FlipRunningFalse(Experiment& e, const std::string& now) {
  if (const Condition* running = FindCondition(e.status.conditions, kRunning)) {
    Condition copy = *running;
    SetCondition(e.status.conditions, kRunning, "False", copy.reason, copy.message, now);
  }
}
}  // namespace

void MarkExperimentSucceeded(Experiment& e, const std::string& reason, const std::string& message,
                             const std::string& now) {
  FlipRunningFalse(e, now);
  SetCondition(e.status.conditions, kSucceeded, "True", reason, message, now);
  e.status.completion_time = now;
}

void MarkExperimentFailed(Experiment& e, const std::string& reason, const std::string& message,
                          const std::string& now) {
  FlipRunningFalse(e, now);
  SetCondition(e.status.conditions, kFailed, "True", reason, message, now);
  e.status.completion_time = now;
}

bool IsExperimentCompleted(const Experiment& e) {
  return IsConditionTrue(e.status.conditions, kSucceeded) ||
         IsConditionTrue(e.status.conditions, kFailed);
}

TrialPhase ClassifyTrial(const Trial& t) {
  const auto& c = t.status.conditions;
  if (IsConditionTrue(c, kKilled)) return TrialPhase::kKilled;
  if (IsConditionTrue(c, kFailed)) return TrialPhase::kFailed;
  if (IsConditionTrue(c, kSucceeded)) return TrialPhase::kSucceeded;
  if (IsConditionTrue(c, kEarlyStopped)) return TrialPhase::kEarlyStopped;
  if (IsConditionTrue(c, kRunning)) return TrialPhase::kRunning;
  if (IsConditionTrue(c, kMetricsUnavailable)) return TrialPhase::kMetricsUnavailable;
  return TrialPhase::kPending;
}

bool IsTrialCompleted(const Trial& t) {
  const auto& c = t.status.conditions;
  return IsConditionTrue(c, kSucceeded) || IsConditionTrue(c, kFailed) ||
         IsConditionTrue(c, kKilled) || IsConditionTrue(c, kEarlyStopped) ||
         IsConditionTrue(c, kMetricsUnavailable);
}

const char* TrialPhaseName(TrialPhase phase) {
  switch (phase) {
    case TrialPhase::kPending:
      return "Pending";
    case TrialPhase::kRunning:
      return "Running";
    case TrialPhase::kSucceeded:
      return "Succeeded";
    case TrialPhase::kFailed:
      return "Failed";
    case TrialPhase::kKilled:
      return "Killed";
    case TrialPhase::kEarlyStopped:
      return "EarlyStopped";
    case TrialPhase::kMetricsUnavailable:
      return "MetricsUnavailable";
  }
  return "Unknown";
}

std::vector<std::string> MetricNames(const ObjectiveSpec& objective) {
  std::vector<std::string> names{objective.objective_metric_name};
  names.insert(names.end(), objective.additional_metric_names.begin(),
               objective.additional_metric_names.end());
  return names;
}

std::optional<std::string> MetricValue(const ObjectiveSpec& objective,
                                       const MetricObservation& metric) {
  const std::string strategy = StrategyFor(objective, metric.name);
  std::string value = metric.latest;
  if (strategy == "min" && metric.min != kUnavailable && !metric.min.empty()) value = metric.min;
  if (strategy == "max" && metric.max != kUnavailable && !metric.max.empty()) value = metric.max;
  if (value.empty() || value == kUnavailable) return std::nullopt;
  return value;
}

std::optional<std::string> ObjectiveValue(const ObjectiveSpec& objective,
                                          const Observation& observation) {
  const MetricObservation* m = FindMetric(observation, objective.objective_metric_name);
  if (!m) return std::nullopt;
  return MetricValue(objective, *m);
}

std::optional<std::string> ObjectiveValue(const ObjectiveSpec& objective, const Trial& trial) {
  if (!trial.status.observation) return std::nullopt;
  return ObjectiveValue(objective, *trial.status.observation);
}

void UpdateTrialsSummary(Experiment& e, const std::vector<Trial>& trials) {
  ExperimentStatus& s = e.status;
  s.running_trial_list.clear();
  s.pending_trial_list.clear();
  s.failed_trial_list.clear();
  s.succeeded_trial_list.clear();
  s.killed_trial_list.clear();
  s.early_stopped_trial_list.clear();
  s.metrics_unavailable_trial_list.clear();
  s.trials = static_cast<int32_t>(trials.size());
  s.trials_succeeded = s.trials_failed = s.trials_killed = s.trials_pending = 0;
  s.trials_running = s.trials_early_stopped = s.trial_metrics_unavailable = 0;

  const ObjectiveSpec objective = e.spec.objective.value_or(ObjectiveSpec{});
  const Trial* best = nullptr;
  double best_value = 0;
  for (const Trial& t : trials) {
    const std::string& name = t.metadata.name;
    switch (ClassifyTrial(t)) {
      case TrialPhase::kKilled:
        s.killed_trial_list.push_back(name);
        ++s.trials_killed;
        break;
      case TrialPhase::kFailed:
        s.failed_trial_list.push_back(name);
        ++s.trials_failed;
        break;
      case TrialPhase::kSucceeded:
        s.succeeded_trial_list.push_back(name);
        ++s.trials_succeeded;
        break;
      case TrialPhase::kEarlyStopped:
        s.early_stopped_trial_list.push_back(name);
        ++s.trials_early_stopped;
        break;
      case TrialPhase::kRunning:
        s.running_trial_list.push_back(name);
        ++s.trials_running;
        break;
      case TrialPhase::kMetricsUnavailable:
        s.metrics_unavailable_trial_list.push_back(name);
        ++s.trial_metrics_unavailable;
        break;
      case TrialPhase::kPending:
        s.pending_trial_list.push_back(name);
        ++s.trials_pending;
        break;
    }
    std::optional<std::string> value = ObjectiveValue(objective, t);
    if (!value) continue;
    // ktune rule: only a finite number can be best (Katib makes a non-float value best).
    std::optional<double> number = ParseFiniteNumber(*value);
    if (!number) continue;
    if (!best || Better(objective.type, *number, best_value)) {
      best = &t;
      best_value = *number;
    }
  }
  if (best) {
    s.current_optimal_trial.best_trial_name = best->metadata.name;
    s.current_optimal_trial.parameter_assignments = best->spec.parameter_assignments;
    s.current_optimal_trial.observation = best->status.observation.value_or(Observation{});
  } else {
    s.current_optimal_trial = OptimalTrial{};
  }
}

bool IsGoalReached(const Experiment& e) {
  if (!e.spec.objective || !e.spec.objective->goal) return false;
  const ObjectiveSpec& o = *e.spec.objective;
  const OptimalTrial& best = e.status.current_optimal_trial;
  if (best.best_trial_name.empty()) return false;
  std::optional<std::string> value = ObjectiveValue(o, best.observation);
  if (!value) return false;
  std::optional<double> number = ParseFiniteNumber(*value);
  if (!number) return false;
  if (o.type == "minimize") return *number <= *o.goal;
  if (o.type == "maximize") return *number >= *o.goal;
  return false;
}

Observation ComputeObservation(const std::vector<std::string>& metric_names,
                               const std::vector<MetricLog>& logs) {
  // Times are compared parsed, not as text (`...:00Z` is earlier than `...:00.5Z`). A time that
  // does not parse counts as Katib's zero time, before every real one.
  const Timestamp zero = ParseRfc3339(kZeroTime).value_or(Timestamp{});
  Observation out;
  for (const std::string& name : metric_names) {
    std::optional<double> min, max;
    std::string min_text, max_text, latest;
    Timestamp latest_time{};
    bool seen = false;
    for (const MetricLog& log : logs) {
      if (log.name != name) continue;
      const Timestamp time = ParseRfc3339(log.time_stamp).value_or(zero);
      // Ties go to the later row (logs are in storage order).
      if (!seen || time >= latest_time) {
        latest = log.value;
        latest_time = time;
      }
      seen = true;
      // NaN, infinities and non-numeric values are never min or max.
      if (std::optional<double> v = ParseFiniteNumber(log.value)) {
        if (!min || *v < *min) {
          min = v;
          min_text = log.value;
        }
        if (!max || *v > *max) {
          max = v;
          max_text = log.value;
        }
      }
    }
    if (!seen) continue;
    out.metrics.push_back(
        {name, min ? min_text : kUnavailable, max ? max_text : kUnavailable, latest});
  }
  return out;
}

bool IsObservationAvailable(const ObjectiveSpec& objective, const std::optional<Observation>& obs) {
  if (!obs) return false;
  std::optional<std::string> value = ObjectiveValue(objective, *obs);
  return value && ParseFiniteNumber(*value).has_value();
}

}  // namespace ktune::core

#pragma once
// Condition mechanics and the experiment status computation, as Katib's controllers do them
// (KATIB.md §2.1, §2.2): setCondition, trial classification, counters, best trial, goal.

#include <optional>
#include <string>
#include <vector>

#include "core/experiment.h"

namespace ktune::core {

// Condition types.
inline constexpr char kCreated[] = "Created";
inline constexpr char kRunning[] = "Running";
inline constexpr char kRestarting[] = "Restarting";
inline constexpr char kSucceeded[] = "Succeeded";
inline constexpr char kFailed[] = "Failed";
inline constexpr char kKilled[] = "Killed";
inline constexpr char kMetricsUnavailable[] = "MetricsUnavailable";
inline constexpr char kEarlyStopped[] = "EarlyStopped";

// Katib's setCondition: no-op when status and reason are unchanged; keeps
// lastTransitionTime when the status is unchanged; otherwise removes the old condition of
// that type and appends the new one (the last element is the newest).
void SetCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  const std::string& now);
const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type);
bool IsConditionTrue(const std::vector<Condition>& conditions, const std::string& type);

// Experiment conditions with Katib's reasons and messages.
void MarkExperimentCreated(Experiment& e, const std::string& now);
void MarkExperimentRunning(Experiment& e, const std::string& now);
// Flips Running to False (keeping reason and message), then sets Succeeded/Failed True.
void MarkExperimentSucceeded(Experiment& e, const std::string& reason, const std::string& message,
                             const std::string& now);
void MarkExperimentFailed(Experiment& e, const std::string& reason, const std::string& message,
                          const std::string& now);
bool IsExperimentCompleted(const Experiment& e);

inline constexpr char kReasonExperimentCreated[] = "ExperimentCreated";
inline constexpr char kReasonExperimentRunning[] = "ExperimentRunning";
inline constexpr char kReasonGoalReached[] = "ExperimentGoalReached";
inline constexpr char kReasonMaxTrialsReached[] = "ExperimentMaxTrialsReached";
inline constexpr char kReasonSuggestionEndReached[] = "ExperimentSuggestionEndReached";
inline constexpr char kReasonExperimentFailed[] = "ExperimentFailed";
inline constexpr char kMessageGoalReached[] =
    "Experiment has succeeded because Objective goal has reached";
inline constexpr char kMessageMaxTrialsReached[] =
    "Experiment has succeeded because max trial count has reached";
inline constexpr char kMessageSuggestionEndReached[] =
    "Experiment has succeeded because suggestion service has reached the end";
inline constexpr char kMessageMaxFailedReached[] =
    "Experiment has failed because max failed count has reached";

// A trial's place in the experiment summary, by Katib's priority:
// Killed > Failed > Succeeded > EarlyStopped > Running > MetricsUnavailable > Pending.
enum class TrialPhase {
  kPending,
  kRunning,
  kSucceeded,
  kFailed,
  kKilled,
  kEarlyStopped,
  kMetricsUnavailable
};
TrialPhase ClassifyTrial(const Trial& trial);
// Succeeded, Failed, Killed, EarlyStopped or MetricsUnavailable is True.
bool IsTrialCompleted(const Trial& trial);
const char* TrialPhaseName(TrialPhase phase);

// The metrics a trial of `objective` reports, in order: the objective metric, then
// additionalMetricNames (Katib's collector `-m` list and the observation's order).
std::vector<std::string> MetricNames(const ObjectiveSpec& objective);

// The value of one observed metric under the objective's strategy for it (metricStrategies;
// min/max fall back to latest when unavailable); nullopt when that value is empty or
// `unavailable`. Non-numeric values are returned as text.
std::optional<std::string> MetricValue(const ObjectiveSpec& objective,
                                       const MetricObservation& metric);

// The objective value of an observation: MetricValue of its objective metric; nullopt when
// the observation has no such metric.
std::optional<std::string> ObjectiveValue(const ObjectiveSpec& objective,
                                          const Observation& observation);
// The objective value of a trial's observation (nullopt when it has none).
std::optional<std::string> ObjectiveValue(const ObjectiveSpec& objective, const Trial& trial);

// Recomputes counters, name lists and currentOptimalTrial from `trials` (Katib's
// updateTrialsSummary). Best: numeric comparison by objective type; ties keep the earlier
// trial in `trials` order. Only an objective value that is a finite number (core/number.h)
// can be best: NaN, infinities and non-numeric text are skipped (ktune rule; Katib makes a
// value that does not parse as a float the best trial).
void UpdateTrialsSummary(Experiment& e, const std::vector<Trial>& trials);
// Goal reached by currentOptimalTrial (minimize: best <= goal; maximize: best >= goal).
bool IsGoalReached(const Experiment& e);

// Observation per metric from raw logs (Katib's trial controller): min/max over the values that
// are finite numbers by core/number.h (NaN, infinities and text are never min or max; with no
// finite value min and max are `unavailable`), latest = the value with the newest timestamp,
// as written, with ties going to the later row. Timestamps are compared as parsed RFC3339
// times, not as text; one that does not parse counts as Katib's zero time. Metrics with no log
// are left out. `metric_names` fixes the order.
Observation ComputeObservation(const std::vector<std::string>& metric_names,
                               const std::vector<MetricLog>& logs);
// "Observation available": the objective metric exists and its value under the objective's
// strategy (ObjectiveValue) is a finite number. So an objective whose values are all NaN,
// infinite or non-numeric, or whose `latest` strategy lands on such a value, is unavailable
// and the trial becomes MetricsUnavailable (ktune rule; Katib only checks for `unavailable`).
bool IsObservationAvailable(const ObjectiveSpec& objective, const std::optional<Observation>& obs);

}  // namespace ktune::core

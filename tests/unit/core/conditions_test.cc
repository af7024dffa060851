#include "core/conditions.h"

#include <gtest/gtest.h>

#include "core/time_util.h"

namespace ktune::core {
namespace {

Trial MakeTrial(const std::string& name, const std::string& condition, const std::string& loss) {
  Trial t;
  t.metadata.name = name;
  t.spec.parameter_assignments = {{"x", name}};
  t.status.conditions.push_back({condition, "True", "", "", "", ""});
  if (!loss.empty()) t.status.observation = Observation{{{"loss", loss, loss, loss}}};
  return t;
}

Experiment Minimize(std::optional<double> goal = std::nullopt) {
  Experiment e;
  e.spec.objective = ObjectiveSpec{"minimize", goal, "loss", {}, {{"loss", "min"}}};
  return e;
}

TEST(StatusTest, SetConditionFollowsKatibMechanics) {
  std::vector<Condition> c;
  SetCondition(c, kCreated, "True", "R1", "m", "t1");
  SetCondition(c, kRunning, "True", "R2", "m", "t2");
  // Same status and reason: nothing changes.
  SetCondition(c, kCreated, "True", "R1", "other", "t3");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].last_update_time, "t1");
  // Same status, new reason: moved to the end, transition time kept.
  SetCondition(c, kCreated, "True", "R9", "m", "t4");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.back().type, kCreated);
  EXPECT_EQ(c.back().last_transition_time, "t1");
  EXPECT_EQ(c.back().last_update_time, "t4");
  // New status: new transition time.
  SetCondition(c, kRunning, "False", "R2", "m", "t5");
  EXPECT_EQ(c.back().type, kRunning);
  EXPECT_EQ(c.back().last_transition_time, "t5");
}

TEST(StatusTest, SucceededFlipsRunningFalse) {
  Experiment e;
  MarkExperimentRunning(e, "t1");
  MarkExperimentSucceeded(e, kReasonMaxTrialsReached, kMessageMaxTrialsReached, "t2");
  EXPECT_FALSE(IsConditionTrue(e.status.conditions, kRunning));
  EXPECT_EQ(FindCondition(e.status.conditions, kRunning)->reason, kReasonExperimentRunning);
  EXPECT_TRUE(IsExperimentCompleted(e));
  EXPECT_EQ(e.status.conditions.back().type, kSucceeded);
}

TEST(StatusTest, ClassificationPriority) {
  Trial t = MakeTrial("a", kRunning, "");
  EXPECT_EQ(ClassifyTrial(t), TrialPhase::kRunning);
  t.status.conditions.push_back({kFailed, "True", "", "", "", ""});
  t.status.conditions.push_back({kKilled, "True", "", "", "", ""});
  EXPECT_EQ(ClassifyTrial(t), TrialPhase::kKilled);
  EXPECT_EQ(ClassifyTrial(Trial{}), TrialPhase::kPending);
  EXPECT_TRUE(IsTrialCompleted(MakeTrial("b", kMetricsUnavailable, "")));
  EXPECT_FALSE(IsTrialCompleted(MakeTrial("c", kRunning, "")));
}

TEST(StatusTest, SummaryCountsAndBestTrial) {
  Experiment e = Minimize();
  std::vector<Trial> trials = {
      MakeTrial("a", kSucceeded, "0.5"), MakeTrial("b", kSucceeded, "0.2"),
      MakeTrial("c", kSucceeded, "0.2"), MakeTrial("d", kFailed, ""),
      MakeTrial("e", kRunning, "0.01"),  MakeTrial("f", kMetricsUnavailable, "")};
  trials[4].status.observation = Observation{{{"loss", "0.01", "0.9", "0.9"}}};
  UpdateTrialsSummary(e, trials);
  EXPECT_EQ(e.status.trials, 6);
  EXPECT_EQ(e.status.trials_succeeded, 3);
  EXPECT_EQ(e.status.trials_failed, 1);
  EXPECT_EQ(e.status.trials_running, 1);
  EXPECT_EQ(e.status.trial_metrics_unavailable, 1);
  EXPECT_EQ(e.status.succeeded_trial_list, (std::vector<std::string>{"a", "b", "c"}));
  // The running trial's min is the best value (Katib considers every trial with an observation).
  EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "e");
  trials.pop_back();
  trials.erase(trials.begin() + 4);
  UpdateTrialsSummary(e, trials);
  // Ties keep the earlier trial.
  EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "b");
  EXPECT_EQ(e.status.current_optimal_trial.parameter_assignments[0].value, "b");
}

TEST(StatusTest, StrategyChoosesMinMaxOrLatest) {
  Experiment e = Minimize();
  e.spec.objective->metric_strategies = {{"loss", "latest"}};
  Trial a = MakeTrial("a", kSucceeded, "");
  a.status.observation = Observation{{{"loss", "0.1", "0.9", "0.8"}}};
  Trial b = MakeTrial("b", kSucceeded, "");
  b.status.observation = Observation{{{"loss", "0.3", "0.5", "0.5"}}};
  UpdateTrialsSummary(e, {a, b});
  EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "b");
  e.spec.objective->metric_strategies = {{"loss", "min"}};
  UpdateTrialsSummary(e, {a, b});
  EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "a");
}

TEST(StatusTest, GoalReached) {
  Experiment e = Minimize(0.3);
  UpdateTrialsSummary(e, {MakeTrial("a", kSucceeded, "0.5")});
  EXPECT_FALSE(IsGoalReached(e));
  UpdateTrialsSummary(e, {MakeTrial("a", kSucceeded, "0.5"), MakeTrial("b", kSucceeded, "0.3")});
  EXPECT_TRUE(IsGoalReached(e));
  Experiment no_goal = Minimize();
  UpdateTrialsSummary(no_goal, {MakeTrial("a", kSucceeded, "-100")});
  EXPECT_FALSE(IsGoalReached(no_goal));
}

TEST(StatusTest, ComputeObservation) {
  std::vector<MetricLog> logs = {{"2026-01-01T00:00:01.000000Z", "loss", "0.5"},
                                 {"2026-01-01T00:00:02.000000Z", "loss", "0.2"},
                                 {"2026-01-01T00:00:03.000000Z", "loss", "0.4"},
                                 {"2026-01-01T00:00:03.000000Z", "acc", "nope"},
                                 {"2026-01-01T00:00:03.000000Z", "acc", "0.7"}};
  Observation obs = ComputeObservation({"loss", "acc", "missing"}, logs);
  ASSERT_EQ(obs.metrics.size(), 2u);
  EXPECT_EQ(obs.metrics[0].min, "0.2");
  EXPECT_EQ(obs.metrics[0].max, "0.5");
  EXPECT_EQ(obs.metrics[0].latest, "0.4");
  // Non-numeric values are ignored by min/max; timestamp ties go to the later row.
  EXPECT_EQ(obs.metrics[1].min, "0.7");
  EXPECT_EQ(obs.metrics[1].latest, "0.7");
  ObjectiveSpec o{"minimize", std::nullopt, "loss", {}, {}};
  EXPECT_TRUE(IsObservationAvailable(o, obs));
  o.objective_metric_name = "missing";
  EXPECT_FALSE(IsObservationAvailable(o, obs));
}

// REVIEW 1.5: with x in {0.5, -nan, 0.7} the -nan trial was the best (Katib's "non-float
// wins" quirk plus strtod's NaN). Now only finite numbers rank.
TEST(StatusTest, Review1_5_NanTrialIsNeverBest) {
  Experiment e = Minimize();
  std::vector<Trial> trials = {MakeTrial("a", kSucceeded, "0.5"),
                               MakeTrial("b", kSucceeded, "-nan"),
                               MakeTrial("c", kSucceeded, "0.7")};
  UpdateTrialsSummary(e, trials);
  EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "a");
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "-Infinity", "-", "abc", "0x0", " 0.1"}) {
    trials[1] = MakeTrial("b", kSucceeded, bad);
    UpdateTrialsSummary(e, trials);
    EXPECT_EQ(e.status.current_optimal_trial.best_trial_name, "a") << bad;
  }
  // A maximize objective does not pick +inf either.
  Experiment max = Minimize();
  max.spec.objective->type = "maximize";
  max.spec.objective->metric_strategies = {{"loss", "max"}};
  UpdateTrialsSummary(max, {MakeTrial("a", kSucceeded, "0.5"), MakeTrial("b", kSucceeded, "inf")});
  EXPECT_EQ(max.status.current_optimal_trial.best_trial_name, "a");
  // Only non-finite values: no best trial at all, and no goal reached.
  Experiment goal = Minimize(1.0);
  UpdateTrialsSummary(goal, {MakeTrial("b", kSucceeded, "-inf")});
  EXPECT_EQ(goal.status.current_optimal_trial.best_trial_name, "");
  EXPECT_FALSE(IsGoalReached(goal));
}

TEST(StatusTest, Review1_5_NanIsNeverMinOrMax) {
  std::vector<MetricLog> logs = {
      {"2026-01-01T00:00:01Z", "loss", "nan"},  {"2026-01-01T00:00:02Z", "loss", "0.4"},
      {"2026-01-01T00:00:03Z", "loss", "inf"},  {"2026-01-01T00:00:04Z", "loss", "0.2"},
      {"2026-01-01T00:00:05Z", "loss", "-inf"}, {"2026-01-01T00:00:06Z", "loss", "0.3"}};
  Observation obs = ComputeObservation({"loss"}, logs);
  ASSERT_EQ(obs.metrics.size(), 1u);
  EXPECT_EQ(obs.metrics[0].min, "0.2");
  EXPECT_EQ(obs.metrics[0].max, "0.4");
  EXPECT_EQ(obs.metrics[0].latest, "0.3");
}

// REVIEW 1.5: an objective with no numeric value makes the trial MetricsUnavailable.
TEST(StatusTest, Review1_5_ObjectiveWithoutNumericValueIsUnavailable) {
  ObjectiveSpec o{"minimize", std::nullopt, "loss", {"acc"}, {{"loss", "min"}}};
  std::vector<MetricLog> logs = {{"2026-01-01T00:00:01Z", "loss", "-nan"},
                                 {"2026-01-01T00:00:02Z", "loss", "nan"},
                                 {"2026-01-01T00:00:02Z", "acc", "0.9"}};
  Observation obs = ComputeObservation({"loss", "acc"}, logs);
  ASSERT_EQ(obs.metrics.size(), 2u);
  EXPECT_EQ(obs.metrics[0].min, kUnavailable);
  EXPECT_EQ(obs.metrics[0].max, kUnavailable);
  EXPECT_FALSE(IsObservationAvailable(o, obs));
  // The `latest` strategy on a diverged last value: no numeric objective either.
  logs = {{"2026-01-01T00:00:01Z", "loss", "0.5"}, {"2026-01-01T00:00:02Z", "loss", "nan"}};
  obs = ComputeObservation({"loss"}, logs);
  EXPECT_TRUE(IsObservationAvailable(o, obs));  // min is 0.5
  o.metric_strategies = {{"loss", "latest"}};
  EXPECT_FALSE(IsObservationAvailable(o, obs));
  // Katib's own marker stays unavailable.
  obs = ComputeObservation({"loss"}, {MetricLog{kZeroTime, "loss", kUnavailable}});
  EXPECT_FALSE(IsObservationAvailable(o, obs));
}

// REVIEW 1.9 "Timestamps compared as text": `...:00Z` sorted after `...:00.5Z`.
TEST(StatusTest, Review1_9_LatestComparesParsedTimes) {
  std::vector<MetricLog> logs = {{"2026-01-01T00:00:00.5Z", "loss", "0.2"},
                                 {"2026-01-01T00:00:00Z", "loss", "0.9"}};
  EXPECT_EQ(ComputeObservation({"loss"}, logs).metrics[0].latest, "0.2");
  // Offsets are honoured: 01:00:01+01:00 is 00:00:01Z, before 00:00:02Z.
  logs = {{"2026-01-01T00:00:02Z", "loss", "0.3"}, {"2026-01-01T01:00:01+01:00", "loss", "0.8"}};
  EXPECT_EQ(ComputeObservation({"loss"}, logs).metrics[0].latest, "0.3");
  // Equal instants written differently: the later row wins.
  logs = {{"2026-01-01T00:00:01.000000Z", "loss", "0.3"}, {"2026-01-01T00:00:01Z", "loss", "0.4"}};
  EXPECT_EQ(ComputeObservation({"loss"}, logs).metrics[0].latest, "0.4");
}

}  // namespace
}  // namespace ktune::core

namespace ktune::core {
namespace {

TEST(ObjectiveTest, MetricNamesAreTheObjectiveThenTheAdditionalOnes) {
  ObjectiveSpec o;
  o.objective_metric_name = "loss";
  EXPECT_EQ(MetricNames(o), (std::vector<std::string>{"loss"}));
  o.additional_metric_names = {"accuracy", "f1"};
  EXPECT_EQ(MetricNames(o), (std::vector<std::string>{"loss", "accuracy", "f1"}));
}

TEST(ObjectiveTest, ValueOfAnObservationUnderEachStrategy) {
  ObjectiveSpec o{"minimize", std::nullopt, "loss", {"acc"}, {{"loss", "min"}, {"acc", "max"}}};
  Observation obs{{{"loss", "0.1", "0.9", "0.5"}, {"acc", "0.6", "0.8", "0.7"}}};
  EXPECT_EQ(ObjectiveValue(o, obs), "0.1");
  EXPECT_EQ(MetricValue(o, obs.metrics[1]), "0.8");  // acc's own strategy
  o.metric_strategies = {{"loss", "latest"}};
  EXPECT_EQ(ObjectiveValue(o, obs), "0.5");
  o.metric_strategies = {{"loss", "max"}};
  EXPECT_EQ(ObjectiveValue(o, obs), "0.9");
  // min/max fall back to latest when unavailable; an unavailable latest is no value.
  obs.metrics[0] = {"loss", kUnavailable, kUnavailable, "nan"};
  EXPECT_EQ(ObjectiveValue(o, obs), "nan");
  obs.metrics[0] = {"loss", kUnavailable, kUnavailable, kUnavailable};
  EXPECT_EQ(ObjectiveValue(o, obs), std::nullopt);
  // No observation of the objective metric.
  EXPECT_EQ(ObjectiveValue(o, Observation{{{"acc", "1", "1", "1"}}}), std::nullopt);
  EXPECT_EQ(ObjectiveValue(o, Observation{}), std::nullopt);
}

TEST(ObjectiveTest, TheTrialOverloadReadsTheTrialsObservation) {
  ObjectiveSpec o{"maximize", std::nullopt, "acc", {}, {{"acc", "max"}}};
  Trial t;
  EXPECT_EQ(ObjectiveValue(o, t), std::nullopt);
  t.status.observation = Observation{{{"acc", "0.2", "0.9", "0.4"}}};
  EXPECT_EQ(ObjectiveValue(o, t), ObjectiveValue(o, *t.status.observation));
  EXPECT_EQ(ObjectiveValue(o, t), "0.9");
}

}  // namespace
}  // namespace ktune::core

#include "suggestion/trial_delta.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktune::suggestion {
namespace {

namespace api = ::api::v1::beta1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

api::Trial Trial(const std::string& name, api::TrialStatus::TrialConditionType condition,
                 const std::string& loss = "") {
  api::Trial t;
  t.set_name(name);
  t.mutable_spec()->mutable_objective()->set_objective_metric_name("loss");
  auto* a = t.mutable_spec()->mutable_parameter_assignments()->add_assignments();
  a->set_name("lr");
  a->set_value("0.1");
  t.mutable_status()->set_start_time("2024-01-01T00:00:00Z");
  t.mutable_status()->set_condition(condition);
  if (!loss.empty()) {
    auto* m = t.mutable_status()->mutable_observation()->add_metrics();
    m->set_name("loss");
    m->set_value(loss);
  }
  return t;
}

// The names `delta` sends from `history`, committing them.
std::vector<std::string> Send(TrialDelta& delta, const std::vector<api::Trial>& history) {
  google::protobuf::RepeatedPtrField<api::Trial> all(history.begin(), history.end());
  google::protobuf::RepeatedPtrField<api::Trial> sent;
  delta.Select(all, &sent);
  delta.Commit();
  std::vector<std::string> names;
  for (const api::Trial& t : sent) names.push_back(t.name());
  return names;
}

TEST(TrialDeltaTest, SendsTheFullHistoryFirstThenOnlyNewAndChangedTrials) {
  TrialDelta delta;
  std::vector<api::Trial> history = {Trial("a", api::TrialStatus::RUNNING),
                                     Trial("b", api::TrialStatus::RUNNING)};
  EXPECT_THAT(Send(delta, history), ElementsAre("a", "b"));
  EXPECT_EQ(delta.known(), 2u);
  // Unchanged: nothing.
  EXPECT_THAT(Send(delta, history), IsEmpty());
  // b completes with a metric, c is new: both go out, a does not.
  history[1].mutable_status()->set_condition(api::TrialStatus::SUCCEEDED);
  history[1].mutable_status()->set_completion_time("2024-01-01T00:05:00Z");
  history.push_back(Trial("c", api::TrialStatus::CREATED));
  EXPECT_THAT(Send(delta, history), ElementsAre("b", "c"));
  // Only the observation changes: that is a change too.
  auto* m = history[0].mutable_status()->mutable_observation()->add_metrics();
  m->set_name("loss");
  m->set_value("0.3");
  EXPECT_THAT(Send(delta, history), ElementsAre("a"));
  m->set_value("0.2");
  EXPECT_THAT(Send(delta, history), ElementsAre("a"));
  EXPECT_THAT(Send(delta, history), IsEmpty());
}

TEST(TrialDeltaTest, TheSpecIsNotCompared) {
  TrialDelta delta;
  api::Trial t = Trial("a", api::TrialStatus::RUNNING);
  EXPECT_THAT(Send(delta, {t}), ElementsAre("a"));
  (*t.mutable_spec()->mutable_labels())["k"] = "v";
  EXPECT_THAT(Send(delta, {t}), IsEmpty());
}

TEST(TrialDeltaTest, AnAbandonedCallSendsItsTrialsAgain) {
  TrialDelta delta;
  EXPECT_TRUE(delta.Offer(Trial("a", api::TrialStatus::RUNNING)));
  delta.Abandon();
  EXPECT_EQ(delta.known(), 0u);
  EXPECT_TRUE(delta.Offer(Trial("a", api::TrialStatus::RUNNING)));
  delta.Commit();
  EXPECT_FALSE(delta.Offer(Trial("a", api::TrialStatus::RUNNING)));
}

TEST(TrialDeltaTest, ResetSendsEverythingAgain) {
  TrialDelta delta;
  std::vector<api::Trial> history = {Trial("a", api::TrialStatus::SUCCEEDED, "0.5"),
                                     Trial("b", api::TrialStatus::RUNNING)};
  EXPECT_THAT(Send(delta, history), ElementsAre("a", "b"));
  delta.Reset();
  EXPECT_EQ(delta.known(), 0u);
  EXPECT_THAT(Send(delta, history), ElementsAre("a", "b"));
}

TEST(TrialDeltaTest, ARepeatedNameInOneCallIsSentOnceUnlessItsStatusDiffers) {
  TrialDelta delta;
  api::Trial running = Trial("a", api::TrialStatus::RUNNING);
  api::Trial done = Trial("a", api::TrialStatus::SUCCEEDED, "0.1");
  EXPECT_THAT(Send(delta, {running, running}), ElementsAre("a"));
  // Both versions go out (the plugin upserts, so the later one wins there too); the later
  // one is what counts as sent.
  EXPECT_THAT(Send(delta, {running, done}), ElementsAre("a"));
  EXPECT_THAT(Send(delta, {done}), IsEmpty());
}

TEST(TrialDeltaTest, UnnamedTrialsAreNeverSent) {
  TrialDelta delta;
  api::Trial unnamed = Trial("", api::TrialStatus::SUCCEEDED, "0.1");
  EXPECT_FALSE(delta.Changed("", TrialDelta::Fingerprint(unnamed)));
  EXPECT_FALSE(delta.Offer(unnamed));
  delta.Commit();
  EXPECT_EQ(delta.known(), 0u);
}

// The in-process adapter's way: its own fingerprint, and a conversion only for what changed.
TEST(TrialDeltaTest, TheCallersFingerprintDecidesWhatChanged) {
  TrialDelta delta;
  api::Trial t = Trial("a", api::TrialStatus::RUNNING);
  ASSERT_TRUE(delta.Changed("a", "v1"));
  EXPECT_TRUE(delta.Offer(t, "v1"));
  EXPECT_FALSE(delta.Changed("a", "v1"));  // offered in this call already
  delta.Commit();
  EXPECT_FALSE(delta.Changed("a", "v1"));
  EXPECT_TRUE(delta.Changed("a", "v2"));
  EXPECT_TRUE(delta.Changed("b", "v1"));
}

// A filtered trial is judged once per status, not on every call.
TEST(TrialDeltaTest, AFilteredTrialIsNotJudgedAgainUntilItChanges) {
  TrialDelta delta;
  api::Trial stopped = Trial("s", api::TrialStatus::EARLYSTOPPED);
  EXPECT_TRUE(delta.Changed("s", TrialDelta::Fingerprint(stopped)));
  EXPECT_FALSE(delta.Offer(stopped));
  delta.Commit();
  EXPECT_EQ(delta.known(), 1u);
  EXPECT_FALSE(delta.Changed("s", TrialDelta::Fingerprint(stopped)));
  // Its observation arrives: now it has a result, and is sent.
  auto* m = stopped.mutable_status()->mutable_observation()->add_metrics();
  m->set_name("loss");
  m->set_value("0.7");
  EXPECT_TRUE(delta.Offer(stopped));
}

// Katib leaves MetricsUnavailable trials, and EarlyStopped ones without an available
// observation, out of what an algorithm sees (KATIB.md §2.3; REVIEW 1.8).
TEST(TrialDeltaTest, TrialsWithoutAResultAreFilteredOut) {
  TrialDelta delta;
  std::vector<api::Trial> history = {
      Trial("succeeded", api::TrialStatus::SUCCEEDED, "0.5"),
      Trial("failed", api::TrialStatus::FAILED),
      Trial("unavailable", api::TrialStatus::METRICSUNAVAILABLE, "unavailable"),
      Trial("unavailable-with-value", api::TrialStatus::METRICSUNAVAILABLE, "0.4"),
      Trial("stopped-empty", api::TrialStatus::EARLYSTOPPED),
      Trial("stopped-unavailable", api::TrialStatus::EARLYSTOPPED, "unavailable"),
      Trial("stopped-nan", api::TrialStatus::EARLYSTOPPED, "nan"),
      Trial("stopped-with-result", api::TrialStatus::EARLYSTOPPED, "0.4"),
  };
  // EarlyStopped with only another metric: no objective, no result.
  api::Trial other = Trial("stopped-other-metric", api::TrialStatus::EARLYSTOPPED, "0.4");
  other.mutable_status()->mutable_observation()->mutable_metrics(0)->set_name("accuracy");
  history.push_back(other);
  EXPECT_THAT(Send(delta, history), ElementsAre("succeeded", "failed", "stopped-with-result"));
  for (const api::Trial& t : history) {
    EXPECT_EQ(IsSentToAlgorithm(t),
              t.name() == "succeeded" || t.name() == "failed" || t.name() == "stopped-with-result")
        << t.name();
  }
  // A running trial that later becomes MetricsUnavailable was sent while running and is not
  // sent again (the ABI has no removal): the instance keeps its last status.
  api::Trial later = Trial("later", api::TrialStatus::RUNNING);
  EXPECT_THAT(Send(delta, {later}), ElementsAre("later"));
  later.mutable_status()->set_condition(api::TrialStatus::METRICSUNAVAILABLE);
  EXPECT_THAT(Send(delta, {later}), IsEmpty());
}

}  // namespace
}  // namespace ktune::suggestion

#include "suggestion/in_process.h"

#include <memory>
#include <string>
#include <vector>

#include "core/conditions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "suggestion/registry.h"
#include "tests/unit/suggestion/suggestion_test_util.h"

namespace ktune::suggestion {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

using testing::MakeLrTrial;
using testing::Registry;

core::Experiment MakeExperiment(const std::string& algorithm,
                                std::vector<core::Setting> settings = {}) {
  return testing::MakeLrExperiment(algorithm, std::move(settings), "0.01", "0.1", "0.01");
}

core::Trial MakeTrial(const std::string& name, const std::string& lr) {
  return MakeLrTrial(name, lr, {{"a", "1"}, {"b", "2"}, {"c", "3"}});
}

std::string Label(const SuggestionReply& reply, const std::string& key) {
  EXPECT_FALSE(reply.trials.empty());
  if (reply.trials.empty()) return "";
  auto it = reply.trials[0].labels.find(key);
  return it == reply.trials[0].labels.end() ? "<none>" : it->second;
}

class InProcessTest : public ::testing::Test {
 protected:
  InProcessSuggestionService service_{Registry()};
};

TEST_F(InProcessTest, SendsTheFullHistoryOnceThenOnlyWhatChanged) {
  core::Experiment e = MakeExperiment("test-recorder");
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok()) << suggester.status();
  std::vector<core::Trial> trials = {MakeTrial("t1", "0.01"), MakeTrial("t2", "0.02"),
                                     MakeTrial("t3", "0.03")};

  auto reply = (*suggester)->GetSuggestions(e, trials, 1, 1);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received"), "3");

  reply = (*suggester)->GetSuggestions(e, trials, 1, 2);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received"), "0");
  EXPECT_EQ(Label(*reply, "known"), "3");

  // t2 finishes: only t2 goes out.
  trials[1].status.conditions.push_back(core::Condition{core::kSucceeded, "True", "TrialSucceeded",
                                                        "", "2024-01-01T00:05:00Z",
                                                        "2024-01-01T00:05:00Z"});
  trials[1].status.observation =
      core::Observation{{core::MetricObservation{"loss", "0.5", "0.9", "0.6"}}};
  reply = (*suggester)->GetSuggestions(e, trials, 1, 3);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received_names"), "t2");

  // A new trial and an unchanged history.
  trials.push_back(MakeTrial("t4", "0.04"));
  reply = (*suggester)->GetSuggestions(e, trials, 1, 4);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received_names"), "t4");
  EXPECT_EQ(Label(*reply, "known"), "4");
  EXPECT_EQ(Label(*reply, "call"), "4");
}

TEST_F(InProcessTest, EachSuggesterHasItsOwnInstance) {
  core::Experiment e = MakeExperiment("test-recorder");
  std::vector<core::Trial> trials = {MakeTrial("t1", "0.01"), MakeTrial("t2", "0.02")};
  auto first = service_.Open(e);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->GetSuggestions(e, trials, 1, 1).ok());
  // E.g. after a restart: a new suggester starts from the full history.
  auto second = service_.Open(e);
  ASSERT_TRUE(second.ok());
  auto reply = (*second)->GetSuggestions(e, trials, 1, 2);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(Label(*reply, "received"), "2");
  EXPECT_EQ(Label(*reply, "call"), "1");
}

TEST_F(InProcessTest, AFailedCallSendsItsTrialsAgain) {
  std::vector<core::Trial> trials = {MakeTrial("t1", "0.01"), MakeTrial("t2", "0.02")};
  auto suggester = service_.Open(MakeExperiment("test-recorder"));
  ASSERT_TRUE(suggester.ok());
  auto failed =
      (*suggester)
          ->GetSuggestions(MakeExperiment("test-recorder", {{"fail_code", "14"}}), trials, 1, 1);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failed.status().message(), "test-recorder: asked to fail");

  auto reply = (*suggester)->GetSuggestions(MakeExperiment("test-recorder"), trials, 1, 1);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received"), "2");
}

TEST_F(InProcessTest, MapsTheReply) {
  core::Experiment e = MakeExperiment("test-recorder", {{"name_trials", "yes"}});
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok());
  auto reply = (*suggester)->GetSuggestions(e, {}, 2, 5);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_THAT(reply->trials, SizeIs(2));
  EXPECT_EQ(reply->trials[0].trial_name, "exp-1-0");
  EXPECT_EQ(reply->trials[1].trial_name, "exp-1-1");
  ASSERT_THAT(reply->trials[1].assignments, SizeIs(1));
  EXPECT_EQ(reply->trials[1].assignments[0].name, "x");
  EXPECT_EQ(reply->trials[1].assignments[0].value, "4");  // total - count + i
  EXPECT_EQ(reply->trials[0].labels.at("received"), "0");
  ASSERT_THAT(reply->algorithm_settings, SizeIs(1));
  EXPECT_EQ(reply->algorithm_settings[0].name, "calls");
  EXPECT_EQ(reply->algorithm_settings[0].value, "1");
  EXPECT_FALSE(reply->exhausted);
}

TEST_F(InProcessTest, FewerAssignmentsThanAskedMeansExhausted) {
  core::Experiment e = MakeExperiment("test-recorder", {{"max_per_call", "1"}});
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok());
  auto reply = (*suggester)->GetSuggestions(e, {}, 1, 1);
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->exhausted);
  reply = (*suggester)->GetSuggestions(e, {}, 3, 4);
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(reply->trials, SizeIs(1));
  EXPECT_TRUE(reply->exhausted);
}

TEST_F(InProcessTest, GridRunsToExhaustionThroughTheService) {
  core::Experiment e = MakeExperiment("grid");
  e.spec.parameters[0].feasible_space.min = "0.1";
  e.spec.parameters[0].feasible_space.max = "0.4";
  e.spec.parameters[0].feasible_space.step = "0.1";
  ASSERT_TRUE(service_.ValidateAlgorithmSettings(e).ok());
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok()) << suggester.status();
  auto reply = (*suggester)->GetSuggestions(e, {}, 3, 3);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_THAT(reply->trials, SizeIs(3));
  EXPECT_FALSE(reply->exhausted);
  std::vector<core::Trial> trials;
  for (size_t i = 0; i < reply->trials.size(); ++i) {
    trials.push_back(MakeTrial("t" + std::to_string(i), reply->trials[i].assignments[0].value));
  }
  reply = (*suggester)->GetSuggestions(e, trials, 3, 6);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_THAT(reply->trials, SizeIs(1));
  EXPECT_EQ(reply->trials[0].assignments[0].value, "0.4");
  EXPECT_TRUE(reply->exhausted);
}

TEST_F(InProcessTest, UnknownAlgorithmListsTheAvailableOnes) {
  core::Experiment e = MakeExperiment("foo");
  absl::Status open = service_.Open(e).status();
  EXPECT_EQ(open.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      open.message(),
      R"(unknown algorithm "foo"; available algorithms: bayesianoptimization, grid, multivariate-tpe, random, sobol, test-abi10, test-recorder, tpe)");
  EXPECT_EQ(service_.ValidateAlgorithmSettings(e), open);
  EXPECT_THAT(service_.AlgorithmNames(),
              ElementsAre("bayesianoptimization", "grid", "multivariate-tpe", "random", "sobol",
                          "test-abi10", "test-recorder", "tpe"));
}

TEST_F(InProcessTest, ValidationErrorsComeFromTheAlgorithm) {
  EXPECT_TRUE(service_.ValidateAlgorithmSettings(MakeExperiment("random")).ok());
  absl::Status s =
      service_.ValidateAlgorithmSettings(MakeExperiment("random", {{"random_state", "-1"}}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "random: random_state should be great or equal than zero");
}

TEST_F(InProcessTest, PluginErrorsKeepTheirCode) {
  absl::Status create =
      service_.Open(MakeExperiment("test-recorder", {{"fail_create", "1"}})).status();
  EXPECT_EQ(create.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(create.message(), "test-recorder: cannot create");

  core::Experiment e = MakeExperiment("test-recorder");
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok());
  absl::Status thrown =
      (*suggester)
          ->GetSuggestions(MakeExperiment("test-recorder", {{"throw", "1"}}), {}, 1, 1)
          .status();
  EXPECT_EQ(thrown.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(thrown.message(), "test-recorder: algorithm test-recorder threw an exception: boom");
  // The instance survives and keeps working.
  EXPECT_TRUE((*suggester)->GetSuggestions(e, {}, 1, 1).ok());
}

TEST_F(InProcessTest, RandomIsReproducibleThroughTheService) {
  core::Experiment e = MakeExperiment("random", {{"random_state", "3"}});
  auto a = service_.Open(e);
  auto b = service_.Open(e);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ra = (*a)->GetSuggestions(e, {}, 4, 4);
  auto rb = (*b)->GetSuggestions(e, {}, 4, 4);
  ASSERT_TRUE(ra.ok() && rb.ok());
  ASSERT_THAT(ra->trials, SizeIs(4));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(ra->trials[i].assignments[0].value, rb->trials[i].assignments[0].value);
  }
}

// REVIEW 1.8: Katib never sends MetricsUnavailable trials, nor EarlyStopped ones without an
// observation, to an algorithm (KATIB.md §2.3).
TEST_F(InProcessTest, Review18TrialsWithoutAResultAreNotSentToTheAlgorithm) {
  core::Experiment e = MakeExperiment("test-recorder");
  auto suggester = service_.Open(e);
  ASSERT_TRUE(suggester.ok()) << suggester.status();
  auto finish = [](core::Trial& t, const char* type) {
    t.status.conditions.push_back(
        core::Condition{type, "True", type, "", "2024-01-01T00:05:00Z", "2024-01-01T00:05:00Z"});
  };
  std::vector<core::Trial> trials = {MakeTrial("ok", "0.01"), MakeTrial("unavailable", "0.02"),
                                     MakeTrial("stopped-empty", "0.03"),
                                     MakeTrial("stopped-with-result", "0.04")};
  finish(trials[0], core::kSucceeded);
  trials[0].status.observation =
      core::Observation{{core::MetricObservation{"loss", "0.5", "0.5", "0.5"}}};
  finish(trials[1], core::kMetricsUnavailable);
  trials[1].status.conditions[0].status = "False";  // no longer Running
  trials[1].status.observation = core::Observation{
      {core::MetricObservation{"loss", "unavailable", "unavailable", "unavailable"}}};
  finish(trials[2], core::kEarlyStopped);
  finish(trials[3], core::kEarlyStopped);
  trials[3].status.observation =
      core::Observation{{core::MetricObservation{"loss", "0.4", "0.4", "0.4"}}};

  auto reply = (*suggester)->GetSuggestions(e, trials, 1, 1);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(Label(*reply, "received_names"), "ok,stopped-with-result");
}

}  // namespace
}  // namespace ktune::suggestion

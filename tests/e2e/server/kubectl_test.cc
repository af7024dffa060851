// The real kubectl (/usr/bin/kubectl, Google's dispatcher, which runs kubectl 1.32 for the
// server's /version) against a real `ktune server`: every verb issue 9 names, on Katib YAML.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/server/server_harness.h"

namespace {

namespace fs = std::filesystem;
using ktune::e2e::kKubectl;
using ktune::e2e::ReadAll;
using ktune::e2e::Result;
using ktune::e2e::Server;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kQuickstart = fs::path(KTUNE_SOURCE_DIR) / "examples" / "quickstart";

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kKubectl)) GTEST_SKIP() << "no kubectl at " << kKubectl;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "ktune-kubectl" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home");
    server_ = std::make_unique<Server>(dir_ / "server",
                                       std::vector<std::string>{"--workdir", kQuickstart.string()});
  }

  Result Kubectl(std::vector<std::string> args) {
    return ktune::e2e::Kubectl(server_->url(), dir_, dir_ / "home", std::move(args));
  }

  fs::path Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }

  fs::path dir_;
  std::unique_ptr<Server> server_;
};

std::string Quickstart() { return (kQuickstart / "experiment.yaml").string(); }

TEST_F(KubectlTest, QuickstartAppliedWaitedListedAndDeleted) {
  Result apply = Kubectl({"apply", "-f", Quickstart()});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_THAT(apply.out, HasSubstr("experiment.kubeflow.org/quickstart created"));

  Result wait =
      Kubectl({"wait", "--for=condition=Succeeded", "experiment/quickstart", "--timeout=120s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;
  EXPECT_THAT(wait.out, HasSubstr("experiment.kubeflow.org/quickstart condition met"));

  Result get = Kubectl({"get", "experiments"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, AllOf(HasSubstr("NAME"), HasSubstr("STATUS"), HasSubstr("BEST"),
                             HasSubstr("SUCCEEDED"), HasSubstr("quickstart"),
                             HasSubstr("Succeeded"), HasSubstr("random")));

  Result trials = Kubectl({"get", "trials", "-l", "katib.kubeflow.org/experiment=quickstart"});
  ASSERT_EQ(trials.exit_code, 0) << trials.err;
  int rows = 0;
  for (size_t p = trials.out.find("\nquickstart-"); p != std::string::npos;
       p = trials.out.find("\nquickstart-", p + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, 12) << trials.out;
  EXPECT_THAT(trials.out, AllOf(HasSubstr("OBJECTIVE"), HasSubstr("Succeeded")));

  Result as_json = Kubectl({"get", "experiment", "quickstart", "-o", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json e = json::parse(as_json.out);
  EXPECT_EQ(e["status"]["trialsSucceeded"], 12);
  EXPECT_FALSE(e["status"]["currentOptimalTrial"]["bestTrialName"].get<std::string>().empty());
  EXPECT_EQ(e["metadata"]["generation"], 1);
  EXPECT_FALSE(e["metadata"]["uid"].get<std::string>().empty());

  Result describe = Kubectl({"describe", "experiment", "quickstart"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out,
              AllOf(HasSubstr("Name:"), HasSubstr("quickstart"), HasSubstr("Current Optimal Trial"),
                    HasSubstr("Events:"), HasSubstr("ExperimentCreated"),
                    HasSubstr("ExperimentMaxTrialsReached")));

  // A trial's output through its read-only pod.
  const std::string trial = e["status"]["currentOptimalTrial"]["bestTrialName"];
  Result logs = Kubectl({"logs", trial});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("loss="));

  Result del = Kubectl({"delete", "experiment", "quickstart"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_THAT(del.out, HasSubstr("experiment.kubeflow.org \"quickstart\" deleted"));
  Result after = Kubectl({"get", "experiments"});
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_THAT(after.err, HasSubstr("No resources found"));
  Result no_trials = Kubectl({"get", "trials"});
  EXPECT_THAT(no_trials.err, HasSubstr("No resources found"));
  EXPECT_FALSE(fs::exists(dir_ / "server" / "ktune-logs" / "default" / "quickstart"));
}

TEST_F(KubectlTest, InvalidExperimentIsRefusedWithKatibsMessageAndTheFieldPath) {
  std::string text = ReadAll(Quickstart());
  const std::string from = "maxFailedTrialCount: 3";
  text.replace(text.find(from), from.size(), "maxFailedTrialCount: 30");
  Result apply = Kubectl({"apply", "-f", Write("bad.yaml", text).string()});
  EXPECT_NE(apply.exit_code, 0);
  EXPECT_THAT(apply.err, AllOf(HasSubstr("The Experiment \"quickstart\" is invalid"),
                               HasSubstr("spec.maxFailedTrialCount"),
                               HasSubstr("should be less than or equal to spec.maxTrialCount")));
  Result get = Kubectl({"get", "experiments"});
  EXPECT_THAT(get.err, HasSubstr("No resources found"));
}

TEST_F(KubectlTest, CreateApplyServerSidePatchLabelWatchAndYaml) {
  std::string text = ReadAll(Quickstart());
  // A long-running variant whose budget is then edited.
  const std::string from = "maxTrialCount: 12";
  text.replace(text.find(from), from.size(), "maxTrialCount: 3\n  resumePolicy: LongRunning");
  const fs::path file = Write("exp.yaml", text);
  Result create = Kubectl({"create", "-f", file.string()});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  Result again = Kubectl({"create", "-f", file.string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("AlreadyExists"));

  // Client-side apply of an existing object: a merge patch.
  Result apply = Kubectl({"apply", "-f", file.string()});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  Result ssa = Kubectl({"apply", "--server-side", "-f", file.string()});
  EXPECT_EQ(ssa.exit_code, 0) << ssa.err;
  EXPECT_THAT(ssa.out, HasSubstr("serverside-applied"));

  Result replace = Kubectl({"replace", "-f", file.string()});
  EXPECT_EQ(replace.exit_code, 0) << replace.err;
  EXPECT_THAT(replace.out, HasSubstr("experiment.kubeflow.org/quickstart replaced"));

  Result label = Kubectl({"label", "experiment", "quickstart", "team=search"});
  ASSERT_EQ(label.exit_code, 0) << label.err;
  Result selected = Kubectl({"get", "experiments", "-l", "team=search", "-o", "name"});
  EXPECT_EQ(selected.out, "experiment.kubeflow.org/quickstart\n") << selected.err;
  Result other = Kubectl({"get", "experiments", "-l", "team=other", "-o", "name"});
  EXPECT_EQ(other.out, "");

  // Katib's update rule: only the budget may change.
  Result forbidden = Kubectl({"patch", "experiment", "quickstart", "--type=merge", "-p",
                              R"({"spec":{"objective":{"objectiveMetricName":"acc"}}})"});
  EXPECT_NE(forbidden.exit_code, 0);
  Result budget = Kubectl({"patch", "experiment", "quickstart", "--type=merge", "-p",
                           R"({"spec":{"maxTrialCount":4}})"});
  ASSERT_EQ(budget.exit_code, 0) << budget.err;
  Result wait =
      Kubectl({"wait", "--for=condition=Succeeded", "experiment/quickstart", "--timeout=120s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;
  Result yaml = Kubectl({"get", "experiment", "quickstart", "-o", "yaml"});
  EXPECT_THAT(yaml.out, AllOf(HasSubstr("maxTrialCount: 4"), HasSubstr("team: search"),
                              HasSubstr("kind: Experiment")));
  Result count = Kubectl({"get", "experiment", "quickstart", "-o",
                          "jsonpath={.status.trials} {.metadata.generation}"});
  EXPECT_EQ(count.out, "4 2") << count.err;

  // A watch that ends when its timeout passes prints the rows it saw.
  Result watch = Kubectl({"get", "trials", "-w", "--request-timeout=3s"});
  EXPECT_THAT(watch.out, AllOf(HasSubstr("NAME"), HasSubstr("quickstart-")));
  EXPECT_THAT(watch.out, Not(HasSubstr("NAME                 AGE\n")));

  Result wide = Kubectl({"get", "experiments", "-o", "wide", "-A"});
  EXPECT_THAT(wide.out, AllOf(HasSubstr("NAMESPACE"), HasSubstr("default"), HasSubstr("PARALLEL")));
  Result katib = Kubectl({"get", "katib"});
  EXPECT_THAT(katib.out, AllOf(HasSubstr("experiment.kubeflow.org/quickstart"),
                               HasSubstr("trial.kubeflow.org/quickstart-"),
                               HasSubstr("suggestion.kubeflow.org/quickstart")));
  Result pods = Kubectl({"get", "pods"});
  EXPECT_THAT(pods.out, AllOf(HasSubstr("READY"), HasSubstr("Completed")));
  Result suggestion = Kubectl({"get", "suggestions"});
  EXPECT_THAT(suggestion.out, AllOf(HasSubstr("REQUESTED"), HasSubstr("quickstart")));
  Result api = Kubectl({"api-resources", "--api-group=kubeflow.org"});
  EXPECT_THAT(api.out,
              AllOf(HasSubstr("experiments"), HasSubstr("trials"), HasSubstr("suggestions")));
  Result explain = Kubectl({"explain", "experiment"});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
}

}  // namespace

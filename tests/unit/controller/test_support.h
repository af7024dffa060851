#pragma once
// Shared helpers for the controller tests: a scripted Suggestion service (a fake passed
// through the constructor) and temp directories.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "suggestion/suggestion.h"

namespace ktune::testing {

// Hands out assignments {name: values[i]} in order; fewer than asked means exhausted.
class ScriptedSuggestions : public suggestion::SuggestionService {
 public:
  ScriptedSuggestions(std::string parameter, std::vector<std::string> values)
      : parameter_(std::move(parameter)), values_(std::move(values)) {}

  absl::Status ValidateAlgorithmSettings(const core::Experiment&) override {
    return absl::OkStatus();
  }
  std::vector<std::string> AlgorithmNames() const override { return {"scripted"}; }
  absl::StatusOr<std::unique_ptr<suggestion::Suggester>> Open(const core::Experiment&,
                                                              const std::string&) override {
    return std::unique_ptr<suggestion::Suggester>(new Session(*this));
  }
  int calls() const { return calls_; }

 private:
  class Session : public suggestion::Suggester {
   public:
    explicit Session(ScriptedSuggestions& owner) : owner_(owner) {}
    absl::StatusOr<suggestion::SuggestionReply> GetSuggestions(
        const core::Experiment&, const std::vector<core::Trial>& trials, int32_t count, int32_t,
        const suggestion::CallOptions&) override {
      ++owner_.calls_;
      suggestion::SuggestionReply reply;
      // Resumable: continue after the assignments the history already holds.
      size_t next = trials.size();
      for (int32_t i = 0; i < count && next < owner_.values_.size(); ++i, ++next) {
        reply.trials.push_back({"", {{owner_.parameter_, owner_.values_[next]}}, {}});
      }
      reply.exhausted = static_cast<int32_t>(reply.trials.size()) < count;
      return reply;
    }

   private:
    ScriptedSuggestions& owner_;
  };

  std::string parameter_;
  std::vector<std::string> values_;
  std::atomic<int> calls_{0};
};

// An experiment `default/exp` over one categorical parameter x, algorithm "scripted".
struct Spec {
  std::string name = "exp";
  std::string ns;  // empty: default
  std::string type = "minimize";
  std::string goal;
  int parallel = 3;
  int max_trials = 0;
  int max_failed = 0;
  std::string resume_policy;         // empty: the default (Never)
  std::string script;                // run as: sh -c SCRIPT sh <value>
  std::vector<std::string> command;  // instead of the script
};

inline core::Experiment MakeExperiment(const Spec& s) {
  nlohmann::json command = nlohmann::json::array();
  if (s.command.empty()) {
    command = {"sh", "-c", s.script, "sh", "${trialParameters.x}"};
  } else {
    for (const auto& c : s.command) command.push_back(c);
  }
  std::string yaml = absl::StrCat(
      R"(
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: )",
      s.name, s.ns.empty() ? "" : ", namespace: " + s.ns, R"(}
spec:
  objective: {type: )",
      s.type, s.goal.empty() ? "" : ", goal: " + s.goal,
      R"(, objectiveMetricName: loss}
  algorithm: {algorithmName: scripted}
  parallelTrialCount: )",
      s.parallel, s.max_trials ? absl::StrCat("\n  maxTrialCount: ", s.max_trials) : "",
      s.max_failed ? absl::StrCat("\n  maxFailedTrialCount: ", s.max_failed) : "",
      s.resume_policy.empty() ? "" : absl::StrCat("\n  resumePolicy: ", s.resume_policy), R"(
  parameters: [{name: x, parameterType: categorical, feasibleSpace: {list: [a]}}]
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{name: x, reference: x}]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: main
                command: )",
      command.dump(), R"(
)");
  absl::StatusOr<core::Experiment> e = core::ParseExperiment(yaml);
  EXPECT_TRUE(e.ok()) << e.status() << yaml;
  core::SetDefaults(*e);
  return *e;
}

inline std::vector<std::string> Range(int from, int to) {  // inclusive, counting either way
  std::vector<std::string> out;
  for (int i = from;; i += (to >= from ? 1 : -1)) {
    out.push_back(std::to_string(i));
    if (i == to) break;
  }
  return out;
}

inline std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ktune::testing

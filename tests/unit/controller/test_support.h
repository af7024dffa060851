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

#include "suggestion/suggestion.h"

namespace ktune::testing {

// Hands out assignments {name: values[i]} in order; fewer than asked means exhausted.
class ScriptedSuggestions : public suggestion::SuggestionService {
 public:
  ScriptedSuggestions(std::string parameter, std::vector<std::string> values)
      : parameter_(std::move(parameter)), values_(std::move(values)) {}

  absl::Status ValidateAlgorithmSettings(const core::Experiment&) override { return absl::OkStatus(); }
  std::vector<std::string> AlgorithmNames() const override { return {"scripted"}; }
  absl::StatusOr<std::unique_ptr<suggestion::Suggester>> Open(const core::Experiment&) override {
    return std::unique_ptr<suggestion::Suggester>(new Session(*this));
  }
  int calls() const { return calls_; }

 private:
  class Session : public suggestion::Suggester {
   public:
    explicit Session(ScriptedSuggestions& owner) : owner_(owner) {}
    absl::StatusOr<suggestion::SuggestionReply> GetSuggestions(const core::Experiment&,
                                                               const std::vector<core::Trial>& trials,
                                                               int32_t count, int32_t) override {
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

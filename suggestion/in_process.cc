#include "suggestion/in_process.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/proto_convert.h"
#include "core/conditions.h"
#include "spdlog/spdlog.h"

namespace ktune::suggestion {
namespace {

// What of a trial can change after it is created: its status (the controller never edits a
// trial's spec). Comparing this short string instead of the serialized proto keeps the cost of
// finding the changed trials small next to the history (ARCHITECTURE.md, plugin ABI).
std::string StatusFingerprint(const core::Trial& trial) {
  constexpr char kSep = '\x1f';
  const core::TrialStatus& s = trial.status;
  std::string f = s.start_time;
  f += kSep;
  f += s.completion_time;
  f += kSep;
  if (!s.conditions.empty()) f += s.conditions.back().type;
  if (s.observation) {
    for (const core::MetricObservation& m : s.observation->metrics) {
      f += kSep;
      f += m.name + kSep + m.min + kSep + m.max + kSep + m.latest;
    }
  }
  return f;
}

// Katib leaves out of the history it sends an algorithm the trials without a result to learn
// from: MetricsUnavailable ones, and EarlyStopped ones without an observation (KATIB.md §2.3).
bool SentToAlgorithm(const core::Trial& trial) {
  switch (core::ClassifyTrial(trial)) {
    case core::TrialPhase::kMetricsUnavailable:
      return false;
    case core::TrialPhase::kEarlyStopped:
      return core::IsObservationAvailable(trial.spec.objective, trial.status.observation);
    default:
      return true;
  }
}

class InProcessSuggester final : public Suggester {
 public:
  explicit InProcessSuggester(std::unique_ptr<AlgorithmInstance> instance)
      : instance_(std::move(instance)) {}

  absl::StatusOr<SuggestionReply> GetSuggestions(const core::Experiment& experiment,
                                                 const std::vector<core::Trial>& trials,
                                                 int32_t count, int32_t total) override {
    if (count <= 0) return SuggestionReply{};
    api::v1::beta1::GetSuggestionsRequest request;
    *request.mutable_experiment() = core::ExperimentToProto(experiment);
    request.set_current_request_number(count);
    request.set_total_request_number(total);
    // Trials to remember as sent once the plugin has accepted them; a failed call sends them
    // again next time (plugins upsert, so a repeat is harmless).
    std::vector<std::pair<std::string, std::string>> sent;
    for (const core::Trial& trial : trials) {
      if (!SentToAlgorithm(trial)) continue;
      std::string fingerprint = StatusFingerprint(trial);
      auto it = sent_.find(trial.metadata.name);
      if (it != sent_.end() && it->second == fingerprint) continue;
      *request.add_trials() = core::TrialToProto(trial);
      sent.emplace_back(trial.metadata.name, std::move(fingerprint));
    }
    spdlog::debug("experiment {}: asking {} for {} assignment(s), sending {} of {} trial(s)",
                  experiment.metadata.name, instance_->algorithm_name(), count,
                  request.trials_size(), trials.size());

    absl::StatusOr<api::v1::beta1::GetSuggestionsReply> reply = instance_->GetSuggestions(request);
    if (!reply.ok()) return reply.status();
    for (auto& [name, bytes] : sent) sent_[name] = std::move(bytes);

    SuggestionReply result;
    for (const auto& assignments : reply->parameter_assignments()) {
      if (static_cast<int32_t>(result.trials.size()) == count) {
        spdlog::warn("experiment {}: {} returned {} assignments, {} asked for; extra ones dropped",
                     experiment.metadata.name, instance_->algorithm_name(),
                     reply->parameter_assignments_size(), count);
        break;
      }
      SuggestedTrial& trial = result.trials.emplace_back();
      trial.trial_name = assignments.trial_name();
      for (const auto& a : assignments.assignments()) {
        trial.assignments.push_back(core::ParameterAssignment{a.name(), a.value()});
      }
      for (const auto& [key, value] : assignments.labels()) trial.labels.emplace(key, value);
    }
    for (const auto& setting : reply->algorithm().algorithm_settings()) {
      result.algorithm_settings.push_back(core::Setting{setting.name(), setting.value()});
    }
    result.exhausted = static_cast<int32_t>(result.trials.size()) < count;
    return result;
  }

 private:
  std::unique_ptr<AlgorithmInstance> instance_;
  // Trial name -> the bytes of its api.proto form last accepted by the plugin.
  absl::flat_hash_map<std::string, std::string> sent_;
};

}  // namespace

InProcessSuggestionService::InProcessSuggestionService(const AlgorithmRegistry& registry)
    : registry_(registry) {}

absl::StatusOr<const AlgorithmPlugin*> InProcessSuggestionService::FindAlgorithm(
    const core::Experiment& experiment) const {
  const std::string name =
      experiment.spec.algorithm ? experiment.spec.algorithm->algorithm_name : std::string();
  return registry_.Find(name);
}

absl::Status InProcessSuggestionService::ValidateAlgorithmSettings(
    const core::Experiment& experiment) {
  absl::StatusOr<const AlgorithmPlugin*> algorithm = FindAlgorithm(experiment);
  if (!algorithm.ok()) return algorithm.status();
  return (*algorithm)->ValidateSettings(core::ExperimentToProto(experiment));
}

absl::StatusOr<std::unique_ptr<Suggester>> InProcessSuggestionService::Open(
    const core::Experiment& experiment) {
  absl::StatusOr<const AlgorithmPlugin*> algorithm = FindAlgorithm(experiment);
  if (!algorithm.ok()) return algorithm.status();
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance =
      (*algorithm)->Create(core::ExperimentToProto(experiment));
  if (!instance.ok()) return instance.status();
  spdlog::debug("experiment {}: opened algorithm {} from {}", experiment.metadata.name,
                (*algorithm)->name(), (*algorithm)->origin());
  return std::make_unique<InProcessSuggester>(*std::move(instance));
}

std::vector<std::string> InProcessSuggestionService::AlgorithmNames() const {
  return registry_.Names();
}

}  // namespace ktune::suggestion

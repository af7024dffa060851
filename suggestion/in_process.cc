#include "suggestion/in_process.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "spdlog/spdlog.h"
#include "suggestion/trial_delta.h"

namespace ktune::suggestion {
namespace {

// Saved state = kStateMagic, the algorithm name, '\n', then the plugin's bytes. The name keeps
// one algorithm's bytes from ever reaching another's load_state (ktune_algorithm.h promises a
// plugin only what its own save_state wrote).
constexpr std::string_view kStateMagic = "ktune-algorithm-state/1 ";

std::string WrapState(const std::string& algorithm, std::string_view bytes) {
  std::string state(kStateMagic);
  state += algorithm;
  state += '\n';
  state += bytes;
  return state;
}

// The plugin's bytes of a wrapped state, or a reason for not using it.
absl::StatusOr<std::string_view> UnwrapState(const std::string& algorithm, std::string_view saved) {
  if (!saved.starts_with(kStateMagic)) {
    return absl::InvalidArgumentError("it is not a saved algorithm state");
  }
  saved.remove_prefix(kStateMagic.size());
  const size_t end = saved.find('\n');
  if (end == std::string_view::npos) return absl::InvalidArgumentError("it is truncated");
  if (saved.substr(0, end) != algorithm) {
    return absl::InvalidArgumentError(
        absl::StrCat("it was saved by algorithm \"", absl::string_view(saved.data(), end), "\""));
  }
  return saved.substr(end + 1);
}

// The TrialDelta fingerprint of a trial, computed on the model so that only the trials that
// changed are converted to api.proto: what can change after a trial is created, which is its
// status (the controller never edits a trial's spec). It covers everything TrialToProto puts
// into the status (times, last condition, each metric's min, max and latest), so the message
// an algorithm receives never changes without it.
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

bool Interrupted(const absl::Status& status) {
  return status.code() == absl::StatusCode::kCancelled ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

class InProcessSuggester final : public Suggester {
 public:
  // `state`: the wrapped state `instance` was loaded from (empty: none).
  InProcessSuggester(AlgorithmPlugin plugin, HostInfo host,
                     std::unique_ptr<AlgorithmInstance> instance, std::string state)
      : plugin_(std::move(plugin)),
        host_(std::move(host)),
        instance_(std::move(instance)),
        state_(std::move(state)) {}

  absl::StatusOr<SuggestionReply> GetSuggestions(const core::Experiment& experiment,
                                                 const std::vector<core::Trial>& trials,
                                                 int32_t count, int32_t total,
                                                 const CallOptions& options) override {
    if (count <= 0) return SuggestionReply{};
    if (instance_ == nullptr) {
      absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance =
          OpenInstance(plugin_, host_, core::ExperimentToProto(experiment), &state_);
      if (!instance.ok()) return instance.status();
      instance_ = *std::move(instance);
      delta_.Reset();
    }
    api::v1::beta1::GetSuggestionsRequest request;
    *request.mutable_experiment() = core::ExperimentToProto(experiment);
    request.set_current_request_number(count);
    request.set_total_request_number(total);
    for (const core::Trial& trial : trials) {
      std::string fingerprint = StatusFingerprint(trial);
      if (!delta_.Changed(trial.metadata.name, fingerprint)) continue;
      api::v1::beta1::Trial proto = core::TrialToProto(trial);
      if (delta_.Offer(proto, std::move(fingerprint))) *request.add_trials() = std::move(proto);
    }
    spdlog::debug("experiment {}: asking {} for {} assignment(s), sending {} of {} trial(s)",
                  experiment.metadata.name, plugin_.name(), count, request.trials_size(),
                  trials.size());

    absl::StatusOr<api::v1::beta1::GetSuggestionsReply> reply =
        instance_->GetSuggestions(request, options);
    if (!reply.ok()) {
      delta_.Abandon();
      if (Interrupted(reply.status())) {
        spdlog::debug("experiment {}: {}; the next call starts a new instance of {}",
                      experiment.metadata.name, std::string(reply.status().message()),
                      plugin_.name());
        instance_.reset();
      }
      return reply.status();
    }
    delta_.Commit();

    SuggestionReply result;
    for (const auto& assignments : reply->parameter_assignments()) {
      if (static_cast<int32_t>(result.trials.size()) == count) {
        spdlog::warn("experiment {}: {} returned {} assignments, {} asked for; extra ones dropped",
                     experiment.metadata.name, plugin_.name(), reply->parameter_assignments_size(),
                     count);
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

  absl::StatusOr<std::string> SaveState() override {
    // After an interrupted call, what the next instance will load.
    if (instance_ == nullptr) return state_;
    absl::StatusOr<std::string> bytes = instance_->SaveState();
    if (!bytes.ok()) return bytes.status();
    state_ = bytes->empty() ? std::string() : WrapState(plugin_.name(), *bytes);
    return state_;
  }

  // A new instance of `plugin` with the wrapped state `*state` loaded, if any. A state it
  // cannot use is dropped (cleared in *state) with a warning, and the instance starts from
  // the history alone.
  static absl::StatusOr<std::unique_ptr<AlgorithmInstance>> OpenInstance(
      const AlgorithmPlugin& plugin, const HostInfo& host,
      const api::v1::beta1::Experiment& experiment, std::string* state) {
    absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance = plugin.Create(experiment, host);
    if (!instance.ok() || state->empty()) return instance;
    absl::StatusOr<std::string_view> bytes = UnwrapState(plugin.name(), *state);
    absl::Status loaded = bytes.status();
    const bool keeps_state = (*instance)->keeps_state();
    if (loaded.ok() && !keeps_state) {
      loaded = absl::FailedPreconditionError("the algorithm has no load_state");
    }
    if (loaded.ok()) loaded = (*instance)->LoadState(*bytes);
    if (loaded.ok()) return instance;
    spdlog::warn(
        "experiment {}: the saved state of algorithm {} is not used ({}); it starts "
        "from the trial history alone",
        experiment.name(), plugin.name(), std::string(loaded.message()));
    state->clear();
    if (!keeps_state || !bytes.ok()) return instance;  // load_state never ran
    // A refused load_state leaves the instance unusable (ktune_algorithm.h).
    instance->reset();
    return plugin.Create(experiment, host);
  }

 private:
  const AlgorithmPlugin plugin_;
  const HostInfo host_;
  std::unique_ptr<AlgorithmInstance> instance_;  // null after an interrupted call
  // The wrapped state instance_ was loaded from or last saved (empty: none): what a new
  // instance is given after an interrupted call.
  std::string state_;
  TrialDelta delta_;  // what instance_ has been sent, by StatusFingerprint
};

HostInfo HostInfoFor(const InProcessSuggestionService::Options& options) {
  HostInfo host = DefaultHostInfo();
  if (options.thread_budget > 0) host.thread_budget = options.thread_budget;
  return host;
}

}  // namespace

InProcessSuggestionService::InProcessSuggestionService(const AlgorithmRegistry& registry)
    : InProcessSuggestionService(registry, Options{}) {}

InProcessSuggestionService::InProcessSuggestionService(const AlgorithmRegistry& registry,
                                                       Options options)
    : registry_(registry), host_(HostInfoFor(options)) {}

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
    const core::Experiment& experiment, const std::string& saved_state) {
  absl::StatusOr<const AlgorithmPlugin*> algorithm = FindAlgorithm(experiment);
  if (!algorithm.ok()) return algorithm.status();
  std::string state = saved_state;
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> instance = InProcessSuggester::OpenInstance(
      **algorithm, host_, core::ExperimentToProto(experiment), &state);
  if (!instance.ok()) return instance.status();
  spdlog::debug("experiment {}: opened algorithm {} (ABI {}.{}) from {}{}",
                experiment.metadata.name, (*algorithm)->name(),
                KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF((*algorithm)->abi_version()),
                KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF((*algorithm)->abi_version()),
                (*algorithm)->origin(), state.empty() ? "" : " with its saved state");
  return std::make_unique<InProcessSuggester>(**algorithm, host_, *std::move(instance),
                                              std::move(state));
}

std::vector<std::string> InProcessSuggestionService::AlgorithmNames() const {
  return registry_.Names();
}

}  // namespace ktune::suggestion

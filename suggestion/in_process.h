#pragma once
// SuggestionService over algorithm plugins loaded into this process (ktune run, ktune server).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"
#include "suggestion/registry.h"
#include "suggestion/suggestion.h"

namespace ktune::suggestion {

// Each Suggester it opens keeps one plugin instance for its experiment (created from
// core::ExperimentToProto) and sends the plugin the full trial history on its first call,
// then only the trials that are new or whose status changed since the last successful call
// (TrialDelta; a trial's spec never changes after creation). As Katib, trials without a result
// to learn from are never sent (IsSentToAlgorithm: MetricsUnavailable ones, and EarlyStopped
// ones without an available observation, KATIB.md §2.3). exhausted = the plugin returned fewer
// assignments than asked for.
//
// Deadlines and cancellation (CallOptions) reach ABI 1.1 plugins through the host table. A
// call that ends Cancelled or DeadlineExceeded discards the plugin instance (its state is
// unspecified then, ktune_algorithm.h); the next call creates a new one, hands it the state
// last saved (SaveState, or Open's saved_state) and sends it the full history: the same as a
// restart of the process.
//
// Saved state: SaveState returns the plugin's save_state bytes wrapped with the algorithm's
// name, or empty when the plugin keeps none. Open hands such bytes back to load_state. A
// state of another algorithm, one the plugin refuses, or any state for a plugin without
// load_state is ignored with a warning: the session then starts from the history alone.
//
// Errors: the registry's InvalidArgument for an unknown algorithm name (listing the available
// ones); the plugin's own code and message, prefixed with the algorithm name, otherwise.
//
// Thread-safe. `registry` is borrowed and must outlive the service; Suggesters do not need it
// (they keep a copy of their AlgorithmPlugin handle, and plugins are never unloaded).
class InProcessSuggestionService final : public SuggestionService {
 public:
  struct Options {
    // Threads a plugin may keep busy per call (ktune_host_v1.thread_budget); 0: the machine's
    // hardware threads.
    uint32_t thread_budget = 0;
  };

  explicit InProcessSuggestionService(const AlgorithmRegistry& registry);
  InProcessSuggestionService(const AlgorithmRegistry& registry, Options options);

  absl::Status ValidateAlgorithmSettings(const core::Experiment& experiment) override;
  absl::StatusOr<std::unique_ptr<Suggester>> Open(const core::Experiment& experiment,
                                                  const std::string& saved_state = "") override;
  std::vector<std::string> AlgorithmNames() const override;

  // What the plugins' host tables say about this process: DefaultHostInfo() with the thread
  // budget of the options.
  const HostInfo& host_info() const { return host_; }

 private:
  absl::StatusOr<const AlgorithmPlugin*> FindAlgorithm(const core::Experiment& experiment) const;

  const AlgorithmRegistry& registry_;
  const HostInfo host_;
};

}  // namespace ktune::suggestion

#pragma once
// SuggestionService over algorithm plugins loaded into this process (ktune run, ktune server).

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
// (a trial's spec never changes after creation). As Katib, trials without a result to learn
// from are never sent: MetricsUnavailable ones, and EarlyStopped ones without an available
// observation (KATIB.md §2.3). exhausted = the plugin returned fewer assignments than asked for.
//
// Errors: the registry's InvalidArgument for an unknown algorithm name (listing the available
// ones); the plugin's own code and message, prefixed with the algorithm name, otherwise.
//
// Thread-safe. `registry` is borrowed and must outlive the service; Suggesters do not need it
// (plugins are never unloaded).
class InProcessSuggestionService final : public SuggestionService {
 public:
  explicit InProcessSuggestionService(const AlgorithmRegistry& registry);

  absl::Status ValidateAlgorithmSettings(const core::Experiment& experiment) override;
  absl::StatusOr<std::unique_ptr<Suggester>> Open(const core::Experiment& experiment) override;
  std::vector<std::string> AlgorithmNames() const override;

 private:
  absl::StatusOr<const AlgorithmPlugin*> FindAlgorithm(const core::Experiment& experiment) const;

  const AlgorithmRegistry& registry_;
};

}  // namespace ktune::suggestion

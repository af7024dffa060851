#pragma once
// The Suggestion interface the controller talks to: in-process (plugins loaded into this
// process) now, gRPC (Katib's Suggestion service) later. Both adapters implement this.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"
#include "suggestion/call_options.h"

namespace ktune::suggestion {

struct SuggestedTrial {
  std::string trial_name;  // empty: the controller names it
  std::vector<core::ParameterAssignment> assignments;
  std::map<std::string, std::string> labels;
};

struct SuggestionReply {
  std::vector<SuggestedTrial> trials;
  // Settings the algorithm returned (GetSuggestionsReply.algorithm); merged into the
  // experiment's settings for the next call, as Katib does. Empty when none.
  std::vector<core::Setting> algorithm_settings;
  // True when the algorithm returned fewer assignments than asked for: its search space is
  // exhausted and it will never return more.
  bool exhausted = false;
};

// One experiment's suggestion session. Not thread-safe: the controller owns it and calls it
// from one thread.
class Suggester {
 public:
  virtual ~Suggester() = default;
  // Up to `count` new assignments. `trials` holds every trial of the experiment (the
  // in-process adapter forwards only those new or changed since its last call);
  // `total` is the number of assignments asked for over the experiment's life, this call
  // included (Katib's total_request_number).
  virtual absl::StatusOr<SuggestionReply> GetSuggestions(const core::Experiment& experiment,
                                                         const std::vector<core::Trial>& trials,
                                                         int32_t count, int32_t total,
                                                         const CallOptions& options = {}) = 0;
  // The algorithm's own state to persist with the experiment (ABI 1.1 save_state), so that
  // Open after a restart continues exactly where this session was. Empty when the algorithm
  // keeps none (it then rebuilds itself from the trial history).
  virtual absl::StatusOr<std::string> SaveState() { return std::string(); }
};

class SuggestionService {
 public:
  virtual ~SuggestionService() = default;
  // InvalidArgument with the algorithm's message when the settings are bad; InvalidArgument
  // listing the available algorithms when the name is unknown.
  virtual absl::Status ValidateAlgorithmSettings(const core::Experiment& experiment) = 0;
  // `saved_state`: what SaveState returned in an earlier session of this experiment (empty:
  // none); handed to the algorithm's load_state, which may refuse it (the session then starts
  // from the history alone, with a warning).
  virtual absl::StatusOr<std::unique_ptr<Suggester>> Open(const core::Experiment& experiment,
                                                          const std::string& saved_state = "") = 0;
  virtual std::vector<std::string> AlgorithmNames() const = 0;
};

}  // namespace ktune::suggestion

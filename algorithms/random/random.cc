// The "random" algorithm: independent random samples of each parameter (Katib's hyperopt
// rand.suggest), reproducible with random_state, never repeating a known point.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/plugin.h"
#include "algorithms/rng.h"
#include "algorithms/search_space.h"
#include "algorithms/settings.h"
#include "algorithms/suggestion_numbers.h"
#include "algorithms/used_points.h"

namespace ktune::algorithms {
namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

using api::v1::beta1::Trial;

constexpr char kName[] = "random";
// Draws per suggestion before concluding the point is hard to find by sampling.
constexpr int kMaxDraws = 64;

class RandomInstance final : public Algorithm::Instance {
 public:
  RandomInstance(SearchSpace space, uint64_t seed)
      : space_(std::move(space)), seed_(seed), used_(space_) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    used_.UpsertTrials(request.trials());
    GetSuggestionsReply reply;
    const int64_t count = request.current_request_number();
    if (count <= 0) return reply;
    // Suggestion number k is drawn from its own stream (seed, k), so that a new instance
    // continuing at total_request_number continues the same sequence.
    const uint64_t first = numbers_.FirstOfBatch(request);
    for (int64_t i = 0; i < count; ++i) {
      // A draw can take long in a nearly used-up space; a large count takes long anyway.
      if (absl::Status s = host.Check(); !s.ok()) return s;
      Rng rng(seed_, first + static_cast<uint64_t>(i));
      std::optional<RepeatedPtrField<ParameterAssignment>> point = Draw(rng);
      if (!point) break;  // every point of a finite space is used: exhausted
      *reply.add_parameter_assignments()->mutable_assignments() = *std::move(point);
    }
    return reply;
  }

 private:
  std::optional<RepeatedPtrField<ParameterAssignment>> Draw(Rng& rng) {
    RepeatedPtrField<ParameterAssignment> point;
    for (int draw = 0; draw < kMaxDraws; ++draw) {
      space_.Sample(rng, &point);
      if (used_.Claim(point)) return point;
    }
    // A continuous dimension makes an exact repeat a rounding accident, and a space too large
    // to index is never nearly used up: accept the repeat rather than end the experiment.
    if (!used_.indexed()) return point;
    // Otherwise a uniformly chosen untaken point, or exhaustion.
    if (used_.TakeUntaken(rng, &point)) return point;
    return std::nullopt;
  }

  const SearchSpace space_;
  const uint64_t seed_;
  UsedPoints used_;  // refers to space_
  SuggestionNumbers numbers_;
};

class RandomAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& experiment) const override {
    return ParseSpaceAndRandomState(experiment, kName).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& experiment,
                                                   const Host& host) const override {
    absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> parsed =
        ParseSpaceAndRandomState(experiment, kName);
    if (!parsed.ok()) return parsed.status();
    return std::make_unique<RandomInstance>(std::move(parsed->first),
                                            SeedForInstance(parsed->second, host));
  }
};

}  // namespace
}  // namespace ktune::algorithms

KTUNE_EXPORT_ALGORITHM(ktune::algorithms::RandomAlgorithm, "random")

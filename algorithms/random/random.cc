// The "random" algorithm: independent random samples of each parameter (Katib's hyperopt
// rand.suggest), reproducible with random_state, never repeating a known point.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/assignment_history.h"
#include "algorithms/plugin.h"
#include "algorithms/rng.h"
#include "algorithms/search_space.h"
#include "algorithms/settings.h"

namespace ktune::algorithms {
namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

constexpr char kName[] = "random";
// Draws per suggestion before concluding the point is hard to find by sampling.
constexpr int kMaxDraws = 64;
// Finite spaces up to this size are enumerated to find the unused points (and to tell
// exhaustion for sure) once sampling keeps hitting used ones.
constexpr uint64_t kMaxEnumeration = uint64_t{1} << 20;

class RandomInstance final : public Algorithm::Instance {
 public:
  RandomInstance(SearchSpace space, uint64_t seed) : space_(std::move(space)), seed_(seed) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(
      const GetSuggestionsRequest& request) override {
    history_.UpsertTrials(space_, request.trials());
    GetSuggestionsReply reply;
    const int64_t count = request.current_request_number();
    if (count <= 0) return reply;
    // Suggestion number k is drawn from its own stream (seed, k), so that a new instance
    // continuing at total_request_number continues the same sequence.
    const int64_t total = request.total_request_number();
    const uint64_t first = total >= count ? static_cast<uint64_t>(total - count) : requested_;
    requested_ = std::max(requested_, first + static_cast<uint64_t>(count));
    for (int64_t i = 0; i < count; ++i) {
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
      std::string key = space_.CanonicalKey(point);
      if (!history_.Contains(key)) {
        history_.AddIssued(key);
        return point;
      }
    }
    // A continuous dimension makes an exact repeat a rounding accident; a huge finite space
    // cannot be nearly used up in practice. Accept the repeat rather than end the experiment.
    if (!space_.finite() || space_.size() > kMaxEnumeration) return point;
    std::vector<uint64_t> unused;
    for (uint64_t index = 0; index < space_.size(); ++index) {
      space_.GridPoint(index, &point);
      if (!history_.Contains(space_.CanonicalKey(point))) unused.push_back(index);
    }
    if (unused.empty()) return std::nullopt;
    space_.GridPoint(unused[rng.UniformInt(unused.size())], &point);
    history_.AddIssued(space_.CanonicalKey(point));
    return point;
  }

  const SearchSpace space_;
  const uint64_t seed_;
  AssignmentHistory history_;
  uint64_t requested_ = 0;  // suggestions asked for so far, when the host does not say
};

class RandomAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& experiment) const override {
    return Parse(experiment).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& experiment) const override {
    absl::StatusOr<std::pair<SearchSpace, uint64_t>> parsed = Parse(experiment);
    if (!parsed.ok()) return parsed.status();
    return std::make_unique<RandomInstance>(std::move(parsed->first), parsed->second);
  }

 private:
  static absl::StatusOr<std::pair<SearchSpace, uint64_t>> Parse(const Experiment& experiment) {
    if (absl::Status s = CheckSettingNames(experiment, kName, {"random_state"}); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::optional<uint64_t>> random_state = ParseRandomState(experiment);
    if (!random_state.ok()) return random_state.status();
    absl::StatusOr<SearchSpace> space = SearchSpace::FromProto(experiment);
    if (!space.ok()) return space.status();
    uint64_t seed = 0;
    if (*random_state) {
      seed = **random_state;
    } else {
      std::random_device device;
      seed = (uint64_t{device()} << 32) ^ device();
    }
    return std::make_pair(*std::move(space), seed);
  }
};

}  // namespace
}  // namespace ktune::algorithms

KTUNE_EXPORT_ALGORITHM(ktune::algorithms::RandomAlgorithm, "random")

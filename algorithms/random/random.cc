// The "random" algorithm: independent random samples of each parameter (Katib's hyperopt
// rand.suggest), reproducible with random_state, never repeating a known point.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "algorithms/assignment_history.h"
#include "algorithms/plugin.h"
#include "algorithms/rng.h"
#include "algorithms/search_space.h"
#include "algorithms/settings.h"
#include "core/number.h"

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

// The grid points of a finite space that are taken (by the experiment's trials or suggested by
// this instance), by their mixed-radix index (SearchSpace::GridPoint order), kept in step with
// AssignmentHistory: an index is taken exactly when the history contains its point's key. Once
// sampling keeps hitting taken points, an untaken one is found from the sorted taken indices in
// O(taken) time and memory, without enumerating the space (REVIEW 1.9: the old fallback built
// the key of each of up to 2^20 points on every missed draw).
class TakenGridPoints {
 public:
  explicit TakenGridPoints(const SearchSpace& space) : space_(space) {
    const std::vector<Parameter>& parameters = space.parameters();
    strides_.assign(parameters.size(), 1);
    for (size_t j = parameters.size(); j-- > 1;) {
      strides_[j - 1] = strides_[j] * parameters[j].size();
    }
    lists_.resize(parameters.size());
    for (size_t j = 0; j < parameters.size(); ++j) {
      const Parameter& p = parameters[j];
      if (p.kind() != ParameterKind::kDiscrete && p.kind() != ParameterKind::kCategorical) continue;
      for (uint64_t d = 0; d < p.size(); ++d) lists_[j].try_emplace(p.Canonical(p.ValueAt(d)), d);
    }
  }

  // As AssignmentHistory::UpsertTrials.
  void UpsertTrials(const google::protobuf::RepeatedPtrField<Trial>& trials) {
    for (const Trial& trial : trials) {
      std::optional<uint64_t> index = IndexOf(trial.spec().parameter_assignments().assignments());
      if (!trial.name().empty()) {
        auto [it, inserted] = trial_index_.try_emplace(trial.name(), index);
        if (!inserted) {
          if (it->second == index) continue;
          if (it->second) ReleaseTrialPoint(*it->second);
          it->second = index;
        }
      }
      if (index && ++trial_counts_[*index] == 1) taken_.insert(*index);
    }
  }
  void AddIssued(uint64_t index) {
    issued_.insert(index);
    taken_.insert(index);
  }
  uint64_t untaken() const { return space_.size() - taken_.size(); }
  // The `n`-th untaken index in increasing order; n < untaken().
  uint64_t NthUntaken(uint64_t n) const {
    uint64_t candidate = n;
    for (uint64_t t : taken_) {
      if (t > candidate) break;
      ++candidate;
    }
    return candidate;
  }

  // The index of the grid point `assignments` names (one assignment per parameter, values
  // equal after Parameter::Canonical), or nullopt when they name none.
  std::optional<uint64_t> IndexOf(const RepeatedPtrField<ParameterAssignment>& assignments) const {
    const std::vector<Parameter>& parameters = space_.parameters();
    if (static_cast<size_t>(assignments.size()) != parameters.size()) return std::nullopt;
    uint64_t index = 0;
    std::vector<bool> seen(parameters.size());
    for (const ParameterAssignment& a : assignments) {
      const Parameter* p = space_.Find(a.name());
      if (p == nullptr) return std::nullopt;
      const size_t j = static_cast<size_t>(p - parameters.data());
      if (seen[j]) return std::nullopt;
      seen[j] = true;
      std::optional<uint64_t> digit = DigitOf(j, a.value());
      if (!digit) return std::nullopt;
      index += *digit * strides_[j];
    }
    return index;
  }

 private:
  std::optional<uint64_t> DigitOf(size_t j, const std::string& value) const {
    const Parameter& p = space_.parameters()[j];
    const std::string canonical = p.Canonical(value);
    if (p.kind() == ParameterKind::kDiscrete || p.kind() == ParameterKind::kCategorical) {
      auto it = lists_[j].find(canonical);
      if (it == lists_[j].end()) return std::nullopt;
      return it->second;
    }
    // int, stepped double, or a double with min == max: the nearest point, if it is this one.
    std::optional<double> number = core::ParseFiniteNumber(canonical);
    if (!number) return std::nullopt;
    double k = 0;
    if (p.size() > 1) k = std::nearbyint((*number - p.min()) / p.step());
    if (!(k >= 0 && k < static_cast<double>(p.size()))) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(k);
    if (p.Canonical(p.ValueAt(digit)) != canonical) return std::nullopt;
    return digit;
  }
  void ReleaseTrialPoint(uint64_t index) {
    auto it = trial_counts_.find(index);
    if (it == trial_counts_.end() || --it->second > 0) return;
    trial_counts_.erase(it);
    if (!issued_.contains(index)) taken_.erase(index);
  }

  const SearchSpace& space_;
  std::vector<uint64_t> strides_;  // mixed-radix weights, first parameter slowest
  std::vector<absl::flat_hash_map<std::string, uint64_t>> lists_;          // list values -> digit
  absl::flat_hash_map<std::string, std::optional<uint64_t>> trial_index_;  // trial -> point
  absl::flat_hash_map<uint64_t, int> trial_counts_;  // index -> trials with it
  absl::flat_hash_set<uint64_t> issued_;
  std::set<uint64_t> taken_;  // trial points and issued points, sorted
};

class RandomInstance final : public Algorithm::Instance {
 public:
  RandomInstance(SearchSpace space, uint64_t seed) : space_(std::move(space)), seed_(seed) {
    // A saturated size cannot be indexed; such a space is never nearly used up anyway.
    if (space_.finite() && space_.size() < std::numeric_limits<uint64_t>::max()) {
      taken_.emplace(space_);
    }
  }

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    history_.UpsertTrials(space_, request.trials());
    if (taken_) taken_->UpsertTrials(request.trials());
    GetSuggestionsReply reply;
    const int64_t count = request.current_request_number();
    if (count <= 0) return reply;
    // Suggestion number k is drawn from its own stream (seed, k), so that a new instance
    // continuing at total_request_number continues the same sequence.
    const int64_t total = request.total_request_number();
    const uint64_t first = total >= count ? static_cast<uint64_t>(total - count) : requested_;
    requested_ = std::max(requested_, first + static_cast<uint64_t>(count));
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
      std::string key = space_.CanonicalKey(point);
      if (!history_.Contains(key)) {
        history_.AddIssued(key);
        if (taken_) {
          if (std::optional<uint64_t> index = taken_->IndexOf(point)) taken_->AddIssued(*index);
        }
        return point;
      }
    }
    // A continuous dimension makes an exact repeat a rounding accident, and a space too large
    // to index is never nearly used up: accept the repeat rather than end the experiment.
    if (!taken_) return point;
    // Otherwise a uniformly chosen untaken point (the same choice as enumerating the untaken
    // points in grid order), or exhaustion.
    while (taken_->untaken() > 0) {
      const uint64_t index = taken_->NthUntaken(rng.UniformInt(taken_->untaken()));
      space_.GridPoint(index, &point);
      std::string key = space_.CanonicalKey(point);
      taken_->AddIssued(index);
      // The two records agree by construction; the check keeps a disagreement from becoming
      // a repeated point.
      if (history_.Contains(key)) continue;
      history_.AddIssued(key);
      return point;
    }
    return std::nullopt;
  }

  const SearchSpace space_;
  const uint64_t seed_;
  AssignmentHistory history_;
  std::optional<TakenGridPoints> taken_;  // finite spaces only; refers to space_
  uint64_t requested_ = 0;  // suggestions asked for so far, when the host does not say
};

class RandomAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& experiment) const override {
    return Parse(experiment).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& experiment,
                                                   const Host& host) const override {
    bool drawn = false;
    absl::StatusOr<std::pair<SearchSpace, uint64_t>> parsed = Parse(experiment, &drawn);
    if (!parsed.ok()) return parsed.status();
    if (drawn) {
      // The only way to reproduce such a run afterwards.
      host.Log(Host::LogLevel::kInfo,
               absl::StrCat("random_state is not set; drew seed ", parsed->second,
                            " (set random_state to it to repeat this sequence)"));
    }
    return std::make_unique<RandomInstance>(std::move(parsed->first), parsed->second);
  }

 private:
  static absl::StatusOr<std::pair<SearchSpace, uint64_t>> Parse(const Experiment& experiment,
                                                                bool* drawn = nullptr) {
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
      if (drawn != nullptr) *drawn = true;
    }
    return std::make_pair(*std::move(space), seed);
  }
};

}  // namespace
}  // namespace ktune::algorithms

KTUNE_EXPORT_ALGORITHM(ktune::algorithms::RandomAlgorithm, "random")

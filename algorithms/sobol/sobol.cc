// The "sobol" algorithm: a scrambled Sobol quasi-random sequence (Katib serves it with goptuna's
// sobol sampler). Each suggestion is the next point of the sequence, mapped onto the search
// space through the unit coordinates of algorithms/search_space.h; results are not looked at.
//
// - Point number k of an experiment is a pure function of (seed, k): the scramble is drawn from
//   the seed (random_state, or one drawn and logged), and the host's total_request_number says
//   where a batch starts, so a restarted service continues the same sequence and a batch is a
//   run of consecutive points (which the sequence spreads out evenly).
// - Distributions are honoured (goptuna ignores them): logUniform and logNormal in log space,
//   normal and logNormal through the quantile of a normal with mu = (min+max)/2 and
//   sigma = (max-min)/6 truncated to [min, max] (KATIB.md §8.1). ints and stepped doubles get
//   equal cells (Parameter::FromUnit); discrete and categorical values equal shares of [0, 1).
// - Never a repeated point: a point already tried or suggested is passed over for later points
//   of the sequence; in a finite space, after kMaxSkips such points an untaken point is chosen
//   directly, and once none is left fewer assignments come back (the space is exhausted).

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
#include "absl/strings/str_cat.h"
#include "algorithms/normal.h"
#include "algorithms/plugin.h"
#include "algorithms/rng.h"
#include "algorithms/search_space.h"
#include "algorithms/settings.h"
#include "algorithms/sobol/sobol_sequence.h"
#include "algorithms/used_points.h"

namespace ktune::algorithms {
namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

constexpr char kName[] = "sobol";
// Sequence points passed over per suggestion before a finite space's untaken point is chosen
// directly.
constexpr int kMaxSkips = 64;

// The unit coordinate of quantile u of a normal on the unit coordinate with mean 0.5 and
// standard deviation 1/6, truncated to [0, 1]: mu = (min+max)/2, sigma = (max-min)/6 on the
// parameter's (log) scale.
double TruncatedNormalUnit(double u) {
  static const double lo = NormalCdf(-3), hi = NormalCdf(3);
  return std::clamp(0.5 + NormalQuantile(lo + u * (hi - lo)) / 6, 0.0, 1.0);
}

// The value of `parameter` at sequence coordinate u in [0, 1).
std::string ValueAt(const Parameter& parameter, double u) {
  switch (parameter.kind()) {
    case ParameterKind::kDiscrete:
    case ParameterKind::kCategorical: {
      // Equal shares, whatever the listed numbers are (as goptuna's categorical).
      const uint64_t n = parameter.size();
      return parameter.ValueAt(std::min<uint64_t>(static_cast<uint64_t>(u * n), n - 1));
    }
    case ParameterKind::kDouble:
    case ParameterKind::kInt:
      break;
  }
  if (parameter.distribution() == Distribution::kNormal ||
      parameter.distribution() == Distribution::kLogNormal) {
    u = TruncatedNormalUnit(u);
  }
  return parameter.FromUnit(u);
}

class SobolInstance final : public Algorithm::Instance {
 public:
  SobolInstance(SearchSpace space, uint64_t seed)
      : space_(std::move(space)),
        seed_(seed),
        sequence_(static_cast<int>(space_.parameters().size()), seed),
        used_(space_) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    used_.UpsertTrials(request.trials());
    GetSuggestionsReply reply;
    const int64_t count = request.current_request_number();
    if (count <= 0) return reply;
    // The batch starts at sequence point total - count (where an earlier instance of this
    // experiment stopped), or later when this instance passed over points already.
    const int64_t total = request.total_request_number();
    if (total >= count) next_ = std::max(next_, static_cast<uint64_t>(total - count));
    for (int64_t i = 0; i < count; ++i) {
      if (absl::Status s = host.Check(); !s.ok()) return s;
      std::optional<RepeatedPtrField<ParameterAssignment>> point = Next();
      if (!point) break;  // every point of a finite space is used: exhausted
      *reply.add_parameter_assignments()->mutable_assignments() = *std::move(point);
    }
    return reply;
  }

 private:
  // Sequence point k as parameter values. Coordinates get 53 bits: the sequence's 32, then
  // bits of an Rng stream of its own for (seed, k), so that doubles are not confined to
  // multiples of 2^-32.
  void MakePoint(uint64_t k, RepeatedPtrField<ParameterAssignment>* out) {
    sequence_.PointBits(k, bits_.data());
    Rng low(seed_, k);
    out->Clear();
    const std::vector<Parameter>& parameters = space_.parameters();
    for (size_t d = 0; d < parameters.size(); ++d) {
      const double u =
          static_cast<double>(bits_[d]) * 0x1p-32 + static_cast<double>(low.Next() >> 43) * 0x1p-53;
      ParameterAssignment* a = out->Add();
      a->set_name(parameters[d].name());
      a->set_value(ValueAt(parameters[d], u));
    }
  }

  std::optional<RepeatedPtrField<ParameterAssignment>> Next() {
    if (used_.indexed() && used_.untaken() == 0) return std::nullopt;
    RepeatedPtrField<ParameterAssignment> point;
    for (int skip = 0; skip < kMaxSkips; ++skip) {
      MakePoint(next_++, &point);
      if (used_.Claim(point)) return point;
    }
    // A continuous dimension makes an exact repeat a rounding accident, and a space too large
    // to index is never nearly used up: accept the repeat rather than end the experiment.
    if (!used_.indexed()) return point;
    // A finite space mostly used up: an untaken point, chosen by the last sequence point's
    // own stream (so still a function of the seed and the history).
    Rng rng(seed_, next_ - 1);
    if (used_.TakeUntaken(rng, &point)) return point;
    return std::nullopt;
  }

  const SearchSpace space_;
  const uint64_t seed_;
  const SobolSequence sequence_;
  std::vector<uint32_t> bits_ = std::vector<uint32_t>(sequence_.dimensions());
  UsedPoints used_;    // refers to space_
  uint64_t next_ = 0;  // the next sequence point to consider
};

class SobolAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& experiment) const override {
    return Parse(experiment).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& experiment,
                                                   const Host& host) const override {
    absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> parsed = Parse(experiment);
    if (!parsed.ok()) return parsed.status();
    return std::make_unique<SobolInstance>(std::move(parsed->first),
                                           SeedForInstance(parsed->second, host));
  }

 private:
  // Katib's goptuna sobol takes no settings; ktune accepts random_state, the seed of the
  // scramble, as every ktune plugin does. The search space and random_state.
  static absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> Parse(
      const Experiment& experiment) {
    absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> parsed =
        ParseSpaceAndRandomState(experiment, kName);
    if (!parsed.ok()) return parsed.status();
    const size_t dimensions = parsed->first.parameters().size();
    if (dimensions > static_cast<size_t>(SobolSequence::MaxDimensions())) {
      return absl::InvalidArgumentError(
          absl::StrCat("sobol supports at most ", SobolSequence::MaxDimensions(),
                       " parameters; the experiment has ", dimensions));
    }
    return parsed;
  }
};

}  // namespace
}  // namespace ktune::algorithms

KTUNE_EXPORT_ALGORITHM(ktune::algorithms::SobolAlgorithm, "sobol")

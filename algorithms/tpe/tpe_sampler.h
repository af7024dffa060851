#pragma once
// The suggestion loop shared by the tpe and multivariate-tpe plugins: the experiment's trials
// as observations (TrialTable), a space-filling start, then candidates drawn from the density
// of the good trials l(x) and ranked by l(x) / g(x) against the density of the others, with a
// constant liar for running trials and for the points of the same batch; no point of a finite
// space twice. Not thread-safe (one per plugin instance).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/plugin.h"
#include "algorithms/search_space.h"
#include "algorithms/suggestion_numbers.h"
#include "algorithms/tpe/parzen_estimator.h"
#include "algorithms/trial_table.h"
#include "algorithms/used_points.h"
#include "api/api.pb.h"

namespace ktune::algorithms::tpe {

struct TpeConfig {
  // A joint density over all parameters (multivariate-tpe) or one per parameter (tpe).
  bool multivariate = false;
  // How many of n completed trials are good: ceil(gamma * sqrt(n)) (hyperopt's rule) or
  // ceil(gamma * n) (Optuna's), at most 25 either way.
  enum class GammaRule { kSqrt, kLinear };
  GammaRule gamma_rule = GammaRule::kSqrt;
  double gamma = 0.25;
  // gamma while results are outstanding (running trials, earlier points of the same batch);
  // negative: gamma.
  double gamma_pending = -1;
  double prior_weight = 1.0;
  // Candidates drawn from l(x) per suggestion.
  int candidates = 24;
  // Suggestions before the model: a Latin hypercube over the first `startup` suggestion
  // numbers.
  int startup = 10;
  // Multivariate kernel widths: bandwidth * n^(-1 / (d + 4)) of the range (Scott-like), n the
  // density's observations, kept within the width floor and the range.
  double bandwidth = 0.2;
  // Running trials and the points of the same batch, whose results are still to come.
  // kConstant: counted as bad (Optuna's constant liar). kBelief: each counted as good with the
  // probability the current model gives it (l and g of the completed trials) and as bad with
  // the rest.
  enum class Liar { kConstant, kBelief };
  Liar liar = Liar::kConstant;
  uint64_t seed = 0;
};

class TpeSampler {
 public:
  // `experiment` gives the objective (TrialTable).
  TpeSampler(SearchSpace space, const api::v1::beta1::Experiment& experiment, TpeConfig config);
  TpeSampler(const TpeSampler&) = delete;
  TpeSampler& operator=(const TpeSampler&) = delete;

  absl::StatusOr<api::v1::beta1::GetSuggestionsReply> GetSuggestions(
      const api::v1::beta1::GetSuggestionsRequest& request, const Host& host);

  // The number of good observations among n completed ones (`pending`: with results
  // outstanding).
  static size_t GoodCount(const TpeConfig& config, size_t n, bool pending = false);

 private:
  struct Observations {
    std::vector<std::vector<double>> points;  // model coordinates
    std::vector<double> weights;
  };
  using Point = std::vector<double>;  // model coordinates: unit, or a label's number

  Point ModelPoint(const std::vector<double>& unit) const;
  // The space-filling start: suggestion number s < config_.startup.
  Point StartupPoint(uint64_t s) const;
  // A draw from the priors.
  Point PriorPoint(Rng& rng) const;
  // Candidates ranked by l / g, best first.
  std::vector<Point> ModelCandidates(Rng& rng, const std::vector<Point>& batch) const;
  // The assignments of a point, and whether the point is new (and then recorded as issued).
  bool Claim(const Point& point,
             google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>* out);
  // Random untaken points as the random plugin finds them; false when the space is used up.
  bool ClaimRandom(Rng& rng,
                   google::protobuf::RepeatedPtrField<api::v1::beta1::ParameterAssignment>* out);
  // The completed trials split into good and bad (failed ones bad too); `pending`: running
  // trials and this batch's points, newest last.
  void Split(const std::vector<Point>& batch, Observations* good, Observations* bad,
             std::vector<Point>* pending) const;
  // log l(x) - log g(x) of each point, with l and g the densities of `good` and `bad`.
  std::vector<double> LogRatios(const Observations& good, const Observations& bad,
                                const std::vector<Point>& points) const;

  const SearchSpace space_;
  const TpeConfig config_;
  std::vector<Dimension> dimensions_;
  TrialTable table_;  // refers to space_
  UsedPoints used_;   // refers to space_
  SuggestionNumbers numbers_;
};

// What a tpe-family plugin reads from its settings: the sampler's configuration (its seed not
// chosen yet) and random_state.
struct TpeSettings {
  TpeConfig config;
  std::optional<uint64_t> random_state;
};

// The Algorithm of a tpe-family plugin, whose settings `parse` checks (Katib's checks and
// messages) and whose instances are TpeSamplers seeded from random_state or a drawn, logged
// seed (SeedForInstance, algorithms/settings.h).
class TpeFamilyAlgorithm : public Algorithm {
 public:
  using ParseFn = absl::StatusOr<TpeSettings> (*)(const api::v1::beta1::Experiment& experiment);
  explicit TpeFamilyAlgorithm(ParseFn parse) : parse_(parse) {}

  absl::Status ValidateSettings(const api::v1::beta1::Experiment& experiment) const override;
  absl::StatusOr<std::unique_ptr<Instance>> Create(const api::v1::beta1::Experiment& experiment,
                                                   const Host& host) const override;

 private:
  const ParseFn parse_;
};

// The estimators' view of one parameter (exposed for tests).
Dimension DimensionOf(const Parameter& parameter);

}  // namespace ktune::algorithms::tpe

#include "algorithms/tpe/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "algorithms/settings.h"

namespace ktune::algorithms::tpe {
namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;
using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

// Quantized parameters with more points than this are modelled as a continuum (a point's
// density instead of its cell's mass): the cells are then narrower than any kernel.
constexpr uint64_t kMaxCells = 4096;
// Random draws per suggestion before concluding a finite space is nearly used up.
constexpr int kMaxDraws = 64;
// Streams of the Latin hypercube's permutations, apart from the suggestions' streams.
constexpr uint64_t kPermutationStream = uint64_t{1} << 63;
// At most this many observations are good, whatever gamma says (hyperopt's and Optuna's cap).
constexpr size_t kMaxGood = 25;

double ParseDouble(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

class TpeInstance final : public Algorithm::Instance {
 public:
  TpeInstance(SearchSpace space, const Experiment& experiment, TpeConfig config)
      : sampler_(std::move(space), experiment, config) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    return sampler_.GetSuggestions(request, host);
  }

 private:
  TpeSampler sampler_;
};

}  // namespace

Dimension DimensionOf(const Parameter& parameter) {
  Dimension d;
  if (parameter.kind() == ParameterKind::kCategorical ||
      parameter.kind() == ParameterKind::kDiscrete ||
      (parameter.finite() && parameter.size() == 1)) {
    d.categorical = true;
    d.choices = static_cast<size_t>(parameter.size());
    return d;
  }
  const uint64_t n = parameter.size();  // 0 for an unstepped double
  if (n > 0 && n <= kMaxCells) {
    d.edges.resize(n + 1);
    d.edges[0] = 0;
    d.edges[n] = 1;
    for (uint64_t k = 1; k < n; ++k) {
      d.edges[k] = (parameter.UnitOfIndex(k - 1) + parameter.UnitOfIndex(k)) / 2;
    }
  }
  if (parameter.distribution() == Distribution::kNormal ||
      parameter.distribution() == Distribution::kLogNormal) {
    // KATIB.md §8.1: mu = (min + max) / 2, sigma = (max - min) / 6, in log space for logNormal,
    // carried into unit coordinates, which are linear in the value (or its log) between the
    // first and the last grid point.
    d.normal_prior = true;
    d.prior_mu = 0.5;
    d.prior_sigma = 1.0 / 6;
    if (n > 1) {
      auto t = [&](double x) { return parameter.log_scale() ? std::log(x) : x; };
      const double first = t(ParseDouble(parameter.ValueAt(0)));
      const double last = t(ParseDouble(parameter.ValueAt(n - 1)));
      const double lo = t(parameter.min());
      const double hi = t(parameter.max());
      const double u0 = parameter.UnitOfIndex(0);
      const double slope = (parameter.UnitOfIndex(n - 1) - u0) / (last - first);
      if (last > first && std::isfinite(slope)) {
        d.prior_mu = u0 + slope * ((lo + hi) / 2 - first);
        d.prior_sigma = slope * (hi - lo) / 6;
      }
    }
  }
  return d;
}

size_t TpeSampler::GoodCount(const TpeConfig& config, size_t n, bool pending) {
  const double gamma = pending && config.gamma_pending >= 0 ? config.gamma_pending : config.gamma;
  const double share = config.gamma_rule == TpeConfig::GammaRule::kSqrt
                           ? gamma * std::sqrt(static_cast<double>(n))
                           : gamma * static_cast<double>(n);
  return std::min({static_cast<size_t>(std::ceil(share)), kMaxGood, n});
}

TpeSampler::TpeSampler(SearchSpace space, const Experiment& experiment, TpeConfig config)
    : space_(std::move(space)), config_(config), table_(space_, experiment), used_(space_) {
  for (const Parameter& p : space_.parameters()) dimensions_.push_back(DimensionOf(p));
}

TpeSampler::Point TpeSampler::ModelPoint(const std::vector<double>& unit) const {
  Point x(unit.size());
  for (size_t j = 0; j < unit.size(); ++j) {
    x[j] = dimensions_[j].categorical
               ? static_cast<double>(space_.parameters()[j].IndexAtUnit(unit[j]))
               : unit[j];
  }
  return x;
}

namespace {

// A number v in [0, 1) as a coordinate drawn from a dimension's prior: uniform on [0, 1], the
// prior normal truncated to [0, 1] (inverse transform), or a label.
double FromPriorQuantile(const Dimension& d, double v) {
  if (d.categorical) {
    return static_cast<double>(
        std::min<size_t>(static_cast<size_t>(v * static_cast<double>(d.choices)), d.choices - 1));
  }
  if (!d.normal_prior) return v;
  const double lo = 0.5 * std::erfc((d.prior_mu - 0) / d.prior_sigma * M_SQRT1_2);
  const double hi = 0.5 * std::erfc((d.prior_mu - 1) / d.prior_sigma * M_SQRT1_2);
  const double p = lo + v * (hi - lo);
  return std::clamp(d.prior_mu + d.prior_sigma * NormalQuantile(p), 0.0, 1.0);
}

}  // namespace

TpeSampler::Point TpeSampler::StartupPoint(uint64_t s) const {
  const auto n = static_cast<uint64_t>(config_.startup);
  Rng jitter(config_.seed, s);
  Point x(dimensions_.size());
  for (size_t j = 0; j < dimensions_.size(); ++j) {
    // Stratum of suggestion s in dimension j: a permutation of 0..n-1 per dimension, the same
    // for every suggestion of the experiment (Fisher-Yates from the dimension's own stream).
    Rng rng(config_.seed, kPermutationStream + j);
    std::vector<uint64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (uint64_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.UniformInt(i)]);
    const double v = (static_cast<double>(perm[s]) + jitter.Uniform01()) / static_cast<double>(n);
    x[j] = FromPriorQuantile(dimensions_[j], v);
  }
  return x;
}

TpeSampler::Point TpeSampler::PriorPoint(Rng& rng) const {
  Point x(dimensions_.size());
  for (size_t j = 0; j < dimensions_.size(); ++j) {
    x[j] = FromPriorQuantile(dimensions_[j], rng.Uniform01());
  }
  return x;
}

void TpeSampler::Split(const std::vector<Point>& batch, Observations* good, Observations* bad,
                       std::vector<Point>* pending) const {
  const std::vector<TrialRecord>& records = table_.records();
  std::vector<size_t> completed;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].in_space && records[i].outcome == TrialOutcome::kCompleted) {
      completed.push_back(i);
    }
  }
  std::stable_sort(completed.begin(), completed.end(),
                   [&](size_t a, size_t b) { return records[a].loss < records[b].loss; });
  const bool outstanding =
      !batch.empty() || std::any_of(records.begin(), records.end(), [](const TrialRecord& r) {
        return r.in_space && r.outcome == TrialOutcome::kPending;
      });
  const size_t n_good = GoodCount(config_, completed.size(), outstanding);
  std::vector<bool> is_good(records.size(), false);
  for (size_t i = 0; i < n_good; ++i) is_good[completed[i]] = true;
  // In order of age: the better completed trials are good; worse ones and failed ones (never
  // good) are bad.
  good->points.clear();
  bad->points.clear();
  pending->clear();
  for (size_t i = 0; i < records.size(); ++i) {
    if (!records[i].in_space) continue;
    if (records[i].outcome == TrialOutcome::kPending) {
      pending->push_back(ModelPoint(records[i].unit));
    } else {
      (is_good[i] ? good : bad)->points.push_back(ModelPoint(records[i].unit));
    }
  }
  for (const Point& p : batch) pending->push_back(p);
  good->weights = ForgettingWeights(good->points.size());
  bad->weights = ForgettingWeights(bad->points.size());
}

std::vector<double> TpeSampler::LogRatios(const Observations& good, const Observations& bad,
                                          const std::vector<Point>& points) const {
  std::vector<double> out(points.size(), 0);
  if (config_.multivariate) {
    const MultivariateParzen l(dimensions_, good.points, good.weights, config_.prior_weight,
                               config_.bandwidth);
    const MultivariateParzen g(dimensions_, bad.points, bad.weights, config_.prior_weight,
                               config_.bandwidth);
    for (size_t i = 0; i < points.size(); ++i) {
      out[i] = l.LogDensity(points[i]) - g.LogDensity(points[i]);
    }
    return out;
  }
  std::vector<double> values;
  for (size_t j = 0; j < dimensions_.size(); ++j) {
    values.clear();
    for (const Point& p : good.points) values.push_back(p[j]);
    const UnivariateParzen l(dimensions_[j], values, good.weights, config_.prior_weight);
    values.clear();
    for (const Point& p : bad.points) values.push_back(p[j]);
    const UnivariateParzen g(dimensions_[j], values, bad.weights, config_.prior_weight);
    for (size_t i = 0; i < points.size(); ++i) {
      out[i] += l.LogDensity(points[i][j]) - g.LogDensity(points[i][j]);
    }
  }
  return out;
}

std::vector<TpeSampler::Point> TpeSampler::ModelCandidates(Rng& rng,
                                                           const std::vector<Point>& batch) const {
  Observations good, bad;
  std::vector<Point> pending;
  Split(batch, &good, &bad, &pending);
  size_t lies = 0;  // the constant liar's points, the last of bad
  if (config_.liar == TpeConfig::Liar::kBelief && !pending.empty() && !good.points.empty()) {
    // Each pending point counts as good with the probability the model gives it now,
    // P(good | x) = 1 / (1 + (n_bad g(x)) / (n_good l(x))), and as bad with the rest.
    const std::vector<double> ratio = LogRatios(good, bad, pending);
    const double prior_odds = std::log(static_cast<double>(good.points.size()) /
                                       static_cast<double>(std::max<size_t>(bad.points.size(), 1)));
    for (size_t i = 0; i < pending.size(); ++i) {
      const double p = std::clamp(1 / (1 + std::exp(-(ratio[i] + prior_odds))), 1e-3, 1 - 1e-3);
      good.points.push_back(pending[i]);
      good.weights.push_back(p);
      bad.points.push_back(std::move(pending[i]));
      bad.weights.push_back(1 - p);
    }
  } else {
    // The constant liar: pending points are bad (the newest ones).
    lies = pending.size();
    for (Point& p : pending) bad.points.push_back(std::move(p));
    bad.weights = ForgettingWeights(bad.points.size());
  }
  const size_t d = dimensions_.size();
  const auto n = static_cast<size_t>(std::max(config_.candidates, 1));
  std::vector<Point> candidates(n, Point(d));
  std::vector<double> score(n, 0);
  if (config_.multivariate) {
    const MultivariateParzen l(dimensions_, good.points, good.weights, config_.prior_weight,
                               config_.bandwidth);
    const MultivariateParzen g(dimensions_, bad.points, bad.weights, config_.prior_weight,
                               config_.bandwidth);
    for (size_t c = 0; c < n; ++c) {
      candidates[c] = l.Sample(rng);
      score[c] = l.LogDensity(candidates[c]) - g.LogDensity(candidates[c]);
    }
  } else {
    // One estimator pair per dimension; each candidate draws every coordinate from its l_j,
    // and candidates rank by the sum over dimensions of log l_j - log g_j, i.e. by l(x) / g(x)
    // of the product densities. hyperopt and Optuna instead take each dimension's best draw
    // on its own; ranking whole points measured better on every function of the suite (20
    // and 40 seeds, 50 trials; e.g. Hartmann6 0.69 -> 0.42, Levy4 1.35 -> 0.72, Rosenbrock5
    // 881 -> 485 with 96 candidates): a point whose coordinates are each the best alone is
    // rarely a good point where the parameters interact.
    std::vector<double> values;
    for (size_t j = 0; j < d; ++j) {
      values.clear();
      for (const Point& p : good.points) values.push_back(p[j]);
      const UnivariateParzen l(dimensions_[j], values, good.weights, config_.prior_weight);
      values.clear();
      // A categorical parameter's g leaves the constant liar's points out: a label is a whole
      // region of its parameter, and counting the pending points' labels as bad steered the
      // rest of a batch away from the best label itself ("mixed", 4 in parallel, 40 seeds
      // @50: 1.10 -> 0.97; the other functions have no categorical parameter).
      const size_t n_bad = bad.points.size() - (dimensions_[j].categorical ? lies : 0);
      for (size_t i = 0; i < n_bad; ++i) values.push_back(bad.points[i][j]);
      const std::vector<double> weights(bad.weights.begin(),
                                        bad.weights.begin() + static_cast<std::ptrdiff_t>(n_bad));
      const UnivariateParzen g(dimensions_[j], values, weights, config_.prior_weight);
      for (size_t c = 0; c < n; ++c) {
        const double x = l.Sample(rng);
        candidates[c][j] = x;
        score[c] += l.LogDensity(x) - g.LogDensity(x);
      }
    }
  }
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });
  std::vector<Point> ranked;
  ranked.reserve(order.size());
  for (size_t i : order) ranked.push_back(std::move(candidates[i]));
  return ranked;
}

bool TpeSampler::Claim(const Point& point, RepeatedPtrField<ParameterAssignment>* out) {
  out->Clear();
  for (size_t j = 0; j < dimensions_.size(); ++j) {
    const Parameter& p = space_.parameters()[j];
    const double u =
        dimensions_[j].categorical ? p.UnitOfIndex(static_cast<uint64_t>(point[j])) : point[j];
    ParameterAssignment* a = out->Add();
    a->set_name(p.name());
    a->set_value(p.FromUnit(u));
  }
  return used_.Claim(*out);
}

bool TpeSampler::ClaimRandom(Rng& rng, RepeatedPtrField<ParameterAssignment>* out) {
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    if (Claim(PriorPoint(rng), out)) return true;
  }
  // A continuous dimension makes an exact repeat a rounding accident, and a space too large to
  // index is never nearly used up: accept the repeat rather than end the experiment.
  if (!used_.indexed()) return true;
  // Otherwise a uniformly chosen untaken point, or exhaustion.
  return used_.TakeUntaken(rng, out);
}

absl::StatusOr<GetSuggestionsReply> TpeSampler::GetSuggestions(const GetSuggestionsRequest& request,
                                                               const Host& host) {
  used_.UpsertTrials(request.trials());
  table_.Upsert(request.trials());
  GetSuggestionsReply reply;
  const int64_t count = request.current_request_number();
  if (count <= 0) return reply;
  // Suggestion number k draws from its own stream (seed, k), so that a new instance that
  // continues at total_request_number continues the same sequence.
  const uint64_t first = numbers_.FirstOfBatch(request);
  const size_t finished =
      table_.count(TrialOutcome::kCompleted) + table_.count(TrialOutcome::kFailed);
  std::vector<Point> batch;
  for (int64_t i = 0; i < count; ++i) {
    if (absl::Status s = host.Check(); !s.ok()) return s;
    const uint64_t number = first + static_cast<uint64_t>(i);
    Rng rng(config_.seed, number);
    RepeatedPtrField<ParameterAssignment> point;
    bool claimed = false;
    if (number < static_cast<uint64_t>(config_.startup)) {
      claimed = Claim(StartupPoint(number), &point);
    } else if (finished > 0) {
      for (const Point& candidate : ModelCandidates(rng, batch)) {
        if ((claimed = Claim(candidate, &point))) break;
      }
    }
    if (!claimed && !ClaimRandom(rng, &point)) break;  // every point is used: exhausted
    std::vector<double> unit;
    for (size_t j = 0; j < dimensions_.size(); ++j) {
      std::optional<double> u = space_.parameters()[j].ToUnit(point[static_cast<int>(j)].value());
      unit.push_back(u.value_or(0.5));
    }
    batch.push_back(ModelPoint(unit));
    *reply.add_parameter_assignments()->mutable_assignments() = std::move(point);
  }
  return reply;
}

absl::Status TpeFamilyAlgorithm::ValidateSettings(const Experiment& experiment) const {
  absl::StatusOr<TpeSettings> parsed = parse_(experiment);
  if (!parsed.ok()) return parsed.status();
  return SearchSpace::FromProto(experiment).status();
}

absl::StatusOr<std::unique_ptr<Algorithm::Instance>> TpeFamilyAlgorithm::Create(
    const Experiment& experiment, const Host& host) const {
  absl::StatusOr<TpeSettings> parsed = parse_(experiment);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<SearchSpace> space = SearchSpace::FromProto(experiment);
  if (!space.ok()) return space.status();
  TpeConfig config = parsed->config;
  config.seed = SeedForInstance(parsed->random_state, host);
  return std::make_unique<TpeInstance>(*std::move(space), experiment, config);
}

}  // namespace ktune::algorithms::tpe

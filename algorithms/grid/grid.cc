// The "grid" algorithm: every point of the Cartesian product of the parameters' values, in a
// fixed order (first parameter slowest), skipping points already tried. Unlike Katib (issue
// #1534), a maxTrialCount above the number of points is fine: the experiment ends when the
// grid is used up.

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "algorithms/assignment_history.h"
#include "algorithms/plugin.h"
#include "algorithms/search_space.h"
#include "algorithms/settings.h"

namespace ktune::algorithms {
namespace {

using api::v1::beta1::Experiment;
using api::v1::beta1::GetSuggestionsReply;
using api::v1::beta1::GetSuggestionsRequest;

constexpr char kName[] = "grid";
// Grid points visited between two polls of the host's cancellation flag.
constexpr uint64_t kStepsPerCheck = 1024;

class GridInstance final : public Algorithm::Instance {
 public:
  explicit GridInstance(SearchSpace space) : space_(std::move(space)) {}

  absl::StatusOr<GetSuggestionsReply> GetSuggestions(const GetSuggestionsRequest& request,
                                                     const Host& host) override {
    history_.UpsertTrials(space_, request.trials());
    GetSuggestionsReply reply;
    const int64_t count = request.current_request_number();
    int64_t added = 0;
    // Points before next_ were suggested or found used already; a restarted instance starts
    // from 0 and skips what the trial history holds.
    for (uint64_t steps = 0; added < count && next_ < space_.size(); ++next_, ++steps) {
      // Skipping a long run of used points (a restart deep into a large grid) takes a while.
      if (steps % kStepsPerCheck == 0) {
        if (absl::Status s = host.Check(); !s.ok()) return s;
      }
      auto* point = reply.add_parameter_assignments()->mutable_assignments();
      space_.GridPoint(next_, point);
      std::string key = space_.CanonicalKey(*point);
      if (history_.Contains(key)) {
        reply.mutable_parameter_assignments()->RemoveLast();
        continue;
      }
      history_.AddIssued(key);
      ++added;
    }
    return reply;
  }

 private:
  const SearchSpace space_;
  AssignmentHistory history_;
  uint64_t next_ = 0;
};

class GridAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const Experiment& experiment) const override {
    return Parse(experiment).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const Experiment& experiment,
                                                   const Host& host) const override {
    absl::StatusOr<SearchSpace> space = Parse(experiment);
    if (!space.ok()) return space.status();
    host.Log(Host::LogLevel::kDebug, absl::StrCat("a grid of ", space->size(), " points"));
    return std::make_unique<GridInstance>(*std::move(space));
  }

 private:
  static absl::StatusOr<SearchSpace> Parse(const Experiment& experiment) {
    if (absl::Status s = CheckSettingNames(experiment, kName, {"random_state"}); !s.ok()) {
      return s;
    }
    // random_state is accepted (Katib does) and has no effect: the order is fixed.
    if (absl::Status s = ParseRandomState(experiment).status(); !s.ok()) return s;
    for (const api::v1::beta1::ParameterSpec& p :
         experiment.spec().parameter_specs().parameters()) {
      if (p.parameter_type() == api::v1::beta1::DOUBLE && p.feasible_space().step().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("Param ", p.name(),
                         " step is nil; For discrete search space, all parameters must include "
                         "step"));
      }
    }
    return SearchSpace::FromProto(experiment);
  }
};

}  // namespace
}  // namespace ktune::algorithms

KTUNE_EXPORT_ALGORITHM(ktune::algorithms::GridAlgorithm, "grid")

// A complete, minimal ktune algorithm plugin: the example of algorithms/README.md.
//
// Algorithm "example-minimal": the first suggestion is the centre of the search space, every
// later one a uniform random point, seeded by the setting random_state. It uses only the C ABI
// (algorithms/ktune_algorithm.h), its C++ wrapper (algorithms/plugin.h) and api.proto generated
// for the protobuf lite runtime, so it builds outside ktune's tree too (see README.md and the
// CMakeLists.txt next to this file). It does not avoid repeated points: ktune's own plugins
// do (algorithms/assignment_history.h).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/plugin.h"
#include "api/api.pb.h"

namespace example {

namespace api = ::api::v1::beta1;
using ktune::algorithms::Algorithm;
using ktune::algorithms::Host;

// u in [0, 1] -> a value of the parameter, as text (Katib's assignments are strings).
std::string ValueAt(const api::ParameterSpec& p, double u) {
  const api::FeasibleSpace& space = p.feasible_space();
  if (p.parameter_type() == api::CATEGORICAL || p.parameter_type() == api::DISCRETE) {
    const int n = space.list_size();
    return space.list(std::min(static_cast<int>(u * n), n - 1));
  }
  const double min = std::strtod(space.min().c_str(), nullptr);
  const double max = std::strtod(space.max().c_str(), nullptr);
  const double x = min + u * (max - min);
  if (p.parameter_type() == api::INT) return std::to_string(std::llround(x));
  return std::to_string(x);
}

class MinimalInstance final : public Algorithm::Instance {
 public:
  MinimalInstance(const api::Experiment& experiment, uint64_t seed)
      : parameters_(experiment.spec().parameter_specs()), rng_(seed) {}

  // Called with the whole history first, then with the trials that are new or changed; this
  // algorithm ignores results, so it only counts what it handed out.
  absl::StatusOr<api::GetSuggestionsReply> GetSuggestions(const api::GetSuggestionsRequest& request,
                                                          const Host& host) override {
    api::GetSuggestionsReply reply;
    for (int i = 0; i < request.current_request_number(); ++i) {
      if (absl::Status s = host.Check(); !s.ok()) return s;  // cancelled or past the deadline
      api::GetSuggestionsReply::ParameterAssignments* point = reply.add_parameter_assignments();
      for (const api::ParameterSpec& p : parameters_.parameters()) {
        const double u = suggested_ == 0 ? 0.5 : std::uniform_real_distribution<>(0, 1)(rng_);
        api::ParameterAssignment* a = point->add_assignments();
        a->set_name(p.name());
        a->set_value(ValueAt(p, u));
      }
      ++suggested_;
    }
    host.Log(Host::LogLevel::kDebug,
             "suggested " + std::to_string(reply.parameter_assignments_size()));
    return reply;
  }

 private:
  const api::ExperimentSpec::ParameterSpecs parameters_;
  std::mt19937_64 rng_;
  int64_t suggested_ = 0;
};

class MinimalAlgorithm final : public Algorithm {
 public:
  absl::Status ValidateSettings(const api::Experiment& experiment) const override {
    return Seed(experiment).status();
  }

  absl::StatusOr<std::unique_ptr<Instance>> Create(const api::Experiment& experiment,
                                                   const Host& /*host*/) const override {
    absl::StatusOr<uint64_t> seed = Seed(experiment);
    if (!seed.ok()) return seed.status();
    return std::make_unique<MinimalInstance>(experiment, *seed);
  }

 private:
  // random_state (default 0); any other setting is refused, in Katib's words.
  static absl::StatusOr<uint64_t> Seed(const api::Experiment& experiment) {
    uint64_t seed = 0;
    for (const api::AlgorithmSetting& s : experiment.spec().algorithm().algorithm_settings()) {
      if (s.name() != "random_state") {
        return absl::InvalidArgumentError("unknown setting " + s.name() +
                                          " for algorithm example-minimal");
      }
      char* end = nullptr;
      const long long value = std::strtoll(s.value().c_str(), &end, 10);
      if (s.value().empty() || *end != '\0' || value < 0) {
        return absl::InvalidArgumentError("random_state should be great or equal than zero");
      }
      seed = static_cast<uint64_t>(value);
    }
    if (experiment.spec().parameter_specs().parameters_size() == 0) {
      return absl::InvalidArgumentError("the experiment has no parameters");
    }
    return seed;
  }
};

}  // namespace example

// The library's one exported symbol, ktune_algorithm_entry_v1, for the algorithm name
// users write in spec.algorithm.algorithmName.
KTUNE_EXPORT_ALGORITHM(example::MinimalAlgorithm, "example-minimal")

#include "algorithms/settings.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "algorithms/plugin.h"
#include "core/number.h"

namespace ktune::algorithms {
namespace {

// Debian's abseil has its own string_view type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::Status CheckSettingNames(const api::v1::beta1::Experiment& experiment,
                               std::string_view algorithm,
                               std::initializer_list<std::string_view> known) {
  for (const api::v1::beta1::AlgorithmSetting& setting :
       experiment.spec().algorithm().algorithm_settings()) {
    bool found = false;
    for (std::string_view name : known) found = found || setting.name() == name;
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown setting ", setting.name(), " for algorithm ", AV(algorithm)));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> FindSetting(const api::v1::beta1::Experiment& experiment,
                                       std::string_view name) {
  std::optional<std::string> value;
  for (const api::v1::beta1::AlgorithmSetting& setting :
       experiment.spec().algorithm().algorithm_settings()) {
    if (setting.name() == name) value = setting.value();
  }
  return value;
}

absl::StatusOr<int64_t> ParseNonNegativeIntSetting(std::string_view name, std::string_view value) {
  // core/number.h's integer grammar; surrounding blanks are tolerated, as Python's int()
  // (Katib's services) does.
  const absl::string_view trimmed = absl::StripAsciiWhitespace(AV(value));
  std::optional<int64_t> number =
      core::ParseInteger(std::string_view(trimmed.data(), trimmed.size()));
  if (!number) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to validate ", AV(name), "(", AV(value), "): not an integer"));
  }
  const int64_t parsed = *number;
  if (parsed < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(name), " should be great or equal than zero"));
  }
  return parsed;
}

absl::StatusOr<std::optional<uint64_t>> ParseRandomState(
    const api::v1::beta1::Experiment& experiment) {
  std::optional<std::string> value = FindSetting(experiment, "random_state");
  if (!value) return std::optional<uint64_t>();
  absl::StatusOr<int64_t> parsed = ParseNonNegativeIntSetting("random_state", *value);
  if (!parsed.ok()) return parsed.status();
  return std::optional<uint64_t>(static_cast<uint64_t>(*parsed));
}

absl::StatusOr<std::pair<SearchSpace, std::optional<uint64_t>>> ParseSpaceAndRandomState(
    const api::v1::beta1::Experiment& experiment, std::string_view algorithm) {
  if (absl::Status s = CheckSettingNames(experiment, algorithm, {"random_state"}); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::optional<uint64_t>> random_state = ParseRandomState(experiment);
  if (!random_state.ok()) return random_state.status();
  absl::StatusOr<SearchSpace> space = SearchSpace::FromProto(experiment);
  if (!space.ok()) return space.status();
  return std::make_pair(*std::move(space), *random_state);
}

SeedChoice ChooseSeed(std::optional<uint64_t> random_state) {
  SeedChoice choice;
  if (random_state) {
    choice.seed = *random_state;
  } else {
    std::random_device device;
    choice.seed = (uint64_t{device()} << 32) ^ device();
    choice.drawn = true;
  }
  return choice;
}

void LogDrawnSeed(const Host& host, uint64_t seed) {
  host.Log(Host::LogLevel::kInfo,
           absl::StrCat("random_state is not set; drew seed ", seed,
                        " (set random_state to it to repeat this sequence)"));
}

uint64_t SeedForInstance(std::optional<uint64_t> random_state, const Host& host) {
  const SeedChoice choice = ChooseSeed(random_state);
  if (choice.drawn) LogDrawnSeed(host, choice.seed);
  return choice.seed;
}

}  // namespace ktune::algorithms

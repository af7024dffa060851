#include "algorithms/search_space.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/number.h"

namespace ktune::algorithms {
namespace {

using api::v1::beta1::ParameterAssignment;
using google::protobuf::RepeatedPtrField;

// Integers beyond this lose precision as doubles; int parameters stay inside it.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
// Stepped doubles print with at most this many decimals, otherwise in the shortest form.
constexpr int kMaxDecimals = 15;

// Debian's abseil has its own string_view type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// A finite number by core/number.h, the parser `ktune validate` uses, so a feasible space that
// validates is one the plugins accept (REVIEW 1.9). Surrounding ASCII blanks are tolerated here
// (as Python's float() does for Katib's services); validation rejects them first anyway.
std::optional<double> ParseNumber(std::string_view text) {
  return core::ParseFiniteNumber(Trim(text));
}

bool IsInteger(double value) {
  return std::nearbyint(value) == value && std::fabs(value) <= kMaxExactInteger;
}

uint64_t SaturatingMultiply(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

std::string StripTrailingZeros(std::string text) {
  if (text.find_first_of("eE") == std::string::npos && text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

}  // namespace

const char* ParameterKindName(ParameterKind kind) {
  switch (kind) {
    case ParameterKind::kDouble:
      return "double";
    case ParameterKind::kInt:
      return "int";
    case ParameterKind::kDiscrete:
      return "discrete";
    case ParameterKind::kCategorical:
      return "categorical";
  }
  return "unknown";
}

const char* DistributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kLogUniform:
      return "logUniform";
    case Distribution::kNormal:
      return "normal";
    case Distribution::kLogNormal:
      return "logNormal";
  }
  return "unknown";
}

std::string FormatShortest(double value) {
  std::array<char, 64> buffer;
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return absl::StrCat(value);
  std::string text(buffer.data(), end);
  if (text == "-0") text = "0";
  return text;
}

std::string FormatFixed(double value, int decimals) {
  if (decimals < 0) return FormatShortest(value);
  std::array<char, 512> buffer;
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                 std::chars_format::fixed, decimals);
  if (ec != std::errc()) return FormatShortest(value);
  return StripTrailingZeros(std::string(buffer.data(), end));
}

int DecimalPlaces(std::string_view number) {
  number = Trim(number);
  std::string_view mantissa = number;
  int exponent = 0;
  if (size_t e = number.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = number.substr(0, e);
    std::string_view exponent_text = number.substr(e + 1);
    if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
    auto [end, ec] = std::from_chars(exponent_text.data(),
                                     exponent_text.data() + exponent_text.size(), exponent);
    if (ec != std::errc() || end != exponent_text.data() + exponent_text.size()) exponent = 0;
  }
  int fraction_digits = 0;
  if (size_t dot = mantissa.find('.'); dot != std::string_view::npos) {
    fraction_digits = static_cast<int>(mantissa.size() - dot - 1);
  }
  return std::clamp(fraction_digits - exponent, 0, 400);
}

absl::StatusOr<Parameter> Parameter::FromProto(const api::v1::beta1::ParameterSpec& spec) {
  Parameter p;
  p.name_ = spec.name();
  auto error = [&](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("parameter \"", spec.name(), "\": ", parts...));
  };

  switch (spec.parameter_type()) {
    case api::v1::beta1::DOUBLE:
      p.kind_ = ParameterKind::kDouble;
      break;
    case api::v1::beta1::INT:
      p.kind_ = ParameterKind::kInt;
      break;
    case api::v1::beta1::DISCRETE:
      p.kind_ = ParameterKind::kDiscrete;
      break;
    case api::v1::beta1::CATEGORICAL:
      p.kind_ = ParameterKind::kCategorical;
      break;
    default:
      return error("parameterType must be double, int, discrete or categorical");
  }
  const api::v1::beta1::FeasibleSpace& space = spec.feasible_space();
  switch (space.distribution()) {
    case api::v1::beta1::DISTRIBUTION_UNSPECIFIED:
    case api::v1::beta1::UNIFORM:
      p.distribution_ = Distribution::kUniform;
      break;
    case api::v1::beta1::LOG_UNIFORM:
      p.distribution_ = Distribution::kLogUniform;
      break;
    case api::v1::beta1::NORMAL:
      p.distribution_ = Distribution::kNormal;
      break;
    case api::v1::beta1::LOG_NORMAL:
      p.distribution_ = Distribution::kLogNormal;
      break;
    default:
      return error("distribution must be uniform, logUniform, normal or logNormal");
  }

  if (p.kind_ == ParameterKind::kDiscrete || p.kind_ == ParameterKind::kCategorical) {
    if (space.list().empty()) return error("list is empty");
    std::set<std::string_view> seen;
    for (const std::string& value : space.list()) {
      if (p.kind_ == ParameterKind::kDiscrete && !ParseNumber(value)) {
        return error("list value \"", value, "\" is not a number");
      }
      if (seen.insert(value).second) p.list_.push_back(value);
    }
    p.size_ = p.list_.size();
    p.InitUnitScale();
    return p;
  }

  const bool is_int = p.kind_ == ParameterKind::kInt;
  auto parse_bound = [&](const char* what, const std::string& text, double& out) -> absl::Status {
    if (text.empty()) return error(what, " is missing");
    std::optional<double> value = ParseNumber(text);
    if (!value) return error(what, " \"", text, "\" is not a number");
    if (is_int && !IsInteger(*value)) return error(what, " \"", text, "\" is not an integer");
    out = *value;
    return absl::OkStatus();
  };
  if (absl::Status s = parse_bound("min", space.min(), p.min_); !s.ok()) return s;
  if (absl::Status s = parse_bound("max", space.max(), p.max_); !s.ok()) return s;
  if (p.min_ > p.max_) {
    return error("min \"", space.min(), "\" is greater than max \"", space.max(), "\"");
  }
  if (!space.step().empty()) {
    std::optional<double> step = ParseNumber(space.step());
    if (!step) return error("step \"", space.step(), "\" is not a number");
    if (*step <= 0) return error("step \"", space.step(), "\" must be positive");
    if (is_int && !IsInteger(*step)) {
      return error("step \"", space.step(), "\" is not an integer");
    }
    p.step_ = *step;
  } else if (is_int) {
    p.step_ = 1;
  }
  if ((p.distribution_ == Distribution::kLogUniform ||
       p.distribution_ == Distribution::kLogNormal) &&
      p.min_ <= 0) {
    return error("distribution ", DistributionName(p.distribution_), " needs min > 0, got min \"",
                 space.min(), "\"");
  }

  if (is_int) {
    p.int_min_ = static_cast<int64_t>(p.min_);
    p.int_step_ = static_cast<int64_t>(p.step_);
    p.size_ = static_cast<uint64_t>((static_cast<int64_t>(p.max_) - p.int_min_) / p.int_step_) + 1;
  } else if (p.step_ > 0) {
    const int decimals = std::max(DecimalPlaces(space.min()), DecimalPlaces(space.step()));
    p.decimals_ = decimals <= kMaxDecimals ? decimals : -1;
    // np.arange(min, max + step, step) trimmed to <= max, with the count computed so that
    // rounding in (max - min) / step does not drop the last point.
    const double ratio = (p.max_ - p.min_) / p.step_;
    if (ratio >= 1e18) {
      p.size_ = std::numeric_limits<uint64_t>::max();
    } else {
      p.size_ = static_cast<uint64_t>(std::floor(ratio + 1e-9 * std::max(1.0, ratio))) + 1;
    }
  } else if (p.min_ == p.max_) {
    p.size_ = 1;
  }
  p.InitUnitScale();
  return p;
}

double Parameter::Transform(double x) const {
  return log_scale() && kind_ != ParameterKind::kDiscrete ? std::log(x) : x;
}

void Parameter::InitUnitScale() {
  if (kind_ == ParameterKind::kCategorical) return;
  if (kind_ == ParameterKind::kDiscrete) {
    const size_t m = list_.size();
    sorted_index_.resize(m);
    for (size_t i = 0; i < m; ++i) sorted_index_[i] = i;
    std::vector<double> numbers(m);
    for (size_t i = 0; i < m; ++i) numbers[i] = ParseNumber(list_[i]).value_or(0);
    std::stable_sort(sorted_index_.begin(), sorted_index_.end(),
                     [&](uint64_t a, uint64_t b) { return numbers[a] < numbers[b]; });
    sorted_value_.resize(m);
    for (size_t i = 0; i < m; ++i) sorted_value_[i] = numbers[sorted_index_[i]];
    if (m >= 2) {
      unit_lo_ = sorted_value_[0] - (sorted_value_[1] - sorted_value_[0]) / 2;
      unit_hi_ = sorted_value_[m - 1] + (sorted_value_[m - 1] - sorted_value_[m - 2]) / 2;
    } else {
      unit_lo_ = unit_hi_ = sorted_value_[0];
    }
    sorted_unit_.resize(m);
    unit_of_list_.resize(m);
    for (size_t i = 0; i < m; ++i) {
      sorted_unit_[i] =
          unit_hi_ > unit_lo_ ? (sorted_value_[i] - unit_lo_) / (unit_hi_ - unit_lo_) : 0.5;
      unit_of_list_[sorted_index_[i]] = sorted_unit_[i];
    }
    return;
  }
  double lower = min_, upper = max_;
  if (has_step() && size_ > 1 && size_ < std::numeric_limits<uint64_t>::max()) {
    const double last = std::min(min_ + static_cast<double>(size_ - 1) * step_, max_);
    lower = min_ - step_ / 2;
    upper = last + step_ / 2;
    if (log_scale() && lower <= 0) lower = min_;
  }
  unit_lo_ = Transform(lower);
  unit_hi_ = Transform(upper);
}

double Parameter::UntransformUnit(double u) const {
  const double t = unit_lo_ + u * (unit_hi_ - unit_lo_);
  return log_scale() ? std::exp(t) : t;
}

namespace {
double ClampUnit(double u) { return std::isnan(u) ? 0.5 : std::clamp(u, 0.0, 1.0); }
}  // namespace

uint64_t Parameter::IndexAtUnit(double u) const {
  u = ClampUnit(u);
  switch (kind_) {
    case ParameterKind::kCategorical:
      return std::min<uint64_t>(static_cast<uint64_t>(u * static_cast<double>(size_)), size_ - 1);
    case ParameterKind::kDiscrete: {
      // The first sorted value whose cell (up to the midpoint with the next) holds u.
      size_t i = 0;
      while (i + 1 < sorted_unit_.size() && u > (sorted_unit_[i] + sorted_unit_[i + 1]) / 2) ++i;
      return sorted_index_[i];
    }
    case ParameterKind::kInt:
    case ParameterKind::kDouble:
      break;
  }
  if (!finite() || size_ == 1) return 0;
  const double x = UntransformUnit(u);
  const double k = std::nearbyint((x - min_) / step_);
  return static_cast<uint64_t>(std::clamp(k, 0.0, static_cast<double>(size_ - 1)));
}

double Parameter::UnitOfIndex(uint64_t index) const {
  switch (kind_) {
    case ParameterKind::kCategorical:
      return (static_cast<double>(index) + 0.5) / static_cast<double>(size_);
    case ParameterKind::kDiscrete:
      return unit_of_list_[index];
    case ParameterKind::kInt:
    case ParameterKind::kDouble:
      break;
  }
  if (unit_hi_ <= unit_lo_) return 0.5;
  double x = min_;
  if (has_step()) x = std::min(min_ + static_cast<double>(index) * step_, max_);
  return std::clamp((Transform(x) - unit_lo_) / (unit_hi_ - unit_lo_), 0.0, 1.0);
}

std::string Parameter::FromUnit(double u) const {
  u = ClampUnit(u);
  if (kind_ == ParameterKind::kDouble && !has_step()) {
    if (unit_hi_ <= unit_lo_) return Format(min_);
    return Format(std::clamp(UntransformUnit(u), min_, max_));
  }
  return ValueAt(IndexAtUnit(u));
}

double Parameter::SnapUnit(double u) const {
  u = ClampUnit(u);
  if (kind_ == ParameterKind::kDouble && !has_step()) return unit_hi_ > unit_lo_ ? u : 0.5;
  return UnitOfIndex(IndexAtUnit(u));
}

std::optional<double> Parameter::ToUnit(std::string_view value) const {
  if (kind_ == ParameterKind::kCategorical) {
    for (size_t k = 0; k < list_.size(); ++k) {
      if (list_[k] == value) return UnitOfIndex(k);
    }
    return std::nullopt;
  }
  std::optional<double> number = ParseNumber(value);
  if (!number) return std::nullopt;
  if (kind_ == ParameterKind::kDiscrete) {
    for (size_t i = 0; i < sorted_value_.size(); ++i) {
      if (sorted_value_[i] == *number) return sorted_unit_[i];
    }
    return std::nullopt;
  }
  if (!(*number >= min_ && *number <= max_)) return std::nullopt;
  if (!finite() || size_ == 1) {
    if (unit_hi_ <= unit_lo_) return 0.5;
    return std::clamp((Transform(*number) - unit_lo_) / (unit_hi_ - unit_lo_), 0.0, 1.0);
  }
  if (size_ == std::numeric_limits<uint64_t>::max()) {
    return std::clamp((Transform(*number) - unit_lo_) / (unit_hi_ - unit_lo_), 0.0, 1.0);
  }
  const double k = std::nearbyint((*number - min_) / step_);
  if (!(k >= 0 && k < static_cast<double>(size_))) return std::nullopt;
  const uint64_t index = static_cast<uint64_t>(k);
  // On the grid up to rounding in the text: "0.30000000000000004" is 0.3, "0.35" is no point.
  const double point = std::min(min_ + k * step_, max_);
  if (std::fabs(*number - point) > 1e-9 * std::max(step_, std::fabs(point))) return std::nullopt;
  return UnitOfIndex(index);
}

std::string Parameter::Format(double value) const {
  switch (kind_) {
    case ParameterKind::kInt:
      return absl::StrCat(static_cast<int64_t>(std::llround(value)));
    case ParameterKind::kDouble:
      return FormatFixed(value, decimals_);
    case ParameterKind::kDiscrete:
    case ParameterKind::kCategorical:
      break;
  }
  return FormatShortest(value);
}

std::string Parameter::ValueAt(uint64_t index) const {
  switch (kind_) {
    case ParameterKind::kDiscrete:
    case ParameterKind::kCategorical:
      return list_[index];
    case ParameterKind::kInt:
      return absl::StrCat(int_min_ + static_cast<int64_t>(index) * int_step_);
    case ParameterKind::kDouble:
      break;
  }
  if (step_ <= 0) return Format(min_);
  return Format(std::min(min_ + static_cast<double>(index) * step_, max_));
}

std::string Parameter::Sample(Rng& rng) const {
  if (kind_ == ParameterKind::kDiscrete || kind_ == ParameterKind::kCategorical) {
    return list_[rng.UniformInt(list_.size())];
  }
  if (has_step() && distribution_ == Distribution::kUniform) {
    return ValueAt(rng.UniformInt(size_));
  }
  double x = min_;
  if (min_ < max_) {
    switch (distribution_) {
      case Distribution::kUniform:
        x = min_ + rng.Uniform01() * (max_ - min_);
        break;
      case Distribution::kLogUniform: {
        const double lo = std::log(min_), hi = std::log(max_);
        x = std::exp(lo + rng.Uniform01() * (hi - lo));
        break;
      }
      case Distribution::kNormal:
        x = (min_ + max_) / 2 + (max_ - min_) / 6 * rng.Normal();
        break;
      case Distribution::kLogNormal: {
        const double lo = std::log(min_), hi = std::log(max_);
        x = std::exp((lo + hi) / 2 + (hi - lo) / 6 * rng.Normal());
        break;
      }
    }
    x = std::clamp(x, min_, max_);
  }
  if (!has_step()) return Format(x);
  const double k = std::nearbyint((x - min_) / step_);
  const double last = static_cast<double>(size_ - 1);
  return ValueAt(static_cast<uint64_t>(std::clamp(k, 0.0, last)));
}

std::string Parameter::Canonical(std::string_view value) const {
  if (kind_ == ParameterKind::kCategorical) return std::string(value);
  std::optional<double> number = ParseNumber(value);
  if (!number) return std::string(value);
  if (kind_ == ParameterKind::kInt) {
    return IsInteger(*number) ? absl::StrCat(static_cast<int64_t>(*number))
                              : FormatShortest(*number);
  }
  return Format(*number);
}

absl::StatusOr<SearchSpace> SearchSpace::FromProto(const api::v1::beta1::Experiment& experiment) {
  return FromParameters(experiment.spec().parameter_specs().parameters());
}

absl::StatusOr<SearchSpace> SearchSpace::FromParameters(
    const RepeatedPtrField<api::v1::beta1::ParameterSpec>& parameters) {
  if (parameters.empty()) return absl::InvalidArgumentError("the search space has no parameters");
  SearchSpace space;
  std::set<std::string_view> names;
  uint64_t size = 1;
  for (int i = 0; i < parameters.size(); ++i) {
    const api::v1::beta1::ParameterSpec& spec = parameters[i];
    if (spec.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter #", i + 1, " has no name"));
    }
    if (!names.insert(spec.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter \"", spec.name(), "\" is defined more than once"));
    }
    absl::StatusOr<Parameter> parameter = Parameter::FromProto(spec);
    if (!parameter.ok()) return parameter.status();
    size = SaturatingMultiply(size, parameter->size());
    space.parameters_.push_back(*std::move(parameter));
  }
  space.size_ = size;
  return space;
}

const Parameter* SearchSpace::Find(std::string_view name) const {
  for (const Parameter& p : parameters_) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

void SearchSpace::GridPoint(uint64_t index, RepeatedPtrField<ParameterAssignment>* out) const {
  std::vector<uint64_t> digits(parameters_.size());
  for (size_t j = parameters_.size(); j-- > 0;) {
    digits[j] = index % parameters_[j].size();
    index /= parameters_[j].size();
  }
  out->Clear();
  for (size_t j = 0; j < parameters_.size(); ++j) {
    ParameterAssignment* a = out->Add();
    a->set_name(parameters_[j].name());
    a->set_value(parameters_[j].ValueAt(digits[j]));
  }
}

void SearchSpace::Sample(Rng& rng, RepeatedPtrField<ParameterAssignment>* out) const {
  out->Clear();
  for (const Parameter& p : parameters_) {
    ParameterAssignment* a = out->Add();
    a->set_name(p.name());
    a->set_value(p.Sample(rng));
  }
}

namespace {

std::string KeyOf(std::vector<std::pair<std::string_view, std::string>>& pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string key;
  for (const auto& [name, value] : pairs) {
    absl::StrAppend(&key, name.size(), ":", AV(name), "=", value.size(), ":", value, ";");
  }
  return key;
}

}  // namespace

std::string SearchSpace::CanonicalKey(
    const RepeatedPtrField<ParameterAssignment>& assignments) const {
  std::vector<std::pair<std::string_view, std::string>> pairs;
  pairs.reserve(assignments.size());
  for (const ParameterAssignment& a : assignments) {
    const Parameter* p = Find(a.name());
    pairs.emplace_back(a.name(), p != nullptr ? p->Canonical(a.value()) : a.value());
  }
  return KeyOf(pairs);
}

std::string CanonicalKey(const RepeatedPtrField<ParameterAssignment>& assignments) {
  std::vector<std::pair<std::string_view, std::string>> pairs;
  pairs.reserve(assignments.size());
  for (const ParameterAssignment& a : assignments) pairs.emplace_back(a.name(), a.value());
  return KeyOf(pairs);
}

}  // namespace ktune::algorithms

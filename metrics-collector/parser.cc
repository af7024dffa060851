#include "metrics-collector/parser.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "core/defaults.h"
#include "core/number.h"
#include "metrics-collector/internal/line_splitter.h"
#include "metrics-collector/internal/time_cache.h"

namespace ktune::metrics {
namespace {

// Katib's JSON key for a line's timestamp.
constexpr char kTimestampKey[] = "timestamp";
// Longest part of a third-party error message quoted in a Status.
constexpr size_t kMaxErrorDetail = 200;

// Debian's abseil has its own absl::string_view, distinct from std::string_view, so the
// std::string_view helpers below stand in for absl's.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A TEXT capture that can be a metric value: a number or nan/inf word by core/number.h, or
// text with a digit in it (a structured value such as DARTS' genotype).
bool CanBeMetricValue(std::string_view value) {
  if (core::ParseNumber(value).kind != core::NumberKind::kInvalid) return true;
  return std::any_of(value.begin(), value.end(), IsDigit);
}

absl::StatusOr<std::vector<std::string>> CheckMetricNames(std::vector<std::string> names) {
  if (names.empty()) return absl::InvalidArgumentError("no metric names to collect");
  std::vector<std::string> unique;
  unique.reserve(names.size());
  for (auto& name : names) {
    if (name.empty()) return absl::InvalidArgumentError("empty metric name");
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  return unique;
}

// Byte length of the UTF-8 sequence at s[pos], 1 for an invalid one (as Go's
// utf8.DecodeRuneInString does), so that FindAll steps over empty matches rune by rune.
size_t RuneWidth(std::string_view s, size_t pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  size_t width = 1;
  if ((lead & 0xE0) == 0xC0) {
    width = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    width = 3;
  } else if ((lead & 0xF8) == 0xF0) {
    width = 4;
  }
  if (pos + width > s.size()) return 1;
  for (size_t i = 1; i < width; ++i) {
    if ((static_cast<unsigned char>(s[pos + i]) & 0xC0) != 0x80) return 1;
  }
  return width;
}

// Seconds since the Unix epoch as written in JSON (`1638422847.28721`, `-3`, `1.6e9`).
// Plain decimals are read exactly and truncated to microseconds. Katib instead takes the
// fraction digits as an integer number of nanoseconds, so that `1638422847.28721` becomes
// 05:27:27.000028721Z; ktune reads it as .287210.
std::optional<core::Timestamp> FromEpochSeconds(std::string_view text) {
  // Years 0001 to 9999, the range RFC3339 can write.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  int64_t micros = 0;
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  const size_t dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
  const bool plain = !whole.empty() && whole.size() <= 12 &&
                     std::all_of(whole.begin(), whole.end(), IsDigit) &&
                     std::all_of(fraction.begin(), fraction.end(), IsDigit);
  if (plain) {
    int64_t seconds = 0;
    for (char c : whole) seconds = seconds * 10 + (c - '0');
    int64_t fraction_micros = 0;
    for (size_t i = 0; i < 6; ++i) {
      fraction_micros = fraction_micros * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    micros = seconds * 1000000 + fraction_micros;
    if (negative) micros = -micros;
  } else {
    double seconds = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds < static_cast<double>(kMinSeconds) || seconds > static_cast<double>(kMaxSeconds)) {
      return std::nullopt;
    }
    micros = std::llround(seconds * 1e6);
  }
  if (micros < kMinSeconds * 1000000 || micros > kMaxSeconds * 1000000 + 999999) {
    return std::nullopt;
  }
  return core::Timestamp(std::chrono::microseconds(micros));
}

// nlohmann SAX handler that checks a line is one JSON object and keeps only the top-level
// members the parser wants: the requested metrics and `timestamp`. Nothing else is built.
class TopLevelMembers {
 public:
  enum class Kind { kString, kNumber, kOther };
  struct Member {
    Kind kind;
    std::string text;
  };

  explicit TopLevelMembers(const std::vector<std::string>& metric_names)
      : metric_names_(metric_names), metrics_(metric_names.size()) {}

  std::vector<std::optional<Member>>& metrics() { return metrics_; }
  const std::optional<Member>& timestamp() const { return timestamp_; }
  const std::string& error() const { return error_; }

  // The SAX interface (nlohmann::json_sax).
  bool null() { return Value(Kind::kOther, {}); }
  bool boolean(bool) { return Value(Kind::kOther, {}); }
  bool number_integer(nlohmann::json::number_integer_t v) {
    return Value(Kind::kNumber, std::to_string(v));
  }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) {
    return Value(Kind::kNumber, std::to_string(v));
  }
  // `raw` is the number as written, which is what ktune stores.
  bool number_float(nlohmann::json::number_float_t, const std::string& raw) {
    return Value(Kind::kNumber, raw);
  }
  bool string(std::string& v) { return Value(Kind::kString, std::move(v)); }
  bool binary(nlohmann::json::binary_t&) { return Value(Kind::kOther, {}); }
  bool start_object(size_t) { return Open(); }
  bool end_object() { return Close(); }
  bool start_array(size_t) {
    if (depth_ == 0) return NotAnObject();
    return Open();
  }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    if (depth_ == 1) {
      auto it = std::find(metric_names_.begin(), metric_names_.end(), k);
      metric_index_ = it == metric_names_.end() ? -1 : it - metric_names_.begin();
      is_timestamp_ = k == kTimestampKey;
    }
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::json::exception& e) {
    error_ = e.what();
    return false;
  }

 private:
  bool Open() {
    if (depth_ == 1) Value(Kind::kOther, {});
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  bool Value(Kind kind, std::string text) {
    if (depth_ == 0) return NotAnObject();
    if (depth_ != 1) return true;
    if (is_timestamp_) timestamp_ = Member{kind, text};
    // A repeated member replaces the earlier one, as in Go's encoding/json.
    if (metric_index_ >= 0) metrics_[metric_index_] = Member{kind, std::move(text)};
    return true;
  }
  bool NotAnObject() {
    error_ = "not a JSON object";
    return false;
  }

  const std::vector<std::string>& metric_names_;
  std::vector<std::optional<Member>> metrics_;  // parallel to metric_names_
  std::optional<Member> timestamp_;
  int depth_ = 0;
  ptrdiff_t metric_index_ = -1;  // the member whose value comes next, at depth 1
  bool is_timestamp_ = false;
  std::string error_;
};

class TextMetricsParser final : public MetricsParser {
 public:
  static absl::StatusOr<std::unique_ptr<TextMetricsParser>> Create(
      std::vector<std::string> metric_names, const std::vector<std::string>& filters,
      ParserOptions options);

  absl::Status Feed(std::string_view chunk, core::Timestamp now,
                    std::vector<core::MetricLog>& out) override;
  absl::Status Finish(core::Timestamp now, std::vector<core::MetricLog>& out) override;
  uint64_t dropped_lines() const override { return lines_.dropped_lines(); }
  uint64_t rejected_values() const override { return rejected_values_; }
  uint64_t bad_lines() const override { return 0; }

 private:
  TextMetricsParser(std::vector<std::string> metric_names,
                    std::vector<std::unique_ptr<re2::RE2>> filters, ParserOptions options);
  void ParseLine(std::string_view line, core::Timestamp now, std::vector<core::MetricLog>& out);

  const std::vector<std::string> metric_names_;
  const std::vector<std::unique_ptr<re2::RE2>> filters_;
  internal::LineSplitter lines_;
  internal::TimeCache time_cache_;
  uint64_t rejected_values_ = 0;
};

class JsonMetricsParser final : public MetricsParser {
 public:
  static absl::StatusOr<std::unique_ptr<JsonMetricsParser>> Create(
      std::vector<std::string> metric_names, ParserOptions options);

  absl::Status Feed(std::string_view chunk, core::Timestamp now,
                    std::vector<core::MetricLog>& out) override;
  absl::Status Finish(core::Timestamp now, std::vector<core::MetricLog>& out) override;
  uint64_t dropped_lines() const override { return lines_.dropped_lines(); }
  uint64_t rejected_values() const override { return rejected_values_; }
  uint64_t bad_lines() const override { return bad_lines_; }

 private:
  JsonMetricsParser(std::vector<std::string> metric_names, ParserOptions options);
  absl::Status ParseLine(std::string_view line, uint64_t line_number, core::Timestamp now,
                         std::vector<core::MetricLog>& out);

  const std::vector<std::string> metric_names_;
  internal::LineSplitter lines_;
  internal::TimeCache time_cache_;
  uint64_t bad_lines_ = 0;
  uint64_t rejected_values_ = 0;
};

// ---- TextMetricsParser -----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<TextMetricsParser>> TextMetricsParser::Create(
    std::vector<std::string> metric_names, const std::vector<std::string>& filters,
    ParserOptions options) {
  auto names = CheckMetricNames(std::move(metric_names));
  if (!names.ok()) return names.status();
  std::vector<std::string> patterns = filters;
  if (patterns.empty()) patterns.emplace_back(core::kDefaultMetricsFilter);
  RE2::Options re_options;
  re_options.set_log_errors(false);
  std::vector<std::unique_ptr<re2::RE2>> compiled;
  for (const auto& pattern : patterns) {
    auto re = std::make_unique<re2::RE2>(pattern, re_options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics filter \"", pattern, "\" does not compile: ", re->error()));
    }
    if (re->NumberOfCapturingGroups() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics filter \"", pattern, "\" has ", re->NumberOfCapturingGroups(),
          " capture groups; it needs at least 2 (group 1 the name, group 2 the value)"));
    }
    compiled.push_back(std::move(re));
  }
  return std::unique_ptr<TextMetricsParser>(
      new TextMetricsParser(*std::move(names), std::move(compiled), options));
}

TextMetricsParser::TextMetricsParser(std::vector<std::string> metric_names,
                                     std::vector<std::unique_ptr<re2::RE2>> filters,
                                     ParserOptions options)
    : metric_names_(std::move(metric_names)),
      filters_(std::move(filters)),
      lines_(options.max_line_bytes) {}

absl::Status TextMetricsParser::Feed(std::string_view chunk, core::Timestamp now,
                                     std::vector<core::MetricLog>& out) {
  lines_.Feed(chunk, [&](std::string_view line, uint64_t) { ParseLine(line, now, out); });
  return absl::OkStatus();
}

absl::Status TextMetricsParser::Finish(core::Timestamp now, std::vector<core::MetricLog>& out) {
  lines_.Finish([&](std::string_view line, uint64_t) { ParseLine(line, now, out); });
  return absl::OkStatus();
}

void TextMetricsParser::ParseLine(std::string_view line, core::Timestamp now,
                                  std::vector<core::MetricLog>& out) {
  // Cheap substring test first: most output lines carry no metric.
  const bool relevant = std::any_of(
      metric_names_.begin(), metric_names_.end(),
      [&](const std::string& name) { return line.find(name) != std::string_view::npos; });
  if (!relevant) return;

  const std::string* time_stamp = nullptr;  // found on the first kept match
  auto line_time_stamp = [&]() -> const std::string& {
    if (time_stamp == nullptr) {
      std::optional<core::Timestamp> parsed;
      if (size_t space = line.find(' '); space != std::string_view::npos) {
        parsed = core::ParseRfc3339(line.substr(0, space));
      }
      time_stamp = &time_cache_.Format(parsed.value_or(now));
    }
    return *time_stamp;
  };

  const re2::StringPiece text(line.data(), line.size());
  re2::StringPiece groups[3];
  for (const auto& filter : filters_) {
    // Go's FindAllStringSubmatch: successive non-overlapping matches; an empty match right
    // after the previous match is skipped and the scan then moves on by one rune.
    size_t pos = 0;
    size_t prev_end = std::string_view::npos;
    while (pos <= line.size() &&
           filter->Match(text, pos, line.size(), RE2::UNANCHORED, groups, 3)) {
      const size_t start = static_cast<size_t>(groups[0].data() - line.data());
      const size_t end = start + groups[0].size();
      bool accept = true;
      if (end == pos) {
        accept = start != prev_end;
        pos += pos < line.size() ? RuneWidth(line, pos) : 1;
      } else {
        pos = end;
      }
      prev_end = end;
      if (!accept) continue;

      const std::string_view name = TrimAscii(std::string_view(groups[1].data(), groups[1].size()));
      const std::string_view value =
          TrimAscii(std::string_view(groups[2].data(), groups[2].size()));
      if (std::find(metric_names_.begin(), metric_names_.end(), name) == metric_names_.end()) {
        continue;
      }
      if (!CanBeMetricValue(value)) {
        ++rejected_values_;
        continue;
      }
      out.push_back(core::MetricLog{line_time_stamp(), std::string(name), std::string(value)});
    }
  }
}

// ---- JsonMetricsParser -----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<JsonMetricsParser>> JsonMetricsParser::Create(
    std::vector<std::string> metric_names, ParserOptions options) {
  auto names = CheckMetricNames(std::move(metric_names));
  if (!names.ok()) return names.status();
  return std::unique_ptr<JsonMetricsParser>(new JsonMetricsParser(*std::move(names), options));
}

JsonMetricsParser::JsonMetricsParser(std::vector<std::string> metric_names, ParserOptions options)
    : metric_names_(std::move(metric_names)), lines_(options.max_line_bytes) {}

absl::Status JsonMetricsParser::Feed(std::string_view chunk, core::Timestamp now,
                                     std::vector<core::MetricLog>& out) {
  absl::Status first_error;
  uint64_t more_errors = 0;
  auto on_line = [&](std::string_view line, uint64_t line_number) {
    absl::Status status = ParseLine(line, line_number, now, out);
    if (status.ok()) return;
    ++bad_lines_;
    if (first_error.ok()) {
      first_error = std::move(status);
    } else {
      ++more_errors;
    }
  };
  lines_.Feed(chunk, on_line);
  if (more_errors == 0) return first_error;
  return absl::InvalidArgumentError(
      absl::StrCat(first_error.message(), " (and ", more_errors, " more bad lines in this chunk)"));
}

absl::Status JsonMetricsParser::Finish(core::Timestamp now, std::vector<core::MetricLog>& out) {
  absl::Status result;
  lines_.Finish([&](std::string_view line, uint64_t line_number) {
    result = ParseLine(line, line_number, now, out);
    if (!result.ok()) ++bad_lines_;
  });
  return result;
}

absl::Status JsonMetricsParser::ParseLine(std::string_view line, uint64_t line_number,
                                          core::Timestamp now, std::vector<core::MetricLog>& out) {
  // Katib skips only empty lines; whitespace-only lines are skipped too rather than failing.
  if (TrimAscii(line).empty()) return absl::OkStatus();

  TopLevelMembers members(metric_names_);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(line.begin(), line.end(), &members);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_number,
        ": failed to parse the json object: ", std::string(e.what()).substr(0, kMaxErrorDetail)));
  }
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_number,
        ": failed to parse the json object: ", members.error().substr(0, kMaxErrorDetail)));
  }

  std::optional<core::Timestamp> time;
  if (const auto& ts = members.timestamp(); ts.has_value()) {
    if (ts->kind == TopLevelMembers::Kind::kString) {
      time = core::ParseRfc3339(ts->text);
    } else if (ts->kind == TopLevelMembers::Kind::kNumber) {
      time = FromEpochSeconds(ts->text);
    }
  }
  const std::string* time_stamp = nullptr;
  for (size_t i = 0; i < metric_names_.size(); ++i) {
    auto& member = members.metrics()[i];
    if (!member.has_value()) continue;
    if (member->kind == TopLevelMembers::Kind::kOther || member->text.empty()) {
      ++rejected_values_;
      continue;
    }
    if (time_stamp == nullptr) time_stamp = &time_cache_.Format(time.value_or(now));
    out.push_back(core::MetricLog{*time_stamp, metric_names_[i], std::move(member->text)});
  }
  return absl::OkStatus();
}

}  // namespace

// ---- factory and "unavailable" -----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<MetricsParser>> NewMetricsParser(
    MetricsFormat format, std::vector<std::string> metric_names,
    const std::vector<std::string>& filters, ParserOptions options) {
  if (format == MetricsFormat::kJson) {
    auto parser = JsonMetricsParser::Create(std::move(metric_names), options);
    if (!parser.ok()) return parser.status();
    return std::unique_ptr<MetricsParser>(*std::move(parser));
  }
  auto parser = TextMetricsParser::Create(std::move(metric_names), filters, options);
  if (!parser.ok()) return parser.status();
  return std::unique_ptr<MetricsParser>(*std::move(parser));
}

core::MetricLog UnavailableLog(std::string_view objective_metric) {
  return core::MetricLog{core::kZeroTime, std::string(objective_metric), core::kUnavailable};
}

}  // namespace ktune::metrics

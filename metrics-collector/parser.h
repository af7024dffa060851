#pragma once
// Streaming parsers for a trial's metrics output, in Katib's TEXT and JSON formats
// (KATIB.md §6.2, §6.3), and Katib's "unavailable" log (§6.4).
//
// Katib parses the whole metrics file once the training process has exited; ktune parses the
// output while the trial runs. Bytes arrive in arbitrary chunks: a line may be split across
// chunks, a "\r\n" ending is accepted, and a last line without a newline is parsed by Finish.
// The result equals Katib's for the same input except where noted as a ktune difference
// below.
//
// Thread safety: a parser holds the state of one stream and is not thread-safe; use one per
// stream (instances are independent). The free functions are thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/experiment.h"
#include "core/time_util.h"

namespace ktune::metrics {

struct ParserOptions {
  // A line longer than this (bytes before its '\n') is dropped and counted in
  // dropped_lines(), so that output without newlines cannot grow memory without bound.
  size_t max_line_bytes = size_t{1} << 20;
};

// Katib's `fileSystemPath.format` values.
enum class MetricsFormat { kText, kJson };

// One metrics stream. Every MetricLog appended to `out` has time_stamp formatted by
// core::FormatRfc3339Micros (UTC, microseconds), the requested metric name and the value as
// text. Created by NewMetricsParser.
//
// kText, Katib's TEXT format (§6.2). For each line:
//  - the line is considered only if it contains one of the metric names as a substring;
//  - if the text before the first space parses as RFC3339, it is the timestamp; otherwise
//    the timestamp is `now` (ktune difference: Katib uses its zero time
//    0001-01-01T00:00:00Z, which loses the ordering of live metrics);
//  - for each filter in order, every non-overlapping match left to right (Go's FindAll)
//    gives name = group 1 and value = group 2, both with ASCII whitespace trimmed; a match
//    is kept if the name equals one of the metric names and the value can be a metric value:
//    a number or a non-finite word by core/number.h (`0.5`, `-1e-3`, `nan`, `-inf`), or any
//    text with an ASCII digit in it (kept verbatim, e.g. DARTS' `Genotype(...)`). A value
//    with no digit that is not such a word (`-`, an empty one, `abc`) is dropped and counted
//    in rejected_values() (ktune difference: Katib stores it, e.g. the empty value and the `-`
//    that its default filter matches in `loss=nan` and `loss=-nan`, and then ranks that
//    non-float value as the best trial). Feed never fails.
//
// kJson, Katib's JSON format (§6.3): one JSON object per line; blank lines are skipped. For
// each metric name, in the order given, a top-level member with that name gives a log when its
// value is a JSON string (taken verbatim, as Katib does) or a JSON number (ktune difference:
// Katib ignores numbers; ktune takes the number's text as written in the line). Other value
// types and empty strings are ignored (Katib stores "") and counted in rejected_values().
// Strings are otherwise stored verbatim, `"nan"` included: the status rules (core/conditions.h)
// never take a non-finite or non-numeric value as min, max or best. The `timestamp` member is
// an RFC3339 string or a number of seconds since the Unix epoch with a fraction (read exactly,
// to the microsecond); when it is missing or invalid the timestamp is `now` (ktune difference:
// Katib uses its zero time). Smaller differences: whitespace-only lines are skipped (Katib
// fails on them), and invalid UTF-8 makes a line invalid (Go's decoder substitutes U+FFFD).
// Feed returns InvalidArgument naming the first line of the chunk that is not a JSON object,
// with its 1-based line number and the number of further bad lines in the chunk (Katib fails
// the whole collection there; the caller decides).
class MetricsParser {
 public:
  virtual ~MetricsParser() = default;

  // Parses the lines completed by `chunk` and appends their metrics to `out` in line order.
  // `now` is the time the chunk was read; it is the timestamp of metrics whose line carries
  // none (a line split across chunks takes the `now` of the chunk that completes it).
  // Errors: only kJson returns one (see above). Every line of the chunk is parsed even then,
  // so the caller may report the error and keep feeding.
  [[nodiscard]] virtual absl::Status Feed(std::string_view chunk, core::Timestamp now,
                                          std::vector<core::MetricLog>& out) = 0;
  // Parses a last line that has no newline. Feed may not be called afterwards.
  [[nodiscard]] virtual absl::Status Finish(core::Timestamp now,
                                            std::vector<core::MetricLog>& out) = 0;

  // Lines dropped for exceeding ParserOptions::max_line_bytes.
  virtual uint64_t dropped_lines() const = 0;
  // Values of requested metrics that were found but not stored, because they cannot be a
  // metric value (see each format), over the whole stream.
  virtual uint64_t rejected_values() const = 0;
  // kJson: lines that were not a JSON object, over the whole stream; kText: 0.
  virtual uint64_t bad_lines() const = 0;
};

// A parser for `format`. `metric_names` are the metrics to collect (duplicates are ignored);
// `filters` apply to kText only (Katib ignores them for JSON): RE2 patterns (Go regexp
// syntax), each with at least 2 capture groups; empty means Katib's default filter
// (core::kDefaultMetricsFilter).
// Errors: InvalidArgument for no metric names, an empty metric name, or a filter that does
// not compile or has fewer than 2 capture groups (the message names the filter).
absl::StatusOr<std::unique_ptr<MetricsParser>> NewMetricsParser(
    MetricsFormat format, std::vector<std::string> metric_names,
    const std::vector<std::string>& filters, ParserOptions options = {});

// Katib's "unavailable" log (§6.4): {core::kZeroTime, objective_metric, core::kUnavailable},
// what a collector reports when the objective metric never appeared in a run that succeeded
// (MetricsCollector applies the rule; see collector.h).
core::MetricLog UnavailableLog(std::string_view objective_metric);

}  // namespace ktune::metrics

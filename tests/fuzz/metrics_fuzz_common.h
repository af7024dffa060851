#pragma once
// Shared by the metrics parser fuzzers: the input is split into chunks at points chosen by its
// first bytes, fed to a parser, and finished; the result must not depend on the split.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/experiment.h"
#include "core/time_util.h"
#include "metrics-collector/parser.h"

namespace ktune::fuzz {

// Metric names the seeds use; the Katib default filter finds `name=value` pairs.
inline std::vector<std::string> FuzzMetricNames() {
  return {"loss", "accuracy", "Validation-accuracy"};
}

// Feeds `chunks` to a new parser of `format` and returns every log, or nullopt when the parser
// could not be created.
inline std::vector<core::MetricLog> ParseAll(metrics::MetricsFormat format,
                                             const std::vector<std::string_view>& chunks) {
  absl::StatusOr<std::unique_ptr<metrics::MetricsParser>> parser =
      metrics::NewMetricsParser(format, FuzzMetricNames(), {});
  if (!parser.ok()) __builtin_trap();
  const core::Timestamp now{std::chrono::microseconds(1700000000000000)};
  std::vector<core::MetricLog> logs;
  for (std::string_view chunk : chunks) (void)(*parser)->Feed(chunk, now, logs);
  (void)(*parser)->Finish(now, logs);
  return logs;
}

inline int FuzzParser(metrics::MetricsFormat format, const uint8_t* data, size_t size) {
  // Byte 0: how many split points (0-7); the next bytes: their positions.
  if (size == 0) return 0;
  const size_t splits = data[0] % 8;
  if (size < 1 + splits) return 0;
  std::vector<size_t> points;
  for (size_t i = 0; i < splits; ++i) points.push_back(data[1 + i]);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1 + splits, size - 1 - splits);

  std::vector<std::string_view> chunks;
  size_t begin = 0;
  for (size_t step : points) {
    const size_t end = std::min(text.size(), begin + step);
    chunks.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  chunks.push_back(text.substr(begin));

  const std::vector<core::MetricLog> split = ParseAll(format, chunks);
  const std::vector<core::MetricLog> whole = ParseAll(format, {text});
  if (split.size() != whole.size()) __builtin_trap();
  for (size_t i = 0; i < split.size(); ++i) {
    if (split[i].name != whole[i].name || split[i].value != whole[i].value ||
        split[i].time_stamp != whole[i].time_stamp) {
      __builtin_trap();
    }
  }
  return 0;
}

}  // namespace ktune::fuzz

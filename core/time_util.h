#pragma once
// Timestamps as Katib writes them: RFC3339 in UTC. Microsecond resolution, so that Katib's
// zero time (year 1) is representable.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ktune::core {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

inline Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}
// `2026-11-22T13:35:07Z` (second precision: Katib's status and gRPC trial times).
std::string FormatRfc3339(Timestamp t);
// `2026-11-22T13:35:07.123456Z` (microseconds: observation log times).
std::string FormatRfc3339Micros(Timestamp t);
inline std::string NowRfc3339() { return FormatRfc3339(Now()); }
// Accepts RFC3339 / RFC3339Nano with `Z` or a numeric offset (fractions beyond microseconds
// are truncated); nullopt when it does not parse.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

// Katib's zero time, used for metrics reported without a timestamp.
inline constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

}  // namespace ktune::core

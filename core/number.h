#pragma once
// The one number parser of ktune: feasible spaces (validation and plugins), metric values
// (status rules, collectors) and settings all read numbers through it, so what `ktune validate`
// calls a number is exactly what a plugin and the status rules accept.
//
// Grammar (the decimal subset both Go's strconv.ParseFloat and Python's float() accept, which
// is what Katib's services use): an optional sign, digits with an optional fraction, an
// optional exponent: `1`, `-0.5`, `+3.`, `.5`, `1e-3`, `2E+10`. No blanks, no hex, no digit
// separators. The words `nan`, `inf` and `infinity` (any case, optional sign; also C's `-nan`)
// are recognised as non-finite so callers can tell a diverged value from garbage.
//
// Header-only with no dependencies, so algorithm plugins (which link protobuf-lite and not
// ktune_core) use the same code. Thread-safe: pure functions.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace ktune::core {

enum class NumberKind {
  kFinite,     // a finite double
  kNonFinite,  // nan / inf / a decimal that overflows a double
  kInvalid,    // not a number at all
};

struct ParsedNumber {
  NumberKind kind = NumberKind::kInvalid;
  double value = 0;  // set for kFinite and kNonFinite
};

namespace number_internal {
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// True when `text` (sign already removed) is digits[.digits][(e|E)[sign]digits] with at least
// one mantissa digit.
inline bool IsDecimal(std::string_view text) {
  size_t i = 0, digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < text.size() && IsDigit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == text.size();
}
// The decimal exponent of the leading significant digit of a decimal accepted by IsDecimal
// (`123` -> 2, `0.05` -> -2, `5e-400` -> -400); 0 for a zero. Saturates far beyond double's
// range, so `1e99999999999999999999` does not overflow.
inline int64_t DecimalMagnitude(std::string_view text) {
  constexpr int64_t kSaturate = int64_t{1} << 40;
  const size_t e = text.find_first_of("eE");
  const std::string_view mantissa = text.substr(0, e);
  int64_t exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    const bool negative = !digits.empty() && digits.front() == '-';
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
      digits.remove_prefix(1);
    }
    for (char c : digits) exponent = exponent < kSaturate ? exponent * 10 + (c - '0') : exponent;
    if (negative) exponent = -exponent;
  }
  const size_t dot = mantissa.find('.');
  const int64_t integer_digits =
      static_cast<int64_t>(dot == std::string_view::npos ? mantissa.size() : dot);
  int64_t position = 0;  // index of a digit among all mantissa digits
  for (char c : mantissa) {
    if (c == '.') continue;
    if (c != '0') return integer_digits - 1 - position + exponent;
    ++position;
  }
  return 0;
}
}  // namespace number_internal

inline ParsedNumber ParseNumber(std::string_view text) {
  ParsedNumber out;
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  using number_internal::EqualsIgnoreCase;
  if (EqualsIgnoreCase(body, "nan")) {
    out.kind = NumberKind::kNonFinite;
    out.value = std::nan("");
    return out;
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    out.kind = NumberKind::kNonFinite;
    out.value = negative ? -HUGE_VAL : HUGE_VAL;
    return out;
  }
  if (!number_internal::IsDecimal(body)) return out;
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports both overflow and underflow; an underflow is a finite zero.
    const bool tiny = number_internal::DecimalMagnitude(body) < 0;
    out.kind = tiny ? NumberKind::kFinite : NumberKind::kNonFinite;
    out.value = tiny ? (negative ? -0.0 : 0.0) : (negative ? -HUGE_VAL : HUGE_VAL);
    return out;
  }
  if (ec != std::errc() || end != body.data() + body.size()) return out;
  out.kind = std::isfinite(value) ? NumberKind::kFinite : NumberKind::kNonFinite;
  out.value = negative ? -value : value;
  return out;
}

// The value when `text` is a finite number, else nullopt.
inline std::optional<double> ParseFiniteNumber(std::string_view text) {
  ParsedNumber n = ParseNumber(text);
  if (n.kind != NumberKind::kFinite) return std::nullopt;
  return n.value;
}

// A base-10 integer with an optional sign that fits in int64 (`3`, `-2`, `+7`), else nullopt.
inline std::optional<int64_t> ParseInteger(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!number_internal::IsDigit(c)) return std::nullopt;
  }
  // Parse the magnitude as unsigned so INT64_MIN round-trips.
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (!negative && magnitude > kMaxPositive) return std::nullopt;
  if (negative && magnitude > kMaxPositive + 1) return std::nullopt;
  if (negative) return magnitude == kMaxPositive + 1 ? INT64_MIN : -static_cast<int64_t>(magnitude);
  return static_cast<int64_t>(magnitude);
}

}  // namespace ktune::core

#include "core/json_access.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ktune::core {
namespace {

using nlohmann::json;

// Counts container depth during a SAX scan and stops the scan when it passes the limit.
class DepthLimitSax : public nlohmann::json_sax<json> {
 public:
  DepthLimitSax(int max_depth, int64_t max_values)
      : max_depth_(max_depth), max_values_(max_values) {}

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_ = absl::StrCat("invalid JSON at byte ", position, ": ", ex.what());
    return false;
  }

  bool too_deep() const { return too_deep_; }
  bool too_many() const { return too_many_; }
  const std::string& error() const { return error_; }

 private:
  bool Value() {
    if (max_values_ > 0 && ++values_ > max_values_) {
      too_many_ = true;
      return false;
    }
    return true;
  }
  bool Enter() {
    if (!Value()) return false;
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  const int max_depth_;
  const int64_t max_values_;
  int depth_ = 0;
  int64_t values_ = 0;
  bool too_deep_ = false;
  bool too_many_ = false;
  std::string error_;
};

// The 1-based position of the `[` or `{` that opens a container deeper than `max_depth`
// (nlohmann counts the position of a syntax error the same way), counting
// as DepthLimitSax does (strings and their escapes skipped), or npos. Only called once the SAX
// scan has stopped for depth, so the text up to that point is well-formed JSON.
size_t TooDeepOffset(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

const char* JsonTypeName(const json& node) {
  switch (node.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    case json::value_t::null:
      return "null";
    default:
      return "value";
  }
}

bool HasJsonType(const json& node, JsonType type) {
  switch (type) {
    case JsonType::kAny:
      return true;
    case JsonType::kObject:
      return node.is_object();
    case JsonType::kArray:
      return node.is_array();
    case JsonType::kString:
      return node.is_string();
    case JsonType::kNumber:
      return node.is_number();
    case JsonType::kBool:
      return node.is_boolean();
    case JsonType::kNull:
      return node.is_null();
  }
  return false;
}

const json* FieldOf(const json& object, std::string_view key, JsonType type) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  if (it == object.end() || !HasJsonType(*it, type)) return nullptr;
  return &*it;
}

json* MutableFieldOf(json& object, std::string_view key, JsonType type) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  if (it == object.end() || !HasJsonType(*it, type)) return nullptr;
  return &*it;
}

const json* PathOf(const json& root, std::initializer_list<std::string_view> path, JsonType type) {
  const json* node = &root;
  for (std::string_view key : path) {
    node = FieldOf(*node, key);
    if (!node) return nullptr;
  }
  return HasJsonType(*node, type) ? node : nullptr;
}

std::optional<std::string> StringFieldOf(const json& object, std::string_view key) {
  const json* v = FieldOf(object, key, JsonType::kString);
  if (!v) return std::nullopt;
  return v->get_ref<const std::string&>();
}

std::string StringFieldOr(const json& object, std::string_view key, std::string fallback) {
  const json* v = FieldOf(object, key, JsonType::kString);
  return v ? v->get_ref<const std::string&>() : std::move(fallback);
}

std::optional<bool> BoolFieldOf(const json& object, std::string_view key) {
  const json* v = FieldOf(object, key, JsonType::kBool);
  if (!v) return std::nullopt;
  return v->get_ref<const bool&>();
}

std::optional<int64_t> IntFieldOf(const json& object, std::string_view key) {
  const json* v = FieldOf(object, key, JsonType::kNumber);
  if (!v) return std::nullopt;
  // Unsigned first: nlohmann's is_number_integer() is true for unsigned values too.
  if (v->is_number_unsigned()) {
    auto u = v->get_ref<const json::number_unsigned_t&>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v->is_number_integer()) return v->get_ref<const json::number_integer_t&>();
  double d = v->get_ref<const json::number_float_t&>();
  if (d != d || d < -9.2e18 || d > 9.2e18 || static_cast<double>(static_cast<int64_t>(d)) != d) {
    return std::nullopt;
  }
  return static_cast<int64_t>(d);
}

absl::StatusOr<json> ParseJsonBounded(std::string_view text, int max_depth, int64_t max_values) {
  DepthLimitSax sax(max_depth, max_values);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                                  /*strict=*/true);
  if (!ok) {
    if (sax.too_deep()) {
      std::string message = absl::StrCat("JSON nested deeper than ", max_depth, " levels");
      if (size_t at = TooDeepOffset(text, max_depth); at != std::string_view::npos) {
        absl::StrAppend(&message, " at byte ", at);
      }
      return absl::InvalidArgumentError(message);
    }
    if (sax.too_many()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("JSON with more than ", max_values, " values"));
    }
    return absl::InvalidArgumentError(sax.error().empty() ? "invalid JSON" : sax.error());
  }
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
  return parsed;
}

int JsonDepth(const json& node) {
  int max_depth = 0;
  std::vector<std::pair<const json*, int>> stack{{&node, 0}};
  while (!stack.empty()) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    if (!n->is_structured()) continue;
    max_depth = std::max(max_depth, depth + 1);
    for (const json& child : *n) stack.emplace_back(&child, depth + 1);
  }
  return max_depth;
}

}  // namespace ktune::core

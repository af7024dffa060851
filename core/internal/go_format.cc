#include "core/internal/go_format.h"

#include "core/go_quote.h"

#include <re2/re2.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ktune::core {

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace ktune::core

namespace ktune::core::internal {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using re2::RE2;

// Go's encoding/json escapes <, > and & in strings; they can only occur inside strings.
std::string GoHtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string GoQuote(const std::string& s) { return core::GoQuote(s); }

// json.Marshal of an unstructured value (maps have sorted keys, as nlohmann::json's do).
std::string GoJson(const json& v) {
  return GoHtmlEscape(v.dump(-1, ' ', false, json::error_handler_t::replace));
}
std::string GoJson(const ordered_json& v) {
  return GoHtmlEscape(v.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
}
std::string GoJsonString(const std::string& s) { return GoJson(json(s)); }

// Cuts `text` to about `limit` bytes at a UTF-8 boundary and appends a marker naming how much
// was left out.
std::string CutQuote(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  const size_t omitted = text.size() - cut;
  text.resize(cut);
  absl::StrAppend(&text, "... (", omitted, " more bytes)");
  return text;
}

// Go's %v of a decoded JSON value (string, float64, bool, nil, []interface{}, map), written
// with an explicit stack (no recursion on user depth) and stopped once `limit` bytes are out.
std::string GoValue(const json& root, size_t limit) {
  std::string out;
  struct Frame {
    const json* node;
    json::const_iterator it;
    bool first = true;
  };
  std::vector<Frame> stack;
  auto scalar = [&](const json& v) {
    switch (v.type()) {
      case json::value_t::string:
        out += v.get_ref<const std::string&>();
        break;
      case json::value_t::null:
        out += "<nil>";
        break;
      case json::value_t::boolean:
        out += v.get<bool>() ? "true" : "false";
        break;
      default:
        out += v.dump();
        break;
    }
  };
  auto open = [&](const json& v) {
    if (v.is_array()) {
      out += "[";
      stack.push_back({&v, v.cbegin()});
    } else if (v.is_object()) {
      out += "map[";
      stack.push_back({&v, v.cbegin()});
    } else {
      scalar(v);
    }
  };
  open(root);
  while (!stack.empty() && out.size() <= limit) {
    Frame& f = stack.back();
    if (f.it == f.node->cend()) {
      out += "]";
      stack.pop_back();
      continue;
    }
    if (!f.first) out += " ";
    f.first = false;
    const json::const_iterator item = f.it++;
    if (f.node->is_object()) absl::StrAppend(&out, item.key(), ":");
    open(*item);
  }
  if (!stack.empty() || out.size() > limit) return CutQuote(std::move(out), limit);
  return out;
}

// Go's %v of a []string.
std::string GoList(const std::vector<std::string>& list) {
  return absl::StrCat("[", absl::StrJoin(list, " "), "]");
}

// Go's %v of []TrialParameterSpec{Name, Description, Reference}; stops (and is cut) past
// kMaxQuote, so its cost does not grow with the list.
std::string GoTrialParameters(const std::vector<TrialParameterSpec>& params) {
  std::string out = "[";
  for (size_t i = 0; i < params.size() && out.size() <= 2 * kMaxQuote; ++i) {
    const TrialParameterSpec& p = params[i];
    absl::StrAppend(&out, i ? " " : "", "{", p.name, " ", p.description, " ", p.reference, "}");
  }
  return CutQuote(out + "]");
}

// Go's %v of []ParameterSpec{Name, ParameterType, FeasibleSpace{Max, Min, List, Step,
// Distribution}}, bounded as GoTrialParameters.
std::string GoParameters(const std::vector<ParameterSpec>& params) {
  std::string out = "[";
  for (size_t i = 0; i < params.size() && out.size() <= 2 * kMaxQuote; ++i) {
    const ParameterSpec& p = params[i];
    const FeasibleSpace& fs = p.feasible_space;
    absl::StrAppend(&out, i ? " " : "", "{", p.name, " ", p.parameter_type, " {", fs.max, " ",
                    fs.min, " ", CutQuote(GoList(fs.list)), " ", fs.step, " ", fs.distribution,
                    "}}");
  }
  return CutQuote(out + "]");
}

// json.Marshal(FeasibleSpace): declaration order, omitempty.
std::string GoFeasibleSpaceJson(const FeasibleSpace& fs) {
  ordered_json j = ordered_json::object();
  if (!fs.max.empty()) j["max"] = fs.max;
  if (!fs.min.empty()) j["min"] = fs.min;
  if (!fs.list.empty()) j["list"] = fs.list;
  if (!fs.step.empty()) j["step"] = fs.step;
  if (!fs.distribution.empty()) j["distribution"] = fs.distribution;
  return GoJson(j);
}

// Go's regexp error text (`error parsing regexp: <code>: `<arg>``) from RE2's error code.
std::string GoRegexpError(const RE2& re) {
  const char* code = "regexp/syntax: internal error";
  switch (re.error_code()) {
    case RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case RE2::ErrorUnexpectedParen:
      code = "unexpected )";
      break;
    case RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case RE2::ErrorBadPerlOp:
      code = "invalid or unsupported Perl syntax";
      break;
    case RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    case RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    case RE2::ErrorPatternTooLarge:
      code = "expression too large";
      break;
    default:
      break;
  }
  return absl::StrCat("error parsing regexp: ", code, ": `", re.error_arg(), "`");
}

}  // namespace ktune::core::internal

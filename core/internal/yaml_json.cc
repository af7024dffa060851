#include "core/internal/yaml_json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ktune::core::internal {
namespace {

using nlohmann::json;

// The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or nullopt. Kubernetes' YAML
// decoder rejects such input, and every later JSON dump of it would fail.
std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

// The position of the first bracket that opens the most deeply nested flow collection (`[` or
// `{` outside quoted scalars and comments), when flow collections nest at least half
// kYamlMaxDepth deep; otherwise nullopt. For flow collections nested too deeply yaml-cpp
// reports where its scanner had read to (the end of the collection or line 1, column 1);
// this finds where the nesting is.
std::optional<YAML::Mark> DeepestFlowBracket(std::string_view text) {
  int depth = 0, deepest = 0;
  YAML::Mark here, at;
  char quote = 0;
  bool comment = false;
  char previous = '\n';
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (comment) {
      comment = c != '\n';
    } else if (quote == '"') {
      if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
        ++i;
        ++here.column;
      } else if (c == '"') {
        quote = 0;
      }
    } else if (quote == '\'') {
      if (c == '\'') quote = 0;  // '' (an escaped quote) closes and reopens
    } else {
      const bool token_start = previous == ' ' || previous == '\t' || previous == '\n' ||
                               previous == '[' || previous == '{' || previous == ',' ||
                               previous == ':';
      if (c == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
        comment = true;
      } else if ((c == '"' || c == '\'') && token_start) {
        quote = c;
      } else if (c == '[' || c == '{') {
        if (++depth > deepest) {
          deepest = depth;
          at = here;
        }
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
    }
    previous = c;
    if (c == '\n') {
      ++here.line;
      here.column = 0;
    } else {
      ++here.column;
    }
  }
  if (deepest < kYamlMaxDepth / 2) return std::nullopt;
  return at;
}

json TypedScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return text;  // quoted or explicitly tagged: a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  // Integers (decimal, optional sign), then floats.
  {
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(begin, &end, 10);
    if (end != begin && *end == '\0' && errno == 0 &&
        text.find_first_of("xX") == std::string::npos) {
      return v;
    }
  }
  {
    bool numeric_chars = text.find_first_not_of("0123456789+-.eE") == std::string::npos &&
                         text.find_first_of("0123456789") != std::string::npos;
    if (numeric_chars) {
      const char* begin = text.c_str();
      char* end = nullptr;
      double v = std::strtod(begin, &end);
      if (end != begin && *end == '\0' && std::isfinite(v)) return v;
    }
  }
  if (text == ".inf" || text == ".Inf" || text == "+.inf")
    return std::numeric_limits<double>::infinity();
  if (text == "-.inf" || text == "-.Inf") return -std::numeric_limits<double>::infinity();
  return text;
}

// Bounds on the JSON a YAML document turns into. Aliases are expanded, so a document can
// refer to itself (`a: &a {b: *a}`, a cycle) or double its size with every alias level (a
// "billion laughs"); depth and size are counted over the expansion.
struct YamlBudget {
  int64_t values = 0;
};

absl::Status AtMark(const YAML::Mark& mark, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ", what));
}

// yaml-cpp can decode a value of a valid UTF-8 document into invalid UTF-8 (escapes, control
// characters); such text would make every later JSON dump fail.
absl::Status CheckDecodedText(const std::string& text, const YAML::Mark& mark) {
  if (!FirstInvalidUtf8(text)) return absl::OkStatus();
  return AtMark(mark,
                "this value does not decode to valid UTF-8 (check it for control characters and "
                "escapes)");
}

absl::Status Convert(const YAML::Node& node, YamlBudget& budget, int depth, json& out) {
  if (++budget.values > kYamlMaxValues) {
    return AtMark(node.Mark(), absl::StrCat("the document expands to more than ", kYamlMaxValues,
                                            " values (aliases repeating large parts?)"));
  }
  if (depth > kYamlMaxDepth) {
    return AtMark(node.Mark(), absl::StrCat("nested deeper than ", kYamlMaxDepth,
                                            " levels (an alias that refers to itself?)"));
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return absl::OkStatus();
    case YAML::NodeType::Scalar:
      if (absl::Status st = CheckDecodedText(node.Scalar(), node.Mark()); !st.ok()) return st;
      out = TypedScalar(node);
      return absl::OkStatus();
    case YAML::NodeType::Sequence: {
      out = json::array();
      for (const auto& item : node) {
        json value;
        if (absl::Status st = Convert(item, budget, depth + 1, value); !st.ok()) return st;
        out.push_back(std::move(value));
      }
      return absl::OkStatus();
    }
    case YAML::NodeType::Map: {
      out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar())
          return AtMark(kv.first.Mark(), "a mapping key must be a plain value");
        if (absl::Status st = CheckDecodedText(kv.first.Scalar(), kv.first.Mark()); !st.ok()) {
          return st;
        }
        json value;
        if (absl::Status st = Convert(kv.second, budget, depth + 1, value); !st.ok()) return st;
        out[kv.first.Scalar()] = std::move(value);
      }
      return absl::OkStatus();
    }
  }
  out = nullptr;
  return absl::OkStatus();
}

void EmitYaml(YAML::Emitter& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key << it.key() << YAML::Value;
        EmitYaml(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : v) EmitYaml(out, item);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      // Quote strings that would otherwise read back as another type.
      YAML::Node probe;
      bool ambiguous = false;
      try {
        probe = YAML::Load(s);
        ambiguous = !probe.IsScalar() || probe.Scalar() != s || !TypedScalar(probe).is_string();
      } catch (const YAML::Exception&) {
        ambiguous = true;
      }
      if (ambiguous || s.empty()) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      break;
    case json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << v.dump();
      break;
  }
}

// Sees only where each document starts. yaml-cpp 0.7's LoadAll never returns on a stray
// flow indicator at document level (a lone `,`): the parser reports the same empty document
// at the same position forever. A pass with this handler finds that before LoadAll runs.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = seen_ && mark.pos == last_.pos;
    seen_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  bool stuck() const { return stuck_; }
  const YAML::Mark& last() const { return last_; }

 private:
  bool seen_ = false;
  bool stuck_ = false;
  YAML::Mark last_;
};

}  // namespace

absl::StatusOr<nlohmann::json> YamlToJson(std::string_view text) {
  if (std::optional<size_t> bad = FirstInvalidUtf8(text)) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < *bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ", column ", column, ": invalid UTF-8 (byte 0x",
                     absl::Hex(static_cast<unsigned char>(text[*bad]), absl::kZeroPad2),
                     "); save the file as UTF-8"));
  }
  try {
    {
      std::stringstream in{std::string(text)};
      YAML::Parser parser(in);
      DocumentStarts starts;
      while (parser.HandleNextDocument(starts)) {
        if (starts.stuck()) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", starts.last().line + 1, ", column ", starts.last().column + 1,
                           ": unexpected flow indicator (e.g. a stray ',' outside a list "
                           "or map)"));
        }
      }
    }
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    std::vector<YAML::Node> non_empty;
    for (auto& d : docs) {
      if (!d.IsNull()) non_empty.push_back(d);
    }
    if (non_empty.empty()) return absl::InvalidArgumentError("the document is empty");
    if (non_empty.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the file holds ", non_empty.size(), " YAML documents; put one Experiment per file"));
    }
    json out;
    YamlBudget budget;
    if (absl::Status st = Convert(non_empty.front(), budget, 1, out); !st.ok()) return st;
    return out;
  } catch (const YAML::DeepRecursion& e) {
    // Block nesting: yaml-cpp's mark is on the line where the limit is passed.
    const YAML::Mark mark = DeepestFlowBracket(text).value_or(e.mark);
    return absl::InvalidArgumentError(absl::StrCat("line ", mark.line + 1, ", column ",
                                                   mark.column + 1, ": nested deeper than ",
                                                   kYamlMaxDepth, " levels"));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

std::string JsonToYaml(const nlohmann::json& value) {
  YAML::Emitter out;
  EmitYaml(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace ktune::core::internal

// core/json_access.h: non-throwing access to user JSON (REVIEW 1.2) and the bounded parse
// (REVIEW §2), plus the lint that keeps nlohmann's throwing accessors off user data.
#include "core/json_access.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ktune::core {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const json kDoc = json::parse(R"({
  "s": "text", "i": 7, "u": 18446744073709551615, "f": 2.0, "g": 2.5, "b": true, "n": null,
  "o": {"p": {"q": "deep"}}, "a": [1, 2]
})");

TEST(JsonAccessTest, FieldOfChecksReceiverKeyAndType) {
  EXPECT_EQ(FieldOf(kDoc, "s"), &kDoc["s"]);
  EXPECT_EQ(FieldOf(kDoc, "s", JsonType::kString), &kDoc["s"]);
  EXPECT_EQ(FieldOf(kDoc, "s", JsonType::kNumber), nullptr);
  EXPECT_EQ(FieldOf(kDoc, "missing"), nullptr);
  EXPECT_NE(FieldOf(kDoc, "n", JsonType::kNull), nullptr);
  EXPECT_NE(FieldOf(kDoc, "a", JsonType::kArray), nullptr);
  EXPECT_NE(FieldOf(kDoc, "o", JsonType::kObject), nullptr);
  EXPECT_NE(FieldOf(kDoc, "b", JsonType::kBool), nullptr);
  // Receivers that are not objects: never a throw, never an assertion.
  for (const json& receiver :
       {json("oops"), json(5), json::array({1}), json(nullptr), json(true)}) {
    EXPECT_EQ(FieldOf(receiver, "s"), nullptr) << receiver.dump();
    EXPECT_EQ(StringFieldOf(receiver, "s"), std::nullopt);
    EXPECT_EQ(StringFieldOr(receiver, "s", "fallback"), "fallback");
    EXPECT_EQ(IntFieldOf(receiver, "i"), std::nullopt);
    EXPECT_EQ(BoolFieldOf(receiver, "b"), std::nullopt);
    EXPECT_EQ(PathOf(receiver, {"o", "p"}), nullptr);
  }
  json mutable_doc = kDoc;
  json* s = MutableFieldOf(mutable_doc, "s", JsonType::kString);
  ASSERT_NE(s, nullptr);
  *s = "changed";
  EXPECT_EQ(mutable_doc["s"], "changed");
  EXPECT_EQ(MutableFieldOf(mutable_doc, "s", JsonType::kObject), nullptr);
  json scalar = 5;
  EXPECT_EQ(MutableFieldOf(scalar, "s"), nullptr);
}

TEST(JsonAccessTest, PathOfFollowsObjectsOnly) {
  ASSERT_NE(PathOf(kDoc, {"o", "p", "q"}, JsonType::kString), nullptr);
  EXPECT_EQ(*PathOf(kDoc, {"o", "p", "q"}), "deep");
  EXPECT_EQ(PathOf(kDoc, {"o", "p", "q"}, JsonType::kObject), nullptr);
  EXPECT_EQ(PathOf(kDoc, {"o", "x", "q"}), nullptr);
  EXPECT_EQ(PathOf(kDoc, {"s", "x"}), nullptr);  // through a string
  EXPECT_EQ(PathOf(kDoc, {"a", "0"}), nullptr);  // arrays are not indexed by key
  EXPECT_EQ(PathOf(kDoc, {}), &kDoc);
}

TEST(JsonAccessTest, TypedFields) {
  EXPECT_EQ(StringFieldOf(kDoc, "s"), "text");
  EXPECT_EQ(StringFieldOf(kDoc, "i"), std::nullopt);
  EXPECT_EQ(StringFieldOr(kDoc, "i", "x"), "x");
  EXPECT_EQ(StringFieldOr(kDoc, "missing"), "");
  EXPECT_EQ(BoolFieldOf(kDoc, "b"), true);
  EXPECT_EQ(BoolFieldOf(kDoc, "s"), std::nullopt);
  EXPECT_EQ(IntFieldOf(kDoc, "i"), 7);
  EXPECT_EQ(IntFieldOf(kDoc, "f"), 2);  // an integral float
  EXPECT_EQ(IntFieldOf(kDoc, "g"), std::nullopt);
  EXPECT_EQ(IntFieldOf(kDoc, "u"), std::nullopt);  // beyond int64
  EXPECT_EQ(IntFieldOf(kDoc, "s"), std::nullopt);
  EXPECT_EQ(IntFieldOf(json::parse(R"({"v": 9223372036854775807})"), "v"), INT64_MAX);
  EXPECT_EQ(IntFieldOf(json::parse(R"({"v": -9223372036854775808})"), "v"), INT64_MIN);
  EXPECT_EQ(IntFieldOf(json::parse(R"({"v": 1e300})"), "v"), std::nullopt);
  EXPECT_STREQ(JsonTypeName(kDoc["o"]), "object");
  EXPECT_STREQ(JsonTypeName(kDoc["a"]), "array");
  EXPECT_STREQ(JsonTypeName(kDoc["s"]), "string");
  EXPECT_STREQ(JsonTypeName(kDoc["u"]), "number");
  EXPECT_STREQ(JsonTypeName(kDoc["g"]), "number");
  EXPECT_STREQ(JsonTypeName(kDoc["b"]), "boolean");
  EXPECT_STREQ(JsonTypeName(kDoc["n"]), "null");
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonAccessTest, ParseJsonBoundedDepthLimit) {
  absl::StatusOr<json> ok = ParseJsonBounded(Nested(511));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(JsonDepth(*ok), 511);
  ok = ParseJsonBounded(Nested(512));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(JsonDepth(*ok), 512);
  absl::StatusOr<json> deep = ParseJsonBounded(Nested(513));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(deep.status().message()), "JSON nested deeper than 512 levels at byte 513");
  // Objects count too, and brackets inside strings do not.
  std::string objects = R"({"k": "[[[[{{{{", "v": )";
  for (int i = 0; i < 3; ++i) objects += R"({"a": )";
  objects += "1}}}}";
  EXPECT_TRUE(ParseJsonBounded(objects, 4).ok());
  absl::StatusOr<json> too_deep = ParseJsonBounded(objects, 3);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(
      std::string(too_deep.status().message()),
      "JSON nested deeper than 3 levels at byte " + std::to_string(objects.rfind(R"({"a": )") + 1));
  // A custom limit.
  EXPECT_TRUE(ParseJsonBounded(Nested(10), 10).ok());
  EXPECT_FALSE(ParseJsonBounded(Nested(11), 10).ok());
}

TEST(JsonAccessTest, HostileNestingCostsNoCrash) {
  // 100 000 levels: stopped at level 513 while scanning, no recursion, no DOM.
  absl::StatusOr<json> arrays = ParseJsonBounded(Nested(100000));
  ASSERT_FALSE(arrays.ok());
  EXPECT_THAT(arrays.status().message(), HasSubstr("nested deeper than 512 levels"));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  EXPECT_FALSE(ParseJsonBounded(objects).ok());  // unterminated as well as too deep
  // Unclosed, as a truncated request would be.
  EXPECT_FALSE(ParseJsonBounded(std::string(100000, '[')).ok());
  // JsonDepth of a deep DOM built by ktune: no recursion either.
  json built = json::array();
  json* inner = &built;
  for (int i = 1; i < 100000; ++i) inner = &inner->emplace_back(json::array());
  EXPECT_EQ(JsonDepth(built), 100000);
  EXPECT_EQ(JsonDepth(json(5)), 0);
  EXPECT_EQ(JsonDepth(json::object()), 1);
}

TEST(JsonAccessTest, AValueLimitRefusesLargeDocumentsBeforeBuildingThem) {
  std::string many = "[";
  for (int i = 0; i < 1000; ++i) many += i ? ",0" : "0";
  many += "]";
  absl::StatusOr<json> refused = ParseJsonBounded(many, kDefaultMaxJsonDepth, 1000);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(refused.status()));
  EXPECT_EQ(std::string(refused.status().message()), "JSON with more than 1000 values");
  absl::StatusOr<json> fits = ParseJsonBounded(many, kDefaultMaxJsonDepth, 1001);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->size(), 1000u);
  EXPECT_TRUE(ParseJsonBounded(many).ok());  // no limit by default
}

TEST(JsonAccessTest, SyntaxErrorsCarryTheByteOffset) {
  struct Case {
    const char* text;
    const char* offset;
  };
  for (const Case& c :
       {Case{"[1,]", "at byte 4"}, Case{R"({"a" 1})", "at byte 6"}, Case{"", "at byte 1"},
        Case{"[1] x", "at byte 5"}, Case{R"({"a": tru})", "at byte 10"}}) {
    absl::StatusOr<json> parsed = ParseJsonBounded(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("invalid JSON " + std::string(c.offset)))
        << c.text;
  }
  absl::StatusOr<json> fine = ParseJsonBounded(R"({"a": [1, {"b": null}], "c": "]"})");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ((*fine)["c"], "]");
}

// ---- the lint (REVIEW 1.2: "ban value() and operator[] on user data; a lint grep is enough") --
//
// Scans the product sources for nlohmann's throwing (or asserting) accessors:
//  - `x.value(…)` / `x->value(…)` with arguments: json::value(key, default) throws type_error
//    302/306 when the receiver is not an object or the member has another type. (`.value()`
//    without arguments, optional's and StatusOr's, and `.value_or(` are not matched.)
//  - `x.at(…)` / `x->at(…)`: throws out_of_range (json and standard containers alike).
//  - a string-key subscript `x["key"]` that is read, i.e. not directly assigned to
//    (`x["k"] = v`) and not appended to (`x["k"].push_back(`): on a const json a missing key
//    is an assertion, on a non-object a type_error.305; and any chain `x["a"]["b"]`, written
//    or not, since the inner subscript throws when `x["a"]` is not an object.
// Lines that are comments are skipped. Each allowed use is listed with its reason below; code
// reading user JSON uses core/json_access.h instead.

struct Allowed {
  const char* file;       // path relative to the source root, or "*" for any file
  const char* substring;  // the offending line contains this
  const char* reason;
};

constexpr Allowed kAllowed[] = {
    {"*", "ExperimentToJson(",
     "the codec's own encoding of a decoded Experiment: an object that always has `spec`"},
    {"webhook/admission.cc", "op[\"",
     "JSON Patch operations made by nlohmann::json::diff: objects with string `op` and `path`"},
    {"webhook/admission.cc", "[\"response\"][\"",
     "the AdmissionReview reply ktune builds (Allowed/Errored): `response` is always an object"},
    {"cli/run_command.cc", "args[\"", "cxxopts::ParseResult, not JSON"},
    {"cli/validate_command.cc", "args[\"", "cxxopts::ParseResult, not JSON"},
    {"cli/webhook_command.cc", "args[\"", "cxxopts::ParseResult, not JSON"},
    {"cli/server_command.cc", "args[\"", "cxxopts::ParseResult, not JSON"},
    {"cli/suggestion_command.cc", "args[\"", "cxxopts::ParseResult, not JSON"},
    {"cli/webhook_command.cc", "collectors[\"", "a std::map of collector images"},
};

bool IsAllowed(const std::string& file, const std::string& line) {
  for (const Allowed& a : kAllowed) {
    if ((std::string(a.file) == "*" || file == a.file) && line.find(a.substring) != line.npos) {
      return true;
    }
  }
  return false;
}

// The offending uses on one line, as short names ("value(", "at(", "[\"key\"] read").
std::vector<std::string> Offenses(const std::string& line) {
  static const std::regex kValueCall(R"((\.|->)value\(\s*[^)\s])");
  static const std::regex kAtCall(R"((\.|->)at\()");
  // One subscript chain with string keys, e.g. ["a"] or ["a"]["b"].
  // Keys are name-like, so that `"items[", i, "]"` in a message is not taken for one.
  static const std::regex kSubscripts(R"((\[\s*"[A-Za-z0-9_.$/-]*"\s*\])+)");
  static const std::regex kWrite(R"(^\s*(=[^=]|\.push_back\(|\.emplace_back\())");
  std::vector<std::string> out;
  if (std::regex_search(line, kValueCall)) out.push_back("value(");
  if (std::regex_search(line, kAtCall)) out.push_back("at(");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), kSubscripts);
       it != std::sregex_iterator(); ++it) {
    const size_t start = static_cast<size_t>(it->position());
    // A subscript follows an expression: a name, `)` or `]`. (Not `"[", i, "]"` in a message.)
    if (start == 0) continue;
    const char before = line[start - 1];
    if (!(std::isalnum(static_cast<unsigned char>(before)) || before == '_' || before == ')' ||
          before == ']')) {
      continue;
    }
    // A single subscript written to creates the member; in a chain (`x["a"]["b"] = v`) the
    // inner subscript is applied to whatever `x["a"]` holds, which throws when that is not an
    // object (REVIEW 1.2's `rendered["metadata"]["name"]` with `metadata: oops`).
    const std::string subscripts = it->str();
    const bool chain = std::count(subscripts.begin(), subscripts.end(), '[') > 1;
    if (!chain && std::regex_search(line.substr(start + it->length()), kWrite,
                                    std::regex_constants::match_continuous)) {
      continue;
    }
    out.push_back(subscripts + " read");
  }
  return out;
}

TEST(JsonAccessLintTest, LintRecognisesTheThrowingForms) {
  EXPECT_THAT(Offenses(R"(t.trial_spec->value("kind", ""))"), ::testing::ElementsAre("value("));
  EXPECT_THAT(Offenses(R"(meta.value(field, json::object()))"), ::testing::ElementsAre("value("));
  EXPECT_THAT(Offenses(R"(x = spec.at("template");)"), ::testing::ElementsAre("at("));
  EXPECT_THAT(Offenses(R"(const json& m = pod["metadata"];)"),
              ::testing::ElementsAre(R"(["metadata"] read)"));
  EXPECT_THAT(Offenses(R"(c["name"].get<std::string>())"),
              ::testing::ElementsAre(R"(["name"] read)"));
  EXPECT_THAT(Offenses(R"(rendered["metadata"]["name"] == x)"),
              ::testing::ElementsAre(R"(["metadata"]["name"] read)"));
  // The write of REVIEW 1.2 (core/template.cc:163 at 235b15d).
  EXPECT_THAT(Offenses(R"(rendered["metadata"]["name"] = trial_name;)"),
              ::testing::ElementsAre(R"(["metadata"]["name"] read)"));
  // Not offenses.
  for (const char* fine :
       {R"(status.value())", R"(opt.value_or("x"))", R"(j["kind"] = e.kind;)",
        R"(out["trials"].push_back(t);)", R"(absl::StrCat(path, "[", i, "]"))",
        R"(StrCat(where, "items[", i, "]: "))", R"(setting.value();)", R"(x.value( ))"}) {
    EXPECT_THAT(Offenses(fine), ::testing::IsEmpty()) << fine;
  }
}

TEST(JsonAccessLintTest, ProductSourcesUseNoThrowingJsonAccessors) {
  namespace fs = std::filesystem;
  const fs::path root = KTUNE_SOURCE_DIR;
  std::vector<std::string> found;
  size_t scanned = 0;
  for (const char* dir :
       {"core", "controller", "webhook", "cli", "suggestion", "metrics-collector"}) {
    ASSERT_TRUE(fs::is_directory(root / dir)) << (root / dir);
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      const std::string file = fs::relative(entry.path(), root).generic_string();
      if (file == "core/json_access.cc" || file == "core/json_access.h") continue;
      ++scanned;
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        const size_t text = line.find_first_not_of(" \t");
        if (text == std::string::npos || line.compare(text, 2, "//") == 0) continue;
        if (IsAllowed(file, line)) continue;
        for (const std::string& offense : Offenses(line)) {
          found.push_back(file + ":" + std::to_string(number) + ": " + offense + ": " +
                          line.substr(text));
        }
      }
    }
  }
  EXPECT_GT(scanned, 20u);
  std::ostringstream report;
  for (const std::string& f : found) report << "  " << f << "\n";
  EXPECT_TRUE(found.empty()) << found.size()
                             << " uses of nlohmann's throwing accessors; use core/json_access.h "
                                "(or add an allow-list entry with its reason):\n"
                             << report.str();
}

}  // namespace
}  // namespace ktune::core

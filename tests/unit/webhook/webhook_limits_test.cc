// REVIEW.md top finding 3 and §2 (webhook rows): the admission webhook under hostile input.
// Nesting, error fan-out and message size are checked on HandleAdmission; memory on 3 MB
// AdmissionReviews of several shapes in a child process (peak RSS growth), so that a crash
// or a blow-up fails the test instead of the test binary.

#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/json_access.h"
#include "core/validation.h"
#include "tests/unit/webhook/webhook_test_util.h"
#include "webhook/admission.h"

namespace ktune::webhook {
namespace {

using ::ktune::webhook::testing::QuickstartExperiment;
using ::ktune::webhook::testing::Review;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr size_t kThreeMiB = 3u << 20;

AdmissionOptions Options() {
  AdmissionOptions o;
  o.validation.algorithms = {"random", "grid"};
  o.validation.metrics_collector_kinds = {"StdOut", "File", "TensorFlowEvent"};
  o.injection.collectors["StdOut"].image = "collector:v1";
  return o;
}

// A review of the quickstart Experiment whose trialSpec.spec.x is `nested` (raw JSON text),
// with the uid after the nested part when `uid_last`.
std::string ReviewWithRaw(const std::string& nested, bool uid_last = false) {
  json review = Review(QuickstartExperiment());
  review["request"]["object"]["spec"]["trialTemplate"]["trialSpec"]["spec"]["x"] = "@@NESTED@@";
  if (uid_last) review["request"].erase("uid");
  std::string text = review.dump();
  text.replace(text.find("\"@@NESTED@@\""), 12, nested);
  if (uid_last) {
    text.insert(text.size() - 2, R"(,"uid":"after-the-nesting")");
  }
  return text;
}

// Arrays nested so that the whole review is `depth` levels deep (the review object is 1,
// request 2, object 3, spec 4, trialTemplate 5, trialSpec 6, its spec 7).
std::string ReviewOfDepth(int depth, bool uid_last = false) {
  const int arrays = depth - 7;
  return ReviewWithRaw(std::string(arrays, '[') + std::string(arrays, ']'), uid_last);
}

json Answer(const HttpReply& reply) {
  EXPECT_EQ(reply.status, 200) << reply.body.substr(0, 500);
  json out = json::parse(reply.body, nullptr, false);
  EXPECT_FALSE(out.is_discarded());
  return out;
}

std::string MessageOf(const json& answer) {
  const json* m = core::PathOf(answer, {"response", "status", "message"}, core::JsonType::kString);
  return m ? m->get<std::string>() : "";
}

TEST(WebhookLimitsTest, NestingLimitIsCheckedBeforeTheDomIsBuilt) {
  for (int depth : {511, 512}) {
    const std::string body = ReviewOfDepth(depth);
    ASSERT_EQ(core::JsonDepth(json::parse(body)), depth);
    const json out = Answer(HandleAdmission(kValidateExperimentPath, body, Options()));
    EXPECT_THAT(MessageOf(out), Not(HasSubstr("nested deeper"))) << depth;
    EXPECT_EQ(out["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    // mutate-experiment copies and diffs the trialSpec: it must survive the deepest allowed.
    EXPECT_EQ(HandleAdmission(kMutateExperimentPath, body, Options()).status, 200) << depth;
  }
  // REVIEW repro: ~200 KB of arrays nested 30k deep used to kill the process (SIGSEGV).
  for (int depth : {513, 30'000, 1'000'000}) {
    for (const char* path : {kValidateExperimentPath, kMutateExperimentPath, kMutatePodPath}) {
      const json out = Answer(HandleAdmission(path, ReviewOfDepth(depth), Options()));
      EXPECT_EQ(out["response"]["allowed"], false) << path << " " << depth;
      EXPECT_EQ(out["response"]["status"]["code"], 400);
      EXPECT_THAT(MessageOf(out), HasSubstr("nested deeper than 512 levels")) << path;
      EXPECT_EQ(out["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    }
  }
  // The uid is found after the nesting too; without any, the answer is HTTP 400.
  json out =
      Answer(HandleAdmission(kValidateExperimentPath, ReviewOfDepth(30'000, true), Options()));
  EXPECT_EQ(out["response"]["uid"], "after-the-nesting");
  const std::string no_uid = std::string(30'000, '[') + std::string(30'000, ']');
  HttpReply reply = HandleAdmission(kValidateExperimentPath, no_uid, Options());
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("nested deeper than 512 levels"));
  reply = HandleAdmission(kValidateExperimentPath, std::string(30'000, '['), Options());
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("not JSON"));
}

TEST(WebhookLimitsTest, ValueLimitIsCheckedBeforeTheDomIsBuilt) {
  auto values = [](int n) {
    std::string all = "[0";
    for (int i = 1; i < n; ++i) all += ",0";
    return all + "]";
  };
  // The quickstart review itself holds a few hundred values (counted with the "0" that the
  // array replaces); the array fills up to the limit exactly, then one over it.
  const int64_t base = [] {
    int64_t n = 0;
    const json doc = json::parse(ReviewWithRaw("0"));
    std::vector<const json*> stack = {&doc};
    while (!stack.empty()) {
      const json* node = stack.back();
      stack.pop_back();
      ++n;
      if (node->is_structured()) {
        for (const json& child : *node) stack.push_back(&child);
      }
    }
    return n;
  }();
  const int fill = static_cast<int>(kMaxJsonValues - base);
  json out =
      Answer(HandleAdmission(kValidateExperimentPath, ReviewWithRaw(values(fill)), Options()));
  EXPECT_THAT(MessageOf(out), Not(HasSubstr("too large")));
  out =
      Answer(HandleAdmission(kValidateExperimentPath, ReviewWithRaw(values(fill + 1)), Options()));
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_THAT(MessageOf(out),
              HasSubstr(absl::StrCat("too large: ", kMaxJsonValues + 1,
                                     " JSON values, the webhook's limit is ", kMaxJsonValues)));
  EXPECT_EQ(out["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
}

// Thousands of parameters, each with an error.
json ManyBadParameters(int count, size_t name_bytes = 0) {
  json e = QuickstartExperiment();
  json params = e["spec"]["parameters"];
  for (int i = 0; i < count; ++i) {
    std::string name = absl::StrCat("p", i);
    if (name.size() < name_bytes) name += std::string(name_bytes - name.size(), 'n');
    params.push_back({{"name", name},
                      {"parameterType", absl::StrCat("bogus", i)},
                      {"feasibleSpace", {{"min", "1"}, {"max", "2"}}}});
  }
  e["spec"]["parameters"] = params;
  return e;
}

// A trial template of about `bytes` bytes holding `placeholders` distinct undefined
// ${trialParameters.*} references.
json HugeTemplate(size_t bytes, int placeholders) {
  json e = QuickstartExperiment();
  std::string arg;
  for (int i = 0; i < placeholders; ++i) absl::StrAppend(&arg, "${trialParameters.q", i, "} ");
  if (arg.size() < bytes) arg += std::string(bytes - arg.size(), 'x');
  e["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"] =
      json::array({arg});
  return e;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The distinct messages of the kError findings, as the validator reports them.
std::set<std::string> KatibErrors(const json& experiment) {
  absl::StatusOr<core::Experiment> decoded = core::ExperimentFromJson(experiment);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (!decoded.ok()) return {};
  core::SetDefaults(*decoded);
  std::set<std::string> errors;
  for (const core::FieldError& f : core::ValidateExperiment(*decoded, Options().validation)) {
    if (f.severity == core::FieldError::Severity::kError) errors.insert(f.ToString());
  }
  return errors;
}

TEST(WebhookLimitsTest, DenialReportsAtMostFiftyErrorsWithinSixteenKilobytes) {
  const json experiment = ManyBadParameters(2000);
  const size_t distinct = KatibErrors(experiment).size();
  ASSERT_GT(distinct, kMaxReportedErrors);
  const json out =
      Answer(HandleAdmission(kValidateExperimentPath, Review(experiment).dump(), Options()));
  ASSERT_EQ(out["response"]["allowed"], false);
  const std::string message = MessageOf(out);
  EXPECT_LE(message.size(), kMaxMessageBytes);
  EXPECT_LE(Count(message, ": Invalid value: "), kMaxReportedErrors);
  EXPECT_THAT(message, ::testing::MatchesRegex(R"(^\[.*, and [0-9]+ more\]$)"));
  const size_t reported = Count(message, ": Invalid value: ");
  EXPECT_THAT(message, HasSubstr(absl::StrCat(", and ", distinct - reported, " more]")));
}

TEST(WebhookLimitsTest, AHugeTemplateIsQuotedAtMostOnceAndCut) {
  const json out = Answer(HandleAdmission(kValidateExperimentPath,
                                          Review(HugeTemplate(200'000, 2000)).dump(), Options()));
  ASSERT_EQ(out["response"]["allowed"], false) << out.dump().substr(0, 2000);
  const std::string message = MessageOf(out);
  EXPECT_LE(message.size(), kMaxMessageBytes);
  // The template's filler appears in at most one quote, and that quote is about 1 KB.
  size_t longest_run = 0;
  size_t run = 0;
  for (char c : message) {
    run = c == 'x' ? run + 1 : 0;
    longest_run = std::max(longest_run, run);
  }
  EXPECT_LE(longest_run, kMaxQuotedBytes);
  EXPECT_LE(Count(message, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            kMaxQuotedBytes / 64);
}

// Only Katib's errors deny; ktune's own findings become response.warnings, bounded.
TEST(WebhookLimitsTest, WarningsAreReturnedAndOnlyErrorsDeny) {
  json e = ManyBadParameters(40);
  e["spec"]["objective"]["type"] = "foo";
  const json out = Answer(HandleAdmission(kValidateExperimentPath, Review(e).dump(), Options()));

  absl::StatusOr<core::Experiment> decoded = core::ExperimentFromJson(e);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  core::SetDefaults(*decoded);
  std::set<std::string> errors;
  std::set<std::string> warnings;
  for (const core::FieldError& f : core::ValidateExperiment(*decoded, Options().validation)) {
    (f.severity == core::FieldError::Severity::kError ? errors : warnings).insert(f.ToString());
  }
  ASSERT_FALSE(warnings.empty()) << "the shape no longer yields a warning: pick another";
  EXPECT_EQ(out["response"]["allowed"], errors.empty());
  for (const std::string& w : warnings) {
    EXPECT_THAT(MessageOf(out), Not(HasSubstr(w.substr(0, 200)))) << "a warning denied: " << w;
  }
  if (warnings.empty()) {
    EXPECT_FALSE(out["response"].contains("warnings"));
    return;
  }
  const json& list = out["response"]["warnings"];
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(),
            std::min(warnings.size(), kMaxWarnings) + (warnings.size() > kMaxWarnings ? 1 : 0));
  for (const json& w : list) {
    ASSERT_TRUE(w.is_string());
    EXPECT_LE(w.get<std::string>().size(), kMaxWarningBytes);
  }
}

TEST(WebhookLimitsTest, MutatePodWithoutTrialLookupSaysNothingWasInjected) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}, {"namespace", "default"}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
  json review = Review(pod);
  const json out = Answer(HandleAdmission(kMutatePodPath, review.dump(), Options()));
  EXPECT_EQ(out["response"]["allowed"], true);
  EXPECT_EQ(out["response"].find("patch"), out["response"].end());
  EXPECT_EQ(out["response"]["warnings"], json::array({kNoTrialResolverWarning}));
  review["request"]["operation"] = "DELETE";
  const json deleted = Answer(HandleAdmission(kMutatePodPath, review.dump(), Options()));
  EXPECT_FALSE(deleted["response"].contains("warnings"));
}

// ---- 3 MB AdmissionReviews of any shape: bounded memory, bounded answer, no crash -----------

std::string Fill(json e) { return Review(std::move(e)).dump(); }

struct Shape {
  std::string name;
  std::string body;
};

std::vector<Shape> ThreeMegabyteShapes() {
  std::vector<Shape> shapes;
  shapes.push_back({"DeepNesting", ReviewOfDepth(static_cast<int>(kThreeMiB / 2))});
  shapes.push_back({"NestingAtTheLimit", ReviewWithRaw([] {
                      // Many siblings at depth 512: the DOM is built; its copies must stay bounded.
                      std::string one = std::string(505, '[') + std::string(505, ']');
                      std::string all = "[";
                      while (all.size() < kThreeMiB) all += one + ",";
                      all.back() = ']';
                      return all;
                    }())});
  // Within the value limit: each parameter's long name makes the bytes.
  shapes.push_back({"ThousandsOfParameterErrors", Fill(ManyBadParameters(10'000, 240))});
  // Over the value limit, which keeps the DOM bounded.
  shapes.push_back({"TooManyParameters", Fill(ManyBadParameters(36'500))});
  shapes.push_back({"TinyObjects", ReviewWithRaw([] {
                      std::string all = "[{}";
                      while (all.size() < kThreeMiB) all += ",{}";
                      return all + "]";
                    }())});
  shapes.push_back({"HugeTemplateWithPlaceholders", Fill(HugeTemplate(kThreeMiB, 100'000))});
  {
    json e = QuickstartExperiment();
    e["metadata"]["name"] = std::string(kThreeMiB, 'n');
    shapes.push_back({"LongName", Fill(e)});
  }
  {
    json e = QuickstartExperiment();
    e["spec"]["objective"]["type"] = std::string(kThreeMiB / 2, '"');
    shapes.push_back({"LongQuotedValue", Fill(e)});
  }
  {
    json e = QuickstartExperiment();
    json labels = json::object();
    for (int i = 0; labels.size() < 250'000; ++i) labels[absl::StrCat("k", i)] = "v";
    e["metadata"]["labels"] = labels;
    shapes.push_back({"WideLabels", Fill(e)});
  }
  return shapes;
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

struct Cost {
  long peak_growth_kb = -1;
  size_t reply_bytes = 0;
  int reply_status = 0;
};

// Runs HandleAdmission in a forked child, so that a crash or a blow-up is reported here and
// the peak RSS (VmHWM, reset through clear_refs after malloc_trim) is this call's alone.
Cost CostInChild(const std::string& path, const std::string& body) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    // The parent's freed heap is still resident and would absorb this call's allocations
    // unseen: give it back, then restart the peak from the current RSS.
    ::malloc_trim(0);
    {
      std::ofstream clear("/proc/self/clear_refs");
      clear << "5";
    }
    Cost cost;
    const long before = StatusKb("VmHWM:");
    HttpReply reply = HandleAdmission(path, body, Options());
    cost.peak_growth_kb = StatusKb("VmHWM:") - before;
    cost.reply_bytes = reply.body.size();
    cost.reply_status = reply.status;
    (void)!::write(fds[1], &cost, sizeof cost);
    ::_exit(0);
  }
  ::close(fds[1]);
  Cost cost;
  const ssize_t n = ::read(fds[0], &cost, sizeof cost);
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << path << ": the child died, status " << status;
  EXPECT_EQ(n, static_cast<ssize_t>(sizeof cost));
  return cost;
}

// Sanitizers multiply memory use (shadow memory, TSan's history), so the budget is checked in
// the plain build only; the other assertions hold everywhere.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMeasuresMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kMeasuresMemory = false;
#else
constexpr bool kMeasuresMemory = true;
#endif
#else
constexpr bool kMeasuresMemory = true;
#endif

TEST(WebhookLimitsTest, ThreeMegabyteReviewsOfAnyShapeCostUnder64Megabytes) {
  for (const Shape& shape : ThreeMegabyteShapes()) {
    ASSERT_GE(shape.body.size(), kThreeMiB - (64u << 10)) << shape.name;
    ASSERT_LE(shape.body.size(), kThreeMiB + (256u << 10)) << shape.name;
    for (const char* path : {kValidateExperimentPath, kMutateExperimentPath, kMutatePodPath}) {
      SCOPED_TRACE(shape.name + " " + path);
      const Cost cost = CostInChild(path, shape.body);
      std::cout << "[ cost     ] " << shape.name << " " << path << ": peak RSS +"
                << cost.peak_growth_kb / 1024 << " MiB, answer " << cost.reply_bytes << " bytes\n";
      if (kMeasuresMemory) {
        EXPECT_LT(cost.peak_growth_kb, 64 * 1024);
      }
      EXPECT_NE(cost.reply_status, 500);
      if (std::string(path) != kMutateExperimentPath) {
        // A denial or an allowance, never an echo of the input.
        EXPECT_LE(cost.reply_bytes, kMaxMessageBytes + 8 * 1024);
      }
    }
  }
}

}  // namespace
}  // namespace ktune::webhook

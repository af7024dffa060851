#include "core/validation.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <re2/re2.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/status.h"

namespace ktune::core {
namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// ---- How Go prints values --------------------------------------------------------------------

// Go's %q (strconv.Quote) for the ASCII range; bytes >= 0x80 are passed through (UTF-8 text).
std::string GoQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
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

// json.Marshal of an unstructured value (maps have sorted keys, as nlohmann::json's do).
std::string GoJson(const json& v) { return GoHtmlEscape(v.dump()); }
std::string GoJson(const ordered_json& v) { return GoHtmlEscape(v.dump()); }
std::string GoJsonString(const std::string& s) { return GoJson(json(s)); }

// Go's %v of a decoded JSON value (string, float64, bool, nil, []interface{}, map).
std::string GoValue(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::null: return "<nil>";
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::array: {
      std::vector<std::string> items;
      for (const auto& item : v) items.push_back(GoValue(item));
      return absl::StrCat("[", absl::StrJoin(items, " "), "]");
    }
    case json::value_t::object: {
      std::vector<std::string> items;
      for (auto it = v.begin(); it != v.end(); ++it) {
        items.push_back(absl::StrCat(it.key(), ":", GoValue(it.value())));
      }
      return absl::StrCat("map[", absl::StrJoin(items, " "), "]");
    }
    default: return v.dump();
  }
}

// Go's %v of a []string.
std::string GoList(const std::vector<std::string>& list) {
  return absl::StrCat("[", absl::StrJoin(list, " "), "]");
}

// Go's %v of []TrialParameterSpec{Name, Description, Reference}.
std::string GoTrialParameters(const std::vector<TrialParameterSpec>& params) {
  std::vector<std::string> items;
  for (const auto& p : params) items.push_back(absl::StrCat("{", p.name, " ", p.description, " ", p.reference, "}"));
  return GoList(items);
}

// Go's %v of []ParameterSpec{Name, ParameterType, FeasibleSpace{Max, Min, List, Step, Distribution}}.
std::string GoParameters(const std::vector<ParameterSpec>& params) {
  std::vector<std::string> items;
  for (const auto& p : params) {
    const FeasibleSpace& fs = p.feasible_space;
    items.push_back(absl::StrCat("{", p.name, " ", p.parameter_type, " {", fs.max, " ", fs.min, " ",
                                 GoList(fs.list), " ", fs.step, " ", fs.distribution, "}}"));
  }
  return GoList(items);
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

// ---- small helpers ---------------------------------------------------------------------------

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Sorted(std::vector<std::string> list, const char* empty = "none yet") {
  if (list.empty()) return empty;
  std::sort(list.begin(), list.end());
  return absl::StrJoin(list, ", ");
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest candidate within a small edit distance, or "".
std::string Closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

bool IsAbsolutePath(const std::string& path) { return !path.empty() && path[0] == '/'; }

// Go's strconv.ParseFloat / ParseInt, as the suggestion services parse feasibleSpace.
std::optional<double> ParseNumber(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}
std::optional<long long> ParseInteger(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return v;
}

std::string ParamPlaceholder(const std::string& name) { return absl::StrCat("${trialParameters.", name, "}"); }

// Placeholders `${trialParameters.X}` in `text`, in order of appearance, without repeats.
std::vector<std::string> FindPlaceholders(const std::string& text) {
  static const RE2 kRe(R"((\$\{trialParameters\..+?\}))");
  std::vector<std::string> out;
  re2::StringPiece input(text);
  std::string match;
  while (RE2::FindAndConsume(&input, kRe, &match)) {
    if (!Contains(out, match)) out.push_back(match);
  }
  return out;
}

// Katib's isMetaKey: ${trialSpec.Name|Namespace|Kind|APIVersion|Labels[k]|Annotations[k]}.
bool IsMetaKey(const std::string& reference) {
  static const RE2 kMeta(R"(\$\{trialSpec\.(.+?)\})");
  static const RE2 kIndex(R"((.+)\[(.+)])");
  static const std::vector<std::string> kKeys = {"Name", "Namespace", "Kind", "APIVersion", "Annotations", "Labels"};
  std::string key;
  if (!RE2::PartialMatch(reference, kMeta, &key)) return false;
  if (Contains(kKeys, key)) return true;
  std::string base, index;
  return RE2::PartialMatch(key, kIndex, &base, &index) && Contains(kKeys, base);
}

// Go's regexp error text (`error parsing regexp: <code>: `<arg>``) from RE2's error code.
std::string GoRegexpError(const RE2& re) {
  const char* code = "regexp/syntax: internal error";
  switch (re.error_code()) {
    case RE2::ErrorBadEscape: code = "invalid escape sequence"; break;
    case RE2::ErrorBadCharClass: code = "invalid character class"; break;
    case RE2::ErrorBadCharRange: code = "invalid character class range"; break;
    case RE2::ErrorMissingBracket: code = "missing closing ]"; break;
    case RE2::ErrorMissingParen: code = "missing closing )"; break;
    case RE2::ErrorUnexpectedParen: code = "unexpected )"; break;
    case RE2::ErrorTrailingBackslash: code = "trailing backslash at end of expression"; break;
    case RE2::ErrorRepeatArgument: code = "missing argument to repetition operator"; break;
    case RE2::ErrorRepeatSize: code = "invalid repeat count"; break;
    case RE2::ErrorRepeatOp: code = "invalid nested repetition operator"; break;
    case RE2::ErrorBadPerlOp: code = "invalid or unsupported Perl syntax"; break;
    case RE2::ErrorBadUTF8: code = "invalid UTF-8"; break;
    case RE2::ErrorBadNamedCapture: code = "invalid named capture"; break;
    case RE2::ErrorPatternTooLarge: code = "expression too large"; break;
    default: break;
  }
  return absl::StrCat("error parsing regexp: ", code, ": `", re.error_arg(), "`");
}

// ---- batch/v1 Job: the field lists Katib's typed conversion knows (k8s.io/api v0.34) ----------

enum class Kind {
  kString,     // string (or *string)
  kInt,        // int32/int64 (or pointer)
  kBool,       // bool (or *bool)
  kStringMap,  // map[string]string
  kStringList, // []string
  kStruct,     // a struct listed below
  kStructList, // []struct listed below
  kOpaque,     // a type not listed here: kept as written, not checked
};

struct JobType;
struct JobField {
  const char* name;
  Kind kind;
  const JobType* type = nullptr;  // kStruct, kStructList
  // Go's encoding: kPointer fields are written when set; kOmitEmpty when non-zero; kAlways
  // always (a struct, or a field without omitempty), with `absent` when not given.
  enum Emit { kOmitEmpty, kPointer, kAlways } emit = kOmitEmpty;
  const char* absent = nullptr;  // JSON written for an absent kAlways field
  const char* go_type = "";      // Go type for conversion errors
};

struct JobType {
  const char* name;
  std::vector<JobField> fields;
};

const JobType& JobSchema() {
  using F = JobField;
  static const JobType kResources{"ResourceRequirements",
                                  {{"limits", Kind::kOpaque},
                                   {"requests", Kind::kOpaque},
                                   {"claims", Kind::kOpaque}}};
  static const JobType kEnvVar{"EnvVar",
                               {{"name", Kind::kString, nullptr, F::kAlways, "\"\"", "string"},
                                {"value", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
                                {"valueFrom", Kind::kOpaque, nullptr, F::kPointer}}};
  static const JobType kPort{"ContainerPort",
                             {{"name", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
                              {"hostPort", Kind::kInt, nullptr, F::kOmitEmpty, nullptr, "int32"},
                              {"containerPort", Kind::kInt, nullptr, F::kAlways, "0", "int32"},
                              {"protocol", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "v1.Protocol"},
                              {"hostIP", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"}}};
  static const JobType kMount{"VolumeMount",
                              {{"name", Kind::kString, nullptr, F::kAlways, "\"\"", "string"},
                               {"readOnly", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
                               {"recursiveReadOnly", Kind::kString, nullptr, F::kPointer, nullptr, "v1.RecursiveReadOnlyMode"},
                               {"mountPath", Kind::kString, nullptr, F::kAlways, "\"\"", "string"},
                               {"subPath", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
                               {"mountPropagation", Kind::kString, nullptr, F::kPointer, nullptr, "v1.MountPropagationMode"},
                               {"subPathExpr", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"}}};
  static const JobType kContainer{
      "Container",
      {{"name", Kind::kString, nullptr, F::kAlways, "\"\"", "string"},
       {"image", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"command", Kind::kStringList, nullptr, F::kOmitEmpty, nullptr, "[]string"},
       {"args", Kind::kStringList, nullptr, F::kOmitEmpty, nullptr, "[]string"},
       {"workingDir", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"ports", Kind::kStructList, &kPort},
       {"envFrom", Kind::kOpaque},
       {"env", Kind::kStructList, &kEnvVar},
       {"resources", Kind::kStruct, &kResources, F::kAlways, "{}"},
       {"resizePolicy", Kind::kOpaque},
       {"restartPolicy", Kind::kString, nullptr, F::kPointer, nullptr, "v1.ContainerRestartPolicy"},
       {"restartPolicyRules", Kind::kOpaque},
       {"volumeMounts", Kind::kStructList, &kMount},
       {"volumeDevices", Kind::kOpaque},
       {"livenessProbe", Kind::kOpaque, nullptr, F::kPointer},
       {"readinessProbe", Kind::kOpaque, nullptr, F::kPointer},
       {"startupProbe", Kind::kOpaque, nullptr, F::kPointer},
       {"lifecycle", Kind::kOpaque, nullptr, F::kPointer},
       {"terminationMessagePath", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"terminationMessagePolicy", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "v1.TerminationMessagePolicy"},
       {"imagePullPolicy", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "v1.PullPolicy"},
       {"securityContext", Kind::kOpaque, nullptr, F::kPointer},
       {"stdin", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
       {"stdinOnce", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
       {"tty", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"}}};
  static const JobType kPodSpec{
      "PodSpec",
      {{"volumes", Kind::kOpaque},
       {"initContainers", Kind::kStructList, &kContainer},
       {"containers", Kind::kStructList, &kContainer, F::kAlways, "null"},
       {"ephemeralContainers", Kind::kOpaque},
       {"restartPolicy", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "v1.RestartPolicy"},
       {"terminationGracePeriodSeconds", Kind::kInt, nullptr, F::kPointer, nullptr, "int64"},
       {"activeDeadlineSeconds", Kind::kInt, nullptr, F::kPointer, nullptr, "int64"},
       {"dnsPolicy", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "v1.DNSPolicy"},
       {"nodeSelector", Kind::kStringMap},
       {"serviceAccountName", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"serviceAccount", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"automountServiceAccountToken", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"nodeName", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"hostNetwork", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
       {"hostPID", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
       {"hostIPC", Kind::kBool, nullptr, F::kOmitEmpty, nullptr, "bool"},
       {"shareProcessNamespace", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"securityContext", Kind::kOpaque, nullptr, F::kPointer},
       {"imagePullSecrets", Kind::kOpaque},
       {"hostname", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"subdomain", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"affinity", Kind::kOpaque, nullptr, F::kPointer},
       {"schedulerName", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"tolerations", Kind::kOpaque},
       {"hostAliases", Kind::kOpaque},
       {"priorityClassName", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"priority", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"dnsConfig", Kind::kOpaque, nullptr, F::kPointer},
       {"readinessGates", Kind::kOpaque},
       {"runtimeClassName", Kind::kString, nullptr, F::kPointer, nullptr, "string"},
       {"enableServiceLinks", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"preemptionPolicy", Kind::kString, nullptr, F::kPointer, nullptr, "v1.PreemptionPolicy"},
       {"overhead", Kind::kOpaque},
       {"topologySpreadConstraints", Kind::kOpaque},
       {"setHostnameAsFQDN", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"os", Kind::kOpaque, nullptr, F::kPointer},
       {"hostUsers", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"schedulingGates", Kind::kOpaque},
       {"resourceClaims", Kind::kOpaque},
       {"resources", Kind::kStruct, &kResources, F::kPointer},
       {"hostnameOverride", Kind::kString, nullptr, F::kPointer, nullptr, "string"}}};
  static const JobType kMeta{
      "ObjectMeta",
      {{"name", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"generateName", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"namespace", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"selfLink", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"uid", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "types.UID"},
       {"resourceVersion", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
       {"generation", Kind::kInt, nullptr, F::kOmitEmpty, nullptr, "int64"},
       {"creationTimestamp", Kind::kOpaque, nullptr, F::kAlways, "null"},
       {"deletionTimestamp", Kind::kOpaque, nullptr, F::kPointer},
       {"deletionGracePeriodSeconds", Kind::kInt, nullptr, F::kPointer, nullptr, "int64"},
       {"labels", Kind::kStringMap},
       {"annotations", Kind::kStringMap},
       {"ownerReferences", Kind::kOpaque},
       {"finalizers", Kind::kStringList, nullptr, F::kOmitEmpty, nullptr, "[]string"},
       {"managedFields", Kind::kOpaque}}};
  static const JobType kPodTemplate{"PodTemplateSpec",
                                    {{"metadata", Kind::kStruct, &kMeta, F::kAlways, "{}"},
                                     {"spec", Kind::kStruct, &kPodSpec, F::kAlways, "{}"}}};
  static const JobType kJobSpec{
      "JobSpec",
      {{"parallelism", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"completions", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"activeDeadlineSeconds", Kind::kInt, nullptr, F::kPointer, nullptr, "int64"},
       {"podFailurePolicy", Kind::kOpaque, nullptr, F::kPointer},
       {"successPolicy", Kind::kOpaque, nullptr, F::kPointer},
       {"backoffLimit", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"backoffLimitPerIndex", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"maxFailedIndexes", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"selector", Kind::kOpaque, nullptr, F::kPointer},
       {"manualSelector", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"template", Kind::kStruct, &kPodTemplate, F::kAlways, "{}"},
       {"ttlSecondsAfterFinished", Kind::kInt, nullptr, F::kPointer, nullptr, "int32"},
       {"completionMode", Kind::kString, nullptr, F::kPointer, nullptr, "v1.CompletionMode"},
       {"suspend", Kind::kBool, nullptr, F::kPointer, nullptr, "bool"},
       {"podReplacementPolicy", Kind::kString, nullptr, F::kPointer, nullptr, "v1.PodReplacementPolicy"},
       {"managedBy", Kind::kString, nullptr, F::kPointer, nullptr, "string"}}};
  // TypeMeta is embedded first, so kind precedes apiVersion in Go's JSON.
  static const JobType kJob{"Job",
                            {{"kind", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
                             {"apiVersion", Kind::kString, nullptr, F::kOmitEmpty, nullptr, "string"},
                             {"metadata", Kind::kStruct, &kMeta, F::kAlways, "{}"},
                             {"spec", Kind::kStruct, &kJobSpec, F::kAlways, "{}"},
                             {"status", Kind::kOpaque, nullptr, F::kAlways, "{}"}}};
  return kJob;
}

struct JobProblem {
  std::string pointer;  // JSON pointer of the field, e.g. /spec/template/spec/containers/0/comand
  json value;
  std::string detail;   // conversion error (type problems) or "" (unknown field)
  std::string hint;
};

// Go reflect type names of decoded unstructured values.
const char* UnstructuredType(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int64";
    case json::value_t::number_float: return "float64";
    case json::value_t::array: return "[]interface {}";
    case json::value_t::object: return "map[string]interface {}";
    default: return "<nil>";
  }
}

bool IsZero(const json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number()) return v.get<double>() == 0;
  return v.empty();
}

std::string JoinPointer(const std::string& pointer, const std::string& token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer + "/" + escaped;
}

// Walks the template against the Job schema: collects unknown fields and values of the wrong
// shape, and builds what json.Marshal(batchv1.Job) would print (Go field order, omitempty).
class JobChecker {
 public:
  std::vector<JobProblem> unknown;
  std::vector<JobProblem> type_errors;

  ordered_json Struct(const json& object, const JobType& type, const std::string& pointer) {
    ordered_json out = ordered_json::object();
    std::vector<std::string> names;
    for (const auto& f : type.fields) names.push_back(f.name);
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (Contains(names, it.key())) continue;
      std::string closest = Closest(it.key(), names);
      std::string hint = closest.empty()
                             ? absl::StrCat(type.name, " has no field ", GoQuote(it.key()), "; its fields are: ",
                                            absl::StrJoin(names, ", "))
                             : absl::StrCat(type.name, " has no field ", GoQuote(it.key()), "; did you mean ",
                                            GoQuote(closest), "?");
      unknown.push_back({JoinPointer(pointer, it.key()), it.value(), "", hint});
    }
    for (const auto& f : type.fields) {
      auto it = object.find(f.name);
      const bool present = it != object.end() && !it->is_null();
      if (!present) {
        if (f.emit == JobField::kAlways) {
          if (f.kind == Kind::kStruct) {
            out[f.name] = Struct(json::object(), *f.type, JoinPointer(pointer, f.name));
          } else {
            out[f.name] = ordered_json::parse(f.absent);
          }
        }
        continue;
      }
      std::optional<ordered_json> v = Value(*it, f, JoinPointer(pointer, f.name));
      if (!v) continue;
      if (f.emit == JobField::kOmitEmpty && f.kind != Kind::kStruct && IsZero(*it)) continue;
      out[f.name] = std::move(*v);
    }
    return out;
  }

 private:
  void TypeError(const std::string& pointer, const json& value, const std::string& error, const std::string& want) {
    type_errors.push_back({pointer, value, error, absl::StrCat(pointer, " must be ", want)});
  }

  std::optional<ordered_json> Value(const json& v, const JobField& f, const std::string& pointer) {
    switch (f.kind) {
      case Kind::kString:
        if (!v.is_string()) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", UnstructuredType(v), " to ", f.go_type), "a string");
          return std::nullopt;
        }
        return ordered_json(v);
      case Kind::kInt:
        if (!v.is_number_integer() && !(v.is_number_float() && v.get<double>() == std::floor(v.get<double>()))) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", UnstructuredType(v), " to ", f.go_type),
                    "an integer");
          return std::nullopt;
        }
        return ordered_json(static_cast<long long>(v.get<double>()));
      case Kind::kBool:
        if (!v.is_boolean()) {
          TypeError(pointer, v, absl::StrCat("cannot convert ", UnstructuredType(v), " to ", f.go_type),
                    "true or false");
          return std::nullopt;
        }
        return ordered_json(v);
      case Kind::kStringMap:
        if (!v.is_object()) {
          TypeError(pointer, v, absl::StrCat("cannot restore map from ", UnstructuredType(v)), "a map of strings");
          return std::nullopt;
        }
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (!it->is_string()) {
            TypeError(JoinPointer(pointer, it.key()), *it,
                      absl::StrCat("cannot convert ", UnstructuredType(*it), " to string"), "a string");
            return std::nullopt;
          }
        }
        return ordered_json::parse(v.dump());
      case Kind::kStringList:
        if (!v.is_array()) {
          TypeError(pointer, v, absl::StrCat("cannot restore slice from ", UnstructuredType(v)), "a list of strings");
          return std::nullopt;
        }
        for (size_t i = 0; i < v.size(); ++i) {
          if (!v[i].is_string()) {
            TypeError(absl::StrCat(pointer, "/", i), v[i],
                      absl::StrCat("cannot convert ", UnstructuredType(v[i]), " to string"),
                      "a string (quote numbers and booleans)");
            return std::nullopt;
          }
        }
        return ordered_json(v);
      case Kind::kStruct:
        if (!v.is_object()) {
          TypeError(pointer, v, absl::StrCat("cannot restore struct from: ", UnstructuredType(v)), "an object");
          return std::nullopt;
        }
        return Struct(v, *f.type, pointer);
      case Kind::kStructList: {
        if (!v.is_array()) {
          TypeError(pointer, v, absl::StrCat("cannot restore slice from ", UnstructuredType(v)), "a list");
          return std::nullopt;
        }
        ordered_json list = ordered_json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          std::string item_pointer = absl::StrCat(pointer, "/", i);
          if (!v[i].is_object()) {
            TypeError(item_pointer, v[i], absl::StrCat("cannot restore struct from: ", UnstructuredType(v[i])),
                      "an object");
            return std::nullopt;
          }
          list.push_back(Struct(v[i], *f.type, item_pointer));
        }
        return list;
      }
      case Kind::kOpaque:
        return ordered_json::parse(v.dump());
    }
    return std::nullopt;
  }
};

// ---- the validator ---------------------------------------------------------------------------

constexpr char kNameDetail[] =
    "name must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used "
    "for validation is '^[a-z]([-a-z0-9]*[a-z0-9])?)') and may not be longer than 40 characters. ";

const std::vector<std::string> kParameterTypes = {"int", "double", "categorical", "discrete"};
const std::vector<std::string> kDistributions = {"uniform", "logUniform", "normal", "logNormal"};
const std::vector<std::string> kCollectorKinds = {"StdOut", "File", "TensorFlowEvent", "PrometheusMetric",
                                                  "Custom", "Push"};

class Validator {
 public:
  Validator(const Experiment& e, const ValidationOptions& options)
      : e_(e), s_(e.spec), options_(options), extra_(!options.katib_compatible) {}

  std::vector<FieldError> Run() {
    ValidateNameAndCounts();
    if (options_.old_experiment) ValidateUpdate(*options_.old_experiment);
    if (!ValidateObjective() && options_.katib_compatible) return std::move(errors_);
    ValidateAlgorithm();
    ValidateEarlyStopping();
    ValidateResumePolicy();
    ValidateTrialTemplate();
    if (s_.parameters.empty() && !s_.nas_config) {
      Required("spec", "spec.parameters or spec.nasConfig must be specified",
               "add spec.parameters: the hyperparameters to search");
    }
    if (!s_.parameters.empty() && s_.nas_config) {
      Invalid("spec", GoJson(ExperimentToJson(e_)["spec"]),
              "only one of spec.parameters and spec.nasConfig can be specified",
              "spec.parameters is for hyperparameter tuning, spec.nasConfig for neural architecture search");
    }
    if (!s_.parameters.empty()) ValidateParameters();
    ValidateMetricsCollector();
    return std::move(errors_);
  }

 private:
  void Add(FieldError::Type type, std::string field, std::string value, std::string detail, std::string hint) {
    errors_.push_back({type, std::move(field), std::move(value), std::move(detail), std::move(hint)});
  }
  void Required(std::string field, std::string detail, std::string hint = "") {
    Add(FieldError::Type::kRequired, std::move(field), "", std::move(detail), std::move(hint));
  }
  void Invalid(std::string field, std::string value, std::string detail, std::string hint = "") {
    Add(FieldError::Type::kInvalid, std::move(field), std::move(value), std::move(detail), std::move(hint));
  }
  void Forbidden(std::string field, std::string detail, std::string hint = "") {
    Add(FieldError::Type::kForbidden, std::move(field), "", std::move(detail), std::move(hint));
  }

  // Rules 1-6.
  void ValidateNameAndCounts() {
    static const RE2 kName("^[a-z]([-a-z0-9]*[a-z0-9])?");
    const std::string& name = e_.metadata.name;
    if (!RE2::PartialMatch(name, kName) || name.size() > 40) {
      Invalid("metadata.name", GoQuote(name), kNameDetail, NameHint(name));
    } else if (extra_ && !RE2::FullMatch(name, kName)) {
      // Katib's regex is not end-anchored; the name also names the suggestion Deployment and
      // Service (DNS-1035 labels), which fail later.
      Invalid("metadata.name", GoQuote(name),
              "must consist of lower case alphanumeric characters or '-' and end with an alphanumeric character",
              absl::StrCat("Katib accepts it, but the suggestion Service named after it would be rejected; ",
                           NameHint(name)));
    }
    const auto& max_failed = s_.max_failed_trial_count;
    const auto& max_trials = s_.max_trial_count;
    const auto& parallel = s_.parallel_trial_count;
    if (max_failed && *max_failed < 0) {
      Invalid("spec.maxFailedTrialCount", absl::StrCat(*max_failed), "should not be less than 0");
    }
    if (max_trials && *max_trials <= 0) {
      Invalid("spec.maxTrialCount", absl::StrCat(*max_trials), "must be greater than 0");
    }
    if (parallel && *parallel <= 0) {
      Invalid("spec.parallelTrialCount", absl::StrCat(*parallel), "must be greater than 0");
    }
    if (max_failed && max_trials && *max_failed > *max_trials) {
      Invalid("spec.maxFailedTrialCount", absl::StrCat(*max_failed),
              "should be less than or equal to spec.maxTrialCount",
              absl::StrCat("spec.maxTrialCount is ", *max_trials));
    }
    if (parallel && max_trials && *parallel > *max_trials) {
      Invalid("spec.parallelTrialCount", absl::StrCat(*parallel),
              "should be less than or equal to spec.maxTrialCount",
              absl::StrCat("spec.maxTrialCount is ", *max_trials));
    }
  }

  static std::string NameHint(const std::string& name) {
    std::string fixed;
    for (char c : name) {
      char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
      if (ok) {
        fixed += l;
      } else if (!fixed.empty() && fixed.back() != '-') {
        fixed += '-';
      }
    }
    size_t first = fixed.find_first_of("abcdefghijklmnopqrstuvwxyz");
    fixed = first == std::string::npos ? "" : fixed.substr(first);
    if (fixed.size() > 40) fixed.resize(40);
    while (!fixed.empty() && fixed.back() == '-') fixed.pop_back();
    if (fixed.empty() || fixed == name) return "e.g. my-experiment";
    return absl::StrCat("e.g. ", GoQuote(fixed));
  }

  // Rules 7-9.
  void ValidateUpdate(const Experiment& old) {
    const json new_spec = ExperimentToJson(e_)["spec"];
    json old_spec = ExperimentToJson(old)["spec"];
    if (new_spec == old_spec) return;
    const bool restartable = IsConditionTrue(old.status.conditions, kSucceeded) &&
                             FindCondition(old.status.conditions, kSucceeded)->reason == kReasonMaxTrialsReached &&
                             (old.spec.resume_policy == "LongRunning" || old.spec.resume_policy == "FromVolume");
    if (IsExperimentCompleted(old) && !restartable) {
      Invalid("spec.resumePolicy", GoJsonString(s_.resume_policy),
              "Experiment can be restarted if it is in succeeded state by reaching max trials and "
              "spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, when experiment is completed",
              "this experiment cannot be restarted; create a new Experiment instead");
    }
    if (s_.max_trial_count && *s_.max_trial_count <= old.status.trials) {
      Invalid("spec.maxTrialCount", absl::StrCat(*s_.max_trial_count), "must be greater than status.trials count",
              absl::StrCat("status.trials is ", old.status.trials));
    }
    for (const char* key : {"parallelTrialCount", "maxTrialCount", "maxFailedTrialCount"}) {
      if (new_spec.contains(key)) {
        old_spec[key] = new_spec[key];
      } else {
        old_spec.erase(key);
      }
    }
    if (new_spec != old_spec) {
      std::vector<std::string> changed;
      for (auto it = new_spec.begin(); it != new_spec.end(); ++it) {
        if (!old_spec.contains(it.key()) || old_spec[it.key()] != it.value()) changed.push_back("spec." + it.key());
      }
      for (auto it = old_spec.begin(); it != old_spec.end(); ++it) {
        if (!new_spec.contains(it.key())) changed.push_back("spec." + it.key());
      }
      Forbidden("spec", "only spec.parallelTrialCount, spec.maxTrialCount and spec.maxFailedTrialCount are editable",
                absl::StrCat("changed: ", absl::StrJoin(changed, ", ")));
    }
  }

  // Rules 10-13; false when one of them failed (Katib returns there).
  bool ValidateObjective() {
    if (!s_.objective) {
      Required("spec.objective", "must be specified",
               "add spec.objective with type (minimize or maximize) and objectiveMetricName");
      return false;
    }
    const ObjectiveSpec& o = *s_.objective;
    const size_t before = errors_.size();
    if (o.type != "minimize" && o.type != "maximize") {
      Invalid("spec.objective.type", GoJsonString(o.type), "must be minimize or maximize");
    }
    if (o.objective_metric_name.empty()) {
      Required("spec.objective.objectiveMetricName", "must be specified",
               "the name of the metric your training code reports, e.g. loss");
    }
    if (Contains(o.additional_metric_names, o.objective_metric_name)) {
      Invalid("spec.objective.additionalMetricNames", GoJson(json(o.additional_metric_names)),
              "should not contain spec.objective.objectiveMetricName",
              absl::StrCat("remove ", GoQuote(o.objective_metric_name), " from spec.objective.additionalMetricNames"));
    }
    const bool ok = errors_.size() == before;
    if (extra_) {
      for (size_t i = 0; i < o.metric_strategies.size(); ++i) {
        const MetricStrategy& m = o.metric_strategies[i];
        if (m.value != "min" && m.value != "max" && m.value != "latest") {
          Invalid(absl::StrCat("spec.objective.metricStrategies[", i, "].value"), GoJsonString(m.value),
                  "must be min, max or latest",
                  "Katib does not check this; the trial's objective value would be undefined");
        }
      }
    }
    return ok;
  }

  // Rules 14-16.
  void ValidateAlgorithm() {
    const std::string available = Sorted(options_.algorithms);
    if (!s_.algorithm) {
      Required("spec.algorithm", "must be specified", absl::StrCat("set spec.algorithm.algorithmName to one of: ", available));
      return;
    }
    const std::string& name = s_.algorithm->algorithm_name;
    if (name.empty()) {
      Required("spec.algorithm.algorithmName", "must be specified", absl::StrCat("one of: ", available));
    }
    if (!Contains(options_.algorithms, name)) {
      Invalid("spec.algorithm.algorithmName", GoQuote(name),
              absl::StrCat("unable to get Suggestion config data for algorithm ", name, ": ktune has no algorithm ",
                           GoQuote(name), "; available: ", available));
    }
  }

  // Rules 17-18.
  void ValidateEarlyStopping() {
    if (!s_.early_stopping) return;
    const std::string& name = s_.early_stopping->algorithm_name;
    const std::string available = Sorted(options_.early_stopping_algorithms);
    if (name.empty()) {
      Required("spec.earlyStopping.algorithmName", "must be specified",
               options_.early_stopping_algorithms.empty() ? "ktune has no early stopping algorithm yet; remove spec.earlyStopping"
                                                          : absl::StrCat("one of: ", available));
    }
    if (!Contains(options_.early_stopping_algorithms, name)) {
      Invalid("spec.earlyStopping.algorithmName", GoQuote(name),
              absl::StrCat("unable to get EarlyStopping config data for algorithm ", name,
                           ": ktune has no early stopping algorithm ", GoQuote(name), "; available: ", available));
    }
  }

  // Rule 19.
  void ValidateResumePolicy() {
    const std::string& r = s_.resume_policy;
    if (r != "" && r != "Never" && r != "LongRunning" && r != "FromVolume") {
      Invalid("spec.resumePolicy", GoJsonString(r), "invalid ResumePolicyType", "use Never, LongRunning or FromVolume");
    }
  }

  // Rules 20-38.
  void ValidateTrialTemplate() {
    if (!s_.trial_template) {
      Required("spec.trialTemplate", "must be specified",
               "add spec.trialTemplate with primaryContainerName, trialParameters and trialSpec (e.g. a batch/v1 Job)");
      return;
    }
    const TrialTemplate& t = *s_.trial_template;
    if (t.primary_container_name.empty()) {
      std::vector<std::string> names = ContainerNames(t);
      Required("spec.trialTemplate.primaryContainerName", "must be specified",
               names.empty() ? "the name of the container that runs training"
                             : absl::StrCat("the name of the container that runs training; the template has: ",
                                            absl::StrJoin(names, ", ")));
    }
    if (t.success_condition.empty() || t.failure_condition.empty()) {
      std::string kind = t.trial_spec && t.trial_spec->is_object() ? t.trial_spec->value("kind", "") : "";
      Required("spec.trialTemplate", "successCondition and failureCondition must be specified",
               absl::StrCat("they are filled in only for trialSpec kinds Job, TrainJob, TFJob, PyTorchJob, XGBoostJob "
                            "and MPIJob",
                            kind.empty() ? "" : absl::StrCat(" (this one is ", GoQuote(kind), ")"),
                            "; set both as GJSON expressions over the job, e.g. "
                            "status.conditions.#(type==\"Complete\")#|#(status==\"True\")#"));
    }

    // The template text, when ktune can read it.
    std::optional<std::string> text;
    std::string text_error;
    if (t.trial_spec) {
      text = GoJson(*t.trial_spec);
    } else if (t.config_map && options_.load_config_map_template) {
      absl::StatusOr<std::string> loaded = options_.load_config_map_template(*t.config_map);
      if (loaded.ok()) {
        text = *loaded;
      } else {
        text_error = std::string(loaded.status().message());
      }
    }

    if (!t.trial_parameters || t.trial_parameters->empty()) {
      std::vector<std::string> found = text ? FindPlaceholders(*text) : std::vector<std::string>{};
      Required("spec.trialTemplate.trialParameters", "must be specified", TrialParametersHint(found));
      return;
    }
    if (!t.trial_spec && !t.config_map) {
      Required("spec.trialTemplate.TrialSource",
               "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified");
      return;
    }
    if (t.trial_spec && t.config_map) {
      Required("spec.trialTemplate",
               "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified");
      return;
    }
    if (t.config_map) {
      const ConfigMapSource& c = *t.config_map;
      std::vector<std::string> missing;
      if (c.config_map_name.empty()) missing.push_back("configMapName");
      if (c.config_map_namespace.empty()) missing.push_back("configMapNamespace");
      if (c.template_path.empty()) missing.push_back("templatePath");
      if (!missing.empty()) {
        Required("spec.trialTemplate.configMap", "configMapName, configMapNamespace and templatePath must be specified",
                 absl::StrCat("missing: ", absl::StrJoin(missing, ", ")));
        return;
      }
      if (!text_error.empty()) {
        Invalid("spec.trialTemplate", "\"\"", absl::StrCat("unable to parse spec.trialTemplate: ", text_error));
        return;
      }
    }

    const std::vector<TrialParameterSpec>& params = *t.trial_parameters;
    std::set<std::string> parameter_names;
    for (const auto& p : s_.parameters) parameter_names.insert(p.name);
    std::set<std::string> seen_names, seen_refs;
    for (size_t i = 0; i < params.size(); ++i) {
      const TrialParameterSpec& p = params[i];
      const std::string path = absl::StrCat("spec.trialTemplate.trialParameters[", i, "]");
      if (p.name.empty() || p.reference.empty() || p.name.find_first_of("{}") != std::string::npos) {
        std::string why = p.name.empty()        ? "name is empty"
                          : p.reference.empty() ? "reference is empty"
                                                : absl::StrCat("name ", GoQuote(p.name), " contains '{' or '}'");
        Invalid(path, "\"\"", "name and reference must be specified and name must not contain '{' or '}'", why);
        continue;
      }
      if (seen_names.count(p.name)) {
        Invalid(path + ".name", GoQuote(p.name),
                absl::StrCat("parameter name ", p.name, " can't be duplicated in spec.trialTemplate.trialParameters: ",
                             GoTrialParameters(params)),
                "give each trialParameter a different name");
        continue;
      }
      if (seen_refs.count(p.reference)) {
        Invalid(path + ".reference", GoQuote(p.reference),
                absl::StrCat("parameter reference ", p.reference,
                             " can't be duplicated in spec.trialTemplate.trialParameters: ", GoTrialParameters(params)),
                "use one trialParameter per reference, and its placeholder wherever the value is needed");
        continue;
      }
      seen_names.insert(p.name);
      seen_refs.insert(p.reference);
      if (!parameter_names.empty() && !IsMetaKey(p.reference) && !parameter_names.count(p.reference)) {
        std::vector<std::string> names(parameter_names.begin(), parameter_names.end());
        std::string closest = Closest(p.reference, names);
        Invalid(path + ".reference", GoQuote(p.reference),
                absl::StrCat("parameter reference ", p.reference, " does not exist in spec.parameters: ",
                             GoParameters(s_.parameters)),
                absl::StrCat(closest.empty() ? "" : absl::StrCat("did you mean ", GoQuote(closest), "? "),
                             "spec.parameters has: ", absl::StrJoin(names, ", "),
                             "; or reference trial metadata: ${trialSpec.Name}, ${trialSpec.Namespace}, "
                             "${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[key]}, "
                             "${trialSpec.Annotations[key]}"));
      }
      if (!text) continue;
      const std::string placeholder = ParamPlaceholder(p.name);
      if (text->find(placeholder) == std::string::npos) {
        Invalid(path + ".name", GoQuote(p.name),
                absl::StrCat("parameter name: ", p.name, " in spec.trialParameters not found in spec.trialTemplate: ",
                             *text),
                absl::StrCat("put ", placeholder,
                             " in the template where the value goes (e.g. \"--", p.name, "=", placeholder,
                             "\" in the container's command), or remove this trialParameter"));
        if (options_.katib_compatible) return;
        continue;
      }
      size_t pos = 0;
      while ((pos = text->find(placeholder, pos)) != std::string::npos) {
        text->replace(pos, placeholder.size(), "test-value");
        pos += sizeof("test-value") - 1;
      }
    }
    if (!text) return;  // a configMap template with no cluster to read it from

    std::vector<std::string> left;
    {
      static const RE2 kRe(R"((\$\{trialParameters\..+?\}))");
      re2::StringPiece input(*text);
      std::string match;
      while (RE2::FindAndConsume(&input, kRe, &match)) left.push_back(match);
    }
    if (!left.empty()) {
      Invalid("spec.trialTemplate", "\"\"",
              absl::StrCat("parameters: ", GoList(left), " in spec.trialTemplate not found in spec.trialParameters: ",
                           GoTrialParameters(params)),
              MissingTrialParametersHint(left));
    }

    std::optional<json> object;
    std::string parse_error;
    if (t.trial_spec) {
      json parsed = json::parse(*text, nullptr, false);
      if (!parsed.is_discarded()) object = std::move(parsed);
    } else {
      absl::StatusOr<json> parsed = ParseYamlDocument(*text);
      if (parsed.ok()) {
        object = std::move(*parsed);
      } else {
        parse_error = std::string(parsed.status().message());
      }
    }
    if (!object || !object->is_object()) {
      Invalid("spec.trialTemplate", "\"\"", absl::StrCat("unable to convert spec.trialTemplate: ", *text, " to unstructured"),
              parse_error.empty() ? "the template must be one Kubernetes object (YAML or JSON)"
                                  : absl::StrCat("the template is not a Kubernetes object: ", parse_error));
      return;
    }
    const json& meta = object->value("metadata", json::object());
    auto meta_string = [&](const char* key) {
      if (!meta.is_object()) return std::string();
      auto it = meta.find(key);
      return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (!meta_string("name").empty() || !meta_string("namespace").empty()) {
      Invalid("spec.trialTemplate", "\"\"", "metadata.name and metadata.namespace in spec.trialTemplate must be omitted",
              "remove them: each trial's job is named after the trial, in the experiment's namespace");
    }
    auto top_string = [&](const char* key) {
      auto it = object->find(key);
      return it != object->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string api_version = top_string("apiVersion");
    const std::string kind = top_string("kind");
    if (api_version.empty() || kind.empty()) {
      Required("spec.trialTemplate", "APIVersion and Kind in spec.trialTemplate must be specified",
               "e.g. apiVersion: batch/v1 and kind: Job");
    }
    if (api_version == "batch/v1" && kind == "Job") ValidateJob(*object);
  }

  // Rules 37-38.
  void ValidateJob(const json& object) {
    JobChecker checker;
    ordered_json converted = checker.Struct(object, JobSchema(), "");
    for (const JobProblem& p : checker.type_errors) {
      Invalid("spec.trialTemplate", "\"\"",
              absl::StrCat("invalid spec.trialTemplate: unable to convert spec.TrialTemplate: ", GoValue(object),
                           " to Job: ", p.detail),
              p.hint);
      if (options_.katib_compatible) return;
    }
    const std::string converted_json = GoJson(converted);
    for (const JobProblem& p : checker.unknown) {
      Invalid("spec.trialTemplate", "\"\"",
              absl::StrCat("invalid spec.trialTemplate: unable to convert: ", p.pointer, " - ", GoValue(p.value),
                           " to Job, converted template: ", converted_json),
              p.hint);
      if (options_.katib_compatible) return;
    }
  }

  static std::vector<std::string> ContainerNames(const TrialTemplate& t) {
    std::vector<std::string> names;
    const json* node = t.trial_spec ? &*t.trial_spec : nullptr;
    for (const char* key : {"spec", "template", "spec", "containers"}) {
      if (!node || !node->is_object() || !node->contains(key)) return names;
      node = &(*node)[key];
    }
    if (!node->is_array()) return names;
    for (const auto& c : *node) {
      if (c.is_object() && c.contains("name") && c["name"].is_string()) names.push_back(c["name"].get<std::string>());
    }
    return names;
  }

  // A trialParameter for `name`: the spec parameter it most likely refers to.
  std::string SuggestedReference(const std::string& name) const {
    std::vector<std::string> names;
    for (const auto& p : s_.parameters) names.push_back(p.name);
    if (Contains(names, name)) return name;
    std::string closest = Closest(name, names);
    if (!closest.empty()) return closest;
    return names.empty() ? "<parameter name>" : absl::StrCat("<one of: ", absl::StrJoin(names, ", "), ">");
  }

  std::string TrialParametersYaml(const std::vector<std::string>& placeholders) const {
    std::vector<std::string> items;
    for (const auto& ph : placeholders) {
      std::string name = ph.substr(std::string_view("${trialParameters.").size());
      name.pop_back();
      items.push_back(absl::StrCat("{name: ", name, ", reference: ", SuggestedReference(name), "}"));
    }
    return absl::StrJoin(items, ", ");
  }

  std::string TrialParametersHint(const std::vector<std::string>& placeholders) const {
    if (placeholders.empty()) {
      return "declare one trialParameter per value the template takes ({name: lr, reference: <parameter>}) "
             "and use it in the template as ${trialParameters.lr}";
    }
    return absl::StrCat("the template uses ", absl::StrJoin(placeholders, ", "), "; add trialParameters: [",
                        TrialParametersYaml(placeholders), "]");
  }

  std::string MissingTrialParametersHint(const std::vector<std::string>& left) const {
    std::vector<std::string> unique;
    for (const auto& l : left) {
      if (!Contains(unique, l)) unique.push_back(l);
    }
    return absl::StrCat(absl::StrJoin(unique, ", "), unique.size() == 1 ? " has" : " have",
                        " no trialParameter; add to spec.trialTemplate.trialParameters: ", TrialParametersYaml(unique));
  }

  // Rules 39-46 and ktune's checks of each parameter.
  void ValidateParameters() {
    std::map<std::string, size_t> first_index;
    for (size_t i = 0; i < s_.parameters.size(); ++i) {
      const ParameterSpec& p = s_.parameters[i];
      const FeasibleSpace& fs = p.feasible_space;
      const std::string path = absl::StrCat("spec.parameters[", i, "]");
      const std::string& type = p.parameter_type;
      if (!Contains(kParameterTypes, type) && type != "unknown") {
        Invalid(path + ".parameterType", GoJsonString(type), absl::StrCat("parameterType: ", type, " is not supported"),
                absl::StrCat("use one of: ", absl::StrJoin(kParameterTypes, ", ")));
      }
      if (!fs.distribution.empty() && !Contains(kDistributions, fs.distribution) && fs.distribution != "unknown") {
        Invalid(path + ".feasibleSpace.distribution", GoJsonString(fs.distribution),
                absl::StrCat("distribution: ", fs.distribution, " is not supported"),
                absl::StrCat("use one of: ", absl::StrJoin(kDistributions, ", ")));
      }
      const bool numeric = type == "double" || type == "int";
      const bool listed = type == "categorical" || type == "discrete";
      if (fs.max.empty() && fs.min.empty() && fs.list.empty() && fs.step.empty() && fs.distribution.empty()) {
        Required(path + ".feasibleSpace", "feasibleSpace must be specified");
      } else if (numeric) {
        if (!fs.list.empty()) {
          Invalid(path + ".feasibleSpace.list", GoJson(json(fs.list)),
                  absl::StrCat("feasibleSpace.list is not supported for parameterType: ", type),
                  absl::StrCat("use feasibleSpace.min and .max for ", type, ", or parameterType discrete or categorical "
                               "for a list"));
        }
        if (fs.max.empty() || fs.min.empty()) {
          Required(path + ".feasibleSpace.max",
                   absl::StrCat("feasibleSpace.max or feasibleSpace.min must be specified for parameterType: ", type),
                   fs.max.empty() && fs.min.empty() ? "set both feasibleSpace.min and feasibleSpace.max"
                   : fs.max.empty()                 ? "feasibleSpace.max is missing"
                                                    : "feasibleSpace.min is missing");
        }
      } else if (listed) {
        if (!fs.max.empty() || !fs.min.empty() || !fs.step.empty()) {
          Invalid(path + ".feasibleSpace", GoFeasibleSpaceJson(fs),
                  absl::StrCat("feasibleSpace .max, .min and .step is not supported for parameterType: ", type),
                  absl::StrCat("list the values in feasibleSpace.list for ", type,
                               ", or use parameterType int or double for a range"));
        }
      }
      if (!extra_) continue;
      if (p.name.empty()) {
        Required(path + ".name", "must be specified", "trialParameters reference parameters by this name");
      } else if (auto [it, inserted] = first_index.emplace(p.name, i); !inserted) {
        Invalid(path + ".name", GoQuote(p.name), absl::StrCat("duplicates spec.parameters[", it->second, "].name"),
                "parameter names must be unique");
      }
      if (numeric) CheckRange(p, path);
      if (listed) CheckList(p, path);
    }
  }

  // ktune: min, max and step are numbers (integers for int), min <= max, step > 0.
  void CheckRange(const ParameterSpec& p, const std::string& path) {
    const FeasibleSpace& fs = p.feasible_space;
    const bool is_int = p.parameter_type == "int";
    const std::string what = is_int ? "must be an integer for parameterType: int" : "must be a number for parameterType: double";
    auto parse = [&](const std::string& value, const char* field) -> std::optional<double> {
      if (value.empty()) return std::nullopt;
      std::optional<double> v;
      if (is_int) {
        if (auto i = ParseInteger(value)) v = static_cast<double>(*i);
      } else {
        v = ParseNumber(value);
      }
      if (!v) {
        Invalid(absl::StrCat(path, ".feasibleSpace.", field), GoQuote(value), what,
                "Katib accepts it, but the suggestion service fails to parse it at run time");
      }
      return v;
    };
    std::optional<double> min = parse(fs.min, "min");
    std::optional<double> max = parse(fs.max, "max");
    std::optional<double> step = parse(fs.step, "step");
    if (min && max && *min > *max) {
      Invalid(path + ".feasibleSpace.min", GoQuote(fs.min),
              absl::StrCat("must be less than or equal to feasibleSpace.max (", fs.max, ")"), "swap min and max");
    }
    if (step && *step <= 0) {
      Invalid(path + ".feasibleSpace.step", GoQuote(fs.step), "must be greater than 0");
    }
    if (min && fs.distribution == "logUniform" && *min <= 0) {
      Invalid(path + ".feasibleSpace.min", GoQuote(fs.min), "must be greater than 0 for distribution: logUniform",
              "a log-uniform range cannot include 0 or negative values");
    }
  }

  // ktune: a non-empty list, numeric for discrete, without repeats.
  void CheckList(const ParameterSpec& p, const std::string& path) {
    const FeasibleSpace& fs = p.feasible_space;
    if (fs.list.empty()) {
      Required(path + ".feasibleSpace.list", absl::StrCat("must not be empty for parameterType: ", p.parameter_type),
               "list the values to try");
      return;
    }
    std::set<std::string> seen;
    for (size_t j = 0; j < fs.list.size(); ++j) {
      const std::string item_path = absl::StrCat(path, ".feasibleSpace.list[", j, "]");
      if (p.parameter_type == "discrete" && !ParseNumber(fs.list[j])) {
        Invalid(item_path, GoQuote(fs.list[j]), "must be a number for parameterType: discrete",
                "use parameterType categorical for values that are not numbers");
      }
      if (!seen.insert(fs.list[j]).second) {
        Invalid(item_path, GoQuote(fs.list[j]), "duplicate value", "list each value once");
      }
    }
  }

  // Rules 47-60 and ktune's checks of the StdOut filter.
  void ValidateMetricsCollector() {
    static const MetricsCollectorSpec kNone;
    const MetricsCollectorSpec& m = s_.metrics_collector_spec ? *s_.metrics_collector_spec : kNone;
    const std::string& kind = m.kind;
    const std::string kind_path = "spec.metricsCollectorSpec.collector.kind";
    const std::string source = "spec.metricsCollectorSpec.source";
    if ((kind == "StdOut" || kind == "File" || kind == "TensorFlowEvent" || kind == "PrometheusMetric") &&
        !Contains(options_.metrics_collector_kinds, kind)) {
      Invalid(kind_path, GoJsonString(kind),
              absl::StrCat("GetMetricsCollectorConfigData failed: ktune has no metrics collector ", GoQuote(kind),
                           "; available: ", Sorted(options_.metrics_collector_kinds)));
    }
    const FileSystemPath* fsp = m.file_system_path ? &*m.file_system_path : nullptr;
    if (kind == "Push") return;
    if (kind == "StdOut") {
      if (extra_) ValidateFilters(m, /*katib_checks_it=*/false);
      return;
    }
    if (kind == "File") {
      if (!fsp || fsp->kind != "File" || !IsAbsolutePath(fsp->path)) {
        Required(source + ".fileSystemPath.path", "file path where metrics file exists is required",
                 "set source.fileSystemPath to an absolute path with kind File, e.g. /var/log/katib/metrics.log");
      }
      const std::string format = fsp ? fsp->format : "";
      if (format != "TEXT" && format != "JSON") {
        Required(source + ".fileSystemPath.format", "format of metrics file is required for metrics collector",
                 "use TEXT or JSON");
      }
      if (format == "JSON" && m.metrics_format) {
        Invalid(source + ".filter", "\"\"", "filter must be nil when format of metrics file is json",
                "remove source.filter: JSON lines are read by key");
      }
    } else if (kind == "TensorFlowEvent") {
      if (!fsp || fsp->kind != "Directory" || !IsAbsolutePath(fsp->path)) {
        Required(source,
                 "directory path where tensorflow event files exist is required by "
                 ".spec.metricsCollectorSpec.source.fileSystemPath.path",
                 "set source.fileSystemPath to an absolute directory with kind Directory, e.g. /var/log/katib/tfevent/");
      }
      if (fsp && !fsp->format.empty()) {
        Invalid(source + ".fileSystemPath.format", GoJsonString(fsp->format), "must be empty",
                "remove fileSystemPath.format for TensorFlowEvent");
      }
    } else if (kind == "PrometheusMetric") {
      json http = m.http_get.value_or(json::object());
      std::string port;
      if (http.contains("port")) port = http["port"].is_string() ? http["port"].get<std::string>() : http["port"].dump();
      std::optional<long long> port_number = ParseInteger(port);
      if (!port_number || *port_number <= 0) {
        Invalid(source + ".httpGet.port", GoQuote(port),
                "must be a positive integer value for metrics collector kind: PrometheusMetric", "e.g. 8080");
      }
      std::string path = http.contains("path") && http["path"].is_string() ? http["path"].get<std::string>() : "";
      if (path.empty() || path[0] != '/') {
        Invalid(source + ".httpGet.path", GoQuote(path), "path is invalid for metrics collector kind: PrometheusMetric",
                "the path must start with '/', e.g. /metrics");
      }
    } else if (kind == "Custom") {
      if (!m.custom_collector) {
        Required("spec.metricsCollectorSpec.collector.customCollector", "metrics collector kind: Custom is required",
                 "set collector.customCollector to the collector's container spec");
      }
      if (fsp && (!IsAbsolutePath(fsp->path) || (fsp->kind != "Directory" && fsp->kind != "File"))) {
        Invalid(source + ".fileSystemPath", "\"\"", ".spec.metricsCollectorSpec.source is invalid",
                "fileSystemPath needs an absolute path and kind File or Directory");
      }
    } else {
      Invalid(kind_path, GoJsonString(kind), absl::StrCat("invalid metrics collector kind: ", kind),
              absl::StrCat("use one of: ", absl::StrJoin(kCollectorKinds, ", ")));
    }
    ValidateFilters(m, /*katib_checks_it=*/true);
  }

  // Rules 59-60, and ktune's capture-group count.
  void ValidateFilters(const MetricsCollectorSpec& m, bool katib_checks_it) {
    if (!m.metrics_format || m.metrics_format->empty()) return;
    static const RE2 kTwoBrackets(R"(.*\(.*\).*\(.*\).*)");
    const std::string path = "spec.metricsCollectorSpec.source.filter.metricsFormat";
    const std::string not_katib =
        katib_checks_it ? "" : "Katib does not check metricsFormat for the StdOut collector; the collector would fail at run time. ";
    const std::string example = absl::StrCat("e.g. ", kDefaultMetricsFilter);
    for (const std::string& format : *m.metrics_format) {
      RE2 re(format, RE2::Quiet);
      if (!re.ok()) {
        Invalid(path, GoQuote(format), absl::StrCat("invalid filter: ", GoRegexpError(re)),
                absl::StrCat(not_katib, "metricsFormat entries use RE2 (Go regexp) syntax"));
        continue;
      }
      if (!RE2::PartialMatch(format, kTwoBrackets)) {
        Invalid(path, GoQuote(format), "two top subexpressions are required",
                absl::StrCat(not_katib, "group 1 must capture the metric name and group 2 its value, ", example));
      } else if (extra_ && re.NumberOfCapturingGroups() < 2) {
        Invalid(path, GoQuote(format),
                absl::StrCat("has ", re.NumberOfCapturingGroups(),
                             " capture groups; two are required: the first captures the metric name, the second "
                             "its value"),
                absl::StrCat(not_katib, "escaped parentheses \\( \\) do not capture; ", example));
      }
    }
  }

  const Experiment& e_;
  const ExperimentSpec& s_;
  const ValidationOptions& options_;
  const bool extra_;  // ktune's checks beyond Katib's
  std::vector<FieldError> errors_;
};

}  // namespace

std::string FieldError::KatibMessage() const {
  switch (type) {
    case Type::kRequired: return absl::StrCat(field, ": Required value: ", detail);
    case Type::kForbidden: return absl::StrCat(field, ": Forbidden: ", detail);
    case Type::kInvalid: break;
  }
  return absl::StrCat(field, ": Invalid value: ", value, ": ", detail);
}

std::string FieldError::ToString() const {
  std::string message = KatibMessage();
  if (hint.empty()) return message;
  return absl::StrCat(message, " (", hint, ")");
}

std::vector<FieldError> ValidateExperiment(const Experiment& experiment, const ValidationOptions& options) {
  return Validator(experiment, options).Run();
}

}  // namespace ktune::core

#include "core/validation.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include <re2/re2.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/defaults.h"
#include "core/internal/go_format.h"
#include "core/internal/katib_schema.h"
#include "core/internal/strings.h"
#include "core/internal/validator.h"
#include "core/job_schema.h"
#include "core/json_access.h"
#include "core/number.h"
#include "core/pod_template.h"

namespace ktune::core {
namespace {

using nlohmann::json;

// ---- small helpers ---------------------------------------------------------------------------

std::string Sorted(std::vector<std::string> list, const char* empty = "none yet") {
  if (list.empty()) return empty;
  std::sort(list.begin(), list.end());
  return absl::StrJoin(list, ", ");
}

bool IsAbsolutePath(const std::string& path) { return !path.empty() && path[0] == '/'; }

constexpr char kNameDetail[] =
    "name must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used "
    "for validation is '^[a-z]([-a-z0-9]*[a-z0-9])?)') and may not be longer than 40 characters. ";

const std::vector<std::string> kParameterTypes = {"int", "double", "categorical", "discrete"};
const std::vector<std::string> kDistributions = {"uniform", "logUniform", "normal", "logNormal"};
const std::vector<std::string> kCollectorKinds = {"StdOut",           "File",   "TensorFlowEvent",
                                                  "PrometheusMetric", "Custom", "Push"};

}  // namespace

namespace internal {

std::vector<FieldError> Validator::Run() {
  // Katib's webhook decodes the object into its typed API first; when that fails, it answers
  // with the decoder's error and validates nothing.
  if (DecodeAsKatib()) katib_stopped_ = true;
  ValidateNameAndCounts();
  if (options_.old_experiment) ValidateUpdate(*options_.old_experiment);
  if (!ValidateObjective()) katib_stopped_ = true;  // Katib returns here.
  ValidateAlgorithm();
  ValidateEarlyStopping();
  ValidateResumePolicy();
  ValidateTrialTemplate();
  template_stopped_ = false;
  if (s_.parameters.empty() && !s_.nas_config) {
    Required("spec", "spec.parameters or spec.nasConfig must be specified",
             "add spec.parameters: the hyperparameters to search")
        .blocks_run = true;
  }
  if (!s_.parameters.empty() && s_.nas_config) {
    const bool deep = s_.trial_template && s_.trial_template->trial_spec &&
                      JsonDepth(*s_.trial_template->trial_spec) > kDefaultMaxJsonDepth;
    Invalid("spec",
            deep ? "{...}"
                 : Quote("spec", GoJson(internal::KatibOrderedSpec(ExperimentToJson(e_)["spec"]))),
            "only one of spec.parameters and spec.nasConfig can be specified",
            "spec.parameters is for hyperparameter tuning, spec.nasConfig for neural "
            "architecture search");
  }
  if (!s_.parameters.empty()) ValidateParameters();
  ValidateMetricsCollector();
  if (dropped_errors_ > 0) {
    FieldError more;
    more.type = FieldError::Type::kInvalid;
    more.field = "spec";
    more.value = "\"...\"";
    more.detail = absl::StrCat(dropped_errors_, " more errors not shown");
    errors_.push_back(std::move(more));
  }
  if (dropped_warnings_ > 0) {
    FieldError more;
    more.type = FieldError::Type::kInvalid;
    more.field = "spec";
    more.value = "\"...\"";
    more.detail = absl::StrCat(dropped_warnings_, " more warnings not shown");
    more.severity = FieldError::Severity::kWarning;
    errors_.push_back(std::move(more));
  }
  if (options_.katib_compatible) {
    errors_.erase(std::remove_if(errors_.begin(), errors_.end(),
                                 [](const FieldError& e) {
                                   return e.severity == FieldError::Severity::kWarning;
                                 }),
                  errors_.end());
  }
  return std::move(errors_);
}

FieldError& Validator::Add(FieldError::Type type, std::string field, std::string value,
                           std::string detail, std::string hint) {
  FieldError e{type, std::move(field), std::move(value), std::move(detail), std::move(hint)};
  if (katib_stopped_ || template_stopped_) {
    e.severity = FieldError::Severity::kWarning;
    e.hint = e.hint.empty() ? std::string(kAfterKatibStops)
                            : absl::StrCat(e.hint, "; ", kAfterKatibStops);
    return Keep(std::move(e));
  }
  if (errors_kept_ >= kMaxErrors) {
    ++dropped_errors_;
    scratch_ = FieldError{};
    return scratch_;
  }
  ++errors_kept_;
  errors_.push_back(std::move(e));
  return errors_.back();
}

FieldError& Validator::Required(std::string field, std::string detail, std::string hint) {
  return Add(FieldError::Type::kRequired, std::move(field), "", std::move(detail), std::move(hint));
}

FieldError& Validator::Invalid(std::string field, std::string value, std::string detail,
                               std::string hint) {
  return Add(FieldError::Type::kInvalid, std::move(field), std::move(value), std::move(detail),
             std::move(hint));
}

FieldError& Validator::Forbidden(std::string field, std::string detail, std::string hint) {
  return Add(FieldError::Type::kForbidden, std::move(field), "", std::move(detail),
             std::move(hint));
}

FieldError& Validator::Own(FieldError& e) {
  if (&e == &scratch_) return scratch_;
  if (e.severity == FieldError::Severity::kWarning) return e;  // already demoted and counted
  FieldError moved = std::move(e);
  errors_.pop_back();
  --errors_kept_;
  moved.severity = FieldError::Severity::kWarning;
  return Keep(std::move(moved));
}

FieldError& Validator::Keep(FieldError e) {
  if (warnings_ >= kMaxWarnings) {
    ++dropped_warnings_;
    scratch_ = FieldError{};
    return scratch_;
  }
  ++warnings_;
  errors_.push_back(std::move(e));
  return errors_.back();
}

std::string Validator::Quote(const std::string& key, std::string text) {
  if (text.size() <= 64) return text;
  if (!quoted_.insert(key).second) return absl::StrCat("<", key, ", as quoted above>");
  return CutQuote(std::move(text));
}

bool Validator::DecodeAsKatib() {
  bool failed = false;
  if (options_.raw_experiment) failed = DecodeRawAsKatib(*options_.raw_experiment);
  if (failed || !s_.trial_template || !s_.trial_template->trial_spec) return failed;
  const json& spec = *s_.trial_template->trial_spec;
  const std::optional<std::string> kind = StringFieldOf(spec, "kind");
  if (!kind || kind->empty()) {
    // unstructured.Unstructured's decoder: a trialSpec needs a kind.
    FieldError& e =
        Add(FieldError::Type::kDecode, "spec.trialTemplate.trialSpec", "",
            absl::StrCat("Object 'Kind' is missing in '", Quote("the template", GoJson(spec)), "'"),
            "add kind (and apiVersion) to the trialSpec, e.g. kind: Job and apiVersion: batch/v1");
    e.blocks_run = true;
    return true;
  }
  return false;
}

bool Validator::DecodeRawAsKatib(const json& raw) {
  if (std::optional<internal::KatibDecodeError> e = internal::FirstKatibDecodeError(raw)) {
    Add(FieldError::Type::kDecode, e->field, "", e->message,
        absl::StrCat("quote the value: \"", e->value->dump(), "\""));
    return true;
  }
  // `collector: {}` (or a collector without kind): Katib's defaulter only fills in a missing
  // collector, so the kind stays empty and is rejected below (rule 58).
  if (const json* collector =
          PathOf(raw, {"spec", "metricsCollectorSpec", "collector"}, JsonType::kObject)) {
    const std::optional<std::string> kind = StringFieldOf(*collector, "kind");
    if (!kind || kind->empty()) collector_without_kind_ = true;
  }
  return false;
}

void Validator::ValidateNameAndCounts() {
  static const RE2 kName("^[a-z]([-a-z0-9]*[a-z0-9])?");
  const std::string& name = e_.metadata.name;
  if (!RE2::PartialMatch(name, kName) || name.size() > 40) {
    Invalid("metadata.name", GoQuote(name), kNameDetail, NameHint(name));
  } else if (!RE2::FullMatch(name, kName)) {
    // Katib's regex is not end-anchored; the name also names the suggestion Deployment and
    // Service (DNS-1035 labels), which fail later in a cluster (a local run is fine).
    Own(Invalid(
        "metadata.name", GoQuote(name),
        "must consist of lower case alphanumeric characters or '-' and end with an alphanumeric "
        "character",
        absl::StrCat(
            "Katib accepts it, but the suggestion Service named after it would be rejected; ",
            NameHint(name))));
  }
  const auto& max_failed = s_.max_failed_trial_count;
  const auto& max_trials = s_.max_trial_count;
  const auto& parallel = s_.parallel_trial_count;
  if (max_failed && *max_failed < 0) {
    Invalid("spec.maxFailedTrialCount", absl::StrCat(*max_failed), "should not be less than 0");
  }
  if (max_trials && *max_trials <= 0) {
    Invalid("spec.maxTrialCount", absl::StrCat(*max_trials), "must be greater than 0").blocks_run =
        true;
  }
  if (parallel && *parallel <= 0) {
    Invalid("spec.parallelTrialCount", absl::StrCat(*parallel), "must be greater than 0")
        .blocks_run = true;
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

std::string Validator::NameHint(const std::string& name) {
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

void Validator::ValidateUpdate(const Experiment& old) {
  const json new_spec = ExperimentToJson(e_)["spec"];
  json old_spec = ExperimentToJson(old)["spec"];
  if (new_spec == old_spec) return;
  const bool restartable =
      IsConditionTrue(old.status.conditions, kSucceeded) &&
      FindCondition(old.status.conditions, kSucceeded)->reason == kReasonMaxTrialsReached &&
      (old.spec.resume_policy == "LongRunning" || old.spec.resume_policy == "FromVolume");
  if (IsExperimentCompleted(old) && !restartable) {
    Invalid("spec.resumePolicy", GoJsonString(s_.resume_policy),
            "Experiment can be restarted if it is in succeeded state by reaching max trials and "
            "spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, when experiment "
            "is completed",
            "this experiment cannot be restarted; create a new Experiment instead");
  }
  if (s_.max_trial_count && *s_.max_trial_count <= old.status.trials) {
    Invalid("spec.maxTrialCount", absl::StrCat(*s_.max_trial_count),
            "must be greater than status.trials count",
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
      if (!old_spec.contains(it.key()) || old_spec[it.key()] != it.value())
        changed.push_back("spec." + it.key());
    }
    for (auto it = old_spec.begin(); it != old_spec.end(); ++it) {
      if (!new_spec.contains(it.key())) changed.push_back("spec." + it.key());
    }
    Forbidden("spec",
              "only spec.parallelTrialCount, spec.maxTrialCount and spec.maxFailedTrialCount are "
              "editable",
              absl::StrCat("changed: ", absl::StrJoin(changed, ", ")));
  }
}

bool Validator::ValidateObjective() {
  if (!s_.objective) {
    Required("spec.objective", "must be specified",
             "add spec.objective with type (minimize or maximize) and objectiveMetricName")
        .blocks_run = true;
    return false;
  }
  const ObjectiveSpec& o = *s_.objective;
  const size_t before = errors_.size();
  if (o.type != "minimize" && o.type != "maximize") {
    Invalid("spec.objective.type", GoJsonString(o.type), "must be minimize or maximize")
        .blocks_run = true;
  }
  if (o.objective_metric_name.empty()) {
    Required("spec.objective.objectiveMetricName", "must be specified",
             "the name of the metric your training code reports, e.g. loss")
        .blocks_run = true;
  }
  if (Contains(o.additional_metric_names, o.objective_metric_name)) {
    Invalid("spec.objective.additionalMetricNames",
            Quote("spec.objective.additionalMetricNames", GoJson(json(o.additional_metric_names))),
            "should not contain spec.objective.objectiveMetricName",
            absl::StrCat("remove ", GoQuote(o.objective_metric_name),
                         " from spec.objective.additionalMetricNames"));
  }
  const bool ok = errors_.size() == before;
  for (size_t i = 0; i < o.metric_strategies.size(); ++i) {
    const MetricStrategy& m = o.metric_strategies[i];
    if (m.value != "min" && m.value != "max" && m.value != "latest") {
      Own(Invalid(absl::StrCat("spec.objective.metricStrategies[", i, "].value"),
                  GoJsonString(m.value), "must be min, max or latest",
                  "Katib does not check this; the trial's objective value would be undefined"));
    }
  }
  return ok;
}

void Validator::ValidateAlgorithm() {
  const std::string available = Sorted(options_.algorithms);
  if (!s_.algorithm) {
    Required("spec.algorithm", "must be specified",
             absl::StrCat("set spec.algorithm.algorithmName to one of: ", available))
        .blocks_run = true;
    return;
  }
  const std::string& name = s_.algorithm->algorithm_name;
  if (name.empty()) {
    Required("spec.algorithm.algorithmName", "must be specified",
             absl::StrCat("one of: ", available))
        .blocks_run = true;
  }
  if (!Contains(options_.algorithms, name)) {
    // Katib's words for an algorithm its katib-config has no suggestion image for.
    Invalid("spec.algorithm.algorithmName", GoQuote(name),
            absl::StrCat("unable to get Suggestion config data for algorithm ", name,
                         ": failed to find suggestion config for algorithm: ", name,
                         " in ConfigMap: katib-config"),
            absl::StrCat("ktune has no algorithm ", GoQuote(name), "; available: ", available))
        .blocks_run = true;
  }
}

void Validator::ValidateEarlyStopping() {
  if (!s_.early_stopping) return;
  const std::string& name = s_.early_stopping->algorithm_name;
  const std::string available = Sorted(options_.early_stopping_algorithms);
  if (name.empty()) {
    Required("spec.earlyStopping.algorithmName", "must be specified",
             options_.early_stopping_algorithms.empty()
                 ? "ktune has no early stopping algorithm yet; remove spec.earlyStopping"
                 : absl::StrCat("one of: ", available))
        .blocks_run = true;
  }
  if (!Contains(options_.early_stopping_algorithms, name)) {
    Invalid("spec.earlyStopping.algorithmName", GoQuote(name),
            absl::StrCat("unable to get EarlyStopping config data for algorithm ", name,
                         ": failed to find early stopping config for algorithm: ", name,
                         " in ConfigMap: katib-config"),
            absl::StrCat("ktune has no early stopping algorithm ", GoQuote(name),
                         "; available: ", available))
        .blocks_run = true;
  }
}

void Validator::ValidateResumePolicy() {
  const std::string& r = s_.resume_policy;
  if (r != "" && r != "Never" && r != "LongRunning" && r != "FromVolume") {
    Invalid("spec.resumePolicy", GoJsonString(r), "invalid ResumePolicyType",
            "use Never, LongRunning or FromVolume");
  }
}

void Validator::ValidateParameters() {
  std::map<std::string, size_t> first_index;
  for (size_t i = 0; i < s_.parameters.size(); ++i) {
    const ParameterSpec& p = s_.parameters[i];
    const FeasibleSpace& fs = p.feasible_space;
    const std::string path = absl::StrCat("spec.parameters[", i, "]");
    const std::string& type = p.parameter_type;
    if (!Contains(kParameterTypes, type) && type != "unknown") {
      Invalid(path + ".parameterType", GoJsonString(type),
              absl::StrCat("parameterType: ", type, " is not supported"),
              absl::StrCat("use one of: ", absl::StrJoin(kParameterTypes, ", ")))
          .blocks_run = true;
    }
    if (!fs.distribution.empty() && !Contains(kDistributions, fs.distribution) &&
        fs.distribution != "unknown") {
      Invalid(path + ".feasibleSpace.distribution", GoJsonString(fs.distribution),
              absl::StrCat("distribution: ", fs.distribution, " is not supported"),
              absl::StrCat("use one of: ", absl::StrJoin(kDistributions, ", ")))
          .blocks_run = true;
    }
    const bool numeric = type == "double" || type == "int";
    const bool listed = type == "categorical" || type == "discrete";
    if (fs.max.empty() && fs.min.empty() && fs.list.empty() && fs.step.empty() &&
        fs.distribution.empty()) {
      Required(path + ".feasibleSpace", "feasibleSpace must be specified").blocks_run = true;
    } else if (numeric) {
      if (!fs.list.empty()) {
        Invalid(path + ".feasibleSpace.list",
                Quote(path + ".feasibleSpace.list", GoJson(json(fs.list))),
                absl::StrCat("feasibleSpace.list is not supported for parameterType: ", type),
                absl::StrCat("use feasibleSpace.min and .max for ", type,
                             ", or parameterType discrete or categorical "
                             "for a list"));
      }
      if (fs.max.empty() || fs.min.empty()) {
        Required(path + ".feasibleSpace.max",
                 absl::StrCat(
                     "feasibleSpace.max or feasibleSpace.min must be specified for parameterType: ",
                     type),
                 fs.max.empty() && fs.min.empty()
                     ? "set both feasibleSpace.min and feasibleSpace.max"
                 : fs.max.empty() ? "feasibleSpace.max is missing"
                                  : "feasibleSpace.min is missing")
            .blocks_run = true;
      }
    } else if (listed) {
      if (!fs.max.empty() || !fs.min.empty() || !fs.step.empty()) {
        Invalid(
            path + ".feasibleSpace", Quote(path + ".feasibleSpace", GoFeasibleSpaceJson(fs)),
            absl::StrCat("feasibleSpace .max, .min and .step is not supported for parameterType: ",
                         type),
            absl::StrCat("list the values in feasibleSpace.list for ", type,
                         ", or use parameterType int or double for a range"));
      }
    }
    // ktune's own checks: Katib admits all of these; the suggestion service fails on them.
    if (p.name.empty()) {
      Own(Required(path + ".name", "must be specified",
                   "trialParameters reference parameters by this name"))
          .blocks_run = true;
    } else if (auto [it, inserted] = first_index.emplace(p.name, i); !inserted) {
      Own(Invalid(path + ".name", GoQuote(p.name),
                  absl::StrCat("duplicates spec.parameters[", it->second, "].name"),
                  "parameter names must be unique"))
          .blocks_run = true;
    }
    if (numeric) CheckRange(p, path);
    if (listed) CheckList(p, path);
  }
}

void Validator::CheckRange(const ParameterSpec& p, const std::string& path) {
  const FeasibleSpace& fs = p.feasible_space;
  const bool is_int = p.parameter_type == "int";
  const std::string what = is_int ? "must be an integer for parameterType: int"
                                  : "must be a number for parameterType: double";
  auto parse = [&](const std::string& value, const char* field) -> std::optional<double> {
    if (value.empty()) return std::nullopt;
    std::optional<double> v;
    if (is_int) {
      if (auto i = ParseInteger(value)) v = static_cast<double>(*i);
    } else {
      v = ParseFiniteNumber(value);
    }
    if (!v) {
      Own(Invalid(absl::StrCat(path, ".feasibleSpace.", field), GoQuote(value), what,
                  "Katib accepts it, but the suggestion service fails to parse it at run time"))
          .blocks_run = true;
    }
    return v;
  };
  std::optional<double> min = parse(fs.min, "min");
  std::optional<double> max = parse(fs.max, "max");
  std::optional<double> step = parse(fs.step, "step");
  if (min && max && *min > *max) {
    Own(Invalid(path + ".feasibleSpace.min", GoQuote(fs.min),
                absl::StrCat("must be less than or equal to feasibleSpace.max (", fs.max, ")"),
                "swap min and max"))
        .blocks_run = true;
  }
  if (step && *step <= 0) {
    Own(Invalid(path + ".feasibleSpace.step", GoQuote(fs.step), "must be greater than 0"));
  }
  if (min && fs.distribution == "logUniform" && *min <= 0) {
    Own(Invalid(path + ".feasibleSpace.min", GoQuote(fs.min),
                "must be greater than 0 for distribution: logUniform",
                "a log-uniform range cannot include 0 or negative values"));
  }
}

void Validator::CheckList(const ParameterSpec& p, const std::string& path) {
  const FeasibleSpace& fs = p.feasible_space;
  if (fs.list.empty()) {
    Own(Required(path + ".feasibleSpace.list",
                 absl::StrCat("must not be empty for parameterType: ", p.parameter_type),
                 "list the values to try"))
        .blocks_run = true;
    return;
  }
  std::set<std::string> seen;
  for (size_t j = 0; j < fs.list.size(); ++j) {
    const std::string item_path = absl::StrCat(path, ".feasibleSpace.list[", j, "]");
    if (p.parameter_type == "discrete" && !ParseFiniteNumber(fs.list[j])) {
      Own(Invalid(item_path, GoQuote(fs.list[j]), "must be a number for parameterType: discrete",
                  "use parameterType categorical for values that are not numbers"))
          .blocks_run = true;
    }
    if (!seen.insert(fs.list[j]).second) {
      Own(Invalid(item_path, GoQuote(fs.list[j]), "duplicate value", "list each value once"));
    }
  }
}

void Validator::ValidateMetricsCollector() {
  static const MetricsCollectorSpec kNone;
  const MetricsCollectorSpec& m = s_.metrics_collector_spec ? *s_.metrics_collector_spec : kNone;
  // `collector: {}` keeps an empty kind in Katib (its defaulter fills in only a missing
  // collector).
  const std::string kind = collector_without_kind_ ? "" : m.kind;
  const std::string kind_path = "spec.metricsCollectorSpec.collector.kind";
  const std::string source = "spec.metricsCollectorSpec.source";
  if ((kind == "StdOut" || kind == "File" || kind == "TensorFlowEvent" ||
       kind == "PrometheusMetric") &&
      !Contains(options_.metrics_collector_kinds, kind)) {
    Invalid(kind_path, GoJsonString(kind),
            absl::StrCat("GetMetricsCollectorConfigData failed: failed to find metrics collector "
                         "config for kind: ",
                         kind, " in ConfigMap: katib-config"),
            absl::StrCat("ktune has no metrics collector ", GoQuote(kind),
                         "; available: ", Sorted(options_.metrics_collector_kinds)))
        .blocks_run = true;
  }
  const FileSystemPath* fsp = m.file_system_path ? &*m.file_system_path : nullptr;
  if (kind == "Push") return;
  if (kind == "StdOut") {
    ValidateFilters(m, /*katib_checks_it=*/false);
    return;
  }
  if (kind == "File") {
    if (!fsp || fsp->kind != "File" || !IsAbsolutePath(fsp->path)) {
      Required(source + ".fileSystemPath.path", "file path where metrics file exists is required",
               "set source.fileSystemPath to an absolute path with kind File, e.g. "
               "/var/log/katib/metrics.log")
          .blocks_run = true;
    }
    const std::string format = fsp ? fsp->format : "";
    if (format != "TEXT" && format != "JSON") {
      Required(source + ".fileSystemPath.format",
               "format of metrics file is required for metrics collector", "use TEXT or JSON")
          .blocks_run = true;
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
               "set source.fileSystemPath to an absolute directory with kind Directory, e.g. "
               "/var/log/katib/tfevent/")
          .blocks_run = true;
    }
    if (fsp && !fsp->format.empty()) {
      Invalid(source + ".fileSystemPath.format", GoJsonString(fsp->format), "must be empty",
              "remove fileSystemPath.format for TensorFlowEvent");
    }
  } else if (kind == "PrometheusMetric") {
    static const json kEmpty = json::object();
    const json& http = m.http_get ? *m.http_get : kEmpty;
    std::string port;
    if (const json* p = FieldOf(http, "port"))
      port = p->is_string() ? p->get<std::string>() : p->dump();
    std::optional<int64_t> port_number = ParseInteger(port);
    if (!port_number || *port_number <= 0) {
      Invalid(source + ".httpGet.port", GoQuote(port),
              "must be a positive integer value for metrics collector kind: PrometheusMetric",
              "e.g. 8080")
          .blocks_run = true;
    }
    const std::string path = StringFieldOr(http, "path");
    if (path.empty() || path[0] != '/') {
      Invalid(source + ".httpGet.path", GoQuote(path),
              "path is invalid for metrics collector kind: PrometheusMetric",
              "the path must start with '/', e.g. /metrics")
          .blocks_run = true;
    }
  } else if (kind == "Custom") {
    if (!m.custom_collector) {
      Required("spec.metricsCollectorSpec.collector.customCollector",
               "metrics collector kind: Custom is required",
               "set collector.customCollector to the collector's container spec")
          .blocks_run = true;
    }
    if (fsp && (!IsAbsolutePath(fsp->path) || (fsp->kind != "Directory" && fsp->kind != "File"))) {
      Invalid(source + ".fileSystemPath", "\"\"", ".spec.metricsCollectorSpec.source is invalid",
              "fileSystemPath needs an absolute path and kind File or Directory")
          .blocks_run = true;
    }
  } else {
    Invalid(kind_path, GoJsonString(kind), absl::StrCat("invalid metrics collector kind: ", kind),
            absl::StrCat("use one of: ", absl::StrJoin(kCollectorKinds, ", ")))
        .blocks_run = true;
  }
  ValidateFilters(m, /*katib_checks_it=*/true);
}

void Validator::ValidateFilters(const MetricsCollectorSpec& m, bool katib_checks_it) {
  if (!m.metrics_format || m.metrics_format->empty()) return;
  static const RE2 kTwoBrackets(R"(.*\(.*\).*\(.*\).*)");
  const std::string path = "spec.metricsCollectorSpec.source.filter.metricsFormat";
  const std::string not_katib = katib_checks_it
                                    ? ""
                                    : "Katib does not check metricsFormat for the StdOut "
                                      "collector; the collector would fail at run time. ";
  const std::string example = absl::StrCat("e.g. ", kDefaultMetricsFilter);
  auto judge = [&](FieldError& e) -> FieldError& {
    e.blocks_run = true;  // a filter that cannot compile or capture can never match a metric
    return katib_checks_it ? e : Own(e);
  };
  for (const std::string& format : *m.metrics_format) {
    RE2 re(format, RE2::Quiet);
    if (!re.ok()) {
      judge(Invalid(path, GoQuote(format), absl::StrCat("invalid filter: ", GoRegexpError(re)),
                    absl::StrCat(not_katib, "metricsFormat entries use RE2 (Go regexp) syntax")));
      continue;
    }
    if (!RE2::PartialMatch(format, kTwoBrackets)) {
      judge(Invalid(
          path, GoQuote(format), "two top subexpressions are required",
          absl::StrCat(not_katib, "group 1 must capture the metric name and group 2 its value, ",
                       example)));
    } else if (re.NumberOfCapturingGroups() < 2) {
      FieldError& e = Own(Invalid(
          path, GoQuote(format),
          absl::StrCat("has ", re.NumberOfCapturingGroups(),
                       " capture groups; two are required: the first captures the metric "
                       "name, the second its value"),
          absl::StrCat(not_katib, "escaped parentheses \\( \\) do not capture; ", example)));
      e.blocks_run = true;
    }
  }
}

}  // namespace internal

std::string FieldError::KatibMessage() const {
  switch (type) {
    case Type::kDecode:
      return detail;
    case Type::kRequired:
      return absl::StrCat(field, ": Required value: ", detail);
    case Type::kForbidden:
      return absl::StrCat(field, ": Forbidden: ", detail);
    case Type::kInvalid:
      break;
  }
  return absl::StrCat(field, ": Invalid value: ", value, ": ", detail);
}

std::string FieldError::ToString() const {
  std::string message = KatibMessage();
  if (hint.empty()) return message;
  return absl::StrCat(message, " (", hint, ")");
}

std::vector<FieldError> ValidateExperiment(const Experiment& experiment,
                                           const ValidationOptions& options) {
  return internal::Validator(experiment, options).Run();
}

}  // namespace ktune::core

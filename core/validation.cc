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
#include "core/job_schema.h"
#include "core/json_access.h"
#include "core/number.h"
#include "core/pod_template.h"

namespace ktune::core {
namespace {

using internal::Closest;
using internal::CutQuote;
using internal::GoFeasibleSpaceJson;
using internal::GoJson;
using internal::GoJsonString;
using internal::GoList;
using internal::GoParameters;
using internal::GoQuote;
using internal::GoRegexpError;
using internal::GoTrialParameters;
using internal::GoValue;
using internal::kMaxQuote;
using nlohmann::json;

// ---- small helpers ---------------------------------------------------------------------------

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Sorted(std::vector<std::string> list, const char* empty = "none yet") {
  if (list.empty()) return empty;
  std::sort(list.begin(), list.end());
  return absl::StrJoin(list, ", ");
}

bool IsAbsolutePath(const std::string& path) { return !path.empty() && path[0] == '/'; }

std::string ParamPlaceholder(const std::string& name) {
  return absl::StrCat("${trialParameters.", name, "}");
}

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
  static const std::vector<std::string> kKeys = {"Name",       "Namespace",   "Kind",
                                                 "APIVersion", "Annotations", "Labels"};
  std::string key;
  if (!RE2::PartialMatch(reference, kMeta, &key)) return false;
  if (Contains(kKeys, key)) return true;
  std::string base, index;
  return RE2::PartialMatch(key, kIndex, &base, &index) && Contains(kKeys, base);
}

// ---- the validator ---------------------------------------------------------------------------

constexpr char kNameDetail[] =
    "name must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used "
    "for validation is '^[a-z]([-a-z0-9]*[a-z0-9])?)') and may not be longer than 40 characters. ";

const std::vector<std::string> kParameterTypes = {"int", "double", "categorical", "discrete"};
const std::vector<std::string> kDistributions = {"uniform", "logUniform", "normal", "logNormal"};
const std::vector<std::string> kCollectorKinds = {"StdOut",           "File",   "TensorFlowEvent",
                                                  "PrometheusMetric", "Custom", "Push"};

class Validator {
 public:
  Validator(const Experiment& e, const ValidationOptions& options)
      : e_(e), s_(e.spec), options_(options) {}

  std::vector<FieldError> Run() {
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
              deep
                  ? "{...}"
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

 private:
  // Every problem goes through Add. A Katib rule reached after the point where Katib's
  // validator returns (katib_stopped_, or template_stopped_ inside validateTrialTemplate) is
  // reported as a warning: Katib would deny the experiment only once the errors before it
  // are fixed.
  FieldError& Add(FieldError::Type type, std::string field, std::string value, std::string detail,
                  std::string hint) {
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
  FieldError& Required(std::string field, std::string detail, std::string hint = "") {
    return Add(FieldError::Type::kRequired, std::move(field), "", std::move(detail),
               std::move(hint));
  }
  FieldError& Invalid(std::string field, std::string value, std::string detail,
                      std::string hint = "") {
    return Add(FieldError::Type::kInvalid, std::move(field), std::move(value), std::move(detail),
               std::move(hint));
  }
  FieldError& Forbidden(std::string field, std::string detail, std::string hint = "") {
    return Add(FieldError::Type::kForbidden, std::move(field), "", std::move(detail),
               std::move(hint));
  }
  // ktune's own check (Katib admits it): a warning. Must be applied to the error just added.
  FieldError& Own(FieldError& e) {
    if (&e == &scratch_) return scratch_;
    if (e.severity == FieldError::Severity::kWarning) return e;  // already demoted and counted
    FieldError moved = std::move(e);
    errors_.pop_back();
    --errors_kept_;
    moved.severity = FieldError::Severity::kWarning;
    return Keep(std::move(moved));
  }
  // Stores a warning, or counts it once kMaxWarnings are stored (their number grows with the
  // input; Katib's errors are always kept).
  FieldError& Keep(FieldError e) {
    if (warnings_ >= kMaxWarnings) {
      ++dropped_warnings_;
      scratch_ = FieldError{};
      return scratch_;
    }
    ++warnings_;
    errors_.push_back(std::move(e));
    return errors_.back();
  }

  // A large value (a template, a list, the spec) as Katib prints it, at most once per run
  // under each `key` and cut to about 1 KB; later quotes refer back to the first.
  std::string Quote(const std::string& key, std::string text) {
    if (text.size() <= 64) return text;
    if (!quoted_.insert(key).second) return absl::StrCat("<", key, ", as quoted above>");
    return CutQuote(std::move(text));
  }

  // Katib's typed decoding of what ktune's codec reads leniently. True when Katib's webhook
  // would fail to decode the object (its only answer then).
  bool DecodeAsKatib() {
    bool failed = false;
    if (options_.raw_experiment) failed = DecodeRawAsKatib(*options_.raw_experiment);
    if (failed || !s_.trial_template || !s_.trial_template->trial_spec) return failed;
    const json& spec = *s_.trial_template->trial_spec;
    const std::optional<std::string> kind = StringFieldOf(spec, "kind");
    if (!kind || kind->empty()) {
      // unstructured.Unstructured's decoder: a trialSpec needs a kind.
      FieldError& e = Add(
          FieldError::Type::kDecode, "spec.trialTemplate.trialSpec", "",
          absl::StrCat("Object 'Kind' is missing in '", Quote("the template", GoJson(spec)), "'"),
          "add kind (and apiVersion) to the trialSpec, e.g. kind: Job and apiVersion: batch/v1");
      e.blocks_run = true;
      return true;
    }
    return false;
  }

  // Katib's typed decoding of the raw object: the first number or boolean where Katib's API
  // has a string fails it (ktune reads it leniently).
  bool DecodeRawAsKatib(const json& raw) {
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

  // Rules 1-6.
  void ValidateNameAndCounts() {
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
      Invalid("spec.maxTrialCount", absl::StrCat(*max_trials), "must be greater than 0")
          .blocks_run = true;
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

  // Rules 10-13; false when one of them failed (Katib returns there).
  bool ValidateObjective() {
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
      Invalid(
          "spec.objective.additionalMetricNames",
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

  // Rules 14-16.
  void ValidateAlgorithm() {
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

  // Rules 17-18.
  void ValidateEarlyStopping() {
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

  // Rule 19.
  void ValidateResumePolicy() {
    const std::string& r = s_.resume_policy;
    if (r != "" && r != "Never" && r != "LongRunning" && r != "FromVolume") {
      Invalid("spec.resumePolicy", GoJsonString(r), "invalid ResumePolicyType",
              "use Never, LongRunning or FromVolume");
    }
  }

  // Rules 20-38.
  void ValidateTrialTemplate() {
    if (!s_.trial_template) {
      Required("spec.trialTemplate", "must be specified",
               "add spec.trialTemplate with primaryContainerName, trialParameters and trialSpec "
               "(e.g. a batch/v1 Job)")
          .blocks_run = true;
      return;
    }
    const TrialTemplate& t = *s_.trial_template;
    if (t.primary_container_name.empty()) {
      std::vector<std::string> names = TemplateContainerNames(t);
      Required(
          "spec.trialTemplate.primaryContainerName", "must be specified",
          names.empty()
              ? "the name of the container that runs training"
              : absl::StrCat("the name of the container that runs training; the template has: ",
                             absl::StrJoin(names, ", ")))
          .blocks_run = true;
    }
    if (t.success_condition.empty() || t.failure_condition.empty()) {
      std::string kind = t.trial_spec ? StringFieldOr(*t.trial_spec, "kind") : "";
      Required("spec.trialTemplate", "successCondition and failureCondition must be specified",
               absl::StrCat("they are filled in only for trialSpec kinds Job, TrainJob, TFJob, "
                            "PyTorchJob, XGBoostJob "
                            "and MPIJob",
                            kind.empty() ? "" : absl::StrCat(" (this one is ", GoQuote(kind), ")"),
                            "; set both as GJSON expressions over the job, e.g. "
                            "status.conditions.#(type==\"Complete\")#|#(status==\"True\")#"));
    }

    // The template text, when ktune can read it.
    std::optional<std::string> text;
    std::string text_error;
    if (t.trial_spec) {
      if (JsonDepth(*t.trial_spec) > kDefaultMaxJsonDepth) {
        Invalid("spec.trialTemplate.trialSpec", "\"\"",
                absl::StrCat("nested deeper than ", kDefaultMaxJsonDepth, " levels"),
                "no Kubernetes object needs this depth")
            .blocks_run = true;
        return;
      }
      text = GoJson(*t.trial_spec);
    } else if (t.config_map && options_.load_config_map_template) {
      absl::StatusOr<std::string> loaded = options_.load_config_map_template(*t.config_map);
      if (loaded.ok()) {
        text = std::move(*loaded);
      } else {
        text_error = std::string(loaded.status().message());
      }
    }

    // `trialParameters: []` fails too: Katib's defaulter (omitempty) drops it before validation.
    if (!t.trial_parameters || t.trial_parameters->empty()) {
      std::vector<std::string> found = text ? FindPlaceholders(*text) : std::vector<std::string>{};
      Required("spec.trialTemplate.trialParameters", "must be specified",
               TrialParametersHint(found));
      // Katib returns here; ktune goes on (as warnings) to report a placeholder without a
      // trialParameter, which can never run.
      template_stopped_ = true;
    }
    if (!t.trial_spec && !t.config_map) {
      Required("spec.trialTemplate.TrialSource",
               "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified")
          .blocks_run = true;
      return;
    }
    if (t.trial_spec && t.config_map) {
      Required("spec.trialTemplate",
               "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be "
               "specified")
          .blocks_run = true;
      return;
    }
    if (t.config_map) {
      const ConfigMapSource& c = *t.config_map;
      std::vector<std::string> missing;
      if (c.config_map_name.empty()) missing.push_back("configMapName");
      if (c.config_map_namespace.empty()) missing.push_back("configMapNamespace");
      if (c.template_path.empty()) missing.push_back("templatePath");
      if (!missing.empty()) {
        Required("spec.trialTemplate.configMap",
                 "configMapName, configMapNamespace and templatePath must be specified",
                 absl::StrCat("missing: ", absl::StrJoin(missing, ", ")))
            .blocks_run = true;
        return;
      }
      if (!text_error.empty()) {
        Invalid("spec.trialTemplate", "\"\"",
                absl::StrCat("unable to parse spec.trialTemplate: ",
                             Quote("the ConfigMap", text_error)),
                "pass the ConfigMap with --configmap FILE")
            .blocks_run = true;
        return;
      }
      if (!text) {
        // No loader (no cluster, no --configmap): Katib would read the ConfigMap here.
        Own(Invalid("spec.trialTemplate.configMap", "\"\"",
                    absl::StrCat("ConfigMap ", c.config_map_namespace, "/", c.config_map_name,
                                 " was not given; the template's checks are skipped"),
                    "pass the ConfigMap with --configmap FILE"));
      }
    }

    const std::vector<TrialParameterSpec> no_params;
    const std::vector<TrialParameterSpec>& params =
        t.trial_parameters ? *t.trial_parameters : no_params;
    std::set<std::string> parameter_names;
    for (const auto& p : s_.parameters) parameter_names.insert(p.name);
    std::set<std::string> seen_names, seen_refs;
    // The placeholders present in the template, found in one pass (a 3 MB template with
    // thousands of them costs linear time, not one scan per trialParameter).
    std::set<std::string> present;
    if (text) {
      static constexpr std::string_view kPrefix = "${trialParameters.";
      for (size_t pos = text->find(kPrefix); pos != std::string::npos;
           pos = text->find(kPrefix, pos + 1)) {
        const size_t close = text->find('}', pos + kPrefix.size());
        if (close == std::string::npos) break;
        present.insert(text->substr(pos + kPrefix.size(), close - pos - kPrefix.size()));
      }
    }
    std::set<std::string> substituted;
    for (size_t i = 0; i < params.size(); ++i) {
      const TrialParameterSpec& p = params[i];
      const std::string path = absl::StrCat("spec.trialTemplate.trialParameters[", i, "]");
      if (p.name.empty() || p.reference.empty() ||
          p.name.find_first_of("{}") != std::string::npos) {
        std::string why = p.name.empty() ? "name is empty"
                          : p.reference.empty()
                              ? "reference is empty"
                              : absl::StrCat("name ", GoQuote(p.name), " contains '{' or '}'");
        Invalid(path, "\"\"",
                "name and reference must be specified and name must not contain '{' or '}'", why)
            .blocks_run = true;
        continue;
      }
      if (seen_names.count(p.name)) {
        Invalid(
            path + ".name", GoQuote(p.name),
            absl::StrCat("parameter name ", p.name,
                         " can't be duplicated in spec.trialTemplate.trialParameters: ",
                         Quote("spec.trialTemplate.trialParameters", GoTrialParameters(params))),
            "give each trialParameter a different name")
            .blocks_run = true;
        continue;
      }
      if (seen_refs.count(p.reference)) {
        Invalid(
            path + ".reference", GoQuote(p.reference),
            absl::StrCat("parameter reference ", p.reference,
                         " can't be duplicated in spec.trialTemplate.trialParameters: ",
                         Quote("spec.trialTemplate.trialParameters", GoTrialParameters(params))),
            "use one trialParameter per reference, and its placeholder wherever the value is "
            "needed");
        continue;
      }
      seen_names.insert(p.name);
      seen_refs.insert(p.reference);
      if (!parameter_names.empty() && !IsMetaKey(p.reference) &&
          !parameter_names.count(p.reference)) {
        std::vector<std::string> names(parameter_names.begin(), parameter_names.end());
        std::string closest =
            p.reference.size() <= 64 && names.size() <= 256 ? Closest(p.reference, names) : "";
        Invalid(path + ".reference", GoQuote(p.reference),
                absl::StrCat("parameter reference ", p.reference,
                             " does not exist in spec.parameters: ",
                             Quote("spec.parameters", GoParameters(s_.parameters))),
                absl::StrCat(
                    closest.empty() ? "" : absl::StrCat("did you mean ", GoQuote(closest), "? "),
                    "spec.parameters has: ", CutQuote(absl::StrJoin(names, ", "), 256),
                    "; or reference trial metadata: ${trialSpec.Name}, ${trialSpec.Namespace}, "
                    "${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[key]}, "
                    "${trialSpec.Annotations[key]}"))
            .blocks_run = true;
      }
      if (!text) continue;
      const std::string placeholder = ParamPlaceholder(p.name);
      if (!present.count(p.name)) {
        Invalid(
            path + ".name", GoQuote(p.name),
            absl::StrCat("parameter name: ", p.name,
                         " in spec.trialParameters not found in spec.trialTemplate: ",
                         Quote("the template", *text)),
            absl::StrCat("put ", placeholder, " in the template where the value goes (e.g. \"--",
                         p.name, "=", placeholder,
                         "\" in the container's command), or remove this trialParameter"));
        template_stopped_ = true;  // Katib returns here.
        continue;
      }
      substituted.insert(p.name);
    }
    if (!text) return;  // a configMap template with no ConfigMap to read it from

    // Katib replaces each declared placeholder with "test-value", then looks for what is left.
    std::string replaced;
    replaced.reserve(text->size());
    {
      static constexpr std::string_view kPrefix = "${trialParameters.";
      size_t done = 0;
      for (size_t pos = text->find(kPrefix); pos != std::string::npos;
           pos = text->find(kPrefix, pos + 1)) {
        const size_t close = text->find('}', pos + kPrefix.size());
        if (close == std::string::npos) break;
        if (!substituted.count(text->substr(pos + kPrefix.size(), close - pos - kPrefix.size())))
          continue;
        replaced.append(*text, done, pos - done);
        replaced += "test-value";
        done = close + 1;
        pos = close;
      }
      replaced.append(*text, done, std::string::npos);
    }
    std::vector<std::string> left;
    size_t left_bytes = 0, left_more = 0;
    {
      static const RE2 kRe(R"((\$\{trialParameters\..+?\}))");
      re2::StringPiece input(replaced);
      std::string match;
      while (RE2::FindAndConsume(&input, kRe, &match)) {
        if (left_bytes > kMaxQuote) {
          ++left_more;
          continue;
        }
        left_bytes += match.size() + 1;
        left.push_back(match);
      }
    }
    if (!left.empty()) {
      std::string list = GoList(left);
      if (left_more > 0)
        list = absl::StrCat(list.substr(0, list.size() - 1), " ... (", left_more, " more)]");
      Invalid("spec.trialTemplate", "\"\"",
              absl::StrCat("parameters: ", list,
                           " in spec.trialTemplate not found in spec.trialParameters: ",
                           Quote("spec.trialTemplate.trialParameters", GoTrialParameters(params))),
              MissingTrialParametersHint(left))
          .blocks_run = true;
    }
    std::optional<json> object;
    std::string parse_error;
    if (t.trial_spec) {
      absl::StatusOr<json> parsed = ParseJsonBounded(replaced);
      if (parsed.ok()) object = std::move(*parsed);
    } else {
      absl::StatusOr<json> parsed = ParseYamlDocument(replaced);
      if (parsed.ok()) {
        object = std::move(*parsed);
      } else {
        parse_error = std::string(parsed.status().message());
      }
    }
    if (!object || !object->is_object() || StringFieldOr(*object, "kind").empty()) {
      Invalid("spec.trialTemplate", "\"\"",
              absl::StrCat("unable to convert spec.trialTemplate: ",
                           Quote("the template", replaced), " to unstructured"),
              !parse_error.empty()
                  ? absl::StrCat("the template is not a Kubernetes object: ", parse_error)
              : object && object->is_object()
                  ? "the template needs a kind (and an apiVersion)"
                  : "the template must be one Kubernetes object (YAML or JSON)")
          .blocks_run = true;
      return;
    }
    const std::string meta_name = StringFieldOr(FieldOrEmpty(*object, "metadata"), "name");
    const std::string meta_namespace =
        StringFieldOr(FieldOrEmpty(*object, "metadata"), "namespace");
    if (!meta_name.empty() || !meta_namespace.empty()) {
      Invalid(
          "spec.trialTemplate", "\"\"",
          "metadata.name and metadata.namespace in spec.trialTemplate must be omitted",
          "remove them: each trial's job is named after the trial, in the experiment's namespace");
    }
    const std::string api_version = StringFieldOr(*object, "apiVersion");
    const std::string kind = StringFieldOr(*object, "kind");
    if (api_version.empty() || kind.empty()) {
      Required("spec.trialTemplate", "APIVersion and Kind in spec.trialTemplate must be specified",
               "e.g. apiVersion: batch/v1 and kind: Job")
          .blocks_run = true;
    }
    if (api_version == "batch/v1" && kind == "Job") ValidateJob(*object);
  }

  static const json& FieldOrEmpty(const json& object, std::string_view key) {
    static const json kEmpty = json::object();
    const json* v = FieldOf(object, key, JsonType::kObject);
    return v ? *v : kEmpty;
  }

  // Rules 37-38: Katib reports the first problem; ktune reports the rest as warnings.
  void ValidateJob(const json& object) {
    JobCheck check = CheckBatchJob(object);
    bool first = true;
    for (const JobProblem& p : check.type_errors) {
      FieldError& e = Invalid(
          "spec.trialTemplate", "\"\"",
          first ? absl::StrCat("invalid spec.trialTemplate: unable to convert spec.TrialTemplate: ",
                               Quote("the template as Go prints it", GoValue(object)),
                               " to Job: ", p.detail)
                : absl::StrCat("invalid spec.trialTemplate: unable to convert ", p.pointer,
                               " to Job: ", p.detail),
          p.hint);
      e.blocks_run = true;
      if (!first) Own(e);
      first = false;
    }
    if (check.more_type_errors > 0) {
      Own(Invalid(
          "spec.trialTemplate", "\"\"",
          absl::StrCat(check.more_type_errors, " more values of the wrong type in the Job")));
    }
    if (!check.type_errors.empty()) return;  // Katib stops at the conversion error
    std::string converted_json;
    for (const JobProblem& p : check.unknown) {
      if (first) {
        converted_json = GoJson(check.converted);
        Invalid("spec.trialTemplate", "\"\"",
                absl::StrCat("invalid spec.trialTemplate: unable to convert: ", p.pointer, " - ",
                             GoValue(*p.value, 256), " to Job, converted template: ",
                             Quote("the converted template", converted_json)),
                p.hint);
      } else {
        Own(Invalid("spec.trialTemplate", "\"\"",
                    absl::StrCat("invalid spec.trialTemplate: unable to convert: ", p.pointer,
                                 " - ", GoValue(*p.value, 256), " to Job"),
                    p.hint));
      }
      first = false;
    }
    if (check.more_unknown > 0) {
      Own(Invalid("spec.trialTemplate", "\"\"",
                  absl::StrCat(check.more_unknown, " more unknown fields in the Job")));
    }
  }

  // The names of the template's containers (any kind of template), at most 16, for a hint.
  static std::vector<std::string> TemplateContainerNames(const TrialTemplate& t) {
    std::vector<std::string> names;
    if (!t.trial_spec) return names;
    absl::StatusOr<std::vector<PodContainer>> containers = FindContainers(*t.trial_spec);
    if (!containers.ok()) return names;
    for (const PodContainer& c : *containers) {
      if (names.size() >= 16) break;
      if (!c.name.empty()) names.push_back(c.name);
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
    return names.empty() ? "<parameter name>"
                         : absl::StrCat("<one of: ", absl::StrJoin(names, ", "), ">");
  }

  std::string TrialParametersYaml(const std::vector<std::string>& placeholders) const {
    std::vector<std::string> items;
    for (const auto& ph : placeholders) {
      std::string name = ph.substr(std::string_view("${trialParameters.").size());
      name.pop_back();
      items.push_back(
          absl::StrCat("{name: ", name, ", reference: ", SuggestedReference(name), "}"));
    }
    return absl::StrJoin(items, ", ");
  }

  std::string TrialParametersHint(const std::vector<std::string>& placeholders) const {
    if (placeholders.empty()) {
      return "declare one trialParameter per value the template takes ({name: lr, reference: "
             "<parameter>}) "
             "and use it in the template as ${trialParameters.lr}";
    }
    return absl::StrCat("the template uses ", absl::StrJoin(placeholders, ", "),
                        "; add trialParameters: [", TrialParametersYaml(placeholders), "]");
  }

  std::string MissingTrialParametersHint(const std::vector<std::string>& left) const {
    std::vector<std::string> unique;
    for (const auto& l : left) {
      if (!Contains(unique, l)) unique.push_back(l);
    }
    return absl::StrCat(absl::StrJoin(unique, ", "), unique.size() == 1 ? " has" : " have",
                        " no trialParameter; add to spec.trialTemplate.trialParameters: ",
                        TrialParametersYaml(unique));
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
          Required(
              path + ".feasibleSpace.max",
              absl::StrCat(
                  "feasibleSpace.max or feasibleSpace.min must be specified for parameterType: ",
                  type),
              fs.max.empty() && fs.min.empty() ? "set both feasibleSpace.min and feasibleSpace.max"
              : fs.max.empty()                 ? "feasibleSpace.max is missing"
                                               : "feasibleSpace.min is missing")
              .blocks_run = true;
        }
      } else if (listed) {
        if (!fs.max.empty() || !fs.min.empty() || !fs.step.empty()) {
          Invalid(
              path + ".feasibleSpace", Quote(path + ".feasibleSpace", GoFeasibleSpaceJson(fs)),
              absl::StrCat(
                  "feasibleSpace .max, .min and .step is not supported for parameterType: ", type),
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

  // ktune: min, max and step are numbers (integers for int), min <= max, step > 0. Numbers are
  // read by core/number.h, as the algorithm plugins read them.
  void CheckRange(const ParameterSpec& p, const std::string& path) {
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

  // ktune: a non-empty list, numeric for discrete, without repeats.
  void CheckList(const ParameterSpec& p, const std::string& path) {
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

  // Rules 47-60 and ktune's checks of the StdOut filter.
  void ValidateMetricsCollector() {
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
        Invalid(source + ".filter", "\"\"",
                "filter must be nil when format of metrics file is json",
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
      if (fsp &&
          (!IsAbsolutePath(fsp->path) || (fsp->kind != "Directory" && fsp->kind != "File"))) {
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

  // Rules 59-60, and ktune's capture-group count. Under StdOut Katib checks nothing: the same
  // problems are ktune's warnings there.
  void ValidateFilters(const MetricsCollectorSpec& m, bool katib_checks_it) {
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

  static constexpr char kAfterKatibStops[] =
      "Katib stops before this check and reports it once the errors before it are fixed";
  static constexpr size_t kMaxWarnings = 100;
  // Katib's errors grow with the input (one per bad parameter); past this many, only their
  // number is reported (the webhook reports at most 50 anyway).
  static constexpr size_t kMaxErrors = 200;

  const Experiment& e_;
  const ExperimentSpec& s_;
  const ValidationOptions& options_;
  std::vector<FieldError> errors_;
  bool katib_stopped_ = false;     // Katib's validator has returned (or never started)
  bool template_stopped_ = false;  // Katib's validateTrialTemplate has returned
  bool collector_without_kind_ = false;
  std::set<std::string> quoted_;  // keys of the large values quoted so far
  size_t warnings_ = 0;
  size_t dropped_warnings_ = 0;
  size_t errors_kept_ = 0;
  size_t dropped_errors_ = 0;
  FieldError scratch_;  // receives the modifications of a dropped warning
};

}  // namespace

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
  return Validator(experiment, options).Run();
}

}  // namespace ktune::core

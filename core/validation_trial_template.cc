// The trial template rules of ValidateExperiment (core/internal/validator.h): rules 20-38 and
// ktune's checks of placeholders, trialParameters and the batch/v1 Job.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/codec.h"
#include "core/internal/go_format.h"
#include "core/internal/strings.h"
#include "core/internal/validator.h"
#include "core/job_schema.h"
#include "core/json_access.h"
#include "core/pod_template.h"

namespace ktune::core::internal {

using nlohmann::json;

namespace {

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

}  // namespace

void Validator::ValidateTrialTemplate() {
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
    Required("spec.trialTemplate.primaryContainerName", "must be specified",
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
    Required("spec.trialTemplate.trialParameters", "must be specified", TrialParametersHint(found));
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
      Invalid(
          "spec.trialTemplate", "\"\"",
          absl::StrCat("unable to parse spec.trialTemplate: ", Quote("the ConfigMap", text_error)),
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
    if (p.name.empty() || p.reference.empty() || p.name.find_first_of("{}") != std::string::npos) {
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
      Invalid(path + ".name", GoQuote(p.name),
              absl::StrCat("parameter name ", p.name,
                           " can't be duplicated in spec.trialTemplate.trialParameters: ",
                           Quote("spec.trialTemplate.trialParameters", GoTrialParameters(params))),
              "give each trialParameter a different name")
          .blocks_run = true;
      continue;
    }
    if (seen_refs.count(p.reference)) {
      Invalid(path + ".reference", GoQuote(p.reference),
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
      Invalid(
          path + ".reference", GoQuote(p.reference),
          absl::StrCat("parameter reference ", p.reference, " does not exist in spec.parameters: ",
                       Quote("spec.parameters", GoParameters(s_.parameters))),
          absl::StrCat(closest.empty() ? "" : absl::StrCat("did you mean ", GoQuote(closest), "? "),
                       "spec.parameters has: ", CutQuote(absl::StrJoin(names, ", "), 256),
                       "; or reference trial metadata: ${trialSpec.Name}, ${trialSpec.Namespace}, "
                       "${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[key]}, "
                       "${trialSpec.Annotations[key]}"))
          .blocks_run = true;
    }
    if (!text) continue;
    const std::string placeholder = ParamPlaceholder(p.name);
    if (!present.count(p.name)) {
      Invalid(path + ".name", GoQuote(p.name),
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
            absl::StrCat("unable to convert spec.trialTemplate: ", Quote("the template", replaced),
                         " to unstructured"),
            !parse_error.empty()
                ? absl::StrCat("the template is not a Kubernetes object: ", parse_error)
            : object && object->is_object()
                ? "the template needs a kind (and an apiVersion)"
                : "the template must be one Kubernetes object (YAML or JSON)")
        .blocks_run = true;
    return;
  }
  const std::string meta_name = StringFieldOr(FieldOrEmpty(*object, "metadata"), "name");
  const std::string meta_namespace = StringFieldOr(FieldOrEmpty(*object, "metadata"), "namespace");
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

const json& Validator::FieldOrEmpty(const json& object, std::string_view key) {
  static const json kEmpty = json::object();
  const json* v = FieldOf(object, key, JsonType::kObject);
  return v ? *v : kEmpty;
}

void Validator::ValidateJob(const json& object) {
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
    Own(Invalid("spec.trialTemplate", "\"\"",
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
                  absl::StrCat("invalid spec.trialTemplate: unable to convert: ", p.pointer, " - ",
                               GoValue(*p.value, 256), " to Job"),
                  p.hint));
    }
    first = false;
  }
  if (check.more_unknown > 0) {
    Own(Invalid("spec.trialTemplate", "\"\"",
                absl::StrCat(check.more_unknown, " more unknown fields in the Job")));
  }
}

std::vector<std::string> Validator::TemplateContainerNames(const TrialTemplate& t) {
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

std::string Validator::SuggestedReference(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& p : s_.parameters) names.push_back(p.name);
  if (Contains(names, name)) return name;
  std::string closest = Closest(name, names);
  if (!closest.empty()) return closest;
  return names.empty() ? "<parameter name>"
                       : absl::StrCat("<one of: ", absl::StrJoin(names, ", "), ">");
}

std::string Validator::TrialParametersYaml(const std::vector<std::string>& placeholders) const {
  std::vector<std::string> items;
  for (const auto& ph : placeholders) {
    std::string name = ph.substr(std::string_view("${trialParameters.").size());
    name.pop_back();
    items.push_back(absl::StrCat("{name: ", name, ", reference: ", SuggestedReference(name), "}"));
  }
  return absl::StrJoin(items, ", ");
}

std::string Validator::TrialParametersHint(const std::vector<std::string>& placeholders) const {
  if (placeholders.empty()) {
    return "declare one trialParameter per value the template takes ({name: lr, reference: "
           "<parameter>}) "
           "and use it in the template as ${trialParameters.lr}";
  }
  return absl::StrCat("the template uses ", absl::StrJoin(placeholders, ", "),
                      "; add trialParameters: [", TrialParametersYaml(placeholders), "]");
}

std::string Validator::MissingTrialParametersHint(const std::vector<std::string>& left) const {
  std::vector<std::string> unique;
  for (const auto& l : left) {
    if (!Contains(unique, l)) unique.push_back(l);
  }
  return absl::StrCat(absl::StrJoin(unique, ", "), unique.size() == 1 ? " has" : " have",
                      " no trialParameter; add to spec.trialTemplate.trialParameters: ",
                      TrialParametersYaml(unique));
}

}  // namespace ktune::core::internal

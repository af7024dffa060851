#pragma once
// Katib's admission validation (ValidateExperiment, KATIB.md §3.3), in Katib's order and with
// Katib's messages, plus the checks Katib leaves to runtime that a user wants up front.
//
// The policy (issue 6):
// - Severity::kError is exactly what Katib's webhook denies, with Katib's path and message
//   (k8s.io/apimachinery 0.34, Go 1.24): the webhook denies with these and nothing else.
// - Severity::kWarning is everything else ktune finds: its own checks (a name Katib's
//   unanchored regex lets through, min > max, non-numeric bounds, an empty list, duplicate
//   parameter names, an unknown metricStrategies value, a bad StdOut filter, ...), and Katib
//   rules that Katib never reaches because it returned earlier. Katib's early returns: a
//   decode failure (nothing is validated), a failing objective (rules 10-13), and inside
//   validateTrialTemplate rules 20, 23-27, 32 and 34; Job conversion (rules 37-38) reports one
//   problem. Everything ktune finds past such a point is a warning whose hint says Katib
//   reports it once the errors before it are fixed. The webhook sends warnings in the
//   AdmissionReview `warnings`; `ktune validate --strict` fails on them.
// - blocks_run marks problems that make the experiment impossible to run (errors or
//   warnings): `ktune run` and `ktune server` refuse those up front and only warn about the
//   rest.
//
// Output is bounded whatever the input: a large value (the template, the trialParameters or
// parameters list, the converted Job, the spec) is quoted at most once per run and cut to
// about 1 KB with a `... (N more bytes)` marker (later references say `<..., as quoted
// above>`); at most 100 warnings are kept (then one "N more warnings not shown"); user JSON is
// walked without recursion on its depth, and a trialSpec nested deeper than
// kDefaultMaxJsonDepth is refused. At most 200 of Katib's errors are kept (then one error "N
// more errors not shown"); only an experiment with hundreds of bad parameters gets there.
//
// Validation runs on the defaulted experiment (SetDefaults first), as Katib's validating
// webhook sees it after the mutating one.
//
// Where it lives: the rules in core/validation.cc and core/validation_trial_template.cc (one
// run is core/internal/validator.h), Go's formatting of Katib's messages in
// core/internal/go_format.h, Katib's Experiment struct schema (and KatibDefaulterRemovals) in
// core/katib_schema.cc, the batch/v1 Job schema in core/job_schema.h.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::core {

struct FieldError {
  // kDecode: Katib's webhook cannot decode the object into its typed API (a number where Katib
  // has a string, a trialSpec without kind); KatibMessage() is then the decoder's error alone.
  enum class Type { kRequired, kInvalid, kForbidden, kDecode };
  Type type = Type::kInvalid;
  std::string field;   // e.g. spec.parameters[0].feasibleSpace.max
  std::string value;   // Invalid only: the value as Katib prints it (%q string, %v number, JSON)
  std::string detail;  // Katib's detail text, exactly
  std::string hint;    // ktune's "how to fix it", empty when the detail already says
  // kError: Katib's webhook denies the experiment for this (Katib's rules, Katib's message).
  // kWarning: Katib admits it; it is one of ktune's own checks (AdmissionReview `warnings`,
  // fatal for `ktune validate --strict`).
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  // The experiment can never run as written (min > max, a placeholder with no
  // trialParameter, duplicate parameter names, a metrics regex that cannot match): `ktune run`
  // and `ktune server` refuse it up front even when Katib would admit it.
  bool blocks_run = false;

  // `<field>: Required value: <detail>`, `<field>: Forbidden: <detail>`,
  // `<field>: Invalid value: <value>: <detail>`, or `<detail>` for kDecode, byte for byte as
  // Katib.
  std::string KatibMessage() const;
  // KatibMessage() followed by ` (hint)` when there is a hint.
  std::string ToString() const;
};

struct ValidationOptions {
  // What this ktune can run (rule 16/18/47 check against these instead of katib-config).
  std::vector<std::string> algorithms;
  std::vector<std::string> early_stopping_algorithms;
  std::vector<std::string>
      metrics_collector_kinds;  // among StdOut, File, TensorFlowEvent, PrometheusMetric
  // UPDATE: the stored experiment (rules 7-9). Null on CREATE.
  const Experiment* old_experiment = nullptr;
  // Loads a configMap trial template's text (core/configmap.h: ConfigMapTemplateLoader). Its
  // error message is Katib's err text (`configMap not found: ...`, `unable to find trial
  // template in ConfigMap: ...`). Without it the template content checks are skipped for
  // configMap sources, with a warning.
  std::function<absl::StatusOr<std::string>(const ConfigMapSource&)> load_config_map_template;
  // The Experiment as decoded JSON, before ktune's lenient codec (optional, borrowed). With it,
  // what Katib's typed decoding rejects is reported too: a number or boolean where Katib's API
  // has a string (`min: 0.1`), and `collector: {}` (an empty kind Katib does not default).
  const nlohmann::json* raw_experiment = nullptr;
  // Katib's answer exactly: only Severity::kError problems are returned (the set is the same
  // with or without this; warnings are dropped). Hints are still attached.
  bool katib_compatible = false;
};

std::vector<FieldError> ValidateExperiment(const Experiment& experiment,
                                           const ValidationOptions& options);

// What Katib's mutating webhook removes from an Experiment (`experiment` as decoded JSON, the
// AdmissionReview object): Katib decodes into its typed API, defaults and marshals it, so its
// patch removes every field of spec its structs do not have, every null, and what omitempty
// drops (empty strings, lists and maps, false, 0 where the field is not a pointer, e.g.
// `trialParameters: []`). JSON pointers under /spec, sorted; `/mutate-experiment` adds one
// `remove` operation for each, before its other operations (none of which touches these
// paths). trialSpec, customCollector, httpGet and primaryPodLabels are not looked into.
// Iterative (no recursion on the document's depth).
std::vector<std::string> KatibDefaulterRemovals(const nlohmann::json& experiment);

}  // namespace ktune::core

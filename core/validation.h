#pragma once
// Katib's admission validation (ValidateExperiment, KATIB.md §3.3), in Katib's order and with
// Katib's messages, plus the checks Katib leaves to runtime that a user wants up front.
//
// Every problem is reported in one pass (Katib's RETURN points are kept only where later
// rules cannot run meaningfully). Each error renders exactly as Katib's field.Error does,
// followed by a hint where Katib's text does not say how to fix it.
//
// Validation runs on the defaulted experiment (SetDefaults first), as Katib's validating
// webhook sees it after the mutating one.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::core {

struct FieldError {
  enum class Type { kRequired, kInvalid, kForbidden };
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

  // `<field>: Required value: <detail>`, `<field>: Forbidden: <detail>` or
  // `<field>: Invalid value: <value>: <detail>`, byte for byte as Katib.
  std::string KatibMessage() const;
  // KatibMessage() followed by ` (hint)` when there is a hint.
  std::string ToString() const;
};

struct ValidationOptions {
  // What this ktune can run (rule 16/18/47 check against these instead of katib-config).
  std::vector<std::string> algorithms;
  std::vector<std::string> early_stopping_algorithms;
  std::vector<std::string> metrics_collector_kinds;  // among StdOut, File, TensorFlowEvent, PrometheusMetric
  // UPDATE: the stored experiment (rules 7-9). Null on CREATE.
  const Experiment* old_experiment = nullptr;
  // Loads a configMap trial template's text; without it (no cluster) the template content
  // checks are skipped for configMap sources.
  std::function<absl::StatusOr<std::string>(const ConfigMapSource&)> load_config_map_template;
  // Katib's answer exactly: only Katib's rules (no ktune-only checks) and Katib's early
  // returns (after a failing objective, rules 10-13; after the first trialParameter missing
  // from the template, rule 32; after the first Job conversion problem, rules 37-38). Hints
  // are still attached. Off: every problem ktune can find, in one pass.
  bool katib_compatible = false;
};

std::vector<FieldError> ValidateExperiment(const Experiment& experiment, const ValidationOptions& options);

}  // namespace ktune::core

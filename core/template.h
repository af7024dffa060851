#pragma once
// Trial template rendering: `${trialParameters.NAME}` and the metadata placeholders
// `${trialSpec.Name|Namespace|Kind|APIVersion}`, `${trialSpec.Labels[k]}`,
// `${trialSpec.Annotations[k]}`.
//
// Unlike Katib's plain replace over serialized JSON, substitution happens inside each string
// of the parsed template, so a value is inserted literally: a quote or `;` in a value cannot
// break the document. In a local run it reaches the trial as one argv element (no shell). In
// cluster mode the pod webhook wraps the command in `sh -c` with each token shell-quoted; only
// a template whose own command is `sh -c`/`bash -c` puts values into a shell script, and there
// the user's quoting decides, as in Katib.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/experiment.h"

namespace ktune::core {

// The trial template object (trialSpec). configMap sources are not supported locally:
// FailedPrecondition saying so.
absl::StatusOr<nlohmann::json> TemplateObject(const Experiment& experiment);

// Renders the template for one trial: every trialParameter placeholder is replaced with the
// assigned value of the parameter it references, or with the metadata value for meta
// references (resolved against the template's own metadata, with Name = trial name and
// Namespace = experiment namespace). The result's metadata.name/namespace are then set to
// the trial's. Errors: InvalidArgument naming the trialParameter that has no value.
absl::StatusOr<nlohmann::json> RenderTrialTemplate(
    const Experiment& experiment, const std::string& trial_name,
    const std::vector<ParameterAssignment>& assignments);

// Builds the Trial object for an assignment: spec copied from the experiment (objective with
// defaults, metrics collector, primary container, conditions, labels), runSpec rendered.
absl::StatusOr<Trial> NewTrial(const Experiment& experiment, const std::string& trial_name,
                               const std::vector<ParameterAssignment>& assignments,
                               const std::map<std::string, std::string>& labels = {});

}  // namespace ktune::core

#pragma once
// batch/v1 Job as Katib's validator sees a trial template (KATIB.md §3.3 rules 37-38): the
// template is converted into the typed Job (runtime.DefaultUnstructuredConverter), which fails
// on a value of the wrong type, and a JSON patch from the typed Job back to the template must
// only remove things, which fails on any field the Job type does not have.
//
// The field lists of every type nested in a Job (PodSpec, volumes, affinity, probes, security
// contexts, ...) are generated from k8s.io/api v0.34 by scripts/gen_job_schema.py into
// core/job_schema_table.inc.
//
// Thread-safety: pure functions. The walk recurses only along the (finite, acyclic) Job type
// graph; values the schema does not describe are copied, so callers must bound the depth of
// `job` first (core::JsonDepth, kDefaultMaxJsonDepth).

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ktune::core {

struct JobProblem {
  std::string pointer;  // JSON pointer, e.g. /spec/template/spec/containers/0/comand
  const nlohmann::json* value = nullptr;  // into the checked object
  std::string detail;  // Go's conversion error (type problems), "" for unknown fields
  std::string hint;    // how to fix it
};

struct JobCheck {
  // Values of the wrong type, in the order Go's converter meets them (the first is Katib's).
  std::vector<JobProblem> type_errors;
  // Fields batch/v1 Job does not have, in walk order.
  std::vector<JobProblem> unknown;
  // Problems beyond `max_problems` of each list, counted only.
  size_t more_type_errors = 0;
  size_t more_unknown = 0;
  // What json.Marshal(batchv1.Job) prints for the converted template: Go field order,
  // omitempty, `"metadata":{}` for an empty ObjectMeta (creationTimestamp is omitzero).
  nlohmann::ordered_json converted;
};

// Checks `job` (a decoded trial template with apiVersion batch/v1 and kind Job). At most
// `max_problems` entries are kept per list.
JobCheck CheckBatchJob(const nlohmann::json& job, size_t max_problems = 64);

}  // namespace ktune::core

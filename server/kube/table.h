#pragma once
// The Table form of lists, gets and watch events (`Accept: application/json;as=Table;v=v1;
// g=meta.k8s.io`, SERVER.md §A.4, §A.5, §D): what `kubectl get` prints. Columns are Katib's
// additionalPrinterColumns plus ktune's own (algorithm, best objective, trial counts), and
// kubectl's pod columns for pods.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/kube/resources.h"

namespace ktune::server::kube {

inline constexpr char kTableContentType[] = "application/json;as=Table;v=v1;g=meta.k8s.io";

// apimachinery's duration.HumanDuration: "<invalid>" below -1s (truncated toward zero, so
// -1.9s is "0s"), "0s" for [-1s, 0), then Ns (<2m), NmSs or Nm (<10m), Nm (<3h), NhMm or Nh
// (<8h), Nh (<48h), NdHh or Nd (<8d), Nd (<2y), NyDd or Ny (<8y), Ny (365-day years).
std::string HumanDuration(absl::Duration d);

// The Age cell of an object created at `creation_timestamp` (RFC 3339): HumanDuration(now -
// t); "<unknown>" for the zero time (year 1) or a timestamp that does not parse.
std::string AgeOf(std::string_view creation_timestamp, absl::Time now);

// ?includeObject=: what rows[].object holds.
enum class IncludeObject { kNone, kMetadata, kObject };
// "" and "Metadata" -> kMetadata, "Object" -> kObject, "None" -> kNone; anything else is
// InvalidArgument (the apiserver's 400).
absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view value);

// True when `accept` lists application/json with as=Table, g=meta.k8s.io and v=v1 or v1beta1
// (the answer is then kTableContentType, v1).
bool WantsTable(std::string_view accept);

// {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":rv},
//  "columnDefinitions":[...] (an empty list when !with_column_definitions: what watch events
//  after the first carry), "rows":[{"cells":[...],"object":...}]}.
// One row per object, in order. The row object per `include`: kMetadata a
// PartialObjectMetadata ({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
// "metadata":<the full metadata>}), kObject the object itself, kNone no "object" member.
// Columns (Name first, format "name"; then, priority 0 unless said):
//   Experiment: Type, Status (.status.conditions[-1:]), Algorithm, Best (the objective
//     metric of .status.currentOptimalTrial by the objective's metric strategy), Succeeded,
//     Running, Failed (integers, 0 when absent), Age; priority 1: Objective (type and metric
//     name), Goal, Max (maxTrialCount), Parallel (parallelTrialCount).
//   Trial: Type, Status, Objective (the objective metric of .status.observation by the
//     strategy), Parameters ("x=0.5, y=3"), Age; priority 1: Experiment (the
//     katib.kubeflow.org/experiment label).
//   Suggestion: Type, Status, Requested (.spec.requests), Assigned (.status.suggestionCount)
//     as strings, Age (Katib's columns).
//   Pod: Ready ("1/1"), Status (the container's terminated/waiting reason, else the phase),
//     Restarts, Age — what `kubectl get pods` shows.
//   Namespace: Status (.status.phase), Age. Event: Last Seen, Type, Reason, Object, Message.
//   Any other kind: Age.
// A value that is absent is a null cell (kubectl prints it empty).
nlohmann::json TableOf(const ResourceInfo& info, const std::vector<const nlohmann::json*>& objects,
                       IncludeObject include, absl::Time now, bool with_column_definitions,
                       std::string_view resource_version);

// {"type":type,"object":object}: one line of a watch stream (the caller adds the newline).
// `type` is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (object: a Status).
nlohmann::json WatchEvent(std::string_view type, nlohmann::json object);

// The object of a BOOKMARK event: {"kind":<Kind>,"apiVersion":<gv>,"metadata":
// {"resourceVersion":rv}}; as_table: a Table with no columns and no rows and that
// resourceVersion (for a watch that asked for Tables).
nlohmann::json BookmarkObject(const ResourceInfo& info, std::string_view resource_version,
                              bool as_table);

// The value the objective's metric strategy picks from an observation's metrics
// ([{name, min, max, latest}]): strategy from spec.objective.metricStrategies for
// `metric_name`, else min for type minimize, max for maximize, latest otherwise; min and max
// fall back to latest when absent or "unavailable". "" when the metric is not there. `objective`
// is an ObjectiveSpec JSON.
std::string ObjectiveValue(const nlohmann::json& objective, const nlohmann::json& observation);

}  // namespace ktune::server::kube

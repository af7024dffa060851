#pragma once
// The containers of the pod templates in a trial's runSpec, and the primary one by name
// (trialTemplate.primaryContainerName): one rule for validation, the local executor and the
// pod webhook, for every kind of template (a batch/v1 Job's spec.template.spec, the replica
// templates of a TFJob or PyTorchJob, an Argo step, any CRD that embeds a pod spec).
//
// A pod spec is an object with a `containers` list. FindContainers looks for pod specs
// everywhere in a document, depth first in document order (nlohmann::json orders an object's
// keys), and not inside a pod spec (no field of a Kubernetes pod spec holds another one), so
// a Pod's own spec.containers, a Job's and every replica's are found, and initContainers are
// not. The walk has no recursion on the document's depth.
//
// Never throws. A container of the wrong shape is InvalidArgument naming its field path in the
// searched document (`spec.template.spec.containers[1].name: must be a string`).
//
// Thread-safety: pure functions; the results point into the searched document and live as long
// as it does and is not modified.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace ktune::core {

struct PodContainer {
  const nlohmann::json* node = nullptr;  // the container object, into the searched document
  // Its field path, e.g. spec.template.spec.containers[0] or
  // spec.tfReplicaSpecs.Worker.template.spec.containers[0].
  std::string path;
  size_t index = 0;  // its position in its pod spec's `containers` list
  std::string name;  // "" when it has none (absent or null)
};

// The containers of one pod spec (`pod_spec.containers`; none when that is absent or not a
// list), with paths below `path` (the pod spec's own path: "spec" for a Pod, "" for the root).
// Errors: InvalidArgument `<path>.containers[i]: must be an object` or
// `<path>.containers[i].name: must be a string`.
absl::StatusOr<std::vector<PodContainer>> PodSpecContainers(const nlohmann::json& pod_spec,
                                                            std::string_view path = "");

// The containers of every pod spec in `document` (a trial template or a rendered runSpec), in
// document order. Errors: those of PodSpecContainers.
absl::StatusOr<std::vector<PodContainer>> FindContainers(const nlohmann::json& document);

// The first of `containers` named `name` (the primary container when `name` is the
// primaryContainerName), or nullptr; it points into `containers`. An unnamed container is
// never found (an empty `name` finds nothing).
const PodContainer* FindContainer(const std::vector<PodContainer>& containers,
                                  std::string_view name);

// The names of `containers`, in order ("" for an unnamed one); at most `max` of them.
std::vector<std::string> ContainerNames(const std::vector<PodContainer>& containers,
                                        size_t max = SIZE_MAX);

}  // namespace ktune::core

#pragma once
// The static description of every resource `ktune server` serves through its Kubernetes-style
// API (SERVER.md §A.1, §D): Katib's three CRDs in kubeflow.org/v1beta1 and the read-only core/v1
// resources kubectl and Katib's SDK look at (pods of trials, an always-empty events list,
// namespaces).
//
// Thread-safety: the tables are immutable after first use (function-local statics); the
// returned pointers and references stay valid for the life of the process.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ktune::server::kube {

// A subresource such as experiments/status or pods/log. `kind` is the kind it answers with.
struct SubresourceInfo {
  std::string name;  // "status", "log"
  std::string kind;  // "Experiment", "Pod"
  std::vector<std::string> verbs;
};

struct ResourceInfo {
  std::string group;      // "kubeflow.org"; "" for the core group
  std::string version;    // "v1beta1", "v1"
  std::string resource;   // plural: "experiments"
  std::string singular;   // "experiment"
  std::string kind;       // "Experiment"
  std::string list_kind;  // "ExperimentList"
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> categories;
  std::vector<std::string> short_names;
  bool has_status = false;  // true when subresources holds "status"
  std::vector<SubresourceInfo> subresources;
  // The field labels a fieldSelector may use on this resource (the apiserver answers any other
  // one with 400 `field label not supported: X`, see selectors.h CheckFields).
  std::vector<std::string> field_labels;

  // "kubeflow.org/v1beta1", or "v1" for the core group: the objects' apiVersion.
  std::string GroupVersion() const;
  // "experiments.kubeflow.org", or "pods" for the core group: how the apiserver names the
  // resource in messages (schema.GroupResource.String()).
  std::string QualifiedResource() const;
  // "Experiment.kubeflow.org", or "Pod" (schema.GroupKind.String()), used by Invalid errors.
  std::string QualifiedKind() const;
  bool HasVerb(std::string_view verb) const;
  const SubresourceInfo* FindSubresource(std::string_view name) const;
};

// experiments, trials, suggestions: kubeflow.org/v1beta1, namespaced, categories
// all/kubeflow/katib, no shortNames (as Katib's CRDs), verbs delete, deletecollection, get,
// list, patch, create, update, watch, and the status subresource (get, patch, update).
// Field labels: metadata.name, metadata.namespace (what a CRD supports).
const std::vector<ResourceInfo>& KatibResources();

// core/v1: pods (namespaced; get, list, watch; pods/log get), events (namespaced; list; the
// server always answers an empty EventList), namespaces (cluster-scoped; get, list).
const std::vector<ResourceInfo>& CoreResources();

// The resource served at /apis/<group>/<version>/.../<plural> (or /api/v1/... for group ""),
// or nullptr.
const ResourceInfo* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural);
// The served resource of `kind` in `group` (any version), or nullptr.
const ResourceInfo* FindResourceByKind(std::string_view group, std::string_view kind);

// A list response: {"kind":"<Kind>List","apiVersion":"<gv>","metadata":{"resourceVersion":
// rv},"items":[...]}. Items are taken as they are (each should carry apiVersion and kind).
nlohmann::json ListJson(const ResourceInfo& info, nlohmann::json items,
                        std::string_view resource_version);

}  // namespace ktune::server::kube

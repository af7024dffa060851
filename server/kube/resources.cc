#include "server/kube/resources.h"

#include <algorithm>
#include <utility>

namespace ktune::server::kube {
namespace {

ResourceInfo KatibResource(std::string plural, std::string singular, std::string kind) {
  ResourceInfo info;
  info.group = "kubeflow.org";
  info.version = "v1beta1";
  info.resource = std::move(plural);
  info.singular = std::move(singular);
  info.list_kind = kind + "List";
  info.kind = std::move(kind);
  info.namespaced = true;
  // The order kube-apiserver lists a CRD's verbs in.
  info.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
  info.categories = {"all", "kubeflow", "katib"};
  info.has_status = true;
  info.subresources = {{"status", info.kind, {"get", "patch", "update"}}};
  info.field_labels = {"metadata.name", "metadata.namespace"};
  return info;
}

ResourceInfo CoreResource(std::string plural, std::string singular, std::string kind,
                          bool namespaced, std::vector<std::string> verbs,
                          std::vector<std::string> field_labels) {
  ResourceInfo info;
  info.group = "";
  info.version = "v1";
  info.resource = std::move(plural);
  info.singular = std::move(singular);
  info.list_kind = kind + "List";
  info.kind = std::move(kind);
  info.namespaced = namespaced;
  info.verbs = std::move(verbs);
  info.field_labels = std::move(field_labels);
  return info;
}

}  // namespace

std::string ResourceInfo::GroupVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceInfo::QualifiedResource() const {
  return group.empty() ? resource : resource + "." + group;
}

std::string ResourceInfo::QualifiedKind() const {
  return group.empty() ? kind : kind + "." + group;
}

bool ResourceInfo::HasVerb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const SubresourceInfo* ResourceInfo::FindSubresource(std::string_view name) const {
  for (const SubresourceInfo& sub : subresources) {
    if (sub.name == name) return &sub;
  }
  return nullptr;
}

const std::vector<ResourceInfo>& KatibResources() {
  static const std::vector<ResourceInfo>* const resources = new std::vector<ResourceInfo>{
      KatibResource("experiments", "experiment", "Experiment"),
      KatibResource("trials", "trial", "Trial"),
      KatibResource("suggestions", "suggestion", "Suggestion"),
  };
  return *resources;
}

const std::vector<ResourceInfo>& CoreResources() {
  static const std::vector<ResourceInfo>* const resources = [] {
    auto* list = new std::vector<ResourceInfo>;
    ResourceInfo pods = CoreResource(
        "pods", "pod", "Pod", true, {"get", "list", "watch"},
        {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
         "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"});
    pods.categories = {"all"};
    pods.short_names = {"po"};
    pods.subresources = {{"log", "Pod", {"get"}}};
    list->push_back(std::move(pods));
    ResourceInfo events = CoreResource(
        "events", "event", "Event", true, {"list"},
        {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
         "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
         "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
         "reportingComponent", "source", "type"});
    events.short_names = {"ev"};
    list->push_back(std::move(events));
    ResourceInfo namespaces = CoreResource("namespaces", "namespace", "Namespace", false,
                                           {"get", "list"}, {"metadata.name", "status.phase"});
    namespaces.short_names = {"ns"};
    list->push_back(std::move(namespaces));
    return list;
  }();
  return *resources;
}

const ResourceInfo* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural) {
  for (const auto* table : {&KatibResources(), &CoreResources()}) {
    for (const ResourceInfo& info : *table) {
      if (info.group == group && info.version == version && info.resource == plural) {
        return &info;
      }
    }
  }
  return nullptr;
}

const ResourceInfo* FindResourceByKind(std::string_view group, std::string_view kind) {
  for (const auto* table : {&KatibResources(), &CoreResources()}) {
    for (const ResourceInfo& info : *table) {
      if (info.group == group && info.kind == kind) return &info;
    }
  }
  return nullptr;
}

nlohmann::json ListJson(const ResourceInfo& info, nlohmann::json items,
                        std::string_view resource_version) {
  if (!items.is_array()) items = nlohmann::json::array();
  return {{"kind", info.list_kind},
          {"apiVersion", info.GroupVersion()},
          {"metadata", {{"resourceVersion", std::string(resource_version)}}},
          {"items", std::move(items)}};
}

}  // namespace ktune::server::kube

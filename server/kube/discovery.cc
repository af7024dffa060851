#include "server/kube/discovery.h"

#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/kube/resources.h"

#ifndef KTUNE_VERSION
#define KTUNE_VERSION "0.0.0"
#endif

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

std::string Platform() {
#if defined(__linux__)
  std::string os = "linux";
#elif defined(__APPLE__)
  std::string os = "darwin";
#else
  std::string os = "unknown";
#endif
#if defined(__x86_64__)
  return os + "/amd64";
#elif defined(__aarch64__)
  return os + "/arm64";
#else
  return os + "/unknown";
#endif
}

json GroupVersionJson(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

json ResponseKind(const ResourceInfo& info, const std::string& kind) {
  return {{"group", info.group}, {"version", info.version}, {"kind", kind}};
}

json AggregatedResource(const ResourceInfo& info) {
  json r = {{"resource", info.resource},
            {"responseKind", ResponseKind(info, info.kind)},
            {"scope", info.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", info.singular},
            {"verbs", info.verbs}};
  if (!info.categories.empty()) r["categories"] = info.categories;
  if (!info.short_names.empty()) r["shortNames"] = info.short_names;
  if (!info.subresources.empty()) {
    json subs = json::array();
    for (const SubresourceInfo& sub : info.subresources) {
      subs.push_back({{"subresource", sub.name},
                      {"responseKind", ResponseKind(info, sub.kind)},
                      {"verbs", sub.verbs}});
    }
    r["subresources"] = std::move(subs);
  }
  return r;
}

json AggregatedList(json item, std::string_view api_version) {
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", std::string(api_version)},
          {"metadata", json::object()},
          {"items", json::array({std::move(item)})}};
}

json LegacyResources(const std::vector<ResourceInfo>& resources) {
  json list = json::array();
  for (const ResourceInfo& info : resources) {
    json r = {{"name", info.resource},
              {"singularName", info.singular},
              {"namespaced", info.namespaced},
              {"kind", info.kind},
              {"verbs", info.verbs}};
    if (!info.short_names.empty()) r["shortNames"] = info.short_names;
    if (!info.categories.empty()) r["categories"] = info.categories;
    list.push_back(std::move(r));
    for (const SubresourceInfo& sub : info.subresources) {
      list.push_back({{"name", info.resource + "/" + sub.name},
                      {"singularName", ""},
                      {"namespaced", info.namespaced},
                      {"kind", sub.kind},
                      {"verbs", sub.verbs}});
    }
  }
  return list;
}

// ---- OpenAPI v3 ----

constexpr char kMetaPrefix[] = "io.k8s.apimachinery.pkg.apis.meta.v1.";

std::string Ref(std::string_view schema) {
  return absl::StrCat("#/components/schemas/", std::string(schema));
}

json Prop(std::string_view type, std::string_view description) {
  return {{"type", std::string(type)}, {"description", std::string(description)}};
}
// An object or list of objects whose members are not described here: kept as sent.
json Open(std::string_view type, std::string_view description) {
  json p = Prop(type, description);
  if (type == "array") {
    p["items"] = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  } else {
    p["x-kubernetes-preserve-unknown-fields"] = true;
  }
  return p;
}
json Time(std::string_view description) {
  json p = Prop("string", description);
  p["format"] = "date-time";
  return p;
}

struct KindDocs {
  std::string description;
  json spec_properties;
  json status_properties;
};

KindDocs DocsFor(const std::string& kind) {
  KindDocs d;
  if (kind == "Experiment") {
    d.description =
        "Experiment is a Katib hyperparameter tuning job: a search space, an objective, a "
        "search algorithm and a trial template; ktune runs its trials and records the best.";
    d.spec_properties = {
        {"algorithm", Open("object",
                           "The search algorithm: algorithmName and "
                           "algorithmSettings (name/value strings).")},
        {"earlyStopping", Open("object", "The early stopping algorithm and its settings.")},
        {"maxFailedTrialCount",
         Prop("integer", "How many trials may fail before the experiment fails.")},
        {"maxTrialCount", Prop("integer", "How many trials to run at most.")},
        {"metricsCollectorSpec",
         Open("object",
              "How metrics are collected from a trial: collector kind (StdOut, File, "
              "TensorFlowEvent, PrometheusMetric, Custom, Push) and source.")},
        {"nasConfig", Open("object", "Neural architecture search: graph config and operations.")},
        {"objective", Open("object",
                           "The objective: type (minimize or maximize), goal, "
                           "objectiveMetricName, additionalMetricNames, metricStrategies.")},
        {"parallelTrialCount", Prop("integer", "How many trials run at the same time.")},
        {"parameters", Open("array",
                            "The search space: name, parameterType (double, int, "
                            "discrete, categorical) and feasibleSpace of each "
                            "hyperparameter.")},
        {"resumePolicy", Prop("string",
                              "What happens when the experiment is done: Never, LongRunning or "
                              "FromVolume.")},
        {"trialTemplate", Open("object",
                               "The template each trial is made from: trialSpec (or configMap), "
                               "trialParameters, primaryContainerName, success and failure "
                               "conditions.")},
    };
    d.status_properties = {
        {"completionTime", Time("When the experiment finished.")},
        {"conditions", Open("array",
                            "The experiment's conditions (Created, Running, "
                            "Restarting, Succeeded, Failed), newest last.")},
        {"currentOptimalTrial",
         Open("object",
              "The best trial so far: bestTrialName, parameterAssignments and "
              "observation.")},
        {"lastReconcileTime", Time("When the controller last looked at the experiment.")},
        {"startTime", Time("When the experiment started.")},
        {"trials", Prop("integer", "How many trials have been created.")},
        {"trialsEarlyStopped", Prop("integer", "How many trials were stopped early.")},
        {"trialsFailed", Prop("integer", "How many trials failed.")},
        {"trialsKilled", Prop("integer", "How many trials were killed.")},
        {"trialsPending", Prop("integer", "How many trials are pending.")},
        {"trialsRunning", Prop("integer", "How many trials are running.")},
        {"trialsSucceeded", Prop("integer", "How many trials succeeded.")},
        {"trialMetricsUnavailable",
         Prop("integer", "How many trials finished without reporting their metrics.")},
    };
  } else if (kind == "Trial") {
    d.description =
        "Trial is one evaluation of an Experiment's objective with one assignment of its "
        "hyperparameters.";
    d.spec_properties = {
        {"earlyStoppingRules", Open("array", "Rules that stop the trial early.")},
        {"metricsCollector", Open("object", "How the trial's metrics are collected.")},
        {"objective", Open("object", "The experiment's objective.")},
        {"parameterAssignments",
         Open("array", "The hyperparameter values of this trial (name and value).")},
        {"primaryContainerName", Prop("string", "The container whose output holds the metrics.")},
        {"primaryPodLabels", Open("object", "Labels of the trial's primary pod.")},
        {"retainRun", Prop("boolean", "Whether the trial's run is kept after it finishes.")},
        {"runSpec", Open("object", "The rendered trial template that runs the trial.")},
        {"successCondition", Prop("string", "When the run counts as succeeded.")},
        {"failureCondition", Prop("string", "When the run counts as failed.")},
    };
    d.status_properties = {
        {"completionTime", Time("When the trial finished.")},
        {"conditions", Open("array",
                            "The trial's conditions (Created, Running, Succeeded, "
                            "Killed, Failed, MetricsUnavailable, EarlyStopped), newest "
                            "last.")},
        {"lastReconcileTime", Time("When the controller last looked at the trial.")},
        {"observation", Open("object", "The metrics the trial reported: name, min, max, latest.")},
        {"startTime", Time("When the trial started.")},
    };
  } else {
    d.description =
        "Suggestion holds the hyperparameter assignments a search algorithm has proposed for "
        "an Experiment.";
    d.spec_properties = {
        {"algorithm", Open("object", "The search algorithm and its settings.")},
        {"earlyStopping", Open("object", "The early stopping algorithm and its settings.")},
        {"requests", Prop("integer", "How many assignments have been asked for.")},
        {"resumePolicy", Prop("string", "The experiment's resume policy.")},
    };
    d.status_properties = {
        {"algorithmSettings", Open("array", "Settings the algorithm reported back.")},
        {"completionTime", Time("When the suggestion finished.")},
        {"conditions", Open("array", "The suggestion's conditions, newest last.")},
        {"lastReconcileTime", Time("When the controller last looked at the suggestion.")},
        {"startTime", Time("When the suggestion started.")},
        {"suggestionCount", Prop("integer", "How many assignments have been made.")},
        {"suggestions", Open("array", "The assignments made, one per trial.")},
    };
  }
  return d;
}

json GvkObject(const ResourceInfo& info, const std::string& kind) {
  return {{"group", info.group}, {"version", info.version}, {"kind", kind}};
}

std::string SchemaName(const ResourceInfo& info, const std::string& kind) {
  // kubeflow.org -> org.kubeflow (reversed domain), as the apiserver names CRD schemas.
  std::vector<std::string> parts = absl::StrSplit(info.group, '.');
  std::string name;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) absl::StrAppend(&name, *it, ".");
  return absl::StrCat(name, info.version, ".", kind);
}

json KindSchema(const ResourceInfo& info) {
  KindDocs docs = DocsFor(info.kind);
  json spec = Open("object", "What the user asks for (the " + info.kind + "'s desired state).");
  spec["properties"] = docs.spec_properties;
  json status = Open("object",
                     "What the controller observed; written through the status "
                     "subresource.");
  status["properties"] = docs.status_properties;
  return {
      {"type", "object"},
      {"description", docs.description},
      {"properties",
       {{"apiVersion", Prop("string",
                            "The versioned schema of this object: "
                            "kubeflow.org/v1beta1.")},
        {"kind", Prop("string", "The REST resource this object represents: " + info.kind + ".")},
        {"metadata",
         {{"allOf", json::array({{{"$ref", Ref(std::string(kMetaPrefix) + "ObjectMeta")}}})},
          {"default", json::object()},
          {"description",
           "Standard object metadata: name, namespace, labels, annotations, uid, "
           "resourceVersion, generation, creationTimestamp."}}},
        {"spec", std::move(spec)},
        {"status", std::move(status)}}},
      {"x-kubernetes-group-version-kind", json::array({GvkObject(info, info.kind)})}};
}

json ListSchema(const ResourceInfo& info) {
  return {{"type", "object"},
          {"description", info.list_kind + " is a list of " + info.kind + "."},
          {"required", json::array({"items"})},
          {"properties",
           {{"apiVersion", Prop("string", "kubeflow.org/v1beta1.")},
            {"items",
             {{"type", "array"},
              {"description", "The objects."},
              {"items", {{"$ref", Ref(SchemaName(info, info.kind))}}}}},
            {"kind", Prop("string", info.list_kind + ".")},
            {"metadata",
             {{"allOf", json::array({{{"$ref", Ref(std::string(kMetaPrefix) + "ListMeta")}}})},
              {"default", json::object()},
              {"description", "Standard list metadata: resourceVersion and continue."}}}}},
          {"x-kubernetes-group-version-kind", json::array({GvkObject(info, info.list_kind)})}};
}

void AddMetaSchemas(json& schemas) {
  const std::string p = kMetaPrefix;
  json string_map = {{"type", "object"},
                     {"additionalProperties", {{"type", "string"}, {"default", ""}}}};
  json labels = string_map;
  labels["description"] = "Labels: string keys and values that selectors match on.";
  json annotations = string_map;
  annotations["description"] = "Annotations: string keys and values for tools.";
  schemas[p + "ObjectMeta"] = {
      {"type", "object"},
      {"description", "Metadata every persisted object has."},
      {"properties",
       {{"annotations", annotations},
        {"creationTimestamp", Time("When the object was created (set by the server).")},
        {"deletionTimestamp", Time("When the object started to be deleted.")},
        {"finalizers",
         {{"type", "array"},
          {"description", "What must finish before the object is removed."},
          {"items", {{"type", "string"}, {"default", ""}}}}},
        {"generateName", Prop("string",
                              "A prefix from which the server makes a unique name "
                              "when name is empty.")},
        {"generation", Prop("integer", "Bumped by the server whenever spec changes.")},
        {"labels", labels},
        {"managedFields", Open("array", "Field ownership (not tracked by ktune).")},
        {"name", Prop("string",
                      "Name must be unique within a namespace; it cannot be "
                      "changed.")},
        {"namespace", Prop("string", "The namespace the object lives in.")},
        {"ownerReferences", Open("array", "Objects this one depends on.")},
        {"resourceVersion", Prop("string",
                                 "The version of the object, for optimistic "
                                 "concurrency and watches (opaque).")},
        {"uid", Prop("string", "The unique id of the object (set by the server).")}}}};
  schemas[p + "ListMeta"] = {
      {"type", "object"},
      {"description", "Metadata of a list."},
      {"properties",
       {{"continue", Prop("string", "Token for the next page, when the list was cut.")},
        {"remainingItemCount", Prop("integer", "Items left after this page.")},
        {"resourceVersion", Prop("string", "The version the list was read at.")}}}};
  schemas[p + "Status"] = {
      {"type", "object"},
      {"description", "The result of an operation that does not return an object."},
      {"properties",
       {{"apiVersion", Prop("string", "v1.")},
        {"code", Prop("integer", "The HTTP status code.")},
        {"details", Open("object", "name, group, kind and causes of the error.")},
        {"kind", Prop("string", "Status.")},
        {"message", Prop("string", "What went wrong, for a human.")},
        {"metadata",
         {{"allOf", json::array({{{"$ref", Ref(p + "ListMeta")}}})}, {"default", json::object()}}},
        {"reason", Prop("string", "What went wrong, for a machine.")},
        {"status", Prop("string", "Success or Failure.")}}},
      {"x-kubernetes-group-version-kind",
       json::array({{{"group", ""}, {"kind", "Status"}, {"version", "v1"}}})}};
  schemas[p + "DeleteOptions"] = {
      {"type", "object"},
      {"description", "Options of a delete."},
      {"properties",
       {{"apiVersion", Prop("string", "v1.")},
        {"dryRun",
         {{"type", "array"},
          {"description", "All: do everything but persist."},
          {"items", {{"type", "string"}, {"default", ""}}}}},
        {"gracePeriodSeconds", Prop("integer", "Seconds before the object is deleted.")},
        {"kind", Prop("string", "DeleteOptions.")},
        {"orphanDependents", Prop("boolean", "Deprecated: use propagationPolicy.")},
        {"preconditions", Open("object", "uid and resourceVersion the object must have.")},
        {"propagationPolicy", Prop("string", "Orphan, Background or Foreground.")}}}};
  schemas[p + "Patch"] = {{"type", "object"},
                          {"description",
                           "A patch body: a JSON merge patch, a JSON patch or an apply "
                           "configuration, by Content-Type."}};
}

json QueryParam(std::string_view name, std::string_view type, std::string_view description) {
  return {{"name", std::string(name)},
          {"in", "query"},
          {"description", std::string(description)},
          {"schema", {{"type", std::string(type)}, {"uniqueItems", true}}}};
}
json PathParam(std::string_view name, std::string_view description) {
  return {{"name", std::string(name)},
          {"in", "path"},
          {"description", std::string(description)},
          {"required", true},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

json DryRun() {
  return QueryParam("dryRun", "string", "All: validate and answer, but persist nothing.");
}
json FieldManager() {
  return QueryParam("fieldManager", "string", "The name of the actor making the change.");
}
json FieldValidation() {
  return QueryParam("fieldValidation", "string",
                    "What to do with unknown or duplicate fields: Ignore, Warn or Strict.");
}

json ListParams() {
  return json::array(
      {QueryParam("allowWatchBookmarks", "boolean", "Send BOOKMARK events in a watch."),
       QueryParam("continue", "string", "The token of the next page."),
       QueryParam("fieldSelector", "string",
                  "Only objects whose fields match (metadata.name, metadata.namespace)."),
       QueryParam("labelSelector", "string", "Only objects whose labels match."),
       QueryParam("limit", "integer", "At most this many objects."),
       QueryParam("resourceVersion", "string", "List at, or watch from, this version."),
       QueryParam("resourceVersionMatch", "string", "How resourceVersion is applied."),
       QueryParam("sendInitialEvents", "boolean", "Start a watch with the current objects."),
       QueryParam("timeoutSeconds", "integer", "End a watch after this long."),
       QueryParam("watch", "boolean", "Stream changes instead of listing.")});
}

json Content(const std::string& schema_ref, const std::vector<std::string>& types) {
  json content = json::object();
  for (const std::string& type : types) content[type] = {{"schema", {{"$ref", schema_ref}}}};
  return content;
}

json Responses(const std::vector<std::string>& codes, const std::string& schema_ref,
               const std::vector<std::string>& types) {
  json responses = json::object();
  for (const std::string& code : codes) {
    responses[code] = {{"description", code == "201"   ? "Created"
                                       : code == "202" ? "Accepted"
                                                       : "OK"},
                       {"content", Content(schema_ref, types)}};
  }
  responses["401"] = {{"description", "Unauthorized"}};
  return responses;
}

json Operation(const ResourceInfo& info, std::string_view action, std::string description,
               std::string operation_id, json parameters, json responses) {
  return {{"tags", json::array({"kubeflowOrg_v1beta1"})},
          {"description", std::move(description)},
          {"operationId", std::move(operation_id)},
          {"parameters", std::move(parameters)},
          {"responses", std::move(responses)},
          {"x-kubernetes-action", std::string(action)},
          {"x-kubernetes-group-version-kind", GvkObject(info, info.kind)}};
}

json Body(const std::string& schema_ref, const std::vector<std::string>& types) {
  return {{"content", Content(schema_ref, types)}, {"required", true}};
}

void AddPaths(const ResourceInfo& info, json& paths) {
  const std::string gv_path = "/apis/" + info.group + "/" + info.version;
  const std::string kind_ref = Ref(SchemaName(info, info.kind));
  const std::string list_ref = Ref(SchemaName(info, info.list_kind));
  const std::string status_ref = Ref(std::string(kMetaPrefix) + "Status");
  const std::string id = "KubeflowOrgV1beta1Namespaced" + info.kind;
  const std::vector<std::string> json_types = {"application/json", "application/yaml"};
  const std::vector<std::string> patch_types = {"application/apply-patch+yaml",
                                                "application/json-patch+json",
                                                "application/merge-patch+json"};
  const json pretty = QueryParam("pretty", "string", "Indent the output.");
  const json ns_param = PathParam("namespace",
                                  "object name and auth scope, such as for teams "
                                  "and projects");
  const json name_param = PathParam("name", "name of the " + info.kind);

  json collection = json::object();
  collection["get"] = Operation(
      info, "list", "list objects of kind " + info.kind, "list" + id, ListParams(),
      Responses({"200"}, list_ref, {"application/json", "application/json;stream=watch"}));
  collection["post"] = Operation(info, "post", "create a " + info.kind, "create" + id,
                                 json::array({DryRun(), FieldManager(), FieldValidation()}),
                                 Responses({"200", "201", "202"}, kind_ref, json_types));
  collection["post"]["requestBody"] = Body(kind_ref, json_types);
  collection["delete"] =
      Operation(info, "deletecollection", "delete collection of " + info.kind,
                "deletecollection" + id, ListParams(), Responses({"200"}, status_ref, json_types));
  collection["parameters"] = json::array({ns_param, pretty});
  paths[gv_path + "/namespaces/{namespace}/" + info.resource] = std::move(collection);

  json object = json::object();
  object["get"] = Operation(info, "get", "read the specified " + info.kind, "read" + id,
                            json::array(), Responses({"200"}, kind_ref, json_types));
  object["put"] = Operation(info, "put", "replace the specified " + info.kind, "replace" + id,
                            json::array({DryRun(), FieldManager(), FieldValidation()}),
                            Responses({"200", "201"}, kind_ref, json_types));
  object["put"]["requestBody"] = Body(kind_ref, json_types);
  json patch_params = json::array(
      {DryRun(), FieldManager(), FieldValidation(),
       QueryParam("force", "boolean", "Take over conflicting fields (apply patches only).")});
  object["patch"] =
      Operation(info, "patch", "partially update the specified " + info.kind, "patch" + id,
                patch_params, Responses({"200", "201"}, kind_ref, json_types));
  object["patch"]["requestBody"] = Body(Ref(std::string(kMetaPrefix) + "Patch"), patch_types);
  object["delete"] = Operation(
      info, "delete", "delete a " + info.kind, "delete" + id,
      json::array({DryRun(),
                   QueryParam("gracePeriodSeconds", "integer", "Seconds before deletion."),
                   QueryParam("orphanDependents", "boolean", "Deprecated."),
                   QueryParam("propagationPolicy", "string", "Orphan, Background, Foreground.")}),
      Responses({"200", "202"}, status_ref, json_types));
  object["delete"]["requestBody"] =
      Body(Ref(std::string(kMetaPrefix) + "DeleteOptions"), {"application/json"});
  object["delete"]["requestBody"]["required"] = false;
  object["parameters"] = json::array({name_param, ns_param, pretty});
  paths[gv_path + "/namespaces/{namespace}/" + info.resource + "/{name}"] = std::move(object);

  if (info.has_status) {
    json status = json::object();
    status["get"] =
        Operation(info, "get", "read status of the specified " + info.kind, "read" + id + "Status",
                  json::array(), Responses({"200"}, kind_ref, json_types));
    status["put"] = Operation(info, "put", "replace status of the specified " + info.kind,
                              "replace" + id + "Status",
                              json::array({DryRun(), FieldManager(), FieldValidation()}),
                              Responses({"200", "201"}, kind_ref, json_types));
    status["put"]["requestBody"] = Body(kind_ref, json_types);
    status["patch"] = Operation(
        info, "patch", "partially update status of the specified " + info.kind,
        "patch" + id + "Status", patch_params, Responses({"200", "201"}, kind_ref, json_types));
    status["patch"]["requestBody"] = Body(Ref(std::string(kMetaPrefix) + "Patch"), patch_types);
    status["parameters"] = json::array({name_param, ns_param, pretty});
    paths[gv_path + "/namespaces/{namespace}/" + info.resource + "/{name}/status"] =
        std::move(status);
  }

  json all = json::object();
  all["get"] = Operation(
      info, "list", "list objects of kind " + info.kind + " in all namespaces",
      "listKubeflowOrgV1beta1" + info.kind + "ForAllNamespaces", ListParams(),
      Responses({"200"}, list_ref, {"application/json", "application/json;stream=watch"}));
  all["parameters"] = json::array({pretty});
  paths[gv_path + "/" + info.resource] = std::move(all);
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

const std::string& KatibOpenApiV3Text() {
  static const std::string* const text = new std::string(KatibOpenApiV3Json().dump());
  return *text;
}

std::string_view StripSlash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

std::string MediaRange::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return "";
}

std::vector<MediaRange> ParseAccept(std::string_view accept) {
  std::vector<MediaRange> ranges;
  for (absl::string_view part : absl::StrSplit(absl::string_view(accept.data(), accept.size()), ',',
                                               absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(part, ';');
    MediaRange range;
    range.type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[0]));
    if (range.type.empty()) continue;
    for (size_t i = 1; i < fields.size(); ++i) {
      absl::string_view field = absl::StripAsciiWhitespace(fields[i]);
      size_t eq = field.find('=');
      if (eq == absl::string_view::npos) continue;
      std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(field.substr(0, eq)));
      std::string value(absl::StripAsciiWhitespace(field.substr(eq + 1)));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (key == "q") {
        double q = 1.0;
        range.q = absl::SimpleAtod(value, &q) ? q : 1.0;
      } else {
        range.params.emplace_back(std::move(key), std::move(value));
      }
    }
    if (range.q <= 0) continue;
    ranges.push_back(std::move(range));
  }
  return ranges;
}

namespace {
// "v2", "v2beta1" or "" for the first aggregated-discovery range of `accept`.
std::string AggregatedVersion(std::string_view accept) {
  std::string chosen;
  for (const MediaRange& range : ParseAccept(accept)) {
    if (range.type != "application/json" || range.Param("g") != "apidiscovery.k8s.io" ||
        range.Param("as") != "APIGroupDiscoveryList") {
      continue;
    }
    std::string v = range.Param("v");
    if (v == "v2") return v;
    if (v == "v2beta1" && chosen.empty()) chosen = v;
  }
  return chosen;
}
}  // namespace

bool WantsAggregated(std::string_view accept) { return !AggregatedVersion(accept).empty(); }

json VersionJson() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", std::string("v1.32.0-ktune+") + KTUNE_VERSION},
          {"gitCommit", ""},
          {"gitTreeState", "clean"},
          {"buildDate", "1970-01-01T00:00:00Z"},
          {"goVersion", ""},
          {"compiler", "ktune"},
          {"platform", Platform()}};
}

json ApiVersionsJson(std::string_view server_address) {
  return {{"kind", "APIVersions"},
          {"versions", json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           json::array(
               {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", std::string(server_address)}}})}};
}

json CoreAggregatedDiscoveryJson() {
  json resources = json::array();
  for (const ResourceInfo& info : CoreResources()) resources.push_back(AggregatedResource(info));
  json item = {
      {"metadata", json::object()},
      {"versions",
       json::array(
           {{{"version", "v1"}, {"resources", std::move(resources)}, {"freshness", "Current"}}})}};
  return AggregatedList(std::move(item), "apidiscovery.k8s.io/v2");
}

json ApiGroupListJson() {
  json group = KatibApiGroupJson();
  group.erase("kind");
  group.erase("apiVersion");
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array({group})}};
}

json GroupsAggregatedDiscoveryJson() {
  json resources = json::array();
  for (const ResourceInfo& info : KatibResources()) resources.push_back(AggregatedResource(info));
  const ResourceInfo& first = KatibResources().front();
  json item = {{"metadata", {{"name", first.group}}},
               {"versions", json::array({{{"version", first.version},
                                          {"resources", std::move(resources)},
                                          {"freshness", "Current"}}})}};
  return AggregatedList(std::move(item), "apidiscovery.k8s.io/v2");
}

json KatibApiGroupJson() {
  const ResourceInfo& first = KatibResources().front();
  json gv = GroupVersionJson(first.group, first.version);
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", first.group},
          {"versions", json::array({gv})},
          {"preferredVersion", gv}};
}

json KatibApiResourceListJson() {
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", KatibResources().front().GroupVersion()},
          {"resources", LegacyResources(KatibResources())}};
}

json CoreApiResourceListJson() {
  return {{"kind", "APIResourceList"},
          {"groupVersion", "v1"},
          {"resources", LegacyResources(CoreResources())}};
}

json KatibOpenApiV3Json() {
  json paths = json::object();
  json schemas = json::object();
  for (const ResourceInfo& info : KatibResources()) {
    AddPaths(info, paths);
    schemas[SchemaName(info, info.kind)] = KindSchema(info);
    schemas[SchemaName(info, info.list_kind)] = ListSchema(info);
  }
  AddMetaSchemas(schemas);
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "ktune"}, {"version", KTUNE_VERSION}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

const std::string& KatibOpenApiV3Hash() {
  static const std::string* const hash = [] {
    uint64_t h = Fnv1a64(KatibOpenApiV3Text());
    static constexpr char kHex[] = "0123456789ABCDEF";
    auto* out = new std::string(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) (*out)[i] = kHex[h & 0xf];
    return out;
  }();
  return *hash;
}

json OpenApiV3RootJson() {
  std::string path(kKatibOpenApiV3Path);
  return {{"paths",
           {{path.substr(std::string("/openapi/v3/").size()),
             {{"serverRelativeURL", path + "?hash=" + KatibOpenApiV3Hash()}}}}}};
}

namespace {
const std::string& CoreApiResourceListText() {
  static const std::string* const text = new std::string(CoreApiResourceListJson().dump());
  return *text;
}
const std::string& KatibApiGroupText() {
  static const std::string* const text = new std::string(KatibApiGroupJson().dump());
  return *text;
}
const std::string& KatibApiResourceListText() {
  static const std::string* const text = new std::string(KatibApiResourceListJson().dump());
  return *text;
}
}  // namespace

std::optional<DiscoveryAnswer> ServeDiscovery(std::string_view path, std::string_view accept,
                                              std::string_view server_address) {
  path = StripSlash(path);
  auto answer = [](const json& doc, std::string content_type = kJsonContentType) {
    return DiscoveryAnswer{std::move(content_type), doc.dump(), ""};
  };
  // The documents that do not depend on the request, serialized once.
  auto cached = [](const std::string& (*text)()) {
    return DiscoveryAnswer{kJsonContentType, text(), ""};
  };
  auto aggregated = [&](json doc) {
    if (AggregatedVersion(accept) == "v2beta1") {
      doc["apiVersion"] = "apidiscovery.k8s.io/v2beta1";
      return answer(doc, kAggregatedDiscoveryV2Beta1ContentType);
    }
    return answer(doc, kAggregatedDiscoveryContentType);
  };
  if (path == "/version") return answer(VersionJson());
  if (path == "/api") {
    if (WantsAggregated(accept)) return aggregated(CoreAggregatedDiscoveryJson());
    return answer(ApiVersionsJson(server_address));
  }
  if (path == "/apis") {
    if (WantsAggregated(accept)) return aggregated(GroupsAggregatedDiscoveryJson());
    return answer(ApiGroupListJson());
  }
  if (path == "/api/v1") return cached(&CoreApiResourceListText);
  if (path == "/apis/kubeflow.org") return cached(&KatibApiGroupText);
  if (path == "/apis/kubeflow.org/v1beta1") return cached(&KatibApiResourceListText);
  if (path == "/openapi/v3") return answer(OpenApiV3RootJson());
  if (path == kKatibOpenApiV3Path) {
    return DiscoveryAnswer{kJsonContentType, KatibOpenApiV3Text(),
                           "\"" + KatibOpenApiV3Hash() + "\""};
  }
  return std::nullopt;
}

}  // namespace ktune::server::kube

#include "server/kube/discovery.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/kube/resources.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

// What kubectl 1.32 sends on /api and /apis (SERVER.md §A.1).
constexpr char kKubectlDiscoveryAccept[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;"
    "g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

TEST(ResourcesTest, Lookup) {
  const ResourceInfo* e = FindResource("kubeflow.org", "v1beta1", "experiments");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, "Experiment");
  EXPECT_EQ(e->list_kind, "ExperimentList");
  EXPECT_EQ(e->singular, "experiment");
  EXPECT_TRUE(e->namespaced);
  EXPECT_TRUE(e->has_status);
  EXPECT_TRUE(e->short_names.empty());
  EXPECT_THAT(e->categories, testing::ElementsAre("all", "kubeflow", "katib"));
  EXPECT_THAT(e->verbs, testing::ElementsAre("delete", "deletecollection", "get", "list", "patch",
                                             "create", "update", "watch"));
  EXPECT_EQ(e->GroupVersion(), "kubeflow.org/v1beta1");
  EXPECT_EQ(e->QualifiedResource(), "experiments.kubeflow.org");
  EXPECT_EQ(e->QualifiedKind(), "Experiment.kubeflow.org");
  EXPECT_NE(FindResource("kubeflow.org", "v1beta1", "trials"), nullptr);
  EXPECT_NE(FindResource("kubeflow.org", "v1beta1", "suggestions"), nullptr);
  EXPECT_EQ(FindResource("kubeflow.org", "v1", "experiments"), nullptr);
  EXPECT_EQ(FindResource("kubeflow.org", "v1beta1", "exp"), nullptr);
  const ResourceInfo* pods = FindResource("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->GroupVersion(), "v1");
  EXPECT_EQ(pods->QualifiedResource(), "pods");
  EXPECT_FALSE(pods->HasVerb("create"));
  EXPECT_TRUE(pods->HasVerb("watch"));
  ASSERT_NE(pods->FindSubresource("log"), nullptr);
  const ResourceInfo* ns = FindResource("", "v1", "namespaces");
  ASSERT_NE(ns, nullptr);
  EXPECT_FALSE(ns->namespaced);
  EXPECT_EQ(FindResourceByKind("kubeflow.org", "Trial")->resource, "trials");
  EXPECT_EQ(ListJson(*e, json::array(), "5"),
            json::parse(R"({"kind":"ExperimentList","apiVersion":"kubeflow.org/v1beta1",
                            "metadata":{"resourceVersion":"5"},"items":[]})"));
}

TEST(DiscoveryTest, AcceptNegotiation) {
  EXPECT_TRUE(WantsAggregated(kKubectlDiscoveryAccept));
  EXPECT_TRUE(
      WantsAggregated("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"));
  EXPECT_FALSE(WantsAggregated("application/json, */*"));
  EXPECT_FALSE(WantsAggregated(""));
  EXPECT_FALSE(
      WantsAggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0"));
  std::vector<MediaRange> ranges = ParseAccept("Application/JSON; AS=Table ;q=0.5, text/plain");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].type, "application/json");
  EXPECT_EQ(ranges[0].Param("as"), "Table");
  EXPECT_DOUBLE_EQ(ranges[0].q, 0.5);
}

TEST(DiscoveryTest, VersionSelectsKubectl132) {
  json v = VersionJson();
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "32");
  EXPECT_THAT(v["gitVersion"].get<std::string>(), testing::StartsWith("v1.32.0-ktune+"));
  for (const char* key :
       {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
}

void ExpectAggregatedResource(const json& r, const ResourceInfo& info) {
  EXPECT_EQ(r["resource"], info.resource);
  ASSERT_TRUE(r.contains("responseKind")) << r.dump();  // missing: client-go drops it
  EXPECT_EQ(r["responseKind"],
            json({{"group", info.group}, {"version", info.version}, {"kind", info.kind}}));
  EXPECT_EQ(r["scope"], info.namespaced ? "Namespaced" : "Cluster");
  EXPECT_EQ(r["singularResource"], info.singular);
  EXPECT_EQ(r["verbs"], json(info.verbs));
}

TEST(DiscoveryTest, AggregatedApis) {
  std::optional<DiscoveryAnswer> a = ServeDiscovery("/apis", kKubectlDiscoveryAccept, "x");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->content_type,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  json doc = json::parse(a->body);
  EXPECT_EQ(doc["kind"], "APIGroupDiscoveryList");
  EXPECT_EQ(doc["apiVersion"], "apidiscovery.k8s.io/v2");
  ASSERT_EQ(doc["items"].size(), 1u);
  const json& group = doc["items"][0];
  EXPECT_EQ(group["metadata"]["name"], "kubeflow.org");
  ASSERT_EQ(group["versions"].size(), 1u);
  EXPECT_EQ(group["versions"][0]["version"], "v1beta1");
  EXPECT_EQ(group["versions"][0]["freshness"], "Current");
  const json& resources = group["versions"][0]["resources"];
  ASSERT_EQ(resources.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const ResourceInfo& info = KatibResources()[i];
    ExpectAggregatedResource(resources[i], info);
    EXPECT_EQ(resources[i]["categories"], json::parse(R"(["all","kubeflow","katib"])"));
    EXPECT_FALSE(resources[i].contains("shortNames"));
    ASSERT_EQ(resources[i]["subresources"].size(), 1u);
    const json& status = resources[i]["subresources"][0];
    EXPECT_EQ(status["subresource"], "status");
    EXPECT_EQ(status["responseKind"]["kind"], info.kind);
    EXPECT_EQ(status["verbs"], json::parse(R"(["get","patch","update"])"));
  }
  // An older client that accepts only v2beta1 gets v2beta1.
  std::optional<DiscoveryAnswer> beta = ServeDiscovery(
      "/apis", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", "x");
  ASSERT_TRUE(beta.has_value());
  EXPECT_EQ(beta->content_type,
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  EXPECT_EQ(json::parse(beta->body)["apiVersion"], "apidiscovery.k8s.io/v2beta1");
}

TEST(DiscoveryTest, AggregatedCore) {
  std::optional<DiscoveryAnswer> a = ServeDiscovery("/api", kKubectlDiscoveryAccept, "x");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->content_type, kAggregatedDiscoveryContentType);
  json doc = json::parse(a->body);
  ASSERT_EQ(doc["items"].size(), 1u);
  EXPECT_EQ(doc["items"][0]["metadata"], json::object());  // the core group has no name
  const json& version = doc["items"][0]["versions"][0];
  EXPECT_EQ(version["version"], "v1");
  std::set<std::string> names;
  for (size_t i = 0; i < version["resources"].size(); ++i) {
    ExpectAggregatedResource(version["resources"][i], CoreResources()[i]);
    names.insert(version["resources"][i]["resource"]);
  }
  EXPECT_EQ(names, (std::set<std::string>{"pods", "events", "namespaces"}));
  EXPECT_EQ(version["resources"][0]["subresources"][0]["subresource"], "log");
}

TEST(DiscoveryTest, LegacyDocuments) {
  json versions =
      json::parse(ServeDiscovery("/api", "application/json, */*", "127.0.0.1:8080")->body);
  EXPECT_EQ(versions, json::parse(R"({"kind":"APIVersions","versions":["v1"],
      "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:8080"}]})"));
  std::optional<DiscoveryAnswer> groups = ServeDiscovery("/apis/", "application/json", "x");
  ASSERT_TRUE(groups.has_value());
  EXPECT_EQ(groups->content_type, "application/json");
  EXPECT_EQ(json::parse(groups->body),
            json::parse(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[{
                "name":"kubeflow.org",
                "versions":[{"groupVersion":"kubeflow.org/v1beta1","version":"v1beta1"}],
                "preferredVersion":{"groupVersion":"kubeflow.org/v1beta1","version":"v1beta1"}}]})"));
  json group = json::parse(ServeDiscovery("/apis/kubeflow.org", "", "x")->body);
  EXPECT_EQ(group["kind"], "APIGroup");
  EXPECT_EQ(group["name"], "kubeflow.org");

  json list = json::parse(ServeDiscovery("/apis/kubeflow.org/v1beta1", "", "x")->body);
  EXPECT_EQ(list["kind"], "APIResourceList");
  EXPECT_EQ(list["groupVersion"], "kubeflow.org/v1beta1");
  std::vector<std::string> names;
  for (const json& r : list["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names, testing::ElementsAre("experiments", "experiments/status", "trials",
                                          "trials/status", "suggestions", "suggestions/status"));
  EXPECT_EQ(list["resources"][0],
            json::parse(R"({"name":"experiments","singularName":"experiment","namespaced":true,
                "kind":"Experiment","verbs":["delete","deletecollection","get","list","patch",
                "create","update","watch"],"categories":["all","kubeflow","katib"]})"));
  EXPECT_EQ(list["resources"][1]["verbs"], json::parse(R"(["get","patch","update"])"));

  json core = json::parse(ServeDiscovery("/api/v1", "", "x")->body);
  EXPECT_EQ(core["groupVersion"], "v1");
  names.clear();
  for (const json& r : core["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names, testing::ElementsAre("pods", "pods/log", "events", "namespaces"));
  EXPECT_EQ(core["resources"][3]["namespaced"], false);

  EXPECT_FALSE(ServeDiscovery("/apis/other.org", "", "x").has_value());
  EXPECT_FALSE(ServeDiscovery("/healthz", "", "x").has_value());
}

TEST(DiscoveryTest, OpenApiRootPointsAtTheHashedDocument) {
  const std::string& hash = KatibOpenApiV3Hash();
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash, KatibOpenApiV3Hash());
  json root = json::parse(ServeDiscovery("/openapi/v3", "application/json, */*", "x")->body);
  EXPECT_EQ(
      root,
      json({{"paths",
             {{"apis/kubeflow.org/v1beta1",
               {{"serverRelativeURL", "/openapi/v3/apis/kubeflow.org/v1beta1?hash=" + hash}}}}}}));
  std::optional<DiscoveryAnswer> gv = ServeDiscovery(kKatibOpenApiV3Path, "application/json", "x");
  ASSERT_TRUE(gv.has_value());
  EXPECT_EQ(gv->etag, "\"" + hash + "\"");
  EXPECT_EQ(json::parse(gv->body), KatibOpenApiV3Json());
}

bool HasQueryParam(const json& op, std::string_view name) {
  for (const json& p : op["parameters"]) {
    if (p["name"] == name && p["in"] == "query") return true;
  }
  return false;
}

TEST(DiscoveryTest, OpenApiPatchOperationsEnableServerSideValidation) {
  json doc = KatibOpenApiV3Json();
  EXPECT_EQ(doc["openapi"], "3.0.0");
  for (const ResourceInfo& info : KatibResources()) {
    const std::string base = "/apis/kubeflow.org/v1beta1/namespaces/{namespace}/" + info.resource;
    const json gvk = {{"group", "kubeflow.org"}, {"version", "v1beta1"}, {"kind", info.kind}};
    for (const std::string& path : {base + "/{name}", base + "/{name}/status"}) {
      ASSERT_TRUE(doc["paths"].contains(path)) << path;
      const json& patch = doc["paths"][path]["patch"];
      // What cli-runtime's query_param_verifier_v3 looks for.
      EXPECT_EQ(patch["x-kubernetes-group-version-kind"], gvk) << path;
      EXPECT_TRUE(HasQueryParam(patch, "fieldValidation")) << path;
      std::set<std::string> types;
      for (const auto& [type, unused] : patch["requestBody"]["content"].items()) types.insert(type);
      EXPECT_EQ(types, (std::set<std::string>{"application/apply-patch+yaml",
                                              "application/json-patch+json",
                                              "application/merge-patch+json"}));
      EXPECT_EQ(types.count("application/strategic-merge-patch+json"), 0u);
      EXPECT_TRUE(HasQueryParam(doc["paths"][path]["put"], "fieldValidation"));
    }
    const json& collection = doc["paths"][base];
    EXPECT_EQ(collection["get"]["x-kubernetes-action"], "list");
    EXPECT_EQ(collection["post"]["x-kubernetes-action"], "post");
    EXPECT_TRUE(HasQueryParam(collection["post"], "fieldValidation"));
    EXPECT_TRUE(HasQueryParam(collection["get"], "labelSelector"));
    EXPECT_EQ(doc["paths"][base + "/{name}"]["delete"]["x-kubernetes-action"], "delete");
    EXPECT_TRUE(doc["paths"].contains("/apis/kubeflow.org/v1beta1/" + info.resource));
  }
  // No strategic merge anywhere in the document.
  EXPECT_EQ(doc.dump().find("strategic-merge-patch"), std::string::npos);
}

TEST(DiscoveryTest, OpenApiSchemasForKubectlExplain) {
  json doc = KatibOpenApiV3Json();
  const json& schemas = doc["components"]["schemas"];
  for (const ResourceInfo& info : KatibResources()) {
    const std::string name = "org.kubeflow.v1beta1." + info.kind;
    ASSERT_TRUE(schemas.contains(name)) << name;
    const json& s = schemas[name];
    EXPECT_EQ(
        s["x-kubernetes-group-version-kind"],
        json::array({{{"group", "kubeflow.org"}, {"version", "v1beta1"}, {"kind", info.kind}}}));
    EXPECT_FALSE(s["description"].get<std::string>().empty());
    for (const char* field : {"apiVersion", "kind", "metadata", "spec", "status"}) {
      ASSERT_TRUE(s["properties"].contains(field)) << name << "." << field;
      EXPECT_FALSE(s["properties"][field]["description"].get<std::string>().empty());
    }
    EXPECT_EQ(s["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"], true);
    EXPECT_EQ(s["properties"]["status"]["x-kubernetes-preserve-unknown-fields"], true);
    EXPECT_TRUE(schemas.contains("org.kubeflow.v1beta1." + info.list_kind));
  }
  EXPECT_TRUE(
      schemas["org.kubeflow.v1beta1.Experiment"]["properties"]["spec"]["properties"].contains(
          "maxTrialCount"));
  // Every $ref resolves inside the document.
  std::vector<const json*> stack{&doc};
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if (node->is_object()) {
      if (auto it = node->find("$ref"); it != node->end()) {
        const std::string ref = it->get<std::string>();
        ASSERT_THAT(ref, testing::StartsWith("#/components/schemas/"));
        EXPECT_TRUE(schemas.contains(ref.substr(std::string("#/components/schemas/").size())))
            << ref;
      }
    }
    if (node->is_structured()) {
      for (const json& child : *node) stack.push_back(&child);
    }
  }
}

}  // namespace
}  // namespace ktune::server::kube

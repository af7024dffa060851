#pragma once
// The discovery documents kubectl and client-go read before anything else (SERVER.md §A.1,
// §A.2, §A.7): /version, /api and /apis (legacy and aggregated v2 forms), the kubeflow.org
// group and its version's resource list, /api/v1, and the OpenAPI v3 root and kubeflow.org/
// v1beta1 document (what makes `kubectl create/apply/replace` use server-side field
// validation, and `kubectl explain experiment` work).
//
// The format of an answer is chosen by its Content-Type, not by its body: client-go parses
// /api and /apis as aggregated discovery only when the response says
// kAggregatedDiscoveryContentType. Every document here is built from resources.h, so the
// resource lists agree everywhere.
//
// Thread-safety: pure functions; the static documents are built once on first use.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ktune::server::kube {

inline constexpr char kJsonContentType[] = "application/json";
inline constexpr char kAggregatedDiscoveryContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr char kAggregatedDiscoveryV2Beta1ContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

// One media range of an Accept header: type "application/json", parameters lower-cased by
// name ("as" -> "Table", "g", "v"; "q" is taken out into `q`).
struct MediaRange {
  std::string type;  // lower-cased "type/subtype"
  std::vector<std::pair<std::string, std::string>> params;
  double q = 1.0;

  // The value of parameter `name`, or "".
  std::string Param(std::string_view name) const;
};
// The media ranges of an Accept header in the order given (q=0 ranges dropped).
std::vector<MediaRange> ParseAccept(std::string_view accept);

// True when `accept` asks for aggregated discovery (application/json with
// g=apidiscovery.k8s.io, as=APIGroupDiscoveryList, v=v2 or v2beta1), as kubectl 1.32 does
// first on /api and /apis.
bool WantsAggregated(std::string_view accept);

// /version: {"major":"1","minor":"32","gitVersion":"v1.32.0-ktune+<ktune version>",
// "gitCommit","gitTreeState","buildDate","goVersion","compiler","platform"}. The machine's
// kubectl dispatcher runs kubectl 1.<minor> from it (SERVER.md §0.1).
nlohmann::json VersionJson();

// /api, legacy: {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":
// [{"clientCIDR":"0.0.0.0/0","serverAddress":<server_address>}]}.
nlohmann::json ApiVersionsJson(std::string_view server_address);
// /api, aggregated (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): one item with empty
// metadata (the core group) and version v1 with pods, events and namespaces.
nlohmann::json CoreAggregatedDiscoveryJson();
// /apis, legacy: APIGroupList with kubeflow.org (version and preferredVersion v1beta1).
nlohmann::json ApiGroupListJson();
// /apis, aggregated: kubeflow.org/v1beta1 with experiments, trials, suggestions, each with
// responseKind, scope, singularResource, verbs, categories and the status subresource.
nlohmann::json GroupsAggregatedDiscoveryJson();
// /apis/kubeflow.org: APIGroup.
nlohmann::json KatibApiGroupJson();
// /apis/kubeflow.org/v1beta1: APIResourceList (with the <plural>/status entries).
nlohmann::json KatibApiResourceListJson();
// /api/v1: APIResourceList (pods, pods/log, events, namespaces).
nlohmann::json CoreApiResourceListJson();

// The OpenAPI v3 document of kubeflow.org/v1beta1: per kind, the namespaced collection
// (list, create, deletecollection), the object (get, replace, patch, delete) and its status
// (get, replace, patch), and the all-namespaces list; every operation with
// x-kubernetes-action and x-kubernetes-group-version-kind; create, replace and patch with the
// `fieldValidation` query parameter; patch bodies application/json-patch+json,
// application/merge-patch+json and application/apply-patch+yaml (never strategic merge:
// kubectl apply then sends a merge patch, which is what CRDs take). components.schemas holds
// org.kubeflow.v1beta1.<Kind> and <Kind>List (the
// apiserver's reversed-group naming) (with x-kubernetes-group-version-kind and
// descriptions of apiVersion, kind, metadata, spec and status; spec and status with
// x-kubernetes-preserve-unknown-fields) and the meta.k8s.io types they refer to.
nlohmann::json KatibOpenApiV3Json();
// A stable hash of KatibOpenApiV3Json() (16 upper-case hex digits; changes only when the
// document does).
const std::string& KatibOpenApiV3Hash();
inline constexpr char kKatibOpenApiV3Path[] = "/openapi/v3/apis/kubeflow.org/v1beta1";
// /openapi/v3: {"paths":{"apis/kubeflow.org/v1beta1":{"serverRelativeURL":
// "/openapi/v3/apis/kubeflow.org/v1beta1?hash=<KatibOpenApiV3Hash()>"}}}. Core v1 is not
// listed: its resources are read-only here, and kubectl needs OpenAPI only to write.
nlohmann::json OpenApiV3RootJson();

// The answer to a GET of a discovery path, ready to send.
struct DiscoveryAnswer {
  std::string content_type;
  std::string body;
  // For the OpenAPI GV document: its ETag (the quoted hash); the server may answer
  // `Cache-Control: public, immutable` when the request's ?hash= equals KatibOpenApiV3Hash().
  std::string etag;
};
// The document for `path` (no query string) — /version, /api, /api/v1, /apis,
// /apis/kubeflow.org, /apis/kubeflow.org/v1beta1, /openapi/v3, /openapi/v3/apis/kubeflow.org/
// v1beta1 (a trailing '/' is accepted) — with /api and /apis in the aggregated form when
// WantsAggregated(accept) (v2, or v2beta1 when only that is accepted). nullopt for any other
// path. `server_address` goes into /api's legacy APIVersions.
std::optional<DiscoveryAnswer> ServeDiscovery(std::string_view path, std::string_view accept,
                                              std::string_view server_address);

}  // namespace ktune::server::kube

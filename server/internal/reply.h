#pragma once
// What the REST API's handlers share (server/api_server.cc, server/ui_data.cc): an answer
// before it is written to httplib's Response, the Status replies, query parameters, and the
// route wrapper that counts a request, checks its token and writes its Reply. Internal to
// ktune_server.

#include <httplib.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "server/kube/resources.h"
#include "server/kube/status.h"

namespace ktune::server::internal {

inline constexpr char kJson[] = "application/json";

// One answer, before it is written to httplib's Response. An empty content type means the
// handler set up a streaming response itself.
struct Reply {
  int status = 200;
  std::string content_type = kJson;
  std::string body;
  std::vector<std::string> warnings;
};

inline Reply JsonReply(int status, const nlohmann::json& body) {
  Reply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

inline Reply StatusReply(int code, std::string_view reason, std::string_view message,
                         nlohmann::json details = nullptr) {
  return JsonReply(code, kube::StatusJson(code, reason, message, std::move(details)));
}

inline Reply ErrorReply(const absl::Status& status, const kube::ResourceInfo* info = nullptr,
                        std::string_view name = "") {
  return JsonReply(kube::HttpCodeOf(status), kube::StatusJsonOf(status, info, name));
}

inline std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

// An integer query parameter: `fallback` when absent, nullopt when it is not an integer.
inline std::optional<int64_t> IntParam(const httplib::Request& req, const char* name,
                                       int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &value)) return std::nullopt;
  return value;
}

using Handler = std::function<Reply(const httplib::Request&, httplib::Response&)>;
// Turns a Handler into an httplib handler with the API's request counting, token check and
// reply writing (ApiServer's Route).
using RouteWrapper = std::function<httplib::Server::Handler(Handler)>;

}  // namespace ktune::server::internal

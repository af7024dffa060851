#include "server/ui_assets.h"

#include <httplib.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace ktune::server {
namespace {

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kNoCache[] = "no-cache";

constexpr char kNotBuiltPage[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ktune</title></head>"
    "<body><h1>ktune</h1><p>The web UI was not built into this binary (it was configured with "
    "<code>-DKTUNE_UI=OFF</code>). The REST API is served as usual under <code>/apis</code>.</p>"
    "<p>To build it: run <code>scripts/setup.sh</code> (Node.js, npm and the UI's packages), "
    "then configure with <code>cmake -DKTUNE_UI=ON</code> (the default) and rebuild "
    "<code>ktune</code>.</p></body></html>\n";

// (absl::string_view is not std::string_view in Debian's Abseil: plain std here.)
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// The API's path prefixes: never answered with the page.
bool IsApiPath(std::string_view path) {
  for (std::string_view prefix :
       {"/api", "/apis", "/healthz", "/livez", "/readyz", "/metrics", "/version", "/openapi"}) {
    if (path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

bool IsClientRoute(std::string_view path) {
  return path == "/" || path == "/index.html" || path == "/new" || path == "/experiments" ||
         path.starts_with("/experiments/");
}

// Whether an Accept or Accept-Encoding header lists `token` (or a wildcard of it) with q > 0.
bool Accepts(std::string_view header, std::string_view token, std::string_view wildcard) {
  for (std::string_view item : Split(header, ',')) {
    std::vector<std::string_view> parts = Split(item, ';');
    std::string name = Lower(Trim(parts[0]));
    if (name != token && name != wildcard) continue;
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view param = Trim(parts[i]);
      if (param.starts_with("q=")) q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
    }
    if (q > 0) return true;
  }
  return false;
}

// If-None-Match (weak comparison, RFC 9110 §13.1.2).
bool Matches(std::string_view if_none_match, std::string_view etag) {
  for (std::string_view tag : Split(if_none_match, ',')) {
    tag = Trim(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

// Of the page (Serve adds X-Content-Type-Options: nosniff to every file).
void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kUiContentSecurityPolicy);
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
}

void Serve(const UiAsset& asset, const char* cache_control, const httplib::Request& req,
           httplib::Response& res) {
  const bool gzip =
      !asset.gzip.empty() && Accepts(req.get_header_value("Accept-Encoding"), "gzip", "*");
  const std::string_view etag = gzip ? asset.gzip_etag : asset.etag;
  res.set_header("Cache-Control", cache_control);
  res.set_header("ETag", std::string(etag));
  if (!asset.gzip.empty()) res.set_header("Vary", "Accept-Encoding");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (Matches(req.get_header_value("If-None-Match"), etag)) {
    res.status = 304;
    return;
  }
  const std::string_view bytes = gzip ? asset.gzip : asset.data;
  if (gzip) res.set_header("Content-Encoding", "gzip");
  if (bytes.empty()) {
    res.set_content("", std::string(asset.content_type));
    return;
  }
  // A sized content provider: httplib sends the bytes as they are (it compresses only bodies
  // and chunked providers, per request, which these files never need) and sends none on HEAD.
  res.set_content_provider(bytes.size(), std::string(asset.content_type),
                           [bytes](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(bytes.data() + offset, length);
                           });
}

}  // namespace

std::span<const UiAsset> EmbeddedUiAssets() { return internal::BuiltUiAssets(); }

void InstallUi(httplib::Server& http, std::span<const UiAsset> assets) {
  const UiAsset* index = nullptr;
  for (const UiAsset& a : assets) {
    if (a.path == "/index.html") index = &a;
  }
  // The page of a client route or a deep link.
  auto page = [index](const httplib::Request& req, httplib::Response& res) {
    SetSecurityHeaders(res);
    if (index != nullptr) {
      Serve(*index, kNoCache, req, res);
      return;
    }
    res.status = req.path == "/" || req.path == "/index.html" ? 200 : 404;
    res.set_header("Cache-Control", kNoCache);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(kNotBuiltPage, "text/html; charset=utf-8");
  };
  http.Get(R"(/assets/.*)", [assets](const httplib::Request& req, httplib::Response& res) {
    for (const UiAsset& a : assets) {
      if (a.path == req.path) return Serve(a, kImmutable, req, res);
    }
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
  });
  http.Get(R"(.*)", [assets, page](const httplib::Request& req, httplib::Response& res) {
    if (IsClientRoute(req.path)) return page(req, res);
    if (IsApiPath(req.path)) {
      res.status = 404;  // what httplib answers for a path no route matches
      return;
    }
    for (const UiAsset& a : assets) {
      if (a.path == req.path && a.path != "/index.html") return Serve(a, kNoCache, req, res);
    }
    // A browser's navigation lists text/html; fetch() and curl send */* only.
    if (Accepts(req.get_header_value("Accept"), "text/html", "text/html")) return page(req, res);
    res.status = 404;
  });
}

}  // namespace ktune::server

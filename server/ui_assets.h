#pragma once
// The web UI inside the `ktune` binary: the files of ui/'s Vite build, embedded at build time
// (ktune_embed_assets, cmake/KtuneUi.cmake), served on the same httplib::Server as the REST
// API by InstallUi.
//
// Routes (GET and HEAD; none needs the API's token: the page is not secret, the API it calls
// is):
//   /, /index.html, /new, /experiments, /experiments/...   index.html (the client routes)
//   any other path outside the API (/api, /apis, /healthz, /livez, /readyz, /metrics,
//   /version, /openapi) whose request accepts text/html      index.html (a deep link)
//   /assets/NAME      the hashed build files: Cache-Control: public, max-age=31536000,
//                     immutable; unknown NAME: 404
//   /NAME             other files at the build's top (Vite's public/): Cache-Control: no-cache
// index.html goes with Cache-Control: no-cache, a Content-Security-Policy allowing only this
// origin (kUiContentSecurityPolicy), X-Content-Type-Options: nosniff, Referrer-Policy:
// no-referrer and X-Frame-Options: DENY. Every file has a strong ETag (If-None-Match: 304)
// and, when the request accepts gzip and the file compresses, its gzip -9 bytes made at
// build time (Content-Encoding: gzip, Vary: Accept-Encoding); nothing is compressed per
// request.
//
// Built without the UI (cmake -DKTUNE_UI=OFF, the sanitizer builds), `/` answers a short HTML
// page saying so and how to build it, and the other UI routes 404.
//
// InstallUi must run after the API's routes are installed: httplib tries routes in order, and
// the deep-link route matches every path.

#include <cstddef>
#include <span>
#include <string_view>

namespace httplib {
class Server;
}  // namespace httplib

namespace ktune::server {

// One embedded file. All views point at static storage.
struct UiAsset {
  std::string_view path;          // "/index.html", "/assets/index-Ab12.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted strong ETag of `data`
  std::string_view gzip_etag;     // quoted strong ETag of `gzip`
  std::string_view data;
  std::string_view gzip;  // empty when gzip would not save a tenth
};

inline constexpr char kUiContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: "
    "blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The files built into this binary (empty without the UI).
std::span<const UiAsset> EmbeddedUiAssets();

// True when this binary carries the UI's files.
inline bool UiBuiltIn() { return !EmbeddedUiAssets().empty(); }

// Serves `assets` (default: the embedded ones) as described above. `assets` must outlive
// `http`; with no index.html among them the not-built page answers `/`.
void InstallUi(httplib::Server& http, std::span<const UiAsset> assets = EmbeddedUiAssets());

namespace internal {
// Defined by the generated ui_assets_data.cc, or by ui_assets_none.cc without the UI.
std::span<const UiAsset> BuiltUiAssets();
}  // namespace internal

}  // namespace ktune::server

#pragma once
// Content encoding for `ktune server`'s answers, decided by ktune rather than by httplib.
//
// Debian's cpp-httplib (0.11) compresses every text/* and exact application/json answer
// itself, choosing brotli at quality 11 whenever the client accepts it (every browser and
// kubectl do): seconds for a few megabytes, and a followed log held back until it ends,
// since a compressed stream is flushed only at its end. TakeOverContentEncoding() makes httplib
// see no Accept-Encoding (it then compresses nothing) while keeping the client's header where
// ClientAcceptEncoding() finds it; large answers are then gzipped here at a fast level
// (GzipIfLarge) and streams go out as written. Header-only; thread-safe.

#include <httplib.h>
#include <zlib.h>

#include <string>
#include <utility>

namespace ktune::server {

// Where the client's Accept-Encoding is kept once httplib no longer sees it.
inline constexpr char kClientAcceptEncoding[] = "X-Ktune-Client-Accept-Encoding";

// Installs a pre-routing handler (the server's only one) that moves each request's
// Accept-Encoding out of httplib's sight. Call once, before listening.
inline void TakeOverContentEncoding(httplib::Server& http) {
  http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    // The request is httplib's own non-const object, handed to handlers as const.
    auto& request = const_cast<httplib::Request&>(req);
    request.headers.erase(kClientAcceptEncoding);  // never the client's own
    auto found = request.headers.find("Accept-Encoding");
    if (found != request.headers.end()) {
      std::string value = std::move(found->second);
      request.headers.erase("Accept-Encoding");
      request.headers.emplace(kClientAcceptEncoding, std::move(value));
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

// The client's Accept-Encoding, whether or not TakeOverContentEncoding() moved it.
inline std::string ClientAcceptEncoding(const httplib::Request& req) {
  if (req.has_header(kClientAcceptEncoding)) return req.get_header_value(kClientAcceptEncoding);
  return req.get_header_value("Accept-Encoding");
}

// Answers of at least this many bytes are gzipped when the client accepts gzip.
inline constexpr size_t kGzipAbove = 16 * 1024;

// Whether an Accept-Encoding value accepts gzip: listed (or `*`) without q=0.
inline bool AcceptsGzip(const std::string& accept_encoding) {
  size_t start = 0;
  bool star = false, gzip = false, gzip_listed = false;
  while (start <= accept_encoding.size()) {
    size_t end = accept_encoding.find(',', start);
    if (end == std::string::npos) end = accept_encoding.size();
    std::string item = accept_encoding.substr(start, end - start);
    start = end + 1;
    size_t semi = item.find(';');
    std::string coding = item.substr(0, semi);
    coding.erase(0, coding.find_first_not_of(" \t"));
    coding.erase(coding.find_last_not_of(" \t") + 1);
    bool zero = false;
    if (semi != std::string::npos) {
      std::string params = item.substr(semi + 1);
      size_t q = params.find("q=");
      if (q != std::string::npos) zero = std::strtod(params.c_str() + q + 2, nullptr) <= 0;
    }
    for (char& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_listed = true;
      gzip = !zero;
    } else if (coding == "*") {
      star = !zero;
    }
  }
  return gzip_listed ? gzip : star;
}

// Gzips `body` in place (fast level) when it is large and the client accepts gzip, and sets
// Content-Encoding and Vary on `res`. Returns whether it did.
inline bool GzipIfLarge(const httplib::Request& req, std::string& body, httplib::Response& res) {
  if (body.size() < kGzipAbove || !AcceptsGzip(ClientAcceptEncoding(req))) return false;
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16 /* a gzip wrapper */, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(body.data());
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return false;
  out.resize(written);
  body = std::move(out);
  res.set_header("Content-Encoding", "gzip");
  res.set_header("Vary", "Accept-Encoding");
  return true;
}

}  // namespace ktune::server

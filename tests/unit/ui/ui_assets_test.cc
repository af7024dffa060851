// InstallUi over real HTTP (httplib on a loopback port) with a handful of files made here: the
// routes, caching headers, gzip negotiation, ETags and the not-built page.

#include "server/ui_assets.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace ktune::server {
namespace {

using ::testing::HasSubstr;

constexpr char kIndex[] = "<!doctype html><title>ktune</title><script src=/assets/a.js></script>";
// Stands for gzip bytes: the server must send them as they are, never compress again.
constexpr char kScriptGzip[] = "\x1f\x8b pretend gzip";

class UiAssetsTest : public ::testing::Test {
 protected:
  void Start(std::span<const UiAsset> assets) {
    // An API route installed first, as `ktune server` does: it keeps its paths.
    http_.Get("/apis/kubeflow.org/v1beta1/experiments",
              [](const httplib::Request&, httplib::Response& res) {
                res.set_content(R"({"kind":"ExperimentList"})", "application/json");
              });
    InstallUi(http_, assets);
    port_ = http_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    http_.stop();
    if (listener_.joinable()) listener_.join();
  }

  httplib::Result Get(const std::string& path, httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", port_);
    client.set_decompress(false);  // the bytes as sent
    if (!headers.count("Accept-Encoding")) headers.emplace("Accept-Encoding", "identity");
    return client.Get(path.c_str(), headers);
  }

  std::string script_ = std::string(2000, 'x') + "console.log(1)";
  std::vector<UiAsset> assets_ = {
      {"/assets/a.js", "text/javascript; charset=utf-8", "\"aaaa\"", "\"aaaa-gzip\"", script_,
       std::string_view(kScriptGzip, sizeof kScriptGzip - 1)},
      {"/assets/logo.png", "image/png", "\"pppp\"", "\"pppp-gzip\"", "\x89PNG", {}},
      {"/index.html", "text/html; charset=utf-8", "\"iiii\"", "\"iiii-gzip\"", kIndex, {}},
      {"/robots.txt",
       "text/plain; charset=utf-8",
       "\"rrrr\"",
       "\"rrrr-gzip\"",
       "User-agent: *",
       {}},
  };
  httplib::Server http_;
  std::thread listener_;
  int port_ = 0;
};

TEST_F(UiAssetsTest, ClientRoutesAnswerIndexWithSecurityHeaders) {
  Start(assets_);
  for (const char* path : {"/", "/index.html", "/new", "/experiments", "/experiments/default/x",
                           "/experiments/default/x/trials/y?tab=log"}) {
    httplib::Result r = Get(path, {{"Accept", "*/*"}});
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, kIndex) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(r->get_header_value("Content-Security-Policy"), kUiContentSecurityPolicy);
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value_count("X-Content-Type-Options"), 1u);
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ(r->get_header_value("ETag"), "\"iiii\"");
  }
}

TEST_F(UiAssetsTest, DeepLinksOnlyForNavigationsAndNeverUnderTheApi) {
  Start(assets_);
  const httplib::Headers html = {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};
  EXPECT_EQ(Get("/some/page", html)->body, kIndex);
  EXPECT_EQ(Get("/some/page", {{"Accept", "*/*"}})->status, 404);
  EXPECT_EQ(Get("/some/page", {{"Accept", "text/html;q=0"}})->status, 404);
  for (const char* path : {"/api", "/apis/kubeflow.org/v1beta1/nothing", "/healthz/x", "/livez",
                           "/readyz", "/metrics", "/version", "/openapi/v3/x"}) {
    httplib::Result r = Get(path, html);
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_THAT(r->body, ::testing::Not(HasSubstr("<title>"))) << path;
  }
  // An installed API route still answers its path.
  httplib::Result api = Get("/apis/kubeflow.org/v1beta1/experiments", html);
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(api->body, R"({"kind":"ExperimentList"})");
  // A prefix that only looks like the API's is not the API.
  EXPECT_EQ(Get("/apisx", html)->body, kIndex);
}

TEST_F(UiAssetsTest, AssetsAreImmutableAndSentGzipWhenAccepted) {
  Start(assets_);
  httplib::Result gz = Get("/assets/a.js", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->body, std::string(kScriptGzip, sizeof kScriptGzip - 1));
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(gz->get_header_value("ETag"), "\"aaaa-gzip\"");
  EXPECT_EQ(gz->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(gz->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_FALSE(gz->has_header("Content-Security-Policy"));

  // Brotli only, gzip refused, or nothing: the plain bytes, not compressed on the fly.
  for (const char* accept : {"br", "gzip;q=0, br", "identity"}) {
    httplib::Result plain = Get("/assets/a.js", {{"Accept-Encoding", accept}});
    EXPECT_EQ(plain->body, script_) << accept;
    EXPECT_FALSE(plain->has_header("Content-Encoding")) << accept;
    EXPECT_EQ(plain->get_header_value("ETag"), "\"aaaa\"") << accept;
    EXPECT_EQ(plain->get_header_value("Vary"), "Accept-Encoding") << accept;
  }
  EXPECT_EQ(Get("/assets/a.js", {{"Accept-Encoding", "*"}})->get_header_value("Content-Encoding"),
            "gzip");

  // A file without a gzip form: no Vary, the bytes.
  httplib::Result png = Get("/assets/logo.png", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(png->body, "\x89PNG");
  EXPECT_FALSE(png->has_header("Content-Encoding"));
  EXPECT_FALSE(png->has_header("Vary"));
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");

  EXPECT_EQ(Get("/assets/missing.js")->status, 404);
  EXPECT_EQ(Get("/assets/")->status, 404);
  // Top-level files other than index.html: revalidated, not immutable.
  httplib::Result robots = Get("/robots.txt");
  EXPECT_EQ(robots->body, "User-agent: *");
  EXPECT_EQ(robots->get_header_value("Cache-Control"), "no-cache");
}

TEST_F(UiAssetsTest, IfNoneMatchGets304ForTheRepresentationSent) {
  Start(assets_);
  auto status = [&](const std::string& inm, const std::string& encoding) {
    return Get("/assets/a.js", {{"If-None-Match", inm}, {"Accept-Encoding", encoding}})->status;
  };
  EXPECT_EQ(status("\"aaaa-gzip\"", "gzip"), 304);
  EXPECT_EQ(status("W/\"aaaa-gzip\"", "gzip"), 304);
  EXPECT_EQ(status("\"zzzz\", \"aaaa-gzip\"", "gzip"), 304);
  EXPECT_EQ(status("*", "gzip"), 304);
  EXPECT_EQ(status("\"aaaa\"", "gzip"), 200);  // the plain bytes' tag: not what is sent
  EXPECT_EQ(status("\"aaaa\"", "identity"), 304);
  httplib::Result r =
      Get("/assets/a.js", {{"If-None-Match", "\"aaaa-gzip\""}, {"Accept-Encoding", "gzip"}});
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("ETag"), "\"aaaa-gzip\"");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(UiAssetsTest, HeadSendsHeadersOnly) {
  Start(assets_);
  httplib::Client client("127.0.0.1", port_);
  httplib::Result r = client.Head("/assets/a.js", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("Content-Length"), std::to_string(sizeof kScriptGzip - 1));
  EXPECT_EQ(r->get_header_value("ETag"), "\"aaaa-gzip\"");
  httplib::Result index = client.Head("/");
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Length"), std::to_string(sizeof kIndex - 1));
}

TEST_F(UiAssetsTest, WithoutTheUiSlashSaysHowToBuildIt) {
  Start({});
  httplib::Result r = Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("not built into this binary"));
  EXPECT_THAT(r->body, HasSubstr("scripts/setup.sh"));
  EXPECT_THAT(r->body, HasSubstr("-DKTUNE_UI=OFF"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Get("/new")->status, 404);
  EXPECT_EQ(Get("/assets/a.js")->status, 404);
}

TEST(EmbeddedUiAssetsTest, TheBuildsFilesWhenBuiltIn) {
  std::span<const UiAsset> files = EmbeddedUiAssets();
  if (files.empty()) GTEST_SKIP() << "built with -DKTUNE_UI=OFF";
  bool index = false;
  for (const UiAsset& f : files) {
    index = index || f.path == "/index.html";
    EXPECT_TRUE(f.path.starts_with("/")) << f.path;
    EXPECT_FALSE(f.content_type.empty()) << f.path;
    EXPECT_THAT(std::string(f.etag), ::testing::MatchesRegex("\"[0-9a-f]{32}\"")) << f.path;
    if (!f.gzip.empty()) {
      EXPECT_LT(f.gzip.size(), f.data.size()) << f.path;
      EXPECT_EQ(f.gzip.substr(0, 2), "\x1f\x8b") << f.path;
    }
  }
  EXPECT_TRUE(index);
}

}  // namespace
}  // namespace ktune::server

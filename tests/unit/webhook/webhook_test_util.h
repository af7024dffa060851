#pragma once
// Shared by the webhook tests: temporary directories, files, and AdmissionReviews built from
// the quickstart example.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/codec.h"
#include "webhook/certs.h"

namespace ktune::webhook::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ktune-webhook-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : std::string();
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline CertificateOptions CertOptions(const std::string& out_dir, int days = 1) {
  CertificateOptions o;
  o.out_dir = out_dir;
  o.days = days;
  return o;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// The quickstart Experiment as the API server would send it (JSON, not defaulted).
inline nlohmann::json QuickstartExperiment() {
  auto doc = core::ParseYamlDocument(
      ReadFile(std::string(KTUNE_SOURCE_DIR) + "/examples/quickstart/experiment.yaml"));
  EXPECT_TRUE(doc.ok()) << doc.status();
  nlohmann::json e = doc.ok() ? *doc : nlohmann::json::object();
  e["metadata"]["namespace"] = "default";
  return e;
}

inline nlohmann::json Review(const nlohmann::json& object, const std::string& operation = "CREATE",
                             const nlohmann::json& old_object = nullptr) {
  nlohmann::json request = {
      {"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
      {"kind", {{"group", "kubeflow.org"}, {"version", "v1beta1"}, {"kind", "Experiment"}}},
      {"operation", operation},
      {"namespace", "default"},
      {"object", object}};
  if (!old_object.is_null()) request["oldObject"] = old_object;
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
}

}  // namespace ktune::webhook::testing

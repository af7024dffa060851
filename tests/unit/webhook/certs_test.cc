#include "webhook/certs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/webhook/webhook_test_util.h"

namespace ktune::webhook {
namespace {

using ::ktune::webhook::testing::ReadFile;
using ::ktune::webhook::testing::TempDir;

X509* LoadCert(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return nullptr;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* LoadKey(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

// Verifies `cert` against `ca` as a TLS server certificate for `host` (a name or an IP).
int VerifyServer(X509* ca, X509* cert, const std::string& host, bool ip) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  int ok = X509_verify_cert(ctx);
  int error = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok == 1 ? X509_V_OK : error;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(WebhookCertsTest, GeneratesAVerifiableChain) {
  TempDir dir;
  CertificateOptions options = testing::CertOptions(dir / "certs", 30);
  options.service = "ktune-webhook";
  options.namespace_ = "ml";
  ASSERT_TRUE(GenerateCertificates(options).ok());
  X509* ca = LoadCert(dir / "certs/ca.pem");
  X509* cert = LoadCert(dir / "certs/tls.crt");
  EVP_PKEY* ca_key = LoadKey(dir / "certs/ca-key.pem");
  EVP_PKEY* key = LoadKey(dir / "certs/tls.key");
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(ca_key, nullptr);
  ASSERT_NE(key, nullptr);

  // Signatures: the CA signed itself and the serving certificate; keys match certificates.
  EXPECT_EQ(X509_verify(ca, X509_get0_pubkey(ca)), 1);
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(ca)), 1);
  EXPECT_NE(X509_verify(ca, X509_get0_pubkey(cert)), 1);
  EXPECT_EQ(X509_check_private_key(ca, ca_key), 1);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_EQ(X509_check_ca(ca), 1);
  EXPECT_EQ(X509_check_ca(cert), 0);

  // The chain verifies for every name the API server or a local client may use.
  for (const char* host : {"ktune-webhook", "ktune-webhook.ml", "ktune-webhook.ml.svc",
                           "ktune-webhook.ml.svc.cluster.local", "localhost"}) {
    EXPECT_EQ(VerifyServer(ca, cert, host, false), X509_V_OK) << host;
  }
  EXPECT_EQ(VerifyServer(ca, cert, "127.0.0.1", true), X509_V_OK);
  EXPECT_EQ(VerifyServer(ca, cert, "other.ml.svc", false), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(VerifyServer(ca, cert, "10.0.0.1", true), X509_V_ERR_IP_ADDRESS_MISMATCH);

  // Validity: about `days` from now.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)), 1);
  EXPECT_GE(days, 29);
  EXPECT_LE(days, 30);

  EXPECT_EQ(Mode(dir / "certs/tls.key"), 0600u);
  EXPECT_EQ(Mode(dir / "certs/ca-key.pem"), 0600u);
  EXPECT_EQ(Mode(dir / "certs/tls.crt"), 0644u);
  EXPECT_FALSE(std::filesystem::exists(dir / "certs/tls.key.tmp"));

  X509_free(ca);
  X509_free(cert);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
}

TEST(WebhookCertsTest, RegeneratingReplacesTheFiles) {
  TempDir dir;
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir.path().string())).ok());
  std::string first = ReadFile(dir / "ca.pem");
  ASSERT_TRUE(GenerateCertificates(testing::CertOptions(dir.path().string())).ok());
  EXPECT_NE(ReadFile(dir / "ca.pem"), first);
  X509* ca = LoadCert(dir / "ca.pem");
  X509* cert = LoadCert(dir / "tls.crt");
  EXPECT_EQ(VerifyServer(ca, cert, "katib-controller.kubeflow.svc", false), X509_V_OK);
  X509_free(ca);
  X509_free(cert);
}

TEST(WebhookCertsTest, ClearErrors) {
  TempDir dir;
  CertificateOptions options = testing::CertOptions(dir.path().string());
  options.service = "";
  absl::Status s = GenerateCertificates(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  options.service = "Bad_Name";
  s = GenerateCertificates(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("Bad_Name"));
  options = testing::CertOptions(dir.path().string());
  options.namespace_ = "a.b";
  s = GenerateCertificates(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  s = GenerateCertificates(testing::CertOptions(dir.path().string(), 0));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;

  testing::WriteFile(dir / "file", "x");
  s = GenerateCertificates(testing::CertOptions(dir / "file/sub"));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(dir / "file/sub"));
}

// REVIEW.md §2 TLS row: a symlink planted at the temporary name or at the target in a shared
// output directory is replaced, never followed; the files are regular and keys are 0600.
TEST(WebhookCertsTest, PlantedSymlinksAreNotFollowed) {
  TempDir dir;
  TempDir elsewhere;
  const std::string victim_tmp = elsewhere / "victim-tmp";
  const std::string victim_key = elsewhere / "victim-key";
  testing::WriteFile(victim_tmp, "precious");
  testing::WriteFile(victim_key, "precious");
  ASSERT_EQ(::symlink(victim_tmp.c_str(), (dir / "tls.key.tmp").c_str()), 0);
  ASSERT_EQ(::symlink(victim_key.c_str(), (dir / "tls.key").c_str()), 0);
  ASSERT_EQ(::symlink((elsewhere / "absent").c_str(), (dir / "ca-key.pem.tmp").c_str()), 0);

  absl::Status s = GenerateCertificates(testing::CertOptions(dir.path().string()));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFile(victim_tmp), "precious");
  EXPECT_EQ(ReadFile(victim_key), "precious");
  EXPECT_FALSE(std::filesystem::exists(elsewhere / "absent"));
  for (const char* name : {"tls.key", "ca-key.pem", "tls.crt", "ca.pem"}) {
    struct stat st;
    ASSERT_EQ(::lstat((dir / name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    const bool key = std::string(name).find("key") != std::string::npos;
    EXPECT_EQ(st.st_mode & 0777, key ? 0600u : 0644u) << name;
    std::error_code ec;
    EXPECT_FALSE(std::filesystem::exists(dir / (std::string(name) + ".tmp"), ec)) << name;
  }
  EVP_PKEY* key = LoadKey(dir / "tls.key");
  EXPECT_NE(key, nullptr);
  EVP_PKEY_free(key);
}

}  // namespace
}  // namespace ktune::webhook

#include "webhook/certs.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"

namespace ktune::webhook {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

std::string OpenSslError(const std::string& what) {
  std::string message = what;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += ": ";
    message += buffer;
  }
  ERR_clear_error();
  return message;
}

absl::StatusOr<Ptr<EVP_PKEY>> NewKey() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError(OpenSslError("generating an EC P-256 key"));
  return key;
}

// Adds an extension given in openssl.cnf syntax, e.g. ("basicConstraints", "critical,CA:TRUE").
absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return absl::InternalError(
        OpenSslError(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value));
  }
  return absl::OkStatus();
}

struct CertSpec {
  std::string common_name;
  int days = 0;
  bool is_ca = false;
  std::string subject_alt_names;  // openssl.cnf syntax; servers only
};

// A certificate for `key`, signed by `issuer_key` (self-signed when issuer is null).
absl::StatusOr<Ptr<X509>> NewCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                         EVP_PKEY* issuer_key) {
  Ptr<X509> cert(X509_new());
  if (!cert) return absl::InternalError(OpenSslError("allocating a certificate"));
  X509_set_version(cert.get(), X509_VERSION_3);

  // RFC 5280: a positive serial of at most 20 octets; 159 random bits.
  Ptr<BIGNUM> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return absl::InternalError(OpenSslError("generating a serial number"));
  }
  // Valid from an hour ago: tolerate clocks slightly behind this machine's.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.days) * 24 * 3600);

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("ktune"), -1, -1, 0);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                 -1, -1, 0) != 1) {
    return absl::InternalError(OpenSslError("setting the subject " + spec.common_name));
  }
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (X509_set_pubkey(cert.get(), key) != 1) {
    return absl::InternalError(OpenSslError("setting the public key"));
  }

  std::vector<std::pair<int, std::string>> extensions;
  if (spec.is_ca) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                  {NID_subject_key_identifier, "hash"}};
  } else {
    extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                  {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                  {NID_ext_key_usage, "serverAuth"},
                  {NID_subject_key_identifier, "hash"},
                  {NID_authority_key_identifier, "keyid:always"},
                  {NID_subject_alt_name, spec.subject_alt_names}};
  }
  for (const auto& [nid, value] : extensions) {
    if (absl::Status s = AddExtension(cert.get(), signer, nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return absl::InternalError(OpenSslError("signing the certificate for " + spec.common_name));
  }
  return cert;
}

absl::Status ErrnoStatus(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// Writes `data` to `path` with `mode` through a temporary file and rename.
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& data,
                                 mode_t mode) {
  const std::string tmp = path.string() + ".tmp";
  // A new file only (O_EXCL), never through a symlink (O_NOFOLLOW), readable by the owner
  // alone until it is complete. A leftover <file>.tmp (an interrupted run, or a symlink
  // planted in a shared directory) is unlinked, which removes the link and not its target,
  // and the exclusive create is tried once more.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(tmp.c_str(), kFlags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0) {
    fd = ::open(tmp.c_str(), kFlags, 0600);
  }
  if (fd < 0) return ErrnoStatus("cannot create " + tmp, errno);
  // Make the mode exact regardless of the umask (keys 0600, certificates 0644).
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus("cannot set the mode of " + tmp, err);
  }
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoStatus("cannot write " + tmp, err);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("cannot write " + tmp, err);
  }
  // rename() replaces a symlink at `path` itself; its target is never written.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("cannot rename " + tmp + " to " + path.string(), err);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CertificatePem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return absl::InternalError(OpenSslError("encoding a certificate"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError(OpenSslError("encoding a private key"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

bool IsDnsLabelish(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

absl::Status GenerateCertificates(const CertificateOptions& options) {
  if (!IsDnsLabelish(options.service)) {
    return absl::InvalidArgumentError("service name \"" + options.service +
                                      "\" is not a DNS label (lowercase letters, digits, '-')");
  }
  if (!IsDnsLabelish(options.namespace_)) {
    return absl::InvalidArgumentError("namespace \"" + options.namespace_ +
                                      "\" is not a DNS label (lowercase letters, digits, '-')");
  }
  if (options.days < 1) {
    return absl::InvalidArgumentError("days must be at least 1, got " +
                                      std::to_string(options.days));
  }
  const std::filesystem::path dir = options.out_dir.empty() ? "." : options.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus("cannot create " + dir.string(), ec.value());

  absl::StatusOr<Ptr<EVP_PKEY>> ca_key = NewKey();
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<Ptr<X509>> ca = NewCertificate({.common_name = "ktune-webhook-ca",
                                                 .days = options.days,
                                                 .is_ca = true,
                                                 .subject_alt_names = ""},
                                                ca_key->get(), nullptr, nullptr);
  if (!ca.ok()) return ca.status();

  const std::string& svc = options.service;
  const std::string& ns = options.namespace_;
  const std::string sans = "DNS:" + svc + ",DNS:" + svc + "." + ns + ",DNS:" + svc + "." + ns +
                           ".svc,DNS:" + svc + "." + ns +
                           ".svc.cluster.local,DNS:localhost,IP:127.0.0.1";
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Ptr<X509>> cert = NewCertificate({.common_name = svc + "." + ns + ".svc",
                                                   .days = options.days,
                                                   .is_ca = false,
                                                   .subject_alt_names = sans},
                                                  key->get(), ca->get(), ca_key->get());
  if (!cert.ok()) return cert.status();

  absl::StatusOr<std::string> ca_pem = CertificatePem(ca->get());
  absl::StatusOr<std::string> ca_key_pem = KeyPem(ca_key->get());
  absl::StatusOr<std::string> cert_pem = CertificatePem(cert->get());
  absl::StatusOr<std::string> key_pem = KeyPem(key->get());
  for (const absl::StatusOr<std::string>* pem : {&ca_pem, &ca_key_pem, &cert_pem, &key_pem}) {
    if (!pem->ok()) return pem->status();
  }
  // The key before the certificate: a server reloading between the two renames sees a
  // mismatched pair, rejects it and keeps the old one until the certificate lands.
  const std::vector<std::tuple<const char*, const std::string*, mode_t>> files = {
      {kCaKeyFile, &*ca_key_pem, 0600},
      {kCaCertFile, &*ca_pem, 0644},
      {kServerKeyFile, &*key_pem, 0600},
      {kServerCertFile, &*cert_pem, 0644},
  };
  for (const auto& [name, data, mode] : files) {
    if (absl::Status s = WriteFileAtomically(dir / name, *data, mode); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ktune::webhook

#pragma once
// `ktune webhook certs`: a self-signed CA and a serving certificate for the webhook Service,
// so a cluster can trust the webhook without cert-manager (the CA goes into the webhook
// configurations' caBundle, tls.crt / tls.key into the Secret the server mounts).
//
// Keys are ECDSA P-256, signatures SHA-256. The serving certificate's subjectAltNames are
// <service>, <service>.<ns>, <service>.<ns>.svc, <service>.<ns>.svc.cluster.local,
// localhost and 127.0.0.1 (so local runs and curl verify too).

#include <string>

#include "absl/status/status.h"

namespace ktune::webhook {

struct CertificateOptions {
  std::string service = "katib-controller";
  std::string namespace_ = "kubeflow";
  std::string out_dir = ".";  // created if missing
  int days = 3650;            // validity of both certificates
};

// File names written into out_dir.
inline constexpr char kCaCertFile[] = "ca.pem";
inline constexpr char kCaKeyFile[] = "ca-key.pem";
inline constexpr char kServerCertFile[] = "tls.crt";
inline constexpr char kServerKeyFile[] = "tls.key";

// Writes ca.pem, ca-key.pem (0600), tls.crt and tls.key (0600) into options.out_dir. Each file
// is written to a temporary name and renamed into place, so a server watching tls.crt and
// tls.key never reads a half-written file; existing files are replaced.
// Errors: InvalidArgument when service or namespace is not a DNS label or days < 1;
// PermissionDenied, NotFound or Internal, with the path and the system's or OpenSSL's reason,
// when the directory or a file cannot be written or signing fails.
absl::Status GenerateCertificates(const CertificateOptions& options);

}  // namespace ktune::webhook

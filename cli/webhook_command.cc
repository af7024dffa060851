// `ktune webhook`: Katib's admission webhooks over HTTPS; `ktune webhook certs`: a CA and a
// serving certificate for them.

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cxxopts.hpp"
#include "spdlog/spdlog.h"
#include "webhook/certs.h"
#include "webhook/server.h"

namespace ktune::cli {
namespace {

int CertsCommand(int argc, char** argv) {
  cxxopts::Options options(
      "ktune webhook certs",
      "Generate a CA (ca.pem, ca-key.pem) and a serving certificate (tls.crt, tls.key) "
      "for the webhook Service's DNS names.");
  options.add_options()("service", "Service name",
                        cxxopts::value<std::string>()->default_value("katib-controller"))(
      "namespace", "Service namespace", cxxopts::value<std::string>()->default_value("kubeflow"))(
      "out", "Directory to write the files to", cxxopts::value<std::string>()->default_value("."))(
      "days", "Validity in days", cxxopts::value<int>()->default_value("3650"))("h,help",
                                                                                "Show this help");
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "ktune webhook certs: " << e.what() << "\n" << options.help() << std::flush;
    return 2;
  }
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  webhook::CertificateOptions cert;
  cert.service = args["service"].as<std::string>();
  cert.namespace_ = args["namespace"].as<std::string>();
  cert.out_dir = args["out"].as<std::string>();
  cert.days = args["days"].as<int>();
  if (absl::Status st = webhook::GenerateCertificates(cert); !st.ok()) {
    std::cerr << "ktune webhook certs: " << st.message() << "\n";
    return 1;
  }
  std::cout << "wrote " << cert.out_dir << "/{" << webhook::kCaCertFile << ","
            << webhook::kCaKeyFile << "," << webhook::kServerCertFile << ","
            << webhook::kServerKeyFile << "} for " << cert.service << "." << cert.namespace_
            << ".svc\n";
  return 0;
}

}  // namespace

int WebhookCommand(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "certs") return CertsCommand(argc - 1, argv + 1);
  cxxopts::Options options(
      "ktune webhook",
      "Serve Katib's admission webhooks over HTTPS: /validate-experiment and "
      "/mutate-experiment as Katib's. /mutate-pod does NOT inject the metrics-collector "
      "sidecar yet: finding a pod's Trial needs a Kubernetes client, which this version "
      "lacks, so every pod is admitted unchanged (with a warning saying so). Keep Katib's "
      "own pod webhook for trials that need a collector. `ktune webhook certs --help` "
      "makes certificates.");
  options.add_options()("tls-cert", "Serving certificate (PEM); reloaded when the file changes",
                        cxxopts::value<std::string>())(
      "tls-key", "Private key (PEM); reloaded when the file changes",
      cxxopts::value<std::string>())("host", "Address to listen on",
                                     cxxopts::value<std::string>()->default_value("0.0.0.0"))(
      "port", "Port to listen on", cxxopts::value<int>()->default_value("8443"))(
      "db-manager-address",
      "DBManager address for injected metrics collectors (unused until /mutate-pod "
      "can look up Trials)",
      cxxopts::value<std::string>()->default_value("katib-db-manager.kubeflow:6789"))(
      "collector-image",
      "Metrics collector image for a kind, KIND=IMAGE (repeatable; unused until "
      "/mutate-pod can look up Trials)",
      cxxopts::value<std::vector<std::string>>())(
      "log-level", "trace, debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("info"))("h,help", "Show this help");
  cxxopts::ParseResult args;
  if (std::optional<int> done = ParseCommandLine(options, argc, argv, "webhook", &args))
    return *done;
  if (!args.count("tls-cert") || !args.count("tls-key")) {
    std::cerr << "ktune webhook: --tls-cert and --tls-key are required (`ktune webhook certs` "
                 "makes a pair)\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(args["log-level"].as<std::string>()));

  webhook::WebhookServerOptions server_options;
  server_options.cert_file = args["tls-cert"].as<std::string>();
  server_options.key_file = args["tls-key"].as<std::string>();
  server_options.host = args["host"].as<std::string>();
  server_options.port = args["port"].as<int>();
  server_options.validation = DefaultValidationOptions();
  server_options.injection.db_manager_address = args["db-manager-address"].as<std::string>();
  // Katib's default collector images, so the sidecars speak to any Katib-compatible DBManager.
  server_options.injection.collectors["StdOut"].image =
      "ghcr.io/kubeflow/katib/file-metrics-collector:latest";
  server_options.injection.collectors["File"].image =
      "ghcr.io/kubeflow/katib/file-metrics-collector:latest";
  server_options.injection.collectors["TensorFlowEvent"].image =
      "ghcr.io/kubeflow/katib/tfevent-metrics-collector:latest";
  if (args.count("collector-image")) {
    for (const std::string& kv : args["collector-image"].as<std::vector<std::string>>()) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
        std::cerr << "ktune webhook: --collector-image wants KIND=IMAGE, got \"" << kv << "\"\n";
        return 2;
      }
      server_options.injection.collectors[kv.substr(0, eq)].image = kv.substr(eq + 1);
    }
  }

  const sigset_t signals = BlockTerminationSignals();

  absl::StatusOr<std::unique_ptr<webhook::WebhookServer>> server =
      webhook::WebhookServer::Create(server_options);
  if (!server.ok()) {
    std::cerr << "ktune webhook: " << server.status().message() << "\n";
    return 1;
  }
  if (absl::Status st = (*server)->Start(); !st.ok()) {
    std::cerr << "ktune webhook: " << st.message() << "\n";
    return 1;
  }
  spdlog::info(
      "ktune webhook: serving https://{}:{} (/validate-experiment, /mutate-experiment, "
      "/mutate-pod)",
      server_options.host, (*server)->port());
  spdlog::warn(
      "ktune webhook: /mutate-pod cannot look up Trials without a Kubernetes client: pods are "
      "admitted "
      "unchanged, no metrics-collector sidecar is injected");
  webhook::WebhookServer* raw = server->get();
  std::thread signal_thread([raw, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("ktune webhook: shutting down");
    raw->Stop();
  });
  (*server)->Wait();
  // The server may also have stopped on its own (a fatal accept error): wake the signal
  // thread with a signal it waits for (blocked everywhere else), so it ends before `server`.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return 0;
}

}  // namespace ktune::cli

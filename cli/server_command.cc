// `ktune server`: every stored experiment run by one controller manager in this process,
// behind the Kubernetes-style REST API (kubectl, Katib's SDK, the UI) and Katib's gRPC
// DBManager and Suggestion services.

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "controller/local/local_executor.h"
#include "controller/manager.h"
#include "cxxopts.hpp"
#include "db-manager/retrying_store.h"
#include "db-manager/store.h"
#include "server/api_server.h"
#include "server/grpc_server.h"
#include "server/ui_assets.h"
#include "spdlog/spdlog.h"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"
#include "webhook/http_server.h"

namespace ktune::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kDescription[] =
    "Run every stored Katib Experiment in this process (trials as local processes) behind a "
    "Kubernetes-style API: `kubectl --server http://127.0.0.1:8080 apply -f experiment.yaml`, "
    "`kubectl get experiments`, Katib's Python SDK, and Katib's gRPC DBManager and Suggestion "
    "services on --grpc-port. Experiments survive a restart: unfinished ones resume, and trials "
    "cut short by a stop or a crash run again with the same parameters.";

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The host a trial on this machine dials to reach a server listening on `listen`: loopback
// for a wildcard, else the address itself (bracketed when IPv6).
std::string TrialReachableHost(const std::string& listen) {
  if (listen == "0.0.0.0" || listen.empty()) return "127.0.0.1";
  if (listen == "::" || listen == "[::]") return "[::1]";
  if (listen.find(':') != std::string::npos && listen.front() != '[') {
    return absl::StrCat("[", listen, "]");
  }
  return listen;
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--token-file ", path, ": cannot read it"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(ss.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--token-file ", path, " is empty"));
  }
  return token;
}

}  // namespace

int ServerCommand(int argc, char** argv) {
  cxxopts::Options options("ktune server", kDescription);
  options.add_options()("port", "REST API port", cxxopts::value<int>()->default_value("8080"))(
      "grpc-port", "gRPC DBManager + Suggestion port (0: a free one, -1: none)",
      cxxopts::value<int>()->default_value("6789"))(
      "listen", "Address both servers listen on (default loopback; another needs --token-file)",
      cxxopts::value<std::string>()->default_value("127.0.0.1"))(
      "db", "Store: a SQLite file path or sqlite://PATH",
      cxxopts::value<std::string>()->default_value("ktune.db"))(
      "workdir",
      "Working directory of trials whose container has no workingDir (default: the current "
      "directory)",
      cxxopts::value<std::string>()->default_value("."))(
      "log-dir",
      "Trial logs go to LOG_DIR/<namespace>/<experiment>/ (default: ktune-logs beside the --db "
      "file)",
      cxxopts::value<std::string>())("max-running-trials",
                                     "Global cap on running trials over all experiments (0: none)",
                                     cxxopts::value<int>()->default_value("0"))(
      "workers", "Reconcile workers", cxxopts::value<int>()->default_value("2"))(
      "token-file", "Require `Authorization: Bearer <the file's content>` on the REST API",
      cxxopts::value<std::string>())("tls-cert", "Serve HTTPS with this certificate (PEM)",
                                     cxxopts::value<std::string>())(
      "tls-key", "Private key (PEM) of --tls-cert", cxxopts::value<std::string>())(
      "log-level", "trace, debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("info"))("h,help", "Show this help");
  cxxopts::ParseResult args;
  if (std::optional<int> done = ParseCommandLine(options, argc, argv, "server", &args)) {
    return *done;
  }
  spdlog::set_level(spdlog::level::from_str(args["log-level"].as<std::string>()));
  const std::string listen = args["listen"].as<std::string>();
  std::string token;
  if (args.count("token-file")) {
    absl::StatusOr<std::string> read = ReadToken(args["token-file"].as<std::string>());
    if (!read.ok()) {
      std::cerr << "ktune server: " << read.status().message() << "\n";
      return 2;
    }
    token = std::move(*read);
  } else if (!IsLoopback(listen)) {
    std::cerr << "ktune server: --listen " << listen
              << " exposes the API beyond this machine: give --token-file (clients then send "
                 "`Authorization: Bearer <token>`, kubectl --token)\n";
    return 2;
  }
  if (args.count("tls-cert") != args.count("tls-key")) {
    std::cerr << "ktune server: --tls-cert and --tls-key go together\n";
    return 2;
  }
  const fs::path work_dir = args["workdir"].as<std::string>();
  if (std::error_code ec; !fs::is_directory(work_dir, ec)) {
    std::cerr << "ktune server: --workdir " << work_dir.string() << ": no such directory\n";
    return 2;
  }
  const std::string db = args["db"].as<std::string>();
  absl::StatusOr<std::unique_ptr<db::Store>> opened = db::OpenStore(db);
  if (!opened.ok()) {
    std::cerr << "ktune server: --db: " << opened.status().message() << "\n";
    return 1;
  }
  fs::path log_dir;
  if (args.count("log-dir")) {
    log_dir = args["log-dir"].as<std::string>();
  } else if (absl::StatusOr<std::string> file = db::StoreFilePath(db); file.ok()) {
    fs::path parent = fs::path(*file).parent_path();
    log_dir = (parent.empty() ? fs::path(".") : parent) / "ktune-logs";
  } else {
    log_dir = "ktune-logs";
  }

  // glibc gives threads their own malloc arenas (up to 8 per core), and each keeps what the
  // large responses it built (a list of a thousand experiments is megabytes) left behind:
  // with a hundred HTTP workers that is gigabytes resident. Two arenas keep it bounded.
  mallopt(M_ARENA_MAX, 2);
  const sigset_t signals = BlockTerminationSignals();
  std::unique_ptr<suggestion::AlgorithmRegistry> registry =
      suggestion::AlgorithmRegistry::CreateDefault();
  db::RetryingStore store(**opened);
  suggestion::InProcessSuggestionService suggestions(*registry);
  controller::MetricsTap sink(store);
  controller::LocalExecutorOptions executor_options;
  executor_options.work_dir = work_dir;
  executor_options.log_dir = log_dir;
  executor_options.log_layout = controller::LocalExecutorOptions::LogLayout::kPerExperiment;
  // Trials see an allow-listed environment plus their template's env, never the server's own
  // (a DSN, a token, a cloud key).
  executor_options.inherited_env = controller::kServerInheritedEnv;
  controller::LocalExecutor executor(executor_options, sink);
  controller::ManagerOptions manager_options;
  manager_options.workers = std::max(1, args["workers"].as<int>());
  manager_options.max_running_trials = std::max(0, args["max-running-trials"].as<int>());
  if (!executor.IsolatesMetricsFiles()) {
    // Without private mount namespaces every File-collector trial writes the host's metrics
    // path: such an experiment's trials run one at a time (`ktune run` does the same).
    spdlog::warn(
        "ktune server: this system cannot give each trial its own metrics file (no "
        "unprivileged mount namespaces): File-collector experiments run one trial at a "
        "time");
    manager_options.parallel_limit = [](const core::Experiment& e) -> std::optional<int32_t> {
      const auto& collector = e.spec.metrics_collector_spec;
      if (collector && collector->kind == "File") return 1;
      return std::nullopt;
    };
  }
  // A deleted experiment's trial logs go with it.
  manager_options.on_deleted = [log_dir](const controller::ExperimentKey& key,
                                         const std::vector<std::string>&) {
    std::error_code ec;
    fs::remove_all(log_dir / key.ns / key.name, ec);
    if (ec) spdlog::warn("server: removing the logs of {}/{}: {}", key.ns, key.name, ec.message());
  };
  controller::ControllerManager manager(store, store, suggestions, executor,
                                        std::move(manager_options));
  sink.set_manager(&manager);

  server::ApiServerOptions api_options;
  api_options.store = &store;
  api_options.manager = &manager;
  api_options.validation = ValidationOptionsFor(*registry);
  api_options.validation.load_config_map_template =
      [](const core::ConfigMapSource& source) -> absl::StatusOr<std::string> {
    return absl::NotFoundError(absl::StrCat("configMap not found: ", source.config_map_namespace,
                                            "/", source.config_map_name,
                                            " (ktune server has no ConfigMaps: put the trial "
                                            "template in trialTemplate.trialSpec)"));
  };
  api_options.check_runnable = [&suggestions](const core::Experiment& e) -> absl::Status {
    if (absl::Status st = CheckRunsLocally(e); !st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot run as local processes: ", st.message()));
    }
    if (absl::Status st = suggestions.ValidateAlgorithmSettings(e); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("spec.algorithm: ", st.message()));
    }
    return absl::OkStatus();
  };
  api_options.log_path = [&executor](const controller::TrialRef& trial) {
    return executor.LogPath(trial);
  };
  api_options.token = token;
  server::ApiServer api(std::move(api_options));

  http::HttpServerOptions http_options;
  http_options.host = listen;
  http_options.port = args["port"].as<int>();
  if (args.count("tls-cert")) {
    http_options.cert_file = args["tls-cert"].as<std::string>();
    http_options.key_file = args["tls-key"].as<std::string>();
  }
  http_options.log_name = "server";
  // Watches and followed logs hold a worker each, and a connection beyond the workers waits
  // behind them: as many workers as connections.
  http_options.limits.worker_threads = 128;
  http_options.limits.max_connections = 128;
  http_options.on_stop = [&api] { api.Shutdown(); };
  http_options.limits.keep_alive_timeout = std::chrono::seconds(30);
  http_options.limits.keep_alive_max_requests = 10000;
  http_options.limits.read_timeout = std::chrono::seconds(30);
  http_options.limits.write_timeout = std::chrono::seconds(30);
  absl::StatusOr<std::unique_ptr<http::HttpServer>> http =
      http::HttpServer::Create(http_options, [&api](httplib::Server& s) {
        api.Install(s);
        // After the API: the UI's deep-link route matches every path. Its files need no token.
        server::InstallUi(s);
      });
  if (!http.ok()) {
    std::cerr << "ktune server: " << http.status().message() << "\n";
    return 1;
  }

  std::unique_ptr<server::GrpcServer> grpc;
  if (const int grpc_port = args["grpc-port"].as<int>(); grpc_port >= 0) {
    server::GrpcServerOptions grpc_options;
    grpc_options.address = listen;
    grpc_options.port = grpc_port;
    absl::StatusOr<std::unique_ptr<server::GrpcServer>> started = server::GrpcServer::Start(
        grpc_options, *registry, store,
        [&manager](const std::string& trial) { manager.OnMetrics(trial); });
    if (!started.ok()) {
      std::cerr << "ktune server: --grpc-port " << grpc_port << ": " << started.status().message()
                << "\n";
      return 1;
    }
    grpc = std::move(*started);
    // Trials push metrics here (the SDK's report_metrics, a Push collector); they run on this
    // machine, so loopback reaches the port whatever --listen says.
    executor.SetServiceEnv({{"KTUNE_DB_MANAGER_ADDRESS",
                             absl::StrCat(TrialReachableHost(listen), ":", grpc->port())}});
  }

  if (absl::Status st = api.Prepare(); !st.ok()) {
    std::cerr << "ktune server: reading the stored experiments: " << st.message() << "\n";
    return 1;
  }
  manager.Start();
  if (absl::Status st = manager.EnqueueAll(); !st.ok()) {
    std::cerr << "ktune server: loading the stored experiments: " << st.message() << "\n";
    return 1;
  }
  if (absl::Status st = (*http)->Start(); !st.ok()) {
    std::cerr << "ktune server: " << st.message() << "\n";
    return 1;
  }
  const std::string scheme = (*http)->tls() ? "https" : "http";
  spdlog::info("ktune server: REST API on {}://{}:{}{}", scheme, listen, (*http)->port(),
               grpc ? absl::StrCat(", gRPC DBManager and Suggestion on ", listen, ":", grpc->port())
                    : std::string());
  // A line scripts can wait for (the chosen ports when 0 was given).
  std::cout << "ktune server: listening on " << scheme << "://" << listen << ":" << (*http)->port()
            << (grpc ? absl::StrCat(" grpc ", grpc->port()) : "") << std::endl;
  std::cout << "ktune server: web UI at " << scheme << "://" << listen << ":" << (*http)->port()
            << "/" << (server::UiBuiltIn() ? "" : " (not built into this binary)") << std::endl;

  http::HttpServer* raw = http->get();
  std::thread signal_thread([raw, &api, &manager, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info(
        "ktune server: shutting down (running trials are interrupted; they run again "
        "on the next start)");
    manager.BeginShutdown();
    api.Shutdown();
    raw->Stop();
  });
  raw->Wait();
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  api.Shutdown();
  raw->Stop();
  if (grpc) grpc->Shutdown();
  manager.Shutdown();
  return 0;
}

}  // namespace ktune::cli

// `ktune suggestion`: Katib's gRPC Suggestion service (GetSuggestions,
// ValidateAlgorithmSettings) and the gRPC health service, over the algorithm plugins.

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cxxopts.hpp"
#include "spdlog/spdlog.h"
#include "suggestion/grpc_service.h"
#include "suggestion/registry.h"

namespace ktune::cli {

int SuggestionCommand(int argc, char** argv) {
  cxxopts::Options options(
      "ktune suggestion",
      "Serve Katib's Suggestion API over gRPC (plaintext), as Katib's per-experiment "
      "suggestion pods do, plus the gRPC health service (SERVING for "
      "\"manager.v1beta1.Suggestion\"). One plugin instance per experiment: Katib sends the "
      "whole trial history on every call and the algorithm is handed only what changed. After "
      "a restart, the next request's history rebuilds each experiment's instance. Prints "
      "`listening on ADDRESS:PORT` once it serves.");
  options.add_options()("algorithm",
                        "The algorithm to serve, or `all` for every algorithm this ktune has",
                        cxxopts::value<std::string>())(
      "address",
      "Address to listen on (loopback unless told otherwise; 0.0.0.0 or :: for every "
      "interface)",
      cxxopts::value<std::string>()->default_value("127.0.0.1"))(
      "port", "Port to listen on (0 picks a free one)",
      cxxopts::value<int>()->default_value("6789"))(
      "max-experiments",
      "Experiments whose algorithm instance is kept; beyond that the least recently used is "
      "dropped and rebuilt from its next request",
      cxxopts::value<int>()->default_value("1000"))(
      "thread-budget", "Threads an algorithm may keep busy per call (0: the machine's)",
      cxxopts::value<int>()->default_value("0"))(
      "log-level", "trace, debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("info"))("h,help", "Show this help");
  cxxopts::ParseResult args;
  if (std::optional<int> done = ParseCommandLine(options, argc, argv, "suggestion", &args))
    return *done;
  std::unique_ptr<suggestion::AlgorithmRegistry> registry =
      suggestion::AlgorithmRegistry::CreateDefault();
  if (!args.count("algorithm")) {
    std::cerr << "ktune suggestion: --algorithm is required (one of: all, "
              << absl::StrJoin(registry->Names(), ", ") << ")\n";
    return 2;
  }
  const int port = args["port"].as<int>();
  const int max_experiments = args["max-experiments"].as<int>();
  const int thread_budget = args["thread-budget"].as<int>();
  if (port < 0 || port > 65535 || max_experiments < 1 || thread_budget < 0) {
    std::cerr << "ktune suggestion: --port must be in 0..65535, --max-experiments at least 1 "
                 "and --thread-budget at least 0\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(args["log-level"].as<std::string>()));

  suggestion::SuggestionServer::Options server_options;
  server_options.address = args["address"].as<std::string>();
  server_options.port = port;
  server_options.service.algorithm = args["algorithm"].as<std::string>();
  server_options.service.max_experiments = static_cast<size_t>(max_experiments);
  server_options.service.thread_budget = static_cast<uint32_t>(thread_budget);
  if (server_options.service.algorithm != "all") {
    if (absl::StatusOr<const suggestion::AlgorithmPlugin*> found =
            registry->Find(server_options.service.algorithm);
        !found.ok()) {
      std::cerr << "ktune suggestion: " << found.status().message() << "\n";
      return 2;
    }
  }

  // Signals are taken by one thread (sigwait), so gRPC's threads never see them.
  const sigset_t signals = BlockTerminationSignals();

  absl::StatusOr<std::unique_ptr<suggestion::SuggestionServer>> server =
      suggestion::SuggestionServer::Start(*registry, server_options);
  if (!server.ok()) {
    std::cerr << "ktune suggestion: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const std::string served = absl::StrJoin((*server)->service().AlgorithmNames(), ", ");
  std::cout << "listening on " << (*server)->target() << std::endl;
  spdlog::info("ktune suggestion: serving {} on {}", served, (*server)->target());

  suggestion::SuggestionServer* raw = server->get();
  std::thread signal_thread([raw, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("ktune suggestion: shutting down");
    raw->Shutdown();
  });
  signal_thread.join();
  (*server)->Wait();
  return 0;
}

}  // namespace ktune::cli

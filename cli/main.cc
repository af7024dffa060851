// The `ktune` binary: one executable, one subcommand per role (ARCHITECTURE.md).

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

#ifndef KTUNE_VERSION
#define KTUNE_VERSION "0.0.0"
#endif

namespace {

constexpr char kUsage[] =
    "ktune: hyperparameter tuning compatible with Kubeflow Katib\n"
    "\n"
    "Usage: ktune <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run FILE     run an Experiment (Katib YAML) locally: trials as processes, results in "
    "SQLite\n"
    "  server       run every experiment behind a Kubernetes-style API (kubectl, Katib's SDK) "
    "and\n               Katib's gRPC DBManager and Suggestion services\n"
    "  suggestion   serve Katib's gRPC Suggestion API (--algorithm NAME|all --port P)\n"
    "  validate FILE...\n"
    "               check Experiments as Katib's admission webhooks do (--print-defaults)\n"
    "  webhook      serve Katib's admission webhooks over HTTPS (`webhook certs` makes "
    "certificates)\n"
    "  version      print the version\n"
    "\n"
    "`ktune <command> --help` describes a command's options.\n";

// The backstop of every subcommand: a bug that throws (e.g. a JSON accessor on user data of an
// unexpected shape) ends the command with a message and exit status 1, never SIGABRT.
int RunGuarded(const char* name, int (*command)(int, char**), int argc, char** argv) {
  try {
    return command(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ktune " << name << ": internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "ktune " << name << ": internal error: unknown exception\n";
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("ktune"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "version" || command == "--version") {
    std::cout << "ktune " << KTUNE_VERSION << "\n";
    return 0;
  }
  if (command == "run") return RunGuarded("run", ktune::cli::RunCommand, argc - 1, argv + 1);
  if (command == "server") {
    return RunGuarded("server", ktune::cli::ServerCommand, argc - 1, argv + 1);
  }
  if (command == "suggestion") {
    return RunGuarded("suggestion", ktune::cli::SuggestionCommand, argc - 1, argv + 1);
  }
  if (command == "validate") {
    return RunGuarded("validate", ktune::cli::ValidateCommand, argc - 1, argv + 1);
  }
  if (command == "webhook") {
    return RunGuarded("webhook", ktune::cli::WebhookCommand, argc - 1, argv + 1);
  }
  std::cerr << "ktune: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}

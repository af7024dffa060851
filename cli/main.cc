// The `ktune` binary: one executable, one subcommand per role (ARCHITECTURE.md).

#include <cstring>
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
    "  run FILE     run an Experiment (Katib YAML) locally: trials as processes, results in SQLite\n"
    "  validate FILE...\n"
    "               check Experiments as Katib's admission webhooks do (--print-defaults)\n"
    "  webhook      serve Katib's admission webhooks over HTTPS (`webhook certs` makes certificates)\n"
    "  version      print the version\n"
    "\n"
    "`ktune <command> --help` describes a command's options.\n";

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
  if (command == "run") return ktune::cli::RunCommand(argc - 1, argv + 1);
  if (command == "validate") return ktune::cli::ValidateCommand(argc - 1, argv + 1);
  if (command == "webhook") return ktune::cli::WebhookCommand(argc - 1, argv + 1);
  std::cerr << "ktune: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}

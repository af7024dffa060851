#include "cli/command_line.h"

#include <pthread.h>

#include <iostream>

namespace ktune::cli {

std::optional<int> ParseCommandLine(cxxopts::Options& options, int argc, char** argv,
                                    std::string_view command, cxxopts::ParseResult* args) {
  try {
    *args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "ktune " << command << ": " << e.what() << "\n" << options.help() << std::flush;
    return 2;
  }
  if (args->count("help")) {
    std::cout << options.help();
    return 0;
  }
  return std::nullopt;
}

sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace ktune::cli

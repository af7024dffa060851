#pragma once
// What the `ktune` subcommands share: option parsing with the same usage errors, and the
// termination signals taken by one thread.

#include <signal.h>

#include <optional>
#include <string_view>

#include "cxxopts.hpp"

namespace ktune::cli {

// Parses argv into *args. Returns the exit code when the command is done already: 2 after
// printing `ktune <command>: <error>` and the help to stderr, 0 after printing the help for
// --help (the options must define "h,help"). nullopt: go on with *args.
std::optional<int> ParseCommandLine(cxxopts::Options& options, int argc, char** argv,
                                    std::string_view command, cxxopts::ParseResult* args);

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts afterwards,
// and returns that set for the one thread that sigwait()s on it.
sigset_t BlockTerminationSignals();

}  // namespace ktune::cli

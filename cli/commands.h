#pragma once
// Subcommands of the `ktune` binary; each returns the process exit code.

namespace ktune::cli {

int RunCommand(int argc, char** argv);

}  // namespace ktune::cli

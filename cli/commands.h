#pragma once
// Subcommands of the `ktune` binary; each returns the process exit code.

#include "core/validation.h"
#include "suggestion/registry.h"

namespace ktune::cli {

int RunCommand(int argc, char** argv);
int SuggestionCommand(int argc, char** argv);
int ValidateCommand(int argc, char** argv);
int WebhookCommand(int argc, char** argv);
int ServerCommand(int argc, char** argv);

// What `ktune validate`, `ktune run` and `ktune webhook` check against: the algorithms this
// ktune has and the metrics collectors its executors support.
// DefaultValidationOptions loads the plugins itself; ValidationOptionsFor takes the algorithms of
// a registry the command has loaded already.
core::ValidationOptions DefaultValidationOptions();
core::ValidationOptions ValidationOptionsFor(const suggestion::AlgorithmRegistry& registry);

// Whether the local executor can run the experiment's trials: its template rendered with the
// first value of every parameter must give a command (`ktune run` and `ktune server` refuse the
// experiment up front otherwise, instead of failing every trial).
absl::Status CheckRunsLocally(const core::Experiment& experiment);

}  // namespace ktune::cli

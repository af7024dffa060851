// `ktune validate FILE...`: Katib's admission checks, offline.

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/codec.h"
#include "core/defaults.h"
#include "core/validation.h"
#include "cxxopts.hpp"
#include "suggestion/registry.h"

namespace ktune::cli {

core::ValidationOptions DefaultValidationOptions() {
  core::ValidationOptions options;
  options.algorithms = suggestion::AlgorithmRegistry::CreateDefault()->Names();
  options.metrics_collector_kinds = {"StdOut", "File"};
  return options;
}

int ValidateCommand(int argc, char** argv) {
  cxxopts::Options options("ktune validate",
                           "Check Experiment files as Katib's admission webhooks would, and more.");
  options.positional_help("FILE...");
  options.add_options()
      ("print-defaults", "Print each valid experiment with Katib's defaults applied (YAML)")
      ("h,help", "Show this help")
      ("files", "Experiment YAML or JSON files", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "ktune validate: " << e.what() << "\n" << options.help() << std::flush;
    return 2;
  }
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (!args.count("files")) {
    std::cerr << "ktune validate: missing FILE\n" << options.help() << std::flush;
    return 2;
  }
  const auto files = args["files"].as<std::vector<std::string>>();
  const bool print_defaults = args.count("print-defaults") > 0;
  const core::ValidationOptions validation = DefaultValidationOptions();
  bool all_valid = true;
  bool first_output = true;
  for (const std::string& file : files) {
    // With several files, each problem line says which file it is about.
    const std::string prefix = files.size() > 1 ? file + ": " : "";
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": cannot read file\n";
      all_valid = false;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<core::Experiment> experiment = core::ParseExperiment(text.str(), file);
    if (!experiment.ok()) {
      std::cerr << experiment.status().message() << "\n";
      all_valid = false;
      continue;
    }
    core::SetDefaults(*experiment);
    std::vector<core::FieldError> errors = core::ValidateExperiment(*experiment, validation);
    if (!errors.empty()) {
      all_valid = false;
      for (const core::FieldError& e : errors) std::cerr << prefix << e.ToString() << "\n";
      continue;
    }
    if (print_defaults) {
      if (!first_output) std::cout << "---\n";
      first_output = false;
      std::cout << core::ToYaml(core::ExperimentToJson(*experiment));
    } else {
      std::cerr << file << ": valid\n";
    }
  }
  return all_valid ? 0 : 1;
}

}  // namespace ktune::cli

// `ktune validate FILE...`: Katib's admission checks, offline. Exit 0 when Katib would admit
// every file (and, with --strict, ktune has no warning either), 1 otherwise, 2 on usage errors.

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "core/codec.h"
#include "core/configmap.h"
#include "core/defaults.h"
#include "core/validation.h"
#include "cxxopts.hpp"
#include "suggestion/in_process.h"
#include "suggestion/registry.h"

namespace ktune::cli {

core::ValidationOptions ValidationOptionsFor(const suggestion::AlgorithmRegistry& registry) {
  core::ValidationOptions options;
  options.algorithms = registry.Names();
  options.metrics_collector_kinds = {"StdOut", "File"};
  return options;
}

core::ValidationOptions DefaultValidationOptions() {
  return ValidationOptionsFor(*suggestion::AlgorithmRegistry::CreateDefault());
}

int ValidateCommand(int argc, char** argv) {
  cxxopts::Options options("ktune validate",
                           "Check Experiment files as Katib's admission webhooks would, and more.");
  options.positional_help("FILE...");
  options.add_options()("print-defaults",
                        "Print each valid experiment with Katib's defaults applied (YAML)")(
      "strict", "Fail on warnings too (ktune's own checks), not only on what Katib rejects")(
      "configmap", "A ConfigMap YAML/JSON file holding trial templates (repeatable)",
      cxxopts::value<std::vector<std::string>>())("h,help", "Show this help")(
      "files", "Experiment YAML or JSON files", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  cxxopts::ParseResult args;
  if (std::optional<int> done = ParseCommandLine(options, argc, argv, "validate", &args))
    return *done;
  if (!args.count("files")) {
    std::cerr << "ktune validate: missing FILE\n" << options.help() << std::flush;
    return 2;
  }
  const auto files = args["files"].as<std::vector<std::string>>();
  const bool print_defaults = args.count("print-defaults") > 0;
  const bool strict = args.count("strict") > 0;
  std::unique_ptr<suggestion::AlgorithmRegistry> registry =
      suggestion::AlgorithmRegistry::CreateDefault();
  suggestion::InProcessSuggestionService suggestions(*registry);
  core::ValidationOptions validation = ValidationOptionsFor(*registry);
  if (args.count("configmap")) {
    absl::StatusOr<std::vector<core::ConfigMap>> maps =
        core::LoadConfigMapFiles(args["configmap"].as<std::vector<std::string>>());
    if (!maps.ok()) {
      std::cerr << "ktune validate: " << maps.status().message() << "\n";
      return 2;
    }
    validation.load_config_map_template = core::ConfigMapTemplateLoader(std::move(*maps));
  }
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
    absl::StatusOr<nlohmann::json> raw = core::ParseYamlDocument(text.str());
    if (!raw.ok()) {
      std::cerr << file << ": " << raw.status().message() << "\n";
      all_valid = false;
      continue;
    }
    absl::StatusOr<core::Experiment> experiment = core::ExperimentFromJson(*raw);
    if (!experiment.ok()) {
      std::cerr << file << ": " << experiment.status().message() << "\n";
      all_valid = false;
      continue;
    }
    core::SetDefaults(*experiment);
    core::ValidationOptions per_file = validation;
    per_file.raw_experiment = &*raw;
    std::vector<core::FieldError> problems = core::ValidateExperiment(*experiment, per_file);
    bool failed = false;
    // Errors (what Katib rejects) first as `error: ...`, then ktune's warnings as `warning: ...`.
    for (const core::FieldError& e : problems) {
      if (e.severity != core::FieldError::Severity::kError) continue;
      std::cerr << prefix << "error: " << e.ToString() << "\n";
      failed = true;
    }
    for (const core::FieldError& e : problems) {
      if (e.severity != core::FieldError::Severity::kWarning) continue;
      std::cerr << prefix << "warning: " << e.ToString() << "\n";
      if (strict) failed = true;
    }
    bool settings_warned = false;
    // The algorithm's own check of its settings (Katib's messages). Katib's webhook admits such
    // an experiment and its Suggestion then fails; `ktune run` refuses it up front.
    if (experiment->spec.algorithm &&
        registry->Find(experiment->spec.algorithm->algorithm_name).ok()) {
      if (absl::Status st = suggestions.ValidateAlgorithmSettings(*experiment); !st.ok()) {
        std::cerr << prefix << "warning: spec.algorithm.algorithmSettings: " << st.message()
                  << " (Katib admits the experiment, then fails it with \"Validation failed: "
                     "ValidateAlgorithmSettings Error\"; ktune run refuses it)\n";
        settings_warned = true;
        if (strict) failed = true;
      }
    }
    if (failed) {
      all_valid = false;
      continue;
    }
    if (print_defaults) {
      if (!first_output) std::cout << "---\n";
      first_output = false;
      std::cout << core::ToYaml(core::ExperimentToJson(*experiment));
    } else {
      std::cerr << file
                << (problems.empty() && !settings_warned
                        ? ": valid\n"
                        : ": valid (Katib admits it; see the warnings)\n");
    }
  }
  return all_valid ? 0 : 1;
}

}  // namespace ktune::cli

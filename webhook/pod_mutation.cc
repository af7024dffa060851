#include "webhook/pod_mutation.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/conditions.h"
#include "core/defaults.h"
#include "core/json_access.h"
#include "core/pod_template.h"

namespace ktune::webhook {
namespace {

using nlohmann::json;

constexpr char kStdOut[] = "StdOut";
constexpr char kFile[] = "File";
constexpr char kTfEvent[] = "TensorFlowEvent";
constexpr char kCustom[] = "Custom";
constexpr char kPush[] = "Push";
constexpr char kFileKind[] = "File";
constexpr char kTextFormat[] = "TEXT";
constexpr char kKatibConfigMapName[] = "katib-config";

// Katib's collector resource defaults (KATIB.md §0): {name, request, limit}.
struct ResourceDefault {
  const char* name;
  const char* request;
  const char* limit;
};
constexpr ResourceDefault kResourceDefaults[] = {
    {"cpu", "50m", "500m"},
    {"memory", "10Mi", "100Mi"},
    {"ephemeral-storage", "500Mi", "5Gi"},
};

// Go's path.Clean: the wrapped command strings and mount paths must match Katib's, which
// builds them with filepath.Dir / filepath.Join.
std::string CleanPath(const std::string& path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.emplace_back("..");
      }
      continue;
    }
    parts.emplace_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (rooted) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

// Go's filepath.Dir.
std::string DirPath(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return CleanPath(slash == std::string::npos ? std::string() : path.substr(0, slash + 1));
}

// Go's filepath.Join of two elements.
std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b.empty() ? std::string() : CleanPath(b);
  if (b.empty()) return CleanPath(a);
  return CleanPath(absl::StrCat(a, "/", b));
}

bool IsNullOr(const json& parent, const char* key, json::value_t type) {
  auto it = parent.find(key);
  return it == parent.end() || it->is_null() || it->type() == type;
}

bool IsPrimaryPod(const json& pod_labels, const std::map<std::string, std::string>& primary) {
  for (const auto& [key, value] : primary) {
    auto it = pod_labels.find(key);
    if (it == pod_labels.end() || !it->is_string() || it->get<std::string>() != value) {
      return false;
    }
  }
  return true;
}

// Go's %v of the names, the closest readable stand-in for Katib's %v of []v1.Container.
std::string GoNames(const std::vector<core::PodContainer>& containers) {
  return absl::StrCat("[", absl::StrJoin(core::ContainerNames(containers), " "), "]");
}

// Katib's getMountPath: the metrics file or directory, and its kind ("File" or the
// fileSystemPath kind). Empty path: no metrics volume.
std::pair<std::string, std::string> MountPath(const core::MetricsCollectorSpec& mc,
                                              const std::string& kind) {
  if (kind == kStdOut) return {core::kDefaultFilePath, kFileKind};
  if (kind == kFile) {
    // Katib's defaulter fills an absent fileSystemPath; a Trial built without it gets the same.
    std::string path = mc.file_system_path ? mc.file_system_path->path : std::string();
    return {path.empty() ? std::string(core::kDefaultFilePath) : path, kFileKind};
  }
  if (kind == kTfEvent) {
    std::string path = mc.file_system_path ? mc.file_system_path->path : std::string();
    return {path.empty() ? std::string(core::kDefaultTensorflowEventDirPath) : path, "Directory"};
  }
  if (kind == kCustom && mc.file_system_path) {
    return {mc.file_system_path->path, mc.file_system_path->kind};
  }
  return {"", ""};
}

bool IsZeroQuantity(const json& q) {
  if (q.is_null()) return true;
  if (q.is_number()) return q.get<double>() == 0;
  if (q.is_string()) {
    const std::string s = q.get<std::string>();
    return s.empty() || s == "0";
  }
  return false;
}

// Katib's setResourceRequirements: each missing (or zero) request and limit gets its default.
absl::StatusOr<json> CollectorResources(const json& configured, const std::string& kind) {
  json resources = configured.is_null() ? json::object() : configured;
  if (!resources.is_object() || !IsNullOr(resources, "requests", json::value_t::object) ||
      !IsNullOr(resources, "limits", json::value_t::object)) {
    return absl::InvalidArgumentError(absl::StrCat("metrics collector config for kind ", kind,
                                                   ": resources must be a ResourceRequirements"));
  }
  for (const char* section : {"requests", "limits"}) {
    json& quantities = resources[section];
    if (quantities.is_null()) quantities = json::object();
    for (const ResourceDefault& d : kResourceDefaults) {
      auto it = quantities.find(d.name);
      if (it == quantities.end() || IsZeroQuantity(*it)) {
        quantities[d.name] = std::string(section) == "requests" ? d.request : d.limit;
      }
    }
  }
  return resources;
}

absl::StatusOr<std::string> ExperimentName(const core::Trial& trial) {
  auto it = trial.metadata.labels.find(core::kExperimentLabel);
  if (it == trial.metadata.labels.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", trial.metadata.name, " has no ", core::kExperimentLabel, " label"));
  }
  return it->second;
}

// Katib's getMetricsCollectorArgs, in its order.
absl::StatusOr<std::vector<std::string>> CollectorArgs(const PodTrial& owner,
                                                       const std::string& kind,
                                                       const CollectorConfig& collector,
                                                       const InjectionConfig& config) {
  const core::Trial& trial = owner.trial;
  const core::MetricsCollectorSpec& mc = trial.spec.metrics_collector;
  std::vector<std::string> args = {
      "-t",      trial.metadata.name,
      "-m",      absl::StrJoin(core::MetricNames(trial.spec.objective), ";"),
      "-o-type", trial.spec.objective.type,
      "-s-db",   config.db_manager_address};
  if (std::string path = MountPath(mc, kind).first; !path.empty()) {
    args.insert(args.end(), {"-path", path});
  }
  if (mc.metrics_format && !mc.metrics_format->empty()) {
    args.insert(args.end(), {"-f", absl::StrJoin(*mc.metrics_format, ";")});
  }
  if (kind == kFile) {
    std::string format = mc.file_system_path ? mc.file_system_path->format : std::string();
    args.insert(args.end(), {"-format", format.empty() ? std::string(kTextFormat) : format});
  }
  if (kind == kStdOut) args.insert(args.end(), {"-format", kTextFormat});
  if (collector.wait_all_processes) {
    args.insert(args.end(), {"-w", *collector.wait_all_processes ? "true" : "false"});
  }
  if (!trial.spec.early_stopping_rules.empty()) {
    for (const core::EarlyStoppingRule& rule : trial.spec.early_stopping_rules) {
      args.insert(args.end(), {"-stop-rule", absl::StrCat(rule.name, ";", rule.value, ";",
                                                          rule.comparison, ";", rule.start_step)});
    }
    absl::StatusOr<std::string> experiment = ExperimentName(trial);
    if (!experiment.ok()) return experiment.status();
    args.insert(args.end(),
                {"-s-earlystop", absl::StrCat(*experiment, "-", owner.algorithm_name, ".",
                                              trial.metadata.namespace_, ":", kEarlyStoppingPort)});
  }
  return args;
}

// Katib's getMetricsCollectorContainer.
absl::StatusOr<json> SidecarContainer(const json& original_containers, const PodTrial& owner,
                                      const std::string& kind, const InjectionConfig& config) {
  const core::MetricsCollectorSpec& mc = owner.trial.spec.metrics_collector;
  if (kind == kCustom) {
    if (!mc.custom_collector || !mc.custom_collector->is_object()) {
      return absl::InvalidArgumentError(
          "metrics collector kind Custom needs collector.customCollector (a container)");
    }
    return *mc.custom_collector;
  }
  auto found = config.collectors.find(kind);
  if (found == config.collectors.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Failed to find metrics collector config for kind: ", kind,
                     " in ConfigMap: ", kKatibConfigMapName));
  }
  const CollectorConfig& collector = found->second;
  if (collector.image.find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("Required value for image configuration of metrics collector kind: ", kind));
  }
  absl::StatusOr<std::vector<std::string>> args = CollectorArgs(owner, kind, collector, config);
  if (!args.ok()) return args.status();
  absl::StatusOr<json> resources = CollectorResources(collector.resources, kind);
  if (!resources.ok()) return resources.status();
  const std::string& policy = collector.image_pull_policy;
  json sidecar = {
      {"name", kind == kStdOut || kind == kFile ? kLoggerAndCollectorContainerName
                                                : kCollectorContainerName},
      {"image", collector.image},
      {"args", *args},
      {"resources", *std::move(resources)},
      {"imagePullPolicy", policy == "Always" || policy == "IfNotPresent" || policy == "Never"
                              ? policy
                              : "IfNotPresent"},
  };
  if (config.inject_security_context && !original_containers.empty()) {
    const json& first = original_containers[0];
    if (const json* context = core::FieldOf(first, "securityContext");
        context != nullptr && !context->is_null()) {
      sidecar["securityContext"] = *context;
    }
  }
  return sidecar;
}

// The member `key` of `object`, set to `init` when absent or null. `object` must be an object
// or null (the callers have checked the pod's shape).
json& EnsureMember(json& object, const std::string& key, json init) {
  if (!object.is_object()) object = json::object();
  auto it = object.find(key);
  if (it == object.end()) it = object.emplace(key, json()).first;
  if (it->is_null()) *it = std::move(init);
  return *it;
}

void AddVolumeMount(json& container, json mount) {
  EnsureMember(container, "volumeMounts", json::array()).push_back(std::move(mount));
}

absl::StatusOr<std::vector<std::string>> StringList(const json& container, const char* key) {
  std::vector<std::string> out;
  auto it = container.find(key);
  if (it == container.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", key, " must be a list of strings"));
  }
  for (const json& s : *it) {
    if (!s.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", key, " must be a list of strings"));
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

// `token` as one POSIX shell word: as is when it holds only characters no shell treats
// specially, otherwise in single quotes with each embedded quote written as '\''.
std::string ShellQuote(const std::string& token) {
  const bool plain = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain) return token;
  return absl::StrCat("'", absl::StrReplaceAll(token, {{"'", "'\\''"}}), "'");
}

// A path whose last element is shell code (`$$$$.pid`): the directory part quoted, the last
// element kept as is.
std::string QuoteDirOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return path;
  return ShellQuote(path.substr(0, slash + 1)) + path.substr(slash + 1);
}

// Katib's wrapWorkerContainer: run the user's command through `sh -c` so that the collector
// can tell completion (and early stopping) from the marker file. Unlike Katib, each token of
// a plain command (and every path) is shell-quoted, so that a parameter value such as
// `a;rm -rf x` stays one literal argument; a command that is itself `sh -c`/`bash -c` keeps
// the user's script as written, as Katib does.
absl::Status WrapPrimaryCommand(json& container, const core::Trial& trial, const std::string& kind,
                                const std::string& metrics_path, const std::string& path_kind) {
  absl::StatusOr<std::vector<std::string>> command = StringList(container, "command");
  if (!command.ok()) return command.status();
  absl::StatusOr<std::vector<std::string>> user_args = StringList(container, "args");
  if (!user_args.ok()) return user_args.status();
  if (command->empty()) {
    const std::string image = core::StringFieldOr(container, "image");
    return absl::InvalidArgumentError(absl::StrCat(
        "primary container ", trial.spec.primary_container_name, " (image \"", image,
        "\") has no command: the ", kind,
        " metrics collector must wrap it, and ktune cannot read the image entrypoint from a "
        "registry; set command (and args) in the trial template"));
  }
  std::vector<std::string> tokens = *std::move(command);
  tokens.insert(tokens.end(), user_args->begin(), user_args->end());

  std::vector<std::string> shell = {"sh", "-c"};
  std::vector<std::string> parts;
  if (tokens.size() >= 2 && (tokens[0] == "sh" || tokens[0] == "bash") && tokens[1] == "-c") {
    shell = {tokens[0], tokens[1]};
    parts.assign(tokens.begin() + 2, tokens.end());
  } else {
    for (const std::string& token : tokens) parts.push_back(ShellQuote(token));
  }
  if (kind == kStdOut) parts.push_back(absl::StrCat("1>", ShellQuote(metrics_path), " 2>&1"));
  const std::string dir = path_kind == kFileKind ? DirPath(metrics_path) : metrics_path;
  // `$$$$` becomes `$$` (the shell's pid) after Kubernetes' $(VAR) expansion; inside the
  // unresolvable `$(head ...)` it is left alone, hence `$$` there (KATIB.md §3.4).
  const std::string pid_file = JoinPath(dir, "$$$$.pid");
  if (!trial.spec.early_stopping_rules.empty()) {
    parts.push_back("||");
    parts.push_back(absl::StrCat("if test -f ", QuoteDirOf(pid_file), " && [ $(head -n 1 ",
                                 QuoteDirOf(JoinPath(dir, "$$.pid")),
                                 ") = early-stopped ]; then echo Training Container was Early "
                                 "Stopped; else echo Training Container was Failed; exit 1; fi"));
  }
  parts.push_back("&&");
  parts.push_back(absl::StrCat("echo completed > ", QuoteDirOf(pid_file)));

  container["command"] = shell;
  container["args"] = json::array({absl::StrJoin(parts, " ")});
  return absl::OkStatus();
}

absl::StatusOr<json> Mutate(const json& pod, const PodTrial& owner, const InjectionConfig& config) {
  const core::Trial& trial = owner.trial;
  if (!pod.is_object() || !IsNullOr(pod, "metadata", json::value_t::object) ||
      !IsNullOr(pod, "spec", json::value_t::object)) {
    return absl::InvalidArgumentError("pod must be a JSON object with object metadata and spec");
  }
  static const json kNoObject = json::object();
  const json* metadata_field = core::FieldOf(pod, "metadata");
  const json* spec_field = core::FieldOf(pod, "spec");
  const json& metadata = metadata_field != nullptr ? *metadata_field : kNoObject;
  const json& spec = spec_field != nullptr ? *spec_field : kNoObject;
  if (!metadata.is_null() && !IsNullOr(metadata, "labels", json::value_t::object)) {
    return absl::InvalidArgumentError("pod metadata.labels must be an object");
  }
  if (!spec.is_null() && (!IsNullOr(spec, "containers", json::value_t::array) ||
                          !IsNullOr(spec, "volumes", json::value_t::array))) {
    return absl::InvalidArgumentError("pod spec.containers and spec.volumes must be lists");
  }
  const json* labels_field = core::FieldOf(metadata, "labels", core::JsonType::kObject);
  const json original_labels = labels_field != nullptr ? *labels_field : json::object();

  json mutated = pod;
  // Every pod of the trial: labels, then KATIB_TRIAL_NAME on the primary container.
  json& labels =
      EnsureMember(EnsureMember(mutated, "metadata", json::object()), "labels", json::object());
  for (const auto& [key, value] : trial.metadata.labels) labels[key] = value;
  labels[core::kTrialLabel] = trial.metadata.name;

  json& mutated_spec = EnsureMember(mutated, "spec", json::object());
  json& containers = EnsureMember(mutated_spec, "containers", json::array());
  for (std::size_t i = 0; i < containers.size(); ++i) {
    if (!containers[i].is_object() || !IsNullOr(containers[i], "env", json::value_t::array) ||
        !IsNullOr(containers[i], "volumeMounts", json::value_t::array)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pod spec.containers[", i, "] must be a container object"));
    }
  }
  absl::StatusOr<std::vector<core::PodContainer>> found =
      core::PodSpecContainers(mutated_spec, "spec");
  if (!found.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("pod ", found.status().message()));
  }
  const core::PodContainer* primary_container =
      core::FindContainer(*found, trial.spec.primary_container_name);
  if (primary_container == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("Unable to find primary container ",
                                                   trial.spec.primary_container_name,
                                                   " in mutated pod containers ", GoNames(*found)));
  }
  const std::size_t primary = primary_container->index;
  EnsureMember(containers[primary], "env", json::array())
      .push_back(
          {{"name", kTrialNameEnvVar},
           {"valueFrom",
            {{"fieldRef",
              {{"fieldPath", absl::StrCat("metadata.labels['", core::kTrialLabel, "']")}}}}}});

  // Primary pods only, and never for Push.
  if (!trial.spec.primary_pod_labels.empty() &&
      !IsPrimaryPod(original_labels, trial.spec.primary_pod_labels)) {
    return mutated;
  }
  const core::MetricsCollectorSpec& mc = trial.spec.metrics_collector;
  const std::string kind = mc.kind.empty() ? std::string(kStdOut) : mc.kind;
  if (kind == kPush) return mutated;

  absl::StatusOr<json> sidecar =
      SidecarContainer(core::FieldOf(spec, "containers", core::JsonType::kArray) != nullptr
                           ? *core::FieldOf(spec, "containers", core::JsonType::kArray)
                           : json::array(),
                       owner, kind, config);
  if (!sidecar.ok()) return sidecar.status();
  const std::string sidecar_name = core::StringFieldOr(*sidecar, "name");
  containers.push_back(*std::move(sidecar));

  auto volumes = [&mutated_spec]() -> json& {
    return EnsureMember(mutated_spec, "volumes", json::array());
  };
  if (owner.suggestion_trial_dir && !owner.suggestion_trial_dir->empty()) {
    absl::StatusOr<std::string> experiment = ExperimentName(trial);
    if (!experiment.ok()) return experiment.status();
    const std::string claim = absl::StrCat(*experiment, "-", owner.algorithm_name);
    volumes().push_back(
        {{"name", kSuggestionVolumeName}, {"persistentVolumeClaim", {{"claimName", claim}}}});
    AddVolumeMount(containers[primary], {{"name", kSuggestionVolumeName},
                                         {"mountPath", *owner.suggestion_trial_dir},
                                         {"subPath", JoinPath(*experiment, trial.metadata.name)}});
  }

  mutated_spec["shareProcessNamespace"] = true;

  const auto [mount_path, path_kind] = MountPath(mc, kind);
  if (!mount_path.empty()) {
    const std::string dir = path_kind == kFileKind ? DirPath(mount_path) : mount_path;
    for (json& c : containers) {
      const std::optional<std::string> name = core::StringFieldOf(c, "name");
      if (name && (*name == sidecar_name || *name == trial.spec.primary_container_name)) {
        if (!IsNullOr(c, "volumeMounts", json::value_t::array)) {
          return absl::InvalidArgumentError("metrics collector volumeMounts must be a list");
        }
        AddVolumeMount(c, {{"name", kMetricsVolumeName}, {"mountPath", dir}});
      }
    }
    volumes().push_back({{"name", kMetricsVolumeName}, {"emptyDir", json::object()}});
  }

  if (kind == kStdOut || kind == kFile || kind == kTfEvent) {
    absl::Status wrapped =
        WrapPrimaryCommand(containers[primary], trial, kind, mount_path, path_kind);
    if (!wrapped.ok()) return wrapped;
  }
  return mutated;
}

}  // namespace

absl::StatusOr<nlohmann::json> MutatedPod(const nlohmann::json& pod, const PodTrial& owner,
                                          const InjectionConfig& config) {
  try {
    return Mutate(pod, owner, config);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed pod: ", e.what()));
  }
}

absl::StatusOr<nlohmann::json> MutatePod(const nlohmann::json& pod, const PodTrial& owner,
                                         const InjectionConfig& config) {
  absl::StatusOr<nlohmann::json> mutated = MutatedPod(pod, owner, config);
  if (!mutated.ok()) return mutated.status();
  return nlohmann::json::diff(pod, *mutated);
}

}  // namespace ktune::webhook

// LocalCommandFor: the primary container of a trial's runSpec, read with the non-throwing
// accessors of core/json_access.h. Every shape error names the field's path in the runSpec.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/local/local_executor.h"
#include "core/json_access.h"
#include "core/pod_template.h"
#include "spdlog/spdlog.h"

namespace ktune::controller {
namespace {

using core::FieldOf;
using core::JsonType;
using nlohmann::json;

using Container = core::PodContainer;

std::string Join(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : absl::StrCat(base, ".", std::string(key));
}

absl::Status ShapeError(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(what)));
}

// The container named `primary` (core/pod_template.h: the one lookup validation and the pod
// webhook use too), or an error listing the names there are.
absl::StatusOr<Container> PrimaryContainer(const json& run_spec, const std::string& primary) {
  absl::StatusOr<std::vector<Container>> containers = core::FindContainers(run_spec);
  if (!containers.ok()) return containers.status();
  if (const Container* chosen = core::FindContainer(*containers, primary)) return *chosen;
  if (containers->empty()) {
    return absl::InvalidArgumentError(
        "the trial template has no pod template with containers; the local executor runs the "
        "primary container's command, so give the template a pod spec with containers");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("spec.trialTemplate.primaryContainerName \"", primary,
                   "\" does not name a container of the trial template; containers: [",
                   absl::StrJoin(core::ContainerNames(*containers), ", "), "]"));
}

// `key` of `container` as a list of strings (absent: empty).
absl::Status AppendStrings(const Container& c, std::string_view key,
                           std::vector<std::string>& out) {
  const json* list = FieldOf(*c.node, key);
  if (list == nullptr || list->is_null()) return absl::OkStatus();
  const std::string path = Join(c.path, key);
  if (!list->is_array()) return ShapeError(path, "must be a list of strings");
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    if (!item.is_string()) {
      return ShapeError(absl::StrCat(path, "[", i, "]"),
                        absl::StrCat("must be a string, not a ", core::JsonTypeName(item),
                                     " (quote it in the template)"));
    }
    out.push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status AppendEnv(const Container& c, const core::Trial& trial, LocalCommand& cmd) {
  const json* env = FieldOf(*c.node, "env");
  if (env == nullptr || env->is_null()) return absl::OkStatus();
  const std::string env_path = Join(c.path, "env");
  if (!env->is_array()) return ShapeError(env_path, "must be a list of {name, value} objects");
  for (size_t i = 0; i < env->size(); ++i) {
    const json& e = (*env)[i];
    const std::string path = absl::StrCat(env_path, "[", i, "]");
    if (!e.is_object()) return ShapeError(path, "must be an object with name and value");
    const json* name_node = FieldOf(e, "name");
    if (name_node == nullptr) return ShapeError(Join(path, "name"), "is required");
    if (!name_node->is_string()) return ShapeError(Join(path, "name"), "must be a string");
    const std::string name = name_node->get<std::string>();
    if (const json* v = FieldOf(e, "value"); v != nullptr && !v->is_null()) {
      if (v->is_object() || v->is_array()) {
        return ShapeError(Join(path, "value"), "must be a string");
      }
      cmd.env.emplace_back(name, v->is_string() ? v->get<std::string>() : v->dump());
      continue;
    }
    const json* from = FieldOf(e, "valueFrom");
    if (from == nullptr || from->is_null()) {
      cmd.env.emplace_back(name, "");
      continue;
    }
    const std::string from_path = Join(path, "valueFrom");
    if (!from->is_object()) return ShapeError(from_path, "must be an object");
    std::string field_path;
    if (const json* ref = FieldOf(*from, "fieldRef"); ref != nullptr) {
      if (!ref->is_object()) return ShapeError(Join(from_path, "fieldRef"), "must be an object");
      const json* fp = FieldOf(*ref, "fieldPath");
      if (fp != nullptr && !fp->is_string()) {
        return ShapeError(Join(from_path, "fieldRef.fieldPath"), "must be a string");
      }
      if (fp != nullptr) field_path = fp->get<std::string>();
    }
    // The only fieldRef a trial can resolve locally is its own name.
    if (field_path == "metadata.name" ||
        field_path == "metadata.labels['katib.kubeflow.org/trial']") {
      cmd.env.emplace_back(name, trial.metadata.name);
    } else {
      spdlog::warn(
          "trial {}: env {} uses valueFrom, which the local executor cannot resolve; it is "
          "left unset",
          trial.metadata.name, name);
    }
  }
  return absl::OkStatus();
}

// A Job's spec.activeDeadlineSeconds, or a training job's spec.runPolicy.activeDeadlineSeconds.
absl::Status ReadActiveDeadline(const json& run_spec, LocalCommand& cmd) {
  const json* spec = FieldOf(run_spec, "spec");
  if (spec == nullptr || !spec->is_object()) return absl::OkStatus();
  std::string path = "trialSpec.spec.activeDeadlineSeconds";
  const json* seconds = FieldOf(*spec, "activeDeadlineSeconds");
  if (seconds == nullptr || seconds->is_null()) {
    const json* policy = FieldOf(*spec, "runPolicy");
    if (policy == nullptr || !policy->is_object()) return absl::OkStatus();
    seconds = FieldOf(*policy, "activeDeadlineSeconds");
    path = "trialSpec.spec.runPolicy.activeDeadlineSeconds";
    if (seconds == nullptr || seconds->is_null()) return absl::OkStatus();
  }
  if (!seconds->is_number_integer() || seconds->get<int64_t>() <= 0) {
    return ShapeError(path, "must be a positive integer (seconds)");
  }
  cmd.active_deadline_seconds = seconds->get<int64_t>();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LocalCommand> LocalCommandFor(const core::Trial& trial) {
  const std::string& primary = trial.spec.primary_container_name;
  absl::StatusOr<Container> chosen = PrimaryContainer(trial.spec.run_spec, primary);
  if (!chosen.ok()) return chosen.status();
  LocalCommand cmd;
  if (absl::Status st = AppendStrings(*chosen, "command", cmd.argv); !st.ok()) return st;
  if (cmd.argv.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "container \"", primary,
        "\" has no command; the local executor cannot read an image's entrypoint, so set "
        "command (and args) in the trial template"));
  }
  if (absl::Status st = AppendStrings(*chosen, "args", cmd.argv); !st.ok()) return st;
  if (absl::Status st = AppendEnv(*chosen, trial, cmd); !st.ok()) return st;
  cmd.env.emplace_back("KATIB_TRIAL_NAME", trial.metadata.name);
  // The trial's namespace, which Katib's report_metrics reads from the service account's
  // files in a pod; ktune's reads it here (DBManager calls carry only the trial's name).
  cmd.env.emplace_back("KTUNE_TRIAL_NAMESPACE", trial.metadata.namespace_.empty()
                                                    ? std::string("default")
                                                    : trial.metadata.namespace_);
  if (absl::Status st = ReadActiveDeadline(trial.spec.run_spec, cmd); !st.ok()) return st;
  if (const json* wd = FieldOf(*chosen->node, "workingDir"); wd != nullptr && !wd->is_null()) {
    if (!wd->is_string()) return ShapeError(Join(chosen->path, "workingDir"), "must be a string");
    cmd.working_dir = wd->get<std::string>();
  }
  return cmd;
}

}  // namespace ktune::controller

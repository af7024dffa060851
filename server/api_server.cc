#include "server/api_server.h"

#include <httplib.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/defaults.h"
#include "core/json_access.h"
#include "core/mutex.h"
#include "core/time_util.h"
#include "core/validation.h"
#include "server/internal/reply.h"
#include "server/kube/discovery.h"
#include "server/kube/patch.h"
#include "server/kube/resources.h"
#include "server/kube/selectors.h"
#include "server/kube/status.h"
#include "server/kube/table.h"
#include "server/ui_data.h"

namespace ktune::server {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// What streams are sent as: httplib gzips plain "application/json" and "text/plain" bodies for
// clients that accept it, which for a stream means nothing arrives until it ends.
constexpr char kStreamJson[] = "application/json; charset=utf-8";
constexpr char kStreamText[] = "text/plain; charset=utf-8";
constexpr char kKatibGroup[] = "kubeflow.org";
constexpr char kKatibVersion[] = "v1beta1";
constexpr char kValidatorName[] = "validator.experiment.katib.kubeflow.org";

using internal::ErrorReply;
using internal::IntParam;
using internal::JsonReply;
using internal::kJson;
using internal::Param;
using internal::Reply;
using internal::StatusReply;

bool TrueParam(const httplib::Request& req, const char* name) {
  std::string v = Param(req, name);
  return v == "1" || v == "true" || v == "True";
}

// The object's labels from its JSON.
std::map<std::string, std::string> LabelsOf(const json& object) {
  std::map<std::string, std::string> labels;
  const json* meta = core::FieldOf(object, "metadata");
  const json* l = meta ? core::FieldOf(*meta, "labels") : nullptr;
  if (l && l->is_object()) {
    for (auto it = l->begin(); it != l->end(); ++it) {
      if (it.value().is_string()) labels[it.key()] = it.value().get<std::string>();
    }
  }
  return labels;
}

std::string MetaString(const json& object, const char* field) {
  const json* meta = core::FieldOf(object, "metadata");
  return meta ? core::StringFieldOr(*meta, field, "") : "";
}

// The value of a field selector's field on an object (metadata.name, metadata.namespace and,
// for pods, status.phase).
std::optional<std::string> FieldValue(const json& object, std::string_view field) {
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(field.data(), field.size()), '.');
  const json* node = &object;
  for (const std::string& p : parts) {
    node = node->is_object() ? core::FieldOf(*node, p) : nullptr;
    if (node == nullptr) return std::string();
  }
  if (node->is_string()) return node->get<std::string>();
  return node->dump();
}

// A selector pair parsed from a request.
struct Selectors {
  kube::LabelSelector labels;
  kube::FieldSelector fields;
  bool Matches(const json& object) const {
    if (!labels.Matches(LabelsOf(object))) return false;
    return fields.Matches([&](std::string_view field) -> std::optional<std::string> {
      return FieldValue(object, field);
    });
  }
};

absl::StatusOr<Selectors> ParseSelectors(const httplib::Request& req,
                                         const kube::ResourceInfo& info) {
  Selectors s;
  absl::StatusOr<kube::LabelSelector> labels =
      kube::LabelSelector::Parse(Param(req, "labelSelector"));
  if (!labels.ok()) return labels.status();
  s.labels = std::move(*labels);
  absl::StatusOr<kube::FieldSelector> fields =
      kube::FieldSelector::Parse(Param(req, "fieldSelector"));
  if (!fields.ok()) return fields.status();
  s.fields = std::move(*fields);
  if (absl::Status st = kube::CheckFields(s.fields, info.field_labels); !st.ok()) return st;
  return s;
}

// The value `name=` of a label selector that requires exactly one (list_trials' selector).
std::optional<std::string> RequiredExperiment(const httplib::Request& req) {
  std::string selector = Param(req, "labelSelector");
  for (absl::string_view part : absl::StrSplit(selector, ',')) {
    std::string p(absl::StripAsciiWhitespace(part));
    for (const std::string& prefix :
         {absl::StrCat(core::kExperimentLabel, "=="), absl::StrCat(core::kExperimentLabel, "=")}) {
      if (p.rfind(prefix, 0) == 0) {
        std::string value(absl::StripAsciiWhitespace(p.substr(prefix.size())));
        if (!value.empty()) return value;
      }
    }
  }
  return std::nullopt;
}

std::string RandomSuffix() {
  // Kubernetes' generateName alphabet (no vowels, no look-alike digits).
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return out;
}

bool IsCompletedTrial(const core::Trial& t) {
  for (const char* type : {core::kSucceeded, core::kFailed, core::kKilled, core::kEarlyStopped,
                           core::kMetricsUnavailable}) {
    if (core::IsConditionTrue(t.status.conditions, type)) return true;
  }
  return false;
}

bool IsRunningTrial(const core::Trial& t) {
  return core::IsConditionTrue(t.status.conditions, core::kRunning);
}

// Katib's Suggestion for an experiment, made from what the store holds: one per experiment,
// named after it, requesting as many trials as were created and listing their assignments.
json SuggestionJson(const core::Experiment& e, const std::vector<db::TrialSummary>& trials,
                    int64_t revision) {
  json s;
  s["apiVersion"] = core::kApiVersion;
  s["kind"] = "Suggestion";
  json meta;
  meta["name"] = e.metadata.name;
  meta["namespace"] = e.metadata.namespace_;
  meta["uid"] = e.metadata.uid + "-suggestion";
  meta["creationTimestamp"] = e.metadata.creation_timestamp;
  meta["resourceVersion"] = std::to_string(revision);
  meta["generation"] = 1;
  meta["labels"] = json::object({{core::kExperimentLabel, e.metadata.name}});
  meta["ownerReferences"] = json::array({json{{"apiVersion", core::kApiVersion},
                                              {"kind", "Experiment"},
                                              {"name", e.metadata.name},
                                              {"uid", e.metadata.uid},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}});
  s["metadata"] = std::move(meta);
  json spec;
  json algorithm = core::ExperimentToJson(e)["spec"]["algorithm"];
  spec["algorithm"] = algorithm.is_null() ? json::object() : algorithm;
  spec["requests"] = static_cast<int64_t>(trials.size());
  if (!e.spec.resume_policy.empty()) spec["resumePolicy"] = e.spec.resume_policy;
  s["spec"] = std::move(spec);
  json status;
  json suggestions = json::array();
  for (const db::TrialSummary& t : trials) {
    json a = json::array();
    for (const core::ParameterAssignment& p : t.parameter_assignments) {
      a.push_back({{"name", p.name}, {"value", p.value}});
    }
    suggestions.push_back({{"name", t.metadata.name}, {"parameterAssignments", std::move(a)}});
  }
  status["suggestionCount"] = static_cast<int64_t>(trials.size());
  status["suggestions"] = std::move(suggestions);
  const std::string created = e.metadata.creation_timestamp;
  json conditions = json::array();
  auto condition = [&](const char* type, const char* status_value, const char* reason,
                       const char* message) {
    conditions.push_back({{"type", type},
                          {"status", status_value},
                          {"reason", reason},
                          {"message", message},
                          {"lastUpdateTime", created},
                          {"lastTransitionTime", created}});
  };
  condition("Created", "True", "SuggestionCreated", "Suggestion is created");
  if (core::IsExperimentCompleted(e)) {
    condition("Running", "False", "SuggestionEnded", "Suggestion is not running");
    condition("Succeeded", "True", "SuggestionEnded", "Suggestion is succeeded");
  } else {
    condition("DeploymentReady", "True", "DeploymentReady",
              "Suggestion runs in the ktune server process");
    condition("Running", "True", "SuggestionRunning", "Suggestion is running");
  }
  status["conditions"] = std::move(conditions);
  if (!e.status.start_time.empty()) status["startTime"] = e.status.start_time;
  s["status"] = std::move(status);
  return s;
}

// A read-only core/v1 Pod for a trial that has started: what `kubectl get pods -l
// katib.kubeflow.org/trial=X`, `kubectl logs X` and the SDK's get_job_logs need.
json PodJson(const core::Trial& t) {
  json pod;
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  json meta;
  meta["name"] = t.metadata.name;
  meta["namespace"] = t.metadata.namespace_;
  meta["uid"] = t.metadata.uid + "-pod";
  meta["creationTimestamp"] =
      t.status.start_time.empty() ? t.metadata.creation_timestamp : t.status.start_time;
  meta["resourceVersion"] = t.metadata.resource_version;
  json labels = json::object();
  for (const auto& [k, v] : t.metadata.labels) labels[k] = v;
  for (const auto& [k, v] : t.spec.primary_pod_labels) labels[k] = v;
  labels[core::kTrialLabel] = t.metadata.name;
  meta["labels"] = std::move(labels);
  meta["ownerReferences"] = json::array({json{{"apiVersion", core::kApiVersion},
                                              {"kind", "Trial"},
                                              {"name", t.metadata.name},
                                              {"uid", t.metadata.uid},
                                              {"controller", true}}});
  pod["metadata"] = std::move(meta);
  const std::string container =
      t.spec.primary_container_name.empty() ? "training-container" : t.spec.primary_container_name;
  json containers = json::array({json{{"name", container}, {"image", "local-process"}}});
  if (t.spec.metrics_collector.kind == "StdOut") {
    containers.push_back({{"name", "metrics-logger-and-collector"}, {"image", "ktune"}});
  }
  pod["spec"] = {{"containers", containers}, {"restartPolicy", "Never"}, {"nodeName", "local"}};
  std::string phase = "Pending";
  bool running = IsRunningTrial(t);
  if (core::IsConditionTrue(t.status.conditions, core::kSucceeded) ||
      core::IsConditionTrue(t.status.conditions, core::kMetricsUnavailable) ||
      core::IsConditionTrue(t.status.conditions, core::kEarlyStopped)) {
    phase = "Succeeded";
  } else if (IsCompletedTrial(t)) {
    phase = "Failed";
  } else if (running) {
    phase = "Running";
  }
  json statuses = json::array();
  for (const json& c : containers) {
    // image and imageID are required fields of a ContainerStatus (the Python client refuses
    // a status without imageID).
    json st = {{"name", c["name"]}, {"ready", running},
               {"restartCount", 0}, {"image", c.value("image", "")},
               {"imageID", ""},     {"started", running}};
    if (running) {
      st["state"] = {{"running", {{"startedAt", t.status.start_time}}}};
    } else if (phase == "Succeeded" || phase == "Failed") {
      st["state"] = {{"terminated",
                      {{"exitCode", phase == "Succeeded" ? 0 : 1},
                       {"reason", phase == "Succeeded" ? "Completed" : "Error"},
                       {"startedAt", t.status.start_time},
                       {"finishedAt", t.status.completion_time}}}};
    } else {
      st["state"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
    }
    statuses.push_back(std::move(st));
  }
  json status = {{"phase", phase}, {"containerStatuses", std::move(statuses)}};
  if (!t.status.start_time.empty()) status["startTime"] = t.status.start_time;
  pod["status"] = std::move(status);
  return pod;
}

bool HasStarted(const core::Trial& t) {
  return !t.status.start_time.empty() || IsRunningTrial(t) || IsCompletedTrial(t);
}

std::string KindOfChange(db::ObjectKind kind) {
  switch (kind) {
    case db::ObjectKind::kExperiment:
      return "Experiment";
    case db::ObjectKind::kTrial:
      return "Trial";
    case db::ObjectKind::kSuggestionState:
      return "Suggestion";
  }
  return "";
}

std::string TypeOfChange(db::ChangeType type) {
  switch (type) {
    case db::ChangeType::kAdded:
      return "ADDED";
    case db::ChangeType::kModified:
      return "MODIFIED";
    case db::ChangeType::kDeleted:
      return "DELETED";
  }
  return "";
}

// Fields of the experiment as written that Katib's API does not have (Katib's CRDs keep unknown
// fields and its controller drops them, so they are not errors): the apiserver's
// `unknown field "spec.maxTrialCounts"` warnings, so a typo does not go unnoticed. Katib's
// defaulter removes unknown fields and empty values alike; an empty value is not reported.
std::vector<std::string> UnknownFieldWarnings(const json& raw) {
  std::vector<std::string> out;
  if (!raw.is_object()) return out;
  // Pointers from the document's root, all under /spec.
  for (const std::string& pointer : core::KatibDefaulterRemovals(raw)) {
    const json* node = &raw;
    std::string path;
    for (absl::string_view token : absl::StrSplit(absl::string_view(pointer).substr(1), '/')) {
      std::string key = absl::StrReplaceAll(token, {{"~1", "/"}, {"~0", "~"}});
      if (node->is_array()) {
        size_t index = 0;
        if (!absl::SimpleAtoi(key, &index) || index >= node->size()) {
          node = nullptr;
          break;
        }
        node = &(*node)[index];
        absl::StrAppend(&path, "[", index, "]");
      } else if (node->is_object() && node->contains(key)) {
        node = &(*node)[key];
        absl::StrAppend(&path, path.empty() ? "" : ".", key);
      } else {
        node = nullptr;
        break;
      }
    }
    if (node == nullptr || node->is_null() || node->is_boolean() ||
        (node->is_number() && *node == 0) ||
        (node->is_string() && node->get_ref<const std::string&>().empty()) ||
        (node->is_structured() && node->empty())) {
      continue;
    }
    out.push_back(absl::StrCat("unknown field \"", path, "\""));
    if (out.size() == 16) break;
  }
  return out;
}

// Reads a process's resident set size (bytes) from /proc/self/statm.
int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// An object of a list: its JSON and, where it is cached, that JSON as text. A cached
// experiment's `value` is its summary (Summary below): what selectors and Table rows read;
// Full() gives the whole object.
struct Item {
  std::shared_ptr<const json> value;
  std::shared_ptr<const std::string> text;  // null: dump `value`
  bool summary = false;
  json Full() const {
    if (!summary) return *value;
    return json::parse(*text, nullptr, false);
  }
};

// What of an experiment a list keeps parsed: metadata, the fields Table rows show and the
// status counts; not the template, the parameters or the trial-name lists (the bulk of it).
json Summary(const json& experiment) {
  json out = json::object();
  for (const char* field : {"apiVersion", "kind", "metadata"}) {
    if (experiment.contains(field)) out[field] = experiment[field];
  }
  if (const json* spec = core::FieldOf(experiment, "spec"); spec && spec->is_object()) {
    json& s = out["spec"] = json::object();
    for (const char* field : {"algorithm", "objective", "maxTrialCount", "parallelTrialCount",
                              "maxFailedTrialCount", "resumePolicy"}) {
      if (spec->contains(field)) s[field] = (*spec)[field];
    }
  }
  if (const json* status = core::FieldOf(experiment, "status"); status && status->is_object()) {
    json& s = out["status"] = json::object();
    for (auto it = status->begin(); it != status->end(); ++it) {
      if (!absl::EndsWith(it.key(), "TrialList")) s[it.key()] = it.value();
    }
  }
  return out;
}

// Every experiment's JSON, parsed (selectors, Tables) and as text (JSON lists), kept current
// from the store's change feed at each Sync: listing a thousand experiments then decodes only
// those that changed since the last list. Thread-safe.
class ExperimentCache {
 public:
  explicit ExperimentCache(db::ExperimentStore& store) : store_(store) {}

  // Brings the cache up to the store's revision; returns the revision it reflects (every
  // change up to it is in, later ones may be too).
  absl::StatusOr<int64_t> Sync() {
    MutexLock lock(mu_);
    if (revision_ >= 0) {
      while (true) {
        absl::StatusOr<db::ChangeBatch> batch = store_.ChangesSince(revision_, 10000);
        if (absl::IsOutOfRange(batch.status())) break;  // too far behind: load again
        if (!batch.ok()) return batch.status();
        std::set<std::pair<std::string, std::string>> changed;
        for (const db::Change& c : batch->changes) {
          if (c.kind == db::ObjectKind::kExperiment) changed.insert({c.ns, c.name});
        }
        for (const auto& key : changed) {
          absl::StatusOr<core::Experiment> e = store_.GetExperiment(key.first, key.second);
          if (absl::IsNotFound(e.status())) {
            objects_.erase(key);
          } else if (!e.ok()) {
            return e.status();
          } else {
            objects_[key] = Make(*e);
          }
        }
        revision_ = std::max(revision_, batch->revision);
        if (batch->changes.empty()) return revision_;
      }
    }
    // First use, or the feed's window moved past us: read everything.
    absl::StatusOr<int64_t> revision = store_.Revision();
    if (!revision.ok()) return revision.status();
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const Entry>> objects;
    db::ListOptions options;
    options.limit = 500;
    while (true) {
      absl::StatusOr<db::Page<core::Experiment>> page = store_.ListExperiments(options);
      if (!page.ok()) return page.status();
      for (const core::Experiment& e : page->items) {
        objects[{e.metadata.namespace_, e.metadata.name}] = Make(e);
      }
      if (page->continue_token.empty()) break;
      options.continue_token = page->continue_token;
    }
    objects_ = std::move(objects);
    // Changes made while reading are read again at the next Sync (a write after `revision`
    // may already be in; reading it twice is harmless).
    revision_ = *revision;
    return revision_;
  }

  // Appends the experiments of `ns` (empty: all), ordered by (namespace, name).
  void Collect(const std::string& ns, std::vector<Item>& out) {
    MutexLock lock(mu_);
    auto it = ns.empty() ? objects_.begin() : objects_.lower_bound({ns, ""});
    for (; it != objects_.end() && (ns.empty() || it->first.first == ns); ++it) {
      out.push_back({std::shared_ptr<const json>(it->second, &it->second->summary),
                     std::shared_ptr<const std::string>(it->second, &it->second->text), true});
    }
  }

 private:
  struct Entry {
    json summary;
    std::string text;
  };
  static std::shared_ptr<const Entry> Make(const core::Experiment& e) {
    auto entry = std::make_shared<Entry>();
    const json value = core::ExperimentToJson(e);
    entry->text = value.dump();
    entry->summary = Summary(value);
    return entry;
  }

  db::ExperimentStore& store_;
  Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = -1;  // -1: not loaded
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Entry>> objects_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace

class ApiServer::Impl {
 public:
  Impl(ApiServerOptions options, std::atomic<int64_t>& requests)
      : options_(std::move(options)),
        store_(*options_.store),
        manager_(*options_.manager),
        requests_(requests),
        experiments_cache_(store_),
        observations_(std::make_shared<ObservationFeed>(store_)),
        ui_data_(store_, manager_) {
    // The listener holds the feed: a report in flight while this server goes finds it alive.
    manager_.SetMetricsListener(
        [feed = observations_](const std::string& trial, const controller::ExperimentKey& key) {
          feed->Publish(key.ns, trial, key.name);
        });
  }
  ~Impl() {
    manager_.SetMetricsListener(nullptr);
    observations_->Stop();
  }

  void Install(httplib::Server& http);
  absl::Status Prepare() { return experiments_cache_.Sync().status(); }
  void Shutdown() {
    stopping_.store(true);
    observations_->Stop();
    // Watches wake at their next slice; nothing else blocks for long.
  }

 private:
  using Handler = internal::Handler;

  // Wraps a handler: counts it, checks the token, writes the Reply (unless the handler set a
  // streaming response itself, signalled by an empty content type).
  httplib::Server::Handler Route(Handler handler, bool open = false) {
    return [this, handler = std::move(handler), open](const httplib::Request& req,
                                                      httplib::Response& res) {
      requests_.fetch_add(1);
      if (!open && !Authorized(req)) {
        Write(StatusReply(401, "Unauthorized", "Unauthorized"), res);
        return;
      }
      Reply reply;
      try {
        reply = handler(req, res);
      } catch (const std::exception& e) {
        // Nothing below should throw; a bug must not take the server down.
        spdlog::error("server: {} {}: {}", req.method, req.path, e.what());
        reply = StatusReply(500, "InternalError", absl::StrCat("internal error: ", e.what()));
      }
      if (reply.content_type.empty()) return;  // streaming, already set up
      Write(std::move(reply), res);
    };
  }

  bool Authorized(const httplib::Request& req) const {
    if (options_.token.empty()) return true;
    std::string auth = req.get_header_value("Authorization");
    const std::string expected = "Bearer " + options_.token;
    if (auth.size() != expected.size()) return false;
    unsigned char diff = 0;  // constant time
    for (size_t i = 0; i < auth.size(); ++i) diff |= auth[i] ^ expected[i];
    return diff == 0;
  }

  static void Write(Reply&& reply, httplib::Response& res) {
    res.status = reply.status;
    for (const std::string& w : reply.warnings) {
      // RFC 7234's warn-text, a quoted string, as the apiserver writes it.
      std::string text;
      for (char c : w) {
        if (c == '"' || c == '\\') text += '\\';
        text += (c == '\n' || c == '\r') ? ' ' : c;
      }
      res.set_header("Warning", absl::StrCat("299 - \"", text, "\""));
    }
    // What set_content does, without copying a body that may be megabytes.
    res.body = std::move(reply.body);
    res.set_header("Content-Type", reply.content_type);
  }

  // ---- reading objects ----------------------------------------------------------------------

  absl::StatusOr<json> GetObject(const kube::ResourceInfo& info, const std::string& ns,
                                 const std::string& name) {
    if (info.resource == "experiments") {
      absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
      if (!e.ok()) return e.status();
      return core::ExperimentToJson(*e);
    }
    if (info.resource == "trials") {
      absl::StatusOr<core::Trial> t = store_.GetTrial(ns, name);
      if (!t.ok()) return t.status();
      return core::TrialToJson(*t);
    }
    if (info.resource == "suggestions") {
      absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
      if (!e.ok()) return e.status();
      return SuggestionOf(*e);
    }
    if (info.resource == "pods") {
      absl::StatusOr<core::Trial> t = store_.GetTrial(ns, name);
      if (!t.ok()) return t.status();
      if (!HasStarted(*t)) return absl::NotFoundError("not started");
      return PodJson(*t);
    }
    return absl::NotFoundError("no such resource");
  }

  absl::StatusOr<json> SuggestionOf(const core::Experiment& e) {
    absl::StatusOr<db::Page<db::TrialSummary>> trials =
        store_.ListTrialSummaries(e.metadata.namespace_, e.metadata.name, {});
    if (!trials.ok()) return trials.status();
    int64_t revision = 0;
    if (!absl::SimpleAtoi(e.metadata.resource_version, &revision)) revision = 0;
    for (const db::TrialSummary& t : trials->items) {
      int64_t r = 0;
      if (absl::SimpleAtoi(t.metadata.resource_version, &r)) revision = std::max(revision, r);
    }
    return SuggestionJson(e, trials->items, revision);
  }

  absl::StatusOr<std::vector<core::Experiment>> AllExperiments(const std::string& ns,
                                                               int64_t* revision) {
    std::vector<core::Experiment> out;
    db::ListOptions options;
    options.ns = ns;
    options.limit = 500;
    bool first = true;
    while (true) {
      absl::StatusOr<db::Page<core::Experiment>> page = store_.ListExperiments(options);
      if (!page.ok()) return page.status();
      if (first && revision) *revision = page->revision;
      first = false;
      for (core::Experiment& e : page->items) out.push_back(std::move(e));
      if (page->continue_token.empty()) break;
      options.continue_token = page->continue_token;
    }
    return out;
  }

  // Every object of a kind in a namespace (empty: all), with the store's revision before the
  // read (a watch from it misses nothing). Experiments come from the cache.
  absl::StatusOr<std::vector<Item>> ListObjects(const kube::ResourceInfo& info,
                                                const std::string& ns, const httplib::Request& req,
                                                int64_t* revision) {
    std::vector<Item> out;
    if (info.resource == "experiments") {
      absl::StatusOr<int64_t> synced = experiments_cache_.Sync();
      if (!synced.ok()) return synced.status();
      *revision = *synced;
      experiments_cache_.Collect(ns, out);
      return out;
    }
    absl::StatusOr<int64_t> rev = store_.Revision();
    if (!rev.ok()) return rev.status();
    *revision = *rev;
    auto add = [&out](json value) {
      out.push_back({std::make_shared<const json>(std::move(value)), nullptr});
    };
    if (info.resource == "suggestions") {
      absl::StatusOr<std::vector<core::Experiment>> all = AllExperiments(ns, nullptr);
      if (!all.ok()) return all.status();
      for (const core::Experiment& e : *all) {
        absl::StatusOr<json> s = SuggestionOf(e);
        if (!s.ok()) return s.status();
        add(std::move(*s));
      }
      return out;
    }
    // Trials and pods: per experiment; a selector naming one experiment reads only it.
    std::vector<std::pair<std::string, std::string>> experiments;
    if (std::optional<std::string> only = RequiredExperiment(req); only && !ns.empty()) {
      experiments.emplace_back(ns, *only);
    } else {
      absl::StatusOr<std::vector<core::Experiment>> all = AllExperiments(ns, nullptr);
      if (!all.ok()) return all.status();
      for (const core::Experiment& e : *all) {
        experiments.emplace_back(e.metadata.namespace_, e.metadata.name);
      }
    }
    for (const auto& [e_ns, e_name] : experiments) {
      absl::StatusOr<std::vector<core::Trial>> trials = store_.ListTrials(e_ns, e_name);
      if (absl::IsNotFound(trials.status())) continue;
      if (!trials.ok()) return trials.status();
      for (const core::Trial& t : *trials) {
        if (info.resource == "trials") {
          add(core::TrialToJson(t));
        } else if (HasStarted(t)) {
          add(PodJson(t));
        }
      }
    }
    return out;
  }

  // ---- handlers -------------------------------------------------------------------------------

  Reply List(const kube::ResourceInfo& info, const std::string& ns, const httplib::Request& req,
             httplib::Response& res) {
    absl::StatusOr<Selectors> selectors = ParseSelectors(req, info);
    if (!selectors.ok())
      return StatusReply(400, "BadRequest", std::string(selectors.status().message()));
    absl::StatusOr<kube::IncludeObject> include =
        kube::ParseIncludeObject(Param(req, "includeObject"));
    if (!include.ok())
      return StatusReply(400, "BadRequest", std::string(include.status().message()));
    const bool table = kube::WantsTable(req.get_header_value("Accept"));
    if (TrueParam(req, "watch")) return Watch(info, ns, req, res, *selectors, table, *include);
    int64_t revision = 0;
    absl::StatusOr<std::vector<Item>> objects = ListObjects(info, ns, req, &revision);
    if (!objects.ok()) return ErrorReply(objects.status(), &info);
    std::vector<Item> items;
    for (Item& o : *objects) {
      if (selectors->Matches(*o.value)) items.push_back(std::move(o));
    }
    // limit/continue: pages over the filtered, ordered items; the token is the next offset.
    std::optional<int64_t> limit_param = IntParam(req, "limit", 0);
    if (!limit_param) return StatusReply(400, "BadRequest", "limit must be an integer");
    int64_t limit = *limit_param;
    if (limit <= 0 && options_.max_list_items > 0) limit = options_.max_list_items;
    int64_t offset = 0;
    std::string cont = Param(req, "continue");
    if (!cont.empty()) {
      std::vector<std::string> parts = absl::StrSplit(cont, ':');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &revision) ||
          !absl::SimpleAtoi(parts[1], &offset) || offset < 0) {
        return StatusReply(400, "BadRequest", "invalid continue token");
      }
    }
    std::string next;
    if (offset > 0 || (limit > 0 && static_cast<int64_t>(items.size()) > limit)) {
      std::vector<Item> page;
      for (int64_t i = offset;
           i < static_cast<int64_t>(items.size()) && (limit <= 0 || i < offset + limit); ++i) {
        page.push_back(std::move(items[i]));
      }
      if (limit > 0 && offset + limit < static_cast<int64_t>(items.size())) {
        next = absl::StrCat(revision, ":", offset + limit);
      }
      items = std::move(page);
    }
    const std::string rv = std::to_string(revision);
    if (table) {
      // Rows read the summaries, unless they carry the whole object.
      std::vector<json> full;
      if (*include == kube::IncludeObject::kObject) {
        full.reserve(items.size());
        for (const Item& o : items) full.push_back(o.Full());
      }
      std::vector<const json*> rows;
      for (size_t i = 0; i < items.size(); ++i) {
        rows.push_back(full.empty() ? items[i].value.get() : &full[i]);
      }
      json t = kube::TableOf(info, rows, *include, absl::Now(), true, rv);
      if (!next.empty()) t["metadata"]["continue"] = next;
      Reply r = JsonReply(200, t);
      r.content_type = kube::kTableContentType;
      return r;
    }
    // The list as text, from each item's cached text where it has one.
    json head;
    head["kind"] = info.list_kind;
    head["apiVersion"] = info.group.empty() ? info.version : info.group + "/" + info.version;
    head["metadata"] = {{"resourceVersion", rv}};
    if (!next.empty()) head["metadata"]["continue"] = next;
    std::string body = head.dump();
    size_t size = body.size() + 16;
    for (const Item& item : items) size += item.text ? item.text->size() + 1 : 0;
    body.reserve(size);
    body.pop_back();  // the closing brace
    body += ",\"items\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) body += ',';
      if (items[i].text) {
        body += *items[i].text;
      } else {
        body += items[i].value->dump();
      }
    }
    body += "]}";
    Reply r;
    r.body = std::move(body);
    return r;
  }

  Reply Get(const kube::ResourceInfo& info, const std::string& ns, const std::string& name,
            const httplib::Request& req) {
    absl::StatusOr<json> object = GetObject(info, ns, name);
    if (!object.ok()) return ErrorReply(object.status(), &info, name);
    if (kube::WantsTable(req.get_header_value("Accept"))) {
      absl::StatusOr<kube::IncludeObject> include =
          kube::ParseIncludeObject(Param(req, "includeObject"));
      if (!include.ok())
        return StatusReply(400, "BadRequest", std::string(include.status().message()));
      std::vector<const json*> rows = {&*object};
      Reply r = JsonReply(200, kube::TableOf(info, rows, *include, absl::Now(), true,
                                             MetaString(*object, "resourceVersion")));
      r.content_type = kube::kTableContentType;
      return r;
    }
    return JsonReply(200, *object);
  }

  // The keys (namespace, name) of `info` objects that a change may have changed.
  std::optional<std::pair<std::string, std::string>> KeyOfChange(const kube::ResourceInfo& info,
                                                                 const db::Change& c) {
    if (info.resource == "experiments") {
      if (c.kind != db::ObjectKind::kExperiment) return std::nullopt;
      return std::make_pair(c.ns, c.name);
    }
    if (info.resource == "trials" || info.resource == "pods") {
      if (c.kind != db::ObjectKind::kTrial) return std::nullopt;
      return std::make_pair(c.ns, c.name);
    }
    if (info.resource == "suggestions") {
      if (c.kind == db::ObjectKind::kSuggestionState) return std::nullopt;
      return std::make_pair(c.ns, c.experiment);
    }
    return std::nullopt;
  }

  // A watch: newline-delimited events from `resourceVersion` on (or, without one, ADDED for
  // every current object first), filtered by the selectors, Tables when asked.
  Reply Watch(const kube::ResourceInfo& info, const std::string& ns, const httplib::Request& req,
              httplib::Response& res, const Selectors& selectors, bool table,
              kube::IncludeObject include) {
    int64_t from = 0;
    std::string rv_param = Param(req, "resourceVersion");
    const bool initial = rv_param.empty() || rv_param == "0";
    if (!initial && (!absl::SimpleAtoi(rv_param, &from) || from < 0)) {
      return StatusReply(400, "BadRequest",
                         absl::StrCat("invalid resourceVersion \"", rv_param, "\""));
    }
    std::optional<int64_t> timeout_param = IntParam(req, "timeoutSeconds", 0);
    if (!timeout_param) return StatusReply(400, "BadRequest", "timeoutSeconds must be an integer");
    const int64_t timeout_seconds = *timeout_param;
    const bool bookmarks = TrueParam(req, "allowWatchBookmarks");
    const absl::Time deadline =
        timeout_seconds > 0 ? absl::Now() + absl::Seconds(timeout_seconds) : absl::InfiniteFuture();
    // Objects sent so far by key, for DELETED events and objects leaving the selection.
    auto state = std::make_shared<WatchState>();
    if (initial) {
      absl::StatusOr<std::vector<Item>> objects = ListObjects(info, ns, req, &from);
      if (!objects.ok()) return ErrorReply(objects.status(), &info);
      for (const Item& o : *objects) {
        if (selectors.Matches(*o.value)) state->pending.emplace_back("ADDED", o.Full());
      }
    } else if (absl::StatusOr<db::ChangeBatch> probe = store_.ChangesSince(from, 1);
               absl::IsOutOfRange(probe.status())) {
      // Too old: one ERROR event, then the end (informers list again).
      state->pending.emplace_back(
          "ERROR",
          kube::StatusJson(410, "Expired", absl::StrCat("too old resource version: ", from)));
      state->expired = true;
    }
    state->revision = from;
    // With a parameter, so that httplib does not gzip the stream: its compressor would hold
    // every event back until the stream ends (kubectl asks for gzip).
    const std::string content_type = table ? kube::kTableContentType : kStreamJson;
    res.status = 200;
    res.set_chunked_content_provider(content_type, [this, &info, ns, selectors, table, include,
                                                    deadline, bookmarks,
                                                    state](size_t, httplib::DataSink& sink) {
      auto send = [&](const std::string& type, const json& object) {
        json out = object;
        if (table && type != "ERROR" && type != "BOOKMARK") {
          std::vector<const json*> rows = {&object};
          out = kube::TableOf(info, rows, include, absl::Now(), !state->sent_header,
                              MetaString(object, "resourceVersion"));
          state->sent_header = true;
        }
        std::string line = kube::WatchEvent(type, std::move(out)).dump() + "\n";
        return sink.write(line.data(), line.size());
      };
      for (auto& [type, object] : state->pending) {
        if (type != "ERROR") state->Remember(object);
        if (!send(type, object)) return false;
      }
      state->pending.clear();
      if (state->expired) {
        sink.done();
        return true;
      }
      while (!stopping_.load() && absl::Now() < deadline) {
        absl::StatusOr<db::ChangeBatch> batch = store_.ChangesSince(state->revision, 1000);
        if (absl::IsOutOfRange(batch.status())) {
          send("ERROR",
               kube::StatusJson(410, "Expired",
                                absl::StrCat("too old resource version: ", state->revision)));
          break;
        }
        if (!batch.ok()) break;
        // One event per object and batch, from its current state and its last change (a
        // deletion is then seen even when the object was created in the same batch).
        std::vector<std::pair<std::string, std::string>> order;
        std::map<std::pair<std::string, std::string>, const db::Change*> last;
        for (const db::Change& c : batch->changes) {
          std::optional<std::pair<std::string, std::string>> key = KeyOfChange(info, c);
          if (!key || (!ns.empty() && key->first != ns)) continue;
          auto [it, inserted] = last.emplace(*key, &c);
          if (inserted) {
            order.push_back(*key);
          } else if (c.type == db::ChangeType::kDeleted ||
                     it->second->type != db::ChangeType::kAdded) {
            it->second = &c;  // an object added in this batch stays ADDED unless deleted
          }
        }
        for (const auto& key : order) {
          if (!Emit(info, key, *last[key], selectors, *state, send)) return false;
        }
        state->revision = std::max(state->revision, batch->revision);
        if (!batch->changes.empty()) continue;
        absl::Duration wait =
            std::min(absl::Milliseconds(options_.watch_slice_ms), deadline - absl::Now());
        if (wait <= absl::ZeroDuration()) break;
        int64_t now = store_.WaitForChanges(state->revision, wait);
        if (now <= state->revision) {
          if (!sink.is_writable()) return false;
          if (bookmarks) {
            std::string line =
                kube::WatchEvent("BOOKMARK",
                                 kube::BookmarkObject(info, std::to_string(state->revision), table))
                    .dump() +
                "\n";
            if (!sink.write(line.data(), line.size())) return false;
          }
        }
      }
      sink.done();
      return true;
    });
    Reply streaming;
    streaming.content_type.clear();
    return streaming;
  }

  struct WatchState {
    int64_t revision = 0;
    bool sent_header = false;
    bool expired = false;
    std::vector<std::pair<std::string, json>> pending;
    // Last object sent per key and its resourceVersion.
    std::map<std::pair<std::string, std::string>, json> known;
    void Remember(const json& object) {
      known[{MetaString(object, "namespace"), MetaString(object, "name")}] = object;
    }
  };

  template <typename Send>
  bool Emit(const kube::ResourceInfo& info, const std::pair<std::string, std::string>& key,
            const db::Change& change, const Selectors& selectors, WatchState& state, Send& send) {
    absl::StatusOr<json> object = GetObject(info, key.first, key.second);
    auto known = state.known.find(key);
    if (!object.ok()) {
      if (!absl::IsNotFound(object.status())) return true;  // read again at the next change
      json last;
      if (known != state.known.end()) {
        last = known->second;
        state.known.erase(known);
      } else if (change.type != db::ChangeType::kDeleted) {
        return true;  // not visible yet (a pod of a trial that has not started)
      } else {
        // Deleted before this watch saw it: what the change says about it.
        last = {{"apiVersion", info.group.empty() ? info.version : info.group + "/" + info.version},
                {"kind", info.kind},
                {"metadata", {{"name", key.second}, {"namespace", key.first}}}};
        if (info.resource != "experiments") {
          last["metadata"]["labels"] = {{core::kExperimentLabel, change.experiment}};
        }
        if (!selectors.Matches(last)) return true;
      }
      last["metadata"]["resourceVersion"] = std::to_string(change.revision);
      return send("DELETED", last);
    }
    const bool matches = selectors.Matches(*object);
    if (known != state.known.end()) {
      if (MetaString(known->second, "resourceVersion") == MetaString(*object, "resourceVersion") &&
          known->second == *object) {
        return true;  // already sent this version
      }
      if (!matches) {
        json last = std::move(known->second);
        state.known.erase(known);
        return send("DELETED", last);
      }
      state.known[key] = *object;
      return send("MODIFIED", *object);
    }
    if (!matches) return true;
    state.known[key] = *object;
    // A pod appears when its trial starts, which the store records as a modification.
    const bool added = change.type == db::ChangeType::kAdded || info.resource == "pods";
    return send(added ? "ADDED" : "MODIFIED", *object);
  }

  // ---- writes ---------------------------------------------------------------------------------

  absl::StatusOr<json> ParseBody(const httplib::Request& req) {
    absl::StatusOr<json> body = kube::ParseJsonBody(req.body);
    if (!body.ok()) {
      // Server-side apply bodies may be YAML.
      absl::StatusOr<json> yaml = core::ParseYamlDocument(req.body);
      if (!yaml.ok()) return body.status();
      return yaml;
    }
    return body;
  }

  // The admission of an experiment: defaults, Katib's validation, what cannot run here.
  // nullopt when admitted (warnings appended to `warnings`), else the 422 reply.
  std::optional<Reply> Admit(core::Experiment& e, const json& raw, const core::Experiment* old,
                             std::vector<std::string>& warnings) {
    core::SetDefaults(e);
    core::ValidationOptions validation = options_.validation;
    validation.raw_experiment = &raw;
    validation.old_experiment = old;
    std::vector<core::FieldError> errors = core::ValidateExperiment(e, validation);
    for (std::string& w : UnknownFieldWarnings(raw)) warnings.push_back(std::move(w));
    std::vector<const core::FieldError*> denied;
    for (const core::FieldError& f : errors) {
      if (f.severity == core::FieldError::Severity::kError || f.blocks_run) {
        denied.push_back(&f);
      } else {
        warnings.push_back(f.ToString());
      }
    }
    if (!denied.empty()) return Invalid(e.metadata.name, denied);
    if (options_.check_runnable && old == nullptr) {
      if (absl::Status st = options_.check_runnable(e); !st.ok()) {
        json causes = json::array({json{{"reason", "FieldValueInvalid"},
                                        {"message", std::string(st.message())},
                                        {"field", "spec"}}});
        return StatusReply(422, "Invalid",
                           absl::StrCat("Experiment \"", e.metadata.name,
                                        "\" cannot run on this ktune server: ", st.message()),
                           {{"name", e.metadata.name},
                            {"group", kKatibGroup},
                            {"kind", "Experiment"},
                            {"causes", causes}});
      }
    }
    return std::nullopt;
  }

  static Reply Invalid(const std::string& name,
                       const std::vector<const core::FieldError*>& denied) {
    std::vector<std::string> messages;
    json causes = json::array();
    for (const core::FieldError* f : denied) {
      messages.push_back(f->KatibMessage());
      std::string message = f->KatibMessage();
      if (!f->field.empty() && message.rfind(f->field + ": ", 0) == 0) {
        message = message.substr(f->field.size() + 2);
      }
      if (!f->hint.empty()) absl::StrAppend(&message, " (", f->hint, ")");
      const char* reason = f->type == core::FieldError::Type::kRequired    ? "FieldValueRequired"
                           : f->type == core::FieldError::Type::kForbidden ? "FieldValueForbidden"
                                                                           : "FieldValueInvalid";
      causes.push_back({{"reason", reason}, {"message", message}, {"field", f->field}});
    }
    std::string joined =
        messages.size() == 1 ? messages[0] : "[" + absl::StrJoin(messages, ", ") + "]";
    return StatusReply(
        422, "Invalid",
        absl::StrCat("admission webhook \"", kValidatorName, "\" denied the request: ", joined),
        {{"name", name},
         {"group", kKatibGroup},
         {"kind", "Experiment"},
         {"causes", std::move(causes)}});
  }

  // Checks what a body says about where it goes: kind, apiVersion, namespace, name.
  std::optional<Reply> CheckIdentity(const json& body, const std::string& ns,
                                     const std::string* name) {
    if (!body.is_object()) return StatusReply(400, "BadRequest", "the body is not a JSON object");
    std::string api = core::StringFieldOr(body, "apiVersion", core::kApiVersion);
    std::string kind = core::StringFieldOr(body, "kind", "Experiment");
    if (api != core::kApiVersion || kind != "Experiment") {
      return StatusReply(400, "BadRequest",
                         absl::StrCat("the object is ", api, "/", kind,
                                      ", this path takes kubeflow.org/v1beta1 Experiment"));
    }
    std::string body_ns = MetaString(body, "namespace");
    if (!body_ns.empty() && body_ns != ns) {
      return StatusReply(400, "BadRequest",
                         "the namespace of the provided object does not match the namespace sent "
                         "on the request");
    }
    if (name != nullptr) {
      std::string body_name = MetaString(body, "name");
      if (!body_name.empty() && body_name != *name) {
        return StatusReply(400, "BadRequest",
                           "the name of the object (" + body_name +
                               ") does not match the name on the URL (" + *name + ")");
      }
    }
    return std::nullopt;
  }

  Reply Create(const kube::ResourceInfo& info, const std::string& ns, const httplib::Request& req) {
    if (info.resource != "experiments") return ReadOnly(info);
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return StatusReply(400, "BadRequest", std::string(body.status().message()));
    return CreateFrom(info, ns, std::move(*body),
                      TrueParam(req, "dryRun") || Param(req, "dryRun") == "All");
  }

  Reply CreateFrom(const kube::ResourceInfo& info, const std::string& ns, json body, bool dry_run) {
    if (std::optional<Reply> bad = CheckIdentity(body, ns, nullptr)) return *bad;
    body["metadata"]["namespace"] = ns;
    if (MetaString(body, "name").empty()) {
      std::string generate = MetaString(body, "generateName");
      if (generate.empty()) {
        return StatusReply(422, "Invalid",
                           "Experiment.kubeflow.org \"\" is invalid: metadata.name: Required "
                           "value: name or generateName is required",
                           {{"group", kKatibGroup},
                            {"kind", "Experiment"},
                            {"causes", json::array({json{{"reason", "FieldValueRequired"},
                                                         {"message",
                                                          "Required value: name or generateName "
                                                          "is required"},
                                                         {"field", "metadata.name"}}})}});
      }
      body["metadata"]["name"] = generate + RandomSuffix();
    }
    body.erase("status");
    for (const char* field : {"uid", "resourceVersion", "creationTimestamp", "generation"}) {
      body["metadata"].erase(field);
    }
    absl::StatusOr<core::Experiment> parsed = core::ExperimentFromJson(body);
    if (!parsed.ok()) return StatusReply(400, "BadRequest", std::string(parsed.status().message()));
    core::Experiment e = std::move(*parsed);
    std::vector<std::string> warnings;
    if (std::optional<Reply> denied = Admit(e, body, nullptr, warnings)) return *denied;
    e.status = {};
    Reply reply;
    if (dry_run) {
      reply = JsonReply(201, core::ExperimentToJson(e));
    } else {
      e.metadata.creation_timestamp = core::NowRfc3339();
      absl::StatusOr<core::Experiment> stored = store_.CreateExperiment(e);
      if (!stored.ok()) return ErrorReply(stored.status(), &info, e.metadata.name);
      manager_.Enqueue({ns, e.metadata.name});
      reply = JsonReply(201, core::ExperimentToJson(*stored));
    }
    reply.warnings = std::move(warnings);
    return reply;
  }

  static Reply ReadOnly(const kube::ResourceInfo& info) {
    return StatusReply(405, "MethodNotAllowed",
                       absl::StrCat(info.resource, ".", info.group,
                                    " are written by the experiment's controller; create, change "
                                    "or delete the Experiment instead"));
  }

  // PUT and PATCH of an experiment or its status.
  Reply Update(const kube::ResourceInfo& info, const std::string& ns, const std::string& name,
               const httplib::Request& req, bool status_only, bool is_patch) {
    if (info.resource != "experiments") return ReadOnly(info);
    std::optional<kube::PatchType> patch_type;
    if (is_patch) {
      absl::StatusOr<kube::PatchType> type =
          kube::ParsePatchContentType(req.get_header_value("Content-Type"));
      if (!type.ok()) return ErrorReply(type.status(), &info, name);
      patch_type = *type;
    }
    const bool dry_run = Param(req, "dryRun") == "All";
    // Merge patches are applied to the stored object as read; without a resourceVersion of
    // their own they are retried when someone else wrote in between.
    for (int attempt = 0; attempt < 10; ++attempt) {
      absl::StatusOr<core::Experiment> old = store_.GetExperiment(ns, name);
      if (absl::IsNotFound(old.status()) && patch_type == kube::PatchType::kApply && !status_only) {
        absl::StatusOr<json> body = ParseBody(req);
        if (!body.ok()) return StatusReply(400, "BadRequest", std::string(body.status().message()));
        if (!MetaString(*body, "name").empty() && MetaString(*body, "name") != name) {
          return StatusReply(400, "BadRequest", "the name of the object does not match the URL");
        }
        (*body)["metadata"]["name"] = name;
        return CreateFrom(info, ns, std::move(*body), dry_run);
      }
      if (!old.ok()) return ErrorReply(old.status(), &info, name);
      const json current = core::ExperimentToJson(*old);
      json updated;
      bool own_version = false;
      if (patch_type) {
        absl::StatusOr<json> patched;
        switch (*patch_type) {
          case kube::PatchType::kMerge:
            patched = kube::ApplyMergePatch(current, req.body);
            break;
          case kube::PatchType::kJson:
            patched = kube::ApplyJsonPatch(current, req.body);
            break;
          case kube::PatchType::kApply:
            patched = kube::ApplyApplyPatch(current, req.body, info);
            break;
        }
        if (!patched.ok())
          return StatusReply(422, "Invalid", std::string(patched.status().message()));
        updated = std::move(*patched);
        own_version = MetaString(updated, "resourceVersion") != old->metadata.resource_version;
        if (!own_version) {
          // What the patch itself said (e.g. the SDK's whole object with its version).
          absl::StatusOr<json> body = ParseBody(req);
          own_version =
              body.ok() && body->is_object() && !MetaString(*body, "resourceVersion").empty();
        }
      } else {
        absl::StatusOr<json> body = ParseBody(req);
        if (!body.ok()) return StatusReply(400, "BadRequest", std::string(body.status().message()));
        updated = std::move(*body);
        own_version = true;
      }
      if (std::optional<Reply> bad = CheckIdentity(updated, ns, &name)) return *bad;
      std::string version = MetaString(updated, "resourceVersion");
      if (own_version && !version.empty() && version != old->metadata.resource_version) {
        return Conflict(name);
      }
      if (!updated.contains("metadata") || !updated["metadata"].is_object()) {
        updated["metadata"] = json::object();
      }
      // What a client cannot change.
      updated["metadata"]["name"] = name;
      updated["metadata"]["namespace"] = ns;
      updated["metadata"]["uid"] = old->metadata.uid;
      updated["metadata"]["creationTimestamp"] = old->metadata.creation_timestamp;
      updated["metadata"]["generation"] = old->metadata.generation;
      updated["metadata"]["resourceVersion"] = old->metadata.resource_version;
      if (status_only) {
        updated["spec"] = current["spec"];
        updated["metadata"]["labels"] = current["metadata"].value("labels", json::object());
        updated["metadata"]["annotations"] =
            current["metadata"].value("annotations", json::object());
      } else if (current.contains("status")) {
        updated["status"] = current["status"];
      } else {
        updated.erase("status");
      }
      absl::StatusOr<core::Experiment> parsed = core::ExperimentFromJson(updated);
      if (!parsed.ok())
        return StatusReply(400, "BadRequest", std::string(parsed.status().message()));
      core::Experiment e = std::move(*parsed);
      std::vector<std::string> warnings;
      if (!status_only) {
        core::Experiment defaulted = e;
        core::SetDefaults(defaulted);
        if (core::ExperimentToJson(defaulted)["spec"] != current["spec"]) {
          if (std::optional<Reply> denied = Admit(e, updated, &*old, warnings)) return *denied;
        } else {
          e = std::move(defaulted);
        }
      }
      if (dry_run) return JsonReply(200, core::ExperimentToJson(e));
      absl::StatusOr<core::Experiment> stored =
          status_only ? store_.UpdateExperimentStatus(e) : store_.UpdateExperimentSpec(e);
      if (absl::IsAborted(stored.status())) {
        if (own_version) return Conflict(name);
        continue;  // someone wrote in between: patch the new version
      }
      if (!stored.ok()) return ErrorReply(stored.status(), &info, name);
      if (!status_only) manager_.Enqueue({ns, name});
      Reply reply = JsonReply(200, core::ExperimentToJson(*stored));
      reply.warnings = std::move(warnings);
      return reply;
    }
    return Conflict(name);
  }

  static Reply Conflict(const std::string& name) {
    return StatusReply(
        409, "Conflict",
        absl::StrCat("Operation cannot be fulfilled on experiments.kubeflow.org \"", name,
                     "\": the object has been modified; please apply your changes "
                     "to the latest version and try again"),
        {{"name", name}, {"group", kKatibGroup}, {"kind", "experiments"}});
  }

  Reply Delete(const kube::ResourceInfo& info, const std::string& ns, const std::string& name,
               const httplib::Request& req) {
    if (info.resource != "experiments") return ReadOnly(info);
    absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
    if (!e.ok()) return ErrorReply(e.status(), &info, name);
    json details = {
        {"name", name}, {"group", kKatibGroup}, {"kind", "experiments"}, {"uid", e->metadata.uid}};
    if (Param(req, "dryRun") != "All") {
      if (absl::Status st = manager_.Delete({ns, name}); !st.ok()) {
        return ErrorReply(st, &info, name);
      }
    }
    json status = {{"kind", "Status"},
                   {"apiVersion", "v1"},
                   {"metadata", json::object()},
                   {"status", "Success"},
                   {"details", details}};
    return JsonReply(200, status);
  }

  // ---- pods, logs, observations ------------------------------------------------------------

  absl::StatusOr<core::Trial> StartedTrial(const std::string& ns, const std::string& name) {
    absl::StatusOr<core::Trial> t = store_.GetTrial(ns, name);
    if (!t.ok()) return t.status();
    if (!HasStarted(*t)) {
      return absl::NotFoundError(absl::StrCat("trial ", name, " has not started yet"));
    }
    return t;
  }

  Reply Log(const std::string& ns, const std::string& name, const httplib::Request& req,
            httplib::Response& res, const kube::ResourceInfo* pods) {
    absl::StatusOr<core::Trial> t = pods ? StartedTrial(ns, name) : store_.GetTrial(ns, name);
    if (!t.ok()) {
      if (absl::IsNotFound(t.status()) && pods) {
        return StatusReply(404, "NotFound", absl::StrCat("pods \"", name, "\" not found"),
                           {{"name", name}, {"kind", "pods"}});
      }
      return ErrorReply(t.status(), pods, name);
    }
    if (!options_.log_path) return StatusReply(404, "NotFound", "no trial logs on this server");
    const fs::path path = options_.log_path(controller::TrialRef::Of(*t));
    const bool follow = TrueParam(req, "follow");
    std::optional<int64_t> tail_param = IntParam(req, "tailLines", -1);  // -1: all
    if (!tail_param) return StatusReply(400, "BadRequest", "tailLines must be an integer");
    const int64_t tail_lines = *tail_param;
    if (!follow) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      if (in) ss << in.rdbuf();
      std::string text = ss.str();
      if (tail_lines >= 0) text = TailLines(text, tail_lines);
      Reply r;
      r.content_type = "text/plain";
      r.body = std::move(text);
      return r;
    }
    const std::string trial_ns = t->metadata.namespace_, trial_name = t->metadata.name;
    res.status = 200;
    res.set_chunked_content_provider(kStreamText, [this, path, trial_ns, trial_name, tail_lines](
                                                      size_t, httplib::DataSink& sink) {
      FollowLog(path, trial_ns, trial_name, tail_lines, sink);
      sink.done();
      return true;
    });
    Reply streaming;
    streaming.content_type.clear();
    return streaming;
  }

  static std::string TailLines(const std::string& text, int64_t lines) {
    if (lines == 0) return "";
    size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') --pos;
    int64_t seen = 0;
    while (pos > 0) {
      size_t nl = text.rfind('\n', pos - 1);
      if (nl == std::string::npos) return text;
      if (++seen == lines) return text.substr(nl + 1);
      pos = nl;
    }
    return text;
  }

  // Streams a trial's log as it grows (inotify on the file's folder), until the trial has
  // ended and everything it wrote was sent, the client goes away, or Shutdown().
  void FollowLog(const fs::path& path, const std::string& ns, const std::string& name,
                 int64_t tail_lines, httplib::DataSink& sink) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd >= 0) {
      std::error_code ec;
      fs::create_directories(path.parent_path(), ec);
      inotify_add_watch(fd, path.parent_path().c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO);
    }
    std::ifstream in;
    std::streamoff offset = 0;
    bool first = true;
    auto drain = [&]() -> bool {
      if (!in.is_open()) {
        in.open(path, std::ios::binary);
        if (!in.is_open()) return true;
      }
      in.clear();
      in.seekg(offset);
      std::string chunk(64 * 1024, '\0');
      std::string all;
      while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
        all.append(chunk.data(), static_cast<size_t>(in.gcount()));
        if (!first && !all.empty()) {
          if (!sink.write(all.data(), all.size())) return false;
          offset += static_cast<std::streamoff>(all.size());
          all.clear();
        }
      }
      if (first) {
        offset += static_cast<std::streamoff>(all.size());
        if (tail_lines >= 0) all = TailLines(all, tail_lines);
        if (!all.empty() && !sink.write(all.data(), all.size())) return false;
        first = false;
      }
      return true;
    };
    while (!stopping_.load()) {
      if (!drain()) break;
      absl::StatusOr<core::Trial> t = store_.GetTrial(ns, name);
      if (!t.ok() || IsCompletedTrial(*t) || !IsRunningTrial(*t)) {
        if (t.ok() && !IsCompletedTrial(*t) && !IsRunningTrial(*t)) {
          // Pending again (interrupted): keep following until it runs and ends.
        } else {
          drain();
          break;
        }
      }
      if (fd < 0) break;
      pollfd p = {fd, POLLIN, 0};
      int ready = poll(&p, 1, options_.watch_slice_ms);
      if (ready > 0) {
        char buffer[4096];
        while (read(fd, buffer, sizeof buffer) > 0) {
        }
      } else if (!sink.is_writable()) {
        break;
      }
    }
    if (fd >= 0) close(fd);
  }

  Reply Observations(const std::string& ns, const std::string& name, const httplib::Request& req) {
    absl::StatusOr<core::Trial> t = store_.GetTrial(ns, name);
    if (!t.ok())
      return ErrorReply(t.status(), kube::FindResource(kKatibGroup, kKatibVersion, "trials"), name);
    db::ObservationQuery query;
    query.trial_name = name;
    query.metric_name = Param(req, "metricName");
    query.start_time = Param(req, "startTime");
    query.end_time = Param(req, "endTime");
    absl::StatusOr<std::vector<core::MetricLog>> logs = store_.GetObservationLog(query);
    if (!logs.ok()) return ErrorReply(logs.status());
    json out = {{"kind", "ObservationLog"}, {"apiVersion", "ktune.dev/v1"}, {"trialName", name}};
    json metric_logs = json::array();
    for (const core::MetricLog& m : *logs) {
      metric_logs.push_back(
          {{"timeStamp", m.time_stamp}, {"metric", {{"name", m.name}, {"value", m.value}}}});
    }
    out["metricLogs"] = std::move(metric_logs);
    return JsonReply(200, out);
  }

  // POST /apis/ktune.dev/v1/namespaces/{ns}/validate: a draft experiment (YAML or JSON) in,
  // every finding out, nothing stored.
  Reply ValidateDraft(const std::string& ns, const httplib::Request& req) {
    absl::StatusOr<json> raw = core::ParseYamlDocument(req.body);
    json out = {{"kind", "ValidationResult"}, {"apiVersion", "ktune.dev/v1"}};
    json findings = json::array();
    if (!raw.ok()) {
      findings.push_back(
          {{"severity", "error"}, {"field", ""}, {"message", raw.status().message()}});
      out["valid"] = false;
      out["findings"] = std::move(findings);
      return JsonReply(200, out);
    }
    if (raw->is_object()) {
      if (!raw->contains("metadata") || !(*raw)["metadata"].is_object()) {
        (*raw)["metadata"] = json::object();
      }
      if (MetaString(*raw, "namespace").empty()) (*raw)["metadata"]["namespace"] = ns;
    }
    absl::StatusOr<core::Experiment> parsed = core::ExperimentFromJson(*raw);
    if (!parsed.ok()) {
      findings.push_back(
          {{"severity", "error"}, {"field", ""}, {"message", parsed.status().message()}});
      out["valid"] = false;
      out["findings"] = std::move(findings);
      return JsonReply(200, out);
    }
    core::Experiment e = std::move(*parsed);
    core::SetDefaults(e);
    core::ValidationOptions validation = options_.validation;
    validation.raw_experiment = &*raw;
    bool valid = true;
    for (const std::string& w : UnknownFieldWarnings(*raw)) {
      findings.push_back({{"severity", "warning"},
                          {"field", w.substr(w.find('"') + 1, w.rfind('"') - w.find('"') - 1)},
                          {"message", w},
                          {"hint", "Katib ignores fields its API does not have; check the name"}});
    }
    for (const core::FieldError& f : core::ValidateExperiment(e, validation)) {
      const bool error = f.severity == core::FieldError::Severity::kError || f.blocks_run;
      valid = valid && !error;
      findings.push_back({{"severity", error ? "error" : "warning"},
                          {"field", f.field},
                          {"message", f.KatibMessage()},
                          {"hint", f.hint}});
    }
    if (valid && options_.check_runnable) {
      if (absl::Status st = options_.check_runnable(e); !st.ok()) {
        valid = false;
        findings.push_back(
            {{"severity", "error"}, {"field", "spec"}, {"message", std::string(st.message())}});
      }
    }
    out["valid"] = valid;
    out["findings"] = std::move(findings);
    out["experiment"] = core::ExperimentToJson(e);
    return JsonReply(200, out);
  }

  // GET /apis/ktune.dev/v1/events: every change as Server-Sent Events (`id` is the revision,
  // so a reconnecting EventSource resumes with Last-Event-ID).
  Reply Events(const httplib::Request& req, httplib::Response& res) {
    int64_t from = 0;
    std::string start = req.get_header_value("Last-Event-ID");
    if (start.empty()) start = Param(req, "resourceVersion");
    if (start.empty()) {
      absl::StatusOr<int64_t> now = store_.Revision();
      if (!now.ok()) return ErrorReply(now.status());
      from = *now;
    } else if (!absl::SimpleAtoi(start, &from) || from < 0) {
      return StatusReply(400, "BadRequest", "invalid resourceVersion");
    }
    std::string ns_filter = Param(req, "namespace");
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    // Metric reports of running trials from now on ("Observation" events; they are not
    // objects and have no revision, so a reconnect does not replay them).
    int64_t observed = observations_->seq();
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, from, observed, ns_filter](size_t, httplib::DataSink& sink) mutable {
          std::string hello = absl::StrCat(
              "retry: 2000\nevent: hello\ndata: {\"resourceVersion\":\"", from, "\"}\n\n");
          if (!sink.write(hello.data(), hello.size())) return false;
          while (!stopping_.load()) {
            absl::StatusOr<db::ChangeBatch> batch = store_.ChangesSince(from, 1000);
            if (absl::IsOutOfRange(batch.status())) {
              std::string gone = "event: expired\ndata: {}\n\n";
              sink.write(gone.data(), gone.size());
              break;
            }
            if (!batch.ok()) break;
            for (const db::Change& c : batch->changes) {
              if (!ns_filter.empty() && c.ns != ns_filter) continue;
              json data = {{"type", TypeOfChange(c.type)},
                           {"kind", KindOfChange(c.kind)},
                           {"namespace", c.ns},
                           {"name", c.name},
                           {"experiment", c.experiment},
                           {"resourceVersion", std::to_string(c.revision)}};
              std::string line =
                  absl::StrCat("id: ", c.revision, "\nevent: change\ndata: ", data.dump(), "\n\n");
              if (!sink.write(line.data(), line.size())) return false;
            }
            from = std::max(from, batch->revision);
            // One event per trial that reported since the last look.
            std::set<std::pair<std::string, std::string>> reported;
            for (const ObservationFeed::Report& r : observations_->Since(observed, &observed)) {
              if (!ns_filter.empty() && r.ns != ns_filter) continue;
              if (!reported.insert({r.ns, r.trial}).second) continue;
              json data = {{"type", "MODIFIED"},         {"kind", "Observation"},
                           {"namespace", r.ns},          {"name", r.trial},
                           {"experiment", r.experiment}, {"resourceVersion", std::to_string(from)}};
              std::string line = absl::StrCat("event: change\ndata: ", data.dump(), "\n\n");
              if (!sink.write(line.data(), line.size())) return false;
            }
            if (!batch->changes.empty() || !reported.empty()) continue;
            const int64_t seq = observed;
            observations_->Wait(seq, from, absl::Milliseconds(options_.watch_slice_ms));
            if (observations_->seq() <= seq && store_.Revision().value_or(from) <= from) {
              std::string ping = ": ping\n\n";
              if (!sink.is_writable() || !sink.write(ping.data(), ping.size())) return false;
            }
          }
          sink.done();
          return true;
        });
    Reply streaming;
    streaming.content_type.clear();
    return streaming;
  }

  // `kubectl describe`'s events of an Experiment or a Trial (fieldSelector involvedObject.*):
  // one Normal event per condition it went through (Warning for Failed), from its status.
  // Other queries get an empty list: ktune records no other events.
  Reply Events(const std::string& ns, const httplib::Request& req) {
    json list = {{"kind", "EventList"},
                 {"apiVersion", "v1"},
                 {"metadata", {{"resourceVersion", "0"}}},
                 {"items", json::array()}};
    absl::StatusOr<kube::FieldSelector> fields =
        kube::FieldSelector::Parse(Param(req, "fieldSelector"));
    if (!fields.ok()) return StatusReply(400, "BadRequest", std::string(fields.status().message()));
    const std::optional<std::string> kind = fields->RequiredValue("involvedObject.kind");
    const std::optional<std::string> name = fields->RequiredValue("involvedObject.name");
    if (!kind || !name) return JsonReply(200, list);
    std::vector<core::Condition> conditions;
    std::string uid;
    if (*kind == "Experiment") {
      absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, *name);
      if (!e.ok()) return JsonReply(200, list);
      conditions = e->status.conditions;
      uid = e->metadata.uid;
    } else if (*kind == "Trial") {
      absl::StatusOr<core::Trial> t = store_.GetTrial(ns, *name);
      if (!t.ok()) return JsonReply(200, list);
      conditions = t->status.conditions;
      uid = t->metadata.uid;
    } else {
      return JsonReply(200, list);
    }
    int n = 0;
    for (const core::Condition& c : conditions) {
      if (c.status != "True") continue;
      const std::string at =
          c.last_transition_time.empty() ? c.last_update_time : c.last_transition_time;
      list["items"].push_back(
          {{"apiVersion", "v1"},
           {"kind", "Event"},
           {"metadata", {{"name", absl::StrCat(*name, ".", n++)}, {"namespace", ns}}},
           {"involvedObject",
            {{"apiVersion", core::kApiVersion},
             {"kind", *kind},
             {"name", *name},
             {"namespace", ns},
             {"uid", uid}}},
           {"reason", c.reason},
           {"message", c.message},
           {"type", c.type == core::kFailed ? "Warning" : "Normal"},
           {"source", {{"component", "ktune-controller"}}},
           {"firstTimestamp", at},
           {"lastTimestamp", at},
           {"count", 1}});
    }
    return JsonReply(200, list);
  }

  Reply Namespaces(const std::string* only) {
    absl::StatusOr<std::vector<core::Experiment>> all = AllExperiments("", nullptr);
    if (!all.ok()) return ErrorReply(all.status());
    std::set<std::string> names = {"default"};
    for (const core::Experiment& e : *all) names.insert(e.metadata.namespace_);
    auto ns_json = [](const std::string& n) {
      return json{{"apiVersion", "v1"},
                  {"kind", "Namespace"},
                  {"metadata", {{"name", n}, {"labels", {{"kubernetes.io/metadata.name", n}}}}},
                  {"spec", {{"finalizers", json::array({"kubernetes"})}}},
                  {"status", {{"phase", "Active"}}}};
    };
    if (only) {
      if (!names.count(*only)) {
        return StatusReply(404, "NotFound", absl::StrCat("namespaces \"", *only, "\" not found"),
                           {{"name", *only}, {"kind", "namespaces"}});
      }
      return JsonReply(200, ns_json(*only));
    }
    json list = {{"kind", "NamespaceList"}, {"apiVersion", "v1"}, {"metadata", json::object()}};
    list["items"] = json::array();
    for (const std::string& n : names) list["items"].push_back(ns_json(n));
    return JsonReply(200, list);
  }

  Reply Metrics() {
    std::map<std::string, int64_t> by_state;
    int64_t experiments = 0;
    absl::StatusOr<std::vector<core::Experiment>> all = AllExperiments("", nullptr);
    if (all.ok()) {
      for (const core::Experiment& e : *all) {
        ++experiments;
        const char* state = core::IsConditionTrue(e.status.conditions, core::kSucceeded)
                                ? "succeeded"
                            : core::IsConditionTrue(e.status.conditions, core::kFailed) ? "failed"
                                                                                        : "active";
        ++by_state[state];
      }
    }
    std::string out;
    absl::StrAppend(&out,
                    "# HELP ktune_experiments Experiments stored, by state.\n"
                    "# TYPE ktune_experiments gauge\n");
    for (const char* state : {"active", "succeeded", "failed"}) {
      absl::StrAppend(&out, "ktune_experiments{state=\"", state, "\"} ", by_state[state], "\n");
    }
    absl::StrAppend(&out,
                    "# HELP ktune_running_trials Trials running now (all experiments).\n"
                    "# TYPE ktune_running_trials gauge\nktune_running_trials ",
                    manager_.RunningTrials(), "\n",
                    "# HELP ktune_reconciles_total Reconciles run by the controller manager.\n"
                    "# TYPE ktune_reconciles_total counter\nktune_reconciles_total ",
                    manager_.Reconciles(), "\n",
                    "# HELP ktune_http_requests_total HTTP requests served.\n"
                    "# TYPE ktune_http_requests_total counter\nktune_http_requests_total ",
                    requests_.load(), "\n",
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
                    ResidentBytes(), "\n");
    absl::StatusOr<int64_t> revision = store_.Revision();
    if (revision.ok()) {
      absl::StrAppend(&out,
                      "# HELP ktune_store_revision The store's resourceVersion.\n"
                      "# TYPE ktune_store_revision counter\nktune_store_revision ",
                      *revision, "\n");
    }
    (void)experiments;
    Reply r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = std::move(out);
    return r;
  }

  const ApiServerOptions options_;
  db::Store& store_;
  controller::ControllerManager& manager_;
  std::atomic<int64_t>& requests_;
  ExperimentCache experiments_cache_;
  std::shared_ptr<ObservationFeed> observations_;
  UiData ui_data_;
  std::atomic<bool> stopping_{false};
};

void ApiServer::Impl::Install(httplib::Server& http) {
  // Discovery, /version and OpenAPI: static documents.
  for (const char* path :
       {"/version", "/api", "/api/v1", "/apis", "/apis/kubeflow.org", "/apis/kubeflow.org/v1beta1",
        "/openapi/v3", "/openapi/v3/apis/kubeflow.org/v1beta1"}) {
    const bool open = std::string_view(path) == "/version";
    http.Get(path, Route(
                       [path](const httplib::Request& req, httplib::Response& res) {
                         std::optional<kube::DiscoveryAnswer> answer = kube::ServeDiscovery(
                             path, req.get_header_value("Accept"), req.get_header_value("Host"));
                         if (!answer) return StatusReply(404, "NotFound", "not found");
                         if (!answer->etag.empty()) res.set_header("ETag", answer->etag);
                         Reply r;
                         r.content_type = answer->content_type;
                         r.body = std::move(answer->body);
                         return r;
                       },
                       open));
  }
  // Health: alive while the process serves; ready until Shutdown began.
  for (const char* path : {"/healthz", "/livez", "/readyz"}) {
    const bool readiness = std::string_view(path) == "/readyz";
    http.Get(path, Route(
                       [this, readiness](const httplib::Request&, httplib::Response&) {
                         const bool down = readiness && stopping_.load();
                         Reply r;
                         r.content_type = "text/plain";
                         r.status = down ? 503 : 200;
                         r.body = down ? "shutting down" : "ok";
                         return r;
                       },
                       /*open=*/true));
  }
  http.Get("/metrics",
           Route([this](const httplib::Request&, httplib::Response&) { return Metrics(); }));
  // kubeflow.org/v1beta1: collections, objects, status.
  const std::string group = R"(/apis/kubeflow\.org/v1beta1)";
  const std::string kinds = "(experiments|trials|suggestions)";
  auto info_of = [](const std::string& plural) {
    return kube::FindResource(kKatibGroup, kKatibVersion, plural);
  };
  http.Get(group + "/" + kinds,
           Route([this, info_of](const httplib::Request& req, httplib::Response& res) {
             return List(*info_of(req.matches[1]), "", req, res);
           }));
  const std::string ns_path = group + "/namespaces/([^/]+)/" + kinds;
  http.Get(ns_path, Route([this, info_of](const httplib::Request& req, httplib::Response& res) {
             return List(*info_of(req.matches[2]), req.matches[1], req, res);
           }));
  http.Post(ns_path, Route([this, info_of](const httplib::Request& req, httplib::Response&) {
              return Create(*info_of(req.matches[2]), req.matches[1], req);
            }));
  const std::string object_path = ns_path + "/([^/]+)";
  for (const char* suffix : {"", "/status"}) {
    const bool status = *suffix != '\0';
    http.Get(object_path + suffix,
             Route([this, info_of](const httplib::Request& req, httplib::Response&) {
               return Get(*info_of(req.matches[2]), req.matches[1], req.matches[3], req);
             }));
    http.Put(object_path + suffix,
             Route([this, info_of, status](const httplib::Request& req, httplib::Response&) {
               return Update(*info_of(req.matches[2]), req.matches[1], req.matches[3], req, status,
                             false);
             }));
    http.Patch(object_path + suffix,
               Route([this, info_of, status](const httplib::Request& req, httplib::Response&) {
                 return Update(*info_of(req.matches[2]), req.matches[1], req.matches[3], req,
                               status, true);
               }));
  }
  http.Delete(object_path, Route([this, info_of](const httplib::Request& req, httplib::Response&) {
                return Delete(*info_of(req.matches[2]), req.matches[1], req.matches[3], req);
              }));

  // core/v1: pods of trials (read-only), their logs, events (none), namespaces.
  const kube::ResourceInfo* pods = kube::FindResource("", "v1", "pods");
  http.Get("/api/v1/pods", Route([this, pods](const httplib::Request& req, httplib::Response& res) {
             return List(*pods, "", req, res);
           }));
  http.Get("/api/v1/namespaces/([^/]+)/pods",
           Route([this, pods](const httplib::Request& req, httplib::Response& res) {
             return List(*pods, req.matches[1], req, res);
           }));
  http.Get("/api/v1/namespaces/([^/]+)/pods/([^/]+)",
           Route([this, pods](const httplib::Request& req, httplib::Response&) {
             Reply r = Get(*pods, req.matches[1], req.matches[2], req);
             return r;
           }));
  http.Get("/api/v1/namespaces/([^/]+)/pods/([^/]+)/log",
           Route([this, pods](const httplib::Request& req, httplib::Response& res) {
             return Log(req.matches[1], req.matches[2], req, res, pods);
           }));
  http.Get("/api/v1/namespaces/([^/]+)/events",
           Route([this](const httplib::Request& req, httplib::Response&) {
             return Events(req.matches[1], req);
           }));
  http.Get("/api/v1/namespaces", Route([this](const httplib::Request&, httplib::Response&) {
             return Namespaces(nullptr);
           }));
  http.Get("/api/v1/namespaces/([^/]+)",
           Route([this](const httplib::Request& req, httplib::Response&) {
             std::string ns = req.matches[1];
             return Namespaces(&ns);
           }));

  // ktune.dev/v1: what Kubernetes has no verb for.
  const std::string ktune = R"(/apis/ktune\.dev/v1)";
  http.Get(ktune + "/namespaces/([^/]+)/trials/([^/]+)/observations",
           Route([this](const httplib::Request& req, httplib::Response&) {
             return Observations(req.matches[1], req.matches[2], req);
           }));
  http.Get(ktune + "/namespaces/([^/]+)/trials/([^/]+)/log",
           Route([this](const httplib::Request& req, httplib::Response& res) {
             return Log(req.matches[1], req.matches[2], req, res, nullptr);
           }));
  http.Post(ktune + "/namespaces/([^/]+)/validate",
            Route([this](const httplib::Request& req, httplib::Response&) {
              return ValidateDraft(req.matches[1], req);
            }));
  http.Get(ktune + "/events", Route([this](const httplib::Request& req, httplib::Response& res) {
             return Events(req, res);
           }));
  ui_data_.Install(http, [this](internal::Handler handler) { return Route(std::move(handler)); });
}

ApiServer::ApiServer(ApiServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), requests_)) {}
ApiServer::~ApiServer() = default;
void ApiServer::Install(httplib::Server& http) { impl_->Install(http); }
void ApiServer::Shutdown() { impl_->Shutdown(); }
absl::Status ApiServer::Prepare() { return impl_->Prepare(); }

}  // namespace ktune::server

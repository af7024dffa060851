#include "server/kube/table.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/kube/discovery.h"

namespace ktune::server::kube {
namespace {

using json = nlohmann::json;

// ---- Reading the objects (never throws on any shape) ----

const json* Field(const json* node, std::string_view key) {
  if (node == nullptr || !node->is_object()) return nullptr;
  auto it = node->find(std::string(key));
  return it == node->end() ? nullptr : &*it;
}

const json* Path(const json& root, std::initializer_list<std::string_view> keys) {
  const json* node = &root;
  for (std::string_view key : keys) {
    node = Field(node, key);
    if (node == nullptr) return nullptr;
  }
  return node;
}

std::string StringOr(const json* node, std::string fallback = "") {
  return node != nullptr && node->is_string() ? node->get<std::string>() : std::move(fallback);
}

// How kubectl's JSONPath prints a scalar: strings as they are, numbers and booleans as JSON.
json TextCell(const json* node) {
  if (node == nullptr || node->is_null()) return nullptr;
  if (node->is_string()) return *node;
  return node->dump();
}

json IntCell(const json* node) {
  if (node != nullptr && node->is_number_integer()) return *node;
  if (node != nullptr && node->is_number_float()) {
    const double d = node->get<double>();
    if (d >= -9e15 && d <= 9e15 && static_cast<double>(static_cast<int64_t>(d)) == d) {
      return static_cast<int64_t>(d);
    }
  }
  return 0;
}

// `.status.conditions[-1:].<key>`
json LastConditionCell(const json& object, std::string_view key) {
  const json* conditions = Path(object, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array() || conditions->empty()) return nullptr;
  return TextCell(Field(&conditions->back(), key));
}

// ---- Columns ----

struct Column {
  std::string name;
  std::string type;  // string, integer, date
  std::string format;
  std::string description;
  int priority = 0;
};

constexpr char kCrdColumn[] = "Custom resource definition column (in JSONPath format): ";

Column CrdColumn(std::string name, std::string type, std::string_view json_path, int priority = 0) {
  return Column{std::move(name), std::move(type), "",
                absl::StrCat(kCrdColumn, std::string(json_path)), priority};
}

Column OwnColumn(std::string name, std::string type, std::string description, int priority = 0) {
  return Column{std::move(name), std::move(type), "", std::move(description), priority};
}

Column NameColumn() {
  return Column{"Name", "string", "name",
                "Name must be unique within a namespace. It is set by the client (or generated "
                "by the server from metadata.generateName) and cannot be changed.",
                0};
}

Column AgeColumn() { return CrdColumn("Age", "date", ".metadata.creationTimestamp"); }

using CellsFn = std::vector<json> (*)(const json& object, absl::Time now);

json Age(const json& object, absl::Time now) {
  const json* ts = Path(object, {"metadata", "creationTimestamp"});
  if (ts == nullptr || !ts->is_string()) return nullptr;
  return AgeOf(ts->get<std::string>(), now);
}

json NameCell(const json& object) { return StringOr(Path(object, {"metadata", "name"})); }

std::vector<Column> ExperimentColumns() {
  return {NameColumn(),
          CrdColumn("Type", "string", ".status.conditions[-1:].type"),
          CrdColumn("Status", "string", ".status.conditions[-1:].status"),
          CrdColumn("Algorithm", "string", ".spec.algorithm.algorithmName"),
          OwnColumn("Best", "string",
                    "The objective metric of .status.currentOptimalTrial.observation, picked by "
                    "the objective's metric strategy."),
          CrdColumn("Succeeded", "integer", ".status.trialsSucceeded"),
          CrdColumn("Running", "integer", ".status.trialsRunning"),
          CrdColumn("Failed", "integer", ".status.trialsFailed"),
          AgeColumn(),
          OwnColumn("Objective", "string",
                    "The objective's type and metric: .spec.objective.type and "
                    ".spec.objective.objectiveMetricName.",
                    1),
          CrdColumn("Goal", "string", ".spec.objective.goal", 1),
          CrdColumn("Max", "integer", ".spec.maxTrialCount", 1),
          CrdColumn("Parallel", "integer", ".spec.parallelTrialCount", 1)};
}

std::vector<json> ExperimentCells(const json& e, absl::Time now) {
  const json* objective = Path(e, {"spec", "objective"});
  const json* best = Path(e, {"status", "currentOptimalTrial", "observation"});
  json best_cell = nullptr;
  if (objective != nullptr && best != nullptr) {
    std::string value = ObjectiveValue(*objective, *best);
    if (!value.empty()) best_cell = value;
  }
  json objective_cell = nullptr;
  if (objective != nullptr) {
    std::string text = absl::StrCat(StringOr(Field(objective, "type")), " ",
                                    StringOr(Field(objective, "objectiveMetricName")));
    if (text != " ") objective_cell = std::string(absl::StripAsciiWhitespace(text));
  }
  const json* max = Path(e, {"spec", "maxTrialCount"});
  const json* parallel = Path(e, {"spec", "parallelTrialCount"});
  return {NameCell(e),
          LastConditionCell(e, "type"),
          LastConditionCell(e, "status"),
          TextCell(Path(e, {"spec", "algorithm", "algorithmName"})),
          std::move(best_cell),
          IntCell(Path(e, {"status", "trialsSucceeded"})),
          IntCell(Path(e, {"status", "trialsRunning"})),
          IntCell(Path(e, {"status", "trialsFailed"})),
          Age(e, now),
          std::move(objective_cell),
          TextCell(Path(e, {"spec", "objective", "goal"})),
          max != nullptr && max->is_number() ? IntCell(max) : json(nullptr),
          parallel != nullptr && parallel->is_number() ? IntCell(parallel) : json(nullptr)};
}

std::vector<Column> TrialColumns() {
  return {
      NameColumn(),
      CrdColumn("Type", "string", ".status.conditions[-1:].type"),
      CrdColumn("Status", "string", ".status.conditions[-1:].status"),
      OwnColumn("Objective", "string",
                "The objective metric of .status.observation, picked by the objective's "
                "metric strategy."),
      OwnColumn("Parameters", "string",
                "The hyperparameter assignments, .spec.parameterAssignments, as name=value."),
      AgeColumn(),
      CrdColumn("Experiment", "string", ".metadata.labels.katib\\.kubeflow\\.org/experiment", 1)};
}

std::vector<json> TrialCells(const json& t, absl::Time now) {
  const json* objective = Path(t, {"spec", "objective"});
  const json* observation = Path(t, {"status", "observation"});
  json objective_cell = nullptr;
  if (objective != nullptr && observation != nullptr) {
    std::string value = ObjectiveValue(*objective, *observation);
    if (!value.empty()) objective_cell = value;
  }
  json parameters_cell = nullptr;
  const json* assignments = Path(t, {"spec", "parameterAssignments"});
  if (assignments != nullptr && assignments->is_array() && !assignments->empty()) {
    std::vector<std::string> parts;
    for (const json& a : *assignments) {
      json value = TextCell(Field(&a, "value"));
      parts.push_back(absl::StrCat(StringOr(Field(&a, "name")), "=",
                                   value.is_string() ? value.get<std::string>() : ""));
    }
    parameters_cell = absl::StrJoin(parts, ", ");
  }
  const json* labels = Path(t, {"metadata", "labels"});
  return {NameCell(t),
          LastConditionCell(t, "type"),
          LastConditionCell(t, "status"),
          std::move(objective_cell),
          std::move(parameters_cell),
          Age(t, now),
          TextCell(Field(labels, "katib.kubeflow.org/experiment"))};
}

std::vector<Column> SuggestionColumns() {
  return {NameColumn(),
          CrdColumn("Type", "string", ".status.conditions[-1:].type"),
          CrdColumn("Status", "string", ".status.conditions[-1:].status"),
          CrdColumn("Requested", "string", ".spec.requests"),
          CrdColumn("Assigned", "string", ".status.suggestionCount"),
          AgeColumn()};
}

std::vector<json> SuggestionCells(const json& s, absl::Time now) {
  return {NameCell(s),
          LastConditionCell(s, "type"),
          LastConditionCell(s, "status"),
          TextCell(Path(s, {"spec", "requests"})),
          TextCell(Path(s, {"status", "suggestionCount"})),
          Age(s, now)};
}

std::vector<Column> PodColumns() {
  return {
      NameColumn(), OwnColumn("Ready", "string", "How many of the pod's containers are ready."),
      OwnColumn("Status", "string",
                "The pod's state: a container's waiting or terminated reason, else its "
                "phase."),
      OwnColumn("Restarts", "string", "How many times the pod's containers restarted."),
      OwnColumn("Age", "string", "How long ago the pod was created (metadata.creationTimestamp).")};
}

std::vector<json> PodCells(const json& p, absl::Time now) {
  const json* statuses = Path(p, {"status", "containerStatuses"});
  const json* containers = Path(p, {"spec", "containers"});
  int64_t total = containers != nullptr && containers->is_array()
                      ? static_cast<int64_t>(containers->size())
                      : 0;
  int64_t ready = 0;
  int64_t restarts = 0;
  std::string reason = StringOr(Path(p, {"status", "phase"}));
  if (const json* r = Path(p, {"status", "reason"}); r != nullptr && r->is_string()) {
    reason = r->get<std::string>();
  }
  if (statuses != nullptr && statuses->is_array()) {
    if (total == 0) total = static_cast<int64_t>(statuses->size());
    for (const json& cs : *statuses) {
      if (const json* r = Field(&cs, "ready"); r != nullptr && r->is_boolean() && r->get<bool>()) {
        ++ready;
      }
      if (const json* n = Field(&cs, "restartCount"); n != nullptr && n->is_number_integer()) {
        restarts += n->get<int64_t>();
      }
      const json* state = Field(&cs, "state");
      if (const json* w = Field(Field(state, "waiting"), "reason");
          w && w->is_string() && !w->get<std::string>().empty()) {
        reason = w->get<std::string>();
      } else if (const json* term = Field(state, "terminated"); term != nullptr) {
        if (const json* tr = Field(term, "reason");
            tr != nullptr && tr->is_string() && !tr->get<std::string>().empty()) {
          reason = tr->get<std::string>();
        } else if (const json* sig = Field(term, "signal");
                   sig != nullptr && sig->is_number_integer() && sig->get<int64_t>() != 0) {
          reason = absl::StrCat("Signal:", sig->get<int64_t>());
        } else if (const json* code = Field(term, "exitCode");
                   code != nullptr && code->is_number_integer()) {
          reason = absl::StrCat("ExitCode:", code->get<int64_t>());
        }
      }
    }
  }
  if (Path(p, {"metadata", "deletionTimestamp"}) != nullptr) reason = "Terminating";
  json age = Age(p, now);
  return {NameCell(p), absl::StrCat(ready, "/", total), reason, absl::StrCat(restarts),
          age.is_null() ? json("<unknown>") : age};
}

std::vector<Column> NamespaceColumns() {
  return {NameColumn(), OwnColumn("Status", "string", "The phase of the namespace."), AgeColumn()};
}

std::vector<json> NamespaceCells(const json& n, absl::Time now) {
  return {NameCell(n), TextCell(Path(n, {"status", "phase"})), Age(n, now)};
}

std::vector<Column> EventColumns() {
  return {OwnColumn("Last Seen", "string", "How long ago the event was last seen."),
          OwnColumn("Type", "string", "Normal or Warning."),
          OwnColumn("Reason", "string", "Why the event happened."),
          OwnColumn("Object", "string", "The object the event is about, as kind/name."),
          OwnColumn("Message", "string", "What happened."),
          Column{"Name", "string", "name", "The event's name.", 1}};
}

std::vector<json> EventCells(const json& e, absl::Time now) {
  json last_seen = nullptr;
  for (const char* key : {"lastTimestamp", "eventTime"}) {
    if (const json* ts = Field(&e, key); ts != nullptr && ts->is_string()) {
      last_seen = AgeOf(ts->get<std::string>(), now);
      break;
    }
  }
  const json* involved = Field(&e, "involvedObject");
  std::string object = absl::StrCat(absl::AsciiStrToLower(StringOr(Field(involved, "kind"))), "/",
                                    StringOr(Field(involved, "name")));
  return {std::move(last_seen),           TextCell(Field(&e, "type")),
          TextCell(Field(&e, "reason")),  object,
          TextCell(Field(&e, "message")), NameCell(e)};
}

std::vector<Column> DefaultColumns() { return {NameColumn(), AgeColumn()}; }

std::vector<json> DefaultCells(const json& o, absl::Time now) { return {NameCell(o), Age(o, now)}; }

struct Printer {
  std::vector<Column> columns;
  CellsFn cells;
};

Printer PrinterFor(const ResourceInfo& info) {
  if (info.group == "kubeflow.org") {
    if (info.kind == "Experiment") return {ExperimentColumns(), &ExperimentCells};
    if (info.kind == "Trial") return {TrialColumns(), &TrialCells};
    if (info.kind == "Suggestion") return {SuggestionColumns(), &SuggestionCells};
  }
  if (info.group.empty()) {
    if (info.kind == "Pod") return {PodColumns(), &PodCells};
    if (info.kind == "Namespace") return {NamespaceColumns(), &NamespaceCells};
    if (info.kind == "Event") return {EventColumns(), &EventCells};
  }
  return {DefaultColumns(), &DefaultCells};
}

std::string MetricField(const json& metric, std::string_view key) {
  const json* v = Field(&metric, key);
  if (v == nullptr || v->is_null()) return "";
  return v->is_string() ? v->get<std::string>() : v->dump();
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  const int64_t seconds = absl::ToInt64Seconds(d);  // truncates toward zero, like Go's int()
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  const int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes < 10) {
    const int64_t s = seconds % 60;
    if (s == 0) return absl::StrCat(minutes, "m");
    return absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  const int64_t hours = absl::ToInt64Hours(d);
  if (hours < 8) {
    const int64_t m = minutes % 60;
    if (m == 0) return absl::StrCat(hours, "h");
    return absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    const int64_t h = hours % 24;
    if (h == 0) return absl::StrCat(hours / 24, "d");
    return absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    const int64_t dy = (hours / 24) % 365;
    if (dy == 0) return absl::StrCat(hours / 24 / 365, "y");
    return absl::StrCat(hours / 24 / 365, "y", dy, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

std::string AgeOf(std::string_view creation_timestamp, absl::Time now) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(creation_timestamp), &t, &err)) {
    return "<unknown>";
  }
  // Go's zero time.Time: 0001-01-01T00:00:00Z.
  static const absl::Time kZero =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (t == kZero) return "<unknown>";
  return HumanDuration(now - t);
}

absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view value) {
  if (value.empty() || value == "Metadata") return IncludeObject::kMetadata;
  if (value == "Object") return IncludeObject::kObject;
  if (value == "None") return IncludeObject::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("includeObject: Unsupported value: \"", std::string(value),
                   "\": supported values: \"Metadata\", \"None\", \"Object\""));
}

bool WantsTable(std::string_view accept) {
  for (const MediaRange& range : ParseAccept(accept)) {
    if (range.type != "application/json" || range.Param("as") != "Table" ||
        range.Param("g") != "meta.k8s.io") {
      continue;
    }
    const std::string v = range.Param("v");
    if (v == "v1" || v == "v1beta1") return true;
  }
  return false;
}

json TableOf(const ResourceInfo& info, const std::vector<const json*>& objects,
             IncludeObject include, absl::Time now, bool with_column_definitions,
             std::string_view resource_version) {
  const Printer printer = PrinterFor(info);
  json columns = json::array();
  if (with_column_definitions) {
    for (const Column& c : printer.columns) {
      columns.push_back({{"name", c.name},
                         {"type", c.type},
                         {"format", c.format},
                         {"description", c.description},
                         {"priority", c.priority}});
    }
  }
  json rows = json::array();
  for (const json* object : objects) {
    if (object == nullptr) continue;
    json row = {{"cells", printer.cells(*object, now)}};
    switch (include) {
      case IncludeObject::kNone:
        break;
      case IncludeObject::kObject:
        row["object"] = *object;
        break;
      case IncludeObject::kMetadata: {
        const json* metadata = Field(object, "metadata");
        row["object"] = {
            {"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata",
             metadata != nullptr && metadata->is_object() ? *metadata : json::object()}};
        break;
      }
    }
    rows.push_back(std::move(row));
  }
  json metadata = json::object();
  if (!resource_version.empty()) metadata["resourceVersion"] = std::string(resource_version);
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", std::move(metadata)},
          {"columnDefinitions", std::move(columns)},
          {"rows", std::move(rows)}};
}

json WatchEvent(std::string_view type, json object) {
  return {{"type", std::string(type)}, {"object", std::move(object)}};
}

json BookmarkObject(const ResourceInfo& info, std::string_view resource_version, bool as_table) {
  json metadata = {{"resourceVersion", std::string(resource_version)}};
  if (as_table) {
    return {{"kind", "Table"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", std::move(metadata)},
            {"columnDefinitions", json::array()},
            {"rows", json::array()}};
  }
  return {{"kind", info.kind}, {"apiVersion", info.GroupVersion()}, {"metadata", metadata}};
}

std::string ObjectiveValue(const json& objective, const json& observation) {
  const std::string name = StringOr(Field(&objective, "objectiveMetricName"));
  const json* metrics = Field(&observation, "metrics");
  if (name.empty() || metrics == nullptr || !metrics->is_array()) return "";
  const json* metric = nullptr;
  for (const json& m : *metrics) {
    if (StringOr(Field(&m, "name")) == name) {
      metric = &m;
      break;
    }
  }
  if (metric == nullptr) return "";
  std::string strategy;
  if (const json* strategies = Field(&objective, "metricStrategies");
      strategies != nullptr && strategies->is_array()) {
    for (const json& s : *strategies) {
      if (StringOr(Field(&s, "name")) == name) {
        strategy = StringOr(Field(&s, "value"));
        break;
      }
    }
  }
  if (strategy.empty()) {
    const std::string type = StringOr(Field(&objective, "type"));
    strategy = type == "minimize" ? "min" : type == "maximize" ? "max" : "latest";
  }
  const std::string latest = MetricField(*metric, "latest");
  if (strategy == "min" || strategy == "max") {
    std::string value = MetricField(*metric, strategy);
    if (!value.empty() && value != "unavailable") return value;
  }
  return latest;
}

}  // namespace ktune::server::kube

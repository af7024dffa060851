#include "core/codec.h"

#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/internal/yaml_json.h"
#include "core/number.h"

namespace ktune::core {
namespace {

using nlohmann::json;

// Internal to this file: thrown while decoding, caught at each public entry point.
struct DecodeError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw DecodeError{path.empty() ? what : path + ": " + what};
}

// `v` as JSON text for a message; invalid UTF-8 in user strings is replaced, not thrown on.
std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string Join(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}
std::string Index(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

// ---- decoding helpers ----------------------------------------------------------------------

// A present, non-null field, or nullptr.
const json* Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

void ExpectObject(const json& v, const std::string& path) {
  if (!v.is_object()) Fail(path, absl::StrCat("expected an object, got ", TypeName(v)));
}

// Strings are lenient about scalars: `min: 0.1` means "0.1", as users expect.
std::string ScalarString(const json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_float()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  Fail(path, absl::StrCat("expected a string, got ", TypeName(v)));
}

std::string GetString(const json& obj, const std::string& path, const char* key) {
  const json* v = Field(obj, key);
  return v ? ScalarString(*v, Join(path, key)) : std::string();
}

std::optional<int32_t> GetInt32(const json& obj, const std::string& path, const char* key) {
  const json* v = Field(obj, key);
  if (!v) return std::nullopt;
  std::string p = Join(path, key);
  double d = 0;
  if (v->is_number()) {
    d = v->get<double>();
  } else if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    std::optional<double> parsed = ParseFiniteNumber(s);
    if (!parsed) Fail(p, absl::StrCat("expected an integer, got \"", s, "\""));
    d = *parsed;
  } else {
    Fail(p, absl::StrCat("expected an integer, got ", TypeName(*v)));
  }
  if (d != std::floor(d) || d < INT32_MIN || d > INT32_MAX) {
    Fail(p, absl::StrCat("expected a 32-bit integer, got ", Dump(*v)));
  }
  return static_cast<int32_t>(d);
}

std::optional<double> GetDouble(const json& obj, const std::string& path, const char* key) {
  const json* v = Field(obj, key);
  if (!v) return std::nullopt;
  // A finite number by core/number.h (a YAML `.inf` or a string "nan" is not one).
  if (v->is_number() && std::isfinite(v->get<double>())) return v->get<double>();
  if (v->is_string()) {
    if (std::optional<double> d = ParseFiniteNumber(v->get_ref<const std::string&>())) return *d;
  }
  std::string got = Dump(*v);  // JSON has no spelling for a non-finite number; YAML's then
  if (v->is_number() && std::isnan(v->get<double>())) got = ".nan";
  if (v->is_number() && std::isinf(v->get<double>())) got = v->get<double>() > 0 ? ".inf" : "-.inf";
  Fail(Join(path, key), absl::StrCat("expected a finite number, got ", got));
}

// A list item that must be a JSON integer in int32 range.
int32_t Int32Item(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u <= INT32_MAX) return static_cast<int32_t>(u);
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i >= INT32_MIN && i <= INT32_MAX) return static_cast<int32_t>(i);
  }
  Fail(path, absl::StrCat("expected a 32-bit integer, got ", Dump(v)));
}

bool GetBool(const json& obj, const std::string& path, const char* key) {
  const json* v = Field(obj, key);
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string() && (*v == "true" || *v == "false")) return *v == "true";
  Fail(Join(path, key), absl::StrCat("expected true or false, got ", Dump(*v)));
}

template <typename Fn>
void ForList(const json& obj, const std::string& path, const char* key, Fn fn) {
  const json* v = Field(obj, key);
  if (!v) return;
  std::string p = Join(path, key);
  if (!v->is_array()) Fail(p, absl::StrCat("expected a list, got ", TypeName(*v)));
  for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], Index(p, i));
}

std::vector<std::string> GetStringList(const json& obj, const std::string& path, const char* key) {
  std::vector<std::string> out;
  ForList(obj, path, key,
          [&](const json& item, const std::string& p) { out.push_back(ScalarString(item, p)); });
  return out;
}

std::map<std::string, std::string> GetStringMap(const json& obj, const std::string& path,
                                                const char* key) {
  std::map<std::string, std::string> out;
  const json* v = Field(obj, key);
  if (!v) return out;
  std::string p = Join(path, key);
  ExpectObject(*v, p);
  for (auto it = v->begin(); it != v->end(); ++it) {
    out[it.key()] = ScalarString(it.value(), p + "[" + it.key() + "]");
  }
  return out;
}

const json* GetObject(const json& obj, const std::string& path, const char* key) {
  const json* v = Field(obj, key);
  if (v) ExpectObject(*v, Join(path, key));
  return v;
}

// ---- model decoding ------------------------------------------------------------------------

ObjectMeta DecodeMeta(const json& obj, const std::string& path) {
  ObjectMeta m;
  m.name = GetString(obj, path, "name");
  std::string ns = GetString(obj, path, "namespace");
  if (!ns.empty()) m.namespace_ = ns;
  m.labels = GetStringMap(obj, path, "labels");
  m.annotations = GetStringMap(obj, path, "annotations");
  m.uid = GetString(obj, path, "uid");
  m.creation_timestamp = GetString(obj, path, "creationTimestamp");
  m.resource_version = GetString(obj, path, "resourceVersion");
  m.generation = GetInt32(obj, path, "generation").value_or(0);
  return m;
}

ParameterSpec DecodeParameter(const json& obj, const std::string& path) {
  ExpectObject(obj, path);
  ParameterSpec p;
  p.name = GetString(obj, path, "name");
  p.parameter_type = GetString(obj, path, "parameterType");
  if (const json* fs = GetObject(obj, path, "feasibleSpace")) {
    std::string fp = Join(path, "feasibleSpace");
    p.feasible_space.max = GetString(*fs, fp, "max");
    p.feasible_space.min = GetString(*fs, fp, "min");
    p.feasible_space.list = GetStringList(*fs, fp, "list");
    p.feasible_space.step = GetString(*fs, fp, "step");
    p.feasible_space.distribution = GetString(*fs, fp, "distribution");
  }
  return p;
}

std::vector<ParameterSpec> DecodeParameters(const json& obj, const std::string& path,
                                            const char* key) {
  std::vector<ParameterSpec> out;
  ForList(obj, path, key,
          [&](const json& item, const std::string& p) { out.push_back(DecodeParameter(item, p)); });
  return out;
}

std::vector<Setting> DecodeSettings(const json& obj, const std::string& path, const char* key) {
  std::vector<Setting> out;
  ForList(obj, path, key, [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    out.push_back({GetString(item, p, "name"), GetString(item, p, "value")});
  });
  return out;
}

ObjectiveSpec DecodeObjective(const json& obj, const std::string& path) {
  ObjectiveSpec o;
  o.type = GetString(obj, path, "type");
  o.goal = GetDouble(obj, path, "goal");
  o.objective_metric_name = GetString(obj, path, "objectiveMetricName");
  o.additional_metric_names = GetStringList(obj, path, "additionalMetricNames");
  ForList(obj, path, "metricStrategies", [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    o.metric_strategies.push_back({GetString(item, p, "name"), GetString(item, p, "value")});
  });
  return o;
}

MetricsCollectorSpec DecodeCollector(const json& obj, const std::string& path) {
  MetricsCollectorSpec m;
  if (const json* c = GetObject(obj, path, "collector")) {
    std::string cp = Join(path, "collector");
    m.kind = GetString(*c, cp, "kind");
    if (const json* cc = GetObject(*c, cp, "customCollector")) m.custom_collector = *cc;
  }
  if (const json* s = GetObject(obj, path, "source")) {
    std::string sp = Join(path, "source");
    if (const json* f = GetObject(*s, sp, "fileSystemPath")) {
      std::string fp = Join(sp, "fileSystemPath");
      m.file_system_path = FileSystemPath{GetString(*f, fp, "path"), GetString(*f, fp, "kind"),
                                          GetString(*f, fp, "format")};
    }
    if (const json* h = GetObject(*s, sp, "httpGet")) m.http_get = *h;
    if (const json* f = GetObject(*s, sp, "filter")) {
      m.metrics_format = GetStringList(*f, Join(sp, "filter"), "metricsFormat");
    }
  }
  return m;
}

std::vector<EarlyStoppingRule> DecodeRules(const json& obj, const std::string& path,
                                           const char* key) {
  std::vector<EarlyStoppingRule> out;
  ForList(obj, path, key, [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    out.push_back({GetString(item, p, "name"), GetString(item, p, "value"),
                   GetString(item, p, "comparison"), GetInt32(item, p, "startStep").value_or(0)});
  });
  return out;
}

TrialTemplate DecodeTemplate(const json& obj, const std::string& path) {
  TrialTemplate t;
  t.retain = GetBool(obj, path, "retain");
  if (const json* s = GetObject(obj, path, "trialSpec")) t.trial_spec = *s;
  if (const json* c = GetObject(obj, path, "configMap")) {
    std::string cp = Join(path, "configMap");
    t.config_map =
        ConfigMapSource{GetString(*c, cp, "configMapName"), GetString(*c, cp, "configMapNamespace"),
                        GetString(*c, cp, "templatePath")};
  }
  if (Field(obj, "trialParameters")) {
    t.trial_parameters.emplace();
    ForList(obj, path, "trialParameters", [&](const json& item, const std::string& p) {
      ExpectObject(item, p);
      t.trial_parameters->push_back({GetString(item, p, "name"), GetString(item, p, "description"),
                                     GetString(item, p, "reference")});
    });
  }
  t.primary_pod_labels = GetStringMap(obj, path, "primaryPodLabels");
  t.primary_container_name = GetString(obj, path, "primaryContainerName");
  t.success_condition = GetString(obj, path, "successCondition");
  t.failure_condition = GetString(obj, path, "failureCondition");
  return t;
}

std::vector<Condition> DecodeConditions(const json& obj, const std::string& path) {
  std::vector<Condition> out;
  ForList(obj, path, "conditions", [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    out.push_back({GetString(item, p, "type"), GetString(item, p, "status"),
                   GetString(item, p, "reason"), GetString(item, p, "message"),
                   GetString(item, p, "lastUpdateTime"), GetString(item, p, "lastTransitionTime")});
  });
  return out;
}

Observation DecodeObservation(const json& obj, const std::string& path) {
  Observation o;
  ForList(obj, path, "metrics", [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    o.metrics.push_back({GetString(item, p, "name"), GetString(item, p, "min"),
                         GetString(item, p, "max"), GetString(item, p, "latest")});
  });
  return o;
}

std::vector<ParameterAssignment> DecodeAssignments(const json& obj, const std::string& path,
                                                   const char* key) {
  std::vector<ParameterAssignment> out;
  ForList(obj, path, key, [&](const json& item, const std::string& p) {
    ExpectObject(item, p);
    out.push_back({GetString(item, p, "name"), GetString(item, p, "value")});
  });
  return out;
}

ExperimentSpec DecodeSpec(const json& obj, const std::string& path) {
  ExperimentSpec s;
  s.parameters = DecodeParameters(obj, path, "parameters");
  if (const json* o = GetObject(obj, path, "objective"))
    s.objective = DecodeObjective(*o, Join(path, "objective"));
  if (const json* a = GetObject(obj, path, "algorithm")) {
    std::string ap = Join(path, "algorithm");
    s.algorithm = AlgorithmSpec{GetString(*a, ap, "algorithmName"),
                                DecodeSettings(*a, ap, "algorithmSettings")};
  }
  if (const json* e = GetObject(obj, path, "earlyStopping")) {
    std::string ep = Join(path, "earlyStopping");
    s.early_stopping = EarlyStoppingSpec{GetString(*e, ep, "algorithmName"),
                                         DecodeSettings(*e, ep, "algorithmSettings")};
  }
  if (const json* t = GetObject(obj, path, "trialTemplate")) {
    s.trial_template = DecodeTemplate(*t, Join(path, "trialTemplate"));
  }
  s.parallel_trial_count = GetInt32(obj, path, "parallelTrialCount");
  s.max_trial_count = GetInt32(obj, path, "maxTrialCount");
  s.max_failed_trial_count = GetInt32(obj, path, "maxFailedTrialCount");
  if (const json* m = GetObject(obj, path, "metricsCollectorSpec")) {
    s.metrics_collector_spec = DecodeCollector(*m, Join(path, "metricsCollectorSpec"));
  }
  if (const json* n = GetObject(obj, path, "nasConfig")) {
    std::string np = Join(path, "nasConfig");
    NasConfig nas;
    if (const json* g = GetObject(*n, np, "graphConfig")) {
      std::string gp = Join(np, "graphConfig");
      nas.graph_config.num_layers = GetInt32(*g, gp, "numLayers");
      ForList(*g, gp, "inputSizes", [&](const json& v, const std::string& p) {
        nas.graph_config.input_sizes.push_back(Int32Item(v, p));
      });
      ForList(*g, gp, "outputSizes", [&](const json& v, const std::string& p) {
        nas.graph_config.output_sizes.push_back(Int32Item(v, p));
      });
    }
    ForList(*n, np, "operations", [&](const json& item, const std::string& p) {
      ExpectObject(item, p);
      nas.operations.push_back(
          {GetString(item, p, "operationType"), DecodeParameters(item, p, "parameters")});
    });
    s.nas_config = std::move(nas);
  }
  s.resume_policy = GetString(obj, path, "resumePolicy");
  return s;
}

ExperimentStatus DecodeExperimentStatus(const json& obj, const std::string& path) {
  ExperimentStatus s;
  s.start_time = GetString(obj, path, "startTime");
  s.completion_time = GetString(obj, path, "completionTime");
  s.last_reconcile_time = GetString(obj, path, "lastReconcileTime");
  s.conditions = DecodeConditions(obj, path);
  if (const json* c = GetObject(obj, path, "currentOptimalTrial")) {
    std::string cp = Join(path, "currentOptimalTrial");
    s.current_optimal_trial.best_trial_name = GetString(*c, cp, "bestTrialName");
    s.current_optimal_trial.parameter_assignments =
        DecodeAssignments(*c, cp, "parameterAssignments");
    if (const json* o = GetObject(*c, cp, "observation")) {
      s.current_optimal_trial.observation = DecodeObservation(*o, Join(cp, "observation"));
    }
  }
  s.running_trial_list = GetStringList(obj, path, "runningTrialList");
  s.pending_trial_list = GetStringList(obj, path, "pendingTrialList");
  s.failed_trial_list = GetStringList(obj, path, "failedTrialList");
  s.succeeded_trial_list = GetStringList(obj, path, "succeededTrialList");
  s.killed_trial_list = GetStringList(obj, path, "killedTrialList");
  s.early_stopped_trial_list = GetStringList(obj, path, "earlyStoppedTrialList");
  s.metrics_unavailable_trial_list = GetStringList(obj, path, "metricsUnavailableTrialList");
  s.trials = GetInt32(obj, path, "trials").value_or(0);
  s.trials_succeeded = GetInt32(obj, path, "trialsSucceeded").value_or(0);
  s.trials_failed = GetInt32(obj, path, "trialsFailed").value_or(0);
  s.trials_killed = GetInt32(obj, path, "trialsKilled").value_or(0);
  s.trials_pending = GetInt32(obj, path, "trialsPending").value_or(0);
  s.trials_running = GetInt32(obj, path, "trialsRunning").value_or(0);
  s.trials_early_stopped = GetInt32(obj, path, "trialsEarlyStopped").value_or(0);
  s.trial_metrics_unavailable = GetInt32(obj, path, "trialMetricsUnavailable").value_or(0);
  return s;
}

Experiment DecodeExperiment(const json& obj) {
  ExpectObject(obj, "");
  Experiment e;
  std::string api = GetString(obj, "", "apiVersion");
  std::string kind = GetString(obj, "", "kind");
  if (!api.empty() && api != kApiVersion) {
    Fail("apiVersion", absl::StrCat("\"", api, "\" is not supported; use ", kApiVersion));
  }
  if (!kind.empty() && kind != "Experiment") {
    Fail("kind", absl::StrCat("\"", kind, "\" is not an Experiment"));
  }
  if (const json* m = GetObject(obj, "", "metadata")) e.metadata = DecodeMeta(*m, "metadata");
  if (const json* s = GetObject(obj, "", "spec")) {
    e.spec = DecodeSpec(*s, "spec");
  } else {
    Fail("spec", "missing: an Experiment needs a spec");
  }
  if (const json* s = GetObject(obj, "", "status")) e.status = DecodeExperimentStatus(*s, "status");
  return e;
}

Trial DecodeTrial(const json& obj) {
  ExpectObject(obj, "");
  Trial t;
  if (const json* m = GetObject(obj, "", "metadata")) t.metadata = DecodeMeta(*m, "metadata");
  if (const json* s = GetObject(obj, "", "spec")) {
    const std::string p = "spec";
    if (const json* o = GetObject(*s, p, "objective"))
      t.spec.objective = DecodeObjective(*o, "spec.objective");
    t.spec.parameter_assignments = DecodeAssignments(*s, p, "parameterAssignments");
    t.spec.early_stopping_rules = DecodeRules(*s, p, "earlyStoppingRules");
    if (const json* r = Field(*s, "runSpec")) t.spec.run_spec = *r;
    t.spec.retain_run = GetBool(*s, p, "retainRun");
    if (const json* m = GetObject(*s, p, "metricsCollector")) {
      t.spec.metrics_collector = DecodeCollector(*m, "spec.metricsCollector");
    }
    t.spec.primary_pod_labels = GetStringMap(*s, p, "primaryPodLabels");
    t.spec.primary_container_name = GetString(*s, p, "primaryContainerName");
    t.spec.success_condition = GetString(*s, p, "successCondition");
    t.spec.failure_condition = GetString(*s, p, "failureCondition");
    t.spec.labels = GetStringMap(*s, p, "labels");
  }
  if (const json* s = GetObject(obj, "", "status")) {
    t.status.start_time = GetString(*s, "status", "startTime");
    t.status.completion_time = GetString(*s, "status", "completionTime");
    t.status.last_reconcile_time = GetString(*s, "status", "lastReconcileTime");
    t.status.conditions = DecodeConditions(*s, "status");
    if (const json* o = GetObject(*s, "status", "observation")) {
      t.status.observation = DecodeObservation(*o, "status.observation");
    }
  }
  return t;
}

// ---- encoding (omitempty) ------------------------------------------------------------------

void PutStr(json& obj, const char* key, const std::string& v) {
  if (!v.empty()) obj[key] = v;
}
void PutList(json& obj, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) obj[key] = v;
}
void PutMap(json& obj, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) obj[key] = v;
}
void PutInt(json& obj, const char* key, int32_t v) {
  if (v != 0) obj[key] = v;
}

json MetaToJson(const ObjectMeta& m) {
  json j = json::object();
  PutStr(j, "name", m.name);
  PutStr(j, "namespace", m.namespace_);
  PutMap(j, "labels", m.labels);
  PutMap(j, "annotations", m.annotations);
  PutStr(j, "uid", m.uid);
  PutStr(j, "creationTimestamp", m.creation_timestamp);
  PutStr(j, "resourceVersion", m.resource_version);
  if (m.generation != 0) j["generation"] = m.generation;
  return j;
}

json ParameterToJson(const ParameterSpec& p) {
  json j = json::object();
  PutStr(j, "name", p.name);
  PutStr(j, "parameterType", p.parameter_type);
  json fs = json::object();
  PutStr(fs, "max", p.feasible_space.max);
  PutStr(fs, "min", p.feasible_space.min);
  PutList(fs, "list", p.feasible_space.list);
  PutStr(fs, "step", p.feasible_space.step);
  PutStr(fs, "distribution", p.feasible_space.distribution);
  j["feasibleSpace"] = fs;
  return j;
}

json SettingsToJson(const std::vector<Setting>& settings) {
  json out = json::array();
  for (const auto& s : settings) out.push_back({{"name", s.name}, {"value", s.value}});
  return out;
}

json CollectorToJson(const MetricsCollectorSpec& m) {
  json j = json::object();
  json collector = json::object();
  PutStr(collector, "kind", m.kind);
  if (m.custom_collector) collector["customCollector"] = *m.custom_collector;
  json source = json::object();
  if (m.file_system_path) {
    json f = json::object();
    PutStr(f, "path", m.file_system_path->path);
    PutStr(f, "kind", m.file_system_path->kind);
    PutStr(f, "format", m.file_system_path->format);
    source["fileSystemPath"] = f;
  }
  if (m.http_get) source["httpGet"] = *m.http_get;
  if (m.metrics_format) source["filter"] = {{"metricsFormat", *m.metrics_format}};
  if (!source.empty()) j["source"] = source;
  j["collector"] = collector;
  return j;
}

json TemplateToJson(const TrialTemplate& t) {
  json j = json::object();
  if (t.retain) j["retain"] = true;
  if (t.trial_spec) j["trialSpec"] = *t.trial_spec;
  if (t.config_map) {
    json c = json::object();
    PutStr(c, "configMapName", t.config_map->config_map_name);
    PutStr(c, "configMapNamespace", t.config_map->config_map_namespace);
    PutStr(c, "templatePath", t.config_map->template_path);
    j["configMap"] = c;
  }
  if (t.trial_parameters && !t.trial_parameters->empty()) {
    json list = json::array();
    for (const auto& p : *t.trial_parameters) {
      json item = json::object();
      PutStr(item, "name", p.name);
      PutStr(item, "description", p.description);
      PutStr(item, "reference", p.reference);
      list.push_back(item);
    }
    j["trialParameters"] = list;
  }
  PutMap(j, "primaryPodLabels", t.primary_pod_labels);
  PutStr(j, "primaryContainerName", t.primary_container_name);
  PutStr(j, "successCondition", t.success_condition);
  PutStr(j, "failureCondition", t.failure_condition);
  return j;
}

json AssignmentsToJson(const std::vector<ParameterAssignment>& assignments) {
  json out = json::array();
  for (const auto& a : assignments) out.push_back({{"name", a.name}, {"value", a.value}});
  return out;
}

json SpecToJson(const ExperimentSpec& s) {
  json j = json::object();
  if (!s.parameters.empty()) {
    json list = json::array();
    for (const auto& p : s.parameters) list.push_back(ParameterToJson(p));
    j["parameters"] = list;
  }
  if (s.objective) j["objective"] = ObjectiveToJson(*s.objective);
  if (s.algorithm) {
    json a = json::object();
    PutStr(a, "algorithmName", s.algorithm->algorithm_name);
    if (!s.algorithm->algorithm_settings.empty()) {
      a["algorithmSettings"] = SettingsToJson(s.algorithm->algorithm_settings);
    }
    j["algorithm"] = a;
  }
  if (s.early_stopping) {
    json e = json::object();
    PutStr(e, "algorithmName", s.early_stopping->algorithm_name);
    if (!s.early_stopping->algorithm_settings.empty()) {
      e["algorithmSettings"] = SettingsToJson(s.early_stopping->algorithm_settings);
    }
    j["earlyStopping"] = e;
  }
  if (s.trial_template) j["trialTemplate"] = TemplateToJson(*s.trial_template);
  if (s.parallel_trial_count) j["parallelTrialCount"] = *s.parallel_trial_count;
  if (s.max_trial_count) j["maxTrialCount"] = *s.max_trial_count;
  if (s.max_failed_trial_count) j["maxFailedTrialCount"] = *s.max_failed_trial_count;
  if (s.metrics_collector_spec)
    j["metricsCollectorSpec"] = CollectorToJson(*s.metrics_collector_spec);
  if (s.nas_config) {
    json n = json::object();
    json g = json::object();
    if (s.nas_config->graph_config.num_layers)
      g["numLayers"] = *s.nas_config->graph_config.num_layers;
    if (!s.nas_config->graph_config.input_sizes.empty())
      g["inputSizes"] = s.nas_config->graph_config.input_sizes;
    if (!s.nas_config->graph_config.output_sizes.empty())
      g["outputSizes"] = s.nas_config->graph_config.output_sizes;
    n["graphConfig"] = g;
    if (!s.nas_config->operations.empty()) {
      json ops = json::array();
      for (const auto& op : s.nas_config->operations) {
        json o = json::object();
        PutStr(o, "operationType", op.operation_type);
        json params = json::array();
        for (const auto& p : op.parameters) params.push_back(ParameterToJson(p));
        if (!params.empty()) o["parameters"] = params;
        ops.push_back(o);
      }
      n["operations"] = ops;
    }
    j["nasConfig"] = n;
  }
  PutStr(j, "resumePolicy", s.resume_policy);
  return j;
}

json StatusToJson(const ExperimentStatus& s) {
  json j = json::object();
  PutStr(j, "startTime", s.start_time);
  PutStr(j, "completionTime", s.completion_time);
  PutStr(j, "lastReconcileTime", s.last_reconcile_time);
  if (!s.conditions.empty()) j["conditions"] = ConditionsToJson(s.conditions);
  const auto& best = s.current_optimal_trial;
  json c = json::object();
  PutStr(c, "bestTrialName", best.best_trial_name);
  c["parameterAssignments"] = AssignmentsToJson(best.parameter_assignments);
  c["observation"] = ObservationToJson(best.observation);
  j["currentOptimalTrial"] = c;
  PutList(j, "runningTrialList", s.running_trial_list);
  PutList(j, "pendingTrialList", s.pending_trial_list);
  PutList(j, "failedTrialList", s.failed_trial_list);
  PutList(j, "succeededTrialList", s.succeeded_trial_list);
  PutList(j, "killedTrialList", s.killed_trial_list);
  PutList(j, "earlyStoppedTrialList", s.early_stopped_trial_list);
  PutList(j, "metricsUnavailableTrialList", s.metrics_unavailable_trial_list);
  PutInt(j, "trials", s.trials);
  PutInt(j, "trialsSucceeded", s.trials_succeeded);
  PutInt(j, "trialsFailed", s.trials_failed);
  PutInt(j, "trialsKilled", s.trials_killed);
  PutInt(j, "trialsPending", s.trials_pending);
  PutInt(j, "trialsRunning", s.trials_running);
  PutInt(j, "trialsEarlyStopped", s.trials_early_stopped);
  PutInt(j, "trialMetricsUnavailable", s.trial_metrics_unavailable);
  return j;
}

template <typename T, typename Fn>
absl::StatusOr<T> Guard(Fn fn) {
  try {
    return fn();
  } catch (const DecodeError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseYamlDocument(std::string_view text) {
  return internal::YamlToJson(text);
}

absl::StatusOr<Experiment> ParseExperiment(std::string_view text, std::string_view source) {
  auto doc = ParseYamlDocument(text);
  std::string prefix = source.empty() ? "" : std::string(source) + ": ";
  if (!doc.ok()) return absl::InvalidArgumentError(prefix + std::string(doc.status().message()));
  auto e = ExperimentFromJson(*doc);
  if (!e.ok()) return absl::InvalidArgumentError(prefix + std::string(e.status().message()));
  return e;
}

absl::StatusOr<Experiment> ExperimentFromJson(const nlohmann::json& j) {
  return Guard<Experiment>([&] { return DecodeExperiment(j); });
}

nlohmann::json ExperimentToJson(const Experiment& e) {
  json j = json::object();
  j["apiVersion"] = e.api_version;
  j["kind"] = e.kind;
  j["metadata"] = MetaToJson(e.metadata);
  j["spec"] = SpecToJson(e.spec);
  json status = StatusToJson(e.status);
  if (status != StatusToJson(ExperimentStatus{})) j["status"] = status;
  return j;
}

absl::StatusOr<Trial> TrialFromJson(const nlohmann::json& j) {
  return Guard<Trial>([&] { return DecodeTrial(j); });
}

nlohmann::json TrialToJson(const Trial& t) {
  json j = json::object();
  j["apiVersion"] = t.api_version;
  j["kind"] = t.kind;
  j["metadata"] = MetaToJson(t.metadata);
  json s = json::object();
  s["objective"] = ObjectiveToJson(t.spec.objective);
  s["parameterAssignments"] = AssignmentsToJson(t.spec.parameter_assignments);
  if (!t.spec.early_stopping_rules.empty()) {
    json rules = json::array();
    for (const auto& r : t.spec.early_stopping_rules) {
      json item = {{"name", r.name}, {"value", r.value}, {"comparison", r.comparison}};
      if (r.start_step != 0) item["startStep"] = r.start_step;
      rules.push_back(item);
    }
    s["earlyStoppingRules"] = rules;
  }
  if (!t.spec.run_spec.is_null()) s["runSpec"] = t.spec.run_spec;
  if (t.spec.retain_run) s["retainRun"] = true;
  s["metricsCollector"] = CollectorToJson(t.spec.metrics_collector);
  PutMap(s, "primaryPodLabels", t.spec.primary_pod_labels);
  PutStr(s, "primaryContainerName", t.spec.primary_container_name);
  PutStr(s, "successCondition", t.spec.success_condition);
  PutStr(s, "failureCondition", t.spec.failure_condition);
  PutMap(s, "labels", t.spec.labels);
  j["spec"] = s;
  json st = json::object();
  PutStr(st, "startTime", t.status.start_time);
  PutStr(st, "completionTime", t.status.completion_time);
  PutStr(st, "lastReconcileTime", t.status.last_reconcile_time);
  if (!t.status.conditions.empty()) st["conditions"] = ConditionsToJson(t.status.conditions);
  if (t.status.observation) st["observation"] = ObservationToJson(*t.status.observation);
  j["status"] = st;
  return j;
}

nlohmann::json ObjectiveToJson(const ObjectiveSpec& o) {
  json j = json::object();
  PutStr(j, "type", o.type);
  if (o.goal) j["goal"] = *o.goal;
  PutStr(j, "objectiveMetricName", o.objective_metric_name);
  PutList(j, "additionalMetricNames", o.additional_metric_names);
  if (!o.metric_strategies.empty()) {
    json list = json::array();
    for (const auto& s : o.metric_strategies)
      list.push_back({{"name", s.name}, {"value", s.value}});
    j["metricStrategies"] = list;
  }
  return j;
}

absl::StatusOr<ObjectiveSpec> ObjectiveFromJson(const nlohmann::json& j) {
  return Guard<ObjectiveSpec>([&] {
    ExpectObject(j, "objective");
    return DecodeObjective(j, "objective");
  });
}

nlohmann::json ObservationToJson(const Observation& o) {
  json metrics = json::array();
  for (const auto& m : o.metrics) {
    metrics.push_back({{"name", m.name}, {"min", m.min}, {"max", m.max}, {"latest", m.latest}});
  }
  return json{{"metrics", metrics}};
}

nlohmann::json ConditionsToJson(const std::vector<Condition>& conditions) {
  json out = json::array();
  for (const auto& c : conditions) {
    json j = json::object();
    PutStr(j, "type", c.type);
    PutStr(j, "status", c.status);
    PutStr(j, "reason", c.reason);
    PutStr(j, "message", c.message);
    PutStr(j, "lastUpdateTime", c.last_update_time);
    PutStr(j, "lastTransitionTime", c.last_transition_time);
    out.push_back(j);
  }
  return out;
}

std::string ToYaml(const nlohmann::json& j) { return internal::JsonToYaml(j); }

}  // namespace ktune::core

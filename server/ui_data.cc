#include "server/ui_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "algorithms/search_space.h"
#include "algorithms/trial_table.h"
#include "core/codec.h"
#include "core/conditions.h"
#include "core/number.h"
#include "core/proto_convert.h"
#include "server/importance.h"

#include <zlib.h>

namespace ktune::server {
namespace {

using internal::ErrorReply;
using internal::JsonReply;
using internal::Param;
using internal::Reply;
using internal::StatusReply;
using nlohmann::json;

constexpr char kApiVersion[] = "ktune.dev/v1";
// Above this many changed trials a `since` answer reads the experiment's summaries once
// instead of each changed trial.
constexpr size_t kMaxSingleReads = 256;

const kube::ResourceInfo* ExperimentInfo() {
  return kube::FindResource("kubeflow.org", "v1beta1", "experiments");
}

core::Trial TrialOf(db::TrialSummary&& s) {
  core::Trial t;
  t.metadata = std::move(s.metadata);
  t.spec.objective = std::move(s.objective);
  t.spec.parameter_assignments = std::move(s.parameter_assignments);
  t.status = std::move(s.status);
  return t;
}

// The UI's phase names: a trial not yet running is "Created".
const char* PhaseOf(const core::Trial& t) {
  const core::TrialPhase phase = core::ClassifyTrial(t);
  return phase == core::TrialPhase::kPending ? "Created" : core::TrialPhaseName(phase);
}

void SetNumber(json& out, const char* key, const std::string& text) {
  if (std::optional<double> v = core::ParseFiniteNumber(text)) out[key] = *v;
}

json RowOf(const core::Trial& t, const core::ObjectiveSpec& experiment_objective) {
  const core::ObjectiveSpec& objective =
      t.spec.objective.objective_metric_name.empty() ? experiment_objective : t.spec.objective;
  json row = json::object();
  row["name"] = t.metadata.name;
  row["phase"] = PhaseOf(t);
  json assignments = json::object();
  for (const core::ParameterAssignment& a : t.spec.parameter_assignments) {
    assignments[a.name] = a.value;
  }
  row["assignments"] = std::move(assignments);
  json metrics = json::object();
  if (t.status.observation) {
    for (const core::MetricObservation& m : t.status.observation->metrics) {
      json v = json::object();
      SetNumber(v, "latest", m.latest);
      SetNumber(v, "min", m.min);
      SetNumber(v, "max", m.max);
      metrics[m.name] = std::move(v);
    }
  }
  row["metrics"] = std::move(metrics);
  if (std::optional<std::string> value = core::ObjectiveValue(objective, t)) {
    SetNumber(row, "objective", *value);
  }
  if (!t.metadata.creation_timestamp.empty()) row["createdAt"] = t.metadata.creation_timestamp;
  if (!t.status.start_time.empty()) row["startTime"] = t.status.start_time;
  if (!t.status.completion_time.empty()) row["completionTime"] = t.status.completion_time;
  if (!t.status.conditions.empty()) {
    const core::Condition& last = t.status.conditions.back();
    if (!last.reason.empty()) row["reason"] = last.reason;
    if (!last.message.empty()) row["message"] = last.message;
  }
  return row;
}

// The table's header: what the experiment says about its trials.
json TableHeader(const core::Experiment& e, int64_t revision, bool complete) {
  const core::ObjectiveSpec objective = e.spec.objective.value_or(core::ObjectiveSpec{});
  json out = {{"kind", "TrialTable"},
              {"apiVersion", kApiVersion},
              {"namespace", e.metadata.namespace_},
              {"experiment", e.metadata.name},
              {"resourceVersion", std::to_string(revision)},
              {"complete", complete}};
  json obj = {{"metric", objective.objective_metric_name},
              {"type", objective.type == "maximize" ? "maximize" : "minimize"}};
  if (objective.goal) obj["goal"] = *objective.goal;
  out["objective"] = std::move(obj);
  out["metrics"] = core::MetricNames(objective);
  json spec = core::ExperimentToJson(e)["spec"];
  out["parameters"] =
      spec.is_object() && spec.contains("parameters") ? spec["parameters"] : json::array();
  if (!e.status.current_optimal_trial.best_trial_name.empty()) {
    out["bestTrialName"] = e.status.current_optimal_trial.best_trial_name;
  }
  return out;
}

absl::StatusOr<std::vector<core::Trial>> AllTrials(db::ExperimentStore& store,
                                                   const std::string& ns, const std::string& name) {
  absl::StatusOr<db::Page<db::TrialSummary>> page = store.ListTrialSummaries(ns, name, {});
  if (!page.ok()) return page.status();
  std::vector<core::Trial> out;
  out.reserve(page->items.size());
  for (db::TrialSummary& s : page->items) out.push_back(TrialOf(std::move(s)));
  return out;
}

// `count` evenly spread indices of [0, n), the first and the last included.
std::vector<size_t> Thinned(size_t n, size_t count) {
  std::vector<size_t> out;
  if (n <= count) {
    for (size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  for (size_t k = 0; k < count; ++k) {
    out.push_back(static_cast<size_t>(std::llround(
        static_cast<double>(k) * static_cast<double>(n - 1) / static_cast<double>(count - 1))));
  }
  return out;
}

// httplib compresses "application/json" itself, preferring brotli at its highest quality
// whenever the client accepts it (every browser does): 10 s for a table of 10 000 trials. Large
// answers go out as gzip at a fast level instead (about 10x smaller, tens of ms), under a
// content type httplib leaves alone.
constexpr size_t kCompressAbove = 64 * 1024;

Reply LargeJson(std::string body, const httplib::Request& req, httplib::Response& res) {
  Reply r;
  r.body = std::move(body);
  if (r.body.size() < kCompressAbove) return r;
  r.content_type = "application/json; charset=utf-8";
  const std::string accept = req.get_header_value("Accept-Encoding");
  if (accept.find("gzip") == std::string::npos) return r;
  z_stream z{};
  // 15 + 16: a gzip wrapper.
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return r;
  std::string out(deflateBound(&z, r.body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(r.body.data());
  z.avail_in = static_cast<uInt>(r.body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return r;
  out.resize(written);
  r.body = std::move(out);
  res.set_header("Content-Encoding", "gzip");
  res.set_header("Vary", "Accept-Encoding");
  return r;
}

}  // namespace

// ---- ObservationFeed --------------------------------------------------------------------------

ObservationFeed::ObservationFeed(db::ExperimentStore& store) : store_(store) {
  absl::StatusOr<int64_t> now = store_.Revision();
  {
    MutexLock lock(mu_);
    revision_ = now.ok() ? *now : 0;
  }
  follower_ = std::thread([this] { Follow(); });
}

ObservationFeed::~ObservationFeed() {
  Stop();
  if (follower_.joinable()) follower_.join();
}

void ObservationFeed::Stop() {
  MutexLock lock(mu_);
  stopping_ = true;
  changed_.SignalAll();
}

void ObservationFeed::Follow() {
  int64_t seen;
  {
    MutexLock lock(mu_);
    seen = revision_;
  }
  while (true) {
    {
      MutexLock lock(mu_);
      if (stopping_) return;
    }
    const int64_t now = store_.WaitForChanges(seen, absl::Milliseconds(500));
    if (now > seen) {
      seen = now;
      MutexLock lock(mu_);
      revision_ = std::max(revision_, now);
      changed_.SignalAll();
    }
  }
}

void ObservationFeed::Publish(const std::string& ns, const std::string& trial,
                              const std::string& experiment) {
  MutexLock lock(mu_);
  reports_.push_back(Report{++seq_, ns, trial, experiment});
  while (reports_.size() > 4096) reports_.pop_front();
  changed_.SignalAll();
}

std::vector<ObservationFeed::Report> ObservationFeed::Since(int64_t seq, int64_t* now) {
  MutexLock lock(mu_);
  std::vector<Report> out;
  for (const Report& r : reports_) {
    if (r.seq > seq) out.push_back(r);
  }
  *now = seq_;
  return out;
}

int64_t ObservationFeed::seq() {
  MutexLock lock(mu_);
  return seq_;
}

void ObservationFeed::Wait(int64_t seq, int64_t revision, absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  MutexLock lock(mu_);
  while (!stopping_ && seq_ <= seq && revision_ <= revision) {
    if (!changed_.WaitUntil(mu_, deadline)) return;
  }
}

// ---- UiData -----------------------------------------------------------------------------------

UiData::UiData(db::Store& store, controller::ControllerManager& manager)
    : store_(store), manager_(manager) {}

namespace {

// Tables and series kept at most (the least recently used go first).
constexpr size_t kMaxTables = 16;
constexpr size_t kMaxSeries = 8;

template <typename Map>
void Evict(Map& map, size_t keep) {
  while (map.size() > keep) {
    auto oldest = map.begin();
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->second.used < oldest->second.used) oldest = it;
    }
    map.erase(oldest);
  }
}

int64_t RevisionOf(const core::Trial& t) {
  int64_t r = 0;
  return absl::SimpleAtoi(t.metadata.resource_version, &r) ? r : 0;
}

// A JSON object's text with `"key":<raw>` appended.
std::string WithRaw(const json& object, const char* key, const std::string& raw) {
  std::string out = object.dump();
  out.pop_back();  // '}'
  if (out.size() > 1) out += ',';
  absl::StrAppend(&out, "\"", key, "\":", raw, "}");
  return out;
}

}  // namespace

absl::Status UiData::LoadTable(const core::Experiment& e, Table& table) {
  absl::StatusOr<int64_t> revision = store_.Revision();
  if (!revision.ok()) return revision.status();
  absl::StatusOr<std::vector<core::Trial>> trials =
      AllTrials(store_, e.metadata.namespace_, e.metadata.name);
  if (!trials.ok()) return trials.status();
  const core::ObjectiveSpec objective = e.spec.objective.value_or(core::ObjectiveSpec{});
  table.uid = e.metadata.uid;
  table.revision = *revision;
  table.order.clear();
  table.rows.clear();
  for (const core::Trial& t : *trials) {
    table.order.push_back(t.metadata.name);
    table.rows[t.metadata.name] =
        Row{RevisionOf(t), core::IsTrialCompleted(t), PhaseOf(t), RowOf(t, objective).dump()};
  }
  return absl::OkStatus();
}

absl::StatusOr<const UiData::Table*> UiData::SyncTable(const core::Experiment& e) {
  const std::string& ns = e.metadata.namespace_;
  const std::string& name = e.metadata.name;
  Table& table = tables_[{ns, name}];
  table.used = ++clock_;
  Evict(tables_, kMaxTables);
  if (table.revision < 0 || table.uid != e.metadata.uid) {
    if (absl::Status st = LoadTable(e, table); !st.ok()) {
      tables_.erase({ns, name});
      return st;
    }
    return &table;
  }
  absl::StatusOr<db::ChangeBatch> batch = store_.ChangesSince(table.revision);
  if (absl::IsOutOfRange(batch.status())) {
    if (absl::Status st = LoadTable(e, table); !st.ok()) return st;
    return &table;
  }
  if (!batch.ok()) return batch.status();
  std::set<std::string> changed;
  for (const db::Change& c : batch->changes) {
    if (c.kind == db::ObjectKind::kTrial && c.ns == ns && c.experiment == name) {
      changed.insert(c.name);
    }
  }
  if (changed.size() > kMaxSingleReads) {
    if (absl::Status st = LoadTable(e, table); !st.ok()) return st;
    return &table;
  }
  const core::ObjectiveSpec objective = e.spec.objective.value_or(core::ObjectiveSpec{});
  for (const std::string& trial : changed) {
    absl::StatusOr<core::Trial> t = store_.GetTrial(ns, trial);
    if (absl::IsNotFound(t.status())) {
      table.rows.erase(trial);
      continue;
    }
    if (!t.ok()) return t.status();
    auto [it, added] = table.rows.try_emplace(trial);
    if (added) table.order.push_back(trial);
    it->second =
        Row{RevisionOf(*t), core::IsTrialCompleted(*t), PhaseOf(*t), RowOf(*t, objective).dump()};
  }
  table.revision = std::max(table.revision, batch->revision);
  return &table;
}

Reply UiData::TrialTable(const std::string& ns, const std::string& name,
                         const httplib::Request& req, httplib::Response& res) {
  const std::string since_text = Param(req, "since");
  int64_t since = -1;
  if (!since_text.empty() && (!absl::SimpleAtoi(since_text, &since) || since < 0)) {
    return StatusReply(400, "BadRequest", absl::StrCat("invalid since \"", since_text, "\""));
  }
  absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
  if (!e.ok()) return ErrorReply(e.status(), ExperimentInfo(), name);
  MutexLock lock(mu_);
  absl::StatusOr<const Table*> synced = SyncTable(*e);
  if (!synced.ok()) return ErrorReply(synced.status());
  const Table& table = **synced;
  // The names changed after `since` up to the table's revision; nullopt: send everything.
  std::optional<std::set<std::string>> changed;
  if (since >= 0) {
    absl::StatusOr<db::ChangeBatch> batch = store_.ChangesSince(since);
    if (!batch.ok() && !absl::IsOutOfRange(batch.status())) return ErrorReply(batch.status());
    if (batch.ok()) {
      changed.emplace();
      for (const db::Change& c : batch->changes) {
        if (c.revision > table.revision) break;
        if (c.ns != ns || c.experiment != name) continue;
        // Deleted and made again under the same name: a new experiment, a new table.
        if (c.kind == db::ObjectKind::kExperiment && c.type != db::ChangeType::kModified) {
          changed.reset();
          break;
        }
        if (c.kind == db::ObjectKind::kTrial) changed->insert(c.name);
      }
    }
  }
  std::string rows = "[";
  json deleted = json::array();
  auto add = [&rows](const Row& row) {
    if (rows.size() > 1) rows += ',';
    rows += row.text;
  };
  if (changed) {
    for (const std::string& trial : *changed) {
      if (auto it = table.rows.find(trial); it != table.rows.end()) {
        add(it->second);
      } else {
        deleted.push_back(trial);
      }
    }
  } else {
    rows.reserve(table.rows.size() *
                 (table.rows.empty() ? 0 : table.rows.begin()->second.text.size() + 16));
    for (const std::string& trial : table.order) {
      if (auto it = table.rows.find(trial); it != table.rows.end()) add(it->second);
    }
  }
  rows += ']';
  json header = TableHeader(*e, table.revision, !changed.has_value());
  if (changed) header["deleted"] = std::move(deleted);
  return LargeJson(WithRaw(header, "trials", rows), req, res);
}

Reply UiData::Intermediate(const std::string& ns, const std::string& name,
                           const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
  if (!e.ok()) return ErrorReply(e.status(), ExperimentInfo(), name);
  std::string metric = Param(req, "metric");
  if (metric.empty() && e->spec.objective) metric = e->spec.objective->objective_metric_name;
  if (metric.empty()) return StatusReply(400, "BadRequest", "no metric given");
  MutexLock lock(mu_);
  absl::StatusOr<const Table*> synced = SyncTable(*e);
  if (!synced.ok()) return ErrorReply(synced.status());
  const Table& table = **synced;
  Series& series = series_[{ns, name, metric}];
  series.used = ++clock_;
  // Read again: trials not seen, changed, or still running (their reports bump no revision).
  std::vector<std::string> stale;
  for (const auto& [trial, row] : table.rows) {
    auto it = series.rows.find(trial);
    if (it == series.rows.end() || !row.completed || it->second.first != row.revision) {
      stale.push_back(trial);
    }
  }
  if (!stale.empty()) {
    absl::StatusOr<std::map<std::string, std::vector<core::MetricLog>>> logs =
        store_.GetObservationLogs(stale, metric);
    if (!logs.ok()) return ErrorReply(logs.status());
    for (const std::string& trial : stale) {
      const Row& row = table.rows.at(trial);
      json values = json::array(), times = json::array();
      size_t reported = 0;
      if (auto it = logs->find(trial); it != logs->end()) {
        // Only numbers can be drawn (JSON has no NaN): other values are left out.
        std::vector<std::pair<double, const std::string*>> points;
        points.reserve(it->second.size());
        for (const core::MetricLog& m : it->second) {
          if (std::optional<double> v = core::ParseFiniteNumber(m.value)) {
            points.emplace_back(*v, &m.time_stamp);
          }
        }
        reported = points.size();
        for (size_t i : Thinned(points.size(), kMaxIntermediatePoints)) {
          values.push_back(points[i].first);
          times.push_back(*points[i].second);
        }
      }
      json out = {{"name", trial},
                  {"phase", row.phase},
                  {"values", std::move(values)},
                  {"times", std::move(times)},
                  {"reported", reported}};
      series.rows[trial] = {row.revision, out.dump()};
    }
  }
  // Rows of trials gone since.
  for (auto it = series.rows.begin(); it != series.rows.end();) {
    it = table.rows.count(it->first) ? std::next(it) : series.rows.erase(it);
  }
  std::string rows = "[";
  for (const std::string& trial : table.order) {
    auto it = series.rows.find(trial);
    if (it == series.rows.end()) continue;
    if (rows.size() > 1) rows += ',';
    rows += it->second.second;
  }
  rows += ']';
  Evict(series_, kMaxSeries);
  json header = {{"kind", "IntermediateValues"},
                 {"apiVersion", kApiVersion},
                 {"namespace", ns},
                 {"experiment", name},
                 {"metric", metric},
                 {"maxPointsPerTrial", kMaxIntermediatePoints}};
  return LargeJson(WithRaw(header, "trials", rows), req, res);
}

Reply UiData::Importance(const std::string& ns, const std::string& name) {
  absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
  if (!e.ok()) return ErrorReply(e.status(), ExperimentInfo(), name);
  // Cached while the same completed trials stand (their count and newest revision).
  int64_t completed = 0, newest = 0;
  const auto key = std::make_pair(ns, name);
  {
    MutexLock lock(mu_);
    absl::StatusOr<const Table*> synced = SyncTable(*e);
    if (!synced.ok()) return ErrorReply(synced.status());
    for (const auto& [trial, row] : (*synced)->rows) {
      if (!row.completed) continue;
      ++completed;
      newest = std::max(newest, row.revision);
    }
  }
  const auto version = std::make_tuple(e->metadata.uid, completed, newest);
  {
    MutexLock lock(mu_);
    if (auto it = importance_cache_.find(key);
        it != importance_cache_.end() && it->second.first == version) {
      Reply r;
      r.body = it->second.second;
      return r;
    }
  }
  absl::StatusOr<std::vector<core::Trial>> trials = AllTrials(store_, ns, name);
  if (!trials.ok()) return ErrorReply(trials.status());
  const api::v1::beta1::Experiment proto = core::ExperimentToProto(*e);
  absl::StatusOr<algorithms::SearchSpace> space = algorithms::SearchSpace::FromProto(proto);
  if (!space.ok()) {
    return StatusReply(422, "Invalid",
                       absl::StrCat("parameter importance: ", space.status().message()));
  }
  algorithms::TrialTable table(*space, proto);
  google::protobuf::RepeatedPtrField<api::v1::beta1::Trial> messages;
  messages.Reserve(static_cast<int>(trials->size()));
  for (const core::Trial& t : *trials) *messages.Add() = core::TrialToProto(t);
  table.Upsert(messages);
  std::vector<ImportanceAxis> axes;
  for (const algorithms::Parameter& p : space->parameters()) {
    ImportanceAxis axis;
    axis.name = p.name();
    axis.categorical = p.kind() == algorithms::ParameterKind::kCategorical;
    // Finite parameters count in their points' cells; more than 50 points and unstepped
    // doubles in 50 even cells (the default).
    if (p.finite() && p.size() <= 50) {
      std::vector<double> points;
      for (uint64_t i = 0; i < p.size(); ++i) points.push_back(p.UnitOfIndex(i));
      axis.centres = CellCentres(std::move(points));
    }
    axes.push_back(std::move(axis));
  }
  std::vector<std::vector<double>> units;
  std::vector<double> losses;
  for (const algorithms::TrialRecord& r : table.records()) {
    if (r.outcome != algorithms::TrialOutcome::kCompleted || !r.in_space) continue;
    units.push_back(r.unit);
    losses.push_back(r.loss);
  }
  absl::StatusOr<std::vector<server::Importance>> importances =
      PedAnovaImportance(axes, units, losses);
  if (!importances.ok()) {
    if (absl::IsFailedPrecondition(importances.status())) {
      return StatusReply(409, "Conflict", std::string(importances.status().message()));
    }
    return ErrorReply(importances.status());
  }
  json list = json::array();
  for (const server::Importance& i : *importances) {
    list.push_back({{"parameter", i.parameter}, {"importance", i.importance}});
  }
  json out = {{"kind", "ParameterImportance"},
              {"apiVersion", kApiVersion},
              {"namespace", ns},
              {"experiment", name},
              {"metric", e->spec.objective ? e->spec.objective->objective_metric_name : ""},
              {"method", "ped-anova"},
              {"trials", static_cast<int64_t>(units.size())},
              {"importances", std::move(list)}};
  Reply r = JsonReply(200, out);
  MutexLock lock(mu_);
  importance_cache_[key] = {version, r.body};
  return r;
}

Reply UiData::Stop(const std::string& ns, const std::string& name) {
  absl::StatusOr<core::Experiment> e = store_.GetExperiment(ns, name);
  if (!e.ok()) return ErrorReply(e.status(), ExperimentInfo(), name);
  if (core::IsExperimentCompleted(*e)) {
    return StatusReply(
        409, "Conflict",
        absl::StrCat("experiment \"", name, "\" has already finished; there is nothing to stop"),
        {{"name", name}, {"group", "kubeflow.org"}, {"kind", "experiments"}});
  }
  if (absl::Status st = manager_.StopExperiment({ns, name}); !st.ok()) {
    return ErrorReply(st, ExperimentInfo(), name);
  }
  e = store_.GetExperiment(ns, name);
  if (!e.ok()) return ErrorReply(e.status(), ExperimentInfo(), name);
  return JsonReply(200, core::ExperimentToJson(*e));
}

void UiData::Install(httplib::Server& http, const internal::RouteWrapper& route) {
  const std::string base = R"(/apis/ktune\.dev/v1/namespaces/([^/]+)/experiments/([^/]+))";
  http.Get(base + "/trialtable", route([this](const httplib::Request& req, httplib::Response& res) {
             return TrialTable(req.matches[1], req.matches[2], req, res);
           }));
  http.Get(base + "/intermediate",
           route([this](const httplib::Request& req, httplib::Response& res) {
             return Intermediate(req.matches[1], req.matches[2], req, res);
           }));
  http.Get(base + "/importance", route([this](const httplib::Request& req, httplib::Response&) {
             return Importance(req.matches[1], req.matches[2]);
           }));
  http.Post(base + "/stop", route([this](const httplib::Request& req, httplib::Response&) {
              return Stop(req.matches[1], req.matches[2]);
            }));
}

}  // namespace ktune::server

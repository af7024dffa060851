#include "db-manager/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/codec.h"
#include "core/time_util.h"
#include "spdlog/spdlog.h"

namespace ktune::db {
namespace {

// ---- schema ---------------------------------------------------------------------------------

struct Migration {
  int version;
  const char* description;
  const char* script;
};

// Append a step to go to the next version; never edit a released one. Each script runs in the
// same transaction as the schema_version row that records it.
constexpr Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE experiments (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);
CREATE TABLE trials (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  experiment TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (namespace, name),
  FOREIGN KEY (namespace, experiment) REFERENCES experiments (namespace, name) ON DELETE CASCADE
);
CREATE INDEX trials_by_experiment ON trials (namespace, experiment, seq);
CREATE TABLE observation_logs (
  trial_name  TEXT NOT NULL,
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  time        TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  value       TEXT NOT NULL
);
CREATE INDEX observation_logs_by_trial_metric_time
  ON observation_logs (trial_name, metric_name, time);
CREATE TABLE suggestion_state (
  namespace  TEXT NOT NULL,
  experiment TEXT NOT NULL,
  state      BLOB NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, experiment),
  FOREIGN KEY (namespace, experiment) REFERENCES experiments (namespace, name) ON DELETE CASCADE
);
)sql"},
};

constexpr bool MigrationsAreConsecutive() {
  int expected = 1;
  for (const Migration& m : kMigrations) {
    if (m.version != expected++) return false;
  }
  return true;
}
static_assert(MigrationsAreConsecutive(), "migrations must be numbered 1, 2, 3, ...");
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "kSchemaVersion must be the last migration");

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)";

constexpr char kInsertExperiment[] =
    "INSERT INTO experiments (namespace, name, body, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr char kUpdateExperiment[] =
    "UPDATE experiments SET body = ?, updated_at = ? WHERE namespace = ? AND name = ?";
constexpr char kSelectExperiment[] =
    "SELECT body FROM experiments WHERE namespace = ? AND name = ?";
constexpr char kListExperiments[] =
    "SELECT namespace, name, body FROM experiments ORDER BY namespace, name";
constexpr char kListExperimentsInNamespace[] =
    "SELECT namespace, name, body FROM experiments WHERE namespace = ? ORDER BY name";
// Logs are keyed by trial name only (as in Katib): keep those of a same-named trial that lives
// in another namespace.
constexpr char kDeleteExperimentLogs[] =
    "DELETE FROM observation_logs WHERE trial_name IN "
    "(SELECT name FROM trials WHERE namespace = ?1 AND experiment = ?2) "
    "AND trial_name NOT IN (SELECT name FROM trials WHERE namespace <> ?1)";
constexpr char kDeleteExperimentState[] =
    "DELETE FROM suggestion_state WHERE namespace = ? AND experiment = ?";
constexpr char kDeleteExperimentTrials[] =
    "DELETE FROM trials WHERE namespace = ? AND experiment = ?";
constexpr char kDeleteExperiment[] = "DELETE FROM experiments WHERE namespace = ? AND name = ?";

constexpr char kInsertTrial[] =
    "INSERT INTO trials (namespace, name, experiment, body, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kUpdateTrial[] =
    "UPDATE trials SET experiment = ?, body = ?, updated_at = ? WHERE namespace = ? AND name = ?";
constexpr char kSelectTrial[] = "SELECT body FROM trials WHERE namespace = ? AND name = ?";
constexpr char kListTrials[] =
    "SELECT name, body FROM trials WHERE namespace = ? AND experiment = ? ORDER BY seq";

constexpr char kInsertObservation[] =
    "INSERT INTO observation_logs (trial_name, time, metric_name, value) VALUES (?, ?, ?, ?)";
constexpr char kDeleteObservations[] = "DELETE FROM observation_logs WHERE trial_name = ?";

constexpr char kPutSuggestionState[] =
    "INSERT INTO suggestion_state (namespace, experiment, state, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (namespace, experiment) DO UPDATE SET "
    "state = excluded.state, updated_at = excluded.updated_at";
constexpr char kGetSuggestionState[] =
    "SELECT state FROM suggestion_state WHERE namespace = ? AND experiment = ?";

// ---- helpers --------------------------------------------------------------------------------

// Borrows a cached statement: binds parameters in order, and resets it when done so that the
// next user finds it clean. The first bind error is reported by Step.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(absl::string_view text) {
    // A null pointer would bind SQL NULL; an empty string must stay an empty string.
    Check(sqlite3_bind_text64(stmt_, ++index_, text.empty() ? "" : text.data(), text.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  Statement& BindBlob(absl::string_view bytes) {
    Check(sqlite3_bind_blob64(stmt_, ++index_, bytes.empty() ? "" : bytes.data(), bytes.size(),
                              SQLITE_TRANSIENT));
    return *this;
  }
  Statement& Bind(int64_t value) {
    Check(sqlite3_bind_int64(stmt_, ++index_, value));
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an (extended) error code.
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, sqlite3_column_bytes(stmt_, column)) : std::string();
  }
  std::string Blob(int column) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return bytes ? std::string(bytes, sqlite3_column_bytes(stmt_, column)) : std::string();
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3_stmt* const stmt_;
  int index_ = 0;
  int bind_rc_ = SQLITE_OK;
};

// Maps a SQLite result code onto the Store's error codes; `context` says what was being done.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context) {
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(
          context, ": database is locked and stayed locked past the busy timeout (", detail, ")"));
    case SQLITE_FULL: {
      const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
      return absl::ResourceExhaustedError(
          absl::StrCat(context, ": no space left for the database \"",
                       file != nullptr && *file != '\0' ? file : ":memory:", "\" (", detail,
                       "); free space on its file system"));
    }
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(absl::StrCat(context, ": out of memory (", detail, ")"));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(absl::StrCat(context, ": ", detail));
    default:
      return absl::InternalError(absl::StrCat(context, ": ", detail));
  }
}

bool IsUniqueViolation(int rc) {
  return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE;
}

std::string Key(absl::string_view ns, absl::string_view name) {
  return absl::StrCat("\"", ns, "/", name, "\"");
}

absl::Status CheckKey(absl::string_view kind, const core::ObjectMeta& meta) {
  if (meta.name.empty() || meta.namespace_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kind, " ", Key(meta.namespace_, meta.name),
                                                   ": namespace and name must not be empty"));
  }
  return absl::OkStatus();
}

// `YYYY-MM-DD HH:MM:SS.ffffff` in UTC: fixed width, so text order is time order.
absl::StatusOr<std::string> FormatDbTime(core::Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    return absl::InvalidArgumentError(absl::StrCat("year ", year, " is out of range 0000-9999"));
  }
  const hh_mm_ss<microseconds> tod(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%06lld", year,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return std::string(buf);
}

// Parses an RFC3339 time given by a caller; `what` names it in the error.
absl::StatusOr<std::string> ToDbTime(const std::string& rfc3339, absl::string_view what) {
  const std::optional<core::Timestamp> t = core::ParseRfc3339(rfc3339);
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", rfc3339, "\" is not an RFC3339 time"));
  }
  absl::StatusOr<std::string> text = FormatDbTime(*t);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", rfc3339, "\": ", text.status().message()));
  }
  return text;
}

// The stored text back as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
std::string FromDbTime(std::string text) {
  if (text.size() == 26 && text[10] == ' ') {
    text[10] = 'T';
    text.push_back('Z');
  }
  return text;
}

std::string NowDbTime() {
  absl::StatusOr<std::string> now = FormatDbTime(core::Now());
  return now.ok() ? *std::move(now) : std::string();
}

std::string DumpJson(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <typename T, typename Decode>
absl::StatusOr<T> DecodeStored(absl::string_view kind, const std::string& key,
                               const std::string& body, Decode decode) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(absl::StrCat("stored ", kind, " ", key, " is not valid JSON"));
  }
  try {
    absl::StatusOr<T> value = decode(json);
    if (!value.ok()) {
      return absl::InternalError(absl::StrCat("stored ", kind, " ", key,
                                              " cannot be decoded: ", value.status().message()));
    }
    return value;
  } catch (const nlohmann::json::exception& e) {
    return absl::InternalError(
        absl::StrCat("stored ", kind, " ", key, " cannot be decoded: ", e.what()));
  }
}

absl::StatusOr<core::Experiment> DecodeExperiment(const std::string& key, const std::string& body) {
  return DecodeStored<core::Experiment>("experiment", key, body, [](const nlohmann::json& json) {
    return core::ExperimentFromJson(json);
  });
}

absl::StatusOr<core::Trial> DecodeTrial(const std::string& key, const std::string& body) {
  return DecodeStored<core::Trial>(
      "trial", key, body, [](const nlohmann::json& json) { return core::TrialFromJson(json); });
}

// Decodes listed (key, body) rows, outside the lock; the first bad row fails the listing.
template <typename T>
absl::StatusOr<std::vector<T>> DecodeRows(
    const std::vector<std::pair<std::string, std::string>>& rows,
    absl::StatusOr<T> (*decode)(const std::string& key, const std::string& body)) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& [key, body] : rows) {
    absl::StatusOr<T> value = decode(key, body);
    if (!value.ok()) return value.status();
    out.push_back(*std::move(value));
  }
  return out;
}

const std::string* ExperimentLabel(const core::Trial& trial) {
  auto it = trial.metadata.labels.find(core::kExperimentLabel);
  return it == trial.metadata.labels.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

// ---- open, migrate, plumbing ----------------------------------------------------------------

SqliteStore::SqliteStore(sqlite3* db, std::string path) : path_(std::move(path)), db_(db) {}

SqliteStore::~SqliteStore() {
  MutexLock lock(mu_);
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open SQLite database \"", path, "\": ", detail));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));

  absl::Status status;
  {
    MutexLock lock(store->mu_);
    const std::string context = absl::StrCat("opening SQLite database \"", path, "\"");
    // journal_mode answers with the mode it ended up in: an in-memory database stays "memory".
    absl::StatusOr<sqlite3_stmt*> wal = store->Prepare("PRAGMA journal_mode = WAL");
    if (!wal.ok()) {
      return absl::Status(wal.status().code(), absl::StrCat(context, ": ", wal.status().message()));
    }
    {
      Statement stmt(*wal);
      const int step = stmt.Step();
      if (step != SQLITE_ROW) return SqliteError(db, step, context);
      const std::string mode = stmt.Text(0);
      if (mode != "wal" && path != ":memory:") {
        spdlog::warn("SQLite database \"{}\" runs in journal mode {}, not WAL", path, mode);
      }
    }
    status = store->Exec("PRAGMA foreign_keys = ON", context);
    if (status.ok()) status = store->Exec("PRAGMA synchronous = NORMAL", context);
    if (status.ok() && options.max_size_bytes > 0) {
      status = store->LimitSize(options.max_size_bytes);
    }
    if (status.ok()) status = store->Migrate();
  }
  if (!status.ok()) return status;
  return store;
}

absl::Status SqliteStore::LimitSize(int64_t max_bytes) {
  const std::string context =
      absl::StrCat("limiting SQLite database \"", path_, "\" to ", max_bytes, " bytes");
  int64_t page_size = 0;
  {
    absl::StatusOr<sqlite3_stmt*> select = Prepare("PRAGMA page_size");
    if (!select.ok()) return select.status();
    Statement stmt(*select);
    const int rc = stmt.Step();
    if (rc != SQLITE_ROW) return SqliteError(db_, rc, context);
    page_size = stmt.Int(0);
  }
  if (page_size <= 0) return absl::InternalError(absl::StrCat(context, ": no page size"));
  // PRAGMA takes no parameters; the value is an integer we computed. SQLite keeps at least the
  // pages in use.
  const int64_t pages = std::max<int64_t>(1, max_bytes / page_size);
  const std::string sql = absl::StrCat("PRAGMA max_page_count = ", pages);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  const std::string detail = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  if (rc != SQLITE_OK) return absl::InternalError(absl::StrCat(context, ": ", detail));
  return absl::OkStatus();
}

absl::Status SqliteStore::Migrate() {
  const std::string context = absl::StrCat("migrating SQLite database \"", path_, "\"");
  return InTransaction(context, [&]() -> absl::Status {
    mu_.AssertHeld();  // InTransaction runs the body under the caller's lock
    if (absl::Status s = Exec(kCreateSchemaVersion, context); !s.ok()) return s;
    int64_t current = 0;
    {
      absl::StatusOr<sqlite3_stmt*> select = Prepare(kSelectSchemaVersion);
      if (!select.ok()) return select.status();
      Statement stmt(*select);
      const int rc = stmt.Step();
      if (rc != SQLITE_ROW) return SqliteError(db_, rc, context);
      current = stmt.Int(0);
    }
    if (current > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "SQLite database \"", path_, "\" has schema version ", current,
          ", newer than the version ", kSchemaVersion, " this build of ktune understands"));
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      spdlog::info("migrating SQLite database \"{}\" to schema version {} ({})", path_, m.version,
                   m.description);
      const std::string step_context = absl::StrCat(context, " to version ", m.version);
      if (absl::Status s = ExecScript(m.script, step_context); !s.ok()) return s;
      absl::StatusOr<sqlite3_stmt*> insert = Prepare(kInsertSchemaVersion);
      if (!insert.ok()) return insert.status();
      Statement stmt(*insert);
      stmt.Bind(int64_t{m.version}).Bind(m.description).Bind(NowDbTime());
      if (const int rc = stmt.Step(); rc != SQLITE_DONE) return SqliteError(db_, rc, step_context);
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::InTransaction(const std::string& context,
                                        absl::FunctionRef<absl::Status()> body) {
  if (absl::Status s = Exec("BEGIN IMMEDIATE", context); !s.ok()) return s;
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT", context);
  if (!status.ok() && sqlite3_get_autocommit(db_) == 0) {
    if (absl::Status s = Exec("ROLLBACK", absl::StrCat(context, ": rolling back")); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
    }
  }
  return status;
}

absl::Status SqliteStore::ExecScript(const char* script, const std::string& context) {
  const char* rest = script;
  while (rest != nullptr && *rest != '\0') {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_, rest, -1, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, context);
    if (stmt == nullptr) break;  // only whitespace or comments left
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    absl::Status status = step == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, step, context);
    sqlite3_finalize(stmt);
    if (!status.ok()) return status;
    rest = tail;
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite3_stmt*> SqliteStore::Prepare(absl::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("preparing `", sql, "`"));
  statements_.emplace(sql, stmt);
  return stmt;
}

absl::Status SqliteStore::Exec(absl::string_view sql, const std::string& context) {
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
  }
  return rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, rc, context);
}

// ---- experiments ----------------------------------------------------------------------------

absl::Status SqliteStore::CreateExperiment(const core::Experiment& experiment) {
  const core::ObjectMeta& meta = experiment.metadata;
  if (absl::Status s = CheckKey("experiment", meta); !s.ok()) return s;
  const std::string key = Key(meta.namespace_, meta.name);
  const std::string body = DumpJson(core::ExperimentToJson(experiment));
  const std::string now = NowDbTime();

  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kInsertExperiment);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(meta.namespace_).Bind(meta.name).Bind(body).Bind(now).Bind(now);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return absl::OkStatus();
  if (IsUniqueViolation(rc)) {
    return absl::AlreadyExistsError(absl::StrCat("experiment ", key, " already exists"));
  }
  return SqliteError(db_, rc, absl::StrCat("creating experiment ", key));
}

absl::Status SqliteStore::UpdateExperiment(const core::Experiment& experiment) {
  const core::ObjectMeta& meta = experiment.metadata;
  const std::string key = Key(meta.namespace_, meta.name);
  const std::string body = DumpJson(core::ExperimentToJson(experiment));

  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kUpdateExperiment);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(body).Bind(NowDbTime()).Bind(meta.namespace_).Bind(meta.name);
  const int rc = stmt.Step();
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, absl::StrCat("updating experiment ", key));
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("experiment ", key, " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteStore::SelectBody(const char* sql, absl::string_view kind,
                                                    const std::string& ns,
                                                    const std::string& name) {
  const std::string key = Key(ns, name);
  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(ns).Bind(name);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return absl::NotFoundError(absl::StrCat(kind, " ", key, " not found"));
  if (rc != SQLITE_ROW) return SqliteError(db_, rc, absl::StrCat("reading ", kind, " ", key));
  return stmt.Text(0);
}

absl::StatusOr<core::Experiment> SqliteStore::GetExperiment(const std::string& ns,
                                                            const std::string& name) {
  absl::StatusOr<std::string> body = SelectBody(kSelectExperiment, "experiment", ns, name);
  if (!body.ok()) return body.status();
  return DecodeExperiment(Key(ns, name), *body);
}

absl::StatusOr<std::vector<core::Experiment>> SqliteStore::ListExperiments(const std::string& ns) {
  std::vector<std::pair<std::string, std::string>> rows;  // key, body
  {
    MutexLock lock(mu_);
    absl::StatusOr<sqlite3_stmt*> prepared =
        Prepare(ns.empty() ? kListExperiments : kListExperimentsInNamespace);
    if (!prepared.ok()) return prepared.status();
    Statement stmt(*prepared);
    if (!ns.empty()) stmt.Bind(ns);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      rows.emplace_back(Key(stmt.Text(0), stmt.Text(1)), stmt.Text(2));
    }
    if (rc != SQLITE_DONE) {
      return SqliteError(db_, rc,
                         ns.empty()
                             ? std::string("listing experiments")
                             : absl::StrCat("listing experiments in namespace \"", ns, "\""));
    }
  }
  return DecodeRows<core::Experiment>(rows, &DecodeExperiment);
}

absl::Status SqliteStore::DeleteExperiment(const std::string& ns, const std::string& name) {
  const std::string key = Key(ns, name);
  const std::string context = absl::StrCat("deleting experiment ", key);
  MutexLock lock(mu_);
  return InTransaction(context, [&]() -> absl::Status {
    mu_.AssertHeld();  // InTransaction runs the body under the caller's lock
    // Logs first: they are found through the trials.
    for (const char* sql : {kDeleteExperimentLogs, kDeleteExperimentState, kDeleteExperimentTrials,
                            kDeleteExperiment}) {
      absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
      if (!prepared.ok()) return prepared.status();
      Statement stmt(*prepared);
      stmt.Bind(ns).Bind(name);
      if (const int rc = stmt.Step(); rc != SQLITE_DONE) return SqliteError(db_, rc, context);
    }
    if (sqlite3_changes(db_) == 0) {
      return absl::NotFoundError(absl::StrCat("experiment ", key, " not found"));
    }
    return absl::OkStatus();
  });
}

// ---- trials ---------------------------------------------------------------------------------

absl::Status SqliteStore::CreateTrial(const core::Trial& trial) {
  const core::ObjectMeta& meta = trial.metadata;
  if (absl::Status s = CheckKey("trial", meta); !s.ok()) return s;
  const std::string key = Key(meta.namespace_, meta.name);
  const std::string* experiment = ExperimentLabel(trial);
  if (experiment == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", key, " has no ", core::kExperimentLabel, " label"));
  }
  const std::string body = DumpJson(core::TrialToJson(trial));
  const std::string now = NowDbTime();

  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kInsertTrial);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(meta.namespace_).Bind(meta.name).Bind(*experiment).Bind(body).Bind(now).Bind(now);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return absl::OkStatus();
  if (IsUniqueViolation(rc)) {
    return absl::AlreadyExistsError(absl::StrCat("trial ", key, " already exists"));
  }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::NotFoundError(absl::StrCat("experiment ", Key(meta.namespace_, *experiment),
                                            " of trial ", key, " not found"));
  }
  return SqliteError(db_, rc, absl::StrCat("creating trial ", key));
}

absl::Status SqliteStore::UpdateTrial(const core::Trial& trial) {
  const core::ObjectMeta& meta = trial.metadata;
  const std::string key = Key(meta.namespace_, meta.name);
  const std::string* experiment = ExperimentLabel(trial);
  if (experiment == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", key, " has no ", core::kExperimentLabel, " label"));
  }
  const std::string body = DumpJson(core::TrialToJson(trial));

  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kUpdateTrial);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(*experiment).Bind(body).Bind(NowDbTime()).Bind(meta.namespace_).Bind(meta.name);
  const int rc = stmt.Step();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::NotFoundError(absl::StrCat("experiment ", Key(meta.namespace_, *experiment),
                                            " of trial ", key, " not found"));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, absl::StrCat("updating trial ", key));
  if (sqlite3_changes(db_) == 0)
    return absl::NotFoundError(absl::StrCat("trial ", key, " not found"));
  return absl::OkStatus();
}

absl::StatusOr<core::Trial> SqliteStore::GetTrial(const std::string& ns, const std::string& name) {
  absl::StatusOr<std::string> body = SelectBody(kSelectTrial, "trial", ns, name);
  if (!body.ok()) return body.status();
  return DecodeTrial(Key(ns, name), *body);
}

absl::StatusOr<std::vector<core::Trial>> SqliteStore::ListTrials(const std::string& ns,
                                                                 const std::string& experiment) {
  std::vector<std::pair<std::string, std::string>> rows;  // key, body
  {
    MutexLock lock(mu_);
    absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kListTrials);
    if (!prepared.ok()) return prepared.status();
    Statement stmt(*prepared);
    stmt.Bind(ns).Bind(experiment);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) rows.emplace_back(Key(ns, stmt.Text(0)), stmt.Text(1));
    if (rc != SQLITE_DONE) {
      return SqliteError(db_, rc,
                         absl::StrCat("listing trials of experiment ", Key(ns, experiment)));
    }
  }
  return DecodeRows<core::Trial>(rows, &DecodeTrial);
}

// ---- observation logs -----------------------------------------------------------------------

absl::Status SqliteStore::ReportObservationLog(const std::string& trial_name,
                                               const std::vector<core::MetricLog>& logs) {
  if (trial_name.empty()) {
    return absl::InvalidArgumentError("reporting observation logs: trial name is empty");
  }
  const std::string context =
      absl::StrCat("reporting observation logs of trial \"", trial_name, "\"");
  // Parse everything before touching the database, so a bad timestamp stores nothing.
  std::vector<std::string> times;
  times.reserve(logs.size());
  for (const core::MetricLog& log : logs) {
    if (log.time_stamp.empty()) {
      times.emplace_back();
      continue;
    }
    absl::StatusOr<std::string> time =
        ToDbTime(log.time_stamp, absl::StrCat("time_stamp of metric \"", log.name, "\""));
    if (!time.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(context, ": ", time.status().message()));
    }
    times.push_back(*std::move(time));
  }

  MutexLock lock(mu_);
  return InTransaction(context, [&]() -> absl::Status {
    mu_.AssertHeld();  // InTransaction runs the body under the caller's lock
    absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kInsertObservation);
    if (!prepared.ok()) return prepared.status();
    for (size_t i = 0; i < logs.size(); ++i) {
      if (times[i].empty()) continue;  // Katib skips logs without a timestamp
      Statement stmt(*prepared);
      stmt.Bind(trial_name).Bind(times[i]).Bind(logs[i].name).Bind(logs[i].value);
      if (const int rc = stmt.Step(); rc != SQLITE_DONE) return SqliteError(db_, rc, context);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<core::MetricLog>> SqliteStore::GetObservationLog(
    const ObservationQuery& query) {
  if (query.trial_name.empty()) {
    return absl::InvalidArgumentError("reading observation logs: trial name is empty");
  }
  const std::string context =
      absl::StrCat("reading observation logs of trial \"", query.trial_name, "\"");
  std::string start, end;
  if (!query.start_time.empty()) {
    absl::StatusOr<std::string> t = ToDbTime(query.start_time, "start time");
    if (!t.ok())
      return absl::InvalidArgumentError(absl::StrCat(context, ": ", t.status().message()));
    start = *std::move(t);
  }
  if (!query.end_time.empty()) {
    absl::StatusOr<std::string> t = ToDbTime(query.end_time, "end time");
    if (!t.ok())
      return absl::InvalidArgumentError(absl::StrCat(context, ": ", t.status().message()));
    end = *std::move(t);
  }
  // One cached statement per combination of filters, so each can use the index.
  std::string sql = "SELECT time, metric_name, value FROM observation_logs WHERE trial_name = ?";
  if (!query.metric_name.empty()) sql += " AND metric_name = ?";
  if (!start.empty()) sql += " AND time >= ?";
  if (!end.empty()) sql += " AND time <= ?";
  sql += " ORDER BY time, id";

  std::vector<core::MetricLog> logs;
  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(query.trial_name);
  if (!query.metric_name.empty()) stmt.Bind(query.metric_name);
  if (!start.empty()) stmt.Bind(start);
  if (!end.empty()) stmt.Bind(end);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    logs.push_back(core::MetricLog{FromDbTime(stmt.Text(0)), stmt.Text(1), stmt.Text(2)});
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, context);
  return logs;
}

absl::Status SqliteStore::DeleteObservationLog(const std::string& trial_name) {
  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kDeleteObservations);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(trial_name);
  if (const int rc = stmt.Step(); rc != SQLITE_DONE) {
    return SqliteError(db_, rc,
                       absl::StrCat("deleting observation logs of trial \"", trial_name, "\""));
  }
  return absl::OkStatus();
}

// ---- suggestion state -----------------------------------------------------------------------

absl::Status SqliteStore::PutSuggestionState(const std::string& ns, const std::string& experiment,
                                             const std::string& state) {
  const std::string key = Key(ns, experiment);
  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kPutSuggestionState);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(ns).Bind(experiment).BindBlob(state).Bind(NowDbTime());
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return absl::OkStatus();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::NotFoundError(absl::StrCat("experiment ", key, " not found"));
  }
  return SqliteError(db_, rc, absl::StrCat("storing suggestion state of experiment ", key));
}

absl::StatusOr<std::string> SqliteStore::GetSuggestionState(const std::string& ns,
                                                            const std::string& experiment) {
  const std::string key = Key(ns, experiment);
  MutexLock lock(mu_);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(kGetSuggestionState);
  if (!prepared.ok()) return prepared.status();
  Statement stmt(*prepared);
  stmt.Bind(ns).Bind(experiment);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no suggestion state stored for experiment ", key));
  }
  if (rc != SQLITE_ROW) {
    return SqliteError(db_, rc, absl::StrCat("reading suggestion state of experiment ", key));
  }
  return stmt.Blob(0);
}

}  // namespace ktune::db

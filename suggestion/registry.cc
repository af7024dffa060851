#include "suggestion/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"
#include "suggestion/gpu_probe.h"

#ifndef KTUNE_VERSION
#define KTUNE_VERSION "0.0.0"
#endif

namespace ktune::suggestion {
namespace {

namespace fs = std::filesystem;

// Debian's abseil has its own string_view type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// What a plugin wrote back during one call. The sinks copy; they must not throw into the
// plugin's (C) frames, so a failed copy is only recorded.
struct CallOutput {
  std::string reply;
  std::string error;
  bool copy_failed = false;
};

void WriteReply(void* context, const char* data, size_t size) {
  auto* out = static_cast<CallOutput*>(context);
  try {
    out->reply.assign(data, size);
  } catch (...) {
    out->copy_failed = true;
  }
}

void WriteError(void* context, const char* data, size_t size) {
  auto* out = static_cast<CallOutput*>(context);
  try {
    out->error.assign(data, size);
  } catch (...) {
    out->copy_failed = true;
  }
}

absl::Status PluginError(const std::string& algorithm, ktune_status_code code,
                         const CallOutput& out) {
  absl::StatusCode status_code = static_cast<absl::StatusCode>(code);
  if (code < KTUNE_STATUS_CANCELLED || code > KTUNE_STATUS_UNAUTHENTICATED) {
    status_code = absl::StatusCode::kUnknown;
  }
  std::string message = out.error;
  if (message.empty()) message = absl::StrCat("failed with status code ", code, " and no message");
  return absl::Status(status_code, absl::StrCat(algorithm, ": ", message));
}

std::string VersionText(uint32_t version) {
  return absl::StrCat(KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(version), ".",
                      KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF(version));
}

// Plugin log lines per call before the rest are dropped, and the longest line kept.
constexpr int kMaxLogLinesPerCall = 100;
constexpr size_t kMaxLogLineBytes = 4096;

// The host table of one plugin call (ktune_algorithm.h, struct ktune_host_v1) and what its
// functions need. Lives on the stack of the call; the plugin may use it from several threads
// until the call returns, so every entry point is noexcept and touches only atomics, the clock
// and spdlog (itself thread-safe).
class HostCall {
 public:
  HostCall(const HostInfo& info, const std::string& algorithm, const std::string& experiment,
           const CallOptions& options)
      : algorithm_(algorithm), experiment_(experiment), options_(options) {
    table_.struct_size = sizeof(ktune_host_v1);
    table_.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
    table_.host_version = info.version.c_str();
    table_.capabilities = info.gpu_present ? KTUNE_HOST_CAPABILITY_GPU : 0u;
    table_.thread_budget = std::max<uint32_t>(info.thread_budget, 1);
    table_.context = this;
    table_.log = &Log;
    table_.cancelled = &Cancelled;
    table_.remaining_ms = &RemainingMs;
  }
  HostCall(const HostCall&) = delete;
  HostCall& operator=(const HostCall&) = delete;

  ~HostCall() {
    const int dropped = lines_.load() - kMaxLogLinesPerCall;
    if (dropped > 0) {
      spdlog::warn("{}: {} more log line(s) of this call dropped", Fields(), dropped);
    }
  }

  const ktune_host_v1* table() const { return &table_; }

  // OK while the call may go on; otherwise Cancelled or DeadlineExceeded naming the
  // algorithm, `when` saying at which point the host noticed.
  absl::Status Judge(std::string_view when) {
    switch (State()) {
      case KTUNE_STATUS_CANCELLED:
        return absl::CancelledError(
            absl::StrCat(algorithm_, ": the call was cancelled ", AV(when)));
      case KTUNE_STATUS_DEADLINE_EXCEEDED:
        return absl::DeadlineExceededError(
            absl::StrCat(algorithm_, ": the call's deadline passed ", AV(when)));
      default:
        return absl::OkStatus();
    }
  }

 private:
  // Latched: once the call is cancelled or past its deadline it stays so, even if the
  // caller's flag is reset or the clock steps back.
  ktune_status_code State() {
    ktune_status_code state = state_.load(std::memory_order_acquire);
    if (state != KTUNE_STATUS_OK) return state;
    if (options_.cancelled != nullptr && options_.cancelled->load(std::memory_order_acquire)) {
      state = KTUNE_STATUS_CANCELLED;
    } else if (options_.deadline != absl::InfiniteFuture() && absl::Now() >= options_.deadline) {
      state = KTUNE_STATUS_DEADLINE_EXCEEDED;
    } else {
      return KTUNE_STATUS_OK;
    }
    ktune_status_code expected = KTUNE_STATUS_OK;
    state_.compare_exchange_strong(expected, state, std::memory_order_acq_rel);
    return state_.load(std::memory_order_acquire);
  }

  std::string Fields() const {
    if (experiment_.empty()) return absl::StrCat("algorithm=", algorithm_);
    return absl::StrCat("algorithm=", algorithm_, " experiment=", experiment_);
  }

  static void Log(void* context, int32_t level, const char* message, size_t size) noexcept {
    try {
      auto* call = static_cast<HostCall*>(context);
      const auto spd_level = static_cast<spdlog::level::level_enum>(
          std::clamp<int32_t>(level, KTUNE_LOG_TRACE, KTUNE_LOG_ERROR));
      if (!spdlog::should_log(spd_level)) return;
      if (call->lines_.fetch_add(1) >= kMaxLogLinesPerCall) return;
      std::string text(message != nullptr ? message : "",
                       message != nullptr ? std::min(size, kMaxLogLineBytes) : 0);
      // One event, one line: no line breaks or terminal controls from a plugin.
      for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
      }
      if (size > kMaxLogLineBytes) text += " [truncated]";
      spdlog::log(spd_level, "{}: {}", call->Fields(), text);
    } catch (...) {
      // Losing a log line beats throwing into the plugin's C frames.
    }
  }

  static ktune_status_code Cancelled(void* context) noexcept {
    return static_cast<HostCall*>(context)->State();
  }

  static int64_t RemainingMs(void* context) noexcept {
    auto* call = static_cast<HostCall*>(context);
    if (call->options_.deadline == absl::InfiniteFuture()) return KTUNE_NO_DEADLINE;
    const int64_t ms = absl::ToInt64Milliseconds(call->options_.deadline - absl::Now());
    // A deadline beyond int64 milliseconds is as good as none.
    if (ms == std::numeric_limits<int64_t>::max()) return KTUNE_NO_DEADLINE;
    return std::max<int64_t>(ms, 0);
  }

  ktune_host_v1 table_{};
  const std::string& algorithm_;
  const std::string& experiment_;
  const CallOptions& options_;
  std::atomic<ktune_status_code> state_{KTUNE_STATUS_OK};
  std::atomic<int> lines_{0};
};

// get_suggestions_with_host when the table has it, else the 1.0 get_suggestions.
ktune_status_code CallGetSuggestions(const ktune_algorithm_v1* table,
                                     ktune_algorithm_instance* handle, const std::string& request,
                                     const ktune_host_v1* host, CallOutput& out) {
  if (KTUNE_ALGORITHM_V1_HAS(table, get_suggestions_with_host)) {
    return table->get_suggestions_with_host(handle, request.data(), request.size(), host,
                                            &WriteReply, &WriteError, &out);
  }
  return table->get_suggestions(handle, request.data(), request.size(), &WriteReply, &WriteError,
                                &out);
}

bool IsPluginFileName(const std::string& name) {
  constexpr std::string_view kPrefix = "libktune_";
  constexpr std::string_view kSuffix = ".so";
  return name.size() > kPrefix.size() + kSuffix.size() && name.starts_with(kPrefix) &&
         name.ends_with(kSuffix);
}

}  // namespace

// ---- HostInfo ----------------------------------------------------------------------------

HostInfo DefaultHostInfo() {
  HostInfo info;
  info.version = "ktune " KTUNE_VERSION;
  info.gpu_present = CudaDevicePresent();
  info.thread_budget = std::max(1u, std::thread::hardware_concurrency());
  return info;
}

// ---- AlgorithmInstance -------------------------------------------------------------------

AlgorithmInstance::AlgorithmInstance(const ktune_algorithm_v1* table,
                                     ktune_algorithm_instance* handle, std::string name,
                                     std::string experiment, HostInfo host, bool serialize)
    : table_(table),
      handle_(handle),
      name_(std::move(name)),
      experiment_(std::move(experiment)),
      host_(std::move(host)),
      serialize_(serialize) {}

AlgorithmInstance::~AlgorithmInstance() { table_->destroy(handle_); }

absl::StatusOr<api::v1::beta1::GetSuggestionsReply> AlgorithmInstance::GetSuggestions(
    const api::v1::beta1::GetSuggestionsRequest& request, const CallOptions& options) {
  HostCall host(host_, name_, experiment_, options);
  if (absl::Status s = host.Judge("before it started"); !s.ok()) return s;
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(name_, ": cannot serialize the request"));
  }
  CallOutput out;
  ktune_status_code code;
  if (serialize_) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    code = CallGetSuggestions(table_, handle_, bytes, host.table(), out);
  } else {
    std::shared_lock<std::shared_mutex> lock(mu_);
    code = CallGetSuggestions(table_, handle_, bytes, host.table(), out);
  }
  if (code != KTUNE_STATUS_OK) return PluginError(name_, code, out);
  // A reply that comes too late is not used: the caller has given up on it.
  if (absl::Status s = host.Judge("before it returned; its reply is discarded"); !s.ok()) {
    return s;
  }
  if (out.copy_failed) {
    return absl::ResourceExhaustedError(absl::StrCat(name_, ": cannot copy the reply"));
  }
  api::v1::beta1::GetSuggestionsReply reply;
  if (!reply.ParseFromString(out.reply)) {
    return absl::InternalError(absl::StrCat(name_, ": the reply is not a GetSuggestionsReply"));
  }
  return reply;
}

bool AlgorithmInstance::keeps_state() const {
  return KTUNE_ALGORITHM_V1_HAS(table_, save_state) && KTUNE_ALGORITHM_V1_HAS(table_, load_state);
}

absl::StatusOr<std::string> AlgorithmInstance::SaveState() {
  if (!KTUNE_ALGORITHM_V1_HAS(table_, save_state)) return std::string();
  HostCall host(host_, name_, experiment_, CallOptions{});
  CallOutput out;
  ktune_status_code code;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    code = table_->save_state(handle_, host.table(), &WriteReply, &WriteError, &out);
  }
  if (code != KTUNE_STATUS_OK) return PluginError(name_, code, out);
  if (out.copy_failed) {
    return absl::ResourceExhaustedError(absl::StrCat(name_, ": cannot copy the saved state"));
  }
  return std::move(out.reply);
}

absl::Status AlgorithmInstance::LoadState(std::string_view state) {
  if (!KTUNE_ALGORITHM_V1_HAS(table_, load_state)) {
    return absl::FailedPreconditionError(
        absl::StrCat(name_, ": the algorithm cannot load a saved state (it has no load_state)"));
  }
  HostCall host(host_, name_, experiment_, CallOptions{});
  CallOutput out;
  ktune_status_code code;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    code = table_->load_state(handle_, state.data(), state.size(), host.table(), &WriteError, &out);
  }
  if (code != KTUNE_STATUS_OK) return PluginError(name_, code, out);
  return absl::OkStatus();
}

// ---- AlgorithmPlugin ---------------------------------------------------------------------

AlgorithmPlugin::AlgorithmPlugin(const ktune_algorithm_v1* table, std::string origin)
    : table_(table), name_(table->name), origin_(std::move(origin)) {}

bool AlgorithmPlugin::uses_host_services() const {
  return KTUNE_ALGORITHM_V1_HAS(table_, create_with_host) ||
         KTUNE_ALGORITHM_V1_HAS(table_, get_suggestions_with_host);
}

bool AlgorithmPlugin::keeps_state() const {
  return KTUNE_ALGORITHM_V1_HAS(table_, save_state) && KTUNE_ALGORITHM_V1_HAS(table_, load_state);
}

absl::Status AlgorithmPlugin::ValidateSettings(const api::v1::beta1::Experiment& experiment) const {
  api::v1::beta1::ValidateAlgorithmSettingsRequest request;
  *request.mutable_experiment() = experiment;
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(name_, ": cannot serialize the request"));
  }
  CallOutput out;
  const ktune_status_code code =
      table_->validate_settings(bytes.data(), bytes.size(), &WriteError, &out);
  if (code != KTUNE_STATUS_OK) return PluginError(name_, code, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AlgorithmInstance>> AlgorithmPlugin::Create(
    const api::v1::beta1::Experiment& experiment) const {
  return Create(experiment, DefaultHostInfo());
}

absl::StatusOr<std::unique_ptr<AlgorithmInstance>> AlgorithmPlugin::Create(
    const api::v1::beta1::Experiment& experiment, const HostInfo& host) const {
  std::string bytes;
  if (!experiment.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(name_, ": cannot serialize the experiment"));
  }
  CallOutput out;
  ktune_algorithm_instance* handle = nullptr;
  ktune_status_code code;
  if (KTUNE_ALGORITHM_V1_HAS(table_, create_with_host)) {
    HostCall call(host, name_, experiment.name(), CallOptions{});
    code = table_->create_with_host(bytes.data(), bytes.size(), call.table(), &handle, &WriteError,
                                    &out);
  } else {
    code = table_->create(bytes.data(), bytes.size(), &handle, &WriteError, &out);
  }
  if (code != KTUNE_STATUS_OK) {
    if (handle != nullptr) table_->destroy(handle);
    return PluginError(name_, code, out);
  }
  if (handle == nullptr) {
    return absl::InternalError(absl::StrCat(name_, ": create succeeded without an instance"));
  }
  return std::unique_ptr<AlgorithmInstance>(new AlgorithmInstance(
      table_, handle, name_, experiment.name(), host, /*serialize=*/!thread_safe()));
}

// ---- checks --------------------------------------------------------------------------------

absl::Status CheckAlgorithmTable(const ktune_algorithm_v1* table, std::string_view origin) {
  auto error = [&](auto&&... parts) {
    return absl::FailedPreconditionError(absl::StrCat(AV(origin), ": ", parts...));
  };
  if (table == nullptr) return error("the algorithm entry point returned no table");
  if (KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(table->abi_version) != KTUNE_ALGORITHM_ABI_MAJOR) {
    return error("algorithm plugin ABI version ", VersionText(table->abi_version),
                 " is not supported; this ktune supports ", KTUNE_ALGORITHM_ABI_MAJOR, ".x");
  }
  if (table->struct_size < KTUNE_ALGORITHM_V1_MIN_SIZE) {
    return error("the algorithm table is too short (", table->struct_size, " bytes; ABI version ",
                 KTUNE_ALGORITHM_ABI_MAJOR, " needs at least ", KTUNE_ALGORITHM_V1_MIN_SIZE, ")");
  }
  if (table->name == nullptr || table->name[0] == '\0') {
    return error("the algorithm table has no name");
  }
  const char* missing = table->validate_settings == nullptr ? "validate_settings"
                        : table->create == nullptr          ? "create"
                        : table->destroy == nullptr         ? "destroy"
                        : table->get_suggestions == nullptr ? "get_suggestions"
                                                            : nullptr;
  if (missing != nullptr) return error("the algorithm table has no ", missing, " function");
  if (KTUNE_ALGORITHM_V1_HAS(table, save_state) != KTUNE_ALGORITHM_V1_HAS(table, load_state)) {
    return error("the algorithm table has ", KTUNE_ALGORITHM_V1_HAS(table, save_state)
                                                 ? "save_state but no load_state"
                                                 : "load_state but no save_state");
  }
  return absl::OkStatus();
}

// ---- AlgorithmRegistry --------------------------------------------------------------------

std::vector<std::string> AlgorithmRegistry::DefaultSearchPath() {
  std::vector<std::string> directories;
  if (const char* env = std::getenv("KTUNE_PLUGIN_PATH"); env != nullptr) {
    for (absl::string_view dir : absl::StrSplit(env, ':', absl::SkipEmpty())) {
      directories.emplace_back(dir);
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    directories.push_back((exe.parent_path() / ".." / "lib" / "ktune").lexically_normal());
  }
#ifdef KTUNE_PLUGIN_DIR
  directories.emplace_back(KTUNE_PLUGIN_DIR);
#endif
  return directories;
}

std::unique_ptr<AlgorithmRegistry> AlgorithmRegistry::CreateDefault() {
  auto registry = std::make_unique<AlgorithmRegistry>();
  // Failures are logged per file and kept for Find's message; the others stay usable.
  (void)registry->LoadSearchPath(DefaultSearchPath());
  return registry;
}

absl::Status AlgorithmRegistry::LoadSearchPath(const std::vector<std::string>& directories) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<fs::path> seen_directories;
  std::set<std::string> seen_files;
  std::vector<absl::Status> failures;
  for (const std::string& directory : directories) {
    std::error_code ec;
    fs::path canonical = fs::canonical(directory, ec);
    if (ec || !fs::is_directory(canonical, ec)) {
      spdlog::debug("algorithm plugin directory {} does not exist, skipped", directory);
      continue;
    }
    if (!seen_directories.insert(canonical).second) continue;
    std::vector<std::string> names;
    for (fs::directory_iterator it(canonical, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code file_ec;
      if (IsPluginFileName(name) && fs::is_regular_file(it->path(), file_ec)) {
        names.push_back(name);
      }
    }
    if (ec) {
      failures.push_back(absl::FailedPreconditionError(
          absl::StrCat("cannot list algorithm plugin directory ", directory, ": ", ec.message())));
      load_errors_.emplace_back(failures.back().message());
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = (fs::path(directory) / name).string();
      if (!seen_files.insert(name).second) {
        spdlog::debug("algorithm plugin {} is shadowed by an earlier {}", path, name);
        continue;
      }
      if (absl::Status s = LoadFileLocked(path); !s.ok()) failures.push_back(std::move(s));
    }
  }
  if (failures.empty()) return absl::OkStatus();
  std::vector<std::string> messages;
  for (const absl::Status& s : failures) messages.emplace_back(s.message());
  return absl::Status(failures.front().code(),
                      absl::StrCat(failures.size(), " algorithm plugin file(s) failed to load: ",
                                   absl::StrJoin(messages, "; ")));
}

absl::Status AlgorithmRegistry::LoadFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadFileLocked(path);
}

absl::Status AlgorithmRegistry::LoadFileLocked(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::canonical(path, ec);
  const std::string key = ec ? path : canonical.string();
  if (std::find(loaded_files_.begin(), loaded_files_.end(), key) != loaded_files_.end()) {
    return absl::OkStatus();
  }
  auto fail = [&](absl::Status status) {
    spdlog::warn("{}", std::string(status.message()));
    load_errors_.emplace_back(status.message());
    return status;
  };
  dlerror();
  // Never dlclose'd, not even after a rejection: unloading code that may have run static
  // initializers (or registered with shared runtimes) is not worth the risk.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "cannot load algorithm plugin ", path, ": ", why != nullptr ? why : "unknown error")));
  }
  void* symbol = dlsym(handle, KTUNE_ALGORITHM_ENTRY_V1_SYMBOL);
  if (symbol == nullptr) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        path, ": not a ktune algorithm plugin (no symbol ", KTUNE_ALGORITHM_ENTRY_V1_SYMBOL, ")")));
  }
  auto entry = reinterpret_cast<ktune_algorithm_entry_v1_fn>(symbol);
  const ktune_algorithm_v1* table = entry();
  if (absl::Status s = CheckAlgorithmTable(table, path); !s.ok()) return fail(std::move(s));
  if (absl::Status s = RegisterLocked(table, path); !s.ok()) return fail(std::move(s));
  loaded_files_.push_back(key);
  spdlog::debug("loaded algorithm {} (ABI {}) from {}", table->name,
                VersionText(table->abi_version), path);
  return absl::OkStatus();
}

absl::Status AlgorithmRegistry::Register(const ktune_algorithm_v1* table, std::string origin) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = CheckAlgorithmTable(table, origin); !s.ok()) return s;
  return RegisterLocked(table, std::move(origin));
}

absl::Status AlgorithmRegistry::RegisterLocked(const ktune_algorithm_v1* table,
                                               std::string origin) {
  const std::string name = table->name;
  if (auto it = plugins_.find(name); it != plugins_.end()) {
    if (it->second->origin() == origin) return absl::OkStatus();
    return absl::AlreadyExistsError(absl::StrCat("algorithm \"", name, "\" from ", origin,
                                                 " is already provided by ", it->second->origin()));
  }
  plugins_.emplace(name, std::make_unique<AlgorithmPlugin>(table, std::move(origin)));
  return absl::OkStatus();
}

absl::StatusOr<const AlgorithmPlugin*> AlgorithmRegistry::Find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = plugins_.find(name); it != plugins_.end()) return it->second.get();
  std::vector<std::string> names;
  for (const auto& [n, plugin] : plugins_) names.push_back(n);
  std::string message = absl::StrCat("unknown algorithm \"", AV(name), "\"; available algorithms: ",
                                     names.empty() ? "none" : absl::StrJoin(names, ", "));
  if (!load_errors_.empty()) {
    absl::StrAppend(&message, "; plugins that failed to load: ", absl::StrJoin(load_errors_, "; "));
  }
  return absl::InvalidArgumentError(message);
}

std::vector<std::string> AlgorithmRegistry::Names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, plugin] : plugins_) names.push_back(name);
  return names;
}

std::vector<std::string> AlgorithmRegistry::load_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return load_errors_;
}

}  // namespace ktune::suggestion

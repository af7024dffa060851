#pragma once
// The algorithm registry: finds algorithm plugins (algorithms/ktune_algorithm.h), loads them
// and hands out C++ handles that speak api.proto messages.
//
// Plugins are loaded with dlopen(RTLD_NOW | RTLD_LOCAL) and never unloaded: handles, instances
// and tables stay valid for the life of the process, whatever happens to the registry.
// Algorithms are registered explicitly (LoadSearchPath, LoadFile, Register); nothing registers
// itself from a static constructor.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/ktune_algorithm.h"
#include "api/api.pb.h"
#include "suggestion/call_options.h"

namespace ktune::suggestion {

// What the host tells ABI 1.1 plugins about itself (struct ktune_host_v1).
struct HostInfo {
  std::string version;         // "ktune 0.1.0"
  bool gpu_present = false;    // KTUNE_HOST_CAPABILITY_GPU
  uint32_t thread_budget = 1;  // threads a plugin may keep busy per call; 0 is taken as 1
};
// This process: ktune's version, CudaDevicePresent() (gpu_probe.h; probed on the first call)
// and std::thread::hardware_concurrency() (at least 1).
HostInfo DefaultHostInfo();

// One experiment's instance of an algorithm. Destroying it destroys the plugin's instance.
// Thread-safe: calls are serialized here unless the plugin declares itself thread-safe (then
// GetSuggestions may run concurrently; SaveState and LoadState never run concurrently with
// any other call).
//
// Plugins of ABI 1.1 get a host table (ktune_algorithm.h) on every call: their log lines go
// to spdlog as `algorithm=<name> experiment=<name>: <message>` (at most 100 lines per call,
// then one line saying how many were dropped), and they see the call's CallOptions.
class AlgorithmInstance {
 public:
  AlgorithmInstance(const AlgorithmInstance&) = delete;
  AlgorithmInstance& operator=(const AlgorithmInstance&) = delete;
  ~AlgorithmInstance();

  // The plugin's reply, or its error with its canonical code and the message prefixed with
  // the algorithm name ("random: ..."). See ktune_algorithm.h for what the request carries.
  // DeadlineExceeded / Cancelled without calling the plugin when options.deadline has passed
  // or *options.cancelled is set already, and instead of its reply when that happens before
  // it returns (the reply is then discarded; a 1.1 plugin is told through the host table and
  // usually returns early with that code itself). After either code the instance's state is
  // unspecified (ktune_algorithm.h): the caller destroys it and starts a new one.
  absl::StatusOr<api::v1::beta1::GetSuggestionsReply> GetSuggestions(
      const api::v1::beta1::GetSuggestionsRequest& request, const CallOptions& options = {});

  // Whether the plugin has save_state and load_state (ABI 1.1).
  bool keeps_state() const;
  // The plugin's save_state bytes: empty when it has none to save or no save_state at all;
  // its error as GetSuggestions reports one.
  absl::StatusOr<std::string> SaveState();
  // Hands non-empty bytes of an earlier SaveState of this algorithm to the plugin's
  // load_state; call it before the first GetSuggestions. FailedPrecondition when the plugin
  // has no load_state; the plugin's error (usually InvalidArgument or FailedPrecondition) when
  // it refuses them, after which the instance is unusable: destroy it.
  absl::Status LoadState(std::string_view state);

  const std::string& algorithm_name() const { return name_; }

 private:
  friend class AlgorithmPlugin;
  AlgorithmInstance(const ktune_algorithm_v1* table, ktune_algorithm_instance* handle,
                    std::string name, std::string experiment, HostInfo host, bool serialize);

  const ktune_algorithm_v1* const table_;
  ktune_algorithm_instance* const handle_;
  const std::string name_;
  const std::string experiment_;
  const HostInfo host_;
  const bool serialize_;
  // Shared by concurrent GetSuggestions of a thread-safe plugin; exclusive otherwise.
  std::shared_mutex mu_;
};

// A loaded algorithm. Owned by the registry; thread-safe.
class AlgorithmPlugin {
 public:
  AlgorithmPlugin(const ktune_algorithm_v1* table, std::string origin);

  // The name users write in spec.algorithm.algorithmName.
  const std::string& name() const { return name_; }
  // Where it came from: the library's path, or what Register was told.
  const std::string& origin() const { return origin_; }
  uint32_t abi_version() const { return table_->abi_version; }
  bool thread_safe() const { return (table_->flags & KTUNE_ALGORITHM_FLAG_THREAD_SAFE) != 0; }
  // Whether the table has the ABI 1.1 entries that take the host table (create_with_host and
  // get_suggestions_with_host); a 1.0 table has neither.
  bool uses_host_services() const;
  // Whether the table has save_state and load_state.
  bool keeps_state() const;

  // OK, or the plugin's error (usually InvalidArgument) with its message prefixed with the
  // algorithm name.
  absl::Status ValidateSettings(const api::v1::beta1::Experiment& experiment) const;
  // A new instance for one experiment, or the plugin's error as above. `host` (by default
  // DefaultHostInfo()) is what the instance's host tables say about this process.
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> Create(
      const api::v1::beta1::Experiment& experiment, const HostInfo& host) const;
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> Create(
      const api::v1::beta1::Experiment& experiment) const;

 private:
  const ktune_algorithm_v1* table_;
  std::string name_;
  std::string origin_;
};

// Checks a plugin table as the loader does: FailedPrecondition naming `origin` for a NULL
// table, a different ABI major version, a table shorter than KTUNE_ALGORITHM_V1_MIN_SIZE, a
// missing name, a missing function of ABI 1.0, or save_state without load_state (or the
// reverse). Tables of ABI 1.0 and 1.1 pass.
absl::Status CheckAlgorithmTable(const ktune_algorithm_v1* table, std::string_view origin);

// Name -> algorithm. Thread-safe. Loading is additive; nothing is ever unloaded.
class AlgorithmRegistry {
 public:
  AlgorithmRegistry() = default;
  AlgorithmRegistry(const AlgorithmRegistry&) = delete;
  AlgorithmRegistry& operator=(const AlgorithmRegistry&) = delete;

  // Where plugins are looked for, in order: each directory of $KTUNE_PLUGIN_PATH
  // (colon-separated), then <directory of this executable>/../lib/ktune (an installed ktune),
  // then the build tree's plugin directory (compiled in). Directories that do not exist are
  // kept; LoadSearchPath skips them.
  static std::vector<std::string> DefaultSearchPath();

  // A registry loaded from DefaultSearchPath(). Load failures do not fail it; they are logged
  // and reported by load_errors() and by Find for unknown names.
  static std::unique_ptr<AlgorithmRegistry> CreateDefault();

  // Loads every file named libktune_*.so in each directory, in order. When the same file name
  // occurs in several directories the first one wins and the others are not loaded (like
  // PATH). Two different files providing the same algorithm name are an error. Missing
  // directories are skipped. Returns OK when every file loaded; otherwise the first failure's
  // code with a message listing every failed file; the files that did load stay registered.
  absl::Status LoadSearchPath(const std::vector<std::string>& directories);
  // Loads one plugin file (any name). Loading the same file again is a no-op.
  // FailedPrecondition naming the file when dlopen fails, the entry symbol is missing or the
  // table is unusable (CheckAlgorithmTable); AlreadyExists naming both files when another
  // file already provides the algorithm name.
  absl::Status LoadFile(const std::string& path);
  // Registers a table that is already in this process (e.g. an algorithm linked into the
  // binary). `origin` names it in messages. Same checks as LoadFile.
  absl::Status Register(const ktune_algorithm_v1* table, std::string origin);

  // InvalidArgument `unknown algorithm "foo"; available algorithms: grid, random` when no
  // algorithm has that name (followed by the files that failed to load, if any).
  absl::StatusOr<const AlgorithmPlugin*> Find(std::string_view name) const;
  // Sorted.
  std::vector<std::string> Names() const;
  // One message per file that failed to load, in load order.
  std::vector<std::string> load_errors() const;

 private:
  absl::Status LoadFileLocked(const std::string& path);
  absl::Status RegisterLocked(const ktune_algorithm_v1* table, std::string origin);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<AlgorithmPlugin>, std::less<>> plugins_;
  std::vector<std::string> loaded_files_;  // canonical paths
  std::vector<std::string> load_errors_;
};

}  // namespace ktune::suggestion

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
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/ktune_algorithm.h"
#include "api/api.pb.h"

namespace ktune::suggestion {

// One experiment's instance of an algorithm. Destroying it destroys the plugin's instance.
// Thread-safe: calls are serialized here unless the plugin declares itself thread-safe.
class AlgorithmInstance {
 public:
  AlgorithmInstance(const AlgorithmInstance&) = delete;
  AlgorithmInstance& operator=(const AlgorithmInstance&) = delete;
  ~AlgorithmInstance();

  // The plugin's reply, or its error with its canonical code and the message prefixed with
  // the algorithm name ("random: ..."). See ktune_algorithm.h for what the request carries.
  absl::StatusOr<api::v1::beta1::GetSuggestionsReply> GetSuggestions(
      const api::v1::beta1::GetSuggestionsRequest& request);

  const std::string& algorithm_name() const { return name_; }

 private:
  friend class AlgorithmPlugin;
  AlgorithmInstance(const ktune_algorithm_v1* table, ktune_algorithm_instance* handle,
                    std::string name, bool serialize);

  const ktune_algorithm_v1* const table_;
  ktune_algorithm_instance* const handle_;
  const std::string name_;
  const bool serialize_;
  std::mutex mu_;
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

  // OK, or the plugin's error (usually InvalidArgument) with its message prefixed with the
  // algorithm name.
  absl::Status ValidateSettings(const api::v1::beta1::Experiment& experiment) const;
  // A new instance for one experiment, or the plugin's error as above.
  absl::StatusOr<std::unique_ptr<AlgorithmInstance>> Create(
      const api::v1::beta1::Experiment& experiment) const;

 private:
  const ktune_algorithm_v1* table_;
  std::string name_;
  std::string origin_;
};

// Checks a plugin table as the loader does: FailedPrecondition naming `origin` for a NULL
// table, a different ABI major version, a table shorter than KTUNE_ALGORITHM_V1_MIN_SIZE, a
// missing name or a missing function.
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

#pragma once
// Write an algorithm plugin as a C++ class; one macro turns it into the C ABI of
// ktune_algorithm.h.
//
//   class MyAlgorithm final : public ktune::algorithms::Algorithm {
//    public:
//     absl::Status ValidateSettings(const api::v1::beta1::Experiment& e) const override;
//     absl::StatusOr<std::unique_ptr<Instance>> Create(const api::v1::beta1::Experiment& e,
//                                                      const Host& host) const override;
//   };
//   KTUNE_EXPORT_ALGORITHM(MyAlgorithm, "my-algorithm")   // at global scope, once per library
//
// The table it exports is ABI 1.1 (ktune_algorithm.h) and fills the 1.0 entries too, so that a
// 1.0 host loads it: there the class sees a Host without services (Log does nothing, Check is
// always OK).
//
// Build the library with ktune_add_algorithm_plugin() (algorithms/CMakeLists.txt). Plugins see
// api.proto generated for the protobuf lite runtime (target ktune_api_proto_lite): the host
// process already registers the full descriptors of api.proto, and a second registration of
// the same file aborts protobuf. The lite and the full generated code have the same class
// names, so never link both into one binary.
//
// The generated entry points parse the request bytes, call the class, serialize the reply and
// turn every escaping exception into KTUNE_STATUS_INTERNAL; a returned absl::Status keeps its
// code and message.
//
// A long GetSuggestions polls host.Check() and returns what it says once it is not OK:
//   for (...) {
//     if (absl::Status s = host.Check(); !s.ok()) return s;   // Cancelled or DeadlineExceeded
//     ...
//   }
// The host then discards the instance (ktune_algorithm.h, "Host services"), so nothing needs
// undoing.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/ktune_algorithm.h"
#include "api/api.pb.h"

namespace ktune::algorithms {

// What the host offers during one call (struct ktune_host_v1 of ABI 1.1), as C++. Valid only
// during the call it was passed to: never keep a reference to it. Thread-safe: a plugin's
// worker threads may use it while the call runs. Built from a NULL table (a 1.0 host), it offers
// nothing: Log does nothing, Check is OK, no deadline, no capabilities, a thread budget of 1.
class Host {
 public:
  enum class LogLevel : int32_t {
    kTrace = KTUNE_LOG_TRACE,
    kDebug = KTUNE_LOG_DEBUG,
    kInfo = KTUNE_LOG_INFO,
    kWarn = KTUNE_LOG_WARN,
    kError = KTUNE_LOG_ERROR,
  };

  // `host` may be NULL; otherwise it must outlive this object (the call).
  explicit Host(const ktune_host_v1* host) noexcept
      : host_(host != nullptr && host->struct_size >= KTUNE_HOST_V1_MIN_SIZE ? host : nullptr) {}

  // True when the host passed its services (an ABI 1.1 host).
  bool available() const noexcept { return host_ != nullptr; }

  // One line in the host's log, named after the algorithm and experiment by the host.
  void Log(LogLevel level, std::string_view message) const noexcept {
    if (host_ != nullptr) {
      host_->log(host_->context, static_cast<int32_t>(level), message.data(), message.size());
    }
  }

  // OK while the call may go on; Cancelled when the host no longer wants the result,
  // DeadlineExceeded when the call's deadline has passed. Return it as it is. Cheap enough to
  // call every iteration.
  absl::Status Check() const {
    if (host_ == nullptr) return absl::OkStatus();
    switch (host_->cancelled(host_->context)) {
      case KTUNE_STATUS_OK:
        return absl::OkStatus();
      case KTUNE_STATUS_DEADLINE_EXCEEDED:
        return absl::DeadlineExceededError("stopped: the call's deadline has passed");
      default:
        return absl::CancelledError("stopped: the host cancelled the call");
    }
  }
  // !Check().ok(), without building a status.
  bool Cancelled() const noexcept {
    return host_ != nullptr && host_->cancelled(host_->context) != KTUNE_STATUS_OK;
  }

  // Time left until the call's deadline (zero once it has passed); milliseconds::max() when
  // the call has none.
  std::chrono::milliseconds Remaining() const noexcept {
    if (host_ == nullptr) return std::chrono::milliseconds::max();
    const int64_t ms = host_->remaining_ms(host_->context);
    if (ms == KTUNE_NO_DEADLINE) return std::chrono::milliseconds::max();
    return std::chrono::milliseconds(ms < 0 ? 0 : ms);
  }

  // The host's name and version ("ktune 0.1.0"); empty without a host.
  std::string_view version() const noexcept {
    return host_ != nullptr && host_->host_version != nullptr ? host_->host_version : "";
  }
  // A CUDA device is usable from this process (KTUNE_HOST_CAPABILITY_GPU).
  bool gpu_present() const noexcept {
    return host_ != nullptr && (host_->capabilities & KTUNE_HOST_CAPABILITY_GPU) != 0;
  }
  // Threads the algorithm may keep busy during a call; at least 1.
  uint32_t thread_budget() const noexcept {
    return host_ != nullptr && host_->thread_budget > 0 ? host_->thread_budget : 1;
  }
  // The host's ABI version (KTUNE_ALGORITHM_ABI_VERSION it was built with); 0 without a host.
  uint32_t abi_version() const noexcept { return host_ != nullptr ? host_->abi_version : 0; }

 private:
  const ktune_host_v1* host_;
};

// One algorithm. The exported library makes a single object of the class (default-constructed
// on first use, never destroyed) and calls ValidateSettings and Create on it from any thread,
// concurrently: both must be thread-safe.
class Algorithm {
 public:
  // Per-experiment state. Calls are serialized by the host unless the algorithm is exported
  // with KTUNE_ALGORITHM_FLAG_THREAD_SAFE (SaveState and LoadState always are).
  class Instance {
   public:
    virtual ~Instance() = default;
    // The first call carries the experiment's full trial history, later calls only the trials
    // new or changed since the previous call (upsert them by name). Return fewer assignments
    // than request.current_request_number() only when the search space is exhausted. A long
    // computation polls host.Check() (see the top of this file).
    virtual absl::StatusOr<api::v1::beta1::GetSuggestionsReply> GetSuggestions(
        const api::v1::beta1::GetSuggestionsRequest& request, const Host& host) = 0;

    // Optional (ktune_algorithm.h save_state / load_state). The state the trial history cannot
    // rebuild, in a format of the algorithm's own (version it); empty: none, which is what an
    // algorithm that does not override this keeps.
    virtual absl::StatusOr<std::string> SaveState(const Host& /*host*/) { return std::string(); }
    // Restores non-empty bytes of an earlier SaveState into this fresh instance, before its
    // first GetSuggestions (which still carries the full history). InvalidArgument or
    // FailedPrecondition when the bytes are unusable: the host then starts over without them.
    virtual absl::Status LoadState(std::string_view /*state*/, const Host& /*host*/) {
      return absl::FailedPreconditionError("this algorithm keeps no state to load");
    }
  };

  virtual ~Algorithm() = default;
  // InvalidArgument with a message for the user when the experiment's algorithm settings (or
  // the parts of the spec the algorithm depends on) are unusable.
  virtual absl::Status ValidateSettings(const api::v1::beta1::Experiment& experiment) const = 0;
  // A fresh instance for one experiment, or the reason none can be made. `host` is valid only
  // during this call.
  virtual absl::StatusOr<std::unique_ptr<Instance>> Create(
      const api::v1::beta1::Experiment& experiment, const Host& host) const = 0;
};

namespace internal {

inline void WriteBytes(ktune_bytes_sink sink, void* context, std::string_view bytes) noexcept {
  if (sink != nullptr) sink(context, bytes.data(), bytes.size());
}

inline ktune_status_code Report(const absl::Status& status, ktune_bytes_sink error,
                                void* context) noexcept {
  if (status.ok()) return KTUNE_STATUS_OK;
  WriteBytes(error, context, std::string_view(status.message().data(), status.message().size()));
  return static_cast<ktune_status_code>(status.code());
}

// Runs `body` (returning absl::Status); converts anything it throws to INTERNAL without
// allocating, so that even std::bad_alloc is reported rather than crashing the host.
template <class Body>
ktune_status_code Guard(const char* algorithm, ktune_bytes_sink error, void* context,
                        Body&& body) noexcept {
  char buffer[512];
  try {
    return Report(body(), error, context);
  } catch (const std::exception& e) {
    int n = std::snprintf(buffer, sizeof(buffer), "algorithm %s threw an exception: %s", algorithm,
                          e.what());
    if (n < 0) n = 0;
    WriteBytes(error, context,
               std::string_view(buffer, std::min(static_cast<size_t>(n), sizeof(buffer) - 1)));
  } catch (...) {
    int n =
        std::snprintf(buffer, sizeof(buffer), "algorithm %s threw an unknown exception", algorithm);
    if (n < 0) n = 0;
    WriteBytes(error, context,
               std::string_view(buffer, std::min(static_cast<size_t>(n), sizeof(buffer) - 1)));
  }
  return KTUNE_STATUS_INTERNAL;
}

template <class Message>
absl::Status Parse(const char* data, size_t size, Message& message, const char* what) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !message.ParseFromArray(data, static_cast<int>(size))) {
    return absl::InvalidArgumentError(std::string("cannot parse the ") + what);
  }
  return absl::OkStatus();
}

template <class AlgorithmClass>
class Exported {
 public:
  static const char* name_;

  static ktune_algorithm_v1 MakeTable(const char* name, uint32_t flags) noexcept {
    name_ = name;
    ktune_algorithm_v1 table{};
    table.struct_size = sizeof(ktune_algorithm_v1);
    table.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
    table.name = name;
    table.flags = flags;
    table.validate_settings = &ValidateSettings;
    table.create = &Create;
    table.destroy = &Destroy;
    table.get_suggestions = &GetSuggestions;
    table.create_with_host = &CreateWithHost;
    table.get_suggestions_with_host = &GetSuggestionsWithHost;
    table.save_state = &SaveState;
    table.load_state = &LoadState;
    return table;
  }

 private:
  static const Algorithm& Get() {
    // Never destroyed: the library is never unloaded and instances may outlive static
    // destruction order.
    static const Algorithm* const algorithm = new AlgorithmClass();
    return *algorithm;
  }

  static ktune_status_code ValidateSettings(const char* data, size_t size, ktune_bytes_sink error,
                                            void* context) noexcept {
    return Guard(name_, error, context, [&]() -> absl::Status {
      api::v1::beta1::ValidateAlgorithmSettingsRequest request;
      absl::Status parsed = Parse(data, size, request, "ValidateAlgorithmSettingsRequest");
      if (!parsed.ok()) return parsed;
      return Get().ValidateSettings(request.experiment());
    });
  }

  static ktune_status_code Create(const char* data, size_t size, ktune_algorithm_instance** out,
                                  ktune_bytes_sink error, void* context) noexcept {
    return CreateWithHost(data, size, nullptr, out, error, context);
  }

  static ktune_status_code CreateWithHost(const char* data, size_t size,
                                          const ktune_host_v1* host_table,
                                          ktune_algorithm_instance** out, ktune_bytes_sink error,
                                          void* context) noexcept {
    if (out == nullptr) return KTUNE_STATUS_INVALID_ARGUMENT;
    *out = nullptr;
    return Guard(name_, error, context, [&]() -> absl::Status {
      api::v1::beta1::Experiment experiment;
      absl::Status parsed = Parse(data, size, experiment, "Experiment");
      if (!parsed.ok()) return parsed;
      const Host host(host_table);
      absl::StatusOr<std::unique_ptr<Algorithm::Instance>> instance =
          Get().Create(experiment, host);
      if (!instance.ok()) return instance.status();
      if (*instance == nullptr) return absl::InternalError("Create returned no instance");
      *out = reinterpret_cast<ktune_algorithm_instance*>(instance->release());
      return absl::OkStatus();
    });
  }

  static void Destroy(ktune_algorithm_instance* instance) noexcept {
    delete reinterpret_cast<Algorithm::Instance*>(instance);
  }

  static ktune_status_code GetSuggestions(ktune_algorithm_instance* instance, const char* data,
                                          size_t size, ktune_bytes_sink reply,
                                          ktune_bytes_sink error, void* context) noexcept {
    return GetSuggestionsWithHost(instance, data, size, nullptr, reply, error, context);
  }

  static ktune_status_code GetSuggestionsWithHost(ktune_algorithm_instance* instance,
                                                  const char* data, size_t size,
                                                  const ktune_host_v1* host_table,
                                                  ktune_bytes_sink reply, ktune_bytes_sink error,
                                                  void* context) noexcept {
    return Guard(name_, error, context, [&]() -> absl::Status {
      if (instance == nullptr) return absl::InvalidArgumentError("no instance");
      api::v1::beta1::GetSuggestionsRequest request;
      absl::Status parsed = Parse(data, size, request, "GetSuggestionsRequest");
      if (!parsed.ok()) return parsed;
      const Host host(host_table);
      absl::StatusOr<api::v1::beta1::GetSuggestionsReply> result =
          reinterpret_cast<Algorithm::Instance*>(instance)->GetSuggestions(request, host);
      if (!result.ok()) return result.status();
      std::string bytes;
      if (!result->SerializeToString(&bytes)) {
        return absl::InternalError("cannot serialize the GetSuggestionsReply");
      }
      WriteBytes(reply, context, bytes);
      return absl::OkStatus();
    });
  }

  static ktune_status_code SaveState(ktune_algorithm_instance* instance,
                                     const ktune_host_v1* host_table, ktune_bytes_sink state,
                                     ktune_bytes_sink error, void* context) noexcept {
    return Guard(name_, error, context, [&]() -> absl::Status {
      if (instance == nullptr) return absl::InvalidArgumentError("no instance");
      absl::StatusOr<std::string> bytes =
          reinterpret_cast<Algorithm::Instance*>(instance)->SaveState(Host(host_table));
      if (!bytes.ok()) return bytes.status();
      if (!bytes->empty()) WriteBytes(state, context, *bytes);
      return absl::OkStatus();
    });
  }

  static ktune_status_code LoadState(ktune_algorithm_instance* instance, const char* data,
                                     size_t size, const ktune_host_v1* host_table,
                                     ktune_bytes_sink error, void* context) noexcept {
    return Guard(name_, error, context, [&]() -> absl::Status {
      if (instance == nullptr) return absl::InvalidArgumentError("no instance");
      return reinterpret_cast<Algorithm::Instance*>(instance)->LoadState(
          std::string_view(data, size), Host(host_table));
    });
  }
};

template <class AlgorithmClass>
const char* Exported<AlgorithmClass>::name_ = "";

}  // namespace internal
}  // namespace ktune::algorithms

// Defines the library's entry point for `ClassName` (derived from ktune::algorithms::Algorithm,
// default-constructible) under the algorithm name `algorithm_name` (a string literal). Use once
// per shared library, at global scope.
#define KTUNE_EXPORT_ALGORITHM(ClassName, algorithm_name) \
  KTUNE_EXPORT_ALGORITHM_WITH_FLAGS(ClassName, algorithm_name, 0u)

// As KTUNE_EXPORT_ALGORITHM, with KTUNE_ALGORITHM_FLAG_* bits (e.g. thread-safe instances).
#define KTUNE_EXPORT_ALGORITHM_WITH_FLAGS(ClassName, algorithm_name, algorithm_flags)          \
  extern "C" KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1( \
      void) {                                                                                  \
    static const struct ktune_algorithm_v1 ktune_algorithm_table =                             \
        ::ktune::algorithms::internal::Exported<ClassName>::MakeTable((algorithm_name),        \
                                                                      (algorithm_flags));      \
    return &ktune_algorithm_table;                                                             \
  }

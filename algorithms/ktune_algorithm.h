/* ktune algorithm plugin ABI, version 1.
 *
 * A suggestion algorithm is a shared library named libktune_<something>.so that exports one
 * symbol, ktune_algorithm_entry_v1, returning a pointer to a static, immutable
 * struct ktune_algorithm_v1: a table of function pointers. The host loads it with
 * dlopen(RTLD_NOW | RTLD_LOCAL) and never unloads it while running.
 *
 * This header is pure C (C99 and later, C++) and includes only <stddef.h> and <stdint.h>.
 *
 * Data. Requests and replies cross the boundary as serialized protobuf messages of Katib's
 * api.proto (package api.v1.beta1), the same messages the gRPC Suggestion service uses:
 *   validate_settings: ValidateAlgorithmSettingsRequest  -> (nothing)
 *   create:            Experiment                        -> an opaque instance
 *   get_suggestions:   GetSuggestionsRequest             -> GetSuggestionsReply
 * Inputs are views owned by the host and valid only for the duration of the call.
 * A C++ plugin must not register api.proto in protobuf's process-wide descriptor pool (the host
 * already did, and a second registration aborts): generate its code for the lite runtime, as
 * plugin.h and ktune_add_algorithm_plugin() do, and export nothing but the entry symbol.
 *
 * Ownership. Nothing allocated on one side is freed on the other. The plugin hands results and
 * error messages back by calling a host callback (ktune_bytes_sink) that copies the bytes before
 * returning; the plugin may free its buffer right after. An instance is created by `create`,
 * owned by the host, and released only by `destroy` of the same table.
 *
 * Errors. Every fallible function returns a canonical status code (the numbers of absl::Status
 * and gRPC, KTUNE_STATUS_*). On a non-zero code the plugin should first report a human-readable
 * message through the error sink; the host adds the algorithm name as context. Exceptions (C++,
 * or any other language's) never cross this boundary: a plugin catches them at every entry
 * point and reports KTUNE_STATUS_INTERNAL.
 *
 * Instances and history. An instance lives as long as one experiment. On its first
 * get_suggestions call (and after a host restart, on the first call of the new instance) the
 * request carries the experiment's full trial history; afterwards only the trials that are new
 * or changed since the previous successful call. Plugins upsert trials by name. The request
 * always carries the current experiment (its algorithm settings may change between calls, see
 * GetSuggestionsReply.algorithm). current_request_number is the number of assignments asked
 * for; total_request_number counts every assignment asked for over the experiment's life, this
 * call included. Returning fewer assignments than current_request_number means the search space
 * is exhausted: the host will end the experiment.
 *
 * Threads. validate_settings and create (create_with_host) may be called from any thread,
 * concurrently. Calls on one instance (get_suggestions, save_state, load_state, destroy) are
 * serialized by the host unless the table sets KTUNE_ALGORITHM_FLAG_THREAD_SAFE, in which case
 * get_suggestions may run concurrently on the same instance (save_state, load_state and
 * destroy are never concurrent with other calls on that instance).
 *
 * Randomness. A plugin draws randomness only from a seed it is given (a setting such as
 * random_state) or picks at `create`, so runs can be reproduced.
 *
 * Host services (minor version 1). A host of ABI 1.1 calls create_with_host and
 * get_suggestions_with_host instead of create and get_suggestions when the table has them,
 * passing a struct ktune_host_v1: a log function that reaches the host's log with the algorithm
 * (and experiment) named, a cancellation check that also tells when the call's deadline has
 * passed, the time left, the host's version and what the machine offers (a GPU, a thread
 * budget). A long computation polls `cancelled` and, once it reports a code, returns that code
 * promptly. A call that ends CANCELLED or DEADLINE_EXCEEDED (whether the plugin noticed or the
 * host judged it when the call returned) has its reply discarded, and the host never calls that
 * instance again except to destroy it: it continues with a new instance as after a restart (the
 * state last saved, if any, and the full history). So an interrupted plugin need not undo what
 * it did to its instance. A plugin built against ABI 1.0 is never interrupted; the host judges
 * it when it returns.
 *
 * State (minor version 1, optional). An algorithm whose state the trial history reconstructs
 * only approximately (CMA-ES's mean, covariance and step size; Hyperband's bracket and rung)
 * provides save_state and load_state. The host persists what save_state writes with the
 * experiment (the Store's suggestion state) and, after a restart, hands it to load_state of
 * the new instance before its first get_suggestions, which still carries the full history.
 * The bytes are the plugin's own format; version them, since the plugin that reads them may
 * be a newer build than the one that wrote them.
 *
 * Versioning. abi_version = (major << 16) | minor. The host rejects a table whose major
 * version differs from the one it was built with, or whose struct_size is smaller than
 * KTUNE_ALGORITHM_V1_MIN_SIZE. The table only ever grows at the end: a new minor version may
 * append fields, never reorder, resize or remove existing ones; a host reads an appended field
 * only when struct_size covers it (KTUNE_ALGORITHM_V1_HAS) and the minor version is only
 * informative. struct ktune_host_v1 follows the same rules from the other side: a plugin reads
 * a field of it only when its struct_size covers the field (KTUNE_HOST_V1_HAS). Incompatible
 * changes get a new major version, a new entry symbol (ktune_algorithm_entry_v2) and new
 * structs.
 *
 * Compatibility. A table of minor version 0 (a plugin built against ABI 1.0) loads and runs
 * in a 1.1 host, through create and get_suggestions. A 1.1 plugin still fills create and
 * get_suggestions, so that a 1.0 host can load it too: those calls have no host services
 * (plugin.h does this). A 1.0 plugin's source still compiles against this header and behaves
 * as before: the entries it does not initialize are NULL (a positional initializer draws
 * -Wmissing-field-initializers from -Wextra; name the fields to avoid it).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KTUNE_ALGORITHM_ABI_MAJOR 1u
#define KTUNE_ALGORITHM_ABI_MINOR 1u
#define KTUNE_ALGORITHM_ABI_VERSION \
  ((uint32_t)((KTUNE_ALGORITHM_ABI_MAJOR << 16) | KTUNE_ALGORITHM_ABI_MINOR))
#define KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF(v) ((uint32_t)(v)&0xffffu)

/* The name of the entry symbol for ABI major version 1, for dlsym. */
#define KTUNE_ALGORITHM_ENTRY_V1_SYMBOL "ktune_algorithm_entry_v1"

/* Bits of ktune_algorithm_v1.flags. Unknown bits are ignored by the host. */
#define KTUNE_ALGORITHM_FLAG_THREAD_SAFE (1u << 0)

/* Canonical status codes, numerically identical to absl::StatusCode and gRPC status codes. */
typedef int32_t ktune_status_code;
#define KTUNE_STATUS_OK 0
#define KTUNE_STATUS_CANCELLED 1
#define KTUNE_STATUS_UNKNOWN 2
#define KTUNE_STATUS_INVALID_ARGUMENT 3
#define KTUNE_STATUS_DEADLINE_EXCEEDED 4
#define KTUNE_STATUS_NOT_FOUND 5
#define KTUNE_STATUS_ALREADY_EXISTS 6
#define KTUNE_STATUS_PERMISSION_DENIED 7
#define KTUNE_STATUS_RESOURCE_EXHAUSTED 8
#define KTUNE_STATUS_FAILED_PRECONDITION 9
#define KTUNE_STATUS_ABORTED 10
#define KTUNE_STATUS_OUT_OF_RANGE 11
#define KTUNE_STATUS_UNIMPLEMENTED 12
#define KTUNE_STATUS_INTERNAL 13
#define KTUNE_STATUS_UNAVAILABLE 14
#define KTUNE_STATUS_DATA_LOSS 15
#define KTUNE_STATUS_UNAUTHENTICATED 16

/* A host callback that copies `size` bytes at `data` (not NUL-terminated, may contain NULs)
 * into host memory before it returns. `context` is the value the host passed alongside the
 * callback. Calling it again during the same call replaces what was written before. */
typedef void (*ktune_bytes_sink)(void* context, const char* data, size_t size);

/* Opaque per-experiment algorithm state, owned by the plugin's code, released by `destroy`. */
typedef struct ktune_algorithm_instance ktune_algorithm_instance;

/* ---- Host services (minor version 1) ------------------------------------------------------ */

/* Levels of ktune_host_v1.log, in increasing severity (spdlog's). The host clamps others into
 * this range. Per-call detail belongs at DEBUG or TRACE; INFO is for what an operator wants to
 * see once per experiment (e.g. a seed drawn because none was set). */
#define KTUNE_LOG_TRACE 0
#define KTUNE_LOG_DEBUG 1
#define KTUNE_LOG_INFO 2
#define KTUNE_LOG_WARN 3
#define KTUNE_LOG_ERROR 4

/* Bits of ktune_host_v1.capabilities. Unknown bits are to be ignored by plugins. */
/* A CUDA device is usable from this process: the host found libcuda.so.1, cuInit succeeded and
 * cuDeviceGetCount reported at least one device (so CUDA_VISIBLE_DEVICES is honoured). The
 * plugin still checks its own CUDA calls and falls back to its CPU path when they fail. */
#define KTUNE_HOST_CAPABILITY_GPU (1u << 0)

/* ktune_host_v1.remaining_ms when the call has no deadline. */
#define KTUNE_NO_DEADLINE INT64_MAX

/* What the host offers a plugin during one call of create_with_host, get_suggestions_with_host,
 * save_state or load_state. Owned by the host; the pointer, `context` and everything they
 * point to are valid only until that call returns, so a plugin never keeps them. The
 * functions are thread-safe: a plugin that computes on several threads (see thread_budget) may
 * call them from any of its threads while the call runs, never after it returned. None of
 * them fails or blocks for long. */
struct ktune_host_v1 {
  /* sizeof(struct ktune_host_v1) as the host was compiled, at least KTUNE_HOST_V1_MIN_SIZE; the
   * plugin reads only the fields it covers (KTUNE_HOST_V1_HAS). */
  uint32_t struct_size;
  /* KTUNE_ALGORITHM_ABI_VERSION as the host was compiled. */
  uint32_t abi_version;
  /* The host program and its version, e.g. "ktune 0.1.0". NUL-terminated, never NULL. For
   * messages only: a plugin decides what it may call by struct_size, not by this text. */
  const char* host_version;
  /* KTUNE_HOST_CAPABILITY_* bits. */
  uint32_t capabilities;
  /* How many threads the plugin may keep busy during a call (the host's setting, by default
   * the machine's hardware threads); at least 1. A plugin that uses more slows down everything
   * else the host runs; one that creates no threads ignores it. */
  uint32_t thread_budget;
  /* Passed back as the first argument of the functions below. */
  void* context;
  /* Writes one event to the host's log at `level` (KTUNE_LOG_*), with the algorithm's and,
   * when known, the experiment's name as fields: `size` bytes at `message`, UTF-8, not
   * NUL-terminated. One call is one line: the host replaces line breaks and other control
   * characters, truncates long messages and drops lines beyond a per-call limit (saying how
   * many it dropped), so a plugin need not rate-limit itself, but should not log per trial at
   * INFO. */
  void (*log)(void* context, int32_t level, const char* message, size_t size);
  /* KTUNE_STATUS_OK while the call may go on; KTUNE_STATUS_CANCELLED once the host no longer
   * wants its result (the experiment was stopped or deleted, the host shuts down), or
   * KTUNE_STATUS_DEADLINE_EXCEEDED once the call's deadline has passed. Once not OK it stays
   * so. Cheap (an atomic load and a clock read): a loop may poll it every iteration. The
   * plugin returns the code it got (with a message through `error`) as soon as it can. */
  ktune_status_code (*cancelled)(void* context);
  /* Milliseconds until the call's deadline (0 once it has passed), or KTUNE_NO_DEADLINE when
   * the call has none: for an algorithm that sizes its work (iterations, restarts) to fit. */
  int64_t (*remaining_ms)(void* context);

  /* Fields of later minor versions go here, and only here. */
};

/* The smallest struct_size of a host table: the fields above, all always set. */
#define KTUNE_HOST_V1_MIN_SIZE \
  (offsetof(struct ktune_host_v1, remaining_ms) + sizeof(((struct ktune_host_v1*)0)->remaining_ms))

/* True when the host table `host` (a const struct ktune_host_v1*) covers `field`. */
#define KTUNE_HOST_V1_HAS(host, field) \
  ((host)->struct_size >= offsetof(struct ktune_host_v1, field) + sizeof((host)->field))

/* ---- The algorithm table ---------------------------------------------------------------- */

struct ktune_algorithm_v1 {
  /* sizeof(struct ktune_algorithm_v1) as the plugin was compiled; the host reads only the
   * fields it covers. */
  uint32_t struct_size;
  /* KTUNE_ALGORITHM_ABI_VERSION as the plugin was compiled. */
  uint32_t abi_version;
  /* The algorithm name users write in spec.algorithm.algorithmName, e.g. "random". Static,
   * NUL-terminated, non-empty. Unique among loaded plugins. */
  const char* name;
  /* KTUNE_ALGORITHM_FLAG_* bits. */
  uint32_t flags;

  /* Checks spec.algorithm.algorithmSettings (and whatever else of the experiment the
   * algorithm depends on, e.g. the search space) of a serialized
   * ValidateAlgorithmSettingsRequest. Returns KTUNE_STATUS_OK, or KTUNE_STATUS_INVALID_ARGUMENT
   * with a message for the user through `error`. */
  ktune_status_code (*validate_settings)(const char* request, size_t request_size,
                                         ktune_bytes_sink error, void* context);

  /* Creates an instance for one experiment from a serialized Experiment. On success stores a
   * non-NULL instance in *instance and returns KTUNE_STATUS_OK; otherwise leaves *instance
   * NULL, reports a message through `error` and returns the code. */
  ktune_status_code (*create)(const char* experiment, size_t experiment_size,
                              ktune_algorithm_instance** instance, ktune_bytes_sink error,
                              void* context);

  /* Releases an instance made by `create`. NULL is a no-op. Never fails. */
  void (*destroy)(ktune_algorithm_instance* instance);

  /* Given a serialized GetSuggestionsRequest, writes one serialized GetSuggestionsReply
   * through `reply` and returns KTUNE_STATUS_OK (not calling `reply` at all means an empty
   * reply); or reports a message through `error` and returns the code. */
  ktune_status_code (*get_suggestions)(ktune_algorithm_instance* instance, const char* request,
                                       size_t request_size, ktune_bytes_sink reply,
                                       ktune_bytes_sink error, void* context);

  /* ---- Minor version 1. A host calls each of these only when struct_size covers it and
   * it is not NULL (KTUNE_ALGORITHM_V1_HAS); otherwise it falls back as each one says. `host`
   * is never NULL. ---- */

  /* As `create`, with the host's services (for logging; the host may also cancel a create).
   * When present, the host calls it instead of `create`. */
  ktune_status_code (*create_with_host)(const char* experiment, size_t experiment_size,
                                        const struct ktune_host_v1* host,
                                        ktune_algorithm_instance** instance, ktune_bytes_sink error,
                                        void* context);

  /* As `get_suggestions`, with the host's services: the call's deadline and cancellation (see
   * "Host services" above). When present, the host calls it instead of `get_suggestions`. */
  ktune_status_code (*get_suggestions_with_host)(ktune_algorithm_instance* instance,
                                                 const char* request, size_t request_size,
                                                 const struct ktune_host_v1* host,
                                                 ktune_bytes_sink reply, ktune_bytes_sink error,
                                                 void* context);

  /* Optional (NULL: the algorithm keeps no state beyond what the trial history rebuilds).
   * Writes the instance's state through `state` and returns KTUNE_STATUS_OK; not calling
   * `state`, or writing 0 bytes, means "no state". The host calls it between other calls on the
   * instance (never concurrently with any, even with KTUNE_ALGORITHM_FLAG_THREAD_SAFE), usually
   * after each successful get_suggestions, so it should cost little next to one. On an error
   * the host keeps the state it saved before. */
  ktune_status_code (*save_state)(ktune_algorithm_instance* instance,
                                  const struct ktune_host_v1* host, ktune_bytes_sink state,
                                  ktune_bytes_sink error, void* context);

  /* Optional; present whenever save_state is. Restores what an earlier save_state of this
   * algorithm wrote (`state_size` > 0 bytes at `state`, possibly from another build of the
   * plugin) into a new instance: the host calls it right after create, before the first
   * get_suggestions, never concurrently with another call on the instance. The first
   * get_suggestions after it still carries the full history: upsert by name, so that the trials
   * the state already knows are not counted twice. Returns KTUNE_STATUS_OK, or
   * KTUNE_STATUS_INVALID_ARGUMENT / KTUNE_STATUS_FAILED_PRECONDITION with a message when it
   * cannot use the bytes (corrupt, another format version): the host then destroys this
   * instance, logs a warning and continues with a new one from the history alone. */
  ktune_status_code (*load_state)(ktune_algorithm_instance* instance, const char* state,
                                  size_t state_size, const struct ktune_host_v1* host,
                                  ktune_bytes_sink error, void* context);

  /* Fields of later minor versions go here, and only here. */
};

/* The smallest struct_size a host accepts for ABI major version 1: the fields of minor
 * version 0, up to get_suggestions. Tables built against ABI 1.0 have exactly this size. */
#define KTUNE_ALGORITHM_V1_MIN_SIZE                       \
  (offsetof(struct ktune_algorithm_v1, get_suggestions) + \
   sizeof(((struct ktune_algorithm_v1*)0)->get_suggestions))

/* True when the algorithm table `table` (a const struct ktune_algorithm_v1*) covers `field`
 * and sets it: what a host checks before calling a field of a later minor version. */
#define KTUNE_ALGORITHM_V1_HAS(table, field)                                                      \
  ((table)->struct_size >= offsetof(struct ktune_algorithm_v1, field) + sizeof((table)->field) && \
   (table)->field != NULL)

/* The entry symbol each plugin exports. Returns a pointer to a static table that stays valid
 * while the library is loaded, or NULL if the plugin cannot work in this process. */
typedef const struct ktune_algorithm_v1* (*ktune_algorithm_entry_v1_fn)(void);

/* Plugins build with hidden visibility; this marks the one symbol they export. */
#if defined(__GNUC__) || defined(__clang__)
#define KTUNE_ALGORITHM_EXPORT __attribute__((visibility("default")))
#else
#define KTUNE_ALGORITHM_EXPORT
#endif

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

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
 * Threads. validate_settings and create may be called from any thread, concurrently. Calls on
 * one instance (get_suggestions, destroy) are serialized by the host unless the table sets
 * KTUNE_ALGORITHM_FLAG_THREAD_SAFE, in which case get_suggestions may run concurrently on the
 * same instance (destroy is never concurrent with other calls on that instance).
 *
 * Randomness. A plugin draws randomness only from a seed it is given (a setting such as
 * random_state) or picks at `create`, so runs can be reproduced.
 *
 * Versioning. abi_version = (major << 16) | minor. The host rejects a table whose major
 * version differs from the one it was built with, or whose struct_size is smaller than
 * KTUNE_ALGORITHM_V1_MIN_SIZE. The table only ever grows at the end: a new minor version may
 * append fields, never reorder, resize or remove existing ones; a host reads an appended field
 * only when struct_size covers it. Incompatible changes get a new major version, a new entry
 * symbol (ktune_algorithm_entry_v2) and a new struct.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KTUNE_ALGORITHM_ABI_MAJOR 1u
#define KTUNE_ALGORITHM_ABI_MINOR 0u
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

  /* Fields of later minor versions go here, and only here. */
};

/* The smallest struct_size a host accepts for ABI major version 1: the fields above. */
#define KTUNE_ALGORITHM_V1_MIN_SIZE                       \
  (offsetof(struct ktune_algorithm_v1, get_suggestions) + \
   sizeof(((struct ktune_algorithm_v1*)0)->get_suggestions))

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

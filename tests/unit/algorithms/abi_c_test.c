/* Proves that algorithms/ktune_algorithm.h is plain C: a whole (trivial) ABI 1.1 plugin and a
   host driving it through both tables, compiled as C99 with -pedantic -Werror. */
#include <stdio.h>
#include <string.h>

#include "algorithms/ktune_algorithm.h"

struct ktune_algorithm_instance {
  int calls;
  int state;
};

static struct ktune_algorithm_instance the_instance;

static ktune_status_code validate(const char* request, size_t size, ktune_bytes_sink error,
                                  void* context) {
  (void)request;
  if (size == 0) return KTUNE_STATUS_OK;
  error(context, "bad", 3);
  return KTUNE_STATUS_INVALID_ARGUMENT;
}

static ktune_status_code create(const char* experiment, size_t size,
                                ktune_algorithm_instance** instance, ktune_bytes_sink error,
                                void* context) {
  (void)experiment;
  (void)size;
  (void)error;
  (void)context;
  the_instance.calls = 0;
  the_instance.state = 0;
  *instance = &the_instance;
  return KTUNE_STATUS_OK;
}

static ktune_status_code create_with_host(const char* experiment, size_t size,
                                          const struct ktune_host_v1* host,
                                          ktune_algorithm_instance** instance,
                                          ktune_bytes_sink error, void* context) {
  host->log(host->context, KTUNE_LOG_INFO, "created", 7);
  return create(experiment, size, instance, error, context);
}

static void destroy(ktune_algorithm_instance* instance) { (void)instance; }

static ktune_status_code get_suggestions(ktune_algorithm_instance* instance, const char* request,
                                         size_t size, ktune_bytes_sink reply,
                                         ktune_bytes_sink error, void* context) {
  (void)request;
  (void)size;
  (void)error;
  ++instance->calls;
  reply(context, "", 0); /* an empty GetSuggestionsReply */
  return KTUNE_STATUS_OK;
}

/* Works until the host says stop. */
static ktune_status_code get_suggestions_with_host(ktune_algorithm_instance* instance,
                                                   const char* request, size_t size,
                                                   const struct ktune_host_v1* host,
                                                   ktune_bytes_sink reply, ktune_bytes_sink error,
                                                   void* context) {
  ktune_status_code code;
  (void)request;
  (void)size;
  (void)reply;
  ++instance->calls;
  while ((code = host->cancelled(host->context)) == KTUNE_STATUS_OK) {
  }
  error(context, "stopped", 7);
  return code;
}

static ktune_status_code save_state(ktune_algorithm_instance* instance,
                                    const struct ktune_host_v1* host, ktune_bytes_sink state,
                                    ktune_bytes_sink error, void* context) {
  char byte = (char)('0' + instance->calls);
  (void)host;
  (void)error;
  state(context, &byte, 1);
  return KTUNE_STATUS_OK;
}

static ktune_status_code load_state(ktune_algorithm_instance* instance, const char* state,
                                    size_t state_size, const struct ktune_host_v1* host,
                                    ktune_bytes_sink error, void* context) {
  (void)host;
  if (state_size != 1) {
    error(context, "bad state", 9);
    return KTUNE_STATUS_INVALID_ARGUMENT;
  }
  instance->state = state[0] - '0';
  return KTUNE_STATUS_OK;
}

static const struct ktune_algorithm_v1 table = {sizeof(struct ktune_algorithm_v1),
                                                KTUNE_ALGORITHM_ABI_VERSION,
                                                "c-test",
                                                KTUNE_ALGORITHM_FLAG_THREAD_SAFE,
                                                validate,
                                                create,
                                                destroy,
                                                get_suggestions,
                                                create_with_host,
                                                get_suggestions_with_host,
                                                save_state,
                                                load_state};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}

struct sink {
  char text[64];
  size_t size;
};

static void copy(void* context, const char* data, size_t size) {
  struct sink* s = (struct sink*)context;
  s->size = size < sizeof(s->text) ? size : sizeof(s->text);
  memcpy(s->text, data, s->size);
}

/* A host whose call is cancelled after three polls. */
struct host_state {
  int polls;
  int logged;
};

static void host_log(void* context, int32_t level, const char* message, size_t size) {
  struct host_state* h = (struct host_state*)context;
  h->logged = level == KTUNE_LOG_INFO && size == 7 && memcmp(message, "created", 7) == 0;
}

static ktune_status_code host_cancelled(void* context) {
  struct host_state* h = (struct host_state*)context;
  return ++h->polls >= 3 ? KTUNE_STATUS_CANCELLED : KTUNE_STATUS_OK;
}

static int64_t host_remaining_ms(void* context) {
  (void)context;
  return KTUNE_NO_DEADLINE;
}

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                          \
    }                                                                    \
  } while (0)

int main(void) {
  ktune_algorithm_entry_v1_fn entry = &ktune_algorithm_entry_v1;
  const struct ktune_algorithm_v1* t = entry();
  struct sink out;
  ktune_algorithm_instance* instance = NULL;
  struct host_state h = {0, 0};
  struct ktune_host_v1 host;

  CHECK(t->struct_size >= KTUNE_ALGORITHM_V1_MIN_SIZE);
  CHECK(KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(t->abi_version) == KTUNE_ALGORITHM_ABI_MAJOR);
  CHECK(KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF(t->abi_version) == 1);
  CHECK(strcmp(t->name, "c-test") == 0);
  CHECK((t->flags & KTUNE_ALGORITHM_FLAG_THREAD_SAFE) != 0);
  CHECK(strcmp(KTUNE_ALGORITHM_ENTRY_V1_SYMBOL, "ktune_algorithm_entry_v1") == 0);
  CHECK(KTUNE_STATUS_INVALID_ARGUMENT == 3 && KTUNE_STATUS_FAILED_PRECONDITION == 9 &&
        KTUNE_STATUS_INTERNAL == 13);
  CHECK(KTUNE_ALGORITHM_V1_HAS(t, create_with_host) && KTUNE_ALGORITHM_V1_HAS(t, load_state));

  memset(&out, 0, sizeof(out));
  CHECK(t->validate_settings("x", 1, copy, &out) == KTUNE_STATUS_INVALID_ARGUMENT);
  CHECK(out.size == 3 && memcmp(out.text, "bad", 3) == 0);

  /* The 1.0 entries. */
  CHECK(t->create("", 0, &instance, copy, &out) == KTUNE_STATUS_OK && instance != NULL);
  CHECK(t->get_suggestions(instance, "", 0, copy, copy, &out) == KTUNE_STATUS_OK);
  CHECK(out.size == 0 && instance->calls == 1);
  t->destroy(instance);

  /* The 1.1 entries, with a host table. */
  memset(&host, 0, sizeof(host));
  host.struct_size = sizeof(host);
  host.abi_version = KTUNE_ALGORITHM_ABI_VERSION;
  host.host_version = "c-host 1";
  host.capabilities = 0;
  host.thread_budget = 1;
  host.context = &h;
  host.log = host_log;
  host.cancelled = host_cancelled;
  host.remaining_ms = host_remaining_ms;
  CHECK(host.struct_size >= KTUNE_HOST_V1_MIN_SIZE && KTUNE_HOST_V1_HAS(&host, remaining_ms));
  instance = NULL;
  CHECK(t->create_with_host("", 0, &host, &instance, copy, &out) == KTUNE_STATUS_OK);
  CHECK(instance != NULL && h.logged);
  CHECK(t->get_suggestions_with_host(instance, "", 0, &host, copy, copy, &out) ==
        KTUNE_STATUS_CANCELLED);
  CHECK(h.polls == 3 && out.size == 7 && memcmp(out.text, "stopped", 7) == 0);
  CHECK(t->save_state(instance, &host, copy, copy, &out) == KTUNE_STATUS_OK);
  CHECK(out.size == 1 && out.text[0] == '1');
  CHECK(t->load_state(instance, "7", 1, &host, copy, &out) == KTUNE_STATUS_OK);
  CHECK(instance->state == 7);
  CHECK(t->load_state(instance, "77", 2, &host, copy, &out) == KTUNE_STATUS_INVALID_ARGUMENT);
  t->destroy(instance);
  printf("ktune_algorithm.h compiles and works as C\n");
  return 0;
}

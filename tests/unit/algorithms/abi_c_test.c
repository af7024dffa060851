/* Proves that algorithms/ktune_algorithm.h is plain C: a whole (trivial) plugin and a host
   driving it through the table, compiled as C99 with -pedantic -Werror. */
#include <stdio.h>
#include <string.h>

#include "algorithms/ktune_algorithm.h"

struct ktune_algorithm_instance {
  int calls;
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
  *instance = &the_instance;
  return KTUNE_STATUS_OK;
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

static const struct ktune_algorithm_v1 table = {sizeof(struct ktune_algorithm_v1),
                                                KTUNE_ALGORITHM_ABI_VERSION,
                                                "c-test",
                                                KTUNE_ALGORITHM_FLAG_THREAD_SAFE,
                                                validate,
                                                create,
                                                destroy,
                                                get_suggestions};

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

  CHECK(t->struct_size >= KTUNE_ALGORITHM_V1_MIN_SIZE);
  CHECK(KTUNE_ALGORITHM_ABI_VERSION_MAJOR_OF(t->abi_version) == KTUNE_ALGORITHM_ABI_MAJOR);
  CHECK(KTUNE_ALGORITHM_ABI_VERSION_MINOR_OF(t->abi_version) == KTUNE_ALGORITHM_ABI_MINOR);
  CHECK(strcmp(t->name, "c-test") == 0);
  CHECK((t->flags & KTUNE_ALGORITHM_FLAG_THREAD_SAFE) != 0);
  CHECK(strcmp(KTUNE_ALGORITHM_ENTRY_V1_SYMBOL, "ktune_algorithm_entry_v1") == 0);
  CHECK(KTUNE_STATUS_INVALID_ARGUMENT == 3 && KTUNE_STATUS_FAILED_PRECONDITION == 9 &&
        KTUNE_STATUS_INTERNAL == 13);

  memset(&out, 0, sizeof(out));
  CHECK(t->validate_settings("x", 1, copy, &out) == KTUNE_STATUS_INVALID_ARGUMENT);
  CHECK(out.size == 3 && memcmp(out.text, "bad", 3) == 0);

  CHECK(t->create("", 0, &instance, copy, &out) == KTUNE_STATUS_OK && instance != NULL);
  CHECK(t->get_suggestions(instance, "", 0, copy, copy, &out) == KTUNE_STATUS_OK);
  CHECK(out.size == 0 && instance->calls == 1);
  t->destroy(instance);
  printf("ktune_algorithm.h compiles and works as C\n");
  return 0;
}

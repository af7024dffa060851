/* An algorithm plugin as a third party would have built it against ABI 1.0: compiled against
   the 1.0 header kept in abi_v1_0/ (algorithms/ktune_algorithm.h at commit 420f73b) and
   nothing else of ktune, so its table is the 1.0 size and has no host entries. It speaks the
   wire format by hand. get_suggestions returns current_request_number assignments x=<k>, k
   counting from total_request_number - current_request_number, each labelled
     abi       "1.0"
     received  trials in this request
     known     trials received since the instance was created
     call      calls so far on this instance */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_v1_0/ktune_algorithm.h"

#if KTUNE_ALGORITHM_ABI_MAJOR != 1u || KTUNE_ALGORITHM_ABI_MINOR != 0u
#error "this plugin must be built against the ABI 1.0 header"
#endif

#define MAX_ASSIGNMENTS 64

struct ktune_algorithm_instance {
  int64_t calls;
  int64_t known;
};

/* Bytes written into caller-provided memory; `overflow` once it did not fit. */
struct buffer {
  char* data;
  size_t size;
  size_t capacity;
  int overflow;
};

static struct buffer make_buffer(char* data, size_t capacity) {
  struct buffer b;
  b.data = data;
  b.size = 0;
  b.capacity = capacity;
  b.overflow = 0;
  return b;
}

static void put_byte(struct buffer* b, unsigned char c) {
  if (b->size == b->capacity) {
    b->overflow = 1;
    return;
  }
  b->data[b->size++] = (char)c;
}

static void put_varint(struct buffer* b, uint64_t v) {
  while (v >= 0x80) {
    put_byte(b, (unsigned char)(v | 0x80));
    v >>= 7;
  }
  put_byte(b, (unsigned char)v);
}

/* A length-delimited field. */
static void put_field(struct buffer* b, unsigned field, const char* data, size_t size) {
  put_varint(b, ((uint64_t)field << 3) | 2);
  put_varint(b, size);
  if (b->overflow || b->size + size > b->capacity) {
    b->overflow = 1;
    return;
  }
  memcpy(b->data + b->size, data, size);
  b->size += size;
}

/* A map<string, string> entry of field `field`. */
static void put_label(struct buffer* b, unsigned field, const char* key, const char* value) {
  char data[128];
  struct buffer entry = make_buffer(data, sizeof(data));
  put_field(&entry, 1, key, strlen(key));
  put_field(&entry, 2, value, strlen(value));
  b->overflow |= entry.overflow;
  put_field(b, field, entry.data, entry.size);
}

static int get_varint(const unsigned char** p, const unsigned char* end, uint64_t* v) {
  unsigned shift = 0;
  *v = 0;
  while (*p < end && shift < 64) {
    unsigned char c = *(*p)++;
    *v |= (uint64_t)(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return 1;
    shift += 7;
  }
  return 0;
}

/* Reads current_request_number (4), total_request_number (5) and counts trials (2) of a
   GetSuggestionsRequest. */
static int parse_request(const char* data, size_t size, int64_t* current, int64_t* total,
                         int64_t* trials) {
  const unsigned char* p = (const unsigned char*)data;
  const unsigned char* end = p + size;
  *current = *total = *trials = 0;
  while (p < end) {
    uint64_t key, v;
    if (!get_varint(&p, end, &key)) return 0;
    switch (key & 7) {
      case 0:
        if (!get_varint(&p, end, &v)) return 0;
        if ((key >> 3) == 4) *current = (int32_t)v;
        if ((key >> 3) == 5) *total = (int32_t)v;
        break;
      case 1:
        if (end - p < 8) return 0;
        p += 8;
        break;
      case 2:
        if (!get_varint(&p, end, &v) || v > (uint64_t)(end - p)) return 0;
        if ((key >> 3) == 2) ++*trials;
        p += v;
        break;
      case 5:
        if (end - p < 4) return 0;
        p += 4;
        break;
      default:
        return 0;
    }
  }
  return 1;
}

static ktune_status_code fail(ktune_bytes_sink error, void* context, ktune_status_code code,
                              const char* message) {
  error(context, message, strlen(message));
  return code;
}

static ktune_status_code validate(const char* request, size_t size, ktune_bytes_sink error,
                                  void* context) {
  (void)request;
  (void)size;
  (void)error;
  (void)context;
  return KTUNE_STATUS_OK;
}

static ktune_status_code create(const char* experiment, size_t size,
                                ktune_algorithm_instance** instance, ktune_bytes_sink error,
                                void* context) {
  (void)experiment;
  (void)size;
  *instance = (ktune_algorithm_instance*)calloc(1, sizeof(ktune_algorithm_instance));
  if (*instance == NULL) return fail(error, context, KTUNE_STATUS_RESOURCE_EXHAUSTED, "no memory");
  return KTUNE_STATUS_OK;
}

static void destroy(ktune_algorithm_instance* instance) { free(instance); }

static ktune_status_code get_suggestions(ktune_algorithm_instance* instance, const char* request,
                                         size_t size, ktune_bytes_sink reply,
                                         ktune_bytes_sink error, void* context) {
  char* memory;
  struct buffer out;
  int64_t current, total, trials, i;
  char text[32];
  ktune_status_code code = KTUNE_STATUS_OK;
  if (!parse_request(request, size, &current, &total, &trials)) {
    return fail(error, context, KTUNE_STATUS_INVALID_ARGUMENT, "cannot parse the request");
  }
  if (current > MAX_ASSIGNMENTS) {
    return fail(error, context, KTUNE_STATUS_INVALID_ARGUMENT, "at most 64 assignments a call");
  }
  memory = (char*)malloc(512 * MAX_ASSIGNMENTS);
  if (memory == NULL) return fail(error, context, KTUNE_STATUS_RESOURCE_EXHAUSTED, "no memory");
  out = make_buffer(memory, 512 * MAX_ASSIGNMENTS);
  ++instance->calls;
  instance->known += trials;
  for (i = 0; i < current; ++i) {
    char assignment_data[64], pa_data[448];
    struct buffer assignment = make_buffer(assignment_data, sizeof(assignment_data));
    struct buffer pa = make_buffer(pa_data, sizeof(pa_data));
    put_field(&assignment, 1, "x", 1);
    snprintf(text, sizeof(text), "%lld", (long long)(total - current + i));
    put_field(&assignment, 2, text, strlen(text));
    pa.overflow |= assignment.overflow;
    put_field(&pa, 1, assignment.data, assignment.size);
    put_label(&pa, 3, "abi", "1.0");
    snprintf(text, sizeof(text), "%lld", (long long)trials);
    put_label(&pa, 3, "received", text);
    snprintf(text, sizeof(text), "%lld", (long long)instance->known);
    put_label(&pa, 3, "known", text);
    snprintf(text, sizeof(text), "%lld", (long long)instance->calls);
    put_label(&pa, 3, "call", text);
    out.overflow |= pa.overflow;
    put_field(&out, 1, pa.data, pa.size);
  }
  if (out.overflow) {
    code = fail(error, context, KTUNE_STATUS_INTERNAL, "reply too large");
  } else {
    reply(context, out.data, out.size);
  }
  free(memory);
  return code;
}

static const struct ktune_algorithm_v1 table = {sizeof(struct ktune_algorithm_v1),
                                                KTUNE_ALGORITHM_ABI_VERSION,
                                                "test-abi10",
                                                0,
                                                validate,
                                                create,
                                                destroy,
                                                get_suggestions};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}

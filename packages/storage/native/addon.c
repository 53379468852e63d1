/*
 * The append path's native helpers, as a Node-API addon: CRC-32C (Castagnoli, in crc32c.c), a positional write
 * and the whole validation of a produced record set.
 *
 * pwrite(fd, bytes, position) is one pwrite(2) of the whole buffer, returning the bytes written or -errno. It is
 * the same system call fs.writeSync makes, without the argument checks and error objects Node builds around it,
 * which cost a tenth of a 16 KiB append (about 0.5 us of 6).
 *
 * crc32c follows fast-crc32c's convention: crc32c(bytes, previous = 0) continues a CRC over more bytes.
 * crc32c(bytes, previous, start, end) covers bytes[start, end) only, so a caller need not make a view first.
 * The JavaScript side prefers fast-crc32c when the addon is not built at all.
 */
#include <node_api.h>
#include "crc32c.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/*
 * The data and length of `value` when it is a typed array of `wanted` type. napi_get_typedarray_info itself
 * answers napi_invalid_arg for anything else, so no napi_is_typedarray first: these run once per append and
 * each N-API call costs tens of nanoseconds.
 */
static bool typed_array_of(napi_env env, napi_value value, napi_typedarray_type wanted, void **data, size_t *length) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == wanted;
}

static napi_value calculate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  size_t length;
  void *data;
  if (argc < 1 || !typed_array_of(env, argv[0], napi_uint8_array, &data, &length)) {
    napi_throw_type_error(env, NULL, "crc32c expects a Buffer or Uint8Array");
    return NULL;
  }
  uint32_t previous = 0;
  napi_valuetype kind;
  if (argc >= 2 && napi_typeof(env, argv[1], &kind) == napi_ok && kind == napi_number) {
    napi_get_value_uint32(env, argv[1], &previous);
  }
  size_t start = 0;
  size_t end = length;
  if (argc >= 4) {
    int64_t s, e;
    if (napi_get_value_int64(env, argv[2], &s) != napi_ok || napi_get_value_int64(env, argv[3], &e) != napi_ok || s < 0 ||
        e < s || (uint64_t)e > length) {
      napi_throw_range_error(env, NULL, "crc32c: start and end must satisfy 0 <= start <= end <= length");
      return NULL;
    }
    start = (size_t)s;
    end = (size_t)e;
  }
  napi_value result;
  napi_create_uint32(env, crc32c(previous, (const uint8_t *)data + start, end - start), &result);
  return result;
}


static napi_value write_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  int64_t position;
  void *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || !typed_array_of(env, argv[1], napi_uint8_array, &data, &length) ||
      napi_get_value_int64(env, argv[2], &position) != napi_ok || position < 0) {
    napi_throw_type_error(env, NULL, "pwrite expects (fd, Buffer, position >= 0)");
    return NULL;
  }
  ssize_t written;
  do {
    written = pwrite(fd, data, length, (off_t)position);
  } while (written < 0 && errno == EINTR);
  napi_value result;
  napi_create_int64(env, written < 0 ? -(int64_t)errno : (int64_t)written, &result);
  return result;
}


/*
 * validateBatches(records): the whole per-batch check of a produced record set in one call, the
 * same checks in the same order as validateInJs in src/log/append-validation.ts (which stays the reference and
 * the fallback). One call per record set replaces a dozen Buffer reads (each a bounds-checked JavaScript call),
 * a CRC call and bigint arithmetic per batch; the caller turns the doubles it gets back into BatchInfo objects.
 *
 * params (the first array validationArrays gives): see ValidationParam in append-validation.ts. out (the second):
 * on success the totals
 * (ValidationOut) followed by each batch's facts (BatchFact) for as many batches as it has room for, on failure
 * the numbers the error message needs. Returns the number of batches (> 0), or a
 * negative ValidationFailure code. Doubles carry offsets and timestamps: the caller only comes here when the
 * next offset is below 2^53, and every offset past 2^53 is reported as OFFSETS_BEYOND_DOUBLE so the caller
 * runs the JavaScript path instead, which uses bigint.
 */
enum { P_NEXT_OFFSET, P_FLAGS, P_NOW_MS, P_LEADER_EPOCH, P_MAX_MESSAGE_BYTES, P_BEFORE_MAX_MS, P_AFTER_MAX_MS, P_COUNT };
enum { F_ASSIGN_OFFSETS = 1, F_REPLICATION = 2, F_FROM_CLIENT = 4, F_STAMP_LOG_APPEND_TIME = 8, F_SET_LEADER_EPOCH = 16 };
/* O_BATCH_OF_MAX_TIMESTAMP: the index of the batch holding the max timestamp, -1 when no batch has a timestamp. */
enum { O_FIRST_OFFSET, O_LAST_OFFSET, O_MAX_TIMESTAMP, O_OFFSET_OF_MAX_TIMESTAMP, O_RECORD_COUNT, O_BATCH_OF_MAX_TIMESTAMP, O_COUNT };
/* After the totals, each batch's facts (as many batches as `out` has room for): */
enum { B_POSITION, B_SIZE, B_BASE_OFFSET, B_LAST_OFFSET, B_MAX_TIMESTAMP, B_FIRST_TIMESTAMP, B_STRIDE };
enum {
  V_SHORT_HEADER = -1,
  V_BAD_MAGIC = -2,
  V_BAD_SIZE = -3,
  V_TOO_LARGE = -4,
  V_BAD_CRC = -5,
  V_NEGATIVE_DELTA = -6,
  V_COUNT_MISMATCH = -7,
  V_CONTROL_FROM_CLIENT = -8,
  V_OFFSET_BELOW_NEXT = -9,
  V_TIMESTAMP_TOO_OLD = -10,
  V_TIMESTAMP_TOO_NEW = -11,
  V_OVERLAP = -12,
  V_EMPTY = -13,
  V_OFFSETS_BEYOND_DOUBLE = -14,
  V_BAD_ARGUMENTS = -15,
};

#define HEADER_SIZE 61
#define LOG_OVERHEAD_SIZE 12
#define AT_BATCH_LENGTH 8
#define AT_LEADER_EPOCH 12
#define AT_MAGIC 16
#define AT_CRC 17
#define AT_ATTRIBUTES 21
#define AT_LAST_OFFSET_DELTA 23
#define AT_BASE_TIMESTAMP 27
#define AT_MAX_TIMESTAMP 35
#define AT_RECORDS_COUNT 57
#define TIMESTAMP_TYPE_BIT 0x08
#define CONTROL_BIT 0x20
#define DOUBLE_EXACT_LIMIT 9007199254740991LL /* 2^53 - 1, Number.MAX_SAFE_INTEGER */

static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline int64_t be64(const uint8_t *p) { return (int64_t)(((uint64_t)be32(p) << 32) | be32(p + 4)); }
static inline void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline void put64(uint8_t *p, int64_t v) {
  put32(p, (uint32_t)((uint64_t)v >> 32));
  put32(p + 4, (uint32_t)v);
}

/* Fills out[0..2] with the numbers an error message needs and returns the failure code. */
static int fail(double *out, int code, double a, double b, double c) {
  out[0] = a;
  out[1] = b;
  out[2] = c;
  return code;
}

static int validate_batches(uint8_t *records, size_t length, const double *params, double *out, size_t out_length) {
  size_t room = (out_length - O_COUNT) / B_STRIDE;
  const int flags = (int)params[P_FLAGS];
  const int replication = flags & F_REPLICATION;
  const double now_ms = params[P_NOW_MS];
  const double max_message_bytes = params[P_MAX_MESSAGE_BYTES];
  /* The bounds as the JavaScript computes them, in doubles, so both paths accept exactly the same timestamps. */
  const double oldest_allowed = now_ms - params[P_BEFORE_MAX_MS];
  const double newest_allowed = now_ms + params[P_AFTER_MAX_MS];
  int64_t next = (int64_t)params[P_NEXT_OFFSET];
  int64_t previous_last = -1;
  int have_previous = 0;
  double max_timestamp = -1, offset_of_max_timestamp = (double)next, record_count = 0, batch_of_max_timestamp = -1;
  int64_t first_offset = 0;
  int batches = 0;
  size_t at = 0;
  while (at < length) {
    uint8_t *batch = records + at;
    size_t remaining = length - at;
    if (remaining < HEADER_SIZE) return fail(out, V_SHORT_HEADER, (double)remaining, 0, 0);
    int8_t magic = (int8_t)batch[AT_MAGIC];
    if (magic != 2) return fail(out, V_BAD_MAGIC, (double)at, magic, 0);
    int64_t size = (int64_t)(int32_t)be32(batch + AT_BATCH_LENGTH) + LOG_OVERHEAD_SIZE;
    if (size < HEADER_SIZE || (uint64_t)size > remaining) return fail(out, V_BAD_SIZE, (double)at, (double)size, (double)remaining);
    if ((double)size > max_message_bytes) return fail(out, V_TOO_LARGE, (double)size, 0, 0);
    if (be32(batch + AT_CRC) != crc32c(0, batch + AT_ATTRIBUTES, (size_t)size - AT_ATTRIBUTES)) {
      return fail(out, V_BAD_CRC, (double)at, 0, 0);
    }
    int32_t last_offset_delta = (int32_t)be32(batch + AT_LAST_OFFSET_DELTA);
    int32_t records_count = (int32_t)be32(batch + AT_RECORDS_COUNT);
    int attributes = (int16_t)((batch[AT_ATTRIBUTES] << 8) | batch[AT_ATTRIBUTES + 1]);
    if (last_offset_delta < 0) return fail(out, V_NEGATIVE_DELTA, (double)at, 0, 0);
    if (!replication) {
      if ((int64_t)records_count != (int64_t)last_offset_delta + 1) {
        return fail(out, V_COUNT_MISMATCH, (double)at, records_count, (double)last_offset_delta + 1);
      }
      if ((attributes & CONTROL_BIT) && (flags & F_FROM_CLIENT)) return fail(out, V_CONTROL_FROM_CLIENT, (double)at, 0, 0);
    }

    if (flags & F_ASSIGN_OFFSETS) {
      put64(batch, next);
    } else {
      int64_t base = be64(batch);
      if (base > DOUBLE_EXACT_LIMIT || base < -DOUBLE_EXACT_LIMIT) return fail(out, V_OFFSETS_BEYOND_DOUBLE, 0, 0, 0);
      if (base < next) return fail(out, V_OFFSET_BELOW_NEXT, (double)base, (double)next, 0);
      next = base;
    }
    if ((flags & F_SET_LEADER_EPOCH) && !replication) put32(batch + AT_LEADER_EPOCH, (uint32_t)(int32_t)params[P_LEADER_EPOCH]);

    double first_timestamp = (double)be64(batch + AT_BASE_TIMESTAMP);
    double batch_max_timestamp = (double)be64(batch + AT_MAX_TIMESTAMP);
    if (!replication) {
      if (flags & F_STAMP_LOG_APPEND_TIME) {
        int stamped = (attributes | TIMESTAMP_TYPE_BIT) & 0xffff;
        batch[AT_ATTRIBUTES] = (uint8_t)(stamped >> 8);
        batch[AT_ATTRIBUTES + 1] = (uint8_t)stamped;
        put64(batch + AT_MAX_TIMESTAMP, (int64_t)now_ms);
        put32(batch + AT_CRC, crc32c(0, batch + AT_ATTRIBUTES, (size_t)size - AT_ATTRIBUTES));
        batch_max_timestamp = now_ms;
      } else {
        if (first_timestamp != -1) {
          if (first_timestamp < oldest_allowed) return fail(out, V_TIMESTAMP_TOO_OLD, first_timestamp, 0, 0);
          if (first_timestamp > newest_allowed) return fail(out, V_TIMESTAMP_TOO_NEW, first_timestamp, 0, 0);
        }
        if (batch_max_timestamp != -1) {
          if (batch_max_timestamp < oldest_allowed) return fail(out, V_TIMESTAMP_TOO_OLD, batch_max_timestamp, 0, 0);
          if (batch_max_timestamp > newest_allowed) return fail(out, V_TIMESTAMP_TOO_NEW, batch_max_timestamp, 0, 0);
        }
      }
    }

    int64_t base_offset = next;
    int64_t last_offset = base_offset + last_offset_delta;
    if (last_offset > DOUBLE_EXACT_LIMIT) return fail(out, V_OFFSETS_BEYOND_DOUBLE, 0, 0, 0);
    if (have_previous && base_offset <= previous_last) return fail(out, V_OVERLAP, (double)base_offset, (double)previous_last, 0);
    if (batch_max_timestamp > max_timestamp) {
      max_timestamp = batch_max_timestamp;
      offset_of_max_timestamp = (double)last_offset;
      batch_of_max_timestamp = batches;
    }
    if (batches == 0) first_offset = base_offset;
    if ((size_t)batches < room) {
      double *facts = out + O_COUNT + (size_t)batches * B_STRIDE;
      facts[B_POSITION] = (double)at;
      facts[B_SIZE] = (double)size;
      facts[B_BASE_OFFSET] = (double)base_offset;
      facts[B_LAST_OFFSET] = (double)last_offset;
      facts[B_MAX_TIMESTAMP] = batch_max_timestamp;
      facts[B_FIRST_TIMESTAMP] = first_timestamp;
    }
    batches++;
    record_count += (double)last_offset_delta + 1;
    previous_last = last_offset;
    have_previous = 1;
    next = last_offset + 1;
    at += (size_t)size;
  }
  if (batches == 0) return fail(out, V_EMPTY, 0, 0, 0);
  out[O_FIRST_OFFSET] = (double)first_offset;
  out[O_LAST_OFFSET] = (double)previous_last;
  out[O_MAX_TIMESTAMP] = max_timestamp;
  out[O_OFFSET_OF_MAX_TIMESTAMP] = offset_of_max_timestamp;
  out[O_BATCH_OF_MAX_TIMESTAMP] = batch_of_max_timestamp;
  out[O_RECORD_COUNT] = record_count;
  return batches;
}

/*
 * The parameter and result arrays of validateBatches, allocated here (validationArrays) so that each call passes
 * only the record set: two typed-array lookups fewer per append. One set per Node environment (each worker has
 * its own), reached through the functions' data pointer. The ArrayBuffers are held by references, so their
 * memory stays put; the JavaScript side keeps the views it was given.
 */
typedef struct {
  double *params;
  double *out;
  size_t out_length;
  napi_ref params_buffer;
  napi_ref out_buffer;
} validation_arrays;

static void free_validation_arrays(void *arg) { free(arg); }

/* validationArrays(batches): [params, out] Float64Arrays, `out` with room for `batches` batches' facts. */
static napi_value arrays(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  validation_arrays *state;
  uint32_t batches;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&state) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &batches) != napi_ok || batches > (1u << 24)) {
    napi_throw_type_error(env, NULL, "validationArrays expects a number of batches");
    return NULL;
  }
  napi_value params_buffer, out_buffer, params, out, pair;
  void *data;
  if (state->params_buffer == NULL) {
    if (napi_create_arraybuffer(env, P_COUNT * sizeof(double), &data, &params_buffer) != napi_ok ||
        napi_create_reference(env, params_buffer, 1, &state->params_buffer) != napi_ok) {
      return NULL;
    }
    state->params = data;
  } else if (napi_get_reference_value(env, state->params_buffer, &params_buffer) != napi_ok) {
    return NULL;
  }
  size_t out_length = O_COUNT + (size_t)batches * B_STRIDE;
  napi_ref out_ref;
  if (napi_create_arraybuffer(env, out_length * sizeof(double), &data, &out_buffer) != napi_ok ||
      napi_create_reference(env, out_buffer, 1, &out_ref) != napi_ok) {
    return NULL;
  }
  if (state->out_buffer != NULL) napi_delete_reference(env, state->out_buffer);
  state->out_buffer = out_ref;
  state->out = data;
  state->out_length = out_length;
  if (napi_create_typedarray(env, napi_float64_array, P_COUNT, params_buffer, 0, &params) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, out_length, out_buffer, 0, &out) != napi_ok ||
      napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_set_element(env, pair, 0, params) != napi_ok ||
      napi_set_element(env, pair, 1, out) != napi_ok) {
    return NULL;
  }
  return pair;
}

/* validateBatches(records): the number of batches, or a negative failure; reads and fills validationArrays'. */
static napi_value validate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  validation_arrays *state;
  void *records;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&state) != napi_ok || argc < 1 ||
      !typed_array_of(env, argv[0], napi_uint8_array, &records, &length)) {
    napi_throw_type_error(env, NULL, "validateBatches expects a Buffer");
    return NULL;
  }
  if (state->out == NULL) {
    napi_throw_error(env, NULL, "validateBatches: call validationArrays first");
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, validate_batches(records, length, state->params, state->out, state->out_length), &result);
  return result;
}

/*
 * threadCpuTimeNs(): CPU time of the calling thread, in nanoseconds (CLOCK_THREAD_CPUTIME_ID). Not used by
 * storage; the benchmark uses it to tell a call that was descheduled (its wall time far above its CPU time) on a
 * machine shared with other work, which Node 20 cannot (process.threadCpuUsage arrived in Node 23).
 */
static napi_value thread_cpu_time(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec now;
  napi_value result;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) {
    napi_throw_error(env, NULL, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    return NULL;
  }
  napi_create_double(env, (double)now.tv_sec * 1e9 + (double)now.tv_nsec, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  crc32c_init();
  napi_value fn, write, hardware;
  napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, calculate, NULL, &fn);
  napi_set_named_property(env, exports, "crc32c", fn);
  napi_create_function(env, "pwrite", NAPI_AUTO_LENGTH, write_at, NULL, &write);
  napi_set_named_property(env, exports, "pwrite", write);
  napi_value cpu_fn;
  napi_create_function(env, "threadCpuTimeNs", NAPI_AUTO_LENGTH, thread_cpu_time, NULL, &cpu_fn);
  napi_set_named_property(env, exports, "threadCpuTimeNs", cpu_fn);
  validation_arrays *state = calloc(1, sizeof(validation_arrays));
  if (state == NULL || napi_add_env_cleanup_hook(env, free_validation_arrays, state) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, "storage addon: out of memory");
    return NULL;
  }
  napi_value validate_fn, arrays_fn;
  napi_create_function(env, "validateBatches", NAPI_AUTO_LENGTH, validate, state, &validate_fn);
  napi_set_named_property(env, exports, "validateBatches", validate_fn);
  napi_create_function(env, "validationArrays", NAPI_AUTO_LENGTH, arrays, state, &arrays_fn);
  napi_set_named_property(env, exports, "validationArrays", arrays_fn);
  napi_value folding;
  napi_get_boolean(env, crc32c_folding() != 0, &folding);
  napi_set_named_property(env, exports, "folding", folding);
  napi_get_boolean(env, crc32c_hardware() != 0, &hardware);
  napi_set_named_property(env, exports, "hardware", hardware);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

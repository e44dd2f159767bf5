/*
 * base: what every layer of Tessera shares.
 *
 *   - ts_status and one error message per thread: a failing call returns a
 *     status and leaves a message naming the file, line, node or field at
 *     fault; callers add context with ts_error_prefix() and pass it up.
 *   - one allocation hook (ts_malloc & co.), so tests can fail the Nth
 *     allocation and prove every failure path cleans up.
 *   - element types (ts_dtype) and a dense tensor (ts_tensor), row-major.
 *   - .npy read/write, a tiny JSON writer, a parallel-for over a thread pool.
 *
 * Usage:
 *   ts_tensor *t = ts_tensor_new(TS_F32, 2, (int64_t[]){3, 4});
 *   if (!t) { fprintf(stderr, "%s\n", ts_last_error()); ... }
 *   ts_tensor_free(t);
 *
 * Prefix: ts_. This layer calls nothing else in Tessera.
 */
#ifndef TESSERA_BASE_H
#define TESSERA_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

/* ---- status and errors -------------------------------------------------- */

typedef enum ts_status {
    TS_OK = 0,
    TS_ERR_IO,          /* a file could not be opened, read or written */
    TS_ERR_PARSE,       /* malformed text or binary input */
    TS_ERR_INVALID,     /* well-formed but wrong: a bad shape, value, argument */
    TS_ERR_UNSUPPORTED, /* valid but not implemented (an op, a dtype) */
    TS_ERR_NOMEM,       /* an allocation failed */
    TS_ERR_RANGE,       /* an address, index or size out of range */
    TS_ERR_DEADLOCK,    /* the simulator found engines waiting on each other */
    TS_ERR_INTERNAL,    /* a bug in Tessera */
    TS_STATUS_COUNT
} ts_status;

const char *ts_status_str(ts_status st);

/* Sets this thread's error message (printf-style) and returns st, so that
 * `return ts_error(TS_ERR_PARSE, "%s:%d: ...", file, line);` reads well. */
ts_status ts_error(ts_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prepends context to the current message: "model.onnx: " + "node 'x': ...". */
void ts_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ts_last_error(void);
void ts_clear_error(void);

/* ---- allocation hook ---------------------------------------------------- */

/* All of Tessera allocates through these. Failure sets TS_ERR_NOMEM's message
 * and returns NULL. ts_alloc_fail_after(n) makes the (n+1)-th allocation from
 * now fail (tests only); -1 disables it. */
void *ts_malloc(size_t n);
void *ts_calloc(size_t count, size_t size);
void *ts_realloc(void *p, size_t n);
void  ts_free(void *p);
char *ts_strdup(const char *s);
void *ts_aligned_alloc(size_t align, size_t n); /* free with ts_aligned_free */
void  ts_aligned_free(void *p);
void  ts_alloc_fail_after(long n);

/* ---- element types ------------------------------------------------------ */

/* Values follow ONNX's TensorProto.DataType so the frontend maps 1:1. */
typedef enum ts_dtype {
    TS_UNDEFINED = 0,
    TS_F32 = 1, TS_U8 = 2, TS_I8 = 3, TS_U16 = 4, TS_I16 = 5, TS_I32 = 6,
    TS_I64 = 7, TS_STRING = 8, TS_BOOL = 9, TS_F16 = 10, TS_F64 = 11,
    TS_U32 = 12, TS_U64 = 13, TS_BF16 = 16,
    TS_DTYPE_MAX = 17
} ts_dtype;

size_t      ts_dtype_size(ts_dtype t);        /* 0 for undefined/string */
const char *ts_dtype_name(ts_dtype t);        /* "float32", "int8", ... */
ts_dtype    ts_dtype_from_name(const char *s); /* TS_UNDEFINED if unknown */
bool        ts_dtype_is_float(ts_dtype t);
bool        ts_dtype_is_int(ts_dtype t);       /* signed or unsigned integer */

/* Scalar conversions (round to nearest even for narrowing floats). */
float    ts_bf16_to_f32(uint16_t h);
uint16_t ts_f32_to_bf16(float f);
float    ts_f16_to_f32(uint16_t h);
uint16_t ts_f32_to_f16(float f);

/* ---- tensors ------------------------------------------------------------ */

#define TS_MAX_RANK 8

typedef struct ts_tensor {
    ts_dtype dtype;
    int      rank;                 /* 0 = scalar */
    int64_t  dims[TS_MAX_RANK];
    void    *data;                 /* row-major, 64-byte aligned when owned */
    bool     owns_data;
} ts_tensor;

/* New tensor with zeroed data; rank <= TS_MAX_RANK, every dim >= 0. */
ts_tensor *ts_tensor_new(ts_dtype dtype, int rank, const int64_t *dims);
/* A view over caller-owned data (not freed by ts_tensor_free). */
ts_tensor *ts_tensor_wrap(ts_dtype dtype, int rank, const int64_t *dims, void *data);
ts_tensor *ts_tensor_clone(const ts_tensor *t);
void       ts_tensor_free(ts_tensor *t);
int64_t    ts_tensor_numel(const ts_tensor *t);
size_t     ts_tensor_nbytes(const ts_tensor *t);
/* Element count of a shape; -1 if a dim is negative or the count overflows. */
int64_t    ts_shape_numel(int rank, const int64_t *dims);
/* "[1,3,224,224]" into buf. */
const char *ts_shape_str(int rank, const int64_t *dims, char *buf, size_t n);
/* Element i as double / set from double (any numeric dtype). */
double     ts_tensor_get(const ts_tensor *t, int64_t i);
void       ts_tensor_set(ts_tensor *t, int64_t i, double v);

/* ---- .npy files --------------------------------------------------------- */

/* Reads NumPy .npy (v1/v2/v3, little-endian, C order). Errors name the file. */
ts_status ts_npy_read(const char *path, ts_tensor **out);
/* Writes atomically (temp file + rename): no partial file on failure. */
ts_status ts_npy_write(const char *path, const ts_tensor *t);

/* ---- JSON writer -------------------------------------------------------- */

/* Streams JSON with commas and escaping handled:
 *   ts_json j; ts_json_init(&j, stdout);
 *   ts_json_begin_obj(&j); ts_json_key(&j, "cycles"); ts_json_int(&j, 42);
 *   ts_json_end_obj(&j); */
typedef struct ts_json {
    FILE *f;
    int   depth;
    bool  need_comma[64];
    bool  after_key;
    bool  pretty;
} ts_json;

void ts_json_init(ts_json *j, FILE *f, bool pretty);
void ts_json_begin_obj(ts_json *j);
void ts_json_end_obj(ts_json *j);
void ts_json_begin_arr(ts_json *j);
void ts_json_end_arr(ts_json *j);
void ts_json_key(ts_json *j, const char *k);
void ts_json_str(ts_json *j, const char *s);
void ts_json_int(ts_json *j, int64_t v);
void ts_json_num(ts_json *j, double v);  /* non-finite written as null */
void ts_json_bool(ts_json *j, bool v);
void ts_json_null(ts_json *j);

/* ---- parallel for ------------------------------------------------------- */

/* fn(arg, begin, end) is called on disjoint ranges covering [0, n). With
 * threads <= 1 (or n small) it runs inline on the caller's thread. */
typedef void (*ts_range_fn)(void *arg, int64_t begin, int64_t end);
typedef struct ts_pool ts_pool;

/* More threads than this is a typo, not a machine: refused, not attempted. */
#define TS_MAX_THREADS 1024
ts_pool *ts_pool_new(int threads);   /* threads <= 0: all online cores; > TS_MAX_THREADS: NULL */
void     ts_pool_free(ts_pool *p);
int      ts_pool_threads(const ts_pool *p);
/* grain: minimum items per chunk, so tiny loops stay on one thread. Blocks
 * until every chunk is done; the caller's thread runs chunks too. One call at
 * a time per pool (not from two threads at once, not from inside fn). */
void     ts_parallel_for(ts_pool *p, int64_t n, int64_t grain,
                         ts_range_fn fn, void *arg);
int      ts_cpu_count(void);

/* ---- misc --------------------------------------------------------------- */

double ts_now_sec(void);                       /* monotonic clock */
/* Reads a whole file; *len set; errors name the path. Free with ts_free. */
ts_status ts_read_file(const char *path, uint8_t **data, size_t *len);
/* fopen(path, "rb") for a regular file only: a FIFO or a device is refused
 * without blocking (opening a FIFO would wait for a writer forever). NULL
 * with the error set, naming path. */
FILE *ts_open_regular(const char *path);
/* Writes path atomically: write(f, ctx) fills a temporary file beside it,
 * which is renamed over path only if everything succeeded; on any failure
 * nothing is left behind. Errors name path. */
typedef ts_status (*ts_write_fn)(FILE *f, void *ctx);
ts_status ts_write_atomic(const char *path, ts_write_fn write, void *ctx, bool binary);

#define TS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TS_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif

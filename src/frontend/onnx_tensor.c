/* onnx_tensor.c: TensorProto -> ts_tensor. ONNX stores tensor data in one of
 * several places: raw_data (little-endian bytes), a typed repeated field
 * (float_data, int32_data, int64_data, double_data, uint64_data; int32_data
 * also carries the bit patterns of 8/16-bit types, bool, float16 and
 * bfloat16), or an external file. Exactly the bytes the shape needs must be
 * present; anything else is an error naming the tensor. */
#include "frontend/onnx_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ts_status onnx_dtype(int32_t t, const char *what, ts_dtype *out) {
    switch (t) {
    case TS_F32: case TS_U8: case TS_I8: case TS_U16: case TS_I16: case TS_I32:
    case TS_I64: case TS_BOOL: case TS_F16: case TS_F64: case TS_U32: case TS_U64: case TS_BF16:
        *out = (ts_dtype)t;
        return TS_OK;
    case TS_STRING:
        return ts_error(TS_ERR_UNSUPPORTED, "%s: string tensors are not supported", what);
    case 14: case 15:
        return ts_error(TS_ERR_UNSUPPORTED, "%s: complex tensors are not supported", what);
    case 0:
        return ts_error(TS_ERR_INVALID, "%s: element type is undefined", what);
    default:
        return ts_error(TS_ERR_UNSUPPORTED, "%s: element type %d is not supported", what, (int)t);
    }
}

/* ---- typed fields --------------------------------------------------------- */

typedef enum { F_NONE, F_FLOAT, F_INT32, F_INT64, F_DOUBLE, F_UINT64 } onnx_field;

static onnx_field onnx_field_for(ts_dtype dt) {
    switch (dt) {
    case TS_F32: return F_FLOAT;
    case TS_I64: return F_INT64;
    case TS_F64: return F_DOUBLE;
    case TS_U32: case TS_U64: return F_UINT64;
    default: return F_INT32;
    }
}

static size_t onnx_field_count(const Onnx__TensorProto *tp, onnx_field f) {
    switch (f) {
    case F_FLOAT: return tp->n_float_data;
    case F_INT32: return tp->n_int32_data;
    case F_INT64: return tp->n_int64_data;
    case F_DOUBLE: return tp->n_double_data;
    case F_UINT64: return tp->n_uint64_data;
    default: return 0;
    }
}

static const char *const onnx_field_names[] = {"none", "float_data", "int32_data", "int64_data",
                                               "double_data", "uint64_data"};

/* An int32_data element stored into a narrower type must fit it. */
static bool onnx_int32_fits(ts_dtype dt, int32_t v) {
    switch (dt) {
    case TS_I8: return v >= INT8_MIN && v <= INT8_MAX;
    case TS_U8: return v >= 0 && v <= UINT8_MAX;
    case TS_I16: return v >= INT16_MIN && v <= INT16_MAX;
    case TS_U16: case TS_F16: case TS_BF16: return v >= 0 && v <= UINT16_MAX;
    case TS_BOOL: return v == 0 || v == 1;
    default: return true;
    }
}

static ts_status onnx_copy_int32(const Onnx__TensorProto *tp, const char *what, ts_tensor *t) {
    int64_t n = ts_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = tp->int32_data[i];
        if (!onnx_int32_fits(t->dtype, v))
            return ts_error(TS_ERR_INVALID, "%s: int32_data[%lld] = %d does not fit %s", what,
                            (long long)i, (int)v, ts_dtype_name(t->dtype));
        switch (ts_dtype_size(t->dtype)) {
        case 1: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
        case 2: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
        default: ((int32_t *)t->data)[i] = v; break;
        }
    }
    return TS_OK;
}

static ts_status onnx_copy_typed(const Onnx__TensorProto *tp, const char *what, ts_tensor *t) {
    int64_t n = ts_tensor_numel(t);
    onnx_field f = onnx_field_for(t->dtype);
    size_t have = onnx_field_count(tp, f);
    if (have != (size_t)n)
        return ts_error(TS_ERR_INVALID, "%s: %s has %zu values, shape needs %lld", what,
                        onnx_field_names[f], have, (long long)n);
    switch (f) {
    case F_FLOAT: memcpy(t->data, tp->float_data, (size_t)n * 4); break;
    case F_INT64: memcpy(t->data, tp->int64_data, (size_t)n * 8); break;
    case F_DOUBLE: memcpy(t->data, tp->double_data, (size_t)n * 8); break;
    case F_INT32: return onnx_copy_int32(tp, what, t);
    case F_UINT64:
        for (int64_t i = 0; i < n; i++) {
            if (t->dtype == TS_U32 && tp->uint64_data[i] > UINT32_MAX)
                return ts_error(TS_ERR_INVALID, "%s: uint64_data[%lld] does not fit uint32", what, (long long)i);
            if (t->dtype == TS_U32) ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
            else ((uint64_t *)t->data)[i] = tp->uint64_data[i];
        }
        break;
    default: break;
    }
    return TS_OK;
}

/* Which storage a tensor uses; more than one (or the wrong typed field)
 * is an error. */
static ts_status onnx_pick_storage(const Onnx__TensorProto *tp, const char *what, ts_dtype dt,
                                   onnx_field *typed, bool *raw, bool *external) {
    *external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    *raw = tp->has_raw_data;
    *typed = F_NONE;
    for (onnx_field f = F_FLOAT; f <= F_UINT64; f++) {
        if (!onnx_field_count(tp, f)) continue;
        if (f != onnx_field_for(dt))
            return ts_error(TS_ERR_INVALID, "%s: a %s tensor cannot store its data in %s (expected %s)",
                            what, ts_dtype_name(dt), onnx_field_names[f], onnx_field_names[onnx_field_for(dt)]);
        *typed = f;
    }
    if ((*external + *raw + (*typed != F_NONE)) > 1)
        return ts_error(TS_ERR_INVALID, "%s: data is stored in more than one place "
                        "(raw_data, typed fields, external)", what);
    return TS_OK;
}

/* ---- raw and external bytes ----------------------------------------------- */

/* ONNX raw data is little-endian; on a big-endian host swap each element. */
static void onnx_from_le(ts_tensor *t) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    size_t es = ts_dtype_size(t->dtype), n = (size_t)ts_tensor_numel(t);
    uint8_t *p = t->data;
    for (size_t i = 0; i < n; i++, p += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) { uint8_t x = p[a]; p[a] = p[b]; p[b] = x; }
#else
    (void)t;
#endif
}

static ts_status onnx_copy_raw(const uint8_t *bytes, size_t len, const char *where, const char *what,
                               ts_tensor *t) {
    size_t need = ts_tensor_nbytes(t);
    if (len != need)
        return ts_error(TS_ERR_INVALID, "%s: %s has %zu bytes, shape and type need %zu", what, where, len, need);
    if (need) memcpy(t->data, bytes, need);
    onnx_from_le(t);
    return TS_OK;
}

typedef struct onnx_extref { const char *location; int64_t offset, length; } onnx_extref;

static ts_status onnx_parse_int(const char *s, const char *key, const char *what, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s ? s : "", &end, 10);
    if (!s || !*s || *end || errno || v < 0)
        return ts_error(TS_ERR_INVALID, "%s: external_data %s '%s' is not a non-negative integer",
                        what, key, s ? s : "");
    *out = v;
    return TS_OK;
}

static ts_status onnx_ext_fields(const Onnx__TensorProto *tp, const char *what, onnx_extref *r) {
    r->location = NULL;
    r->offset = 0;
    r->length = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const char *k = tp->external_data[i]->key ? tp->external_data[i]->key : "";
        const char *v = tp->external_data[i]->value;
        ts_status st = TS_OK;
        if (!strcmp(k, "location")) r->location = v;
        else if (!strcmp(k, "offset")) st = onnx_parse_int(v, k, what, &r->offset);
        else if (!strcmp(k, "length")) st = onnx_parse_int(v, k, what, &r->length);
        if (st) return st;
    }
    if (!r->location || !*r->location)
        return ts_error(TS_ERR_INVALID, "%s: external data without a location", what);
    return TS_OK;
}

/* The location must be a relative path that stays inside the model's
 * directory, also after resolving symbolic links. */
static ts_status onnx_ext_path(const onnx_src *src, const char *loc, const char *what, char *path, size_t n) {
    if (!src->dir)
        return ts_error(TS_ERR_INVALID, "%s: external data '%s' needs the model's directory", what, loc);
    bool up = !strncmp(loc, "../", 3) || strstr(loc, "/../") || !strcmp(loc, "..") ||
              (strlen(loc) >= 3 && !strcmp(loc + strlen(loc) - 3, "/.."));
    if (loc[0] == '/' || up)
        return ts_error(TS_ERR_INVALID, "%s: external data location '%s' escapes the model directory", what, loc);
    if ((size_t)snprintf(path, n, "%s/%s", src->dir, loc) >= n)
        return ts_error(TS_ERR_INVALID, "%s: external data path too long", what);
    char real_dir[PATH_MAX], real_file[PATH_MAX];
    if (!realpath(src->dir, real_dir) || !realpath(path, real_file))
        return ts_error(TS_ERR_IO, "%s: external data file '%s': %s", what, path, strerror(errno));
    size_t dl = strlen(real_dir);
    if (strncmp(real_file, real_dir, dl) || (real_file[dl] != '/' && dl > 1))
        return ts_error(TS_ERR_INVALID, "%s: external data '%s' resolves outside the model directory", what, loc);
    return TS_OK;
}

/* An opened external data file, checked to hold `need` bytes at offset. */
typedef struct onnx_ext { FILE *f; char path[PATH_MAX]; int64_t offset; } onnx_ext;

static ts_status onnx_ext_open(const onnx_src *src, const Onnx__TensorProto *tp, const char *what,
                               size_t need, onnx_ext *e) {
    onnx_extref r;
    ts_status st = onnx_ext_fields(tp, what, &r);
    if (st == TS_OK) st = onnx_ext_path(src, r.location, what, e->path, sizeof e->path);
    if (st) return st;
    if (r.length >= 0 && (uint64_t)r.length != need)
        return ts_error(TS_ERR_INVALID, "%s: external data length %lld, shape and type need %zu", what,
                        (long long)r.length, need);
    struct stat sb;
    /* a regular file only: opening a FIFO would block forever */
    e->f = ts_open_regular(e->path);
    if (!e->f) {
        ts_error_prefix("%s: external data: ", what);
        return TS_ERR_IO;
    }
    if (fstat(fileno(e->f), &sb) != 0)
        return ts_error(TS_ERR_IO, "%s: cannot open external data '%s': %s", what, e->path, strerror(errno));
    if (r.offset > (int64_t)sb.st_size || (uint64_t)(sb.st_size - r.offset) < need)
        return ts_error(TS_ERR_INVALID, "%s: external data '%s' (%lld bytes) is too short for %zu bytes at "
                        "offset %lld", what, e->path, (long long)sb.st_size, need, (long long)r.offset);
    e->offset = r.offset;
    return TS_OK;
}

static ts_status onnx_ext_read(onnx_ext *e, const char *what, ts_tensor *t) {
    size_t need = ts_tensor_nbytes(t);
    if (fseeko(e->f, (off_t)e->offset, SEEK_SET) != 0 || fread(t->data, 1, need, e->f) != need)
        return ts_error(TS_ERR_IO, "%s: cannot read %zu bytes at offset %lld of '%s'", what, need,
                        (long long)e->offset, e->path);
    onnx_from_le(t);
    return TS_OK;
}

/* Checks the stored data against the shape before allocating it, so a
 * tiny file cannot make us allocate a huge tensor; opens external data. */
static ts_status onnx_precheck(const onnx_src *src, const Onnx__TensorProto *tp, const char *what,
                               ts_dtype dt, bool raw, onnx_field typed, bool external, onnx_ext *e) {
    if (tp->n_dims > TS_MAX_RANK)
        return ts_error(TS_ERR_UNSUPPORTED, "%s: rank %zu exceeds %d", what, tp->n_dims, TS_MAX_RANK);
    int64_t numel = ts_shape_numel((int)tp->n_dims, tp->dims);
    if (numel < 0 || (uint64_t)numel > (uint64_t)(INT64_MAX / 16))
        return ts_error(TS_ERR_INVALID, "%s: dims are negative or their product overflows", what);
    uint64_t need = (uint64_t)numel * ts_dtype_size(dt);
    if (need > SIZE_MAX / 2) return ts_error(TS_ERR_INVALID, "%s: %llu bytes is too large", what,
                                             (unsigned long long)need);
    if (external) return onnx_ext_open(src, tp, what, (size_t)need, e);
    if (numel > 0 && !raw && typed == F_NONE)
        return ts_error(TS_ERR_INVALID, "%s: %lld elements but no data", what, (long long)numel);
    if (raw && tp->raw_data.len != need)
        return ts_error(TS_ERR_INVALID, "%s: raw_data has %zu bytes, shape and type need %llu", what,
                        tp->raw_data.len, (unsigned long long)need);
    if (typed != F_NONE && onnx_field_count(tp, typed) != (size_t)numel)
        return ts_error(TS_ERR_INVALID, "%s: %s has %zu values, shape needs %lld", what,
                        onnx_field_names[typed], onnx_field_count(tp, typed), (long long)numel);
    return TS_OK;
}

static ts_status onnx_fill(const Onnx__TensorProto *tp, const char *what, bool raw, onnx_field typed,
                           onnx_ext *e, ts_tensor *t) {
    if (e->f) return onnx_ext_read(e, what, t);
    if (raw) return onnx_copy_raw(tp->raw_data.data, tp->raw_data.len, "raw_data", what, t);
    if (typed != F_NONE) return onnx_copy_typed(tp, what, t);
    return TS_OK;
}

ts_status onnx_tensor_convert(const onnx_src *src, const Onnx__TensorProto *tp, const char *what,
                              ts_tensor **out) {
    ts_dtype dt;
    onnx_field typed;
    bool raw, external;
    onnx_ext e = {.f = NULL};
    *out = NULL;
    if (!tp->has_data_type) return ts_error(TS_ERR_INVALID, "%s: no data_type", what);
    ts_status st = onnx_dtype(tp->data_type, what, &dt);
    if (st == TS_OK) st = onnx_pick_storage(tp, what, dt, &typed, &raw, &external);
    if (st == TS_OK) st = onnx_precheck(src, tp, what, dt, raw, typed, external, &e);
    if (st == TS_OK && !(*out = ts_tensor_new(dt, (int)tp->n_dims, tp->dims))) {
        ts_error_prefix("%s: ", what);
        st = TS_ERR_NOMEM;
    }
    if (st == TS_OK) st = onnx_fill(tp, what, raw, typed, &e, *out);
    if (e.f) fclose(e.f);
    if (st) { ts_tensor_free(*out); *out = NULL; }
    return st;
}

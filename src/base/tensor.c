/* tensor.c: dense row-major tensors. */
#include "base/base.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define TS_TENSOR_ALIGN 64

int64_t ts_shape_numel(int rank, const int64_t *dims) {
    if (rank < 0 || rank > TS_MAX_RANK || (rank > 0 && !dims)) return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] == 0) { n = 0; continue; }   /* keep checking for negatives */
        if (n > INT64_MAX / dims[i]) return -1;
        n *= dims[i];
    }
    return n;
}

/* Validates a shape and computes its byte size; errors say why. */
static ts_status ts_shape_bytes(ts_dtype dtype, int rank, const int64_t *dims,
                                size_t *bytes) {
    char buf[160];
    size_t es = ts_dtype_size(dtype);
    if (es == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "tensor dtype %s has no fixed element size",
                        ts_dtype_name(dtype));
    if (rank < 0 || rank > TS_MAX_RANK)
        return ts_error(TS_ERR_INVALID, "tensor rank %d outside 0..%d", rank, TS_MAX_RANK);
    int64_t n = ts_shape_numel(rank, dims);
    if (n < 0 || (uint64_t)n > SIZE_MAX / es)
        return ts_error(TS_ERR_INVALID, "tensor shape %s is negative or too large",
                        ts_shape_str(rank, dims, buf, sizeof buf));
    *bytes = (size_t)n * es;
    return TS_OK;
}

static ts_tensor *ts_tensor_header(ts_dtype dtype, int rank, const int64_t *dims) {
    ts_tensor *t = ts_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->dtype = dtype;
    t->rank = rank;
    if (rank > 0) memcpy(t->dims, dims, (size_t)rank * sizeof dims[0]);
    return t;
}

ts_tensor *ts_tensor_new(ts_dtype dtype, int rank, const int64_t *dims) {
    size_t bytes;
    if (ts_shape_bytes(dtype, rank, dims, &bytes) != TS_OK) return NULL;
    ts_tensor *t = ts_tensor_header(dtype, rank, dims);
    if (!t) return NULL;
    /* Round up so vector kernels may read whole 64-byte lines. */
    size_t cap = bytes + (TS_TENSOR_ALIGN - 1);
    if (cap < bytes) { ts_free(t); ts_error(TS_ERR_NOMEM, "tensor too large"); return NULL; }
    cap &= ~(size_t)(TS_TENSOR_ALIGN - 1);
    t->data = ts_aligned_alloc(TS_TENSOR_ALIGN, cap ? cap : TS_TENSOR_ALIGN);
    if (!t->data) { ts_free(t); return NULL; }
    memset(t->data, 0, cap ? cap : TS_TENSOR_ALIGN);
    t->owns_data = true;
    return t;
}

ts_tensor *ts_tensor_wrap(ts_dtype dtype, int rank, const int64_t *dims, void *data) {
    size_t bytes;
    if (ts_shape_bytes(dtype, rank, dims, &bytes) != TS_OK) return NULL;
    if (!data && bytes) {
        ts_error(TS_ERR_INVALID, "ts_tensor_wrap: NULL data for %zu bytes", bytes);
        return NULL;
    }
    ts_tensor *t = ts_tensor_header(dtype, rank, dims);
    if (t) t->data = data;
    return t;
}

ts_tensor *ts_tensor_clone(const ts_tensor *t) {
    ts_tensor *c = ts_tensor_new(t->dtype, t->rank, t->dims);
    if (c) {
        size_t n = ts_tensor_nbytes(t);
        if (n) memcpy(c->data, t->data, n);
    }
    return c;
}

void ts_tensor_free(ts_tensor *t) {
    if (!t) return;
    if (t->owns_data) ts_aligned_free(t->data);
    ts_free(t);
}

int64_t ts_tensor_numel(const ts_tensor *t) { return ts_shape_numel(t->rank, t->dims); }

size_t ts_tensor_nbytes(const ts_tensor *t) {
    int64_t n = ts_tensor_numel(t);
    return n < 0 ? 0 : (size_t)n * ts_dtype_size(t->dtype);
}

const char *ts_shape_str(int rank, const int64_t *dims, char *buf, size_t n) {
    if (!buf || n == 0) return "";
    size_t used = 0;
    buf[0] = '\0';
    if (rank < 0 || rank > TS_MAX_RANK) {
        snprintf(buf, n, "[rank %d]", rank);
        return buf;
    }
    for (int i = -1; i <= rank && used < n; i++) {
        int w;
        if (i == -1) w = snprintf(buf + used, n - used, "[");
        else if (i == rank) w = snprintf(buf + used, n - used, "]");
        else w = snprintf(buf + used, n - used, "%s%" PRId64, i ? "," : "", dims[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

double ts_tensor_get(const ts_tensor *t, int64_t i) {
    const void *p = (const char *)t->data + (size_t)i * ts_dtype_size(t->dtype);
    switch (t->dtype) {
    case TS_F32: return *(const float *)p;
    case TS_F64: return *(const double *)p;
    case TS_F16: return ts_f16_to_f32(*(const uint16_t *)p);
    case TS_BF16: return ts_bf16_to_f32(*(const uint16_t *)p);
    case TS_I8: return *(const int8_t *)p;
    case TS_U8: return *(const uint8_t *)p;
    case TS_I16: return *(const int16_t *)p;
    case TS_U16: return *(const uint16_t *)p;
    case TS_I32: return *(const int32_t *)p;
    case TS_U32: return *(const uint32_t *)p;
    case TS_I64: return (double)*(const int64_t *)p;
    case TS_U64: return (double)*(const uint64_t *)p;
    case TS_BOOL: return *(const uint8_t *)p ? 1.0 : 0.0;
    default: return NAN;
    }
}

/* Saturating double -> integer conversion (NaN -> 0), so set() is never UB. */
static int64_t ts_clamp_i(double v, double lo, double hi) {
    if (!(v == v)) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return (int64_t)hi;
    return (int64_t)v;
}

static uint64_t ts_clamp_u64(double v) {
    if (!(v > 0)) return 0;
    if (v >= 18446744073709551615.0) return UINT64_MAX;
    return (uint64_t)v;
}

void ts_tensor_set(ts_tensor *t, int64_t i, double v) {
    void *p = (char *)t->data + (size_t)i * ts_dtype_size(t->dtype);
    switch (t->dtype) {
    case TS_F32: *(float *)p = (float)v; break;
    case TS_F64: *(double *)p = v; break;
    case TS_F16: *(uint16_t *)p = ts_f32_to_f16((float)v); break;
    case TS_BF16: *(uint16_t *)p = ts_f32_to_bf16((float)v); break;
    case TS_I8: *(int8_t *)p = (int8_t)ts_clamp_i(v, INT8_MIN, INT8_MAX); break;
    case TS_U8: *(uint8_t *)p = (uint8_t)ts_clamp_i(v, 0, UINT8_MAX); break;
    case TS_I16: *(int16_t *)p = (int16_t)ts_clamp_i(v, INT16_MIN, INT16_MAX); break;
    case TS_U16: *(uint16_t *)p = (uint16_t)ts_clamp_i(v, 0, UINT16_MAX); break;
    case TS_I32: *(int32_t *)p = (int32_t)ts_clamp_i(v, INT32_MIN, INT32_MAX); break;
    case TS_U32: *(uint32_t *)p = (uint32_t)ts_clamp_i(v, 0, UINT32_MAX); break;
    case TS_I64:
        /* 2^63 is exactly representable; INT64_MAX as double rounds up to it. */
        if (!(v == v)) *(int64_t *)p = 0;
        else if (v >= 9223372036854775808.0) *(int64_t *)p = INT64_MAX;
        else if (v <= -9223372036854775808.0) *(int64_t *)p = INT64_MIN;
        else *(int64_t *)p = (int64_t)v;
        break;
    case TS_U64: *(uint64_t *)p = ts_clamp_u64(v); break;
    case TS_BOOL: *(uint8_t *)p = v != 0; break;
    default: break;
    }
}

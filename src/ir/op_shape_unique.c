/*
 * Unique's grouping of equal slices (see op_shape.h), shared by its infer
 * function (which needs the count for the output shape) and its kernel.
 * A stable merge sort of the slice indices puts equal slices next to each
 * other with the first occurrence leading, so each run is one unique slice.
 */
#include "ir/op_shape.h"

#include <string.h>

typedef struct slices {
    const char *data;
    size_t es;
    ts_dtype dt;
    int64_t dim, inner, len;   /* slice i, element j: ((j / inner) * dim + i) * inner + j % inner */
} slices;

static int cmp_num(double a, double b) { return a < b ? -1 : a > b ? 1 : 0; }

/* Orders two elements of type dt by value (integers compared exactly). */
static int cmp_elem(ts_dtype dt, const char *a, const char *b) {
#define CMP(T) do { T x, y; memcpy(&x, a, sizeof x); memcpy(&y, b, sizeof y); \
                    return x < y ? -1 : x > y ? 1 : 0; } while (0)
    switch (dt) {
    case TS_F32: CMP(float);
    case TS_F64: CMP(double);
    case TS_I8: CMP(int8_t);
    case TS_I16: CMP(int16_t);
    case TS_I32: CMP(int32_t);
    case TS_I64: CMP(int64_t);
    case TS_U8: case TS_BOOL: CMP(uint8_t);
    case TS_U16: CMP(uint16_t);
    case TS_U32: CMP(uint32_t);
    case TS_U64: CMP(uint64_t);
    case TS_F16: {
        uint16_t x, y;
        memcpy(&x, a, 2); memcpy(&y, b, 2);
        return cmp_num(ts_f16_to_f32(x), ts_f16_to_f32(y));
    }
    case TS_BF16: {
        uint16_t x, y;
        memcpy(&x, a, 2); memcpy(&y, b, 2);
        return cmp_num(ts_bf16_to_f32(x), ts_bf16_to_f32(y));
    }
    default: return memcmp(a, b, ts_dtype_size(dt));
    }
#undef CMP
}

/* Lexicographic order of slices a and b. */
static int cmp_slices(const slices *s, int64_t a, int64_t b) {
    for (int64_t j = 0; j < s->len; j++) {
        int64_t o = j / s->inner, in = j % s->inner;
        int c = cmp_elem(s->dt, s->data + (size_t)((o * s->dim + a) * s->inner + in) * s->es,
                         s->data + (size_t)((o * s->dim + b) * s->inner + in) * s->es);
        if (c) return c;
    }
    return 0;
}

/* Stable bottom-up merge sort of slice indices v[0..n). */
static void sort_slices(const slices *s, int64_t *v, int64_t *tmp, int64_t n) {
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = TS_MIN(lo + w, n), hi = TS_MIN(lo + 2 * w, n), i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = cmp_slices(s, v[j], v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        memcpy(v, tmp, sizeof(int64_t) * (size_t)n);
    }
}

void ir_shape_unique_free(ir_unique *u) {
    ts_free(u->first);
    ts_free(u->count);
    ts_free(u->inverse);
    memset(u, 0, sizeof *u);
}

/* Numbers the runs of equal slices in sorted order; with !sorted, renumbers
 * them by first occurrence. */
static void group(const slices *s, const int64_t *order, bool sorted, ir_unique *u,
                  int64_t *gid) {
    int64_t n = u->n_slices, g = -1;
    for (int64_t p = 0; p < n; p++) {
        if (p == 0 || cmp_slices(s, order[p - 1], order[p])) {
            g++;
            u->first[g] = order[p];   /* stable sort: the first occurrence leads */
            u->count[g] = 0;
        }
        u->count[g]++;
        gid[order[p]] = g;
    }
    u->n_unique = g + 1;
    for (int64_t i = 0; i < n; i++) u->inverse[i] = gid[i];
    if (sorted) return;
    int64_t *renum = gid, *first = u->first + n, *count = u->count + n, next = 0;
    for (int64_t k = 0; k < u->n_unique; k++) renum[k] = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = u->inverse[i];
        if (renum[k] < 0) {
            renum[k] = next;
            first[next] = u->first[k];
            count[next++] = u->count[k];
        }
        u->inverse[i] = renum[k];
    }
    memcpy(u->first, first, sizeof(int64_t) * (size_t)u->n_unique);
    memcpy(u->count, count, sizeof(int64_t) * (size_t)u->n_unique);
}

ts_status ir_shape_unique(const ir_node *n, const ts_tensor *x, int axis, bool sorted,
                          ir_unique *u) {
    (void)n;
    memset(u, 0, sizeof *u);
    if (!x->data) return IR_NEED_VALUE;
    int64_t numel = ts_tensor_numel(x);
    slices s = {x->data, ts_dtype_size(x->dtype), x->dtype, numel, 1, 1};
    if (axis >= 0) {
        s.dim = x->dims[axis];
        for (int i = axis + 1; i < x->rank; i++) s.inner *= x->dims[i];
        s.len = s.dim ? numel / s.dim : 0;
    }
    int64_t cnt = s.dim;
    u->n_slices = cnt;
    /* first/count hold two halves (the second for renumbering) */
    size_t bytes = sizeof(int64_t) * (size_t)TS_MAX(cnt, 1);
    u->first = ts_malloc(2 * bytes);
    u->count = ts_malloc(2 * bytes);
    u->inverse = ts_malloc(bytes);
    int64_t *order = ts_malloc(bytes), *tmp = ts_malloc(bytes);
    if (!u->first || !u->count || !u->inverse || !order || !tmp) {
        ts_free(order); ts_free(tmp); ir_shape_unique_free(u);
        return TS_ERR_NOMEM;
    }
    for (int64_t i = 0; i < cnt; i++) order[i] = i;
    sort_slices(&s, order, tmp, cnt);
    group(&s, order, sorted, u, tmp);
    ts_free(order);
    ts_free(tmp);
    return TS_OK;
}

/* cpu kernels: TopK, CumSum, Trilu, OneHot, NonZero. */
#include "cpu/op_reduce.h"
#include "ir/op_reduce.h"

#include <stdlib.h>
#include <string.h>

/* ---- TopK ------------------------------------------------------------------ */

typedef struct tk_item { double v; int64_t i; } tk_item;

/* Total orders: by value, then the smaller index first (ONNX's tie rule). */
static int tk_cmp_large(const void *pa, const void *pb) {
    const tk_item *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int tk_cmp_small(const void *pa, const void *pb) {
    const tk_item *a = pa, *b = pb;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The output is always sorted (allowed when sorted=0). Values are copied
 * bitwise from the input so int64 stays exact. */
CPU_RD_KERNEL(cpu_rd_run_topk) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int axis;
    ts_status st = ir_norm_axis(n, ir_attr_int(n, "axis", -1), x->rank, &axis);
    if (st) return st;
    int64_t outer, len, inner, k = out[0]->dims[axis];
    cpu_rd_split(x, axis, &outer, &len, &inner);
    bool largest = ir_attr_int(n, "largest", 1) != 0;
    tk_item *items = ts_malloc(sizeof(tk_item) * (size_t)TS_MAX(len, 1));
    if (!items) return TS_ERR_NOMEM;
    size_t es = ts_dtype_size(x->dtype);
    int64_t *idx = out[1]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i, obase = o * k * inner + i;
            for (int64_t r = 0; r < len; r++) {
                items[r].v = cpu_ew_get_f(x->data, x->dtype, base + r * inner);
                items[r].i = r;
            }
            qsort(items, (size_t)len, sizeof *items, largest ? tk_cmp_large : tk_cmp_small);
            for (int64_t r = 0; r < k; r++) {
                int64_t oi = obase + r * inner;
                idx[oi] = items[r].i;
                memcpy((char *)out[0]->data + (size_t)oi * es,
                       (const char *)x->data + (size_t)(base + items[r].i * inner) * es, es);
            }
        }
    }
    ts_free(items);
    return TS_OK;
}

/* ---- CumSum ---------------------------------------------------------------- */

CPU_RD_KERNEL(cpu_rd_run_cumsum) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int axis;
    ts_status st = ir_norm_axis(n, cpu_ew_get_i(in[1]->data, in[1]->dtype, 0), x->rank, &axis);
    if (st) return st;
    bool excl = ir_attr_int(n, "exclusive", 0) != 0, rev = ir_attr_int(n, "reverse", 0) != 0;
    int64_t outer, len, inner;
    cpu_rd_split(x, axis, &outer, &len, &inner);
    cpu_ew_dom d = cpu_ew_domain(x->dtype);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            cpu_ew_val acc = {0};
            for (int64_t s = 0; s < len; s++) {
                int64_t r = rev ? len - 1 - s : s, at = (o * len + r) * inner + i;
                cpu_ew_val v = cpu_ew_load(x->data, x->dtype, at, d);
                if (excl) cpu_ew_store(out[0]->data, x->dtype, at, acc, d);
                if (d == CPU_EW_F) acc.f += v.f; else acc.u += v.u;
                if (!excl) cpu_ew_store(out[0]->data, x->dtype, at, acc, d);
            }
        }
    }
    return TS_OK;
}

/* ---- Trilu ------------------------------------------------------------------- */

CPU_RD_KERNEL(cpu_rd_run_trilu) {
    (void)ctx; (void)n_out;
    const ts_tensor *x = in[0];
    int64_t k = n_in > 1 && in[1] ? cpu_ew_get_i(in[1]->data, in[1]->dtype, 0) : 0;
    bool upper = ir_attr_int(n, "upper", 1) != 0;
    int64_t R = x->dims[x->rank - 2], C = x->dims[x->rank - 1];
    int64_t mats = R > 0 && C > 0 ? ts_tensor_numel(x) / (R * C) : 0;
    size_t es = ts_dtype_size(x->dtype);
    char *y = out[0]->data;
    memcpy(y, x->data, ts_tensor_nbytes(x));
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < R; i++)
            for (int64_t j = 0; j < C; j++) {
                bool keep = upper ? j - i >= k : j - i <= k;
                if (!keep) memset(y + (size_t)((m * R + i) * C + j) * es, 0, es);
            }
    return TS_OK;
}

/* ---- OneHot ---------------------------------------------------------------- */

CPU_RD_KERNEL(cpu_rd_run_onehot) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *idx = in[0], *vals = in[2];
    ts_tensor *y = out[0];
    int axis;
    ts_status st = ir_norm_axis(n, ir_attr_int(n, "axis", -1), idx->rank + 1, &axis);
    if (st) return st;
    int64_t depth = y->dims[axis], outer = 1, inner = 1;
    for (int d = 0; d < idx->rank; d++) {
        if (d < axis) outer *= idx->dims[d];
        else inner *= idx->dims[d];
    }
    size_t es = ts_dtype_size(y->dtype);
    const char *off = vals->data, *on = (const char *)vals->data + es;
    int64_t total = ts_tensor_numel(y);
    for (int64_t i = 0; i < total; i++) memcpy((char *)y->data + (size_t)i * es, off, es);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = cpu_ew_get_i(idx->data, idx->dtype, o * inner + i);
            if (v < 0) v += depth;
            if (v < 0 || v >= depth) continue;
            memcpy((char *)y->data + (size_t)((o * depth + v) * inner + i) * es, on, es);
        }
    return TS_OK;
}

/* ---- NonZero ----------------------------------------------------------------- */

CPU_RD_KERNEL(cpu_rd_run_nonzero) {
    (void)ctx; (void)n; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int64_t m = ts_tensor_numel(x), nnz = out[0]->dims[1], k = 0;
    int rank = TS_MAX(x->rank, 1);
    int64_t *y = out[0]->data;
    for (int64_t i = 0; i < m && k < nnz; i++) {
        if (cpu_ew_get_f(x->data, x->dtype, i) == 0) continue;
        int64_t rem = i;
        for (int d = rank - 1; d >= 0; d--) {
            int64_t dim = x->rank ? x->dims[d] : 1;
            y[d * nnz + k] = rem % dim;
            rem /= dim;
        }
        k++;
    }
    return TS_OK;
}


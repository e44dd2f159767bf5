/*
 * Attribute/input resolvers of the data-movement ops, shared by inference
 * and the CPU kernels (see op_shape.h). Every value a user can put in a
 * model is checked here, so kernels can trust what they get back.
 */
#include "ir/op_shape.h"

#include <string.h>

#define NODE_FMT "node '%s' (%s): "
#define NODE_ARGS(n) (n)->name ? (n)->name : "", (n)->op_type

ts_status ir_shape_read_ints(const ir_node *n, const ts_tensor *t, const char *what,
                             int64_t *v, int max, int *count) {
    if (!t->data) return IR_NEED_VALUE;
    if (!ts_dtype_is_int(t->dtype))
        return ts_error(TS_ERR_INVALID, NODE_FMT "%s must be an integer tensor, got %s",
                        NODE_ARGS(n), what, ts_dtype_name(t->dtype));
    if (t->rank > 1)
        return ts_error(TS_ERR_INVALID, NODE_FMT "%s must be 0-D or 1-D, got rank %d",
                        NODE_ARGS(n), what, t->rank);
    int64_t cnt = ts_tensor_numel(t);
    if (cnt > max)
        return ts_error(TS_ERR_INVALID, NODE_FMT "%s has %lld values, at most %d allowed",
                        NODE_ARGS(n), what, (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++) {
        switch (t->dtype) {
        case TS_I64: v[i] = ((const int64_t *)t->data)[i]; break;
        case TS_I32: v[i] = ((const int32_t *)t->data)[i]; break;
        case TS_U64: {
            uint64_t u = ((const uint64_t *)t->data)[i];
            v[i] = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
            break;
        }
        default: v[i] = (int64_t)ts_tensor_get(t, i); break;
        }
    }
    *count = (int)cnt;
    return TS_OK;
}

/* Normalizes a list of axes for rank r; repeated axes are an error. */
static ts_status norm_axes(const ir_node *n, const int64_t *axes, int cnt, int r, int *out) {
    bool seen[2 * TS_MAX_RANK + 1] = {false};
    for (int i = 0; i < cnt; i++) {
        ts_status st = ir_norm_axis(n, axes[i], r, &out[i]);
        if (st) return st;
        if (seen[out[i]])
            return ts_error(TS_ERR_INVALID, NODE_FMT "axis %lld repeated", NODE_ARGS(n),
                            (long long)axes[i]);
        seen[out[i]] = true;
    }
    return TS_OK;
}

/* Reads an int list from an attribute (old opsets) or an optional input. */
static ts_status ints_from(const ir_node *n, const ts_tensor *const *in, int n_in, int idx,
                           bool from_attr, const char *name, int64_t *v, int max, int *cnt,
                           bool *present) {
    *cnt = 0;
    *present = false;
    if (from_attr) {
        int c = 0;
        const int64_t *a = ir_attr_ints(n, name, &c);
        if (!a) return TS_OK;
        if (c > max)
            return ts_error(TS_ERR_INVALID, NODE_FMT "attribute '%s' has %d values, at most %d",
                            NODE_ARGS(n), name, c, max);
        memcpy(v, a, (size_t)c * sizeof *v);
        *cnt = c;
        *present = true;
        return TS_OK;
    }
    if (idx >= n_in || !in[idx]) return TS_OK;
    *present = true;
    return ir_shape_read_ints(n, in[idx], name, v, max, cnt);
}

/* One axis of Slice: clamps start/end the way the ONNX spec words it and
 * gives the length. An end of INT32_MAX or INT64_MAX means "no end" (numpy's
 * None) in the direction of the step: with a negative step it runs through
 * element 0, as onnxruntime reads it (clamping it to dim-1 would select
 * nothing; exporters write INT_MAX exactly when they mean "to the end"). */
static void slice_axis(int64_t dim, int64_t s, int64_t e, int64_t step, int64_t *start,
                       int64_t *len) {
    if (dim == 0) { *start = 0; *len = 0; return; }
    if (step < 0 && (e == INT32_MAX || e == INT64_MAX)) e = -dim - 1;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        *len = e > s ? (e - s + step - 1) / step : 0;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        *len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    *start = *len > 0 ? s : 0;
}

ts_status ir_shape_slice(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                         int r, const int64_t *d, int64_t *start, int64_t *step,
                         int64_t *len) {
    int64_t st[TS_MAX_RANK], en[TS_MAX_RANK], ax[TS_MAX_RANK], sp[TS_MAX_RANK];
    int ns = 0, ne = 0, na = 0, nsp = 0;
    bool has_s, has_e, has_a, has_sp;
    bool attr = opset < 10;
    ts_status s;
    if ((s = ints_from(n, in, n_in, 1, attr, "starts", st, TS_MAX_RANK, &ns, &has_s))) return s;
    if ((s = ints_from(n, in, n_in, 2, attr, "ends", en, TS_MAX_RANK, &ne, &has_e))) return s;
    if ((s = ints_from(n, in, n_in, 3, attr, "axes", ax, TS_MAX_RANK, &na, &has_a))) return s;
    if (!attr && (s = ints_from(n, in, n_in, 4, false, "steps", sp, TS_MAX_RANK, &nsp, &has_sp)))
        return s;
    if (attr) has_sp = false;
    if (!has_s || !has_e)
        return ts_error(TS_ERR_INVALID, NODE_FMT "starts and ends are required", NODE_ARGS(n));
    if (ns != ne || (has_a && na != ns) || (has_sp && nsp != ns))
        return ts_error(TS_ERR_INVALID,
                        NODE_FMT "starts (%d), ends (%d), axes (%d), steps (%d) differ in length",
                        NODE_ARGS(n), ns, ne, has_a ? na : ns, has_sp ? nsp : ns);
    if (ns > r)
        return ts_error(TS_ERR_INVALID, NODE_FMT "%d starts for rank %d", NODE_ARGS(n), ns, r);
    int axes[TS_MAX_RANK];
    if (has_a) {
        if ((s = norm_axes(n, ax, na, r, axes))) return s;
    } else {
        for (int i = 0; i < ns; i++) axes[i] = i;
    }
    for (int i = 0; i < r; i++) { start[i] = 0; step[i] = 1; len[i] = d[i]; }
    for (int i = 0; i < ns; i++) {
        int64_t k = has_sp ? sp[i] : 1;
        if (k == 0)
            return ts_error(TS_ERR_INVALID, NODE_FMT "step 0 on axis %d", NODE_ARGS(n), axes[i]);
        step[axes[i]] = k;
        slice_axis(d[axes[i]], st[i], en[i], k, &start[axes[i]], &len[axes[i]]);
    }
    return TS_OK;
}

static ts_status pad_mode(const ir_node *n, ir_pad_mode *mode) {
    const char *m = ir_attr_string(n, "mode", "constant");
    if (!strcmp(m, "constant")) *mode = IR_PAD_CONSTANT;
    else if (!strcmp(m, "reflect")) *mode = IR_PAD_REFLECT;
    else if (!strcmp(m, "edge")) *mode = IR_PAD_EDGE;
    else if (!strcmp(m, "wrap")) *mode = IR_PAD_WRAP; /* opset 19; harmless earlier */
    else
        return ts_error(TS_ERR_INVALID, NODE_FMT "unknown mode '%s'", NODE_ARGS(n), m);
    return TS_OK;
}

ts_status ir_shape_pad(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                       int r, const int64_t *d, int64_t *begin, int64_t *end,
                       ir_pad_mode *mode) {
    ts_status s = pad_mode(n, mode);
    if (s) return s;
    int64_t p[2 * TS_MAX_RANK], ax[TS_MAX_RANK];
    int np = 0, na = 0;
    bool has_p, has_a = false;
    bool attr = opset < 11;
    if ((s = ints_from(n, in, n_in, 1, attr, "pads", p, 2 * TS_MAX_RANK, &np,
                       &has_p)))
        return s;
    if (!has_p && attr) {
        /* opset 1 called it 'paddings' */
        if ((s = ints_from(n, in, n_in, 1, true, "paddings", p, 2 * TS_MAX_RANK, &np, &has_p)))
            return s;
    }
    if (!has_p) return ts_error(TS_ERR_INVALID, NODE_FMT "pads are required", NODE_ARGS(n));
    if (!attr && opset >= 18 &&
        (s = ints_from(n, in, n_in, 3, false, "axes", ax, TS_MAX_RANK, &na, &has_a)))
        return s;
    int axes[TS_MAX_RANK];
    if (has_a) {
        if ((s = norm_axes(n, ax, na, r, axes))) return s;
    } else {
        na = r;
        for (int i = 0; i < r; i++) axes[i] = i;
    }
    if (np != 2 * na)
        return ts_error(TS_ERR_INVALID, NODE_FMT "%d pads for %d axes (need %d)", NODE_ARGS(n),
                        np, na, 2 * na);
    for (int i = 0; i < r; i++) begin[i] = end[i] = 0;
    for (int i = 0; i < na; i++) {
        int a = axes[i];
        begin[a] = p[i];
        end[a] = p[i + na];
        if (p[i] < -d[a] || p[i + na] < -d[a] || p[i] > ((int64_t)1 << 40) ||
            p[i + na] > ((int64_t)1 << 40) || d[a] + p[i] + p[i + na] < 0)
            return ts_error(
                TS_ERR_INVALID, NODE_FMT "pads %lld,%lld invalid for axis %d of size %lld",
                NODE_ARGS(n), (long long)p[i], (long long)p[i + na], a, (long long)d[a]);
        int64_t kept = d[a] + TS_MIN(p[i], 0) + TS_MIN(p[i + na], 0);
        if (*mode != IR_PAD_CONSTANT && kept <= 0 && (p[i] > 0 || p[i + na] > 0))
            return ts_error(TS_ERR_INVALID,
                            NODE_FMT "cannot pad an empty axis %d in mode '%s'", NODE_ARGS(n), a,
                            ir_attr_string(n, "mode", "constant"));
    }
    return TS_OK;
}

/* Default Split with no sizes: equal parts, or (opset 18 num_outputs) parts
 * of ceil(dim / n) with a smaller last one. */
static ts_status split_even(const ir_node *n, int opset, int n_out, int64_t dim, int64_t *sizes) {
    int64_t num = ir_attr_int(n, "num_outputs", 0);
    if (opset >= 18 && ir_attr_find(n, "num_outputs")) {
        if (num != n_out)
            return ts_error(TS_ERR_INVALID, NODE_FMT "num_outputs %lld but %d outputs",
                            NODE_ARGS(n), (long long)num, n_out);
        int64_t chunk = (dim + n_out - 1) / n_out;
        for (int i = 0; i < n_out; i++) {
            int64_t left = dim - chunk * i;
            sizes[i] = left < 0 ? 0 : left < chunk ? left : chunk;
        }
        return TS_OK;
    }
    if (dim % n_out)
        return ts_error(TS_ERR_INVALID,
                        NODE_FMT "axis of size %lld does not split into %d equal parts",
                        NODE_ARGS(n), (long long)dim, n_out);
    for (int i = 0; i < n_out; i++) sizes[i] = dim / n_out;
    return TS_OK;
}

/* Explicit sizes: one per output, none negative, summing to the axis. */
static ts_status split_given(const ir_node *n, const int64_t *v, int cnt, int n_out, int64_t dim,
                             int64_t *sizes) {
    int64_t sum = 0;
    for (int i = 0; i < cnt && cnt == n_out; i++) {
        if (v[i] < 0)
            return ts_error(TS_ERR_INVALID, NODE_FMT "negative split %lld", NODE_ARGS(n),
                            (long long)v[i]);
        sum = v[i] > INT64_MAX - sum ? INT64_MAX : sum + v[i];
        sizes[i] = v[i];
    }
    if (cnt != n_out || sum != dim)
        return ts_error(TS_ERR_INVALID,
                        NODE_FMT "split has %d sizes summing to %lld, need %d summing to %lld",
                        NODE_ARGS(n), cnt, (long long)(cnt == n_out ? sum : -1), n_out,
                        (long long)dim);
    return TS_OK;
}

ts_status ir_shape_split(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                         int n_out, int r, const int64_t *d, int *axis, int64_t *sizes) {
    ts_status s = ir_norm_axis(n, ir_attr_int(n, "axis", 0), r, axis);
    if (s) return s;
    int cnt = 0;
    bool has = false;
    /* one more slot than outputs, so a list that is too long is seen */
    int64_t *v = ts_malloc(sizeof(int64_t) * (size_t)(n_out + 1));
    if (!v) return TS_ERR_NOMEM;
    s = ints_from(n, in, n_in, 1, opset < 13, "split", v, n_out + 1, &cnt, &has);
    if (s == TS_OK)
        s = has ? split_given(n, v, cnt, n_out, d[*axis], sizes)
                : split_even(n, opset, n_out, d[*axis], sizes);
    ts_free(v);
    return s;
}

ts_status ir_shape_perm(const ir_node *n, int r, int *perm) {
    int cnt = 0;
    const int64_t *p = ir_attr_ints(n, "perm", &cnt);
    if (!p) {
        for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
        return TS_OK;
    }
    if (cnt != r)
        return ts_error(TS_ERR_INVALID, NODE_FMT "perm has %d entries for rank %d", NODE_ARGS(n),
                        cnt, r);
    bool seen[TS_MAX_RANK] = {false};
    for (int i = 0; i < r; i++) {
        int a;
        ts_status s = ir_norm_axis(n, p[i], r, &a);
        if (s) return s;
        if (seen[a])
            return ts_error(TS_ERR_INVALID, NODE_FMT "perm is not a permutation (%d repeated)",
                            NODE_ARGS(n), a);
        seen[a] = true;
        perm[i] = a;
    }
    return TS_OK;
}

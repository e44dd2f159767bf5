/*
 * Shape and type inference of the data-movement ops: Reshape Flatten
 * Squeeze Unsqueeze Transpose Concat Split Slice Gather* Scatter* Expand Tile
 * Pad Shape Size ConstantOfShape Constant Range Compress ReverseSequence
 * Unique.
 *
 * Ops whose output shape depends on an input's value (Reshape's shape,
 * Slice's starts...) return IR_NEED_VALUE when that input has no data; the
 * executor calls them again with data. Semantics shared with the kernels
 * (Slice, Pad, Split, Transpose) live in op_shape_params.c.
 */
#include "ir/op_shape.h"

#include <math.h>
#include <string.h>

#define NODE_FMT "node '%s' (%s): "
#define NODE_ARGS(n) (n)->name ? (n)->name : "", (n)->op_type
/* BAD(c, fmt, ...): an invalid-model error naming c's node. */
#define BAD(c, fmt, ...) \
    ts_error(TS_ERR_INVALID, NODE_FMT fmt, NODE_ARGS((c)->node), ##__VA_ARGS__)

/* Rejects element types a memcpy-based kernel cannot move (strings). */
static ts_status check_dtype(const ir_infer_ctx *c, const ts_tensor *t, const char *what) {
    if (ts_dtype_size(t->dtype) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, NODE_FMT "%s has unsupported type %s",
                        NODE_ARGS(c->node), what, ts_dtype_name(t->dtype));
    return TS_OK;
}

static ts_status check_shape(const ir_node *n, int r, const int64_t *d) {
    if (ts_shape_numel(r, d) < 0)
        return ts_error(TS_ERR_INVALID, NODE_FMT "output shape too large", NODE_ARGS(n));
    return TS_OK;
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze ------------------------------------ */

static ts_status infer_reshape(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t sh[TS_MAX_RANK], out[TS_MAX_RANK];
    int r = 0;
    ts_status s = ir_shape_read_ints(c->node, c->in[1], "shape", sh, TS_MAX_RANK, &r);
    if (s) return s;
    bool allowzero = c->opset >= 14 && ir_attr_int(c->node, "allowzero", 0);
    int infer_at = -1;
    int64_t known = 1;
    for (int i = 0; i < r; i++) {
        if (sh[i] == -1) {
            if (infer_at >= 0) return BAD(c, "shape has more than one -1");
            infer_at = i;
            continue;
        }
        if (sh[i] < -1) return BAD(c, "shape has negative dim %lld", (long long)sh[i]);
        if (sh[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return BAD(c, "shape dim %d is 0 (copy) but input has rank %d", i, x->rank);
            out[i] = x->dims[i];
        } else {
            out[i] = sh[i];
        }
        if (out[i] && known > INT64_MAX / out[i]) return BAD(c, "shape too large");
        known *= out[i];
    }
    int64_t total = ts_tensor_numel(x);
    if (infer_at >= 0) {
        if (known == 0 || total % known)
            return BAD(c, "cannot infer -1: %lld elements into a product of %lld", (long long)total,
                       (long long)known);
        out[infer_at] = total / known;
    } else if (known != total) {
        char a[96], b[96];
        return BAD(c, "cannot reshape %s (%lld elements) to %s",
                   ts_shape_str(x->rank, x->dims, a, sizeof a), (long long)total,
                   ts_shape_str(r, out, b, sizeof b));
    }
    ir_set_out(c->out[0], x->dtype, r, out);
    return TS_OK;
}

static ts_status infer_flatten(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t axis = ir_attr_int(c->node, "axis", 1);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return BAD(c, "axis %lld out of range for rank %d",
                   (long long)ir_attr_int(c->node, "axis", 1), x->rank);
    int64_t d[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) d[i >= axis] *= x->dims[i];
    ir_set_out(c->out[0], x->dtype, 2, d);
    return TS_OK;
}

/* Axes of Squeeze/Unsqueeze: attribute before opset 13, input after. */
static ts_status read_axes(ir_infer_ctx *c, int64_t *ax, int *cnt, bool *present) {
    *cnt = 0;
    *present = false;
    if (c->opset < 13) {
        const int64_t *a = ir_attr_ints(c->node, "axes", cnt);
        if (!a) return TS_OK;
        if (*cnt > 2 * TS_MAX_RANK) return BAD(c, "too many axes");
        memcpy(ax, a, sizeof(int64_t) * (size_t)*cnt);
        *present = true;
        return TS_OK;
    }
    if (c->n_in < 2 || !c->in[1]) return TS_OK;
    *present = true;
    return ir_shape_read_ints(c->node, c->in[1], "axes", ax, 2 * TS_MAX_RANK, cnt);
}

static ts_status infer_squeeze(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t ax[2 * TS_MAX_RANK], out[TS_MAX_RANK];
    int cnt, r = 0;
    bool present, drop[TS_MAX_RANK] = {false};
    ts_status s = read_axes(c, ax, &cnt, &present);
    if (s) return s;
    present &= cnt > 0;   /* an empty axes list squeezes every 1, as if omitted */
    for (int i = 0; i < cnt; i++) {
        int a;
        if ((s = ir_norm_axis(c->node, ax[i], x->rank, &a))) return s;
        if (x->dims[a] != 1)
            return BAD(c, "cannot squeeze axis %d of size %lld", a,
                       (long long)x->dims[a]);
        drop[a] = true;
    }
    for (int i = 0; i < x->rank; i++)
        if (!(present ? drop[i] : x->dims[i] == 1)) out[r++] = x->dims[i];
    ir_set_out(c->out[0], x->dtype, r, out);
    return TS_OK;
}

static ts_status infer_unsqueeze(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t ax[2 * TS_MAX_RANK], out[TS_MAX_RANK];
    int cnt;
    bool present, ins[TS_MAX_RANK] = {false};
    ts_status s = read_axes(c, ax, &cnt, &present);
    if (s) return s;
    if (!present) return BAD(c, "axes are required");
    int r = x->rank + cnt;
    if (r > TS_MAX_RANK) return BAD(c, "output rank %d exceeds %d", r, TS_MAX_RANK);
    for (int i = 0; i < cnt; i++) {
        int a;
        if ((s = ir_norm_axis(c->node, ax[i], r, &a))) return s;
        if (ins[a]) return BAD(c, "axis %lld repeated", (long long)ax[i]);
        ins[a] = true;
    }
    for (int i = 0, j = 0; i < r; i++) out[i] = ins[i] ? 1 : x->dims[j++];
    ir_set_out(c->out[0], x->dtype, r, out);
    return TS_OK;
}

/* ---- Transpose, Concat, Split, Slice ---------------------------------------- */

static ts_status infer_transpose(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int perm[TS_MAX_RANK];
    int64_t d[TS_MAX_RANK];
    ts_status s = ir_shape_perm(c->node, x->rank, perm);
    if (s) return s;
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[perm[i]];
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

static ts_status infer_concat(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (!ir_attr_find(c->node, "axis")) return BAD(c, "attribute 'axis' is required");
    if (x->rank == 0) return BAD(c, "cannot concatenate scalars");
    int axis;
    ts_status s = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 0), x->rank, &axis);
    if (s) return s;
    int64_t d[TS_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    d[axis] = 0;
    for (int i = 0; i < c->n_in; i++) {
        const ts_tensor *t = c->in[i];
        if (!t) return BAD(c, "input %d is missing", i);
        if (t->dtype != x->dtype || t->rank != x->rank)
            return BAD(c, "input %d is %s rank %d, input 0 is %s rank %d", i,
                       ts_dtype_name(t->dtype), t->rank, ts_dtype_name(x->dtype), x->rank);
        for (int k = 0; k < x->rank; k++)
            if (k != axis && t->dims[k] != x->dims[k])
                return BAD(c, "input %d has dim %lld on axis %d, input 0 has %lld", i,
                           (long long)t->dims[k], k, (long long)x->dims[k]);
        d[axis] += t->dims[axis];
    }
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

static ts_status infer_split(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (x->rank == 0) return BAD(c, "cannot split a scalar");
    int axis;
    int64_t *sizes = ts_malloc(sizeof(int64_t) * (size_t)c->n_out);
    if (!sizes) return TS_ERR_NOMEM;
    ts_status s = ir_shape_split(c->node, c->opset, c->in, c->n_in, c->n_out, x->rank, x->dims,
                                 &axis, sizes);
    for (int i = 0; s == TS_OK && i < c->n_out; i++) {
        int64_t d[TS_MAX_RANK];
        memcpy(d, x->dims, sizeof d);
        d[axis] = sizes[i];
        ir_set_out(c->out[i], x->dtype, x->rank, d);
    }
    ts_free(sizes);
    return s;
}

static ts_status infer_slice(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t start[TS_MAX_RANK], step[TS_MAX_RANK], len[TS_MAX_RANK];
    ts_status s = ir_shape_slice(c->node, c->opset, c->in, c->n_in, x->rank, x->dims, start,
                                 step, len);
    if (s) return s;
    ir_set_out(c->out[0], x->dtype, x->rank, len);
    return TS_OK;
}

/* ---- Gather family and Scatter family ---------------------------------------- */

static ts_status check_index_type(ir_infer_ctx *c, const ts_tensor *t) {
    if (t->dtype != TS_I32 && t->dtype != TS_I64)
        return BAD(c, "indices must be int32 or int64, got %s",
                   ts_dtype_name(t->dtype));
    return TS_OK;
}

static ts_status infer_gather(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *idx = c->in[1];
    ts_status s = check_index_type(c, idx);
    if (s) return s;
    if (x->rank == 0) return BAD(c, "data must have rank >= 1");
    int axis;
    if ((s = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 0), x->rank, &axis))) return s;
    int r = x->rank - 1 + idx->rank;
    if (r > TS_MAX_RANK) return BAD(c, "output rank %d too large", r);
    int64_t d[TS_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++) d[k++] = x->dims[i];
    for (int i = 0; i < idx->rank; i++) d[k++] = idx->dims[i];
    for (int i = axis + 1; i < x->rank; i++) d[k++] = x->dims[i];
    ir_set_out(c->out[0], x->dtype, r, d);
    return TS_OK;
}

static ts_status infer_gather_elements(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *idx = c->in[1];
    ts_status s = check_index_type(c, idx);
    if (s) return s;
    if (x->rank == 0 || idx->rank != x->rank)
        return BAD(c, "data (rank %d) and indices (rank %d) need the same rank >= 1", x->rank,
                   idx->rank);
    int axis;
    if ((s = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 0), x->rank, &axis))) return s;
    for (int i = 0; i < x->rank; i++)
        if (i != axis && idx->dims[i] > x->dims[i])
            return BAD(c, "indices dim %d (%lld) exceeds data's (%lld)", i,
                       (long long)idx->dims[i], (long long)x->dims[i]);
    ir_set_out(c->out[0], x->dtype, idx->rank, idx->dims);
    return TS_OK;
}

static ts_status infer_gather_nd(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *idx = c->in[1];
    if (idx->dtype != TS_I64) return BAD(c, "indices must be int64");
    int64_t b = ir_attr_int(c->node, "batch_dims", 0);
    if (idx->rank < 1 || x->rank < 1 || b < 0 || b >= TS_MIN(x->rank, idx->rank))
        return BAD(c, "batch_dims %lld invalid for data rank %d, indices rank %d", (long long)b,
                   x->rank, idx->rank);
    int64_t k = idx->dims[idx->rank - 1];
    if (k < 1 || k > x->rank - b)
        return BAD(c, "indices' last dim %lld must be in [1, %lld]",
                   (long long)k, (long long)(x->rank - b));
    for (int i = 0; i < b; i++)
        if (x->dims[i] != idx->dims[i])
            return BAD(c, "batch dim %d differs: data %lld, indices %lld", i,
                       (long long)x->dims[i], (long long)idx->dims[i]);
    int64_t d[2 * TS_MAX_RANK];
    int r = 0;
    for (int i = 0; i < idx->rank - 1; i++) d[r++] = idx->dims[i];
    for (int i = (int)(b + k); i < x->rank; i++) d[r++] = x->dims[i];
    if (r > TS_MAX_RANK) return BAD(c, "output rank %d too large", r);
    ir_set_out(c->out[0], x->dtype, r, d);
    return TS_OK;
}

static ts_status check_reduction(ir_infer_ctx *c) {
    const char *red = ir_attr_string(c->node, "reduction", "none");
    if (strcmp(red, "none") && strcmp(red, "add") && strcmp(red, "mul") && strcmp(red, "max") &&
        strcmp(red, "min"))
        return BAD(c, "unknown reduction '%s'", red);
    return TS_OK;
}

static ts_status infer_scatter_nd(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *idx = c->in[1], *up = c->in[2];
    ts_status s = check_reduction(c);
    if (s) return s;
    if (idx->dtype != TS_I64) return BAD(c, "indices must be int64");
    if (up->dtype != x->dtype) return BAD(c, "updates type differs from data");
    if (x->rank < 1 || idx->rank < 1) return BAD(c, "data and indices need rank >= 1");
    int64_t k = idx->dims[idx->rank - 1];
    if (k < 1 || k > x->rank)
        return BAD(c, "indices' last dim %lld must be in [1, %d]",
                   (long long)k, x->rank);
    int ur = idx->rank - 1 + x->rank - (int)k;
    bool ok = up->rank == ur;
    for (int i = 0; ok && i < idx->rank - 1; i++) ok = up->dims[i] == idx->dims[i];
    for (int i = (int)k; ok && i < x->rank; i++) ok = up->dims[idx->rank - 1 + i - k] == x->dims[i];
    if (!ok) return BAD(c, "updates shape does not match indices and data");
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

static ts_status infer_scatter_elements(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *idx = c->in[1], *up = c->in[2];
    ts_status s = check_reduction(c);
    if (s || (s = check_index_type(c, idx))) return s;
    if (up->dtype != x->dtype) return BAD(c, "updates type differs from data");
    if (x->rank < 1 || idx->rank != x->rank || up->rank != x->rank)
        return BAD(c, "data, indices and updates need the same rank >= 1");
    int axis;
    if ((s = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 0), x->rank, &axis))) return s;
    for (int i = 0; i < x->rank; i++) {
        if (idx->dims[i] != up->dims[i])
            return BAD(c, "indices and updates shapes differ");
        if (i != axis && idx->dims[i] > x->dims[i])
            return BAD(c, "indices dim %d (%lld) exceeds data's (%lld)", i,
                       (long long)idx->dims[i], (long long)x->dims[i]);
    }
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

/* ---- Expand, Tile, Pad ------------------------------------------------------ */

static ts_status infer_expand(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t sh[TS_MAX_RANK], d[TS_MAX_RANK];
    int r = 0, rout = 0;
    ts_status s = ir_shape_read_ints(c->node, c->in[1], "shape", sh, TS_MAX_RANK, &r);
    if (s) return s;
    for (int i = 0; i < r; i++)
        if (sh[i] < 0) return BAD(c, "negative dim %lld in shape", (long long)sh[i]);
    if ((s = ir_broadcast_shape(c->node, x->rank, x->dims, r, sh, &rout, d))) return s;
    ir_set_out(c->out[0], x->dtype, rout, d);
    return check_shape(c->node, rout, d);
}

static ts_status infer_tile(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t rep[TS_MAX_RANK], d[TS_MAX_RANK];
    int r = 0;
    ts_status s = ir_shape_read_ints(c->node, c->in[1], "repeats", rep, TS_MAX_RANK, &r);
    if (s) return s;
    if (r != x->rank)
        return BAD(c, "%d repeats for rank %d", r, x->rank);
    for (int i = 0; i < r; i++) {
        if (rep[i] < 0 || (x->dims[i] && rep[i] > INT64_MAX / x->dims[i]))
            return BAD(c, "invalid repeat %lld", (long long)rep[i]);
        d[i] = x->dims[i] * rep[i];
    }
    ir_set_out(c->out[0], x->dtype, r, d);
    return check_shape(c->node, r, d);
}

static ts_status infer_pad(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int64_t b[TS_MAX_RANK], e[TS_MAX_RANK], d[TS_MAX_RANK];
    ir_pad_mode mode;
    ts_status s = ir_shape_pad(c->node, c->opset, c->in, c->n_in, x->rank, x->dims, b, e, &mode);
    if (s) return s;
    if (c->opset >= 11 && c->n_in > 2 && c->in[2]) {
        if (c->in[2]->dtype != x->dtype || ts_tensor_numel(c->in[2]) != 1)
            return BAD(c, "constant_value must be one %s", ts_dtype_name(x->dtype));
    }
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[i] + b[i] + e[i];
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return check_shape(c->node, x->rank, d);
}

/* ---- Shape, Size, ConstantOfShape, Constant, Range ----------------------------- */

static ts_status infer_shape(ir_infer_ctx *c) {
    int r = c->in[0]->rank;
    int64_t start = ir_attr_int(c->node, "start", 0), end = ir_attr_int(c->node, "end", r);
    if (c->opset < 15) { start = 0; end = r; }
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = TS_MIN(TS_MAX(start, 0), r);
    end = TS_MIN(TS_MAX(end, 0), r);
    int64_t len = end > start ? end - start : 0;
    ir_set_out(c->out[0], TS_I64, 1, &len);
    return TS_OK;
}

static ts_status infer_size(ir_infer_ctx *c) {
    ir_set_out(c->out[0], TS_I64, 0, NULL);
    return TS_OK;
}

static ts_status infer_constant_of_shape(ir_infer_ctx *c) {
    int64_t d[TS_MAX_RANK];
    int r = 0;
    ts_status s = ir_shape_read_ints(c->node, c->in[0], "shape", d, TS_MAX_RANK, &r);
    if (s) return s;
    for (int i = 0; i < r; i++)
        if (d[i] < 0) return BAD(c, "negative dim %lld", (long long)d[i]);
    ts_dtype dt = TS_F32;
    const ts_tensor *v = ir_attr_tensor(c->node, "value");
    if (v) {
        if (ts_tensor_numel(v) != 1 || ts_dtype_size(v->dtype) == 0)
            return BAD(c, "'value' must hold one numeric element");
        dt = v->dtype;
    }
    ir_set_out(c->out[0], dt, r, d);
    return check_shape(c->node, r, d);
}

static ts_status infer_constant(ir_infer_ctx *c) {
    const ir_node *n = c->node;
    int cnt;
    const ts_tensor *t = ir_attr_tensor(n, "value");
    if (t) {
        if (ts_dtype_size(t->dtype) == 0)
            return ts_error(TS_ERR_UNSUPPORTED, NODE_FMT "value of type %s is unsupported",
                            NODE_ARGS(n), ts_dtype_name(t->dtype));
        ir_set_out(c->out[0], t->dtype, t->rank, t->dims);
    } else if (ir_attr_find(n, "value_float")) {
        ir_set_out(c->out[0], TS_F32, 0, NULL);
    } else if (ir_attr_find(n, "value_int")) {
        ir_set_out(c->out[0], TS_I64, 0, NULL);
    } else if (ir_attr_find(n, "value_floats")) {
        ir_attr_floats(n, "value_floats", &cnt);
        ir_set_out(c->out[0], TS_F32, 1, (int64_t[]){cnt});
    } else if (ir_attr_find(n, "value_ints")) {
        ir_attr_ints(n, "value_ints", &cnt);
        ir_set_out(c->out[0], TS_I64, 1, (int64_t[]){cnt});
    } else if (ir_attr_find(n, "value_string") || ir_attr_find(n, "value_strings") ||
               ir_attr_find(n, "sparse_value")) {
        return ts_error(TS_ERR_UNSUPPORTED, NODE_FMT "string and sparse constants are unsupported",
                        NODE_ARGS(n));
    } else {
        return BAD(c, "no value attribute");
    }
    return TS_OK;
}

/* Range's element count; shared by the kernel through the output shape. */
static ts_status infer_range(ir_infer_ctx *c) {
    ts_dtype dt = c->in[0]->dtype;
    for (int i = 0; i < 3; i++) {
        if (!c->in[i]->data) return IR_NEED_VALUE;
        if (c->in[i]->dtype != dt || ts_tensor_numel(c->in[i]) != 1)
            return BAD(c, "start, limit and delta must be scalars of one type");
    }
    if (dt != TS_F32 && dt != TS_F64 && dt != TS_I16 && dt != TS_I32 && dt != TS_I64)
        return ts_error(TS_ERR_UNSUPPORTED, NODE_FMT "type %s unsupported", NODE_ARGS(c->node),
                        ts_dtype_name(dt));
    int64_t cnt;
    if (dt == TS_I64) {
        int64_t st = *(const int64_t *)c->in[0]->data, li = *(const int64_t *)c->in[1]->data,
                de = *(const int64_t *)c->in[2]->data;
        if (de == 0) return BAD(c, "delta is 0");
        /* long double avoids overflow of limit - start on extreme values */
        long double q = ceill(((long double)li - (long double)st) / (long double)de);
        cnt = q > 0 ? (q > 1e15L ? -1 : (int64_t)q) : 0;
    } else {
        double st = ts_tensor_get(c->in[0], 0), li = ts_tensor_get(c->in[1], 0),
               de = ts_tensor_get(c->in[2], 0);
        if (de == 0) return BAD(c, "delta is 0");
        double q = ceil((li - st) / de);
        if (isnan(q)) return BAD(c, "start/limit/delta not finite");
        cnt = q > 0 ? (q > 1e15 ? -1 : (int64_t)q) : 0;
    }
    if (cnt < 0 || cnt > ((int64_t)1 << 40)) return BAD(c, "range too long");
    ir_set_out(c->out[0], dt, 1, &cnt);
    return TS_OK;
}

/* ---- Compress, ReverseSequence --------------------------------------------- */

static ts_status infer_compress(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *cond = c->in[1];
    if (cond->rank != 1 || cond->dtype != TS_BOOL)
        return BAD(c, "condition must be a 1-D bool tensor");
    if (!cond->data) return IR_NEED_VALUE;
    const ir_attr *a = ir_attr_find(c->node, "axis");
    int64_t len = a ? 0 : ts_tensor_numel(x);
    int axis = -1;
    if (a) {
        ts_status s = ir_norm_axis(c->node, a->i, x->rank, &axis);
        if (s) return s;
        len = x->dims[axis];
    }
    int64_t kept = 0;
    const uint8_t *b = cond->data;
    for (int64_t i = 0; i < TS_MIN(len, cond->dims[0]); i++) kept += b[i] != 0;
    if (axis < 0) {
        ir_set_out(c->out[0], x->dtype, 1, &kept);
    } else {
        int64_t d[TS_MAX_RANK];
        memcpy(d, x->dims, sizeof d);
        d[axis] = kept;
        ir_set_out(c->out[0], x->dtype, x->rank, d);
    }
    return TS_OK;
}

static ts_status infer_reverse_sequence(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *len = c->in[1];
    int64_t ba = ir_attr_int(c->node, "batch_axis", 1), ta = ir_attr_int(c->node, "time_axis", 0);
    if (x->rank < 2 || (ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta)
        return BAD(c, "needs rank >= 2 and batch_axis/time_axis 0 and 1");
    if (len->rank != 1 || len->dims[0] != x->dims[ba] ||
        (len->dtype != TS_I64 && len->dtype != TS_I32))
        return BAD(c, "sequence_lens must be int64 of shape [%lld]",
                   (long long)x->dims[ba]);
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

/* ---- Unique ---------------------------------------------------------- */

/* Unique's axis, or -1 to flatten. */
static ts_status unique_params(const ir_node *n, const ts_tensor *x, int *axis) {
    const ir_attr *a = ir_attr_find(n, "axis");
    *axis = -1;
    return a ? ir_norm_axis(n, a->i, x->rank, axis) : TS_OK;
}

static ts_status infer_unique(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    int axis;
    ts_status s = unique_params(c->node, x, &axis);
    if (s) return s;
    ir_unique u;
    if ((s = ir_shape_unique(c->node, x, axis, ir_attr_int(c->node, "sorted", 1) != 0, &u)))
        return s;
    int64_t d[TS_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    if (axis >= 0) d[axis] = u.n_unique;
    else d[0] = u.n_unique;
    ir_set_out(c->out[0], x->dtype, axis >= 0 ? x->rank : 1, d);
    if (c->n_out > 1) ir_set_out(c->out[1], TS_I64, 1, &u.n_unique);
    if (c->n_out > 2) ir_set_out(c->out[2], TS_I64, 1, &u.n_slices);
    if (c->n_out > 3) ir_set_out(c->out[3], TS_I64, 1, &u.n_unique);
    ir_shape_unique_free(&u);
    return TS_OK;
}


/* Every op: required inputs present (an ONNX node may leave any input name
 * empty), and element types a memcpy cannot move (strings) rejected. */
static ts_status infer_checked(ir_infer_ctx *c, ir_infer_fn fn, int required, bool any_type) {
    for (int i = 0; i < required; i++)
        if (i >= c->n_in || !c->in[i])
            return BAD(c, "input %d is required", i);
    if (!any_type && c->n_in > 0 && c->in[0]) {
        ts_status s = check_dtype(c, c->in[0], "input 0");
        if (s) return s;
    }
    return fn(c);
}

#define CHECKED(name, required, any_type)                                     \
    static ts_status name##_checked(ir_infer_ctx *c) {                         \
        return infer_checked(c, name, required, any_type);                     \
    }
CHECKED(infer_reshape, 2, false) CHECKED(infer_flatten, 1, false)
CHECKED(infer_squeeze, 1, false) CHECKED(infer_unsqueeze, 1, false)
CHECKED(infer_transpose, 1, false) CHECKED(infer_concat, 1, false)
CHECKED(infer_split, 1, false) CHECKED(infer_slice, 1, false)
CHECKED(infer_gather, 2, false) CHECKED(infer_gather_elements, 2, false)
CHECKED(infer_gather_nd, 2, false) CHECKED(infer_scatter_nd, 3, false)
CHECKED(infer_scatter_elements, 3, false) CHECKED(infer_expand, 2, false)
CHECKED(infer_tile, 2, false) CHECKED(infer_pad, 1, false)
CHECKED(infer_compress, 2, false) CHECKED(infer_reverse_sequence, 2, false)
CHECKED(infer_shape, 1, true) CHECKED(infer_size, 1, true)
CHECKED(infer_constant_of_shape, 1, true) CHECKED(infer_range, 3, true)
CHECKED(infer_unique, 1, false)

const ir_opdef ir_ops_shape[] = {
    {"Reshape", 2, 2, 1, 1, infer_reshape_checked},
    {"Flatten", 1, 1, 1, 1, infer_flatten_checked},
    {"Squeeze", 1, 2, 1, 1, infer_squeeze_checked},
    {"Unsqueeze", 1, 2, 1, 1, infer_unsqueeze_checked},
    {"Transpose", 1, 1, 1, 1, infer_transpose_checked},
    {"Concat", 1, -1, 1, 1, infer_concat_checked},
    {"Split", 1, 2, 1, -1, infer_split_checked},
    {"Slice", 1, 5, 1, 1, infer_slice_checked},
    {"Gather", 2, 2, 1, 1, infer_gather_checked},
    {"GatherElements", 2, 2, 1, 1, infer_gather_elements_checked},
    {"GatherND", 2, 2, 1, 1, infer_gather_nd_checked},
    {"ScatterND", 3, 3, 1, 1, infer_scatter_nd_checked},
    {"ScatterElements", 3, 3, 1, 1, infer_scatter_elements_checked},
    {"Scatter", 3, 3, 1, 1, infer_scatter_elements_checked},
    {"Expand", 2, 2, 1, 1, infer_expand_checked},
    {"Tile", 2, 2, 1, 1, infer_tile_checked},
    {"Pad", 1, 4, 1, 1, infer_pad_checked},
    {"Shape", 1, 1, 1, 1, infer_shape_checked},
    {"Size", 1, 1, 1, 1, infer_size_checked},
    {"ConstantOfShape", 1, 1, 1, 1, infer_constant_of_shape_checked},
    {"Constant", 0, 0, 1, 1, infer_constant},
    {"Range", 3, 3, 1, 1, infer_range_checked},
    {"Compress", 2, 2, 1, 1, infer_compress_checked},
    {"ReverseSequence", 2, 2, 1, 1, infer_reverse_sequence_checked},
    {"Unique", 1, 1, 1, 4, infer_unique_checked},
    {NULL, 0, 0, 0, 0, NULL},
};

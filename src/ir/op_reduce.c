/* ir op table "reduce": Reduce*, ArgMax/ArgMin, the Softmax family, TopK,
 * CumSum, Trilu, OneHot, NonZero, Einsum (its parser: op_reduce_einsum.c). */
#include "ir/ir.h"
#include "ir/op_reduce.h"

#include <string.h>

static ts_status rd_bad_dtype(const ir_infer_ctx *c, int i, const char *want) {
    return ts_error(TS_ERR_INVALID, "node '%s' (%s): input %d has dtype %s, expected %s",
                    c->node->name, c->node->op_type, i, ts_dtype_name(c->in[i]->dtype), want);
}

static bool rd_is_int(ts_dtype t) { return t == TS_I32 || t == TS_I64; }

/* Integer element i of a shape-like tensor (int32/int64). */
static int64_t rd_int_at(const ts_tensor *t, int64_t i) {
    return t->dtype == TS_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* ---- Reduce* --------------------------------------------------------------- */

ts_status ir_reduce_axes(const ir_node *n, int opset, const ts_tensor *axes_in, int rank,
                         bool *mask, bool *noop) {
    /* the axes input (ReduceSum >= 13, others >= 18) wins; an attribute is
     * still read when no input is given (exporters mixing the two styles) */
    bool from_input = !strcmp(n->op_type, "ReduceSum") ? opset >= 13 : opset >= 18;
    int count = 0;
    const int64_t *attr = NULL;
    for (int d = 0; d < rank; d++) mask[d] = false;
    *noop = false;
    if (!from_input) axes_in = NULL;
    if (axes_in || ir_attr_find(n, "axes") == NULL) {
        if (axes_in && !axes_in->data) return IR_NEED_VALUE;
        if (axes_in && !rd_is_int(axes_in->dtype))
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): axes must be int64", n->name, n->op_type);
        count = axes_in ? (int)TS_MIN(ts_tensor_numel(axes_in), 64) : 0;
    } else {
        attr = ir_attr_ints(n, "axes", &count);
    }
    if (count == 0) {
        bool keep_all = ir_attr_int(n, "noop_with_empty_axes", 0) != 0;
        for (int d = 0; d < rank; d++) mask[d] = !keep_all;
        *noop = keep_all;
        return TS_OK;
    }
    for (int k = 0; k < count; k++) {
        int a;
        ts_status st = ir_norm_axis(n, attr ? attr[k] : rd_int_at(axes_in, k), rank, &a);
        if (st) return st;
        if (mask[a])
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): axis %d listed twice", n->name, n->op_type, a);
        mask[a] = true;
    }
    return TS_OK;
}

static ts_status rd_infer_reduce(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (!ts_dtype_is_float(x->dtype) && !ts_dtype_is_int(x->dtype)) return rd_bad_dtype(c, 0, "a numeric type");
    bool mask[TS_MAX_RANK], noop;
    ts_status st = ir_reduce_axes(c->node, c->opset, c->n_in > 1 ? c->in[1] : NULL, x->rank, mask, &noop);
    if (st) return st;
    bool keep = ir_attr_int(c->node, "keepdims", 1) != 0;
    int64_t d[TS_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!mask[i]) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    }
    ir_set_out(c->out[0], x->dtype, r, d);
    return TS_OK;
}

/* ---- ArgMax / ArgMin ------------------------------------------------------- */

static ts_status rd_infer_arg(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (ts_dtype_size(x->dtype) == 0 || x->dtype == TS_BOOL) return rd_bad_dtype(c, 0, "a numeric type");
    int axis;
    ts_status st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 0), TS_MAX(x->rank, 1), &axis);
    if (st) return st;
    if (x->rank > 0 && x->dims[axis] == 0)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): axis %d has size 0", c->node->name,
                        c->node->op_type, axis);
    bool keep = ir_attr_int(c->node, "keepdims", 1) != 0;
    int64_t d[TS_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != axis) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    }
    ir_set_out(c->out[0], TS_I64, r, d);
    return TS_OK;
}

/* ---- Softmax family ------------------------------------------------------ */

static ts_status rd_infer_softmax(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    int axis;
    int64_t def = c->opset >= 13 ? -1 : 1;
    if (x->rank == 0) return ts_error(TS_ERR_INVALID, "node '%s' (%s): input must have rank >= 1",
                                      c->node->name, c->node->op_type);
    ts_status st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", def), x->rank, &axis);
    if (st) return st;
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

/* ---- TopK ------------------------------------------------------------------ */

static ts_status rd_infer_topk(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (ts_dtype_size(x->dtype) == 0 || x->dtype == TS_BOOL) return rd_bad_dtype(c, 0, "a numeric type");
    int64_t k;
    if (c->opset < 10 || c->n_in < 2) {
        k = ir_attr_int(c->node, "k", -1);
    } else {
        const ts_tensor *kt = c->in[1];
        if (!rd_is_int(kt->dtype) || ts_tensor_numel(kt) != 1) return rd_bad_dtype(c, 1, "int64 of one element");
        if (!kt->data) return IR_NEED_VALUE;
        k = rd_int_at(kt, 0);
    }
    int axis;
    if (x->rank == 0) return ts_error(TS_ERR_INVALID, "node '%s' (TopK): input must have rank >= 1", c->node->name);
    ts_status st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", -1), x->rank, &axis);
    if (st) return st;
    if (k < 0 || k > x->dims[axis])
        return ts_error(TS_ERR_INVALID, "node '%s' (TopK): k = %lld outside [0, %lld]", c->node->name,
                        (long long)k, (long long)x->dims[axis]);
    int64_t d[TS_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    d[axis] = k;
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    ir_set_out(c->out[1], TS_I64, x->rank, d);
    return TS_OK;
}

/* ---- CumSum, Trilu --------------------------------------------------------- */

static ts_status rd_infer_cumsum(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *ax = c->in[1];
    if (!ts_dtype_is_float(x->dtype) && !ts_dtype_is_int(x->dtype)) return rd_bad_dtype(c, 0, "a numeric type");
    if (!rd_is_int(ax->dtype) || ts_tensor_numel(ax) != 1) return rd_bad_dtype(c, 1, "an int32/int64 scalar");
    if (x->rank == 0) return ts_error(TS_ERR_INVALID, "node '%s' (CumSum): input must have rank >= 1", c->node->name);
    if (ax->data) {
        int a;
        ts_status st = ir_norm_axis(c->node, rd_int_at(ax, 0), x->rank, &a);
        if (st) return st;
    }
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

static ts_status rd_infer_trilu(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (ts_dtype_size(x->dtype) == 0) return rd_bad_dtype(c, 0, "a tensor type");
    if (x->rank < 2) return ts_error(TS_ERR_INVALID, "node '%s' (Trilu): input must have rank >= 2", c->node->name);
    if (c->n_in > 1 && c->in[1] && (!rd_is_int(c->in[1]->dtype) || ts_tensor_numel(c->in[1]) != 1))
        return rd_bad_dtype(c, 1, "an int64 scalar");
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

/* ---- OneHot, NonZero -------------------------------------------------------- */

static ts_status rd_infer_onehot(ir_infer_ctx *c) {
    const ts_tensor *idx = c->in[0], *depth = c->in[1], *vals = c->in[2];
    if (ts_dtype_size(idx->dtype) == 0 || idx->dtype == TS_BOOL) return rd_bad_dtype(c, 0, "a numeric type");
    if (ts_tensor_numel(depth) != 1 || ts_dtype_size(depth->dtype) == 0) return rd_bad_dtype(c, 1, "a numeric scalar");
    if (ts_tensor_numel(vals) != 2 || ts_dtype_size(vals->dtype) == 0)
        return ts_error(TS_ERR_INVALID, "node '%s' (OneHot): values must have 2 elements", c->node->name);
    if (idx->rank + 1 > TS_MAX_RANK)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (OneHot): rank too large", c->node->name);
    if (!depth->data) return IR_NEED_VALUE;
    double dv = ts_tensor_get(depth, 0);
    if (!(dv >= 1 && dv < 1e12))
        return ts_error(TS_ERR_INVALID, "node '%s' (OneHot): depth %g must be >= 1", c->node->name, dv);
    int axis;
    ts_status st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", -1), idx->rank + 1, &axis);
    if (st) return st;
    int64_t d[TS_MAX_RANK];
    for (int i = 0, j = 0; i <= idx->rank; i++) d[i] = i == axis ? (int64_t)dv : idx->dims[j++];
    ir_set_out(c->out[0], vals->dtype, idx->rank + 1, d);
    return TS_OK;
}

static ts_status rd_infer_nonzero(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (ts_dtype_size(x->dtype) == 0) return rd_bad_dtype(c, 0, "a tensor type");
    if (!x->data) return IR_NEED_VALUE;
    int64_t m = ts_tensor_numel(x), nnz = 0;
    for (int64_t i = 0; i < m; i++) nnz += ts_tensor_get(x, i) != 0;
    ir_set_out(c->out[0], TS_I64, 2, (int64_t[]){TS_MAX(x->rank, 1), nnz});
    return TS_OK;
}

/* ---- Einsum ---------------------------------------------------------------- */

static ts_status rd_infer_einsum(ir_infer_ctx *c) {
    ir_einsum e;
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i]->dtype != c->in[0]->dtype) return rd_bad_dtype(c, i, ts_dtype_name(c->in[0]->dtype));
    if (!ts_dtype_is_float(c->in[0]->dtype) && !ts_dtype_is_int(c->in[0]->dtype))
        return rd_bad_dtype(c, 0, "a numeric type");
    ts_status st = ir_einsum_parse(c->node, c->in, c->n_in, &e);
    if (st) return st;
    int64_t d[TS_MAX_RANK];
    for (int i = 0; i < e.out_rank; i++) d[i] = e.size[e.out_labels[i]];
    ir_set_out(c->out[0], c->in[0]->dtype, e.out_rank, d);
    return TS_OK;
}

/* ---- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss --------------------- */

/* scores [N, C, d...], target [N, d...] (int), weight [C]; loss: target's
 * shape for reduction "none", else a scalar; SCE's log_prob like scores. */
static ts_status rd_infer_loss(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *t = c->in[1], *w = c->n_in > 2 ? c->in[2] : NULL;
    const char *red = ir_attr_string(c->node, "reduction", "mean");
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    if (!rd_is_int(t->dtype)) return rd_bad_dtype(c, 1, "int32 or int64");
    if (x->rank < 2 || t->rank != x->rank - 1)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): scores need rank >= 2 and the target one less",
                        c->node->name, c->node->op_type);
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] != x->dims[d == 0 ? 0 : d + 1])
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): target dim %d is %lld, scores give %lld",
                            c->node->name, c->node->op_type, d, (long long)t->dims[d],
                            (long long)x->dims[d == 0 ? 0 : d + 1]);
    if (w && (w->rank != 1 || w->dims[0] != x->dims[1] || w->dtype != x->dtype))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): weights must be [C] of the scores' dtype",
                        c->node->name, c->node->op_type);
    if (strcmp(red, "none") && strcmp(red, "sum") && strcmp(red, "mean"))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): reduction '%s' is not none, sum or mean",
                        c->node->name, c->node->op_type, red);
    if (!strcmp(red, "none")) ir_set_out(c->out[0], x->dtype, t->rank, t->dims);
    else ir_set_out(c->out[0], x->dtype, 0, NULL);
    if (c->n_out > 1 && c->out[1]) ir_set_out(c->out[1], x->dtype, x->rank, x->dims);
    return TS_OK;
}

/* ---- Det, MeanVarianceNormalization ------------------------------------------ */

static ts_status rd_infer_det(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return ts_error(TS_ERR_INVALID, "node '%s' (Det): input must be [..., M, M]", c->node->name);
    ir_set_out(c->out[0], x->dtype, x->rank - 2, x->dims);
    return TS_OK;
}

/* DFT: [..., C] with C = 1 (real) or 2 (complex) -> [..., 2]; the signal
 * axis cannot be the last; dft_length (an input) sets the length. */
static ts_status rd_infer_dft(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *len = c->n_in > 1 ? c->in[1] : NULL;
    int r = x->rank, axis;
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    if (r < 2 || (x->dims[r - 1] != 1 && x->dims[r - 1] != 2))
        return ts_error(TS_ERR_INVALID, "node '%s' (DFT): input must be [..., 1] (real) or [..., 2] (complex)",
                        c->node->name);
    int64_t a = ir_attr_int(c->node, "axis", 1);   /* [-r, -2] or [0, r-2]: never the C dim */
    if (a < 0) a += r;
    if (a < 0 || a > r - 2)
        return ts_error(TS_ERR_INVALID, "node '%s' (DFT): axis %lld out of range for rank %d", c->node->name,
                        (long long)ir_attr_int(c->node, "axis", 1), r);
    axis = (int)a;
    int64_t L = x->dims[axis];
    if (len) {
        if (!rd_is_int(len->dtype) || ts_tensor_numel(len) != 1) return rd_bad_dtype(c, 1, "an int scalar");
        if (!len->data) return IR_NEED_VALUE;
        L = rd_int_at(len, 0);
        if (L < 1) return ts_error(TS_ERR_INVALID, "node '%s' (DFT): dft_length %lld < 1", c->node->name, (long long)L);
    }
    bool onesided = ir_attr_int(c->node, "onesided", 0) != 0;
    if (onesided && ir_attr_int(c->node, "inverse", 0))
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (DFT): onesided inverse DFT is not supported", c->node->name);
    int64_t d[TS_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)r);
    d[axis] = onesided ? L / 2 + 1 : L;
    d[r - 1] = 2;
    ir_set_out(c->out[0], x->dtype, r, d);
    return TS_OK;
}

/* STFT: signal [B, T, 1|2], frame_step and frame_length scalars (values
 * needed), window [L]; [B, frames, bins, 2]. */
static ts_status rd_infer_stft(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0], *st = c->in[1];
    const ts_tensor *win = c->n_in > 2 ? c->in[2] : NULL, *fl = c->n_in > 3 ? c->in[3] : NULL;
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return ts_error(TS_ERR_INVALID, "node '%s' (STFT): signal must be [batch, length, 1 or 2]", c->node->name);
    if (!rd_is_int(st->dtype) || ts_tensor_numel(st) != 1) return rd_bad_dtype(c, 1, "an int scalar");
    if (fl && (!rd_is_int(fl->dtype) || ts_tensor_numel(fl) != 1)) return rd_bad_dtype(c, 3, "an int scalar");
    if (win && (win->rank != 1 || !ts_dtype_is_float(win->dtype))) return rd_bad_dtype(c, 2, "a 1-D float window");
    if (!fl && !win)
        return ts_error(TS_ERR_INVALID, "node '%s' (STFT): give a window or a frame_length", c->node->name);
    if (!st->data || (fl && !fl->data)) return IR_NEED_VALUE;
    int64_t step = rd_int_at(st, 0), L = fl ? rd_int_at(fl, 0) : win->dims[0];
    bool onesided = ir_attr_int(c->node, "onesided", 1) != 0;
    if (step < 1 || L < 1 || L > x->dims[1] || (win && win->dims[0] != L))
        return ts_error(TS_ERR_INVALID, "node '%s' (STFT): frame_step %lld / frame_length %lld / window do not fit a signal of %lld",
                        c->node->name, (long long)step, (long long)L, (long long)x->dims[1]);
    if (onesided && x->dims[2] == 2)
        return ts_error(TS_ERR_INVALID, "node '%s' (STFT): onesided needs a real signal", c->node->name);
    int64_t d[4] = {x->dims[0], (x->dims[1] - L) / step + 1, onesided ? L / 2 + 1 : L, 2};
    ir_set_out(c->out[0], x->dtype, 4, d);
    return TS_OK;
}

static ts_status rd_infer_mvn(ir_infer_ctx *c) {
    const ts_tensor *x = c->in[0];
    if (!ts_dtype_is_float(x->dtype)) return rd_bad_dtype(c, 0, "a float type");
    int na, a;
    const int64_t *axes = ir_attr_ints(c->node, "axes", &na);
    if (!axes && x->rank != 4)
        return ts_error(TS_ERR_INVALID, "node '%s' (MeanVarianceNormalization): default axes [0,2,3] need rank 4",
                        c->node->name);
    for (int k = 0; axes && k < na; k++) {
        ts_status st = ir_norm_axis(c->node, axes[k], x->rank, &a);
        if (st) return st;
    }
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

#define RED(name) {name, 1, 2, 1, 1, rd_infer_reduce}
const ir_opdef ir_ops_reduce[] = {
    RED("ReduceSum"), RED("ReduceMean"), RED("ReduceMax"), RED("ReduceMin"), RED("ReduceProd"),
    RED("ReduceL1"), RED("ReduceL2"), RED("ReduceSumSquare"), RED("ReduceLogSumExp"),
    RED("ReduceLogSum"),
    {"ArgMax", 1, 1, 1, 1, rd_infer_arg}, {"ArgMin", 1, 1, 1, 1, rd_infer_arg},
    {"Softmax", 1, 1, 1, 1, rd_infer_softmax}, {"LogSoftmax", 1, 1, 1, 1, rd_infer_softmax},
    {"Hardmax", 1, 1, 1, 1, rd_infer_softmax},
    {"TopK", 1, 2, 2, 2, rd_infer_topk},
    {"CumSum", 2, 2, 1, 1, rd_infer_cumsum},
    {"Trilu", 1, 2, 1, 1, rd_infer_trilu},
    {"OneHot", 3, 3, 1, 1, rd_infer_onehot},
    {"NonZero", 1, 1, 1, 1, rd_infer_nonzero},
    {"Einsum", 1, -1, 1, 1, rd_infer_einsum},
    {"NegativeLogLikelihoodLoss", 2, 3, 1, 1, rd_infer_loss},
    {"Det", 1, 1, 1, 1, rd_infer_det},
    {"DFT", 1, 2, 1, 1, rd_infer_dft},
    {"STFT", 2, 4, 1, 1, rd_infer_stft},
    {"MeanVarianceNormalization", 1, 1, 1, 1, rd_infer_mvn},
    {"SoftmaxCrossEntropyLoss", 2, 3, 1, 2, rd_infer_loss},
    {NULL, 0, 0, 0, 0, NULL}};

/*
 * op_nn.c: shape and type inference for the neural-network ops: MatMul,
 * Gemm, convolutions, pools, normalizations, Resize/Upsample, depth/space
 * rearrangements and the quantization ops.
 *
 * Spatial geometry (pads, auto_pad, ceil_mode, dilations) follows the ONNX
 * operator spec; the CPU kernels recompute begin pads from the shapes
 * inferred here, so both sides must agree on the output-size formulas.
 */
#include "ir/ir.h"

#include <math.h>
#include <string.h>

#define NODE_ERR(c, fmt, ...)                                                    \
    ts_error(TS_ERR_INVALID, "node '%s' (%s): " fmt, (c)->node->name,           \
             (c)->node->op_type, __VA_ARGS__)

static bool dtype_is_float(ts_dtype t) {
    return t == TS_F32 || t == TS_F64 || t == TS_F16 || t == TS_BF16;
}

/* Checks that input i is present with one of the accepted dtypes. */
static ts_status need_input(ir_infer_ctx *c, int i, int min_rank) {
    if (i >= c->n_in || !c->in[i]) return NODE_ERR(c, "input %d is required", i);
    if (c->in[i]->rank < min_rank)
        return NODE_ERR(c, "input %d has rank %d, needs at least %d", i, c->in[i]->rank, min_rank);
    return TS_OK;
}

static const ts_tensor *opt_in(ir_infer_ctx *c, int i) {
    return i < c->n_in ? c->in[i] : NULL;
}

/* ---- MatMul family ------------------------------------------------------- */

/* numpy.matmul shapes: 1-D operands are promoted and the added dim dropped. */
static ts_status matmul_shape(ir_infer_ctx *c, const ts_tensor *a, const ts_tensor *b,
                              int *rank, int64_t *dims) {
    if (a->rank < 1 || b->rank < 1) return NODE_ERR(c, "%s", "operands must have rank >= 1");
    int64_t ka = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (ka != kb) return NODE_ERR(c, "inner dimensions differ (%lld vs %lld)", (long long)ka, (long long)kb);
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int r = 0;
    int64_t batch[TS_MAX_RANK];
    ts_status st = ir_broadcast_shape(c->node, ra, a->dims, rb, b->dims, &r, batch);
    if (st) return st;
    memcpy(dims, batch, sizeof(int64_t) * (size_t)r);
    if (a->rank >= 2) dims[r++] = a->dims[a->rank - 2];
    if (b->rank >= 2) dims[r++] = b->dims[b->rank - 1];
    *rank = r;
    return TS_OK;
}

static ts_status infer_matmul(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 1);
    if (!st) st = need_input(c, 1, 1);
    if (st) return st;
    if (c->in[0]->dtype != c->in[1]->dtype) return NODE_ERR(c, "%s", "operand dtypes differ");
    int r;
    int64_t d[TS_MAX_RANK];
    if ((st = matmul_shape(c, c->in[0], c->in[1], &r, d))) return st;
    ir_set_out(c->out[0], c->in[0]->dtype, r, d);
    return TS_OK;
}

static bool is_q8(ts_dtype t) { return t == TS_I8 || t == TS_U8; }

static ts_status infer_matmul_integer(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 1);
    if (!st) st = need_input(c, 1, 1);
    if (st) return st;
    if (!is_q8(c->in[0]->dtype) || !is_q8(c->in[1]->dtype))
        return NODE_ERR(c, "%s", "operands must be int8 or uint8");
    int r;
    int64_t d[TS_MAX_RANK];
    if ((st = matmul_shape(c, c->in[0], c->in[1], &r, d))) return st;
    ir_set_out(c->out[0], TS_I32, r, d);
    return TS_OK;
}

/* QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) */
static ts_status infer_qlinear_matmul(ir_infer_ctx *c) {
    for (int i = 0; i < 8; i++) {
        ts_status st = need_input(c, i, 0);
        if (st) return st;
    }
    if (!is_q8(c->in[0]->dtype) || !is_q8(c->in[3]->dtype) || !is_q8(c->in[7]->dtype))
        return NODE_ERR(c, "%s", "a, b and y_zero_point must be int8 or uint8");
    int r;
    int64_t d[TS_MAX_RANK];
    ts_status st = matmul_shape(c, c->in[0], c->in[3], &r, d);
    if (st) return st;
    ir_set_out(c->out[0], c->in[7]->dtype, r, d);
    return TS_OK;
}

static ts_status infer_gemm(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 2);
    if (!st) st = need_input(c, 1, 2);
    if (st) return st;
    const ts_tensor *a = c->in[0], *b = c->in[1], *cc = opt_in(c, 2);
    if (a->rank != 2 || b->rank != 2) return NODE_ERR(c, "%s", "A and B must be 2-D");
    bool ta = ir_attr_int(c->node, "transA", 0) != 0, tb = ir_attr_int(c->node, "transB", 0) != 0;
    int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
    int64_t Kb = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
    if (K != Kb) return NODE_ERR(c, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)Kb);
    int64_t d[2] = {M, N};
    if (cc) {
        int r;
        int64_t bd[TS_MAX_RANK];
        if (cc->rank > 2) return NODE_ERR(c, "C has rank %d, at most 2", cc->rank);
        if ((st = ir_broadcast_shape(c->node, cc->rank, cc->dims, 2, d, &r, bd))) return st;
        if (bd[0] != M || bd[1] != N) return NODE_ERR(c, "%s", "C does not broadcast to [M, N]");
    }
    ir_set_out(c->out[0], a->dtype, 2, d);
    return TS_OK;
}

/* ---- convolution geometry ------------------------------------------------ */

/* Reads an optional per-axis INTS attribute of length n (default def). */
static ts_status spatial_ints(ir_infer_ctx *c, const char *name, int n, int64_t def, int64_t *out) {
    int cnt = 0;
    const int64_t *v = ir_attr_ints(c->node, name, &cnt);
    for (int i = 0; i < n; i++) out[i] = def;
    if (!v) return TS_OK;
    if (cnt != n) return NODE_ERR(c, "attribute %s has %d values, expected %d", name, cnt, n);
    for (int i = 0; i < n; i++) out[i] = v[i];
    return TS_OK;
}

typedef struct geom {
    int nsp;
    int64_t k[TS_MAX_RANK], s[TS_MAX_RANK], d[TS_MAX_RANK], pb[TS_MAX_RANK], pe[TS_MAX_RANK];
    int auto_pad;   /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
} geom;

/* Strides, dilations, pads and auto_pad, validated. kernel must be set. */
static ts_status read_geom(ir_infer_ctx *c, geom *g) {
    ts_status st;
    if ((st = spatial_ints(c, "strides", g->nsp, 1, g->s))) return st;
    if ((st = spatial_ints(c, "dilations", g->nsp, 1, g->d))) return st;
    int cnt = 0;
    const int64_t *p = ir_attr_ints(c->node, "pads", &cnt);
    if (p && cnt != 2 * g->nsp)
        return NODE_ERR(c, "attribute pads has %d values, expected %d", cnt, 2 * g->nsp);
    for (int i = 0; i < g->nsp; i++) {
        g->pb[i] = p ? p[i] : 0;
        g->pe[i] = p ? p[g->nsp + i] : 0;
        if (g->s[i] < 1 || g->d[i] < 1 || g->k[i] < 1 || g->pb[i] < 0 || g->pe[i] < 0)
            return NODE_ERR(c, "%s", "strides, dilations and kernel must be >= 1, pads >= 0");
    }
    const char *ap = ir_attr_string(c->node, "auto_pad", "NOTSET");
    if (!strcmp(ap, "NOTSET")) g->auto_pad = 0;
    else if (!strcmp(ap, "SAME_UPPER")) g->auto_pad = 1;
    else if (!strcmp(ap, "SAME_LOWER")) g->auto_pad = 2;
    else if (!strcmp(ap, "VALID")) g->auto_pad = 3;
    else return NODE_ERR(c, "unknown auto_pad '%s'", ap);
    return TS_OK;
}

/* Output size of one axis of Conv or a pool. */
static ts_status conv_out_dim(ir_infer_ctx *c, const geom *g, int i, int64_t in, bool ceil_mode,
                              int64_t *out) {
    int64_t dk = (g->k[i] - 1) * g->d[i] + 1;
    int64_t o;
    if (g->auto_pad == 1 || g->auto_pad == 2) o = (in + g->s[i] - 1) / g->s[i];
    else if (g->auto_pad == 3) o = in >= dk ? (in - dk) / g->s[i] + 1 : 0;
    else {
        int64_t span = in + g->pb[i] + g->pe[i] - dk;
        if (span < 0) return NODE_ERR(c, "kernel (%lld) larger than padded input (%lld) on spatial axis %d",
                                      (long long)dk, (long long)(in + g->pb[i] + g->pe[i]), i);
        o = (ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
        /* the last window must start inside the input or its begin padding */
        if (ceil_mode && (o - 1) * g->s[i] >= in + g->pb[i]) o--;
    }
    if (o < 0) o = 0;
    *out = o;
    return TS_OK;
}

/* Conv, ConvInteger, QLinearConv: x and w input indices, output dtype. */
static ts_status infer_conv_common(ir_infer_ctx *c, int xi, int wi, ts_dtype out_dtype) {
    ts_status st = need_input(c, xi, 3);
    if (!st) st = need_input(c, wi, 3);
    if (st) return st;
    const ts_tensor *x = c->in[xi], *w = c->in[wi];
    if (w->rank != x->rank) return NODE_ERR(c, "X has rank %d but W has rank %d", x->rank, w->rank);
    geom g = {.nsp = x->rank - 2};
    int cnt = 0;
    const int64_t *ks = ir_attr_ints(c->node, "kernel_shape", &cnt);
    if (ks && cnt != g.nsp) return NODE_ERR(c, "kernel_shape has %d values, expected %d", cnt, g.nsp);
    for (int i = 0; i < g.nsp; i++) {
        g.k[i] = w->dims[2 + i];
        if (ks && ks[i] != g.k[i]) return NODE_ERR(c, "%s", "kernel_shape does not match W");
    }
    if ((st = read_geom(c, &g))) return st;
    int64_t group = ir_attr_int(c->node, "group", 1);
    if (group < 1 || x->dims[1] % group || w->dims[0] % group || x->dims[1] / group != w->dims[1])
        return NODE_ERR(c, "channels: X has %lld, W expects %lld per group, group %lld (W has %lld outputs)",
                        (long long)x->dims[1], (long long)w->dims[1], (long long)group, (long long)w->dims[0]);
    int64_t d[TS_MAX_RANK] = {x->dims[0], w->dims[0]};
    for (int i = 0; i < g.nsp; i++)
        if ((st = conv_out_dim(c, &g, i, x->dims[2 + i], false, &d[2 + i]))) return st;
    ir_set_out(c->out[0], out_dtype, x->rank, d);
    return TS_OK;
}

static ts_status infer_conv(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (st) return st;
    const ts_tensor *b = opt_in(c, 2);
    if (b && (b->rank != 1 || (c->in[1] && b->dims[0] != c->in[1]->dims[0])))
        return NODE_ERR(c, "%s", "bias B must be 1-D with one value per output channel");
    return infer_conv_common(c, 0, 1, c->in[0]->dtype);
}

static ts_status infer_conv_integer(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (!st) st = need_input(c, 1, 3);
    if (st) return st;
    if (!is_q8(c->in[0]->dtype) || !is_q8(c->in[1]->dtype))
        return NODE_ERR(c, "%s", "x and w must be int8 or uint8");
    return infer_conv_common(c, 0, 1, TS_I32);
}

/* QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?) */
static ts_status infer_qlinear_conv(ir_infer_ctx *c) {
    for (int i = 0; i < 8; i++) {
        ts_status st = need_input(c, i, 0);
        if (st) return st;
    }
    if (!is_q8(c->in[0]->dtype) || !is_q8(c->in[3]->dtype) || !is_q8(c->in[7]->dtype))
        return NODE_ERR(c, "%s", "x, w and y_zero_point must be int8 or uint8");
    return infer_conv_common(c, 0, 3, c->in[7]->dtype);
}

static ts_status infer_conv_transpose(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (!st) st = need_input(c, 1, 3);
    if (st) return st;
    const ts_tensor *x = c->in[0], *w = c->in[1];
    if (w->rank != x->rank) return NODE_ERR(c, "X has rank %d but W has rank %d", x->rank, w->rank);
    geom g = {.nsp = x->rank - 2};
    for (int i = 0; i < g.nsp; i++) g.k[i] = w->dims[2 + i];
    int cnt = 0;
    const int64_t *ks = ir_attr_ints(c->node, "kernel_shape", &cnt);
    if (ks && cnt != g.nsp) return NODE_ERR(c, "kernel_shape has %d values, expected %d", cnt, g.nsp);
    if ((st = read_geom(c, &g))) return st;
    int64_t group = ir_attr_int(c->node, "group", 1);
    if (group < 1 || x->dims[1] != w->dims[0] || w->dims[0] % group)
        return NODE_ERR(c, "X has %lld channels, W has %lld, group %lld", (long long)x->dims[1],
                        (long long)w->dims[0], (long long)group);
    int64_t opad[TS_MAX_RANK], oshape[TS_MAX_RANK];
    if ((st = spatial_ints(c, "output_padding", g.nsp, 0, opad))) return st;
    const int64_t *os = ir_attr_ints(c->node, "output_shape", &cnt);
    if (os && cnt != g.nsp && cnt != x->rank)
        return NODE_ERR(c, "output_shape has %d values, expected %d", cnt, g.nsp);
    const ts_tensor *b = opt_in(c, 2);
    int64_t m = w->dims[1] * group;
    if (b && (b->rank != 1 || b->dims[0] != m))
        return NODE_ERR(c, "%s", "bias B must be 1-D with one value per output channel");
    int64_t d[TS_MAX_RANK] = {x->dims[0], m};
    for (int i = 0; i < g.nsp; i++) {
        if (os) oshape[i] = os[cnt - g.nsp + i];
        int64_t dk = (g.k[i] - 1) * g.d[i] + 1;
        if (os) d[2 + i] = oshape[i];
        else if (g.auto_pad == 1 || g.auto_pad == 2) d[2 + i] = x->dims[2 + i] * g.s[i];
        else d[2 + i] = g.s[i] * (x->dims[2 + i] - 1) + opad[i] + dk - g.pb[i] - g.pe[i];
        if (d[2 + i] < 0) return NODE_ERR(c, "negative output size on spatial axis %d", i);
    }
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

/* ---- pools ----------------------------------------------------------------- */

static ts_status infer_pool(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    geom g = {.nsp = x->rank - 2};
    int cnt = 0;
    const int64_t *ks = ir_attr_ints(c->node, "kernel_shape", &cnt);
    if (!ks || cnt != g.nsp) return NODE_ERR(c, "kernel_shape needs %d values", g.nsp);
    for (int i = 0; i < g.nsp; i++) g.k[i] = ks[i];
    if ((st = read_geom(c, &g))) return st;
    bool ceil_mode = ir_attr_int(c->node, "ceil_mode", 0) != 0;
    int64_t d[TS_MAX_RANK] = {x->dims[0], x->dims[1]};
    for (int i = 0; i < g.nsp; i++)
        if ((st = conv_out_dim(c, &g, i, x->dims[2 + i], ceil_mode, &d[2 + i]))) return st;
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    if (c->n_out > 1 && c->out[1]) ir_set_out(c->out[1], TS_I64, x->rank, d);
    return TS_OK;
}

static ts_status infer_global_pool(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 2);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    int64_t d[TS_MAX_RANK];
    for (int i = 0; i < x->rank; i++) d[i] = i < 2 ? x->dims[i] : 1;
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

/* ---- normalizations --------------------------------------------------------- */

/* Checks that input i is 1-D of length n. */
static ts_status need_vec(ir_infer_ctx *c, int i, int64_t n, const char *what) {
    const ts_tensor *t = opt_in(c, i);
    if (!t) return NODE_ERR(c, "input %s is required", what);
    if (ts_shape_numel(t->rank, t->dims) != n)
        return NODE_ERR(c, "%s has %lld values, expected %lld", what,
                        (long long)ts_shape_numel(t->rank, t->dims), (long long)n);
    return TS_OK;
}

static ts_status infer_batchnorm(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 2);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    static const char *names[] = {"scale", "B", "mean", "var"};
    for (int i = 1; i < 5; i++)
        if ((st = need_vec(c, i, x->dims[1], names[i - 1]))) return st;
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    for (int i = 1; i < c->n_out; i++)
        if (c->out[i]) ir_set_out(c->out[i], c->in[3]->dtype, 1, &x->dims[1]);
    return TS_OK;
}

static ts_status infer_instancenorm(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    if ((st = need_vec(c, 1, x->dims[1], "scale")) || (st = need_vec(c, 2, x->dims[1], "B"))) return st;
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

static ts_status infer_groupnorm(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 2);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    int64_t groups = ir_attr_int(c->node, "num_groups", 0);
    if (groups < 1 || x->dims[1] % groups)
        return NODE_ERR(c, "num_groups %lld must divide the %lld channels", (long long)groups,
                        (long long)x->dims[1]);
    /* opset 18 had per-group scale/bias; opset 21 per-channel */
    const ts_tensor *s = opt_in(c, 1);
    int64_t n = s ? ts_shape_numel(s->rank, s->dims) : 0;
    if (n != x->dims[1] && n != groups) return NODE_ERR(c, "scale has %lld values", (long long)n);
    if ((st = need_vec(c, 2, n, "bias"))) return st;
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    return TS_OK;
}

static ts_status infer_layernorm(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 1);
    if (!st) st = need_input(c, 1, 0);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    int axis;
    if ((st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", -1), x->rank, &axis))) return st;
    int64_t inner = 1;
    for (int i = axis; i < x->rank; i++) inner *= x->dims[i];
    const ts_tensor *s = c->in[1], *b = opt_in(c, 2);
    int r;
    int64_t bd[TS_MAX_RANK];
    /* Scale and B broadcast over the normalized dims. */
    if ((st = ir_broadcast_shape(c->node, x->rank - axis, x->dims + axis, s->rank, s->dims, &r, bd)))
        return st;
    if (r != x->rank - axis || ts_shape_numel(r, bd) != inner)
        return NODE_ERR(c, "%s", "Scale does not broadcast to the normalized dims");
    if (b && ((st = ir_broadcast_shape(c->node, x->rank - axis, x->dims + axis, b->rank, b->dims, &r, bd)) ||
              ts_shape_numel(r, bd) != inner))
        return st ? st : NODE_ERR(c, "%s", "B does not broadcast to the normalized dims");
    ir_set_out(c->out[0], x->dtype, x->rank, x->dims);
    int64_t d[TS_MAX_RANK];
    for (int i = 0; i < x->rank; i++) d[i] = i < axis ? x->dims[i] : 1;
    ts_dtype st_type = (ts_dtype)ir_attr_int(c->node, "stash_type", TS_F32);
    for (int i = 1; i < c->n_out && i < 3; i++)
        if (c->out[i]) ir_set_out(c->out[i], st_type == TS_F64 ? TS_F64 : TS_F32, x->rank, d);
    return TS_OK;
}

static ts_status infer_same_shape(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 0);
    if (st) return st;
    ir_set_out(c->out[0], c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

static ts_status infer_lrn(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 3);
    if (st) return st;
    if (ir_attr_int(c->node, "size", 0) < 1) return NODE_ERR(c, "%s", "attribute size must be >= 1");
    return infer_same_shape(c);
}

/* ---- Resize / Upsample ------------------------------------------------------ */

/* Reads a float input (scales) into out; count must match. */
static ts_status read_floats(ir_infer_ctx *c, const ts_tensor *t, int n, double *out, const char *what) {
    if (ts_shape_numel(t->rank, t->dims) != n)
        return NODE_ERR(c, "%s has %lld values, expected %d", what,
                        (long long)ts_shape_numel(t->rank, t->dims), n);
    for (int i = 0; i < n; i++) out[i] = ts_tensor_get(t, i);
    return TS_OK;
}

static ts_status resize_out(ir_infer_ctx *c, const ts_tensor *x, const double *scales) {
    int64_t d[TS_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (!(scales[i] > 0) || !isfinite(scales[i]))
            return NODE_ERR(c, "scale %g on axis %d must be positive", scales[i], i);
        double v = floor((double)x->dims[i] * scales[i]);
        if (v > 1e12) return NODE_ERR(c, "output dim %g on axis %d is absurd", v, i);
        d[i] = (int64_t)v;
    }
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

/* Axes for Resize opset 18+: every axis by default. */
static ts_status resize_axes(ir_infer_ctx *c, int rank, int *axes, int *n) {
    int cnt = 0;
    const int64_t *a = ir_attr_ints(c->node, "axes", &cnt);
    if (!a) {
        for (int i = 0; i < rank; i++) axes[i] = i;
        *n = rank;
        return TS_OK;
    }
    if (cnt > rank) return NODE_ERR(c, "%d axes for rank %d", cnt, rank);
    for (int i = 0; i < cnt; i++) {
        ts_status st = ir_norm_axis(c->node, a[i], rank, &axes[i]);
        if (st) return st;
    }
    *n = cnt;
    return TS_OK;
}

static ts_status infer_resize(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 1);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    const ts_tensor *scales = opt_in(c, c->opset >= 11 ? 2 : 1), *sizes = c->opset >= 11 ? opt_in(c, 3) : NULL;
    if (scales && ts_shape_numel(scales->rank, scales->dims) == 0) scales = NULL;
    if (sizes && ts_shape_numel(sizes->rank, sizes->dims) == 0) sizes = NULL;
    if (!scales == !sizes) return NODE_ERR(c, "%s", "exactly one of scales and sizes must be given");
    const ts_tensor *v = scales ? scales : sizes;
    if (!v->data) return IR_NEED_VALUE;
    int axes[TS_MAX_RANK], na = 0;
    if ((st = resize_axes(c, x->rank, axes, &na))) return st;
    double vals[TS_MAX_RANK];
    if ((st = read_floats(c, v, na, vals, scales ? "scales" : "sizes"))) return st;
    if (scales) {
        double full[TS_MAX_RANK];
        for (int i = 0; i < x->rank; i++) full[i] = 1.0;
        for (int i = 0; i < na; i++) full[axes[i]] = vals[i];
        return resize_out(c, x, full);
    }
    int64_t d[TS_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    const char *policy = ir_attr_string(c->node, "keep_aspect_ratio_policy", "stretch");
    double scale = strcmp(policy, "not_smaller") ? 1e300 : 0;
    for (int i = 0; i < na; i++) {
        if (vals[i] < 0 || vals[i] > 1e12) return NODE_ERR(c, "size %g is invalid", vals[i]);
        double s = x->dims[axes[i]] ? vals[i] / (double)x->dims[axes[i]] : 1.0;
        scale = strcmp(policy, "not_smaller") ? fmin(scale, s) : fmax(scale, s);
        d[axes[i]] = (int64_t)vals[i];
    }
    if (strcmp(policy, "stretch"))
        for (int i = 0; i < na; i++) d[axes[i]] = (int64_t)floor((double)x->dims[axes[i]] * scale + 0.5);
    ir_set_out(c->out[0], x->dtype, x->rank, d);
    return TS_OK;
}

static ts_status infer_upsample(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 1);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    double s[TS_MAX_RANK];
    if (c->opset < 9) {
        int cnt = 0;
        const float *f = ir_attr_floats(c->node, "scales", &cnt);
        if (!f || cnt != x->rank) return NODE_ERR(c, "attribute scales needs %d values", x->rank);
        for (int i = 0; i < cnt; i++) s[i] = f[i];
    } else {
        if ((st = need_input(c, 1, 0))) return st;
        if (!c->in[1]->data) return IR_NEED_VALUE;
        if ((st = read_floats(c, c->in[1], x->rank, s, "scales"))) return st;
    }
    return resize_out(c, x, s);
}

/* ---- DepthToSpace / SpaceToDepth --------------------------------------------- */

static ts_status infer_depth_space(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 4);
    if (st) return st;
    const ts_tensor *x = c->in[0];
    int64_t b = ir_attr_int(c->node, "blocksize", 0);
    if (x->rank != 4 || b < 1) return NODE_ERR(c, "%s", "needs a 4-D input and blocksize >= 1");
    int64_t d[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
    if (!strcmp(c->node->op_type, "DepthToSpace")) {
        if (d[1] % (b * b)) return NODE_ERR(c, "channels %lld not divisible by blocksize^2", (long long)d[1]);
        d[1] /= b * b; d[2] *= b; d[3] *= b;
    } else {
        if (d[2] % b || d[3] % b) return NODE_ERR(c, "%s", "spatial dims not divisible by blocksize");
        d[1] *= b * b; d[2] /= b; d[3] /= b;
    }
    ir_set_out(c->out[0], x->dtype, 4, d);
    return TS_OK;
}

/* ---- quantization ------------------------------------------------------------ */

/* Scale and zero point: a scalar, or 1-D along axis. */
static ts_status check_qparams(ir_infer_ctx *c, const ts_tensor *x, const ts_tensor *s,
                               const ts_tensor *zp) {
    int64_t n = ts_shape_numel(s->rank, s->dims);
    if (n != 1 || s->rank > 1) {
        int axis;
        ts_status st = ir_norm_axis(c->node, ir_attr_int(c->node, "axis", 1), x->rank, &axis);
        if (st) return st;
        if (s->rank != 1 || s->dims[0] != x->dims[axis])
            return NODE_ERR(c, "scale has %lld values for axis %d of size %lld", (long long)n, axis,
                            (long long)x->dims[axis]);
    }
    if (zp && ts_shape_numel(zp->rank, zp->dims) != n)
        return NODE_ERR(c, "%s", "zero point and scale differ in size");
    return TS_OK;
}

static ts_status infer_quantize(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 0);
    if (!st) st = need_input(c, 1, 0);
    if (st) return st;
    const ts_tensor *zp = opt_in(c, 2);
    if ((st = check_qparams(c, c->in[0], c->in[1], zp))) return st;
    ts_dtype t = zp ? zp->dtype : (ts_dtype)ir_attr_int(c->node, "output_dtype", TS_U8);
    if (t == TS_UNDEFINED) t = TS_U8;
    if (t != TS_I8 && t != TS_U8 && t != TS_I16 && t != TS_U16 && t != TS_I32)
        return NODE_ERR(c, "unsupported output type %s", ts_dtype_name(t));
    ir_set_out(c->out[0], t, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

static ts_status infer_dequantize(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 0);
    if (!st) st = need_input(c, 1, 0);
    if (st) return st;
    if ((st = check_qparams(c, c->in[0], c->in[1], opt_in(c, 2)))) return st;
    ts_dtype t = dtype_is_float(c->in[1]->dtype) ? c->in[1]->dtype : TS_F32;
    ir_set_out(c->out[0], t, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

static ts_status infer_dynamic_quantize(ir_infer_ctx *c) {
    ts_status st = need_input(c, 0, 0);
    if (st) return st;
    if (c->in[0]->dtype != TS_F32) return NODE_ERR(c, "%s", "input must be float32");
    ir_set_out(c->out[0], TS_U8, c->in[0]->rank, c->in[0]->dims);
    if (c->n_out > 1 && c->out[1]) ir_set_out(c->out[1], TS_F32, 0, NULL);
    if (c->n_out > 2 && c->out[2]) ir_set_out(c->out[2], TS_U8, 0, NULL);
    return TS_OK;
}

const ir_opdef ir_ops_nn[] = {
    {"MatMul", 2, 2, 1, 1, infer_matmul},
    {"MatMulInteger", 2, 4, 1, 1, infer_matmul_integer},
    {"QLinearMatMul", 8, 8, 1, 1, infer_qlinear_matmul},
    {"Gemm", 2, 3, 1, 1, infer_gemm},
    {"Conv", 2, 3, 1, 1, infer_conv},
    {"ConvInteger", 2, 4, 1, 1, infer_conv_integer},
    {"QLinearConv", 8, 9, 1, 1, infer_qlinear_conv},
    {"ConvTranspose", 2, 3, 1, 1, infer_conv_transpose},
    {"MaxPool", 1, 1, 1, 2, infer_pool},
    {"AveragePool", 1, 1, 1, 1, infer_pool},
    {"GlobalAveragePool", 1, 1, 1, 1, infer_global_pool},
    {"GlobalMaxPool", 1, 1, 1, 1, infer_global_pool},
    {"BatchNormalization", 5, 5, 1, 5, infer_batchnorm},
    {"InstanceNormalization", 3, 3, 1, 1, infer_instancenorm},
    {"LayerNormalization", 2, 3, 1, 3, infer_layernorm},
    {"GroupNormalization", 3, 3, 1, 1, infer_groupnorm},
    {"LRN", 1, 1, 1, 1, infer_lrn},
    {"Resize", 1, 4, 1, 1, infer_resize},
    {"Upsample", 1, 2, 1, 1, infer_upsample},
    {"DepthToSpace", 1, 1, 1, 1, infer_depth_space},
    {"SpaceToDepth", 1, 1, 1, 1, infer_depth_space},
    {"QuantizeLinear", 2, 3, 1, 1, infer_quantize},
    {"DequantizeLinear", 2, 3, 1, 1, infer_dequantize},
    {"DynamicQuantizeLinear", 1, 1, 1, 3, infer_dynamic_quantize},
    {NULL, 0, 0, 0, 0, NULL},
};

/* pass_fold_batchnorm.c: Conv (or ConvTranspose) followed by an
 * inference-mode BatchNormalization becomes one Conv. With
 * s = scale / sqrt(var + eps), for every weight of output channel m:
 *   W'[m,...] = W[m,...] * s[m]
 *   B'[m]     = (B[m] - mean[m]) * s[m] + bias[m]
 * which is BN(Conv(x)) exactly up to float rounding (computed in double).
 * Only float32 constants are folded; the BN must be the Conv output's only
 * reader and the Conv output no graph output. New constants are made (the
 * old W may be shared); eliminate-dead/compact drop the unused ones. */
#include "ir/ir_int.h"

#include <math.h>
#include <string.h>

static const ts_tensor *ir_f32_const(const ir_graph *g, const ir_node *n, int k) {
    if (k >= n->n_in || n->in[k] < 0) return NULL;
    const ts_tensor *t = g->values[n->in[k]].data;
    return t && t->dtype == TS_F32 ? t : NULL;
}

static bool ir_vec_of(const ts_tensor *t, int64_t m) { return t && t->rank == 1 && t->dims[0] == m; }

/* The BN node that is the only reader of conv's output, if it qualifies. */
static ir_node *ir_bn_after(ir_graph *g, const ir_uses *u, const ir_node *conv, int64_t m) {
    int y = conv->out[0];
    if (y < 0 || g->values[y].is_output || ir_uses_count(u, y) != 1) return NULL;
    ir_node *bn = &g->nodes[u->node[u->start[y]]];
    if (strcmp(bn->op_type, "BatchNormalization") || (bn->domain && *bn->domain)) return NULL;
    if (bn->n_in != 5 || bn->in[0] != y || ir_attr_int(bn, "training_mode", 0) != 0) return NULL;
    for (int k = 1; k < bn->n_out; k++)
        if (bn->out[k] >= 0) return NULL;          /* training outputs requested */
    for (int k = 1; k < 5; k++)
        if (!ir_vec_of(ir_f32_const(g, bn, k), m)) return NULL;
    return bn;
}

/* Output channels of a Conv ([M, C/g, k...] weights) or a ConvTranspose
 * ([C, M/g, k...] weights). */
static int64_t ir_out_channels(const ir_node *conv, const ts_tensor *w) {
    if (strcmp(conv->op_type, "ConvTranspose")) return w->dims[0];
    return w->dims[1] * ir_attr_int(conv, "group", 1);
}

/* Scales each weight by s of its output channel. */
static void ir_scale_weights(const ir_node *conv, ts_tensor *w, const double *s) {
    float *wf = w->data;
    int64_t rows = w->dims[0], cols = w->dims[1], k = ts_tensor_numel(w) / (rows * cols);
    bool transposed = !strcmp(conv->op_type, "ConvTranspose");
    int64_t rows_per_group = rows / ir_attr_int(conv, "group", 1);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            int64_t m = transposed ? (r / rows_per_group) * cols + c : r;
            for (int64_t i = 0; i < k; i++) wf[(r * cols + c) * k + i] = (float)((double)wf[(r * cols + c) * k + i] * s[m]);
        }
}

/* Computes the folded weights and bias into new tensors. */
static ts_status ir_bn_fold_math(const ir_graph *g, const ir_node *conv, const ir_node *bn,
                                 ts_tensor **w_out, ts_tensor **b_out) {
    const ts_tensor *w = ir_f32_const(g, conv, 1), *b = ir_f32_const(g, conv, 2);
    const float *sc = ir_f32_const(g, bn, 1)->data, *bi = ir_f32_const(g, bn, 2)->data;
    const float *mean = ir_f32_const(g, bn, 3)->data, *var = ir_f32_const(g, bn, 4)->data;
    double eps = ir_attr_float(bn, "epsilon", 1e-5f);
    int64_t m = ir_out_channels(conv, w);
    double *s = ts_malloc((size_t)(m ? m : 1) * sizeof *s);
    *w_out = ts_tensor_clone(w);
    *b_out = ts_tensor_new(TS_F32, 1, &m);
    if (!s || !*w_out || !*b_out) { ts_free(s); return TS_ERR_NOMEM; }
    float *bf = (*b_out)->data;
    for (int64_t c = 0; c < m; c++) {
        s[c] = (double)sc[c] / sqrt((double)var[c] + eps);
        double b0 = b ? ((const float *)b->data)[c] : 0.0;
        bf[c] = (float)((b0 - mean[c]) * s[c] + bi[c]);
    }
    ir_scale_weights(conv, *w_out, s);
    ts_free(s);
    return TS_OK;
}

/* Adds the folded tensors as constants and rewires conv; marks bn dead. */
static ts_status ir_bn_rewire(ir_graph *g, int ci, int bi, ts_tensor *w, ts_tensor *b) {
    int wid = ir_add_const(g, NULL, w);
    int bid = wid < 0 ? -1 : ir_add_const(g, NULL, b);
    if (wid < 0) ts_tensor_free(b);
    if (bid < 0) return TS_ERR_NOMEM;
    ir_node *conv = &g->nodes[ci], *bn = &g->nodes[bi];
    if (conv->n_in < 3) {
        int *in = ts_realloc(conv->in, 3 * sizeof *in);
        if (!in) return TS_ERR_NOMEM;
        conv->in = in;
        conv->n_in = 3;
    }
    conv->in[1] = wid;
    conv->in[2] = bid;
    conv->out[0] = bn->out[0];
    bn->dead = true;
    return TS_OK;
}

static bool ir_is_conv(const ir_graph *g, const ir_node *n) {
    if (n->dead || (n->domain && *n->domain) || n->n_out != 1) return false;
    if (strcmp(n->op_type, "Conv") && strcmp(n->op_type, "ConvTranspose")) return false;
    const ts_tensor *w = ir_f32_const(g, n, 1);
    int64_t group = ir_attr_int(n, "group", 1);
    if (!w || w->rank < 3 || ir_attr_find(n, "activation") || group < 1 || w->dims[0] % group) return false;
    if (ts_tensor_numel(w) == 0) return false;
    return n->n_in < 3 || n->in[2] < 0 || ir_vec_of(ir_f32_const(g, n, 2), ir_out_channels(n, w));
}

ts_status ir_pass_fold_batchnorm(ir_graph *g) {
    ir_uses u;
    if (ir_uses_build(g, &u)) return TS_ERR_NOMEM;
    ts_status st = TS_OK;
    int n_nodes = g->n_nodes;
    for (int i = 0; i < n_nodes && st == TS_OK; i++) {
        if (!ir_is_conv(g, &g->nodes[i])) continue;
        ir_node *bn = ir_bn_after(g, &u, &g->nodes[i], ir_out_channels(&g->nodes[i], g->values[g->nodes[i].in[1]].data));
        if (!bn) continue;
        ts_tensor *w = NULL, *b = NULL;
        st = ir_bn_fold_math(g, &g->nodes[i], bn, &w, &b);
        if (st == TS_OK) st = ir_bn_rewire(g, i, (int)(bn - g->nodes), w, b);
        else { ts_tensor_free(w); ts_tensor_free(b); }
    }
    ir_uses_free(&u);
    return st ? st : ir_compact(g);
}

/* pass_fold_conv_affine.c: a Conv followed by Mul, Add or Sub with a
 * per-channel (or scalar) float32 constant becomes one Conv:
 *   Mul by k:  W'[m,...] = W[m,...] * k[m],  B'[m] = B[m] * k[m]
 *   Add k:     B'[m] = B[m] + k[m]         Sub k (y - k):  B'[m] = B[m] - k[m]
 * Exporters emit these for learnable scales (PaddleOCR's MobileOne blocks,
 * frozen batch norms written out as Mul+Add). The constant must broadcast
 * over the channel axis only, so the output shape does not change; the Conv
 * output must be read only by that node and be no graph output. */
#include "ir/ir_int.h"

#include <string.h>

/* k's value for channel m, if k broadcasts only along axis 1 of a rank-r
 * output with M channels; NULL when it does not. */
static const float *ir_channel_const(const ts_tensor *k, int r, int64_t M) {
    if (!k || k->dtype != TS_F32 || k->rank > r) return NULL;
    for (int i = 0; i < k->rank; i++) {
        int axis = r - k->rank + i;
        if (k->dims[i] != 1 && !(axis == 1 && k->dims[i] == M)) return NULL;
    }
    return k->data;
}

static float ir_kval(const ts_tensor *k, const float *v, int64_t m) { return ts_tensor_numel(k) == 1 ? v[0] : v[m]; }

/* The affine node after conv: op and the constant operand's index. */
static ir_node *ir_affine_after(ir_graph *g, const ir_uses *u, const ir_node *conv, int *kidx) {
    int y = conv->out[0];
    if (y < 0 || g->values[y].is_output || ir_uses_count(u, y) != 1) return NULL;
    ir_node *a = &g->nodes[u->node[u->start[y]]];
    if (a->dead || (a->domain && *a->domain) || a->n_in != 2 || a->n_out != 1 || a->out[0] < 0) return NULL;
    bool mul = !strcmp(a->op_type, "Mul"), add = !strcmp(a->op_type, "Add"), sub = !strcmp(a->op_type, "Sub");
    if (!mul && !add && !sub) return NULL;
    *kidx = a->in[0] == y ? 1 : 0;
    if (a->in[1 - *kidx] != y || (sub && *kidx != 1)) return NULL;
    return a;
}

/* New weights and bias for conv after affine node a with constant k. */
static ts_status ir_affine_math(const ir_graph *g, const ir_node *conv, const ir_node *a, const ts_tensor *k,
                                ts_tensor **w_out, ts_tensor **b_out) {
    const ts_tensor *w = g->values[conv->in[1]].data;
    const ts_tensor *b = conv->n_in > 2 && conv->in[2] >= 0 ? g->values[conv->in[2]].data : NULL;
    int64_t M = w->dims[0], per = M ? ts_tensor_numel(w) / M : 0;
    const float *kv = ir_channel_const(k, w->rank, M);
    bool mul = !strcmp(a->op_type, "Mul");
    float sign = !strcmp(a->op_type, "Sub") ? -1.0f : 1.0f;
    *w_out = mul ? ts_tensor_clone(w) : NULL;
    *b_out = ts_tensor_new(TS_F32, 1, &M);
    if ((mul && !*w_out) || !*b_out) return TS_ERR_NOMEM;
    float *bf = (*b_out)->data;
    for (int64_t m = 0; m < M; m++) {
        float b0 = b ? ((const float *)b->data)[m] : 0.0f, km = ir_kval(k, kv, m);
        bf[m] = mul ? b0 * km : b0 + sign * km;
        for (int64_t i = 0; mul && i < per; i++) ((float *)(*w_out)->data)[m * per + i] *= km;
    }
    return TS_OK;
}

static bool ir_is_plain_conv(const ir_graph *g, const ir_node *n) {
    if (n->dead || strcmp(n->op_type, "Conv") || (n->domain && *n->domain) || n->n_out != 1 || n->n_in < 2) return false;
    const ts_tensor *w = n->in[1] >= 0 ? g->values[n->in[1]].data : NULL;
    if (!w || w->dtype != TS_F32 || w->rank < 3 || ir_attr_find(n, "activation")) return false;
    const ts_tensor *b = n->n_in > 2 && n->in[2] >= 0 ? g->values[n->in[2]].data : NULL;
    return n->n_in < 3 || n->in[2] < 0 || (b && b->dtype == TS_F32 && b->rank == 1 && b->dims[0] == w->dims[0]);
}

/* Folds one affine node into conv i; false when there is none to fold. */
static bool ir_fold_one(ir_graph *g, const ir_uses *u, int i, ts_status *st) {
    int kidx;
    ir_node *a = ir_is_plain_conv(g, &g->nodes[i]) ? ir_affine_after(g, u, &g->nodes[i], &kidx) : NULL;
    const ts_tensor *k = a && a->in[kidx] >= 0 ? g->values[a->in[kidx]].data : NULL;
    const ts_tensor *w = a ? g->values[g->nodes[i].in[1]].data : NULL;
    if (!k || !ir_channel_const(k, w->rank, w->dims[0])) return false;
    ts_tensor *nw = NULL, *nb = NULL;
    if ((*st = ir_affine_math(g, &g->nodes[i], a, k, &nw, &nb))) {
        ts_tensor_free(nw);
        ts_tensor_free(nb);
        return false;
    }
    int wid = nw ? ir_add_const(g, NULL, nw) : g->nodes[i].in[1];  /* ir_add_const frees on failure */
    int bid = wid >= 0 ? ir_add_const(g, NULL, nb) : -1;
    if (wid < 0) ts_tensor_free(nb);
    if (bid < 0) { *st = TS_ERR_NOMEM; return false; }
    ir_node *conv = &g->nodes[i];
    if (conv->n_in < 3) {
        int *in = ts_realloc(conv->in, 3 * sizeof *in);
        if (!in) { *st = TS_ERR_NOMEM; return false; }
        conv->in = in;
        conv->n_in = 3;
    }
    conv->in[1] = wid;
    conv->in[2] = bid;
    conv->out[0] = a->out[0];
    a->dead = true;
    return true;
}

ts_status ir_pass_fold_conv_affine(ir_graph *g) {
    ir_uses u;
    if (ir_uses_build(g, &u)) return TS_ERR_NOMEM;
    int n_values = g->n_values;
    ts_status st = TS_OK;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++)
        /* a chain Mul -> Add folds step by step; the uses stay valid because
         * only values that existed when they were built are looked up */
        while (st == TS_OK && g->nodes[i].out[0] < n_values && ir_fold_one(g, &u, i, &st)) {}
    ir_uses_free(&u);
    return st ? st : ir_compact(g);
}

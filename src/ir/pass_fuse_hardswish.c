/* pass_fuse_hardswish.c: recognizes hard-swish written out in pieces and
 * makes it one HardSwish node (which fuse-activation can then put into the
 * Conv before it). Two spellings are common:
 *   Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)     (PaddlePaddle, older exporters)
 *   Mul(x, HardSigmoid(x, alpha=1/6, beta=0.5))  (PyTorch before opset 14)
 * Both equal x * min(max(x + 3, 0), 6) / 6. The inner results must have no
 * other readers and be no graph outputs. */
#include "ir/ir_int.h"

#include <math.h>
#include <string.h>

static bool ir_scalar_is(const ir_graph *g, int v, float want) {
    const ts_tensor *t = v >= 0 ? g->values[v].data : NULL;
    return t && t->dtype == TS_F32 && ts_tensor_numel(t) == 1 && ((const float *)t->data)[0] == want;
}

/* The node writing v if it is `op` in the default domain and v has exactly
 * one reader and is no graph output. */
static ir_node *ir_private_producer(ir_graph *g, const int *uses, int v, const char *op) {
    if (v < 0 || g->values[v].is_output || uses[v] != 1 || g->values[v].producer < 0) return NULL;
    ir_node *n = &g->nodes[g->values[v].producer];
    return !n->dead && !strcmp(n->op_type, op) && (!n->domain || !*n->domain) ? n : NULL;
}

/* The operand of binary node n that is not v, or -2 if v is not an operand. */
static int ir_other(const ir_node *n, int v) {
    if (n->n_in != 2) return -2;
    return n->in[0] == v ? n->in[1] : n->in[1] == v ? n->in[0] : -2;
}

static bool ir_clip_0_6(const ir_graph *g, const ir_node *c) {
    if (g->opset < 11)
        return ir_attr_float(c, "min", NAN) == 0.0f && ir_attr_float(c, "max", NAN) == 6.0f;
    return c->n_in == 3 && ir_scalar_is(g, c->in[1], 0.0f) && ir_scalar_is(g, c->in[2], 6.0f);
}

/* Matches Mul(x, Clip(Add(x, 3), 0, 6)) at m; sets *x and the inner nodes. */
static bool ir_match_clip_form(ir_graph *g, const int *uses, ir_node *m, int *x, ir_node **inner) {
    for (int side = 0; side < 2; side++) {
        ir_node *clip = ir_private_producer(g, uses, m->in[side], "Clip");
        if (!clip || !ir_clip_0_6(g, clip)) continue;
        ir_node *add = ir_private_producer(g, uses, clip->in[0], "Add");
        int xv = m->in[1 - side];
        if (!add || xv < 0 || !ir_scalar_is(g, ir_other(add, xv), 3.0f)) continue;
        *x = xv;
        inner[0] = add;
        inner[1] = clip;
        return true;
    }
    return false;
}

/* Matches Mul(x, HardSigmoid(x, 1/6, 0.5)) at m. */
static bool ir_match_hsig_form(ir_graph *g, const int *uses, ir_node *m, int *x, ir_node **inner) {
    for (int side = 0; side < 2; side++) {
        ir_node *h = ir_private_producer(g, uses, m->in[side], "HardSigmoid");
        if (!h || h->in[0] != m->in[1 - side] || m->in[1 - side] < 0) continue;
        if (fabsf(ir_attr_float(h, "alpha", 0.2f) - 1.0f / 6) > 1e-6f || ir_attr_float(h, "beta", 0.5f) != 0.5f)
            continue;
        *x = h->in[0];
        inner[0] = h;
        inner[1] = NULL;
        return true;
    }
    return false;
}

/* Turns node n into HardSwish(x), keeping its output and name. */
static ts_status ir_make_hardswish(ir_node *n, int x, const ir_opdef *def) {
    char *op = ts_strdup("HardSwish");
    if (!op) return TS_ERR_NOMEM;
    ts_free(n->op_type);
    n->op_type = op;
    n->def = def;
    n->in[0] = x;
    n->n_in = 1;
    while (n->n_attr) ir_node_remove_attr(n, n->attrs[0].name);
    return TS_OK;
}

/* Tries node n as the root (Div or Mul) of a hard-swish. */
static ts_status ir_try_root(ir_graph *g, const int *uses, ir_node *n, const ir_opdef *def) {
    if (n->dead || n->n_in != 2 || n->n_out != 1 || (n->domain && *n->domain)) return TS_OK;
    ir_node *inner[3] = {NULL, NULL, NULL};
    int x = -1;
    bool found = false;
    if (!strcmp(n->op_type, "Div") && ir_scalar_is(g, n->in[1], 6.0f)) {
        ir_node *m = ir_private_producer(g, uses, n->in[0], "Mul");
        found = m && m->n_in == 2 && ir_match_clip_form(g, uses, m, &x, inner);
        inner[2] = m;
    } else if (!strcmp(n->op_type, "Mul")) {
        found = ir_match_hsig_form(g, uses, n, &x, inner);
    }
    if (!found) return TS_OK;
    for (int k = 0; k < 3; k++) if (inner[k]) inner[k]->dead = true;
    return ir_make_hardswish(n, x, def);
}

ts_status ir_pass_fuse_hardswish(ir_graph *g) {
    const ir_opdef *def = ir_op_find("", "HardSwish");
    if (!def) return TS_OK;                     /* nothing could run it */
    ts_status st = ir_toposort(g);
    int *uses = st ? NULL : ts_calloc((size_t)g->n_values + 1, sizeof *uses);
    if (st || !uses) return st ? st : TS_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) uses[g->nodes[i].in[k]]++;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++) st = ir_try_root(g, uses, &g->nodes[i], def);
    ts_free(uses);
    return st ? st : ir_compact(g);
}

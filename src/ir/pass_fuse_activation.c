/* pass_fuse_activation.c: folds an activation into the Conv, ConvTranspose,
 * Gemm or MatMul that feeds it, as the "activation"/"activation_params"
 * attributes documented in ir.h, so the kernel applies it while the output
 * is still in cache. Conditions: the producer's float32 output is read only
 * by the activation and is no graph output; Clip bounds are constants. */
#include "ir/ir_int.h"

#include <math.h>
#include <string.h>

static bool ir_is_producer_op(const ir_node *n) {
    static const char *const ops[] = {"Conv", "ConvTranspose", "Gemm", "MatMul"};
    if (n->dead || (n->domain && *n->domain) || n->n_out != 1 || ir_attr_find(n, "activation")) return false;
    for (size_t i = 0; i < TS_ARRAY_LEN(ops); i++)
        if (!strcmp(n->op_type, ops[i])) return true;
    return false;
}

/* A constant scalar bound of Clip (input k), or dflt when omitted; false
 * when the bound is computed at run time. */
static bool ir_clip_bound(const ir_graph *g, const ir_node *a, int k, float dflt, float *out) {
    *out = dflt;
    if (k >= a->n_in || a->in[k] < 0) return true;
    const ts_tensor *t = g->values[a->in[k]].data;
    if (!t || t->dtype != TS_F32 || ts_tensor_numel(t) != 1) return false;
    *out = ((const float *)t->data)[0];
    return true;
}

/* Parameters of activation node a; returns their count, or -1 if a cannot
 * be fused. */
static int ir_act_params(const ir_graph *g, const ir_node *a, float p[2]) {
    const char *op = a->op_type;
    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "HardSwish") || !strcmp(op, "Tanh"))
        return a->n_in == 1 ? 0 : -1;
    if (!strcmp(op, "LeakyRelu")) { p[0] = ir_attr_float(a, "alpha", 0.01f); return 1; }
    if (!strcmp(op, "HardSigmoid")) {
        p[0] = ir_attr_float(a, "alpha", 0.2f);
        p[1] = ir_attr_float(a, "beta", 0.5f);
        return 2;
    }
    if (strcmp(op, "Clip")) return -1;
    if (g->opset < 11) {
        p[0] = ir_attr_float(a, "min", -INFINITY);
        p[1] = ir_attr_float(a, "max", INFINITY);
        return 2;
    }
    return ir_clip_bound(g, a, 1, -INFINITY, &p[0]) && ir_clip_bound(g, a, 2, INFINITY, &p[1]) ? 2 : -1;
}

/* The kernels fuse float32 only. The output's dtype may be unknown when
 * shapes are dynamic; these ops' outputs have their inputs' type, and the
 * weights are usually constants of known type. */
static bool ir_is_f32(const ir_graph *g, const ir_node *p) {
    ts_dtype t = g->values[p->out[0]].dtype;
    for (int k = 0; t == TS_UNDEFINED && k < p->n_in && k < 2; k++)
        if (p->in[k] >= 0) t = g->values[p->in[k]].dtype;
    return t == TS_F32;
}

static ir_node *ir_act_after(ir_graph *g, const ir_uses *u, const ir_node *p) {
    int y = p->out[0];
    if (y < 0 || g->values[y].is_output || !ir_is_f32(g, p) || ir_uses_count(u, y) != 1) return NULL;
    ir_node *a = &g->nodes[u->node[u->start[y]]];
    if ((a->domain && *a->domain) || a->n_out != 1 || a->in[0] != y || a->out[0] < 0) return NULL;
    ir_fusion_filter_fn accept = ir_fusion_filter();
    return !accept || accept(p->op_type, a->op_type) ? a : NULL;
}

static ts_status ir_fuse(ir_node *p, ir_node *a, const float *params, int n_params) {
    ts_status st = ir_node_set_string(p, "activation", a->op_type);
    if (st == TS_OK && n_params > 0) st = ir_node_set_floats(p, "activation_params", params, n_params);
    if (st) return st;
    p->out[0] = a->out[0];
    a->dead = true;
    return TS_OK;
}

ts_status ir_pass_fuse_activation(ir_graph *g) {
    ir_uses u;
    if (ir_uses_build(g, &u)) return TS_ERR_NOMEM;
    ts_status st = TS_OK;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++) {
        ir_node *p = &g->nodes[i];
        ir_node *a = ir_is_producer_op(p) ? ir_act_after(g, &u, p) : NULL;
        float params[2];
        int np = a ? ir_act_params(g, a, params) : -1;
        if (np >= 0) st = ir_fuse(p, a, params, np);
    }
    ir_uses_free(&u);
    return st ? st : ir_compact(g);
}

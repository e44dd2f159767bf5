/* pass_fold_constants.c: evaluates every node whose inputs are all constant
 * through the registered evaluator (the CPU device: ir cannot call upward)
 * and turns its outputs into constants. Without an evaluator the pass does
 * nothing. Skipped: nodes without inputs (random generators), random ops,
 * nodes writing graph outputs (their names must stay node outputs), and
 * results above IR_FOLD_MAX_BYTES (folding must not blow up the model). */
#include "ir/ir_int.h"

#include <string.h>

#define IR_FOLD_MAX_BYTES ((int64_t)64 << 20)

static bool ir_foldable(const ir_graph *g, const ir_node *n) {
    if (n->n_in == 0 || !n->def || strstr(n->op_type, "Random") || !strcmp(n->op_type, "Multinomial"))
        return false;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !g->values[n->in[k]].data) return false;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0 && g->values[n->out[k]].is_output) return false;
    return true;
}

/* Inference on the constant inputs gives exact sizes before anything runs. */
static bool ir_fold_small(const ir_node *n, int opset, const ts_tensor **in, ts_tensor *shape, ts_tensor **sp) {
    for (int k = 0; k < n->n_out; k++) sp[k] = &shape[k];
    if (ir_infer_node(n, opset, in, n->n_in, sp, n->n_out) != TS_OK) return false;
    int64_t total = 0;
    for (int k = 0; k < n->n_out; k++) {
        int64_t numel = ts_shape_numel(shape[k].rank, shape[k].dims);
        if (numel < 0 || numel > IR_FOLD_MAX_BYTES) return false;
        total += numel * (int64_t)TS_MAX(ts_dtype_size(shape[k].dtype), 1);
    }
    return total <= IR_FOLD_MAX_BYTES;
}

static ts_status ir_fold_node(ir_graph *g, ir_node *n, ir_eval_fn eval, void *ctx,
                              const ts_tensor **in, ts_tensor **out, ts_tensor *shape, ts_tensor **sp) {
    for (int k = 0; k < n->n_in; k++) in[k] = n->in[k] >= 0 ? g->values[n->in[k]].data : NULL;
    if (!ir_fold_small(n, g->opset, in, shape, sp)) { ts_clear_error(); return TS_OK; }
    memset(out, 0, (size_t)n->n_out * sizeof *out);
    ts_status st = eval(ctx, n, g->opset, in, n->n_in, out, n->n_out);
    if (st == TS_ERR_UNSUPPORTED) { ts_clear_error(); return TS_OK; } /* leave it to run time */
    if (st) { ts_error_prefix("folding node '%s' (%s): ", n->name, n->op_type); return st; }
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0 || !out[k]) { ts_tensor_free(out[k]); continue; }
        ir_value *v = &g->values[n->out[k]];
        v->data = out[k];
        v->dtype = out[k]->dtype;
        v->rank = out[k]->rank;
        memcpy(v->dims, out[k]->dims, sizeof v->dims);
        v->producer = -1;
    }
    n->dead = true;
    return TS_OK;
}

ts_status ir_pass_fold_constants(ir_graph *g) {
    void *ctx;
    ir_eval_fn eval = ir_const_evaluator(&ctx);
    if (!eval) return TS_OK;
    ts_status st = ir_resolve_ops(g);
    if (st == TS_ERR_UNSUPPORTED) { ts_clear_error(); st = TS_OK; }   /* reported when run */
    int width = 1;
    for (int i = 0; i < g->n_nodes; i++) width = TS_MAX(width, TS_MAX(g->nodes[i].n_in, g->nodes[i].n_out));
    const ts_tensor **in = ts_calloc((size_t)width, sizeof *in);
    ts_tensor **out = ts_calloc((size_t)width, sizeof *out), **sp = ts_calloc((size_t)width, sizeof *sp);
    ts_tensor *shape = ts_calloc((size_t)width, sizeof *shape);
    if (!in || !out || !sp || !shape) st = TS_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++)
        if (!g->nodes[i].dead && ir_foldable(g, &g->nodes[i]))
            st = ir_fold_node(g, &g->nodes[i], eval, ctx, in, out, shape, sp);
    ts_free(in); ts_free(out); ts_free(sp); ts_free(shape);
    return st ? st : ir_compact(g);
}

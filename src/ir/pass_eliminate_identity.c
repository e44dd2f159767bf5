/* pass_eliminate_identity.c: bypasses Identity, and Dropout in inference
 * mode (no mask output read, training_mode absent or a constant false),
 * both of which copy their input. Graph output names must survive: when the
 * copy is a graph output, its source is renamed instead (the producer writes
 * the output directly), which is only possible if the source is an ordinary
 * intermediate value. */
#include "ir/ir_int.h"

#include <string.h>

static bool ir_const_false(const ir_graph *g, int v) {
    const ts_tensor *t = v >= 0 ? g->values[v].data : NULL;
    return t && ts_tensor_numel(t) == 1 && ts_tensor_get(t, 0) == 0.0;
}

static bool ir_is_copy(const ir_graph *g, const ir_node *n, const int *uses) {
    if (n->domain && *n->domain) return false;
    if (!strcmp(n->op_type, "Identity")) return n->n_in == 1 && n->n_out == 1 && n->in[0] >= 0 && n->out[0] >= 0;
    if (strcmp(n->op_type, "Dropout") || n->n_in < 1 || n->in[0] < 0 || n->n_out < 1 || n->out[0] < 0) return false;
    if (n->n_out > 1 && n->out[1] >= 0 && (uses[n->out[1]] || g->values[n->out[1]].is_output)) return false;
    return n->n_in < 3 || n->in[2] < 0 || ir_const_false(g, n->in[2]);
}

/* Bypasses copy node n (y = copy(x)); false when it must stay. */
static bool ir_bypass(ir_graph *g, ir_node *n) {
    int x = n->in[0], y = n->out[0];
    ir_value *vx = &g->values[x], *vy = &g->values[y];
    if (!vy->is_output) {
        ir_replace_uses(g, y, x);
        return true;
    }
    if (vx->is_input || vx->is_output || vx->data || vx->producer < 0) return false;
    ir_replace_uses(g, x, y);
    ir_node *p = &g->nodes[vx->producer];
    for (int k = 0; k < p->n_out; k++) if (p->out[k] == x) p->out[k] = y;
    return true;
}

ts_status ir_pass_eliminate_identity(ir_graph *g) {
    ts_status st = ir_toposort(g);
    if (st) return st;
    ir_uses u;
    if (ir_uses_build(g, &u)) return TS_ERR_NOMEM;
    int *uses = ts_calloc((size_t)g->n_values + 1, sizeof *uses);
    if (!uses) { ir_uses_free(&u); return TS_ERR_NOMEM; }
    for (int v = 0; v < g->n_values; v++) uses[v] = ir_uses_count(&u, v);
    ir_uses_free(&u);
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *n = &g->nodes[i];
        if (n->dead || !ir_is_copy(g, n, uses)) continue;
        n->dead = true;                 /* before bypass: replace_uses skips it */
        if (!ir_bypass(g, n)) n->dead = false;
    }
    ts_free(uses);
    return ir_compact(g);
}

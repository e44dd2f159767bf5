/* pass_eliminate_dead.c: removes nodes whose outputs nobody reads. ONNX
 * inference ops have no side effects, so such a node only costs time. One
 * backward sweep over the topologically sorted nodes suffices: a node's
 * consumers come after it, so they are decided first. */
#include "ir/ir_int.h"

static bool ir_node_needed(const ir_graph *g, const ir_node *n, const int *uses) {
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0 && (uses[n->out[k]] > 0 || g->values[n->out[k]].is_output)) return true;
    return false;
}

ts_status ir_pass_eliminate_dead(ir_graph *g) {
    ts_status st = ir_toposort(g);
    if (st) return st;
    int *uses = ts_calloc((size_t)g->n_values + 1, sizeof *uses);
    if (!uses) return TS_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) uses[g->nodes[i].in[k]]++;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        ir_node *n = &g->nodes[i];
        if (n->dead || ir_node_needed(g, n, uses)) continue;
        n->dead = true;
        for (int k = 0; k < n->n_in; k++) if (n->in[k] >= 0) uses[n->in[k]]--;
    }
    ts_free(uses);
    return ir_compact(g);
}

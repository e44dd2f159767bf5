/* ir_order.c: use lists, topological order, compaction and the verifier. */
#include "ir/ir_int.h"

#include <string.h>

/* ---- consumers ------------------------------------------------------------ */

ts_status ir_uses_build(const ir_graph *g, ir_uses *u) {
    u->start = ts_calloc((size_t)g->n_values + 1, sizeof *u->start);
    int total = 0;
    for (int i = 0; i < g->n_nodes; i++) if (!g->nodes[i].dead) total += g->nodes[i].n_in;
    u->node = ts_malloc((size_t)(total ? total : 1) * sizeof *u->node);
    if (!u->start || !u->node) { ir_uses_free(u); return TS_ERR_NOMEM; }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) u->start[g->nodes[i].in[k] + 1]++;
    for (int v = 0; v < g->n_values; v++) u->start[v + 1] += u->start[v];
    int *fill = ts_calloc((size_t)g->n_values + 1, sizeof *fill);
    if (!fill) { ir_uses_free(u); return TS_ERR_NOMEM; }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0) u->node[u->start[v] + fill[v]++] = i;
        }
    ts_free(fill);
    return TS_OK;
}

void ir_uses_free(ir_uses *u) {
    ts_free(u->start);
    ts_free(u->node);
    u->start = u->node = NULL;
}

/* ---- producers ------------------------------------------------------------ */

/* Sets every value's producer from the live nodes; fails when two nodes
 * write one value or a node writes an input or a constant. */
static ts_status ir_set_producers(ir_graph *g) {
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        for (int k = 0; !n->dead && k < n->n_out; k++) {
            if (n->out[k] < 0) continue;
            ir_value *v = &g->values[n->out[k]];
            if (v->producer >= 0)
                return ts_error(TS_ERR_INVALID, "value '%s' is written by node '%s' and node '%s'",
                                v->name, g->nodes[v->producer].name, n->name);
            if (v->is_input || v->data)
                return ts_error(TS_ERR_INVALID, "node '%s' writes '%s', which is a graph input or constant",
                                n->name, v->name);
            v->producer = i;
        }
    }
    return TS_OK;
}

/* ---- topological sort (Kahn) ------------------------------------------------ */

/* Some node on a cycle: walk back through unsorted producers n_nodes times. */
static int ir_cycle_node(const ir_graph *g, const int *indeg) {
    int cur = -1;
    for (int i = 0; i < g->n_nodes && cur < 0; i++) if (!g->nodes[i].dead && indeg[i] > 0) cur = i;
    for (int step = 0; step < g->n_nodes && cur >= 0; step++) {
        const ir_node *n = &g->nodes[cur];
        for (int k = 0; k < n->n_in; k++) {
            int p = n->in[k] >= 0 ? g->values[n->in[k]].producer : -1;
            if (p >= 0 && indeg[p] > 0) { cur = p; break; }
        }
    }
    return cur;
}

static void ir_indegrees(const ir_graph *g, int *indeg) {
    for (int i = 0; i < g->n_nodes; i++) {
        indeg[i] = 0;
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0 && g->values[g->nodes[i].in[k]].producer >= 0) indeg[i]++;
    }
}

/* Fills order[] with live node indices in a topological order (ties in
 * original order); returns the count, or -1 after naming a node on a cycle. */
static int ir_kahn(const ir_graph *g, const ir_uses *u, int *indeg, int *order) {
    int head = 0, tail = 0, live = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead) { live++; if (!indeg[i]) order[tail++] = i; }
    while (head < tail) {
        const ir_node *n = &g->nodes[order[head++]];
        for (int k = 0; k < n->n_out; k++) {
            if (n->out[k] < 0) continue;
            for (int j = u->start[n->out[k]]; j < u->start[n->out[k] + 1]; j++)
                if (--indeg[u->node[j]] == 0) order[tail++] = u->node[j];
        }
    }
    if (tail == live) return tail;
    int c = ir_cycle_node(g, indeg);
    ts_error(TS_ERR_INVALID, "the graph has a cycle through node '%s' (%s)",
             c >= 0 ? g->nodes[c].name : "?", c >= 0 ? g->nodes[c].op_type : "?");
    return -1;
}

/* Reorders g->nodes as order[] (live nodes), then the dead ones. */
static ts_status ir_permute(ir_graph *g, const int *order, int count) {
    ir_node *nodes = ts_malloc((size_t)(g->n_nodes ? g->n_nodes : 1) * sizeof *nodes);
    if (!nodes) return TS_ERR_NOMEM;
    for (int i = 0; i < count; i++) nodes[i] = g->nodes[order[i]];
    for (int i = 0; i < g->n_nodes; i++) if (g->nodes[i].dead) nodes[count++] = g->nodes[i];
    if (g->n_nodes) memcpy(g->nodes, nodes, (size_t)g->n_nodes * sizeof *nodes);
    ts_free(nodes);
    return ir_set_producers(g);
}

ts_status ir_toposort(ir_graph *g) {
    ts_status st = ir_set_producers(g);
    if (st) return st;
    ir_uses u;
    if (ir_uses_build(g, &u)) return TS_ERR_NOMEM;
    int *indeg = ts_malloc((size_t)(g->n_nodes + 1) * sizeof *indeg);
    int *order = ts_malloc((size_t)(g->n_nodes + 1) * sizeof *order);
    st = indeg && order ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) {
        ir_indegrees(g, indeg);
        int count = ir_kahn(g, &u, indeg, order);
        st = count < 0 ? TS_ERR_INVALID : ir_permute(g, order, count);
    }
    ts_free(indeg);
    ts_free(order);
    ir_uses_free(&u);
    return st;
}

/* ---- compaction ------------------------------------------------------------ */

static void ir_mark_used(const ir_graph *g, bool *used) {
    for (int i = 0; i < g->n_inputs; i++) used[g->inputs[i]] = true;
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = true;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) if (n->in[k] >= 0) used[n->in[k]] = true;
        for (int k = 0; k < n->n_out; k++) if (n->out[k] >= 0) used[n->out[k]] = true;
    }
}

static void ir_remap_ids(int *ids, int n, const int *map) {
    for (int i = 0; i < n; i++) if (ids[i] >= 0) ids[i] = map[ids[i]];
}

static void ir_drop_dead_nodes(ir_graph *g) {
    int kept = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].dead) ir_node_clear(&g->nodes[i]);
        else g->nodes[kept++] = g->nodes[i];
    }
    g->n_nodes = kept;
}

ts_status ir_compact(ir_graph *g) {
    bool *used = ts_calloc((size_t)g->n_values + 1, sizeof *used);
    int *map = ts_malloc((size_t)(g->n_values + 1) * sizeof *map);
    if (!used || !map) { ts_free(used); ts_free(map); return TS_ERR_NOMEM; }
    ir_drop_dead_nodes(g);
    ir_mark_used(g, used);
    int kept = 0;
    for (int v = 0; v < g->n_values; v++) {
        map[v] = used[v] ? kept : -1;
        if (used[v]) g->values[kept++] = g->values[v];
        else ir_value_clear(&g->values[v]);
    }
    g->n_values = kept;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_remap_ids(g->nodes[i].in, g->nodes[i].n_in, map);
        ir_remap_ids(g->nodes[i].out, g->nodes[i].n_out, map);
    }
    ir_remap_ids(g->inputs, g->n_inputs, map);
    ir_remap_ids(g->outputs, g->n_outputs, map);
    ts_free(used);
    ts_free(map);
    ts_status st = ir_index_rebuild(g);
    return st ? st : ir_set_producers(g);
}

/* ---- verifier -------------------------------------------------------------- */

static ts_status ir_verify_values(const ir_graph *g) {
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] < 0 || g->inputs[i] >= g->n_values)
            return ts_error(TS_ERR_INVALID, "graph input %d: value id %d out of range", i, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] < 0 || g->outputs[i] >= g->n_values)
            return ts_error(TS_ERR_INVALID, "graph output %d: value id %d out of range", i, g->outputs[i]);
    for (int v = 0; v < g->n_values; v++) {
        const ir_value *x = &g->values[v];
        if (!x->name) return ts_error(TS_ERR_INVALID, "value %d has no name", v);
        if (x->data && (ts_dtype_size(x->data->dtype) == 0 || x->data->dtype != x->dtype))
            return ts_error(TS_ERR_INVALID, "constant '%s': dtype %s, data %s", x->name,
                            ts_dtype_name(x->dtype), ts_dtype_name(x->data->dtype));
        if (x->rank < -1 || x->rank > TS_MAX_RANK)
            return ts_error(TS_ERR_INVALID, "value '%s': rank %d", x->name, x->rank);
    }
    return TS_OK;
}

/* Names the culprit when node n reads value v that is not yet defined. */
static ts_status ir_undefined_use(const ir_graph *g, const ir_node *n, int v, int self) {
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] == v)
                return ts_error(TS_ERR_INVALID, "node '%s' (%s) reads '%s' before node '%s' (%s) writes it%s",
                                n->name, n->op_type, g->values[v].name, g->nodes[i].name,
                                g->nodes[i].op_type, i == self || i > self ? " (unsorted or cyclic)" : "");
    return ts_error(TS_ERR_INVALID, "node '%s' (%s): input '%s' is not a graph input, an initializer "
                    "or any node's output", n->name, n->op_type, g->values[v].name);
}

static ts_status ir_verify_node(const ir_graph *g, int i, bool *defined) {
    const ir_node *n = &g->nodes[i];
    if (!n->name || !n->op_type || !*n->op_type)
        return ts_error(TS_ERR_INVALID, "node %d has no name or op_type", i);
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        int v = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (v < -1 || v >= g->n_values)
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): value id %d out of range", n->name, n->op_type, v);
    }
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !defined[n->in[k]]) return ir_undefined_use(g, n, n->in[k], i);
    for (int k = 0; k < n->n_out; k++) {
        int v = n->out[k];
        if (v >= 0 && defined[v])
            return ts_error(TS_ERR_INVALID, "node '%s' (%s) writes '%s', which is already defined",
                            n->name, n->op_type, g->values[v].name);
        if (v >= 0) defined[v] = true;
    }
    return TS_OK;
}

ts_status ir_verify(const ir_graph *g) {
    ts_status st = ir_verify_values(g);
    if (st) return st;
    bool *defined = ts_calloc((size_t)g->n_values + 1, sizeof *defined);
    if (!defined) return TS_ERR_NOMEM;
    for (int i = 0; i < g->n_inputs; i++) defined[g->inputs[i]] = true;
    for (int v = 0; v < g->n_values; v++) if (g->values[v].data) defined[v] = true;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++)
        if (!g->nodes[i].dead) st = ir_verify_node(g, i, defined);
    for (int i = 0; i < g->n_outputs && st == TS_OK; i++)
        if (!defined[g->outputs[i]])
            st = ts_error(TS_ERR_INVALID, "graph output '%s' is never defined", g->values[g->outputs[i]].name);
    ts_free(defined);
    return st;
}

/* ir_infer.c: the op registry, shape/type inference and input binding. */
#include "ir/ir_int.h"

#include <string.h>

/* ---- registry ------------------------------------------------------------ */

static const ir_opdef *const ir_op_tables[] = {
    ir_ops_elementwise, ir_ops_nn, ir_ops_shape, ir_ops_reduce,
};

static bool ir_default_domain(const char *d) {
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

/* Tables added at run time, with their domains. */
static struct { const char *domain; const ir_opdef *table; } ir_extra_tables[8];
static int ir_n_extra;

ts_status ir_add_op_table(const char *domain, const ir_opdef *table) {
    if (ir_n_extra >= (int)TS_ARRAY_LEN(ir_extra_tables))
        return ts_error(TS_ERR_RANGE, "too many op tables (at most %d)", (int)TS_ARRAY_LEN(ir_extra_tables));
    ir_extra_tables[ir_n_extra].domain = domain ? domain : "";
    ir_extra_tables[ir_n_extra++].table = table;
    return TS_OK;
}

static const ir_opdef *ir_table_find(const ir_opdef *t, const char *op_type) {
    for (; t->op_type; t++)
        if (strcmp(t->op_type, op_type) == 0) return t;
    return NULL;
}

static bool ir_same_domain(const char *a, const char *b) {
    return ir_default_domain(a) ? ir_default_domain(b) : b && strcmp(a, b) == 0;
}

const ir_opdef *ir_op_find(const char *domain, const char *op_type) {
    const ir_opdef *d = NULL;
    if (!op_type) return NULL;
    for (size_t t = 0; !d && ir_default_domain(domain) && t < TS_ARRAY_LEN(ir_op_tables); t++)
        d = ir_table_find(ir_op_tables[t], op_type);
    for (int t = 0; !d && t < ir_n_extra; t++)
        if (ir_same_domain(domain, ir_extra_tables[t].domain)) d = ir_table_find(ir_extra_tables[t].table, op_type);
    return d;
}

/* "Conv" or "com.example.Conv" for other domains. */
static void ir_qual_type(const ir_node *n, char *buf, size_t len) {
    if (ir_default_domain(n->domain)) snprintf(buf, len, "%s", n->op_type);
    else snprintf(buf, len, "%s.%s", n->domain, n->op_type);
}

static bool ir_is_subgraph_op(const char *op) {
    return !strcmp(op, "If") || !strcmp(op, "Loop") || !strcmp(op, "Scan") ||
           !strcmp(op, "SequenceMap");
}

static bool ir_same_type(const ir_node *a, const ir_node *b) {
    return !strcmp(a->op_type, b->op_type) &&
           ir_default_domain(a->domain) == ir_default_domain(b->domain) &&
           (ir_default_domain(a->domain) || !strcmp(a->domain, b->domain));
}

/* Appends to buf (truncating safely). */
static void ir_cat(char *buf, size_t len, const char *fmt, const char *s) {
    size_t used = strlen(buf);
    if (used + 1 < len) snprintf(buf + used, len - used, fmt, s);
}

/* Appends "Type (nodes a, b, ...)" for unsupported node i and every later
 * node of the same type; marks them listed. */
static void ir_list_type(const ir_graph *g, int i, bool *listed, char *buf, size_t len) {
    char qual[256];
    ir_qual_type(&g->nodes[i], qual, sizeof qual);
    ir_cat(buf, len, "%s", qual);
    ir_cat(buf, len, "%s", ir_is_subgraph_op(g->nodes[i].op_type)
                               ? " (ops with subgraphs are not supported yet)" : "");
    int shown = 0;
    for (int j = i; j < g->n_nodes; j++) {
        if (listed[j] || !ir_same_type(&g->nodes[i], &g->nodes[j])) continue;
        listed[j] = true;
        if (++shown <= 8) ir_cat(buf, len, shown == 1 ? " [node '%s'" : ", '%s'", g->nodes[j].name);
        else if (shown == 9) ir_cat(buf, len, "%s", ", ...");
    }
    ir_cat(buf, len, "%s", "]");
}

static ts_status ir_check_arity(const ir_node *n, const ir_opdef *d) {
    if (n->n_in < d->min_inputs || (d->max_inputs >= 0 && n->n_in > d->max_inputs))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): %d inputs, the op takes %d..%d",
                        n->name, n->op_type, n->n_in, d->min_inputs, d->max_inputs);
    if (n->n_out < d->min_outputs || (d->max_outputs >= 0 && n->n_out > d->max_outputs))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): %d outputs, the op gives %d..%d",
                        n->name, n->op_type, n->n_out, d->min_outputs, d->max_outputs);
    /* infer functions may rely on required inputs; ONNX's variadic inputs
     * (Concat, Sum, Einsum...) are never optional, so all of them count */
    int required = d->max_inputs < 0 ? n->n_in : d->min_inputs;
    for (int k = 0; k < required; k++)
        if (n->in[k] < 0)
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): required input %d is empty",
                            n->name, n->op_type, k);
    return TS_OK;
}

ts_status ir_resolve_ops(ir_graph *g) {
    int missing = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        n->def = ir_op_find(n->domain, n->op_type);
        if (!n->def) missing++;
    }
    if (missing) {
        bool *listed = ts_calloc((size_t)g->n_nodes, sizeof *listed);
        if (!listed) return TS_ERR_NOMEM;
        char buf[900] = "unsupported ops: ";
        for (int i = 0; i < g->n_nodes; i++) {
            if (g->nodes[i].dead || g->nodes[i].def || listed[i]) continue;
            if (strlen(buf) > 17) ir_cat(buf, sizeof buf, "%s", "; ");
            ir_list_type(g, i, listed, buf, sizeof buf);
        }
        ts_free(listed);
        return ts_error(TS_ERR_UNSUPPORTED, "%s", buf);
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && ir_check_arity(&g->nodes[i], g->nodes[i].def)) return TS_ERR_INVALID;
    return TS_OK;
}

/* ---- one node ------------------------------------------------------------ */

void ir_set_out(ts_tensor *out, ts_dtype dtype, int rank, const int64_t *dims) {
    out->dtype = dtype;
    if (rank < 0 || rank > TS_MAX_RANK) { out->rank = TS_MAX_RANK + 1; return; }
    out->rank = rank;
    for (int d = 0; d < rank; d++) out->dims[d] = dims[d];
}

/* Outputs must be real shapes (ir_set_out marks a bad rank). */
static ts_status ir_check_outputs(const ir_node *n, ts_tensor **out, int n_out) {
    char buf[160];
    for (int i = 0; i < n_out; i++) {
        const ts_tensor *t = out[i];
        if (t->dtype == TS_UNDEFINED) continue;   /* optional output left unset */
        if (t->rank < 0 || t->rank > TS_MAX_RANK)
            return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): output %d would have rank > %d",
                            n->name, n->op_type, i, TS_MAX_RANK);
        int64_t numel = ts_shape_numel(t->rank, t->dims);
        if (numel < 0 || numel > (INT64_MAX >> 4))
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): output %d shape %s is negative or too large",
                            n->name, n->op_type, i, ts_shape_str(t->rank, t->dims, buf, sizeof buf));
    }
    return TS_OK;
}

ts_status ir_infer_node(const ir_node *n, int opset, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out) {
    const ir_opdef *d = n->def ? n->def : ir_op_find(n->domain, n->op_type);
    if (!d) return ts_error(TS_ERR_UNSUPPORTED, "node '%s': unsupported op %s", n->name, n->op_type);
    ts_status st = ir_check_arity(n, d);
    if (st) return st;
    if (n_in != n->n_in || n_out != n->n_out)
        return ts_error(TS_ERR_INTERNAL, "node '%s': inferred with %d/%d tensors for %d/%d",
                        n->name, n_in, n_out, n->n_in, n->n_out);
    for (int i = 0; i < n_out; i++) { out[i]->dtype = TS_UNDEFINED; out[i]->rank = 0; }
    ir_infer_ctx c = {.node = n, .opset = opset, .n_in = n_in, .in = in, .n_out = n_out, .out = out};
    st = d->infer(&c);
    if (st) return st;
    return ir_check_outputs(n, out, n_out);
}

/* ---- the whole graph ----------------------------------------------------- */

static int ir_max_arity(const ir_graph *g) {
    int m = 1;
    for (int i = 0; i < g->n_nodes; i++) m = TS_MAX(m, TS_MAX(g->nodes[i].n_in, g->nodes[i].n_out));
    return m;
}

/* Input views for node n; false when some input's shape is not fully known. */
static bool ir_gather_inputs(const ir_graph *g, const ir_node *n, ts_tensor *tv, const ts_tensor **tp) {
    for (int i = 0; i < n->n_in; i++) {
        tp[i] = NULL;
        if (n->in[i] < 0) continue;
        const ir_value *v = &g->values[n->in[i]];
        if (!ir_value_known(v)) return false;
        memset(&tv[i], 0, sizeof tv[i]);
        tv[i].dtype = v->dtype;
        tv[i].rank = v->rank;
        memcpy(tv[i].dims, v->dims, sizeof v->dims);
        tv[i].data = v->data ? v->data->data : NULL;
        tp[i] = &tv[i];
    }
    return true;
}

static void ir_store_outputs(ir_graph *g, const ir_node *n, ts_tensor *tv) {
    for (int i = 0; i < n->n_out; i++) {
        if (n->out[i] < 0 || tv[i].dtype == TS_UNDEFINED) continue;
        ir_value *v = &g->values[n->out[i]];
        if (v->data) continue;
        v->dtype = tv[i].dtype;
        v->rank = tv[i].rank;
        memcpy(v->dims, tv[i].dims, sizeof v->dims);
        for (int d = 0; d < TS_MAX_RANK; d++) { ts_free(v->dim_param[d]); v->dim_param[d] = NULL; }
    }
}

/* Scratch tensors for one node's inputs and outputs, sized for the widest. */
typedef struct ir_scratch { ts_tensor *in_v, *out_v; const ts_tensor **in_p; ts_tensor **out_p; } ir_scratch;

static void ir_scratch_free(ir_scratch *s) {
    ts_free(s->in_v); ts_free(s->out_v); ts_free(s->in_p); ts_free(s->out_p);
}

static ts_status ir_scratch_new(ir_scratch *s, int n) {
    s->in_v = ts_calloc((size_t)n, sizeof *s->in_v);
    s->out_v = ts_calloc((size_t)n, sizeof *s->out_v);
    s->in_p = ts_calloc((size_t)n, sizeof *s->in_p);
    s->out_p = ts_calloc((size_t)n, sizeof *s->out_p);
    if (!s->in_v || !s->out_v || !s->in_p || !s->out_p) { ir_scratch_free(s); return TS_ERR_NOMEM; }
    for (int i = 0; i < n; i++) s->out_p[i] = &s->out_v[i];
    return TS_OK;
}

ts_status ir_infer_shapes(ir_graph *g) {
    ir_scratch s;
    if (ir_scratch_new(&s, ir_max_arity(g))) return TS_ERR_NOMEM;
    ts_status st = TS_OK;
    for (int i = 0; i < g->n_nodes && st == TS_OK; i++) {
        ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (!n->def) n->def = ir_op_find(n->domain, n->op_type);
        if (!n->def || !ir_gather_inputs(g, n, s.in_v, s.in_p)) continue;
        memset(s.out_v, 0, (size_t)n->n_out * sizeof *s.out_v);
        st = ir_infer_node(n, g->opset, s.in_p, n->n_in, s.out_p, n->n_out);
        if (st == TS_OK) ir_store_outputs(g, n, s.out_v);
        else if (st == IR_NEED_VALUE) st = TS_OK;
    }
    ir_scratch_free(&s);
    return st;
}

/* ---- binding actual input shapes ----------------------------------------- */

typedef struct ir_binding { const char *sym; int64_t size; const char *from; } ir_binding;

/* Checks one dim against its declaration and records symbolic bindings. */
static ts_status ir_bind_dim(const ir_value *v, int d, int64_t size, ir_binding *b, int *nb) {
    const char *sym = v->dim_param[d];
    if (!sym && v->dims[d] >= 0 && v->dims[d] != size)
        return ts_error(TS_ERR_INVALID, "input '%s' dim %d: %lld given, the model declares %lld",
                        v->name, d, (long long)size, (long long)v->dims[d]);
    if (!sym || !*sym) return TS_OK;
    for (int k = 0; k < *nb; k++) {
        if (strcmp(b[k].sym, sym) != 0) continue;
        if (b[k].size == size) return TS_OK;
        return ts_error(TS_ERR_INVALID, "input '%s' dim %d ('%s'): %lld given, but '%s' is %lld from input '%s'",
                        v->name, d, sym, (long long)size, sym, (long long)b[k].size, b[k].from);
    }
    b[*nb] = (ir_binding){sym, size, v->name};
    (*nb)++;
    return TS_OK;
}

static ts_status ir_bind_check(const ir_value *v, const ts_tensor *t, ir_binding *b, int *nb) {
    if (v->dtype != TS_UNDEFINED && t->dtype != v->dtype)
        return ts_error(TS_ERR_INVALID, "input '%s': %s given, the model declares %s",
                        v->name, ts_dtype_name(t->dtype), ts_dtype_name(v->dtype));
    if (v->rank >= 0 && t->rank != v->rank)
        return ts_error(TS_ERR_INVALID, "input '%s': rank %d given, the model declares %d",
                        v->name, t->rank, v->rank);
    for (int d = 0; d < t->rank; d++)
        if (v->rank >= 0 && ir_bind_dim(v, d, t->dims[d], b, nb)) return TS_ERR_INVALID;
    return TS_OK;
}

/* Sets the actual shape; a dim declared unknown gets the anonymous symbol ""
 * so that a later bind may change it again. */
static ts_status ir_bind_set(ir_value *v, const ts_tensor *t) {
    for (int d = 0; d < t->rank; d++) {
        bool was_open = v->rank < 0 || v->dim_param[d] || v->dims[d] < 0;
        if (was_open && !v->dim_param[d] && ir_value_set_dim_param(v, d, "")) return TS_ERR_NOMEM;
        v->dims[d] = t->dims[d];
    }
    v->dtype = t->dtype;
    v->rank = t->rank;
    return TS_OK;
}

ts_status ir_bind_inputs(ir_graph *g, const ts_tensor *const *in, int n_in) {
    if (n_in != g->n_inputs)
        return ts_error(TS_ERR_INVALID, "%d inputs given, the model has %d", n_in, g->n_inputs);
    int total = 1;
    for (int i = 0; i < n_in; i++) total += TS_MAX(in[i]->rank, 0);
    ir_binding *b = ts_calloc((size_t)total, sizeof *b);
    if (!b) return TS_ERR_NOMEM;
    int nb = 0;
    ts_status st = TS_OK;
    for (int i = 0; i < n_in && st == TS_OK; i++) st = ir_bind_check(&g->values[g->inputs[i]], in[i], b, &nb);
    ts_free(b);
    for (int i = 0; i < n_in && st == TS_OK; i++) st = ir_bind_set(&g->values[g->inputs[i]], in[i]);
    if (st) return st;
    for (int i = 0; i < g->n_values; i++) {
        ir_value *v = &g->values[i];
        if (v->producer >= 0 && !v->data) v->rank = -1;
    }
    return ir_infer_shapes(g);
}

/* ---- shared helpers for op files ----------------------------------------- */

ts_status ir_broadcast_shape(const ir_node *n, int ra, const int64_t *da, int rb,
                             const int64_t *db, int *rout, int64_t *dout) {
    int r = TS_MAX(ra, rb);
    int64_t tmp[TS_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int64_t a = i < ra ? da[ra - 1 - i] : 1, b = i < rb ? db[rb - 1 - i] : 1;
        if (a != b && a != 1 && b != 1) {
            char sa[160], sb[160];
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): shapes %s and %s do not broadcast",
                            n ? n->name : "?", n ? n->op_type : "?",
                            ts_shape_str(ra, da, sa, sizeof sa), ts_shape_str(rb, db, sb, sizeof sb));
        }
        tmp[r - 1 - i] = a == 1 ? b : a;
    }
    for (int i = 0; i < r; i++) dout[i] = tmp[i];
    *rout = r;
    return TS_OK;
}

ts_status ir_norm_axis(const ir_node *n, int64_t axis, int rank, int *out) {
    if (axis < -(int64_t)rank || axis >= rank)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): axis %lld out of range for rank %d",
                        n ? n->name : "?", n ? n->op_type : "?", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return TS_OK;
}

/* ---- registered callbacks -------------------------------------------------- */

static ir_eval_fn ir_eval_cb;
static void *ir_eval_ctx;
static ir_fusion_filter_fn ir_fusion_cb;

void ir_set_const_evaluator(ir_eval_fn fn, void *ctx) { ir_eval_cb = fn; ir_eval_ctx = ctx; }
ir_eval_fn ir_const_evaluator(void **ctx) { *ctx = ir_eval_ctx; return ir_eval_cb; }
void ir_set_fusion_filter(ir_fusion_filter_fn fn) { ir_fusion_cb = fn; }
ir_fusion_filter_fn ir_fusion_filter(void) { return ir_fusion_cb; }

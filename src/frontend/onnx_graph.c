/* onnx_graph.c: GraphProto -> ir_graph: initializers, inputs, nodes,
 * Constant nodes, value_info and outputs. Names are resolved as they come;
 * a name used before any node writes it gets a placeholder value, and the
 * verifier at the end reports those that nothing ever defines. */
#include "frontend/onnx_int.h"

#include <string.h>

static const char *onnx_str(const char *s) { return s ? s : ""; }

/* ---- value types ------------------------------------------------------------ */

static ts_status onnx_apply_shape(ir_value *v, const Onnx__TensorShapeProto *sp, const char *what) {
    if (sp->n_dim > TS_MAX_RANK)
        return ts_error(TS_ERR_UNSUPPORTED, "%s: rank %zu exceeds %d", what, sp->n_dim, TS_MAX_RANK);
    int64_t known = 1;
    for (size_t d = 0; d < sp->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = sp->dim[d];
        v->dims[d] = IR_DIM_UNKNOWN;
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (dim->dim_value < 0 || (dim->dim_value > 0 && known > (INT64_MAX >> 4) / dim->dim_value))
                return ts_error(TS_ERR_INVALID, "%s: dim %zu (%lld) is negative or makes the size overflow",
                                what, d, (long long)dim->dim_value);
            v->dims[d] = dim->dim_value;
            if (dim->dim_value) known *= dim->dim_value;
        } else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param && *dim->dim_param) {
            if (ir_value_set_dim_param(v, (int)d, dim->dim_param)) return TS_ERR_NOMEM;
        }
    }
    v->rank = (int)sp->n_dim;
    return TS_OK;
}

/* Applies a ValueInfoProto's tensor type to value id. */
static ts_status onnx_apply_type(ir_graph *g, int id, const Onnx__ValueInfoProto *vi, const char *kind) {
    char what[300];
    snprintf(what, sizeof what, "%s '%.200s'", kind, onnx_str(vi->name));
    const Onnx__TypeProto *tp = vi->type;
    if (!tp) return TS_OK;                        /* type unknown: inferred later */
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return ts_error(TS_ERR_UNSUPPORTED, "%s: only tensor types are supported (not sequences, maps, "
                        "optionals or sparse tensors)", what);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    ir_value *v = &g->values[id];
    if (tt->has_elem_type && tt->elem_type) {
        ts_dtype dt;
        ts_status st = onnx_dtype(tt->elem_type, what, &dt);
        if (st) return st;
        v->dtype = dt;
    }
    return tt->shape ? onnx_apply_shape(v, tt->shape, what) : TS_OK;
}

/* ---- names ------------------------------------------------------------------ */

/* The value named `name`, created as an unknown placeholder if new. */
static int onnx_value(ir_graph *g, const char *name) {
    int id = ir_find_value(g, name);
    return id >= 0 ? id : ir_add_value(g, name, TS_UNDEFINED, -1, NULL);
}

static ts_status onnx_initializers(onnx_ctx *c, ir_graph *g, const Onnx__GraphProto *gp) {
    if (gp->n_sparse_initializer)
        return ts_error(TS_ERR_UNSUPPORTED, "sparse initializer '%s' is not supported",
                        gp->sparse_initializer[0]->values ? onnx_str(gp->sparse_initializer[0]->values->name) : "");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        char what[300];
        snprintf(what, sizeof what, "initializer '%.200s'", onnx_str(tp->name));
        if (!tp->name || !*tp->name) return ts_error(TS_ERR_INVALID, "initializer %zu has no name", i);
        ts_tensor *t;
        ts_status st = onnx_tensor_convert(c->src, tp, what, &t);
        if (st) return st;
        if (ir_add_const(g, tp->name, t) < 0) return TS_ERR_INVALID;
    }
    return TS_OK;
}

static ts_status onnx_inputs(ir_graph *g, const Onnx__GraphProto *gp) {
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !*vi->name) return ts_error(TS_ERR_INVALID, "graph input %zu has no name", i);
        int id = ir_find_value(g, vi->name);
        if (id >= 0 && g->values[id].data) continue;   /* an initializer (old-style default) */
        if (id >= 0) return ts_error(TS_ERR_INVALID, "graph input '%s' is listed twice", vi->name);
        id = ir_add_value(g, vi->name, TS_UNDEFINED, -1, NULL);
        ts_status st = id < 0 ? TS_ERR_NOMEM : onnx_apply_type(g, id, vi, "graph input");
        if (st == TS_OK) st = ir_graph_add_input(g, id);
        if (st) return st;
    }
    return TS_OK;
}

/* ---- nodes ------------------------------------------------------------------ */

static ts_status onnx_node_ids(ir_graph *g, char **names, size_t n, int *ids) {
    for (size_t i = 0; i < n; i++) {
        ids[i] = -1;
        if (names[i] && *names[i] && (ids[i] = onnx_value(g, names[i])) < 0) return TS_ERR_NOMEM;
    }
    return TS_OK;
}

static bool onnx_is_graph_output(const Onnx__GraphProto *gp, const char *name) {
    for (size_t i = 0; i < gp->n_output; i++)
        if (gp->output[i]->name && !strcmp(gp->output[i]->name, name)) return true;
    return false;
}

/* Constant node -> constant value, from whichever value_* attribute it has. */
static ts_status onnx_constant_tensor(const ir_node *n, ts_tensor **out) {
    if (n->n_attr != 1)
        return ts_error(TS_ERR_INVALID, "node '%s' (Constant): needs exactly one value attribute, has %d",
                        n->name, n->n_attr);
    const ir_attr *a = &n->attrs[0];
    int64_t cnt = a->n;
    if (!strcmp(a->name, "value") && a->type == IR_ATTR_TENSOR) *out = ts_tensor_clone(a->t);
    else if (!strcmp(a->name, "value_float") && a->type == IR_ATTR_FLOAT) *out = ts_tensor_new(TS_F32, 0, NULL);
    else if (!strcmp(a->name, "value_int") && a->type == IR_ATTR_INT) *out = ts_tensor_new(TS_I64, 0, NULL);
    else if (!strcmp(a->name, "value_floats") && a->type == IR_ATTR_FLOATS) *out = ts_tensor_new(TS_F32, 1, &cnt);
    else if (!strcmp(a->name, "value_ints") && a->type == IR_ATTR_INTS) *out = ts_tensor_new(TS_I64, 1, &cnt);
    else if (!strncmp(a->name, "value_string", 12) || !strcmp(a->name, "sparse_value"))
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (Constant): attribute '%s' is not supported", n->name, a->name);
    else
        return ts_error(TS_ERR_INVALID, "node '%s' (Constant): attribute '%s' of type %d is not a constant value",
                        n->name, a->name, (int)a->type);
    if (!*out) return TS_ERR_NOMEM;
    if (a->type == IR_ATTR_FLOAT) *(float *)(*out)->data = a->f;
    if (a->type == IR_ATTR_INT) *(int64_t *)(*out)->data = a->i;
    if (a->type == IR_ATTR_FLOATS && cnt) memcpy((*out)->data, a->floats, (size_t)cnt * sizeof(float));
    if (a->type == IR_ATTR_INTS && cnt) memcpy((*out)->data, a->ints, (size_t)cnt * sizeof(int64_t));
    return TS_OK;
}

/* Turns Constant node n (the last node) into a constant value. */
static ts_status onnx_fold_constant(ir_graph *g, ir_node *n) {
    ts_tensor *t = NULL;
    if (n->n_in != 0 || n->n_out != 1 || n->out[0] < 0)
        return ts_error(TS_ERR_INVALID, "node '%s' (Constant): needs no inputs and one output", n->name);
    ts_status st = onnx_constant_tensor(n, &t);
    if (st) return st;
    ir_value *v = &g->values[n->out[0]];
    if (v->data || v->is_input || v->producer != g->n_nodes - 1) {
        ts_tensor_free(t);
        return ts_error(TS_ERR_INVALID, "node '%s' (Constant) writes '%s', which is already defined",
                        n->name, v->name);
    }
    v->data = t;
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->producer = -1;
    n->dead = true;                   /* removed by ir_compact at the end */
    return TS_OK;
}

static ts_status onnx_node_attrs(onnx_ctx *c, ir_node *n, const Onnx__NodeProto *np) {
    ts_status st = ir_node_set_domain(n, np->domain);
    for (size_t i = 0; i < np->n_attribute && st == TS_OK; i++) st = onnx_attr_convert(c, n, np->attribute[i]);
    return st ? st : onnx_attr_check(n);
}

static ts_status onnx_node(onnx_ctx *c, ir_graph *g, const Onnx__GraphProto *gp, size_t idx) {
    const Onnx__NodeProto *np = gp->node[idx];
    if (!np->op_type || !*np->op_type) return ts_error(TS_ERR_INVALID, "node %zu ('%s') has no op_type", idx, onnx_str(np->name));
    int *ids = ts_malloc((np->n_input + np->n_output + 1) * sizeof *ids);
    if (!ids) return TS_ERR_NOMEM;
    ts_status st = onnx_node_ids(g, np->input, np->n_input, ids);
    if (st == TS_OK) st = onnx_node_ids(g, np->output, np->n_output, ids + np->n_input);
    ir_node *n = NULL;
    if (st == TS_OK) {
        n = ir_add_node(g, np->op_type, np->name, ids, (int)np->n_input, ids + np->n_input, (int)np->n_output);
        st = n ? onnx_node_attrs(c, n, np) : TS_ERR_NOMEM;
    }
    ts_free(ids);
    bool is_const = n && !strcmp(n->op_type, "Constant") && (!np->domain || !*np->domain);
    if (st == TS_OK && is_const && !(n->n_out == 1 && n->out[0] >= 0 &&
                                    onnx_is_graph_output(gp, g->values[n->out[0]].name)))
        st = onnx_fold_constant(g, n);
    return st;
}

/* ---- outputs and value_info ------------------------------------------------- */

static ts_status onnx_outputs(ir_graph *g, const Onnx__GraphProto *gp, bool sub) {
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        if (!vi->name || !*vi->name) return ts_error(TS_ERR_INVALID, "graph output %zu has no name", i);
        int id = ir_find_value(g, vi->name);
        if (id < 0 && sub) id = onnx_value(g, vi->name);  /* may come from the outer scope */
        if (id < 0)
            return ts_error(TS_ERR_INVALID, "graph output '%s' is not written by any node, input or initializer",
                            vi->name);
        ir_value *v = &g->values[id];
        ts_status st = v->rank < 0 && !v->data ? onnx_apply_type(g, id, vi, "graph output") : TS_OK;
        if (st == TS_OK) st = ir_graph_add_output(g, id);
        if (st) return st;
    }
    return TS_OK;
}

/* value_info: declared types of intermediate values (hints; inference may
 * replace them). Names nothing uses are ignored. */
static ts_status onnx_value_info(ir_graph *g, const Onnx__GraphProto *gp) {
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const Onnx__ValueInfoProto *vi = gp->value_info[i];
        int id = vi->name ? ir_find_value(g, vi->name) : -1;
        if (id < 0 || g->values[id].data || g->values[id].is_input) continue;
        ts_status st = onnx_apply_type(g, id, vi, "value_info");
        if (st) return st;
    }
    return TS_OK;
}

ts_status onnx_graph_convert(onnx_ctx *c, const Onnx__GraphProto *gp, bool sub, ir_graph **out) {
    ir_graph *g = ir_graph_new();
    *out = NULL;
    if (!g) return TS_ERR_NOMEM;
    g->opset = c->opset;
    g->name = ts_strdup(onnx_str(gp->name));
    ts_status st = g->name ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) st = onnx_initializers(c, g, gp);
    if (st == TS_OK) st = onnx_inputs(g, gp);
    for (size_t i = 0; i < gp->n_node && st == TS_OK; i++) st = onnx_node(c, g, gp, i);
    if (st == TS_OK) st = onnx_outputs(g, gp, sub);
    if (st == TS_OK) st = onnx_value_info(g, gp);
    if (st == TS_OK) st = ir_compact(g);
    if (st == TS_OK) st = ir_toposort(g);
    /* A subgraph may read outer-scope names, so only the main graph must
     * define everything it reads. */
    if (st == TS_OK && !sub) st = ir_verify(g);
    if (st) { ir_graph_free(g); return st; }
    *out = g;
    return TS_OK;
}

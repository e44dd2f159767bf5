/* ir.c: building graphs: values, nodes, attributes, name lookup. */
#include "ir/ir_int.h"

#include <string.h>

/* ---- name index: open addressing, id+1 in each slot, 0 = empty ---------- */

static uint64_t ir_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;          /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static void ir_index_put(int *slots, int cap, const char *name, int id) {
    size_t i = (size_t)(ir_hash(name) & (uint64_t)(cap - 1));
    while (slots[i]) i = (i + 1) & (size_t)(cap - 1);
    slots[i] = id + 1;
}

/* Rebuilds the index for the current values (after growth or compaction). */
ts_status ir_index_rebuild(ir_graph *g) {
    int cap = 64;
    while (cap < 2 * g->n_values + 2) cap *= 2;
    int *slots = ts_calloc((size_t)cap, sizeof *slots);
    if (!slots) return TS_ERR_NOMEM;
    for (int i = 0; i < g->n_values; i++)
        if (g->values[i].name) ir_index_put(slots, cap, g->values[i].name, i);
    ts_free(g->name_index);
    g->name_index = slots;
    g->index_cap = cap;
    return TS_OK;
}

int ir_find_value(const ir_graph *g, const char *name) {
    if (!name || !g->name_index) return -1;
    size_t mask = (size_t)g->index_cap - 1;
    for (size_t i = (size_t)(ir_hash(name) & mask); g->name_index[i]; i = (i + 1) & mask) {
        int id = g->name_index[i] - 1;
        if (id < g->n_values && strcmp(g->values[id].name, name) == 0) return id;
    }
    return -1;
}

/* ---- graphs -------------------------------------------------------------- */

ir_graph *ir_graph_new(void) {
    ir_graph *g = ts_calloc(1, sizeof *g);
    if (!g) return NULL;
    g->opset = 13;
    if (ir_index_rebuild(g) != TS_OK) { ts_free(g); return NULL; }
    return g;
}

void ir_attr_clear(ir_attr *a) {
    ts_free(a->name);
    ts_free(a->s);
    ts_tensor_free(a->t);
    ir_graph_free(a->g);
    ts_free(a->floats);
    ts_free(a->ints);
    for (int i = 0; a->strings && i < a->n; i++) ts_free(a->strings[i]);
    ts_free(a->strings);
    memset(a, 0, sizeof *a);
}

void ir_node_clear(ir_node *n) {
    ts_free(n->name);
    ts_free(n->op_type);
    ts_free(n->domain);
    ts_free(n->in);
    ts_free(n->out);
    for (int i = 0; i < n->n_attr; i++) ir_attr_clear(&n->attrs[i]);
    ts_free(n->attrs);
    memset(n, 0, sizeof *n);
}

void ir_value_clear(ir_value *v) {
    ts_free(v->name);
    for (int d = 0; d < TS_MAX_RANK; d++) ts_free(v->dim_param[d]);
    ts_tensor_free(v->data);
    memset(v, 0, sizeof *v);
}

void ir_graph_free(ir_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_values; i++) ir_value_clear(&g->values[i]);
    for (int i = 0; i < g->n_nodes; i++) ir_node_clear(&g->nodes[i]);
    ts_free(g->values);
    ts_free(g->nodes);
    ts_free(g->inputs);
    ts_free(g->outputs);
    ts_free(g->name_index);
    ts_free(g->name);
    ts_free(g);
}

/* Grows *arr (of elem bytes each) so that index `need` fits. */
ts_status ir_grow(void **arr, int *cap, int need, size_t elem) {
    if (need < *cap) return TS_OK;
    if (need >= INT32_MAX / 2) return ts_error(TS_ERR_RANGE, "graph too large (%d entries)", need);
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap <= need) ncap *= 2;
    void *p = ts_realloc(*arr, (size_t)ncap * elem);
    if (!p) return TS_ERR_NOMEM;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return TS_OK;
}

/* ---- values -------------------------------------------------------------- */

static ts_status ir_check_shape(const char *name, int rank, const int64_t *dims) {
    if (rank < -1 || rank > TS_MAX_RANK)
        return ts_error(TS_ERR_UNSUPPORTED, "value '%s': rank %d outside 0..%d",
                        name, rank, TS_MAX_RANK);
    for (int d = 0; d < rank; d++)
        if (dims[d] < IR_DIM_UNKNOWN)
            return ts_error(TS_ERR_INVALID, "value '%s': dim %d is %lld", name, d,
                            (long long)dims[d]);
    return TS_OK;
}

/* Unique generated name "_v<id>" (or with a suffix if a user took it). */
static char *ir_gen_name(const ir_graph *g) {
    char buf[48];
    for (int k = 0;; k++) {
        snprintf(buf, sizeof buf, k ? "_v%d_%d" : "_v%d", g->n_values, k);
        if (ir_find_value(g, buf) < 0) return ts_strdup(buf);
    }
}

int ir_add_value(ir_graph *g, const char *name, ts_dtype dtype, int rank, const int64_t *dims) {
    const char *shown = name && *name ? name : "(unnamed)";
    if (ir_check_shape(shown, rank, dims) != TS_OK) return -1;
    if (name && *name && ir_find_value(g, name) >= 0) {
        ts_error(TS_ERR_INVALID, "value '%s' is defined twice", name);
        return -1;
    }
    if (ir_grow((void **)&g->values, &g->cap_values, g->n_values, sizeof *g->values)) return -1;
    char *nm = name && *name ? ts_strdup(name) : ir_gen_name(g);
    if (!nm) return -1;
    int id = g->n_values;
    ir_value *v = &g->values[id];
    memset(v, 0, sizeof *v);
    v->name = nm;
    v->dtype = dtype;
    v->rank = rank;
    for (int d = 0; d < rank; d++) v->dims[d] = dims[d];
    v->producer = -1;
    g->n_values++;
    if (2 * g->n_values + 2 > g->index_cap) {
        if (ir_index_rebuild(g) != TS_OK) { g->n_values--; ir_value_clear(v); return -1; }
    } else {
        ir_index_put(g->name_index, g->index_cap, nm, id);
    }
    return id;
}

int ir_add_const(ir_graph *g, const char *name, ts_tensor *data) {
    if (!data) { ts_error(TS_ERR_INVALID, "constant '%s' has no data", name ? name : ""); return -1; }
    int id = ir_add_value(g, name, data->dtype, data->rank, data->dims);
    if (id < 0) { ts_tensor_free(data); return -1; }
    g->values[id].data = data;
    return id;
}

ts_status ir_value_set_dim_param(ir_value *v, int dim, const char *param) {
    if (dim < 0 || dim >= TS_MAX_RANK) return ts_error(TS_ERR_RANGE, "dim %d out of range", dim);
    char *p = param ? ts_strdup(param) : NULL;
    if (param && !p) return TS_ERR_NOMEM;
    ts_free(v->dim_param[dim]);
    v->dim_param[dim] = p;
    return TS_OK;
}

bool ir_value_known(const ir_value *v) {
    if (v->rank < 0 || v->dtype == TS_UNDEFINED) return false;
    for (int d = 0; d < v->rank; d++)
        if (v->dims[d] < 0) return false;
    return true;
}

/* ---- nodes --------------------------------------------------------------- */

static int *ir_dup_ids(const int *ids, int n) {
    int *p = ts_malloc((size_t)(n ? n : 1) * sizeof *p);
    if (p && n) memcpy(p, ids, (size_t)n * sizeof *p);
    return p;
}

static ts_status ir_check_ids(const ir_graph *g, const char *node, const int *ids, int n) {
    for (int i = 0; i < n; i++)
        if (ids[i] < -1 || ids[i] >= g->n_values)
            return ts_error(TS_ERR_RANGE, "node '%s': value id %d out of range", node, ids[i]);
    return TS_OK;
}

static char *ir_node_name(const ir_graph *g, const char *op_type, const char *name) {
    if (name && *name) return ts_strdup(name);
    char buf[160];
    snprintf(buf, sizeof buf, "%.120s_%d", op_type, g->n_nodes);
    return ts_strdup(buf);
}

ir_node *ir_add_node(ir_graph *g, const char *op_type, const char *name,
                     const int *in, int n_in, const int *out, int n_out) {
    const char *shown = name && *name ? name : op_type;
    if (!op_type || !*op_type) { ts_error(TS_ERR_INVALID, "node '%s' has no op_type", shown ? shown : ""); return NULL; }
    if (n_in < 0 || n_out < 0) { ts_error(TS_ERR_INVALID, "node '%s': negative arity", shown); return NULL; }
    if (ir_check_ids(g, shown, in, n_in) || ir_check_ids(g, shown, out, n_out)) return NULL;
    if (ir_grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes, sizeof *g->nodes)) return NULL;
    ir_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = ir_node_name(g, op_type, name);
    n->op_type = ts_strdup(op_type);
    n->domain = ts_strdup("");
    n->in = ir_dup_ids(in, n_in);
    n->out = ir_dup_ids(out, n_out);
    if (!n->name || !n->op_type || !n->domain || !n->in || !n->out) { ir_node_clear(n); return NULL; }
    n->n_in = n_in;
    n->n_out = n_out;
    for (int i = 0; i < n_out; i++)
        if (out[i] >= 0 && g->values[out[i]].producer < 0) g->values[out[i]].producer = g->n_nodes;
    g->n_nodes++;
    return n;
}

ts_status ir_node_set_domain(ir_node *n, const char *domain) {
    char *d = ts_strdup(domain ? domain : "");
    if (!d) return TS_ERR_NOMEM;
    ts_free(n->domain);
    n->domain = d;
    return TS_OK;
}

static ts_status ir_add_id(int **arr, int *count, int value) {
    int *p = ts_realloc(*arr, (size_t)(*count + 1) * sizeof *p);
    if (!p) return TS_ERR_NOMEM;
    p[(*count)++] = value;
    *arr = p;
    return TS_OK;
}

ts_status ir_graph_add_input(ir_graph *g, int value) {
    if (value < 0 || value >= g->n_values) return ts_error(TS_ERR_RANGE, "graph input id %d out of range", value);
    ts_status st = ir_add_id(&g->inputs, &g->n_inputs, value);
    if (st == TS_OK) g->values[value].is_input = true;
    return st;
}

ts_status ir_graph_add_output(ir_graph *g, int value) {
    if (value < 0 || value >= g->n_values) return ts_error(TS_ERR_RANGE, "graph output id %d out of range", value);
    ts_status st = ir_add_id(&g->outputs, &g->n_outputs, value);
    if (st == TS_OK) g->values[value].is_output = true;
    return st;
}

/* ---- attributes ---------------------------------------------------------- */

const ir_attr *ir_attr_find(const ir_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

/* The slot for attribute `name`, emptied (replacing an old value) or appended. */
static ir_attr *ir_attr_slot(ir_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++) {
        if (strcmp(n->attrs[i].name, name) != 0) continue;
        char *keep = n->attrs[i].name;
        n->attrs[i].name = NULL;
        ir_attr_clear(&n->attrs[i]);
        n->attrs[i].name = keep;
        return &n->attrs[i];
    }
    char *nm = ts_strdup(name);
    ir_attr *p = nm ? ts_realloc(n->attrs, (size_t)(n->n_attr + 1) * sizeof *p) : NULL;
    if (!p) { ts_free(nm); return NULL; }
    n->attrs = p;
    ir_attr *a = &p[n->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = nm;
    return a;
}

ts_status ir_node_set_int(ir_node *n, const char *name, int64_t v) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_INT;
    a->i = v;
    return TS_OK;
}

ts_status ir_node_set_float(ir_node *n, const char *name, float v) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_FLOAT;
    a->f = v;
    return TS_OK;
}

ts_status ir_node_set_bytes(ir_node *n, const char *name, const char *s, size_t len) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_STRING;
    a->s = ts_malloc(len + 1);
    if (!a->s) return TS_ERR_NOMEM;
    if (len) memcpy(a->s, s, len);
    a->s[len] = 0;
    a->s_len = len;
    return TS_OK;
}

ts_status ir_node_set_string(ir_node *n, const char *name, const char *s) {
    return ir_node_set_bytes(n, name, s, strlen(s));
}

ts_status ir_node_set_ints(ir_node *n, const char *name, const int64_t *v, int count) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_INTS;
    a->ints = ts_malloc((size_t)(count > 0 ? count : 1) * sizeof *v);
    if (!a->ints) return TS_ERR_NOMEM;
    if (count > 0) memcpy(a->ints, v, (size_t)count * sizeof *v);
    a->n = count;
    return TS_OK;
}

ts_status ir_node_set_floats(ir_node *n, const char *name, const float *v, int count) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_FLOATS;
    a->floats = ts_malloc((size_t)(count > 0 ? count : 1) * sizeof *v);
    if (!a->floats) return TS_ERR_NOMEM;
    if (count > 0) memcpy(a->floats, v, (size_t)count * sizeof *v);
    a->n = count;
    return TS_OK;
}

ts_status ir_node_set_strings(ir_node *n, const char *name, const char *const *v, int count) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) return TS_ERR_NOMEM;
    a->type = IR_ATTR_STRINGS;
    a->strings = ts_calloc((size_t)(count > 0 ? count : 1), sizeof *a->strings);
    if (!a->strings) return TS_ERR_NOMEM;
    a->n = count;
    for (int i = 0; i < count; i++)
        if (!(a->strings[i] = ts_strdup(v[i]))) return TS_ERR_NOMEM;
    return TS_OK;
}

ts_status ir_node_set_tensor(ir_node *n, const char *name, ts_tensor *t) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) { ts_tensor_free(t); return TS_ERR_NOMEM; }
    a->type = IR_ATTR_TENSOR;
    a->t = t;
    return TS_OK;
}

ts_status ir_node_set_graph(ir_node *n, const char *name, ir_graph *sub) {
    ir_attr *a = ir_attr_slot(n, name);
    if (!a) { ir_graph_free(sub); return TS_ERR_NOMEM; }
    a->type = IR_ATTR_GRAPH;
    a->g = sub;
    return TS_OK;
}

void ir_node_remove_attr(ir_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++) {
        if (strcmp(n->attrs[i].name, name) != 0) continue;
        ir_attr_clear(&n->attrs[i]);
        n->attrs[i] = n->attrs[--n->n_attr];
        return;
    }
}

/* Getters accept the closest type too (an INT where a FLOAT is wanted), as
 * exporters are not always exact; anything else gives the default. */
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t def) {
    const ir_attr *a = ir_attr_find(n, name);
    if (a && a->type == IR_ATTR_INT) return a->i;
    return def;
}

float ir_attr_float(const ir_node *n, const char *name, float def) {
    const ir_attr *a = ir_attr_find(n, name);
    if (a && a->type == IR_ATTR_FLOAT) return a->f;
    if (a && a->type == IR_ATTR_INT) return (float)a->i;
    return def;
}

const char *ir_attr_string(const ir_node *n, const char *name, const char *def) {
    const ir_attr *a = ir_attr_find(n, name);
    return a && a->type == IR_ATTR_STRING ? a->s : def;
}

const int64_t *ir_attr_ints(const ir_node *n, const char *name, int *count) {
    const ir_attr *a = ir_attr_find(n, name);
    if (a && a->type == IR_ATTR_INTS) { *count = a->n; return a->ints; }
    if (a && a->type == IR_ATTR_INT) { *count = 1; return &a->i; }
    *count = 0;
    return NULL;
}

const float *ir_attr_floats(const ir_node *n, const char *name, int *count) {
    const ir_attr *a = ir_attr_find(n, name);
    if (a && a->type == IR_ATTR_FLOATS) { *count = a->n; return a->floats; }
    if (a && a->type == IR_ATTR_FLOAT) { *count = 1; return &a->f; }
    *count = 0;
    return NULL;
}

const ts_tensor *ir_attr_tensor(const ir_node *n, const char *name) {
    const ir_attr *a = ir_attr_find(n, name);
    return a && a->type == IR_ATTR_TENSOR ? a->t : NULL;
}

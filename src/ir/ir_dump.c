/* ir_dump.c: the human-readable IR listing used by --dump-ir. One line per
 * value declaration and per node:
 *
 *   graph 'g' opset 13: 1 inputs, 1 outputs, 2 nodes, 2 constants
 *     input  x : float32[batch,3,8,8]
 *     const  w : float32[4,3,3,3]
 *     node 0 Conv 'c0' (x, w) -> y : float32[batch,4,6,6]  kernel_shape=[3,3]
 *     output y : float32[batch,4,6,6]
 *
 * '?' marks an unknown dim, '?' alone an unknown rank.
 */
#include "ir/ir_int.h"

static void ir_dump_type(const ir_value *v, FILE *f) {
    fprintf(f, "%s", ts_dtype_name(v->dtype));
    if (v->rank < 0) { fputs("[?]", f); return; }
    fputc('[', f);
    for (int d = 0; d < v->rank; d++) {
        if (d) fputc(',', f);
        if (v->dims[d] >= 0) fprintf(f, "%lld", (long long)v->dims[d]);
        else if (v->dim_param[d] && *v->dim_param[d]) fputs(v->dim_param[d], f);
        else fputc('?', f);
    }
    fputc(']', f);
}

static void ir_dump_list_i(const int64_t *v, int n, FILE *f) {
    fputc('[', f);
    for (int i = 0; i < n && i < 16; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)v[i]);
    fputs(n > 16 ? ",...]" : "]", f);
}

static void ir_dump_list_f(const float *v, int n, FILE *f) {
    fputc('[', f);
    for (int i = 0; i < n && i < 16; i++) fprintf(f, "%s%g", i ? "," : "", (double)v[i]);
    fputs(n > 16 ? ",...]" : "]", f);
}

static void ir_dump_attr(const ir_attr *a, FILE *f) {
    char buf[160];
    fprintf(f, " %s=", a->name);
    switch (a->type) {
    case IR_ATTR_FLOAT:   fprintf(f, "%g", (double)a->f); break;
    case IR_ATTR_INT:     fprintf(f, "%lld", (long long)a->i); break;
    case IR_ATTR_STRING:  fprintf(f, "\"%.60s\"", a->s); break;
    case IR_ATTR_TENSOR:  fprintf(f, "tensor<%s%s>", ts_dtype_name(a->t->dtype),
                                  ts_shape_str(a->t->rank, a->t->dims, buf, sizeof buf)); break;
    case IR_ATTR_GRAPH:   fprintf(f, "graph<%d nodes>", a->g ? a->g->n_nodes : 0); break;
    case IR_ATTR_FLOATS:  ir_dump_list_f(a->floats, a->n, f); break;
    case IR_ATTR_INTS:    ir_dump_list_i(a->ints, a->n, f); break;
    case IR_ATTR_STRINGS: fprintf(f, "strings<%d>", a->n); break;
    default:              fputs("undefined", f); break;
    }
}

static void ir_dump_node(const ir_graph *g, int i, FILE *f) {
    const ir_node *n = &g->nodes[i];
    fprintf(f, "  node %d %s%s%s '%s' (", i, n->domain && *n->domain ? n->domain : "",
            n->domain && *n->domain ? "." : "", n->op_type, n->name);
    for (int k = 0; k < n->n_in; k++)
        fprintf(f, "%s%s", k ? ", " : "", n->in[k] >= 0 ? g->values[n->in[k]].name : "<none>");
    fputs(") ->", f);
    for (int k = 0; k < n->n_out; k++) {
        fputs(k ? ", " : " ", f);
        if (n->out[k] < 0) { fputs("<none>", f); continue; }
        fprintf(f, "%s : ", g->values[n->out[k]].name);
        ir_dump_type(&g->values[n->out[k]], f);
    }
    for (int k = 0; k < n->n_attr; k++) ir_dump_attr(&n->attrs[k], f);
    fputs(n->dead ? "  (dead)\n" : "\n", f);
}

static void ir_dump_decl(const char *what, const ir_value *v, FILE *f) {
    fprintf(f, "  %-6s %s : ", what, v->name);
    ir_dump_type(v, f);
    fputc('\n', f);
}

void ir_dump(const ir_graph *g, FILE *f) {
    int consts = 0;
    for (int v = 0; v < g->n_values; v++) consts += g->values[v].data != NULL;
    fprintf(f, "graph '%s' opset %d: %d inputs, %d outputs, %d nodes, %d constants\n",
            g->name ? g->name : "", g->opset, g->n_inputs, g->n_outputs, g->n_nodes, consts);
    for (int i = 0; i < g->n_inputs; i++) ir_dump_decl("input", &g->values[g->inputs[i]], f);
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data) ir_dump_decl("const", &g->values[v], f);
    for (int i = 0; i < g->n_nodes; i++) ir_dump_node(g, i, f);
    for (int i = 0; i < g->n_outputs; i++) ir_dump_decl("output", &g->values[g->outputs[i]], f);
}

/* onnx_attr.c: AttributeProto -> ir_attr, and a type check of well-known
 * attribute names (the IR's getters fall back to defaults on a type
 * mismatch, so a FLOAT kernel_shape would otherwise be silently ignored). */
#include "frontend/onnx_int.h"

#include <string.h>

typedef Onnx__AttributeProto__AttributeType onnx_atype;

/* Old exporters leave `type` unset: deduce it from the field present. */
static onnx_atype onnx_attr_type(const Onnx__AttributeProto *a) {
    if (a->has_type && a->type) return a->type;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static ts_status onnx_attr_strings(ir_node *n, const Onnx__AttributeProto *a) {
    char **s = ts_calloc(a->n_strings + 1, sizeof *s);
    ts_status st = s ? TS_OK : TS_ERR_NOMEM;
    for (size_t i = 0; i < a->n_strings && st == TS_OK; i++) {
        s[i] = ts_malloc(a->strings[i].len + 1);
        if (!s[i]) { st = TS_ERR_NOMEM; break; }
        if (a->strings[i].len) memcpy(s[i], a->strings[i].data, a->strings[i].len);
        s[i][a->strings[i].len] = 0;
    }
    if (st == TS_OK) st = ir_node_set_strings(n, a->name, (const char *const *)s, (int)a->n_strings);
    for (size_t i = 0; s && i < a->n_strings; i++) ts_free(s[i]);
    ts_free(s);
    return st;
}

static ts_status onnx_attr_tensor(onnx_ctx *c, ir_node *n, const Onnx__AttributeProto *a) {
    char what[320];
    snprintf(what, sizeof what, "node '%.120s' (%.60s): attribute '%.100s'", n->name, n->op_type, a->name);
    if (!a->t) return ts_error(TS_ERR_INVALID, "%s: TENSOR without a tensor", what);
    ts_tensor *t;
    ts_status st = onnx_tensor_convert(c->src, a->t, what, &t);
    return st ? st : ir_node_set_tensor(n, a->name, t);
}

static ts_status onnx_attr_graph(onnx_ctx *c, ir_node *n, const Onnx__AttributeProto *a) {
    if (!a->g)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): attribute '%s': GRAPH without a graph",
                        n->name, n->op_type, a->name);
    if (c->depth >= ONNX_MAX_DEPTH)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): subgraphs nest deeper than %d",
                        n->name, n->op_type, ONNX_MAX_DEPTH);
    onnx_ctx sub = *c;
    sub.depth++;
    ir_graph *g;
    ts_status st = onnx_graph_convert(&sub, a->g, true, &g);
    if (st) { ts_error_prefix("node '%s' (%s): attribute '%s': ", n->name, n->op_type, a->name); return st; }
    return ir_node_set_graph(n, a->name, g);
}

static ts_status onnx_attr_unsupported(const ir_node *n, const Onnx__AttributeProto *a, const char *kind) {
    return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): attribute '%s' of type %s is not supported",
                    n->name, n->op_type, a->name, kind);
}

ts_status onnx_attr_convert(onnx_ctx *c, ir_node *n, const Onnx__AttributeProto *a) {
    if (!a->name || !*a->name)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): an attribute has no name", n->name, n->op_type);
    if (a->ref_attr_name && *a->ref_attr_name)
        return onnx_attr_unsupported(n, a, "reference (function attribute)");
    if (ir_attr_find(n, a->name))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): attribute '%s' given twice", n->name, n->op_type, a->name);
    switch (onnx_attr_type(a)) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return ir_node_set_float(n, a->name, a->f);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return ir_node_set_int(n, a->name, a->i);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        return ir_node_set_bytes(n, a->name, (const char *)a->s.data, a->s.len);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        return ir_node_set_floats(n, a->name, a->floats, (int)a->n_floats);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        return ir_node_set_ints(n, a->name, a->ints, (int)a->n_ints);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return onnx_attr_strings(n, a);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return onnx_attr_tensor(c, n, a);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return onnx_attr_graph(c, n, a);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return onnx_attr_unsupported(n, a, "TENSORS");
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return onnx_attr_unsupported(n, a, "GRAPHS");
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
        return onnx_attr_unsupported(n, a, "SPARSE_TENSOR");
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
        return onnx_attr_unsupported(n, a, "TYPE_PROTO");
    default:
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): attribute '%s' has no value or an unknown type %d",
                        n->name, n->op_type, a->name, (int)a->type);
    }
}

/* ---- well-known attribute types ------------------------------------------- */

typedef struct onnx_known { const char *name; ir_attr_type type; } onnx_known;

/* Names whose type is the same in every ONNX op that has them. */
static const onnx_known onnx_known_attrs[] = {
    {"kernel_shape", IR_ATTR_INTS}, {"strides", IR_ATTR_INTS}, {"dilations", IR_ATTR_INTS},
    {"pads", IR_ATTR_INTS}, {"perm", IR_ATTR_INTS}, {"output_padding", IR_ATTR_INTS},
    {"output_shape", IR_ATTR_INTS}, {"axes", IR_ATTR_INTS}, {"split", IR_ATTR_INTS},
    {"starts", IR_ATTR_INTS}, {"ends", IR_ATTR_INTS},
    {"axis", IR_ATTR_INT}, {"group", IR_ATTR_INT}, {"keepdims", IR_ATTR_INT},
    {"transA", IR_ATTR_INT}, {"transB", IR_ATTR_INT}, {"ceil_mode", IR_ATTR_INT},
    {"count_include_pad", IR_ATTR_INT}, {"to", IR_ATTR_INT}, {"largest", IR_ATTR_INT},
    {"sorted", IR_ATTR_INT}, {"exclusive", IR_ATTR_INT}, {"reverse", IR_ATTR_INT},
    {"upper", IR_ATTR_INT}, {"select_last_index", IR_ATTR_INT}, {"batch_dims", IR_ATTR_INT},
    {"noop_with_empty_axes", IR_ATTR_INT}, {"blocksize", IR_ATTR_INT}, {"storage_order", IR_ATTR_INT},
    {"training_mode", IR_ATTR_INT}, {"num_outputs", IR_ATTR_INT}, {"allowzero", IR_ATTR_INT},
    {"alpha", IR_ATTR_FLOAT}, {"beta", IR_ATTR_FLOAT}, {"gamma", IR_ATTR_FLOAT},
    {"epsilon", IR_ATTR_FLOAT}, {"momentum", IR_ATTR_FLOAT}, {"bias", IR_ATTR_FLOAT},
    {"lambd", IR_ATTR_FLOAT}, {"min", IR_ATTR_FLOAT}, {"max", IR_ATTR_FLOAT},
    {"auto_pad", IR_ATTR_STRING}, {"mode", IR_ATTR_STRING}, {"approximate", IR_ATTR_STRING},
    {"equation", IR_ATTR_STRING}, {"coordinate_transformation_mode", IR_ATTR_STRING},
    {"nearest_mode", IR_ATTR_STRING},
};

static const char *const onnx_attr_type_names[] = {
    "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS"};

/* INT may stand where FLOAT or INTS is expected (the getters accept it). */
static bool onnx_type_ok(ir_attr_type want, ir_attr_type have) {
    return want == have || (want == IR_ATTR_FLOAT && have == IR_ATTR_INT) ||
           (want == IR_ATTR_INTS && have == IR_ATTR_INT);
}

ts_status onnx_attr_check(const ir_node *n) {
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) return TS_OK;
    for (int i = 0; i < n->n_attr; i++) {
        const ir_attr *a = &n->attrs[i];
        for (size_t k = 0; k < TS_ARRAY_LEN(onnx_known_attrs); k++) {
            if (strcmp(a->name, onnx_known_attrs[k].name)) continue;
            if (!onnx_type_ok(onnx_known_attrs[k].type, a->type))
                return ts_error(TS_ERR_INVALID, "node '%s' (%s): attribute '%s' must be %s, found %s",
                                n->name, n->op_type, a->name, onnx_attr_type_names[onnx_known_attrs[k].type],
                                onnx_attr_type_names[a->type]);
            break;
        }
    }
    return TS_OK;
}

/* ir op table "elementwise": math, activations, comparisons, logic, Cast,
 * Where, Identity, Dropout. Shapes follow numpy broadcasting; dtypes must
 * agree where ONNX says T for several inputs. */
#include "ir/ir.h"
#include "ir/op_elementwise.h"

#include <string.h>

bool ir_ew_legacy_dims(const ir_node *n, int opset, const ts_tensor *a, const ts_tensor *b,
                       int *rb, int64_t *db) {
    if (opset <= 0 || opset >= 7 || !a || !b) return false;
    if (!strcmp(n->op_type, "PRelu")) {
        if (b->rank != 1 || a->rank < 2 || b->dims[0] != a->dims[1] || b->dims[0] == 1) return false;
        *rb = a->rank - 1;
        db[0] = b->dims[0];
        for (int d = 1; d < *rb; d++) db[d] = 1;
        return true;
    }
    if (!ir_attr_int(n, "broadcast", 0) || !ir_attr_find(n, "axis")) return false;
    int64_t axis = ir_attr_int(n, "axis", 0);
    if (axis < 0) axis += a->rank;
    int r = (int)(a->rank - axis);
    if (axis < 0 || r < b->rank || r > TS_MAX_RANK) return false;
    for (int d = 0; d < r; d++) db[d] = d < b->rank ? b->dims[d] : 1;
    *rb = r;
    return true;
}

static ts_status ew_bad_dtype(const ir_infer_ctx *c, int i, const char *want) {
    return ts_error(TS_ERR_INVALID, "node '%s' (%s): input %d has dtype %s, expected %s",
                    c->node->name, c->node->op_type, i, ts_dtype_name(c->in[i]->dtype), want);
}

static bool ew_numeric(ts_dtype t) {
    return t != TS_BOOL && t != TS_STRING && ts_dtype_size(t) > 0;
}

/* Broadcasts every present input from `first` on; dtypes must equal in[first]'s. */
static ts_status ew_bcast_all(ir_infer_ctx *c, int first, bool same_dtype, int *r, int64_t *d) {
    *r = c->in[first]->rank;
    memcpy(d, c->in[first]->dims, sizeof(int64_t) * (size_t)*r);
    for (int i = first + 1; i < c->n_in; i++) {
        if (!c->in[i]) continue;
        if (same_dtype && c->in[i]->dtype != c->in[first]->dtype)
            return ew_bad_dtype(c, i, ts_dtype_name(c->in[first]->dtype));
        int rb = c->in[i]->rank;
        int64_t db[TS_MAX_RANK];
        if (!(c->n_in == 2 && ir_ew_legacy_dims(c->node, c->opset, c->in[0], c->in[1], &rb, db)))
            memcpy(db, c->in[i]->dims, sizeof(int64_t) * (size_t)rb);
        ts_status st = ir_broadcast_shape(c->node, *r, d, rb, db, r, d);
        if (st) return st;
    }
    return TS_OK;
}

static ts_status ew_infer_same(ir_infer_ctx *c) {
    ir_set_out(c->out[0], c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

static ts_status ew_infer_float_unary(ir_infer_ctx *c) {
    if (!ts_dtype_is_float(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a float type");
    return ew_infer_same(c);
}

static ts_status ew_infer_numeric_unary(ir_infer_ctx *c) {
    if (!ew_numeric(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a numeric type");
    return ew_infer_same(c);
}

static ts_status ew_infer_not(ir_infer_ctx *c) {
    if (c->in[0]->dtype != TS_BOOL) return ew_bad_dtype(c, 0, "bool");
    return ew_infer_same(c);
}

static ts_status ew_infer_test(ir_infer_ctx *c) {
    if (!ts_dtype_is_float(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a float type");
    ir_set_out(c->out[0], TS_BOOL, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

/* Arithmetic: same dtype in and out (Pow's exponent may differ). */
static ts_status ew_infer_arith(ir_infer_ctx *c) {
    int r;
    int64_t d[TS_MAX_RANK];
    bool is_pow = !strcmp(c->node->op_type, "Pow");
    if (!ew_numeric(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a numeric type");
    if (is_pow && !ew_numeric(c->in[1]->dtype)) return ew_bad_dtype(c, 1, "a numeric type");
    ts_status st = ew_bcast_all(c, 0, !is_pow, &r, d);
    if (st) return st;
    ir_set_out(c->out[0], c->in[0]->dtype, r, d);
    return TS_OK;
}

static ts_status ew_infer_bitshift(ir_infer_ctx *c) {
    ts_dtype t = c->in[0]->dtype;
    if (t != TS_U8 && t != TS_U16 && t != TS_U32 && t != TS_U64) return ew_bad_dtype(c, 0, "an unsigned integer");
    const char *dir = ir_attr_string(c->node, "direction", "");
    if (strcmp(dir, "LEFT") && strcmp(dir, "RIGHT"))
        return ts_error(TS_ERR_INVALID, "node '%s' (BitShift): attribute 'direction' must be LEFT or RIGHT, not '%s'",
                        c->node->name, dir);
    return ew_infer_arith(c);
}

static ts_status ew_infer_compare(ir_infer_ctx *c) {
    int r;
    int64_t d[TS_MAX_RANK];
    if (ts_dtype_size(c->in[0]->dtype) == 0) return ew_bad_dtype(c, 0, "a numeric or bool type");
    ts_status st = ew_bcast_all(c, 0, true, &r, d);
    if (st) return st;
    ir_set_out(c->out[0], TS_BOOL, r, d);
    return TS_OK;
}

static ts_status ew_infer_logic(ir_infer_ctx *c) {
    if (c->in[0]->dtype != TS_BOOL) return ew_bad_dtype(c, 0, "bool");
    return ew_infer_compare(c);
}

static ts_status ew_infer_where(ir_infer_ctx *c) {
    int r;
    int64_t d[TS_MAX_RANK];
    if (c->in[0]->dtype != TS_BOOL) return ew_bad_dtype(c, 0, "bool");
    if (c->in[2]->dtype != c->in[1]->dtype) return ew_bad_dtype(c, 2, ts_dtype_name(c->in[1]->dtype));
    if (ts_dtype_size(c->in[1]->dtype) == 0) return ew_bad_dtype(c, 1, "a numeric or bool type");
    ts_status st = ew_bcast_all(c, 0, false, &r, d);
    if (st) return st;
    ir_set_out(c->out[0], c->in[1]->dtype, r, d);
    return TS_OK;
}

/* Clip: min/max (opset >= 11) are optional scalars of the input's dtype. */
static ts_status ew_infer_clip(ir_infer_ctx *c) {
    if (!ew_numeric(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a numeric type");
    for (int i = 1; i < c->n_in; i++) {
        if (!c->in[i]) continue;
        if (ts_shape_numel(c->in[i]->rank, c->in[i]->dims) != 1)
            return ts_error(TS_ERR_INVALID, "node '%s' (Clip): input %d (%s) must be a scalar",
                            c->node->name, i, i == 1 ? "min" : "max");
        if (c->in[i]->dtype != c->in[0]->dtype) return ew_bad_dtype(c, i, ts_dtype_name(c->in[0]->dtype));
    }
    return ew_infer_same(c);
}

static ts_status ew_cast_to(ir_infer_ctx *c, ts_dtype to) {
    ts_dtype from = c->in[0]->dtype;
    if (to == TS_STRING || from == TS_STRING)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): casts to or from string are not supported",
                        c->node->name, c->node->op_type);
    if (ts_dtype_size(to) == 0 || ts_dtype_size(from) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): cast from %s to %s is not supported",
                        c->node->name, c->node->op_type, ts_dtype_name(from), ts_dtype_name(to));
    ir_set_out(c->out[0], to, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

static ts_status ew_infer_cast(ir_infer_ctx *c) {
    int64_t to = ir_attr_int(c->node, "to", -1);
    if (!ir_attr_find(c->node, "to") || to <= 0 || to >= TS_DTYPE_MAX)
        return ts_error(TS_ERR_INVALID, "node '%s' (Cast): attribute 'to' missing or unknown (%lld)",
                        c->node->name, (long long)to);
    return ew_cast_to(c, (ts_dtype)to);
}

static ts_status ew_infer_castlike(ir_infer_ctx *c) { return ew_cast_to(c, c->in[1]->dtype); }

static ts_status ew_infer_identity(ir_infer_ctx *c) {
    if (ts_dtype_size(c->in[0]->dtype) == 0) return ew_bad_dtype(c, 0, "a tensor type");
    return ew_infer_same(c);
}

/* Dropout: output like the input, optional mask (bool since opset 10). */
static ts_status ew_infer_dropout(ir_infer_ctx *c) {
    if (!ts_dtype_is_float(c->in[0]->dtype)) return ew_bad_dtype(c, 0, "a float type");
    ew_infer_same(c);
    if (c->n_out > 1 && c->out[1])
        ir_set_out(c->out[1], c->opset >= 10 ? TS_BOOL : c->in[0]->dtype, c->in[0]->rank, c->in[0]->dims);
    return TS_OK;
}

/* Windows: a 1-D tensor of `size` (a scalar input, so its value is needed). */
static ts_status ew_infer_window(ir_infer_ctx *c) {
    const ts_tensor *s = c->in[0];
    int64_t to = ir_attr_int(c->node, "output_datatype", TS_F32);
    if ((s->dtype != TS_I32 && s->dtype != TS_I64) || ts_shape_numel(s->rank, s->dims) != 1)
        return ew_bad_dtype(c, 0, "an int32/int64 scalar");
    if (to <= 0 || to >= TS_DTYPE_MAX || ts_dtype_size((ts_dtype)to) == 0 || to == TS_BOOL)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): output_datatype %lld not supported",
                        c->node->name, c->node->op_type, (long long)to);
    if (!s->data) return IR_NEED_VALUE;
    int64_t size = s->dtype == TS_I32 ? *(const int32_t *)s->data : *(const int64_t *)s->data;
    if (size < 0)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): size %lld is negative", c->node->name,
                        c->node->op_type, (long long)size);
    ir_set_out(c->out[0], (ts_dtype)to, 1, &size);
    return TS_OK;
}

/* EyeLike: the input's 2-D shape, dtype from `dtype` or the input's. */
static ts_status ew_infer_eyelike(ir_infer_ctx *c) {
    int64_t to = ir_attr_int(c->node, "dtype", c->in[0]->dtype);
    if (c->in[0]->rank != 2)
        return ts_error(TS_ERR_INVALID, "node '%s' (EyeLike): input must be 2-D, not rank %d",
                        c->node->name, c->in[0]->rank);
    if (to <= 0 || to >= TS_DTYPE_MAX || ts_dtype_size((ts_dtype)to) == 0)
        return ts_error(TS_ERR_INVALID, "node '%s' (EyeLike): dtype %lld not supported", c->node->name,
                        (long long)to);
    ir_set_out(c->out[0], (ts_dtype)to, 2, c->in[0]->dims);
    return TS_OK;
}

#define UN(name, fn) {name, 1, 1, 1, 1, fn}
#define BIN(name, fn) {name, 2, 2, 1, 1, fn}
const ir_opdef ir_ops_elementwise[] = {
    BIN("Add", ew_infer_arith), BIN("Sub", ew_infer_arith), BIN("Mul", ew_infer_arith),
    BIN("Div", ew_infer_arith), BIN("Pow", ew_infer_arith), BIN("Mod", ew_infer_arith),
    BIN("PRelu", ew_infer_arith), BIN("BitShift", ew_infer_bitshift),
    {"Max", 1, -1, 1, 1, ew_infer_arith}, {"Min", 1, -1, 1, 1, ew_infer_arith},
    {"Sum", 1, -1, 1, 1, ew_infer_arith}, {"Mean", 1, -1, 1, 1, ew_infer_arith},
    BIN("Equal", ew_infer_compare), BIN("Less", ew_infer_compare),
    BIN("Greater", ew_infer_compare), BIN("LessOrEqual", ew_infer_compare),
    BIN("GreaterOrEqual", ew_infer_compare),
    BIN("And", ew_infer_logic), BIN("Or", ew_infer_logic), BIN("Xor", ew_infer_logic),
    {"Where", 3, 3, 1, 1, ew_infer_where},
    {"Clip", 1, 3, 1, 1, ew_infer_clip},
    UN("Cast", ew_infer_cast), BIN("CastLike", ew_infer_castlike),
    UN("Identity", ew_infer_identity),
    UN("HannWindow", ew_infer_window), UN("HammingWindow", ew_infer_window),
    UN("BlackmanWindow", ew_infer_window), UN("EyeLike", ew_infer_eyelike), {"Dropout", 1, 3, 1, 2, ew_infer_dropout},
    UN("Abs", ew_infer_numeric_unary), UN("Neg", ew_infer_numeric_unary),
    UN("Sign", ew_infer_numeric_unary), UN("Relu", ew_infer_numeric_unary),
    UN("Shrink", ew_infer_numeric_unary), UN("Not", ew_infer_not),
    UN("IsNaN", ew_infer_test), UN("IsInf", ew_infer_test),
    UN("Sqrt", ew_infer_float_unary), UN("Exp", ew_infer_float_unary),
    UN("Log", ew_infer_float_unary), UN("Reciprocal", ew_infer_float_unary),
    UN("Floor", ew_infer_float_unary), UN("Ceil", ew_infer_float_unary),
    UN("Round", ew_infer_float_unary), UN("Erf", ew_infer_float_unary),
    UN("Tanh", ew_infer_float_unary), UN("Sigmoid", ew_infer_float_unary),
    UN("LeakyRelu", ew_infer_float_unary), UN("Elu", ew_infer_float_unary),
    UN("Selu", ew_infer_float_unary), UN("HardSigmoid", ew_infer_float_unary),
    UN("HardSwish", ew_infer_float_unary), UN("Gelu", ew_infer_float_unary),
    UN("Softplus", ew_infer_float_unary), UN("Softsign", ew_infer_float_unary),
    UN("Sin", ew_infer_float_unary), UN("Cos", ew_infer_float_unary),
    UN("Tan", ew_infer_float_unary), UN("Asin", ew_infer_float_unary),
    UN("Acos", ew_infer_float_unary), UN("Atan", ew_infer_float_unary),
    UN("Sinh", ew_infer_float_unary), UN("Cosh", ew_infer_float_unary),
    UN("Asinh", ew_infer_float_unary), UN("Acosh", ew_infer_float_unary),
    UN("Atanh", ew_infer_float_unary), UN("ThresholdedRelu", ew_infer_float_unary),
    UN("Celu", ew_infer_float_unary), UN("Mish", ew_infer_float_unary),
    {NULL, 0, 0, 0, 0, NULL}};

/*
 * CPU kernels of the data-movement ops. They move bytes, never look at
 * values (except index and shape inputs), so every element type of any
 * size works the same way. Shapes come from the ir infer functions; the
 * attribute semantics they share (Slice, Pad, Split, Transpose) from
 * ir/op_shape.h. The copy engine is in op_shape_copy.c, Gather/Scatter and
 * friends in op_shape_index.c.
 */
#include "cpu/op_shape_int.h"
#include "ir/op_shape.h"

#include <math.h>
#include <string.h>

#define ES(t) ts_dtype_size((t)->dtype)

/* Reshape, Flatten, Squeeze, Unsqueeze: same bytes, new shape. */
static ts_status run_view(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n; (void)n_in; (void)n_out;
    if (ts_tensor_nbytes(out[0]) != ts_tensor_nbytes(in[0]))
        return ts_error(TS_ERR_INTERNAL, SHP_NODE_FMT "output size differs from input",
                        SHP_NODE_ARGS(n));
    shp_memcpy(ctx, out[0]->data, in[0]->data, ts_tensor_nbytes(in[0]));
    return TS_OK;
}

static ts_status run_transpose(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int perm[TS_MAX_RANK];
    int64_t is[TS_MAX_RANK], ss[TS_MAX_RANK], ds[TS_MAX_RANK];
    ts_status s = ir_shape_perm(n, x->rank, perm);
    if (s) return s;
    shp_strides(x->rank, x->dims, is);
    shp_strides(out[0]->rank, out[0]->dims, ds);
    for (int i = 0; i < x->rank; i++) ss[i] = is[perm[i]];
    shp_copy(ctx, ES(x), x->rank, out[0]->dims, out[0]->data, ds, x->data, ss);
    return TS_OK;
}

/* Concat and Split both view a tensor as [outer, axis * inner] rows. */
static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

static ts_status run_concat(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out) {
    (void)n_out;
    ts_tensor *y = out[0];
    int axis;
    ts_status s = ir_norm_axis(n, ir_attr_int(n, "axis", 0), y->rank, &axis);
    if (s) return s;
    size_t es = ES(y);
    int64_t outer = prod(y->dims, 0, axis), row = prod(y->dims, axis, y->rank), at = 0;
    for (int i = 0; i < n_in; i++) {
        int64_t w = prod(in[i]->dims, axis, in[i]->rank);
        shp_copy(ctx, es, 2, (int64_t[]){outer, w}, (char *)y->data + at * (int64_t)es,
                 (int64_t[]){row, 1}, in[i]->data, (int64_t[]){w, 1});
        at += w;
    }
    return TS_OK;
}

static ts_status run_split(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out) {
    const ts_tensor *x = in[0];
    int axis;
    int64_t *sizes = ts_malloc(sizeof(int64_t) * (size_t)n_out);
    if (!sizes) return TS_ERR_NOMEM;
    ts_status s = ir_shape_split(n, ctx->opset, in, n_in, n_out, x->rank, x->dims, &axis, sizes);
    size_t es = ES(x);
    int64_t outer = prod(x->dims, 0, axis), row = prod(x->dims, axis, x->rank), at = 0;
    for (int i = 0; s == TS_OK && i < n_out; i++) {
        int64_t w = prod(out[i]->dims, axis, out[i]->rank);
        shp_copy(ctx, es, 2, (int64_t[]){outer, w}, out[i]->data, (int64_t[]){w, 1},
                 (const char *)x->data + at * (int64_t)es, (int64_t[]){row, 1});
        at += w;
    }
    ts_free(sizes);
    return s;
}

static ts_status run_slice(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out) {
    (void)n_out;
    const ts_tensor *x = in[0];
    int64_t start[TS_MAX_RANK], step[TS_MAX_RANK], len[TS_MAX_RANK], is[TS_MAX_RANK],
        ss[TS_MAX_RANK], ds[TS_MAX_RANK];
    ts_status s = ir_shape_slice(n, ctx->opset, in, n_in, x->rank, x->dims, start, step, len);
    if (s) return s;
    shp_strides(x->rank, x->dims, is);
    shp_strides(x->rank, len, ds);
    int64_t off = 0;
    for (int i = 0; i < x->rank; i++) {
        if (len[i] == 0) return TS_OK;
        off += start[i] * is[i];
        ss[i] = step[i] * is[i];
    }
    shp_copy(ctx, ES(x), x->rank, len, out[0]->data, ds,
             (const char *)x->data + off * (int64_t)ES(x), ss);
    return TS_OK;
}

/* Expand: broadcast axes read with stride 0. */
static ts_status run_expand(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out) {
    (void)n; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    int64_t is[TS_MAX_RANK], ss[TS_MAX_RANK], ds[TS_MAX_RANK];
    shp_strides(x->rank, x->dims, is);
    shp_strides(y->rank, y->dims, ds);
    int shift = y->rank - x->rank;
    for (int i = 0; i < y->rank; i++) {
        int j = i - shift;
        ss[i] = j < 0 || x->dims[j] == 1 ? 0 : is[j];
    }
    shp_copy(ctx, ES(x), y->rank, y->dims, y->data, ds, x->data, ss);
    return TS_OK;
}

/* Tile: axis i of the output seen as (repeat, dim) with the source stride 0
 * on the repeat axis. */
static ts_status run_tile(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    int64_t is[TS_MAX_RANK], os[TS_MAX_RANK];
    int64_t dims[SHP_MAX_DIMS], ds[SHP_MAX_DIMS], ss[SHP_MAX_DIMS];
    if (ts_tensor_numel(y) == 0) return TS_OK;
    shp_strides(x->rank, x->dims, is);
    shp_strides(y->rank, y->dims, os);
    for (int i = 0; i < x->rank; i++) {
        dims[2 * i] = y->dims[i] / x->dims[i];
        dims[2 * i + 1] = x->dims[i];
        ds[2 * i] = x->dims[i] * os[i];
        ds[2 * i + 1] = os[i];
        ss[2 * i] = 0;
        ss[2 * i + 1] = is[i];
    }
    shp_copy(ctx, ES(x), 2 * x->rank, dims, y->data, ds, x->data, ss);
    return TS_OK;
}

/* ---- Pad ---------------------------------------------------------------------- */

/* Source index of output index o along an axis padded by b in front, where
 * the (cropped) source spans [lo, lo + len); -1 = the constant. */
static int64_t pad_map(ir_pad_mode mode, int64_t o, int64_t b, int64_t lo, int64_t len) {
    int64_t i = o - b;                  /* position relative to the kept part */
    if (i >= 0 && i < len) return lo + i;
    switch (mode) {
    case IR_PAD_EDGE: return lo + (i < 0 ? 0 : len - 1);
    case IR_PAD_WRAP: return lo + ((i % len) + len) % len;
    case IR_PAD_REFLECT: {
        if (len == 1) return lo;
        int64_t period = 2 * (len - 1), m = ((i % period) + period) % period;
        return lo + (m < len ? m : period - m);
    }
    default: return -1;
    }
}

typedef struct pad_job {
    const ts_tensor *x;
    ts_tensor *y;
    int64_t *map[TS_MAX_RANK];          /* per output axis, source index or -1 */
    int64_t is[TS_MAX_RANK];
    int64_t lines, width;               /* output lines (all axes but last), last dim */
    int64_t b_last, lo_last, len_last;  /* the kept run of the last axis */
    const void *value;
    size_t es;
} pad_job;

static void pad_lines(void *arg, int64_t begin, int64_t end) {
    const pad_job *j = arg;
    int r = j->y->rank;
    for (int64_t line = begin; line < end; line++) {
        char *d = (char *)j->y->data + line * j->width * (int64_t)j->es;
        int64_t rem = line, soff = 0;
        bool constant = false;
        for (int a = r - 2; a >= 0; a--) {
            int64_t o = rem % j->y->dims[a], m = j->map[a][o];
            rem /= j->y->dims[a];
            if (m < 0) constant = true;
            soff += m * j->is[a];
        }
        const char *s = (const char *)j->x->data + soff * (int64_t)j->es;
        const int64_t *m = j->map[r - 1];
        for (int64_t k = 0; k < j->width; k++) {
            if (!constant && k == TS_MAX(j->b_last, 0) && j->len_last > 0) {
                /* the kept run is contiguous in both tensors */
                memcpy(d + k * (int64_t)j->es, s + j->lo_last * (int64_t)j->es,
                       (size_t)j->len_last * j->es);
                k += j->len_last - 1;
                continue;
            }
            const void *v = constant || m[k] < 0 ? j->value : s + m[k] * (int64_t)j->es;
            memcpy(d + k * (int64_t)j->es, v, j->es);
        }
    }
}

/* The constant as raw bytes of the data type. */
static void pad_value(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                      ts_dtype dt, uint8_t *buf) {
    memset(buf, 0, 16);
    if (ctx->opset >= 11) {
        if (n_in > 2 && in[2] && ts_tensor_numel(in[2]) == 1)
            memcpy(buf, in[2]->data, ts_dtype_size(dt));
        return;
    }
    ts_tensor *t = ts_tensor_wrap(dt, 0, NULL, buf);
    if (t) { ts_tensor_set(t, 0, ir_attr_float(n, "value", 0.0f)); ts_tensor_free(t); }
}

static ts_status run_pad(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                         ts_tensor **out, int n_out) {
    (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    int64_t b[TS_MAX_RANK], e[TS_MAX_RANK];
    ir_pad_mode mode;
    ts_status s = ir_shape_pad(n, ctx->opset, in, n_in, x->rank, x->dims, b, e, &mode);
    if (s) return s;
    if (ts_tensor_numel(y) == 0) return TS_OK;
    uint8_t value[16];
    pad_value(ctx, n, in, n_in, x->dtype, value);
    if (x->rank == 0) { memcpy(y->data, x->data, ES(x)); return TS_OK; }
    pad_job j = {.x = x, .y = y, .value = value, .es = ES(x), .lines = 1};
    int64_t total = 0;
    for (int a = 0; a < x->rank; a++) total += y->dims[a];
    int64_t *maps = ts_malloc(sizeof(int64_t) * (size_t)TS_MAX(total, 1));
    if (!maps) return TS_ERR_NOMEM;
    shp_strides(x->rank, x->dims, j.is);
    for (int a = 0, at = 0; a < x->rank; a++) {
        int64_t lo = TS_MAX(-b[a], 0), len = x->dims[a] + TS_MIN(b[a], 0) + TS_MIN(e[a], 0);
        j.map[a] = maps + at;
        at += (int)y->dims[a];
        for (int64_t o = 0; o < y->dims[a]; o++)
            j.map[a][o] = pad_map(mode, o, TS_MAX(b[a], 0), lo, len);
        if (a < x->rank - 1) j.lines *= y->dims[a];
        else { j.b_last = TS_MAX(b[a], 0); j.lo_last = lo; j.len_last = len; }
    }
    j.width = y->dims[x->rank - 1];
    ts_parallel_for(ctx->pool, j.lines, TS_MAX(1, 8192 / TS_MAX(j.width, 1)), pad_lines, &j);
    ts_free(maps);
    return TS_OK;
}

/* ---- Shape, Size, ConstantOfShape, Constant, Range ------------------------------ */

static ts_status run_shape(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    int r = in[0]->rank;
    int64_t start = ctx->opset >= 15 ? ir_attr_int(n, "start", 0) : 0;
    if (start < 0) start += r;
    start = TS_MIN(TS_MAX(start, 0), r);
    int64_t *o = out[0]->data;
    for (int64_t i = 0; i < out[0]->dims[0]; i++) o[i] = in[0]->dims[start + i];
    return TS_OK;
}

static ts_status run_size(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)ctx; (void)n; (void)n_in; (void)n_out;
    *(int64_t *)out[0]->data = ts_tensor_numel(in[0]);
    return TS_OK;
}

static ts_status run_constant_of_shape(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in,
                                       int n_in, ts_tensor **out, int n_out) {
    (void)in; (void)n_in; (void)n_out;
    const ts_tensor *v = ir_attr_tensor(n, "value");
    uint8_t zero[16] = {0};
    shp_fill(ctx, out[0]->data, ts_tensor_numel(out[0]), v ? v->data : zero, ES(out[0]));
    return TS_OK;
}

static ts_status run_constant(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out) {
    (void)ctx; (void)in; (void)n_in; (void)n_out;
    ts_tensor *y = out[0];
    const ts_tensor *t = ir_attr_tensor(n, "value");
    int cnt = 0;
    if (t) {
        memcpy(y->data, t->data, ts_tensor_nbytes(t));
    } else if (ir_attr_find(n, "value_float")) {
        *(float *)y->data = ir_attr_float(n, "value_float", 0);
    } else if (ir_attr_find(n, "value_int")) {
        *(int64_t *)y->data = ir_attr_int(n, "value_int", 0);
    } else if (ir_attr_find(n, "value_floats")) {
        const float *f = ir_attr_floats(n, "value_floats", &cnt);
        memcpy(y->data, f, sizeof(float) * (size_t)cnt);
    } else if (ir_attr_find(n, "value_ints")) {
        const int64_t *v = ir_attr_ints(n, "value_ints", &cnt);
        memcpy(y->data, v, sizeof(int64_t) * (size_t)cnt);
    } else {
        return ts_error(TS_ERR_UNSUPPORTED, SHP_NODE_FMT "no supported value attribute",
                        SHP_NODE_ARGS(n));
    }
    return TS_OK;
}

/* Range: start + i * delta, computed in the output type (as the spec's
 * reference loop does for integers). */
static ts_status run_range(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out) {
    (void)ctx; (void)n; (void)n_in; (void)n_out;
    ts_tensor *y = out[0];
    int64_t cnt = ts_tensor_numel(y);
#define RANGE(T)                                                              \
    do {                                                                      \
        T st = *(const T *)in[0]->data, de = *(const T *)in[2]->data;         \
        T *o = y->data;                                                       \
        for (int64_t i = 0; i < cnt; i++) o[i] = (T)(st + (T)i * de);         \
    } while (0)
    switch (y->dtype) {
    case TS_F32: RANGE(float); break;
    case TS_F64: RANGE(double); break;
    case TS_I16: RANGE(int16_t); break;
    case TS_I32: RANGE(int32_t); break;
    case TS_I64: RANGE(int64_t); break;
    default:
        return ts_error(TS_ERR_UNSUPPORTED, SHP_NODE_FMT "type %s", SHP_NODE_ARGS(n),
                        ts_dtype_name(y->dtype));
    }
#undef RANGE
    return TS_OK;
}

const cpu_kernel cpu_kernels_shape[] = {
    {"Reshape", run_view},
    {"Flatten", run_view},
    {"Squeeze", run_view},
    {"Unsqueeze", run_view},
    {"Transpose", run_transpose},
    {"Concat", run_concat},
    {"Split", run_split},
    {"Slice", run_slice},
    {"Gather", shp_gather},
    {"GatherElements", shp_gather_elements},
    {"GatherND", shp_gather_nd},
    {"ScatterND", shp_scatter_nd},
    {"ScatterElements", shp_scatter_elements},
    {"Scatter", shp_scatter_elements},
    {"Expand", run_expand},
    {"Tile", run_tile},
    {"Pad", run_pad},
    {"Shape", run_shape},
    {"Size", run_size},
    {"ConstantOfShape", run_constant_of_shape},
    {"Constant", run_constant},
    {"Range", run_range},
    {"Compress", shp_compress},
    {"ReverseSequence", shp_reverse_sequence},
    {"Unique", shp_unique},
    {NULL, NULL},
};

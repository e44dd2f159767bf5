/*
 * Index-driven data movement: Gather, GatherElements, GatherND, ScatterND,
 * ScatterElements (and the old Scatter), Compress, ReverseSequence.
 *
 * Every index is read from user data, so each one is range-checked (after
 * wrapping negatives, as the spec allows) before it is used: a bad index is
 * an error naming the node and the value, never an out-of-bounds access.
 * Scatter reductions are the only place here that looks at element values.
 */
#include "cpu/op_shape_int.h"

#include <string.h>

#define ES(t) ts_dtype_size((t)->dtype)

static int64_t index_at(const ts_tensor *t, int64_t i) {
    return t->dtype == TS_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* Wraps a negative index; fails naming the node when out of [-dim, dim). */
static ts_status wrap_index(const ir_node *n, int64_t v, int64_t dim, int axis, int64_t *out) {
    int64_t w = v < 0 ? v + dim : v;
    if (w < 0 || w >= dim)
        return ts_error(TS_ERR_RANGE,
                        SHP_NODE_FMT "index %lld out of range [-%lld, %lld) on axis %d",
                        SHP_NODE_ARGS(n), (long long)v, (long long)dim, (long long)dim, axis);
    *out = w;
    return TS_OK;
}

/* Copies n elements of size es (small counts avoid memcpy's call). */
static inline void copy_elems(char *d, const char *s, int64_t n, size_t es) {
    if (n == 1) {
        switch (es) {
        case 1: *(uint8_t *)d = *(const uint8_t *)s; return;
        case 2: memcpy(d, s, 2); return;
        case 4: memcpy(d, s, 4); return;
        case 8: memcpy(d, s, 8); return;
        default: break;
        }
    }
    memcpy(d, s, (size_t)n * es);
}

/* ---- Gather ------------------------------------------------------------------ */

typedef struct gather_job {
    const char *src;
    char *dst;
    const int64_t *idx;       /* wrapped indices */
    int64_t nidx, axis_dim, inner;
    size_t es;
} gather_job;

static void gather_rows(void *arg, int64_t b, int64_t e) {
    const gather_job *j = arg;
    size_t row = (size_t)j->inner * j->es;
    for (int64_t w = b; w < e; w++) {
        int64_t o = w / j->nidx, i = w % j->nidx;
        copy_elems(j->dst + (size_t)w * row,
                   j->src + ((size_t)o * (size_t)j->axis_dim + (size_t)j->idx[i]) * row,
                   j->inner, j->es);
    }
}

static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

ts_status shp_gather(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                     ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *ix = in[1];
    int axis;
    ts_status s = ir_norm_axis(n, ir_attr_int(n, "axis", 0), x->rank, &axis);
    if (s) return s;
    int64_t nidx = ts_tensor_numel(ix);
    int64_t *w = ts_malloc(sizeof(int64_t) * (size_t)TS_MAX(nidx, 1));
    if (!w) return TS_ERR_NOMEM;
    for (int64_t i = 0; i < nidx && !s; i++)
        s = wrap_index(n, index_at(ix, i), x->dims[axis], axis, &w[i]);
    if (!s) {
        gather_job j = {x->data, out[0]->data, w, nidx, x->dims[axis],
                        prod(x->dims, axis + 1, x->rank), ES(x)};
        int64_t rows = prod(x->dims, 0, axis) * nidx;
        ts_parallel_for(ctx->pool, rows, TS_MAX(1, 4096 / TS_MAX(j.inner, 1)), gather_rows, &j);
    }
    ts_free(w);
    return s;
}

/* ---- GatherElements and ScatterElements ------------------------------------------ */

/* Walks the index tensor with an odometer, giving for each element the
 * offset in data of the same coordinates with the axis coordinate replaced
 * by the (checked) index. */
typedef ts_status (*elem_fn)(void *arg, int64_t i, int64_t data_off);

static ts_status walk_elements(const ir_node *n, const ts_tensor *x, const ts_tensor *ix,
                               int axis, elem_fn fn, void *arg) {
    int r = x->rank;
    int64_t xs[TS_MAX_RANK], c[TS_MAX_RANK] = {0}, base = 0;
    shp_strides(r, x->dims, xs);
    int64_t total = ts_tensor_numel(ix);
    for (int64_t i = 0; i < total; i++) {
        int64_t v = 0;
        ts_status s = wrap_index(n, index_at(ix, i), x->dims[axis], axis, &v);
        if (s || (s = fn(arg, i, base + v * xs[axis]))) return s;
        for (int a = r - 1; a >= 0; a--) {
            if (a != axis) base += xs[a];
            if (++c[a] < ix->dims[a]) break;
            if (a != axis) base -= c[a] * xs[a];
            c[a] = 0;
        }
    }
    return TS_OK;
}

/* Checks every index of ix against dim before any thread reads through it. */
static ts_status check_indices(const ir_node *n, const ts_tensor *ix, int64_t dim, int axis) {
    int64_t total = ts_tensor_numel(ix), w;
    for (int64_t i = 0; i < total; i++) {
        ts_status s = wrap_index(n, index_at(ix, i), dim, axis, &w);
        if (s) return s;
    }
    return TS_OK;
}

typedef struct ge_job {
    const ts_tensor *x, *ix;
    char *dst;
    int axis;
    int64_t xs[TS_MAX_RANK];
} ge_job;

/* GatherElements over lines [b, e) of the index tensor's last axis; the
 * indices were checked, so only the wrap is left. */
static void gather_elem_lines(void *arg, int64_t b, int64_t e) {
    const ge_job *j = arg;
    int r = j->ix->rank, last = r - 1;
    int64_t w = j->ix->dims[last], dim = j->x->dims[j->axis];
    size_t es = ts_dtype_size(j->x->dtype);
    for (int64_t line = b; line < e; line++) {
        int64_t rem = line, base = 0;
        for (int a = last - 1; a >= 0; a--) {
            int64_t c = rem % j->ix->dims[a];
            rem /= j->ix->dims[a];
            if (a != j->axis) base += c * j->xs[a];
        }
        for (int64_t k = 0; k < w; k++) {
            int64_t v = index_at(j->ix, line * w + k);
            if (v < 0) v += dim;
            int64_t off = base + v * j->xs[j->axis] + (last != j->axis ? k * j->xs[last] : 0);
            copy_elems(j->dst + (size_t)(line * w + k) * es,
                       (const char *)j->x->data + (size_t)off * es, 1, es);
        }
    }
}

ts_status shp_gather_elements(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *ix = in[1];
    int axis;
    ts_status s = ir_norm_axis(n, ir_attr_int(n, "axis", 0), x->rank, &axis);
    if (s || (s = check_indices(n, ix, x->dims[axis], axis))) return s;
    if (ts_tensor_numel(ix) == 0) return TS_OK;
    ge_job j = {.x = x, .ix = ix, .dst = out[0]->data, .axis = axis};
    shp_strides(x->rank, x->dims, j.xs);
    int64_t w = ix->dims[ix->rank - 1];
    ts_parallel_for(ctx->pool, ts_tensor_numel(ix) / w, TS_MAX(1, 4096 / w), gather_elem_lines, &j);
    return TS_OK;
}

/* ---- reductions of the Scatter ops ------------------------------------------------- */

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static int reduction_of(const ir_node *n) {
    const char *r = ir_attr_string(n, "reduction", "none");
    return !strcmp(r, "add") ? RED_ADD : !strcmp(r, "mul") ? RED_MUL : !strcmp(r, "max") ? RED_MAX
         : !strcmp(r, "min") ? RED_MIN : RED_NONE;
}

#define RED_OP(a, b, red)                                                   \
    ((red) == RED_ADD ? (a) + (b) : (red) == RED_MUL ? (a) * (b)            \
     : (red) == RED_MAX ? ((a) > (b) ? (a) : (b)) : ((a) < (b) ? (a) : (b)))

/* d[i] = d[i] (red) s[i] for n elements of type dt. */
static ts_status reduce_into(const ir_node *n, ts_dtype dt, int red, void *d, const void *s,
                             int64_t cnt) {
#define RED(T)                                                              \
    do {                                                                    \
        T *dd = d; const T *ss = s;                                         \
        for (int64_t i = 0; i < cnt; i++) dd[i] = (T)RED_OP(dd[i], ss[i], red); \
    } while (0)
#define RED_HALF(TO, FROM)                                                  \
    do {                                                                    \
        uint16_t *dd = d; const uint16_t *ss = s;                           \
        for (int64_t i = 0; i < cnt; i++) {                                 \
            float a = FROM(dd[i]), b = FROM(ss[i]);                         \
            dd[i] = TO(RED_OP(a, b, red));                                  \
        }                                                                   \
    } while (0)
    switch (dt) {
    case TS_F32: RED(float); break;
    case TS_F64: RED(double); break;
    case TS_I8: RED(int8_t); break;
    case TS_I16: RED(int16_t); break;
    case TS_I32: RED(int32_t); break;
    case TS_I64: RED(int64_t); break;
    case TS_U8: RED(uint8_t); break;
    case TS_U16: RED(uint16_t); break;
    case TS_U32: RED(uint32_t); break;
    case TS_U64: RED(uint64_t); break;
    case TS_F16: RED_HALF(ts_f32_to_f16, ts_f16_to_f32); break;
    case TS_BF16: RED_HALF(ts_f32_to_bf16, ts_bf16_to_f32); break;
    case TS_BOOL: {
        /* add = or, mul = and, as max and min of {0, 1} */
        uint8_t *dd = d;
        const uint8_t *ss = s;
        for (int64_t i = 0; i < cnt; i++)
            dd[i] = (red == RED_ADD || red == RED_MAX) ? (dd[i] || ss[i]) : (dd[i] && ss[i]);
        break;
    }
    default:
        return ts_error(TS_ERR_UNSUPPORTED, SHP_NODE_FMT "reduction on type %s",
                        SHP_NODE_ARGS(n), ts_dtype_name(dt));
    }
#undef RED
#undef RED_HALF
    return TS_OK;
}

typedef struct scatter_job {
    const ir_node *n;
    const char *upd;
    char *dst;
    size_t es;
    ts_dtype dt;
    int red;
} scatter_job;

static ts_status scatter_elem(void *arg, int64_t i, int64_t off) {
    const scatter_job *j = arg;
    char *d = j->dst + (size_t)off * j->es;
    const char *u = j->upd + (size_t)i * j->es;
    if (j->red == RED_NONE) { copy_elems(d, u, 1, j->es); return TS_OK; }
    return reduce_into(j->n, j->dt, j->red, d, u, 1);
}

ts_status shp_scatter_elements(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    int axis;
    ts_status s = ir_norm_axis(n, ir_attr_int(n, "axis", 0), in[0]->rank, &axis);
    if (s) return s;
    shp_memcpy(ctx, out[0]->data, in[0]->data, ts_tensor_nbytes(in[0]));
    scatter_job j = {n, in[2]->data, out[0]->data, ES(in[0]), in[0]->dtype, reduction_of(n)};
    return walk_elements(n, in[0], in[1], axis, scatter_elem, &j);
}

/* ---- GatherND and ScatterND ---------------------------------------------------- */

/* Offset (in elements) of the slice that index tuple t (k values) selects
 * in batch b; dims/strides start at the first indexed axis. */
static ts_status nd_offset(const ir_node *n, const int64_t *t, int64_t k, const int64_t *dims,
                           const int64_t *strides, int first_axis, int64_t *off) {
    int64_t o = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t v = 0;
        ts_status s = wrap_index(n, t[i], dims[i], first_axis + (int)i, &v);
        if (s) return s;
        o += v * strides[i];
    }
    *off = o;
    return TS_OK;
}

typedef struct gnd_job {
    const char *src;
    char *dst;
    const int64_t *off;       /* element offset of each selected slice */
    int64_t slice;
    size_t es;
} gnd_job;

static void gather_nd_rows(void *arg, int64_t b, int64_t e) {
    const gnd_job *j = arg;
    for (int64_t i = b; i < e; i++)
        copy_elems(j->dst + (size_t)(i * j->slice) * j->es, j->src + (size_t)j->off[i] * j->es,
                   j->slice, j->es);
}

/* GatherND: resolve (and check) every index tuple to a slice offset first,
 * then copy the slices in parallel. */
ts_status shp_gather_nd(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *ix = in[1];
    int b = (int)ir_attr_int(n, "batch_dims", 0);
    int64_t k = ix->dims[ix->rank - 1];
    int64_t xs[TS_MAX_RANK];
    shp_strides(x->rank, x->dims, xs);
    int64_t batches = prod(x->dims, 0, b), batch_stride = prod(x->dims, b, x->rank);
    int64_t per = prod(ix->dims, b, ix->rank - 1), slice = prod(x->dims, b + (int)k, x->rank);
    int64_t count = batches * per;
    int64_t *offs = ts_malloc(sizeof(int64_t) * (size_t)TS_MAX(count, 1));
    if (!offs) return TS_ERR_NOMEM;
    const int64_t *t = ix->data;
    ts_status s = TS_OK;
    for (int64_t i = 0; i < count && !s; i++, t += k) {
        s = nd_offset(n, t, k, x->dims + b, xs + b, b, &offs[i]);
        if (!s) offs[i] += (i / per) * batch_stride;
    }
    if (!s) {
        gnd_job j = {x->data, out[0]->data, offs, slice, ES(x)};
        ts_parallel_for(ctx->pool, count, TS_MAX(1, 4096 / TS_MAX(slice, 1)), gather_nd_rows, &j);
    }
    ts_free(offs);
    return s;
}

ts_status shp_scatter_nd(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                         ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *ix = in[1], *up = in[2];
    int64_t k = ix->dims[ix->rank - 1];
    int64_t xs[TS_MAX_RANK];
    shp_strides(x->rank, x->dims, xs);
    int64_t count = prod(ix->dims, 0, ix->rank - 1), slice = prod(x->dims, (int)k, x->rank);
    int red = reduction_of(n);
    size_t es = ES(x);
    shp_memcpy(ctx, out[0]->data, x->data, ts_tensor_nbytes(x));
    const int64_t *t = ix->data;
    const char *u = up->data;
    for (int64_t i = 0; i < count; i++, t += k, u += (size_t)slice * es) {
        int64_t off;
        ts_status s = nd_offset(n, t, k, x->dims, xs, 0, &off);
        if (s) return s;
        char *d = (char *)out[0]->data + (size_t)off * es;
        if (red == RED_NONE) copy_elems(d, u, slice, es);
        else if ((s = reduce_into(n, x->dtype, red, d, u, slice))) return s;
    }
    return TS_OK;
}

/* ---- Compress, ReverseSequence --------------------------------------------------- */

ts_status shp_compress(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                       ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *cond = in[1];
    const uint8_t *c = cond->data;
    size_t es = ES(x);
    const ir_attr *a = ir_attr_find(n, "axis");
    int axis = -1;
    if (a) {
        ts_status s = ir_norm_axis(n, a->i, x->rank, &axis);
        if (s) return s;
    }
    int64_t outer = axis < 0 ? 1 : prod(x->dims, 0, axis);
    int64_t len = axis < 0 ? ts_tensor_numel(x) : x->dims[axis];
    int64_t inner = axis < 0 ? 1 : prod(x->dims, axis + 1, x->rank);
    int64_t ncond = TS_MIN(len, cond->dims[0]);
    char *d = out[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        const char *src = (const char *)x->data + (size_t)(o * len * inner) * es;
        for (int64_t i = 0; i < ncond; i++) {
            if (!c[i]) continue;
            copy_elems(d, src + (size_t)(i * inner) * es, inner, es);
            d += (size_t)inner * es;
        }
    }
    return TS_OK;
}

ts_status shp_reverse_sequence(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0], *lens = in[1];
    int ba = (int)ir_attr_int(n, "batch_axis", 1), ta = 1 - ba;
    int64_t nb = x->dims[ba], nt = x->dims[ta], inner = prod(x->dims, 2, x->rank);
    int64_t bstride = ba == 0 ? nt * inner : inner, tstride = ta == 0 ? nb * inner : inner;
    size_t es = ES(x);
    for (int64_t b = 0; b < nb; b++) {
        int64_t L = index_at(lens, b);
        if (L < 0 || L > nt)
            return ts_error(TS_ERR_RANGE, SHP_NODE_FMT "sequence length %lld out of [0, %lld]",
                            SHP_NODE_ARGS(n), (long long)L, (long long)nt);
        for (int64_t t = 0; t < nt; t++) {
            int64_t st = t < L ? L - 1 - t : t;
            copy_elems((char *)out[0]->data + (size_t)(b * bstride + t * tstride) * es,
                       (const char *)x->data + (size_t)(b * bstride + st * tstride) * es, inner,
                       es);
        }
    }
    return TS_OK;
}

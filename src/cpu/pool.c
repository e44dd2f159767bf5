/*
 * pool.c: MaxPool (with optional Indices), AveragePool, GlobalAveragePool,
 * GlobalMaxPool, 1-D to 3-D (spatial dims normalized to 3 as in conv.c).
 * Parallel over (image, channel) planes.
 *
 * MaxPool supports float32, int8 and uint8 (the conformance suite has a
 * uint8 case); the rest float32.
 */
#include "cpu/cpu_int.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct pool_job {
    cpu_conv_geom g;
    const ts_tensor *x;
    ts_tensor *y, *idx;
    bool col_major;           /* MaxPool storage_order 1 */
    bool include_pad;         /* AveragePool count_include_pad */
    int64_t pe[3];            /* end pads (only AveragePool's divisor needs them) */
} pool_job;

/* Index that MaxPool reports for input position (z, y, x) of plane p. */
static int64_t pool_index(const pool_job *j, int64_t p, int64_t z, int64_t y, int64_t x) {
    const cpu_conv_geom *g = &j->g;
    int64_t base = p * g->in[0] * g->in[1] * g->in[2];
    if (!j->col_major) return base + (z * g->in[1] + y) * g->in[2] + x;
    /* column-major over the spatial dims the model has */
    int off = 3 - g->nsp;
    int64_t c[3] = {z, y, x}, r = 0, m = 1;
    for (int a = off; a < 3; a++) { r += c[a] * m; m *= g->in[a]; }
    return base + r;
}

/* Max over one window; sets *arg to the position of the maximum. */
#define POOL_MAX_WINDOW(T, LOWEST)                                                        \
    static T max_window_##T(const pool_job *j, const T *xp, int64_t oz, int64_t oy, int64_t ox, \
                            int64_t *az, int64_t *ay, int64_t *ax) {                        \
        const cpu_conv_geom *g = &j->g;                                                    \
        T best = LOWEST;                                                                    \
        bool any = false;                                                                   \
        for (int64_t kz = 0; kz < g->k[0]; kz++) {                                          \
            int64_t iz = oz * g->s[0] - g->pb[0] + kz * g->d[0];                            \
            if (iz < 0 || iz >= g->in[0]) continue;                                         \
            for (int64_t ky = 0; ky < g->k[1]; ky++) {                                      \
                int64_t iy = oy * g->s[1] - g->pb[1] + ky * g->d[1];                        \
                if (iy < 0 || iy >= g->in[1]) continue;                                     \
                const T *row = xp + (iz * g->in[1] + iy) * g->in[2];                        \
                for (int64_t kx = 0; kx < g->k[2]; kx++) {                                  \
                    int64_t ix = ox * g->s[2] - g->pb[2] + kx * g->d[2];                    \
                    if (ix < 0 || ix >= g->in[2]) continue;                                 \
                    if (!any || row[ix] > best) {                                           \
                        best = row[ix]; any = true; *az = iz; *ay = iy; *ax = ix;           \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        return best;                                                                        \
    }

POOL_MAX_WINDOW(float, -INFINITY)
POOL_MAX_WINDOW(int8_t, INT8_MIN)
POOL_MAX_WINDOW(uint8_t, 0)

#define POOL_MAX_PLANES(T)                                                                 \
    static void max_planes_##T(void *arg, int64_t p0, int64_t p1) {                        \
        const pool_job *j = arg;                                                           \
        const cpu_conv_geom *g = &j->g;                                                    \
        int64_t isz = g->in[0] * g->in[1] * g->in[2], osz = g->out[0] * g->out[1] * g->out[2]; \
        for (int64_t p = p0; p < p1; p++) {                                                \
            const T *xp = (const T *)j->x->data + p * isz;                                 \
            T *yp = (T *)j->y->data + p * osz;                                             \
            int64_t *ip = j->idx ? (int64_t *)j->idx->data + p * osz : NULL;               \
            for (int64_t oz = 0, o = 0; oz < g->out[0]; oz++)                              \
                for (int64_t oy = 0; oy < g->out[1]; oy++)                                 \
                    for (int64_t ox = 0; ox < g->out[2]; ox++, o++) {                      \
                        int64_t az = 0, ay = 0, ax = 0;                                    \
                        yp[o] = max_window_##T(j, xp, oz, oy, ox, &az, &ay, &ax);          \
                        if (ip) ip[o] = pool_index(j, p, az, ay, ax);                      \
                    }                                                                      \
        }                                                                                  \
    }

POOL_MAX_PLANES(float)
POOL_MAX_PLANES(int8_t)
POOL_MAX_PLANES(uint8_t)

static ts_status pool_setup(const ir_node *n, const ts_tensor *x, const ts_tensor *y, pool_job *j) {
    int cnt = 0;
    const int64_t *ks = ir_attr_ints(n, "kernel_shape", &cnt);
    if (!ks || cnt != x->rank - 2)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): kernel_shape needs %d values", n->name,
                        n->op_type, x->rank - 2);
    memset(j, 0, sizeof *j);
    ts_status st = cpu_conv_geom_init(n, x, y, ks, false, &j->g);
    if (st) return st;
    j->x = x;
    j->g.M = j->g.C;
    j->g.group = 1;
    /* end pads: what the output needs beyond the input and the begin pad */
    for (int a = 0; a < 3; a++) {
        int64_t dk = (j->g.k[a] - 1) * j->g.d[a] + 1;
        j->pe[a] = TS_MAX(0, (j->g.out[a] - 1) * j->g.s[a] + dk - j->g.in[a] - j->g.pb[a]);
    }
    int off = 3 - j->g.nsp;
    const int64_t *pads = ir_attr_ints(n, "pads", &cnt);
    const char *ap = ir_attr_string(n, "auto_pad", "NOTSET");
    if (pads && cnt == 2 * j->g.nsp && !strcmp(ap, "NOTSET"))
        for (int i = 0; i < j->g.nsp; i++) j->pe[off + i] = pads[j->g.nsp + i];
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_maxpool) {
    (void)n_in;
    pool_job j;
    ts_status st = pool_setup(n, in[0], out[0], &j);
    if (st) return st;
    j.y = out[0];
    j.idx = n_out > 1 ? out[1] : NULL;
    j.col_major = ir_attr_int(n, "storage_order", 0) == 1;
    int64_t planes = j.g.N * j.g.C;
    int64_t grain = TS_MAX(1, 4096 / TS_MAX(1, ts_tensor_numel(out[0]) / TS_MAX(planes, 1)));
    switch (in[0]->dtype) {
    case TS_F32: ts_parallel_for(ctx->pool, planes, grain, max_planes_float, &j); break;
    case TS_I8: ts_parallel_for(ctx->pool, planes, grain, max_planes_int8_t, &j); break;
    case TS_U8: ts_parallel_for(ctx->pool, planes, grain, max_planes_uint8_t, &j); break;
    default:
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (MaxPool): type %s not supported", n->name,
                        ts_dtype_name(in[0]->dtype));
    }
    return TS_OK;
}

/* Average of one window; the divisor counts padding cells when
 * count_include_pad is set (but never the ceil_mode overhang). The taps
 * inside the input are a box [k0, k1) per axis, so no per-tap checks. */
static float avg_window(const pool_job *j, const float *xp, int64_t oz, int64_t oy, int64_t ox) {
    const cpu_conv_geom *g = &j->g;
    int64_t o[3] = {oz, oy, ox}, first[3], k0[3], k1[3], cnt = 1, valid = 1;
    for (int a = 0; a < 3; a++) {
        int64_t b = o[a] * g->s[a] - g->pb[a], d = g->d[a];
        first[a] = b;
        k0[a] = b >= 0 ? 0 : (-b + d - 1) / d;
        k1[a] = g->in[a] - b <= 0 ? 0 : TS_MIN(g->k[a], (g->in[a] - b + d - 1) / d);
        if (k1[a] < k0[a]) k1[a] = k0[a];
        valid *= k1[a] - k0[a];
        if (j->include_pad) {
            int64_t e = TS_MIN(b + (g->k[a] - 1) * d + 1, g->in[a] + j->pe[a]);
            cnt *= (e - b + d - 1) / d;
        }
    }
    double sum = 0;
    for (int64_t kz = k0[0]; kz < k1[0]; kz++)
        for (int64_t ky = k0[1]; ky < k1[1]; ky++) {
            int64_t row = ((first[0] + kz * g->d[0]) * g->in[1] + first[1] + ky * g->d[1]) * g->in[2] + first[2];
            for (int64_t kx = k0[2]; kx < k1[2]; kx++) sum += xp[row + kx * g->d[2]];
        }
    int64_t div = j->include_pad ? cnt : valid;
    return div > 0 ? (float)(sum / (double)div) : 0.0f;
}

static void avg_planes(void *arg, int64_t p0, int64_t p1) {
    const pool_job *j = arg;
    const cpu_conv_geom *g = &j->g;
    int64_t isz = g->in[0] * g->in[1] * g->in[2], osz = g->out[0] * g->out[1] * g->out[2];
    for (int64_t p = p0; p < p1; p++) {
        const float *xp = (const float *)j->x->data + p * isz;
        float *yp = (float *)j->y->data + p * osz;
        for (int64_t oz = 0, o = 0; oz < g->out[0]; oz++)
            for (int64_t oy = 0; oy < g->out[1]; oy++)
                for (int64_t ox = 0; ox < g->out[2]; ox++, o++) yp[o] = avg_window(j, xp, oz, oy, ox);
    }
}

CPU_KERNEL_DECL(cpu_run_avgpool) {
    (void)n_in; (void)n_out;
    ts_status st = cpu_nn_need_f32(n, in[0], "X");
    pool_job j;
    if (!st) st = pool_setup(n, in[0], out[0], &j);
    if (st) return st;
    j.y = out[0];
    j.include_pad = ir_attr_int(n, "count_include_pad", 0) != 0;
    int64_t planes = j.g.N * j.g.C;
    ts_parallel_for(ctx->pool, planes, 1, avg_planes, &j);
    return TS_OK;
}

typedef struct gpool_job {
    const float *x;
    float *y;
    int64_t size;
    bool max;
} gpool_job;

static void gpool_planes(void *arg, int64_t p0, int64_t p1) {
    const gpool_job *j = arg;
    for (int64_t p = p0; p < p1; p++) {
        double sum;
        float max;
        cpu_sum_max(j->x + p * j->size, j->size, &sum, &max);
        j->y[p] = j->max ? max : (j->size ? (float)(sum / (double)j->size) : 0.0f);
    }
}

static ts_status global_pool(cpu_ctx *ctx, const ir_node *n, const ts_tensor *x, ts_tensor *y, bool max) {
    ts_status st = cpu_nn_need_f32(n, x, "X");
    if (st) return st;
    int64_t planes = x->dims[0] * x->dims[1];
    gpool_job j = {x->data, y->data, planes ? ts_tensor_numel(x) / planes : 0, max};
    ts_parallel_for(ctx->pool, planes, TS_MAX(1, 8192 / TS_MAX(1, j.size)), gpool_planes, &j);
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_global_avgpool) {
    (void)n_in; (void)n_out;
    return global_pool(ctx, n, in[0], out[0], false);
}

CPU_KERNEL_DECL(cpu_run_global_maxpool) {
    (void)n_in; (void)n_out;
    return global_pool(ctx, n, in[0], out[0], true);
}

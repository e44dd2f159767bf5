/*
 * norm.c: BatchNormalization (inference and training_mode statistics),
 * InstanceNormalization, LayerNormalization (with Mean/InvStdDev outputs),
 * GroupNormalization and LRN, on float32. Statistics accumulate in double
 * so long rows do not lose precision; parallel over independent rows.
 */
#include "cpu/cpu_int.h"

#include <math.h>
#include <string.h>

/* Mean and population variance of x[0..n) (two passes, in double). */
static void row_stats(const float *x, int64_t n, double *mean, double *var) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    double m = n ? s / (double)n : 0, v = 0;
    for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = n ? v / (double)n : 0;
}

/* ---- BatchNormalization ------------------------------------------------------- */

typedef struct bn_job {
    const float *x;
    float *y;
    const float *mul, *add;   /* per channel: y = x * mul + add */
    int64_t C, inner;
} bn_job;

static void bn_planes(void *arg, int64_t p0, int64_t p1) {
    const bn_job *j = arg;
    for (int64_t p = p0; p < p1; p++) {
        int64_t c = p % j->C;
        cpu_affine_act(j->y + p * j->inner, j->x + p * j->inner, j->mul[c], j->add[c], NULL, j->inner);
    }
}

/* Batch mean and variance per channel over N and the spatial dims. */
static void bn_batch_stats(const float *x, int64_t N, int64_t C, int64_t inner, double *mean, double *var) {
    for (int64_t c = 0; c < C; c++) {
        double s = 0, v = 0;
        for (int64_t b = 0; b < N; b++)
            for (int64_t i = 0; i < inner; i++) s += x[(b * C + c) * inner + i];
        double cnt = (double)(N * inner), m = cnt > 0 ? s / cnt : 0;
        for (int64_t b = 0; b < N; b++)
            for (int64_t i = 0; i < inner; i++) {
                double d = x[(b * C + c) * inner + i] - m;
                v += d * d;
            }
        mean[c] = m;
        var[c] = cnt > 0 ? v / cnt : 0;
    }
}

CPU_KERNEL_DECL(cpu_run_batchnorm) {
    (void)n_in;
    for (int i = 0; i < 5; i++) {
        ts_status st = cpu_nn_need_f32(n, in[i], "input");
        if (st) return st;
    }
    const ts_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], inner = N * C > 0 ? ts_tensor_numel(x) / (N * C) : 0;
    const float *scale = in[1]->data, *bias = in[2]->data, *rm = in[3]->data, *rv = in[4]->data;
    float eps = ir_attr_float(n, "epsilon", 1e-5f), mom = ir_attr_float(n, "momentum", 0.9f);
    bool training = ir_attr_int(n, "training_mode", 0) != 0;
    float *mul = ts_malloc(sizeof(float) * (size_t)(2 * C + 1));
    double *stats = ts_malloc(sizeof(double) * (size_t)(2 * C + 1));
    if (!mul || !stats) { ts_free(mul); ts_free(stats); return TS_ERR_NOMEM; }
    float *add = mul + C;
    double *bm = stats, *bv = stats + C;
    if (training) bn_batch_stats(x->data, N, C, inner, bm, bv);
    for (int64_t c = 0; c < C; c++) {
        double m = training ? bm[c] : rm[c], v = training ? bv[c] : rv[c];
        double inv = 1.0 / sqrt(v + (double)eps);
        mul[c] = (float)(scale[c] * inv);
        add[c] = (float)(bias[c] - m * scale[c] * inv);
    }
    bn_job j = {x->data, out[0]->data, mul, add, C, inner};
    ts_parallel_for(ctx->pool, N * C, TS_MAX(1, 16384 / TS_MAX(inner, 1)), bn_planes, &j);
    /* training outputs: running mean and variance (opset 14+), plus the
     * saved batch statistics of older opsets */
    for (int o = 1; o < n_out && training; o++) {
        if (!out[o]) continue;
        float *d = out[o]->data;
        for (int64_t c = 0; c < C; c++) {
            if (o == 1) d[c] = (float)(rm[c] * mom + bm[c] * (1 - mom));
            else if (o == 2) d[c] = (float)(rv[c] * mom + bv[c] * (1 - mom));
            else if (o == 3) d[c] = (float)bm[c];
            else d[c] = (float)bv[c];
        }
    }
    ts_free(mul);
    ts_free(stats);
    return TS_OK;
}

/* ---- Instance / Group normalization ------------------------------------------------ */

/* Normalizes groups of `size` values; group g covers channels that share
 * scale/bias index (per-channel: channel-level affine inside the group). */
typedef struct gn_job {
    const float *x;
    float *y;
    const float *scale, *bias;
    int64_t C, groups, size, inner;   /* size = channels per group * inner */
    bool per_channel;                 /* scale/bias per channel (else per group) */
    float eps;
} gn_job;

static void gn_rows(void *arg, int64_t r0, int64_t r1) {
    const gn_job *j = arg;
    for (int64_t r = r0; r < r1; r++) {
        int64_t g = r % j->groups, cpg = j->C / j->groups;
        const float *xp = j->x + r * j->size;
        float *yp = j->y + r * j->size;
        double mean, var;
        row_stats(xp, j->size, &mean, &var);
        float inv = (float)(1.0 / sqrt(var + (double)j->eps)), m = (float)mean;
        for (int64_t c = 0; c < cpg; c++) {
            int64_t si = j->per_channel ? g * cpg + c : g;
            float s = j->scale[si] * inv, b = j->bias[si];
            const float *xc = xp + c * j->inner;
            float *yc = yp + c * j->inner;
            for (int64_t i = 0; i < j->inner; i++) yc[i] = (xc[i] - m) * s + b;
        }
    }
}

static ts_status group_norm(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, ts_tensor *y,
                            int64_t groups, bool per_channel, float eps) {
    for (int i = 0; i < 3; i++) {
        ts_status st = cpu_nn_need_f32(n, in[i], "input");
        if (st) return st;
    }
    const ts_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], inner = N * C > 0 ? ts_tensor_numel(x) / (N * C) : 0;
    gn_job j = {x->data, y->data, in[1]->data, in[2]->data, C, groups, C / groups * inner, inner,
                per_channel, eps};
    ts_parallel_for(ctx->pool, N * groups, TS_MAX(1, 16384 / TS_MAX(j.size, 1)), gn_rows, &j);
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_instancenorm) {
    (void)n_in; (void)n_out;
    return group_norm(ctx, n, in, out[0], in[0]->dims[1], true, ir_attr_float(n, "epsilon", 1e-5f));
}

CPU_KERNEL_DECL(cpu_run_groupnorm) {
    (void)n_in; (void)n_out;
    int64_t groups = ir_attr_int(n, "num_groups", 1);
    /* opset 18: scale/bias per group; opset 21: per channel */
    bool per_channel = ts_tensor_numel(in[1]) == in[0]->dims[1];
    return group_norm(ctx, n, in, out[0], groups, per_channel, ir_attr_float(n, "epsilon", 1e-5f));
}

/* ---- LayerNormalization ---------------------------------------------------------------- */

typedef struct ln_job {
    const float *x;
    float *y, *mean, *inv;
    const float *scale, *bias;   /* expanded to `inner` values */
    int64_t inner;
    float eps;
} ln_job;

static void ln_rows(void *arg, int64_t r0, int64_t r1) {
    const ln_job *j = arg;
    for (int64_t r = r0; r < r1; r++) {
        const float *xp = j->x + r * j->inner;
        float *yp = j->y + r * j->inner;
        double mean, var;
        row_stats(xp, j->inner, &mean, &var);
        float inv = (float)(1.0 / sqrt(var + (double)j->eps)), m = (float)mean;
        for (int64_t i = 0; i < j->inner; i++)
            yp[i] = (xp[i] - m) * inv * j->scale[i] + (j->bias ? j->bias[i] : 0.0f);
        if (j->mean) j->mean[r] = m;
        if (j->inv) j->inv[r] = inv;
    }
}

/* Expands t (broadcastable to dims[0..r)) into a dense array of numel(dims). */
static float *expand_to(const ts_tensor *t, int r, const int64_t *dims) {
    int64_t total = ts_shape_numel(r, dims);
    float *d = ts_malloc(sizeof(float) * (size_t)(total + 1));
    if (!d) return NULL;
    const float *s = t->data;
    for (int64_t i = 0; i < total; i++) {
        int64_t rem = i, src = 0, stride = 1;
        for (int a = r - 1; a >= 0; a--) {
            int64_t c = rem % dims[a];
            rem /= dims[a];
            int ta = a - (r - t->rank);
            if (ta >= 0) {
                if (t->dims[ta] != 1) src += c * stride;
                stride *= t->dims[ta];
            }
        }
        d[i] = s[src];
    }
    return d;
}

CPU_KERNEL_DECL(cpu_run_layernorm) {
    const ts_tensor *x = in[0], *b = n_in > 2 ? in[2] : NULL;
    ts_status st = cpu_nn_need_f32(n, x, "X");
    if (!st) st = cpu_nn_need_f32(n, in[1], "Scale");
    if (!st) st = cpu_nn_need_f32(n, b, "B");
    int axis = 0;
    if (!st) st = ir_norm_axis(n, ir_attr_int(n, "axis", -1), x->rank, &axis);
    if (st) return st;
    int64_t inner = ts_shape_numel(x->rank - axis, x->dims + axis);
    int64_t rows = inner ? ts_tensor_numel(x) / inner : 0;
    float *sc = expand_to(in[1], x->rank - axis, x->dims + axis);
    float *bi = b ? expand_to(b, x->rank - axis, x->dims + axis) : NULL;
    if (!sc || (b && !bi)) { ts_free(sc); ts_free(bi); return TS_ERR_NOMEM; }
    ln_job j = {x->data, out[0]->data, NULL, NULL, sc, bi, inner, ir_attr_float(n, "epsilon", 1e-5f)};
    if (n_out > 1 && out[1] && out[1]->dtype == TS_F32) j.mean = out[1]->data;
    if (n_out > 2 && out[2] && out[2]->dtype == TS_F32) j.inv = out[2]->data;
    ts_parallel_for(ctx->pool, rows, TS_MAX(1, 16384 / TS_MAX(inner, 1)), ln_rows, &j);
    ts_free(sc);
    ts_free(bi);
    return TS_OK;
}

/* ---- LRN --------------------------------------------------------------------------------- */

typedef struct lrn_job {
    const float *x;
    float *y;
    int64_t C, inner, size;
    float alpha, beta, bias;
} lrn_job;

static void lrn_planes(void *arg, int64_t p0, int64_t p1) {
    const lrn_job *j = arg;
    int64_t lo_off = (j->size - 1) / 2, hi_off = j->size - 1 - lo_off;
    for (int64_t p = p0; p < p1; p++) {
        int64_t c = p % j->C, base = p - c;
        int64_t lo = TS_MAX(0, c - lo_off), hi = TS_MIN(j->C - 1, c + hi_off);
        const float *xc = j->x + p * j->inner;
        float *yc = j->y + p * j->inner;
        for (int64_t i = 0; i < j->inner; i++) {
            double sq = 0;
            for (int64_t k = lo; k <= hi; k++) {
                double v = j->x[(base + k) * j->inner + i];
                sq += v * v;
            }
            yc[i] = (float)(xc[i] / pow(j->bias + j->alpha / (double)j->size * sq, j->beta));
        }
    }
}

CPU_KERNEL_DECL(cpu_run_lrn) {
    (void)n_in; (void)n_out;
    ts_status st = cpu_nn_need_f32(n, in[0], "X");
    if (st) return st;
    const ts_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1];
    lrn_job j = {x->data, out[0]->data, C, N * C > 0 ? ts_tensor_numel(x) / (N * C) : 0,
                 ir_attr_int(n, "size", 1), ir_attr_float(n, "alpha", 1e-4f),
                 ir_attr_float(n, "beta", 0.75f), ir_attr_float(n, "bias", 1.0f)};
    ts_parallel_for(ctx->pool, N * C, 1, lrn_planes, &j);
    return TS_OK;
}

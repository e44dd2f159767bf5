/*
 * quant.c: QuantizeLinear, DequantizeLinear (per tensor and per axis),
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv.
 *
 * Integer products accumulate exactly in int32 (a float GEMM would round
 * once K * 255^2 passes 2^24); requantization rounds half to even and
 * saturates, as the spec says.
 */
#include "cpu/cpu_int.h"

#include <math.h>
#include <string.h>

/* Saturating conversion of a rounded value to dtype t's range. */
static double q_saturate(ts_dtype t, double v) {
    double lo = 0, hi = 0;
    switch (t) {
    case TS_U8: lo = 0; hi = 255; break;
    case TS_I8: lo = -128; hi = 127; break;
    case TS_U16: lo = 0; hi = 65535; break;
    case TS_I16: lo = -32768; hi = 32767; break;
    default: lo = -2147483648.0; hi = 2147483647.0; break;
    }
    return v < lo ? lo : (v > hi ? hi : v);
}

static double round_even(double x) { return nearbyint(x); }  /* default mode: to nearest even */

/* A scale or zero point holds 1 value (per tensor) or `per` values (one per
 * row, column or channel); anything else would index out of its data. */
static ts_status need_count(const ir_node *n, const ts_tensor *t, const char *what, int64_t per) {
    if (!t) return TS_OK;
    int64_t c = ts_tensor_numel(t);
    if (c == 1 || (per > 1 && c == per)) return TS_OK;
    if (per > 1)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): %s has %lld values, expected 1 or %lld",
                        n->name, n->op_type, what, (long long)c, (long long)per);
    return ts_error(TS_ERR_INVALID, "node '%s' (%s): %s has %lld values, expected 1", n->name,
                    n->op_type, what, (long long)c);
}

/* Which scale/zero-point entry element i uses: 0 per tensor, else its
 * index along the quantization axis. */
typedef struct q_axis {
    int64_t n;        /* entries in scale (1 = per tensor) */
    int64_t inner;    /* elements after the axis */
} q_axis;

/* The zero point, when given, must match the scale value for value. */
static ts_status q_axis_init(const ir_node *n, const ts_tensor *x, const ts_tensor *scale,
                             const ts_tensor *zp, q_axis *q) {
    q->n = ts_tensor_numel(scale);
    q->inner = 1;
    if (zp && ts_tensor_numel(zp) != q->n)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): zero point has %lld values, scale %lld", n->name,
                        n->op_type, (long long)ts_tensor_numel(zp), (long long)q->n);
    if (q->n == 1 && scale->rank <= 1) return TS_OK;
    if (q->n == 0 || scale->rank != 1)
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): scale must be a scalar or 1-D, has %lld values",
                        n->name, n->op_type, (long long)q->n);
    if (ir_attr_int(n, "block_size", 0) > 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): blocked quantization is not supported",
                        n->name, n->op_type);
    int axis;
    ts_status st = ir_norm_axis(n, ir_attr_int(n, "axis", 1), x->rank, &axis);
    if (st) return st;
    if (q->n != x->dims[axis])
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): scale has %lld values but axis %d has %lld",
                        n->name, n->op_type, (long long)q->n, axis, (long long)x->dims[axis]);
    for (int i = axis + 1; i < x->rank; i++) q->inner *= x->dims[i];
    return TS_OK;
}

static int64_t q_index(const q_axis *q, int64_t i) { return q->n == 1 ? 0 : (i / q->inner) % q->n; }

CPU_KERNEL_DECL(cpu_run_quantize) {
    (void)ctx; (void)n_out;
    const ts_tensor *x = in[0], *s = in[1], *zp = n_in > 2 ? in[2] : NULL;
    q_axis q;
    ts_status st = q_axis_init(n, x, s, zp, &q);
    if (st) return st;
    ts_tensor *y = out[0];
    int64_t total = ts_tensor_numel(x);
    if (x->dtype == TS_F32 && s->dtype == TS_F32 && (y->dtype == TS_U8 || y->dtype == TS_I8)) {
        const float *xd = x->data, *sd = s->data;
        for (int64_t i = 0; i < total; i++) {
            int64_t k = q_index(&q, i);
            double z = zp ? ts_tensor_get(zp, k) : 0;
            double v = q_saturate(y->dtype, round_even((double)(xd[i] / sd[k])) + z);
            if (y->dtype == TS_U8) ((uint8_t *)y->data)[i] = (uint8_t)v;
            else ((int8_t *)y->data)[i] = (int8_t)v;
        }
        return TS_OK;
    }
    for (int64_t i = 0; i < total; i++) {
        int64_t k = q_index(&q, i);
        double z = zp ? ts_tensor_get(zp, k) : 0;
        float xv = (float)ts_tensor_get(x, i), sv = (float)ts_tensor_get(s, k);
        ts_tensor_set(y, i, q_saturate(y->dtype, round_even((double)(xv / sv)) + z));
    }
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_dequantize) {
    (void)ctx; (void)n_out;
    const ts_tensor *x = in[0], *s = in[1], *zp = n_in > 2 ? in[2] : NULL;
    q_axis q;
    ts_status st = q_axis_init(n, x, s, zp, &q);
    if (st) return st;
    int64_t total = ts_tensor_numel(x);
    if ((x->dtype == TS_U8 || x->dtype == TS_I8) && s->dtype == TS_F32 && out[0]->dtype == TS_F32) {
        /* the common QDQ case: typed loops, one scale/zero point per run */
        const float *sd = s->data;
        float *y = out[0]->data;
        for (int64_t i0 = 0; i0 < total; i0 += q.inner) {
            int64_t k = q_index(&q, i0), e = TS_MIN(total, i0 + (q.n == 1 ? total : q.inner));
            float z = zp ? (float)ts_tensor_get(zp, k) : 0.0f, sc = sd[k];
            if (x->dtype == TS_U8)
                for (int64_t i = i0; i < e; i++) y[i] = ((float)((const uint8_t *)x->data)[i] - z) * sc;
            else
                for (int64_t i = i0; i < e; i++) y[i] = ((float)((const int8_t *)x->data)[i] - z) * sc;
            if (q.n == 1) break;
        }
        return TS_OK;
    }
    for (int64_t i = 0; i < total; i++) {
        int64_t k = q_index(&q, i);
        double z = zp ? ts_tensor_get(zp, k) : 0;
        float v = (float)(ts_tensor_get(x, i) - z) * (float)ts_tensor_get(s, k);
        ts_tensor_set(out[0], i, v);
    }
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_dynamic_quantize) {
    (void)ctx; (void)n_in;
    const float *x = in[0]->data;
    int64_t total = ts_tensor_numel(in[0]);
    float lo = 0.0f, hi = 0.0f;    /* the range always includes 0 */
    for (int64_t i = 0; i < total; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    float scale = (hi - lo) / 255.0f;
    double zp = scale > 0 ? q_saturate(TS_U8, round_even(-(double)(lo / scale))) : 0;
    uint8_t *y = out[0]->data;
    for (int64_t i = 0; i < total; i++)
        y[i] = scale > 0 ? (uint8_t)q_saturate(TS_U8, round_even((double)(x[i] / scale)) + zp) : (uint8_t)zp;
    if (n_out > 1 && out[1]) ((float *)out[1]->data)[0] = scale;
    if (n_out > 2 && out[2]) ((uint8_t *)out[2]->data)[0] = (uint8_t)zp;
    if (!(hi - lo >= 0))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): input holds NaN", n->name, n->op_type);
    return TS_OK;
}

/* ---- integer GEMM -------------------------------------------------------------- */

/* Reads an int8/uint8 tensor as int32 minus a zero point. */
static int32_t q_at(const ts_tensor *t, int64_t i) {
    return t->dtype == TS_U8 ? ((const uint8_t *)t->data)[i] : ((const int8_t *)t->data)[i];
}

typedef struct igemm_job {
    int64_t M, N, K;
    const int32_t *a;     /* M x K, zero points already subtracted */
    const int32_t *b;     /* K x N */
    int32_t *c;           /* M x N */
} igemm_job;

static void igemm_rows(void *arg, int64_t m0, int64_t m1) {
    const igemm_job *j = arg;
    for (int64_t m = m0; m < m1; m++) {
        int32_t *c = j->c + m * j->N;
        for (int64_t n = 0; n < j->N; n++) c[n] = 0;
        for (int64_t k = 0; k < j->K; k++) {
            int32_t a = j->a[m * j->K + k];
            if (!a) continue;
            const int32_t *b = j->b + k * j->N;
            for (int64_t n = 0; n < j->N; n++) c[n] += a * b[n];
        }
    }
}

static void igemm(ts_pool *pool, int64_t M, int64_t N, int64_t K, const int32_t *a, const int32_t *b, int32_t *c) {
    igemm_job j = {M, N, K, a, b, c};
    ts_parallel_for(pool, M, TS_MAX(1, 65536 / TS_MAX(N * K, 1)), igemm_rows, &j);
}

/* Zero point of a per-row/column/tensor tensor (NULL = 0). */
static int32_t zp_at(const ts_tensor *zp, int64_t i) {
    if (!zp) return 0;
    return q_at(zp, ts_tensor_numel(zp) == 1 ? 0 : i);
}

/* The int32 product of an integer MatMul: y[b] = (A - azp)(B - bzp). azp
 * per tensor or per row of A, bzp per tensor or per column of B. */
static ts_status matmul_int32(cpu_ctx *ctx, const ir_node *n, const ts_tensor *A, const ts_tensor *B, const ts_tensor *azp,
                              const ts_tensor *bzp, const ts_tensor *y, int32_t *acc) {
    cpu_matmul_geom g;
    cpu_matmul_plan(A, B, y, &g);
    ts_status st = need_count(n, azp, "a_zero_point", g.M);
    if (!st) st = need_count(n, bzp, "b_zero_point", g.N);
    if (st) return st;
    int32_t *a = ts_malloc(sizeof(int32_t) * (size_t)(g.M * g.K + 1));
    int32_t *b = ts_malloc(sizeof(int32_t) * (size_t)(g.K * g.N + 1));
    if (!a || !b) { ts_free(a); ts_free(b); return TS_ERR_NOMEM; }
    for (int64_t bi = 0; bi < g.batch; bi++) {
        int64_t oa, ob;
        cpu_matmul_offsets(&g, bi, &oa, &ob);
        for (int64_t m = 0; m < g.M; m++)
            for (int64_t k = 0; k < g.K; k++) a[m * g.K + k] = q_at(A, oa + m * g.K + k) - zp_at(azp, m);
        for (int64_t k = 0; k < g.K; k++)
            for (int64_t nn = 0; nn < g.N; nn++) b[k * g.N + nn] = q_at(B, ob + k * g.N + nn) - zp_at(bzp, nn);
        igemm(ctx->pool, g.M, g.N, g.K, a, b, acc + bi * g.M * g.N);
    }
    ts_free(a);
    ts_free(b);
    return TS_OK;
}

static ts_status need_q8(const ir_node *n, const ts_tensor *t, const char *what) {
    if (t && t->dtype != TS_U8 && t->dtype != TS_I8)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): %s must be int8 or uint8, not %s", n->name,
                        n->op_type, what, ts_dtype_name(t->dtype));
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_matmul_integer) {
    (void)n_out;
    const ts_tensor *azp = n_in > 2 ? in[2] : NULL, *bzp = n_in > 3 ? in[3] : NULL;
    ts_status st = need_q8(n, azp, "a_zero_point");
    if (!st) st = need_q8(n, bzp, "b_zero_point");
    if (!st) st = matmul_int32(ctx, n, in[0], in[1], azp, bzp, out[0], out[0]->data);
    return st;
}

/* y = saturate(round(acc * mult[k]) + yzp) into q8 tensor y. */
static void requantize(const int32_t *acc, int64_t total, const double *mult, int64_t inner, int64_t nmult,
                       int32_t yzp, ts_tensor *y) {
    for (int64_t i = 0; i < total; i++) {
        double m = mult[nmult == 1 ? 0 : (i / inner) % nmult];
        double v = q_saturate(y->dtype, round_even((double)(float)((float)acc[i] * (float)m)) + yzp);
        if (y->dtype == TS_U8) ((uint8_t *)y->data)[i] = (uint8_t)v;
        else ((int8_t *)y->data)[i] = (int8_t)v;
    }
}

CPU_KERNEL_DECL(cpu_run_qlinear_matmul) {
    (void)n; (void)n_in; (void)n_out;
    const ts_tensor *A = in[0], *as = in[1], *azp = in[2], *B = in[3], *bs = in[4], *bzp = in[5];
    const ts_tensor *ys = in[6], *yzp = in[7];
    int64_t total = ts_tensor_numel(out[0]), nb = ts_tensor_numel(bs);
    int64_t ncols = out[0]->rank ? out[0]->dims[out[0]->rank - 1] : 1;
    ts_status st = need_count(n, as, "a_scale", 1);
    if (!st) st = need_count(n, ys, "y_scale", 1);
    if (!st) st = need_count(n, yzp, "y_zero_point", 1);
    if (!st) st = need_count(n, bs, "b_scale", ncols);
    if (st) return st;
    int32_t *acc = ts_malloc(sizeof(int32_t) * (size_t)(total + 1));
    double *mult = ts_malloc(sizeof(double) * (size_t)(nb + 1));
    if (!acc || !mult) { ts_free(acc); ts_free(mult); return TS_ERR_NOMEM; }
    st = matmul_int32(ctx, n, A, B, azp, bzp, out[0], acc);
    if (!st) {
        /* b_scale may be per column of B */
        for (int64_t i = 0; i < nb; i++)
            mult[i] = (double)((float)ts_tensor_get(as, 0) * (float)ts_tensor_get(bs, i) / (float)ts_tensor_get(ys, 0));
        requantize(acc, total, mult, 1, nb, zp_at(yzp, 0), out[0]);
    }
    ts_free(acc);
    ts_free(mult);
    return st;
}

/* ---- integer convolution ---------------------------------------------------------- */

/* acc[b, m, pixel] = sum (x - xzp) * (w - wzp[m]), via int32 im2col. */
static ts_status conv_int32(cpu_ctx *ctx, const ir_node *n, const ts_tensor *x, const ts_tensor *xzp,
                            const ts_tensor *w, const ts_tensor *wzp, const ts_tensor *y, int32_t *acc) {
    cpu_conv_geom g;
    ts_status st = cpu_conv_geom_init(n, x, y, w->dims + 2, false, &g);
    if (!st) st = need_count(n, xzp, "x_zero_point", 1);
    if (!st) st = need_count(n, wzp, "w_zero_point", g.M);
    if (st) return st;
    int64_t cg = g.C / g.group, mg = g.M / g.group, ksz = g.k[0] * g.k[1] * g.k[2];
    int64_t pix = g.out[0] * g.out[1] * g.out[2], isz = g.in[0] * g.in[1] * g.in[2], K = cg * ksz;
    int32_t *col = ts_malloc(sizeof(int32_t) * (size_t)(K * pix + 1));
    int32_t *wt = ts_malloc(sizeof(int32_t) * (size_t)(mg * K + 1));
    if (!col || !wt) { ts_free(col); ts_free(wt); return TS_ERR_NOMEM; }
    int32_t xz = zp_at(xzp, 0);
    for (int64_t b = 0; b < g.N; b++)
        for (int64_t grp = 0; grp < g.group; grp++) {
            for (int64_t k = 0; k < K; k++) {
                int64_t kx = k % g.k[2], ky = (k / g.k[2]) % g.k[1], kz = (k / (g.k[2] * g.k[1])) % g.k[0];
                int64_t c = grp * cg + k / ksz;
                for (int64_t p = 0; p < pix; p++) {
                    int64_t oz = p / (g.out[1] * g.out[2]), oy = (p / g.out[2]) % g.out[1], ox = p % g.out[2];
                    int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.d[0], iy = oy * g.s[1] - g.pb[1] + ky * g.d[1];
                    int64_t ix = ox * g.s[2] - g.pb[2] + kx * g.d[2];
                    bool inside = iz >= 0 && iz < g.in[0] && iy >= 0 && iy < g.in[1] && ix >= 0 && ix < g.in[2];
                    col[k * pix + p] = inside ? q_at(x, (b * g.C + c) * isz + (iz * g.in[1] + iy) * g.in[2] + ix) - xz : 0;
                }
            }
            for (int64_t m = 0; m < mg; m++)
                for (int64_t k = 0; k < K; k++)
                    wt[m * K + k] = q_at(w, (grp * mg + m) * K + k) - zp_at(wzp, grp * mg + m);
            igemm(ctx->pool, mg, pix, K, wt, col, acc + (b * g.M + grp * mg) * pix);
        }
    ts_free(col);
    ts_free(wt);
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_conv_integer) {
    (void)n_out;
    const ts_tensor *xzp = n_in > 2 ? in[2] : NULL, *wzp = n_in > 3 ? in[3] : NULL;
    ts_status st = need_q8(n, xzp, "x_zero_point");
    if (!st) st = need_q8(n, wzp, "w_zero_point");
    if (!st) st = conv_int32(ctx, n, in[0], xzp, in[1], wzp, out[0], out[0]->data);
    return st;
}

CPU_KERNEL_DECL(cpu_run_qlinear_conv) {
    (void)n_out;
    const ts_tensor *x = in[0], *xs = in[1], *xzp = in[2], *w = in[3], *ws = in[4], *wzp = in[5];
    const ts_tensor *ys = in[6], *yzp = in[7], *bias = n_in > 8 ? in[8] : NULL;
    if (bias && bias->dtype != TS_I32)
        return ts_error(TS_ERR_INVALID, "node '%s' (QLinearConv): bias must be int32", n->name);
    int64_t total = ts_tensor_numel(out[0]), M = out[0]->dims[1], nw = ts_tensor_numel(ws);
    int64_t pix = M ? total / (out[0]->dims[0] * M) : 0;
    ts_status st = need_count(n, xs, "x_scale", 1);
    if (!st) st = need_count(n, ys, "y_scale", 1);
    if (!st) st = need_count(n, yzp, "y_zero_point", 1);
    if (!st) st = need_count(n, ws, "w_scale", M);
    if (!st && bias && ts_tensor_numel(bias) != M)
        st = ts_error(TS_ERR_INVALID, "node '%s' (QLinearConv): bias has %lld values, expected %lld", n->name,
                      (long long)ts_tensor_numel(bias), (long long)M);
    if (st) return st;
    int32_t *acc = ts_malloc(sizeof(int32_t) * (size_t)(total + 1));
    double *mult = ts_malloc(sizeof(double) * (size_t)(nw + 1));
    if (!acc || !mult) { ts_free(acc); ts_free(mult); return TS_ERR_NOMEM; }
    st = conv_int32(ctx, n, x, xzp, w, wzp, out[0], acc);
    if (!st) {
        if (bias)
            for (int64_t i = 0; i < total; i++) acc[i] += ((const int32_t *)bias->data)[(i / pix) % M];
        for (int64_t i = 0; i < nw; i++)
            mult[i] = (double)((float)ts_tensor_get(xs, 0) * (float)ts_tensor_get(ws, i) / (float)ts_tensor_get(ys, 0));
        requantize(acc, total, mult, pix, nw, zp_at(yzp, 0), out[0]);
    }
    ts_free(acc);
    ts_free(mult);
    return st;
}

/*
 * conv.c: Conv and ConvTranspose on float32, 1-D to 3-D.
 *
 * Conv picks one of three paths per (image, group):
 *   - 1x1, stride 1, no padding: the image is already the GEMM's B matrix;
 *   - depthwise (one input and one output channel per group): a direct
 *     kernel, rows of the output accumulated with vector axpy;
 *   - otherwise implicit im2col: the GEMM's B packer reads the image
 *     through the convolution geometry, so no column matrix is ever built.
 * Bias and the fused activation run in the GEMM epilogue.
 *
 * ConvTranspose computes columns = W^T * X with the GEMM, then scatters
 * them into the output (col2im), then bias and activation.
 */
#include "cpu/cpu_int.h"

#include <string.h>

static ts_status read_spatial(const ir_node *n, const char *name, int nsp, int64_t def, int64_t *out) {
    int cnt = 0;
    const int64_t *v = ir_attr_ints(n, name, &cnt);
    for (int i = 0; i < 3; i++) out[i] = def;
    if (!v) return TS_OK;
    if (cnt != nsp && !(cnt == 2 * nsp && !strcmp(name, "pads")))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): attribute %s has %d values", n->name,
                        n->op_type, name, cnt);
    for (int i = 0; i < nsp; i++) out[3 - nsp + i] = v[i];
    return TS_OK;
}

ts_status cpu_conv_geom_init(const ir_node *n, const ts_tensor *x, const ts_tensor *y,
                             const int64_t *kdims, bool transpose, cpu_conv_geom *g) {
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): %d spatial dims; 1 to 3 are supported",
                        n->name, n->op_type, nsp);
    memset(g, 0, sizeof *g);
    g->nsp = nsp;
    g->N = x->dims[0];
    g->C = x->dims[1];
    g->M = y->dims[1];
    g->group = ir_attr_int(n, "group", 1);
    int off = 3 - nsp;
    for (int i = 0; i < 3; i++) g->in[i] = g->out[i] = g->k[i] = 1;
    for (int i = 0; i < nsp; i++) {
        g->in[off + i] = x->dims[2 + i];
        g->out[off + i] = y->dims[2 + i];
        g->k[off + i] = kdims[i];
    }
    ts_status st = read_spatial(n, "strides", nsp, 1, g->s);
    if (!st) st = read_spatial(n, "dilations", nsp, 1, g->d);
    if (st) return st;
    int cnt = 0;
    const int64_t *pads = ir_attr_ints(n, "pads", &cnt);
    int64_t opad[3];
    if ((st = read_spatial(n, "output_padding", nsp, 0, opad))) return st;
    const char *ap = ir_attr_string(n, "auto_pad", "NOTSET");
    bool same = !strncmp(ap, "SAME", 4), lower = !strcmp(ap, "SAME_LOWER");
    bool has_oshape = transpose && ir_attr_find(n, "output_shape");
    for (int i = 0; i < nsp; i++) {
        int a = off + i;
        int64_t dk = (g->k[a] - 1) * g->d[a] + 1;
        if (transpose && (same || has_oshape)) {
            int64_t total = g->s[a] * (g->in[a] - 1) + opad[a] + dk - g->out[a];
            g->pb[a] = lower ? total - total / 2 : total / 2;
        } else if (same) {
            int64_t total = TS_MAX(0, (g->out[a] - 1) * g->s[a] + dk - g->in[a]);
            g->pb[a] = lower ? total - total / 2 : total / 2;
        } else if (!strcmp(ap, "VALID")) {
            g->pb[a] = 0;
        } else {
            g->pb[a] = pads && cnt == 2 * nsp ? pads[i] : 0;
        }
    }
    return TS_OK;
}

/* ---- implicit im2col -------------------------------------------------------- */

typedef struct im2col_src {
    const cpu_conv_geom *g;
    const float *x;      /* first input channel of the group */
} im2col_src;

/* Writes rows [k0, k0+kc) x columns [n0, n0+nn) of the column matrix as
 * nr-wide panels. Row k = ((c*k0 + kz)*k1 + ky)*k2 + kx, column = output
 * pixel. When a panel's pixels share one output row and the x stride is 1,
 * each row of the panel is a contiguous run of the input. */
static void im2col_pack(const cpu_gemm_b *src, int64_t k0, int64_t kc, int64_t n0, int64_t nn,
                        float *dst, int nr) {
    const im2col_src *s = src->ctx;
    const cpu_conv_geom *g = s->g;
    int64_t o1o2 = g->out[1] * g->out[2];
    int64_t bz[64], by[64], bx[64];   /* window origins of the panel's pixels; nr <= 64 */
    for (int64_t p = 0; p < nn; p += nr, dst += kc * nr) {
        int w = (int)TS_MIN((int64_t)nr, nn - p);
        for (int j = 0; j < w; j++) {
            int64_t pix = n0 + p + j, oz = pix / o1o2, r = pix % o1o2;
            bz[j] = oz * g->s[0] - g->pb[0];
            by[j] = (r / g->out[2]) * g->s[1] - g->pb[1];
            bx[j] = (r % g->out[2]) * g->s[2] - g->pb[2];
        }
        bool run = g->s[2] == 1 && bz[0] == bz[w - 1] && by[0] == by[w - 1];
        for (int64_t kk = 0; kk < kc; kk++) {
            int64_t k = k0 + kk;
            int64_t kx = k % g->k[2], t = k / g->k[2];
            int64_t ky = t % g->k[1];
            t /= g->k[1];
            int64_t kz = t % g->k[0], c = t / g->k[0];
            const float *plane = s->x + c * g->in[0] * g->in[1] * g->in[2];
            float *d = dst + kk * nr;
            if (run) {
                int64_t iz = bz[0] + kz * g->d[0], iy = by[0] + ky * g->d[1];
                if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1]) {
                    memset(d, 0, sizeof(float) * (size_t)nr);
                    continue;
                }
                const float *row = plane + (iz * g->in[1] + iy) * g->in[2];
                int64_t ix0 = bx[0] + kx * g->d[2];
                int lo = (int)TS_MIN((int64_t)w, TS_MAX(0, -ix0));
                int hi = (int)TS_MAX((int64_t)lo, TS_MIN((int64_t)w, g->in[2] - ix0));
                for (int j = 0; j < lo; j++) d[j] = 0.0f;
                if (hi > lo) memcpy(d + lo, row + ix0 + lo, sizeof(float) * (size_t)(hi - lo));
                for (int j = hi; j < nr; j++) d[j] = 0.0f;
                continue;
            }
            for (int j = 0; j < w; j++) {
                int64_t iz = bz[j] + kz * g->d[0], iy = by[j] + ky * g->d[1], ix = bx[j] + kx * g->d[2];
                bool in = iz >= 0 && iz < g->in[0] && iy >= 0 && iy < g->in[1] && ix >= 0 && ix < g->in[2];
                d[j] = in ? plane[(iz * g->in[1] + iy) * g->in[2] + ix] : 0.0f;
            }
            for (int j = w; j < nr; j++) d[j] = 0.0f;
        }
    }
}

/* ---- depthwise ------------------------------------------------------------------ */

typedef struct dw_job {
    const cpu_conv_geom *g;
    const float *x, *w, *bias;
    float *y;
    cpu_act act;
} dw_job;

/* One output row (oz, oy) of channel plane: y[ox] += sum w * x. */
static void dw_row(const dw_job *j, const float *xp, const float *wp, float *yr, int64_t oz, int64_t oy) {
    const cpu_conv_geom *g = j->g;
    for (int64_t kz = 0; kz < g->k[0]; kz++) {
        int64_t iz = oz * g->s[0] - g->pb[0] + kz * g->d[0];
        if (iz < 0 || iz >= g->in[0]) continue;
        for (int64_t ky = 0; ky < g->k[1]; ky++) {
            int64_t iy = oy * g->s[1] - g->pb[1] + ky * g->d[1];
            if (iy < 0 || iy >= g->in[1]) continue;
            const float *xr = xp + (iz * g->in[1] + iy) * g->in[2];
            const float *wr = wp + (kz * g->k[1] + ky) * g->k[2];
            for (int64_t kx = 0; kx < g->k[2]; kx++) {
                /* ox range with ix = ox*s - pb + kx*d inside [0, in) */
                int64_t off = kx * g->d[2] - g->pb[2], s = g->s[2];
                int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
                int64_t hi = g->in[2] - off <= 0 ? 0 : (g->in[2] - off + s - 1) / s;
                hi = TS_MIN(hi, g->out[2]);
                if (hi <= lo) continue;
                float wv = wr[kx];
                if (s == 1) {
                    cpu_axpy(yr + lo, xr + lo + off, wv, hi - lo);
                } else {
                    for (int64_t ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox * s + off];
                }
            }
        }
    }
}

static void dw_planes(void *arg, int64_t p0, int64_t p1) {
    const dw_job *j = arg;
    const cpu_conv_geom *g = j->g;
    int64_t isz = g->in[0] * g->in[1] * g->in[2], osz = g->out[0] * g->out[1] * g->out[2];
    int64_t ksz = g->k[0] * g->k[1] * g->k[2];
    for (int64_t p = p0; p < p1; p++) {
        int64_t c = p % g->C;
        const float *xp = j->x + p * isz, *wp = j->w + c * ksz;
        float *yp = j->y + p * osz;
        float b = j->bias ? j->bias[c] : 0.0f;
        for (int64_t i = 0; i < osz; i++) yp[i] = b;
        for (int64_t oz = 0; oz < g->out[0]; oz++)
            for (int64_t oy = 0; oy < g->out[1]; oy++)
                dw_row(j, xp, wp, yp + (oz * g->out[1] + oy) * g->out[2], oz, oy);
        cpu_act_apply(&j->act, yp, osz);
    }
}

/* ---- Conv ------------------------------------------------------------------------- */

typedef struct conv_job {
    const cpu_conv_geom *g;
    const float *x, *w, *bias;
    float *y;
    cpu_act act;
    int64_t cg, mg, kg, pix;   /* per group: in/out channels, GEMM K, output pixels */
    bool pointwise;
} conv_job;

/* One (image, group) GEMM; pool NULL when called from a parallel loop. */
static void conv_one(const conv_job *j, ts_pool *pool, int64_t b, int64_t grp) {
    const cpu_conv_geom *g = j->g;
    int64_t isz = g->in[0] * g->in[1] * g->in[2];
    const float *x = j->x + (b * g->C + grp * j->cg) * isz;
    float *y = j->y + (b * g->M + grp * j->mg) * j->pix;
    cpu_epilogue epi = {.row_bias = j->bias ? j->bias + grp * j->mg : NULL, .act = j->act};
    const float *w = j->w + grp * j->mg * j->kg;
    if (j->pointwise) {
        cpu_sgemm_ex(pool, false, false, j->mg, j->pix, j->kg, 1.0f, w, j->kg, x, isz, 0.0f, y,
                     j->pix, &epi);
        return;
    }
    im2col_src s = {g, x};
    cpu_gemm_b src = {.pack = im2col_pack, .ctx = &s};
    cpu_gemm_run(pool, false, j->mg, j->pix, j->kg, 1.0f, w, j->kg, &src, 0.0f, y, j->pix, &epi);
}

static void conv_units(void *arg, int64_t u0, int64_t u1) {
    const conv_job *j = arg;
    for (int64_t u = u0; u < u1; u++) conv_one(j, NULL, u / j->g->group, u % j->g->group);
}

CPU_KERNEL_DECL(cpu_run_conv) {
    (void)n_out;
    const ts_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    ts_status st = cpu_nn_need_f32(n, x, "X");
    if (!st) st = cpu_nn_need_f32(n, w, "W");
    if (!st) st = cpu_nn_need_f32(n, b, "B");
    cpu_conv_geom g;
    if (!st) st = cpu_conv_geom_init(n, x, out[0], w->dims + 2, false, &g);
    cpu_act act;
    if (!st) st = cpu_act_from_node(n, &act);
    if (st) return st;
    if (ts_tensor_numel(out[0]) == 0) return TS_OK;
    int64_t cg = g.C / g.group, mg = g.M / g.group;
    int64_t ksz = g.k[0] * g.k[1] * g.k[2], pix = g.out[0] * g.out[1] * g.out[2];
    if (cg == 1 && mg == 1) {
        dw_job j = {&g, x->data, w->data, b ? b->data : NULL, out[0]->data, act};
        int64_t work = pix * ksz;
        ts_parallel_for(ctx->pool, g.N * g.C, TS_MAX(1, 4096 / TS_MAX(work, 1)), dw_planes, &j);
        return TS_OK;
    }
    bool pointwise = ksz == 1;
    for (int i = 0; i < 3; i++) pointwise &= g.s[i] == 1 && g.pb[i] == 0 && g.in[i] == g.out[i];
    conv_job j = {&g, x->data, w->data, b ? b->data : NULL, out[0]->data, act, cg, mg, cg * ksz, pix, pointwise};
    int64_t units = g.N * g.group, work = mg * pix * j.kg;
    if (units > 1 && work < (1 << 22)) {
        ts_parallel_for(ctx->pool, units, 1, conv_units, &j);
    } else {
        for (int64_t u = 0; u < units; u++) conv_one(&j, ctx->pool, u / g.group, u % g.group);
    }
    return TS_OK;
}

/* ---- ConvTranspose ------------------------------------------------------------------ */

typedef struct col2im_job {
    const cpu_conv_geom *g;
    const float *col;      /* [mg * ksz, in pixels] */
    float *y;              /* first output channel of the group */
    const float *bias;     /* offset to the group, or NULL */
    cpu_act act;
} col2im_job;

static void col2im_channels(void *arg, int64_t m0, int64_t m1) {
    const col2im_job *j = arg;
    const cpu_conv_geom *g = j->g;
    int64_t ksz = g->k[0] * g->k[1] * g->k[2], ipix = g->in[0] * g->in[1] * g->in[2];
    int64_t opix = g->out[0] * g->out[1] * g->out[2];
    for (int64_t m = m0; m < m1; m++) {
        float *yp = j->y + m * opix;
        for (int64_t i = 0; i < opix; i++) yp[i] = j->bias ? j->bias[m] : 0.0f;
        for (int64_t kk = 0; kk < ksz; kk++) {
            int64_t kx = kk % g->k[2], ky = (kk / g->k[2]) % g->k[1], kz = kk / (g->k[2] * g->k[1]);
            const float *cr = j->col + (m * ksz + kk) * ipix;
            for (int64_t iz = 0; iz < g->in[0]; iz++) {
                int64_t oz = iz * g->s[0] - g->pb[0] + kz * g->d[0];
                if (oz < 0 || oz >= g->out[0]) continue;
                for (int64_t iy = 0; iy < g->in[1]; iy++) {
                    int64_t oy = iy * g->s[1] - g->pb[1] + ky * g->d[1];
                    if (oy < 0 || oy >= g->out[1]) continue;
                    const float *c = cr + (iz * g->in[1] + iy) * g->in[2];
                    float *yr = yp + (oz * g->out[1] + oy) * g->out[2];
                    for (int64_t ix = 0; ix < g->in[2]; ix++) {
                        int64_t ox = ix * g->s[2] - g->pb[2] + kx * g->d[2];
                        if (ox >= 0 && ox < g->out[2]) yr[ox] += c[ix];
                    }
                }
            }
        }
        cpu_act_apply(&j->act, yp, opix);
    }
}

CPU_KERNEL_DECL(cpu_run_conv_transpose) {
    (void)n_out;
    const ts_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    ts_status st = cpu_nn_need_f32(n, x, "X");
    if (!st) st = cpu_nn_need_f32(n, w, "W");
    if (!st) st = cpu_nn_need_f32(n, b, "B");
    cpu_conv_geom g;
    if (!st) st = cpu_conv_geom_init(n, x, out[0], w->dims + 2, true, &g);
    cpu_act act;
    if (!st) st = cpu_act_from_node(n, &act);
    if (st) return st;
    if (ts_tensor_numel(out[0]) == 0) return TS_OK;
    int64_t cg = g.C / g.group, mg = g.M / g.group;
    int64_t ksz = g.k[0] * g.k[1] * g.k[2], ipix = g.in[0] * g.in[1] * g.in[2];
    int64_t opix = g.out[0] * g.out[1] * g.out[2];
    float *col = ts_aligned_alloc(64, sizeof(float) * (size_t)(mg * ksz * TS_MAX(ipix, 1)));
    if (!col) return ts_error(TS_ERR_NOMEM, "node '%s' (%s): no memory for columns", n->name, n->op_type);
    const float *xd = x->data, *wd = w->data;
    for (int64_t bi = 0; bi < g.N; bi++)
        for (int64_t grp = 0; grp < g.group; grp++) {
            /* W_g is [cg, mg*ksz]; columns = W_g^T * X_g */
            cpu_sgemm_ex(ctx->pool, true, false, mg * ksz, ipix, cg, 1.0f, wd + grp * cg * mg * ksz,
                         mg * ksz, xd + (bi * g.C + grp * cg) * ipix, ipix, 0.0f, col, ipix, NULL);
            col2im_job j = {&g, col, (float *)out[0]->data + (bi * g.M + grp * mg) * opix,
                            b ? (const float *)b->data + grp * mg : NULL, act};
            ts_parallel_for(ctx->pool, mg, 1, col2im_channels, &j);
        }
    ts_aligned_free(col);
    return TS_OK;
}

/*
 * conv.c: Conv and ConvTranspose on float32, 1-D to 3-D.
 *
 * Conv picks one of four paths per (image, group):
 *   - 1x1, stride 1, no padding: the image is already the GEMM's B matrix
 *     (read in place by the indirect GEMM when its rows fill whole panels);
 *   - depthwise (one input and one output channel per group): a direct
 *     kernel accumulating 64 outputs in registers over every tap (AVX-512),
 *     or rows accumulated with vector axpy (other ISAs);
 *   - stride 1, 2-D, AVX-512: the image is copied once into a zero-padded
 *     buffer whose shifted views are the rows of the column matrix, read
 *     in place by the indirect GEMM (no im2col, no packing of B);
 *   - otherwise implicit im2col: the GEMM's B packer reads the image
 *     through the convolution geometry, so no column matrix is ever built.
 * Bias and the fused activation run in the GEMM epilogue.
 *
 * ConvTranspose computes columns = W^T * X with the GEMM, then scatters
 * them into the output (col2im; a plain copy when stride equals kernel),
 * then bias and activation.
 */
#include "cpu/cpu_int.h"

#include <immintrin.h>
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

/* A panel row whose pixels share one output row: d[j] = row[ix0 + j*sx]
 * for j in [lo, hi), zero elsewhere up to nr. The vector versions load
 * under a mask, so positions outside [lo, hi) are never read. */
typedef void (*run_copy_fn)(float *d, const float *row, int64_t ix0, int64_t sx, int lo, int hi, int nr);

static void run_copy_scalar(float *d, const float *row, int64_t ix0, int64_t sx, int lo, int hi, int nr) {
    for (int j = 0; j < nr; j++) d[j] = j >= lo && j < hi ? row[ix0 + j * sx] : 0.0f;
}

static inline __mmask16 run_mask(int j, int lo, int hi) {
    int a = TS_MAX(lo - j, 0), b = TS_MIN(hi - j, 16);
    if (b <= a) return 0;
    return (__mmask16)((((uint32_t)1 << b) - 1) & ~(((uint32_t)1 << a) - 1));
}

__attribute__((target("avx512f")))
static void run_copy_avx512(float *d, const float *row, int64_t ix0, int64_t sx, int lo, int hi, int nr) {
    const float *src = row + ix0;
    if (sx == 1) {
        for (int j = 0; j < nr; j += 16) {
            __mmask16 m = run_mask(j, lo, hi);
            _mm512_storeu_ps(d + j, m ? _mm512_maskz_loadu_ps(m, src + j) : _mm512_setzero_ps());
        }
        return;
    }
    /* stride 2: load 32 consecutive values under a mask, keep the even ones */
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    for (int j = 0; j < nr; j += 16) {
        __mmask16 m = run_mask(j, lo, hi);
        if (!m) { _mm512_storeu_ps(d + j, _mm512_setzero_ps()); continue; }
        /* element j+q sits at src[2(j+q)]: spread the mask over pairs */
        uint32_t m2 = m == 0xffff ? 0x7fffffffu : 0;
        if (m != 0xffff)
            for (int q = 0; q < 16; q++)
                if (m & (1u << q)) m2 |= 1u << (2 * q);
        __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)(m2 & 0xffff), src + 2 * j);
        __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)(m2 >> 16), src + 2 * j + 16);
        _mm512_storeu_ps(d + j, _mm512_permutex2var_ps(v0, even, v1));
    }
}

/* Writes rows [k0, k0+kc) x columns [n0, n0+nn) of the column matrix as
 * nr-wide panels. Row k = ((c*k0 + kz)*k1 + ky)*k2 + kx, column = output
 * pixel. When a panel's pixels share one output row, each panel row is a
 * strided run of one input row (copied by an ISA-specific routine);
 * otherwise every element is gathered with its own bounds check. */
static void im2col_pack(const cpu_gemm_b *src, int64_t k0, int64_t kc, int64_t n0, int64_t nn,
                        float *dst, int nr) {
    const im2col_src *s = src->ctx;
    const cpu_conv_geom *g = s->g;
    int64_t o1o2 = g->out[1] * g->out[2], plane = g->in[0] * g->in[1] * g->in[2];
    bool avx512 = cpu_active_isa() == CPU_AVX512 && nr % 16 == 0;
    run_copy_fn copy = avx512 && (g->s[2] == 1 || g->s[2] == 2) ? run_copy_avx512 : run_copy_scalar;
    int64_t bz[64], by[64], bx[64];   /* window origins of the panel's pixels; nr <= 64 */
    for (int64_t p = 0; p < nn; p += nr, dst += kc * nr) {
        int w = (int)TS_MIN((int64_t)nr, nn - p);
        for (int j = 0; j < w; j++) {
            int64_t pix = n0 + p + j, oz = pix / o1o2, r = pix % o1o2;
            bz[j] = oz * g->s[0] - g->pb[0];
            by[j] = (r / g->out[2]) * g->s[1] - g->pb[1];
            bx[j] = (r % g->out[2]) * g->s[2] - g->pb[2];
        }
        bool run = bz[0] == bz[w - 1] && by[0] == by[w - 1];
        /* decode k0 once, then step the counters */
        int64_t kx = k0 % g->k[2], t = k0 / g->k[2];
        int64_t ky = t % g->k[1];
        t /= g->k[1];
        int64_t kz = t % g->k[0], c = t / g->k[0];
        for (int64_t kk = 0; kk < kc; kk++) {
            const float *pl = s->x + c * plane;
            float *d = dst + kk * nr;
            if (run) {
                int64_t iz = bz[0] + kz * g->d[0], iy = by[0] + ky * g->d[1];
                if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1]) {
                    memset(d, 0, sizeof(float) * (size_t)nr);
                } else {
                    int64_t ix0 = bx[0] + kx * g->d[2], sx = g->s[2];
                    /* j in [lo, hi) keeps ix0 + j*sx inside [0, in) */
                    int64_t lo = ix0 >= 0 ? 0 : (-ix0 + sx - 1) / sx;
                    int64_t hi = g->in[2] - ix0 <= 0 ? 0 : (g->in[2] - ix0 + sx - 1) / sx;
                    lo = TS_MIN(lo, (int64_t)w);
                    hi = TS_MAX(lo, TS_MIN(hi, (int64_t)w));
                    copy(d, pl + (iz * g->in[1] + iy) * g->in[2], ix0, sx, (int)lo, (int)hi, nr);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    int64_t iz = bz[j] + kz * g->d[0], iy = by[j] + ky * g->d[1], ix = bx[j] + kx * g->d[2];
                    bool in = iz >= 0 && iz < g->in[0] && iy >= 0 && iy < g->in[1] && ix >= 0 && ix < g->in[2];
                    d[j] = in ? pl[(iz * g->in[1] + iy) * g->in[2] + ix] : 0.0f;
                }
                for (int j = w; j < nr; j++) d[j] = 0.0f;
            }
            if (++kx == g->k[2]) {
                kx = 0;
                if (++ky == g->k[1]) {
                    ky = 0;
                    if (++kz == g->k[0]) { kz = 0; c++; }
                }
            }
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

/* Lanes q in [lo, hi) of a 16-lane block as a mask. */
static inline __mmask16 lane_mask(int64_t lo, int64_t hi) {
    lo = TS_MAX(lo, 0);
    hi = TS_MIN(hi, 16);
    if (hi <= lo) return 0;
    return (__mmask16)((((uint32_t)1 << hi) - 1) & ~(((uint32_t)1 << lo) - 1));
}

/* Lane masks of one (64-output chunk, kx) pair: they do not depend on the
 * row, so dw_planes computes them once per call. */
typedef struct dw_mask {
    int64_t off;          /* input x of the chunk's first output */
    __mmask16 m[4];       /* lanes that read inside the row, per block */
    uint32_t m2[4];       /* stride 2: the same lanes spread over 32 inputs */
    bool full;            /* every block wholly inside or wholly unused */
} dw_mask;

static void dw_masks_init(const cpu_conv_geom *g, dw_mask *tab) {
    int64_t s = g->s[2], in2 = g->in[2], nch = (g->out[2] + 63) / 64;
    for (int64_t ch = 0; ch < nch; ch++)
        for (int64_t kx = 0; kx < g->k[2]; kx++) {
            dw_mask *d = &tab[ch * g->k[2] + kx];
            int64_t ox0 = ch * 64;
            d->off = ox0 * s - g->pb[2] + kx * g->d[2];
            /* output ox0 + q reads off + q*s: inside [0, in2) for q in [lo, hi) */
            int64_t lo = d->off >= 0 ? 0 : (-d->off + s - 1) / s;
            int64_t hi = in2 - d->off <= 0 ? 0 : (in2 - d->off + s - 1) / s;
            d->full = true;
            for (int q = 0; q < 4; q++) {
                __mmask16 om = lane_mask(0, g->out[2] - ox0 - 16 * q);
                d->m[q] = lane_mask(lo - 16 * q, hi - 16 * q) & om;
                d->full &= d->m[q] == om && (om == 0xffff || om == 0);
                d->m2[q] = 0;
                for (int l = 0; l < 16; l++)
                    if (d->m[q] & (1u << l)) d->m2[q] |= 1u << (2 * l);
            }
        }
}

/* base[2q] for the lanes whose pairs are set in m2 (stride-2 rows). */
__attribute__((target("avx512f")))
static inline __m512 load_even(const float *base, uint32_t m2) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)(m2 & 0xffff), base);
    __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)(m2 >> 16), base + 16);
    return _mm512_permutex2var_ps(v0, even, v1);
}

/* Accumulates tap (weight wv, input base) into block b (lanes base[q*s]). */
#define DW_TAP(b)                                                                             \
    if (mk->m[b])                                                                             \
        acc##b = _mm512_fmadd_ps(s == 1 ? _mm512_maskz_loadu_ps(mk->m[b], base + 16 * (b))      \
                                        : load_even(base + 32 * (b), mk->m2[b]),              \
                                 wv, acc##b);
#define DW_TAP_FULL1(b) \
    if (mk->m[b]) acc##b = _mm512_fmadd_ps(_mm512_loadu_ps(base + 16 * (b)), wv, acc##b);

/* One output row of a depthwise channel, 64 outputs (four registers) per
 * step accumulated over every tap; x stride 1 or 2. */
__attribute__((target("avx512f")))
static void dw_row_avx512(const dw_job *j, const dw_mask *tab, const float *xp, const float *wp, float *yr,
                          int64_t oz, int64_t oy, float bias) {
    const cpu_conv_geom *g = j->g;
    const float *rows[64];
    const float *wrows[64];
    int nr = 0;
    for (int64_t kz = 0; kz < g->k[0]; kz++) {
        int64_t iz = oz * g->s[0] - g->pb[0] + kz * g->d[0];
        if (iz < 0 || iz >= g->in[0]) continue;
        for (int64_t ky = 0; ky < g->k[1] && nr < 64; ky++) {
            int64_t iy = oy * g->s[1] - g->pb[1] + ky * g->d[1];
            if (iy < 0 || iy >= g->in[1]) continue;
            rows[nr] = xp + (iz * g->in[1] + iy) * g->in[2];
            wrows[nr++] = wp + (kz * g->k[1] + ky) * g->k[2];
        }
    }
    int64_t s = g->s[2];
    bool vec_act = act_vectorizable(&j->act);
    for (int64_t ox0 = 0, ch = 0; ox0 < g->out[2]; ox0 += 64, ch++) {
        __m512 acc0 = _mm512_set1_ps(bias), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int64_t kx = 0; kx < g->k[2]; kx++) {
            const dw_mask *mk = &tab[ch * g->k[2] + kx];
            if (mk->full && s == 1) {
                for (int r = 0; r < nr; r++) {
                    __m512 wv = _mm512_set1_ps(wrows[r][kx]);
                    const float *base = rows[r] + mk->off;
                    DW_TAP_FULL1(0) DW_TAP_FULL1(1) DW_TAP_FULL1(2) DW_TAP_FULL1(3)
                }
            } else {
                for (int r = 0; r < nr; r++) {
                    __m512 wv = _mm512_set1_ps(wrows[r][kx]);
                    const float *base = rows[r] + mk->off;
                    DW_TAP(0) DW_TAP(1) DW_TAP(2) DW_TAP(3)
                }
            }
        }
        if (vec_act) {
            acc0 = act_avx512(acc0, &j->act); acc1 = act_avx512(acc1, &j->act);
            acc2 = act_avx512(acc2, &j->act); acc3 = act_avx512(acc3, &j->act);
        }
        __mmask16 om[4];
        for (int q = 0; q < 4; q++) om[q] = lane_mask(0, g->out[2] - ox0 - 16 * q);
        _mm512_mask_storeu_ps(yr + ox0, om[0], acc0);
        _mm512_mask_storeu_ps(yr + ox0 + 16, om[1], acc1);
        _mm512_mask_storeu_ps(yr + ox0 + 32, om[2], acc2);
        _mm512_mask_storeu_ps(yr + ox0 + 48, om[3], acc3);
    }
    if (!vec_act) cpu_act_apply(&j->act, yr, g->out[2]);
}

static void dw_planes(void *arg, int64_t p0, int64_t p1) {
    const dw_job *j = arg;
    const cpu_conv_geom *g = j->g;
    int64_t isz = g->in[0] * g->in[1] * g->in[2], osz = g->out[0] * g->out[1] * g->out[2];
    int64_t ksz = g->k[0] * g->k[1] * g->k[2];
    bool fast = cpu_active_isa() == CPU_AVX512 && (g->s[2] == 1 || g->s[2] == 2) && g->k[0] * g->k[1] <= 64;
    dw_mask *tab = fast ? ts_malloc(sizeof(dw_mask) * (size_t)(((g->out[2] + 63) / 64) * g->k[2] + 1)) : NULL;
    if (tab) dw_masks_init(g, tab);
    for (int64_t p = p0; p < p1; p++) {
        int64_t c = p % g->C;
        const float *xp = j->x + p * isz, *wp = j->w + c * ksz;
        float *yp = j->y + p * osz;
        float b = j->bias ? j->bias[c] : 0.0f;
        if (tab) {
            for (int64_t oz = 0; oz < g->out[0]; oz++)
                for (int64_t oy = 0; oy < g->out[1]; oy++)
                    dw_row_avx512(j, tab, xp, wp, yp + (oz * g->out[1] + oy) * g->out[2], oz, oy, b);
            continue;
        }
        for (int64_t i = 0; i < osz; i++) yp[i] = b;
        for (int64_t oz = 0; oz < g->out[0]; oz++)
            for (int64_t oy = 0; oy < g->out[1]; oy++)
                dw_row(j, xp, wp, yp + (oz * g->out[1] + oy) * g->out[2], oz, oy);
        cpu_act_apply(&j->act, yp, osz);
    }
    ts_free(tab);
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

/* Stride-1 2-D convolution without im2col: the image is copied once into a
 * zero-padded buffer of width Wp, whose shifted views are the rows of the
 * column matrix (row (c, ky, kx) starts at c*Hp*Wp + ky*dy*Wp + kx*dx).
 * The GEMM reads them in place and writes a wide output (Wp columns per
 * output row, the last Wp - OW of them junk) that is then compacted.
 * Returns false (nothing done) when the buffers cannot be had. */
typedef struct ind_copy {
    const cpu_conv_geom *g;
    const float *x;
    float *xp, *y;
    const float *yw;
    int64_t wp, hp, nw;
} ind_copy;

/* Channels [c0, c1) of the padded image: zeros around the copied input
 * (the buffer is reused, so every pad cell is rewritten). */
static void ind_pad_channels(void *arg, int64_t c0, int64_t c1) {
    const ind_copy *j = arg;
    const cpu_conv_geom *g = j->g;
    int64_t wp = j->wp, hp = j->hp, plane = wp * hp;
    int64_t x1 = TS_MIN(g->in[2], wp - g->pb[2]), y1 = TS_MIN(g->in[1], hp - g->pb[1]);
    for (int64_t c = c0; c < c1; c++) {
        float *pc = j->xp + c * plane;
        memset(pc, 0, sizeof(float) * (size_t)(g->pb[1] * wp));
        for (int64_t iy = 0; iy < y1; iy++) {
            float *row = pc + (iy + g->pb[1]) * wp;
            memset(row, 0, sizeof(float) * (size_t)g->pb[2]);
            memcpy(row + g->pb[2], j->x + (c * g->in[1] + iy) * g->in[2], sizeof(float) * (size_t)x1);
            memset(row + g->pb[2] + x1, 0, sizeof(float) * (size_t)(wp - g->pb[2] - x1));
        }
        memset(pc + (y1 + g->pb[1]) * wp, 0, sizeof(float) * (size_t)((hp - y1 - g->pb[1]) * wp));
    }
}

/* Output channels [m0, m1): drop the junk columns of the wide rows. */
static void ind_compact_channels(void *arg, int64_t m0, int64_t m1) {
    const ind_copy *j = arg;
    int64_t oh = j->g->out[1], ow = j->g->out[2];
    for (int64_t m = m0; m < m1; m++)
        for (int64_t r = 0; r < oh; r++)
            memcpy(j->y + (m * oh + r) * ow, j->yw + m * j->nw + r * j->wp, sizeof(float) * (size_t)ow);
}

static bool conv_indirect(const conv_job *j, ts_pool *pool, const float *x, const float *w, float *y,
                          const cpu_epilogue *epi) {
    const cpu_conv_geom *g = j->g;
    int64_t nr = cpu_gemm_indirect_nr();
    int64_t oh = g->out[1], ow = g->out[2], dy = g->d[1], dx = g->d[2];
    int64_t wp = ow + (g->k[2] - 1) * dx, hp = oh + (g->k[1] - 1) * dy, plane = hp * wp;
    int64_t nw = (oh * wp + nr - 1) / nr * nr, K = j->kg;
    float *xp = cpu_scratch(CPU_SCRATCH_CONV_IN, sizeof(float) * (size_t)(j->cg * plane + wp + 2 * nr));
    float *yw = cpu_scratch(CPU_SCRATCH_CONV_OUT, sizeof(float) * (size_t)(j->mg * nw));
    const float **brow = ts_malloc(sizeof(float *) * (size_t)K);
    bool ok = xp && yw && brow;
    ind_copy cj = {g, x, xp, y, yw, wp, hp, nw};
    int64_t grain = TS_MAX(1, 16384 / TS_MAX(plane, 1));
    if (ok) {
        ts_parallel_for(pool, j->cg, grain, ind_pad_channels, &cj);
        memset(xp + j->cg * plane, 0, sizeof(float) * (size_t)(wp + 2 * nr));
        int64_t k = 0;
        for (int64_t c = 0; c < j->cg; c++)
            for (int64_t ky = 0; ky < g->k[1]; ky++)
                for (int64_t kx = 0; kx < g->k[2]; kx++) brow[k++] = xp + c * plane + ky * dy * wp + kx * dx;
        ok = cpu_gemm_indirect(pool, false, j->mg, nw, K, w, K, brow, yw, nw, epi) == TS_OK;
    }
    if (ok) ts_parallel_for(pool, j->mg, grain, ind_compact_channels, &cj);
    ts_free(brow);
    return ok;
}

/* Whether conv_indirect applies: AVX-512, 2-D (or 1-D), stride 1, and no
 * negative begin pads. */
static bool conv_indirect_ok(const cpu_conv_geom *g) {
    if (!cpu_gemm_indirect_nr() || g->k[0] != 1 || g->in[0] != 1) return false;
    for (int a = 0; a < 3; a++)
        if (g->s[a] != 1 || g->pb[a] < 0) return false;
    return true;
}

/* One (image, group) GEMM; pool NULL when called from a parallel loop. */
static void conv_one(const conv_job *j, ts_pool *pool, int64_t b, int64_t grp) {
    const cpu_conv_geom *g = j->g;
    int64_t isz = g->in[0] * g->in[1] * g->in[2];
    const float *x = j->x + (b * g->C + grp * j->cg) * isz;
    float *y = j->y + (b * g->M + grp * j->mg) * j->pix;
    cpu_epilogue epi = {.row_bias = j->bias ? j->bias + grp * j->mg : NULL, .act = j->act};
    const float *w = j->w + grp * j->mg * j->kg;
    if (j->pointwise) {
        /* rows of B are the input channels themselves: read them in place
         * when the pixel count fills whole vector panels */
        int64_t nr = cpu_gemm_indirect_nr();
        const float **brow = nr && j->pix % nr == 0 ? ts_malloc(sizeof(float *) * (size_t)j->kg) : NULL;
        if (brow) {
            for (int64_t k = 0; k < j->kg; k++) brow[k] = x + k * isz;
            ts_status st = cpu_gemm_indirect(pool, false, j->mg, j->pix, j->kg, w, j->kg, brow, y, j->pix, &epi);
            ts_free(brow);
            if (st == TS_OK) return;
        }
        cpu_sgemm_ex(pool, false, false, j->mg, j->pix, j->kg, 1.0f, w, j->kg, x, isz, 0.0f, y,
                     j->pix, &epi);
        return;
    }
    if (conv_indirect_ok(g) && conv_indirect(j, pool, x, w, y, &epi)) return;
    im2col_src s = {g, x};
    cpu_gemm_b src = {.pack = im2col_pack, .ctx = &s};
    cpu_gemm_run(pool, false, j->mg, j->pix, j->kg, 1.0f, w, j->kg, &src, 0.0f, y, j->pix, &epi);
}

static void conv_units(void *arg, int64_t u0, int64_t u1) {
    const conv_job *j = arg;
    for (int64_t u = u0; u < u1; u++) conv_one(j, NULL, u / j->g->group, u % j->g->group);
}

/* Checks shared by Conv and ConvTranspose: float32 operands, geometry, the
 * fused activation. */
static ts_status conv_prepare(const ir_node *n, const ts_tensor *x, const ts_tensor *w, const ts_tensor *b,
                              const ts_tensor *y, bool transpose, cpu_conv_geom *g, cpu_act *act) {
    ts_status st = cpu_nn_need_f32(n, x, "X");
    if (!st) st = cpu_nn_need_f32(n, w, "W");
    if (!st) st = cpu_nn_need_f32(n, b, "B");
    if (!st) st = cpu_conv_geom_init(n, x, y, w->dims + 2, transpose, g);
    if (!st) st = cpu_act_from_node(n, act);
    return st;
}

CPU_KERNEL_DECL(cpu_run_conv) {
    (void)n_out;
    const ts_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    cpu_conv_geom g;
    cpu_act act;
    ts_status st = conv_prepare(n, x, w, b, out[0], false, &g, &act);
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

/* Whether every output cell gets exactly one kernel tap: stride equals
 * kernel, no dilation, no padding (the usual 2x upsampling). */
static bool col2im_disjoint(const cpu_conv_geom *g) {
    for (int a = 0; a < 3; a++)
        if (g->s[a] != g->k[a] || g->d[a] != 1 || g->pb[a] != 0 || g->out[a] != g->in[a] * g->s[a]) return false;
    return true;
}

/* The disjoint case: each column value lands in its own output cell. */
static void col2im_disjoint_channel(const col2im_job *j, int64_t m) {
    const cpu_conv_geom *g = j->g;
    int64_t ksz = g->k[0] * g->k[1] * g->k[2], ipix = g->in[0] * g->in[1] * g->in[2];
    int64_t opix = g->out[0] * g->out[1] * g->out[2];
    float *yp = j->y + m * opix;
    float b = j->bias ? j->bias[m] : 0.0f;
    for (int64_t kk = 0; kk < ksz; kk++) {
        int64_t kx = kk % g->k[2], ky = (kk / g->k[2]) % g->k[1], kz = kk / (g->k[2] * g->k[1]);
        const float *cr = j->col + (m * ksz + kk) * ipix;
        for (int64_t iz = 0; iz < g->in[0]; iz++)
            for (int64_t iy = 0; iy < g->in[1]; iy++) {
                const float *c = cr + (iz * g->in[1] + iy) * g->in[2];
                float *yr = yp + ((iz * g->s[0] + kz) * g->out[1] + iy * g->s[1] + ky) * g->out[2] + kx;
                for (int64_t ix = 0; ix < g->in[2]; ix++) yr[ix * g->s[2]] = c[ix] + b;
            }
    }
    cpu_act_apply(&j->act, yp, opix);
}

static void col2im_channels(void *arg, int64_t m0, int64_t m1) {
    const col2im_job *j = arg;
    const cpu_conv_geom *g = j->g;
    if (col2im_disjoint(g)) {
        for (int64_t m = m0; m < m1; m++) col2im_disjoint_channel(j, m);
        return;
    }
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

/* Row pointers of a dense [rows, n] matrix, for the indirect GEMM. */
static const float *const *brow_fill(const float **brow, const float *x, int64_t rows, int64_t n) {
    for (int64_t r = 0; r < rows; r++) brow[r] = x + r * n;
    return brow;
}

CPU_KERNEL_DECL(cpu_run_conv_transpose) {
    (void)n_out;
    const ts_tensor *x = in[0], *w = in[1], *b = n_in > 2 ? in[2] : NULL;
    cpu_conv_geom g;
    cpu_act act;
    ts_status st = conv_prepare(n, x, w, b, out[0], true, &g, &act);
    if (st) return st;
    if (ts_tensor_numel(out[0]) == 0) return TS_OK;
    int64_t cg = g.C / g.group, mg = g.M / g.group;
    int64_t ksz = g.k[0] * g.k[1] * g.k[2], ipix = g.in[0] * g.in[1] * g.in[2];
    int64_t opix = g.out[0] * g.out[1] * g.out[2];
    float *col = cpu_scratch(CPU_SCRATCH_CONV_OUT, sizeof(float) * (size_t)(mg * ksz * TS_MAX(ipix, 1)));
    if (!col) return ts_error(TS_ERR_NOMEM, "node '%s' (%s): no memory for columns", n->name, n->op_type);
    const float *xd = x->data, *wd = w->data;
    int64_t nr = cpu_gemm_indirect_nr();
    const float **brow = nr && ipix % nr == 0 ? ts_malloc(sizeof(float *) * (size_t)cg) : NULL;
    for (int64_t bi = 0; bi < g.N; bi++)
        for (int64_t grp = 0; grp < g.group; grp++) {
            /* W_g is [cg, mg*ksz]; columns = W_g^T * X_g, reading X_g's rows in
             * place when they fill whole vector panels */
            const float *wg = wd + grp * cg * mg * ksz, *xg = xd + (bi * g.C + grp * cg) * ipix;
            if (!brow || cpu_gemm_indirect(ctx->pool, true, mg * ksz, ipix, cg, wg, mg * ksz, brow_fill(brow, xg, cg, ipix),
                                           col, ipix, NULL) != TS_OK)
                cpu_sgemm_ex(ctx->pool, true, false, mg * ksz, ipix, cg, 1.0f, wg, mg * ksz, xg, ipix, 0.0f, col,
                             ipix, NULL);
            col2im_job j = {&g, col, (float *)out[0]->data + (bi * g.M + grp * mg) * opix,
                            b ? (const float *)b->data + grp * mg : NULL, act};
            ts_parallel_for(ctx->pool, mg, 1, col2im_channels, &j);
        }
    ts_free(brow);
    return TS_OK;
}

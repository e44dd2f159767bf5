/*
 * gemm.c: the shared float GEMM (cpu_sgemm), blocked and packed in the
 * GotoBLAS manner with a register-tiled micro-kernel per ISA:
 *
 *   AVX-512: 8 rows x 32 columns (16 zmm accumulators)
 *   AVX2+FMA: 4 rows x 24 columns (12 ymm accumulators)
 *   scalar:  4 rows x 8 columns
 *
 * op(A) is packed into MR-row panels and op(B) into NR-column panels, both
 * cut into KC-deep slices so that one B panel slice stays in L1 while a
 * block of A panels streams from L2. alpha is folded into the A packing.
 * Work is split into MC x NC tiles of C run in parallel; each tile runs its
 * whole K loop, so the epilogue (bias + activation) is applied exactly once,
 * on the last K slice, while the tile is still in registers or L1.
 *
 * Every path computes each C element as one sequential sum over K slices, so
 * the paths agree to float rounding (the tests force each one).
 */
#include "cpu/cpu_int.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define KC 256

typedef struct gemm_tile_epi {
    const float *row_bias;   /* already offset to the tile's first row, or NULL */
    const float *col_bias;   /* already offset to the tile's first column, or NULL */
    const cpu_act *act;
} gemm_tile_epi;

/* C[MRxNR] (+)= Apanel * Bpanel; applies e when not NULL. */
typedef void (*gemm_kern_fn)(int64_t kc, const float *a, const float *b, float *c,
                             int64_t ldc, bool load_c, const gemm_tile_epi *e);

typedef struct gemm_isa {
    int mr, nr;
    gemm_kern_fn kern;
} gemm_isa;

/* ---- epilogue (cpu_act_scalar lives in gemm_vec.c) ---------------------- */

/* Scalar epilogue over an m x n block of C. */
static void epi_block(float *c, int64_t ldc, int m, int n, const gemm_tile_epi *e) {
    for (int i = 0; i < m; i++) {
        float *row = c + i * ldc;
        float rb = e->row_bias ? e->row_bias[i] : 0.0f;
        for (int j = 0; j < n; j++) {
            float v = row[j] + rb + (e->col_bias ? e->col_bias[j] : 0.0f);
            row[j] = cpu_act_scalar(e->act, v);
        }
    }
}

/* ---- scalar kernel ---------------------------------------------------------- */

#define S_MR 4
#define S_NR 8

static void kern_scalar(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                        bool load_c, const gemm_tile_epi *e) {
    float acc[S_MR][S_NR] = {{0}};
    for (int64_t k = 0; k < kc; k++, a += S_MR, b += S_NR)
        for (int i = 0; i < S_MR; i++)
            for (int j = 0; j < S_NR; j++) acc[i][j] += a[i] * b[j];
    for (int i = 0; i < S_MR; i++)
        for (int j = 0; j < S_NR; j++)
            c[i * ldc + j] = (load_c ? c[i * ldc + j] : 0.0f) + acc[i][j];
    if (e) epi_block(c, ldc, S_MR, S_NR, e);
}

/* ---- AVX2 kernel ----------------------------------------------------------- */

#define A2_MR 4
#define A2_NR 24

__attribute__((target("avx2,fma")))
static void kern_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                      bool load_c, const gemm_tile_epi *e) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int64_t k = 0; k < kc; k++, a += A2_MR, b += A2_NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16);
        __m256 x = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01); c02 = _mm256_fmadd_ps(x, b2, c02);
        x = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11); c12 = _mm256_fmadd_ps(x, b2, c12);
        x = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21); c22 = _mm256_fmadd_ps(x, b2, c22);
        x = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31); c32 = _mm256_fmadd_ps(x, b2, c32);
    }
    __m256 acc[A2_MR][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
    bool vec_epi = e && act_vectorizable(e->act);
    for (int i = 0; i < A2_MR; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < 3; j++) {
            __m256 v = acc[i][j];
            if (load_c) v = _mm256_add_ps(v, _mm256_loadu_ps(row + 8 * j));
            if (vec_epi) {
                if (e->row_bias) v = _mm256_add_ps(v, _mm256_set1_ps(e->row_bias[i]));
                if (e->col_bias) v = _mm256_add_ps(v, _mm256_loadu_ps(e->col_bias + 8 * j));
                v = act_avx2(v, e->act);
            }
            _mm256_storeu_ps(row + 8 * j, v);
        }
    }
    if (e && !vec_epi) epi_block(c, ldc, A2_MR, A2_NR, e);
}

/* ---- AVX-512 kernel -------------------------------------------------------- */

#define A5_MR 8
#define A5_NR 32

#define A5_ROW(i)                                                        \
    x = _mm512_set1_ps(a[i]);                                            \
    c##i##0 = _mm512_fmadd_ps(x, b0, c##i##0);                           \
    c##i##1 = _mm512_fmadd_ps(x, b1, c##i##1);

__attribute__((target("avx512f")))
static void kern_avx512(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                        bool load_c, const gemm_tile_epi *e) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (int64_t k = 0; k < kc; k++, a += A5_MR, b += A5_NR) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), x;
        A5_ROW(0) A5_ROW(1) A5_ROW(2) A5_ROW(3) A5_ROW(4) A5_ROW(5) A5_ROW(6) A5_ROW(7)
    }
    __m512 acc[A5_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                            {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    bool vec_epi = e && act_vectorizable(e->act);
    for (int i = 0; i < A5_MR; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < 2; j++) {
            __m512 v = acc[i][j];
            if (load_c) v = _mm512_add_ps(v, _mm512_loadu_ps(row + 16 * j));
            if (vec_epi) {
                if (e->row_bias) v = _mm512_add_ps(v, _mm512_set1_ps(e->row_bias[i]));
                if (e->col_bias) v = _mm512_add_ps(v, _mm512_loadu_ps(e->col_bias + 16 * j));
                v = act_avx512(v, e->act);
            }
            _mm512_storeu_ps(row + 16 * j, v);
        }
    }
    if (e && !vec_epi) epi_block(c, ldc, A5_MR, A5_NR, e);
}

/* The same tile with B read in place: row k of the panel is brow[k] + n0
 * (no packing), for convolutions whose column matrix is a set of shifted
 * views of one padded image. */
__attribute__((target("avx512f")))
static void kern_avx512_ind(int64_t kc, const float *a, const float *const *brow, int64_t n0, float *c,
                            int64_t ldc, bool load_c, const gemm_tile_epi *e) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (int64_t k = 0; k < kc; k++, a += A5_MR) {
        const float *b = brow[k] + n0;
        /* the rows are many separate streams the hardware prefetcher does
         * not follow: fetch this row's next panel now */
        _mm_prefetch((const char *)(b + 2 * A5_NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 2 * A5_NR + 16), _MM_HINT_T0);
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), x;
        A5_ROW(0) A5_ROW(1) A5_ROW(2) A5_ROW(3) A5_ROW(4) A5_ROW(5) A5_ROW(6) A5_ROW(7)
    }
    __m512 acc[A5_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                            {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    bool vec_epi = e && act_vectorizable(e->act);
    for (int i = 0; i < A5_MR; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < 2; j++) {
            __m512 v = acc[i][j];
            if (load_c) v = _mm512_add_ps(v, _mm512_loadu_ps(row + 16 * j));
            if (vec_epi) {
                if (e->row_bias) v = _mm512_add_ps(v, _mm512_set1_ps(e->row_bias[i]));
                v = act_avx512(v, e->act);
            }
            _mm512_storeu_ps(row + 16 * j, v);
        }
    }
    if (e && !vec_epi) epi_block(c, ldc, A5_MR, A5_NR, e);
}

static gemm_isa gemm_pick(void) {
    switch (cpu_active_isa()) {
    case CPU_AVX512: return (gemm_isa){A5_MR, A5_NR, kern_avx512};
    case CPU_AVX2: return (gemm_isa){A2_MR, A2_NR, kern_avx2};
    default: return (gemm_isa){S_MR, S_NR, kern_scalar};
    }
}

/* ---- packing ------------------------------------------------------------- */

#define NC_MAX 256   /* widest block of B columns one task packs at a time */

typedef struct gemm_job {
    gemm_isa isa;
    bool ta;
    int64_t M, N, K, Mp;
    float alpha, beta;
    const float *A;
    int64_t lda, ldc;
    const cpu_gemm_b *b;
    float *C;
    float *pa;                 /* packed op(A) (times alpha) */
    int64_t mc, nc, tiles_n;   /* task tile sizes; tiles along N */
    const cpu_epilogue *epi;
} gemm_job;

/* Panel p of op(A): for every K slice, kc x MR values, rows past M zero. */
/* Eight full rows of A (not transposed, alpha 1) into one panel slice:
 * 8x8 blocks transposed in registers. */
__attribute__((target("avx512f")))
static void pack_a8_avx512(const float *src, int64_t lda, int64_t kc, float *dst) {
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        __m256 r0 = _mm256_loadu_ps(src + k), r1 = _mm256_loadu_ps(src + lda + k);
        __m256 r2 = _mm256_loadu_ps(src + 2 * lda + k), r3 = _mm256_loadu_ps(src + 3 * lda + k);
        __m256 r4 = _mm256_loadu_ps(src + 4 * lda + k), r5 = _mm256_loadu_ps(src + 5 * lda + k);
        __m256 r6 = _mm256_loadu_ps(src + 6 * lda + k), r7 = _mm256_loadu_ps(src + 7 * lda + k);
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *d = dst + k * 8;
        _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(d + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(d + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(d + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(d + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(d + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(d + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(d + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; k < kc; k++)
        for (int r = 0; r < 8; r++) dst[k * 8 + r] = src[r * lda + k];
}

static void pack_a_range(void *arg, int64_t p0, int64_t p1) {
    const gemm_job *j = arg;
    int mr = j->isa.mr;
    bool fast = mr == 8 && !j->ta && j->alpha == 1.0f && j->isa.kern != kern_scalar &&
                cpu_active_isa() == CPU_AVX512;
    for (int64_t p = p0; p < p1; p++) {
        for (int64_t k0 = 0; k0 < j->K; k0 += KC) {
            int64_t kc = TS_MIN(KC, j->K - k0);
            float *dst = j->pa + k0 * j->Mp + p * mr * kc;
            if (fast && (p + 1) * mr <= j->M) {
                pack_a8_avx512(j->A + p * mr * j->lda + k0, j->lda, kc, dst);
                continue;
            }
            for (int r = 0; r < mr; r++) {
                int64_t m = p * mr + r;
                if (m >= j->M) {
                    for (int64_t k = 0; k < kc; k++) dst[k * mr + r] = 0.0f;
                } else if (j->ta) {
                    const float *src = j->A + k0 * j->lda + m;
                    for (int64_t k = 0; k < kc; k++) dst[k * mr + r] = j->alpha * src[k * j->lda];
                } else {
                    const float *src = j->A + m * j->lda + k0;
                    for (int64_t k = 0; k < kc; k++) dst[k * mr + r] = j->alpha * src[k];
                }
            }
        }
    }
}

/* The default B source: a row-major matrix, optionally transposed. */
static void pack_b_matrix(const cpu_gemm_b *src, int64_t k0, int64_t kc, int64_t n0, int64_t nn,
                          float *dst, int nr) {
    for (int64_t p = 0; p < nn; p += nr, dst += kc * nr) {
        int64_t w = TS_MIN((int64_t)nr, nn - p);
        float *d = dst;
        for (int64_t k = 0; k < kc; k++, d += nr) {
            if (src->trans) {
                const float *s = src->B + (n0 + p) * src->ldb + k0 + k;
                for (int64_t c = 0; c < w; c++) d[c] = s[c * src->ldb];
            } else {
                memcpy(d, src->B + (k0 + k) * src->ldb + n0 + p, (size_t)w * sizeof(float));
            }
            for (int64_t c = w; c < nr; c++) d[c] = 0.0f;
        }
    }
}

/* K == 0: C = beta*C, then the epilogue. */
static void gemm_no_k(int64_t M, int64_t N, float beta, float *C, int64_t ldc,
                      const cpu_epilogue *epi) {
    for (int64_t m = 0; m < M; m++) {
        float *row = C + m * ldc;
        for (int64_t n = 0; n < N; n++) {
            float v = beta == 0.0f ? 0.0f : beta * row[n];
            if (epi) {
                if (epi->row_bias) v += epi->row_bias[m];
                if (epi->col_bias) v += epi->col_bias[n];
                v = cpu_act_scalar(&epi->act, v);
            }
            row[n] = v;
        }
    }
}

/* ---- tiles ----------------------------------------------------------------- */

/* One MR x NR block of C at (m0, n0) from packed panels a and b. Edge blocks
 * go through a local buffer so the kernel always writes a full block. */
static void gemm_block(const gemm_job *j, const float *a, const float *b, int64_t m0, int64_t n0,
                       int64_t kc, bool load_c, bool last) {
    int mr = j->isa.mr, nr = j->isa.nr;
    float *c = j->C + m0 * j->ldc + n0;
    int m = (int)TS_MIN((int64_t)mr, j->M - m0), n = (int)TS_MIN((int64_t)nr, j->N - n0);
    gemm_tile_epi e, *ep = NULL;
    if (last && j->epi) {
        e.row_bias = j->epi->row_bias ? j->epi->row_bias + m0 : NULL;
        e.col_bias = j->epi->col_bias ? j->epi->col_bias + n0 : NULL;
        e.act = &j->epi->act;
        ep = &e;
    }
    if (m == mr && n == nr) { j->isa.kern(kc, a, b, c, j->ldc, load_c, ep); return; }
    float tmp[A5_MR * A5_NR] __attribute__((aligned(64)));
    j->isa.kern(kc, a, b, tmp, nr, false, NULL);
    for (int i = 0; i < m; i++)
        for (int q = 0; q < n; q++)
            c[i * j->ldc + q] = (load_c ? c[i * j->ldc + q] : 0.0f) + tmp[i * nr + q];
    if (ep) epi_block(c, j->ldc, m, n, ep);
}

/* Task (tm, tn): rows [tm*mc, +mc) x columns [tn*nc, +nc), whole K loop.
 * Each K slice of B is packed bw columns at a time into bbuf, where it stays
 * in cache while every A panel of the task streams past it. */
static void gemm_tile(const gemm_job *j, int64_t tm, int64_t tn, float *bbuf, int64_t bw) {
    int mr = j->isa.mr, nr = j->isa.nr;
    int64_t m_beg = tm * j->mc, m_end = TS_MIN(m_beg + j->mc, j->M);
    int64_t n_beg = tn * j->nc, n_end = TS_MIN(n_beg + j->nc, j->N);
    if (j->beta != 0.0f && j->beta != 1.0f)
        for (int64_t m = m_beg; m < m_end; m++)
            for (int64_t n = n_beg; n < n_end; n++) j->C[m * j->ldc + n] *= j->beta;
    for (int64_t k0 = 0; k0 < j->K; k0 += KC) {
        int64_t kc = TS_MIN(KC, j->K - k0);
        bool load_c = k0 > 0 || j->beta != 0.0f, last = k0 + kc >= j->K;
        const float *pa = j->pa + k0 * j->Mp;
        for (int64_t c0 = n_beg; c0 < n_end; c0 += bw) {
            j->b->pack(j->b, k0, kc, c0, TS_MIN(bw, n_end - c0), bbuf, nr);
            for (int64_t n0 = c0; n0 < TS_MIN(c0 + bw, n_end); n0 += nr) {
                const float *b = bbuf + (n0 - c0) * kc;
                for (int64_t m0 = m_beg; m0 < m_end; m0 += mr)
                    gemm_block(j, pa + m0 * kc, b, m0, n0, kc, load_c, last);
            }
        }
    }
}

static void gemm_tiles_range(void *arg, int64_t t0, int64_t t1) {
    const gemm_job *j = arg;
    /* Without memory for a wide block, pack one panel at a time on the stack. */
    float panel[KC * A5_NR] __attribute__((aligned(64)));
    float *bbuf = cpu_scratch(CPU_SCRATCH_GEMM_B, (size_t)KC * NC_MAX * sizeof(float));
    for (int64_t t = t0; t < t1; t++)
        gemm_tile(j, t / j->tiles_n, t % j->tiles_n, bbuf ? bbuf : panel, bbuf ? j->nc : j->isa.nr);
}

/* Without memory for packed A: one B panel at a time on the stack, dot
 * products against the rows of op(A) in place. Slow but cannot fail. */
static void gemm_naive(const gemm_job *j) {
    int nr = j->isa.nr;
    float panel[KC * A5_NR];
    for (int64_t n0 = 0; n0 < j->N; n0 += nr) {
        int64_t w = TS_MIN((int64_t)nr, j->N - n0);
        for (int64_t m = 0; m < j->M; m++)
            for (int64_t c = 0; c < w; c++) {
                float *y = &j->C[m * j->ldc + n0 + c];
                *y = j->beta == 0.0f ? 0.0f : j->beta * *y;
            }
        for (int64_t k0 = 0; k0 < j->K; k0 += KC) {
            int64_t kc = TS_MIN(KC, j->K - k0);
            j->b->pack(j->b, k0, kc, n0, w, panel, nr);
            for (int64_t m = 0; m < j->M; m++)
                for (int64_t c = 0; c < w; c++) {
                    float s = 0;
                    for (int64_t k = 0; k < kc; k++) {
                        int64_t kk = k0 + k;
                        float a = j->ta ? j->A[kk * j->lda + m] : j->A[m * j->lda + kk];
                        s += a * panel[k * nr + c];
                    }
                    j->C[m * j->ldc + n0 + c] += j->alpha * s;
                }
        }
    }
    if (j->epi) gemm_no_k(j->M, j->N, 1.0f, j->C, j->ldc, j->epi);
}

/* Tasks span every row and NC_MAX columns (so B is packed once); they are
 * narrowed, then cut along M, until every thread gets a few. */
static void gemm_plan(gemm_job *j, int threads) {
    int mr = j->isa.mr, nr = j->isa.nr;
    j->mc = j->Mp;
    j->nc = NC_MAX / nr * nr;
    int64_t want = threads > 1 ? 3 * threads : 1;
    for (;;) {
        int64_t tiles = ((j->M + j->mc - 1) / j->mc) * ((j->N + j->nc - 1) / j->nc);
        if (tiles >= want) break;
        if (j->nc > nr && j->N > nr) j->nc -= nr;
        else if (j->mc > mr && j->M > mr) j->mc = (j->mc / 2 + mr - 1) / mr * mr;
        else break;
    }
    j->tiles_n = (j->N + j->nc - 1) / j->nc;
}

void cpu_gemm_run(ts_pool *pool, bool trans_a, int64_t M, int64_t N, int64_t K, float alpha,
                  const float *A, int64_t lda, const cpu_gemm_b *b, float beta, float *C,
                  int64_t ldc, const cpu_epilogue *epi) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) { gemm_no_k(M, N, beta, C, ldc, epi); return; }
    gemm_job j = {.isa = gemm_pick(), .ta = trans_a, .M = M, .N = N, .K = K, .alpha = alpha,
                  .beta = beta, .A = A, .lda = lda, .b = b, .ldc = ldc, .C = C, .epi = epi};
    j.Mp = (M + j.isa.mr - 1) / j.isa.mr * j.isa.mr;
    j.pa = cpu_scratch(CPU_SCRATCH_GEMM_A, (size_t)(j.Mp * K) * sizeof(float));
    int64_t work = M * N * K;
    ts_pool *p = work < 65536 ? NULL : pool;   /* tiny products: threads cost more */
    gemm_plan(&j, ts_pool_threads(p));
    if (!j.pa) {
        /* No memory for packed A: a plain loop, since cpu_sgemm cannot fail. */
        gemm_naive(&j);
        return;
    }
    ts_parallel_for(p, j.Mp / j.isa.mr, 4, pack_a_range, &j);
    int64_t tiles = ((M + j.mc - 1) / j.mc) * j.tiles_n;
    ts_parallel_for(p, tiles, 1, gemm_tiles_range, &j);
}

/* Matrix-vector products (N == 1, rows of A and the vector contiguous):
 * packing A would cost more than the product. */
typedef struct gemv_job {
    const float *A, *x;
    int64_t K, lda, ldc;
    float alpha, beta;
    float *C;
    const cpu_epilogue *epi;
} gemv_job;

static void gemv_rows(void *arg, int64_t m0, int64_t m1) {
    const gemv_job *j = arg;
    for (int64_t m = m0; m < m1; m++) {
        float *c = &j->C[m * j->ldc];
        float v = j->alpha * cpu_dot(j->A + m * j->lda, j->x, j->K) + (j->beta == 0.0f ? 0.0f : j->beta * *c);
        if (j->epi) {
            if (j->epi->row_bias) v += j->epi->row_bias[m];
            if (j->epi->col_bias) v += j->epi->col_bias[0];
            v = cpu_act_scalar(&j->epi->act, v);
        }
        *c = v;
    }
}

void cpu_sgemm_ex(ts_pool *pool, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc, const cpu_epilogue *epi) {
    if (N == 1 && M > 0 && K > 0 && !trans_a && (trans_b || ldb == 1)) {
        gemv_job g = {A, B, K, lda, ldc, alpha, beta, C, epi};
        ts_parallel_for(M * K < 65536 ? NULL : pool, M, TS_MAX(1, 16384 / K), gemv_rows, &g);
        return;
    }
    cpu_gemm_b src = {.pack = pack_b_matrix, .B = B, .ldb = ldb, .trans = trans_b};
    cpu_gemm_run(pool, trans_a, M, N, K, alpha, A, lda, &src, beta, C, ldc, epi);
}

void cpu_sgemm(cpu_ctx *ctx, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
               float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
               float beta, float *C, int64_t ldc) {
    cpu_sgemm_ex(ctx ? ctx->pool : NULL, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb,
                 beta, C, ldc, NULL);
}

/* ---- indirect GEMM (convolution without im2col) --------------------------- */

typedef struct ind_job {
    gemm_job g;                     /* A packing, plan and epilogue */
    const float *const *brow;
} ind_job;

static void ind_tile(const ind_job *ij, int64_t tm, int64_t tn) {
    const gemm_job *j = &ij->g;
    int64_t m_beg = tm * j->mc, m_end = TS_MIN(m_beg + j->mc, j->M);
    int64_t n_beg = tn * j->nc, n_end = TS_MIN(n_beg + j->nc, j->N);
    float tmp[A5_MR * A5_NR] __attribute__((aligned(64)));
    for (int64_t k0 = 0; k0 < j->K; k0 += KC) {
        int64_t kc = TS_MIN(KC, j->K - k0);
        bool load_c = k0 > 0, last = k0 + kc >= j->K;
        const float *pa = j->pa + k0 * j->Mp;
        for (int64_t n0 = n_beg; n0 < n_end; n0 += A5_NR)
            for (int64_t m0 = m_beg; m0 < m_end; m0 += A5_MR) {
                gemm_tile_epi e = {j->epi->row_bias ? j->epi->row_bias + m0 : NULL, NULL, &j->epi->act};
                int m = (int)TS_MIN((int64_t)A5_MR, j->M - m0);
                float *c = j->C + m0 * j->ldc + n0;
                if (m == A5_MR) {
                    kern_avx512_ind(kc, pa + m0 * kc, ij->brow + k0, n0, c, j->ldc, load_c, last ? &e : NULL);
                    continue;
                }
                kern_avx512_ind(kc, pa + m0 * kc, ij->brow + k0, n0, tmp, A5_NR, false, NULL);
                for (int i = 0; i < m; i++)
                    for (int q = 0; q < A5_NR; q++)
                        c[i * j->ldc + q] = (load_c ? c[i * j->ldc + q] : 0.0f) + tmp[i * A5_NR + q];
                if (last) epi_block(c, j->ldc, m, A5_NR, &e);
            }
    }
}

static void ind_tiles_range(void *arg, int64_t t0, int64_t t1) {
    const ind_job *ij = arg;
    for (int64_t t = t0; t < t1; t++) ind_tile(ij, t / ij->g.tiles_n, t % ij->g.tiles_n);
}

int cpu_gemm_indirect_nr(void) { return cpu_active_isa() == CPU_AVX512 ? A5_NR : 0; }

ts_status cpu_gemm_indirect(ts_pool *pool, bool trans_a, int64_t M, int64_t N, int64_t K, const float *A,
                            int64_t lda, const float *const *brow, float *C, int64_t ldc,
                            const cpu_epilogue *epi) {
    if (cpu_gemm_indirect_nr() == 0 || N % A5_NR)
        return ts_error(TS_ERR_INTERNAL, "indirect GEMM needs AVX-512 and N a multiple of %d", A5_NR);
    static const cpu_epilogue none = {0};
    ind_job ij = {.g = {.isa = {A5_MR, A5_NR, kern_avx512}, .ta = trans_a, .M = M, .N = N, .K = K,
                        .alpha = 1.0f, .A = A, .lda = lda, .ldc = ldc, .C = C, .epi = epi ? epi : &none},
                  .brow = brow};
    gemm_job *j = &ij.g;
    j->Mp = (M + A5_MR - 1) / A5_MR * A5_MR;
    j->pa = cpu_scratch(CPU_SCRATCH_GEMM_A, (size_t)(j->Mp * K) * sizeof(float));
    if (!j->pa) return TS_ERR_NOMEM;
    ts_pool *p = M * N * K < 65536 ? NULL : pool;
    gemm_plan(j, ts_pool_threads(p));
    ts_parallel_for(p, j->Mp / A5_MR, 4, pack_a_range, j);
    int64_t tiles = ((M + j->mc - 1) / j->mc) * j->tiles_n;
    ts_parallel_for(p, tiles, 1, ind_tiles_range, &ij);
    return TS_OK;
}

/*
 * kernels_mm.c: the matrix unit's tile kernels (MATMUL).
 *
 * INT8: the AVX-512 path packs B once per instruction into the VNNI layout
 * (4 consecutive k of one column in 32 bits) and runs a 6 x 64 register-
 * blocked microkernel on vpdpbusd. vpdpbusd multiplies unsigned by signed
 * bytes, so A is fed as a + 128 (a ^ 0x80) and 128 * colsum(B) is taken
 * back out; all of it is exact modulo 2^32, which is what the ISA's int32
 * wraparound asks for, so the result equals the scalar sum bit for bit.
 * The AVX2 path widens to int16 pairs and uses vpmaddwd (exact).
 *
 * BF16: one plain C body (k outermost per output row, so every output sums
 * its products in k order with a separate multiply and add, as the ISA
 * says) compiled three times with different target attributes. The
 * compiler may vectorize across columns but never reorders or fuses float
 * operations (ISO C mode: -ffp-contract=off), so all paths agree.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "sim/kernels.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
/* let the generic bodies vectorize over any n (see kernels_vec.c) */
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif


static int round_up(int x, int a) { return (x + a - 1) / a * a; }

/* ---- INT8 scalar ------------------------------------------------------------ */

INLINE void mm_int8_generic(const int8_t *a, int64_t sa, const int8_t *b, int64_t sb, int32_t *c, int64_t sc,
                            int m, int k, int n, bool accumulate, int32_t *row) {
    for (int i = 0; i < m; i++) {
        memset(row, 0, (size_t)n * sizeof *row);
        const int8_t *ai = a + i * sa;
        for (int kk = 0; kk < k; kk++) {
            int32_t av = ai[kk];
            const int8_t *bk = b + kk * sb;
            for (int j = 0; j < n; j++) row[j] += av * bk[j];  /* |sum| < 2^31: no overflow */
        }
        int32_t *ci = c + i * sc;
        for (int j = 0; j < n; j++)
            ci[j] = accumulate ? (int32_t)((uint32_t)ci[j] + (uint32_t)row[j]) : row[j];
    }
}

static void mm_int8_scalar(const int8_t *a, int64_t sa, const int8_t *b, int64_t sb, int32_t *c, int64_t sc,
                           int m, int k, int n, bool accumulate, int32_t *row) {
    mm_int8_generic(a, sa, b, sb, c, sc, m, k, n, accumulate, row);
}

/* ---- INT8 AVX-512 VNNI ------------------------------------------------------- */

#define VNNI_MR 6   /* rows per microkernel: 6 x 4 accumulators + 4 B + 1 A = 29 zmm */
#define VNNI_NV 4   /* 16-column vectors per microkernel (64 columns) */
#define VNNI_MP 120 /* rows of A packed at a time, a multiple of VNNI_MR (stays in L1/L2 with a B block) */

/* bp[(q * np + j) * 4 + t] = B[4q + t][j] (0 outside), corr[j] = -128 * sum_k B[k][j].
 * Full groups of 4 rows x 16 columns interleave with byte/word unpacks;
 * the ragged edges take the scalar loop. */
static TGT_AVX512 void pack_b_vnni(const int8_t *b, int64_t sb, int k, int n, int np, int8_t *bp, int32_t *corr) {
    int kq = (k + 3) / 4, k4 = k / 4 * 4, n16 = n / 16 * 16;
    memset(bp, 0, (size_t)kq * (size_t)np * 4);
    memset(corr, 0, (size_t)np * sizeof *corr);
    for (int j = 0; j < n16; j += 16) {
        __m512i sum = _mm512_setzero_si512();
        for (int q = 0; q < k4 / 4; q++) {
            const int8_t *r = b + (int64_t)(4 * q) * sb + j;
            __m128i r0 = _mm_loadu_si128((const __m128i *)r), r1 = _mm_loadu_si128((const __m128i *)(r + sb));
            __m128i r2 = _mm_loadu_si128((const __m128i *)(r + 2 * sb)), r3 = _mm_loadu_si128((const __m128i *)(r + 3 * sb));
            __m128i lo01 = _mm_unpacklo_epi8(r0, r1), hi01 = _mm_unpackhi_epi8(r0, r1);
            __m128i lo23 = _mm_unpacklo_epi8(r2, r3), hi23 = _mm_unpackhi_epi8(r2, r3);
            __m128i *d = (__m128i *)(bp + ((size_t)q * np + j) * 4);
            _mm_storeu_si128(d, _mm_unpacklo_epi16(lo01, lo23));
            _mm_storeu_si128(d + 1, _mm_unpackhi_epi16(lo01, lo23));
            _mm_storeu_si128(d + 2, _mm_unpacklo_epi16(hi01, hi23));
            _mm_storeu_si128(d + 3, _mm_unpackhi_epi16(hi01, hi23));
            sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(r0), _mm512_cvtepi8_epi32(r1)),
                                                         _mm512_add_epi32(_mm512_cvtepi8_epi32(r2), _mm512_cvtepi8_epi32(r3))));
        }
        _mm512_storeu_si512((void *)(corr + j), _mm512_mullo_epi32(sum, _mm512_set1_epi32(-128)));
    }
    for (int kk = 0; kk < k; kk++) {
        const int8_t *bk = b + kk * sb;
        int8_t *dst = bp + (size_t)(kk / 4) * (size_t)np * 4 + (kk % 4);
        for (int j = kk < k4 ? n16 : 0; j < n; j++) {
            dst[4 * j] = bk[j];
            corr[j] -= 128 * bk[j];
        }
    }
}

/* ap[i * lda + kk] = A[i][kk] + 128 as an unsigned byte; 0 past k. */
static TGT_AVX512 void pack_a_u8(const int8_t *a, int64_t sa, int m, int k, int lda, uint8_t *ap) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int i = 0; i < m; i++) {
        const int8_t *ai = a + i * sa;
        uint8_t *d = ap + (size_t)i * (size_t)lda;
        for (int kk = 0; kk < lda; kk += 64) {
            int left = k - kk;
            __mmask64 mk = left >= 64 ? ~(__mmask64)0 : left > 0 ? (((__mmask64)1 << left) - 1) : 0;
            __m512i v = _mm512_maskz_loadu_epi8(mk, ai + kk);
            v = _mm512_maskz_xor_epi32(0xffff, v, flip);
            v = _mm512_maskz_mov_epi8(mk, v);  /* 0 past k */
            int w = TS_MIN(64, lda - kk);
            _mm512_mask_storeu_epi8(d + kk, w >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << w) - 1), v);
        }
    }
}

/* One 6 x 64 tile of C: 24 named accumulators (GCC keeps named ones in
 * registers; an array of them costs register copies), per 4 k 4 loads of B,
 * 6 broadcasts of A, 24 vpdpbusd. A is packed with rows padded to 6 and B
 * with columns padded to 64 (zeros), so every tile runs this one kernel; the
 * store writes only the mr x cols part that exists. */
#define VF_ROW(r)                                                                  \
    do {                                                                           \
        int32_t a4;                                                                \
        memcpy(&a4, aq + (size_t)(r) * lda, 4);                                    \
        __m512i av = _mm512_set1_epi32(a4);                                        \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, b0);                            \
        c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, b1);                            \
        c##r##2 = _mm512_dpbusd_epi32(c##r##2, av, b2);                            \
        c##r##3 = _mm512_dpbusd_epi32(c##r##3, av, b3);                            \
    } while (0)
#define VF_ZERO(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0
#define VF_SAVE(r) do { out[r][0] = c##r##0; out[r][1] = c##r##1; out[r][2] = c##r##2; out[r][3] = c##r##3; } while (0)

__attribute__((noinline)) static TGT_AVX512 void vnni_full(const uint8_t *ap, int lda, const int8_t *bp, int ldb,
                                                           int kq, int32_t *c, int64_t sc, const int32_t *corr,
                                                           bool accumulate, int mr, int cols) {
    VF_ZERO(0); VF_ZERO(1); VF_ZERO(2); VF_ZERO(3); VF_ZERO(4); VF_ZERO(5);
    const uint8_t *aq = ap;
    const int8_t *bq = bp;
    for (int q = 0; q < kq; q++, aq += 4, bq += ldb) {
        __m512i b0 = _mm512_loadu_si512((const void *)bq), b1 = _mm512_loadu_si512((const void *)(bq + 64));
        __m512i b2 = _mm512_loadu_si512((const void *)(bq + 128)), b3 = _mm512_loadu_si512((const void *)(bq + 192));
        VF_ROW(0); VF_ROW(1); VF_ROW(2); VF_ROW(3); VF_ROW(4); VF_ROW(5);
    }
    __m512i out[VNNI_MR][VNNI_NV];
    VF_SAVE(0); VF_SAVE(1); VF_SAVE(2); VF_SAVE(3); VF_SAVE(4); VF_SAVE(5);
    for (int v = 0; v < VNNI_NV && 16 * v < cols; v++) {
        int left = cols - 16 * v;
        __mmask16 mk = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m512i k = _mm512_loadu_si512((const void *)(corr + 16 * v));
        for (int r = 0; r < mr; r++) {
            int32_t *cp = c + r * sc + 16 * v;
            __m512i x = _mm512_add_epi32(out[r][v], k);
            if (accumulate) x = _mm512_add_epi32(x, _mm512_maskz_loadu_epi32(mk, cp));
            _mm512_mask_storeu_epi32(cp, mk, x);
        }
    }
}

static TGT_AVX512 void mm_int8_avx512(const int8_t *a, int64_t sa, const int32_t *corr, const int8_t *bp, int np,
                                      int32_t *c, int64_t sc, int m, int k, int n, bool accumulate, uint8_t *ap) {
    int kq = (k + 3) / 4, lda = kq * 4, ldb = np * 4;
    for (int p0 = 0; p0 < m; p0 += VNNI_MP) {
        int mp = TS_MIN(VNNI_MP, m - p0), mpad = (mp + VNNI_MR - 1) / VNNI_MR * VNNI_MR;
        pack_a_u8(a + p0 * sa, sa, mp, k, lda, ap);
        memset(ap + (size_t)mp * lda, 0, (size_t)(mpad - mp) * lda);
        for (int j0 = 0; j0 < n; j0 += 16 * VNNI_NV)
            for (int i0 = 0; i0 < mp; i0 += VNNI_MR)
                vnni_full(ap + (size_t)i0 * lda, lda, bp + (size_t)j0 * 4, ldb, kq, c + (p0 + i0) * sc + j0, sc,
                          corr + j0, accumulate, TS_MIN(VNNI_MR, mp - i0), TS_MIN(16 * VNNI_NV, n - j0));
    }
}

/* ---- INT8 AVX2: int16 pairs through vpmaddwd ----------------------------------- */

#define AVX2_MR 4
#define AVX2_NV 2

/* bp[(p * np + j) * 2 + t] = B[2p + t][j] as int16 (0 outside). */
static void pack_b_pairs(const int8_t *b, int64_t sb, int k, int n, int np, int16_t *bp) {
    int kp = (k + 1) / 2;
    memset(bp, 0, (size_t)kp * (size_t)np * 2 * sizeof *bp);
    for (int kk = 0; kk < k; kk++) {
        const int8_t *bk = b + kk * sb;
        int16_t *dst = bp + (size_t)(kk / 2) * (size_t)np * 2 + (kk % 2);
        for (int j = 0; j < n; j++) dst[2 * j] = bk[j];
    }
}

static void pack_a_pairs(const int8_t *a, int64_t sa, int m, int k, int lda, int16_t *ap) {
    for (int i = 0; i < m; i++) {
        const int8_t *ai = a + i * sa;
        int16_t *d = ap + (size_t)i * (size_t)lda;
        for (int kk = 0; kk < k; kk++) d[kk] = ai[kk];
        for (int kk = k; kk < lda; kk++) d[kk] = 0;
    }
}

/* One 4 x 16 tile of C: 8 named accumulators; per 2 k: 2 loads of B, 4
 * broadcasts of A, 8 vpmaddwd (int16 pairs, exact) and 8 adds. A is packed
 * with rows padded to 4 and B with columns padded to 16 (zeros). */
#define A2_ROW(r)                                                                      \
    do {                                                                               \
        int32_t a2;                                                                    \
        memcpy(&a2, aq + (size_t)(r) * lda, 4);                                        \
        __m256i av = _mm256_set1_epi32(a2);                                            \
        c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(av, b0));                \
        c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(av, b1));                \
    } while (0)
#define A2_ZERO(r) __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = c##r##0
#define A2_SAVE(r) do { out[r][0] = c##r##0; out[r][1] = c##r##1; } while (0)

__attribute__((noinline)) static TGT_AVX2 void avx2_full(const int16_t *ap, int lda, const int16_t *bp, int ldb, int kp,
                                                         int32_t *c, int64_t sc, bool accumulate, int mr, int cols) {
    A2_ZERO(0); A2_ZERO(1); A2_ZERO(2); A2_ZERO(3);
    const int16_t *aq = ap, *bq = bp;
    for (int p = 0; p < kp; p++, aq += 2, bq += ldb) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)bq), b1 = _mm256_loadu_si256((const __m256i *)(bq + 16));
        A2_ROW(0); A2_ROW(1); A2_ROW(2); A2_ROW(3);
    }
    __m256i out[AVX2_MR][AVX2_NV];
    A2_SAVE(0); A2_SAVE(1); A2_SAVE(2); A2_SAVE(3);
    for (int v = 0; v < AVX2_NV && 8 * v < cols; v++) {
        __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8 * v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int r = 0; r < mr; r++) {
            int *cp = (int *)(c + r * sc + 8 * v);
            __m256i x = out[r][v];
            if (accumulate) x = _mm256_add_epi32(x, _mm256_maskload_epi32(cp, mk));
            _mm256_maskstore_epi32(cp, mk, x);
        }
    }
}

static TGT_AVX2 void mm_int8_avx2(const int8_t *a, int64_t sa, const int16_t *bp, int np, int32_t *c, int64_t sc,
                                  int m, int k, int n, bool accumulate, int16_t *ap) {
    int kp = (k + 1) / 2, lda = kp * 2, ldb = np * 2;
    for (int p0 = 0; p0 < m; p0 += VNNI_MP) {
        int mp = TS_MIN(VNNI_MP, m - p0), mpad = (mp + AVX2_MR - 1) / AVX2_MR * AVX2_MR;
        pack_a_pairs(a + p0 * sa, sa, mp, k, lda, ap);
        memset(ap + (size_t)mp * lda, 0, (size_t)(mpad - mp) * lda * sizeof *ap);
        for (int j0 = 0; j0 < n; j0 += 8 * AVX2_NV)
            for (int i0 = 0; i0 < mp; i0 += AVX2_MR)
                avx2_full(ap + (size_t)i0 * lda, lda, bp + (size_t)j0 * 2, ldb, kp, c + (p0 + i0) * sc + j0, sc,
                          accumulate, TS_MIN(AVX2_MR, mp - i0), TS_MIN(8 * AVX2_NV, n - j0));
    }
}

ts_status sim_mm_int8(const int8_t *a, int64_t sa, const int8_t *b, int64_t sb, int32_t *c, int64_t sc, int m,
                      int k, int n, bool accumulate) {
    if (m <= 0 || n <= 0) return TS_OK;
    sim_kernel_path path = sim_kpath();
    ts_status st = TS_OK;
    if (path == SIM_PATH_AVX512) {
        int np = round_up(n, 16 * VNNI_NV), kq = (k + 3) / 4;
        size_t bbytes = (size_t)kq * (size_t)np * 4, abytes = (size_t)round_up(VNNI_MP, VNNI_MR) * (size_t)kq * 4;
        uint8_t *buf = ts_aligned_alloc(64, bbytes + abytes + (size_t)np * 4 + 64);
        if (!buf) return TS_ERR_NOMEM;
        int8_t *bp = (int8_t *)buf;
        int32_t *corr = (int32_t *)(buf + bbytes);
        uint8_t *ap = buf + bbytes + (size_t)np * 4;
        pack_b_vnni(b, sb, k, n, np, bp, corr);
        mm_int8_avx512(a, sa, corr, bp, np, c, sc, m, k, n, accumulate, ap);
        ts_aligned_free(buf);
    } else if (path == SIM_PATH_AVX2) {
        int np = round_up(n, 8 * AVX2_NV), kp = (k + 1) / 2;
        size_t bn = (size_t)kp * (size_t)np * 2, an = (size_t)round_up(VNNI_MP, AVX2_MR) * (size_t)kp * 2;
        int16_t *buf = ts_aligned_alloc(64, (bn + an) * sizeof(int16_t) + 64);
        if (!buf) return TS_ERR_NOMEM;
        pack_b_pairs(b, sb, k, n, np, buf);
        mm_int8_avx2(a, sa, buf, np, c, sc, m, k, n, accumulate, buf + bn);
        ts_aligned_free(buf);
    } else {
        int32_t *row = ts_malloc((size_t)n * sizeof *row);
        if (!row) return TS_ERR_NOMEM;
        mm_int8_scalar(a, sa, b, sb, c, sc, m, k, n, accumulate, row);
        ts_free(row);
    }
    return st;
}

/* ---- BF16 ---------------------------------------------------------------------- */

INLINE float bf16_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* A bf16 element at any byte address (SRAM operands need no alignment). */
INLINE float bf16_at(const uint16_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return bf16_f32(h);
}

/* bf[kk * np + j] = B[kk][j] as fp32 (exact), 0 for n <= j < np. */
static void unpack_b_bf16(const uint16_t *b, int64_t sb, int k, int n, int np, float *bf) {
    for (int kk = 0; kk < k; kk++) {
        for (int j = 0; j < n; j++) bf[(size_t)kk * np + j] = bf16_at(b + kk * sb + j);
        for (int j = n; j < np; j++) bf[(size_t)kk * np + j] = 0.0f;
    }
}

INLINE void mm_bf16_generic(const uint16_t *a, int64_t sa, const float *bf, float *c, int64_t sc, int m, int k,
                            int n, bool accumulate, float *row) {
    const uint32_t qnan = 0x7fc00000u;
    float nanv;
    memcpy(&nanv, &qnan, 4);
    for (int i = 0; i < m; i++) {
        float *ci = c + i * sc;
        for (int j = 0; j < n; j++) row[j] = accumulate ? ci[j] : 0.0f;
        for (int kk = 0; kk < k; kk++) {
            float av = bf16_at(a + i * sa + kk);
            const float *bk = bf + (size_t)kk * n;
            for (int j = 0; j < n; j++) {
                float p = av * bk[j];
                row[j] = row[j] + p;
            }
        }
        for (int j = 0; j < n; j++) ci[j] = row[j] != row[j] ? nanv : row[j];
    }
}

static void mm_bf16_scalar(const uint16_t *a, int64_t sa, const float *bf, float *c, int64_t sc, int m, int k,
                           int n, bool accumulate, float *row) {
    mm_bf16_generic(a, sa, bf, c, sc, m, k, n, accumulate, row);
}
static TGT_AVX2 void mm_bf16_avx2(const uint16_t *a, int64_t sa, const float *bf, float *c, int64_t sc, int m,
                                  int k, int n, bool accumulate, float *row) {
    mm_bf16_generic(a, sa, bf, c, sc, m, k, n, accumulate, row);
}
/* AVX-512: a 4 x 64 tile with 16 named accumulators, the k loop innermost
 * per tile. Each accumulator lane is one output and sees s = s + a*b for
 * k = 0, 1, ... in order, a multiply then an add (never fused): the same
 * operations as the generic body, so the same bits. */
#define BF_ROW(r)                                                                  \
    do {                                                                           \
        __m512 av = _mm512_set1_ps(aq[(size_t)(r) * k]);                           \
        c##r##0 = _mm512_add_ps(c##r##0, _mm512_mul_ps(av, b0));                   \
        c##r##1 = _mm512_add_ps(c##r##1, _mm512_mul_ps(av, b1));                   \
        c##r##2 = _mm512_add_ps(c##r##2, _mm512_mul_ps(av, b2));                   \
        c##r##3 = _mm512_add_ps(c##r##3, _mm512_mul_ps(av, b3));                   \
    } while (0)
#define BF_LOAD1(r, v) (accumulate && (r) < mr ? _mm512_maskz_loadu_ps(mk[v], c + (r) * sc + 16 * (v)) : _mm512_setzero_ps())
#define BF_INIT(r) __m512 c##r##0 = BF_LOAD1(r, 0), c##r##1 = BF_LOAD1(r, 1), c##r##2 = BF_LOAD1(r, 2), c##r##3 = BF_LOAD1(r, 3)
#define BF_SAVE(r) do { out[r][0] = c##r##0; out[r][1] = c##r##1; out[r][2] = c##r##2; out[r][3] = c##r##3; } while (0)

__attribute__((noinline)) static TGT_AVX512 void bf16_tile(const float *ap, const float *bf, int np, int k, float *c,
                                                           int64_t sc, bool accumulate, int mr, int cols) {
    __mmask16 mk[4];
    for (int v = 0; v < 4; v++) {
        int left = cols - 16 * v;
        mk[v] = left >= 16 ? (__mmask16)0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
    }
    BF_INIT(0); BF_INIT(1); BF_INIT(2); BF_INIT(3);
    const float *aq = ap, *bq = bf;
    for (int kk = 0; kk < k; kk++, aq++, bq += np) {
        __m512 b0 = _mm512_loadu_ps(bq), b1 = _mm512_loadu_ps(bq + 16);
        __m512 b2 = _mm512_loadu_ps(bq + 32), b3 = _mm512_loadu_ps(bq + 48);
        BF_ROW(0); BF_ROW(1); BF_ROW(2); BF_ROW(3);
    }
    __m512 out[4][4];
    BF_SAVE(0); BF_SAVE(1); BF_SAVE(2); BF_SAVE(3);
    const __m512 qnan = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000));
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < 4; v++) {
            __m512 x = out[r][v];
            x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), qnan);
            _mm512_mask_storeu_ps(c + r * sc + 16 * v, mk[v], x);
        }
}

/* A rows as fp32, 4 at a time (missing rows 0), k apart. */
static void unpack_a_bf16(const uint16_t *a, int64_t sa, int rows, int k, float *af) {
    for (int r = 0; r < 4; r++)
        for (int kk = 0; kk < k; kk++) af[(size_t)r * k + kk] = r < rows ? bf16_at(a + r * sa + kk) : 0.0f;
}

static TGT_AVX512 void mm_bf16_avx512(const uint16_t *a, int64_t sa, const float *bf, int np, float *c, int64_t sc,
                                      int m, int k, int n, bool accumulate, float *af) {
    for (int i0 = 0; i0 < m; i0 += 4) {
        int mr = TS_MIN(4, m - i0);
        unpack_a_bf16(a + i0 * sa, sa, mr, k, af);
        for (int j0 = 0; j0 < n; j0 += 64)
            bf16_tile(af, bf + j0, np, k, c + i0 * sc + j0, sc, accumulate, mr, TS_MIN(64, n - j0));
    }
}

ts_status sim_mm_bf16(const uint16_t *a, int64_t sa, const uint16_t *b, int64_t sb, float *c, int64_t sc, int m,
                      int k, int n, bool accumulate) {
    if (m <= 0 || n <= 0) return TS_OK;
    sim_kernel_path path = sim_kpath();
    int np = path == SIM_PATH_AVX512 ? round_up(n, 64) : n;  /* the AVX-512 tile reads 64 columns */
    size_t nb = (size_t)k * (size_t)np, nrow = (size_t)np + 4 * (size_t)k;
    float *bf = ts_aligned_alloc(64, (nb + nrow) * sizeof(float) + 64);
    if (!bf) return TS_ERR_NOMEM;
    float *row = bf + nb;
    unpack_b_bf16(b, sb, k, n, np, bf);
    switch (path) {
    case SIM_PATH_AVX512: mm_bf16_avx512(a, sa, bf, np, c, sc, m, k, n, accumulate, row); break;
    case SIM_PATH_AVX2: mm_bf16_avx2(a, sa, bf, c, sc, m, k, n, accumulate, row); break;
    default: mm_bf16_scalar(a, sa, bf, c, sc, m, k, n, accumulate, row); break;
    }
    ts_aligned_free(bf);
    return TS_OK;
}

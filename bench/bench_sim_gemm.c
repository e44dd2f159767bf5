/*
 * bench_sim_gemm: how fast the simulator runs a tiled INT8 GEMM program
 * (simulated MACs per host second), next to the host's own best INT8 GEMM
 * measured in the same run on the same matrices, one thread each. The
 * simulator's result (INT32 output) is checked against the host GEMM.
 *
 *   bench_sim_gemm [--size M N K] [--target NAME|PATH] [--reps N] [--emit FILE.bin]
 *
 * --emit writes the generated program (for `tessera sim` / `tessera disasm`)
 * and exits. The host GEMM picks AVX-512 VNNI, AVX2 or scalar at run time.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "isa/isa.h"
#include "sim/sim.h"

/* ---- host INT8 GEMM: C[M,N] (int32) = A[M,K] (int8) x B[K,N] (int8) -------- */

typedef struct host_gemm {
    int64_t M, N, K, Kp, Np;  /* K padded to 4, N padded to 64 */
    uint8_t *a;                /* A + 128 as uint8, rows of Kp, rows padded to MR */
    int8_t  *b;                /* panels of 64 columns: [Np/64][Kp/4][64][4] */
    int32_t *bsum;             /* 128 * sum_k B[k][n], to undo the +128 of A */
} host_gemm;

#define NR 64
#define MR 6

static void host_pack(host_gemm *g, const int8_t *A, const int8_t *B) {
    g->Kp = (g->K + 3) / 4 * 4;
    g->Np = (g->N + NR - 1) / NR * NR;
    int64_t Mp = (g->M + MR - 1) / MR * MR;  /* rows padded so every tile reads 6 rows */
    g->a = ts_aligned_alloc(64, (size_t)((Mp * g->Kp + 63) / 64 * 64));
    g->b = ts_aligned_alloc(64, (size_t)(g->Kp * g->Np));
    g->bsum = ts_calloc((size_t)g->Np, sizeof(int32_t));
    memset(g->a, 128, (size_t)(Mp * g->Kp));
    memset(g->b, 0, (size_t)(g->Kp * g->Np));
    for (int64_t i = 0; i < g->M; i++)
        for (int64_t k = 0; k < g->K; k++) g->a[i * g->Kp + k] = (uint8_t)(A[i * g->K + k] + 128);
    for (int64_t k = 0; k < g->K; k++)
        for (int64_t n = 0; n < g->N; n++) {
            int64_t p = n / NR, c = n % NR;
            g->b[p * g->Kp * NR + (k / 4) * NR * 4 + c * 4 + k % 4] = B[k * g->N + n];
            g->bsum[n] += 128 * B[k * g->N + n];
        }
}

static void host_free(host_gemm *g) { ts_aligned_free(g->a); ts_aligned_free(g->b); ts_free(g->bsum); }

/* One 6 x 64 tile of C over all of K: 24 accumulators stay in registers;
 * per 4 k: 4 loads of B, 6 broadcasts of A, 24 vpdpbusd. */
#define VNNI_ROW(r)                                                        \
    do {                                                                   \
        int32_t a4;                                                        \
        memcpy(&a4, ap + (r) * g->Kp + k, 4);                              \
        __m512i av = _mm512_set1_epi32(a4);                                \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, b0);                    \
        c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, b1);                    \
        c##r##2 = _mm512_dpbusd_epi32(c##r##2, av, b2);                    \
        c##r##3 = _mm512_dpbusd_epi32(c##r##3, av, b3);                    \
    } while (0)
#define VNNI_ZERO(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0
#define VNNI_SAVE(r) do { out[r][0] = c##r##0; out[r][1] = c##r##1; out[r][2] = c##r##2; out[r][3] = c##r##3; } while (0)

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void vnni_tile(const host_gemm *g, int64_t i0, int mr, int64_t p, int32_t *C) {
    VNNI_ZERO(0); VNNI_ZERO(1); VNNI_ZERO(2); VNNI_ZERO(3); VNNI_ZERO(4); VNNI_ZERO(5);
    const int8_t *bp = g->b + p * g->Kp * NR;
    const uint8_t *ap = g->a + i0 * g->Kp;
    for (int64_t k = 0; k < g->Kp; k += 4, bp += NR * 4) {
        __m512i b0 = _mm512_load_si512(bp), b1 = _mm512_load_si512(bp + 64);
        __m512i b2 = _mm512_load_si512(bp + 128), b3 = _mm512_load_si512(bp + 192);
        VNNI_ROW(0); VNNI_ROW(1); VNNI_ROW(2); VNNI_ROW(3); VNNI_ROW(4); VNNI_ROW(5);
    }
    __m512i out[MR][4];
    VNNI_SAVE(0); VNNI_SAVE(1); VNNI_SAVE(2); VNNI_SAVE(3); VNNI_SAVE(4); VNNI_SAVE(5);
    int64_t n0 = p * NR;
    for (int r = 0; r < mr; r++)
        for (int q = 0; q < 4; q++) {
            int64_t n = n0 + q * 16;
            if (n >= g->N) break;
            __mmask16 mk = g->N - n >= 16 ? 0xffff : (__mmask16)((1u << (g->N - n)) - 1);
            __m512i s = _mm512_loadu_si512(g->bsum + n);
            _mm512_mask_storeu_epi32(C + (i0 + r) * g->N + n, mk, _mm512_sub_epi32(out[r][q], s));
        }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void host_gemm_vnni(const host_gemm *g, int32_t *C) {
    for (int64_t p = 0; p < g->Np / NR; p++)
        for (int64_t i = 0; i < g->M; i += MR) vnni_tile(g, i, (int)TS_MIN(MR, g->M - i), p, C);
}

/* AVX2: int8 widened to int16 pairs, multiplied with vpmaddwd (exact). */
__attribute__((target("avx2")))
static void host_gemm_avx2(const int8_t *A, const int8_t *B, int64_t M, int64_t N, int64_t K, int32_t *C) {
    int64_t Kp = (K + 1) / 2 * 2;
    int16_t *bt = ts_calloc((size_t)(Kp * N), sizeof(int16_t)); /* [k/2][n][2] */
    for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++) bt[(k / 2) * N * 2 + n * 2 + k % 2] = B[k * N + n];
    for (int64_t i = 0; i < M; i++) {
        int64_t n = 0;
        for (; n + 8 <= N; n += 8) {
            __m256i acc = _mm256_setzero_si256();
            for (int64_t k = 0; k < Kp; k += 2) {
                int32_t pair = (uint16_t)A[i * K + k] | (k + 1 < K ? (int32_t)((uint32_t)(uint16_t)A[i * K + k + 1] << 16) : 0);
                __m256i bv = _mm256_loadu_si256((const __m256i *)(bt + (k / 2) * N * 2 + n * 2));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_set1_epi32(pair), bv));
            }
            _mm256_storeu_si256((__m256i *)(C + i * N + n), acc);
        }
        for (; n < N; n++) {
            int32_t s = 0;
            for (int64_t k = 0; k < K; k++) s += A[i * K + k] * B[k * N + n];
            C[i * N + n] = s;
        }
    }
    ts_free(bt);
}

static void host_gemm_scalar(const int8_t *A, const int8_t *B, int64_t M, int64_t N, int64_t K, int32_t *C) {
    memset(C, 0, sizeof(int32_t) * (size_t)(M * N));
    for (int64_t i = 0; i < M; i++)
        for (int64_t k = 0; k < K; k++) {
            int32_t a = A[i * K + k];
            for (int64_t n = 0; n < N; n++) C[i * N + n] += a * B[k * N + n];
        }
}

/* Best of reps; packing of B (a one-time weight layout) is outside the timing,
 * packing of A inside it. Returns seconds. */
static double host_gemm_run(const char *path, const int8_t *A, const int8_t *B, int64_t M, int64_t N, int64_t K,
                            int32_t *C, int reps) {
    double best = 1e30;
    host_gemm g = {.M = M, .N = N, .K = K};
    bool vnni = !strcmp(path, "avx512-vnni");
    if (vnni) host_pack(&g, A, B);
    for (int r = 0; r < reps; r++) {
        double t0 = ts_now_sec();
        if (vnni) {
            for (int64_t i = 0; i < M; i++)
                for (int64_t k = 0; k < K; k++) g.a[i * g.Kp + k] = (uint8_t)(A[i * K + k] + 128);
            host_gemm_vnni(&g, C);
        } else if (!strcmp(path, "avx2")) {
            host_gemm_avx2(A, B, M, N, K, C);
        } else {
            host_gemm_scalar(A, B, M, N, K, C);
        }
        double t = ts_now_sec() - t0;
        if (t < best) best = t;
    }
    if (vnni) host_free(&g);
    return best;
}

static const char *host_best_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) return "avx512-vnni";
    if (__builtin_cpu_supports("avx2")) return "avx2";
    return "scalar";
}

/* ---- the simulated GEMM ---------------------------------------------------- */

typedef struct bench_opts {
    int64_t M, N, K;
    const char *target, *emit;
    int reps;
} bench_opts;

static int bench_parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){2048, 2048, 2048, "npu-256t", NULL, 3};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 3 < argc) {
            o->M = atoll(argv[i + 1]); o->N = atoll(argv[i + 2]); o->K = atoll(argv[i + 3]);
            i += 3;
        } else if (!strcmp(argv[i], "--target") && i + 1 < argc) o->target = argv[++i];
        else if (!strcmp(argv[i], "--emit") && i + 1 < argc) o->emit = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) o->reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_sim_gemm [--size M N K] [--target NAME|PATH] [--reps N] [--emit FILE.bin]\n");
            return 2;
        }
    }
    if (o->M < 1 || o->N < 1 || o->K < 1 || o->reps < 1) { fprintf(stderr, "bench_sim_gemm: bad size or reps\n"); return 2; }
    return 0;
}

static int bench_fail(const char *what) {
    fprintf(stderr, "bench_sim_gemm: %s: %s\n", what, ts_last_error());
    return 1;
}

static int bench_compare(const int32_t *sim, const int32_t *host, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (sim[i] != host[i]) {
            fprintf(stderr, "bench_sim_gemm: simulated C[%lld] = %d but host GEMM gives %d\n", (long long)i, sim[i],
                    host[i]);
            return 1;
        }
    return 0;
}

int main(int argc, char **argv) {
    bench_opts o;
    int rc = bench_parse(argc, argv, &o);
    if (rc) return rc;
    arch_chip chip;
    if (arch_load(o.target, &chip)) return bench_fail("target");
    uint64_t a_addr = 0, b_addr = (uint64_t)(o.M * o.K + 4095) / 4096 * 4096;
    uint64_t c_addr = b_addr + (uint64_t)(o.K * o.N + 4095) / 4096 * 4096;
    sim_gemm_spec spec = {.M = o.M, .N = o.N, .K = o.K, .a_addr = a_addr, .b_addr = b_addr, .c_addr = c_addr,
                          .out_int32 = true};
    isa_program *prog = NULL;
    sim_gemm_plan plan;
    if (sim_build_gemm_program(&chip, &spec, &prog, &plan)) return bench_fail("gemm program");
    if (o.emit) {
        if (isa_program_save(o.emit, prog)) return bench_fail(o.emit);
        printf("wrote %s: A at 0x%llx, B at 0x%llx, C (int32) at 0x%llx\n", o.emit, (unsigned long long)a_addr,
               (unsigned long long)b_addr, (unsigned long long)c_addr);
        isa_program_free(prog);
        return 0;
    }
    size_t na = (size_t)(o.M * o.K), nb = (size_t)(o.K * o.N), nc = (size_t)(o.M * o.N);
    int8_t *A = ts_malloc(na), *B = ts_malloc(nb);
    int32_t *Cs = ts_malloc(nc * 4), *Ch = ts_malloc(nc * 4);
    uint64_t x = (uint64_t)ts_now_sec() * 2654435761u | 1;
    for (size_t i = 0; i < na; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; A[i] = (int8_t)x; }
    for (size_t i = 0; i < nb; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; B[i] = (int8_t)x; }

    /* best of reps, like the host GEMM: a fresh machine each time */
    sim_result r;
    double best_sim = 1e30;
    for (int rep = 0; rep < o.reps; rep++) {
        sim_machine *m = NULL;
        if (sim_new(&chip, prog, &m) || sim_hbm_write(m, a_addr, A, na) || sim_hbm_write(m, b_addr, B, nb))
            return bench_fail("simulator");
        if (sim_run(m, &r)) return bench_fail("simulation");
        if (sim_hbm_read(m, c_addr, Cs, nc * 4)) return bench_fail("result");
        sim_free(m);
        if (r.host_seconds < best_sim) best_sim = r.host_seconds;
    }
    r.host_seconds = best_sim;

    const char *path = host_best_path();
    double t_host = host_gemm_run(path, A, B, o.M, o.N, o.K, Ch, o.reps);
    rc = bench_compare(Cs, Ch, (int64_t)nc);

    double macs = (double)o.M * o.N * o.K;
    double sim_rate = macs / r.host_seconds, host_rate = macs / t_host;
    printf("GEMM %lldx%lldx%lld INT8 on %s: %d blocks of %dx%d over %d cores, %lld instructions\n", (long long)o.M,
           (long long)o.N, (long long)o.K, chip.name, plan.blocks, plan.block_m, plan.block_n, r.cores,
           (long long)r.instructions);
    printf("  simulated: %llu cycles, %.3f ms at %.3f GHz, MAC utilization %.1f%%, %.1f TOPS\n",
           (unsigned long long)r.cycles, r.seconds * 1e3, chip.clock_ghz, 100 * r.mac_util, r.achieved_tops);
    printf("  simulator         %8.3f s  %8.2f GMAC/s (simulated INT8 MACs per host second, 1 thread, best of %d)\n",
           r.host_seconds, sim_rate / 1e9, o.reps);
    printf("  host INT8 GEMM    %8.3f s  %8.2f GMAC/s (%s, 1 thread, best of %d)\n", t_host, host_rate / 1e9, path,
           o.reps);
    printf("  ratio             %8.1f%%  (goal >= 50%%)%s\n", 100 * sim_rate / host_rate,
           rc ? "" : "; simulated result equals the host GEMM");
    isa_program_free(prog);
    ts_free(A); ts_free(B); ts_free(Cs); ts_free(Ch);
    return rc;
}

/* test_gemm: cpu_sgemm / cpu_sgemm_ex against a naive double-precision
 * triple loop, on random shapes (odd sizes, both transposes, alpha/beta,
 * K past one packing slice), on every ISA path this CPU has, serial and
 * threaded, plus the fused epilogue (bias + activations).
 * Tolerance: |got - ref| <= 1e-4 * (1 + sum_k |a*b|) (float accumulation). */
#include "harness.h"
#include "cpu/cpu_int.h"

typedef struct {
    int M, N, K;
    bool ta, tb;
    float alpha, beta;
} shape;

static float *rand_buf(int64_t n) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = th_rand_float(-1.0f, 1.0f);
    return p;
}

/* Runs one case on the active path; returns the number of bad elements. */
static int run_case(ts_pool *pool, shape s, const cpu_epilogue *epi) {
    int lda = (s.ta ? s.M : s.K) + th_rand_int(0, 3);
    int ldb = (s.tb ? s.K : s.N) + th_rand_int(0, 3);
    int ldc = s.N + th_rand_int(0, 3);
    float *A = rand_buf((int64_t)(s.ta ? s.K : s.M) * lda);
    float *B = rand_buf((int64_t)(s.tb ? s.N : s.K) * ldb);
    float *C = rand_buf((int64_t)s.M * ldc);
    float *C0 = malloc(sizeof(float) * (size_t)((int64_t)s.M * ldc + 1));
    memcpy(C0, C, sizeof(float) * (size_t)s.M * ldc);
    if (epi) cpu_sgemm_ex(pool, s.ta, s.tb, s.M, s.N, s.K, s.alpha, A, lda, B, ldb, s.beta, C, ldc, epi);
    else {
        cpu_ctx ctx = {.pool = pool};
        cpu_sgemm(&ctx, s.ta, s.tb, s.M, s.N, s.K, s.alpha, A, lda, B, ldb, s.beta, C, ldc);
    }
    int bad = 0;
    for (int m = 0; m < s.M; m++)
        for (int n = 0; n < s.N; n++) {
            double acc = 0, mag = 0;
            for (int k = 0; k < s.K; k++) {
                double a = s.ta ? A[k * lda + m] : A[m * lda + k];
                double b = s.tb ? B[n * ldb + k] : B[k * ldb + n];
                acc += a * b;
                mag += fabs(a * b);
            }
            double ref = s.alpha * acc + (s.beta == 0 ? 0 : s.beta * C0[m * ldc + n]);
            if (epi) {
                if (epi->row_bias) ref += epi->row_bias[m];
                if (epi->col_bias) ref += epi->col_bias[n];
                ref = cpu_act_scalar(&epi->act, (float)ref);
            }
            double tol = 1e-4 * (1 + fabs(s.alpha) * mag + fabs(s.beta));
            if (!(fabs(C[m * ldc + n] - ref) <= tol)) {
                if (bad < 3)
                    fprintf(stderr, "  M%d N%d K%d ta%d tb%d isa %s: C[%d,%d] = %g, ref %g\n", s.M,
                            s.N, s.K, s.ta, s.tb, cpu_isa_name(cpu_active_isa()), m, n,
                            C[m * ldc + n], ref);
                bad++;
            }
        }
    /* padding columns past N must be untouched */
    for (int m = 0; m < s.M; m++)
        for (int n = s.N; n < ldc; n++)
            if (C[m * ldc + n] != C0[m * ldc + n]) bad++;
    free(A); free(B); free(C); free(C0);
    return bad;
}

static shape rand_shape(int maxdim, int maxk) {
    static const float alphas[] = {1.0f, 0.5f, -2.0f};
    static const float betas[] = {0.0f, 1.0f, 0.25f};
    shape s = {th_rand_int(1, maxdim), th_rand_int(1, maxdim), th_rand_int(1, maxk),
               th_rand_int(0, 1), th_rand_int(0, 1), alphas[th_rand_int(0, 2)],
               betas[th_rand_int(0, 2)]};
    return s;
}

static void each_isa(void (*fn)(ts_pool *)) {
    ts_pool *pool = ts_pool_new(3);
    cpu_isa_level best = cpu_detect_isa();
    for (int l = (int)best; l >= 0; l--) {
        cpu_force_isa((cpu_isa_level)l);
        CHECK(cpu_active_isa() == (cpu_isa_level)l);
        fn(NULL);
        fn(pool);
    }
    cpu_force_isa(best);
    ts_pool_free(pool);
}

static void random_shapes(ts_pool *pool) {
    for (int i = 0; i < 40; i++) {
        shape s = rand_shape(70, 80);
        CHECK(run_case(pool, s, NULL) == 0);
    }
    /* K beyond one packing slice, and sizes on the tile edges */
    shape big[] = {{33, 65, 600, 0, 0, 1, 0}, {64, 256, 257, 1, 0, 1, 1}, {17, 31, 513, 0, 1, -1, 0.5f},
                   {8, 32, 256, 0, 0, 1, 0}, {1, 1, 1, 0, 0, 1, 0}, {130, 3, 9, 1, 1, 2, 0},
                   /* matrix-vector products (N = 1) */
                   {37, 1, 300, 0, 1, 1, 0}, {64, 1, 513, 0, 1, -0.5f, 0.25f}, {5, 1, 7, 0, 0, 1, 1}};
    for (size_t i = 0; i < TS_ARRAY_LEN(big); i++) CHECK(run_case(pool, big[i], NULL) == 0);
}

TEST(sgemm_random_shapes_every_isa) { each_isa(random_shapes); }

static void epilogues(ts_pool *pool) {
    static const cpu_act acts[] = {{CPU_ACT_NONE, 0, 0},      {CPU_ACT_RELU, 0, 0},
                                   {CPU_ACT_CLIP, -0.3f, 0.4f}, {CPU_ACT_LEAKY, 0.1f, 0},
                                   {CPU_ACT_HARDSIGMOID, 0.2f, 0.5f}, {CPU_ACT_HARDSWISH, 0, 0},
                                   {CPU_ACT_SIGMOID, 0, 0},   {CPU_ACT_TANH, 0, 0}};
    for (size_t i = 0; i < TS_ARRAY_LEN(acts); i++) {
        shape s = rand_shape(50, 300);
        float *rb = rand_buf(s.M), *cb = rand_buf(s.N);
        cpu_epilogue e = {th_rand_int(0, 1) ? rb : NULL, th_rand_int(0, 1) ? cb : NULL, acts[i]};
        CHECK(run_case(pool, s, &e) == 0);
        free(rb); free(cb);
    }
}

TEST(sgemm_epilogue_every_isa) { each_isa(epilogues); }

TEST(sgemm_zero_k_and_empty) {
    float C[6] = {1, 2, 3, 4, 5, 6};
    cpu_sgemm(NULL, false, false, 2, 3, 0, 1.0f, NULL, 1, NULL, 3, 0.5f, C, 3);
    for (int i = 0; i < 6; i++) CHECK_NEAR(C[i], 0.5 * (i + 1), 1e-7);
    cpu_sgemm(NULL, false, false, 0, 3, 4, 1.0f, NULL, 4, NULL, 3, 0.0f, C, 3); /* no-op */
    CHECK_NEAR(C[0], 0.5, 1e-7);
    /* beta 0 must ignore NaN in C */
    float A[2] = {1, 2}, B[2] = {3, 4}, D[1] = {NAN};
    cpu_sgemm(NULL, false, false, 1, 1, 2, 1.0f, A, 2, B, 1, 0.0f, D, 1);
    CHECK_NEAR(D[0], 11.0, 1e-6);
}

static void axpy_case(ts_pool *pool) {
    (void)pool;
    for (int t = 0; t < 10; t++) {
        int n = th_rand_int(0, 100);
        float *x = rand_buf(n), *y = rand_buf(n), *y0 = malloc(sizeof(float) * (size_t)(n + 1));
        memcpy(y0, y, sizeof(float) * (size_t)n);
        float a = th_rand_float(-2, 2);
        cpu_axpy(y, x, a, n);
        for (int i = 0; i < n; i++) CHECK_NEAR(y[i], y0[i] + a * x[i], 1e-5);
        free(x); free(y); free(y0);
    }
}

TEST(axpy_every_isa) { each_isa(axpy_case); }

TEST_MAIN()

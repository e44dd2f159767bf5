/*
 * test_exec: every instruction of the functional simulator (sim_exec)
 * against a straightforward scalar reference written here from docs/isa.md,
 * on fresh random data, bit for bit, on every kernel path the host has.
 * Also: saturation, rounding ties, NaN/zero signs, zero and odd sizes,
 * overlapping operands, and rejection of out-of-range addresses and limits.
 */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "sim/exec.h"

#define SRAM_BYTES (1u << 20)
#define ACC_BYTES (1u << 18)
#define HBM_BYTES (1u << 20)

static arch_chip test_chip(void) {
    arch_chip c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "test");
    c.cores = 1;
    c.core.matrix.rows = 128;
    c.core.matrix.cols = 96;
    c.core.matrix.bf16_rate = 0.5;
    return c;
}

typedef struct tmem { sim_mem m; } tmem;

static void rand_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)th_rand_u64();
}

static sim_mem mem_new(void) {
    sim_mem m;
    m.hbm_bytes = HBM_BYTES;
    m.sram_bytes = SRAM_BYTES;
    m.acc_bytes = ACC_BYTES;
    m.hbm = malloc(HBM_BYTES);
    m.sram = malloc(SRAM_BYTES);
    m.acc = malloc(ACC_BYTES);
    rand_bytes(m.hbm, HBM_BYTES);
    rand_bytes(m.sram, SRAM_BYTES);
    rand_bytes(m.acc, ACC_BYTES);
    return m;
}

static sim_mem mem_clone(const sim_mem *s) {
    sim_mem m = *s;
    m.hbm = malloc(HBM_BYTES);
    m.sram = malloc(SRAM_BYTES);
    m.acc = malloc(ACC_BYTES);
    memcpy(m.hbm, s->hbm, HBM_BYTES);
    memcpy(m.sram, s->sram, SRAM_BYTES);
    memcpy(m.acc, s->acc, ACC_BYTES);
    return m;
}

static void mem_free(sim_mem *m) { free(m->hbm); free(m->sram); free(m->acc); }

static bool mem_equal(const sim_mem *a, const sim_mem *b, const char *what) {
    const char *names[3] = {"HBM", "SRAM", "ACC"};
    const uint8_t *pa[3] = {a->hbm, a->sram, a->acc}, *pb[3] = {b->hbm, b->sram, b->acc};
    size_t n[3] = {HBM_BYTES, SRAM_BYTES, ACC_BYTES};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < n[s]; i++)
            if (pa[s][i] != pb[s][i]) {
                fprintf(stderr, "  %s: %s byte 0x%zx differs: got 0x%02x want 0x%02x\n", what, names[s], i, pa[s][i],
                        pb[s][i]);
                return false;
            }
    return true;
}

/* ---- reference helpers (written from docs/isa.md, independently of the kernels) ---- */

static float f_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static int32_t rd32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static void wr32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static size_t esize(int dt) { static const size_t s[] = {1, 4, 2, 4, 1, 2}; return s[dt]; }
static bool is_float_dt(int dt) { return dt == ISA_DT_BF16 || dt == ISA_DT_FP32; }

static uint16_t ref_bf16(float f) {
    if (isnan(f)) return 0x7fc0;
    uint32_t u = u_of(f), hi = u >> 16, rem = u & 0xffff;
    if (rem > 0x8000 || (rem == 0x8000 && (hi & 1))) hi++;
    return (uint16_t)hi;
}

static void int_range(int dt, int64_t *lo, int64_t *hi) {
    switch (dt) {
    case ISA_DT_INT8: *lo = -128; *hi = 127; break;
    case ISA_DT_UINT8: *lo = 0; *hi = 255; break;
    case ISA_DT_INT16: *lo = -32768; *hi = 32767; break;
    default: *lo = INT32_MIN; *hi = INT32_MAX; break;
    }
}

/* A value in the compute domain: float (fp32) or integer (exact). */
typedef struct rval { bool isf; float f; int64_t i; } rval;

static rval ref_load(int dt, const uint8_t *p) {
    rval v = {false, 0, 0};
    switch (dt) {
    case ISA_DT_INT8: v.i = (int8_t)p[0]; break;
    case ISA_DT_UINT8: v.i = p[0]; break;
    case ISA_DT_INT16: v.i = (int16_t)rd16(p); break;
    case ISA_DT_INT32: v.i = rd32(p); break;
    case ISA_DT_BF16: v.isf = true; v.f = f_of((uint32_t)rd16(p) << 16); break;
    default: v.isf = true; v.f = f_of((uint32_t)rd32(p)); break;
    }
    return v;
}

static void ref_store(int dt, uint8_t *p, rval v) {
    if (dt == ISA_DT_FP32) {
        float f = v.isf ? v.f : (float)v.i;
        wr32(p, isnan(f) ? 0x7fc00000 : (int32_t)u_of(f));
    } else if (dt == ISA_DT_BF16) {
        wr16(p, ref_bf16(v.isf ? v.f : (float)v.i));
    } else {
        int64_t lo, hi, x;
        int_range(dt, &lo, &hi);
        if (v.isf) {
            if (isnan(v.f)) x = 0;
            else {
                double r = rint((double)v.f);  /* default rounding mode: ties to even */
                x = r < (double)lo ? lo : r > (double)hi ? hi : (int64_t)r;
            }
        } else {
            x = v.i < lo ? lo : v.i > hi ? hi : v.i;
        }
        if (esize(dt) == 1) p[0] = (uint8_t)x;
        else if (esize(dt) == 2) wr16(p, (uint16_t)x);
        else wr32(p, (int32_t)x);
    }
}

static float ref_fmax(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0 && b == 0) return (signbit(a) && signbit(b)) ? -0.0f : 0.0f;
    return a > b ? a : b;
}
static float ref_fmin(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0 && b == 0) return (signbit(a) || signbit(b)) ? -0.0f : 0.0f;
    return a < b ? a : b;
}

/* ---- runs one instruction on every path and compares with the reference ---- */

static int n_paths(void) { return (int)sim_kernel_path_best() + 1; }

static void check_all_paths(const isa_inst *in, const sim_mem *start, const sim_mem *want, const char *what) {
    arch_chip chip = test_chip();
    for (int p = 0; p < n_paths(); p++) {
        sim_mem m = mem_clone(start);
        sim_kernel_force_path((sim_kernel_path)p);
        ts_status st = sim_exec(in, &m, &chip);
        CHECK_MSG(st == TS_OK, "%s path %d: %s", what, p, ts_last_error());
        char buf[64];
        snprintf(buf, sizeof buf, "%s path %d", what, p);
        CHECK(mem_equal(&m, want, buf));
        mem_free(&m);
    }
    sim_kernel_force_path(sim_kernel_path_best());
}

/* ---- DMA ---- */

TEST(dma_load_store) {
    for (int it = 0; it < 40; it++) {
        sim_mem m = mem_new();
        bool load = it & 1;
        isa_inst in = {.op = load ? ISA_LOAD : ISA_STORE};
        uint64_t rows = (uint64_t)th_rand_int(0, 40), rb = (uint64_t)th_rand_int(0, 300);
        uint64_t ss = rb + (uint64_t)th_rand_int(0, 50), hs = rb + (uint64_t)th_rand_int(0, 50);
        if (!load && rows > 1 && th_rand_int(0, 3) == 0) ss = (uint64_t)th_rand_int(0, 3); /* broadcast reads */
        if (load && rows > 1 && th_rand_int(0, 3) == 0) hs = 0;
        in.f[ISA_F_DMA_sram] = (uint64_t)th_rand_int(0, 100000);
        in.f[ISA_F_DMA_hbm] = (uint64_t)th_rand_int(0, 100000);
        in.f[ISA_F_DMA_rows] = rows;
        in.f[ISA_F_DMA_row_bytes] = rb;
        in.f[ISA_F_DMA_sram_stride] = ss;
        in.f[ISA_F_DMA_hbm_stride] = hs;
        sim_mem want = mem_clone(&m);
        for (uint64_t r = 0; r < rows; r++)
            for (uint64_t i = 0; i < rb; i++) {
                uint8_t *s = want.sram + in.f[ISA_F_DMA_sram] + r * ss + i, *h = want.hbm + in.f[ISA_F_DMA_hbm] + r * hs + i;
                if (load) *s = *h;
                else *h = *s;
            }
        check_all_paths(&in, &m, &want, load ? "LOAD" : "STORE");
        mem_free(&want);
        mem_free(&m);
    }
}

TEST(dma_rejects_bad_ranges) {
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    isa_inst in = {.op = ISA_LOAD};
    in.f[ISA_F_DMA_rows] = 2;
    in.f[ISA_F_DMA_row_bytes] = 16;
    in.f[ISA_F_DMA_sram_stride] = 16;
    in.f[ISA_F_DMA_hbm_stride] = 16;
    in.f[ISA_F_DMA_sram] = SRAM_BYTES - 31;  /* one byte past the end */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    CHECK(strstr(ts_last_error(), "sram") != NULL);
    in.f[ISA_F_DMA_sram] = SRAM_BYTES - 32;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    in.f[ISA_F_DMA_hbm] = (1ull << 40) - 1;  /* largest encodable address */
    in.f[ISA_F_DMA_hbm_stride] = 0xffffffffu;
    in.f[ISA_F_DMA_rows] = 0xffff;
    in.f[ISA_F_DMA_sram_stride] = 0;
    in.op = ISA_STORE;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    CHECK(strstr(ts_last_error(), "hbm") != NULL);
    in.f[ISA_F_DMA_hbm] = 0;
    in.f[ISA_F_DMA_hbm_stride] = 8;  /* destination rows overlap */
    in.f[ISA_F_DMA_rows] = 2;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID);
    mem_free(&m);
}

/* ---- MATMUL ---- */

static void ref_matmul_int8(const isa_inst *in, sim_mem *w) {
    uint64_t M = in->f[ISA_F_MM_m], K = in->f[ISA_F_MM_k], N = in->f[ISA_F_MM_n];
    for (uint64_t i = 0; i < M; i++)
        for (uint64_t j = 0; j < N; j++) {
            int64_t s = 0;
            for (uint64_t k = 0; k < K; k++)
                s += (int64_t)(int8_t)w->sram[in->f[ISA_F_MM_a] + i * in->f[ISA_F_MM_a_stride] + k] *
                     (int8_t)w->sram[in->f[ISA_F_MM_b] + k * in->f[ISA_F_MM_b_stride] + j];
            uint8_t *c = w->acc + 4 * (in->f[ISA_F_MM_acc] + i * in->f[ISA_F_MM_acc_stride] + j);
            uint32_t v = (uint32_t)s;
            if (in->f[ISA_F_MM_accumulate]) v += (uint32_t)rd32(c);  /* wraps modulo 2^32 */
            wr32(c, (int32_t)v);
        }
}

static void ref_matmul_bf16(const isa_inst *in, sim_mem *w) {
    uint64_t M = in->f[ISA_F_MM_m], K = in->f[ISA_F_MM_k], N = in->f[ISA_F_MM_n];
    for (uint64_t i = 0; i < M; i++)
        for (uint64_t j = 0; j < N; j++) {
            uint8_t *c = w->acc + 4 * (in->f[ISA_F_MM_acc] + i * in->f[ISA_F_MM_acc_stride] + j);
            volatile float s = in->f[ISA_F_MM_accumulate] ? f_of((uint32_t)rd32(c)) : 0.0f;
            for (uint64_t k = 0; k < K; k++) {
                float a = f_of((uint32_t)rd16(w->sram + in->f[ISA_F_MM_a] + 2 * (i * in->f[ISA_F_MM_a_stride] + k)) << 16);
                float b = f_of((uint32_t)rd16(w->sram + in->f[ISA_F_MM_b] + 2 * (k * in->f[ISA_F_MM_b_stride] + j)) << 16);
                volatile float p = a * b;  /* volatile: rounded product, then rounded sum */
                s = s + p;
            }
            float r = s;
            wr32(c, isnan(r) ? 0x7fc00000 : (int32_t)u_of(r));
        }
}

static uint16_t rand_bf16(void) {
    int r = th_rand_int(0, 99);
    if (r == 0) return 0x8000;                 /* -0 */
    if (r == 1) return 0x7f80;                 /* inf */
    if (r == 2) return 0x0001;                 /* subnormal */
    if (r == 3) return 0x7fa1;                 /* signalling-pattern NaN */
    return ref_bf16(th_rand_float(-4.0f, 4.0f));
}

static void matmul_case(bool bf16, int M, int K, int N, bool extreme) {
    sim_mem m = mem_new();
    isa_inst in = {.op = ISA_MATMUL};
    int es = bf16 ? 2 : 1;
    in.f[ISA_F_MM_dtype] = bf16;
    in.f[ISA_F_MM_accumulate] = (uint64_t)th_rand_int(0, 1);
    in.f[ISA_F_MM_m] = (uint64_t)M;
    in.f[ISA_F_MM_k] = (uint64_t)K;
    in.f[ISA_F_MM_n] = (uint64_t)N;
    in.f[ISA_F_MM_a_stride] = (uint64_t)(K + th_rand_int(0, 9));
    in.f[ISA_F_MM_b_stride] = (uint64_t)(N + th_rand_int(0, 9));
    in.f[ISA_F_MM_acc_stride] = (uint64_t)(N + th_rand_int(0, 9));
    /* odd addresses too: SRAM operands need no alignment */
    in.f[ISA_F_MM_a] = (uint64_t)th_rand_int(0, 1000) * (uint64_t)es + (uint64_t)th_rand_int(0, 1);
    in.f[ISA_F_MM_b] = 300000 + (uint64_t)th_rand_int(0, 1000) * (uint64_t)es + (uint64_t)th_rand_int(0, 1);
    in.f[ISA_F_MM_acc] = (uint64_t)th_rand_int(0, 1000);
    if (extreme) {  /* all -128: the largest sums, and wraparound on accumulate */
        for (int i = 0; i < M; i++) memset(m.sram + in.f[ISA_F_MM_a] + (uint64_t)i * in.f[ISA_F_MM_a_stride], 0x80, (size_t)K);
        for (int k = 0; k < K; k++) memset(m.sram + in.f[ISA_F_MM_b] + (uint64_t)k * in.f[ISA_F_MM_b_stride], 0x80, (size_t)N);
        for (int i = 0; i < M * N; i++) wr32(m.acc + 4 * in.f[ISA_F_MM_acc] + 4 * (uint64_t)i, INT32_MAX - 5);
    }
    if (bf16) {
        for (uint64_t i = 0; i < 300000 + 2 * 140 * 110; i += 2) wr16(m.sram + i, rand_bf16());
        for (int i = 0; i < (int)(ACC_BYTES / 4); i++) wr32(m.acc + 4 * i, (int32_t)u_of(th_rand_float(-10, 10)));
    }
    sim_mem want = mem_clone(&m);
    if (bf16) ref_matmul_bf16(&in, &want);
    else ref_matmul_int8(&in, &want);
    check_all_paths(&in, &m, &want, bf16 ? "MATMUL bf16" : "MATMUL int8");
    mem_free(&want);
    mem_free(&m);
}

TEST(matmul_int8_random_shapes) {
    for (int it = 0; it < 30; it++)
        matmul_case(false, th_rand_int(0, 40), th_rand_int(0, 128), th_rand_int(0, 96), false);
    matmul_case(false, 13, 128, 96, false);
    matmul_case(false, 7, 128, 96, true);
    matmul_case(false, 1, 1, 1, false);
    matmul_case(false, 5, 0, 17, false);  /* k = 0: overwrite writes zeros */
}

TEST(matmul_bf16_random_shapes) {
    for (int it = 0; it < 20; it++)
        matmul_case(true, th_rand_int(0, 30), th_rand_int(0, 128), th_rand_int(0, 96), false);
    matmul_case(true, 3, 0, 5, false);
}

TEST(matmul_limits) {
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    isa_inst in = {.op = ISA_MATMUL};
    in.f[ISA_F_MM_m] = 4;
    in.f[ISA_F_MM_k] = 129;  /* > R = 128 */
    in.f[ISA_F_MM_n] = 8;
    in.f[ISA_F_MM_a_stride] = 129;
    in.f[ISA_F_MM_b_stride] = 8;
    in.f[ISA_F_MM_acc_stride] = 8;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    in.f[ISA_F_MM_k] = 128;
    in.f[ISA_F_MM_n] = 97;   /* > C = 96 */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    in.f[ISA_F_MM_n] = 8;
    in.f[ISA_F_MM_acc] = ACC_BYTES / 4 - 8 * 3 - 7;  /* last row one entry short */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    CHECK(strstr(ts_last_error(), "acc") != NULL);
    in.f[ISA_F_MM_acc] = 0;
    in.f[ISA_F_MM_a] = SRAM_BYTES - 128;  /* A's 4 rows do not fit */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    in.f[ISA_F_MM_a] = 0;
    in.f[ISA_F_MM_acc_stride] = 7;  /* rows of C overlap */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID);
    in.f[ISA_F_MM_acc_stride] = 8;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    chip.core.matrix.bf16_rate = 0;
    in.f[ISA_F_MM_dtype] = ISA_MM_BF16;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_UNSUPPORTED);
    mem_free(&m);
}


/* ---- vector unit ---- */

static float ref_exp(float x) {
    if (isnan(x)) return x;
    if (x > 88.8f) return INFINITY;
    if (x < -104.0f) return 0.0f;
    float t = x * 1.44269502f;
    float k = rintf(t);
    float r = x - k * 0.693145751953125f;
    r = r - k * 1.42860677e-06f;
    const float c[8] = {1.98412701e-04f, 1.38888892e-03f, 8.33333377e-03f, 4.16666679e-02f,
                        1.66666672e-01f, 0.5f, 1.0f, 1.0f};
    float p = c[0];
    for (int i = 1; i < 8; i++) p = p * r + c[i];
    int ki = (int)k, k1 = ki / 2, k2 = ki - k1;
    return ldexpf(ldexpf(p, k1), k2);
}

static float ref_expm1(float y) {
    if (!(fabsf(y) < 0.5f)) return ref_exp(y) - 1.0f;
    const float c[8] = {2.75573188e-06f, 2.48015876e-05f, 1.98412701e-04f, 1.38888892e-03f,
                        8.33333377e-03f, 4.16666679e-02f, 1.66666672e-01f, 0.5f};
    float p = c[0];
    for (int i = 1; i < 8; i++) p = p * y + c[i];
    p = p * y;
    return p * y + y;
}

static float ref_act(int f, float x, float prm) {
    switch (f) {
    case ISA_ACT_RELU: return isnan(x) ? x : (x > 0 ? x : 0.0f);
    case ISA_ACT_RELU6: return isnan(x) ? x : (x > 6 ? 6.0f : x > 0 ? x : 0.0f);
    case ISA_ACT_SIGMOID: return 1.0f / (1.0f + ref_exp(-x));
    case ISA_ACT_TANH: {
        if (isnan(x)) return x;
        float ax = fabsf(x);
        if (ax > 9.0f) return copysignf(1.0f, x);
        float em = ref_expm1(2.0f * ax);
        return copysignf(em / (em + 2.0f), x);
    }
    case ISA_ACT_GELU: {
        if (x == -INFINITY) return -0.0f;
        float z = fabsf(x) * 0.707106769f;
        float t = 1.0f / (1.0f + 0.3275911f * z);
        float q = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
        float erfz = 1.0f - q * ref_exp(-(z * z));
        return (0.5f * x) * (1.0f + copysignf(erfz, x));
    }
    case ISA_ACT_EXP: return ref_exp(x);
    case ISA_ACT_RSQRT: return 1.0f / sqrtf(x);
    case ISA_ACT_RECIP: return 1.0f / x;
    case ISA_ACT_HSWISH: { float t = x * 0.166666672f + 0.5f; return x * (t < 0 ? 0.0f : t > 1 ? 1.0f : t); }
    case ISA_ACT_HSIGMOID: { float t = x * prm + 0.5f; return isnan(t) ? t : t < 0 ? 0.0f : t > 1 ? 1.0f : t; }
    case ISA_ACT_SQRT: return sqrtf(x);
    case ISA_ACT_LOG: {
        if (isnan(x)) return x;
        if (x < 0) return NAN;
        if (x == 0) return -INFINITY;
        if (x == INFINITY) return x;
        int e;
        float m = frexpf(x, &e);  /* x = m * 2^e, m in [0.5, 1) */
        m *= 2.0f;
        e -= 1;
        if (m > 1.41421354f) { m *= 0.5f; e += 1; }
        float f = m - 1.0f, s = f / (2.0f + f), z = s * s;
        float r = ((((0.111111112f * z + 0.142857149f) * z + 0.200000003f) * z) + 0.333333343f) * z;
        float ls = 2.0f * s, l = ls + ls * r, ef = (float)e;
        return ef * 0.693145751953125f + (l + ef * 1.42860677e-06f);
    }
    case ISA_ACT_LEAKY: return x < 0 ? x * prm : x;
    default: return x;
    }
}

static int rand_dt(void) { return th_rand_int(0, ISA_DT_COUNT - 1); }

/* Float-typed elements get mostly ordinary values, a few specials. */
static void fill_region(sim_mem *m, int space, uint64_t addr, uint64_t rows, uint64_t cols, uint64_t stride, int dt) {
    if (!is_float_dt(dt)) return;  /* random bytes are fine integers */
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++) {
            uint8_t *p = space ? m->acc + 4 * (addr + r * stride + c) : m->sram + addr + (r * stride + c) * esize(dt);
            int k = th_rand_int(0, 60);
            float v = k == 0 ? NAN : k == 1 ? -0.0f : k == 2 ? INFINITY : k == 3 ? -INFINITY : k == 4 ? 0.5f
                    : k == 5 ? 2.5f : k == 6 ? 1e-40f : th_rand_float(-12.0f, 12.0f);
            if (dt == ISA_DT_BF16) wr16(p, ref_bf16(v));
            else wr32(p, (int32_t)u_of(v));
        }
}

static uint8_t *elem(sim_mem *m, int space, uint64_t addr, uint64_t r, uint64_t c, uint64_t stride, int dt) {
    return space ? m->acc + 4 * (addr + r * stride + c) : m->sram + addr + (r * stride + c) * esize(dt);
}

typedef struct vcase {
    isa_inst in;
    int op, dt, st, bc, ds, s0s, s1s;
    uint64_t rows, cols;
} vcase;

static uint64_t place(int space, int dt, uint64_t rows, uint64_t stride, uint64_t cols, uint64_t region) {
    /* three disjoint regions per space, so operands do not overlap by accident */
    uint64_t span = rows ? ((rows - 1) * stride + cols) * (space ? 1 : esize(dt)) : 0;
    uint64_t size = space ? ACC_BYTES / 4 / 3 : SRAM_BYTES / 3;
    uint64_t room = size > span ? size - span : 0;
    uint64_t off = room ? (uint64_t)th_rand_int(0, (int)TS_MIN(room, 5000)) : 0;
    if (!space) off = off / esize(dt) * esize(dt) + (uint64_t)th_rand_int(0, 1) * (esize(dt) > 1);
    return region * size + off;
}

static void vec_case(int op) {
    vcase v;
    memset(&v, 0, sizeof v);
    bool fop = op == ISA_VDIV;
    v.st = rand_dt();
    if (fop) v.st = th_rand_int(0, 1) ? ISA_DT_BF16 : ISA_DT_FP32;
    v.dt = rand_dt();
    v.bc = op >= ISA_VADD && op <= ISA_VDIV ? th_rand_int(0, 3) : 0;
    v.ds = esize(v.dt) == 4 ? th_rand_int(0, 1) : 0;
    v.s0s = esize(v.st) == 4 ? th_rand_int(0, 1) : 0;
    v.s1s = esize(v.st) == 4 ? th_rand_int(0, 1) : 0;
    v.rows = (uint64_t)th_rand_int(0, 5);
    v.cols = th_rand_int(0, 8) == 0 ? (uint64_t)th_rand_int(500, 1100) : (uint64_t)th_rand_int(0, 70);
    isa_inst *in = &v.in;
    in->op = (isa_opcode)op;
    in->f[ISA_F_VEC_dtype] = (uint64_t)v.dt;
    in->f[ISA_F_VEC_stype] = (uint64_t)v.st;
    in->f[ISA_F_VEC_bcast] = (uint64_t)v.bc;
    in->f[ISA_F_VEC_rows] = v.rows;
    in->f[ISA_F_VEC_cols] = v.cols;
    uint64_t dcols = op == ISA_VREDUCE ? 1 : v.cols;
    uint64_t dstr = dcols + (uint64_t)th_rand_int(0, 5), s0str = v.cols + (uint64_t)th_rand_int(0, 5);
    uint64_t s1str = v.bc == ISA_BC_COL ? (uint64_t)th_rand_int(1, 5) : v.cols + (uint64_t)th_rand_int(0, 5);
    in->f[ISA_F_VEC_dst_stride] = dstr;
    in->f[ISA_F_VEC_src0_stride] = s0str;
    in->f[ISA_F_VEC_src1_stride] = s1str;
    in->f[ISA_F_VEC_dspace] = (uint64_t)v.ds;
    in->f[ISA_F_VEC_s0space] = (uint64_t)v.s0s;
    in->f[ISA_F_VEC_s1space] = (uint64_t)v.s1s;
    in->f[ISA_F_VEC_dst] = place(v.ds, v.dt, v.rows, dstr, dcols, 0);
    in->f[ISA_F_VEC_src0] = place(v.s0s, v.st, v.rows, s0str, v.cols, 1);
    in->f[ISA_F_VEC_src1] = place(v.s1s, v.st, v.bc == ISA_BC_ROW ? 1 : v.rows, s1str,
                                  v.bc == ISA_BC_COL ? 1 : v.cols, 2);
    if (op == ISA_VACT) {
        in->f[ISA_F_VEC_func] = (uint64_t)th_rand_int(0, ISA_ACT_COUNT - 1);
        in->f[ISA_F_VEC_imm] = u_of(th_rand_float(-1.0f, 1.0f));
    } else if (op == ISA_VREDUCE) {
        in->f[ISA_F_VEC_func] = (uint64_t)th_rand_int(0, ISA_RED_COUNT - 1);
    } else {
        in->f[ISA_F_VEC_imm] = is_float_dt(op == ISA_VFILL ? v.dt : v.st) ? u_of(th_rand_float(-300.0f, 300.0f))
                                                                          : (uint32_t)th_rand_u64();
    }
    sim_mem m = mem_new();
    fill_region(&m, v.s0s, in->f[ISA_F_VEC_src0], v.rows, v.cols, s0str, v.st);
    fill_region(&m, v.s1s, in->f[ISA_F_VEC_src1], v.bc == ISA_BC_ROW ? 1 : v.rows, v.bc == ISA_BC_COL ? 1 : v.cols,
                s1str, v.st);
    sim_mem want = mem_clone(&m);
    bool fdom = is_float_dt(v.st) || (op == ISA_VACT && in->f[ISA_F_VEC_func] > ISA_ACT_RELU6);
    for (uint64_t r = 0; r < v.rows; r++) {
        if (op == ISA_VREDUCE) {
            int f = (int)in->f[ISA_F_VEC_func];
            float lanes[16];
            int64_t acc = f == ISA_RED_SUM ? 0 : f == ISA_RED_MAX ? INT64_MIN : INT64_MAX;
            for (int j = 0; j < 16; j++) lanes[j] = f == ISA_RED_SUM ? 0.0f : f == ISA_RED_MAX ? -INFINITY : INFINITY;
            for (uint64_t c = 0; c < v.cols; c++) {
                rval a = ref_load(v.st, elem(&m, v.s0s, in->f[ISA_F_VEC_src0], r, c, s0str, v.st));
                float *l = &lanes[c % 16];
                if (a.isf) *l = f == ISA_RED_SUM ? *l + a.f : f == ISA_RED_MAX ? ref_fmax(*l, a.f) : ref_fmin(*l, a.f);
                else acc = f == ISA_RED_SUM ? acc + a.i : f == ISA_RED_MAX ? TS_MAX(acc, a.i) : TS_MIN(acc, a.i);
            }
            for (int h = 8; h >= 1; h /= 2)
                for (int j = 0; j < h; j++)
                    lanes[j] = f == ISA_RED_SUM ? lanes[j] + lanes[j + h]
                             : f == ISA_RED_MAX ? ref_fmax(lanes[j], lanes[j + h]) : ref_fmin(lanes[j], lanes[j + h]);
            rval o = {is_float_dt(v.st), lanes[0], acc};
            if (v.cols) ref_store(v.dt, elem(&want, v.ds, in->f[ISA_F_VEC_dst], r, 0, dstr, v.dt), o);
            continue;
        }
        for (uint64_t c = 0; c < v.cols; c++) {
            uint8_t *d = elem(&want, v.ds, in->f[ISA_F_VEC_dst], r, c, dstr, v.dt);
            if (op == ISA_VFILL) {
                uint32_t imm = (uint32_t)in->f[ISA_F_VEC_imm];
                rval o = {is_float_dt(v.dt), f_of(imm), (int32_t)imm};
                ref_store(v.dt, d, o);
                continue;
            }
            const uint8_t *s0p = elem(&m, v.s0s, in->f[ISA_F_VEC_src0], r, c, s0str, v.st);
            rval a = ref_load(v.st, s0p), o = a;
            if (op == ISA_VMOV) {
                if (v.st == v.dt) { memcpy(d, s0p, esize(v.dt)); continue; }
            } else if (op == ISA_VACT) {
                int f = (int)in->f[ISA_F_VEC_func];
                if (fdom) { o.isf = true; o.f = ref_act(f, a.isf ? a.f : (float)a.i, f_of((uint32_t)in->f[ISA_F_VEC_imm])); }
                else { o.i = a.i > 0 ? a.i : 0; if (f == ISA_ACT_RELU6 && o.i > 6) o.i = 6; }
            } else {
                rval b;
                if (v.bc == ISA_BC_SCALAR) {
                    uint32_t imm = (uint32_t)in->f[ISA_F_VEC_imm];
                    b.isf = a.isf; b.f = f_of(imm); b.i = (int32_t)imm;
                } else {
                    b = ref_load(v.st, elem(&m, v.s1s, in->f[ISA_F_VEC_src1], v.bc == ISA_BC_ROW ? 0 : r,
                                            v.bc == ISA_BC_COL ? 0 : c, s1str, v.st));
                }
                if (a.isf) {
                    o.f = op == ISA_VADD ? a.f + b.f : op == ISA_VSUB ? a.f - b.f : op == ISA_VMUL ? a.f * b.f
                        : op == ISA_VDIV ? a.f / b.f : op == ISA_VMAX ? ref_fmax(a.f, b.f) : ref_fmin(a.f, b.f);
                } else {
                    o.i = op == ISA_VADD ? a.i + b.i : op == ISA_VSUB ? a.i - b.i : op == ISA_VMUL ? a.i * b.i
                        : op == ISA_VMAX ? TS_MAX(a.i, b.i) : TS_MIN(a.i, b.i);
                }
            }
            ref_store(v.dt, d, o);
        }
    }
    char what[64];
    snprintf(what, sizeof what, "%s st=%d dt=%d bc=%d func=%d", isa_op_info((unsigned)op)->name, v.st, v.dt, v.bc,
             (int)in->f[ISA_F_VEC_func]);
    check_all_paths(in, &m, &want, what);
    mem_free(&want);
    mem_free(&m);
}

TEST(vector_binary_ops) {
    for (int op = ISA_VADD; op <= ISA_VDIV; op++)
        for (int it = 0; it < 12; it++) vec_case(op);
}

TEST(vector_vmov_conversions) { for (int it = 0; it < 40; it++) vec_case(ISA_VMOV); }
TEST(vector_vact) { for (int it = 0; it < 60; it++) vec_case(ISA_VACT); }
TEST(vector_vreduce) { for (int it = 0; it < 30; it++) vec_case(ISA_VREDUCE); }
TEST(vector_vfill) { for (int it = 0; it < 20; it++) vec_case(ISA_VFILL); }

/* ---- VREQUANT ---- */

static int64_t ref_requant(int32_t x, int32_t mult, int shift, int32_t zp, int dt) {
    __int128 p = (__int128)x * mult, q = p, two_s = (__int128)1 << shift;
    if (shift > 0) {
        __int128 fl = p >= 0 ? p / two_s : -((-p + two_s - 1) / two_s);  /* floor */
        __int128 rem = p - fl * two_s, half = two_s / 2;
        q = fl + ((rem > half || (rem == half && (fl & 1))) ? 1 : 0);
    }
    __int128 r = q + zp;
    int64_t lo, hi;
    int_range(dt, &lo, &hi);
    return r < lo ? lo : r > hi ? hi : (int64_t)r;
}

static void requant_case(bool per_col, bool ties) {
    static const int dts[4] = {ISA_DT_INT8, ISA_DT_UINT8, ISA_DT_INT16, ISA_DT_INT32};
    sim_mem m = mem_new();
    isa_inst in = {.op = ISA_VREQUANT};
    int dt = dts[th_rand_int(0, 3)], ds = dt == ISA_DT_INT32 ? th_rand_int(0, 1) : 0, ss = th_rand_int(0, 1);
    uint64_t rows = (uint64_t)th_rand_int(0, 6), cols = (uint64_t)th_rand_int(0, 600);
    uint64_t dstr = cols + (uint64_t)th_rand_int(0, 3), sstr = cols + (uint64_t)th_rand_int(0, 3);
    in.f[ISA_F_RQ_mode] = per_col;
    in.f[ISA_F_RQ_dtype] = (uint64_t)dt;
    in.f[ISA_F_RQ_rows] = rows;
    in.f[ISA_F_RQ_cols] = cols;
    in.f[ISA_F_RQ_dst_stride] = dstr;
    in.f[ISA_F_RQ_src0_stride] = sstr;
    in.f[ISA_F_RQ_dspace] = (uint64_t)ds;
    in.f[ISA_F_RQ_s0space] = (uint64_t)ss;
    in.f[ISA_F_RQ_dst] = place(ds, dt, rows, dstr, cols, 0);
    in.f[ISA_F_RQ_src0] = place(ss, ISA_DT_INT32, rows, sstr, cols, 1);
    in.f[ISA_F_RQ_params] = 2 * (SRAM_BYTES / 3) + (uint64_t)th_rand_int(0, 100);
    int32_t mult = (int32_t)th_rand_u64();
    int shift = th_rand_int(0, 62);
    int32_t zp = (int16_t)th_rand_u64();
    if (ties) { mult = 1; shift = th_rand_int(1, 4); }  /* x / 2^s: exact halves */
    in.f[ISA_F_RQ_mult] = (uint32_t)mult;
    in.f[ISA_F_RQ_shift] = (uint64_t)shift;
    in.f[ISA_F_RQ_zp] = (uint16_t)zp;
    for (uint64_t c = 0; c < cols; c++) {
        uint8_t *rec = m.sram + in.f[ISA_F_RQ_params] + 12 * c;
        int32_t cm = ties ? 1 : (int32_t)th_rand_u64(), cs = ties ? th_rand_int(1, 3) : th_rand_int(0, 62);
        if (!ties && th_rand_int(0, 1)) { cm = th_rand_int(1 << 29, 1 << 30); cs = th_rand_int(30, 40); }
        wr32(rec, cm);
        wr32(rec + 4, cs);
        wr32(rec + 8, th_rand_int(-300, 300));
    }
    if (!ties && th_rand_int(0, 1)) { mult = th_rand_int(1 << 29, 1 << 30); shift = th_rand_int(30, 40);
        in.f[ISA_F_RQ_mult] = (uint32_t)mult; in.f[ISA_F_RQ_shift] = (uint64_t)shift; }
    if (ties)  /* small values so that halves and saturation both occur */
        for (uint64_t r = 0; r < rows; r++)
            for (uint64_t c = 0; c < cols; c++) wr32(elem(&m, ss, in.f[ISA_F_RQ_src0], r, c, sstr, ISA_DT_INT32), th_rand_int(-1200, 1200));
    sim_mem want = mem_clone(&m);
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++) {
            int32_t x = rd32(elem(&m, ss, in.f[ISA_F_RQ_src0], r, c, sstr, ISA_DT_INT32));
            const uint8_t *rec = m.sram + in.f[ISA_F_RQ_params] + 12 * c;
            int64_t v = per_col ? ref_requant(x, rd32(rec), rd32(rec + 4), rd32(rec + 8), dt) : ref_requant(x, mult, shift, zp, dt);
            rval o = {false, 0, v};
            ref_store(dt, elem(&want, ds, in.f[ISA_F_RQ_dst], r, c, dstr, dt), o);
        }
    check_all_paths(&in, &m, &want, per_col ? "VREQUANT per_column" : "VREQUANT per_tensor");
    mem_free(&want);
    mem_free(&m);
}

TEST(vrequant) {
    for (int it = 0; it < 25; it++) {
        requant_case(false, false);
        requant_case(true, false);
        requant_case(it & 1, true);
    }
}

TEST(vrequant_rounding_examples) {
    /* ties go to even: 5/2 -> 2, 7/2 -> 4, -5/2 -> -2, -7/2 -> -4; 3/4 -> 1; saturation */
    CHECK(ref_requant(5, 1, 1, 0, ISA_DT_INT32) == 2 && ref_requant(7, 1, 1, 0, ISA_DT_INT32) == 4);
    CHECK(ref_requant(-5, 1, 1, 0, ISA_DT_INT32) == -2 && ref_requant(-7, 1, 1, 0, ISA_DT_INT32) == -4);
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    int32_t xs[8] = {5, 7, -5, -7, 3, 1000, -1000, 0};
    memcpy(m.sram, xs, sizeof xs);
    isa_inst in = {.op = ISA_VREQUANT};
    in.f[ISA_F_RQ_dtype] = ISA_DT_INT8;
    in.f[ISA_F_RQ_rows] = 1;
    in.f[ISA_F_RQ_cols] = 8;
    in.f[ISA_F_RQ_dst] = 100;
    in.f[ISA_F_RQ_mult] = 1;
    in.f[ISA_F_RQ_shift] = 1;
    in.f[ISA_F_RQ_zp] = (uint16_t)-1;
    for (int p = 0; p < n_paths(); p++) {
        sim_kernel_force_path((sim_kernel_path)p);
        CHECK(sim_exec(&in, &m, &chip) == TS_OK);
        int8_t want[8] = {1, 3, -3, -5, 1, 127, -128, -1};
        CHECK(!memcmp(m.sram + 100, want, 8));
    }
    sim_kernel_force_path(sim_kernel_path_best());
    in.f[ISA_F_RQ_shift] = 63;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE);
    in.f[ISA_F_RQ_shift] = 1;
    in.f[ISA_F_RQ_dtype] = ISA_DT_FP32;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID);
    in.f[ISA_F_RQ_dtype] = ISA_DT_INT8;
    in.f[ISA_F_RQ_mode] = ISA_RQ_PER_COLUMN;
    in.f[ISA_F_RQ_params] = 200;
    for (int c = 0; c < 8; c++) { wr32(m.sram + 200 + 12 * c, 1); wr32(m.sram + 204 + 12 * c, c == 5 ? 70 : 1); }
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE && strstr(ts_last_error(), "column 5"));
    in.f[ISA_F_RQ_params] = SRAM_BYTES - 12 * 8 + 1;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE && strstr(ts_last_error(), "params"));
    mem_free(&m);
}

/* ---- conversions and special values, by hand ---- */

TEST(conversion_examples) {
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    float xs[12] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 127.5f, 128.0f, -129.0f, NAN, INFINITY, -INFINITY, 3.49f};
    memcpy(m.sram, xs, sizeof xs);
    isa_inst in = {.op = ISA_VMOV};
    in.f[ISA_F_VEC_stype] = ISA_DT_FP32;
    in.f[ISA_F_VEC_dtype] = ISA_DT_INT8;
    in.f[ISA_F_VEC_rows] = 1;
    in.f[ISA_F_VEC_cols] = 12;
    in.f[ISA_F_VEC_dst] = 1000;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    int8_t want[12] = {0, 2, 2, 0, -2, 127, 127, -128, 0, 127, -128, 3};
    CHECK(!memcmp(m.sram + 1000, want, 12));
    /* fp32 -> bf16: ties to even, NaN canonical */
    uint32_t bits[4] = {0x3f808000u, 0x3f818000u, 0x7f7fffffu, 0xffc12345u};
    memcpy(m.sram, bits, sizeof bits);
    in.f[ISA_F_VEC_dtype] = ISA_DT_BF16;
    in.f[ISA_F_VEC_cols] = 4;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    uint16_t wb[4] = {0x3f80, 0x3f82, 0x7f80, 0x7fc0};
    CHECK(!memcmp(m.sram + 1000, wb, 8));
    /* int32 saturating add, int8 saturating mul */
    int32_t a[2] = {INT32_MAX, INT32_MIN}, b[2] = {1, -1};
    memcpy(m.sram, a, 8);
    memcpy(m.sram + 8, b, 8);
    in.op = ISA_VADD;
    in.f[ISA_F_VEC_stype] = in.f[ISA_F_VEC_dtype] = ISA_DT_INT32;
    in.f[ISA_F_VEC_cols] = 2;
    in.f[ISA_F_VEC_src1] = 8;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    CHECK(rd32(m.sram + 1000) == INT32_MAX && rd32(m.sram + 1004) == INT32_MIN);
    /* maximum(-0, +0) = +0, minimum = -0 */
    float z[2] = {-0.0f, 0.0f};
    memcpy(m.sram, z, 4);
    memcpy(m.sram + 8, z + 1, 4);
    in.op = ISA_VMAX;
    in.f[ISA_F_VEC_stype] = in.f[ISA_F_VEC_dtype] = ISA_DT_FP32;
    in.f[ISA_F_VEC_cols] = 1;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK && rd32(m.sram + 1000) == 0);
    in.op = ISA_VMIN;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK && (uint32_t)rd32(m.sram + 1000) == 0x80000000u);
    mem_free(&m);
}

/* The activation algorithms are close to the true functions. */
TEST(activation_accuracy) {
    struct { int f; double (*ref)(double); float lo, hi; double rel, abs; } cases[] = {
        {ISA_ACT_EXP, exp, -87.0f, 88.0f, 3e-7, 0},
        {ISA_ACT_TANH, tanh, -10.0f, 10.0f, 1e-6, 1e-7},
        {ISA_ACT_LOG, log, 1e-30f, 1e30f, 3e-7, 1e-7},
        {ISA_ACT_SQRT, sqrt, 0.0f, 1e6f, 1e-7, 0},
    };
    for (size_t c = 0; c < TS_ARRAY_LEN(cases); c++)
        for (int i = 0; i < 20000; i++) {
            float x = th_rand_float(cases[c].lo, cases[c].hi);
            if (cases[c].f == ISA_ACT_LOG) x = expf(th_rand_float(-69.0f, 69.0f));
            double want = cases[c].ref((double)x), got = ref_act(cases[c].f, x, 0);
            CHECK_MSG(fabs(got - want) <= cases[c].rel * fabs(want) + cases[c].abs, "func %d x=%.9g got %.9g want %.9g",
                      cases[c].f, (double)x, got, want);
        }
    for (int i = 0; i < 20000; i++) {
        float x = th_rand_float(-12.0f, 12.0f);
        double sig = 1.0 / (1.0 + exp(-(double)x)), gelu = 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
        CHECK_MSG(fabs(ref_act(ISA_ACT_SIGMOID, x, 0) - sig) <= 3e-7 * sig + 1e-9, "sigmoid(%g)", (double)x);
        CHECK_MSG(fabs(ref_act(ISA_ACT_GELU, x, 0) - gelu) <= 2e-6 * fabs(x) + 1e-7, "gelu(%g)", (double)x);
    }
    CHECK(ref_act(ISA_ACT_EXP, 0.0f, 0) == 1.0f);
    CHECK(ref_act(ISA_ACT_LOG, 1.0f, 0) == 0.0f);
    CHECK(ref_act(ISA_ACT_TANH, 1e-30f, 0) == 1e-30f);
}

/* Sources are read before dst is written, whatever the overlap. */
TEST(vector_overlap_reads_sources_first) {
    arch_chip chip = test_chip();
    for (int shift = -3; shift <= 3; shift++) {
        sim_mem m = mem_new();
        isa_inst in = {.op = ISA_VADD};
        in.f[ISA_F_VEC_stype] = in.f[ISA_F_VEC_dtype] = ISA_DT_INT32;
        in.f[ISA_F_VEC_rows] = 3;
        in.f[ISA_F_VEC_cols] = 600;
        in.f[ISA_F_VEC_dst_stride] = in.f[ISA_F_VEC_src0_stride] = 600;
        in.f[ISA_F_VEC_src0] = 4000;
        in.f[ISA_F_VEC_dst] = (uint64_t)(4000 + 4 * shift);
        in.f[ISA_F_VEC_bcast] = ISA_BC_SCALAR;
        in.f[ISA_F_VEC_imm] = 1;
        sim_mem want = mem_clone(&m);
        for (int i = 0; i < 1800; i++) {
            int64_t v = (int64_t)rd32(m.sram + 4000 + 4 * i) + 1;
            wr32(want.sram + 4000 + 4 * shift + 4 * i, v > INT32_MAX ? INT32_MAX : (int32_t)v);
        }
        CHECK(sim_exec(&in, &m, &chip) == TS_OK);
        CHECK(mem_equal(&m, &want, "overlap"));
        mem_free(&want);
        mem_free(&m);
    }
}

TEST(vector_rejects_bad_operands) {
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    isa_inst in = {.op = ISA_VADD};
    in.f[ISA_F_VEC_stype] = in.f[ISA_F_VEC_dtype] = ISA_DT_INT8;
    in.f[ISA_F_VEC_rows] = 2;
    in.f[ISA_F_VEC_cols] = 10;
    in.f[ISA_F_VEC_dst_stride] = in.f[ISA_F_VEC_src0_stride] = in.f[ISA_F_VEC_src1_stride] = 10;
    CHECK(sim_exec(&in, &m, &chip) == TS_OK);
    in.f[ISA_F_VEC_dspace] = ISA_SP_ACC;  /* int8 cannot live in ACC */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID && strstr(ts_last_error(), "dst"));
    in.f[ISA_F_VEC_dspace] = 0;
    in.f[ISA_F_VEC_src1] = SRAM_BYTES - 19;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE && strstr(ts_last_error(), "src1"));
    in.f[ISA_F_VEC_src1] = 0;
    in.f[ISA_F_VEC_src0_stride] = 0xffff;
    in.f[ISA_F_VEC_rows] = 0xffff;
    in.f[ISA_F_VEC_src0] = 0xffffffffu;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE && strstr(ts_last_error(), "src0"));
    in.f[ISA_F_VEC_src0] = 0;
    in.f[ISA_F_VEC_rows] = 2;
    in.f[ISA_F_VEC_src0_stride] = 10;
    in.f[ISA_F_VEC_dst_stride] = 5;  /* dst rows overlap */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID);
    in.f[ISA_F_VEC_dst_stride] = 10;
    in.op = ISA_VDIV;  /* integer division is not an instruction */
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_INVALID);
    in.op = ISA_VADD;
    in.f[ISA_F_VEC_s1space] = ISA_SP_ACC;
    in.f[ISA_F_VEC_stype] = ISA_DT_INT32;
    in.f[ISA_F_VEC_src1] = ACC_BYTES / 4 - 19;
    CHECK(sim_exec(&in, &m, &chip) == TS_ERR_RANGE && strstr(ts_last_error(), "ACC"));
    mem_free(&m);
}

/* Found by fuzz_exec: a column-broadcast bf16 src1 at the very end of SRAM
 * must read only its own 2 bytes (the sanitizer build checks the bound). */
TEST(vector_col_bcast_reads_only_its_element) {
    sim_mem m = mem_new();
    arch_chip chip = test_chip();
    isa_inst in = {.op = ISA_VMUL};
    in.f[ISA_F_VEC_stype] = in.f[ISA_F_VEC_dtype] = ISA_DT_BF16;
    in.f[ISA_F_VEC_rows] = 1;
    in.f[ISA_F_VEC_cols] = 3;
    in.f[ISA_F_VEC_bcast] = ISA_BC_COL;
    in.f[ISA_F_VEC_src1] = SRAM_BYTES - 2;
    wr16(m.sram + SRAM_BYTES - 2, 0x4000);  /* 2.0 */
    uint16_t x[3] = {0x3f80, 0xbf80, 0x4040}, want[3] = {0x4000, 0xc000, 0x40c0};
    memcpy(m.sram, x, sizeof x);
    in.f[ISA_F_VEC_dst] = 64;
    for (int p = 0; p < n_paths(); p++) {
        sim_kernel_force_path((sim_kernel_path)p);
        CHECK(sim_exec(&in, &m, &chip) == TS_OK);
        CHECK(!memcmp(m.sram + 64, want, sizeof want));
    }
    sim_kernel_force_path(sim_kernel_path_best());
    mem_free(&m);
}

TEST_MAIN()

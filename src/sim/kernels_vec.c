/*
 * kernels_vec.c: the vector unit's row kernels: loads with conversion to the
 * compute type, elementwise ops, activations, requantization, stores with
 * conversion. Every formula is written once, as plain C on one element
 * (docs/isa.md states the same operations in the same order), and compiled
 * three times, for the baseline ISA, AVX2 and AVX-512, by target attributes
 * on small wrapper functions. The compiler may vectorize the loops but never
 * reorders or fuses float operations (ISO C mode: -ffp-contract=off), so the
 * three paths give identical bits.
 */
#include <math.h>
#include <string.h>

#include "isa/isa.h"
#include "sim/kernels.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
/* -O2 vectorizes only loops that need no remainder handling; these loops
 * run over any n, so let the cost model decide. Vectorizing never changes
 * a float result here (no reassociation, no contraction). */
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif


INLINE float fbits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
INLINE uint32_t ubits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
INLINE bool is_nan(float x) { return x != x; }

/* ---- conversions (docs/isa.md "Conversions") -------------------------------- */

INLINE float bf16_to_f32(uint16_t h) { return fbits((uint32_t)h << 16); }

/* Round to nearest even; NaN becomes the canonical quiet NaN 0x7fc0. */
INLINE uint16_t f32_to_bf16(float f) {
    uint32_t u = ubits(f);
    uint16_t r = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    return is_nan(f) ? (uint16_t)0x7fc0 : r;
}

/* Nearest integer, ties to even, as a float (exact for every float). */
INLINE float round_even(float x) {
    float ax = fabsf(x);
    float r = (ax + 8388608.0f) - 8388608.0f;  /* 2^23: the add rounds to an integer, ties even */
    r = ax < 8388608.0f ? r : ax;
    return copysignf(r, x);
}

/* fp32 -> integer in [lo, hi]: round ties to even, saturate, NaN -> 0.
 * lo and hi are floats equal to (or, for int32, just inside) the bounds. */
INLINE int64_t f32_to_int(float x, float lo, float hi, int64_t ilo, int64_t ihi) {
    float r = round_even(is_nan(x) ? 0.0f : x);
    float c = r < lo ? lo : (r > hi ? hi : r);
    int64_t v = (int64_t)c;
    v = r < lo ? ilo : v;
    return r > hi ? ihi : v;
}

INLINE int64_t sat64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ---- activations (docs/isa.md "Activation functions") ------------------------ */

/* exp: range reduction x = k*ln2 + r, |r| <= ln2/2, degree-7 Taylor
 * polynomial in Horner form, scaling by 2^k in two steps. */
INLINE float f_exp(float x) {
    float xc = is_nan(x) ? 0.0f : x;
    xc = xc > 88.8f ? 88.8f : xc;
    xc = xc < -104.0f ? -104.0f : xc;
    float t = xc * 1.44269502f;
    float kf = (t + 12582912.0f) - 12582912.0f;       /* 1.5 * 2^23: round to nearest even */
    float r = xc - kf * 0.693145751953125f;           /* ln2 high part: kf * it is exact */
    r = r - kf * 1.42860677e-06f;                     /* ln2 low part */
    float p = 1.98412701e-04f;                        /* 1/5040 */
    p = p * r + 1.38888892e-03f;                      /* 1/720 */
    p = p * r + 8.33333377e-03f;                      /* 1/120 */
    p = p * r + 4.16666679e-02f;                      /* 1/24 */
    p = p * r + 1.66666672e-01f;                      /* 1/6 */
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t k = (int32_t)kf;
    int32_t k1 = k / 2, k2 = k - k1;                  /* each in [-75, 64]: 2^ki is a normal float */
    float y = (p * fbits((uint32_t)(k1 + 127) << 23)) * fbits((uint32_t)(k2 + 127) << 23);
    y = x > 88.8f ? INFINITY : y;
    y = x < -104.0f ? 0.0f : y;
    return is_nan(x) ? x : y;
}

/* exp(y) - 1 without cancellation near 0: Taylor to y^9 for |y| < 0.5. */
INLINE float f_expm1(float y) {
    float p = 2.75573188e-06f;                        /* 1/9! */
    p = p * y + 2.48015876e-05f;                      /* 1/8! */
    p = p * y + 1.98412701e-04f;                      /* 1/7! */
    p = p * y + 1.38888892e-03f;                      /* 1/6! */
    p = p * y + 8.33333377e-03f;                      /* 1/5! */
    p = p * y + 4.16666679e-02f;                      /* 1/4! */
    p = p * y + 1.66666672e-01f;                      /* 1/3! */
    p = p * y + 0.5f;
    p = p * y;
    p = p * y + y;
    float e = f_exp(y) - 1.0f;
    return fabsf(y) < 0.5f ? p : e;
}

INLINE float f_sigmoid(float x) { return 1.0f / (1.0f + f_exp(-x)); }

INLINE float f_tanh(float x) {
    float ax = fabsf(x);
    float em = f_expm1(2.0f * (ax > 9.0f ? 9.0f : ax));
    float t = em / (em + 2.0f);
    t = ax > 9.0f ? 1.0f : t;
    return is_nan(x) ? x : copysignf(t, x);
}

/* erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), then
 * gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2))). */
INLINE float f_gelu(float x) {
    float z = fabsf(x) * 0.707106769f;
    float t = 1.0f / (1.0f + 0.3275911f * z);
    float q = 1.061405429f;
    q = q * t + -1.453152027f;
    q = q * t + 1.421413741f;
    q = q * t + -0.284496736f;
    q = q * t + 0.254829592f;
    q = q * t;
    float e = f_exp(-(z * z));
    float erfz = 1.0f - q * e;
    float s = copysignf(erfz, x);
    float y = (0.5f * x) * (1.0f + s);
    return x == -INFINITY ? -0.0f : y;
}

/* log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f),
 * log(m) = 2s + 2s*(s^2/3 + s^4/5 + s^6/7 + s^8/9), plus e*ln2 in two parts. */
INLINE float f_log(float x) {
    bool sub = x < 1.17549435e-38f;                  /* subnormal (or <= 0): scale by 2^23 */
    float xs = sub ? x * 8388608.0f : x;
    uint32_t u = ubits(xs);
    int32_t e = (int32_t)((u >> 23) & 0xff) - 127 - (sub ? 23 : 0);
    float m = fbits((u & 0x7fffffu) | 0x3f800000u);
    bool big = m > 1.41421354f;
    m = big ? m * 0.5f : m;
    e = big ? e + 1 : e;
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float r = 0.111111112f;                          /* 1/9 */
    r = r * z + 0.142857149f;                        /* 1/7 */
    r = r * z + 0.200000003f;                        /* 1/5 */
    r = r * z + 0.333333343f;                        /* 1/3 */
    r = r * z;
    float ls = 2.0f * s;
    float l = ls + ls * r;
    float ef = (float)e;
    float y = ef * 0.693145751953125f + (l + ef * 1.42860677e-06f);
    y = x == INFINITY ? INFINITY : y;
    y = x == 0.0f ? -INFINITY : y;
    y = x < 0.0f ? NAN : y;
    return is_nan(x) ? x : y;
}

INLINE float f_relu(float x) { return x > 0.0f ? x : (is_nan(x) ? x : 0.0f); }
INLINE float f_clamp01(float t) { return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t); }

INLINE float f_act(unsigned func, float x, float param) {
    switch (func) {
    case ISA_ACT_RELU: return f_relu(x);
    case ISA_ACT_RELU6: { float r = f_relu(x); return r > 6.0f ? 6.0f : r; }
    case ISA_ACT_SIGMOID: return f_sigmoid(x);
    case ISA_ACT_TANH: return f_tanh(x);
    case ISA_ACT_GELU: return f_gelu(x);
    case ISA_ACT_EXP: return f_exp(x);
    case ISA_ACT_RSQRT: return 1.0f / sqrtf(x);
    case ISA_ACT_RECIP: return 1.0f / x;
    case ISA_ACT_HSWISH: { float t = x * 0.166666672f; t = t + 0.5f; return x * f_clamp01(t); }
    case ISA_ACT_HSIGMOID: { float t = x * param; t = t + 0.5f; return f_clamp01(t); }
    case ISA_ACT_SQRT: return sqrtf(x);
    case ISA_ACT_LOG: return f_log(x);
    case ISA_ACT_LEAKY: return x < 0.0f ? x * param : x;
    default: return x;
    }
}

float sim_f32_act(unsigned func, float x, float param) { return f_act(func, x, param); }

/* IEEE 754-2019 maximum / minimum: NaN if either is NaN, -0 < +0. */
INLINE float f_max(float a, float b) {
    float r = a > b ? a : b;
    r = a == b ? fbits(ubits(a) & ubits(b)) : r;
    return is_nan(a) || is_nan(b) ? NAN : r;
}
INLINE float f_min(float a, float b) {
    float r = a < b ? a : b;
    r = a == b ? fbits(ubits(a) | ubits(b)) : r;
    return is_nan(a) || is_nan(b) ? NAN : r;
}

/* ---- the generic row bodies --------------------------------------------------------- */

INLINE void g_load_f32(unsigned dt, const uint8_t *p, float *o, int n) {
    switch (dt) {
    case ISA_DT_INT8: for (int i = 0; i < n; i++) o[i] = (float)(int8_t)p[i]; break;
    case ISA_DT_UINT8: for (int i = 0; i < n; i++) o[i] = (float)p[i]; break;
    case ISA_DT_INT16: for (int i = 0; i < n; i++) { int16_t v; memcpy(&v, p + 2 * i, 2); o[i] = (float)v; } break;
    case ISA_DT_INT32: for (int i = 0; i < n; i++) { int32_t v; memcpy(&v, p + 4 * i, 4); o[i] = (float)v; } break;
    case ISA_DT_BF16: for (int i = 0; i < n; i++) { uint16_t v; memcpy(&v, p + 2 * i, 2); o[i] = bf16_to_f32(v); } break;
    default: memcpy(o, p, (size_t)n * 4); break;
    }
}

INLINE void g_load_i32(unsigned dt, const uint8_t *p, int32_t *o, int n) {
    switch (dt) {
    case ISA_DT_INT8: for (int i = 0; i < n; i++) o[i] = (int8_t)p[i]; break;
    case ISA_DT_UINT8: for (int i = 0; i < n; i++) o[i] = p[i]; break;
    case ISA_DT_INT16: for (int i = 0; i < n; i++) { int16_t v; memcpy(&v, p + 2 * i, 2); o[i] = v; } break;
    default: memcpy(o, p, (size_t)n * 4); break;
    }
}

INLINE void g_store_f32(unsigned dt, const float *x, uint8_t *p, int n) {
    switch (dt) {
    case ISA_DT_INT8: for (int i = 0; i < n; i++) p[i] = (uint8_t)f32_to_int(x[i], -128.0f, 127.0f, -128, 127); break;
    case ISA_DT_UINT8: for (int i = 0; i < n; i++) p[i] = (uint8_t)f32_to_int(x[i], 0.0f, 255.0f, 0, 255); break;
    case ISA_DT_INT16:
        for (int i = 0; i < n; i++) {
            int16_t v = (int16_t)f32_to_int(x[i], -32768.0f, 32767.0f, -32768, 32767);
            memcpy(p + 2 * i, &v, 2);
        }
        break;
    case ISA_DT_INT32:
        for (int i = 0; i < n; i++) {
            int32_t v = (int32_t)f32_to_int(x[i], -2147483648.0f, 2147483520.0f, INT32_MIN, INT32_MAX);
            memcpy(p + 4 * i, &v, 4);
        }
        break;
    case ISA_DT_BF16: for (int i = 0; i < n; i++) { uint16_t v = f32_to_bf16(x[i]); memcpy(p + 2 * i, &v, 2); } break;
    default:
        for (int i = 0; i < n; i++) {
            uint32_t v = is_nan(x[i]) ? 0x7fc00000u : ubits(x[i]);
            memcpy(p + 4 * i, &v, 4);
        }
        break;
    }
}

INLINE void g_store_i64(unsigned dt, const int64_t *x, uint8_t *p, int n) {
    switch (dt) {
    case ISA_DT_INT8: for (int i = 0; i < n; i++) p[i] = (uint8_t)(int8_t)sat64(x[i], -128, 127); break;
    case ISA_DT_UINT8: for (int i = 0; i < n; i++) p[i] = (uint8_t)sat64(x[i], 0, 255); break;
    case ISA_DT_INT16:
        for (int i = 0; i < n; i++) { int16_t v = (int16_t)sat64(x[i], -32768, 32767); memcpy(p + 2 * i, &v, 2); }
        break;
    case ISA_DT_INT32:
        for (int i = 0; i < n; i++) { int32_t v = (int32_t)sat64(x[i], INT32_MIN, INT32_MAX); memcpy(p + 4 * i, &v, 4); }
        break;
    case ISA_DT_BF16:
        for (int i = 0; i < n; i++) { uint16_t v = f32_to_bf16((float)x[i]); memcpy(p + 2 * i, &v, 2); }
        break;
    default:
        for (int i = 0; i < n; i++) { float v = (float)x[i]; memcpy(p + 4 * i, &v, 4); }
        break;
    }
}

INLINE void g_binary_f32(unsigned op, const float *a, const float *b, float *o, int n) {
    switch (op) {
    case ISA_VADD: for (int i = 0; i < n; i++) o[i] = a[i] + b[i]; break;
    case ISA_VSUB: for (int i = 0; i < n; i++) o[i] = a[i] - b[i]; break;
    case ISA_VMUL: for (int i = 0; i < n; i++) o[i] = a[i] * b[i]; break;
    case ISA_VDIV: for (int i = 0; i < n; i++) o[i] = a[i] / b[i]; break;
    case ISA_VMAX: for (int i = 0; i < n; i++) o[i] = f_max(a[i], b[i]); break;
    case ISA_VMIN: for (int i = 0; i < n; i++) o[i] = f_min(a[i], b[i]); break;
    default: break;
    }
}

INLINE void g_binary_i64(unsigned op, const int32_t *a, const int32_t *b, int64_t *o, int n) {
    switch (op) {
    case ISA_VADD: for (int i = 0; i < n; i++) o[i] = (int64_t)a[i] + b[i]; break;
    case ISA_VSUB: for (int i = 0; i < n; i++) o[i] = (int64_t)a[i] - b[i]; break;
    case ISA_VMUL: for (int i = 0; i < n; i++) o[i] = (int64_t)a[i] * b[i]; break;
    case ISA_VMAX: for (int i = 0; i < n; i++) o[i] = a[i] > b[i] ? a[i] : b[i]; break;
    case ISA_VMIN: for (int i = 0; i < n; i++) o[i] = a[i] < b[i] ? a[i] : b[i]; break;
    default: break;
    }
}

INLINE void g_act_f32(unsigned func, float *x, int n, float param) {
    switch (func) {  /* one loop per function, so each can vectorize */
#define ACT_LOOP(F) case F: for (int i = 0; i < n; i++) x[i] = f_act(F, x[i], param); break;
    ACT_LOOP(ISA_ACT_RELU) ACT_LOOP(ISA_ACT_RELU6) ACT_LOOP(ISA_ACT_SIGMOID) ACT_LOOP(ISA_ACT_TANH)
    ACT_LOOP(ISA_ACT_GELU) ACT_LOOP(ISA_ACT_EXP) ACT_LOOP(ISA_ACT_RSQRT) ACT_LOOP(ISA_ACT_RECIP)
    ACT_LOOP(ISA_ACT_HSWISH) ACT_LOOP(ISA_ACT_HSIGMOID) ACT_LOOP(ISA_ACT_SQRT) ACT_LOOP(ISA_ACT_LOG)
    ACT_LOOP(ISA_ACT_LEAKY)
#undef ACT_LOOP
    default: break;
    }
}

INLINE void g_act_i64(unsigned func, const int32_t *x, int64_t *o, int n) {
    for (int i = 0; i < n; i++) {
        int64_t v = x[i] > 0 ? x[i] : 0;
        o[i] = func == ISA_ACT_RELU6 && v > 6 ? 6 : v;
    }
}

/* 16-lane fp32 reduction step: lane j folds in x[j], x[j+16], ... in order
 * (n need not be a multiple of 16; the caller keeps x aligned to lane 0). */
INLINE float red_op(unsigned func, float a, float b) {
    return func == ISA_RED_SUM ? a + b : func == ISA_RED_MAX ? f_max(a, b) : f_min(a, b);
}

INLINE void g_reduce_f32(unsigned func, const float *x, int n, float *lanes) {
    int i = 0;
    switch (func) {  /* one loop per kind, 16 lanes wide, so each vectorizes */
    case ISA_RED_SUM: for (; i + 16 <= n; i += 16) for (int j = 0; j < 16; j++) lanes[j] = lanes[j] + x[i + j]; break;
    case ISA_RED_MAX: for (; i + 16 <= n; i += 16) for (int j = 0; j < 16; j++) lanes[j] = f_max(lanes[j], x[i + j]); break;
    default: for (; i + 16 <= n; i += 16) for (int j = 0; j < 16; j++) lanes[j] = f_min(lanes[j], x[i + j]); break;
    }
    for (int j = 0; i + j < n; j++) lanes[j] = red_op(func, lanes[j], x[i + j]);
}

/* round(x * mult / 2^shift), ties to even, + zp. |x * mult| <= 2^62. */
INLINE int64_t requant_one(int32_t x, int32_t mult, int32_t shift, int32_t zp) {
    int64_t p = (int64_t)x * mult;
    int64_t q = p >> shift;                     /* arithmetic: floor(p / 2^shift) */
    int64_t rem = p - q * ((int64_t)1 << shift);  /* 0 <= rem < 2^shift */
    int64_t half = shift ? (int64_t)1 << (shift - 1) : 1;  /* shift 0: rem is 0, never rounds */
    q += (rem > half || (rem == half && (q & 1))) ? 1 : 0;
    return q + zp;
}

INLINE void g_requant(const int32_t *x, const int32_t *mult, const int32_t *shift, const int32_t *zp, bool per_col,
                      unsigned dt, int64_t *o, int n) {
    int64_t lo = dt == ISA_DT_INT8 ? -128 : dt == ISA_DT_UINT8 ? 0 : dt == ISA_DT_INT16 ? -32768 : INT32_MIN;
    int64_t hi = dt == ISA_DT_INT8 ? 127 : dt == ISA_DT_UINT8 ? 255 : dt == ISA_DT_INT16 ? 32767 : INT32_MAX;
    if (per_col)
        for (int i = 0; i < n; i++) o[i] = sat64(requant_one(x[i], mult[i], shift[i], zp[i]), lo, hi);
    else
        for (int i = 0; i < n; i++) o[i] = sat64(requant_one(x[i], mult[0], shift[0], zp[0]), lo, hi);
}

/* ---- three compilations and the dispatch ------------------------------------------- */

typedef struct vk_table {
    void (*load_f32)(unsigned, const uint8_t *, float *, int);
    void (*load_i32)(unsigned, const uint8_t *, int32_t *, int);
    void (*store_f32)(unsigned, const float *, uint8_t *, int);
    void (*store_i64)(unsigned, const int64_t *, uint8_t *, int);
    void (*binary_f32)(unsigned, const float *, const float *, float *, int);
    void (*binary_i64)(unsigned, const int32_t *, const int32_t *, int64_t *, int);
    void (*act_f32)(unsigned, float *, int, float);
    void (*act_i64)(unsigned, const int32_t *, int64_t *, int);
    void (*requant)(const int32_t *, const int32_t *, const int32_t *, const int32_t *, bool, unsigned, int64_t *, int);
    void (*reduce_f32)(unsigned, const float *, int, float *);
} vk_table;

#define VK_DEFINE(S, ATTR)                                                                                  \
    ATTR static void load_f32_##S(unsigned d, const uint8_t *p, float *o, int n) { g_load_f32(d, p, o, n); } \
    ATTR static void load_i32_##S(unsigned d, const uint8_t *p, int32_t *o, int n) { g_load_i32(d, p, o, n); } \
    ATTR static void store_f32_##S(unsigned d, const float *x, uint8_t *p, int n) { g_store_f32(d, x, p, n); } \
    ATTR static void store_i64_##S(unsigned d, const int64_t *x, uint8_t *p, int n) { g_store_i64(d, x, p, n); } \
    ATTR static void binary_f32_##S(unsigned op, const float *a, const float *b, float *o, int n) {         \
        g_binary_f32(op, a, b, o, n);                                                                        \
    }                                                                                                        \
    ATTR static void binary_i64_##S(unsigned op, const int32_t *a, const int32_t *b, int64_t *o, int n) {   \
        g_binary_i64(op, a, b, o, n);                                                                        \
    }                                                                                                        \
    ATTR static void act_f32_##S(unsigned f, float *x, int n, float prm) { g_act_f32(f, x, n, prm); }        \
    ATTR static void act_i64_##S(unsigned f, const int32_t *x, int64_t *o, int n) { g_act_i64(f, x, o, n); } \
    ATTR static void requant_##S(const int32_t *x, const int32_t *m, const int32_t *s, const int32_t *z,     \
                                 bool pc, unsigned d, int64_t *o, int n) {                                   \
        g_requant(x, m, s, z, pc, d, o, n);                                                                  \
    }                                                                                                        \
    ATTR static void reduce_f32_##S(unsigned f, const float *x, int n, float *l) { g_reduce_f32(f, x, n, l); } \
    static const vk_table vk_##S = {load_f32_##S, load_i32_##S, store_f32_##S, store_i64_##S,                \
                                    binary_f32_##S, binary_i64_##S, act_f32_##S, act_i64_##S, requant_##S,   \
                                    reduce_f32_##S};

VK_DEFINE(scalar, )
VK_DEFINE(avx2, TGT_AVX2)
VK_DEFINE(avx512, TGT_AVX512)

static const vk_table *vk(void) {
    switch (sim_kpath()) {
    case SIM_PATH_AVX512: return &vk_avx512;
    case SIM_PATH_AVX2: return &vk_avx2;
    default: return &vk_scalar;
    }
}

void sim_v_load_f32(unsigned dt, const uint8_t *p, float *out, int n) { vk()->load_f32(dt, p, out, n); }
void sim_v_load_i32(unsigned dt, const uint8_t *p, int32_t *out, int n) { vk()->load_i32(dt, p, out, n); }
void sim_v_store_f32(unsigned dt, const float *in, uint8_t *p, int n) { vk()->store_f32(dt, in, p, n); }
void sim_v_store_i64(unsigned dt, const int64_t *in, uint8_t *p, int n) { vk()->store_i64(dt, in, p, n); }
void sim_v_binary_f32(unsigned op, const float *a, const float *b, float *out, int n) {
    vk()->binary_f32(op, a, b, out, n);
}
void sim_v_binary_i64(unsigned op, const int32_t *a, const int32_t *b, int64_t *out, int n) {
    vk()->binary_i64(op, a, b, out, n);
}
void sim_v_act_f32(unsigned func, float *x, int n, float param) { vk()->act_f32(func, x, n, param); }
void sim_v_act_i64(unsigned func, const int32_t *x, int64_t *out, int n) { vk()->act_i64(func, x, out, n); }
void sim_v_requant(const int32_t *x, const int32_t *mult, const int32_t *shift, const int32_t *zp, bool per_col,
                   unsigned dt, int64_t *out, int n) {
    vk()->requant(x, mult, shift, zp, per_col, dt, out, n);
}

void sim_v_reduce_f32(unsigned func, const float *x, int n, float lanes[16]) { vk()->reduce_f32(func, x, n, lanes); }

/* lane[j] = lane[j] op lane[j+h] for h = 8, 4, 2, 1; returns lane[0]. */
float sim_v_reduce_fold(unsigned func, float lanes[16]) {
    for (int h = 8; h >= 1; h /= 2)
        for (int j = 0; j < h; j++) lanes[j] = red_op(func, lanes[j], lanes[j + h]);
    return lanes[0];
}

/* cpu kernels: unary math and activations, and Clip.
 *
 * Each op has a double function (every float dtype, and the reference for
 * float32 ones without a row loop) and, for the ops models use in their hot
 * paths, a float32 row loop. Integer inputs are accepted where ONNX lists
 * them (Abs Neg Sign Relu, Not on bool). */
#include "cpu/op_elementwise.h"

#include <math.h>
#include <string.h>

typedef struct ew_uprm {
    double alpha, beta, gamma;
    bool tanh_approx, det_pos, det_neg;
} ew_uprm;

typedef double (*ew_uf)(double x, const ew_uprm *p);
typedef void (*ew_uf32)(float *o, const float *x, int64_t n, const ew_uprm *p);

enum { EW_U_FLOAT = 0, EW_U_SIGNED = 1, EW_U_BOOL = 2, EW_U_TEST = 3 };

typedef struct ew_unop {
    const char *op;
    ew_uf f;
    ew_uf32 f32;
    int kind;          /* EW_U_SIGNED: ints too; EW_U_BOOL: Not; EW_U_TEST: float in, bool out */
    double alpha, beta, gamma;   /* attribute defaults */
} ew_unop;

/* ---- double functions ----------------------------------------------------- */

#define UF(NAME, EXPR) static double NAME(double x, const ew_uprm *p) { (void)p; return (EXPR); }
UF(abs_d, fabs(x))
UF(neg_d, -x)
UF(sqrt_d, sqrt(x))
UF(exp_d, exp(x))
UF(log_d, log(x))
UF(recip_d, 1.0 / x)
UF(floor_d, floor(x))
UF(ceil_d, ceil(x))
UF(round_d, nearbyint(x))      /* default rounding mode: half to even */
UF(sign_d, x > 0 ? 1.0 : x < 0 ? -1.0 : x)
UF(erf_d, erf(x))
UF(tanh_d, tanh(x))
UF(sigmoid_d, x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)))
UF(relu_d, x > 0 ? x : 0.0 * x)
UF(leaky_d, x < 0 ? p->alpha * x : x)
UF(elu_d, x < 0 ? p->alpha * (exp(x) - 1.0) : x)
UF(selu_d, x <= 0 ? p->gamma * (p->alpha * exp(x) - p->alpha) : p->gamma * x)
UF(hsig_d, fmax(0.0, fmin(1.0, p->alpha * x + p->beta)))
UF(hswish_d, x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5)))
UF(softplus_d, x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)))
UF(softsign_d, x / (1.0 + fabs(x)))
UF(sin_d, sin(x))
UF(cos_d, cos(x))
UF(tan_d, tan(x))
UF(asin_d, asin(x))
UF(acos_d, acos(x))
UF(atan_d, atan(x))
UF(sinh_d, sinh(x))
UF(cosh_d, cosh(x))
UF(asinh_d, asinh(x))
UF(acosh_d, acosh(x))
UF(atanh_d, atanh(x))
UF(thrrelu_d, x > p->alpha ? x : 0.0)
UF(celu_d, fmax(0.0, x) + fmin(0.0, p->alpha * (exp(x / p->alpha) - 1.0)))
UF(mish_d, x * tanh(x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))))
UF(shrink_d, x < -p->alpha ? x + p->beta : x > p->alpha ? x - p->beta : 0.0)
UF(not_d, x == 0 ? 1.0 : 0.0)
UF(isnan_d, isnan(x) ? 1.0 : 0.0)
UF(isinf_d, (isinf(x) && ((x > 0 && p->det_pos) || (x < 0 && p->det_neg))) ? 1.0 : 0.0)
#undef UF

static double gelu_d(double x, const ew_uprm *p) {
    if (p->tanh_approx)
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    return 0.5 * x * erfc(-x * 0.7071067811865476);   /* no cancellation for x << 0 */
}

/* ---- float32 rows --------------------------------------------------------- */

#define UF32(NAME, EXPR)                                                     \
    static void NAME(float *o, const float *in, int64_t n, const ew_uprm *p) { \
        (void)p;                                                             \
        for (int64_t i = 0; i < n; i++) { float x = in[i]; o[i] = (EXPR); }  \
    }
UF32(sqrt_f32, sqrtf(x))
UF32(log_f32, logf(x))
UF32(erf_f32, erff(x))
#undef UF32

/* Branch-free vector rows; the tail goes through a zero-padded vector. */
#define UV4(NAME, SETUP, VEXPR)                                              \
    static void NAME(float *o, const float *in, int64_t n, const ew_uprm *p) { \
        (void)p;                                                             \
        const cpu_ew_v4 zero = cpu_ew_splat(0.0f), one = cpu_ew_splat(1.0f); \
        (void)zero; (void)one;                                               \
        SETUP;                                                               \
        int64_t i = 0;                                                       \
        for (; i + 4 <= n; i += 4) {                                         \
            cpu_ew_v4 x = cpu_ew_ld(in + i);                                 \
            cpu_ew_st(o + i, (VEXPR));                                       \
        }                                                                    \
        if (i < n) {                                                         \
            float t[4] = {0, 0, 0, 0};                                       \
            memcpy(t, in + i, sizeof(float) * (size_t)(n - i));              \
            cpu_ew_v4 x = cpu_ew_ld(t);                                      \
            cpu_ew_st(t, (VEXPR));                                           \
            memcpy(o + i, t, sizeof(float) * (size_t)(n - i));              \
        }                                                                    \
    }

static inline cpu_ew_v4 ew_clamp01(cpu_ew_v4 v) {
    const cpu_ew_v4 zero = cpu_ew_splat(0.0f), one = cpu_ew_splat(1.0f);
    v = cpu_ew_sel(v < zero, zero, v);
    return cpu_ew_sel(v > one, one, v);
}

UV4(abs_f32, , (cpu_ew_v4)((cpu_ew_v4i)x & 0x7fffffff))
UV4(neg_f32, , -x)
UV4(recip_f32, , one / x)
UV4(relu_f32, , cpu_ew_sel(x < zero, zero, x))
UV4(leaky_f32, const cpu_ew_v4 a = cpu_ew_splat((float)p->alpha), cpu_ew_sel(x < zero, a * x, x))
UV4(hsig_f32, const cpu_ew_v4 a = cpu_ew_splat((float)p->alpha); const cpu_ew_v4 b = cpu_ew_splat((float)p->beta),
    ew_clamp01(a * x + b))
UV4(hswish_f32, const cpu_ew_v4 s = cpu_ew_splat(1.0f / 6.0f); const cpu_ew_v4 h = cpu_ew_splat(0.5f),
    x * ew_clamp01(x * s + h))
UV4(exp_f32, , cpu_ew_exp_v4(x))
UV4(sigmoid_f32, , one / (one + cpu_ew_exp_v4(-x)))
UV4(tanh_f32, , cpu_ew_tanh_v4(x))
#undef UV4

static void gelu_f32(float *o, const float *in, int64_t n, const ew_uprm *p) {
    if (p->tanh_approx) {
        for (int64_t i = 0; i < n; i++) {
            float x = in[i];
            o[i] = 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) o[i] = 0.5f * in[i] * erfcf(-in[i] * 0.70710678f);
}

static const ew_unop ew_unops[] = {
    {"Abs", abs_d, abs_f32, EW_U_SIGNED, 0, 0, 0},
    {"Neg", neg_d, neg_f32, EW_U_SIGNED, 0, 0, 0},
    {"Sign", sign_d, NULL, EW_U_SIGNED, 0, 0, 0},
    {"Relu", relu_d, relu_f32, EW_U_SIGNED, 0, 0, 0},
    {"Sqrt", sqrt_d, sqrt_f32, EW_U_FLOAT, 0, 0, 0},
    {"Exp", exp_d, exp_f32, EW_U_FLOAT, 0, 0, 0},
    {"Log", log_d, log_f32, EW_U_FLOAT, 0, 0, 0},
    {"Reciprocal", recip_d, recip_f32, EW_U_FLOAT, 0, 0, 0},
    {"Floor", floor_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Ceil", ceil_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Round", round_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Erf", erf_d, erf_f32, EW_U_FLOAT, 0, 0, 0},
    {"Tanh", tanh_d, tanh_f32, EW_U_FLOAT, 0, 0, 0},
    {"Sigmoid", sigmoid_d, sigmoid_f32, EW_U_FLOAT, 0, 0, 0},
    {"LeakyRelu", leaky_d, leaky_f32, EW_U_FLOAT, 0.01, 0, 0},
    {"Elu", elu_d, NULL, EW_U_FLOAT, 1.0, 0, 0},
    {"Selu", selu_d, NULL, EW_U_FLOAT, 1.67326319217681884765625, 0, 1.05070102214813232421875},
    {"HardSigmoid", hsig_d, hsig_f32, EW_U_FLOAT, 0.2, 0.5, 0},
    {"HardSwish", hswish_d, hswish_f32, EW_U_FLOAT, 0, 0, 0},
    {"Gelu", gelu_d, gelu_f32, EW_U_FLOAT, 0, 0, 0},
    {"Softplus", softplus_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Softsign", softsign_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Sin", sin_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Cos", cos_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Tan", tan_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Asin", asin_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Acos", acos_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Atan", atan_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Sinh", sinh_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Cosh", cosh_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Asinh", asinh_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Acosh", acosh_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Atanh", atanh_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"ThresholdedRelu", thrrelu_d, NULL, EW_U_FLOAT, 1.0, 0, 0},
    {"Celu", celu_d, NULL, EW_U_FLOAT, 1.0, 0, 0},
    {"Mish", mish_d, NULL, EW_U_FLOAT, 0, 0, 0},
    {"Shrink", shrink_d, NULL, EW_U_SIGNED, 0.5, 0.0, 0},
    {"Not", not_d, NULL, EW_U_BOOL, 0, 0, 0},
    {"IsNaN", isnan_d, NULL, EW_U_TEST, 0, 0, 0},
    {"IsInf", isinf_d, NULL, EW_U_TEST, 0, 0, 0},
};

/* ---- runs ------------------------------------------------------------------- */

/* Integer Abs/Neg/Sign/Relu work on int64 bits and wrap like numpy. */
static cpu_ew_val ew_int_unary(const char *op, cpu_ew_val v, cpu_ew_dom d) {
    cpu_ew_val r = v;
    bool neg = d == CPU_EW_I && v.i < 0;
    if (!strcmp(op, "Abs")) r.u = neg ? 0 - v.u : v.u;
    else if (!strcmp(op, "Neg")) r.u = 0 - v.u;
    else if (!strcmp(op, "Sign")) r.i = neg ? -1 : v.u != 0;
    else if (!strcmp(op, "Relu")) r.u = neg ? 0 : v.u;
    return r;
}

typedef struct ew_ujob {
    const ew_unop *op;
    ew_uprm prm;
    const ts_tensor *x;
    ts_tensor *y;
    cpu_ew_dom dom;       /* CPU_EW_F: through op->f */
} ew_ujob;

static void ew_unary_range(void *arg, int64_t b, int64_t e) {
    const ew_ujob *j = arg;
    if (j->op->f32 && j->x->dtype == TS_F32 && j->y->dtype == TS_F32) {
        j->op->f32((float *)j->y->data + b, (const float *)j->x->data + b, e - b, &j->prm);
        return;
    }
    for (int64_t i = b; i < e; i++) {
        cpu_ew_val v = cpu_ew_load(j->x->data, j->x->dtype, i, j->dom);
        if (j->dom == CPU_EW_F) {
            v.f = j->op->f(v.f, &j->prm);
            cpu_ew_store(j->y->data, j->y->dtype, i, v, CPU_EW_F);
        } else if (!strcmp(j->op->op, "Shrink")) {
            double r = j->op->f(j->dom == CPU_EW_I ? (double)v.i : (double)v.u, &j->prm);
            v.i = (int64_t)r;
            cpu_ew_store(j->y->data, j->y->dtype, i, v, CPU_EW_I);
        } else {
            cpu_ew_store(j->y->data, j->y->dtype, i, ew_int_unary(j->op->op, v, j->dom), j->dom);
        }
    }
}

static bool ew_unary_dtype_ok(const ew_unop *op, ts_dtype t) {
    switch (op->kind) {
    case EW_U_BOOL: return t == TS_BOOL;
    case EW_U_SIGNED: return t != TS_BOOL && t != TS_STRING && ts_dtype_size(t) > 0;
    default: return ts_dtype_is_float(t);
    }
}

ts_status cpu_ew_run_unary(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ew_unop *op = NULL;
    for (size_t k = 0; k < TS_ARRAY_LEN(ew_unops) && !op; k++)
        if (!strcmp(ew_unops[k].op, n->op_type)) op = &ew_unops[k];
    if (!op) return ts_error(TS_ERR_INTERNAL, "node '%s': no unary op %s", n->name, n->op_type);
    if (!ew_unary_dtype_ok(op, in[0]->dtype))
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): dtype %s not supported",
                        n->name, n->op_type, ts_dtype_name(in[0]->dtype));
    ew_ujob j = {.op = op, .x = in[0], .y = out[0], .dom = CPU_EW_F};
    j.prm.alpha = ir_attr_float(n, !strcmp(op->op, "Shrink") ? "lambd" : "alpha", (float)op->alpha);
    j.prm.beta = ir_attr_float(n, !strcmp(op->op, "Shrink") ? "bias" : "beta", (float)op->beta);
    j.prm.gamma = ir_attr_float(n, "gamma", (float)op->gamma);
    if (!strcmp(op->op, "Selu")) {  /* float attrs round the exact defaults */
        if (!ir_attr_find(n, "alpha")) j.prm.alpha = op->alpha;
        if (!ir_attr_find(n, "gamma")) j.prm.gamma = op->gamma;
    }
    j.prm.tanh_approx = !strcmp(ir_attr_string(n, "approximate", "none"), "tanh");
    j.prm.det_pos = ir_attr_int(n, "detect_positive", 1) != 0;
    j.prm.det_neg = ir_attr_int(n, "detect_negative", 1) != 0;
    if (!ts_dtype_is_float(in[0]->dtype) && op->kind != EW_U_BOOL) j.dom = cpu_ew_domain(in[0]->dtype);
    int cost = op->f32 == relu_f32 || op->f32 == abs_f32 || op->f32 == neg_f32 ? 1 : 8;
    ts_parallel_for(ctx ? ctx->pool : NULL, ts_tensor_numel(in[0]), 65536 / cost, ew_unary_range, &j);
    return TS_OK;
}

/* ---- Clip ------------------------------------------------------------------ */

typedef struct ew_clip { const ts_tensor *x; ts_tensor *y; cpu_ew_dom d; cpu_ew_val lo, hi; } ew_clip;

static void ew_clip_range(void *arg, int64_t b, int64_t e) {
    const ew_clip *c = arg;
    if (c->x->dtype == TS_F32) {
        const float *x = c->x->data;
        float *y = c->y->data, lo = (float)c->lo.f, hi = (float)c->hi.f;
        const cpu_ew_v4 vlo = cpu_ew_splat(lo), vhi = cpu_ew_splat(hi);
        int64_t i = b;
        for (; i + 4 <= e; i += 4) {   /* NaN stays NaN: both tests are false */
            cpu_ew_v4 v = cpu_ew_ld(x + i);
            v = cpu_ew_sel(v < vlo, vlo, v);
            cpu_ew_st(y + i, cpu_ew_sel(v > vhi, vhi, v));
        }
        for (; i < e; i++) {
            float v = x[i] < lo ? lo : x[i];
            y[i] = v > hi ? hi : v;
        }
        return;
    }
    for (int64_t i = b; i < e; i++) {
        cpu_ew_val v = cpu_ew_load(c->x->data, c->x->dtype, i, c->d);
        if (c->d == CPU_EW_F) { if (v.f < c->lo.f) v = c->lo; if (v.f > c->hi.f) v = c->hi; }
        else if (c->d == CPU_EW_I) { if (v.i < c->lo.i) v = c->lo; if (v.i > c->hi.i) v = c->hi; }
        else { if (v.u < c->lo.u) v = c->lo; if (v.u > c->hi.u) v = c->hi; }
        cpu_ew_store(c->y->data, c->y->dtype, i, v, c->d);
    }
}

/* Clip: bounds are attributes before opset 11, optional scalar inputs after. */
ts_status cpu_ew_run_clip(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n_out;
    ew_clip c = {in[0], out[0], cpu_ew_domain(in[0]->dtype), {0}, {0}};
    if (c.d == CPU_EW_F) { c.lo.f = -INFINITY; c.hi.f = INFINITY; }
    else if (c.d == CPU_EW_I) { c.lo.i = INT64_MIN; c.hi.i = INT64_MAX; }
    else { c.lo.u = 0; c.hi.u = UINT64_MAX; }
    const ts_tensor *lo = n_in > 1 ? in[1] : NULL, *hi = n_in > 2 ? in[2] : NULL;
    if ((ctx && ctx->opset > 0 && ctx->opset < 11) || ir_attr_find(n, "min") ||
        ir_attr_find(n, "max")) {
        c.lo.f = ir_attr_float(n, "min", -INFINITY);
        c.hi.f = ir_attr_float(n, "max", INFINITY);
        lo = hi = NULL;
    }
    if ((lo && ts_tensor_numel(lo) != 1) || (hi && ts_tensor_numel(hi) != 1))
        return ts_error(TS_ERR_INVALID, "node '%s' (Clip): min and max must be scalars", n->name);
    if (lo) c.lo = cpu_ew_load(lo->data, lo->dtype, 0, c.d);
    if (hi) c.hi = cpu_ew_load(hi->data, hi->dtype, 0, c.d);
    ts_parallel_for(ctx ? ctx->pool : NULL, ts_tensor_numel(in[0]), 65536, ew_clip_range, &c);
    return TS_OK;
}

/* cpu kernels "elementwise": binary arithmetic, comparisons and logic with
 * numpy broadcasting, the variadic Sum/Mean/Max/Min, Where, and the kernel
 * table (unary ops, Clip and Cast live in op_elementwise_unary.c and
 * op_elementwise_cast.c).
 *
 * Every binary op has one scalar function per compute domain (double, int64,
 * uint64; see op_elementwise.h), which serves every dtype, and float32 ops
 * that models lean on have row loops over SIMD vectors besides. */
#include "cpu/op_elementwise.h"
#include "ir/op_elementwise.h"

#include <math.h>
#include <string.h>

typedef struct ew_prm { int64_t fmod; bool left; } ew_prm;
typedef cpu_ew_val (*ew_bin_fn)(cpu_ew_val a, cpu_ew_val b, const ew_prm *p);
/* o[i] = a[i*sa] op b[i*sb]; sa, sb in {0, 1}; o may alias a. */
typedef void (*ew_f32_fn)(float *o, const float *a, int64_t sa, const float *b, int64_t sb,
                          int64_t n);

enum { EW_SAME = 0, EW_BOOL = 1 };

typedef struct ew_binop {
    const char *op;
    ew_bin_fn f, i, u;     /* per domain; NULL: dtype not supported */
    ew_f32_fn f32;         /* optional fast float32 rows */
    int out_kind;          /* EW_SAME: dtype of A; EW_BOOL */
    bool float_domain;     /* Pow: always compute in double (mixed dtypes) */
} ew_binop;

/* ---- scalar functions ------------------------------------------------------ */

static cpu_ew_val vf(double f) { cpu_ew_val v; v.f = f; return v; }
static cpu_ew_val vu(uint64_t u) { cpu_ew_val v; v.u = u; return v; }
static cpu_ew_val vi(int64_t i) { cpu_ew_val v; v.i = i; return v; }

/* Integer add/sub/mul wrap in two's complement (uint64 arithmetic is never UB). */
static cpu_ew_val add_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(a.f + b.f); }
static cpu_ew_val add_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u + b.u); }
static cpu_ew_val sub_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(a.f - b.f); }
static cpu_ew_val sub_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u - b.u); }
static cpu_ew_val mul_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(a.f * b.f); }
static cpu_ew_val mul_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u * b.u); }
static cpu_ew_val div_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(a.f / b.f); }

/* Integer division truncates (ONNX, C); x/0 gives 0 rather than trapping. */
static cpu_ew_val div_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    (void)p;
    if (b.i == 0) return vi(0);
    if (b.i == -1) return vu(0 - a.u);
    return vi(a.i / b.i);
}
static cpu_ew_val div_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    (void)p;
    return vu(b.u ? a.u / b.u : 0);
}

/* fmod=0: result takes the divisor's sign (Python); fmod=1: the dividend's (C). */
static cpu_ew_val mod_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    double r = fmod(a.f, b.f);
    if (!p->fmod && r != 0 && ((r < 0) != (b.f < 0))) r += b.f;
    return vf(r);
}
static cpu_ew_val mod_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    if (b.i == 0 || b.i == -1) return vi(0);
    int64_t r = a.i % b.i;
    if (!p->fmod && r != 0 && ((r < 0) != (b.i < 0))) r += b.i;
    return vi(r);
}
static cpu_ew_val mod_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    (void)p;
    return vu(b.u ? a.u % b.u : 0);
}

static cpu_ew_val pow_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(pow(a.f, b.f)); }

/* Max/Min propagate NaN like numpy's maximum/minimum. */
static cpu_ew_val max_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    (void)p;
    if (isnan(a.f) || isnan(b.f)) return vf(NAN);
    return vf(a.f > b.f ? a.f : b.f);
}
static cpu_ew_val min_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    (void)p;
    if (isnan(a.f) || isnan(b.f)) return vf(NAN);
    return vf(a.f < b.f ? a.f : b.f);
}
static cpu_ew_val max_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return a.i > b.i ? a : b; }
static cpu_ew_val min_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return a.i < b.i ? a : b; }
static cpu_ew_val max_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return a.u > b.u ? a : b; }
static cpu_ew_val min_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return a.u < b.u ? a : b; }

static cpu_ew_val prelu_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vf(a.f < 0 ? a.f * b.f : a.f); }
static cpu_ew_val prelu_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return a.i < 0 ? vu(a.u * b.u) : a; }
static cpu_ew_val prelu_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; (void)b; return a; }

#define EW_CMP(NAME, OP)                                                                   \
    static cpu_ew_val NAME##_f(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.f OP b.f); } \
    static cpu_ew_val NAME##_i(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.i OP b.i); } \
    static cpu_ew_val NAME##_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u OP b.u); }
EW_CMP(eq, ==)
EW_CMP(lt, <)
EW_CMP(gt, >)
EW_CMP(le, <=)
EW_CMP(ge, >=)

static cpu_ew_val and_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u && b.u); }
static cpu_ew_val or_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(a.u || b.u); }
static cpu_ew_val xor_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) { (void)p; return vu(!a.u != !b.u); }

static cpu_ew_val shift_u(cpu_ew_val a, cpu_ew_val b, const ew_prm *p) {
    if (b.u >= 64) return vu(0);
    return vu(p->left ? a.u << b.u : a.u >> b.u);
}

/* ---- float32 rows ---------------------------------------------------------- */

typedef float ew_v4 __attribute__((vector_size(16)));

/* Three shapes of row: both contiguous, b broadcast, a broadcast. Loads go
 * through memcpy so unaligned rows are fine; compilers turn it into movups. */
#define EW_F32_VEC(NAME, OP)                                                        \
    static void NAME(float *o, const float *a, int64_t sa, const float *b, int64_t sb, \
                     int64_t n) {                                                   \
        int64_t i = 0;                                                              \
        ew_v4 x, y;                                                                 \
        if (sa && sb) {                                                             \
            for (; i + 4 <= n; i += 4) {                                            \
                memcpy(&x, a + i, 16); memcpy(&y, b + i, 16);                       \
                x = x OP y; memcpy(o + i, &x, 16);                                  \
            }                                                                       \
            for (; i < n; i++) o[i] = a[i] OP b[i];                                 \
        } else if (sa) {                                                            \
            float s = b[0];                                                         \
            y = (ew_v4){s, s, s, s};                                                \
            for (; i + 4 <= n; i += 4) {                                            \
                memcpy(&x, a + i, 16); x = x OP y; memcpy(o + i, &x, 16);           \
            }                                                                       \
            for (; i < n; i++) o[i] = a[i] OP s;                                    \
        } else if (sb) {                                                            \
            float s = a[0];                                                         \
            x = (ew_v4){s, s, s, s};                                                \
            for (; i + 4 <= n; i += 4) {                                            \
                memcpy(&y, b + i, 16); y = x OP y; memcpy(o + i, &y, 16);           \
            }                                                                       \
            for (; i < n; i++) o[i] = s OP b[i];                                    \
        } else {                                                                    \
            float s = a[0] OP b[0];                                                 \
            for (; i < n; i++) o[i] = s;                                            \
        }                                                                           \
    }
EW_F32_VEC(add_f32, +)
EW_F32_VEC(sub_f32, -)
EW_F32_VEC(mul_f32, *)
EW_F32_VEC(div_f32, /)


/* Branch-free rows for selects: o = f(a, b) on vectors, rows as above. */
#define EW_F32_SEL(NAME, VEXPR)                                                     \
    static void NAME(float *o, const float *a, int64_t sa, const float *b, int64_t sb, \
                     int64_t n) {                                                   \
        const cpu_ew_v4 zero = cpu_ew_splat(0.0f);                                  \
        (void)zero;                                                                 \
        int64_t i = 0;                                                              \
        for (; i + 4 <= n; i += 4) {                                                \
            cpu_ew_v4 x = sa ? cpu_ew_ld(a + i) : cpu_ew_splat(a[0]);               \
            cpu_ew_v4 y = sb ? cpu_ew_ld(b + i) : cpu_ew_splat(b[0]);               \
            cpu_ew_st(o + i, (VEXPR));                                              \
        }                                                                           \
        for (; i < n; i++) {                                                        \
            cpu_ew_v4 x = cpu_ew_splat(a[i * sa]), y = cpu_ew_splat(b[i * sb]);     \
            cpu_ew_v4 r = (VEXPR);                                                  \
            o[i] = r[0];                                                            \
        }                                                                           \
    }
/* NaN in either operand propagates (numpy maximum/minimum). */
EW_F32_SEL(max_f32, cpu_ew_sel((x != x) | (x > y), x, y))
EW_F32_SEL(min_f32, cpu_ew_sel((x != x) | (x < y), x, y))
EW_F32_SEL(prelu_f32, cpu_ew_sel(x < zero, x * y, x))

/* x^2 and sqrt are what Pow is mostly used for in models (norms, RMS). */
static void pow_f32(float *o, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n) {
    if (!sb && b[0] == 2.0f) {
        for (int64_t i = 0; i < n; i++) { float x = a[i * sa]; o[i] = x * x; }
        return;
    }
    if (!sb && b[0] == 0.5f) {
        for (int64_t i = 0; i < n; i++) o[i] = sqrtf(a[i * sa]);
        return;
    }
    for (int64_t i = 0; i < n; i++) o[i] = (float)pow(a[i * sa], b[i * sb]);
}

/* ---- op table and generic run -------------------------------------------- */

static const ew_binop ew_binops[] = {
    {"Add", add_f, add_u, add_u, add_f32, EW_SAME, false},
    {"Sum", add_f, add_u, add_u, add_f32, EW_SAME, false},
    {"Mean", add_f, add_u, add_u, add_f32, EW_SAME, false},
    {"Sub", sub_f, sub_u, sub_u, sub_f32, EW_SAME, false},
    {"Mul", mul_f, mul_u, mul_u, mul_f32, EW_SAME, false},
    {"Div", div_f, div_i, div_u, div_f32, EW_SAME, false},
    {"Mod", mod_f, mod_i, mod_u, NULL, EW_SAME, false},
    {"Pow", pow_f, NULL, NULL, pow_f32, EW_SAME, true},
    {"Max", max_f, max_i, max_u, max_f32, EW_SAME, false},
    {"Min", min_f, min_i, min_u, min_f32, EW_SAME, false},
    {"PRelu", prelu_f, prelu_i, prelu_u, prelu_f32, EW_SAME, false},
    {"Equal", eq_f, eq_i, eq_u, NULL, EW_BOOL, false},
    {"Less", lt_f, lt_i, lt_u, NULL, EW_BOOL, false},
    {"Greater", gt_f, gt_i, gt_u, NULL, EW_BOOL, false},
    {"LessOrEqual", le_f, le_i, le_u, NULL, EW_BOOL, false},
    {"GreaterOrEqual", ge_f, ge_i, ge_u, NULL, EW_BOOL, false},
    {"And", NULL, NULL, and_u, NULL, EW_BOOL, false},
    {"Or", NULL, NULL, or_u, NULL, EW_BOOL, false},
    {"Xor", NULL, NULL, xor_u, NULL, EW_BOOL, false},
    {"BitShift", NULL, NULL, shift_u, NULL, EW_SAME, false},
};

static const ew_binop *ew_binop_find(const char *op) {
    for (size_t k = 0; k < TS_ARRAY_LEN(ew_binops); k++)
        if (!strcmp(ew_binops[k].op, op)) return &ew_binops[k];
    return NULL;
}

typedef struct ew_bin_job {
    ew_bin_fn fn;
    ew_f32_fn f32;
    cpu_ew_dom da, db, dr;
    const ts_tensor *a, *b;
    ts_tensor *o;
    ew_prm prm;
} ew_bin_job;

static void ew_bin_generic(void *p, int64_t o, const int64_t *off, const int64_t *inner, int64_t len) {
    const ew_bin_job *j = p;
    for (int64_t i = 0; i < len; i++) {
        cpu_ew_val a = cpu_ew_load(j->a->data, j->a->dtype, off[0] + i * inner[0], j->da);
        cpu_ew_val b = cpu_ew_load(j->b->data, j->b->dtype, off[1] + i * inner[1], j->db);
        cpu_ew_store(j->o->data, j->o->dtype, o + i, j->fn(a, b, &j->prm), j->dr);
    }
}

static void ew_bin_f32(void *p, int64_t o, const int64_t *off, const int64_t *inner, int64_t len) {
    const ew_bin_job *j = p;
    j->f32((float *)j->o->data + o, (const float *)j->a->data + off[0], inner[0],
           (const float *)j->b->data + off[1], inner[1], len);
}

/* out = a op b with broadcasting; out may be a itself (same shape). */
static ts_status ew_binary(cpu_ctx *ctx, const ir_node *n, const ew_binop *op,
                           const ts_tensor *a, const ts_tensor *b, ts_tensor *out) {
    ew_bin_job j = {0};
    j.a = a; j.b = b; j.o = out;
    j.prm.fmod = ir_attr_int(n, "fmod", 0);
    j.prm.left = !strcmp(ir_attr_string(n, "direction", "LEFT"), "LEFT");
    j.da = j.db = op->float_domain ? CPU_EW_F : cpu_ew_domain(a->dtype);
    j.dr = op->out_kind == EW_BOOL ? CPU_EW_U : j.da;
    j.fn = j.da == CPU_EW_F ? op->f : j.da == CPU_EW_I ? op->i : op->u;
    if (a->dtype == TS_BOOL && op->out_kind == EW_SAME && strcmp(op->op, "Max") && strcmp(op->op, "Min"))
        j.fn = NULL;
    if (!j.fn || a->dtype == TS_STRING || b->dtype == TS_STRING)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): dtype %s not supported",
                        n->name, n->op_type, ts_dtype_name(a->dtype));
    const ts_tensor *ins[2] = {a, b};
    cpu_ew_iter it;
    cpu_ew_iter_init(&it, out, ins, 2);
    bool fast = op->f32 && a->dtype == TS_F32 && b->dtype == TS_F32 && out->dtype == TS_F32;
    if (fast) j.f32 = op->f32;
    cpu_ew_iter_parallel(ctx, &it, 1, fast ? ew_bin_f32 : ew_bin_generic, &j);
    return TS_OK;
}

static void ew_scale(ts_tensor *t, double s) {
    int64_t m = ts_tensor_numel(t);
    if (t->dtype == TS_F32) {
        float *p = t->data;
        for (int64_t i = 0; i < m; i++) p[i] = (float)(p[i] * s);
        return;
    }
    for (int64_t i = 0; i < m; i++)
        ts_tensor_set(t, i, cpu_ew_get_f(t->data, t->dtype, i) * s);
}

static ts_status ew_run_binary(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out) {
    (void)n_out;
    const ew_binop *op = ew_binop_find(n->op_type);
    if (!op) return ts_error(TS_ERR_INTERNAL, "node '%s': no binary op %s", n->name, n->op_type);
    ts_status st = TS_OK;
    if (n_in == 2) {
        ts_tensor view = *in[1];   /* legacy (opset < 7) broadcasting: B reshaped */
        view.owns_data = false;
        ir_ew_legacy_dims(n, ctx ? ctx->opset : 0, in[0], in[1], &view.rank, view.dims);
        st = ew_binary(ctx, n, op, in[0], &view, out[0]);
    } else {
        /* Variadic Sum/Mean/Max/Min: broadcast the first, fold the rest in place. */
        cpu_ew_broadcast_copy(ctx, in[0], out[0]);
        for (int k = 1; k < n_in && !st; k++) st = ew_binary(ctx, n, op, out[0], in[k], out[0]);
    }
    if (!st && !strcmp(op->op, "Mean") && ts_dtype_is_float(out[0]->dtype) && n_in > 1)
        ew_scale(out[0], 1.0 / n_in);
    return st;
}

/* ---- Where ----------------------------------------------------------------- */

typedef struct ew_where { const uint8_t *c; const char *x, *y; char *o; size_t es; } ew_where;

static void ew_where_run(void *p, int64_t o, const int64_t *off, const int64_t *inner, int64_t len) {
    const ew_where *w = p;
    size_t es = w->es;
    for (int64_t i = 0; i < len; i++) {
        bool c = w->c[off[0] + i * inner[0]];
        const char *s = c ? w->x + (size_t)(off[1] + i * inner[1]) * es
                          : w->y + (size_t)(off[2] + i * inner[2]) * es;
        memcpy(w->o + (size_t)(o + i) * es, s, es);
    }
}

static ts_status ew_run_where(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    if (in[0]->dtype != TS_BOOL)
        return ts_error(TS_ERR_INVALID, "node '%s' (Where): condition must be bool", n->name);
    cpu_ew_iter it;
    cpu_ew_iter_init(&it, out[0], in, 3);
    ew_where w = {in[0]->data, in[1]->data, in[2]->data, out[0]->data, ts_dtype_size(out[0]->dtype)};
    cpu_ew_iter_parallel(ctx, &it, 1, ew_where_run, &w);
    return TS_OK;
}

const cpu_kernel cpu_kernels_elementwise[] = {
    {"Add", ew_run_binary}, {"Sub", ew_run_binary}, {"Mul", ew_run_binary},
    {"Div", ew_run_binary}, {"Pow", ew_run_binary}, {"Mod", ew_run_binary},
    {"Max", ew_run_binary}, {"Min", ew_run_binary}, {"Sum", ew_run_binary},
    {"Mean", ew_run_binary}, {"PRelu", ew_run_binary}, {"BitShift", ew_run_binary},
    {"Equal", ew_run_binary}, {"Less", ew_run_binary}, {"Greater", ew_run_binary},
    {"LessOrEqual", ew_run_binary}, {"GreaterOrEqual", ew_run_binary},
    {"And", ew_run_binary}, {"Or", ew_run_binary}, {"Xor", ew_run_binary},
    {"Where", ew_run_where},
    {"Clip", cpu_ew_run_clip},
    {"Cast", cpu_ew_run_cast}, {"CastLike", cpu_ew_run_cast},
    {"Identity", cpu_ew_run_identity}, {"Dropout", cpu_ew_run_dropout},
    {"HannWindow", cpu_ew_run_window}, {"HammingWindow", cpu_ew_run_window},
    {"BlackmanWindow", cpu_ew_run_window}, {"EyeLike", cpu_ew_run_eyelike},
#define U(name) {name, cpu_ew_run_unary}
    U("Abs"), U("Neg"), U("Sqrt"), U("Exp"), U("Log"), U("Reciprocal"), U("Floor"),
    U("Ceil"), U("Round"), U("Sign"), U("Erf"), U("Tanh"), U("Sigmoid"), U("Relu"),
    U("LeakyRelu"), U("Elu"), U("Selu"), U("HardSigmoid"), U("HardSwish"), U("Gelu"),
    U("Softplus"), U("Softsign"), U("Not"), U("IsNaN"), U("IsInf"), U("Sin"), U("Cos"),
    U("Tan"), U("Asin"), U("Acos"), U("Atan"), U("Sinh"), U("Cosh"), U("Asinh"),
    U("Acosh"), U("Atanh"), U("ThresholdedRelu"), U("Celu"), U("Mish"), U("Shrink"),
#undef U
    {NULL, NULL}};

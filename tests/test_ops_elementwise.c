/* test_ops_elementwise.c: every elementwise op against a scalar reference
 * written here, on fresh random inputs, with numpy broadcasting, integer
 * semantics, dtype conversions, zero-size tensors and bad inputs.
 * Tolerances: float32 results within 1e-6 relative (1e-5 for libm
 * transcendental functions in float), double references. */
#include "ops_harness.h"
#include "cpu/op_elementwise.h"

#include <float.h>

/* ---- binary ops, float32, with broadcasting -------------------------------- */

static double ref_bin(const char *op, double a, double b) {
    if (!strcmp(op, "Add")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Div")) return a / b;
    if (!strcmp(op, "Pow")) return pow(a, b);
    if (!strcmp(op, "Max")) return a > b ? a : b;
    if (!strcmp(op, "Min")) return a < b ? a : b;
    if (!strcmp(op, "PRelu")) return a < 0 ? a * b : a;
    if (!strcmp(op, "Mod")) return fmod(a, b);
    if (!strcmp(op, "Equal")) return a == b;
    if (!strcmp(op, "Less")) return a < b;
    if (!strcmp(op, "Greater")) return a > b;
    if (!strcmp(op, "LessOrEqual")) return a <= b;
    if (!strcmp(op, "GreaterOrEqual")) return a >= b;
    return NAN;
}

typedef struct shape2 { int ra; int64_t a[4]; int rb; int64_t b[4]; int ro; int64_t o[4]; } shape2;

static const shape2 bin_shapes[] = {
    {3, {3, 4, 5}, 3, {3, 4, 5}, 3, {3, 4, 5}},
    {3, {3, 4, 5}, 1, {5}, 3, {3, 4, 5}},
    {3, {3, 1, 5}, 2, {4, 1}, 3, {3, 4, 5}},
    {1, {1}, 2, {2, 3}, 2, {2, 3}},
    {0, {0}, 2, {2, 3}, 2, {2, 3}},
    {2, {2, 3}, 0, {0}, 2, {2, 3}},
    {2, {4, 1}, 2, {1, 6}, 2, {4, 6}},
    {3, {2, 0, 3}, 1, {3}, 3, {2, 0, 3}},
    {2, {67, 129}, 2, {67, 1}, 2, {67, 129}},
    {2, {300, 257}, 2, {300, 257}, 2, {300, 257}},   /* big enough for 2 threads */
    {2, {1, 257}, 3, {2, 300, 1}, 3, {2, 300, 257}},
};

static void check_binary(const char *op, double lo_a, double hi_a, double lo_b, double hi_b,
                         int opset, double rtol) {
    for (size_t s = 0; s < TS_ARRAY_LEN(bin_shapes); s++) {
        const shape2 *sh = &bin_shapes[s];
        ir_graph *g;
        ir_node *n = oh_node(&g, op, 2, 1);
        if (!strcmp(op, "Mod")) ir_node_set_int(n, "fmod", 1);
        ts_tensor *a = oh_rand(TS_F32, sh->ra, sh->a, lo_a, hi_a);
        ts_tensor *b = oh_rand(TS_F32, sh->rb, sh->b, lo_b, hi_b);
        /* some exact ties for the comparisons */
        if (ts_tensor_numel(a) > 2 && ts_tensor_numel(b) > 0)
            ((float *)a->data)[1] = ((float *)b->data)[0];
        const ts_tensor *in[2] = {a, b};
        ts_tensor *out[1];
        ts_status st = oh_run(n, opset, in, 2, out, 1);
        CHECK_MSG(st == TS_OK, "%s: %s", op, ts_last_error());
        if (st == TS_OK) {
            CHECK(out[0]->rank == sh->ro);
            for (int d = 0; d < sh->ro; d++) CHECK(out[0]->dims[d] == sh->o[d]);
            int64_t m = ts_tensor_numel(out[0]);
            for (int64_t i = 0; i < m; i++) {
                double x = ((float *)a->data)[oh_bcast_off(a, sh->ro, sh->o, i)];
                double y = ((float *)b->data)[oh_bcast_off(b, sh->ro, sh->o, i)];
                double want = ref_bin(op, x, y);
                if (out[0]->dtype == TS_F32) want = (float)want;
                OH_EXPECT(ts_tensor_get(out[0], i), want, rtol, 1e-7, "%s shape #%zu elem %lld", op, s, (long long)i);
            }
        }
        oh_free(out, 1);
        ts_tensor_free(a);
        ts_tensor_free(b);
        ir_graph_free(g);
    }
}

TEST(binary_float32_broadcast) {
    check_binary("Add", -10, 10, -10, 10, 14, 1e-6);
    check_binary("Sub", -10, 10, -10, 10, 14, 1e-6);
    check_binary("Mul", -10, 10, -10, 10, 14, 1e-6);
    check_binary("Div", -10, 10, 0.5, 4, 14, 1e-6);
    check_binary("Pow", 0.1, 3, -2, 3, 15, 1e-6);
    check_binary("Max", -10, 10, -10, 10, 13, 0);
    check_binary("Min", -10, 10, -10, 10, 13, 0);
    check_binary("PRelu", -10, 10, 0, 1, 16, 1e-6);
    check_binary("Mod", -10, 10, 0.5, 4, 13, 1e-6);
    check_binary("Equal", -3, 3, -3, 3, 13, 0);
    check_binary("Less", -3, 3, -3, 3, 13, 0);
    check_binary("Greater", -3, 3, -3, 3, 13, 0);
    check_binary("LessOrEqual", -3, 3, -3, 3, 16, 0);
    check_binary("GreaterOrEqual", -3, 3, -3, 3, 16, 0);
}

/* The broadcast iterator collapses dims so that rows are as long as they
 * can be: the fast loops only pay off on long rows. */
TEST(broadcast_iterator_collapses) {
    struct { int ro; int64_t o[4]; int ra; int64_t a[4]; int rb; int64_t b[4]; int rank; int64_t inner; } c[] = {
        {4, {1, 192, 40, 40}, 4, {1, 192, 40, 40}, 4, {1, 192, 40, 40}, 1, 307200},
        {4, {1, 192, 40, 40}, 1, {1}, 4, {1, 192, 40, 40}, 1, 307200},
        {4, {1, 192, 40, 40}, 4, {1, 192, 40, 40}, 0, {0}, 1, 307200},
        {4, {1, 24, 80, 80}, 4, {1, 24, 80, 80}, 4, {1, 24, 1, 1}, 2, 6400},
        {3, {5, 6, 7}, 3, {5, 6, 7}, 2, {6, 7}, 2, 42},
        {3, {5, 6, 7}, 3, {5, 1, 7}, 3, {5, 6, 7}, 3, 7},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(c); i++) {
        ts_tensor *o = ts_tensor_new(TS_F32, c[i].ro, c[i].o);
        ts_tensor *a = ts_tensor_new(TS_F32, c[i].ra, c[i].a);
        ts_tensor *b = ts_tensor_new(TS_F32, c[i].rb, c[i].b);
        const ts_tensor *in[2] = {a, b};
        cpu_ew_iter it;
        cpu_ew_iter_init(&it, o, in, 2);
        CHECK_MSG(it.rank == c[i].rank && it.dims[it.rank - 1] == c[i].inner, "case %zu: rank %d inner %lld", i,
                  it.rank, (long long)it.dims[it.rank - 1]);
        ts_tensor_free(o); ts_tensor_free(a); ts_tensor_free(b);
    }
}

/* Pow by 2 and 0.5 take special paths; check them against pow(). */
TEST(pow_special_exponents) {
    double exps[] = {2.0, 0.5, 3.0, -1.0};
    for (int e = 0; e < 4; e++) {
        ir_graph *g;
        ir_node *n = oh_node(&g, "Pow", 2, 1);
        ts_tensor *a = oh_rand(TS_F32, 1, (int64_t[]){100}, 0.01, 5);
        ts_tensor *b = oh_from(TS_F32, 0, NULL, &exps[e]);
        const ts_tensor *in[2] = {a, b};
        ts_tensor *out[1];
        CHECK(oh_run(n, 15, in, 2, out, 1) == TS_OK);
        for (int i = 0; i < 100; i++)
            OH_EXPECT(((float *)out[0]->data)[i], pow(((float *)a->data)[i], exps[e]), 1e-6, 0, "pow %g", exps[e]);
        oh_free(out, 1);
        ts_tensor_free(a); ts_tensor_free(b);
        ir_graph_free(g);
    }
}

/* ---- other dtypes ---------------------------------------------------------- */

static ts_tensor *run2(const char *op, const ts_tensor *a, const ts_tensor *b, const char *attr, int64_t v) {
    ir_graph *g;
    ir_node *n = oh_node(&g, op, 2, 1);
    if (attr) ir_node_set_int(n, attr, v);
    const ts_tensor *in[2] = {a, b};
    ts_tensor *out[1];
    ts_status st = oh_run(n, 17, in, 2, out, 1);
    CHECK_MSG(st == TS_OK, "%s: %s", op, ts_last_error());
    ir_graph_free(g);
    if (st) { oh_free(out, 1); return NULL; }
    return out[0];
}

static void expect_vals(const ts_tensor *t, const double *want, int m, const char *what) {
    CHECK_MSG(t && ts_tensor_numel(t) == m, "%s: size", what);
    if (!t || ts_tensor_numel(t) != m) return;
    for (int i = 0; i < m; i++) OH_EXPECT(ts_tensor_get(t, i), want[i], 0, 0, "%s [%d]", what, i);
}

TEST(integer_semantics) {
    int64_t d6[] = {6};
    ts_tensor *a = oh_from(TS_I32, 1, d6, (double[]){7, -7, 7, -7, 0, 5});
    ts_tensor *b = oh_from(TS_I32, 1, d6, (double[]){2, 2, -2, -2, 3, 0});
    ts_tensor *t = run2("Div", a, b, NULL, 0);
    expect_vals(t, (double[]){3, -3, -3, 3, 0, 0}, 6, "int Div truncates, x/0 = 0");
    ts_tensor_free(t);
    t = run2("Mod", a, b, "fmod", 0);
    expect_vals(t, (double[]){1, 1, -1, -1, 0, 0}, 6, "int Mod takes the divisor's sign");
    ts_tensor_free(t);
    t = run2("Mod", a, b, "fmod", 1);
    expect_vals(t, (double[]){1, -1, 1, -1, 0, 0}, 6, "int fmod takes the dividend's sign");
    ts_tensor_free(t);
    t = run2("Pow", a, b, NULL, 0);
    expect_vals(t, (double[]){49, 49, 0, 0, 0, 1}, 6, "int Pow");
    ts_tensor_free(t);
    ts_tensor_free(a); ts_tensor_free(b);

    /* int8 wraps like numpy; uint8 shifts */
    a = oh_from(TS_I8, 1, (int64_t[]){3}, (double[]){127, -128, 100});
    b = oh_from(TS_I8, 1, (int64_t[]){3}, (double[]){1, -1, 100});
    t = run2("Add", a, b, NULL, 0);
    expect_vals(t, (double[]){-128, 127, -56}, 3, "int8 Add wraps");
    ts_tensor_free(t); ts_tensor_free(a); ts_tensor_free(b);
    a = oh_from(TS_U8, 1, (int64_t[]){3}, (double[]){16, 4, 1});
    b = oh_from(TS_U8, 1, (int64_t[]){3}, (double[]){1, 2, 3});
    ir_graph *g;
    ir_node *n = oh_node(&g, "BitShift", 2, 1);   /* direction is required */
    const ts_tensor *in[2] = {a, b};
    ts_tensor *out[1];
    CHECK(oh_run(n, 11, in, 2, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "direction") != NULL);
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "BitShift", 2, 1);
    ir_node_set_string(n, "direction", "RIGHT");
    CHECK(oh_run(n, 11, in, 2, out, 1) == TS_OK);
    expect_vals(out[0], (double[]){8, 1, 0}, 3, "BitShift RIGHT");
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "BitShift", 2, 1);
    ir_node_set_string(n, "direction", "LEFT");
    CHECK(oh_run(n, 11, in, 2, out, 1) == TS_OK);
    expect_vals(out[0], (double[]){32, 16, 8}, 3, "BitShift LEFT");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(a); ts_tensor_free(b);

    /* int64 stays exact beyond 2^53 */
    a = ts_tensor_new(TS_I64, 1, (int64_t[]){1});
    b = ts_tensor_new(TS_I64, 1, (int64_t[]){1});
    ((int64_t *)a->data)[0] = (1LL << 60) + 1;
    ((int64_t *)b->data)[0] = 2;
    t = run2("Add", a, b, NULL, 0);
    CHECK(t && ((int64_t *)t->data)[0] == (1LL << 60) + 3);
    ts_tensor_free(t);
    t = run2("Max", a, b, NULL, 0);
    CHECK(t && ((int64_t *)t->data)[0] == (1LL << 60) + 1);
    ts_tensor_free(t); ts_tensor_free(a); ts_tensor_free(b);
}

/* float16 / double / int32 through the generic path against float32 math. */
TEST(other_dtypes_binary) {
    ts_dtype dts[] = {TS_F16, TS_BF16, TS_F64, TS_I32, TS_I64, TS_U8};
    const char *ops[] = {"Add", "Sub", "Mul", "Max", "Min", "Less", "Equal"};
    for (size_t d = 0; d < TS_ARRAY_LEN(dts); d++) {
        for (size_t o = 0; o < TS_ARRAY_LEN(ops); o++) {
            ts_tensor *a = oh_rand(dts[d], 2, (int64_t[]){3, 4}, 0, 12);
            ts_tensor *b = oh_rand(dts[d], 1, (int64_t[]){4}, 0, 12);
            ts_tensor *t = run2(ops[o], a, b, NULL, 0);
            for (int64_t i = 0; t && i < 12; i++) {
                double want = ref_bin(ops[o], ts_tensor_get(a, i), ts_tensor_get(b, i % 4));
                if (dts[d] == TS_U8 && !strcmp(ops[o], "Sub")) want = (double)(uint8_t)(int)want;
                double tol = dts[d] == TS_F16 ? 1e-3 : dts[d] == TS_BF16 ? 8e-3 : 0;
                OH_EXPECT(ts_tensor_get(t, i), want, tol, 0, "%s %s", ops[o], ts_dtype_name(dts[d]));
            }
            ts_tensor_free(t); ts_tensor_free(a); ts_tensor_free(b);
        }
    }
}

TEST(logic_ops) {
    const char *ops[] = {"And", "Or", "Xor"};
    for (int o = 0; o < 3; o++) {
        ts_tensor *a = oh_rand(TS_BOOL, 2, (int64_t[]){5, 7}, 0, 2);
        ts_tensor *b = oh_rand(TS_BOOL, 2, (int64_t[]){5, 1}, 0, 2);
        ts_tensor *t = run2(ops[o], a, b, NULL, 0);
        for (int64_t i = 0; t && i < 35; i++) {
            bool x = ts_tensor_get(a, i) != 0, y = ts_tensor_get(b, i / 7) != 0;
            bool want = o == 0 ? (x && y) : o == 1 ? (x || y) : (x != y);
            OH_EXPECT(ts_tensor_get(t, i), want, 0, 0, "%s", ops[o]);
        }
        CHECK(t && t->dtype == TS_BOOL);
        ts_tensor_free(t); ts_tensor_free(a); ts_tensor_free(b);
    }
    ts_tensor *a = oh_rand(TS_BOOL, 1, (int64_t[]){9}, 0, 2);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Not", 1, 1);
    const ts_tensor *in[1] = {a};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    for (int i = 0; i < 9; i++) OH_EXPECT(ts_tensor_get(out[0], i), ts_tensor_get(a, i) == 0, 0, 0, "Not");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(a);
}

/* ---- variadic and Where ------------------------------------------------------ */

TEST(variadic_sum_mean_max_min) {
    const char *ops[] = {"Sum", "Mean", "Max", "Min"};
    int64_t da[] = {3, 1}, db[] = {4}, dc[] = {1, 1};
    for (int o = 0; o < 4; o++) {
        for (int k = 1; k <= 3; k++) {
            ts_tensor *x[3] = {oh_rand(TS_F32, 2, da, -5, 5), oh_rand(TS_F32, 1, db, -5, 5),
                               oh_rand(TS_F32, 2, dc, -5, 5)};
            ir_graph *g;
            ir_node *n = oh_node(&g, ops[o], k, 1);
            ts_tensor *out[1];
            CHECK(oh_run(n, 13, (const ts_tensor **)x, k, out, 1) == TS_OK);
            int ro = k == 1 ? 2 : 2;
            int64_t od[2] = {3, k == 1 ? 1 : 4};
            for (int64_t i = 0; out[0] && i < ts_tensor_numel(out[0]); i++) {
                double acc = 0;
                for (int j = 0; j < k; j++) {
                    double v = ((float *)x[j]->data)[oh_bcast_off(x[j], ro, od, i)];
                    if (j == 0) acc = v;
                    else if (o < 2) acc += v;
                    else if (o == 2) acc = v > acc ? v : acc;
                    else acc = v < acc ? v : acc;
                }
                if (o == 1) acc /= k;
                OH_EXPECT(((float *)out[0]->data)[i], acc, 1e-6, 1e-6, "%s of %d", ops[o], k);
            }
            oh_free(out, 1);
            ir_graph_free(g);
            for (int j = 0; j < 3; j++) ts_tensor_free(x[j]);
        }
    }
}

TEST(where_broadcast) {
    ts_dtype dts[] = {TS_F32, TS_I64, TS_U8, TS_F16};
    for (int d = 0; d < 4; d++) {
        ts_tensor *c = oh_rand(TS_BOOL, 2, (int64_t[]){4, 1}, 0, 2);
        ts_tensor *x = oh_rand(dts[d], 3, (int64_t[]){2, 4, 5}, 0, 100);
        ts_tensor *y = oh_rand(dts[d], 1, (int64_t[]){5}, 0, 100);
        ir_graph *g;
        ir_node *n = oh_node(&g, "Where", 3, 1);
        const ts_tensor *in[3] = {c, x, y};
        ts_tensor *out[1];
        CHECK(oh_run(n, 16, in, 3, out, 1) == TS_OK);
        int64_t od[] = {2, 4, 5};
        for (int64_t i = 0; out[0] && i < 40; i++) {
            bool cv = ((uint8_t *)c->data)[oh_bcast_off(c, 3, od, i)];
            double want = cv ? ts_tensor_get(x, oh_bcast_off(x, 3, od, i)) : ts_tensor_get(y, oh_bcast_off(y, 3, od, i));
            OH_EXPECT(ts_tensor_get(out[0], i), want, 0, 0, "Where %s", ts_dtype_name(dts[d]));
        }
        oh_free(out, 1);
        ir_graph_free(g);
        ts_tensor_free(c); ts_tensor_free(x); ts_tensor_free(y);
    }
}

/* ---- unary ops ------------------------------------------------------------- */

static double ref_un(const char *op, double x) {
    if (!strcmp(op, "Abs")) return x < 0 ? -x : x;
    if (!strcmp(op, "Neg")) return -x;
    if (!strcmp(op, "Sqrt")) return sqrt(x);
    if (!strcmp(op, "Exp")) return exp(x);
    if (!strcmp(op, "Log")) return log(x);
    if (!strcmp(op, "Reciprocal")) return 1 / x;
    if (!strcmp(op, "Floor")) return floor(x);
    if (!strcmp(op, "Ceil")) return ceil(x);
    if (!strcmp(op, "Sign")) return (x > 0) - (x < 0);
    if (!strcmp(op, "Erf")) return erf(x);
    if (!strcmp(op, "Tanh")) return tanh(x);
    if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-x));
    if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
    if (!strcmp(op, "LeakyRelu")) return x >= 0 ? x : 0.01 * x;
    if (!strcmp(op, "Elu")) return x >= 0 ? x : exp(x) - 1;
    if (!strcmp(op, "Selu")) /* the ONNX defaults are float attributes */
        return (double)1.0507009873554805f * (x > 0 ? x : (double)1.6732632423543772f * (exp(x) - 1));
    if (!strcmp(op, "HardSigmoid")) return fmin(1, fmax(0, 0.2 * x + 0.5));
    if (!strcmp(op, "HardSwish")) return x * fmin(1, fmax(0, x / 6 + 0.5));
    if (!strcmp(op, "Gelu")) return x * 0.5 * (1 + erf(x / sqrt(2)));
    if (!strcmp(op, "Softplus")) return log(1 + exp(x));
    if (!strcmp(op, "Softsign")) return x / (1 + fabs(x));
    if (!strcmp(op, "Sin")) return sin(x);
    if (!strcmp(op, "Cos")) return cos(x);
    if (!strcmp(op, "Atan")) return atan(x);
    if (!strcmp(op, "Sinh")) return sinh(x);
    if (!strcmp(op, "Celu")) return fmax(0, x) + fmin(0, exp(x) - 1);
    if (!strcmp(op, "Mish")) return x * tanh(log(1 + exp(x)));
    if (!strcmp(op, "ThresholdedRelu")) return x > 1 ? x : 0;
    return NAN;
}

static void check_unary(const char *op, ts_dtype dt, double lo, double hi, double rtol) {
    int64_t dims[] = {37, 301};   /* > one chunk: exercises the threads */
    ts_tensor *x = oh_rand(dt, 2, dims, lo, hi);
    if (ts_dtype_is_float(dt)) {  /* non-integers in the whole range */
        for (int64_t i = 0; i < ts_tensor_numel(x); i++) ts_tensor_set(x, i, th_rand_float((float)lo, (float)hi));
    }
    ir_graph *g;
    ir_node *n = oh_node(&g, op, 1, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    ts_status st = oh_run(n, 18, in, 1, out, 1);
    CHECK_MSG(st == TS_OK, "%s %s: %s", op, ts_dtype_name(dt), ts_last_error());
    for (int64_t i = 0; !st && i < ts_tensor_numel(x); i++) {
        double want = ref_un(op, ts_tensor_get(x, i));
        if (dt == TS_F32) want = (float)want;
        if (dt == TS_F16) want = ts_f16_to_f32(ts_f32_to_f16((float)want));
        OH_EXPECT(ts_tensor_get(out[0], i), want, rtol, 1e-7, "%s %s x=%g", op, ts_dtype_name(dt), ts_tensor_get(x, i));
    }
    oh_free(out, 1);
    ts_tensor_free(x);
    ir_graph_free(g);
}

TEST(unary_float) {
    const char *any[] = {"Abs", "Neg", "Exp", "Floor", "Ceil", "Sign", "Erf", "Tanh", "Sigmoid",
                         "Relu", "LeakyRelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Gelu",
                         "Softplus", "Softsign", "Sin", "Cos", "Atan", "Sinh", "Celu", "Mish",
                         "ThresholdedRelu"};
    for (size_t i = 0; i < TS_ARRAY_LEN(any); i++) {
        check_unary(any[i], TS_F32, -6, 6, 2e-6);
        check_unary(any[i], TS_F64, -6, 6, 1e-12);
        check_unary(any[i], TS_F16, -4, 4, 2e-3);
    }
    const char *pos[] = {"Sqrt", "Log", "Reciprocal"};
    for (size_t i = 0; i < TS_ARRAY_LEN(pos); i++) {
        check_unary(pos[i], TS_F32, 0.01, 50, 2e-6);
        check_unary(pos[i], TS_F64, 0.01, 50, 1e-12);
    }
    const char *ints[] = {"Abs", "Neg", "Sign", "Relu"};
    for (size_t i = 0; i < TS_ARRAY_LEN(ints); i++) {
        check_unary(ints[i], TS_I32, -100, 100, 0);
        check_unary(ints[i], TS_I64, -100, 100, 0);
        check_unary(ints[i], TS_I8, -100, 100, 0);
    }
}

/* The float32 rows use vector exp/tanh: check them over their whole range. */
TEST(vector_exp_tanh_accuracy) {
    check_unary("Exp", TS_F32, -86, 88, 3e-7 * 2);
    check_unary("Sigmoid", TS_F32, -80, 80, 6e-7);
    check_unary("Tanh", TS_F32, -10, 10, 6e-7);
    check_unary("Tanh", TS_F32, -0.7, 0.7, 6e-7);
    double v[] = {NAN, INFINITY, -INFINITY, 100, -100, 0};
    ts_tensor *x = oh_from(TS_F32, 1, (int64_t[]){6}, v);
    const char *ops[] = {"Exp", "Sigmoid", "Tanh"};
    double want[3][6] = {{NAN, INFINITY, 0, INFINITY, 0, 1}, {NAN, 1, 0, 1, 0, 0.5}, {NAN, 1, -1, 1, -1, 0}};
    for (int o = 0; o < 3; o++) {
        ir_graph *g;
        ir_node *n = oh_node(&g, ops[o], 1, 1);
        const ts_tensor *in[1] = {x};
        ts_tensor *out[1];
        CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
        for (int i = 0; i < 6; i++) OH_EXPECT(((float *)out[0]->data)[i], want[o][i], 0, 1e-30, "%s(%g)", ops[o], v[i]);
        oh_free(out, 1);
        ir_graph_free(g);
    }
    ts_tensor_free(x);
}

TEST(round_half_even_and_special_values) {
    double v[] = {0.5, 1.5, 2.5, -0.5, -2.5, 2.4, 2.6, -1.5};
    double want[] = {0, 2, 2, -0.0, -2, 2, 3, -2};
    ts_tensor *x = oh_from(TS_F32, 1, (int64_t[]){8}, v);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Round", 1, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 11, in, 1, out, 1) == TS_OK);
    expect_vals(out[0], want, 8, "Round");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);

    double sv[] = {NAN, INFINITY, -INFINITY, 1.0};
    x = oh_from(TS_F32, 1, (int64_t[]){4}, sv);
    in[0] = x;
    n = oh_node(&g, "IsNaN", 1, 1);
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    expect_vals(out[0], (double[]){1, 0, 0, 0}, 4, "IsNaN");
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "IsInf", 1, 1);
    ir_node_set_int(n, "detect_negative", 0);
    CHECK(oh_run(n, 10, in, 1, out, 1) == TS_OK);
    expect_vals(out[0], (double[]){0, 1, 0, 0}, 4, "IsInf positive only");
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "Relu", 1, 1);
    CHECK(oh_run(n, 14, in, 1, out, 1) == TS_OK);
    CHECK(isnan(((float *)out[0]->data)[0]) || ((float *)out[0]->data)[0] == 0);
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

TEST(gelu_tanh_and_attrs) {
    ts_tensor *x = oh_rand(TS_F32, 1, (int64_t[]){64}, -5, 5);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    ir_graph *g;
    ir_node *n = oh_node(&g, "Gelu", 1, 1);
    ir_node_set_string(n, "approximate", "tanh");
    CHECK(oh_run(n, 20, in, 1, out, 1) == TS_OK);
    for (int i = 0; i < 64; i++) {
        double v = ((float *)x->data)[i];
        double want = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        OH_EXPECT(((float *)out[0]->data)[i], want, 1e-5, 1e-6, "Gelu tanh");
    }
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "LeakyRelu", 1, 1);
    ir_node_set_float(n, "alpha", 0.25f);
    CHECK(oh_run(n, 16, in, 1, out, 1) == TS_OK);
    for (int i = 0; i < 64; i++) {
        double v = ((float *)x->data)[i];
        OH_EXPECT(((float *)out[0]->data)[i], v < 0 ? 0.25 * v : v, 1e-6, 0, "LeakyRelu alpha");
    }
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "HardSigmoid", 1, 1);
    ir_node_set_float(n, "alpha", 0.5f);
    ir_node_set_float(n, "beta", 0.25f);
    CHECK(oh_run(n, 16, in, 1, out, 1) == TS_OK);
    for (int i = 0; i < 64; i++) {
        double v = ((float *)x->data)[i];
        OH_EXPECT(((float *)out[0]->data)[i], fmin(1, fmax(0, 0.5 * v + 0.25)), 1e-6, 0, "HardSigmoid");
    }
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- Clip -------------------------------------------------------------------- */

TEST(clip_attr_and_inputs) {
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){5, 6}, -10, 10);
    ir_graph *g;
    ts_tensor *out[1];
    /* opset 6: attributes */
    ir_node *n = oh_node(&g, "Clip", 1, 1);
    ir_node_set_float(n, "min", -2.0f);
    ir_node_set_float(n, "max", 3.0f);
    const ts_tensor *in1[1] = {x};
    CHECK(oh_run(n, 6, in1, 1, out, 1) == TS_OK);
    for (int i = 0; i < 30; i++)
        OH_EXPECT(((float *)out[0]->data)[i], fmin(3, fmax(-2, ((float *)x->data)[i])), 0, 0, "Clip attr");
    oh_free(out, 1);
    ir_graph_free(g);
    /* opset 13: only max given (min omitted as an empty input) */
    ts_tensor *hi = oh_from(TS_F32, 0, NULL, (double[]){1.5});
    n = oh_node(&g, "Clip", 3, 1);
    const ts_tensor *in3[3] = {x, NULL, hi};
    CHECK(oh_run(n, 13, in3, 3, out, 1) == TS_OK);
    for (int i = 0; i < 30; i++)
        OH_EXPECT(((float *)out[0]->data)[i], fmin(1.5, ((float *)x->data)[i]), 0, 0, "Clip max only");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(hi);
    ts_tensor_free(x);
    /* int32 with min > max: everything becomes max (numpy.clip) */
    x = oh_rand(TS_I32, 1, (int64_t[]){20}, -50, 50);
    ts_tensor *lo = oh_from(TS_I32, 0, NULL, (double[]){5});
    hi = oh_from(TS_I32, 0, NULL, (double[]){-5});
    n = oh_node(&g, "Clip", 3, 1);
    const ts_tensor *in3b[3] = {x, lo, hi};
    CHECK(oh_run(n, 13, in3b, 3, out, 1) == TS_OK);
    for (int i = 0; i < 20; i++) OH_EXPECT(ts_tensor_get(out[0], i), -5, 0, 0, "Clip min > max");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x); ts_tensor_free(lo); ts_tensor_free(hi);
}

/* ---- Cast, CastLike, Identity, Dropout -------------------------------------- */

static ts_tensor *cast(const ts_tensor *x, ts_dtype to) {
    ir_graph *g;
    ir_node *n = oh_node(&g, "Cast", 1, 1);
    ir_node_set_int(n, "to", to);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    ts_status st = oh_run(n, 19, in, 1, out, 1);
    CHECK_MSG(st == TS_OK, "cast to %s: %s", ts_dtype_name(to), ts_last_error());
    ir_graph_free(g);
    if (st) { oh_free(out, 1); return NULL; }
    CHECK(out[0]->dtype == to);
    return out[0];
}

TEST(cast_all_pairs) {
    ts_dtype dts[] = {TS_F32, TS_F64, TS_F16, TS_BF16, TS_I8, TS_U8, TS_I16, TS_U16,
                      TS_I32, TS_U32, TS_I64, TS_U64, TS_BOOL};
    for (size_t a = 0; a < TS_ARRAY_LEN(dts); a++) {
        /* small non-negative integers survive every cast */
        ts_tensor *x = oh_rand(dts[a], 2, (int64_t[]){3, 7}, 0, dts[a] == TS_BOOL ? 2 : 100);
        for (int i = 0; i < 21; i++) ts_tensor_set(x, i, floor(ts_tensor_get(x, i)));
        for (size_t b = 0; b < TS_ARRAY_LEN(dts); b++) {
            ts_tensor *y = cast(x, dts[b]);
            for (int i = 0; y && i < 21; i++) {
                double v = ts_tensor_get(x, i);
                OH_EXPECT(ts_tensor_get(y, i), dts[b] == TS_BOOL ? (v != 0) : v, 0, 0, "%s -> %s",
                          ts_dtype_name(dts[a]), ts_dtype_name(dts[b]));
            }
            ts_tensor_free(y);
        }
        ts_tensor_free(x);
    }
}

TEST(cast_rounding_and_saturation) {
    double v[] = {1.7, -1.7, 1e10, -1e10, NAN, 0.1, 65504, 1e6};
    ts_tensor *x = oh_from(TS_F32, 1, (int64_t[]){8}, v);
    ts_tensor *y = cast(x, TS_I32);
    expect_vals(y, (double[]){1, -1, INT32_MAX, INT32_MIN, 0, 0, 65504, 1e6}, 8, "f32 -> i32");
    ts_tensor_free(y);
    y = cast(x, TS_F16);
    for (int i = 0; y && i < 8; i++)
        OH_EXPECT(ts_f16_to_f32(((uint16_t *)y->data)[i]), ts_f16_to_f32(ts_f32_to_f16((float)v[i])), 0, 0, "f16 %d", i);
    ts_tensor_free(y);
    y = cast(x, TS_BF16);
    for (int i = 0; y && i < 8; i++)
        OH_EXPECT(ts_bf16_to_f32(((uint16_t *)y->data)[i]), ts_bf16_to_f32(ts_f32_to_bf16((float)v[i])), 0, 0, "bf16 %d", i);
    ts_tensor_free(y);
    y = cast(x, TS_BOOL);
    expect_vals(y, (double[]){1, 1, 1, 1, 1, 1, 1, 1}, 8, "f32 -> bool");
    ts_tensor_free(y);
    ts_tensor_free(x);
    /* int64 -> int8 wraps */
    x = oh_from(TS_I64, 1, (int64_t[]){3}, (double[]){300, -129, 127});
    y = cast(x, TS_I8);
    expect_vals(y, (double[]){44, 127, 127}, 3, "i64 -> i8 wraps");
    ts_tensor_free(y);
    ts_tensor_free(x);
    /* string casts are refused with a message */
    x = oh_from(TS_F32, 1, (int64_t[]){1}, (double[]){1});
    ir_graph *g;
    ir_node *n = oh_node(&g, "Cast", 1, 1);
    ir_node_set_int(n, "to", TS_STRING);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_ERR_UNSUPPORTED);
    CHECK(strstr(ts_last_error(), "string") != NULL);
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "Cast", 1, 1);
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_ERR_INVALID);    /* no 'to' */
    CHECK(strstr(ts_last_error(), "'to'") != NULL);
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

TEST(castlike_identity_dropout) {
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){4, 5}, -3, 3);
    ts_tensor *like = ts_tensor_new(TS_F64, 1, (int64_t[]){1});
    ir_graph *g;
    ir_node *n = oh_node(&g, "CastLike", 2, 1);
    const ts_tensor *in2[2] = {x, like};
    ts_tensor *out[2];
    CHECK(oh_run(n, 15, in2, 2, out, 1) == TS_OK);
    CHECK(out[0]->dtype == TS_F64 && out[0]->rank == 2 && out[0]->dims[1] == 5);
    for (int i = 0; i < 20; i++) OH_EXPECT(ts_tensor_get(out[0], i), ((float *)x->data)[i], 0, 0, "CastLike");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(like);

    n = oh_node(&g, "Identity", 1, 1);
    const ts_tensor *in1[1] = {x};
    CHECK(oh_run(n, 16, in1, 1, out, 1) == TS_OK);
    CHECK(memcmp(out[0]->data, x->data, 80) == 0);
    oh_free(out, 1);
    ir_graph_free(g);

    n = oh_node(&g, "Dropout", 1, 2);
    CHECK(oh_run(n, 13, in1, 1, out, 2) == TS_OK);
    CHECK(memcmp(out[0]->data, x->data, 80) == 0);
    CHECK(out[1] && out[1]->dtype == TS_BOOL);
    for (int i = 0; out[1] && i < 20; i++) CHECK(((uint8_t *)out[1]->data)[i] == 1);
    oh_free(out, 2);
    ir_graph_free(g);

    /* training mode: MT19937 seeded like numpy, whose np.random.seed(0);
     * np.random.rand(10) is 0.549 0.715 0.603 0.545 0.424 0.646 0.438 0.892
     * 0.964 0.383: with ratio 0.5 elements 4, 6 and 9 drop, the rest double */
    ts_tensor *ratio = oh_from(TS_F32, 0, NULL, (double[]){0.5});
    ts_tensor *train = oh_from(TS_BOOL, 0, NULL, (double[]){1});
    n = oh_node(&g, "Dropout", 3, 2);
    ir_node_set_int(n, "seed", 0);
    const ts_tensor *in3[3] = {x, ratio, train};
    CHECK(oh_run(n, 13, in3, 3, out, 2) == TS_OK);
    bool keep[10] = {1, 1, 1, 1, 0, 1, 0, 1, 1, 0};
    for (int i = 0; i < 10; i++) {
        OH_EXPECT(((float *)out[0]->data)[i], keep[i] ? 2.0 * ((float *)x->data)[i] : 0, 1e-6, 0, "dropout %d", i);
        CHECK(((uint8_t *)out[1]->data)[i] == keep[i]);
    }
    oh_free(out, 2);
    ir_graph_free(g);
    /* ratio outside [0, 1] is refused */
    ts_tensor_free(ratio);
    ratio = oh_from(TS_F32, 0, NULL, (double[]){1.5});
    in3[1] = ratio;
    n = oh_node(&g, "Dropout", 3, 1);
    CHECK(oh_run(n, 13, in3, 3, out, 1) == TS_ERR_INVALID);
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(ratio); ts_tensor_free(train);
    ts_tensor_free(x);
}

/* ---- errors and empty tensors --------------------------------------------------- */

TEST(bad_inputs_give_messages) {
    ts_tensor *a = oh_rand(TS_F32, 2, (int64_t[]){3, 4}, 0, 1);
    ts_tensor *b = oh_rand(TS_F32, 1, (int64_t[]){5}, 0, 1);
    ts_tensor *c = oh_rand(TS_I32, 1, (int64_t[]){4}, 0, 1);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Add", 2, 1);
    const ts_tensor *in[2] = {a, b};
    ts_tensor *out[1];
    CHECK(oh_run(n, 14, in, 2, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "n0") && strstr(ts_last_error(), "broadcast"));
    in[1] = c;
    CHECK(oh_run(n, 14, in, 2, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "dtype"));
    ir_graph_free(g);
    n = oh_node(&g, "Sqrt", 1, 1);
    in[0] = c;
    CHECK(oh_run(n, 14, in, 1, out, 1) == TS_ERR_INVALID);
    ir_graph_free(g);
    n = oh_node(&g, "And", 2, 1);
    in[0] = a; in[1] = a;
    CHECK(oh_run(n, 14, in, 2, out, 1) == TS_ERR_INVALID);
    ir_graph_free(g);
    ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(c);
}

TEST(zero_size_and_rank0) {
    ts_tensor *a = oh_rand(TS_F32, 2, (int64_t[]){0, 3}, 0, 1);
    ts_tensor *b = oh_rand(TS_F32, 1, (int64_t[]){3}, 0, 1);
    ts_tensor *t = run2("Mul", a, b, NULL, 0);
    CHECK(t && t->rank == 2 && t->dims[0] == 0 && t->dims[1] == 3);
    ts_tensor_free(t);
    ts_tensor *s1 = oh_from(TS_F32, 0, NULL, (double[]){2});
    ts_tensor *s2 = oh_from(TS_F32, 0, NULL, (double[]){5});
    t = run2("Sub", s1, s2, NULL, 0);
    CHECK(t && t->rank == 0 && ((float *)t->data)[0] == -3);
    ts_tensor_free(t);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Exp", 1, 1);
    const ts_tensor *in[1] = {a};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    CHECK(out[0] && ts_tensor_numel(out[0]) == 0);
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(s1); ts_tensor_free(s2);
}

/* Opset < 7: B aligned at `axis` with broadcast=1; PRelu-6 slope per channel. */
TEST(legacy_broadcast_opset6) {
    ts_tensor *a = oh_rand(TS_F32, 3, (int64_t[]){2, 3, 4}, -5, 5);
    ts_tensor *b = oh_rand(TS_F32, 1, (int64_t[]){3}, 0, 1);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Add", 2, 1);
    ir_node_set_int(n, "broadcast", 1);
    ir_node_set_int(n, "axis", 1);
    const ts_tensor *in[2] = {a, b};
    ts_tensor *out[1];
    CHECK(oh_run(n, 6, in, 2, out, 1) == TS_OK);
    for (int i = 0; out[0] && i < 24; i++)
        OH_EXPECT(((float *)out[0]->data)[i], ((float *)a->data)[i] + ((float *)b->data)[i / 4 % 3], 1e-6, 0, "Add axis=1");
    oh_free(out, 1);
    ir_graph_free(g);
    n = oh_node(&g, "PRelu", 2, 1);
    CHECK(oh_run(n, 6, in, 2, out, 1) == TS_OK);
    for (int i = 0; out[0] && i < 24; i++) {
        float x = ((float *)a->data)[i];
        OH_EXPECT(((float *)out[0]->data)[i], x < 0 ? x * ((float *)b->data)[i / 4 % 3] : x, 1e-6, 0, "PRelu-6");
    }
    oh_free(out, 1);
    /* opset 7+: numpy rules, so [2,3,4] and [3] do not broadcast */
    CHECK(oh_run(n, 9, in, 2, out, 1) == TS_ERR_INVALID);
    ir_graph_free(g);
    ts_tensor_free(a); ts_tensor_free(b);
}

/* ---- generators ------------------------------------------------------------- */

TEST(windows_and_eyelike) {
    const char *ops[] = {"HannWindow", "HammingWindow", "BlackmanWindow"};
    double a[3][3] = {{0.5, 0.5, 0}, {25.0 / 46, 21.0 / 46, 0}, {0.42, 0.5, 0.08}};
    for (int o = 0; o < 3; o++)
        for (int periodic = 0; periodic < 2; periodic++) {
            int64_t size = th_rand_int(2, 40);
            ts_tensor *s = oh_scalar_i64(size);
            ts_tensor sz0 = *s;
            sz0.rank = 0;
            ir_graph *g;
            ir_node *n = oh_node(&g, ops[o], 1, 1);
            ir_node_set_int(n, "periodic", periodic);
            const ts_tensor *in[1] = {&sz0};
            ts_tensor *out[1];
            CHECK(oh_run(n, 17, in, 1, out, 1) == TS_OK);
            CHECK(out[0]->rank == 1 && out[0]->dims[0] == size && out[0]->dtype == TS_F32);
            double N = periodic ? size : size - 1;
            for (int64_t i = 0; i < size; i++)
                OH_EXPECT(((float *)out[0]->data)[i],
                          a[o][0] - a[o][1] * cos(2 * M_PI * i / N) + a[o][2] * cos(4 * M_PI * i / N), 1e-6, 1e-7,
                          "%s periodic %d", ops[o], periodic);
            oh_free(out, 1);
            ir_graph_free(g);
            ts_tensor_free(s);
        }
    ts_tensor *x = oh_rand(TS_I32, 2, (int64_t[]){4, 6}, 0, 9);
    for (int k = -5; k <= 7; k += 3) {
        ir_graph *g;
        ir_node *n = oh_node(&g, "EyeLike", 1, 1);
        ir_node_set_int(n, "k", k);
        ir_node_set_int(n, "dtype", TS_F64);
        const ts_tensor *in[1] = {x};
        ts_tensor *out[1];
        CHECK(oh_run(n, 9, in, 1, out, 1) == TS_OK);
        CHECK(out[0]->dtype == TS_F64);
        for (int i = 0; i < 24; i++) OH_EXPECT(((double *)out[0]->data)[i], i % 6 - i / 6 == k, 0, 0, "EyeLike k %d", k);
        oh_free(out, 1);
        ir_graph_free(g);
    }
    ts_tensor_free(x);
}

/* Random dtypes, shapes (incl. rank 0 and zero-size dims), input values and
 * attributes for every op of both tables: inference may refuse, but nothing
 * may crash or trip the sanitizers, and an accepted node must run. */
static void fuzz_attrs(ir_node *n) {
    static const char *eqs[] = {"ij,jk->ik", "ii", "...i,...i", "i,j", "a...->...", "ij->ji", "bij,bjk->bik", "..."};
    static const char *dirs[] = {"LEFT", "RIGHT", "UP"};
    if (th_rand_int(0, 1)) ir_node_set_int(n, "axis", th_rand_int(-5, 5));
    if (th_rand_int(0, 1)) {
        int64_t ax[3] = {th_rand_int(-4, 4), th_rand_int(-4, 4), th_rand_int(-4, 4)};
        ir_node_set_ints(n, "axes", ax, th_rand_int(0, 3));
    }
    const char *ints[] = {"keepdims", "k", "to", "fmod", "select_last_index", "largest", "sorted", "upper",
                          "exclusive", "reverse", "noop_with_empty_axes", "broadcast", "detect_negative"};
    for (size_t i = 0; i < TS_ARRAY_LEN(ints); i++)
        if (th_rand_int(0, 2) == 0) ir_node_set_int(n, ints[i], th_rand_int(-2, 17));
    if (th_rand_int(0, 1)) ir_node_set_float(n, "alpha", th_rand_float(-2, 2));
    if (th_rand_int(0, 1)) ir_node_set_string(n, "direction", dirs[th_rand_int(0, 2)]);
    if (th_rand_int(0, 3)) ir_node_set_string(n, "equation", eqs[th_rand_int(0, (int)TS_ARRAY_LEN(eqs) - 1)]);
    if (th_rand_int(0, 1)) ir_node_set_string(n, "approximate", th_rand_int(0, 1) ? "tanh" : "none");
}

static ts_tensor *fuzz_tensor(void) {
    static const ts_dtype dts[] = {TS_F32, TS_F64, TS_F16, TS_BF16, TS_I32, TS_I64, TS_U8, TS_I8, TS_BOOL, TS_U64};
    int rank = th_rand_int(0, 4);
    int64_t dims[4];
    for (int d = 0; d < rank; d++) dims[d] = th_rand_int(0, 7) == 0 ? 0 : th_rand_int(1, 4);
    ts_tensor *t = ts_tensor_new(dts[th_rand_int(0, (int)TS_ARRAY_LEN(dts) - 1)], rank, dims);
    for (int64_t i = 0; i < ts_tensor_numel(t); i++) ts_tensor_set(t, i, th_rand_int(-3, 3));
    return t;
}

TEST(fuzz_every_op_no_crash) {
    const cpu_kernel *tabs[] = {cpu_kernels_elementwise, cpu_kernels_reduce};
    int ran = 0, refused = 0;
    for (int t = 0; t < 2; t++)
        for (const cpu_kernel *k = tabs[t]; k->op_type; k++) {
            const ir_opdef *def = ir_op_find("", k->op_type);
            CHECK_MSG(def != NULL, "%s has a kernel but no opdef", k->op_type);
            if (!def) continue;
            for (int iter = 0; iter < 60; iter++) {
                int max_in = def->max_inputs < 0 ? 4 : def->max_inputs;
                int n_in = th_rand_int(def->min_inputs, max_in), n_out = def->max_outputs;
                ts_tensor *x[4] = {NULL};
                ts_tensor *first = fuzz_tensor();
                for (int i = 0; i < n_in; i++) {
                    /* often reuse the first input's dtype/shape so more nodes get past inference */
                    x[i] = i && th_rand_int(0, 1) ? ts_tensor_clone(first) : (i ? fuzz_tensor() : first);
                }
                ir_graph *g;
                ir_node *n = oh_node(&g, k->op_type, n_in, n_out);
                fuzz_attrs(n);
                ts_tensor *out[4] = {NULL};
                ts_status st = oh_run(n, th_rand_int(6, 21), (const ts_tensor **)x, n_in, out, n_out);
                if (st == TS_OK) ran++; else refused++;
                CHECK_MSG(st == TS_OK || strlen(ts_last_error()) > 0, "%s: failure without a message", k->op_type);
                oh_free(out, n_out);
                ir_graph_free(g);
                for (int i = 0; i < n_in; i++) ts_tensor_free(x[i]);
            }
        }
    printf("fuzz: %d nodes ran, %d refused by inference or kernels\n", ran, refused);
    CHECK(ran > 1000);
}

TEST_MAIN()

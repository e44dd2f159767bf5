/* test_ops_reduce.c: Reduce*, ArgMax/ArgMin, Softmax family, TopK, CumSum,
 * Trilu, OneHot, NonZero and Einsum against scalar references written here,
 * on fresh random inputs: every axes combination of a rank-4 tensor, negative
 * axes, keepdims, attribute vs input axes (old and new opsets), empty axes,
 * zero-size dims. Float32 results within 1e-5 relative (sums in double). */
#include "ops_harness.h"

/* ---- Reduce* --------------------------------------------------------------- */

static const char *red_ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp",
                                "ReduceLogSum"};

/* Reference: for each output slot, walk every input element that maps to it. */
static double ref_reduce(const char *op, const ts_tensor *x, const bool *mask, int64_t oslot) {
    int r = x->rank;
    int64_t m = ts_tensor_numel(x), count = 0;
    double acc = 0, mx = -INFINITY, mn = INFINITY, prod = 1, l1 = 0, sq = 0;
    for (int64_t i = 0; i < m; i++) {
        /* output slot of input element i: kept dims only, row-major */
        int64_t rem = i, slot = 0, mul = 1;
        for (int d = r - 1; d >= 0; d--) {
            int64_t id = rem % x->dims[d];
            rem /= x->dims[d];
            if (!mask[d]) { slot += id * mul; mul *= x->dims[d]; }
        }
        if (slot != oslot) continue;
        double v = ts_tensor_get(x, i);
        count++;
        acc += v; prod *= v; l1 += fabs(v); sq += v * v;
        if (v > mx) mx = v;
        if (v < mn) mn = v;
    }
    if (!strcmp(op, "ReduceSum")) return acc;
    if (!strcmp(op, "ReduceMean")) return acc / (double)count;
    if (!strcmp(op, "ReduceMax")) return mx;
    if (!strcmp(op, "ReduceMin")) return mn;
    if (!strcmp(op, "ReduceProd")) return prod;
    if (!strcmp(op, "ReduceL1")) return l1;
    if (!strcmp(op, "ReduceL2")) return sqrt(sq);
    if (!strcmp(op, "ReduceSumSquare")) return sq;
    if (!strcmp(op, "ReduceLogSum")) return log(acc);
    /* log-sum-exp computed the naive way in long double is fine for |x| < 5 */
    long double s = 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t rem = i, slot = 0, mul = 1;
        for (int d = r - 1; d >= 0; d--) {
            int64_t id = rem % x->dims[d];
            rem /= x->dims[d];
            if (!mask[d]) { slot += id * mul; mul *= x->dims[d]; }
        }
        if (slot == oslot) s += expl((long double)ts_tensor_get(x, i));
    }
    return (double)logl(s);
}

/* Runs op over x with axes given by bits of `bits` (bit d = axis d), written
 * as negative axes when neg, keepdims kd, in the opset's style. */
static void check_reduce(const char *op, const ts_tensor *x, unsigned bits, bool neg, bool kd, int opset) {
    bool mask[TS_MAX_RANK] = {false};
    int64_t axes[TS_MAX_RANK];
    int na = 0;
    for (int d = 0; d < x->rank; d++)
        if (bits >> d & 1) { mask[d] = true; axes[na++] = neg ? d - x->rank : d; }
    if (na == 0)
        for (int d = 0; d < x->rank; d++) mask[d] = true;   /* no axes: all */
    bool axes_input = !strcmp(op, "ReduceSum") ? opset >= 13 : opset >= 18;
    ir_graph *g;
    ir_node *n = oh_node(&g, op, axes_input && na ? 2 : 1, 1);
    ir_node_set_int(n, "keepdims", kd);
    ts_tensor *at = NULL;
    if (!axes_input && na) ir_node_set_ints(n, "axes", axes, na);
    if (axes_input && na) {
        at = ts_tensor_new(TS_I64, 1, (int64_t[]){na});
        memcpy(at->data, axes, sizeof(int64_t) * (size_t)na);
    }
    const ts_tensor *in[2] = {x, at};
    ts_tensor *out[1];
    ts_status st = oh_run(n, opset, in, at ? 2 : 1, out, 1);
    CHECK_MSG(st == TS_OK, "%s: %s", op, ts_last_error());
    if (!st) {
        int want_rank = 0;
        for (int d = 0; d < x->rank; d++) {
            if (mask[d] && !kd) continue;
            CHECK(out[0]->dims[want_rank] == (mask[d] ? 1 : x->dims[d]));
            want_rank++;
        }
        CHECK(out[0]->rank == want_rank);
        for (int64_t i = 0; i < ts_tensor_numel(out[0]); i++)
            OH_EXPECT(ts_tensor_get(out[0], i), ref_reduce(op, x, mask, i), x->dtype == TS_F16 ? 1e-3 : 2e-5, 1e-6,
                      "%s axes bits %x keepdims %d opset %d slot %lld", op, bits, kd, opset, (long long)i);
    }
    oh_free(out, 1);
    ts_tensor_free(at);
    ir_graph_free(g);
}

TEST(reduce_every_axes_combination) {
    ts_tensor *x = oh_rand(TS_F32, 4, (int64_t[]){2, 3, 4, 5}, -2, 2);
    ts_tensor *pos = oh_rand(TS_F32, 4, (int64_t[]){2, 3, 4, 5}, 0.5, 1.5);
    for (size_t o = 0; o < TS_ARRAY_LEN(red_ops); o++) {
        const ts_tensor *t = !strcmp(red_ops[o], "ReduceLogSum") || !strcmp(red_ops[o], "ReduceProd") ? pos : x;
        for (unsigned bits = 0; bits < 16; bits++) {
            check_reduce(red_ops[o], t, bits, bits & 1, (bits >> 1) & 1, 11);
            check_reduce(red_ops[o], t, bits, !(bits & 1), !((bits >> 1) & 1), 18);
        }
        check_reduce(red_ops[o], t, 5, true, true, 13);
    }
    ts_tensor_free(x);
    ts_tensor_free(pos);
}

TEST(reduce_other_dtypes_and_big) {
    ts_dtype dts[] = {TS_F64, TS_F16, TS_I32, TS_I64};
    for (int d = 0; d < 4; d++) {
        ts_tensor *x = oh_rand(dts[d], 3, (int64_t[]){3, 4, 5}, -20, 20);
        const char *ops[] = {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare"};
        for (int o = 0; o < 4; o++)
            for (unsigned bits = 1; bits < 8; bits++) check_reduce(ops[o], x, bits, false, bits & 1, 18);
        ts_tensor_free(x);
    }
    /* big enough that the kept outer dim is split across threads */
    ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){64, 33, 40}, -1, 1);
    check_reduce("ReduceMean", x, 4, false, true, 13);
    check_reduce("ReduceSum", x, 2, true, false, 13);
    check_reduce("ReduceMax", x, 6, false, false, 13);
    ts_tensor_free(x);
}

TEST(reduce_empty_axes_noop_and_zero_size) {
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){3, 4}, -1, 1);
    ts_tensor *empty = ts_tensor_new(TS_I64, 1, (int64_t[]){0});
    ir_graph *g;
    ir_node *n = oh_node(&g, "ReduceSum", 2, 1);
    ir_node_set_int(n, "noop_with_empty_axes", 1);
    const ts_tensor *in[2] = {x, empty};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 2, out, 1) == TS_OK);
    CHECK(out[0]->rank == 2 && memcmp(out[0]->data, x->data, 48) == 0);
    oh_free(out, 1);
    ir_graph_free(g);
    /* without noop: empty axes reduce everything */
    n = oh_node(&g, "ReduceSum", 2, 1);
    ir_node_set_int(n, "keepdims", 0);
    CHECK(oh_run(n, 13, in, 2, out, 1) == TS_OK);
    double s = 0;
    for (int i = 0; i < 12; i++) s += ((float *)x->data)[i];
    CHECK(out[0]->rank == 0);
    OH_EXPECT(((float *)out[0]->data)[0], s, 1e-5, 1e-6, "sum all");
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
    ts_tensor_free(empty);

    /* reducing a zero-size axis gives each op's identity */
    x = ts_tensor_new(TS_F32, 3, (int64_t[]){2, 0, 3});
    const char *ops[] = {"ReduceSum", "ReduceProd", "ReduceMax", "ReduceMin", "ReduceL2"};
    double want[] = {0, 1, -INFINITY, INFINITY, 0};
    for (int o = 0; o < 5; o++) {
        n = oh_node(&g, ops[o], 1, 1);
        ir_node_set_ints(n, "axes", (int64_t[]){1}, 1);
        in[0] = x;
        CHECK(oh_run(n, 11, in, 1, out, 1) == TS_OK);
        CHECK_MSG(out[0]->rank == 3 && out[0]->dims[1] == 1 && ts_tensor_numel(out[0]) == 6, "%s: rank %d numel %lld",
                  ops[o], out[0]->rank, (long long)ts_tensor_numel(out[0]));
        for (int i = 0; i < 6; i++) OH_EXPECT(((float *)out[0]->data)[i], want[o], 0, 0, "%s of nothing", ops[o]);
        oh_free(out, 1);
        ir_graph_free(g);
    }
    /* keeping the zero-size axis gives an empty output */
    n = oh_node(&g, "ReduceSum", 1, 1);
    ir_node_set_ints(n, "axes", (int64_t[]){-1}, 1);
    CHECK(oh_run(n, 11, in, 1, out, 1) == TS_OK);
    CHECK(ts_tensor_numel(out[0]) == 0 && out[0]->dims[1] == 0);
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

TEST(reduce_bad_axes) {
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){3, 4}, -1, 1);
    ir_graph *g;
    ir_node *n = oh_node(&g, "ReduceMax", 1, 1);
    ir_node_set_ints(n, "axes", (int64_t[]){2}, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "axis") != NULL);
    ir_graph_free(g);
    n = oh_node(&g, "ReduceMax", 1, 1);
    ir_node_set_ints(n, "axes", (int64_t[]){1, -1}, 2);
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_ERR_INVALID);
    ir_graph_free(g);
    /* axes as an input without a value: inference must wait for it */
    ts_tensor shape_only = {.dtype = TS_I64, .rank = 1, .dims = {1}, .data = NULL};
    n = oh_node(&g, "ReduceMax", 2, 1);
    const ts_tensor *in2[2] = {x, &shape_only};
    ts_tensor o = {0}, *op = &o;
    CHECK(ir_infer_node(n, 18, in2, 2, &op, 1) == IR_NEED_VALUE);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- ArgMax / ArgMin ------------------------------------------------------- */

TEST(argmax_argmin) {
    /* small integers: many ties, so select_last_index matters */
    ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){3, 5, 4}, 0, 3);
    const char *ops[] = {"ArgMax", "ArgMin"};
    for (int o = 0; o < 2; o++)
        for (int axis = -3; axis < 3; axis++)
            for (int kd = 0; kd < 2; kd++)
                for (int last = 0; last < 2; last++) {
                    ir_graph *g;
                    ir_node *n = oh_node(&g, ops[o], 1, 1);
                    ir_node_set_int(n, "axis", axis);
                    ir_node_set_int(n, "keepdims", kd);
                    ir_node_set_int(n, "select_last_index", last);
                    const ts_tensor *in[1] = {x};
                    ts_tensor *out[1];
                    CHECK(oh_run(n, 12, in, 1, out, 1) == TS_OK);
                    int a = axis < 0 ? axis + 3 : axis;
                    CHECK(out[0]->dtype == TS_I64 && out[0]->rank == (kd ? 3 : 2));
                    int64_t stride[3] = {20, 4, 1};
                    for (int64_t s = 0; s < 60; s++) {
                        int64_t id[3] = {s / 20, s / 4 % 5, s % 4};
                        if (id[a] != 0) continue;
                        int64_t best = 0;
                        for (int64_t r = 1; r < x->dims[a]; r++) {
                            float v = ((float *)x->data)[s + r * stride[a]];
                            float b = ((float *)x->data)[s + best * stride[a]];
                            bool better = o == 0 ? (v > b || (last && v == b)) : (v < b || (last && v == b));
                            if (better) best = r;
                        }
                        /* output slot: drop dim a */
                        int64_t slot = 0;
                        for (int d = 0; d < 3; d++) if (d != a) slot = slot * x->dims[d] + id[d];
                        OH_EXPECT(((int64_t *)out[0]->data)[slot], best, 0, 0, "%s axis %d last %d", ops[o], axis, last);
                    }
                    oh_free(out, 1);
                    ir_graph_free(g);
                }
    ts_tensor_free(x);
}

/* ---- Softmax family ------------------------------------------------------------ */

static void check_softmax(const char *op, const ts_tensor *x, int axis, int opset) {
    ir_graph *g;
    ir_node *n = oh_node(&g, op, 1, 1);
    ir_node_set_int(n, "axis", axis);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, opset, in, 1, out, 1) == TS_OK);
    int r = x->rank, a = axis < 0 ? axis + r : axis;
    /* rows: opset < 13 flattens dims[a:], else the single axis */
    int64_t outer = 1, len = 1, inner = 1;
    for (int d = 0; d < r; d++) {
        if (d < a) outer *= x->dims[d];
        else if (d == a || opset < 13) len *= x->dims[d];
        else inner *= x->dims[d];
    }
    const float *xv = x->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double mx = -INFINITY, sum = 0;
            int64_t arg = 0;
            for (int64_t k = 0; k < len; k++) {
                double v = xv[(o * len + k) * inner + i];
                if (v > mx) { mx = v; arg = k; }
            }
            for (int64_t k = 0; k < len; k++) sum += exp(xv[(o * len + k) * inner + i] - mx);
            for (int64_t k = 0; k < len; k++) {
                int64_t at = (o * len + k) * inner + i;
                double v = xv[at], want;
                if (!strcmp(op, "Softmax")) want = exp(v - mx) / sum;
                else if (!strcmp(op, "LogSoftmax")) want = v - mx - log(sum);
                else want = k == arg;
                OH_EXPECT(((float *)out[0]->data)[at], want, 1e-5, 1e-6, "%s axis %d opset %d", op, axis, opset);
            }
        }
    oh_free(out, 1);
    ir_graph_free(g);
}

TEST(softmax_logsoftmax_hardmax) {
    ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){3, 4, 5}, -5, 5);
    const char *ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
    for (int o = 0; o < 3; o++)
        for (int axis = -3; axis < 3; axis++) {
            check_softmax(ops[o], x, axis, 11);
            check_softmax(ops[o], x, axis, 13);
        }
    ts_tensor_free(x);
    /* large values must not overflow; many rows run on both threads */
    x = oh_rand(TS_F32, 2, (int64_t[]){500, 77}, 1000, 1010);
    check_softmax("Softmax", x, -1, 13);
    check_softmax("LogSoftmax", x, 1, 13);
    ts_tensor_free(x);
    /* a middle axis with more than one block of columns (and a ragged one) */
    x = oh_rand(TS_F32, 3, (int64_t[]){2, 7, 301}, -3, 3);
    for (int o = 0; o < 3; o++) check_softmax(ops[o], x, 1, 13);
    ts_tensor_free(x);
    /* float64 goes through the generic path */
    x = oh_rand(TS_F64, 2, (int64_t[]){4, 6}, -3, 3);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Softmax", 1, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    for (int r = 0; r < 4; r++) {
        double s = 0;
        for (int k = 0; k < 6; k++) s += ((double *)out[0]->data)[r * 6 + k];
        OH_EXPECT(s, 1.0, 1e-12, 0, "float64 softmax row sum");
    }
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- TopK ---------------------------------------------------------------------- */

TEST(topk_ties_axes_largest_smallest) {
    ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){3, 7, 4}, 0, 4);   /* many ties */
    for (int axis = -3; axis < 3; axis++)
        for (int largest = 0; largest < 2; largest++) {
            int a = axis < 0 ? axis + 3 : axis;
            int64_t k = th_rand_int(0, (int)x->dims[a]);
            ir_graph *g;
            ir_node *n = oh_node(&g, "TopK", 2, 2);
            ir_node_set_int(n, "axis", axis);
            ir_node_set_int(n, "largest", largest);
            ts_tensor *kt = oh_scalar_i64(k);
            const ts_tensor *in[2] = {x, kt};
            ts_tensor *out[2];
            CHECK(oh_run(n, 11, in, 2, out, 2) == TS_OK);
            CHECK(out[0]->dims[a] == k && out[1]->dtype == TS_I64);
            int64_t st[3] = {28, 4, 1}, L = x->dims[a];
            for (int64_t s = 0; s < 84; s++) {
                int64_t id[3] = {s / 28, s / 4 % 7, s % 4};
                if (id[a] != 0) continue;
                /* reference: selection with ties broken by the smaller index */
                bool used[8] = {false};
                for (int64_t r = 0; r < k; r++) {
                    int64_t best = -1;
                    for (int64_t j = 0; j < L; j++) {
                        if (used[j]) continue;
                        float v = ((float *)x->data)[s + j * st[a]];
                        if (best < 0) { best = j; continue; }
                        float b = ((float *)x->data)[s + best * st[a]];
                        if (largest ? v > b : v < b) best = j;
                    }
                    used[best] = true;
                    int64_t od[3] = {x->dims[0], x->dims[1], x->dims[2]};
                    od[a] = k;
                    int64_t oid[3] = {id[0], id[1], id[2]};
                    oid[a] = r;
                    int64_t slot = (oid[0] * od[1] + oid[1]) * od[2] + oid[2];
                    OH_EXPECT(((int64_t *)out[1]->data)[slot], best, 0, 0, "TopK index axis %d", axis);
                    OH_EXPECT(((float *)out[0]->data)[slot], ((float *)x->data)[s + best * st[a]], 0, 0, "TopK value");
                }
            }
            oh_free(out, 2);
            ts_tensor_free(kt);
            ir_graph_free(g);
        }
    /* k larger than the axis: error; opset 1 k attribute */
    ir_graph *g;
    ir_node *n = oh_node(&g, "TopK", 2, 2);
    ts_tensor *kt = oh_scalar_i64(5);
    const ts_tensor *in[2] = {x, kt};
    ts_tensor *out[2];
    CHECK(oh_run(n, 11, in, 2, out, 2) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "k = 5") != NULL);
    ir_graph_free(g);
    ts_tensor_free(kt);
    n = oh_node(&g, "TopK", 1, 2);
    ir_node_set_int(n, "k", 2);
    CHECK(oh_run(n, 1, in, 1, out, 2) == TS_OK);
    CHECK(out[0]->dims[2] == 2 && out[1]->dims[2] == 2);
    oh_free(out, 2);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- CumSum, Trilu, OneHot, NonZero ------------------------------------------------ */

TEST(cumsum_exclusive_reverse) {
    ts_dtype dts[] = {TS_F32, TS_I32, TS_I64, TS_F64};
    for (int d = 0; d < 4; d++)
        for (int axis = -2; axis < 2; axis++)
            for (int ex = 0; ex < 2; ex++)
                for (int rev = 0; rev < 2; rev++) {
                    ts_tensor *x = oh_rand(dts[d], 2, (int64_t[]){4, 6}, -10, 10);
                    ts_tensor *ax = ts_tensor_new(dts[d] == TS_I32 ? TS_I32 : TS_I64, 0, NULL);
                    ts_tensor_set(ax, 0, axis);
                    ir_graph *g;
                    ir_node *n = oh_node(&g, "CumSum", 2, 1);
                    ir_node_set_int(n, "exclusive", ex);
                    ir_node_set_int(n, "reverse", rev);
                    const ts_tensor *in[2] = {x, ax};
                    ts_tensor *out[1];
                    CHECK(oh_run(n, 14, in, 2, out, 1) == TS_OK);
                    int a = axis < 0 ? axis + 2 : axis;
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 6; j++) {
                            double s = 0;
                            int pos = a == 0 ? i : j, len = a == 0 ? 4 : 6;
                            for (int k = 0; k < len; k++) {
                                bool take = rev ? (ex ? k > pos : k >= pos) : (ex ? k < pos : k <= pos);
                                if (take) s += ts_tensor_get(x, a == 0 ? k * 6 + j : i * 6 + k);
                            }
                            OH_EXPECT(ts_tensor_get(out[0], i * 6 + j), s, 1e-6, 1e-5, "CumSum axis %d ex %d rev %d", axis, ex, rev);
                        }
                    oh_free(out, 1);
                    ir_graph_free(g);
                    ts_tensor_free(x); ts_tensor_free(ax);
                }
}

TEST(trilu_upper_lower_k) {
    ts_tensor *x = oh_rand(TS_I64, 3, (int64_t[]){2, 4, 6}, 1, 100);
    for (int upper = 0; upper < 2; upper++)
        for (int k = -5; k <= 7; k += 3) {
            ir_graph *g;
            ir_node *n = oh_node(&g, "Trilu", 2, 1);
            ir_node_set_int(n, "upper", upper);
            ts_tensor *kt = oh_scalar_i64(k);
            const ts_tensor *in[2] = {x, kt};
            ts_tensor *out[1];
            CHECK(oh_run(n, 14, in, 2, out, 1) == TS_OK);
            for (int b = 0; b < 2; b++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 6; j++) {
                        int at = (b * 4 + i) * 6 + j;
                        bool keep = upper ? j >= i + k : j <= i + k;
                        OH_EXPECT(((int64_t *)out[0]->data)[at], keep ? ((int64_t *)x->data)[at] : 0, 0, 0,
                                  "Trilu upper %d k %d", upper, k);
                    }
            oh_free(out, 1);
            ts_tensor_free(kt);
            ir_graph_free(g);
        }
    ts_tensor_free(x);
}

TEST(onehot_axes_negative_indices) {
    ts_tensor *idx = oh_rand(TS_I64, 2, (int64_t[]){3, 4}, -5, 5);   /* -5..4, depth 5 */
    ts_tensor *depth = oh_from(TS_F32, 0, NULL, (double[]){5});
    ts_tensor *vals = oh_from(TS_F32, 1, (int64_t[]){2}, (double[]){-1, 7});
    for (int axis = -3; axis < 3; axis++) {
        ir_graph *g;
        ir_node *n = oh_node(&g, "OneHot", 3, 1);
        ir_node_set_int(n, "axis", axis);
        const ts_tensor *in[3] = {idx, depth, vals};
        ts_tensor *out[1];
        CHECK(oh_run(n, 11, in, 3, out, 1) == TS_OK);
        int a = axis < 0 ? axis + 3 : axis;
        CHECK(out[0]->rank == 3 && out[0]->dims[a] == 5);
        for (int64_t s = 0; s < 60; s++) {
            int64_t id[3], rem = s;
            for (int d = 2; d >= 0; d--) { id[d] = rem % out[0]->dims[d]; rem /= out[0]->dims[d]; }
            int64_t ii[2], m = 0;
            for (int d = 0; d < 3; d++) if (d != a) ii[m++] = id[d];
            int64_t v = ((int64_t *)idx->data)[ii[0] * 4 + ii[1]];
            if (v < 0) v += 5;
            OH_EXPECT(((float *)out[0]->data)[s], v == id[a] ? 7 : -1, 0, 0, "OneHot axis %d", axis);
        }
        oh_free(out, 1);
        ir_graph_free(g);
    }
    ts_tensor_free(idx); ts_tensor_free(depth); ts_tensor_free(vals);
}

TEST(nonzero) {
    ts_tensor *x = oh_rand(TS_I32, 3, (int64_t[]){3, 4, 5}, -1, 2);   /* about a third zero */
    ir_graph *g;
    ir_node *n = oh_node(&g, "NonZero", 1, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    int64_t nnz = 0;
    for (int i = 0; i < 60; i++) nnz += ((int32_t *)x->data)[i] != 0;
    CHECK(out[0]->rank == 2 && out[0]->dims[0] == 3 && out[0]->dims[1] == nnz);
    int64_t k = 0;
    for (int i = 0; i < 60 && out[0]->dims[1] == nnz; i++) {
        if (!((int32_t *)x->data)[i]) continue;
        const int64_t *y = out[0]->data;
        CHECK(y[k] == i / 20 && y[nnz + k] == i / 5 % 4 && y[2 * nnz + k] == i % 5);
        k++;
    }
    oh_free(out, 1);
    /* without a value the output shape is unknown */
    ts_tensor shape_only = {.dtype = TS_F32, .rank = 1, .dims = {4}, .data = NULL};
    const ts_tensor *in2[1] = {&shape_only};
    ts_tensor o = {0}, *op = &o;
    CHECK(ir_infer_node(n, 13, in2, 1, &op, 1) == IR_NEED_VALUE);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- Einsum ---------------------------------------------------------------------- */

static void check_einsum(const char *eq, int n_in, const int *ranks, const int64_t dims[][4],
                         int out_rank, const int64_t *out_dims, double (*ref)(const ts_tensor **, const int64_t *)) {
    ts_tensor *x[3] = {NULL};
    for (int k = 0; k < n_in; k++) x[k] = oh_rand(TS_F32, ranks[k], dims[k], -1, 1);
    ir_graph *g;
    ir_node *n = oh_node(&g, "Einsum", n_in, 1);
    ir_node_set_string(n, "equation", eq);
    ts_tensor *out[1];
    ts_status st = oh_run(n, 12, (const ts_tensor **)x, n_in, out, 1);
    CHECK_MSG(st == TS_OK, "%s: %s", eq, ts_last_error());
    if (!st) {
        CHECK_MSG(out[0]->rank == out_rank, "%s rank %d", eq, out[0]->rank);
        for (int d = 0; d < out_rank && d < out[0]->rank; d++) CHECK(out[0]->dims[d] == out_dims[d]);
        int64_t m = ts_tensor_numel(out[0]);
        for (int64_t i = 0; i < m; i++) {
            int64_t id[4] = {0}, rem = i;
            for (int d = out_rank - 1; d >= 0; d--) { id[d] = rem % out_dims[d]; rem /= out_dims[d]; }
            OH_EXPECT(((float *)out[0]->data)[i], ref((const ts_tensor **)x, id), 1e-5, 1e-5, "%s", eq);
        }
    }
    oh_free(out, 1);
    ir_graph_free(g);
    for (int k = 0; k < n_in; k++) ts_tensor_free(x[k]);
}

#define F(t, i) ((double)((const float *)(t)->data)[i])
static double ref_matmul(const ts_tensor **x, const int64_t *id) {       /* ij,jk->ik 3x4x5 */
    double s = 0;
    for (int j = 0; j < 4; j++) s += F(x[0], id[0] * 4 + j) * F(x[1], j * 5 + id[1]);
    return s;
}
static double ref_bmm(const ts_tensor **x, const int64_t *id) {          /* bij,bjk->bik 2x3x4x5 */
    double s = 0;
    for (int j = 0; j < 4; j++) s += F(x[0], (id[0] * 3 + id[1]) * 4 + j) * F(x[1], (id[0] * 4 + j) * 5 + id[2]);
    return s;
}
static double ref_trace(const ts_tensor **x, const int64_t *id) {        /* ii */
    (void)id;
    double s = 0;
    for (int i = 0; i < 4; i++) s += F(x[0], i * 4 + i);
    return s;
}
static double ref_diag(const ts_tensor **x, const int64_t *id) {         /* ii->i */
    return F(x[0], id[0] * 4 + id[0]);
}
static double ref_transpose(const ts_tensor **x, const int64_t *id) {    /* ij->ji 3x4 */
    return F(x[0], id[1] * 4 + id[0]);
}
static double ref_dot(const ts_tensor **x, const int64_t *id) {          /* i,i */
    (void)id;
    double s = 0;
    for (int i = 0; i < 7; i++) s += F(x[0], i) * F(x[1], i);
    return s;
}
static double ref_ell(const ts_tensor **x, const int64_t *id) {          /* ...ij,...jk: [2,1,3,4] x [5,4,2] */
    double s = 0;
    for (int j = 0; j < 4; j++) s += F(x[0], (id[0] * 3 + id[2]) * 4 + j) * F(x[1], (id[1] * 4 + j) * 2 + id[3]);
    return s;
}
static double ref_outer3(const ts_tensor **x, const int64_t *id) {       /* i,j,k->ijk with sum over none */
    return F(x[0], id[0]) * F(x[1], id[1]) * F(x[2], id[2]);
}
static double ref_sum_all(const ts_tensor **x, const int64_t *id) {      /* ij-> */
    (void)id;
    double s = 0;
    for (int i = 0; i < 12; i++) s += F(x[0], i);
    return s;
}

static double ref_attn(const ts_tensor **x, const int64_t *id) {        /* bhid,bhjd->bhij 2x3x4x5, j=6 */
    double s = 0;
    for (int d = 0; d < 5; d++)
        s += F(x[0], ((id[0] * 3 + id[1]) * 4 + id[2]) * 5 + d) * F(x[1], ((id[0] * 3 + id[1]) * 6 + id[3]) * 5 + d);
    return s;
}
static double ref_tmm(const ts_tensor **x, const int64_t *id) {         /* kb,ka->ab: A [7,3], B [7,4] -> [4,3] */
    double s = 0;
    for (int k = 0; k < 7; k++) s += F(x[0], k * 3 + id[1]) * F(x[1], k * 4 + id[0]);
    return s;
}

TEST(einsum_equations) {
    check_einsum("bhid,bhjd->bhij", 2, (int[]){4, 4}, (const int64_t[][4]){{2, 3, 4, 5}, {2, 3, 6, 5}}, 4,
                 (int64_t[]){2, 3, 4, 6}, ref_attn);
    check_einsum("kb,ka->ab", 2, (int[]){2, 2}, (const int64_t[][4]){{7, 3}, {7, 4}}, 2, (int64_t[]){4, 3}, ref_tmm);
    check_einsum("ij,jk->ik", 2, (int[]){2, 2}, (const int64_t[][4]){{3, 4}, {4, 5}}, 2, (int64_t[]){3, 5}, ref_matmul);
    check_einsum("ij,jk", 2, (int[]){2, 2}, (const int64_t[][4]){{3, 4}, {4, 5}}, 2, (int64_t[]){3, 5}, ref_matmul);
    check_einsum("bij, bjk -> bik", 2, (int[]){3, 3}, (const int64_t[][4]){{2, 3, 4}, {2, 4, 5}}, 3,
                 (int64_t[]){2, 3, 5}, ref_bmm);
    check_einsum("ii", 1, (int[]){2}, (const int64_t[][4]){{4, 4}}, 0, NULL, ref_trace);
    check_einsum("ii->i", 1, (int[]){2}, (const int64_t[][4]){{4, 4}}, 1, (int64_t[]){4}, ref_diag);
    check_einsum("ij->ji", 1, (int[]){2}, (const int64_t[][4]){{3, 4}}, 2, (int64_t[]){4, 3}, ref_transpose);
    check_einsum("ba", 1, (int[]){2}, (const int64_t[][4]){{3, 4}}, 2, (int64_t[]){4, 3}, ref_transpose);
    check_einsum("i,i", 2, (int[]){1, 1}, (const int64_t[][4]){{7}, {7}}, 0, NULL, ref_dot);
    check_einsum("...ij,...jk->...ik", 2, (int[]){4, 3}, (const int64_t[][4]){{2, 1, 3, 4}, {5, 4, 2}}, 4,
                 (int64_t[]){2, 5, 3, 2}, ref_ell);
    check_einsum("i,j,k->ijk", 3, (int[]){1, 1, 1}, (const int64_t[][4]){{2}, {3}, {4}}, 3,
                 (int64_t[]){2, 3, 4}, ref_outer3);
    check_einsum("ij->", 1, (int[]){2}, (const int64_t[][4]){{3, 4}}, 0, NULL, ref_sum_all);
}

/* Bad attributes and inputs of the other reduce ops: messages, no crashes. */
TEST(reduce_family_bad_inputs) {
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){3, 4}, -1, 1);
    ts_tensor *k9 = oh_scalar_i64(9), *kneg = oh_scalar_i64(-1);
    ts_tensor *ax5 = oh_scalar_i64(5);
    struct { const char *op; const char *attr; int64_t v; int n_in; const ts_tensor *in1; int n_out; const char *msg; } cases[] = {
        {"ArgMax", "axis", 2, 1, NULL, 1, "axis"},
        {"Softmax", "axis", -3, 1, NULL, 1, "axis"},
        {"TopK", "axis", 0, 2, NULL, 2, "k = 9"},
        {"TopK", "axis", 0, 2, NULL, 2, "k = -1"},
        {"CumSum", NULL, 0, 2, NULL, 1, "axis"},
        {"Trilu", NULL, 0, 2, NULL, 1, "int64"},
    };
    cases[2].in1 = k9;
    cases[3].in1 = kneg;
    cases[4].in1 = ax5;
    cases[5].in1 = x;   /* k must be a scalar */
    for (size_t i = 0; i < TS_ARRAY_LEN(cases); i++) {
        ir_graph *g;
        ir_node *n = oh_node(&g, cases[i].op, cases[i].n_in, cases[i].n_out);
        if (cases[i].attr) ir_node_set_int(n, cases[i].attr, cases[i].v);
        const ts_tensor *in[2] = {x, cases[i].in1};
        ts_tensor *out[2];
        CHECK_MSG(oh_run(n, 14, in, cases[i].n_in, out, cases[i].n_out) == TS_ERR_INVALID, "case %zu", i);
        CHECK_MSG(strstr(ts_last_error(), cases[i].msg) && strstr(ts_last_error(), "n0"), "case %zu: %s", i, ts_last_error());
        ir_graph_free(g);
    }
    /* OneHot: depth must be >= 1, values two elements */
    ts_tensor *idx = oh_rand(TS_I64, 1, (int64_t[]){4}, 0, 3);
    ts_tensor *d0 = oh_from(TS_F32, 0, NULL, (double[]){0}), *vals = oh_from(TS_F32, 1, (int64_t[]){3}, (double[]){0, 1, 2});
    ts_tensor *d3 = oh_from(TS_F32, 0, NULL, (double[]){3});
    ir_graph *g;
    ir_node *n = oh_node(&g, "OneHot", 3, 1);
    const ts_tensor *in3[3] = {idx, d0, vals};
    ts_tensor *out[1];
    CHECK(oh_run(n, 11, in3, 3, out, 1) == TS_ERR_INVALID);
    in3[1] = d3;
    CHECK(oh_run(n, 11, in3, 3, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "2 elements") != NULL);
    ir_graph_free(g);
    ts_tensor_free(idx); ts_tensor_free(d0); ts_tensor_free(vals); ts_tensor_free(d3);
    ts_tensor_free(x); ts_tensor_free(k9); ts_tensor_free(kneg); ts_tensor_free(ax5);
}

/* ---- losses ---------------------------------------------------------------- */

/* NLL over given log-probs / SCE over raw scores, [N=3, C=4, d=5], random
 * targets with some ignored, with and without weights, every reduction. */
TEST(nll_and_softmax_cross_entropy) {
    const char *reds[] = {"none", "sum", "mean"};
    for (int sce = 0; sce < 2; sce++)
        for (int r = 0; r < 3; r++)
            for (int variant = 0; variant < 4; variant++) {   /* bit 0: weights, bit 1: ignore_index */
                bool use_w = variant & 1, use_ii = variant & 2;
                ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){3, 4, 5}, -3, 0);
                ts_tensor *t = oh_rand(TS_I64, 2, (int64_t[]){3, 5}, 0, 4);
                ts_tensor *w = oh_rand(TS_F32, 1, (int64_t[]){4}, 0.2, 2);
                if (use_ii) ((int64_t *)t->data)[2] = ((int64_t *)t->data)[7] = -1;
                ir_graph *g;
                ir_node *n = oh_node(&g, sce ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss",
                                     use_w ? 3 : 2, sce ? 2 : 1);
                ir_node_set_string(n, "reduction", reds[r]);
                if (use_ii) ir_node_set_int(n, "ignore_index", -1);
                const ts_tensor *in[3] = {x, t, w};
                ts_tensor *out[2] = {NULL, NULL};
                CHECK_MSG(oh_run(n, 13, in, use_w ? 3 : 2, out, sce ? 2 : 1) == TS_OK, "%s", ts_last_error());
                const float *xv = x->data;
                double lp[60], total = 0, wsum = 0;
                for (int i = 0; i < 3; i++)
                    for (int d = 0; d < 5; d++) {
                        double mx = -INFINITY, s = 0;
                        for (int c = 0; c < 4; c++) mx = fmax(mx, xv[(i * 4 + c) * 5 + d]);
                        for (int c = 0; c < 4; c++) s += exp(xv[(i * 4 + c) * 5 + d] - mx);
                        for (int c = 0; c < 4; c++)
                            lp[(i * 4 + c) * 5 + d] = sce ? xv[(i * 4 + c) * 5 + d] - mx - log(s) : xv[(i * 4 + c) * 5 + d];
                    }
                for (int k = 0; k < 15 && out[0]; k++) {
                    int64_t tk = ((int64_t *)t->data)[k];
                    double l = 0, wk = 0;
                    if (tk >= 0) {
                        wk = use_w ? ((float *)w->data)[tk] : 1;
                        l = -lp[((k / 5) * 4 + tk) * 5 + k % 5] * wk;
                    }
                    if (r == 0) OH_EXPECT(((float *)out[0]->data)[k], l, 1e-5, 1e-6, "loss none sce %d v %d", sce, variant);
                    total += l;
                    wsum += wk;
                }
                double want = r == 1 ? total : (use_w || use_ii) ? total / wsum : total / 15;
                if (r > 0 && out[0]) {
                    CHECK(out[0]->rank == 0);
                    OH_EXPECT(((float *)out[0]->data)[0], want, 1e-5, 1e-6, "loss %s sce %d v %d", reds[r], sce, variant);
                }
                for (int k = 0; sce && out[1] && k < 60; k++)
                    OH_EXPECT(((float *)out[1]->data)[k], lp[k], 1e-5, 1e-6, "log_prob");
                oh_free(out, 2);
                ir_graph_free(g);
                ts_tensor_free(x); ts_tensor_free(t); ts_tensor_free(w);
            }
    /* a target outside [0, C) that is not ignored is an error naming the node */
    ts_tensor *x = oh_rand(TS_F32, 2, (int64_t[]){2, 3}, -1, 0);
    ts_tensor *t = oh_from(TS_I64, 1, (int64_t[]){2}, (double[]){1, 7});
    ir_graph *g;
    ir_node *n = oh_node(&g, "NegativeLogLikelihoodLoss", 2, 1);
    const ts_tensor *in[2] = {x, t};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 2, out, 1) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "target 7") && strstr(ts_last_error(), "n0"));
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x); ts_tensor_free(t);
}

/* ---- Det, MeanVarianceNormalization ---------------------------------------------- */

/* Laplace expansion along the first row: independent of the kernel's LU. */
static double ref_det(const double *a, int n) {
    if (n == 1) return a[0];
    double s = 0, minor[64];
    for (int c = 0; c < n; c++) {
        int k = 0;
        for (int r = 1; r < n; r++)
            for (int cc = 0; cc < n; cc++) if (cc != c) minor[k++] = a[r * n + cc];
        s += (c % 2 ? -1 : 1) * a[c] * ref_det(minor, n - 1);
    }
    return s;
}

TEST(det_and_mvn) {
    for (int m = 1; m <= 5; m++) {
        ts_tensor *x = oh_rand(TS_F64, 3, (int64_t[]){3, m, m}, -2, 2);
        if (m == 3) memcpy((double *)x->data + 9, (double *)x->data + 12, 3 * sizeof(double));  /* singular */
        ir_graph *g;
        ir_node *n = oh_node(&g, "Det", 1, 1);
        const ts_tensor *in[1] = {x};
        ts_tensor *out[1];
        CHECK(oh_run(n, 11, in, 1, out, 1) == TS_OK);
        CHECK(out[0]->rank == 1 && out[0]->dims[0] == 3);
        for (int b = 0; b < 3; b++)
            OH_EXPECT(((double *)out[0]->data)[b], ref_det((double *)x->data + b * m * m, m), 1e-10, 1e-12, "Det %dx%d", m, m);
        oh_free(out, 1);
        ir_graph_free(g);
        ts_tensor_free(x);
    }
    ts_tensor *x = oh_rand(TS_F32, 4, (int64_t[]){2, 3, 4, 5}, -3, 5);
    ir_graph *g;
    ir_node *n = oh_node(&g, "MeanVarianceNormalization", 1, 1);
    const ts_tensor *in[1] = {x};
    ts_tensor *out[1];
    CHECK(oh_run(n, 13, in, 1, out, 1) == TS_OK);
    for (int c = 0; c < 3; c++) {   /* default axes [0, 2, 3]: one slice per channel */
        double s = 0, q = 0;
        for (int b = 0; b < 2; b++) for (int i = 0; i < 20; i++) {
            double v = ((float *)x->data)[(b * 3 + c) * 20 + i];
            s += v; q += v * v;
        }
        double mean = s / 40, sd = sqrt(q / 40 - mean * mean);
        for (int b = 0; b < 2; b++) for (int i = 0; i < 20; i++) {
            int at = (b * 3 + c) * 20 + i;
            OH_EXPECT(((float *)out[0]->data)[at], (((float *)x->data)[at] - mean) / (sd + 1e-9), 1e-5, 1e-5, "MVN");
        }
    }
    oh_free(out, 1);
    ir_graph_free(g);
    ts_tensor_free(x);
}

/* ---- Unique ------------------------------------------------------------------- */

/* Reference: items compared slice by slice, groups found by a quadratic scan
 * in first-occurrence order, then (sorted=1) ordered by value. */
TEST(unique_flat_and_axis) {
    for (int variant = 0; variant < 6; variant++) {
        int axis = variant < 2 ? -1 : variant < 4 ? 0 : 1;   /* -1: no axis attribute */
        bool sorted = variant % 2 == 0;
        ts_tensor *x = oh_rand(TS_I32, 2, (int64_t[]){6, 3}, 0, 2);   /* values 0..1: many repeats */
        ir_graph *g;
        ir_node *n = oh_node(&g, "Unique", 1, 4);
        if (axis >= 0) ir_node_set_int(n, "axis", axis);
        ir_node_set_int(n, "sorted", sorted);
        const ts_tensor *in[1] = {x};
        ts_tensor *out[4];
        CHECK(oh_run(n, 11, in, 1, out, 4) == TS_OK);
        int K = axis < 0 ? 18 : axis == 0 ? 6 : 3, L = axis < 0 ? 1 : axis == 0 ? 3 : 6;
        const int32_t *xv = x->data;
        #define ITEM(k, j) (axis < 0 ? xv[k] : axis == 0 ? xv[(k) * 3 + (j)] : xv[(j) * 3 + (k)])
        int first[18], count[18], inv[18], U = 0;
        for (int k = 0; k < K; k++) {
            int gi = -1;
            for (int u = 0; u < U && gi < 0; u++) {
                bool eq = true;
                for (int j = 0; j < L; j++) eq &= ITEM(k, j) == ITEM(first[u], j);
                if (eq) gi = u;
            }
            if (gi < 0) { gi = U; first[U] = k; count[U++] = 0; }
            count[gi]++;
            inv[k] = gi;
        }
        int rank[18];   /* position of group u in the output */
        for (int u = 0; u < U; u++) {
            rank[u] = 0;
            for (int v = 0; v < U && sorted; v++) {
                int c = 0;
                for (int j = 0; j < L && !c; j++) c = (ITEM(first[v], j) > ITEM(first[u], j)) - (ITEM(first[v], j) < ITEM(first[u], j));
                rank[u] += c < 0;
            }
            if (!sorted) rank[u] = u;
        }
        CHECK_MSG(out[3] && out[3]->dims[0] == U, "variant %d: %lld groups, want %d", variant,
                  out[3] ? (long long)out[3]->dims[0] : -1LL, U);
        for (int u = 0; out[3] && out[3]->dims[0] == U && u < U; u++) {
            CHECK(((int64_t *)out[1]->data)[rank[u]] == first[u]);
            CHECK(((int64_t *)out[3]->data)[rank[u]] == count[u]);
            for (int j = 0; j < L; j++) {
                int64_t at = axis < 0 ? rank[u] : axis == 0 ? rank[u] * 3 + j : j * U + rank[u];
                CHECK(((int32_t *)out[0]->data)[at] == ITEM(first[u], j));
            }
        }
        for (int k = 0; out[3] && out[3]->dims[0] == U && k < K; k++) CHECK(((int64_t *)out[2]->data)[k] == rank[inv[k]]);
        #undef ITEM
        oh_free(out, 4);
        ir_graph_free(g);
        ts_tensor_free(x);
    }
}

/* ---- DFT -------------------------------------------------------------------------- */

TEST(dft_forward_inverse_onesided_length) {
    struct { int C, inverse, onesided; int64_t len; int axis; } cases[] = {
        {1, 0, 0, 0, 1}, {2, 0, 0, 0, -2}, {2, 1, 0, 0, 1}, {1, 0, 1, 0, 1}, {1, 0, 0, 9, 1}, {2, 0, 0, 4, 2},
    };
    for (size_t c = 0; c < TS_ARRAY_LEN(cases); c++) {
        int C = cases[c].C;
        ts_tensor *x = oh_rand(TS_F32, 4, (int64_t[]){2, 6, 3, C}, -1, 1);
        int axis = cases[c].axis < 0 ? cases[c].axis + 4 : cases[c].axis;
        int64_t N = x->dims[axis], L = cases[c].len ? cases[c].len : N;
        ir_graph *g;
        ir_node *n = oh_node(&g, "DFT", cases[c].len ? 2 : 1, 1);
        ir_node_set_int(n, "axis", cases[c].axis);
        ir_node_set_int(n, "inverse", cases[c].inverse);
        ir_node_set_int(n, "onesided", cases[c].onesided);
        ts_tensor *lt = oh_scalar_i64(L);
        const ts_tensor *in[2] = {x, lt};
        ts_tensor *out[1];
        CHECK_MSG(oh_run(n, 17, in, cases[c].len ? 2 : 1, out, 1) == TS_OK, "%s", ts_last_error());
        int64_t K = cases[c].onesided ? L / 2 + 1 : L;
        CHECK(out[0]->dims[axis] == K && out[0]->dims[3] == 2);
        int64_t od[4] = {2, 6, 3, 2};
        od[axis] = K;
        for (int64_t at = 0; at < ts_tensor_numel(out[0]); at += 2) {
            int64_t id[4], rem = at;
            for (int d = 3; d >= 0; d--) { id[d] = rem % od[d]; rem /= od[d]; }
            double sr = 0, si = 0, sign = cases[c].inverse ? 1 : -1;
            for (int64_t t = 0; t < L && t < N; t++) {
                int64_t xi[4] = {id[0], id[1], id[2], 0};
                xi[axis] = t;
                int64_t off = ((xi[0] * 6 + xi[1]) * 3 + xi[2]) * C;
                double xr = ((float *)x->data)[off], xm = C == 2 ? ((float *)x->data)[off + 1] : 0;
                double ang = sign * 2 * M_PI * (double)(id[axis] * t) / (double)L;
                sr += xr * cos(ang) - xm * sin(ang);
                si += xr * sin(ang) + xm * cos(ang);
            }
            if (cases[c].inverse) { sr /= L; si /= L; }
            OH_EXPECT(((float *)out[0]->data)[at], sr, 1e-4, 1e-5, "DFT case %zu re", c);
            OH_EXPECT(((float *)out[0]->data)[at + 1], si, 1e-4, 1e-5, "DFT case %zu im", c);
        }
        oh_free(out, 1);
        ir_graph_free(g);
        ts_tensor_free(x); ts_tensor_free(lt);
    }
}

TEST(stft_frames_window) {
    for (int use_win = 0; use_win < 2; use_win++) {
        ts_tensor *x = oh_rand(TS_F32, 3, (int64_t[]){2, 37, 1}, -1, 1);
        ts_tensor *step = oh_scalar_i64(5), *len = oh_scalar_i64(8);
        ts_tensor *win = oh_rand(TS_F32, 1, (int64_t[]){8}, 0, 1);
        ir_graph *g;
        ir_node *n = oh_node(&g, "STFT", use_win ? 3 : 4, 1);
        const ts_tensor *in[4] = {x, step, use_win ? win : NULL, len};
        ts_tensor *out[1];
        CHECK_MSG(oh_run(n, 17, in, use_win ? 3 : 4, out, 1) == TS_OK, "%s", ts_last_error());
        int64_t frames = (37 - 8) / 5 + 1;
        CHECK(out[0]->rank == 4 && out[0]->dims[1] == frames && out[0]->dims[2] == 5);
        for (int b = 0; b < 2; b++)
            for (int f = 0; f < frames; f++)
                for (int k = 0; k < 5; k++) {
                    double sr = 0, si = 0;
                    for (int t = 0; t < 8; t++) {
                        double v = ((float *)x->data)[b * 37 + f * 5 + t] * (use_win ? ((float *)win->data)[t] : 1);
                        sr += v * cos(2 * M_PI * k * t / 8);
                        si -= v * sin(2 * M_PI * k * t / 8);
                    }
                    const float *o = (const float *)out[0]->data + ((b * frames + f) * 5 + k) * 2;
                    OH_EXPECT(o[0], sr, 1e-5, 1e-5, "STFT re");
                    OH_EXPECT(o[1], si, 1e-5, 1e-5, "STFT im");
                }
        oh_free(out, 1);
        ir_graph_free(g);
        ts_tensor_free(x); ts_tensor_free(step); ts_tensor_free(len); ts_tensor_free(win);
    }
}

TEST(einsum_bad_equations) {
    const char *bad[] = {"ij,jk->ik,", "ij", "ij,jk->iz", "i1,jk", "ij,jk->ii", "i..j,jk", "ij,jk->abcdefgh...",
                         "ij,jk->ik->i", "a...b...,jk", ""};
    ts_tensor *a = oh_rand(TS_F32, 2, (int64_t[]){3, 4}, -1, 1);
    ts_tensor *b = oh_rand(TS_F32, 2, (int64_t[]){4, 5}, -1, 1);
    for (size_t i = 0; i < TS_ARRAY_LEN(bad); i++) {
        ir_graph *g;
        ir_node *n = oh_node(&g, "Einsum", 2, 1);
        ir_node_set_string(n, "equation", bad[i]);
        const ts_tensor *in[2] = {a, b};
        ts_tensor *out[1];
        CHECK_MSG(oh_run(n, 12, in, 2, out, 1) == TS_ERR_INVALID, "%s accepted", bad[i]);
        CHECK(strstr(ts_last_error(), "Einsum") != NULL);
        ir_graph_free(g);
    }
    ts_tensor_free(a); ts_tensor_free(b);
}

TEST_MAIN()

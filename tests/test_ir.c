/* test_ir.c: graph building, ordering, verifier, inference plumbing,
 * broadcasting and the passes. Ops used here come from a small test table
 * (registered with ir_add_op_table under the domain "test") so that these
 * tests do not depend on the op helpers' tables; the passes that match ONNX
 * op names (Conv, BatchNormalization, Relu...) need no op definitions. */
#include "harness.h"
#include "ir/ir.h"
#include "cpu/cpu.h"

#include <math.h>

/* ---- a test op table ------------------------------------------------------ */

/* TAdd: broadcasting add of two inputs. */
static ts_status t_infer_add(ir_infer_ctx *c) {
    int r;
    int64_t d[TS_MAX_RANK];
    ts_status st = ir_broadcast_shape(c->node, c->in[0]->rank, c->in[0]->dims, c->in[1]->rank,
                                      c->in[1]->dims, &r, d);
    if (st == TS_OK) ir_set_out(c->out[0], c->in[0]->dtype, r, d);
    return st;
}

/* TReshape: output shape is the VALUE of input 1 (int64). */
static ts_status t_infer_reshape(ir_infer_ctx *c) {
    const ts_tensor *s = c->in[1];
    if (!s->data) return IR_NEED_VALUE;
    ir_set_out(c->out[0], c->in[0]->dtype, (int)s->dims[0], s->data);
    return TS_OK;
}

static const ir_opdef t_ops[] = {
    {"TAdd", 2, 2, 1, 1, t_infer_add},
    {"TReshape", 2, 2, 1, 1, t_infer_reshape},
    {NULL, 0, 0, 0, 0, NULL},
};

static void t_register(void) {
    static bool done;
    if (!done) { CHECK(ir_add_op_table("test", t_ops) == TS_OK); done = true; }
}

static ir_node *t_node(ir_graph *g, const char *op, const char *name, const int *in, int n_in, int out) {
    ir_node *n = ir_add_node(g, op, name, in, n_in, &out, 1);
    if (n && ir_node_set_domain(n, "test") != TS_OK) return NULL;
    return n;
}

/* ---- building and lookup -------------------------------------------------- */

TEST(values_and_lookup) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 2, (int64_t[]){2, 3});
    CHECK(x == 0);
    CHECK(ir_add_value(g, "x", TS_F32, 0, NULL) < 0);
    CHECK(strstr(ts_last_error(), "'x'") != NULL);
    CHECK(ir_add_value(g, "bad", TS_F32, TS_MAX_RANK + 1, (int64_t[TS_MAX_RANK + 1]){0}) < 0);
    /* many values: the name index grows and still finds every one */
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "v%d", i);
        CHECK(ir_add_value(g, name, TS_I64, -1, NULL) == i + 1);
    }
    for (int i = 0; i < 2000; i += 37) {
        snprintf(name, sizeof name, "v%d", i);
        CHECK(ir_find_value(g, name) == i + 1);
    }
    CHECK(ir_find_value(g, "nope") == -1);
    int anon = ir_add_value(g, NULL, TS_F32, -1, NULL);
    CHECK(anon > 0 && ir_find_value(g, g->values[anon].name) == anon);
    ir_graph_free(g);
}

TEST(attributes) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, -1, NULL), y = ir_add_value(g, "y", TS_F32, -1, NULL);
    ir_node *n = ir_add_node(g, "Foo", "", &x, 1, &y, 1);
    CHECK(n && strcmp(n->name, "Foo_0") == 0);
    CHECK(ir_node_set_int(n, "axis", -1) == TS_OK);
    CHECK(ir_node_set_float(n, "alpha", 0.5f) == TS_OK);
    CHECK(ir_node_set_string(n, "mode", "constant") == TS_OK);
    CHECK(ir_node_set_ints(n, "pads", (int64_t[]){1, 2, 3, 4}, 4) == TS_OK);
    CHECK(ir_node_set_floats(n, "scales", (float[]){1.5f, 2.0f}, 2) == TS_OK);
    CHECK(ir_node_set_tensor(n, "value", ts_tensor_new(TS_F32, 1, (int64_t[]){3})) == TS_OK);
    CHECK(ir_attr_int(n, "axis", 7) == -1);
    CHECK(ir_attr_int(n, "missing", 7) == 7);
    CHECK(ir_attr_float(n, "alpha", 0) == 0.5f);
    CHECK(ir_attr_float(n, "axis", 0) == -1.0f);  /* an INT read as FLOAT */
    CHECK(strcmp(ir_attr_string(n, "mode", "x"), "constant") == 0);
    CHECK(strcmp(ir_attr_string(n, "axis", "dflt"), "dflt") == 0); /* wrong type -> default */
    int cnt;
    const int64_t *p = ir_attr_ints(n, "pads", &cnt);
    CHECK(cnt == 4 && p[3] == 4);
    CHECK(ir_attr_ints(n, "nope", &cnt) == NULL && cnt == 0);
    const float *f = ir_attr_floats(n, "scales", &cnt);
    CHECK(cnt == 2 && f[0] == 1.5f);
    CHECK(ir_attr_tensor(n, "value") && ir_attr_tensor(n, "value")->dims[0] == 3);
    CHECK(ir_node_set_int(n, "axis", 2) == TS_OK);       /* replaces */
    CHECK(ir_attr_int(n, "axis", 0) == 2 && n->n_attr == 6);
    ir_node_remove_attr(n, "axis");
    CHECK(!ir_attr_find(n, "axis") && n->n_attr == 5);
    ir_graph_free(g);
}

/* ---- order and verification ------------------------------------------------ */

/* A chain x -> a -> b -> c built in reverse order. */
static ir_graph *t_chain_reversed(void) {
    ir_graph *g = ir_graph_new();
    if (!g) return NULL;
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){4});
    int a = ir_add_value(g, "a", TS_UNDEFINED, -1, NULL);
    int b = ir_add_value(g, "b", TS_UNDEFINED, -1, NULL);
    int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL);
    t_node(g, "TAdd", "n3", (int[]){b, x}, 2, c);
    t_node(g, "TAdd", "n2", (int[]){a, a}, 2, b);
    t_node(g, "TAdd", "n1", (int[]){x, x}, 2, a);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, c);
    return g;
}

TEST(toposort_orders_and_verify) {
    t_register();
    ir_graph *g = t_chain_reversed();
    CHECK(ir_verify(g) != TS_OK);
    CHECK(strstr(ts_last_error(), "n3") != NULL);
    CHECK(ir_toposort(g) == TS_OK);
    CHECK(strcmp(g->nodes[0].name, "n1") == 0 && strcmp(g->nodes[2].name, "n3") == 0);
    CHECK(ir_verify(g) == TS_OK);
    CHECK(ir_infer_shapes(g) == TS_OK);
    const ir_value *c = &g->values[ir_find_value(g, "c")];
    CHECK(c->dtype == TS_F32 && c->rank == 1 && c->dims[0] == 4);
    ir_graph_free(g);
}

TEST(cycle_detection_names_a_node_on_the_cycle) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){4});
    int a = ir_add_value(g, "a", TS_F32, -1, NULL), b = ir_add_value(g, "b", TS_F32, -1, NULL);
    int c = ir_add_value(g, "c", TS_F32, -1, NULL), d = ir_add_value(g, "d", TS_F32, -1, NULL);
    t_node(g, "TAdd", "before", (int[]){x, x}, 2, a);
    t_node(g, "TAdd", "loop1", (int[]){a, c}, 2, b);
    t_node(g, "TAdd", "loop2", (int[]){b, x}, 2, c);
    t_node(g, "TAdd", "after", (int[]){c, x}, 2, d);   /* downstream of the cycle */
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, d);
    CHECK(ir_toposort(g) == TS_ERR_INVALID);
    const char *e = ts_last_error();
    CHECK_MSG(strstr(e, "cycle") && (strstr(e, "loop1") || strstr(e, "loop2")), "%s", e);
    CHECK(ir_verify(g) != TS_OK);
    ir_graph_free(g);
}

TEST(verifier_errors) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){4});
    int ghost = ir_add_value(g, "ghost", TS_F32, -1, NULL);
    int y = ir_add_value(g, "y", TS_F32, -1, NULL);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    CHECK(ir_verify(g) != TS_OK && strstr(ts_last_error(), "'y' is never defined"));
    t_node(g, "TAdd", "uses_ghost", (int[]){x, ghost}, 2, y);
    CHECK(ir_verify(g) != TS_OK);
    CHECK_MSG(strstr(ts_last_error(), "uses_ghost") && strstr(ts_last_error(), "ghost"), "%s", ts_last_error());
    g->nodes[0].in[1] = x;
    CHECK(ir_verify(g) == TS_OK);
    t_node(g, "TAdd", "second_writer", (int[]){x, x}, 2, y);
    CHECK(ir_verify(g) != TS_OK && strstr(ts_last_error(), "second_writer"));
    CHECK(ir_toposort(g) != TS_OK && strstr(ts_last_error(), "second_writer"));
    g->nodes[1].out[0] = x;                            /* writes a graph input */
    CHECK(ir_verify(g) != TS_OK);
    g->nodes[1].out[0] = 99;                           /* id out of range */
    CHECK(ir_verify(g) != TS_OK && strstr(ts_last_error(), "out of range"));
    ir_graph_free(g);
}

TEST(compact_removes_dead_and_unused) {
    ir_graph *g = t_chain_reversed();
    CHECK(ir_toposort(g) == TS_OK);
    ts_tensor *t = ts_tensor_new(TS_F32, 0, NULL);
    CHECK(ir_add_const(g, "unused", t) >= 0);
    g->nodes[1].dead = true;                           /* n2: b = a + a */
    g->nodes[2].in[0] = ir_find_value(g, "a");         /* n3 now reads a */
    CHECK(ir_compact(g) == TS_OK);
    CHECK(g->n_nodes == 2 && g->n_values == 3);
    CHECK(ir_find_value(g, "b") < 0 && ir_find_value(g, "unused") < 0);
    CHECK(g->nodes[1].in[0] == ir_find_value(g, "a"));
    CHECK(g->values[g->outputs[0]].producer == 1);
    CHECK(ir_verify(g) == TS_OK);
    ir_graph_free(g);
}

/* ---- inference ------------------------------------------------------------ */

/* Reference broadcast: per dim from the right, equal or one of them 1. */
static bool t_ref_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int *r, int64_t *o) {
    *r = ra > rb ? ra : rb;
    for (int i = 1; i <= *r; i++) {
        int64_t x = i <= ra ? a[ra - i] : 1, y = i <= rb ? b[rb - i] : 1;
        if (x != y && x != 1 && y != 1) return false;
        o[*r - i] = x > y ? x : y;
        if (x == 0 || y == 0) o[*r - i] = 0;
    }
    return true;
}

TEST(broadcast_rules_random) {
    for (int iter = 0; iter < 2000; iter++) {
        int ra = th_rand_int(0, 5), rb = th_rand_int(0, 5), r, rr;
        int64_t a[TS_MAX_RANK], b[TS_MAX_RANK], o[TS_MAX_RANK], ro[TS_MAX_RANK];
        for (int i = 0; i < ra; i++) a[i] = th_rand_int(0, 3);
        for (int i = 0; i < rb; i++) b[i] = th_rand_int(0, 3);
        bool ok = t_ref_broadcast(ra, a, rb, b, &rr, ro);
        ts_status st = ir_broadcast_shape(NULL, ra, a, rb, b, &r, o);
        CHECK(ok == (st == TS_OK));
        if (ok && st == TS_OK) {
            CHECK(r == rr);
            for (int i = 0; i < r; i++) CHECK(o[i] == ro[i]);
        }
    }
    int r;
    int64_t o[TS_MAX_RANK];
    ir_graph *g = ir_graph_new();
    ir_node *n = ir_add_node(g, "Add", "add7", NULL, 0, NULL, 0);
    CHECK(ir_broadcast_shape(n, 2, (int64_t[]){2, 3}, 1, (int64_t[]){4}, &r, o) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "add7") && strstr(ts_last_error(), "[2,3]"));
    ir_graph_free(g);
}

TEST(norm_axis) {
    int a;
    CHECK(ir_norm_axis(NULL, -1, 4, &a) == TS_OK && a == 3);
    CHECK(ir_norm_axis(NULL, -4, 4, &a) == TS_OK && a == 0);
    CHECK(ir_norm_axis(NULL, 3, 4, &a) == TS_OK && a == 3);
    CHECK(ir_norm_axis(NULL, 4, 4, &a) == TS_ERR_INVALID);
    CHECK(ir_norm_axis(NULL, -5, 4, &a) == TS_ERR_INVALID);
    CHECK(ir_norm_axis(NULL, 0, 0, &a) == TS_ERR_INVALID);
}

TEST(infer_needs_values_and_binds_symbols) {
    t_register();
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 2, (int64_t[]){IR_DIM_UNKNOWN, 4});
    int z = ir_add_value(g, "z", TS_F32, 2, (int64_t[]){IR_DIM_UNKNOWN, 4});
    ir_value_set_dim_param(&g->values[x], 0, "batch");
    ir_value_set_dim_param(&g->values[z], 0, "batch");
    int s = ir_add_value(g, "s", TS_I64, 1, (int64_t[]){1});   /* computed shape */
    int64_t eight = 8;
    ts_tensor *sc = ts_tensor_new(TS_I64, 1, (int64_t[]){1});
    memcpy(sc->data, &eight, 8);
    int sconst = ir_add_const(g, "sconst", sc);
    int y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL), r1 = ir_add_value(g, "r1", TS_UNDEFINED, -1, NULL);
    int r2 = ir_add_value(g, "r2", TS_UNDEFINED, -1, NULL);
    t_node(g, "TAdd", "add", (int[]){x, z}, 2, y);
    t_node(g, "TReshape", "rs_dyn", (int[]){y, s}, 2, r1);
    t_node(g, "TReshape", "rs_const", (int[]){y, sconst}, 2, r2);
    ir_graph_add_input(g, x); ir_graph_add_input(g, z); ir_graph_add_input(g, s);
    ir_graph_add_output(g, r1); ir_graph_add_output(g, r2);
    CHECK(ir_infer_shapes(g) == TS_OK);
    CHECK(g->values[y].rank == -1);                      /* batch unknown */
    ts_tensor tx = {.dtype = TS_F32, .rank = 2, .dims = {2, 4}}, tz = tx;
    ts_tensor ts_ = {.dtype = TS_I64, .rank = 1, .dims = {1}};
    const ts_tensor *in[] = {&tx, &tz, &ts_};
    CHECK(ir_bind_inputs(g, in, 3) == TS_OK);
    CHECK(g->values[y].rank == 2 && g->values[y].dims[0] == 2);
    CHECK(g->values[r1].rank == -1);                     /* IR_NEED_VALUE */
    CHECK(g->values[r2].rank == 1 && g->values[r2].dims[0] == 8);
    tz.dims[0] = 3;                                      /* batch 2 vs 3 */
    CHECK(ir_bind_inputs(g, in, 3) == TS_ERR_INVALID);
    CHECK_MSG(strstr(ts_last_error(), "batch") && strstr(ts_last_error(), "'z'"), "%s", ts_last_error());
    tz.dims[0] = 5; tx.dims[0] = 5;                      /* rebinding works */
    CHECK(ir_bind_inputs(g, in, 3) == TS_OK && g->values[r2].dims[0] == 8 && g->values[y].dims[0] == 5);
    tx.dims[1] = 5;
    CHECK(ir_bind_inputs(g, in, 3) == TS_ERR_INVALID && strstr(ts_last_error(), "dim 1"));
    ir_graph_free(g);
}

TEST(resolve_lists_every_unsupported_op) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, -1, NULL);
    char nm[16];
    for (int i = 0; i < 4; i++) {
        snprintf(nm, sizeof nm, "o%d", i);
        int o = ir_add_value(g, nm, TS_F32, -1, NULL);
        snprintf(nm, sizeof nm, "n%d", i);
        ir_add_node(g, i % 2 ? "Frobnicate" : "If", nm, &x, 1, &o, 1);
    }
    CHECK(ir_resolve_ops(g) == TS_ERR_UNSUPPORTED);
    const char *e = ts_last_error();
    CHECK_MSG(strstr(e, "Frobnicate") && strstr(e, "If") && strstr(e, "'n0'") && strstr(e, "'n3'")
              && strstr(e, "subgraph"), "%s", e);
    ir_graph_free(g);
}


/* ---- passes ------------------------------------------------------------------- */

static ts_tensor *t_rand_tensor(int rank, const int64_t *dims, float lo, float hi) {
    ts_tensor *t = ts_tensor_new(TS_F32, rank, dims);
    float *p = t->data;
    for (int64_t i = 0; i < ts_tensor_numel(t); i++) p[i] = th_rand_float(lo, hi);
    return t;
}

/* Reference grouped 2-D convolution (stride 1, no padding), in double. */
static void t_conv_ref(const float *x, int C, int H, int W, const float *w, const float *b, int M, int K,
                       int groups, double *y) {
    int Ho = H - K + 1, Wo = W - K + 1, cg = C / groups, mg = M / groups;
    for (int m = 0; m < M; m++)
        for (int i = 0; i < Ho; i++)
            for (int j = 0; j < Wo; j++) {
                double acc = b ? b[m] : 0.0;
                int g = m / mg;
                for (int c = 0; c < cg; c++)
                    for (int ki = 0; ki < K; ki++)
                        for (int kj = 0; kj < K; kj++)
                            acc += (double)x[((g * cg + c) * H + i + ki) * W + j + kj] *
                                   w[((m * cg + c) * K + ki) * K + kj];
                y[(m * Ho + i) * Wo + j] = acc;
            }
}

TEST(fold_batchnorm_matches_unfolded) {
    for (int iter = 0; iter < 20; iter++) {
        int groups = th_rand_int(1, 2), C = 2 * th_rand_int(1, 3), M = 2 * th_rand_int(1, 3);
        int K = th_rand_int(1, 3), H = K + th_rand_int(0, 4), W = K + th_rand_int(0, 4);
        bool with_bias = th_rand_int(0, 1);
        int64_t xd[4] = {1, C, H, W}, wd[4] = {M, C / groups, K, K}, md = M;
        ir_graph *g = ir_graph_new();
        int x = ir_add_value(g, "x", TS_F32, 4, xd);
        ts_tensor *wt = t_rand_tensor(4, wd, -1, 1), *bt = with_bias ? t_rand_tensor(1, &md, -1, 1) : NULL;
        ts_tensor *sc = t_rand_tensor(1, &md, 0.5f, 2), *bi = t_rand_tensor(1, &md, -1, 1);
        ts_tensor *mean = t_rand_tensor(1, &md, -1, 1), *var = t_rand_tensor(1, &md, 0.1f, 3);
        float eps = th_rand_float(1e-5f, 1e-2f);
        /* the unfolded reference: BN(conv(x)) in double */
        ts_tensor *xt = t_rand_tensor(4, xd, -2, 2);
        int Ho = H - K + 1, Wo = W - K + 1, n = M * Ho * Wo;
        double *ref = calloc((size_t)n, sizeof *ref), *got = calloc((size_t)n, sizeof *got);
        t_conv_ref(xt->data, C, H, W, wt->data, bt ? bt->data : NULL, M, K, groups, ref);
        for (int m = 0; m < M; m++)
            for (int k = 0; k < Ho * Wo; k++) {
                const float *f[4] = {sc->data, bi->data, mean->data, var->data};
                ref[m * Ho * Wo + k] = (ref[m * Ho * Wo + k] - f[2][m]) / sqrt((double)f[3][m] + eps) * f[0][m] + f[1][m];
            }
        int w = ir_add_const(g, "w", wt), b = bt ? ir_add_const(g, "b", bt) : -1;
        int p[4] = {ir_add_const(g, "scale", sc), ir_add_const(g, "bias", bi), ir_add_const(g, "mean", mean),
                    ir_add_const(g, "var", var)};
        int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL), y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
        ir_node *conv = ir_add_node(g, "Conv", "conv", (int[]){x, w, b}, bt ? 3 : 2, &c, 1);
        ir_node_set_int(conv, "group", groups);
        ir_node *bn = ir_add_node(g, "BatchNormalization", "bn", (int[]){c, p[0], p[1], p[2], p[3]}, 5, &y, 1);
        ir_node_set_float(bn, "epsilon", eps);
        ir_graph_add_input(g, x);
        ir_graph_add_output(g, y);
        const ir_pass only[] = {*ir_pass_find("fold-batchnorm"), {NULL, NULL, NULL}};
        CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
        CHECK(g->n_nodes == 1 && !strcmp(g->nodes[0].op_type, "Conv") && g->nodes[0].n_in == 3);
        CHECK(g->nodes[0].out[0] == ir_find_value(g, "y"));
        CHECK(ir_find_value(g, "mean") < 0);             /* BN parameters are gone */
        const ts_tensor *w2 = g->values[g->nodes[0].in[1]].data, *b2 = g->values[g->nodes[0].in[2]].data;
        CHECK(w2 && b2);
        if (w2 && b2) {
            t_conv_ref(xt->data, C, H, W, w2->data, b2->data, M, K, groups, got);
            for (int k = 0; k < n; k++) CHECK_NEAR(got[k], ref[k], 1e-4 * (1 + fabs(ref[k])));
        }
        free(ref); free(got);
        ts_tensor_free(xt);
        ir_graph_free(g);
    }
}

/* x -> Conv(w) -> c -> ACT -> y, with ACT's extra inputs. */
static ir_graph *t_conv_act(const char *act, int n_extra, ts_tensor **extra) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 4, (int64_t[]){1, 2, 5, 5});
    int w = ir_add_const(g, "w", t_rand_tensor(4, (int64_t[]){3, 2, 3, 3}, -1, 1));
    int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL), y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
    ir_add_node(g, "Conv", "conv", (int[]){x, w}, 2, &c, 1);
    int in[3] = {c, -1, -1};
    for (int k = 0; k < n_extra; k++) in[1 + k] = extra[k] ? ir_add_const(g, NULL, extra[k]) : -1;
    ir_add_node(g, act, "act", in, 1 + n_extra, &y, 1);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    return g;
}

static ts_tensor *t_scalar(float v) {
    ts_tensor *t = ts_tensor_new(TS_F32, 0, NULL);
    *(float *)t->data = v;
    return t;
}

static bool t_accept_relu_only(const char *op, const char *act) { (void)op; return !strcmp(act, "Relu"); }

TEST(fuse_activation) {
    const ir_pass only[] = {*ir_pass_find("fuse-activation"), {NULL, NULL, NULL}};
    ir_graph *g = t_conv_act("Relu", 0, NULL);
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
    CHECK(g->n_nodes == 1 && !strcmp(ir_attr_string(&g->nodes[0], "activation", ""), "Relu"));
    CHECK(g->nodes[0].out[0] == g->outputs[0]);
    ir_graph_free(g);
    g = t_conv_act("Clip", 2, (ts_tensor *[]){t_scalar(0), t_scalar(6)});
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
    int cnt;
    const float *p = ir_attr_floats(&g->nodes[0], "activation_params", &cnt);
    CHECK(g->n_nodes == 1 && p && cnt == 2 && p[0] == 0 && p[1] == 6);
    ir_graph_free(g);
    g = t_conv_act("Clip", 2, (ts_tensor *[]){NULL, t_scalar(6)});   /* min omitted */
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
    p = ir_attr_floats(&g->nodes[0], "activation_params", &cnt);
    CHECK(g->n_nodes == 1 && p && cnt == 2 && isinf(p[0]) && p[0] < 0 && p[1] == 6);
    ir_graph_free(g);
    g = t_conv_act("LeakyRelu", 0, NULL);
    ir_node_set_float(&g->nodes[1], "alpha", 0.25f);
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
    p = ir_attr_floats(&g->nodes[0], "activation_params", &cnt);
    CHECK(g->n_nodes == 1 && p && cnt == 1 && p[0] == 0.25f);
    ir_graph_free(g);
    /* not fused: the conv output is also a graph output */
    g = t_conv_act("Relu", 0, NULL);
    ir_graph_add_output(g, ir_find_value(g, "c"));
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK && g->n_nodes == 2);
    ir_graph_free(g);
    /* not fused: a device filter refuses Sigmoid */
    ir_set_fusion_filter(t_accept_relu_only);
    g = t_conv_act("Sigmoid", 0, NULL);
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK && g->n_nodes == 2);
    ir_set_fusion_filter(NULL);
    ir_graph_free(g);
    /* not fused: Softmax is no fusable activation */
    g = t_conv_act("Softmax", 0, NULL);
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK && g->n_nodes == 2);
    ir_graph_free(g);
}

TEST(eliminate_dead_and_identity) {
    t_register();
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){4});
    int a = ir_add_value(g, "a", TS_UNDEFINED, -1, NULL), b = ir_add_value(g, "b", TS_UNDEFINED, -1, NULL);
    int d1 = ir_add_value(g, "d1", TS_UNDEFINED, -1, NULL), d2 = ir_add_value(g, "d2", TS_UNDEFINED, -1, NULL);
    int y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL), z = ir_add_value(g, "z", TS_UNDEFINED, -1, NULL);
    ir_add_node(g, "Identity", "id_mid", &x, 1, &a, 1);           /* bypassed */
    t_node(g, "TAdd", "add", (int[]){a, a}, 2, b);
    ir_add_node(g, "Identity", "id_out", &b, 1, &y, 1);           /* b renamed y */
    t_node(g, "TAdd", "dead1", (int[]){x, b}, 2, d1);             /* dead chain */
    t_node(g, "TAdd", "dead2", (int[]){d1, d1}, 2, d2);
    ir_add_node(g, "Identity", "id_in_out", &x, 1, &z, 1);        /* input -> output: kept */
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    ir_graph_add_output(g, z);
    CHECK(ir_run_passes(g, ir_default_passes(), NULL, NULL) == TS_OK);
    CHECK_MSG(g->n_nodes == 2, "%d nodes", g->n_nodes);
    CHECK(ir_find_value(g, "a") < 0 && ir_find_value(g, "d2") < 0 && ir_find_value(g, "b") < 0);
    const ir_node *add = NULL;
    for (int i = 0; i < g->n_nodes; i++) if (!strcmp(g->nodes[i].name, "add")) add = &g->nodes[i];
    CHECK(add && add->in[0] == ir_find_value(g, "x") && add->out[0] == ir_find_value(g, "y"));
    CHECK(g->values[ir_find_value(g, "y")].dims[0] == 4);     /* inferred before the passes */
    ir_graph_free(g);
}

/* Test evaluator: TAdd on float32 constants. */
static int t_evals;
static ts_status t_eval(void *ctx, const ir_node *n, int opset, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out) {
    (void)ctx; (void)opset; (void)n_in; (void)n_out;
    if (strcmp(n->op_type, "TAdd")) return ts_error(TS_ERR_UNSUPPORTED, "no kernel");
    t_evals++;
    out[0] = ts_tensor_new(TS_F32, in[0]->rank, in[0]->dims);
    for (int64_t i = 0; i < ts_tensor_numel(in[0]); i++)
        ((float *)out[0]->data)[i] = ((const float *)in[0]->data)[i] + ((const float *)in[1]->data)[i];
    return TS_OK;
}

TEST(fold_constants_through_the_evaluator) {
    t_register();
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){3});
    ts_tensor *c1 = t_rand_tensor(1, (int64_t[]){3}, -1, 1), *c2 = t_rand_tensor(1, (int64_t[]){3}, -1, 1);
    float want[3];
    for (int i = 0; i < 3; i++) want[i] = ((float *)c1->data)[i] + ((float *)c2->data)[i];
    int a = ir_add_const(g, "c1", c1), b = ir_add_const(g, "c2", c2);
    int t = ir_add_value(g, "t", TS_UNDEFINED, -1, NULL), y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
    int o = ir_add_value(g, "o", TS_UNDEFINED, -1, NULL);
    t_node(g, "TAdd", "fold_me", (int[]){a, b}, 2, t);
    t_node(g, "TAdd", "runtime", (int[]){x, t}, 2, y);
    t_node(g, "TAdd", "to_output", (int[]){a, a}, 2, o);      /* writes a graph output: kept */
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    ir_graph_add_output(g, o);
    const ir_pass only[] = {*ir_pass_find("fold-constants"), {NULL, NULL, NULL}};
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK && g->n_nodes == 3);   /* no evaluator yet */
    ir_set_const_evaluator(t_eval, NULL);
    t_evals = 0;
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
    ir_set_const_evaluator(NULL, NULL);
    CHECK(t_evals == 1 && g->n_nodes == 2);
    int tid = ir_find_value(g, "t");
    CHECK(tid >= 0 && g->values[tid].data);
    for (int i = 0; tid >= 0 && g->values[tid].data && i < 3; i++)
        CHECK(((float *)g->values[tid].data->data)[i] == want[i]);
    ir_graph_free(g);
}


TEST(fold_conv_affine_matches_unfolded) {
    for (int iter = 0; iter < 20; iter++) {
        int C = th_rand_int(1, 3), M = th_rand_int(1, 4), K = th_rand_int(1, 3), H = K + th_rand_int(0, 3), W = K + 2;
        int64_t xd[4] = {1, C, H, W}, wd[4] = {M, C, K, K};
        /* k1 per channel as [1,M,1,1] or a scalar; k2 as [M,1,1] */
        int64_t k1d[4] = {1, th_rand_int(0, 1) ? M : 1, 1, 1}, k2d[3] = {M, 1, 1};
        ir_graph *g = ir_graph_new();
        ts_tensor *wt = t_rand_tensor(4, wd, -1, 1), *k1 = t_rand_tensor(4, k1d, -2, 2), *k2 = t_rand_tensor(3, k2d, -1, 1);
        ts_tensor *xt = t_rand_tensor(4, xd, -2, 2);
        int Ho = H - K + 1, Wo = W - K + 1, n = M * Ho * Wo;
        double *ref = calloc((size_t)n, sizeof *ref), *got = calloc((size_t)n, sizeof *got);
        t_conv_ref(xt->data, C, H, W, wt->data, NULL, M, K, 1, ref);
        for (int m = 0; m < M; m++)
            for (int k = 0; k < Ho * Wo; k++) {
                float a = ((float *)k1->data)[k1d[1] == 1 ? 0 : m], b = ((float *)k2->data)[m];
                ref[m * Ho * Wo + k] = ref[m * Ho * Wo + k] * a - b;
            }
        int x = ir_add_value(g, "x", TS_F32, 4, xd), w = ir_add_const(g, "w", wt);
        int ka = ir_add_const(g, "k1", k1), kb = ir_add_const(g, "k2", k2);
        int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL), d = ir_add_value(g, "d", TS_UNDEFINED, -1, NULL);
        int y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
        ir_add_node(g, "Conv", "conv", (int[]){x, w}, 2, &c, 1);
        ir_add_node(g, "Mul", "mul", (int[]){ka, c}, 2, &d, 1);
        ir_add_node(g, "Sub", "sub", (int[]){d, kb}, 2, &y, 1);
        ir_graph_add_input(g, x);
        ir_graph_add_output(g, y);
        const ir_pass only[] = {*ir_pass_find("fold-conv-affine"), {NULL, NULL, NULL}};
        CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK);
        CHECK(g->n_nodes == 1 && g->nodes[0].n_in == 3 && g->nodes[0].out[0] == ir_find_value(g, "y"));
        const ts_tensor *w2 = g->values[g->nodes[0].in[1]].data;
        const ts_tensor *b2 = g->nodes[0].in[2] >= 0 ? g->values[g->nodes[0].in[2]].data : NULL;
        CHECK(w2 && b2);
        if (w2 && b2) {
            t_conv_ref(xt->data, C, H, W, w2->data, b2->data, M, K, 1, got);
            for (int k = 0; k < n; k++) CHECK_NEAR(got[k], ref[k], 1e-4 * (1 + fabs(ref[k])));
        }
        free(ref); free(got);
        ts_tensor_free(xt);
        ir_graph_free(g);
    }
    /* a constant that broadcasts over H (not only channels) is left alone */
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 4, (int64_t[]){1, 1, 3, 3});
    int w = ir_add_const(g, "w", t_rand_tensor(4, (int64_t[]){2, 1, 1, 1}, -1, 1));
    int k = ir_add_const(g, "k", t_rand_tensor(2, (int64_t[]){3, 1}, -1, 1));
    int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL), y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
    ir_add_node(g, "Conv", "conv", (int[]){x, w}, 2, &c, 1);
    ir_add_node(g, "Mul", "mul", (int[]){c, k}, 2, &y, 1);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    const ir_pass only[] = {*ir_pass_find("fold-conv-affine"), {NULL, NULL, NULL}};
    CHECK(ir_run_passes(g, only, NULL, NULL) == TS_OK && g->n_nodes == 2);
    ir_graph_free(g);
}

/* x -> Conv -> c; hard-swish of c spelled with Add/Clip/Mul/Div -> y. */
static ir_graph *t_hardswish_graph(float clip_max) {
    ir_graph *g = t_conv_act("Identity", 0, NULL);   /* conv -> c -> Identity -> y */
    int c = ir_find_value(g, "c"), y = ir_find_value(g, "y");
    g->nodes[1].dead = true;
    ir_compact(g);
    c = ir_find_value(g, "c");
    y = ir_find_value(g, "y");
    int three = ir_add_const(g, "three", t_scalar(3)), zero = ir_add_const(g, "zero", t_scalar(0));
    int six = ir_add_const(g, "six", t_scalar(6)), mx = ir_add_const(g, "mx", t_scalar(clip_max));
    int a = ir_add_value(g, "a", TS_UNDEFINED, -1, NULL), cl = ir_add_value(g, "cl", TS_UNDEFINED, -1, NULL);
    int m = ir_add_value(g, "m", TS_UNDEFINED, -1, NULL);
    ir_add_node(g, "Add", "add3", (int[]){c, three}, 2, &a, 1);
    ir_add_node(g, "Clip", "clip", (int[]){a, zero, mx}, 3, &cl, 1);
    ir_add_node(g, "Mul", "mul", (int[]){c, cl}, 2, &m, 1);
    ir_add_node(g, "Div", "div6", (int[]){m, six}, 2, &y, 1);
    return g;
}

TEST(fuse_hardswish_then_into_conv) {
    if (!ir_op_find("", "HardSwish")) return;   /* the op table provides it */
    ir_graph *g = t_hardswish_graph(6);
    CHECK(ir_run_passes(g, NULL, NULL, NULL) == TS_OK);
    CHECK_MSG(g->n_nodes == 1 && !strcmp(g->nodes[0].op_type, "Conv") &&
              !strcmp(ir_attr_string(&g->nodes[0], "activation", ""), "HardSwish"), "%d nodes", g->n_nodes);
    ir_graph_free(g);
    g = t_hardswish_graph(5);                   /* not hard-swish: untouched */
    CHECK(ir_run_passes(g, NULL, NULL, NULL) == TS_OK && g->n_nodes == 5);
    ir_graph_free(g);
    g = t_conv_act("HardSigmoid", 0, NULL);     /* y = c * HardSigmoid(c, 1/6, 0.5) */
    ir_node_set_float(&g->nodes[1], "alpha", 1.0f / 6);
    int c = ir_find_value(g, "c"), h = ir_find_value(g, "y"), z = ir_add_value(g, "z", TS_UNDEFINED, -1, NULL);
    g->values[h].is_output = false;
    g->outputs[0] = z;
    g->values[z].is_output = true;
    ir_add_node(g, "Mul", "mul", (int[]){h, c}, 2, &z, 1);
    CHECK(ir_run_passes(g, NULL, NULL, NULL) == TS_OK);
    CHECK(g->n_nodes == 1 && !strcmp(ir_attr_string(&g->nodes[0], "activation", ""), "HardSwish"));
    ir_graph_free(g);
}


/* ---- passes against the CPU kernels ------------------------------------------ */

/* Runs g on input x with the CPU kernels, node by node; returns output 0. */
static ts_tensor *t_run(const ir_graph *g, const ts_tensor *x) {
    ts_tensor **vals = calloc((size_t)g->n_values, sizeof *vals);
    vals[g->inputs[0]] = ts_tensor_clone(x);
    cpu_ctx ctx = {.pool = NULL, .opset = g->opset};
    bool ok = true;
    for (int i = 0; i < g->n_nodes && ok; i++) {
        const ir_node *n = &g->nodes[i];
        const ts_tensor *in[8] = {0};
        ts_tensor *out[4] = {0};
        for (int k = 0; k < n->n_in; k++)
            in[k] = n->in[k] < 0 ? NULL : g->values[n->in[k]].data ? g->values[n->in[k]].data : vals[n->in[k]];
        ok = cpu_eval_node(&ctx, n, in, n->n_in, out, n->n_out) == TS_OK;
        CHECK_MSG(ok, "%s", ts_last_error());
        for (int k = 0; ok && k < n->n_out; k++) vals[n->out[k]] = out[k];
    }
    ts_tensor *y = ok ? vals[g->outputs[0]] : NULL;
    for (int v = 0; v < g->n_values; v++) if (vals[v] != y) ts_tensor_free(vals[v]);
    free(vals);
    return y;
}

static void t_check_close(const ts_tensor *a, const ts_tensor *b, double tol) {
    CHECK(a && b && ts_tensor_numel(a) == ts_tensor_numel(b));
    for (int64_t i = 0; a && b && i < ts_tensor_numel(a) && i < ts_tensor_numel(b); i++)
        CHECK_NEAR(((float *)a->data)[i], ((float *)b->data)[i], tol * (1 + fabs(((float *)b->data)[i])));
}

/* x -> ConvTranspose(group) -> BN -> hard-swish (Add/Clip/Mul/Div) -> y */
static ir_graph *t_deconv_bn_hswish(int C, int M, int group) {
    int64_t md = M;
    ir_graph *g = t_hardswish_graph(6);
    g->opset = 13;
    ir_node *conv = &g->nodes[0];
    int x = ir_find_value(g, "x");
    g->values[x].dims[1] = C;
    ts_free(conv->op_type);
    conv->op_type = ts_strdup("ConvTranspose");
    ir_node_set_int(conv, "group", group);
    conv->in[1] = ir_add_const(g, "wt", t_rand_tensor(4, (int64_t[]){C, M / group, 2, 2}, -1, 1));
    int c = conv->out[0], bnout = ir_add_value(g, "bn_out", TS_UNDEFINED, -1, NULL);
    int p[4] = {ir_add_const(g, "s", t_rand_tensor(1, &md, 0.5f, 2)), ir_add_const(g, "b", t_rand_tensor(1, &md, -1, 1)),
                ir_add_const(g, "mu", t_rand_tensor(1, &md, -1, 1)), ir_add_const(g, "v", t_rand_tensor(1, &md, 0.2f, 2))};
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) if (g->nodes[i].in[k] == c) g->nodes[i].in[k] = bnout;
    ir_add_node(g, "BatchNormalization", "bn", (int[]){c, p[0], p[1], p[2], p[3]}, 5, &bnout, 1);
    CHECK(ir_toposort(g) == TS_OK);
    return g;
}

TEST(passes_keep_results_on_cpu_kernels) {
    if (!cpu_kernel_find("", "ConvTranspose") || !cpu_kernel_find("", "HardSwish")) return;
    for (int iter = 0; iter < 6; iter++) {
        int group = th_rand_int(1, 2), C = 2 * th_rand_int(1, 2), M = 2 * th_rand_int(1, 3);
        ir_graph *g = t_deconv_bn_hswish(C, M, group);
        ts_tensor *x = t_rand_tensor(4, (int64_t[]){1, C, 5, 5}, -2, 2);
        ts_tensor *before = t_run(g, x);
        CHECK(ir_run_passes(g, NULL, NULL, NULL) == TS_OK);
        CHECK_MSG(g->n_nodes == 1 && !strcmp(g->nodes[0].op_type, "ConvTranspose") &&
                  !strcmp(ir_attr_string(&g->nodes[0], "activation", ""), "HardSwish"), "%d nodes", g->n_nodes);
        ts_tensor *after = t_run(g, x);
        t_check_close(after, before, 1e-4);
        ts_tensor_free(before); ts_tensor_free(after); ts_tensor_free(x);
        ir_graph_free(g);
    }
}


/* x[3,5] -> op (MatMul or Gemm with W[5,4]) -> act -> y, run before and after
 * the passes on the CPU kernels. */
static void t_check_fused_matmul(const char *op, const char *act) {
    ir_graph *g = ir_graph_new();
    int x = ir_add_value(g, "x", TS_F32, 2, (int64_t[]){3, 5});
    int w = ir_add_const(g, "w", t_rand_tensor(2, (int64_t[]){5, 4}, -1, 1));
    int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL), y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
    ir_add_node(g, op, "mm", (int[]){x, w}, 2, &c, 1);
    int lo = ir_add_const(g, "lo", t_scalar(-0.5f)), hi = ir_add_const(g, "hi", t_scalar(0.7f));
    ir_node *a = ir_add_node(g, act, "act", (int[]){c, lo, hi}, !strcmp(act, "Clip") ? 3 : 1, &y, 1);
    if (!strcmp(act, "LeakyRelu")) ir_node_set_float(a, "alpha", 0.3f);
    ir_graph_add_input(g, x);
    ir_graph_add_output(g, y);
    ts_tensor *xt = t_rand_tensor(2, (int64_t[]){3, 5}, -2, 2);
    ts_tensor *before = t_run(g, xt);
    CHECK(ir_run_passes(g, NULL, NULL, NULL) == TS_OK);
    CHECK_MSG(g->n_nodes == 1 && !strcmp(ir_attr_string(&g->nodes[0], "activation", ""), act), "%s+%s", op, act);
    ts_tensor *after = t_run(g, xt);
    t_check_close(after, before, 1e-5);
    ts_tensor_free(before); ts_tensor_free(after); ts_tensor_free(xt);
    ir_graph_free(g);
}

TEST(fused_matmul_gemm_activations_on_cpu_kernels) {
    static const char *const acts[] = {"Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"};
    for (size_t i = 0; i < TS_ARRAY_LEN(acts); i++) {
        if (!cpu_kernel_find("", acts[i]) || !cpu_kernel_find("", "Gemm")) continue;
        t_check_fused_matmul("MatMul", acts[i]);
        t_check_fused_matmul("Gemm", acts[i]);
    }
}

TEST(dump_after_a_pass) {
    ir_graph *g = t_conv_act("Relu", 0, NULL);
    ir_value_set_dim_param(&g->values[g->inputs[0]], 0, "N");
    g->values[g->inputs[0]].dims[0] = IR_DIM_UNKNOWN;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(ir_run_passes(g, NULL, "fuse-activation", f) == TS_OK);
    fclose(f);
    CHECK_MSG(text && strstr(text, "# IR after fuse-activation") && !strstr(text, "# IR after fold-batchnorm") &&
              strstr(text, "Conv 'conv' (x, w) -> y") && strstr(text, "activation=\"Relu\"") &&
              strstr(text, "input  x : float32[N,2,5,5]"), "%s", text ? text : "");
    free(text);
    CHECK(ir_run_passes(g, NULL, "no-such-pass", stderr) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "fold-batchnorm") != NULL);
    ir_graph_free(g);
}

/* ---- allocation failures ----------------------------------------------------- */

TEST(alloc_failures_never_crash) {
    t_register();
    for (long fail = 0; fail < 200; fail++) {
        ts_alloc_fail_after(fail);
        ir_graph *g = t_chain_reversed();
        ts_alloc_fail_after(-1);
        if (!g) continue;
        ts_alloc_fail_after(fail);
        (void)ir_toposort(g);
        (void)ir_infer_shapes(g);
        (void)ir_compact(g);
        ts_alloc_fail_after(-1);
        ir_graph_free(g);
    }
}

TEST_MAIN()

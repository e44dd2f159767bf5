/* test_ops_nn: every "nn" op (ir inference + CPU kernel) against a scalar
 * reference written here, on fresh random inputs and attribute variants.
 * Float tolerance: |got - ref| <= 1e-4 * (1 + |ref|) unless stated (the
 * kernels sum in a different order than the references); integer ops are
 * exact (quantized outputs may differ by 1 only where a rounding tie falls
 * differently between float and double, which random data avoids). */
#include "harness.h"
#include "cpu/cpu_int.h"

#include <math.h>

/* ---- plumbing --------------------------------------------------------------- */

typedef struct tcase {
    ir_graph *g;
    ir_node *n;
    int opset;
    const ts_tensor *in[10];
    int n_in;
    ts_tensor *out[5];
    int n_out;
} tcase;

static ts_pool *pool_get(void) {
    static ts_pool *p;
    if (!p) p = ts_pool_new(3);
    return p;
}

/* A node with n_in inputs (NULL entries = omitted) and n_out outputs. */
static void tc_init(tcase *t, const char *op, const ts_tensor **in, int n_in, int n_out) {
    memset(t, 0, sizeof *t);
    t->g = ir_graph_new();
    t->opset = 17;
    int ids[10], outs[5];
    char name[16];
    for (int i = 0; i < n_in; i++) {
        t->in[i] = in[i];
        snprintf(name, sizeof name, "i%d", i);
        ids[i] = in[i] ? ir_add_value(t->g, name, in[i]->dtype, in[i]->rank, in[i]->dims) : -1;
    }
    for (int i = 0; i < n_out; i++) {
        snprintf(name, sizeof name, "o%d", i);
        outs[i] = ir_add_value(t->g, name, TS_UNDEFINED, -1, NULL);
    }
    t->n_in = n_in;
    t->n_out = n_out;
    t->n = ir_add_node(t->g, op, "node0", ids, n_in, outs, n_out);
}

/* Infers, allocates and runs; returns the status (outputs in t->out). */
static ts_status tc_run(tcase *t) {
    ts_tensor shells[5];
    ts_tensor *sp[5];
    for (int i = 0; i < t->n_out; i++) { memset(&shells[i], 0, sizeof shells[i]); sp[i] = &shells[i]; }
    ts_status st = ir_infer_node(t->n, t->opset, t->in, t->n_in, sp, t->n_out);
    if (st) return st;
    for (int i = 0; i < t->n_out; i++) {
        t->out[i] = ts_tensor_new(shells[i].dtype, shells[i].rank, shells[i].dims);
        if (!t->out[i]) return TS_ERR_NOMEM;
    }
    const cpu_kernel *k = NULL;
    for (int i = 0; cpu_kernels_nn[i].op_type; i++)
        if (!strcmp(cpu_kernels_nn[i].op_type, t->n->op_type)) k = &cpu_kernels_nn[i];
    if (!k) return ts_error(TS_ERR_UNSUPPORTED, "no kernel");
    cpu_ctx ctx = {.pool = th_rand_int(0, 1) ? pool_get() : NULL, .opset = t->opset};
    return k->run(&ctx, t->n, t->in, t->n_in, t->out, t->n_out);
}

static void tc_free(tcase *t) {
    for (int i = 0; i < t->n_out; i++) ts_tensor_free(t->out[i]);
    ir_graph_free(t->g);
}

static ts_tensor *rand_t(ts_dtype dt, int rank, const int64_t *dims, float lo, float hi) {
    ts_tensor *t = ts_tensor_new(dt, rank, dims);
    int64_t n = ts_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        if (dt == TS_F32) ((float *)t->data)[i] = th_rand_float(lo, hi);
        else ts_tensor_set(t, i, (double)th_rand_int((int)lo, (int)hi));
    }
    return t;
}

static ts_tensor *vec_t(ts_dtype dt, int n, const double *v) {
    ts_tensor *t = ts_tensor_new(dt, 1, (int64_t[]){n});
    for (int i = 0; i < n; i++) ts_tensor_set(t, i, v[i]);
    return t;
}

static ts_tensor *scalar_t(ts_dtype dt, double v) {
    ts_tensor *t = ts_tensor_new(dt, 0, NULL);
    ts_tensor_set(t, 0, v);
    return t;
}

/* Compares out against ref (numel values); prints the first misses. */
static int cmp_f(const ts_tensor *out, const double *ref, int64_t n, double tol, const char *what) {
    int bad = 0;
    if (ts_tensor_numel(out) != n) {
        fprintf(stderr, "  %s: %lld values, expected %lld\n", what, (long long)ts_tensor_numel(out), (long long)n);
        return 1;
    }
    for (int64_t i = 0; i < n; i++) {
        double g = ts_tensor_get(out, i);
        if (!(fabs(g - ref[i]) <= tol * (1 + fabs(ref[i]))) && !(isnan(g) && isnan(ref[i]))) {
            if (bad < 4) fprintf(stderr, "  %s: [%lld] = %.7g, ref %.7g\n", what, (long long)i, g, ref[i]);
            bad++;
        }
    }
    return bad;
}

static void set_ints(ir_node *n, const char *name, int count, const int64_t *v) {
    CHECK(ir_node_set_ints(n, name, v, count) == TS_OK);
}

/* ---- MatMul / Gemm ---------------------------------------------------------------- */

/* numpy matmul reference with broadcasting. */
static double *ref_matmul(const ts_tensor *a, const ts_tensor *b, const ts_tensor *y) {
    int64_t n = ts_tensor_numel(y);
    double *r = calloc((size_t)n + 1, sizeof(double));
    int64_t K = a->dims[a->rank - 1];
    for (int64_t i = 0; i < n; i++) {
        /* y index -> coordinates */
        int64_t c[TS_MAX_RANK], rem = i;
        for (int d = y->rank - 1; d >= 0; d--) { c[d] = rem % y->dims[d]; rem /= y->dims[d]; }
        int ra = a->rank, rb = b->rank, ry = y->rank;
        int64_t m = ra >= 2 ? c[ry - 1 - (rb >= 2)] : 0, nn = rb >= 2 ? c[ry - 1] : 0;
        int yb = ry - (ra >= 2) - (rb >= 2);
        double s = 0;
        for (int64_t k = 0; k < K; k++) {
            int64_t ia = 0, ib = 0, sa = 1, sb = 1;
            /* a index: [batch..., m, k] */
            ia = (ra >= 2 ? m * K : 0) + k;
            sa = ra >= 2 ? a->dims[ra - 2] * K : K;
            for (int d = ra - 3; d >= 0; d--) {
                int64_t yc = c[yb - (ra - 2) + d];
                ia += (a->dims[d] == 1 ? 0 : yc) * sa;
                sa *= a->dims[d];
            }
            int64_t N = rb >= 2 ? b->dims[rb - 1] : 1;
            ib = k * N + nn;
            sb = K * N;
            for (int d = rb - 3; d >= 0; d--) {
                int64_t yc = c[yb - (rb - 2) + d];
                ib += (b->dims[d] == 1 ? 0 : yc) * sb;
                sb *= b->dims[d];
            }
            s += (double)((float *)a->data)[ia] * ((float *)b->data)[ib];
        }
        r[i] = s;
    }
    return r;
}

TEST(matmul_broadcast_and_1d) {
    struct { int ra, rb; int64_t a[4], b[4]; } cases[] = {
        {2, 2, {5, 7}, {7, 3}},           {3, 2, {4, 5, 7}, {7, 9}},     {2, 3, {5, 7}, {3, 7, 2}},
        {4, 3, {2, 1, 3, 4}, {5, 4, 6}},  {1, 2, {7}, {7, 3}},           {2, 1, {5, 7}, {7}},
        {1, 1, {9}, {9}},                 {3, 1, {2, 3, 4}, {4}},        {1, 3, {4}, {2, 4, 3}},
        {3, 3, {3, 33, 40}, {1, 40, 70}}, {2, 2, {70, 300}, {300, 35}},
    };
    for (size_t c = 0; c < TS_ARRAY_LEN(cases); c++) {
        ts_tensor *a = rand_t(TS_F32, cases[c].ra, cases[c].a, -1, 1);
        ts_tensor *b = rand_t(TS_F32, cases[c].rb, cases[c].b, -1, 1);
        tcase t;
        tc_init(&t, "MatMul", (const ts_tensor *[]){a, b}, 2, 1);
        bool relu = c % 3 == 0;
        if (relu) CHECK(ir_node_set_string(t.n, "activation", "Relu") == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        double *ref = ref_matmul(a, b, t.out[0]);
        int64_t n = ts_tensor_numel(t.out[0]);
        if (relu) for (int64_t i = 0; i < n; i++) ref[i] = ref[i] > 0 ? ref[i] : 0;
        CHECK_MSG(cmp_f(t.out[0], ref, n, 1e-4, "MatMul") == 0, "case %zu", c);
        free(ref); tc_free(&t); ts_tensor_free(a); ts_tensor_free(b);
    }
    /* mismatched inner dims are an error naming the node */
    ts_tensor *a = rand_t(TS_F32, 2, (int64_t[]){2, 3}, -1, 1), *b = rand_t(TS_F32, 2, (int64_t[]){4, 2}, -1, 1);
    tcase t;
    tc_init(&t, "MatMul", (const ts_tensor *[]){a, b}, 2, 1);
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "node0") != NULL);
    tc_free(&t); ts_tensor_free(a); ts_tensor_free(b);
}

TEST(gemm_attributes_and_c_broadcast) {
    for (int it = 0; it < 24; it++) {
        int64_t M = th_rand_int(1, 40), N = th_rand_int(1, 40), K = th_rand_int(1, 50);
        bool ta = it & 1, tb = (it >> 1) & 1;
        int cform = (it >> 2) % 6;   /* none, scalar, [N], [1,N], [M,1], [M,N] */
        float alpha = th_rand_float(-2, 2), beta = th_rand_float(-2, 2);
        ts_tensor *a = rand_t(TS_F32, 2, ta ? (int64_t[]){K, M} : (int64_t[]){M, K}, -1, 1);
        ts_tensor *b = rand_t(TS_F32, 2, tb ? (int64_t[]){N, K} : (int64_t[]){K, N}, -1, 1);
        int64_t cd[2] = {cform == 4 || cform == 5 ? M : 1, cform == 4 ? 1 : N};
        ts_tensor *c = cform == 0 ? NULL
                     : cform == 1 ? rand_t(TS_F32, 0, NULL, -1, 1)
                     : cform == 2 ? rand_t(TS_F32, 1, &N, -1, 1)
                                  : rand_t(TS_F32, 2, cd, -1, 1);
        tcase t;
        tc_init(&t, "Gemm", (const ts_tensor *[]){a, b, c}, c ? 3 : 2, 1);
        CHECK(ir_node_set_int(t.n, "transA", ta) == TS_OK);
        CHECK(ir_node_set_int(t.n, "transB", tb) == TS_OK);
        CHECK(ir_node_set_float(t.n, "alpha", alpha) == TS_OK);
        CHECK(ir_node_set_float(t.n, "beta", beta) == TS_OK);
        bool act = it % 4 == 3;
        if (act) {
            CHECK(ir_node_set_string(t.n, "activation", "LeakyRelu") == TS_OK);
            CHECK(ir_node_set_floats(t.n, "activation_params", (float[]){0.3f}, 1) == TS_OK);
        }
        CHECK(tc_run(&t) == TS_OK);
        double *ref = malloc(sizeof(double) * (size_t)(M * N));
        const float *ad = a->data, *bd = b->data;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)(ta ? ad[k * M + i] : ad[i * K + k]) * (tb ? bd[j * K + k] : bd[k * N + j]);
                double cv = 0;
                if (c) {
                    int64_t ci = cform == 1 ? 0 : cform == 2 || cform == 3 ? j : cform == 4 ? i : i * N + j;
                    cv = ((float *)c->data)[ci];
                }
                double v = alpha * s + beta * cv;
                ref[i * N + j] = act && v < 0 ? 0.3 * v : v;
            }
        CHECK_MSG(cmp_f(t.out[0], ref, M * N, 1e-4, "Gemm") == 0, "it %d", it);
        free(ref); tc_free(&t); ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(c);
    }
}

/* ---- convolution ------------------------------------------------------------------ */

typedef struct conv_cfg {
    int nsp;
    int64_t N, C, M, group, in[3], k[3], s[3], d[3], pads[6];
    const char *auto_pad;
    bool bias;
} conv_cfg;

/* Output size and begin pad per axis, straight from the spec's formulas. */
static void ref_conv_geom(const conv_cfg *c, int64_t *out, int64_t *pb) {
    for (int i = 0; i < c->nsp; i++) {
        int64_t dk = (c->k[i] - 1) * c->d[i] + 1;
        if (c->auto_pad && !strncmp(c->auto_pad, "SAME", 4)) {
            out[i] = (c->in[i] + c->s[i] - 1) / c->s[i];
            int64_t tot = (out[i] - 1) * c->s[i] + dk - c->in[i];
            if (tot < 0) tot = 0;
            pb[i] = !strcmp(c->auto_pad, "SAME_UPPER") ? tot / 2 : (tot + 1) / 2;
        } else if (c->auto_pad && !strcmp(c->auto_pad, "VALID")) {
            out[i] = (c->in[i] - dk) / c->s[i] + 1;
            pb[i] = 0;
        } else {
            out[i] = (c->in[i] + c->pads[i] + c->pads[c->nsp + i] - dk) / c->s[i] + 1;
            pb[i] = c->pads[i];
        }
    }
}

static void conv_set_attrs(ir_node *n, const conv_cfg *c) {
    set_ints(n, "strides", c->nsp, c->s);
    set_ints(n, "dilations", c->nsp, c->d);
    CHECK(ir_node_set_int(n, "group", c->group) == TS_OK);
    if (c->auto_pad) CHECK(ir_node_set_string(n, "auto_pad", c->auto_pad) == TS_OK);
    else set_ints(n, "pads", 2 * c->nsp, c->pads);
    if (th_rand_int(0, 1)) set_ints(n, "kernel_shape", c->nsp, c->k);
}

static void check_conv(const conv_cfg *c, const char *act, const float *ap, int nap) {
    int64_t xd[5] = {c->N, c->C}, wd[5] = {c->M, c->C / c->group};
    for (int i = 0; i < c->nsp; i++) { xd[2 + i] = c->in[i]; wd[2 + i] = c->k[i]; }
    ts_tensor *x = rand_t(TS_F32, 2 + c->nsp, xd, -1, 1), *w = rand_t(TS_F32, 2 + c->nsp, wd, -1, 1);
    ts_tensor *b = c->bias ? rand_t(TS_F32, 1, &c->M, -1, 1) : NULL;
    tcase t;
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w, b}, b ? 3 : 2, 1);
    conv_set_attrs(t.n, c);
    if (act) {
        CHECK(ir_node_set_string(t.n, "activation", act) == TS_OK);
        if (nap) CHECK(ir_node_set_floats(t.n, "activation_params", ap, nap) == TS_OK);
    }
    ts_status st = tc_run(&t);
    CHECK_MSG(st == TS_OK, "%s", ts_last_error());
    if (st) { tc_free(&t); ts_tensor_free(x); ts_tensor_free(w); ts_tensor_free(b); return; }
    int64_t out[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, in[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, o3[3], p3[3];
    ref_conv_geom(c, o3, p3);
    int off = 3 - c->nsp;
    for (int i = 0; i < c->nsp; i++) {
        out[off + i] = o3[i]; pb[off + i] = p3[i]; in[off + i] = c->in[i];
        k[off + i] = c->k[i]; s[off + i] = c->s[i]; d[off + i] = c->d[i];
    }
    int64_t cg = c->C / c->group, mg = c->M / c->group, total = c->N * c->M * out[0] * out[1] * out[2];
    CHECK(ts_tensor_numel(t.out[0]) == total);
    double *ref = malloc(sizeof(double) * (size_t)(total + 1));
    const float *X = x->data, *W = w->data;
    cpu_act a = {CPU_ACT_NONE, 0, 0};
    if (act) CHECK(cpu_act_from_node(t.n, &a) == TS_OK);
    int64_t idx = 0;
    for (int64_t bn = 0; bn < c->N; bn++)
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t oz = 0; oz < out[0]; oz++)
                for (int64_t oy = 0; oy < out[1]; oy++)
                    for (int64_t ox = 0; ox < out[2]; ox++) {
                        double acc = b ? ((float *)b->data)[m] : 0;
                        int64_t g = m / mg;
                        for (int64_t ci = 0; ci < cg; ci++)
                            for (int64_t kz = 0; kz < k[0]; kz++)
                                for (int64_t ky = 0; ky < k[1]; ky++)
                                    for (int64_t kx = 0; kx < k[2]; kx++) {
                                        int64_t iz = oz * s[0] - pb[0] + kz * d[0];
                                        int64_t iy = oy * s[1] - pb[1] + ky * d[1];
                                        int64_t ix = ox * s[2] - pb[2] + kx * d[2];
                                        if (iz < 0 || iz >= in[0] || iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2]) continue;
                                        double xv = X[(((bn * c->C + g * cg + ci) * in[0] + iz) * in[1] + iy) * in[2] + ix];
                                        double wv = W[(((m * cg + ci) * k[0] + kz) * k[1] + ky) * k[2] + kx];
                                        acc += xv * wv;
                                    }
                        ref[idx++] = cpu_act_scalar(&a, (float)acc);
                    }
    CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-4, "Conv") == 0, "nsp %d C %lld M %lld group %lld auto_pad %s",
              c->nsp, (long long)c->C, (long long)c->M, (long long)c->group, c->auto_pad ? c->auto_pad : "-");
    free(ref); tc_free(&t); ts_tensor_free(x); ts_tensor_free(w); ts_tensor_free(b);
}

static conv_cfg rand_conv(int nsp) {
    conv_cfg c = {.nsp = nsp, .N = th_rand_int(1, 2)};
    int kind = th_rand_int(0, 3);   /* 0 dense, 1 grouped, 2 depthwise, 3 pointwise */
    c.group = kind == 1 ? th_rand_int(2, 3) : 1;
    c.C = c.group * th_rand_int(1, 5);
    c.M = c.group * th_rand_int(1, 6);
    if (kind == 2) { c.C = c.M = c.group = th_rand_int(1, 9); }
    for (int i = 0; i < nsp; i++) {
        c.k[i] = kind == 3 ? 1 : th_rand_int(1, 3);
        c.s[i] = kind == 3 ? 1 : th_rand_int(1, 2);
        c.d[i] = kind == 3 ? 1 : th_rand_int(1, 2);
        c.pads[i] = kind == 3 ? 0 : th_rand_int(0, 2);
        c.pads[nsp + i] = kind == 3 ? 0 : th_rand_int(0, 2);
        c.in[i] = th_rand_int(nsp == 3 ? 3 : 5, nsp == 3 ? 6 : nsp == 1 ? 40 : 17);
        c.in[i] = TS_MAX(c.in[i], (c.k[i] - 1) * c.d[i] + 1);
    }
    static const char *aps[] = {NULL, NULL, "SAME_UPPER", "SAME_LOWER", "VALID"};
    c.auto_pad = kind == 3 ? NULL : aps[th_rand_int(0, 4)];
    c.bias = th_rand_int(0, 1);
    return c;
}

TEST(conv_random_shapes) {
    for (int it = 0; it < 70; it++) {
        conv_cfg c = rand_conv(it % 10 < 6 ? 2 : it % 10 < 8 ? 1 : 3);
        check_conv(&c, NULL, NULL, 0);
    }
}

TEST(conv_big_paths_and_fused_activations) {
    /* wide enough to cross GEMM tiles and K slices: 3x3, 1x1, depthwise, stride 2 */
    conv_cfg big[] = {
        {2, 1, 40, 36, 1, {23, 37, 0}, {3, 3, 0}, {1, 1, 0}, {1, 1, 0}, {1, 1, 1, 1, 0, 0}, NULL, true},
        {2, 1, 64, 20, 1, {9, 70, 0}, {1, 1, 0}, {1, 1, 0}, {1, 1, 0}, {0}, NULL, true},
        {2, 2, 24, 24, 24, {30, 33, 0}, {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, {1, 1, 1, 1, 0, 0}, NULL, true},
        {2, 1, 16, 16, 16, {31, 29, 0}, {5, 5, 0}, {1, 1, 0}, {1, 1, 0}, {2, 2, 2, 2, 0, 0}, NULL, false},
        {2, 1, 30, 8, 1, {21, 19, 0}, {3, 3, 0}, {2, 2, 0}, {1, 1, 0}, {1, 1, 1, 1, 0, 0}, NULL, true},
        /* depthwise rows of 80 and 160 (full 64-wide vector blocks), strides (2,1) and (1,2) */
        {2, 1, 8, 8, 8, {6, 80, 0}, {5, 5, 0}, {2, 1, 0}, {1, 1, 0}, {2, 2, 2, 2, 0, 0}, NULL, true},
        {2, 1, 4, 4, 4, {5, 160, 0}, {3, 3, 0}, {1, 2, 0}, {1, 1, 0}, {1, 1, 1, 1, 0, 0}, NULL, true},
        {2, 1, 4, 4, 4, {5, 128, 0}, {3, 3, 0}, {1, 1, 0}, {1, 2, 0}, {0, 2, 0, 2, 0, 0}, NULL, false},
    };
    static const char *acts[] = {"Relu", "HardSwish", "Clip", "LeakyRelu", "HardSigmoid", "Sigmoid", "Tanh"};
    static const float params[][2] = {{0}, {0}, {-0.5f, 0.7f}, {0.1f}, {0.3f, 0.4f}, {0}, {0}};
    static const int nparams[] = {0, 0, 2, 1, 2, 0, 0};
    for (size_t i = 0; i < TS_ARRAY_LEN(big); i++) check_conv(&big[i], NULL, NULL, 0);
    for (size_t i = 0; i < TS_ARRAY_LEN(acts); i++)
        check_conv(&big[i % TS_ARRAY_LEN(big)], acts[i], params[i], nparams[i]);
    /* every ISA path */
    cpu_isa_level best = cpu_detect_isa();
    for (int l = 0; l < (int)best; l++) {
        cpu_force_isa((cpu_isa_level)l);
        for (size_t i = 0; i < TS_ARRAY_LEN(big); i++) check_conv(&big[i], "Relu", NULL, 0);
    }
    cpu_force_isa(best);
}

TEST(conv_bad_attributes_are_errors) {
    ts_tensor *x = rand_t(TS_F32, 4, (int64_t[]){1, 4, 5, 5}, -1, 1);
    ts_tensor *w = rand_t(TS_F32, 4, (int64_t[]){6, 3, 3, 3}, -1, 1);
    tcase t;
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);   /* 4 channels vs 3 per group */
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    tc_free(&t);
    ts_tensor_free(w);
    w = rand_t(TS_F32, 4, (int64_t[]){6, 4, 3, 3}, -1, 1);
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);
    set_ints(t.n, "strides", 3, (int64_t[]){1, 1, 1});
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    tc_free(&t);
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);
    CHECK(ir_node_set_string(t.n, "auto_pad", "BOGUS") == TS_OK);
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    tc_free(&t);
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);
    set_ints(t.n, "pads", 4, (int64_t[]){0, 0, -1, 0});
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    tc_free(&t);
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);
    set_ints(t.n, "dilations", 2, (int64_t[]){4, 4});   /* kernel 9 > input 5 */
    CHECK(tc_run(&t) == TS_ERR_INVALID);
    tc_free(&t);
    ts_tensor_free(x); ts_tensor_free(w);
}

/* ConvTranspose reference: scatter every input through the kernel. */
TEST(conv_transpose_variants) {
    for (int it = 0; it < 40; it++) {
        int nsp = it % 5 == 4 ? 1 : it % 7 == 6 ? 3 : 2;
        int64_t N = th_rand_int(1, 2), group = th_rand_int(1, 2), C = group * th_rand_int(1, 3);
        int64_t mg = th_rand_int(1, 3), M = mg * group;
        int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
        int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0}, op[3] = {0, 0, 0}, out[3] = {1, 1, 1};
        int64_t xd[5] = {N, C}, wd[5] = {C, mg}, pads[6], ops[3], oshape[3];
        int variant = it % 4;   /* 0 pads, 1 output_padding, 2 output_shape, 3 SAME_UPPER/LOWER */
        int off = 3 - nsp;
        for (int i = 0; i < nsp; i++) {
            int a = off + i;
            in[a] = th_rand_int(2, nsp == 3 ? 4 : 7);
            if (it % 8 == 3 && nsp == 2) in[a] = 8;   /* 64 pixels: whole vector panels */
            k[a] = th_rand_int(1, 4);
            s[a] = th_rand_int(1, 3);
            d[a] = th_rand_int(1, 2);
            if (it % 8 == 1) { k[a] = s[a] = th_rand_int(1, 3); d[a] = 1; }   /* disjoint taps */
            int64_t dk = (k[a] - 1) * d[a] + 1;
            if (variant == 0) { pb[a] = th_rand_int(0, 1); pe[a] = th_rand_int(0, 1); }
            if (variant == 1) op[a] = th_rand_int(0, (int)TS_MIN(s[a], d[a]) - 1);
            int64_t full = s[a] * (in[a] - 1) + op[a] + dk;
            out[a] = full - pb[a] - pe[a];
            if (variant == 2) out[a] = full + th_rand_int(-1, 1);
            if (variant == 3) out[a] = in[a] * s[a];
            if (variant >= 2) {
                int64_t tot = full - out[a];
                bool lower = variant == 3 && it % 8 == 7;
                pb[a] = lower ? tot - tot / 2 : tot / 2;
            }
            xd[2 + i] = in[a]; wd[2 + i] = k[a];
            pads[i] = pb[a]; pads[nsp + i] = pe[a]; ops[i] = op[a]; oshape[i] = out[a];
        }
        ts_tensor *x = rand_t(TS_F32, 2 + nsp, xd, -1, 1), *w = rand_t(TS_F32, 2 + nsp, wd, -1, 1);
        ts_tensor *b = it % 3 ? rand_t(TS_F32, 1, &M, -1, 1) : NULL;
        tcase t;
        tc_init(&t, "ConvTranspose", (const ts_tensor *[]){x, w, b}, b ? 3 : 2, 1);
        CHECK(ir_node_set_int(t.n, "group", group) == TS_OK);
        set_ints(t.n, "strides", nsp, s + off);
        set_ints(t.n, "dilations", nsp, d + off);
        if (variant == 0) set_ints(t.n, "pads", 2 * nsp, pads);
        if (variant == 1) set_ints(t.n, "output_padding", nsp, ops);
        if (variant == 2) set_ints(t.n, "output_shape", nsp, oshape);
        if (variant == 3) CHECK(ir_node_set_string(t.n, "auto_pad", it % 8 == 7 ? "SAME_LOWER" : "SAME_UPPER") == TS_OK);
        ts_status st = tc_run(&t);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        int64_t opix = out[0] * out[1] * out[2], total = N * M * opix;
        double *ref = calloc((size_t)total + 1, sizeof(double));
        const float *X = x->data, *W = w->data;
        int64_t cg = C / group;
        for (int64_t bn = 0; bn < N; bn++)
            for (int64_t m = 0; m < M; m++) {
                int64_t g = m / mg, mm = m % mg;
                double *r = ref + (bn * M + m) * opix;
                for (int64_t i = 0; i < opix; i++) r[i] = b ? ((float *)b->data)[m] : 0;
                for (int64_t ci = 0; ci < cg; ci++)
                    for (int64_t iz = 0; iz < in[0]; iz++)
                        for (int64_t iy = 0; iy < in[1]; iy++)
                            for (int64_t ix = 0; ix < in[2]; ix++)
                                for (int64_t kz = 0; kz < k[0]; kz++)
                                    for (int64_t ky = 0; ky < k[1]; ky++)
                                        for (int64_t kx = 0; kx < k[2]; kx++) {
                                            int64_t oz = iz * s[0] - pb[0] + kz * d[0];
                                            int64_t oy = iy * s[1] - pb[1] + ky * d[1];
                                            int64_t ox = ix * s[2] - pb[2] + kx * d[2];
                                            if (oz < 0 || oz >= out[0] || oy < 0 || oy >= out[1] || ox < 0 || ox >= out[2]) continue;
                                            double xv = X[(((bn * C + g * cg + ci) * in[0] + iz) * in[1] + iy) * in[2] + ix];
                                            double wv = W[((((g * cg + ci) * mg + mm) * k[0] + kz) * k[1] + ky) * k[2] + kx];
                                            r[(oz * out[1] + oy) * out[2] + ox] += xv * wv;
                                        }
            }
        if (!st) CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-4, "ConvTranspose") == 0, "it %d variant %d", it, variant);
        free(ref); tc_free(&t); ts_tensor_free(x); ts_tensor_free(w); ts_tensor_free(b);
    }
}

/* ---- pools -------------------------------------------------------------------------- */

TEST(pools_max_avg_ceil_dilations_indices) {
    for (int it = 0; it < 80; it++) {
        int nsp = it % 6 == 5 ? 1 : it % 6 == 4 ? 3 : 2, off = 3 - nsp;
        bool is_max = it % 2 == 0, ceil_mode = th_rand_int(0, 1), incl = th_rand_int(0, 1);
        int ap = th_rand_int(0, 4);    /* 0-1 explicit pads, 2 SAME_UPPER, 3 SAME_LOWER, 4 VALID */
        bool col_major = is_max && nsp == 2 && th_rand_int(0, 1);
        int64_t N = th_rand_int(1, 2), C = th_rand_int(1, 3);
        int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
        int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0}, out[3] = {1, 1, 1}, xd[5] = {N, C}, pads[6];
        for (int i = 0; i < nsp; i++) {
            int a = off + i;
            in[a] = th_rand_int(4, nsp == 3 ? 6 : 12);
            k[a] = th_rand_int(1, 3);
            s[a] = th_rand_int(1, 3);
            d[a] = is_max ? th_rand_int(1, 2) : 1;
            int64_t dk = (k[a] - 1) * d[a] + 1;
            if (in[a] < dk) in[a] = dk;
            if (ap <= 1) {
                pb[a] = th_rand_int(0, (int)k[a] - 1);
                pe[a] = th_rand_int(0, (int)k[a] - 1);
                int64_t span = in[a] + pb[a] + pe[a] - dk;
                out[a] = (ceil_mode ? (span + s[a] - 1) / s[a] : span / s[a]) + 1;
                if (ceil_mode && (out[a] - 1) * s[a] >= in[a] + pb[a]) out[a]--;
            } else if (ap == 4) {
                out[a] = (in[a] - dk) / s[a] + 1;
            } else {
                out[a] = (in[a] + s[a] - 1) / s[a];
                int64_t tot = TS_MAX(0, (out[a] - 1) * s[a] + dk - in[a]);
                pb[a] = ap == 2 ? tot / 2 : tot - tot / 2;
                pe[a] = tot - pb[a];
            }
            xd[2 + i] = in[a];
            pads[i] = pb[a]; pads[nsp + i] = pe[a];
        }
        ts_tensor *x = rand_t(TS_F32, 2 + nsp, xd, -5, 5);
        tcase t;
        tc_init(&t, is_max ? "MaxPool" : "AveragePool", (const ts_tensor *[]){x}, 1, is_max ? 2 : 1);
        set_ints(t.n, "kernel_shape", nsp, k + off);
        set_ints(t.n, "strides", nsp, s + off);
        if (is_max) set_ints(t.n, "dilations", nsp, d + off);
        if (ap <= 1) set_ints(t.n, "pads", 2 * nsp, pads);
        else CHECK(ir_node_set_string(t.n, "auto_pad", ap == 2 ? "SAME_UPPER" : ap == 3 ? "SAME_LOWER" : "VALID") == TS_OK);
        if (ap <= 1) CHECK(ir_node_set_int(t.n, "ceil_mode", ceil_mode) == TS_OK);
        if (!is_max) CHECK(ir_node_set_int(t.n, "count_include_pad", incl) == TS_OK);
        if (col_major) CHECK(ir_node_set_int(t.n, "storage_order", 1) == TS_OK);
        ts_status st = tc_run(&t);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        int64_t opix = out[0] * out[1] * out[2], total = N * C * opix, ipix = in[0] * in[1] * in[2];
        double *ref = malloc(sizeof(double) * (size_t)(total + 1)), *ridx = malloc(sizeof(double) * (size_t)(total + 1));
        const float *X = x->data;
        int64_t o = 0;
        for (int64_t p = 0; p < N * C; p++)
            for (int64_t oz = 0; oz < out[0]; oz++)
                for (int64_t oy = 0; oy < out[1]; oy++)
                    for (int64_t ox = 0; ox < out[2]; ox++, o++) {
                        double best = -INFINITY, sum = 0;
                        int64_t cnt = 0, cnt_pad = 0, bi = -1;
                        for (int64_t kz = 0; kz < k[0]; kz++)
                            for (int64_t ky = 0; ky < k[1]; ky++)
                                for (int64_t kx = 0; kx < k[2]; kx++) {
                                    int64_t iz = oz * s[0] - pb[0] + kz * d[0], iy = oy * s[1] - pb[1] + ky * d[1];
                                    int64_t ix = ox * s[2] - pb[2] + kx * d[2];
                                    bool in_pad = iz < in[0] + pe[0] && iy < in[1] + pe[1] && ix < in[2] + pe[2];
                                    if (in_pad) cnt_pad++;
                                    if (iz < 0 || iz >= in[0] || iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2]) continue;
                                    double v = X[p * ipix + (iz * in[1] + iy) * in[2] + ix];
                                    sum += v;
                                    cnt++;
                                    if (v > best) {
                                        best = v;
                                        bi = col_major ? p * ipix + ix * in[1] + iy : p * ipix + (iz * in[1] + iy) * in[2] + ix;
                                    }
                                }
                        ref[o] = is_max ? best : sum / (double)(incl ? cnt_pad : cnt);
                        ridx[o] = (double)bi;
                    }
        if (!st) {
            CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-5, is_max ? "MaxPool" : "AveragePool") == 0,
                      "it %d nsp %d ap %d ceil %d incl %d", it, nsp, ap, ceil_mode, incl);
            if (is_max) CHECK(cmp_f(t.out[1], ridx, total, 0, "Indices") == 0);
        }
        free(ref); free(ridx); tc_free(&t); ts_tensor_free(x);
    }
}

TEST(pools_uint8_and_global) {
    ts_tensor *x = rand_t(TS_U8, 4, (int64_t[]){1, 2, 5, 5}, 0, 255);
    tcase t;
    tc_init(&t, "MaxPool", (const ts_tensor *[]){x}, 1, 1);
    set_ints(t.n, "kernel_shape", 2, (int64_t[]){2, 2});
    CHECK(tc_run(&t) == TS_OK);
    CHECK(t.out[0]->dtype == TS_U8 && t.out[0]->dims[2] == 4);
    const uint8_t *X = x->data, *Y = t.out[0]->data;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int m = 0;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) m = TS_MAX(m, X[c * 25 + (i + a) * 5 + j + b]);
                CHECK(Y[c * 16 + i * 4 + j] == m);
            }
    tc_free(&t); ts_tensor_free(x);
    for (int g = 0; g < 2; g++) {
        int64_t d[5] = {2, 3, th_rand_int(1, 9), th_rand_int(1, 9), th_rand_int(1, 3)};
        int rank = 3 + g * 2;
        x = rand_t(TS_F32, rank, d, -3, 3);
        for (int mx = 0; mx < 2; mx++) {
            tc_init(&t, mx ? "GlobalMaxPool" : "GlobalAveragePool", (const ts_tensor *[]){x}, 1, 1);
            CHECK(tc_run(&t) == TS_OK);
            CHECK(t.out[0]->rank == rank && t.out[0]->dims[2] == 1);
            int64_t inner = ts_tensor_numel(x) / 6;
            double ref[6];
            for (int p = 0; p < 6; p++) {
                double s = 0, m = -INFINITY;
                for (int64_t i = 0; i < inner; i++) {
                    double v = ((float *)x->data)[p * inner + i];
                    s += v; m = v > m ? v : m;
                }
                ref[p] = mx ? m : s / (double)inner;
            }
            CHECK(cmp_f(t.out[0], ref, 6, 1e-5, "GlobalPool") == 0);
            tc_free(&t);
        }
        ts_tensor_free(x);
    }
}

/* ---- normalizations ------------------------------------------------------------------- */

TEST(batchnorm_inference_and_training) {
    for (int training = 0; training < 2; training++) {
        int64_t d[4] = {th_rand_int(1, 3), th_rand_int(1, 5), th_rand_int(1, 6), th_rand_int(1, 6)};
        int64_t C = d[1];
        ts_tensor *x = rand_t(TS_F32, 4, d, -2, 2), *sc = rand_t(TS_F32, 1, &C, 0.5f, 2), *b = rand_t(TS_F32, 1, &C, -1, 1);
        ts_tensor *m = rand_t(TS_F32, 1, &C, -1, 1), *v = rand_t(TS_F32, 1, &C, 0.1f, 2);
        tcase t;
        tc_init(&t, "BatchNormalization", (const ts_tensor *[]){x, sc, b, m, v}, 5, training ? 3 : 1);
        CHECK(ir_node_set_float(t.n, "epsilon", 1e-3f) == TS_OK);
        if (training) CHECK(ir_node_set_int(t.n, "training_mode", 1) == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        int64_t inner = d[2] * d[3], total = ts_tensor_numel(x);
        double *ref = malloc(sizeof(double) * (size_t)total), rm[8], rv[8];
        const float *X = x->data;
        for (int64_t c = 0; c < C; c++) {
            double mean = ((float *)m->data)[c], var = ((float *)v->data)[c];
            if (training) {
                double s = 0, q = 0;
                for (int64_t n = 0; n < d[0]; n++)
                    for (int64_t i = 0; i < inner; i++) s += X[(n * C + c) * inner + i];
                double bm = s / (double)(d[0] * inner);
                for (int64_t n = 0; n < d[0]; n++)
                    for (int64_t i = 0; i < inner; i++) q += pow(X[(n * C + c) * inner + i] - bm, 2);
                double bv = q / (double)(d[0] * inner);
                rm[c] = mean * 0.9 + bm * 0.1;
                rv[c] = var * 0.9 + bv * 0.1;
                mean = bm; var = bv;
            }
            for (int64_t n = 0; n < d[0]; n++)
                for (int64_t i = 0; i < inner; i++) {
                    int64_t k = (n * C + c) * inner + i;
                    ref[k] = ((float *)sc->data)[c] * (X[k] - mean) / sqrt(var + 1e-3) + ((float *)b->data)[c];
                }
        }
        CHECK(cmp_f(t.out[0], ref, total, 1e-4, "BatchNorm") == 0);
        if (training) {
            CHECK(cmp_f(t.out[1], rm, C, 1e-5, "running_mean") == 0);
            CHECK(cmp_f(t.out[2], rv, C, 1e-5, "running_var") == 0);
        }
        free(ref); tc_free(&t);
        ts_tensor_free(x); ts_tensor_free(sc); ts_tensor_free(b); ts_tensor_free(m); ts_tensor_free(v);
    }
}

/* Reference: normalize each group of `size` consecutive values. */
static void ref_group_norm(const float *x, int64_t rows, int64_t size, double eps, double *y) {
    for (int64_t r = 0; r < rows; r++) {
        double s = 0, q = 0;
        for (int64_t i = 0; i < size; i++) s += x[r * size + i];
        double m = s / (double)size;
        for (int64_t i = 0; i < size; i++) q += pow(x[r * size + i] - m, 2);
        double inv = 1 / sqrt(q / (double)size + eps);
        for (int64_t i = 0; i < size; i++) y[r * size + i] = (x[r * size + i] - m) * inv;
    }
}

TEST(instance_group_layer_norm) {
    /* InstanceNormalization and GroupNormalization (per-group and per-channel affine) */
    for (int it = 0; it < 6; it++) {
        int64_t G = it < 2 ? 0 : th_rand_int(1, 3), cpg = th_rand_int(1, 3);
        int64_t C = G ? G * cpg : th_rand_int(1, 5);
        int64_t d[4] = {th_rand_int(1, 2), C, th_rand_int(1, 7), th_rand_int(2, 7)};
        bool per_ch = it % 2 == 0 || !G;
        int64_t ns = per_ch ? C : G;
        ts_tensor *x = rand_t(TS_F32, 4, d, -2, 2), *sc = rand_t(TS_F32, 1, &ns, -2, 2), *b = rand_t(TS_F32, 1, &ns, -1, 1);
        tcase t;
        tc_init(&t, G ? "GroupNormalization" : "InstanceNormalization", (const ts_tensor *[]){x, sc, b}, 3, 1);
        if (G) CHECK(ir_node_set_int(t.n, "num_groups", G) == TS_OK);
        CHECK(ir_node_set_float(t.n, "epsilon", 1e-4f) == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        int64_t total = ts_tensor_numel(x), groups = G ? G : C, inner = d[2] * d[3];
        double *ref = malloc(sizeof(double) * (size_t)total);
        ref_group_norm(x->data, d[0] * groups, total / (d[0] * groups), 1e-4, ref);
        for (int64_t i = 0; i < total; i++) {
            int64_t c = (i / inner) % C, si = per_ch ? c : c / (C / groups);
            ref[i] = ref[i] * ((float *)sc->data)[si] + ((float *)b->data)[si];
        }
        CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-4, "Instance/GroupNorm") == 0, "it %d", it);
        free(ref); tc_free(&t); ts_tensor_free(x); ts_tensor_free(sc); ts_tensor_free(b);
    }
    /* LayerNormalization: every axis, negative axes, broadcast scale, Mean/InvStdDev */
    for (int it = 0; it < 10; it++) {
        int rank = th_rand_int(1, 4);
        int64_t d[4];
        for (int i = 0; i < rank; i++) d[i] = th_rand_int(1, 6);
        int axis = th_rand_int(-rank, rank - 1), ax = axis < 0 ? axis + rank : axis;
        ts_tensor *x = rand_t(TS_F32, rank, d, -3, 3);
        int srank = rank - ax;
        int64_t sd[4];
        for (int i = 0; i < srank; i++) sd[i] = d[ax + i];
        if (srank > 1 && it % 2) sd[0] = 1;   /* scale broadcast along the first normalized dim */
        ts_tensor *sc = rand_t(TS_F32, srank, sd, -2, 2), *b = it % 3 ? rand_t(TS_F32, srank, sd, -1, 1) : NULL;
        tcase t;
        tc_init(&t, "LayerNormalization", (const ts_tensor *[]){x, sc, b}, b ? 3 : 2, 3);
        CHECK(ir_node_set_int(t.n, "axis", axis) == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        int64_t total = ts_tensor_numel(x), inner = 1;
        for (int i = ax; i < rank; i++) inner *= d[i];
        double *ref = malloc(sizeof(double) * (size_t)total), mean[1300], inv[1300];
        const float *X = x->data;
        for (int64_t r = 0; r < total / inner; r++) {
            double s = 0, q = 0;
            for (int64_t i = 0; i < inner; i++) s += X[r * inner + i];
            mean[r] = s / (double)inner;
            for (int64_t i = 0; i < inner; i++) q += pow(X[r * inner + i] - mean[r], 2);
            inv[r] = 1 / sqrt(q / (double)inner + 1e-5);
            for (int64_t i = 0; i < inner; i++) {
                int64_t si = sd[0] == 1 && srank > 1 ? i % (inner / d[ax]) : i;
                ref[r * inner + i] = (X[r * inner + i] - mean[r]) * inv[r] * ((float *)sc->data)[si] +
                                     (b ? ((float *)b->data)[si] : 0);
            }
        }
        CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-4, "LayerNorm") == 0, "rank %d axis %d", rank, axis);
        CHECK(cmp_f(t.out[1], mean, total / inner, 1e-4, "Mean") == 0);
        CHECK(cmp_f(t.out[2], inv, total / inner, 1e-4, "InvStdDev") == 0);
        free(ref); tc_free(&t); ts_tensor_free(x); ts_tensor_free(sc); ts_tensor_free(b);
    }
}

TEST(lrn) {
    for (int it = 0; it < 4; it++) {
        int64_t d[4] = {th_rand_int(1, 2), th_rand_int(1, 7), th_rand_int(1, 5), th_rand_int(1, 5)};
        int64_t size = th_rand_int(1, 5);
        ts_tensor *x = rand_t(TS_F32, 4, d, -2, 2);
        tcase t;
        tc_init(&t, "LRN", (const ts_tensor *[]){x}, 1, 1);
        CHECK(ir_node_set_int(t.n, "size", size) == TS_OK);
        CHECK(ir_node_set_float(t.n, "alpha", 0.002f) == TS_OK);
        CHECK(ir_node_set_float(t.n, "beta", 0.6f) == TS_OK);
        CHECK(ir_node_set_float(t.n, "bias", 1.5f) == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        int64_t inner = d[2] * d[3], total = ts_tensor_numel(x);
        double *ref = malloc(sizeof(double) * (size_t)total);
        const float *X = x->data;
        for (int64_t i = 0; i < total; i++) {
            int64_t c = (i / inner) % d[1], base = i - c * inner;
            double sq = 0;
            for (int64_t k = c - (size - 1) / 2; k <= c + size / 2; k++)
                if (k >= 0 && k < d[1]) sq += pow(X[base + k * inner], 2);
            ref[i] = X[i] / pow(1.5 + 0.002 / (double)size * sq, 0.6);
        }
        CHECK(cmp_f(t.out[0], ref, total, 1e-5, "LRN") == 0);
        free(ref); tc_free(&t); ts_tensor_free(x);
    }
}

/* ---- Resize ------------------------------------------------------------------------------- */

/* Direct N-D reference: each output element sums over the product of the
 * per-axis taps (no separable passes). */
typedef struct rref {
    const char *mode, *ctm, *nm;
    double a;
    bool excl;
    double extrap;
    bool antialias;
} rref;

static double rr_coord(const rref *r, double x, double sc, double lin, double lout, double rs, double re) {
    if (!strcmp(r->ctm, "half_pixel")) return (x + 0.5) / sc - 0.5;
    if (!strcmp(r->ctm, "half_pixel_symmetric")) {
        double adj = floor(lout) / lout, center = lin / 2;
        return center * (1 - adj) + (x + 0.5) / sc - 0.5;
    }
    if (!strcmp(r->ctm, "pytorch_half_pixel")) return lout != 1 ? (x + 0.5) / sc - 0.5 : 0;
    if (!strcmp(r->ctm, "align_corners")) return lout == 1 ? 0 : x * (lin - 1) / (lout - 1);
    if (!strcmp(r->ctm, "asymmetric")) return x / sc;
    if (!strcmp(r->ctm, "tf_half_pixel_for_nn")) return (x + 0.5) / sc;
    return lout != 1 ? rs * (lin - 1) + x * (re - rs) * (lin - 1) / (lout - 1) : 0.5 * (rs + re) * (lin - 1);
}

/* Taps for one axis: returns count; idx/w filled; *out set when outside. */
/* Antialiased taps as ONNX 18's reference states them: a footprint of
 * 2 - 2*start neighbours from floor(x) + start, start = floor(-support/scale)
 * + 1, kernel arguments scaled by the scale, weights normalized. */
static int rr_taps_aa(const rref *r, double xo, double scale, int64_t lin, int64_t *idx, double *w) {
    double support = !strcmp(r->mode, "linear") ? 1 : 2, A = r->a;
    int64_t start = (int64_t)floor(-support / scale) + 1, n = 2 - 2 * start;
    int64_t x0 = (int64_t)floor(xo);
    double ratio = xo - (double)x0, sum = 0;
    for (int64_t k = 0; k < n; k++) {
        double t = fabs(((double)(start + k) - ratio) * scale), c;
        if (support == 1) c = t < 1 ? 1 - t : 0;
        else c = t <= 1 ? ((A + 2) * t - (A + 3)) * t * t + 1 : t < 2 ? ((A * t - 5 * A) * t + 8 * A) * t - 4 * A : 0;
        int64_t i = x0 + start + k;
        if (r->excl && (i < 0 || i >= lin)) c = 0;
        w[k] = c;
        sum += c;
        idx[k] = i < 0 ? 0 : i >= lin ? lin - 1 : i;
    }
    for (int64_t k = 0; k < n; k++) w[k] /= sum;
    return (int)n;
}

static int rr_taps(const rref *r, double xo, double scale, int64_t lin, int64_t *idx, double *w, bool *outside) {
    if (r->antialias && scale < 1 && strcmp(r->mode, "nearest")) {
        *outside = false;
        return rr_taps_aa(r, xo, scale, lin, idx, w);
    }
    *outside = !strcmp(r->ctm, "tf_crop_and_resize") && (xo < 0 || xo > (double)(lin - 1));
    if (!strcmp(r->mode, "nearest")) {
        double f = floor(xo), fr = xo - f;
        int64_t i;
        if (!strcmp(r->nm, "floor")) i = (int64_t)f;
        else if (!strcmp(r->nm, "ceil")) i = (int64_t)ceil(xo);
        else if (fr == 0.5) i = (int64_t)(!strcmp(r->nm, "round_prefer_ceil") ? f + 1 : f);
        else i = (int64_t)llround(xo);
        idx[0] = i < 0 ? 0 : i >= lin ? lin - 1 : i;
        w[0] = 1;
        return 1;
    }
    int64_t x0 = (int64_t)floor(xo);
    double t = xo - (double)x0;
    int n;
    double c[4];
    int64_t first;
    if (!strcmp(r->mode, "linear")) {
        n = 2; first = x0; c[0] = 1 - t; c[1] = t;
    } else {
        double A = r->a;
        n = 4; first = x0 - 1;
        c[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
        c[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
        c[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
        c[3] = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
    }
    double sum = 0;
    for (int k = 0; k < n; k++) {
        int64_t i = first + k;
        if (r->excl && (i < 0 || i >= lin)) c[k] = 0;
        sum += c[k];
        idx[k] = i < 0 ? 0 : i >= lin ? lin - 1 : i;
    }
    for (int k = 0; k < n; k++) w[k] = r->excl ? c[k] / sum : c[k];
    return n;
}

static void check_resize(const rref *r, int rank, const int64_t *in, const double *scales, bool use_sizes,
                         const double *roi) {
    ts_tensor *x = rand_t(TS_F32, rank, in, -3, 3);
    int64_t out[4];
    for (int i = 0; i < rank; i++) out[i] = (int64_t)floor((double)in[i] * (double)(float)scales[i]);
    ts_tensor *roi_t = roi ? ts_tensor_new(TS_F32, 1, (int64_t[]){2 * rank}) : NULL;
    for (int i = 0; roi && i < 2 * rank; i++) ((float *)roi_t->data)[i] = (float)roi[i];
    ts_tensor *sc = NULL, *sz = NULL;
    if (use_sizes) {
        sz = ts_tensor_new(TS_I64, 1, (int64_t[]){rank});
        for (int i = 0; i < rank; i++) ((int64_t *)sz->data)[i] = out[i];
    } else {
        sc = ts_tensor_new(TS_F32, 1, (int64_t[]){rank});
        for (int i = 0; i < rank; i++) ((float *)sc->data)[i] = (float)scales[i];
    }
    tcase t;
    tc_init(&t, "Resize", (const ts_tensor *[]){x, roi_t, sc, sz}, use_sizes ? 4 : 3, 1);
    t.opset = 13;
    CHECK(ir_node_set_string(t.n, "mode", r->mode) == TS_OK);
    CHECK(ir_node_set_string(t.n, "coordinate_transformation_mode", r->ctm) == TS_OK);
    CHECK(ir_node_set_string(t.n, "nearest_mode", r->nm) == TS_OK);
    CHECK(ir_node_set_float(t.n, "cubic_coeff_a", (float)r->a) == TS_OK);
    CHECK(ir_node_set_int(t.n, "exclude_outside", r->excl) == TS_OK);
    CHECK(ir_node_set_float(t.n, "extrapolation_value", (float)r->extrap) == TS_OK);
    if (r->antialias) { CHECK(ir_node_set_int(t.n, "antialias", 1) == TS_OK); t.opset = 18; }
    ts_status st = tc_run(&t);
    CHECK_MSG(st == TS_OK, "%s", ts_last_error());
    int64_t total = 1;
    for (int i = 0; i < rank; i++) total *= out[i];
    double *ref = malloc(sizeof(double) * (size_t)(total + 1));
    for (int64_t o = 0; o < total; o++) {
        int64_t c[4], rem = o;
        for (int a = rank - 1; a >= 0; a--) { c[a] = rem % out[a]; rem /= out[a]; }
        int64_t idx[4][16];
        double w[4][16];
        int n[4];
        bool outside = false;
        for (int a = 0; a < rank; a++) {
            double s = use_sizes ? (double)out[a] / (double)in[a] : (double)(float)scales[a];
            double xo = rr_coord(r, (double)c[a], s, (double)in[a], (double)in[a] * s, roi ? (double)(float)roi[a] : 0,
                                 roi ? (double)(float)roi[rank + a] : 1);
            bool oa;
            n[a] = rr_taps(r, xo, s, in[a], idx[a], w[a], &oa);
            outside |= oa;
        }
        if (outside) { ref[o] = r->extrap; continue; }
        double acc = 0;
        int k[4] = {0, 0, 0, 0};
        for (;;) {
            double wt = 1;
            int64_t li = 0;
            for (int a = 0; a < rank; a++) { wt *= w[a][k[a]]; li = li * in[a] + idx[a][k[a]]; }
            acc += wt * ((float *)x->data)[li];
            int a = rank - 1;
            while (a >= 0 && ++k[a] == n[a]) k[a--] = 0;
            if (a < 0) break;
        }
        ref[o] = acc;
    }
    if (!st) CHECK_MSG(cmp_f(t.out[0], ref, total, 1e-4, "Resize") == 0, "mode %s ctm %s nm %s excl %d sizes %d",
                       r->mode, r->ctm, r->nm, r->excl, use_sizes);
    free(ref); tc_free(&t); ts_tensor_free(x); ts_tensor_free(roi_t); ts_tensor_free(sc); ts_tensor_free(sz);
}

TEST(resize_modes_and_coordinate_transforms) {
    static const char *modes[] = {"nearest", "linear", "cubic"};
    static const char *ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                 "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
    static const char *nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const double sc_opts[] = {0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0};
    for (int mi = 0; mi < 3; mi++)
        for (int ci = 0; ci < 7; ci++) {
            if (mi == 0 && ci == 4) continue;
            for (int rep = 0; rep < 2; rep++) {
                rref r = {modes[mi], ctms[ci], nms[th_rand_int(0, 3)], th_rand_int(0, 1) ? -0.75 : -0.5,
                          th_rand_int(0, 1) == 1, 0.5, false};
                int rank = rep == 0 ? 4 : th_rand_int(1, 3);
                int64_t in[4];
                double sc[4];
                for (int i = 0; i < rank; i++) {
                    bool spatial = rank < 4 || i >= 2;
                    in[i] = spatial ? th_rand_int(2, 7) : th_rand_int(1, 2);
                    sc[i] = spatial ? sc_opts[th_rand_int(0, 6)] : 1.0;
                    if ((double)in[i] * sc[i] < 1) sc[i] = 1.0;
                }
                double roi[8];
                for (int i = 0; i < rank; i++) { roi[i] = th_rand_float(-0.2f, 0.4f); roi[rank + i] = th_rand_float(0.6f, 1.2f); }
                check_resize(&r, rank, in, sc, th_rand_int(0, 1) == 1, ci == 5 ? roi : NULL);
            }
        }
    /* antialias (opset 18): downscaling widens the linear/cubic filter */
    static const char *aa_modes[] = {"linear", "cubic"};
    for (int i = 0; i < 4; i++) {
        rref r = {aa_modes[i % 2], i < 2 ? "half_pixel" : "align_corners", "round_prefer_floor",
                  -0.75, i == 3, 0, true};
        check_resize(&r, 4, (int64_t[]){1, 2, 9, 11}, (double[]){1, 1, 0.4, 0.75}, i % 2 == 1, NULL);
        check_resize(&r, 2, (int64_t[]){13, 4}, (double[]){0.3, 2.0}, false, NULL);
    }
    /* tf_half_pixel_for_nn with nearest */
    for (int i = 0; i < 4; i++) {
        rref r = {"nearest", "tf_half_pixel_for_nn", nms[i], -0.75, false, 0, false};
        check_resize(&r, 4, (int64_t[]){1, 2, 5, 6}, (double[]){1, 1, 0.6, 1.5}, false, NULL);
    }
}

/* Runs Resize on x with the given inputs/attributes; returns the output. */
static ts_tensor *resize_with(const ts_tensor *x, const ts_tensor *scales, const ts_tensor *sizes,
                              const int64_t *axes, int naxes, const char *policy) {
    tcase t;
    tc_init(&t, "Resize", (const ts_tensor *[]){x, NULL, scales, sizes}, sizes ? 4 : 3, 1);
    t.opset = 18;
    CHECK(ir_node_set_string(t.n, "mode", "linear") == TS_OK);
    if (axes) set_ints(t.n, "axes", naxes, axes);
    if (policy) CHECK(ir_node_set_string(t.n, "keep_aspect_ratio_policy", policy) == TS_OK);
    ts_status st = tc_run(&t);
    CHECK_MSG(st == TS_OK, "%s", ts_last_error());
    ts_tensor *y = st ? NULL : ts_tensor_clone(t.out[0]);
    tc_free(&t);
    return y;
}

TEST(resize_axes_and_aspect_ratio_policy) {
    ts_tensor *x = rand_t(TS_F32, 4, (int64_t[]){1, 2, 4, 6}, -1, 1);
    /* axes: partial scales equal full scales with 1 on the other axes */
    ts_tensor *full = vec_t(TS_F32, 4, (double[]){1, 1, 2, 1.5}), *part = vec_t(TS_F32, 2, (double[]){2, 1.5});
    ts_tensor *a = resize_with(x, full, NULL, NULL, 0, NULL);
    ts_tensor *b = resize_with(x, part, NULL, (int64_t[]){-2, 3}, 2, NULL);
    CHECK(a && b && ts_tensor_numel(a) == 2 * 8 * 9 && ts_tensor_numel(b) == ts_tensor_numel(a));
    for (int64_t i = 0; a && b && i < ts_tensor_numel(a); i++)
        CHECK(((float *)a->data)[i] == ((float *)b->data)[i]);
    ts_tensor_free(b);
    /* not_larger: sizes [8, 20] on [4, 6] keep the scale 2 -> [8, 12], same as scales */
    ts_tensor *sz = vec_t(TS_I64, 2, (double[]){8, 20});
    ts_tensor *full2 = vec_t(TS_F32, 4, (double[]){1, 1, 2, 2});
    ts_tensor *c = resize_with(x, NULL, sz, (int64_t[]){2, 3}, 2, "not_larger");
    ts_tensor *d = resize_with(x, full2, NULL, NULL, 0, NULL);
    CHECK(c && d && c->dims[2] == 8 && c->dims[3] == 12);
    for (int64_t i = 0; c && d && i < ts_tensor_numel(d); i++)
        CHECK_NEAR(((float *)c->data)[i], ((float *)d->data)[i], 1e-6);
    /* not_smaller: scale 20/6 -> [round(13.33), 20] = [13, 20] */
    ts_tensor *e = resize_with(x, NULL, sz, (int64_t[]){2, 3}, 2, "not_smaller");
    CHECK(e && e->dims[2] == 13 && e->dims[3] == 20);
    ts_tensor_free(a); ts_tensor_free(c); ts_tensor_free(d); ts_tensor_free(e);
    ts_tensor_free(full); ts_tensor_free(part); ts_tensor_free(sz); ts_tensor_free(full2); ts_tensor_free(x);
}

TEST(upsample_and_resize10) {
    ts_tensor *x = rand_t(TS_F32, 4, (int64_t[]){1, 2, 3, 4}, -1, 1);
    for (int v = 0; v < 3; v++) {
        ts_tensor *sc = vec_t(TS_F32, 4, (double[]){1, 1, 2, 3});
        tcase t;
        const char *op = v == 2 ? "Resize" : "Upsample";
        tc_init(&t, op, (const ts_tensor *[]){x, sc}, v == 0 ? 1 : 2, 1);
        t.opset = v == 0 ? 7 : v == 1 ? 9 : 10;
        if (v == 0) CHECK(ir_node_set_floats(t.n, "scales", (float[]){1, 1, 2, 3}, 4) == TS_OK);
        CHECK(ir_node_set_string(t.n, "mode", "nearest") == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        double ref[144];
        for (int i = 0; i < 144; i++) {
            int c = i / 72, h = (i / 12) % 6, w = i % 12;
            ref[i] = ((float *)x->data)[c * 12 + (h / 2) * 4 + w / 3];
        }
        CHECK_MSG(cmp_f(t.out[0], ref, 144, 0, op) == 0, "variant %d", v);
        tc_free(&t);
        ts_tensor_free(sc);
    }
    ts_tensor_free(x);
}

TEST(depth_to_space_and_back) {
    for (int crd = 0; crd < 2; crd++) {
        int64_t b = th_rand_int(1, 3), C = th_rand_int(1, 3), H = th_rand_int(1, 4), W = th_rand_int(1, 4);
        ts_tensor *x = rand_t(TS_F32, 4, (int64_t[]){2, C * b * b, H, W}, -1, 1);
        tcase t;
        tc_init(&t, "DepthToSpace", (const ts_tensor *[]){x}, 1, 1);
        CHECK(ir_node_set_int(t.n, "blocksize", b) == TS_OK);
        if (crd) CHECK(ir_node_set_string(t.n, "mode", "CRD") == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        int64_t total = ts_tensor_numel(x);
        double *ref = malloc(sizeof(double) * (size_t)total);
        /* numpy: reshape to 6-D, transpose, reshape; written as index maps */
        for (int64_t n = 0, o = 0; n < 2; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t h = 0; h < H * b; h++)
                    for (int64_t w = 0; w < W * b; w++, o++) {
                        int64_t i = h % b, j = w % b;
                        int64_t src_c = crd ? (c * b + i) * b + j : (i * b + j) * C + c;
                        ref[o] = ((float *)x->data)[((n * C * b * b + src_c) * H + h / b) * W + w / b];
                    }
        CHECK(cmp_f(t.out[0], ref, total, 0, "DepthToSpace") == 0);
        if (!crd) {
            /* SpaceToDepth inverts DCR DepthToSpace */
            tcase u;
            tc_init(&u, "SpaceToDepth", (const ts_tensor *[]){t.out[0]}, 1, 1);
            CHECK(ir_node_set_int(u.n, "blocksize", b) == TS_OK);
            CHECK(tc_run(&u) == TS_OK);
            for (int64_t i = 0; i < total; i++) ref[i] = ((float *)x->data)[i];
            CHECK(cmp_f(u.out[0], ref, total, 0, "SpaceToDepth") == 0);
            tc_free(&u);
        }
        free(ref); tc_free(&t); ts_tensor_free(x);
    }
}

/* ---- quantization ---------------------------------------------------------------------------- */

static double sat(double v, ts_dtype t) {
    double lo = t == TS_U8 ? 0 : -128, hi = t == TS_U8 ? 255 : 127;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Round half to even written out: ties go to the even neighbour. */
static double rhe(double v) {
    double f = floor(v), d = v - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return fmod(f, 2) == 0 ? f : f + 1;
}

TEST(quantize_dequantize_per_tensor_and_axis) {
    for (int it = 0; it < 8; it++) {
        ts_dtype qt = it % 2 ? TS_I8 : TS_U8;
        bool per_axis = it >= 4;
        int64_t d[3] = {2, 3, 4};
        int axis = per_axis ? th_rand_int(-3, 2) : 1, ax = axis < 0 ? axis + 3 : axis;
        ts_tensor *x = rand_t(TS_F32, 3, d, -300, 300);
        /* exact ties and saturation */
        ((float *)x->data)[0] = 2.5f; ((float *)x->data)[1] = -3.5f; ((float *)x->data)[2] = 1e6f;
        int64_t ns = per_axis ? d[ax] : 1;
        ts_tensor *sc = per_axis ? rand_t(TS_F32, 1, &ns, 0.5f, 2) : scalar_t(TS_F32, 1.0);
        ts_tensor *zp = per_axis ? rand_t(qt, 1, &ns, qt == TS_U8 ? 0 : -20, 20) : scalar_t(qt, qt == TS_U8 ? 7 : -3);
        tcase t;
        tc_init(&t, "QuantizeLinear", (const ts_tensor *[]){x, sc, zp}, 3, 1);
        if (per_axis) CHECK(ir_node_set_int(t.n, "axis", axis) == TS_OK);
        CHECK(tc_run(&t) == TS_OK);
        CHECK(t.out[0]->dtype == qt);
        double ref[24], deq[24];
        int64_t inner = 1;
        for (int i = ax + 1; i < 3; i++) inner *= d[i];
        for (int i = 0; i < 24; i++) {
            int64_t k = per_axis ? (i / inner) % d[ax] : 0;
            double s = ts_tensor_get(sc, k), z = ts_tensor_get(zp, k);
            ref[i] = sat(rhe((double)(((float *)x->data)[i] / (float)s)) + z, qt);
            deq[i] = (ref[i] - z) * s;
        }
        CHECK(cmp_f(t.out[0], ref, 24, 0, "QuantizeLinear") == 0);
        tcase u;
        tc_init(&u, "DequantizeLinear", (const ts_tensor *[]){t.out[0], sc, zp}, 3, 1);
        if (per_axis) CHECK(ir_node_set_int(u.n, "axis", axis) == TS_OK);
        CHECK(tc_run(&u) == TS_OK);
        CHECK(u.out[0]->dtype == TS_F32);
        CHECK(cmp_f(u.out[0], deq, 24, 1e-6, "DequantizeLinear") == 0);
        tc_free(&u); tc_free(&t);
        ts_tensor_free(x); ts_tensor_free(sc); ts_tensor_free(zp);
    }
    /* int32 input (opset 10+): the generic path */
    {
        ts_tensor *xi = vec_t(TS_I32, 3, (double[]){-7, 0, 100000});
        ts_tensor *si = scalar_t(TS_F32, 0.5);
        tcase u;
        tc_init(&u, "DequantizeLinear", (const ts_tensor *[]){xi, si}, 2, 1);
        CHECK(tc_run(&u) == TS_OK);
        CHECK(cmp_f(u.out[0], (double[]){-3.5, 0, 50000}, 3, 0, "DequantizeLinear i32") == 0);
        tc_free(&u); ts_tensor_free(xi); ts_tensor_free(si);
    }
    /* no zero point: uint8 output */
    ts_tensor *x = vec_t(TS_F32, 4, (double[]){0.5, 1.5, -1, 300});
    ts_tensor *sc = scalar_t(TS_F32, 1.0);
    tcase t;
    tc_init(&t, "QuantizeLinear", (const ts_tensor *[]){x, sc}, 2, 1);
    CHECK(tc_run(&t) == TS_OK);
    CHECK(t.out[0]->dtype == TS_U8);
    CHECK(cmp_f(t.out[0], (double[]){0, 2, 0, 255}, 4, 0, "QuantizeLinear u8") == 0);
    tc_free(&t); ts_tensor_free(x); ts_tensor_free(sc);
}

TEST(dynamic_quantize_linear) {
    int64_t n = 37;
    ts_tensor *x = rand_t(TS_F32, 1, &n, -4, 9);
    tcase t;
    tc_init(&t, "DynamicQuantizeLinear", (const ts_tensor *[]){x}, 1, 3);
    CHECK(tc_run(&t) == TS_OK);
    const float *X = x->data;
    float lo = 0, hi = 0;
    for (int i = 0; i < n; i++) { lo = fminf(lo, X[i]); hi = fmaxf(hi, X[i]); }
    float s = (hi - lo) / 255.0f;
    double zp = sat(rhe((double)(-lo / s)), TS_U8), ref[37];
    for (int i = 0; i < n; i++) ref[i] = sat(rhe((double)(X[i] / s)) + zp, TS_U8);
    CHECK(cmp_f(t.out[0], ref, n, 0, "DynamicQuantizeLinear") == 0);
    CHECK_NEAR(ts_tensor_get(t.out[1], 0), s, 1e-7);
    CHECK_NEAR(ts_tensor_get(t.out[2], 0), zp, 0);
    tc_free(&t); ts_tensor_free(x);
}

TEST(integer_matmul_and_qlinear_matmul) {
    for (int it = 0; it < 6; it++) {
        ts_dtype ta = it % 2 ? TS_I8 : TS_U8, tb = it % 3 ? TS_U8 : TS_I8;
        int64_t M = th_rand_int(1, 9), K = th_rand_int(1, 300), N = th_rand_int(1, 9), B = th_rand_int(1, 2);
        ts_tensor *a = rand_t(ta, 3, (int64_t[]){B, M, K}, ta == TS_U8 ? 0 : -128, ta == TS_U8 ? 255 : 127);
        ts_tensor *b = rand_t(tb, 2, (int64_t[]){K, N}, tb == TS_U8 ? 0 : -128, tb == TS_U8 ? 255 : 127);
        ts_tensor *azp = scalar_t(ta, ta == TS_U8 ? 100 : -5);
        ts_tensor *bzp = it >= 3 ? rand_t(tb, 1, &N, 0, 20) : scalar_t(tb, 3);
        tcase t;
        tc_init(&t, "MatMulInteger", (const ts_tensor *[]){a, b, azp, bzp}, 4, 1);
        CHECK(tc_run(&t) == TS_OK);
        CHECK(t.out[0]->dtype == TS_I32);
        double *ref = malloc(sizeof(double) * (size_t)(B * M * N)), *qref = malloc(sizeof(double) * (size_t)(B * M * N));
        double as = 0.02, bs = 0.03, ys = 1.7;
        for (int64_t bi = 0; bi < B; bi++)
            for (int64_t m = 0; m < M; m++)
                for (int64_t nn = 0; nn < N; nn++) {
                    int64_t s = 0;
                    for (int64_t k = 0; k < K; k++)
                        s += ((int64_t)ts_tensor_get(a, (bi * M + m) * K + k) - (int64_t)ts_tensor_get(azp, 0)) *
                             ((int64_t)ts_tensor_get(b, k * N + nn) - (int64_t)ts_tensor_get(bzp, it >= 3 ? nn : 0));
                    ref[(bi * M + m) * N + nn] = (double)s;
                    qref[(bi * M + m) * N + nn] = sat(rhe((double)s * (float)as * (float)bs / (float)ys) + 10, TS_U8);
                }
        CHECK(cmp_f(t.out[0], ref, B * M * N, 0, "MatMulInteger") == 0);
        tc_free(&t);
        ts_tensor *ast = scalar_t(TS_F32, as), *bst = scalar_t(TS_F32, bs), *yst = scalar_t(TS_F32, ys);
        ts_tensor *yzp = scalar_t(TS_U8, 10);
        tc_init(&t, "QLinearMatMul", (const ts_tensor *[]){a, ast, azp, b, bst, bzp, yst, yzp}, 8, 1);
        CHECK(tc_run(&t) == TS_OK);
        /* float vs double products may differ by one step near ties */
        CHECK(cmp_f(t.out[0], qref, B * M * N, 1.0 / 1.0, "QLinearMatMul") == 0);
        tc_free(&t);
        free(ref); free(qref);
        ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(azp); ts_tensor_free(bzp);
        ts_tensor_free(ast); ts_tensor_free(bst); ts_tensor_free(yst); ts_tensor_free(yzp);
    }
}

/* Scales and zero points with the wrong number of values (0, or neither 1
 * nor one per column/row) are errors naming the input, never reads past
 * their data or a division by zero (a fuzz-found SIGFPE). */
TEST(quant_params_with_wrong_counts_are_errors) {
    int64_t M = 3, K = 4, N = 5, zero = 0, two = 2;
    ts_tensor *a = rand_t(TS_U8, 2, (int64_t[]){M, K}, 0, 255), *b = rand_t(TS_U8, 2, (int64_t[]){K, N}, 0, 255);
    ts_tensor *s1 = scalar_t(TS_F32, 0.5), *z1 = scalar_t(TS_U8, 3);
    ts_tensor *s0 = ts_tensor_new(TS_F32, 1, &zero), *z2 = ts_tensor_new(TS_U8, 1, &two);
    struct { const ts_tensor *bs, *bzp, *ys, *azp; const char *what; } bad[] = {
        {s0, z1, s1, z1, "b_scale"}, {s1, z2, s1, z1, "b_zero_point"},
        {s1, z1, s0, z1, "y_scale"}, {s1, z1, s1, z2, "a_zero_point"},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(bad); i++) {
        tcase t;
        tc_init(&t, "QLinearMatMul", (const ts_tensor *[]){a, s1, bad[i].azp, b, bad[i].bs, bad[i].bzp, bad[i].ys, z1}, 8, 1);
        ts_status st = tc_run(&t);
        CHECK_MSG(st != TS_OK && strstr(ts_last_error(), bad[i].what), "%s: %s", bad[i].what, ts_last_error());
        tc_free(&t);
    }
    tcase t;
    tc_init(&t, "DequantizeLinear", (const ts_tensor *[]){a, s0, NULL}, 3, 1);
    CHECK(tc_run(&t) != TS_OK);
    tc_free(&t);
    ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(s1); ts_tensor_free(z1);
    ts_tensor_free(s0); ts_tensor_free(z2);
}

TEST(integer_conv_and_qlinear_conv) {
    for (int it = 0; it < 4; it++) {
        int64_t C = th_rand_int(1, 3) * 2, M = th_rand_int(1, 3) * 2, H = th_rand_int(3, 7), W = th_rand_int(3, 7);
        int64_t group = it % 2 ? 2 : 1, k = th_rand_int(1, 3);
        ts_tensor *x = rand_t(TS_U8, 4, (int64_t[]){1, C, H, W}, 0, 255);
        ts_tensor *w = rand_t(TS_I8, 4, (int64_t[]){M, C / group, k, k}, -128, 127);
        ts_tensor *xzp = scalar_t(TS_U8, 128), *wzp = scalar_t(TS_I8, 0);
        tcase t;
        tc_init(&t, "ConvInteger", (const ts_tensor *[]){x, w, xzp, wzp}, 4, 1);
        CHECK(ir_node_set_int(t.n, "group", group) == TS_OK);
        set_ints(t.n, "pads", 4, (int64_t[]){1, 1, 1, 1});
        CHECK(tc_run(&t) == TS_OK);
        int64_t OH = H + 2 - k + 1, OW = W + 2 - k + 1, total = M * OH * OW;
        double *ref = malloc(sizeof(double) * (size_t)total), *qref = malloc(sizeof(double) * (size_t)total);
        int64_t cg = C / group, mg = M / group;
        ts_tensor *bias = ts_tensor_new(TS_I32, 1, &M);
        for (int64_t m = 0; m < M; m++) ((int32_t *)bias->data)[m] = th_rand_int(-1000, 1000);
        for (int64_t m = 0; m < M; m++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    int64_t s = 0;
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < k; ky++)
                            for (int64_t kx = 0; kx < k; kx++) {
                                int64_t iy = oy - 1 + ky, ix = ox - 1 + kx;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                int64_t xv = ((uint8_t *)x->data)[((m / mg * cg + ci) * H + iy) * W + ix] - 128;
                                s += xv * ((int8_t *)w->data)[((m * cg + ci) * k + ky) * k + kx];
                            }
                    int64_t o = (m * OH + oy) * OW + ox;
                    ref[o] = (double)s;
                    double acc = (double)(s + ((int32_t *)bias->data)[m]);
                    qref[o] = sat(rhe(acc * (float)(0.05f * 0.01f / 0.3f)) + 5, TS_I8);
                }
        CHECK(cmp_f(t.out[0], ref, total, 0, "ConvInteger") == 0);
        tc_free(&t);
        ts_tensor *xs = scalar_t(TS_F32, 0.05), *ws = scalar_t(TS_F32, 0.01), *ys = scalar_t(TS_F32, 0.3);
        ts_tensor *yzp = scalar_t(TS_I8, 5);
        tc_init(&t, "QLinearConv", (const ts_tensor *[]){x, xs, xzp, w, ws, wzp, ys, yzp, bias}, 9, 1);
        CHECK(ir_node_set_int(t.n, "group", group) == TS_OK);
        set_ints(t.n, "pads", 4, (int64_t[]){1, 1, 1, 1});
        CHECK(tc_run(&t) == TS_OK);
        CHECK(t.out[0]->dtype == TS_I8);
        CHECK(cmp_f(t.out[0], qref, total, 1.0, "QLinearConv") == 0);
        tc_free(&t);
        free(ref); free(qref);
        ts_tensor_free(x); ts_tensor_free(w); ts_tensor_free(xzp); ts_tensor_free(wzp); ts_tensor_free(bias);
        ts_tensor_free(xs); ts_tensor_free(ws); ts_tensor_free(ys); ts_tensor_free(yzp);
    }
}

TEST(zero_size_batch) {
    ts_tensor *x = ts_tensor_new(TS_F32, 4, (int64_t[]){0, 3, 5, 5});
    ts_tensor *w = rand_t(TS_F32, 4, (int64_t[]){4, 3, 3, 3}, -1, 1);
    tcase t;
    tc_init(&t, "Conv", (const ts_tensor *[]){x, w}, 2, 1);
    CHECK(tc_run(&t) == TS_OK);
    CHECK(t.out[0]->dims[0] == 0 && t.out[0]->dims[1] == 4);
    tc_free(&t);
    tc_init(&t, "MaxPool", (const ts_tensor *[]){x}, 1, 1);
    set_ints(t.n, "kernel_shape", 2, (int64_t[]){2, 2});
    CHECK(tc_run(&t) == TS_OK);
    tc_free(&t);
    ts_tensor_free(x); ts_tensor_free(w);
}

/* ---- robustness: random shapes, dtypes and attributes ------------------------------- */

/* Every op of the table with random inputs (some omitted, some wrongly
 * typed or shaped) and random, often invalid, attributes: the result must
 * be TS_OK or an error with a message, never a crash (run it under
 * SANITIZE=address,undefined to catch memory errors). */
static ts_tensor *fuzz_tensor(void) {
    static const ts_dtype types[] = {TS_F32, TS_F32, TS_F32, TS_U8, TS_I8, TS_I32, TS_I64};
    int rank = th_rand_int(0, 5);
    int64_t d[5];
    for (int i = 0; i < rank; i++) d[i] = th_rand_int(0, 4) == 0 ? th_rand_int(0, 1) : th_rand_int(1, 5);
    ts_tensor *t = ts_tensor_new(types[th_rand_int(0, 6)], rank, d);
    int64_t n = ts_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) ts_tensor_set(t, i, th_rand_int(-3, 3));
    return t;
}

/* Inputs shaped like a real call more often: an image, then per-channel
 * vectors, weights or scalars derived from it. */
static ts_tensor *fuzz_plausible(const ts_tensor *x, int i) {
    if (i == 0 || !x || x->rank < 2) {
        int rank = th_rand_int(2, 5);
        int64_t d[5];
        for (int k = 0; k < rank; k++) d[k] = th_rand_int(1, 5);
        ts_tensor *t = ts_tensor_new(th_rand_int(0, 3) ? TS_F32 : TS_U8, rank, d);
        for (int64_t k = 0; k < ts_tensor_numel(t); k++) ts_tensor_set(t, k, th_rand_int(-3, 3));
        return t;
    }
    int kind = th_rand_int(0, 2);
    ts_tensor *t;
    if (kind == 0) {
        t = ts_tensor_new(x->dtype, 1, &x->dims[1]);
    } else if (kind == 1) {
        int64_t d[5] = {th_rand_int(1, 4), th_rand_int(1, (int)x->dims[1])};
        for (int k = 2; k < x->rank; k++) d[k] = th_rand_int(1, 3);
        t = ts_tensor_new(x->dtype, x->rank, d);
    } else {
        t = ts_tensor_new(th_rand_int(0, 1) ? x->dtype : TS_F32, 0, NULL);
    }
    for (int64_t k = 0; k < ts_tensor_numel(t); k++) ts_tensor_set(t, k, th_rand_int(1, 3));
    return t;
}

static void fuzz_attrs(ir_node *n) {
    static const char *names[] = {"strides", "pads", "dilations", "kernel_shape", "output_padding",
                                  "output_shape", "axes"};
    static const char *inames[] = {"group", "axis", "blocksize", "ceil_mode", "storage_order",
                                   "count_include_pad", "transA", "transB", "size", "num_groups",
                                   "training_mode", "exclude_outside", "antialias", "block_size"};
    static const char *snames[] = {"auto_pad", "mode", "coordinate_transformation_mode", "nearest_mode",
                                   "activation", "keep_aspect_ratio_policy"};
    static const char *svals[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "nearest", "linear",
                                  "cubic", "DCR", "CRD", "half_pixel", "align_corners", "asymmetric",
                                  "tf_crop_and_resize", "floor", "ceil", "Relu", "Clip", "bogus",
                                  "not_larger", "not_smaller", "pytorch_half_pixel"};
    int na = th_rand_int(0, 5);
    for (int i = 0; i < na; i++) {
        int kind = th_rand_int(0, 3);
        if (kind == 0) {
            int64_t v[8];
            int cnt = th_rand_int(0, 8);
            for (int k = 0; k < cnt; k++) v[k] = th_rand_int(-2, 4);
            ir_node_set_ints(n, names[th_rand_int(0, 6)], v, cnt);
        } else if (kind == 1) {
            ir_node_set_int(n, inames[th_rand_int(0, 13)], th_rand_int(-3, 4));
        } else if (kind == 2) {
            ir_node_set_string(n, snames[th_rand_int(0, 5)], svals[th_rand_int(0, 20)]);
        } else {
            float f[2] = {th_rand_float(-2, 2), th_rand_float(-2, 2)};
            ir_node_set_floats(n, "activation_params", f, th_rand_int(0, 2));
            ir_node_set_float(n, th_rand_int(0, 1) ? "epsilon" : "alpha", th_rand_float(-1, 1));
        }
    }
}

TEST(nn_ops_random_inputs_never_crash) {
    int ok = 0, err = 0;
    for (int it = 0; it < 3000; it++) {
        const ir_opdef *def = &ir_ops_nn[th_rand_int(0, 23)];
        int n_in = th_rand_int(def->min_inputs, def->max_inputs < 0 ? def->min_inputs + 2 : def->max_inputs);
        int n_out = th_rand_int(def->min_outputs, def->max_outputs);
        const ts_tensor *in[10] = {0};
        ts_tensor *own[10] = {0};
        bool plausible = it % 2;
        for (int i = 0; i < n_in; i++) {
            if (i > 0 && th_rand_int(0, 5) == 0) continue;   /* omitted */
            own[i] = plausible ? fuzz_plausible(own[0], i) : fuzz_tensor();
            in[i] = own[i];
        }
        tcase t;
        tc_init(&t, def->op_type, in, n_in, n_out);
        t.opset = th_rand_int(7, 21);
        fuzz_attrs(t.n);
        ts_status st = tc_run(&t);
        if (st == TS_OK) ok++;
        else { err++; CHECK(ts_last_error()[0] != '\0'); }
        tc_free(&t);
        for (int i = 0; i < n_in; i++) ts_tensor_free(own[i]);
    }
    printf("  fuzz: %d ran, %d rejected\n", ok, err);
    CHECK(ok > 0 && err > 0);
}

TEST_MAIN()

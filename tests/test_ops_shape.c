/* test_ops_shape: the data-movement ops (ir infer + CPU kernel) against
 * scalar references written here, one element at a time from the ONNX
 * definitions, on fresh random shapes and data. Data movement must be exact,
 * so outputs are compared byte for byte (tolerance 0), for every element
 * size (bool, int8, float16, float32, int32, int64, double), with zero-size
 * dims, negative axes, every attribute/opset variant, serial and threaded.
 * Range compares floats within 1e-6 relative; Scatter reductions compare
 * float sums within 1e-5 relative (the kernel applies updates in order, as
 * the reference does, so they are in fact exact). Errors (bad indices,
 * shapes, attributes) must come back as a status with the node's name. */
#include "harness.h"
#include "cpu/cpu.h"

#include <limits.h>

static const ts_dtype all_types[] = {TS_BOOL, TS_I8, TS_U8, TS_F16, TS_BF16, TS_F32,
                                     TS_I32, TS_I64, TS_F64};
#define NTYPES ((int)(sizeof all_types / sizeof all_types[0]))
static ts_pool *pool_;
/* A 4-thread pool (made on first use) for the threaded paths. */
static ts_pool *tpool(void) {
    if (!pool_) pool_ = ts_pool_new(4);
    return pool_;
}

/* ---- building and running one node ---------------------------------------------- */

typedef struct tnode {
    ir_graph *g;
    int node;
    int opset;
} tnode;

static ir_node *N(tnode *t) { return &t->g->nodes[t->node]; }

static tnode mk(const char *op, int n_in, int n_out, int opset) {
    tnode t = {ir_graph_new(), 0, opset};
    int in[16], out[16];
    char name[32];
    for (int i = 0; i < n_in; i++) {
        snprintf(name, sizeof name, "in%d", i);
        in[i] = ir_add_value(t.g, name, TS_UNDEFINED, -1, NULL);
    }
    for (int i = 0; i < n_out; i++) {
        snprintf(name, sizeof name, "out%d", i);
        out[i] = ir_add_value(t.g, name, TS_UNDEFINED, -1, NULL);
    }
    ir_node *n = ir_add_node(t.g, op, "the_node", in, n_in, out, n_out);
    t.node = (int)(n - t.g->nodes);
    return t;
}

static void done(tnode *t) { ir_graph_free(t->g); }

/* Through the real registry: the kernel a model would get. */
static const cpu_kernel *kernel(const char *op) { return cpu_kernel_find("", op); }

/* Infers, allocates the outputs and runs the kernel. On error the outputs
 * are freed and set NULL; the status is returned. */
static ts_status run(tnode *t, const ts_tensor **in, int n_in, ts_tensor **out, int n_out,
                     ts_pool *p) {
    ts_tensor shells[16];
    ts_tensor *sp[16];
    memset(shells, 0, sizeof shells);
    for (int i = 0; i < n_out; i++) { sp[i] = &shells[i]; out[i] = NULL; }
    ts_status st = ir_infer_node(N(t), t->opset, in, n_in, sp, n_out);
    if (st) return st;
    for (int i = 0; i < n_out; i++) {
        out[i] = ts_tensor_new(shells[i].dtype, shells[i].rank, shells[i].dims);
        if (!out[i]) return TS_ERR_NOMEM;
    }
    const cpu_kernel *k = kernel(N(t)->op_type);
    if (!k) return TS_ERR_UNSUPPORTED;
    cpu_ctx ctx = {.pool = p, .opset = t->opset};
    st = k->run(&ctx, N(t), in, n_in, out, n_out);
    if (st)
        for (int i = 0; i < n_out; i++) { ts_tensor_free(out[i]); out[i] = NULL; }
    return st;
}

/* Runs a one-output node; returns the output or NULL with *st set. */
static ts_tensor *run1(tnode *t, const ts_tensor **in, int n_in, ts_status *st) {
    ts_tensor *o = NULL;
    ts_status s = run(t, in, n_in, &o, 1, th_rand_int(0, 1) ? tpool() : NULL);
    if (st) *st = s;
    return s ? NULL : o;
}

/* ---- data -------------------------------------------------------------------- */

static ts_dtype rand_type(void) { return all_types[th_rand_int(0, NTYPES - 1)]; }

/* Random bytes; bool gets 0/1 so every value is a valid one. */
static ts_tensor *rand_tensor(ts_dtype dt, int rank, const int64_t *dims) {
    ts_tensor *t = ts_tensor_new(dt, rank, dims);
    uint8_t *p = t->data;
    size_t nb = ts_tensor_nbytes(t);
    for (size_t i = 0; i < nb; i++) p[i] = (uint8_t)(th_rand_u64() >> 32);
    if (dt == TS_BOOL)
        for (size_t i = 0; i < nb; i++) p[i] &= 1;
    return t;
}

static void rand_dims(int rank, int64_t *d, int maxd, bool allow_zero) {
    for (int i = 0; i < rank; i++) d[i] = th_rand_int(allow_zero && th_rand_int(0, 9) == 0 ? 0 : 1, maxd);
}

static ts_tensor *ints(ts_dtype dt, int n, const int64_t *v) {
    ts_tensor *t = ts_tensor_new(dt, 1, (int64_t[]){n});
    for (int i = 0; i < n; i++) {
        if (dt == TS_I32) ((int32_t *)t->data)[i] = (int32_t)v[i];
        else ((int64_t *)t->data)[i] = v[i];
    }
    return t;
}

static ts_tensor *scalar_i64(int64_t v) {
    ts_tensor *t = ts_tensor_new(TS_I64, 0, NULL);
    *(int64_t *)t->data = v;
    return t;
}

/* Element offset of coordinates c in a row-major shape. */
static int64_t offset(int r, const int64_t *d, const int64_t *c) {
    int64_t o = 0;
    for (int i = 0; i < r; i++) o = o * d[i] + c[i];
    return o;
}

static void coords(int r, const int64_t *d, int64_t lin, int64_t *c) {
    for (int i = r - 1; i >= 0; i--) { c[i] = d[i] ? lin % d[i] : 0; lin = d[i] ? lin / d[i] : 0; }
}

static const char *elem(const ts_tensor *t, int64_t i) {
    return (const char *)t->data + (size_t)i * ts_dtype_size(t->dtype);
}

static bool same_shape(const ts_tensor *t, int r, const int64_t *d) {
    if (!t || t->rank != r) return false;
    for (int i = 0; i < r; i++)
        if (t->dims[i] != d[i]) return false;
    return true;
}

static bool same_bytes(const ts_tensor *a, const ts_tensor *b) {
    return a && b && a->dtype == b->dtype && same_shape(a, b->rank, b->dims) &&
           !memcmp(a->data, b->data, ts_tensor_nbytes(a));
}

static bool error_names_node(ts_status st) {
    return st != TS_OK && strstr(ts_last_error(), "the_node") != NULL;
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze ------------------------------------------- */

TEST(reshape_variants) {
    for (int it = 0; it < 40; it++) {
        int r = th_rand_int(1, 4);
        int64_t d[4];
        rand_dims(r, d, 5, it % 10 == 0);
        ts_tensor *x = rand_tensor(rand_type(), r, d);
        /* target: the same dims reversed, with one -1 and one 0 (copy) sometimes */
        int64_t sh[4], want[4];
        for (int i = 0; i < r; i++) want[i] = sh[i] = d[r - 1 - i];
        int neg = th_rand_int(-1, r - 1);
        bool has_zero = false;
        for (int i = 0; i < r; i++) has_zero |= d[i] == 0;
        if (neg >= 0 && !has_zero) sh[neg] = -1;
        if (r > 1 && d[0] == d[r - 1] && !has_zero && th_rand_int(0, 1)) sh[0] = 0;
        /* a real 0 in the target needs allowzero (else 0 copies the input dim) */
        tnode t = mk("Reshape", 2, 1, has_zero ? 14 : 13);
        if (has_zero) ir_node_set_int(N(&t), "allowzero", 1);
        ts_tensor *s = ints(TS_I64, r, sh);
        const ts_tensor *in[] = {x, s};
        ts_status st;
        ts_tensor *y = run1(&t, in, 2, &st);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        CHECK(same_shape(y, r, want));
        CHECK(y && !memcmp(y->data, x->data, ts_tensor_nbytes(x)));
        ts_tensor_free(y); ts_tensor_free(s); ts_tensor_free(x); done(&t);
    }
}

TEST(reshape_allowzero_and_errors) {
    ts_tensor *x = rand_tensor(TS_F32, 3, (int64_t[]){0, 3, 4});
    tnode t = mk("Reshape", 2, 1, 14);
    ir_node_set_int(N(&t), "allowzero", 1);
    ts_tensor *s = ints(TS_I64, 3, (int64_t[]){3, 4, 0});
    const ts_tensor *in[] = {x, s};
    ts_status st;
    ts_tensor *y = run1(&t, in, 2, &st);
    CHECK(st == TS_OK && same_shape(y, 3, (int64_t[]){3, 4, 0}));
    ts_tensor_free(y); ts_tensor_free(s);
    /* without allowzero, 0 copies the input's dim */
    ir_node_set_int(N(&t), "allowzero", 0);
    s = ints(TS_I64, 2, (int64_t[]){0, -1});
    in[1] = s;
    y = run1(&t, in, 2, &st);
    CHECK(st != TS_OK);   /* -1 with a zero product is ambiguous */
    CHECK(error_names_node(st));
    ts_tensor_free(s); ts_tensor_free(x);
    x = rand_tensor(TS_I64, 2, (int64_t[]){6, 4});
    in[0] = x;
    static const int64_t bad[][3] = {{-1, -1, 2}, {5, 5, 1}, {-2, 12, 1}, {7, 0, 0}};
    for (int i = 0; i < 4; i++) {
        s = ints(TS_I64, 3, bad[i]);
        in[1] = s;
        y = run1(&t, in, 2, &st);
        CHECK_MSG(error_names_node(st), "case %d", i);
        ts_tensor_free(s);
    }
    /* static inference without the shape's value asks for it */
    ts_tensor shape_only = {.dtype = TS_I64, .rank = 1, .dims = {2}};
    ts_tensor o = {0}, *op = &o;
    in[1] = &shape_only;
    CHECK(ir_infer_node(N(&t), 14, in, 2, &op, 1) == IR_NEED_VALUE);
    ts_tensor_free(x); done(&t);
}

TEST(flatten_all_axes) {
    for (int it = 0; it < 30; it++) {
        int r = th_rand_int(0, 5);
        int64_t d[5];
        rand_dims(r, d, 4, true);
        ts_tensor *x = rand_tensor(rand_type(), r, d);
        int axis = th_rand_int(-r, r);
        tnode t = mk("Flatten", 1, 1, 13);
        ir_node_set_int(N(&t), "axis", axis);
        const ts_tensor *in[] = {x};
        ts_status st;
        ts_tensor *y = run1(&t, in, 1, &st);
        int a = axis < 0 ? axis + r : axis;
        int64_t want[2] = {1, 1};
        for (int i = 0; i < r; i++) want[i >= a] *= d[i];
        CHECK_MSG(st == TS_OK && same_shape(y, 2, want), "rank %d axis %d: %s", r, axis, ts_last_error());
        CHECK(y && !memcmp(y->data, x->data, ts_tensor_nbytes(x)));
        ts_tensor_free(y); ts_tensor_free(x); done(&t);
    }
    ts_tensor *x = rand_tensor(TS_F32, 2, (int64_t[]){2, 3});
    tnode t = mk("Flatten", 1, 1, 13);
    ir_node_set_int(N(&t), "axis", 3);
    const ts_tensor *in[] = {x};
    ts_status st;
    CHECK(!run1(&t, in, 1, &st) && error_names_node(st));
    ts_tensor_free(x); done(&t);
}

TEST(squeeze_unsqueeze_opsets) {
    for (int it = 0; it < 40; it++) {
        int opset = th_rand_int(0, 1) ? 11 : 13;
        int r = th_rand_int(1, 5);
        int64_t d[8];
        rand_dims(r, d, 3, true);
        ts_tensor *x = rand_tensor(rand_type(), r, d);
        /* Unsqueeze: insert k axes at random output positions */
        int k = th_rand_int(1, 3), ro = r + k;
        bool ins[8] = {false};
        int64_t ax[3], want[8];
        for (int i = 0; i < k; i++) {
            int a;
            do a = th_rand_int(0, ro - 1); while (ins[a]);
            ins[a] = true;
            ax[i] = th_rand_int(0, 1) ? a - ro : a;
        }
        for (int i = 0, j = 0; i < ro; i++) want[i] = ins[i] ? 1 : d[j++];
        tnode t = mk("Unsqueeze", opset >= 13 ? 2 : 1, 1, opset);
        ts_tensor *axes = ints(TS_I64, k, ax);
        if (opset < 13) ir_node_set_ints(N(&t), "axes", ax, k);
        const ts_tensor *in[] = {x, axes};
        ts_status st;
        ts_tensor *y = run1(&t, in, opset >= 13 ? 2 : 1, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, ro, want), "%s", ts_last_error());
        CHECK(y && !memcmp(y->data, x->data, ts_tensor_nbytes(x)));
        /* Squeeze the same axes back, or every 1 when no axes are given */
        bool all = th_rand_int(0, 1);
        tnode q = mk("Squeeze", opset >= 13 && !all ? 2 : 1, 1, opset);
        if (opset < 13 && !all) ir_node_set_ints(N(&q), "axes", ax, k);
        const ts_tensor *qin[] = {y, axes};
        ts_tensor *z = y ? run1(&q, qin, opset >= 13 && !all ? 2 : 1, &st) : NULL;
        int64_t back[8];
        int rb = 0;
        for (int i = 0; i < ro; i++)
            if (all ? want[i] != 1 : !ins[i]) back[rb++] = want[i];
        CHECK_MSG(z && same_shape(z, rb, back), "%s", ts_last_error());
        CHECK(z && !memcmp(z->data, x->data, ts_tensor_nbytes(x)));
        ts_tensor_free(z); ts_tensor_free(y); ts_tensor_free(axes); ts_tensor_free(x);
        done(&t); done(&q);
    }
    /* squeezing a dim that is not 1, repeated unsqueeze axes: errors */
    ts_tensor *x = rand_tensor(TS_F32, 2, (int64_t[]){2, 1});
    tnode q = mk("Squeeze", 2, 1, 13);
    ts_tensor *axes = ints(TS_I64, 1, (int64_t[]){0});
    const ts_tensor *in[] = {x, axes};
    ts_status st;
    CHECK(!run1(&q, in, 2, &st) && error_names_node(st));
    tnode u = mk("Unsqueeze", 2, 1, 13);
    ts_tensor *ax2 = ints(TS_I64, 2, (int64_t[]){1, -3});
    in[1] = ax2;
    CHECK(!run1(&u, in, 2, &st) && error_names_node(st));
    ts_tensor_free(ax2); ts_tensor_free(axes); ts_tensor_free(x); done(&q); done(&u);
}

/* ---- Transpose --------------------------------------------------------------------- */

static ts_tensor *ref_transpose(const ts_tensor *x, const int *perm) {
    int r = x->rank;
    int64_t od[8], c[8], ic[8];
    for (int i = 0; i < r; i++) od[i] = x->dims[perm[i]];
    ts_tensor *y = ts_tensor_new(x->dtype, r, od);
    size_t es = ts_dtype_size(x->dtype);
    for (int64_t i = 0; i < ts_tensor_numel(y); i++) {
        coords(r, od, i, c);
        for (int k = 0; k < r; k++) ic[perm[k]] = c[k];
        memcpy((char *)y->data + i * (int64_t)es, elem(x, offset(r, x->dims, ic)), es);
    }
    return y;
}

TEST(transpose_random_perms_all_types) {
    for (int it = 0; it < 60; it++) {
        int r = th_rand_int(1, 6);
        int64_t d[6];
        /* some big 2-D/3-D cases take the blocked, threaded path */
        bool big = it % 6 == 0 && r <= 3;
        rand_dims(r, d, big ? 90 : 5, true);
        ts_tensor *x = rand_tensor(all_types[it % NTYPES], r, d);
        int perm[6];
        for (int i = 0; i < r; i++) perm[i] = i;
        for (int i = r - 1; i > 0; i--) { int j = th_rand_int(0, i), tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp; }
        bool def = th_rand_int(0, 4) == 0;
        if (def) for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
        tnode t = mk("Transpose", 1, 1, 13);
        if (!def) {
            int64_t p64[6];
            for (int i = 0; i < r; i++) p64[i] = perm[i];
            ir_node_set_ints(N(&t), "perm", p64, r);
        }
        const ts_tensor *in[] = {x};
        ts_status st;
        ts_tensor *y = run1(&t, in, 1, &st), *want = ref_transpose(x, perm);
        CHECK_MSG(same_bytes(y, want), "rank %d type %s: %s", r, ts_dtype_name(x->dtype),
                  st ? ts_last_error() : "wrong data");
        ts_tensor_free(y); ts_tensor_free(want); ts_tensor_free(x); done(&t);
    }
    ts_tensor *x = rand_tensor(TS_F32, 2, (int64_t[]){2, 3});
    tnode t = mk("Transpose", 1, 1, 13);
    ir_node_set_ints(N(&t), "perm", (int64_t[]){0, 0}, 2);
    const ts_tensor *in[] = {x};
    ts_status st;
    CHECK(!run1(&t, in, 1, &st) && error_names_node(st));
    ts_tensor_free(x); done(&t);
}

/* ---- Concat, Split ------------------------------------------------------------------ */

TEST(concat_split_roundtrip) {
    for (int it = 0; it < 40; it++) {
        int r = th_rand_int(1, 4), k = th_rand_int(1, 4);
        int64_t d[4];
        rand_dims(r, d, 4, false);
        int axis = th_rand_int(0, r - 1);
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *parts[4];
        int64_t sizes[4], total = 0;
        for (int i = 0; i < k; i++) {
            int64_t pd[4];
            memcpy(pd, d, sizeof pd);
            pd[axis] = sizes[i] = th_rand_int(0, 4);
            total += sizes[i];
            parts[i] = rand_tensor(dt, r, pd);
        }
        tnode t = mk("Concat", k, 1, 13);
        ir_node_set_int(N(&t), "axis", th_rand_int(0, 1) ? axis : axis - r);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor **)parts, k, &st);
        int64_t od[4];
        memcpy(od, d, sizeof od);
        od[axis] = total;
        CHECK_MSG(st == TS_OK && same_shape(y, r, od), "%s", ts_last_error());
        /* reference: element by element, find which part holds it */
        size_t es = ts_dtype_size(dt);
        int64_t c[4];
        bool ok = y != NULL;
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(r, od, i, c);
            int p = 0;
            while (c[axis] >= sizes[p]) c[axis] -= sizes[p++];
            ok = !memcmp(elem(y, i), elem(parts[p], offset(r, parts[p]->dims, c)), es);
        }
        CHECK(ok);
        /* Split it back: split attribute (opset 11) or input (13) */
        int opset = th_rand_int(0, 1) ? 11 : 13;
        tnode s = mk("Split", opset >= 13 ? 2 : 1, k, opset);
        ir_node_set_int(N(&s), "axis", axis);
        ts_tensor *sp = ints(TS_I64, k, sizes);
        if (opset < 13) ir_node_set_ints(N(&s), "split", sizes, k);
        const ts_tensor *sin[] = {y, sp};
        ts_tensor *outs[4];
        st = y ? run(&s, sin, opset >= 13 ? 2 : 1, outs, k, tpool()) : TS_ERR_INVALID;
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        for (int i = 0; st == TS_OK && i < k; i++) {
            CHECK(same_bytes(outs[i], parts[i]));
            ts_tensor_free(outs[i]);
        }
        for (int i = 0; i < k; i++) ts_tensor_free(parts[i]);
        ts_tensor_free(sp); ts_tensor_free(y); done(&t); done(&s);
    }
}

TEST(split_equal_uneven_and_errors) {
    for (int it = 0; it < 20; it++) {
        int64_t len = th_rand_int(0, 11);
        int k = th_rand_int(1, 4);
        ts_tensor *x = rand_tensor(rand_type(), 2, (int64_t[]){2, len});
        /* opset 18 num_outputs: ceil(len/k) chunks, the last smaller */
        tnode s = mk("Split", 1, k, 18);
        ir_node_set_int(N(&s), "axis", -1);
        ir_node_set_int(N(&s), "num_outputs", k);
        ts_tensor *outs[4];
        ts_status st = run(&s, (const ts_tensor *[]){x}, 1, outs, k, NULL);
        int64_t chunk = (len + k - 1) / k, at = 0;
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        for (int i = 0; st == TS_OK && i < k; i++) {
            int64_t w = TS_MAX(0, TS_MIN(chunk, len - at));
            CHECK(same_shape(outs[i], 2, (int64_t[]){2, w}));
            size_t es = ts_dtype_size(x->dtype);
            for (int row = 0; row < 2; row++)
                CHECK(!memcmp(elem(outs[i], row * w), elem(x, row * len + at), (size_t)w * es));
            at += w;
            ts_tensor_free(outs[i]);
        }
        /* without sizes before opset 18: equal parts or an error */
        tnode e = mk("Split", 1, k, 13);
        ir_node_set_int(N(&e), "axis", 1);
        st = run(&e, (const ts_tensor *[]){x}, 1, outs, k, NULL);
        CHECK(len % k == 0 ? st == TS_OK : error_names_node(st));
        for (int i = 0; st == TS_OK && i < k; i++) {
            CHECK(same_shape(outs[i], 2, (int64_t[]){2, len / k}));
            ts_tensor_free(outs[i]);
        }
        ts_tensor_free(x); done(&s); done(&e);
    }
    ts_tensor *x = rand_tensor(TS_F32, 1, (int64_t[]){5});
    tnode s = mk("Split", 2, 2, 13);
    ts_tensor *sp = ints(TS_I64, 2, (int64_t[]){2, 2});
    ts_tensor *outs[2];
    CHECK(error_names_node(run(&s, (const ts_tensor *[]){x, sp}, 2, outs, 2, NULL)));
    ts_tensor_free(sp); ts_tensor_free(x); done(&s);
}

/* ---- Slice -------------------------------------------------------------------------- */

/* One axis as the ONNX spec words it: negative bounds count from the end,
 * then starts clamp to [0, d] ([0, d-1] for negative steps) and ends to
 * [0, d] ([-1, d-1]); the elements are start, start+step, ... before end.
 * (Python's slices differ only for a negative step whose start lies before
 * the first element: Python selects nothing, ONNX starts at element 0.)
 * An end of INT32_MAX/INT64_MAX is "no end" in the step's direction, as
 * onnxruntime reads it: with a negative step it runs through element 0. */
static int64_t ref_slice_axis(int64_t d, int64_t s, int64_t e, int64_t k, int64_t *first) {
    *first = 0;
    if (d == 0) return 0;
    if (k < 0 && (e == INT_MAX || e == INT64_MAX)) e = INT64_MIN;
    if (k > 0) {
        s = s < 0 ? TS_MAX(s + d, 0) : TS_MIN(s, d);
        e = e < 0 ? TS_MAX(e + d, 0) : TS_MIN(e, d);
    } else {
        s = s < 0 ? TS_MAX(s + d, 0) : TS_MIN(s, d - 1);
        e = e < 0 ? TS_MAX(e + d, -1) : TS_MIN(e, d - 1);
    }
    int64_t n = 0;
    for (int64_t i = s; k > 0 ? i < e : i > e; i += k) n++;
    *first = s;
    return n;
}

static int64_t rand_bound(int64_t d) {
    switch (th_rand_int(0, 5)) {
    case 0: return INT64_MAX;
    case 1: return INT64_MIN;
    case 2: return th_rand_int(0, 1) ? INT_MAX : INT_MIN;
    default: return th_rand_int(-(int)d - 2, (int)d + 2);
    }
}

TEST(slice_random_all_opsets) {
    for (int it = 0; it < 80; it++) {
        int opset = (int[]){9, 10, 11, 13}[th_rand_int(0, 3)];
        int r = th_rand_int(1, 4);
        int64_t d[4];
        rand_dims(r, d, 7, true);
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        int k = th_rand_int(1, r);
        int64_t st_[4], en[4], ax[4], sp[4], first[4], step[4], len[4];
        bool used[4] = {false};
        for (int i = 0; i < r; i++) { first[i] = 0; step[i] = 1; len[i] = d[i]; }
        for (int i = 0; i < k; i++) {
            int a;
            do a = th_rand_int(0, r - 1); while (used[a]);
            used[a] = true;
            ax[i] = th_rand_int(0, 1) ? a : a - r;
            st_[i] = rand_bound(d[a]);
            en[i] = rand_bound(d[a]);
            sp[i] = opset >= 10 ? (th_rand_int(0, 1) ? 1 : th_rand_int(-3, 3)) : 1;
            if (sp[i] == 0) sp[i] = -1;
            step[a] = sp[i];
            len[a] = ref_slice_axis(d[a], st_[i], en[i], sp[i], &first[a]);
        }
        bool with_axes = th_rand_int(0, 3) > 0 || k != r, with_steps = th_rand_int(0, 1);
        if (!with_axes) for (int i = 0; i < k; i++) ax[i] = i;
        if (!with_axes) {   /* axes 0..k-1 in order: recompute the reference */
            for (int i = 0; i < r; i++) { first[i] = 0; step[i] = 1; len[i] = d[i]; }
            for (int i = 0; i < k; i++) { step[i] = sp[i]; len[i] = ref_slice_axis(d[i], st_[i], en[i], sp[i], &first[i]); }
        }
        if (!with_steps) {
            for (int i = 0; i < k; i++) sp[i] = 1;
            for (int i = 0; i < r; i++) step[i] = 1;
            for (int i = 0; i < k; i++) {
                int a = (int)(ax[i] < 0 ? ax[i] + r : ax[i]);
                len[a] = ref_slice_axis(d[a], st_[i], en[i], 1, &first[a]);
            }
        }
        ts_dtype it_type = th_rand_int(0, 1) ? TS_I64 : TS_I32;
        if (it_type == TS_I32)   /* int32 starts cannot hold INT64 bounds */
            for (int i = 0; i < k; i++) {
                st_[i] = TS_MAX(TS_MIN(st_[i], INT_MAX), INT_MIN);
                en[i] = TS_MAX(TS_MIN(en[i], INT_MAX), INT_MIN);
                int a = (int)(ax[i] < 0 ? ax[i] + r : ax[i]);
                len[a] = ref_slice_axis(d[a], st_[i], en[i], step[a], &first[a]);
            }
        int n_in = opset < 10 ? 1 : with_steps ? 5 : with_axes ? 4 : 3;
        tnode t = mk("Slice", n_in, 1, opset);
        ts_tensor *ts[4] = {ints(it_type, k, st_), ints(it_type, k, en), ints(it_type, k, ax),
                            ints(it_type, k, sp)};
        if (opset < 10) {
            ir_node_set_ints(N(&t), "starts", st_, k);
            ir_node_set_ints(N(&t), "ends", en, k);
            if (with_axes) ir_node_set_ints(N(&t), "axes", ax, k);
        }
        const ts_tensor *in[] = {x, ts[0], ts[1], ts[2], ts[3]};
        ts_status st;
        ts_tensor *y = run1(&t, in, n_in, &st);
        char got_s[64] = "-", want_s[64];
        if (y) ts_shape_str(y->rank, y->dims, got_s, sizeof got_s);
        ts_shape_str(r, len, want_s, sizeof want_s);
        CHECK_MSG(st == TS_OK && same_shape(y, r, len), "opset %d: got %s want %s (%s)", opset,
                  got_s, want_s, st ? ts_last_error() : "");
        for (int i = 0; !same_shape(y, r, len) && i < k; i++)
            fprintf(stderr, "    axis %lld start %lld end %lld step %lld dims %lld\n", (long long)ax[i],
                    (long long)st_[i], (long long)en[i], (long long)sp[i],
                    (long long)d[ax[i] < 0 ? ax[i] + r : ax[i]]);
        int64_t c[4];
        bool ok = y != NULL;
        size_t es = ts_dtype_size(dt);
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(r, len, i, c);
            for (int a = 0; a < r; a++) c[a] = first[a] + c[a] * step[a];
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, c)), es);
        }
        CHECK_MSG(ok, "opset %d rank %d", opset, r);
        for (int i = 0; i < 4; i++) ts_tensor_free(ts[i]);
        ts_tensor_free(y); ts_tensor_free(x); done(&t);
    }
}

TEST(slice_errors) {
    ts_tensor *x = rand_tensor(TS_F32, 2, (int64_t[]){3, 4});
    ts_tensor *s = ints(TS_I64, 1, (int64_t[]){0}), *e = ints(TS_I64, 1, (int64_t[]){2});
    ts_tensor *a = ints(TS_I64, 1, (int64_t[]){2}), *k = ints(TS_I64, 1, (int64_t[]){0});
    ts_tensor *a0 = ints(TS_I64, 1, (int64_t[]){0});
    ts_status st;
    tnode t = mk("Slice", 4, 1, 13);
    CHECK(!run1(&t, (const ts_tensor *[]){x, s, e, a}, 4, &st) && error_names_node(st)); /* axis 2 */
    tnode t2 = mk("Slice", 5, 1, 13);
    CHECK(!run1(&t2, (const ts_tensor *[]){x, s, e, a0, k}, 5, &st) && error_names_node(st)); /* step 0 */
    ts_tensor *e2 = ints(TS_I64, 2, (int64_t[]){1, 1});
    tnode t3 = mk("Slice", 3, 1, 13);
    CHECK(!run1(&t3, (const ts_tensor *[]){x, s, e2}, 3, &st) && error_names_node(st)); /* lengths */
    ts_tensor_free(x); ts_tensor_free(s); ts_tensor_free(e); ts_tensor_free(a);
    ts_tensor_free(k); ts_tensor_free(a0); ts_tensor_free(e2); done(&t); done(&t2); done(&t3);
}

/* ---- Gather family ------------------------------------------------------------------- */

static int64_t rand_index(int64_t dim) { return th_rand_int(-(int)dim, (int)dim - 1); }

static ts_tensor *rand_indices(ts_dtype it, int r, const int64_t *d, int64_t dim) {
    ts_tensor *t = ts_tensor_new(it, r, d);
    for (int64_t i = 0; i < ts_tensor_numel(t); i++) ts_tensor_set(t, i, (double)rand_index(dim));
    return t;
}

static int64_t wrapi(int64_t v, int64_t d) { return v < 0 ? v + d : v; }

TEST(gather_random_axes_types) {
    for (int it = 0; it < 50; it++) {
        int r = th_rand_int(1, 4), q = th_rand_int(0, 3);
        int64_t d[4], id[3];
        rand_dims(r, d, 5, false);
        rand_dims(q, id, 3, true);
        int axis = th_rand_int(-r, r - 1), a = axis < 0 ? axis + r : axis;
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        ts_tensor *ix = rand_indices(th_rand_int(0, 1) ? TS_I64 : TS_I32, q, id, d[a]);
        tnode t = mk("Gather", 2, 1, 13);
        ir_node_set_int(N(&t), "axis", axis);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, ix}, 2, &st);
        CHECK_MSG(st == TS_OK && y && y->rank == r - 1 + q, "%s", ts_last_error());
        bool ok = y != NULL;
        int64_t c[8], xc[4];
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(y->rank, y->dims, i, c);
            for (int k = 0; k < a; k++) xc[k] = c[k];
            xc[a] = wrapi((int64_t)ts_tensor_get(ix, offset(q, id, c + a)), d[a]);
            for (int k = a + 1; k < r; k++) xc[k] = c[k - 1 + q];
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, xc)), ts_dtype_size(dt));
        }
        CHECK(ok);
        ts_tensor_free(y);
        /* an index out of range is an error, not a read past the end */
        if (ts_tensor_numel(ix) > 0) {
            ts_tensor_set(ix, th_rand_int(0, (int)ts_tensor_numel(ix) - 1),
                          th_rand_int(0, 1) ? (double)d[a] : (double)(-d[a] - 1));
            CHECK(!run1(&t, (const ts_tensor *[]){x, ix}, 2, &st) && st == TS_ERR_RANGE &&
                  error_names_node(st));
        }
        ts_tensor_free(ix); ts_tensor_free(x); done(&t);
    }
}

TEST(gather_elements_and_scatter_elements) {
    static const char *reds[] = {"none", "add", "mul", "max", "min"};
    for (int it = 0; it < 50; it++) {
        int r = th_rand_int(1, 4);
        int64_t d[4], id[4];
        rand_dims(r, d, 5, false);
        int axis = th_rand_int(-r, r - 1), a = axis < 0 ? axis + r : axis;
        for (int i = 0; i < r; i++) id[i] = i == a ? th_rand_int(0, 6) : th_rand_int(0, (int)d[i]);
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        ts_tensor *ix = rand_indices(th_rand_int(0, 1) ? TS_I64 : TS_I32, r, id, d[a]);
        tnode t = mk("GatherElements", 2, 1, 13);
        ir_node_set_int(N(&t), "axis", axis);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, ix}, 2, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, r, id), "%s", ts_last_error());
        int64_t c[4];
        bool ok = y != NULL;
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(r, id, i, c);
            c[a] = wrapi((int64_t)ts_tensor_get(ix, i), d[a]);
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, c)), ts_dtype_size(dt));
        }
        CHECK(ok);
        ts_tensor_free(y);
        /* ScatterElements with a reduction, on numeric types (floats with
         * small integer values so every order gives the same answer) */
        ts_dtype nt = (ts_dtype[]){TS_F32, TS_F64, TS_I32, TS_I64, TS_F16, TS_I8}[it % 6];
        int red = it % 5;
        ts_tensor *xd = ts_tensor_new(nt, r, d), *up = ts_tensor_new(nt, r, id);
        for (int64_t i = 0; i < ts_tensor_numel(xd); i++) ts_tensor_set(xd, i, th_rand_int(-3, 3));
        for (int64_t i = 0; i < ts_tensor_numel(up); i++) ts_tensor_set(up, i, th_rand_int(-3, 3));
        int opset = red >= 3 ? 18 : red ? 16 : th_rand_int(0, 1) ? 11 : 13;
        tnode s = mk(th_rand_int(0, 3) || opset > 10 ? "ScatterElements" : "Scatter", 3, 1, opset);
        ir_node_set_int(N(&s), "axis", axis);
        if (red) ir_node_set_string(N(&s), "reduction", reds[red]);
        ts_tensor *z = run1(&s, (const ts_tensor *[]){xd, ix, up}, 3, &st);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        double *ref = malloc(sizeof(double) * (size_t)(ts_tensor_numel(xd) + 1));
        for (int64_t i = 0; i < ts_tensor_numel(xd); i++) ref[i] = ts_tensor_get(xd, i);
        for (int64_t i = 0; i < ts_tensor_numel(up); i++) {
            coords(r, id, i, c);
            c[a] = wrapi((int64_t)ts_tensor_get(ix, i), d[a]);
            double *o = &ref[offset(r, d, c)], u = ts_tensor_get(up, i);
            *o = red == 0 ? u : red == 1 ? *o + u : red == 2 ? *o * u : red == 3 ? fmax(*o, u) : fmin(*o, u);
        }
        /* the reference rounds to the type like the kernel does after each step */
        ts_tensor *want = ts_tensor_new(nt, r, d);
        bool exact = true;
        for (int64_t i = 0; i < ts_tensor_numel(xd); i++) {
            ts_tensor_set(want, i, ref[i]);
            exact &= fabs(ref[i]) < 100;  /* small products are exact in every type */
        }
        for (int64_t i = 0; z && exact && i < ts_tensor_numel(z); i++)
            CHECK_NEAR(ts_tensor_get(z, i), ts_tensor_get(want, i), 1e-5 * fabs(ts_tensor_get(want, i)));
        free(ref);
        ts_tensor_free(want); ts_tensor_free(z); ts_tensor_free(xd); ts_tensor_free(up);
        ts_tensor_free(ix); ts_tensor_free(x); done(&t); done(&s);
    }
}

TEST(gather_nd_batch_dims) {
    for (int it = 0; it < 40; it++) {
        int r = th_rand_int(1, 4), b = th_rand_int(0, r - 1);
        int64_t d[4];
        rand_dims(r, d, 4, false);
        int k = th_rand_int(1, r - b), q = b + th_rand_int(0, 2) + 1;
        int64_t id[6];
        for (int i = 0; i < b; i++) id[i] = d[i];
        for (int i = b; i < q - 1; i++) id[i] = th_rand_int(0, 3);
        id[q - 1] = k;
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d), *ix = ts_tensor_new(TS_I64, q, id);
        int64_t *iv = ix->data;
        for (int64_t i = 0; i < ts_tensor_numel(ix); i++) iv[i] = rand_index(d[b + i % k]);
        tnode t = mk("GatherND", 2, 1, 13);
        if (b) ir_node_set_int(N(&t), "batch_dims", b);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, ix}, 2, &st);
        CHECK_MSG(st == TS_OK && y && y->rank == q - 1 + r - b - k, "%s", ts_last_error());
        bool ok = y != NULL;
        int64_t c[8], xc[4];
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(y->rank, y->dims, i, c);
            for (int j = 0; j < b; j++) xc[j] = c[j];
            int64_t tuple = offset(q - 1, id, c) * k;
            for (int j = 0; j < k; j++) xc[b + j] = wrapi(iv[tuple + j], d[b + j]);
            for (int j = b + k; j < r; j++) xc[j] = c[q - 1 + j - b - k];
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, xc)), ts_dtype_size(dt));
        }
        CHECK(ok);
        ts_tensor_free(y);
        if (ts_tensor_numel(ix) > 0) {
            iv[0] = d[b] + th_rand_int(0, 3);
            CHECK(!run1(&t, (const ts_tensor *[]){x, ix}, 2, &st) && error_names_node(st));
        }
        ts_tensor_free(ix); ts_tensor_free(x); done(&t);
    }
}

TEST(scatter_nd_reductions) {
    static const char *reds[] = {"none", "add", "mul", "max", "min"};
    for (int it = 0; it < 50; it++) {
        int r = th_rand_int(1, 4), k = th_rand_int(1, r), q = th_rand_int(1, 3);
        int64_t d[4], id[3], ud[8];
        rand_dims(r, d, 4, false);
        rand_dims(q - 1, id, 4, true);
        id[q - 1] = k;
        int ur = 0;
        for (int i = 0; i < q - 1; i++) ud[ur++] = id[i];
        for (int i = k; i < r; i++) ud[ur++] = d[i];
        int red = it % 5;
        ts_dtype dt = red ? (ts_dtype[]){TS_F32, TS_F64, TS_I32, TS_I64, TS_U8, TS_BF16}[it % 6]
                          : all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d), *ix = ts_tensor_new(TS_I64, q, id);
        ts_tensor *up = rand_tensor(dt, ur, ud);
        if (red)
            for (int64_t i = 0; i < ts_tensor_numel(x); i++) ts_tensor_set(x, i, th_rand_int(0, 3));
        if (red)
            for (int64_t i = 0; i < ts_tensor_numel(up); i++) ts_tensor_set(up, i, th_rand_int(0, 3));
        int64_t *iv = ix->data;
        /* 'none' needs distinct targets to be well defined */
        for (int64_t i = 0; i < ts_tensor_numel(ix) / k; i++) {
            bool dup;
            do {
                for (int j = 0; j < k; j++) iv[i * k + j] = rand_index(d[j]);
                dup = false;
                for (int64_t p = 0; red == 0 && p < i; p++) {
                    bool same = true;
                    for (int j = 0; j < k; j++) same &= wrapi(iv[p * k + j], d[j]) == wrapi(iv[i * k + j], d[j]);
                    dup |= same;
                }
            } while (dup && ts_tensor_numel(ix) / k <= ts_shape_numel(k, d) / 2);
        }
        tnode t = mk("ScatterND", 3, 1, red >= 3 ? 18 : red ? 16 : 13);
        if (red) ir_node_set_string(N(&t), "reduction", reds[red]);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, ix, up}, 3, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, r, d), "%s", ts_last_error());
        ts_tensor *want = ts_tensor_clone(x);
        int64_t slice = ts_shape_numel(r - k, d + k);
        size_t es = ts_dtype_size(dt);
        for (int64_t i = 0; i < ts_tensor_numel(ix) / k; i++) {
            int64_t c[4] = {0};
            for (int j = 0; j < k; j++) c[j] = wrapi(iv[i * k + j], d[j]);
            int64_t o = offset(r, d, c);
            for (int64_t e = 0; e < slice; e++) {
                if (red == 0) { memcpy((char *)want->data + (o + e) * (int64_t)es, elem(up, i * slice + e), es); continue; }
                double a = ts_tensor_get(want, o + e), u = ts_tensor_get(up, i * slice + e);
                double v = red == 1 ? a + u : red == 2 ? a * u : red == 3 ? fmax(a, u) : fmin(a, u);
                /* uint8 arithmetic wraps (as in onnxruntime); ts_tensor_set would saturate */
                if (dt == TS_U8) v = fmod(v, 256.0);
                ts_tensor_set(want, o + e, v);
            }
        }
        if (red == 0) CHECK(same_bytes(y, want));
        for (int64_t i = 0; red && y && i < ts_tensor_numel(y); i++)
            CHECK_NEAR(ts_tensor_get(y, i), ts_tensor_get(want, i), 1e-5 * fabs(ts_tensor_get(want, i)));
        ts_tensor_free(y); ts_tensor_free(want);
        if (ts_tensor_numel(ix) > 0) {
            iv[0] = -d[0] - 1;
            CHECK(!run1(&t, (const ts_tensor *[]){x, ix, up}, 3, &st) && error_names_node(st));
        }
        ts_tensor_free(x); ts_tensor_free(ix); ts_tensor_free(up); done(&t);
    }
}

/* ---- Expand, Tile ------------------------------------------------------------------- */

TEST(expand_and_tile) {
    for (int it = 0; it < 50; it++) {
        int r = th_rand_int(0, 4);
        int64_t d[4], sh[5], rep[4];
        rand_dims(r, d, 3, true);
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        /* Expand to a shape of rank >= r; 1s in either side broadcast */
        int rs = th_rand_int(0, 5);
        int64_t od[5];
        int ro = TS_MAX(r, rs);
        for (int i = 0; i < rs; i++) {
            int j = i - (rs - r);
            int64_t xd = j >= 0 ? d[j] : 1;
            sh[i] = xd == 1 ? th_rand_int(0, 3) : th_rand_int(0, 1) ? xd : 1;
        }
        for (int i = 0; i < ro; i++) {
            int64_t a = i - (ro - r) >= 0 ? d[i - (ro - r)] : 1, b = i - (ro - rs) >= 0 ? sh[i - (ro - rs)] : 1;
            od[i] = a == 1 ? b : a;
        }
        tnode t = mk("Expand", 2, 1, 13);
        ts_tensor *s = ints(TS_I64, rs, sh);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, s}, 2, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, ro, od), "%s", ts_last_error());
        int64_t c[5], xc[5];
        bool ok = y != NULL;
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(ro, od, i, c);
            for (int j = 0; j < r; j++) xc[j] = d[j] == 1 ? 0 : c[j + ro - r];
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, xc)), ts_dtype_size(dt));
        }
        CHECK(ok);
        ts_tensor_free(y); ts_tensor_free(s); done(&t);
        /* Tile */
        for (int i = 0; i < r; i++) rep[i] = th_rand_int(0, 3);
        tnode tt = mk("Tile", 2, 1, 13);
        s = ints(TS_I64, r, rep);
        y = run1(&tt, (const ts_tensor *[]){x, s}, 2, &st);
        int64_t td[4];
        for (int i = 0; i < r; i++) td[i] = d[i] * rep[i];
        CHECK_MSG(st == TS_OK && same_shape(y, r, td), "%s", ts_last_error());
        ok = y != NULL;
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(r, td, i, c);
            for (int j = 0; j < r; j++) xc[j] = c[j] % d[j];
            ok = !memcmp(elem(y, i), elem(x, offset(r, d, xc)), ts_dtype_size(dt));
        }
        CHECK(ok);
        ts_tensor_free(y); ts_tensor_free(s); ts_tensor_free(x); done(&tt);
    }
    ts_tensor *x = rand_tensor(TS_F32, 1, (int64_t[]){3});
    ts_tensor *s = ints(TS_I64, 1, (int64_t[]){2});
    tnode t = mk("Expand", 2, 1, 13);
    ts_status st;
    CHECK(!run1(&t, (const ts_tensor *[]){x, s}, 2, &st) && error_names_node(st));
    ts_tensor *rep = ints(TS_I64, 2, (int64_t[]){1, 1});
    tnode tt = mk("Tile", 2, 1, 13);
    CHECK(!run1(&tt, (const ts_tensor *[]){x, rep}, 2, &st) && error_names_node(st));
    ts_tensor_free(x); ts_tensor_free(s); ts_tensor_free(rep); done(&t); done(&tt);
}

/* ---- Pad ------------------------------------------------------------------------ */

/* numpy.pad's index rule for one axis of length n (after cropping). */
static int64_t ref_pad_src(const char *mode, int64_t i, int64_t n) {
    if (i >= 0 && i < n) return i;
    if (!strcmp(mode, "constant")) return -1;
    if (!strcmp(mode, "edge")) return i < 0 ? 0 : n - 1;
    if (!strcmp(mode, "wrap")) return ((i % n) + n) % n;
    /* reflect: bounce between the ends without repeating them */
    while (i < 0 || i >= n) {
        if (n == 1) return 0;
        if (i < 0) i = -i;
        if (i >= n) i = 2 * (n - 1) - i;
    }
    return i;
}

TEST(pad_modes_opsets) {
    static const char *modes[] = {"constant", "reflect", "edge", "wrap"};
    for (int it = 0; it < 80; it++) {
        int opset = (int[]){2, 11, 13, 18, 19}[th_rand_int(0, 4)];
        const char *mode = modes[th_rand_int(0, 3)];
        int r = th_rand_int(1, 4);
        int64_t d[4], b[4], e[4], od[4];
        rand_dims(r, d, 5, !strcmp(mode, "constant"));
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        bool with_axes = opset >= 18 && th_rand_int(0, 1);
        int na = with_axes ? th_rand_int(1, r) : r;
        int64_t axes[4], pads[8];
        bool used[4] = {false};
        for (int i = 0; i < r; i++) b[i] = e[i] = 0;
        for (int i = 0; i < na; i++) {
            int a = i;
            if (with_axes) { do a = th_rand_int(0, r - 1); while (used[a]); used[a] = true; }
            axes[i] = th_rand_int(0, 1) ? a : a - r;
            /* negative pads crop; keep at least one element for non-constant modes */
            int64_t lo = strcmp(mode, "constant") ? -(d[a] - 1) / 2 : -d[a] / 2;
            b[a] = pads[i] = th_rand_int((int)lo, 4);
            e[a] = pads[i + na] = th_rand_int((int)lo, 4);
        }
        for (int i = 0; i < r; i++) od[i] = d[i] + b[i] + e[i];
        uint8_t value[8] = {0};
        ts_tensor *cv = rand_tensor(dt, 0, NULL);
        bool with_value = th_rand_int(0, 1);
        int n_in = opset < 11 ? 1 : with_axes ? 4 : with_value ? 3 : 2;
        tnode t = mk("Pad", n_in, 1, opset);
        ir_node_set_string(N(&t), "mode", mode);
        ts_tensor *pt = ints(TS_I64, 2 * na, pads), *at = ints(TS_I64, na, axes);
        if (opset < 11) {
            ir_node_set_ints(N(&t), "pads", pads, 2 * r);
            float v = (float)th_rand_int(-5, 5);
            if (with_value) ir_node_set_float(N(&t), "value", v);
            ts_tensor *tmp = ts_tensor_wrap(dt, 0, NULL, value);
            ts_tensor_set(tmp, 0, with_value ? v : 0.0);
            ts_tensor_free(tmp);
        } else if (with_value || with_axes) {
            if (with_value) memcpy(value, cv->data, ts_dtype_size(dt));
        }
        const ts_tensor *in[] = {x, pt, with_value ? cv : NULL, at};
        ts_status st;
        ts_tensor *y = run1(&t, in, n_in, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, r, od), "opset %d mode %s: %s", opset, mode, ts_last_error());
        int64_t c[4];
        bool ok = y != NULL;
        size_t es = ts_dtype_size(dt);
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            coords(r, od, i, c);
            bool constant = false;
            for (int a = 0; a < r; a++) {
                int64_t lo = TS_MAX(-b[a], 0), n = d[a] + TS_MIN(b[a], 0) + TS_MIN(e[a], 0);
                int64_t s = ref_pad_src(mode, c[a] - TS_MAX(b[a], 0), n);
                if (s < 0) constant = true;
                c[a] = lo + s;
            }
            ok = !memcmp(elem(y, i), constant ? (const char *)value : elem(x, offset(r, d, c)), es);
        }
        CHECK_MSG(ok, "opset %d mode %s rank %d type %s", opset, mode, r, ts_dtype_name(dt));
        ts_tensor_free(y); ts_tensor_free(pt); ts_tensor_free(at); ts_tensor_free(cv);
        ts_tensor_free(x); done(&t);
    }
    /* pads of the wrong length, cropping past the size, unknown mode */
    ts_tensor *x = rand_tensor(TS_F32, 2, (int64_t[]){2, 3});
    static const int64_t bad[][4] = {{1, 1, 1, 0}, {-3, 0, 0, 0}};
    for (int i = 0; i < 2; i++) {
        ts_tensor *p = ints(TS_I64, i == 0 ? 3 : 4, bad[i]);
        tnode t = mk("Pad", 2, 1, 13);
        ts_status st;
        CHECK(!run1(&t, (const ts_tensor *[]){x, p}, 2, &st) && error_names_node(st));
        ts_tensor_free(p); done(&t);
    }
    ts_tensor *p = ints(TS_I64, 4, (int64_t[]){0, 0, 0, 0});
    tnode t = mk("Pad", 2, 1, 13);
    ir_node_set_string(N(&t), "mode", "mirror");
    ts_status st;
    CHECK(!run1(&t, (const ts_tensor *[]){x, p}, 2, &st) && error_names_node(st));
    ts_tensor_free(p); ts_tensor_free(x); done(&t);
}

/* ---- Shape, Size, ConstantOfShape, Constant, Range ------------------------------------ */

TEST(shape_and_size) {
    for (int it = 0; it < 30; it++) {
        int r = th_rand_int(0, 5);
        int64_t d[5];
        rand_dims(r, d, 6, true);
        ts_tensor *x = rand_tensor(rand_type(), r, d);
        int opset = th_rand_int(0, 1) ? 13 : 15;
        int64_t start = th_rand_int(-7, 7), end = th_rand_int(-7, 7);
        bool ws = th_rand_int(0, 1), we = th_rand_int(0, 1);
        tnode t = mk("Shape", 1, 1, opset);
        if (ws) ir_node_set_int(N(&t), "start", start);
        if (we) ir_node_set_int(N(&t), "end", end);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x}, 1, &st);
        int64_t s = opset >= 15 && ws ? start : 0, e = opset >= 15 && we ? end : r;
        if (s < 0) s += r;
        if (e < 0) e += r;
        s = TS_MAX(0, TS_MIN(s, r));
        e = TS_MAX(0, TS_MIN(e, r));
        int64_t n = TS_MAX(e - s, 0);
        CHECK_MSG(st == TS_OK && y && y->dtype == TS_I64 && same_shape(y, 1, &n), "%s", ts_last_error());
        for (int64_t i = 0; y && i < n; i++) CHECK(((int64_t *)y->data)[i] == d[s + i]);
        ts_tensor_free(y); done(&t);
        tnode z = mk("Size", 1, 1, 13);
        y = run1(&z, (const ts_tensor *[]){x}, 1, &st);
        CHECK(st == TS_OK && y && y->rank == 0 && *(int64_t *)y->data == ts_tensor_numel(x));
        ts_tensor_free(y); ts_tensor_free(x); done(&z);
    }
}

TEST(constant_of_shape_and_constant) {
    for (int it = 0; it < 20; it++) {
        int r = th_rand_int(0, 4);
        int64_t d[4];
        rand_dims(r, d, 5, true);
        ts_tensor *s = ints(TS_I64, r, d);
        tnode t = mk("ConstantOfShape", 1, 1, 13);
        ts_tensor *v = NULL;
        if (it % 4) {
            v = rand_tensor(all_types[it % NTYPES], 1, (int64_t[]){1});
            ir_node_set_tensor(N(&t), "value", ts_tensor_clone(v));
        }
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){s}, 1, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, r, d) && y->dtype == (v ? v->dtype : TS_F32), "%s",
                  ts_last_error());
        uint8_t zero[8] = {0};
        for (int64_t i = 0; y && i < ts_tensor_numel(y); i++)
            CHECK(!memcmp(elem(y, i), v ? v->data : zero, ts_dtype_size(y->dtype)));
        ts_tensor_free(y); ts_tensor_free(v); ts_tensor_free(s); done(&t);
    }
    ts_tensor *neg = ints(TS_I64, 2, (int64_t[]){2, -1});
    tnode t = mk("ConstantOfShape", 1, 1, 13);
    ts_status st;
    CHECK(!run1(&t, (const ts_tensor *[]){neg}, 1, &st) && error_names_node(st));
    ts_tensor_free(neg); done(&t);

    /* Constant: each value attribute */
    ts_tensor *v = rand_tensor(TS_F16, 2, (int64_t[]){2, 3});
    tnode c1 = mk("Constant", 0, 1, 13);
    ir_node_set_tensor(N(&c1), "value", ts_tensor_clone(v));
    ts_tensor *y = run1(&c1, NULL, 0, &st);
    CHECK(same_bytes(y, v));
    ts_tensor_free(y); ts_tensor_free(v); done(&c1);
    tnode c2 = mk("Constant", 0, 1, 13);
    ir_node_set_float(N(&c2), "value_float", 2.5f);
    y = run1(&c2, NULL, 0, &st);
    CHECK(y && y->dtype == TS_F32 && y->rank == 0 && *(float *)y->data == 2.5f);
    ts_tensor_free(y); done(&c2);
    tnode c3 = mk("Constant", 0, 1, 13);
    ir_node_set_ints(N(&c3), "value_ints", (int64_t[]){4, -5, 6}, 3);
    y = run1(&c3, NULL, 0, &st);
    CHECK(y && y->dtype == TS_I64 && same_shape(y, 1, (int64_t[]){3}) && ((int64_t *)y->data)[1] == -5);
    ts_tensor_free(y); done(&c3);
    tnode c4 = mk("Constant", 0, 1, 13);
    ir_node_set_floats(N(&c4), "value_floats", (float[]){1.5f, -2}, 2);
    y = run1(&c4, NULL, 0, &st);
    CHECK(y && y->dtype == TS_F32 && same_shape(y, 1, (int64_t[]){2}) && ((float *)y->data)[1] == -2);
    ts_tensor_free(y); done(&c4);
    tnode c5 = mk("Constant", 0, 1, 13);
    ir_node_set_int(N(&c5), "value_int", -7);
    y = run1(&c5, NULL, 0, &st);
    CHECK(y && y->dtype == TS_I64 && y->rank == 0 && *(int64_t *)y->data == -7);
    ts_tensor_free(y); done(&c5);
    tnode c6 = mk("Constant", 0, 1, 13);
    ir_node_set_string(N(&c6), "value_string", "text");
    CHECK(!run1(&c6, NULL, 0, &st) && st == TS_ERR_UNSUPPORTED && error_names_node(st));
    done(&c6);
}

TEST(range_types) {
    static const ts_dtype types[] = {TS_F32, TS_F64, TS_I16, TS_I32, TS_I64};
    for (int it = 0; it < 40; it++) {
        ts_dtype dt = types[it % 5];
        bool fl = dt == TS_F32 || dt == TS_F64;
        double start = fl ? th_rand_float(-10, 10) : th_rand_int(-20, 20);
        double delta = fl ? th_rand_float(-3, 3) : th_rand_int(-4, 4);
        double limit = fl ? th_rand_float(-10, 10) : th_rand_int(-20, 20);
        if (delta == 0) delta = 1;
        ts_tensor *s = ts_tensor_new(dt, 0, NULL), *l = ts_tensor_new(dt, 0, NULL), *dd = ts_tensor_new(dt, 0, NULL);
        ts_tensor_set(s, 0, start); ts_tensor_set(l, 0, limit); ts_tensor_set(dd, 0, delta);
        start = ts_tensor_get(s, 0); limit = ts_tensor_get(l, 0); delta = ts_tensor_get(dd, 0);
        tnode t = mk("Range", 3, 1, 13);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){s, l, dd}, 3, &st);
        int64_t n = (int64_t)TS_MAX(ceil((limit - start) / delta), 0);
        CHECK_MSG(st == TS_OK && y && y->dtype == dt && same_shape(y, 1, &n), "%s", ts_last_error());
        for (int64_t i = 0; y && i < n; i++) {
            double want = start + (double)i * delta;
            CHECK_NEAR(ts_tensor_get(y, i), want, 1e-6 * (1 + fabs(want)) * (dt == TS_F32 ? 10 : 1));
        }
        ts_tensor_free(y); ts_tensor_free(s); ts_tensor_free(l); ts_tensor_free(dd); done(&t);
    }
    ts_tensor *z = scalar_i64(0), *one = scalar_i64(1);
    tnode t = mk("Range", 3, 1, 13);
    ts_status st;
    CHECK(!run1(&t, (const ts_tensor *[]){one, z, z}, 3, &st) && error_names_node(st));
    ts_tensor_free(z); ts_tensor_free(one); done(&t);
}

/* ---- Compress, ReverseSequence ---------------------------------------------------- */

TEST(compress_and_reverse_sequence) {
    for (int it = 0; it < 30; it++) {
        int r = th_rand_int(1, 3);
        int64_t d[3];
        rand_dims(r, d, 4, true);
        ts_dtype dt = all_types[it % NTYPES];
        ts_tensor *x = rand_tensor(dt, r, d);
        bool with_axis = th_rand_int(0, 2) > 0;
        int axis = th_rand_int(0, r - 1);
        int64_t len = with_axis ? d[axis] : ts_tensor_numel(x);
        int64_t cl = th_rand_int(0, (int)len);
        ts_tensor *cond = rand_tensor(TS_BOOL, 1, &cl);
        tnode t = mk("Compress", 2, 1, 13);
        if (with_axis) ir_node_set_int(N(&t), "axis", th_rand_int(0, 1) ? axis : axis - r);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x, cond}, 2, &st);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        /* reference: keep the selected positions in order */
        int64_t keep[64], nk = 0;
        for (int64_t i = 0; i < cl; i++)
            if (((uint8_t *)cond->data)[i]) keep[nk++] = i;
        size_t es = ts_dtype_size(dt);
        bool ok = y != NULL;
        if (ok && !with_axis) {
            ok = same_shape(y, 1, &nk);
            for (int64_t i = 0; ok && i < nk; i++) ok = !memcmp(elem(y, i), elem(x, keep[i]), es);
        } else if (ok) {
            int64_t od[3], c[3];
            memcpy(od, d, sizeof od);
            od[axis] = nk;
            ok = same_shape(y, r, od);
            for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
                coords(r, od, i, c);
                c[axis] = keep[c[axis]];
                ok = !memcmp(elem(y, i), elem(x, offset(r, d, c)), es);
            }
        }
        CHECK(ok);
        ts_tensor_free(y); ts_tensor_free(cond); ts_tensor_free(x); done(&t);
        /* ReverseSequence on [T, B, ...] or [B, T, ...] */
        int64_t rd[3] = {th_rand_int(1, 5), th_rand_int(1, 4), th_rand_int(1, 3)};
        int ba = th_rand_int(0, 1), ta = 1 - ba;
        x = rand_tensor(dt, 3, rd);
        int64_t lens[5];
        for (int i = 0; i < rd[ba]; i++) lens[i] = th_rand_int(0, (int)rd[ta]);
        ts_tensor *lt = ints(th_rand_int(0, 1) ? TS_I64 : TS_I32, (int)rd[ba], lens);
        tnode rs = mk("ReverseSequence", 2, 1, 13);
        ir_node_set_int(N(&rs), "batch_axis", ba);
        ir_node_set_int(N(&rs), "time_axis", ta);
        y = run1(&rs, (const ts_tensor *[]){x, lt}, 2, &st);
        CHECK_MSG(st == TS_OK && same_shape(y, 3, rd), "%s", ts_last_error());
        ok = y != NULL;
        for (int64_t i = 0; ok && i < ts_tensor_numel(y); i++) {
            int64_t c[3];
            coords(3, rd, i, c);
            int64_t L = lens[c[ba]];
            if (c[ta] < L) c[ta] = L - 1 - c[ta];
            ok = !memcmp(elem(y, i), elem(x, offset(3, rd, c)), es);
        }
        CHECK(ok);
        lens[0] = rd[ta] + 1;
        ts_tensor_set(lt, 0, (double)lens[0]);
        CHECK(!run1(&rs, (const ts_tensor *[]){x, lt}, 2, &st) && error_names_node(st));
        ts_tensor_free(y); ts_tensor_free(lt); ts_tensor_free(x); done(&rs);
    }
}

/* ---- Unique, EyeLike ---------------------------------------------------------------- */

/* Slice i of x along axis (flattened when axis < 0) as doubles. */
static void get_slice(const ts_tensor *x, int axis, int64_t i, double *v, int64_t *len) {
    if (axis < 0) { v[0] = ts_tensor_get(x, i); *len = 1; return; }
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < x->rank; k++) {
        if (k < axis) outer *= x->dims[k];
        if (k > axis) inner *= x->dims[k];
    }
    *len = outer * inner;
    for (int64_t j = 0; j < *len; j++)
        v[j] = ts_tensor_get(x, ((j / inner) * x->dims[axis] + i) * inner + j % inner);
}

static int cmp_slice(const double *a, const double *b, int64_t len) {
    for (int64_t j = 0; j < len; j++)
        if (a[j] != b[j]) return a[j] < b[j] ? -1 : 1;
    return 0;
}

TEST(unique_sorted_and_not) {
    for (int it = 0; it < 40; it++) {
        int r = th_rand_int(1, 3);
        int64_t d[3];
        rand_dims(r, d, 4, it % 8 == 0);
        ts_dtype dt = (ts_dtype[]){TS_F32, TS_I64, TS_I8, TS_F64, TS_BOOL, TS_I32}[it % 6];
        ts_tensor *x = ts_tensor_new(dt, r, d);
        for (int64_t i = 0; i < ts_tensor_numel(x); i++) ts_tensor_set(x, i, th_rand_int(0, dt == TS_BOOL ? 1 : 2));
        bool with_axis = th_rand_int(0, 1), sorted = th_rand_int(0, 2) > 0;
        int axis = with_axis ? th_rand_int(0, r - 1) : -1;
        tnode t = mk("Unique", 1, 4, 11);
        if (with_axis) ir_node_set_int(N(&t), "axis", th_rand_int(0, 1) ? axis : axis - r);
        ir_node_set_int(N(&t), "sorted", sorted);
        ts_tensor *out[4];
        ts_status st = run(&t, (const ts_tensor *[]){x}, 1, out, 4, NULL);
        CHECK_MSG(st == TS_OK, "%s", ts_last_error());
        /* reference: unique slices in first-occurrence order, then sorted */
        int64_t n = with_axis ? d[axis] : ts_tensor_numel(x), len = 0, nu = 0;
        static double sl[64][64];
        int64_t first[64], count[64], inv[64], order[64];
        for (int64_t i = 0; i < n; i++) {
            get_slice(x, axis, i, sl[i], &len);
            int64_t k = 0;
            while (k < nu && cmp_slice(sl[first[k]], sl[i], len)) k++;
            if (k == nu) { first[nu] = i; count[nu++] = 0; }
            count[k]++;
            inv[i] = k;
        }
        for (int64_t k = 0; k < nu; k++) order[k] = k;   /* order[pos] = group */
        for (int64_t a = 1; sorted && a < nu; a++)
            for (int64_t b = a; b > 0 && cmp_slice(sl[first[order[b]]], sl[first[order[b - 1]]], len) < 0; b--) {
                int64_t tmp = order[b]; order[b] = order[b - 1]; order[b - 1] = tmp;
            }
        int64_t pos_of[64];
        for (int64_t p = 0; p < nu; p++) pos_of[order[p]] = p;
        bool ok = st == TS_OK && out[1]->dims[0] == nu && out[2]->dims[0] == n && out[3]->dims[0] == nu;
        for (int64_t p = 0; ok && p < nu; p++)
            ok = ((int64_t *)out[1]->data)[p] == first[order[p]] &&
                 ((int64_t *)out[3]->data)[p] == count[order[p]];
        for (int64_t i = 0; ok && i < n; i++) ok = ((int64_t *)out[2]->data)[i] == pos_of[inv[i]];
        for (int64_t p = 0; ok && p < nu; p++) {
            double y[64];
            int64_t yl;
            get_slice(out[0], axis, p, y, &yl);
            ok = yl == len && !cmp_slice(y, sl[first[order[p]]], len);
        }
        CHECK_MSG(ok, "rank %d axis %d sorted %d type %s", r, axis, sorted, ts_dtype_name(dt));
        for (int i = 0; st == TS_OK && i < 4; i++) ts_tensor_free(out[i]);
        ts_tensor_free(x); done(&t);
    }
}

TEST(eye_like) {
    for (int it = 0; it < 20; it++) {
        int64_t d[2] = {th_rand_int(0, 5), th_rand_int(0, 5)};
        ts_tensor *x = rand_tensor(rand_type(), 2, d);
        int k = th_rand_int(-6, 6);
        ts_dtype dt = th_rand_int(0, 1) ? x->dtype : rand_type();
        tnode t = mk("EyeLike", 1, 1, 13);
        ir_node_set_int(N(&t), "k", k);
        if (dt != x->dtype || th_rand_int(0, 1)) ir_node_set_int(N(&t), "dtype", dt);
        ts_status st;
        ts_tensor *y = run1(&t, (const ts_tensor *[]){x}, 1, &st);
        CHECK_MSG(st == TS_OK && y && y->dtype == dt && same_shape(y, 2, d), "%s", ts_last_error());
        for (int64_t i = 0; y && i < ts_tensor_numel(y); i++)
            CHECK(ts_tensor_get(y, i) == (i % d[1] - i / d[1] == k ? 1.0 : 0.0));
        ts_tensor_free(y); ts_tensor_free(x); done(&t);
    }
}

/* Static inference: value-dependent ops ask for the value; others don't. */
TEST(static_inference_needs_values) {
    static const struct { const char *op; int n_in; int opset; } cases[] = {
        {"Reshape", 2, 13}, {"Expand", 2, 13}, {"Tile", 2, 13}, {"Slice", 3, 13},
        {"Pad", 2, 13}, {"Unsqueeze", 2, 13}, {"Squeeze", 2, 13}, {"Split", 2, 13},
        {"ConstantOfShape", 1, 13}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_tensor x = {.dtype = TS_F32, .rank = 2, .dims = {4, 1}};
        ts_tensor v = {.dtype = TS_I64, .rank = 1, .dims = {2}};
        const ts_tensor *in[3] = {&x, &v, &v};
        if (cases[i].n_in == 1) in[0] = &v;
        tnode t = mk(cases[i].op, cases[i].n_in, 1, cases[i].opset);
        ts_tensor o = {0}, *op = &o;
        ts_status st = ir_infer_node(N(&t), cases[i].opset, in, cases[i].n_in, &op, 1);
        CHECK_MSG(st == IR_NEED_VALUE, "%s gave %d", cases[i].op, (int)st);
        done(&t);
    }
    ts_tensor x = {.dtype = TS_F32, .rank = 2, .dims = {4, 3}};
    ts_tensor ix = {.dtype = TS_I64, .rank = 1, .dims = {5}};
    tnode t = mk("Gather", 2, 1, 13);
    ir_node_set_int(N(&t), "axis", 1);
    ts_tensor o = {0}, *op = &o;
    CHECK(ir_infer_node(N(&t), 13, (const ts_tensor *[]){&x, &ix}, 2, &op, 1) == TS_OK &&
          same_shape(&o, 2, (int64_t[]){4, 5}));
    done(&t);
}

/* A large transpose and concat, threaded, against the serial result. */
TEST(threaded_large_copies_match_serial) {
    int64_t d[3] = {37, 129, 65};
    ts_tensor *x = rand_tensor(TS_F32, 3, d);
    static const int64_t perms[][3] = {{2, 1, 0}, {0, 2, 1}, {1, 0, 2}, {2, 0, 1}};
    for (int p = 0; p < 4; p++) {
        tnode t = mk("Transpose", 1, 1, 13);
        ir_node_set_ints(N(&t), "perm", perms[p], 3);
        ts_tensor *a, *b;
        CHECK(run(&t, (const ts_tensor *[]){x}, 1, &a, 1, NULL) == TS_OK);
        CHECK(run(&t, (const ts_tensor *[]){x}, 1, &b, 1, tpool()) == TS_OK);
        int perm[3] = {(int)perms[p][0], (int)perms[p][1], (int)perms[p][2]};
        ts_tensor *want = ref_transpose(x, perm);
        CHECK(same_bytes(a, want) && same_bytes(b, want));
        ts_tensor_free(a); ts_tensor_free(b); ts_tensor_free(want); done(&t);
    }
    ts_tensor_free(x);
    /* a single long row (Slice of a 1-D tensor) is cut in segments */
    ts_tensor *v = rand_tensor(TS_I8, 1, (int64_t[]){300000});
    ts_tensor *s = ints(TS_I64, 1, (int64_t[]){-1}), *e = ints(TS_I64, 1, (int64_t[]){INT64_MIN});
    ts_tensor *a0 = ints(TS_I64, 1, (int64_t[]){0}), *k = ints(TS_I64, 1, (int64_t[]){-1});
    tnode t = mk("Slice", 5, 1, 13);
    ts_tensor *y;
    CHECK(run(&t, (const ts_tensor *[]){v, s, e, a0, k}, 5, &y, 1, tpool()) == TS_OK);
    bool ok = y && y->dims[0] == 300000;
    for (int64_t i = 0; ok && i < 300000; i++) ok = ((int8_t *)y->data)[i] == ((int8_t *)v->data)[299999 - i];
    CHECK(ok);
    ts_tensor_free(y); ts_tensor_free(v); ts_tensor_free(s); ts_tensor_free(e);
    ts_tensor_free(a0); ts_tensor_free(k); done(&t);
}

/* Garbage in, never a crash: every op with random arities, dtypes, shapes,
 * wild integer values (INT64_MIN/MAX, 2^40, negatives) and random
 * attributes. Each run either succeeds or fails with a message naming the
 * node; sanitizer builds check that nothing reads or writes out of bounds. */
static int64_t wild(void) {
    static const int64_t v[] = {0, 1, -1, 2, -2, 3, 5, INT64_MAX, INT64_MIN, (int64_t)1 << 40,
                                -((int64_t)1 << 40), INT_MAX, INT_MIN};
    return th_rand_int(0, 2) ? th_rand_int(-6, 6) : v[th_rand_int(0, (int)(sizeof v / sizeof v[0]) - 1)];
}

static ts_tensor *wild_tensor(void) {
    int r = th_rand_int(0, 3);
    int64_t d[3];
    rand_dims(r, d, 4, true);
    int kind = th_rand_int(0, 5);
    ts_dtype dt = kind < 3 ? TS_I64 : kind == 3 ? TS_I32 : kind == 4 ? TS_BOOL : rand_type();
    ts_tensor *t = ts_tensor_new(dt, r, d);
    for (int64_t i = 0; i < ts_tensor_numel(t); i++) {
        if (dt == TS_I64) ((int64_t *)t->data)[i] = wild();
        else if (dt == TS_I32) ((int32_t *)t->data)[i] = (int32_t)wild();
        else ts_tensor_set(t, i, (double)th_rand_int(-3, 3));
    }
    return t;
}

static void wild_attrs(ir_node *n) {
    static const char *int_names[] = {"axis", "allowzero", "batch_dims", "num_outputs", "start",
                                      "end", "batch_axis", "time_axis", "value_int"};
    static const char *ints_names[] = {"perm", "split", "starts", "ends", "axes", "pads", "value_ints"};
    static const char *modes[] = {"constant", "reflect", "edge", "wrap", "bogus"};
    static const char *reds[] = {"none", "add", "mul", "max", "min", "bogus"};
    for (int i = 0; i < 3; i++) {
        if (th_rand_int(0, 1)) ir_node_set_int(n, int_names[th_rand_int(0, 8)], wild());
        if (th_rand_int(0, 1)) {
            int64_t v[6];
            int c = th_rand_int(0, 6);
            for (int k = 0; k < c; k++) v[k] = wild();
            ir_node_set_ints(n, ints_names[th_rand_int(0, 6)], v, c);
        }
    }
    if (th_rand_int(0, 2) == 0) ir_node_set_string(n, "mode", modes[th_rand_int(0, 4)]);
    if (th_rand_int(0, 2) == 0) ir_node_set_string(n, "reduction", reds[th_rand_int(0, 5)]);
    if (th_rand_int(0, 3) == 0) ir_node_set_float(n, "value_float", 1.5f);
    if (th_rand_int(0, 3) == 0) {
        int r = th_rand_int(0, 2);
        int64_t d[2];
        rand_dims(r, d, 3, true);
        ir_node_set_tensor(n, "value", rand_tensor(rand_type(), r, d));
    }
}

TEST(garbage_never_crashes) {
    int ran = 0, failed_named = 0, failed = 0;
    for (int it = 0; it < 3000; it++) {
        int n_ops = 0;
        while (ir_ops_shape[n_ops].op_type) n_ops++;
        const ir_opdef *def = &ir_ops_shape[th_rand_int(0, n_ops - 1)];
        int max_in = def->max_inputs < 0 ? 4 : def->max_inputs;
        int max_out = def->max_outputs < 0 ? 3 : def->max_outputs;
        int n_in = th_rand_int(def->min_inputs, max_in), n_out = th_rand_int(def->min_outputs, max_out);
        tnode t = mk(def->op_type, n_in, n_out, (int[]){7, 9, 10, 11, 13, 14, 15, 16, 18, 19}[th_rand_int(0, 9)]);
        wild_attrs(N(&t));
        ts_tensor *in[5];
        for (int i = 0; i < n_in; i++) in[i] = i > 0 && th_rand_int(0, 5) == 0 ? NULL : wild_tensor();
        ts_tensor shells[4], *sp[4], *out[4] = {NULL, NULL, NULL, NULL};
        memset(shells, 0, sizeof shells);
        for (int i = 0; i < n_out; i++) sp[i] = &shells[i];
        ts_status st = ir_infer_node(N(&t), t.opset, (const ts_tensor **)in, n_in, sp, n_out);
        bool small = true;
        for (int i = 0; st == TS_OK && i < n_out; i++)
            small &= shells[i].dtype == TS_UNDEFINED ||
                     ts_shape_numel(shells[i].rank, shells[i].dims) * 8 < ((int64_t)1 << 26);
        if (st == TS_OK && small) {
            for (int i = 0; i < n_out; i++)
                out[i] = ts_tensor_new(shells[i].dtype ? shells[i].dtype : TS_F32, shells[i].rank, shells[i].dims);
            cpu_ctx ctx = {.pool = th_rand_int(0, 1) ? tpool() : NULL, .opset = t.opset};
            st = kernel(def->op_type)->run(&ctx, N(&t), (const ts_tensor **)in, n_in, out, n_out);
            ran++;
        }
        if (st != TS_OK) {
            failed++;
            failed_named += error_names_node(st) || st == TS_ERR_NOMEM;
            if (!error_names_node(st) && st != TS_ERR_NOMEM)
                fprintf(stderr, "  %s: unnamed error %d: %s\n", def->op_type, (int)st, ts_last_error());
        }
        for (int i = 0; i < n_out; i++) ts_tensor_free(out[i]);
        for (int i = 0; i < n_in; i++) ts_tensor_free(in[i]);
        done(&t);
    }
    printf("garbage: %d kernels ran, %d errors (all named: %s)\n", ran, failed,
           failed_named == failed ? "yes" : "no");
    CHECK(failed_named == failed);
    CHECK(ran > 100);   /* some garbage is valid and must run */
}

TEST(cleanup_pool) {
    if (pool_) ts_pool_free(pool_);
    pool_ = NULL;
}

TEST_MAIN()

/*
 * Helpers for the op tests (test_ops_elementwise.c, test_ops_reduce.c): build
 * a one-node graph, run inference and the CPU kernel straight from the kernel
 * tables (so these tests need nothing above the cpu layer), random tensors,
 * and a numpy-style broadcast index map for scalar references.
 */
#ifndef TESSERA_TEST_OPS_HARNESS_H
#define TESSERA_TEST_OPS_HARNESS_H

#include "harness.h"
#include "cpu/cpu.h"
#include "ir/ir.h"

static ts_pool *oh_pool;   /* 2 threads: parallel paths run in every test */

/* A node `op` with n_in inputs (NULL entries in omit[] mean omitted) and
 * n_out outputs, in a fresh graph the caller frees. */
static inline ir_node *oh_node(ir_graph **g, const char *op, int n_in, int n_out) {
    *g = ir_graph_new();
    int in[16], out[4];
    char name[32];
    for (int i = 0; i < n_in; i++) {
        snprintf(name, sizeof name, "in%d", i);
        in[i] = ir_add_value(*g, name, TS_UNDEFINED, -1, NULL);
    }
    for (int i = 0; i < n_out; i++) {
        snprintf(name, sizeof name, "out%d", i);
        out[i] = ir_add_value(*g, name, TS_UNDEFINED, -1, NULL);
    }
    return ir_add_node(*g, op, "n0", in, n_in, out, n_out);
}

/* Through the real registry: the kernel a model would get. */
static inline const cpu_kernel *oh_kernel(const char *op) { return cpu_kernel_find("", op); }

/* Infers, allocates out[0..n_out) (caller frees) and runs the kernel. */
static inline ts_status oh_run(const ir_node *n, int opset, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out) {
    ts_tensor shp[4];
    ts_tensor *sp[4];
    memset(shp, 0, sizeof shp);
    for (int i = 0; i < n_out; i++) { sp[i] = &shp[i]; out[i] = NULL; }
    ts_status st = ir_infer_node(n, opset, in, n_in, sp, n_out);
    if (st) return st;
    for (int i = 0; i < n_out; i++) {
        if (shp[i].dtype == TS_UNDEFINED) continue;
        out[i] = ts_tensor_new(shp[i].dtype, shp[i].rank, shp[i].dims);
        if (!out[i]) return TS_ERR_NOMEM;
    }
    const cpu_kernel *k = oh_kernel(n->op_type);
    if (!k) return ts_error(TS_ERR_UNSUPPORTED, "no kernel %s", n->op_type);
    if (!oh_pool) oh_pool = ts_pool_new(2);
    cpu_ctx ctx = {.pool = oh_pool, .opset = opset};
    return k->run(&ctx, n, in, n_in, out, n_out);
}

static inline void oh_free(ts_tensor **t, int n) {
    for (int i = 0; i < n; i++) { ts_tensor_free(t[i]); t[i] = NULL; }
}

static inline ts_tensor *oh_rand(ts_dtype dt, int rank, const int64_t *dims, double lo, double hi) {
    ts_tensor *t = ts_tensor_new(dt, rank, dims);
    int64_t m = ts_tensor_numel(t);
    for (int64_t i = 0; i < m; i++) {
        double v = th_rand_float((float)lo, (float)hi);
        if (ts_dtype_is_int(dt) || dt == TS_BOOL) v = floor(v);
        ts_tensor_set(t, i, v);
    }
    return t;
}

static inline ts_tensor *oh_from(ts_dtype dt, int rank, const int64_t *dims, const double *v) {
    ts_tensor *t = ts_tensor_new(dt, rank, dims);
    int64_t m = ts_tensor_numel(t);
    for (int64_t i = 0; i < m; i++) ts_tensor_set(t, i, v[i]);
    return t;
}

static inline ts_tensor *oh_scalar_i64(int64_t v) {
    ts_tensor *t = ts_tensor_new(TS_I64, 1, (int64_t[]){1});
    ((int64_t *)t->data)[0] = v;
    return t;
}

/* Offset in t of output element o (row-major over out dims), numpy broadcast. */
static inline int64_t oh_bcast_off(const ts_tensor *t, int out_rank, const int64_t *out_dims, int64_t o) {
    int64_t off = 0, stride = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
        int64_t i = o % out_dims[d];
        o /= out_dims[d];
        int j = d - (out_rank - t->rank);
        if (j >= 0) {
            if (t->dims[j] != 1) off += i * stride;
            stride *= t->dims[j];
        }
    }
    return off;
}

/* |a - b| <= atol + rtol * |b|, NaN equal to NaN, infinities equal. */
static inline int oh_close(double a, double b, double rtol, double atol) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b)) return a == b;
    return fabs(a - b) <= atol + rtol * fabs(b);
}

static int64_t oh_mismatches;  /* reported once per CHECK, not per element */

#define OH_EXPECT(a, b, rtol, atol, ...)                                  \
    do {                                                                  \
        double oh_a = (a), oh_b = (b);                                    \
        if (!oh_close(oh_a, oh_b, rtol, atol)) {                          \
            th_failed_checks++;                                           \
            if (oh_mismatches++ < 20) {                                   \
                fprintf(stderr, "  %s:%d: got %.9g want %.9g: ",          \
                        __FILE__, __LINE__, oh_a, oh_b);                  \
                fprintf(stderr, __VA_ARGS__);                             \
                fprintf(stderr, "\n");                                    \
            }                                                             \
        }                                                                 \
    } while (0)

#endif

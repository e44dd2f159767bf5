/* cpu kernels: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Both view the scores as [N, C, D] (D = product of the dims after C) and
 * the targets as [N, D]. Element (n, d) contributes -logp[n, t, d] * w[t]
 * with t = target[n, d] (w = 1 without weights); a target equal to
 * ignore_index contributes 0 with weight 0. reduction: "none" keeps [N, d..],
 * "sum" adds, "mean" divides by the sum of the weights used. Computed in
 * double; SoftmaxCrossEntropyLoss first takes log_softmax over C (and can
 * return it as its second output). */
#include "cpu/op_reduce.h"

#include <math.h>
#include <string.h>

typedef struct loss_args {
    int64_t N, C, D;
    const double *logp;            /* [N, C, D]: log-probabilities */
    const ts_tensor *target, *weight;
    bool has_ii;
    int64_t ii;
    const char *reduction;
} loss_args;

static ts_status loss_compute(const ir_node *n, const loss_args *a, ts_tensor *y) {
    double total = 0, wsum = 0;
    bool none = !strcmp(a->reduction, "none");
    for (int64_t i = 0; i < a->N; i++)
        for (int64_t d = 0; d < a->D; d++) {
            int64_t t = cpu_ew_get_i(a->target->data, a->target->dtype, i * a->D + d);
            double l = 0, w = 0;
            if (!(a->has_ii && t == a->ii)) {
                if (t < 0 || t >= a->C)
                    return ts_error(TS_ERR_INVALID, "node '%s' (%s): target %lld outside [0, %lld)",
                                    n->name, n->op_type, (long long)t, (long long)a->C);
                w = a->weight ? cpu_ew_get_f(a->weight->data, a->weight->dtype, t) : 1.0;
                l = -a->logp[(i * a->C + t) * a->D + d] * w;
            }
            if (none) ts_tensor_set(y, i * a->D + d, l);
            total += l;
            wsum += w;
        }
    if (none) return TS_OK;
    /* mean without weights or ignore_index is a plain mean over N*D */
    if (!strcmp(a->reduction, "mean"))
        total /= (a->weight || a->has_ii) ? wsum : (double)(a->N * a->D);
    ts_tensor_set(y, 0, total);
    return TS_OK;
}

static void loss_shape(const ts_tensor *x, int64_t *N, int64_t *C, int64_t *D) {
    *N = x->dims[0];
    *C = x->dims[1];
    *D = 1;
    for (int k = 2; k < x->rank; k++) *D *= x->dims[k];
}

static ts_status loss_run(const ir_node *n, const ts_tensor **in, int n_in, ts_tensor **out,
                          int n_out, bool softmax) {
    const ts_tensor *x = in[0];
    loss_args a = {0};
    loss_shape(x, &a.N, &a.C, &a.D);
    a.target = in[1];
    a.weight = n_in > 2 ? in[2] : NULL;
    a.has_ii = ir_attr_find(n, "ignore_index") != NULL;
    a.ii = ir_attr_int(n, "ignore_index", 0);
    a.reduction = ir_attr_string(n, "reduction", "mean");
    int64_t m = ts_tensor_numel(x);
    double *lp = ts_malloc(sizeof(double) * (size_t)m + 1);
    if (!lp) return TS_ERR_NOMEM;
    for (int64_t i = 0; i < m; i++) lp[i] = cpu_ew_get_f(x->data, x->dtype, i);
    if (softmax)   /* log_softmax over C for every (n, d) */
        for (int64_t i = 0; i < a.N; i++)
            for (int64_t d = 0; d < a.D; d++) {
                double *p = lp + i * a.C * a.D + d, mx = -INFINITY, s = 0;
                for (int64_t c = 0; c < a.C; c++) mx = fmax(mx, p[c * a.D]);
                for (int64_t c = 0; c < a.C; c++) s += exp(p[c * a.D] - mx);
                double l = mx + log(s);
                for (int64_t c = 0; c < a.C; c++) p[c * a.D] -= l;
            }
    a.logp = lp;
    ts_status st = loss_compute(n, &a, out[0]);
    if (!st && softmax && n_out > 1 && out[1])
        for (int64_t i = 0; i < m; i++) ts_tensor_set(out[1], i, lp[i]);
    ts_free(lp);
    return st;
}

CPU_RD_KERNEL(cpu_rd_run_nll) {
    (void)ctx;
    return loss_run(n, in, n_in, out, n_out, false);
}

CPU_RD_KERNEL(cpu_rd_run_sce) {
    (void)ctx;
    return loss_run(n, in, n_in, out, n_out, true);
}

/* cpu kernel: Einsum, as one generic loop nest.
 *
 * The equation (parsed by ir_einsum_parse) gives every operand dim a label.
 * Each operand gets one stride per label: the sum of the strides of its dims
 * carrying that label (so a repeated label walks the diagonal), 0 where the
 * label is absent or broadcast. The output's labels are walked, split across
 * threads, and for each output element the summed labels are walked,
 * multiplying the operands in double. */
#include "cpu/op_reduce.h"
#include "ir/op_reduce.h"

#include <string.h>

typedef struct es_job {
    int n_in, n_out_l, n_sum_l;
    int64_t out_size[TS_MAX_RANK], sum_size[IR_EINSUM_LABELS];
    int64_t out_st[IR_EINSUM_MAX_IN][TS_MAX_RANK], sum_st[IR_EINSUM_MAX_IN][IR_EINSUM_LABELS];
    const double *x[IR_EINSUM_MAX_IN];
    ts_tensor *y;
} es_job;

static double es_sum(const es_job *j, const int64_t *base) {
    int64_t idx[IR_EINSUM_LABELS] = {0}, off[IR_EINSUM_MAX_IN];
    double total = 0;
    for (int k = 0; k < j->n_in; k++) off[k] = base[k];
    for (;;) {
        double p = 1;
        for (int k = 0; k < j->n_in; k++) p *= j->x[k][off[k]];
        total += p;
        int d = j->n_sum_l - 1;
        for (; d >= 0; d--) {
            for (int k = 0; k < j->n_in; k++) off[k] += j->sum_st[k][d];
            if (++idx[d] < j->sum_size[d]) break;
            for (int k = 0; k < j->n_in; k++) off[k] -= j->sum_st[k][d] * j->sum_size[d];
            idx[d] = 0;
        }
        if (d < 0) return total;
    }
}

static void es_range(void *arg, int64_t b, int64_t e) {
    const es_job *j = arg;
    for (int64_t o = b; o < e; o++) {
        int64_t rem = o, base[IR_EINSUM_MAX_IN] = {0};
        for (int d = j->n_out_l - 1; d >= 0; d--) {
            int64_t i = rem % j->out_size[d];
            rem /= j->out_size[d];
            for (int k = 0; k < j->n_in; k++) base[k] += i * j->out_st[k][d];
        }
        ts_tensor_set(j->y, o, es_sum(j, base));
    }
}

/* Operand strides per label, 0 for broadcast (size-1) dims. */
static void es_strides(const ts_tensor *x, const ir_einsum *e, int k, int64_t *st) {
    int64_t s = 1;
    memset(st, 0, sizeof(int64_t) * IR_EINSUM_LABELS);
    for (int d = x->rank - 1; d >= 0; d--) {
        if (x->dims[d] != 1) st[e->labels[k][d]] += s;
        s *= x->dims[d];
    }
}

CPU_RD_KERNEL(cpu_rd_run_einsum) {
    (void)n_out;
    ir_einsum e;
    ts_status st = ir_einsum_parse(n, in, n_in, &e);
    if (st) return st;
    es_job *j = ts_calloc(1, sizeof *j);
    if (!j) return TS_ERR_NOMEM;
    j->n_in = n_in;
    j->n_out_l = e.out_rank;
    j->n_sum_l = e.n_sum;
    j->y = out[0];
    bool empty = false;
    for (int k = 0; k < n_in && !st; k++) {
        int64_t lst[IR_EINSUM_LABELS], m = ts_tensor_numel(in[k]);
        es_strides(in[k], &e, k, lst);
        for (int d = 0; d < e.out_rank; d++) j->out_st[k][d] = lst[e.out_labels[d]];
        for (int d = 0; d < e.n_sum; d++) j->sum_st[k][d] = lst[e.sum_labels[d]];
        double *xd = ts_malloc(sizeof(double) * (size_t)m + 1);
        if (!xd) { st = TS_ERR_NOMEM; break; }
        for (int64_t i = 0; i < m; i++) xd[i] = cpu_ew_get_f(in[k]->data, in[k]->dtype, i);
        j->x[k] = xd;
        empty |= m == 0;
    }
    for (int d = 0; d < e.out_rank; d++) j->out_size[d] = e.size[e.out_labels[d]];
    for (int d = 0; d < e.n_sum; d++) j->sum_size[d] = e.size[e.sum_labels[d]];
    int64_t n_y = ts_tensor_numel(out[0]);
    if (!st && empty) {
        for (int64_t i = 0; i < n_y; i++) ts_tensor_set(out[0], i, 0.0);
    } else if (!st) {
        int64_t work = 1;
        for (int d = 0; d < e.n_sum; d++) work *= j->sum_size[d];
        ts_parallel_for(ctx ? ctx->pool : NULL, n_y, TS_MAX(1, 16384 / TS_MAX(work, 1)), es_range, j);
    }
    for (int k = 0; k < n_in; k++) ts_free((void *)j->x[k]);
    ts_free(j);
    return st;
}

/* cpu kernel: Einsum, as one generic loop nest.
 *
 * The equation (parsed by ir_einsum_parse) gives every operand dim a label.
 * Each operand gets one stride per label: the sum of the strides of its dims
 * carrying that label (so a repeated label walks the diagonal), 0 where the
 * label is absent or broadcast. The output's labels are walked, split across
 * threads, and for each output element the summed labels are walked,
 * multiplying the operands in double.
 *
 * Two float32 operands whose labels each sit in exactly one role (batch:
 * both inputs and the output; M: A and output; N: B and output; K: both
 * inputs only) are a batched matrix product: A and B are copied into
 * [batch, M, K] and [batch, K, N] order, multiplied by cpu_sgemm, and the
 * [batch, M, N] result is copied into the output's label order. */
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

/* ---- the batched-GEMM path --------------------------------------------- */

/* dst (contiguous over dims) = src read through per-dim strides. */
static void es_gather(float *dst, const float *src, int rank, const int64_t *dims, const int64_t *st) {
    int64_t total = ts_shape_numel(rank, dims), idx[IR_EINSUM_LABELS] = {0}, off = 0;
    for (int64_t i = 0; i < total; i++) {
        dst[i] = src[off];
        for (int d = rank - 1; d >= 0; d--) {
            off += st[d];
            if (++idx[d] < dims[d]) break;
            off -= st[d] * dims[d];
            idx[d] = 0;
        }
    }
}

enum { ES_BATCH, ES_M, ES_N, ES_K, ES_ROLES };

typedef struct es_gemm_plan {
    int n[ES_ROLES], lab[ES_ROLES][IR_EINSUM_LABELS];
    int64_t size[ES_ROLES];
} es_gemm_plan;

/* False when some label is not a clean batch/M/N/K role (repeated in an
 * operand, broadcast, or summed within one operand). */
static bool es_gemm_plan_make(const ir_einsum *e, const ts_tensor **in, es_gemm_plan *p) {
    int cnt[2][IR_EINSUM_LABELS] = {{0}};
    bool in_out[IR_EINSUM_LABELS] = {false};
    for (int k = 0; k < 2; k++)
        for (int d = 0; d < e->rank[k]; d++) {
            int l = e->labels[k][d];
            if (++cnt[k][l] > 1 || in[k]->dims[d] != e->size[l]) return false;
        }
    for (int d = 0; d < e->out_rank; d++) in_out[e->out_labels[d]] = true;
    memset(p, 0, sizeof *p);
    for (int r = 0; r < ES_ROLES; r++) p->size[r] = 1;
    for (int l = 0; l < IR_EINSUM_LABELS; l++) {
        bool a = cnt[0][l], b = cnt[1][l], o = in_out[l];
        if (!a && !b) continue;
        int role = a && b ? (o ? ES_BATCH : ES_K) : (!o ? -1 : a ? ES_M : ES_N);
        if (role < 0) return false;
        p->lab[role][p->n[role]++] = l;
        p->size[role] *= e->size[l];
    }
    return true;
}

/* Dims and strides of operand k read in the label order of roles r0, r1, r2. */
static int es_view(const ir_einsum *e, const ts_tensor *x, int k, const es_gemm_plan *p,
                   const int *roles, int64_t *dims, int64_t *st) {
    int64_t lst[IR_EINSUM_LABELS];
    int n = 0;
    (void)k;
    int64_t s = 1;
    memset(lst, 0, sizeof lst);
    for (int d = x->rank - 1; d >= 0; d--) { lst[e->labels[k][d]] = s; s *= x->dims[d]; }
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < p->n[roles[r]]; i++) {
            int l = p->lab[roles[r]][i];
            dims[n] = e->size[l];
            st[n++] = lst[l];
        }
    return n;
}

static ts_status es_run_gemm(cpu_ctx *ctx, const ir_einsum *e, const es_gemm_plan *p,
                             const ts_tensor **in, ts_tensor *out) {
    int64_t B = p->size[ES_BATCH], M = p->size[ES_M], N = p->size[ES_N], K = p->size[ES_K];
    int64_t nA = B * M * K, nB = B * K * N, nC = B * M * N;
    float *buf = ts_malloc(sizeof(float) * (size_t)(nA + nB + nC) + 1);
    if (!buf) return TS_ERR_NOMEM;
    float *A = buf, *Bm = buf + nA, *C = Bm + nB;
    int64_t dims[IR_EINSUM_LABELS], st[IR_EINSUM_LABELS];
    int r = es_view(e, in[0], 0, p, (int[]){ES_BATCH, ES_M, ES_K}, dims, st);
    es_gather(A, in[0]->data, r, dims, st);
    r = es_view(e, in[1], 1, p, (int[]){ES_BATCH, ES_K, ES_N}, dims, st);
    es_gather(Bm, in[1]->data, r, dims, st);
    if (K == 0) memset(C, 0, sizeof(float) * (size_t)nC);
    for (int64_t b = 0; b < B && K > 0 && M > 0 && N > 0; b++)
        cpu_sgemm(ctx, false, false, M, N, K, 1.0f, A + b * M * K, K, Bm + b * K * N, N, 0.0f, C + b * M * N, N);
    /* C's strides per label ([batch, M, N] contiguous), read in output order */
    int64_t cst[IR_EINSUM_LABELS] = {0}, s = 1;
    int roles[3] = {ES_BATCH, ES_M, ES_N};
    for (int ri = 2; ri >= 0; ri--)
        for (int i = p->n[roles[ri]] - 1; i >= 0; i--) {
            int l = p->lab[roles[ri]][i];
            cst[l] = s;
            s *= e->size[l];
        }
    for (int d = 0; d < e->out_rank; d++) { dims[d] = e->size[e->out_labels[d]]; st[d] = cst[e->out_labels[d]]; }
    es_gather(out->data, C, e->out_rank, dims, st);
    ts_free(buf);
    return TS_OK;
}

CPU_RD_KERNEL(cpu_rd_run_einsum) {
    (void)n_out;
    ir_einsum e;
    ts_status st = ir_einsum_parse(n, in, n_in, &e);
    if (st) return st;
    es_gemm_plan plan;
    if (n_in == 2 && in[0]->dtype == TS_F32 && out[0]->dtype == TS_F32 && es_gemm_plan_make(&e, in, &plan))
        return es_run_gemm(ctx, &e, &plan, in, out[0]);
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

/* cpu kernels "reduce": Reduce*, ArgMax/ArgMin and the kernel table (the
 * Softmax family, TopK & co. and Einsum live in op_reduce_*.c).
 *
 * Reductions accumulate in double whatever the dtype. The input is viewed as
 * a few collapsed dims, each kept or reduced; a walk over them adds every
 * element into its output slot, with the innermost dim as a tight loop. The
 * outermost dim is split across threads when it is kept (slots disjoint). */
#include "cpu/op_reduce.h"
#include "ir/op_reduce.h"

#include <math.h>
#include <string.h>

enum { RD_SUM, RD_MEAN, RD_MAX, RD_MIN, RD_PROD, RD_L1, RD_L2, RD_SUMSQ, RD_LSE, RD_LOGSUM,
       RD_EXPSUM /* LSE's second pass: sum of exp(x - max) */ };

static const struct { const char *op; int code; } rd_ops[] = {
    {"ReduceSum", RD_SUM}, {"ReduceMean", RD_MEAN}, {"ReduceMax", RD_MAX}, {"ReduceMin", RD_MIN},
    {"ReduceProd", RD_PROD}, {"ReduceL1", RD_L1}, {"ReduceL2", RD_L2},
    {"ReduceSumSquare", RD_SUMSQ}, {"ReduceLogSumExp", RD_LSE}, {"ReduceLogSum", RD_LOGSUM},
};

typedef struct rd_job {
    int op;
    int m;                         /* collapsed rank, >= 1 */
    int64_t dims[TS_MAX_RANK], ist[TS_MAX_RANK], ost[TS_MAX_RANK];
    bool red[TS_MAX_RANK];
    const float *xf;               /* float32 input, or */
    const double *xd;              /* every other dtype, converted */
    double *acc;                   /* one slot per output element */
    const double *shift;           /* RD_EXPSUM: the max of each slot */
} rd_job;

static inline double rd_comb(int op, double a, double x, double s) {
    switch (op) {
    case RD_MAX: return (x > a || isnan(x)) && !isnan(a) ? x : a;
    case RD_MIN: return (x < a || isnan(x)) && !isnan(a) ? x : a;
    case RD_PROD: return a * x;
    case RD_L1: return a + fabs(x);
    case RD_L2: case RD_SUMSQ: return a + x * x;
    case RD_EXPSUM: return a + exp(x - s);
    default: return a + x;
    }
}

static double rd_init(int op) {
    switch (op) {
    case RD_MAX: case RD_LSE: return -INFINITY;
    case RD_MIN: return INFINITY;
    case RD_PROD: return 1.0;
    default: return 0.0;
    }
}

#define RD_X(j, i) ((j)->xf ? (double)(j)->xf[i] : (j)->xd[i])

/* The innermost collapsed dim: reduced (a row into one slot) or kept. */
static void rd_inner(const rd_job *j, int64_t xoff, int64_t ooff, int64_t n) {
    int d = j->m - 1, op = j->op;
    double *acc = j->acc;
    if (j->red[d]) {
        double s = j->shift ? j->shift[ooff] : 0, a = acc[ooff];
        if (j->xf && (op == RD_SUM || op == RD_MEAN || op == RD_SUMSQ || op == RD_L2)) {
            /* four independent chains: an add's latency no longer bounds the loop */
            const float *x = j->xf + xoff;
            bool sq = op == RD_SUMSQ || op == RD_L2;
            double c[4] = {0, 0, 0, 0};
            int64_t i = 0;
            if (sq) {
                for (; i + 4 <= n; i += 4)
                    for (int k = 0; k < 4; k++) c[k] += (double)x[i + k] * x[i + k];
                for (; i < n; i++) c[0] += (double)x[i] * x[i];
            } else {
                for (; i + 4 <= n; i += 4)
                    for (int k = 0; k < 4; k++) c[k] += x[i + k];
                for (; i < n; i++) c[0] += x[i];
            }
            a += (c[0] + c[1]) + (c[2] + c[3]);
        } else {
            for (int64_t i = 0; i < n; i++) a = rd_comb(op, a, RD_X(j, xoff + i), s);
        }
        acc[ooff] = a;
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        double s = j->shift ? j->shift[ooff + i] : 0;
        acc[ooff + i] = rd_comb(op, acc[ooff + i], RD_X(j, xoff + i), s);
    }
}

/* Walks dims 0..m-2 with dim 0 limited to [b, e); the innermost in rd_inner. */
static void rd_walk(void *arg, int64_t b, int64_t e) {
    const rd_job *j = arg;
    int m = j->m;
    if (m == 1) {
        if (j->red[0]) rd_inner(j, 0, 0, j->dims[0]);
        else rd_inner(j, b, b, e - b);
        return;
    }
    int64_t idx[TS_MAX_RANK] = {0};
    idx[0] = b;
    while (idx[0] < e) {
        int64_t xo = 0, oo = 0;
        for (int d = 0; d < m - 1; d++) { xo += idx[d] * j->ist[d]; oo += idx[d] * j->ost[d]; }
        rd_inner(j, xo, oo, j->dims[m - 1]);
        int d = m - 2;
        while (d > 0 && ++idx[d] == j->dims[d]) idx[d--] = 0;
        if (d == 0) idx[0]++;
    }
}

/* Collapses the input into runs of kept / reduced dims (size-1 dims dropped). */
static void rd_collapse(rd_job *j, const ts_tensor *x, const bool *mask) {
    int m = 0;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 1) continue;
        if (m > 0 && j->red[m - 1] == mask[d]) { j->dims[m - 1] *= x->dims[d]; continue; }
        j->dims[m] = x->dims[d];
        j->red[m++] = mask[d];
    }
    if (m == 0) { j->dims[0] = 1; j->red[0] = true; m = 1; }
    j->m = m;
    int64_t s = 1, os = 1;
    for (int d = m - 1; d >= 0; d--) {
        j->ist[d] = s;
        s *= j->dims[d];
        j->ost[d] = j->red[d] ? 0 : os;
        if (!j->red[d]) os *= j->dims[d];
    }
}

static void rd_pass(cpu_ctx *ctx, rd_job *j, int op, int64_t n_out, int64_t n_in) {
    j->op = op;
    for (int64_t i = 0; i < n_out; i++) j->acc[i] = rd_init(op == RD_EXPSUM ? RD_SUM : op);
    if (n_in == 0) return;
    if (j->red[0] && j->m > 1) { rd_walk(j, 0, j->dims[0]); return; }
    int64_t per = n_in / j->dims[0];
    int64_t grain = TS_MAX(1, 32768 / TS_MAX(per, 1));
    ts_parallel_for(ctx ? ctx->pool : NULL, j->dims[0], j->red[0] ? j->dims[0] : grain, rd_walk, j);
}

static double rd_final(int op, double a, const double *mx, int64_t i, double count) {
    switch (op) {
    case RD_MEAN: return a / count;
    case RD_L2: return sqrt(a);
    case RD_LOGSUM: return log(a);
    case RD_LSE: return isinf(mx[i]) ? mx[i] : mx[i] + log(a);
    default: return a;
    }
}

static ts_status rd_run_reduce(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out) {
    (void)n_out;
    const ts_tensor *x = in[0];
    int op = -1;
    for (size_t k = 0; k < TS_ARRAY_LEN(rd_ops); k++)
        if (!strcmp(rd_ops[k].op, n->op_type)) op = rd_ops[k].code;
    bool mask[TS_MAX_RANK], noop;
    ts_status st = ir_reduce_axes(n, ctx ? ctx->opset : 21, n_in > 1 ? in[1] : NULL, x->rank, mask, &noop);
    if (st == IR_NEED_VALUE) st = ts_error(TS_ERR_INVALID, "node '%s' (%s): axes have no value", n->name, n->op_type);
    if (st) return st;
    if (op < 0) return ts_error(TS_ERR_INTERNAL, "node '%s': no reduce op %s", n->name, n->op_type);
    int64_t n_x = ts_tensor_numel(x), n_o = ts_tensor_numel(out[0]);
    if (noop) { memcpy(out[0]->data, x->data, ts_tensor_nbytes(x)); return TS_OK; }
    rd_job j = {0};
    rd_collapse(&j, x, mask);
    double *buf = ts_malloc(sizeof(double) * (size_t)(2 * n_o + (x->dtype == TS_F32 ? 0 : n_x)) + 1);
    if (!buf) return TS_ERR_NOMEM;
    j.acc = buf;
    if (x->dtype == TS_F32) j.xf = x->data;
    else {
        double *xd = buf + 2 * n_o;
        for (int64_t i = 0; i < n_x; i++) xd[i] = cpu_ew_get_f(x->data, x->dtype, i);
        j.xd = xd;
    }
    double *mx = buf + n_o;
    if (op == RD_LSE) {
        rd_pass(ctx, &j, RD_MAX, n_o, n_x);
        memcpy(mx, j.acc, sizeof(double) * (size_t)n_o);
        j.shift = mx;
        rd_pass(ctx, &j, RD_EXPSUM, n_o, n_x);
    } else {
        rd_pass(ctx, &j, op, n_o, n_x);
    }
    double count = n_o ? (double)n_x / (double)n_o : 0;
    for (int64_t i = 0; i < n_o; i++) ts_tensor_set(out[0], i, rd_final(op, j.acc[i], mx, i, count));
    ts_free(buf);
    return TS_OK;
}

/* ---- ArgMax / ArgMin -------------------------------------------------------- */

static ts_status rd_run_arg(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int axis;
    ts_status st = ir_norm_axis(n, ir_attr_int(n, "axis", 0), TS_MAX(x->rank, 1), &axis);
    if (st) return st;
    bool is_max = !strcmp(n->op_type, "ArgMax"), last = ir_attr_int(n, "select_last_index", 0) != 0;
    int64_t outer = 1, R = x->rank ? x->dims[axis] : 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    int64_t *y = out[0]->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * R * inner + i, best = 0;
            double bv = cpu_ew_get_f(x->data, x->dtype, base);
            for (int64_t r = 1; r < R; r++) {
                double v = cpu_ew_get_f(x->data, x->dtype, base + r * inner);
                bool better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                if (better) { bv = v; best = r; }
            }
            y[o * inner + i] = best;
        }
    }
    return TS_OK;
}

const cpu_kernel cpu_kernels_reduce[] = {
    {"ReduceSum", rd_run_reduce}, {"ReduceMean", rd_run_reduce}, {"ReduceMax", rd_run_reduce},
    {"ReduceMin", rd_run_reduce}, {"ReduceProd", rd_run_reduce}, {"ReduceL1", rd_run_reduce},
    {"ReduceL2", rd_run_reduce}, {"ReduceSumSquare", rd_run_reduce},
    {"ReduceLogSumExp", rd_run_reduce}, {"ReduceLogSum", rd_run_reduce},
    {"ArgMax", rd_run_arg}, {"ArgMin", rd_run_arg},
    {"Softmax", cpu_rd_run_softmax}, {"LogSoftmax", cpu_rd_run_softmax},
    {"Hardmax", cpu_rd_run_softmax},
    {"TopK", cpu_rd_run_topk}, {"CumSum", cpu_rd_run_cumsum}, {"Trilu", cpu_rd_run_trilu},
    {"OneHot", cpu_rd_run_onehot}, {"NonZero", cpu_rd_run_nonzero},
    {"Einsum", cpu_rd_run_einsum},
    {"NegativeLogLikelihoodLoss", cpu_rd_run_nll}, {"SoftmaxCrossEntropyLoss", cpu_rd_run_sce},
    {"Det", cpu_rd_run_det}, {"DFT", cpu_rd_run_dft},
    {"STFT", cpu_rd_run_stft}, {"MeanVarianceNormalization", cpu_rd_run_mvn},
    {NULL, NULL}};

/* cpu kernels: Softmax, LogSoftmax, Hardmax.
 *
 * Before opset 13 the input is coerced to 2D [prod(dims[:axis]),
 * prod(dims[axis:])]; from 13 on the op runs along the one axis. Rows are
 * independent and split across threads. Contiguous float32 rows (the case
 * models hit) run in float; everything else gathers each row into doubles. */
#include "cpu/op_reduce.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

enum { SM_SOFT, SM_LOG, SM_HARD };

void cpu_rd_split(const ts_tensor *x, int axis, int64_t *outer, int64_t *len, int64_t *inner) {
    *outer = *len = *inner = 1;
    for (int d = 0; d < x->rank; d++) {
        if (d < axis) *outer *= x->dims[d];
        else if (d == axis) *len = x->dims[d];
        else *inner *= x->dims[d];
    }
}

typedef struct sm_job {
    int kind;
    const ts_tensor *x;
    ts_tensor *y;
    int64_t len, inner;
    atomic_bool nomem;
} sm_job;

/* One row of doubles in place. */
static void sm_row_d(int kind, double *v, int64_t n) {
    int64_t arg = 0;
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < n; i++) if (v[i] > mx || (i == 0)) { mx = v[i]; arg = i; }
    if (kind == SM_HARD) {
        for (int64_t i = 0; i < n; i++) v[i] = i == arg ? 1.0 : 0.0;
        return;
    }
    for (int64_t i = 0; i < n; i++) sum += exp(v[i] - mx);
    if (kind == SM_LOG) {
        double l = log(sum);
        for (int64_t i = 0; i < n; i++) v[i] = v[i] - mx - l;
        return;
    }
    for (int64_t i = 0; i < n; i++) v[i] = exp(v[i] - mx) / sum;
}

static void sm_row_f32(int kind, const float *x, float *y, int64_t n) {
    float mx = x[0];
    for (int64_t i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (kind == SM_HARD) {
        int64_t arg = 0;
        while (arg < n - 1 && !(x[arg] == mx)) arg++;
        for (int64_t i = 0; i < n; i++) y[i] = i == arg ? 1.0f : 0.0f;
        return;
    }
    /* y = exp(x - max) four lanes at a time; the tail through a padded vector */
    const cpu_ew_v4 vmx = cpu_ew_splat(mx);
    cpu_ew_v4 acc = cpu_ew_splat(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        cpu_ew_v4 e = cpu_ew_exp_v4(cpu_ew_ld(x + i) - vmx);
        acc += e;
        if (kind == SM_SOFT) cpu_ew_st(y + i, e);
    }
    float sum = acc[0] + acc[1] + acc[2] + acc[3];
    if (i < n) {
        float t[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        memcpy(t, x + i, sizeof(float) * (size_t)(n - i));
        cpu_ew_v4 e = cpu_ew_exp_v4(cpu_ew_ld(t) - vmx);
        sum += e[0] + e[1] + e[2] + e[3];
        if (kind == SM_SOFT) { cpu_ew_st(t, e); memcpy(y + i, t, sizeof(float) * (size_t)(n - i)); }
    }
    if (kind == SM_LOG) {
        float l = logf(sum);
        for (int64_t k = 0; k < n; k++) y[k] = x[k] - mx - l;
        return;
    }
    float inv = 1.0f / sum;
    for (int64_t k = 0; k < n; k++) y[k] *= inv;
}

/* Rows [b, e) of outer*inner rows; row r = (o, i), elements strided by inner. */
static void sm_rows(void *arg, int64_t b, int64_t e) {
    const sm_job *j = arg;
    if (j->x->dtype == TS_F32 && j->inner == 1) {
        for (int64_t r = b; r < e; r++)
            sm_row_f32(j->kind, (const float *)j->x->data + r * j->len, (float *)j->y->data + r * j->len, j->len);
        return;
    }
    double stack[1024], *v = stack;
    if (j->len > 1024 && !(v = ts_malloc(sizeof(double) * (size_t)j->len))) {
        atomic_store((atomic_bool *)&j->nomem, true);
        return;
    }
    for (int64_t r = b; r < e; r++) {
        int64_t o = r / j->inner, i = r % j->inner, base = o * j->len * j->inner + i;
        for (int64_t k = 0; k < j->len; k++) v[k] = cpu_ew_get_f(j->x->data, j->x->dtype, base + k * j->inner);
        sm_row_d(j->kind, v, j->len);
        for (int64_t k = 0; k < j->len; k++) ts_tensor_set(j->y, base + k * j->inner, v[k]);
    }
    if (v != stack) ts_free(v);
}

CPU_RD_KERNEL(cpu_rd_run_softmax) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int opset = ctx && ctx->opset > 0 ? ctx->opset : 21, axis;
    ts_status st = ir_norm_axis(n, ir_attr_int(n, "axis", opset >= 13 ? -1 : 1), x->rank, &axis);
    if (st) return st;
    sm_job j = {!strcmp(n->op_type, "LogSoftmax") ? SM_LOG : !strcmp(n->op_type, "Hardmax") ? SM_HARD : SM_SOFT,
                x, out[0], 0, 0, false};
    int64_t outer;
    cpu_rd_split(x, axis, &outer, &j.len, &j.inner);
    if (opset < 13) { j.len *= j.inner; j.inner = 1; }
    int64_t rows = outer * j.inner;
    if (rows == 0 || j.len == 0) return TS_OK;
    ts_parallel_for(ctx ? ctx->pool : NULL, rows, TS_MAX(1, 16384 / j.len), sm_rows, &j);
    return atomic_load(&j.nomem) ? TS_ERR_NOMEM : TS_OK;
}

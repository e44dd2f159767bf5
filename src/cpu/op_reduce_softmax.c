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

/* float32 softmax along a non-last axis: a task is one outer block and up
 * to SM_COLS adjacent columns; the columns are independent rows strided by
 * inner, walked together so every access is contiguous. */
#define SM_COLS 256

static void sm_cols_f32(void *arg, int64_t b, int64_t e) {
    const sm_job *j = arg;
    int64_t per = (j->inner + SM_COLS - 1) / SM_COLS, L = j->len, I = j->inner;
    float mx[SM_COLS], sum[SM_COLS];
    for (int64_t t = b; t < e; t++) {
        int64_t o = t / per, c0 = t % per * SM_COLS, w = TS_MIN(SM_COLS, I - c0);
        const float *x = (const float *)j->x->data + o * L * I + c0;
        float *y = (float *)j->y->data + o * L * I + c0;
        for (int64_t c = 0; c < w; c++) { mx[c] = x[c]; sum[c] = 0; }
        for (int64_t k = 1; k < L; k++)
            for (int64_t c = 0; c < w; c++) mx[c] = x[k * I + c] > mx[c] ? x[k * I + c] : mx[c];
        if (j->kind == SM_HARD) {
            for (int64_t c = 0; c < w; c++) sum[c] = 0;   /* 0: max not yet placed */
            for (int64_t k = 0; k < L; k++)
                for (int64_t c = 0; c < w; c++) {
                    bool first = !sum[c] && x[k * I + c] == mx[c];
                    y[k * I + c] = first ? 1.0f : 0.0f;
                    if (first) sum[c] = 1;
                }
            continue;
        }
        for (int64_t k = 0; k < L; k++) {
            int64_t c = 0;
            for (; c + 4 <= w; c += 4) {
                cpu_ew_v4 ev = cpu_ew_exp_v4(cpu_ew_ld(x + k * I + c) - cpu_ew_ld(mx + c));
                cpu_ew_st(sum + c, cpu_ew_ld(sum + c) + ev);
                if (j->kind == SM_SOFT) cpu_ew_st(y + k * I + c, ev);
            }
            for (; c < w; c++) {
                float ev = expf(x[k * I + c] - mx[c]);
                sum[c] += ev;
                if (j->kind == SM_SOFT) y[k * I + c] = ev;
            }
        }
        for (int64_t c = 0; c < w; c++) sum[c] = j->kind == SM_LOG ? mx[c] + logf(sum[c]) : 1.0f / sum[c];
        for (int64_t k = 0; k < L; k++)
            for (int64_t c = 0; c < w; c++)
                y[k * I + c] = j->kind == SM_LOG ? x[k * I + c] - sum[c] : y[k * I + c] * sum[c];
    }
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
    if (x->dtype == TS_F32 && j.inner > 1) {
        int64_t tasks = outer * ((j.inner + SM_COLS - 1) / SM_COLS);
        ts_parallel_for(ctx ? ctx->pool : NULL, tasks, TS_MAX(1, 16384 / (j.len * SM_COLS)), sm_cols_f32, &j);
        return TS_OK;
    }
    ts_parallel_for(ctx ? ctx->pool : NULL, rows, TS_MAX(1, 16384 / j.len), sm_rows, &j);
    return atomic_load(&j.nomem) ? TS_ERR_NOMEM : TS_OK;
}

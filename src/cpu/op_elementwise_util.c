/* Typed scalar access and the broadcast iterator shared by the elementwise
 * and reduce kernels (see op_elementwise.h). */
#include "cpu/op_elementwise.h"

#include <math.h>
#include <string.h>

cpu_ew_dom cpu_ew_domain(ts_dtype t) {
    switch (t) {
    case TS_I8: case TS_I16: case TS_I32: case TS_I64: return CPU_EW_I;
    case TS_U8: case TS_U16: case TS_U32: case TS_U64: case TS_BOOL: return CPU_EW_U;
    default: return CPU_EW_F;
    }
}

double cpu_ew_get_f(const void *data, ts_dtype t, int64_t i) {
    switch (t) {
    case TS_F32: return ((const float *)data)[i];
    case TS_F64: return ((const double *)data)[i];
    case TS_F16: return ts_f16_to_f32(((const uint16_t *)data)[i]);
    case TS_BF16: return ts_bf16_to_f32(((const uint16_t *)data)[i]);
    case TS_I8: return ((const int8_t *)data)[i];
    case TS_U8: return ((const uint8_t *)data)[i];
    case TS_I16: return ((const int16_t *)data)[i];
    case TS_U16: return ((const uint16_t *)data)[i];
    case TS_I32: return ((const int32_t *)data)[i];
    case TS_U32: return ((const uint32_t *)data)[i];
    case TS_I64: return (double)((const int64_t *)data)[i];
    case TS_U64: return (double)((const uint64_t *)data)[i];
    case TS_BOOL: return ((const uint8_t *)data)[i] ? 1.0 : 0.0;
    default: return NAN;
    }
}

/* Saturating double -> int64 (NaN -> 0): a plain C cast would be UB. */
static int64_t ew_f_to_i(double v) {
    if (!(v == v)) return 0;
    if (v >= 9223372036854775808.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static uint64_t ew_f_to_u(double v) {
    if (!(v > 0)) return 0;
    if (v >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)v;
}

/* Integer bits of element i, sign- or zero-extended; floats convert. */
static uint64_t ew_get_bits(const void *data, ts_dtype t, int64_t i, bool *is_float) {
    *is_float = false;
    switch (t) {
    case TS_I8: return (uint64_t)(int64_t)((const int8_t *)data)[i];
    case TS_U8: case TS_BOOL: return ((const uint8_t *)data)[i];
    case TS_I16: return (uint64_t)(int64_t)((const int16_t *)data)[i];
    case TS_U16: return ((const uint16_t *)data)[i];
    case TS_I32: return (uint64_t)(int64_t)((const int32_t *)data)[i];
    case TS_U32: return ((const uint32_t *)data)[i];
    case TS_I64: return (uint64_t)((const int64_t *)data)[i];
    case TS_U64: return ((const uint64_t *)data)[i];
    default: *is_float = true; return 0;
    }
}

int64_t cpu_ew_get_i(const void *data, ts_dtype t, int64_t i) {
    bool fl;
    uint64_t b = ew_get_bits(data, t, i, &fl);
    return fl ? ew_f_to_i(cpu_ew_get_f(data, t, i)) : (int64_t)b;
}

cpu_ew_val cpu_ew_load(const void *data, ts_dtype t, int64_t i, cpu_ew_dom d) {
    cpu_ew_val v;
    if (d == CPU_EW_F) { v.f = cpu_ew_get_f(data, t, i); return v; }
    bool fl;
    uint64_t b = ew_get_bits(data, t, i, &fl);
    if (!fl) { v.u = b; return v; }
    double f = cpu_ew_get_f(data, t, i);
    if (d == CPU_EW_I) v.i = ew_f_to_i(f); else v.u = ew_f_to_u(f);
    return v;
}

static void ew_store_bits(void *data, ts_dtype t, int64_t i, uint64_t b) {
    switch (t) {
    case TS_I8: case TS_U8: ((uint8_t *)data)[i] = (uint8_t)b; break;
    case TS_I16: case TS_U16: ((uint16_t *)data)[i] = (uint16_t)b; break;
    case TS_I32: case TS_U32: ((uint32_t *)data)[i] = (uint32_t)b; break;
    case TS_I64: case TS_U64: ((uint64_t *)data)[i] = b; break;
    case TS_BOOL: ((uint8_t *)data)[i] = b != 0; break;
    default: break;
    }
}

static void ew_store_f(void *data, ts_dtype t, int64_t i, double f) {
    switch (t) {
    case TS_F32: ((float *)data)[i] = (float)f; return;
    case TS_F64: ((double *)data)[i] = f; return;
    case TS_F16: ((uint16_t *)data)[i] = ts_f32_to_f16((float)f); return;
    case TS_BF16: ((uint16_t *)data)[i] = ts_f32_to_bf16((float)f); return;
    case TS_BOOL: ((uint8_t *)data)[i] = f != 0; return;
    case TS_I64: ew_store_bits(data, t, i, (uint64_t)ew_f_to_i(f)); return;
    case TS_U64: ew_store_bits(data, t, i, ew_f_to_u(f)); return;
    default: {
        /* narrower integers saturate to their own range */
        int bits = (int)ts_dtype_size(t) * 8;
        bool sign = ts_dtype_is_int(t) && t != TS_U8 && t != TS_U16 && t != TS_U32;
        double hi = ldexp(1.0, sign ? bits - 1 : bits) - 1, lo = sign ? -hi - 1 : 0;
        ew_store_bits(data, t, i, (uint64_t)ew_f_to_i(f < lo ? lo : f > hi ? hi : f));
        return;
    }
    }
}

void cpu_ew_store(void *data, ts_dtype t, int64_t i, cpu_ew_val v, cpu_ew_dom d) {
    if (d == CPU_EW_F) { ew_store_f(data, t, i, v.f); return; }
    if (ts_dtype_is_float(t)) {
        ew_store_f(data, t, i, d == CPU_EW_I ? (double)v.i : (double)v.u);
        return;
    }
    ew_store_bits(data, t, i, v.u);
}

/* ---- broadcast iterator ---------------------------------------------------- */

void cpu_ew_iter_init(cpu_ew_iter *it, const ts_tensor *out, const ts_tensor **in, int n_in) {
    int R = out->rank;
    int64_t st[CPU_EW_MAX_IN][TS_MAX_RANK];
    for (int k = 0; k < n_in; k++) {
        int r = in[k]->rank;
        int64_t s = 1;
        for (int d = R - 1; d >= 0; d--) {
            int j = d - (R - r);
            if (j < 0 || in[k]->dims[j] == 1) { st[k][d] = 0; continue; }
            st[k][d] = s;
            s *= in[k]->dims[j];
        }
    }
    memset(it, 0, sizeof *it);
    it->n_in = n_in;
    it->numel = ts_shape_numel(R, out->dims);
    int m = 0;
    for (int d = 0; d < R; d++) {
        if (out->dims[d] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; k < n_in && merge; k++)
            merge = it->st[k][m - 1] == st[k][d] * out->dims[d];   /* previous kept dim's stride */
        if (merge) {
            it->dims[m - 1] *= out->dims[d];
            for (int k = 0; k < n_in; k++) it->st[k][m - 1] = st[k][d];
            continue;
        }
        it->dims[m] = out->dims[d];
        for (int k = 0; k < n_in; k++) it->st[k][m] = st[k][d];
        m++;
    }
    if (m == 0) { it->dims[0] = 1; m = 1; }
    it->rank = m;
}

void cpu_ew_iter_runs(const cpu_ew_iter *it, int64_t begin, int64_t end,
                      cpu_ew_run_fn fn, void *arg) {
    int R = it->rank, last = R - 1;
    int64_t idx[TS_MAX_RANK], off[CPU_EW_MAX_IN], inner[CPU_EW_MAX_IN];
    if (begin >= end) return;
    int64_t rem = begin;
    for (int d = last; d >= 0; d--) { idx[d] = rem % it->dims[d]; rem /= it->dims[d]; }
    for (int k = 0; k < it->n_in; k++) inner[k] = it->st[k][last];
    int64_t o = begin;
    while (o < end) {
        for (int k = 0; k < it->n_in; k++) {
            off[k] = 0;
            for (int d = 0; d < R; d++) off[k] += idx[d] * it->st[k][d];
        }
        int64_t len = TS_MIN(it->dims[last] - idx[last], end - o);
        fn(arg, o, off, inner, len);
        o += len;
        idx[last] += len;
        for (int d = last; d > 0 && idx[d] >= it->dims[d]; d--) { idx[d] = 0; idx[d - 1]++; }
    }
}

typedef struct ew_par { const cpu_ew_iter *it; cpu_ew_run_fn fn; void *arg; } ew_par;

static void ew_par_range(void *p, int64_t b, int64_t e) {
    ew_par *a = p;
    cpu_ew_iter_runs(a->it, b, e, a->fn, a->arg);
}

void cpu_ew_iter_parallel(cpu_ctx *ctx, const cpu_ew_iter *it, int cost,
                          cpu_ew_run_fn fn, void *arg) {
    ew_par a = {it, fn, arg};
    int64_t grain = 65536 / (cost < 1 ? 1 : cost);
    ts_parallel_for(ctx ? ctx->pool : NULL, it->numel, grain, ew_par_range, &a);
}

typedef struct ew_copy { const char *src; char *dst; size_t es; } ew_copy;

static void ew_copy_run(void *p, int64_t o, const int64_t *off, const int64_t *inner, int64_t len) {
    ew_copy *c = p;
    size_t es = c->es;
    char *d = c->dst + (size_t)o * es;
    const char *s = c->src + (size_t)off[0] * es;
    if (inner[0]) { memcpy(d, s, (size_t)len * es); return; }
    for (int64_t i = 0; i < len; i++) memcpy(d + (size_t)i * es, s, es);
}

void cpu_ew_broadcast_copy(cpu_ctx *ctx, const ts_tensor *in, ts_tensor *out) {
    cpu_ew_iter it;
    cpu_ew_iter_init(&it, out, &in, 1);
    ew_copy c = {in->data, out->data, ts_dtype_size(out->dtype)};
    cpu_ew_iter_parallel(ctx, &it, 1, ew_copy_run, &c);
}

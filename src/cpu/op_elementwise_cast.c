/* cpu kernels: Cast, CastLike, Identity, Dropout (inference). */
#include "cpu/op_elementwise.h"

#include <string.h>

typedef struct ew_cast { const ts_tensor *x; ts_tensor *y; cpu_ew_dom d; } ew_cast;

static void ew_cast_range(void *arg, int64_t b, int64_t e) {
    const ew_cast *c = arg;
    ts_dtype from = c->x->dtype, to = c->y->dtype;
    if (from == TS_F32 && to == TS_F16) {
        const float *x = c->x->data;
        uint16_t *y = c->y->data;
        for (int64_t i = b; i < e; i++) y[i] = ts_f32_to_f16(x[i]);
        return;
    }
    if (from == TS_F16 && to == TS_F32) {
        const uint16_t *x = c->x->data;
        float *y = c->y->data;
        for (int64_t i = b; i < e; i++) y[i] = ts_f16_to_f32(x[i]);
        return;
    }
    /* The source's own domain keeps int64 exact and rounds floats once. */
    for (int64_t i = b; i < e; i++)
        cpu_ew_store(c->y->data, to, i, cpu_ew_load(c->x->data, from, i, c->d), c->d);
}

/* Cast / CastLike: the output dtype was set by inference ("to" or the second
 * input's dtype). Float -> integer saturates (NaN -> 0); integer -> narrower
 * integer wraps, as numpy's astype does. */
ts_status cpu_ew_run_cast(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    if (ts_dtype_size(x->dtype) == 0 || ts_dtype_size(y->dtype) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): cast from %s to %s not supported",
                        n->name, n->op_type, ts_dtype_name(x->dtype), ts_dtype_name(y->dtype));
    if (x->dtype == y->dtype) {
        memcpy(y->data, x->data, ts_tensor_nbytes(x));
        return TS_OK;
    }
    ew_cast c = {x, y, cpu_ew_domain(x->dtype)};
    ts_parallel_for(ctx ? ctx->pool : NULL, ts_tensor_numel(x), 32768, ew_cast_range, &c);
    return TS_OK;
}

ts_status cpu_ew_run_identity(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in; (void)n_out;
    if (ts_dtype_size(in[0]->dtype) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): dtype %s not supported",
                        n->name, n->op_type, ts_dtype_name(in[0]->dtype));
    if (out[0]->data != in[0]->data) memcpy(out[0]->data, in[0]->data, ts_tensor_nbytes(in[0]));
    return TS_OK;
}

/* Dropout at inference is the identity with an all-true mask. Training mode
 * with a non-zero ratio draws random masks, which this kernel does not do. */
ts_status cpu_ew_run_dropout(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out) {
    const ts_tensor *ratio = n_in > 1 ? in[1] : NULL, *train = n_in > 2 ? in[2] : NULL;
    double r = ratio && ts_tensor_numel(ratio) == 1 ? cpu_ew_get_f(ratio->data, ratio->dtype, 0)
                                                    : ir_attr_float(n, "ratio", 0.5f);
    bool training = train && ts_tensor_numel(train) == 1 && cpu_ew_get_f(train->data, train->dtype, 0) != 0;
    if (training && r != 0)
        return ts_error(TS_ERR_UNSUPPORTED,
                        "node '%s' (Dropout): training mode with ratio %g (random masks) is not supported",
                        n->name, r);
    ts_status st = cpu_ew_run_identity(ctx, n, in, 1, out, 1);
    if (st) return st;
    if (n_out > 1 && out[1]) {
        int64_t m = ts_tensor_numel(out[1]);
        for (int64_t i = 0; i < m; i++) ts_tensor_set(out[1], i, 1.0);
    }
    return TS_OK;
}

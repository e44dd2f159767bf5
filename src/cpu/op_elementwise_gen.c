/* cpu kernels: generators. HannWindow, HammingWindow, BlackmanWindow
 * (cosine sums over n / N, N = size when periodic, size - 1 when symmetric)
 * and EyeLike (ones on diagonal k). */
#include "cpu/op_elementwise.h"

#include <math.h>
#include <string.h>

ts_status cpu_ew_run_window(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out) {
    (void)ctx; (void)in; (void)n_in; (void)n_out;
    double a0, a1, a2 = 0;
    if (!strcmp(n->op_type, "HannWindow")) { a0 = 0.5; a1 = 0.5; }
    else if (!strcmp(n->op_type, "HammingWindow")) { a0 = 25.0 / 46.0; a1 = 1 - a0; }
    else { a0 = 0.42; a1 = 0.5; a2 = 0.08; }
    int64_t size = out[0]->dims[0];
    double N = ir_attr_int(n, "periodic", 1) ? (double)size : (double)(size - 1);
    for (int64_t i = 0; i < size; i++) {
        double t = N > 0 ? 2 * M_PI * (double)i / N : 0;
        ts_tensor_set(out[0], i, a0 - a1 * cos(t) + a2 * cos(2 * t));
    }
    return TS_OK;
}

ts_status cpu_ew_run_eyelike(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out) {
    (void)ctx; (void)in; (void)n_in; (void)n_out;
    int64_t k = ir_attr_int(n, "k", 0), R = out[0]->dims[0], C = out[0]->dims[1];
    memset(out[0]->data, 0, ts_tensor_nbytes(out[0]));
    for (int64_t i = 0; i < R; i++)
        if (i + k >= 0 && i + k < C) ts_tensor_set(out[0], i * C + i + k, 1.0);
    return TS_OK;
}

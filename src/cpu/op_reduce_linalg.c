/* cpu kernels: Det (LU with partial pivoting, in double) and
 * MeanVarianceNormalization ((x - mean) / (std + 1e-9) over `axes`). */
#include "cpu/op_reduce.h"

#include <math.h>
#include <string.h>

/* Determinant of the n x n row-major matrix a (destroyed). */
static double det_lu(double *a, int64_t n) {
    double det = 1;
    for (int64_t c = 0; c < n; c++) {
        int64_t p = c;
        for (int64_t r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
        if (a[p * n + c] == 0) return 0;
        if (p != c) {
            for (int64_t k = 0; k < n; k++) {
                double t = a[c * n + k]; a[c * n + k] = a[p * n + k]; a[p * n + k] = t;
            }
            det = -det;
        }
        double piv = a[c * n + c];
        det *= piv;
        for (int64_t r = c + 1; r < n; r++) {
            double f = a[r * n + c] / piv;
            for (int64_t k = c + 1; k < n; k++) a[r * n + k] -= f * a[c * n + k];
        }
    }
    return det;
}

CPU_RD_KERNEL(cpu_rd_run_det) {
    (void)ctx; (void)n; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    int64_t m = x->dims[x->rank - 1], mats = ts_tensor_numel(out[0]);
    double *a = ts_malloc(sizeof(double) * (size_t)(m * m) + 1);
    if (!a) return TS_ERR_NOMEM;
    for (int64_t b = 0; b < mats; b++) {
        for (int64_t i = 0; i < m * m; i++) a[i] = cpu_ew_get_f(x->data, x->dtype, b * m * m + i);
        ts_tensor_set(out[0], b, det_lu(a, m));
    }
    ts_free(a);
    return TS_OK;
}

/* Output slot of every input element when `mask` dims are reduced. */
static void mvn_slots(const ts_tensor *x, const bool *mask, int64_t *slot) {
    int64_t total = ts_tensor_numel(x), idx[TS_MAX_RANK] = {0};
    for (int64_t i = 0; i < total; i++) {
        int64_t s = 0;
        for (int d = 0; d < x->rank; d++) if (!mask[d]) s = s * x->dims[d] + idx[d];
        slot[i] = s;
        for (int d = x->rank - 1; d >= 0 && ++idx[d] == x->dims[d]; d--) idx[d] = 0;
    }
}

CPU_RD_KERNEL(cpu_rd_run_mvn) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    bool mask[TS_MAX_RANK] = {false};
    int na;
    const int64_t *axes = ir_attr_ints(n, "axes", &na);
    static const int64_t def_axes[] = {0, 2, 3};
    if (!axes) { axes = def_axes; na = 3; }
    for (int k = 0; k < na; k++) {
        int a;
        ts_status st = ir_norm_axis(n, axes[k], x->rank, &a);
        if (st) return st;
        mask[a] = true;
    }
    int64_t total = ts_tensor_numel(x), slots = 1;
    for (int d = 0; d < x->rank; d++) if (!mask[d]) slots *= x->dims[d];
    int64_t *slot = ts_malloc(sizeof(int64_t) * (size_t)total + 1);
    double *sum = ts_calloc((size_t)slots * 2 + 1, sizeof(double));
    if (!slot || !sum) { ts_free(slot); ts_free(sum); return TS_ERR_NOMEM; }
    double *sq = sum + slots, count = slots ? (double)total / (double)slots : 0;
    mvn_slots(x, mask, slot);
    for (int64_t i = 0; i < total; i++) {
        double v = cpu_ew_get_f(x->data, x->dtype, i);
        sum[slot[i]] += v;
        sq[slot[i]] += v * v;
    }
    for (int64_t i = 0; i < total; i++) {
        double mean = sum[slot[i]] / count, var = sq[slot[i]] / count - mean * mean;
        double v = cpu_ew_get_f(x->data, x->dtype, i);
        ts_tensor_set(out[0], i, (v - mean) / (sqrt(var > 0 ? var : 0) + 1e-9));
    }
    ts_free(slot);
    ts_free(sum);
    return TS_OK;
}

/* ---- DFT ------------------------------------------------------------------ */

/* Signals along `axis` of [..., C] (C = 1 real, 2 complex), of length L
 * (dft_length: zero-padded or truncated): X[k] = sum_n x[n] e^(-+2 pi i kn/L),
 * / L when inverse; k < L/2 + 1 when onesided. Direct O(L^2) sums in double
 * with the twiddles indexed by kn mod L, so they are exact table entries. */
CPU_RD_KERNEL(cpu_rd_run_dft) {
    (void)ctx; (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    int r = x->rank;
    int64_t a = ir_attr_int(n, "axis", 1);   /* checked by inference: [-r, -2] or [0, r-2] */
    int axis = (int)(a < 0 ? a + r : a);
    bool inverse = ir_attr_int(n, "inverse", 0) != 0;
    int64_t C = x->dims[r - 1], Nin = x->dims[axis], K = y->dims[axis], outer = 1, inner = 1;
    int64_t L = n_in > 1 && in[1] ? cpu_ew_get_i(in[1]->data, in[1]->dtype, 0) : Nin;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < r - 1; d++) inner *= x->dims[d];
    double *tw = ts_malloc(sizeof(double) * (size_t)(4 * L) + 1);
    if (!tw) return TS_ERR_NOMEM;
    double *re = tw + 2 * L, *im = re + L, sign = inverse ? 1 : -1;
    for (int64_t t = 0; t < L; t++) { tw[2 * t] = cos(2 * M_PI * t / L); tw[2 * t + 1] = sign * sin(2 * M_PI * t / L); }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            for (int64_t s = 0; s < L; s++) {
                int64_t at = ((o * Nin + s) * inner + i) * C;
                re[s] = s < Nin ? cpu_ew_get_f(x->data, x->dtype, at) : 0;
                im[s] = s < Nin && C == 2 ? cpu_ew_get_f(x->data, x->dtype, at + 1) : 0;
            }
            for (int64_t k = 0; k < K; k++) {
                double sr = 0, si = 0;
                for (int64_t s = 0; s < L; s++) {
                    int64_t t = (k * s) % L;
                    sr += re[s] * tw[2 * t] - im[s] * tw[2 * t + 1];
                    si += re[s] * tw[2 * t + 1] + im[s] * tw[2 * t];
                }
                if (inverse) { sr /= (double)L; si /= (double)L; }
                int64_t at = ((o * K + k) * inner + i) * 2;
                ts_tensor_set(y, at, sr);
                ts_tensor_set(y, at + 1, si);
            }
        }
    ts_free(tw);
    return TS_OK;
}

/* ---- STFT ----------------------------------------------------------------- */

/* signal [B, T, C]; frame f is x[f*step .. f*step + L) times the window (1
 * when none), transformed like DFT; [B, frames, bins, 2]. */
CPU_RD_KERNEL(cpu_rd_run_stft) {
    (void)ctx; (void)n; (void)n_out;
    const ts_tensor *x = in[0], *win = n_in > 2 ? in[2] : NULL;
    ts_tensor *y = out[0];
    int64_t B = x->dims[0], T = x->dims[1], C = x->dims[2];
    int64_t step = cpu_ew_get_i(in[1]->data, in[1]->dtype, 0);
    int64_t frames = y->dims[1], bins = y->dims[2];
    int64_t L = n_in > 3 && in[3] ? cpu_ew_get_i(in[3]->data, in[3]->dtype, 0) : win->dims[0];
    double *tw = ts_malloc(sizeof(double) * (size_t)(2 * L) + 1);
    if (!tw) return TS_ERR_NOMEM;
    for (int64_t t = 0; t < L; t++) { tw[2 * t] = cos(2 * M_PI * t / L); tw[2 * t + 1] = -sin(2 * M_PI * t / L); }
    for (int64_t b = 0; b < B; b++)
        for (int64_t f = 0; f < frames; f++)
            for (int64_t k = 0; k < bins; k++) {
                double sr = 0, si = 0;
                for (int64_t s = 0; s < L; s++) {
                    int64_t at = (b * T + f * step + s) * C;
                    double w = win ? cpu_ew_get_f(win->data, win->dtype, s) : 1.0;
                    double xr = cpu_ew_get_f(x->data, x->dtype, at) * w;
                    double xi = C == 2 ? cpu_ew_get_f(x->data, x->dtype, at + 1) * w : 0;
                    int64_t t = (k * s) % L;
                    sr += xr * tw[2 * t] - xi * tw[2 * t + 1];
                    si += xr * tw[2 * t + 1] + xi * tw[2 * t];
                }
                int64_t at = ((b * frames + f) * bins + k) * 2;
                ts_tensor_set(y, at, sr);
                ts_tensor_set(y, at + 1, si);
            }
    ts_free(tw);
    return TS_OK;
}

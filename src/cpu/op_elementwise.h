/*
 * Internal to the CPU elementwise and reduce kernels (not a public header).
 *
 * Two tools shared by many ops:
 *   - typed scalar access: every dtype loads into one of three compute
 *     domains (double, int64, uint64) and stores back, so one generic kernel
 *     serves all dtypes while float32 keeps its own fast loops;
 *   - a broadcast iterator: the output (row-major, contiguous) is cut into
 *     runs along its innermost collapsed dimension; each run gives every input
 *     an element offset and an inner stride of 0 (broadcast) or 1.
 *
 * Prefix: cpu_ew_.
 */
#ifndef TESSERA_CPU_OP_ELEMENTWISE_H
#define TESSERA_CPU_OP_ELEMENTWISE_H

#include "cpu/cpu.h"

#include <math.h>
#include <string.h>

typedef enum cpu_ew_dom { CPU_EW_F = 0, CPU_EW_I = 1, CPU_EW_U = 2 } cpu_ew_dom;

typedef union cpu_ew_val { double f; int64_t i; uint64_t u; } cpu_ew_val;

/* Floats compute in double, signed integers in int64, unsigned and bool in uint64. */
cpu_ew_dom cpu_ew_domain(ts_dtype t);
/* Element i of data (dtype t) converted into domain d (saturating, NaN -> 0). */
cpu_ew_val cpu_ew_load(const void *data, ts_dtype t, int64_t i, cpu_ew_dom d);
/* Stores v (domain d) as element i of data: float -> int saturates, int -> int wraps. */
void cpu_ew_store(void *data, ts_dtype t, int64_t i, cpu_ew_val v, cpu_ew_dom d);
double cpu_ew_get_f(const void *data, ts_dtype t, int64_t i);
int64_t cpu_ew_get_i(const void *data, ts_dtype t, int64_t i);

/* 4-float vectors (GCC/Clang vector extensions: SSE, NEON, or scalar code
 * on other targets). Comparisons give lane masks of -1 / 0; sel() blends
 * without branches (random signs would mispredict a branch half the time). */
typedef float cpu_ew_v4 __attribute__((vector_size(16)));
typedef int32_t cpu_ew_v4i __attribute__((vector_size(16)));

static inline cpu_ew_v4 cpu_ew_ld(const float *p) { cpu_ew_v4 v; memcpy(&v, p, 16); return v; }
static inline void cpu_ew_st(float *p, cpu_ew_v4 v) { memcpy(p, &v, 16); }
static inline cpu_ew_v4 cpu_ew_splat(float s) { return (cpu_ew_v4){s, s, s, s}; }
static inline cpu_ew_v4 cpu_ew_sel(cpu_ew_v4i m, cpu_ew_v4 a, cpu_ew_v4 b) {
    return (cpu_ew_v4)((m & (cpu_ew_v4i)a) | (~m & (cpu_ew_v4i)b));
}

/* e^x on 4 lanes within ~2 ulp of expf: x = n ln2 + r, |r| <= ln2/2, a
 * degree-6 polynomial for e^r, then 2^n built in the exponent bits (as
 * 2^(n-1) * 2 so n = 128 does not overflow early). Below -87 the result
 * flushes to 0 (true value < 2^-125), above 88.72 it is inf, NaN stays NaN. */
static inline cpu_ew_v4 cpu_ew_exp_v4(cpu_ew_v4 x) {
    const cpu_ew_v4 hi = cpu_ew_splat(88.72283935546875f), lo = cpu_ew_splat(-87.0f);
    cpu_ew_v4 xc = cpu_ew_sel(x > hi, hi, cpu_ew_sel(x < lo, lo, x));
    cpu_ew_v4 t = xc * 1.44269504088896341f + 0.5f;
    cpu_ew_v4i n = __builtin_convertvector(t, cpu_ew_v4i);
    n -= (cpu_ew_v4i)(__builtin_convertvector(n, cpu_ew_v4) > t) & 1;   /* floor */
    cpu_ew_v4 fn = __builtin_convertvector(n, cpu_ew_v4);
    cpu_ew_v4 r = xc - fn * 0.693359375f + fn * 2.12194440e-4f;
    cpu_ew_v4 p = 1.9875691500e-4f * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    cpu_ew_v4 scale = (cpu_ew_v4)((n + 126) << 23);
    cpu_ew_v4 y = p * scale * 2.0f;
    y = cpu_ew_sel(x < lo, cpu_ew_splat(0.0f), y);
    y = cpu_ew_sel(x > hi, cpu_ew_splat(INFINITY), y);
    return cpu_ew_sel(x != x, x, y);
}

/* tanh on 4 lanes (~3 ulp): an odd polynomial below |x| = 0.625, else
 * 1 - 2 / (e^2|x| + 1) with x's sign (no cancellation there). */
static inline cpu_ew_v4 cpu_ew_tanh_v4(cpu_ew_v4 x) {
    const cpu_ew_v4i sign = (cpu_ew_v4i)cpu_ew_splat(-0.0f);
    cpu_ew_v4 ax = (cpu_ew_v4)((cpu_ew_v4i)x & ~sign);
    cpu_ew_v4 s = x * x;
    cpu_ew_v4 p = -5.70498872745e-3f * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    cpu_ew_v4 small = p * s * x + x;
    cpu_ew_v4 big = 1.0f - 2.0f / (cpu_ew_exp_v4(ax + ax) + 1.0f);
    big = (cpu_ew_v4)((cpu_ew_v4i)big | ((cpu_ew_v4i)x & sign));
    return cpu_ew_sel(ax < 0.625f, small, big);
}

#define CPU_EW_MAX_IN 3

/* Broadcast of up to CPU_EW_MAX_IN inputs into a contiguous output, with
 * dims of size 1 dropped and mergeable neighbours collapsed. */
typedef struct cpu_ew_iter {
    int     rank;                            /* >= 1 after collapsing */
    int     n_in;
    int64_t dims[TS_MAX_RANK];
    int64_t st[CPU_EW_MAX_IN][TS_MAX_RANK];  /* element strides, 0 = broadcast */
    int64_t numel;
} cpu_ew_iter;

/* in[k] must broadcast to out's shape (checked by inference). */
void cpu_ew_iter_init(cpu_ew_iter *it, const ts_tensor *out, const ts_tensor **in, int n_in);

/* Called for each run of len output elements starting at output index o;
 * off[k] is input k's first element, inner[k] its stride (0 or 1). */
typedef void (*cpu_ew_run_fn)(void *arg, int64_t o, const int64_t *off,
                              const int64_t *inner, int64_t len);
/* Visits output elements [begin, end) in order as runs. */
void cpu_ew_iter_runs(const cpu_ew_iter *it, int64_t begin, int64_t end,
                      cpu_ew_run_fn fn, void *arg);
/* Same over all elements, split across ctx's threads; `cost` ~ relative work
 * per element (1 = an add) picks the grain. */
void cpu_ew_iter_parallel(cpu_ctx *ctx, const cpu_ew_iter *it, int cost,
                          cpu_ew_run_fn fn, void *arg);

/* Copies in (broadcast) into out; same dtype. */
void cpu_ew_broadcast_copy(cpu_ctx *ctx, const ts_tensor *in, ts_tensor *out);

/* Kernels defined in the split files, listed in cpu_kernels_elementwise[]. */
ts_status cpu_ew_run_unary(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                           ts_tensor **out, int n_out);
ts_status cpu_ew_run_clip(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out);
ts_status cpu_ew_run_cast(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out);
ts_status cpu_ew_run_identity(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out);
ts_status cpu_ew_run_window(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out);
ts_status cpu_ew_run_eyelike(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out);
ts_status cpu_ew_run_dropout(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out);

#endif

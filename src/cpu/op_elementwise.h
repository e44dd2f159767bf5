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
ts_status cpu_ew_run_dropout(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out);

#endif

/*
 * Internal to the CPU reduce kernels (not a public header): the kernels that
 * live in src/cpu/op_reduce_*.c and are listed in cpu_kernels_reduce[].
 * Prefix: cpu_rd_.
 */
#ifndef TESSERA_CPU_OP_REDUCE_H
#define TESSERA_CPU_OP_REDUCE_H

#include "cpu/op_elementwise.h"

#define CPU_RD_KERNEL(name)                                                       \
    ts_status name(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in, \
                   ts_tensor **out, int n_out)

CPU_RD_KERNEL(cpu_rd_run_softmax);   /* Softmax, LogSoftmax, Hardmax */
CPU_RD_KERNEL(cpu_rd_run_topk);
CPU_RD_KERNEL(cpu_rd_run_cumsum);
CPU_RD_KERNEL(cpu_rd_run_trilu);
CPU_RD_KERNEL(cpu_rd_run_onehot);
CPU_RD_KERNEL(cpu_rd_run_nonzero);
CPU_RD_KERNEL(cpu_rd_run_einsum);
CPU_RD_KERNEL(cpu_rd_run_nll);       /* NegativeLogLikelihoodLoss */
CPU_RD_KERNEL(cpu_rd_run_sce);       /* SoftmaxCrossEntropyLoss */
CPU_RD_KERNEL(cpu_rd_run_det);
CPU_RD_KERNEL(cpu_rd_run_dft);
CPU_RD_KERNEL(cpu_rd_run_stft);
CPU_RD_KERNEL(cpu_rd_run_mvn);       /* MeanVarianceNormalization */

/* [outer, axis, inner] sizes of x around axis. */
void cpu_rd_split(const ts_tensor *x, int axis, int64_t *outer, int64_t *len, int64_t *inner);

#endif

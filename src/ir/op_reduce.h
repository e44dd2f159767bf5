/*
 * Internal to the reduce ops: what their ir inference and their CPU kernels
 * both need to read from a node (the reduced axes, a parsed Einsum equation),
 * kept in one place so the two cannot disagree. Not a public header: only
 * src/ir/op_reduce*.c and src/cpu/op_reduce*.c include it.
 */
#ifndef TESSERA_IR_OP_REDUCE_H
#define TESSERA_IR_OP_REDUCE_H

#include "ir/ir.h"

/* Axes of a Reduce* node (attribute before opset 13 for ReduceSum / 18 for
 * the others, input 1 after) as mask[0..rank). No axes: all are reduced, or
 * none with noop_with_empty_axes (*noop set). IR_NEED_VALUE when the axes
 * input has no data yet. */
ts_status ir_reduce_axes(const ir_node *n, int opset, const ts_tensor *axes_in, int rank,
                         bool *mask, bool *noop);

/* Einsum labels: 'A'..'Z' -> 0..25, 'a'..'z' -> 26..51, ellipsis dims 52.. */
#define IR_EINSUM_LETTERS 52
#define IR_EINSUM_LABELS  (IR_EINSUM_LETTERS + TS_MAX_RANK)
#define IR_EINSUM_MAX_IN  8

typedef struct ir_einsum {
    int     n_in;
    int     rank[IR_EINSUM_MAX_IN];
    int     labels[IR_EINSUM_MAX_IN][TS_MAX_RANK]; /* label of each operand dim */
    int     out_rank;
    int     out_labels[TS_MAX_RANK];
    int     n_sum;                                 /* labels summed over */
    int     sum_labels[IR_EINSUM_LABELS];
    int64_t size[IR_EINSUM_LABELS];                /* broadcast size per label */
} ir_einsum;

/* Parses the node's "equation" against the input shapes: explicit ("->")
 * or implicit output, repeated labels (diagonals), broadcasting "...".
 * Errors name the node and the offending character. */
ts_status ir_einsum_parse(const ir_node *n, const ts_tensor **in, int n_in, ir_einsum *e);


#endif

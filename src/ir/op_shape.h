/*
 * ir/op_shape.h: the attribute and input semantics of the data-movement ops
 * (Slice, Pad, Split, Transpose), shared by their infer functions
 * (src/ir/op_shape.c) and their CPU kernels (src/cpu/op_shape*.c), so that
 * the shape a graph is planned with and the copy a kernel makes can never
 * disagree. Each resolver reads attributes or inputs according to the opset
 * (attributes before opset 10/11/13, inputs after), validates them with a
 * message naming the node, and returns IR_NEED_VALUE when an input it needs
 * has no data yet (static inference over a computed tensor).
 *
 * Internal to the ir and cpu layers; prefix ir_shape_.
 */
#ifndef TESSERA_IR_OP_SHAPE_H
#define TESSERA_IR_OP_SHAPE_H

#include "ir/ir.h"

/* Reads a 0-D or 1-D integer tensor (int8..uint64) into v (at most max
 * values); *count gets the element count. IR_NEED_VALUE without data. */
ts_status ir_shape_read_ints(const ir_node *n, const ts_tensor *t, const char *what,
                             int64_t *v, int max, int *count);

/* Slice: per axis of the data (rank r, dims d), the first index, the step
 * and the output length. Axes not named keep start 0, step 1, full length. */
ts_status ir_shape_slice(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                         int r, const int64_t *d, int64_t *start, int64_t *step,
                         int64_t *len);

/* Pad modes. */
typedef enum ir_pad_mode { IR_PAD_CONSTANT, IR_PAD_REFLECT, IR_PAD_EDGE, IR_PAD_WRAP } ir_pad_mode;

/* Pad: pads at the beginning and end of every axis (negative = crop) and the
 * mode. The constant value is read by the kernel (attribute 'value' before
 * opset 11, optional input 2 after). */
ts_status ir_shape_pad(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                       int r, const int64_t *d, int64_t *begin, int64_t *end,
                       ir_pad_mode *mode);

/* Split: the axis and the size of each of the n_out parts. */
ts_status ir_shape_split(const ir_node *n, int opset, const ts_tensor *const *in, int n_in,
                         int n_out, int r, const int64_t *d, int *axis, int64_t *sizes);

/* Transpose: the permutation (default reverses the axes), validated. */
ts_status ir_shape_perm(const ir_node *n, int r, int *perm);

/* Unique: the distinct slices of x along axis (axis -1: the distinct
 * elements of x flattened), in ascending lexicographic order when sorted,
 * else in order of first occurrence. first[u] is where unique slice u first
 * occurs, count[u] how often; inverse[i] is the unique slice that slice i
 * equals. Arrays from ts_malloc; free with ir_shape_unique_free. Needs x's
 * data (IR_NEED_VALUE without). */
typedef struct ir_unique {
    int64_t n_slices, n_unique;
    int64_t *first, *count, *inverse;
} ir_unique;
ts_status ir_shape_unique(const ir_node *n, const ts_tensor *x, int axis, bool sorted,
                          ir_unique *u);
void ir_shape_unique_free(ir_unique *u);

#endif

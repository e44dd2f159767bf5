/*
 * cpu/op_shape_int.h: internals of the data-movement kernels (op_shape*.c).
 *
 * Nearly every data-movement op is one strided copy: Transpose permutes the
 * source strides, Slice scales them by the steps, Expand sets them to 0 on
 * broadcast axes, Tile splits each axis in (repeat, dim) with a 0 stride,
 * Concat/Split write or read a sub-block. shp_copy() does that copy for any
 * element size (it never looks at values, so bool, float16, int64 and double
 * all move the same way): it drops size-1 axes, merges axes that are
 * contiguous in both tensors, copies contiguous runs with memcpy, blocks
 * transposes so both sides stay in cache, and splits the work over threads.
 *
 * Prefix: shp_.
 */
#ifndef TESSERA_CPU_OP_SHAPE_INT_H
#define TESSERA_CPU_OP_SHAPE_INT_H

#include "cpu/cpu.h"

#define SHP_MAX_DIMS (2 * TS_MAX_RANK)   /* Tile views rank r as 2r axes */
#define SHP_NODE_FMT "node '%s' (%s): "
#define SHP_NODE_ARGS(n) (n)->name ? (n)->name : "", (n)->op_type

/* dst[i...] = src[i...] over dims (rank <= SHP_MAX_DIMS); strides are in
 * elements and may be 0 or negative on the source side. */
void shp_copy(cpu_ctx *ctx, size_t esize, int rank, const int64_t *dims, void *dst,
              const int64_t *dst_stride, const void *src, const int64_t *src_stride);
/* Row-major element strides of a shape. */
void shp_strides(int rank, const int64_t *dims, int64_t *strides);
/* memcpy split over threads when large. */
void shp_memcpy(cpu_ctx *ctx, void *dst, const void *src, size_t bytes);
/* n copies of one esize-byte value. */
void shp_fill(cpu_ctx *ctx, void *dst, int64_t n, const void *value, size_t esize);

/* Index ops (op_shape_index.c). */
ts_status shp_gather(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                     ts_tensor **out, int n_out);
ts_status shp_gather_elements(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out);
ts_status shp_gather_nd(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out);
ts_status shp_scatter_nd(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                         ts_tensor **out, int n_out);
ts_status shp_scatter_elements(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out);
ts_status shp_compress(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                       ts_tensor **out, int n_out);
ts_status shp_reverse_sequence(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                               ts_tensor **out, int n_out);
/* Unique (op_shape_misc.c). */
ts_status shp_unique(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                     ts_tensor **out, int n_out);

#endif

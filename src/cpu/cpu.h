/*
 * cpu: host kernels for every ONNX op Tessera supports. They are the
 * reference every other device is checked against and the fallback for ops
 * the NPU lacks. Kernels are multithreaded through ts_parallel_for and
 * vectorized where it pays (GEMM, convolution), with runtime CPU dispatch
 * (AVX-512, AVX2, scalar) giving identical results within float rounding.
 *
 * A kernel receives its node, the input tensors (NULL for omitted optional
 * inputs) and output tensors already allocated with the shapes and dtypes
 * that the op's ir infer function computed. It writes the outputs and
 * returns TS_OK, or an error naming the node.
 *
 *   const cpu_kernel *k = cpu_kernel_find("", "Conv");
 *   cpu_ctx ctx = { .pool = pool };
 *   st = k->run(&ctx, node, in, n_in, out, n_out);
 *
 * Prefix: cpu_. Depends on base and ir.
 */
#ifndef TESSERA_CPU_H
#define TESSERA_CPU_H

#include "base/base.h"
#include "ir/ir.h"

typedef struct cpu_ctx {
    ts_pool *pool;     /* threads for ts_parallel_for; may be NULL (serial) */
    int      opset;
} cpu_ctx;

typedef ts_status (*cpu_run_fn)(cpu_ctx *ctx, const ir_node *n,
                                const ts_tensor **in, int n_in,
                                ts_tensor **out, int n_out);

typedef struct cpu_kernel {
    const char *op_type;
    cpu_run_fn  run;
} cpu_kernel;

/* Kernel groups, one table per file src/cpu/op_<group>.c, ended by an entry
 * with op_type NULL; the same groups as ir's op tables. */
extern const cpu_kernel cpu_kernels_elementwise[];
extern const cpu_kernel cpu_kernels_nn[];
extern const cpu_kernel cpu_kernels_shape[];
extern const cpu_kernel cpu_kernels_reduce[];

const cpu_kernel *cpu_kernel_find(const char *domain, const char *op_type);

/* Evaluates one node end to end: infers output shapes from the inputs,
 * allocates the outputs (*out[i] set, caller frees) and runs the kernel. */
ts_status cpu_eval_node(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out);

/* CPU feature level picked at run time (for reports and tests). */
typedef enum cpu_isa_level { CPU_SCALAR = 0, CPU_AVX2 = 1, CPU_AVX512 = 2 } cpu_isa_level;
cpu_isa_level cpu_detect_isa(void);
/* Tests force a lower path to check every path agrees. */
void          cpu_force_isa(cpu_isa_level level);
cpu_isa_level cpu_active_isa(void);
const char   *cpu_isa_name(cpu_isa_level level);

/* Shared float GEMM: C[M,N] = alpha * op(A) * op(B) + beta * C, row-major,
 * lda/ldb/ldc in elements. Used by MatMul, Gemm, Conv (im2col) and others. */
void cpu_sgemm(cpu_ctx *ctx, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
               float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
               float beta, float *C, int64_t ldc);

#endif

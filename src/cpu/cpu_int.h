/*
 * cpu_int.h: what the CPU kernel files share and nobody outside src/cpu
 * needs: the GEMM with a fused epilogue (bias + activation), the activation
 * descriptor that the fuse-activation pass attaches to Conv/Gemm/MatMul, and
 * small vector helpers with runtime ISA dispatch.
 *
 * Threading: ts_parallel_for must not nest (see base.h), so every helper
 * that takes a ts_pool may be given NULL to run serially on the caller's
 * thread; kernels that are already inside a parallel loop pass NULL.
 */
#ifndef TESSERA_CPU_INT_H
#define TESSERA_CPU_INT_H

#include "cpu/cpu.h"

/* ---- fused activations ------------------------------------------------- */

typedef enum cpu_act_kind {
    CPU_ACT_NONE = 0,
    CPU_ACT_RELU,         /* max(x, 0) */
    CPU_ACT_CLIP,         /* min(max(x, a), b) */
    CPU_ACT_LEAKY,        /* x < 0 ? a * x : x */
    CPU_ACT_HARDSIGMOID,  /* max(0, min(1, a * x + b)) */
    CPU_ACT_HARDSWISH,    /* x * max(0, min(1, x / 6 + 0.5)) */
    CPU_ACT_SIGMOID,
    CPU_ACT_TANH,
} cpu_act_kind;

typedef struct cpu_act {
    cpu_act_kind kind;
    float a, b;
} cpu_act;

/* Reads the activation that the fuse-activation pass attached to node n
 * (none when absent). An unknown activation name is an error naming the
 * node. */
ts_status cpu_act_from_node(const ir_node *n, cpu_act *act);
/* Applies act in place to x[0..n). Scalar reference semantics. */
void cpu_act_apply(const cpu_act *act, float *x, int64_t n);
float cpu_act_scalar(const cpu_act *act, float x);

/* ---- GEMM with epilogue --------------------------------------------------- */

/* After C = alpha*op(A)*op(B) + beta*C the epilogue adds row_bias[m] (if not
 * NULL) and col_bias[n] (if not NULL), then applies act. */
typedef struct cpu_epilogue {
    const float *row_bias;
    const float *col_bias;
    cpu_act      act;
} cpu_epilogue;

/* cpu_sgemm with an optional epilogue (NULL = none) and an explicit pool
 * (NULL = serial, for callers inside a parallel loop). */
void cpu_sgemm_ex(ts_pool *pool, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc, const cpu_epilogue *epi);

/* A source of op(B) for cpu_gemm_run: pack() writes columns [n0, n0+nn) of
 * rows [k0, k0+kc) as consecutive panels of nr columns, each panel kc x nr
 * row-major, columns past nn zero. The default reads a matrix; Conv packs
 * straight from the image (implicit im2col). */
typedef struct cpu_gemm_b cpu_gemm_b;
struct cpu_gemm_b {
    void (*pack)(const cpu_gemm_b *src, int64_t k0, int64_t kc, int64_t n0, int64_t nn,
                 float *dst, int nr);
    const float *B;      /* matrix source */
    int64_t      ldb;
    bool         trans;
    const void  *ctx;    /* custom sources */
};

void cpu_gemm_run(ts_pool *pool, bool trans_a, int64_t M, int64_t N, int64_t K, float alpha,
                  const float *A, int64_t lda, const cpu_gemm_b *b, float beta, float *C,
                  int64_t ldc, const cpu_epilogue *epi);

/* ---- vector helpers (dispatch on cpu_active_isa) ---------------------------- */

/* y[i] += a * x[i] */
void cpu_axpy(float *y, const float *x, float a, int64_t n);

/* ---- misc -------------------------------------------------------------- */

/* Round half to even, as QuantizeLinear requires. */
static inline float cpu_round_even(float x) {
    float r = __builtin_roundf(x);
    if (__builtin_fabsf(x - __builtin_truncf(x)) == 0.5f) r = 2.0f * __builtin_roundf(x * 0.5f);
    return r;
}

#endif

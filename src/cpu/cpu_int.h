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

#include <immintrin.h>

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


/* In-register activations for the vector kernels (SIGMOID/TANH are applied
 * afterwards with the scalar routine). */
/* Whether the vector epilogues handle this kind in registers. */
static inline bool act_vectorizable(const cpu_act *a) {
    return a->kind != CPU_ACT_SIGMOID && a->kind != CPU_ACT_TANH;
}

__attribute__((target("avx2,fma")))
static inline __m256 act_avx2(__m256 v, const cpu_act *a) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (a->kind) {
    case CPU_ACT_RELU: return _mm256_max_ps(v, zero);
    case CPU_ACT_CLIP: return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(a->a)), _mm256_set1_ps(a->b));
    case CPU_ACT_LEAKY: {
        __m256 neg = _mm256_mul_ps(v, _mm256_set1_ps(a->a));
        return _mm256_blendv_ps(v, neg, _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    }
    case CPU_ACT_HARDSIGMOID: {
        __m256 t = _mm256_fmadd_ps(v, _mm256_set1_ps(a->a), _mm256_set1_ps(a->b));
        return _mm256_min_ps(_mm256_max_ps(t, zero), one);
    }
    case CPU_ACT_HARDSWISH: {
        __m256 t = _mm256_add_ps(_mm256_div_ps(v, _mm256_set1_ps(6.0f)), _mm256_set1_ps(0.5f));
        return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(t, zero), one));
    }
    default: return v;
    }
}

__attribute__((target("avx512f")))
static inline __m512 act_avx512(__m512 v, const cpu_act *a) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (a->kind) {
    case CPU_ACT_RELU: return _mm512_max_ps(v, zero);
    case CPU_ACT_CLIP: return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(a->a)), _mm512_set1_ps(a->b));
    case CPU_ACT_LEAKY: {
        __mmask16 m = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, m, v, _mm512_set1_ps(a->a));
    }
    case CPU_ACT_HARDSIGMOID: {
        __m512 t = _mm512_fmadd_ps(v, _mm512_set1_ps(a->a), _mm512_set1_ps(a->b));
        return _mm512_min_ps(_mm512_max_ps(t, zero), one);
    }
    case CPU_ACT_HARDSWISH: {
        __m512 t = _mm512_add_ps(_mm512_div_ps(v, _mm512_set1_ps(6.0f)), _mm512_set1_ps(0.5f));
        return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(t, zero), one));
    }
    default: return v;
    }
}


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

/* Indirect GEMM: C[M, N] = op(A)[M, K] * B with the epilogue, where row k
 * of B is the N floats at brow[k] (no packing). Needs AVX-512 and N a
 * multiple of cpu_gemm_indirect_nr() (0 when unavailable); ldc >= N. */
int       cpu_gemm_indirect_nr(void);
ts_status cpu_gemm_indirect(ts_pool *pool, bool trans_a, int64_t M, int64_t N, int64_t K, const float *A,
                            int64_t lda, const float *const *brow, float *C, int64_t ldc,
                            const cpu_epilogue *epi);

/* Per-thread reusable buffers (64-byte aligned, contents undefined, NULL
 * on allocation failure), one per slot so nested users do not collide. */
enum { CPU_SCRATCH_GEMM_A, CPU_SCRATCH_GEMM_B, CPU_SCRATCH_CONV_IN, CPU_SCRATCH_CONV_OUT,
       CPU_SCRATCH_SLOTS };
void *cpu_scratch(int slot, size_t bytes);

/* ---- vector helpers (dispatch on cpu_active_isa) ---------------------------- */

/* y[i] += a * x[i] */
void cpu_axpy(float *y, const float *x, float a, int64_t n);
/* y[i] = act(x[i] * mul + add); act may be NULL; y may equal x. */
void cpu_affine_act(float *y, const float *x, float mul, float add, const cpu_act *act, int64_t n);
/* sum a[i] * b[i] over [0, n) */
float cpu_dot(const float *a, const float *b, int64_t n);
/* Sum (float lanes, total in double) and maximum of x[0..n); n may be 0. */
void cpu_sum_max(const float *x, int64_t n, double *sum, float *max);

/* ---- nn kernels (op_nn.c table; conv.c, pool.c, norm.c, resize.c, quant.c) ---- */

#define CPU_KERNEL_DECL(name)                                                   \
    ts_status name(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in, \
                   ts_tensor **out, int n_out)
CPU_KERNEL_DECL(cpu_run_conv);
CPU_KERNEL_DECL(cpu_run_conv_transpose);
CPU_KERNEL_DECL(cpu_run_maxpool);
CPU_KERNEL_DECL(cpu_run_avgpool);
CPU_KERNEL_DECL(cpu_run_global_avgpool);
CPU_KERNEL_DECL(cpu_run_global_maxpool);
CPU_KERNEL_DECL(cpu_run_batchnorm);
CPU_KERNEL_DECL(cpu_run_instancenorm);
CPU_KERNEL_DECL(cpu_run_layernorm);
CPU_KERNEL_DECL(cpu_run_groupnorm);
CPU_KERNEL_DECL(cpu_run_lrn);
CPU_KERNEL_DECL(cpu_run_resize);
CPU_KERNEL_DECL(cpu_run_upsample);
CPU_KERNEL_DECL(cpu_run_depth_to_space);
CPU_KERNEL_DECL(cpu_run_space_to_depth);
CPU_KERNEL_DECL(cpu_run_quantize);
CPU_KERNEL_DECL(cpu_run_dequantize);
CPU_KERNEL_DECL(cpu_run_dynamic_quantize);
CPU_KERNEL_DECL(cpu_run_matmul_integer);
CPU_KERNEL_DECL(cpu_run_qlinear_matmul);
CPU_KERNEL_DECL(cpu_run_conv_integer);
CPU_KERNEL_DECL(cpu_run_qlinear_conv);

/* An error naming node n unless t (may be NULL) is float32. */
ts_status cpu_nn_need_f32(const ir_node *n, const ts_tensor *t, const char *what);

/* numpy.matmul batching: y's batch index -> element offsets into a and b. */
typedef struct cpu_matmul_geom {
    int64_t M, N, K, batch;
    int     yb;                               /* batch rank of y */
    int64_t ydims[TS_MAX_RANK], astr[TS_MAX_RANK], bstr[TS_MAX_RANK];
} cpu_matmul_geom;
void cpu_matmul_plan(const ts_tensor *a, const ts_tensor *b, const ts_tensor *y, cpu_matmul_geom *g);
void cpu_matmul_offsets(const cpu_matmul_geom *g, int64_t bi, int64_t *oa, int64_t *ob);

/* Convolution geometry with spatial dims normalized to 3 (leading axes of
 * size 1), begin pads resolved from pads/auto_pad and the output shape. */
typedef struct cpu_conv_geom {
    int     nsp;                 /* spatial rank in the model (1..3) */
    int64_t N, C, M, group;      /* batch, input channels, output channels */
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
} cpu_conv_geom;
/* x: input, y: output (shapes as inferred), kernel dims kdims; transpose
 * selects ConvTranspose's pad rule. */
ts_status cpu_conv_geom_init(const ir_node *n, const ts_tensor *x, const ts_tensor *y,
                             const int64_t *kdims, bool transpose, cpu_conv_geom *g);

/* ---- misc -------------------------------------------------------------- */

/* Round half to even, as QuantizeLinear requires. */
static inline float cpu_round_even(float x) {
    float r = __builtin_roundf(x);
    if (__builtin_fabsf(x - __builtin_truncf(x)) == 0.5f) r = 2.0f * __builtin_roundf(x * 0.5f);
    return r;
}

#endif

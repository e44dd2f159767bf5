/*
 * sim/kernels.h (internal to the sim layer): host kernels behind sim_exec.
 * Each kernel has a scalar, an AVX2 and an AVX-512 version; exec picks one
 * by the active sim_kernel_path. Every version computes exactly what
 * docs/isa.md specifies, so all give bit-identical results.
 *
 * Matrix kernels: A is m x k, B is k x n (row strides in elements), C is
 * m x n int32/fp32 (row stride in elements). k <= 65535, n <= 65535.
 */
#ifndef TESSERA_SIM_KERNELS_H
#define TESSERA_SIM_KERNELS_H

/* Function attributes for the per-ISA kernel bodies: each path is compiled
 * for its target with no file-wide -m flags (runtime dispatch picks one). */
#define INLINE static inline __attribute__((always_inline))
#define TGT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define TGT_AVX2 __attribute__((target("avx2")))

#include "sim/exec.h"

/* The path kernels run on now (resolved: never above what the host has). */
sim_kernel_path sim_kpath(void);

/* C (+)= A x B, int8 x int8 -> int32, two's complement wraparound on the
 * accumulate. Returns TS_ERR_NOMEM if a packing buffer cannot be had. */
ts_status sim_mm_int8(const int8_t *a, int64_t sa, const int8_t *b, int64_t sb, int32_t *c, int64_t sc,
                      int m, int k, int n, bool accumulate);
/* C (+)= A x B, bf16 x bf16 -> fp32: per output, s = accumulate ? C : +0,
 * then s = s + a_k * b_k for k = 0..k-1 (two roundings), NaN canonical. */
ts_status sim_mm_bf16(const uint16_t *a, int64_t sa, const uint16_t *b, int64_t sb, float *c, int64_t sc,
                      int m, int k, int n, bool accumulate);

/* ---- vector unit: one row (contiguous elements) at a time ---------------- */

/* Loads n elements of type dt (isa_dtype) from p into fp32 / int32. */
void sim_v_load_f32(unsigned dt, const uint8_t *p, float *out, int n);
void sim_v_load_i32(unsigned dt, const uint8_t *p, int32_t *out, int n);
/* Stores n values converted to dt (docs/isa.md "Conversions"). */
void sim_v_store_f32(unsigned dt, const float *in, uint8_t *p, int n);
void sim_v_store_i64(unsigned dt, const int64_t *in, uint8_t *p, int n);
/* out = a op b (op = ISA_VADD..ISA_VDIV). */
void sim_v_binary_f32(unsigned op, const float *a, const float *b, float *out, int n);
void sim_v_binary_i64(unsigned op, const int32_t *a, const int32_t *b, int64_t *out, int n);
/* x = f(x), f an isa_act; param = the instruction's imm as fp32. */
void sim_v_act_f32(unsigned func, float *x, int n, float param);
void sim_v_act_i64(unsigned func, const int32_t *x, int64_t *out, int n); /* relu, relu6 */
/* out = requantize(x) with per-element mult/shift/zp (one value each when
 * per_col is false), saturated to dt. */
void sim_v_requant(const int32_t *x, const int32_t *mult, const int32_t *shift, const int32_t *zp, bool per_col,
                   unsigned dt, int64_t *out, int n);

/* VREDUCE over fp32: lane j (0..15) folds in x[j], x[j+16], ... (x starts
 * at a column that is a multiple of 16); then the fixed fold tree. */
void  sim_v_reduce_f32(unsigned func, const float *x, int n, float lanes[16]);
float sim_v_reduce_fold(unsigned func, float lanes[16]);

/* The activation formulas of docs/isa.md, one fp32 value (the reference
 * every vectorized version follows operation for operation). */
float sim_f32_act(unsigned func, float x, float param);

#endif

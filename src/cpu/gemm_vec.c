/*
 * gemm_vec.c: small vector routines the nn kernels share (activations,
 * y = x*a + b, sums and maxima, axpy), each with AVX-512, AVX2 and scalar
 * versions picked at run time, and the per-thread scratch buffers.
 */
#include "cpu/cpu_int.h"

#include <immintrin.h>
#include <math.h>
#include <pthread.h>

/* ---- per-thread scratch ------------------------------------------------------ */

/* Big work buffers are kept per thread and reused: allocating and faulting
 * in megabytes on every Conv costs as much as the arithmetic. Freed when the
 * thread exits. */
typedef struct cpu_scratch_set {
    void  *p[CPU_SCRATCH_SLOTS];
    size_t n[CPU_SCRATCH_SLOTS];
} cpu_scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v) {
    cpu_scratch_set *s = v;
    for (int i = 0; i < CPU_SCRATCH_SLOTS; i++) ts_aligned_free(s->p[i]);
    ts_free(s);
}

static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

void *cpu_scratch(int slot, size_t bytes) {
    pthread_once(&scratch_once, scratch_init);
    cpu_scratch_set *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = ts_calloc(1, sizeof *s);
        if (!s) return NULL;
        pthread_setspecific(scratch_key, s);
    }
    if (s->n[slot] >= bytes && s->p[slot]) return s->p[slot];
    ts_aligned_free(s->p[slot]);
    s->p[slot] = ts_aligned_alloc(64, bytes ? bytes : 64);
    s->n[slot] = s->p[slot] ? bytes : 0;
    return s->p[slot];
}

/* ---- activations --------------------------------------------------------- */

float cpu_act_scalar(const cpu_act *act, float x) {
    switch (act->kind) {
    case CPU_ACT_NONE: return x;
    case CPU_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case CPU_ACT_CLIP: return x < act->a ? act->a : (x > act->b ? act->b : x);
    case CPU_ACT_LEAKY: return x < 0.0f ? act->a * x : x;
    case CPU_ACT_HARDSIGMOID: { float v = act->a * x + act->b; return v < 0 ? 0 : (v > 1 ? 1 : v); }
    case CPU_ACT_HARDSWISH: { float v = x / 6.0f + 0.5f; v = v < 0 ? 0 : (v > 1 ? 1 : v); return x * v; }
    case CPU_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case CPU_ACT_TANH: return tanhf(x);
    }
    return x;
}

static void act_apply_scalar(const cpu_act *act, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = cpu_act_scalar(act, x[i]);
}

/* ---- vector helpers -------------------------------------------------------- */

__attribute__((target("avx512f")))
static void axpy_avx512(float *y, const float *x, float a, int64_t n) {
    __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i),
                                                        _mm512_maskz_loadu_ps(m, y + i)));
    }
}

__attribute__((target("avx2,fma")))
static void axpy_avx2(float *y, const float *x, float a, int64_t n) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

void cpu_axpy(float *y, const float *x, float a, int64_t n) {
    switch (cpu_active_isa()) {
    case CPU_AVX512: axpy_avx512(y, x, a, n); return;
    case CPU_AVX2: axpy_avx2(y, x, a, n); return;
    default: for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
    }
}

/* y = x * mul + add, then act (in place allowed). */
__attribute__((target("avx512f")))
static void affine_act_avx512(float *y, const float *x, float mul, float add, const cpu_act *act, int64_t n) {
    __m512 m = _mm512_set1_ps(mul), a = _mm512_set1_ps(add);
    bool vec = act_vectorizable(act);
    int64_t i = 0;
    for (; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), m, a);
        if (vec) v = act_avx512(v, act);
        _mm512_mask_storeu_ps(y + i, k, v);
    }
    if (!vec) act_apply_scalar(act, y, n);
}

__attribute__((target("avx2,fma")))
static void affine_act_avx2(float *y, const float *x, float mul, float add, const cpu_act *act, int64_t n) {
    __m256 m = _mm256_set1_ps(mul), a = _mm256_set1_ps(add);
    bool vec = act_vectorizable(act);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), m, a);
        _mm256_storeu_ps(y + i, vec ? act_avx2(v, act) : v);
    }
    if (!vec) act_apply_scalar(act, y, i);
    for (; i < n; i++) y[i] = cpu_act_scalar(act, fmaf(x[i], mul, add));
}

void cpu_affine_act(float *y, const float *x, float mul, float add, const cpu_act *act, int64_t n) {
    static const cpu_act none = {CPU_ACT_NONE, 0, 0};
    if (!act) act = &none;
    switch (cpu_active_isa()) {
    case CPU_AVX512: affine_act_avx512(y, x, mul, add, act, n); return;
    case CPU_AVX2: affine_act_avx2(y, x, mul, add, act, n); return;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = cpu_act_scalar(act, x[i] * mul + add);
    }
}

void cpu_act_apply(const cpu_act *act, float *x, int64_t n) {
    if (act->kind == CPU_ACT_NONE) return;
    cpu_affine_act(x, x, 1.0f, 0.0f, act, n);
}

__attribute__((target("avx512f")))
static void sum_max_avx512(const float *x, int64_t n, double *sum, float *max) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        s0 = _mm512_add_ps(s0, a); s1 = _mm512_add_ps(s1, b);
        m0 = _mm512_max_ps(m0, a); m1 = _mm512_max_ps(m1, b);
    }
    double s = (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    for (; i < n; i++) { s += x[i]; m = x[i] > m ? x[i] : m; }
    *sum = s;
    *max = m;
}

__attribute__((target("avx2,fma")))
static void sum_max_avx2(const float *x, int64_t n, double *sum, float *max) {
    __m256 s0 = _mm256_setzero_ps(), m0 = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_loadu_ps(x + i);
        s0 = _mm256_add_ps(s0, a);
        m0 = _mm256_max_ps(m0, a);
    }
    float sb[8], mb[8];
    _mm256_storeu_ps(sb, s0);
    _mm256_storeu_ps(mb, m0);
    double s = 0;
    float m = -INFINITY;
    for (int q = 0; q < 8; q++) { s += sb[q]; m = mb[q] > m ? mb[q] : m; }
    for (; i < n; i++) { s += x[i]; m = x[i] > m ? x[i] : m; }
    *sum = s;
    *max = m;
}

void cpu_sum_max(const float *x, int64_t n, double *sum, float *max) {
    switch (cpu_active_isa()) {
    case CPU_AVX512: sum_max_avx512(x, n, sum, max); return;
    case CPU_AVX2: sum_max_avx2(x, n, sum, max); return;
    default: {
        double s = 0;
        float m = -INFINITY;
        for (int64_t i = 0; i < n; i++) { s += x[i]; m = x[i] > m ? x[i] : m; }
        *sum = s;
        *max = m;
    }
    }
}


__attribute__((target("avx512f")))
static float dot_avx512(const float *a, const float *b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float t[8];
    _mm256_storeu_ps(t, s0);
    float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

float cpu_dot(const float *a, const float *b, int64_t n) {
    switch (cpu_active_isa()) {
    case CPU_AVX512: return dot_avx512(a, b, n);
    case CPU_AVX2: return dot_avx2(a, b, n);
    default: {
        float s = 0;
        for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }
    }
}

/* cpu kernels: Cast, CastLike, Identity, Dropout (inference). */
#include "cpu/op_elementwise.h"

#include <string.h>

typedef struct ew_cast { const ts_tensor *x; ts_tensor *y; cpu_ew_dom d; } ew_cast;

static void ew_cast_range(void *arg, int64_t b, int64_t e) {
    const ew_cast *c = arg;
    ts_dtype from = c->x->dtype, to = c->y->dtype;
    if (from == TS_F32 && to == TS_F16) {
        const float *x = c->x->data;
        uint16_t *y = c->y->data;
        for (int64_t i = b; i < e; i++) y[i] = ts_f32_to_f16(x[i]);
        return;
    }
    if (from == TS_F16 && to == TS_F32) {
        const uint16_t *x = c->x->data;
        float *y = c->y->data;
        for (int64_t i = b; i < e; i++) y[i] = ts_f16_to_f32(x[i]);
        return;
    }
    /* The source's own domain keeps int64 exact and rounds floats once. */
    for (int64_t i = b; i < e; i++)
        cpu_ew_store(c->y->data, to, i, cpu_ew_load(c->x->data, from, i, c->d), c->d);
}

/* Cast / CastLike: the output dtype was set by inference ("to" or the second
 * input's dtype). Float -> integer saturates (NaN -> 0); integer -> narrower
 * integer wraps, as numpy's astype does. */
ts_status cpu_ew_run_cast(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_tensor *y = out[0];
    if (ts_dtype_size(x->dtype) == 0 || ts_dtype_size(y->dtype) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): cast from %s to %s not supported",
                        n->name, n->op_type, ts_dtype_name(x->dtype), ts_dtype_name(y->dtype));
    if (x->dtype == y->dtype) {
        memcpy(y->data, x->data, ts_tensor_nbytes(x));
        return TS_OK;
    }
    ew_cast c = {x, y, cpu_ew_domain(x->dtype)};
    ts_parallel_for(ctx ? ctx->pool : NULL, ts_tensor_numel(x), 32768, ew_cast_range, &c);
    return TS_OK;
}

ts_status cpu_ew_run_identity(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                              ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in; (void)n_out;
    if (ts_dtype_size(in[0]->dtype) == 0)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): dtype %s not supported",
                        n->name, n->op_type, ts_dtype_name(in[0]->dtype));
    if (out[0]->data != in[0]->data) memcpy(out[0]->data, in[0]->data, ts_tensor_nbytes(in[0]));
    return TS_OK;
}

/* ---- Dropout ----------------------------------------------------------------- */

/* Mersenne Twister MT19937 (Matsumoto & Nishimura), the generator behind
 * numpy's legacy RandomState, so a given `seed` draws the same masks as
 * numpy's np.random.seed(seed); np.random.uniform(). */
typedef struct ew_mt { uint32_t s[624]; int i; } ew_mt;

static void ew_mt_seed(ew_mt *m, uint32_t seed) {
    m->s[0] = seed;
    for (int i = 1; i < 624; i++) m->s[i] = 1812433253u * (m->s[i - 1] ^ (m->s[i - 1] >> 30)) + (uint32_t)i;
    m->i = 624;
}

static uint32_t ew_mt_next(ew_mt *m) {
    if (m->i >= 624) {
        for (int k = 0; k < 624; k++) {
            uint32_t y = (m->s[k] & 0x80000000u) | (m->s[(k + 1) % 624] & 0x7fffffffu);
            m->s[k] = m->s[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        m->i = 0;
    }
    uint32_t y = m->s[m->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* A double in [0, 1) from 53 random bits (two draws). */
static double ew_mt_double(ew_mt *m) {
    uint32_t a = ew_mt_next(m) >> 5, b = ew_mt_next(m) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

/* Training mode: keep an element when its uniform draw is >= ratio, scale
 * the kept ones by 1 / (1 - ratio). The seed attribute makes it repeatable;
 * without it each run draws a fresh seed. */
static ts_status ew_dropout_train(const ir_node *n, const ts_tensor *x, double r, ts_tensor *y,
                                  ts_tensor *mask) {
    ew_mt *m = ts_malloc(sizeof *m);
    if (!m) return TS_ERR_NOMEM;
    static uint32_t counter;
    uint32_t seed = ir_attr_find(n, "seed") ? (uint32_t)ir_attr_int(n, "seed", 0)
                                            : (uint32_t)(ts_now_sec() * 1e6) ^ (counter++ * 2654435761u);
    ew_mt_seed(m, seed);
    double scale = r < 1 ? 1.0 / (1.0 - r) : 0;
    int64_t count = ts_tensor_numel(x);
    for (int64_t i = 0; i < count; i++) {
        bool keep = ew_mt_double(m) >= r;
        ts_tensor_set(y, i, keep ? cpu_ew_get_f(x->data, x->dtype, i) * scale : 0.0);
        if (mask) ts_tensor_set(mask, i, keep);
    }
    ts_free(m);
    return TS_OK;
}

/* Dropout at inference (or with ratio 0) is the identity with an all-true mask. */
ts_status cpu_ew_run_dropout(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                             ts_tensor **out, int n_out) {
    const ts_tensor *ratio = n_in > 1 ? in[1] : NULL, *train = n_in > 2 ? in[2] : NULL;
    double r = ratio && ts_tensor_numel(ratio) == 1 ? cpu_ew_get_f(ratio->data, ratio->dtype, 0)
                                                    : ir_attr_float(n, "ratio", 0.5f);
    bool training = train && ts_tensor_numel(train) == 1 && cpu_ew_get_f(train->data, train->dtype, 0) != 0;
    ts_tensor *mask = n_out > 1 ? out[1] : NULL;
    if (training && r != 0) {
        if (!(r >= 0 && r <= 1))
            return ts_error(TS_ERR_INVALID, "node '%s' (Dropout): ratio %g outside [0, 1]", n->name, r);
        return ew_dropout_train(n, in[0], r, out[0], mask);
    }
    ts_status st = cpu_ew_run_identity(ctx, n, in, 1, out, 1);
    if (st) return st;
    if (mask) {
        int64_t m = ts_tensor_numel(mask);
        for (int64_t i = 0; i < m; i++) ts_tensor_set(mask, i, 1.0);
    }
    return TS_OK;
}

/*
 * op_nn.c: the "nn" kernel table, MatMul and Gemm, and the fused-activation
 * attributes. Convolutions live in conv.c, pools in pool.c, normalizations
 * in norm.c, Resize and friends in resize.c, quantized ops in quant.c.
 */
#include "cpu/cpu_int.h"

#include <math.h>
#include <string.h>

ts_status cpu_act_from_node(const ir_node *n, cpu_act *act) {
    act->kind = CPU_ACT_NONE;
    act->a = act->b = 0.0f;
    const char *s = ir_attr_string(n, "activation", NULL);
    if (!s) return TS_OK;
    int np = 0;
    const float *p = ir_attr_floats(n, "activation_params", &np);
    static const struct { const char *name; cpu_act_kind kind; int nparams; float a, b; } acts[] = {
        {"Relu", CPU_ACT_RELU, 0, 0, 0},           {"LeakyRelu", CPU_ACT_LEAKY, 1, 0.01f, 0},
        {"Clip", CPU_ACT_CLIP, 2, -INFINITY, INFINITY},
        {"HardSigmoid", CPU_ACT_HARDSIGMOID, 2, 0.2f, 0.5f},
        {"HardSwish", CPU_ACT_HARDSWISH, 0, 0, 0}, {"Sigmoid", CPU_ACT_SIGMOID, 0, 0, 0},
        {"Tanh", CPU_ACT_TANH, 0, 0, 0},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(acts); i++) {
        if (strcmp(s, acts[i].name)) continue;
        if (p && np != acts[i].nparams)
            return ts_error(TS_ERR_INVALID, "node '%s' (%s): activation %s takes %d parameters, got %d",
                            n->name, n->op_type, s, acts[i].nparams, np);
        act->kind = acts[i].kind;
        act->a = p && np > 0 ? p[0] : acts[i].a;
        act->b = p && np > 1 ? p[1] : acts[i].b;
        return TS_OK;
    }
    return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): unknown fused activation '%s'", n->name,
                    n->op_type, s);
}

ts_status cpu_nn_need_f32(const ir_node *n, const ts_tensor *t, const char *what) {
    if (t && t->dtype != TS_F32)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): %s has type %s; only float32 is supported",
                        n->name, n->op_type, what, ts_dtype_name(t->dtype));
    return TS_OK;
}

/* ---- batched matrix products ------------------------------------------------ */

void cpu_matmul_plan(const ts_tensor *a, const ts_tensor *b, const ts_tensor *y, cpu_matmul_geom *g) {
    g->M = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    g->K = a->dims[a->rank - 1];
    g->N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int yb = y->rank - (a->rank >= 2) - (b->rank >= 2);   /* batch rank of y */
    g->batch = 1;
    for (int i = 0; i < yb; i++) g->batch *= y->dims[i];
    g->yb = yb;
    memcpy(g->ydims, y->dims, sizeof(int64_t) * (size_t)yb);
    /* batch strides of a and b (0 where broadcast) */
    int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
    int64_t sa = g->M * g->K, sb = g->K * g->N;
    for (int i = yb - 1; i >= 0; i--) {
        int ia = i - (yb - ab), ib = i - (yb - bb);
        g->astr[i] = ia >= 0 && a->dims[ia] != 1 ? sa : 0;
        g->bstr[i] = ib >= 0 && b->dims[ib] != 1 ? sb : 0;
        if (ia >= 0) sa *= a->dims[ia];
        if (ib >= 0) sb *= b->dims[ib];
    }
}

void cpu_matmul_offsets(const cpu_matmul_geom *g, int64_t bi, int64_t *oa, int64_t *ob) {
    *oa = *ob = 0;
    for (int i = g->yb - 1; i >= 0; i--) {
        int64_t c = bi % g->ydims[i];
        bi /= g->ydims[i];
        *oa += c * g->astr[i];
        *ob += c * g->bstr[i];
    }
}

typedef struct matmul_job {
    cpu_matmul_geom g;
    const float *a, *b;
    float *y;
    const cpu_epilogue *epi;
} matmul_job;

static void matmul_batches(void *arg, int64_t b0, int64_t b1) {
    const matmul_job *j = arg;
    for (int64_t bi = b0; bi < b1; bi++) {
        int64_t oa, ob;
        cpu_matmul_offsets(&j->g, bi, &oa, &ob);
        cpu_sgemm_ex(NULL, false, false, j->g.M, j->g.N, j->g.K, 1.0f, j->a + oa, j->g.K, j->b + ob,
                     j->g.N, 0.0f, j->y + bi * j->g.M * j->g.N, j->g.N, j->epi);
    }
}

static ts_status run_matmul(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                            ts_tensor **out, int n_out) {
    (void)n_in; (void)n_out;
    ts_status st = cpu_nn_need_f32(n, in[0], "A");
    if (!st) st = cpu_nn_need_f32(n, in[1], "B");
    cpu_epilogue epi = {0};
    if (!st) st = cpu_act_from_node(n, &epi.act);
    if (st) return st;
    if (ts_tensor_numel(out[0]) == 0) return TS_OK;
    matmul_job j = {.a = in[0]->data, .b = in[1]->data, .y = out[0]->data, .epi = &epi};
    cpu_matmul_plan(in[0], in[1], out[0], &j.g);
    bool b_shared = true;
    for (int i = 0; i < j.g.yb; i++) b_shared &= j.g.bstr[i] == 0;
    if (b_shared && in[0]->rank >= 2) {
        /* B is the same matrix for every batch: one GEMM with M*batch rows */
        int64_t oa, ob;
        cpu_matmul_offsets(&j.g, 0, &oa, &ob);
        bool a_dense = true;   /* a's batches are laid out densely in order */
        for (int i = 0; i < j.g.yb; i++) a_dense &= j.g.astr[i] != 0 || j.g.ydims[i] == 1;
        if (a_dense) {
            cpu_sgemm_ex(ctx->pool, false, false, j.g.M * j.g.batch, j.g.N, j.g.K, 1.0f, j.a, j.g.K,
                         j.b, j.g.N, 0.0f, j.y, j.g.N, &epi);
            return TS_OK;
        }
    }
    int64_t work = j.g.M * j.g.N * j.g.K;
    if (j.g.batch > 1 && work < (1 << 18)) {
        ts_parallel_for(ctx->pool, j.g.batch, 1, matmul_batches, &j);
    } else {
        for (int64_t bi = 0; bi < j.g.batch; bi++) {
            int64_t oa, ob;
            cpu_matmul_offsets(&j.g, bi, &oa, &ob);
            cpu_sgemm_ex(ctx->pool, false, false, j.g.M, j.g.N, j.g.K, 1.0f, j.a + oa, j.g.K,
                         j.b + ob, j.g.N, 0.0f, j.y + bi * j.g.M * j.g.N, j.g.N, &epi);
        }
    }
    return TS_OK;
}

/* Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]. */
static ts_status run_gemm(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                          ts_tensor **out, int n_out) {
    (void)n_out;
    const ts_tensor *a = in[0], *b = in[1], *c = n_in > 2 ? in[2] : NULL;
    ts_status st = cpu_nn_need_f32(n, a, "A");
    if (!st) st = cpu_nn_need_f32(n, b, "B");
    if (!st) st = cpu_nn_need_f32(n, c, "C");
    cpu_epilogue epi = {0};
    if (!st) st = cpu_act_from_node(n, &epi.act);
    if (st) return st;
    bool ta = ir_attr_int(n, "transA", 0) != 0, tb = ir_attr_int(n, "transB", 0) != 0;
    float alpha = ir_attr_float(n, "alpha", 1.0f), beta = ir_attr_float(n, "beta", 1.0f);
    int64_t M = out[0]->dims[0], N = out[0]->dims[1], K = ta ? a->dims[0] : a->dims[1];
    float *y = out[0]->data;
    if (c && beta != 0.0f) {
        /* broadcast C into Y; Y then enters the product with weight beta */
        const float *cd = c->data;
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        for (int64_t i = 0; i < M; i++)
            for (int64_t jn = 0; jn < N; jn++)
                y[i * N + jn] = cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : jn)];
    } else {
        beta = 0.0f;
    }
    cpu_sgemm_ex(ctx->pool, ta, tb, M, N, K, alpha, a->data, a->dims[1], b->data, b->dims[1], beta,
                 y, N, &epi);
    return TS_OK;
}

const cpu_kernel cpu_kernels_nn[] = {
    {"MatMul", run_matmul},
    {"Gemm", run_gemm},
    {"Conv", cpu_run_conv},
    {"ConvTranspose", cpu_run_conv_transpose},
    {"MaxPool", cpu_run_maxpool},
    {"AveragePool", cpu_run_avgpool},
    {"GlobalAveragePool", cpu_run_global_avgpool},
    {"GlobalMaxPool", cpu_run_global_maxpool},
    {"BatchNormalization", cpu_run_batchnorm},
    {"InstanceNormalization", cpu_run_instancenorm},
    {"LayerNormalization", cpu_run_layernorm},
    {"GroupNormalization", cpu_run_groupnorm},
    {"LRN", cpu_run_lrn},
    {"Resize", cpu_run_resize},
    {"Upsample", cpu_run_upsample},
    {"DepthToSpace", cpu_run_depth_to_space},
    {"SpaceToDepth", cpu_run_space_to_depth},
    {"QuantizeLinear", cpu_run_quantize},
    {"DequantizeLinear", cpu_run_dequantize},
    {"DynamicQuantizeLinear", cpu_run_dynamic_quantize},
    {"MatMulInteger", cpu_run_matmul_integer},
    {"QLinearMatMul", cpu_run_qlinear_matmul},
    {"ConvInteger", cpu_run_conv_integer},
    {"QLinearConv", cpu_run_qlinear_conv},
    {NULL, NULL},
};

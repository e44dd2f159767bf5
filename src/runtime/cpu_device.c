/* cpu_device.c: the CPU device: host kernels (src/cpu) behind rt_device.
 *
 * unsupported: a node needs an IR definition (shape inference) and a CPU
 * kernel; the runtime lists every miss in one message before prepare.
 * prepare: the IR passes run with this device evaluating constant
 * subgraphs, then kernels are resolved and liveness is planned.
 * run: nodes in topological order; each node's output shapes come from its
 * op's infer function applied to the real inputs (so symbolic and
 * data-dependent shapes just work), outputs are allocated, the kernel runs,
 * and every intermediate is freed right after its last reader. */
#include "runtime/runtime.h"
#include "cpu/cpu.h"

#include <stdlib.h>
#include <string.h>

typedef struct cpu_dev {
    ts_pool *pool;
} cpu_dev;

struct rt_program {
    ir_graph          *g;
    int               *last_use;   /* per value: last reader's node index (rt_last_uses) */
    const cpu_kernel **kernels;    /* per node, resolved once */
    rt_arena           arena;      /* intermediate buffers, kept between runs */
    bool               poison;     /* TESSERA_POISON=1: fill new outputs with NaN bytes */
    rt_exec_stats      stats;
};

static cpu_ctx cpu_dev_ctx(rt_device *d, const ir_graph *g) {
    cpu_dev *c = d->context;
    return (cpu_ctx){.pool = c->pool, .opset = g->opset};
}

static bool cpu_has_subgraph(const ir_node *n) {
    for (int i = 0; i < n->n_attr; i++)
        if (n->attrs[i].type == IR_ATTR_GRAPH) return true;
    return false;
}

static const char *cpu_unsupported(rt_device *d, const ir_node *n) {
    (void)d;
    if (cpu_has_subgraph(n)) return "ops with subgraphs are not supported";
    bool def = ir_op_find(n->domain, n->op_type), kernel = cpu_kernel_find(n->domain, n->op_type);
    if (def && kernel) return NULL;
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return "unknown domain";
    return def ? "no CPU kernel" : kernel ? "no shape inference" : "not implemented";
}

static const char *cpu_check(void *ctx, const ir_node *n) { return cpu_unsupported(ctx, n); }

/* Constant folding evaluates through the CPU kernels, serially: folding runs
 * once per session and must not share the pool with a running graph. */
static ts_status cpu_fold_eval(void *ctx, const ir_node *n, int opset, const ts_tensor **in,
                               int n_in, ts_tensor **out, int n_out) {
    (void)ctx;
    cpu_ctx c = {.pool = NULL, .opset = opset};
    return cpu_eval_node(&c, n, in, n_in, out, n_out);
}

static void cpu_program_free(rt_device *d, rt_program *p) {
    (void)d;
    if (!p) return;
    ir_graph_free(p->g);
    ts_free(p->last_use);
    ts_free(p->kernels);
    rt_arena_free(&p->arena);
    ts_free(p);
}

static ts_status cpu_prepare(rt_device *d, ir_graph *g, const rt_prepare_options *opt,
                             rt_program **out) {
    *out = NULL;
    /* ir_run_passes validates the --dump-ir name (incl. "import" and "all") */
    ts_status st = ir_resolve_ops(g);
    if (!st) {
        ir_set_const_evaluator(cpu_fold_eval, NULL);
        st = ir_run_passes(g, ir_default_passes(), opt ? opt->dump_ir : NULL,
                           opt && opt->dump_to ? opt->dump_to : stderr);
    }
    /* passes may create fused nodes: they need kernels too */
    if (!st) st = rt_check_ops(g, cpu_check, d, d->name);
    if (st) { ir_graph_free(g); return st; }
    rt_program *p = ts_calloc(1, sizeof *p);
    if (!p) { ir_graph_free(g); return TS_ERR_NOMEM; }
    p->g = g;
    const char *poison = getenv("TESSERA_POISON");
    p->poison = poison && poison[0] == '1';
    p->kernels = ts_calloc((size_t)g->n_nodes + 1, sizeof *p->kernels);
    st = p->kernels ? rt_last_uses(g, &p->last_use) : TS_ERR_NOMEM;
    for (int i = 0; !st && i < g->n_nodes; i++)
        p->kernels[i] = cpu_kernel_find(g->nodes[i].domain, g->nodes[i].op_type);
    if (st) { cpu_program_free(d, p); return st; }
    *out = p;
    return TS_OK;
}

/* ---- run ------------------------------------------------------------------------- */

typedef struct {
    const ir_graph *g;
    rt_arena   *arena;
    ts_tensor **val;     /* current tensor of each value (NULL: none yet / freed) */
    bool       *owned;   /* val[v] was allocated by this run */
    bool       *pooled;  /* ... and its data belongs to the arena */
    int64_t     live, peak;
    int64_t     freed_early;
} cpu_run_state;

/* Frees a tensor this run made: arena data goes back to the arena. */
static void cpu_free_tensor(cpu_run_state *s, ts_tensor *t, bool pooled) {
    if (t && pooled) rt_arena_put(s->arena, t->data);
    ts_tensor_free(t);
}

static void cpu_drop(cpu_run_state *s, int v, bool early) {
    if (v < 0 || !s->val[v]) return;
    if (s->owned[v]) {
        s->live -= (int64_t)ts_tensor_nbytes(s->val[v]);
        cpu_free_tensor(s, s->val[v], s->pooled[v]);
        if (early) s->freed_early++;
    }
    s->val[v] = NULL;
    s->owned[v] = s->pooled[v] = false;
}

static ts_status cpu_gather(cpu_run_state *s, const ir_node *n, const ts_tensor **in) {
    for (int k = 0; k < n->n_in; k++) {
        int v = n->in[k];
        in[k] = v >= 0 ? s->val[v] : NULL;
        if (v >= 0 && !in[k])
            return ts_error(TS_ERR_INTERNAL, "node '%s' (%s): input '%s' has no value",
                            n->name, n->op_type, s->g->values[v].name);
    }
    return TS_OK;
}

/* An output tensor for value v with the inferred header h. Graph outputs
 * go to the caller and get their own memory; the rest use the arena. Arena
 * buffers are not zeroed: kernels write every output element (a run with
 * TESSERA_POISON=1 fills them with NaN bytes to prove it). */
static ts_tensor *cpu_new_output(rt_program *p, cpu_run_state *s, int v, const ts_tensor *h,
                                 bool *pooled) {
    *pooled = !(v >= 0 && p->last_use[v] == p->g->n_nodes);
    if (!*pooled) {
        ts_tensor *t = ts_tensor_new(h->dtype, h->rank, h->dims);
        if (t && p->poison) memset(t->data, 0xFF, ts_tensor_nbytes(t));
        return t;
    }
    int64_t numel = ts_shape_numel(h->rank, h->dims);
    if (numel < 0) { ts_error(TS_ERR_INVALID, "output shape overflows"); return NULL; }
    size_t bytes = (size_t)numel * ts_dtype_size(h->dtype);
    void *data = rt_arena_get(s->arena, bytes);
    ts_tensor *t = data ? ts_tensor_wrap(h->dtype, h->rank, h->dims, data) : NULL;
    if (!t) { rt_arena_put(s->arena, data); return NULL; }
    if (p->poison) memset(data, 0xFF, bytes);
    return t;
}

/* Infers the node's output shapes from its real inputs, allocates, runs. */
static ts_status cpu_exec(rt_program *p, cpu_run_state *s, cpu_ctx *ctx, int i,
                          const ts_tensor **in, ts_tensor **out, bool *pooled) {
    const ir_node *n = &p->g->nodes[i];
    int n_out = n->n_out;
    ts_tensor hdr[n_out > 0 ? n_out : 1], *hp[n_out > 0 ? n_out : 1];
    memset(hdr, 0, sizeof hdr);
    for (int k = 0; k < n_out; k++) { hp[k] = &hdr[k]; out[k] = NULL; }
    ts_status st = ir_infer_node(n, ctx->opset, in, n->n_in, hp, n_out);
    if (st == IR_NEED_VALUE)
        st = ts_error(TS_ERR_INTERNAL, "node '%s' (%s): inference wants a value it was given",
                      n->name, n->op_type);
    for (int k = 0; !st && k < n_out; k++)
        if (!(out[k] = cpu_new_output(p, s, n->out[k], &hdr[k], &pooled[k]))) {
            ts_error_prefix("node '%s' (%s), output %d: ", n->name, n->op_type, k);
            st = TS_ERR_NOMEM;
        }
    if (!st) st = p->kernels[i]->run(ctx, n, in, n->n_in, out, n_out);
    if (st)
        for (int k = 0; k < n_out; k++) { cpu_free_tensor(s, out[k], pooled[k]); out[k] = NULL; }
    return st;
}

static ts_status cpu_run_node(rt_device *d, rt_program *p, cpu_run_state *s, int i,
                              rt_profile *prof) {
    const ir_node *n = &p->g->nodes[i];
    const ts_tensor *in[n->n_in > 0 ? n->n_in : 1];
    ts_tensor *out[n->n_out > 0 ? n->n_out : 1];
    bool pooled[n->n_out > 0 ? n->n_out : 1];
    ts_status st = cpu_gather(s, n, in);
    if (st) return st;
    cpu_ctx ctx = cpu_dev_ctx(d, p->g);
    double t0 = ts_now_sec();
    st = cpu_exec(p, s, &ctx, i, in, out, pooled);
    if (st) return st;
    if (prof) rt_profile_add(prof, n, ts_now_sec() - t0);
    for (int k = 0; k < n->n_out; k++) {
        int v = n->out[k];
        if (v < 0 || p->last_use[v] < 0) {   /* omitted or never read */
            cpu_free_tensor(s, out[k], pooled[k]);
            continue;
        }
        cpu_drop(s, v, false);
        s->val[v] = out[k]; s->owned[v] = true; s->pooled[v] = pooled[k];
        s->live += (int64_t)ts_tensor_nbytes(out[k]);
    }
    s->peak = TS_MAX(s->peak, s->live);
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && p->last_use[n->in[k]] == i) cpu_drop(s, n->in[k], true);
    return TS_OK;
}

/* Hands graph outputs to the caller; borrowed values (an input or a
 * constant passed straight through) and repeated outputs are copied. */
static ts_status cpu_take_outputs(cpu_run_state *s, ts_tensor **out) {
    const ir_graph *g = s->g;
    for (int k = 0; k < g->n_outputs; k++) {
        int v = g->outputs[k];
        if (!s->val[v])
            return ts_error(TS_ERR_INTERNAL, "graph output '%s' was never computed",
                            g->values[v].name);
        if (s->owned[v] && !s->pooled[v]) {
            out[k] = s->val[v];
            s->owned[v] = false;   /* the next reference copies */
        } else if (!(out[k] = ts_tensor_clone(s->val[v]))) {
            return TS_ERR_NOMEM;
        }
    }
    return TS_OK;
}

static ts_status cpu_bind(cpu_run_state *s, const ts_tensor **in) {
    const ir_graph *g = s->g;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data) s->val[v] = g->values[v].data;
    for (int k = 0; k < g->n_inputs; k++) {
        if (!in[k])
            return ts_error(TS_ERR_INVALID, "input '%s' is not set",
                            g->values[g->inputs[k]].name);
        s->val[g->inputs[k]] = (ts_tensor *)in[k];
    }
    return TS_OK;
}

static ts_status cpu_run(rt_device *d, rt_program *p, const ts_tensor **in, ts_tensor **out,
                         rt_profile *prof) {
    const ir_graph *g = p->g;
    cpu_run_state s = {.g = g, .arena = &p->arena};
    size_t nv = (size_t)(g->n_values > 0 ? g->n_values : 1);
    s.val = ts_calloc(nv, sizeof *s.val);
    s.owned = ts_calloc(nv, sizeof *s.owned);
    s.pooled = ts_calloc(nv, sizeof *s.pooled);
    for (int k = 0; k < g->n_outputs; k++) out[k] = NULL;
    ts_status st = s.val && s.owned && s.pooled ? TS_OK : TS_ERR_NOMEM;
    if (prof) rt_profile_reset(prof);
    double t0 = ts_now_sec();
    if (!st) st = cpu_bind(&s, in);
    for (int i = 0; !st && i < g->n_nodes; i++)
        if (!g->nodes[i].dead) st = cpu_run_node(d, p, &s, i, prof);
    if (!st) st = cpu_take_outputs(&s, out);
    if (prof) prof->seconds = ts_now_sec() - t0;
    if (st)
        for (int k = 0; k < g->n_outputs; k++) { ts_tensor_free(out[k]); out[k] = NULL; }
    if (s.val && s.owned && s.pooled)
        for (int v = 0; v < g->n_values; v++) cpu_drop(&s, v, false);
    rt_arena_trim(&p->arena);
    p->stats = (rt_exec_stats){.freed_early = s.freed_early, .peak_bytes = s.peak};
    ts_free(s.val);
    ts_free(s.owned);
    ts_free(s.pooled);
    return st;
}

rt_exec_stats rt_cpu_last_stats(const rt_program *p) { return p->stats; }

static const ir_graph *cpu_program_graph(rt_device *d, const rt_program *p) {
    (void)d;
    return p->g;
}

static void cpu_close(rt_device *d) {
    cpu_dev *c = d->context;
    if (c) ts_pool_free(c->pool);
    ts_free(c);
}

ts_status rt_cpu_open(const char *name, int threads, rt_device **out) {
    *out = NULL;
    rt_device *d = ts_calloc(1, sizeof *d);
    cpu_dev *c = ts_calloc(1, sizeof *c);
    if (!d || !c) { ts_free(d); ts_free(c); return TS_ERR_NOMEM; }
    c->pool = ts_pool_new(threads);
    if (!c->pool) {
        ts_free(d); ts_free(c);
        ts_error_prefix("device %s: ", name);
        return TS_ERR_NOMEM;
    }
    *d = (rt_device){
        .version = RT_DEVICE_VERSION, .name = "cpu", .context = c,
        .threads = ts_pool_threads(c->pool),
        .unsupported = cpu_unsupported, .prepare = cpu_prepare, .run = cpu_run,
        .program_free = cpu_program_free, .program_graph = cpu_program_graph,
        .close = cpu_close,
    };
    *out = d;
    return TS_OK;
}

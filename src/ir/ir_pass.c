/* ir_pass.c: the pass pipeline: run, verify between passes, dump. */
#include "ir/ir_int.h"

#include <string.h>

static const ir_pass ir_passes[] = {
    {"fold-constants", ir_pass_fold_constants,
     "evaluate nodes whose inputs are all constant (needs a registered evaluator)"},
    {"eliminate-identity", ir_pass_eliminate_identity,
     "bypass Identity and inference-mode Dropout"},
    {"eliminate-dead", ir_pass_eliminate_dead, "remove nodes whose outputs nobody uses"},
    {"fold-batchnorm", ir_pass_fold_batchnorm,
     "fold inference BatchNormalization into the Conv or ConvTranspose before it"},
    {"fold-conv-affine", ir_pass_fold_conv_affine,
     "fold Mul/Add/Sub by per-channel constants into the Conv before them"},
    {"fuse-hardswish", ir_pass_fuse_hardswish,
     "rewrite x*Clip(x+3,0,6)/6 and x*HardSigmoid(x) as HardSwish"},
    {"fuse-activation", ir_pass_fuse_activation,
     "fuse Relu/Clip/LeakyRelu/Sigmoid/HardSigmoid/HardSwish/Tanh into Conv/Gemm/MatMul"},
    {NULL, NULL, NULL},
};

const ir_pass *ir_default_passes(void) { return ir_passes; }

const ir_pass *ir_pass_find(const char *name) {
    for (const ir_pass *p = ir_passes; p->name; p++)
        if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

void ir_replace_uses(ir_graph *g, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == from) g->nodes[i].in[k] = to;
}

/* dump_after must name a pass of the pipeline, "import" (before any pass),
 * "all", or be NULL. */
static ts_status ir_check_dump_name(const ir_pass *passes, const char *name) {
    if (!name || !strcmp(name, "all") || !strcmp(name, "import")) return TS_OK;
    char list[512] = "";
    for (const ir_pass *p = passes; p->name; p++) {
        if (!strcmp(p->name, name)) return TS_OK;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", p->name);
    }
    return ts_error(TS_ERR_INVALID, "--dump-ir=%s: no such pass (import, all, %s)", name, list);
}

static void ir_maybe_dump(const ir_graph *g, const char *stage, const char *dump_after, FILE *f) {
    if (!dump_after || !f) return;
    if (strcmp(dump_after, "all") && strcmp(dump_after, stage)) return;
    fprintf(f, "# IR after %s\n", stage);
    ir_dump(g, f);
}

static ts_status ir_run_one(ir_graph *g, const ir_pass *p) {
    ts_status st = p->run(g);
    if (st == TS_OK) st = ir_toposort(g);
    if (st == TS_OK) st = ir_verify(g);
    if (st) ts_error_prefix("pass %s: ", p->name);
    return st;
}

ts_status ir_run_passes(ir_graph *g, const ir_pass *passes, const char *dump_after, FILE *dump_to) {
    if (!passes) passes = ir_passes;
    ts_status st = ir_check_dump_name(passes, dump_after);
    if (st == TS_OK) st = ir_verify(g);
    /* static shapes and dtypes where knowable: passes and dumps use them */
    if (st == TS_OK) st = ir_infer_shapes(g);
    if (st) return st;
    ir_maybe_dump(g, "import", dump_after, dump_to);
    for (const ir_pass *p = passes; p->name; p++) {
        if ((st = ir_run_one(g, p))) return st;
        ir_maybe_dump(g, p->name, dump_after, dump_to);
    }
    return TS_OK;
}

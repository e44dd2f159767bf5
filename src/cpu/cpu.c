/* cpu.c: kernel lookup over the four kernel tables, one-node evaluation
 * (used by constant folding and the executor), and runtime ISA dispatch. */
#include "cpu/cpu.h"

#include <string.h>

static const cpu_kernel *const cpu_tables[] = {
    cpu_kernels_elementwise, cpu_kernels_nn, cpu_kernels_shape, cpu_kernels_reduce,
};

/* Tessera's kernels implement the default ONNX domain; fused ops created by
 * the passes live in the "tessera" domain but share the same tables. */
static bool cpu_domain_ok(const char *domain) {
    return !domain || !domain[0] || !strcmp(domain, "ai.onnx") || !strcmp(domain, "tessera");
}

const cpu_kernel *cpu_kernel_find(const char *domain, const char *op_type) {
    if (!op_type || !cpu_domain_ok(domain)) return NULL;
    for (size_t t = 0; t < TS_ARRAY_LEN(cpu_tables); t++)
        for (const cpu_kernel *k = cpu_tables[t]; k->op_type; k++)
            if (!strcmp(k->op_type, op_type)) return k;
    return NULL;
}

static void cpu_free_outs(ts_tensor **out, int n_out) {
    for (int i = 0; i < n_out; i++) { ts_tensor_free(out[i]); out[i] = NULL; }
}

ts_status cpu_eval_node(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out) {
    const cpu_kernel *k = cpu_kernel_find(n->domain, n->op_type);
    if (!k)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s': op %s has no CPU kernel",
                        n->name, n->op_type);
    /* Shapes only: infer writes dtype/rank/dims into stack headers. */
    ts_tensor hdr[n_out > 0 ? n_out : 1];
    ts_tensor *hp[n_out > 0 ? n_out : 1];
    memset(hdr, 0, sizeof hdr);
    for (int i = 0; i < n_out; i++) { hp[i] = &hdr[i]; out[i] = NULL; }
    ts_status st = ir_infer_node(n, ctx->opset, in, n_in, hp, n_out);
    if (st == IR_NEED_VALUE)
        return ts_error(TS_ERR_INTERNAL, "node '%s' (%s): inference needs a value it was given",
                        n->name, n->op_type);
    if (st) return st;
    for (int i = 0; i < n_out; i++) {
        out[i] = ts_tensor_new(hdr[i].dtype, hdr[i].rank, hdr[i].dims);
        if (!out[i]) {
            ts_error_prefix("node '%s' (%s), output %d: ", n->name, n->op_type, i);
            cpu_free_outs(out, n_out);
            return TS_ERR_NOMEM;
        }
    }
    st = k->run(ctx, n, in, n_in, out, n_out);
    if (st) cpu_free_outs(out, n_out);
    return st;
}

/* ---- runtime ISA dispatch ---------------------------------------------------- */

static int cpu_forced = -1;   /* -1: use what the CPU offers */

static cpu_isa_level cpu_probe_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return CPU_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CPU_AVX2;
#endif
    return CPU_SCALAR;
}

cpu_isa_level cpu_detect_isa(void) {
    static int cached = -1;   /* a benign race: every thread computes the same */
    if (cached < 0) cached = (int)cpu_probe_isa();
    return (cpu_isa_level)cached;
}

/* Never above what the CPU has: forcing AVX-512 on an AVX2 machine would
 * crash on the first instruction. */
void cpu_force_isa(cpu_isa_level level) {
    cpu_isa_level hw = cpu_detect_isa();
    cpu_forced = (int)(level < hw ? level : hw);
}

cpu_isa_level cpu_active_isa(void) {
    return cpu_forced >= 0 ? (cpu_isa_level)cpu_forced : cpu_detect_isa();
}

const char *cpu_isa_name(cpu_isa_level level) {
    switch (level) {
    case CPU_AVX512: return "avx512";
    case CPU_AVX2:   return "avx2";
    default:         return "scalar";
    }
}

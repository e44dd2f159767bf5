/* The op registries: every op type is defined once, and the IR's op
 * definitions and the CPU kernels cover the same set (an op the IR can infer
 * but no device can run, or a kernel nothing can infer, is a bug). */
#include "harness.h"

#include "cpu/cpu.h"
#include "ir/ir.h"

static const ir_opdef *const ir_tables[] = {ir_ops_elementwise, ir_ops_nn, ir_ops_shape, ir_ops_reduce};
static const cpu_kernel *const cpu_tables[] = {cpu_kernels_elementwise, cpu_kernels_nn,
                                               cpu_kernels_shape, cpu_kernels_reduce};

TEST(each_op_type_defined_once) {
    for (size_t t = 0; t < TS_ARRAY_LEN(ir_tables); t++)
        for (const ir_opdef *d = ir_tables[t]; d->op_type; d++) {
            int seen = 0;
            for (size_t u = 0; u < TS_ARRAY_LEN(ir_tables); u++)
                for (const ir_opdef *e = ir_tables[u]; e->op_type; e++)
                    seen += !strcmp(d->op_type, e->op_type);
            CHECK_MSG(seen == 1, "op %s has %d ir definitions", d->op_type, seen);
        }
    for (size_t t = 0; t < TS_ARRAY_LEN(cpu_tables); t++)
        for (const cpu_kernel *k = cpu_tables[t]; k->op_type; k++) {
            int seen = 0;
            for (size_t u = 0; u < TS_ARRAY_LEN(cpu_tables); u++)
                for (const cpu_kernel *e = cpu_tables[u]; e->op_type; e++)
                    seen += !strcmp(k->op_type, e->op_type);
            CHECK_MSG(seen == 1, "op %s has %d cpu kernels", k->op_type, seen);
        }
}

TEST(every_op_has_a_kernel_and_every_kernel_an_op) {
    int n = 0;
    for (size_t t = 0; t < TS_ARRAY_LEN(ir_tables); t++)
        for (const ir_opdef *d = ir_tables[t]; d->op_type; d++, n++) {
            CHECK_MSG(cpu_kernel_find("", d->op_type) != NULL, "op %s has no cpu kernel", d->op_type);
            CHECK_MSG(d->infer != NULL, "op %s has no infer function", d->op_type);
            CHECK_MSG(d->min_inputs <= d->max_inputs || d->max_inputs < 0, "op %s: input range", d->op_type);
        }
    for (size_t t = 0; t < TS_ARRAY_LEN(cpu_tables); t++)
        for (const cpu_kernel *k = cpu_tables[t]; k->op_type; k++)
            CHECK_MSG(ir_op_find("", k->op_type) != NULL, "kernel %s has no ir op", k->op_type);
    /* the list alone is over 130 op types */
    CHECK_MSG(n >= 130, "only %d op types registered", n);
    printf("%d op types registered\n", n);
}

/* Variadic inputs are never optional in ONNX: an empty one is refused before
 * any infer function sees a NULL tensor (a fuzz-found crash in Einsum). */
TEST(empty_variadic_input_is_an_error) {
    static const char *ops[] = {"Einsum", "Concat", "Sum", "Max"};
    for (size_t i = 0; i < TS_ARRAY_LEN(ops); i++) {
        ir_graph *g = ir_graph_new();
        int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){3});
        int y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
        ir_node *n = ir_add_node(g, ops[i], "n0", (int[]){x, -1}, 2, &y, 1);
        if (!strcmp(ops[i], "Einsum")) ir_node_set_string(n, "equation", "i,i->i");
        if (!strcmp(ops[i], "Concat")) ir_node_set_int(n, "axis", 0);
        ts_tensor xt = {.dtype = TS_F32, .rank = 1, .dims = {3}};
        const ts_tensor *in[2] = {&xt, NULL};
        ts_tensor o = {0};
        ts_tensor *out[1] = {&o};
        CHECK(ir_resolve_ops(g) != TS_OK && strstr(ts_last_error(), "input 1 is empty"));
        ts_status st = ir_infer_node(n, 17, in, 2, out, 1);
        CHECK_MSG(st != TS_OK && strstr(ts_last_error(), "input 1 is empty"), "%s: %s", ops[i], ts_last_error());
        ir_graph_free(g);
    }
}

TEST_MAIN()

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

TEST_MAIN()

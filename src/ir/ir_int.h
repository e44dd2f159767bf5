/*
 * ir_int.h: what the files of the ir layer share among themselves (never
 * included from outside src/ir/). The public surface is ir.h.
 */
#ifndef TESSERA_IR_INT_H
#define TESSERA_IR_INT_H

#include "ir/ir.h"

ts_status ir_index_rebuild(ir_graph *g);
ts_status ir_grow(void **arr, int *cap, int need, size_t elem);
void      ir_attr_clear(ir_attr *a);
void      ir_node_clear(ir_node *n);
void      ir_value_clear(ir_value *v);

/* Consumers of every value, as CSR: the nodes reading value v are
 * node[start[v] .. start[v+1]) (a node reading v twice appears twice).
 * Dead nodes are left out. Free with ir_uses_free. */
typedef struct ir_uses { int *start; int *node; } ir_uses;
ts_status ir_uses_build(const ir_graph *g, ir_uses *u);
void      ir_uses_free(ir_uses *u);
static inline int ir_uses_count(const ir_uses *u, int v) { return u->start[v + 1] - u->start[v]; }

/* Makes every live node that reads `from` read `to` instead. */
void ir_replace_uses(ir_graph *g, int from, int to);

/* Registered callbacks (see ir_set_const_evaluator, ir_set_fusion_filter). */
ir_eval_fn          ir_const_evaluator(void **ctx);
ir_fusion_filter_fn ir_fusion_filter(void);

/* Passes, one per file pass_<name>.c. */
ts_status ir_pass_fold_constants(ir_graph *g);
ts_status ir_pass_eliminate_dead(ir_graph *g);
ts_status ir_pass_eliminate_identity(ir_graph *g);
ts_status ir_pass_fold_batchnorm(ir_graph *g);
ts_status ir_pass_fold_conv_affine(ir_graph *g);
ts_status ir_pass_fuse_hardswish(ir_graph *g);
ts_status ir_pass_fuse_activation(ir_graph *g);

#endif

/*
 * Internal to the elementwise ops (not a public header): rules that ir
 * inference and the CPU kernels must apply identically. Only
 * src/ir/op_elementwise*.c and src/cpu/op_elementwise*.c include it.
 */
#ifndef TESSERA_IR_OP_ELEMENTWISE_H
#define TESSERA_IR_OP_ELEMENTWISE_H

#include "ir/ir.h"

/* Before opset 7, binary ops broadcast B only with attribute broadcast=1,
 * aligned at `axis` of A; PRelu-6 takes a slope of shape [C] for channel
 * axis 1. Writes B's dims as numpy broadcasting should see them (rank *rb)
 * and returns true, or returns false when B is to be used as it is. */
bool ir_ew_legacy_dims(const ir_node *n, int opset, const ts_tensor *a, const ts_tensor *b,
                       int *rb, int64_t *db);

#endif

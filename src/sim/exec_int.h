/*
 * sim/exec_int.h (internal to exec*.c): what exec.c and exec_vec.c share.
 */
#ifndef TESSERA_SIM_EXEC_INT_H
#define TESSERA_SIM_EXEC_INT_H

#include "sim/kernels.h"

ts_status sim_check_span(const char *what, uint64_t base, uint64_t rows, uint64_t stride, uint64_t len,
                         uint64_t limit, const char *space, const char *unit);
ts_status sim_exec_vec(const isa_inst *in, const sim_mem *m);
ts_status sim_exec_requant(const isa_inst *in, const sim_mem *m);

#endif

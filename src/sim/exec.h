/*
 * sim/exec.h (internal to the sim layer): the functional half of the
 * simulator. sim_exec() applies one instruction's exact data effect as
 * docs/isa.md defines it; the timing half (sim.c) decides when.
 *
 * Kernels are vectorized with runtime CPU dispatch (AVX-512 VNNI, AVX2,
 * scalar) and every path gives bit-identical results.
 */
#ifndef TESSERA_SIM_EXEC_H
#define TESSERA_SIM_EXEC_H

#include "arch/arch.h"
#include "isa/isa.h"

typedef struct sim_mem {
    uint8_t *hbm;  uint64_t hbm_bytes;   /* shared by all cores */
    uint8_t *sram; uint64_t sram_bytes;  /* this core's scratchpad */
    uint8_t *acc;  uint64_t acc_bytes;   /* this core's accumulator, 4-byte entries */
} sim_mem;

/* Executes in's data effect on m. Checks every address range and every
 * limit from the chip (k <= matrix rows, n <= matrix cols, ...). Returns
 * TS_ERR_RANGE / TS_ERR_INVALID with a message saying which field is wrong;
 * the caller prefixes "core C, instruction I (OP): ". SYS ops do nothing. */
ts_status sim_exec(const isa_inst *in, const sim_mem *m, const arch_chip *chip);

/* Kernel path selection, for tests that check every path agrees. */
typedef enum sim_kernel_path { SIM_PATH_SCALAR = 0, SIM_PATH_AVX2 = 1, SIM_PATH_AVX512 = 2 } sim_kernel_path;
sim_kernel_path sim_kernel_path_best(void);           /* what this host supports */
void            sim_kernel_force_path(sim_kernel_path p);
sim_kernel_path sim_kernel_path_active(void);

#endif

/*
 * sim: the NPU simulator, the chip's golden model. It computes the real
 * tensors (bit-exact to docs/isa.md, through sim_exec) and times every
 * instruction event by event (docs/isa.md "Timing"): four in-order engine
 * queues per core, dependency tokens, barriers across cores, DMA bandwidth
 * shared by every transfer of every core, and energy from the chip's table.
 *
 *   sim_machine *m;
 *   if (sim_new(&chip, prog, &m)) { fprintf(stderr, "%s\n", ts_last_error()); ... }
 *   sim_hbm_write(m, 0x1000, a, a_bytes);        // inputs into device memory
 *   sim_result r;
 *   if (sim_run(m, &r)) ...                      // error names core, instruction
 *   sim_hbm_read(m, 0x9000, c, c_bytes);         // outputs
 *   sim_report_print(&r, stdout);                // or sim_report_json
 *   sim_free(m);
 *
 * Device memory. "HBM" is the chip's off-chip DRAM (chip.hbm.bytes). A chip
 * with no DRAM (hbm.bytes == 0, e.g. hanguang-800) has its LOAD/STORE
 * addresses mapped onto a host-memory window of SIM_HOST_WINDOW_BYTES reached
 * over the host link (host_gbps); everything else is the same. Each core has
 * its own SRAM (chip.core.sram.bytes, capacity enforced by every instruction)
 * and accumulator (chip.core.acc_bytes). All memory starts zeroed.
 *
 * Prefix: sim_. Depends on base, arch, isa.
 */
#ifndef TESSERA_SIM_H
#define TESSERA_SIM_H

#include "arch/arch.h"
#include "isa/isa.h"

/* Size of the host-memory window that stands in for HBM on DRAM-less chips. */
#define SIM_HOST_WINDOW_BYTES (4ull << 30)

typedef struct sim_machine sim_machine;

/* Energy by component, millijoules. */
typedef struct sim_energy {
    double mac, sram, acc, hbm, vector, static_, total;
} sim_energy;

typedef struct sim_result {
    int      cores;
    uint64_t cycles;            /* until the last engine of the last core ENDs */
    double   seconds;           /* cycles at the chip's clock */
    int64_t  instructions;      /* executed, all cores */
    double   busy_cycles[ISA_MAX_CORES][ISA_ENGINES];
    int64_t  inst_count[ISA_MAX_CORES][ISA_ENGINES];
    double   busy_pct[ISA_ENGINES];  /* mean over cores, % of cycles */
    int64_t  int8_macs, bf16_macs;
    int64_t  vector_elems;       /* elements processed by the vector unit */
    int      chip_cores;         /* the chip's cores; `cores` is how many the program uses */
    double   mac_util;           /* int8-equivalent MACs / (R*C*chip cores*cycles) */
    double   mac_util_used;      /* the same over the cores the program uses */
    double   achieved_tops;      /* 2 * MACs / seconds / 1e12 */
    /* Bytes moved per level; "hbm" is the host window on DRAM-less chips. */
    int64_t  hbm_read, hbm_write, sram_read, sram_write, acc_read, acc_write;
    sim_energy energy;
    bool     host_window;        /* LOAD/STORE addressed host memory */
    double   host_seconds;       /* wall time the simulation took */
    char     chip[ARCH_NAME_MAX];
    double   clock_ghz;
} sim_result;

/* The program must stay alive and unchanged until sim_free. Checks the
 * program's structure (engine fields, nothing after END on an engine, core
 * count <= chip cores); errors name core and instruction. */
ts_status sim_new(const arch_chip *chip, const isa_program *prog, sim_machine **out);
void      sim_free(sim_machine *m);

/* Device memory ("HBM", or the host window on a DRAM-less chip). Ranges are
 * checked; errors name the address and size. */
uint64_t  sim_hbm_size(const sim_machine *m);
bool      sim_has_hbm(const sim_machine *m);
ts_status sim_hbm_write(sim_machine *m, uint64_t addr, const void *src, uint64_t n);
ts_status sim_hbm_read(const sim_machine *m, uint64_t addr, void *dst, uint64_t n);
/* A core's scratchpad, for tests and debugging. */
ts_status sim_sram_write(sim_machine *m, int core, uint64_t addr, const void *src, uint64_t n);
ts_status sim_sram_read(const sim_machine *m, int core, uint64_t addr, void *dst, uint64_t n);
ts_status sim_acc_read(const sim_machine *m, int core, uint64_t elem, void *dst, uint64_t n_elems);

/* Records one trace slice per instruction during sim_run (off by default). */
void      sim_enable_trace(sim_machine *m, bool on);
/* Chrome trace-event JSON (Perfetto opens it): a process per core, a thread
 * per engine, one "X" slice per instruction, times in microseconds at the
 * chip's clock. Written to a temp file and renamed: never partial. */
ts_status sim_write_trace(const sim_machine *m, const char *path);

/* Runs the program to completion (every engine of every core ENDed or out of
 * instructions). A token/barrier deadlock gives TS_ERR_DEADLOCK naming each
 * blocked core, engine and instruction; a faulting instruction gives
 * sim_exec's error prefixed "core C, instruction I (OP): ". Runs once per
 * sim_new or sim_reset. */
ts_status sim_run(sim_machine *m, sim_result *out);

/* Makes the machine ready to run its program again, memory kept as it is
 * (weights loaded once, inputs rewritten between runs). Clears tokens,
 * barriers and the trace. */
void sim_reset(sim_machine *m);

/* Reports: a table for people, JSON for machines. */
void sim_report_print(const sim_result *r, FILE *f);
void sim_report_json(const sim_result *r, FILE *f, bool pretty);

/* ---- program generators --------------------------------------------------- */

/* A tiled GEMM C[M,N] = A[M,K] x B[K,N] (INT8 in, INT32 accumulate) split
 * across the chip's cores, double-buffered, with the output either
 * requantized to INT8 (per tensor: mult, shift, zero point as VREQUANT
 * defines) or stored as INT32. Row-major matrices at the given HBM
 * addresses. Block sizes are chosen from the chip (SRAM, ACC, array size)
 * unless set (> 0). */
typedef struct sim_gemm_spec {
    int64_t  M, N, K;
    uint64_t a_addr, b_addr, c_addr;
    bool     out_int32;       /* false: requantize to int8 */
    int32_t  rq_mult, rq_shift, rq_zp;
    int      block_m, block_n; /* 0: choose */
    int      b_scheme;         /* SIM_GEMM_AUTO, or force one (tests, experiments) */
} sim_gemm_spec;

/* How B reaches SRAM: a fresh R x bn tile per K step of every block
 * (streaming), or a K x bn panel loaded once per core and column block and
 * kept while the core walks every row block under it (less traffic). */
enum { SIM_GEMM_AUTO = 0, SIM_GEMM_STREAM_B = 1, SIM_GEMM_PANEL_B = 2 };

typedef struct sim_gemm_plan {
    int block_m, block_n, k_step;  /* chosen tile sizes */
    int blocks;                    /* output blocks over all cores */
    int acc_buffers, io_buffers;   /* double-buffering depth of ACC / loads */
    bool b_panel;                  /* B kept as a resident panel */
} sim_gemm_plan;

ts_status sim_build_gemm_program(const arch_chip *chip, const sim_gemm_spec *spec,
                                 isa_program **out, sim_gemm_plan *plan);

#endif

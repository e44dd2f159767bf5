/*
 * sim_int.h: what the files of the sim layer share with each other (the
 * machine's state, the trace buffer). Not for other layers: use sim.h.
 */
#ifndef TESSERA_SIM_INT_H
#define TESSERA_SIM_INT_H

#include "sim/exec.h"
#include "sim/sim.h"

/* One executed instruction, for the trace. Times in cycles. */
typedef struct sim_slice {
    double start, end;
    int    core, engine, index;
} sim_slice;

/* A change in the number of transfers sharing the memory bandwidth. */
typedef struct sim_bw_sample {
    double t;
    int    transfers;
    double bytes_per_cycle;  /* all transfers together */
} sim_bw_sample;

typedef enum sim_eng_state {
    SIM_IDLE,     /* ready to start its next instruction when tokens allow */
    SIM_BUSY,     /* fixed-latency instruction in flight until `end` */
    SIM_DMA,      /* transfer in flight: fixed phase, then bandwidth share */
    SIM_BARRIER,  /* arrived at a barrier, waiting for the other cores */
    SIM_DONE      /* ENDed or out of instructions */
} sim_eng_state;

/* A DMA whose data has moved but whose memory latency has not yet passed:
 * its signals are given at time t. The engine meanwhile runs on, so the
 * latency of back-to-back transfers overlaps. */
typedef struct sim_pending {
    double t;
    int    index;
} sim_pending;

typedef struct sim_engine {
    int          *queue;     /* instruction indices of this engine, stream order */
    int           n_queue, pos;
    sim_eng_state state;
    int           cur;       /* instruction in flight (index in the core stream) */
    double        start, end;
    double        fixed_end; /* DMA: when the data phase begins (after setup) */
    double        remaining; /* DMA: bytes still to move */
    sim_pending  *pend;      /* DMA latency tails in flight, oldest first */
    int           n_pend, head, cap_pend;
} sim_engine;

struct sim_machine {
    arch_chip          chip;
    const isa_program *prog;
    int                cores;
    uint8_t           *hbm;
    uint64_t           hbm_bytes;
    bool               host_window;
    uint8_t          **sram, **acc;
    sim_engine         eng[ISA_MAX_CORES][ISA_ENGINES];
    /* tokens[core][giver][taker]: counting semaphores */
    int64_t            tokens[ISA_MAX_CORES][ISA_ENGINES][ISA_ENGINES];
    int32_t           *barrier_arrived;  /* [engine][id] */
    bool               ran, tracing;
    sim_slice         *slices;
    int64_t            n_slices, cap_slices;
    sim_bw_sample     *bw;       /* memory bandwidth in use over time (trace) */
    int64_t            n_bw, cap_bw;
};

/* timing.c: the documented latency of a fixed-latency instruction (not
 * DMA), and the bytes a DMA moves. */
double   sim_fixed_latency(const arch_chip *chip, const isa_inst *in);
uint64_t sim_dma_bytes(const isa_inst *in);
/* DMA: bytes per cycle of the shared HBM (or host link) and per-transfer cap. */
double   sim_dma_bandwidth(const arch_chip *chip);
double   sim_dma_port_cap(const arch_chip *chip);
double   sim_dma_setup(const arch_chip *chip);
double   sim_dma_latency(const arch_chip *chip);
/* Adds in's traffic, MAC and vector counts to r. */
void     sim_count_inst(const arch_chip *chip, const isa_inst *in, sim_result *r);
/* Fills r's derived figures (utilization, TOPS, energy) from its counts. */
void     sim_finish_result(const arch_chip *chip, sim_result *r);

#endif

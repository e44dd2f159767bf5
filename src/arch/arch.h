/*
 * arch: the chip description. A chip is data: a YAML file (configs/NAME.yaml,
 * parsed with Debian's libyaml) that a user copies and edits. Everything a
 * tool quotes that follows from it (peak TOPS, SRAM totals, roofline ridge)
 * is computed here, never typed into a config.
 *
 *   arch_chip chip;
 *   if (arch_load("npu-256t", &chip) != TS_OK)      // preset name or path
 *       fprintf(stderr, "%s\n", ts_last_error());  // names file, line, key
 *   arch_derived d; arch_derive(&chip, &d);
 *
 * Prefix: arch_. Depends on base only.
 */
#ifndef TESSERA_ARCH_H
#define TESSERA_ARCH_H

#include "base/base.h"

#define ARCH_NAME_MAX 64
#define ARCH_MAX_CORES 64   /* simulable chips; reference points may quote more */

/* Matrix unit: an R x C array of MACs (weight-stationary systolic). */
typedef struct arch_matrix {
    int    rows, cols;        /* R, C: INT8 MACs per cycle = R * C */
    double bf16_rate;         /* BF16 MACs per cycle as a fraction of INT8 (0 = none) */
    int    fill_latency;      /* extra cycles to fill/drain the pipeline (default R + C) */
} arch_matrix;

typedef struct arch_vector {
    int lanes;                /* 32-bit elements per cycle */
    int latency;              /* pipeline latency in cycles */
    int transcendental_cost;  /* cycles per lane-group for exp/tanh/... */
} arch_vector;

typedef struct arch_sram {
    int64_t bytes;            /* scratchpad per core */
    int     banks;
    int     bytes_per_cycle;  /* per-core SRAM port width */
} arch_sram;

typedef struct arch_dma {
    int engines;              /* DMA engines per core (in and out share this count) */
    int setup_cycles;         /* fixed cost per descriptor */
} arch_dma;

typedef struct arch_core {
    arch_matrix matrix;
    arch_vector vector;
    arch_sram   sram;
    int64_t     acc_bytes;    /* accumulator memory (INT32/FP32 entries) */
    arch_dma    dma;
} arch_core;

typedef struct arch_hbm {
    int64_t bytes;            /* 0 = no off-chip DRAM (weights live in SRAM) */
    double  gbps;             /* GB/s (1e9 bytes/s), shared by all cores */
    int     latency_cycles;
} arch_hbm;

typedef struct arch_link {    /* chip-to-chip links, for multi-chip */
    int    count;
    double gbps;              /* per link, per direction */
    int    latency_cycles;
} arch_link;

/* Energy per event, picojoules (process-node table). */
typedef struct arch_energy {
    double pj_int8_mac, pj_bf16_mac, pj_sram_byte, pj_hbm_byte, pj_vector_op;
    double static_watts;      /* leakage + clocking while running */
} arch_energy;

typedef struct arch_chip {
    char        name[ARCH_NAME_MAX];
    char        description[256];
    int         process_nm;
    int         cores;
    double      clock_ghz;
    arch_core   core;         /* all cores are identical */
    arch_hbm    hbm;
    double      host_gbps;    /* host link (PCIe) */
    arch_link   link;
    arch_energy energy;
    bool        reference_only; /* analytic reference point (A100/H100): peaks only, not simulable */
    double      ref_int8_tops, ref_bf16_tflops; /* reference points: published peaks */
} arch_chip;

typedef struct arch_derived {
    double  peak_int8_tops;     /* 2 * R * C * cores * clock */
    double  peak_bf16_tflops;
    int64_t sram_bytes;         /* all cores */
    int64_t acc_bytes;
    double  hbm_gbps;
    double  ridge_ops_per_byte; /* peak INT8 ops / HBM bytes per second */
    double  cycle_ns;
} arch_derived;

/* Loads a preset by name (configs/NAME.yaml, found next to the binary or in
 * TESSERA_CONFIGS) or a path to a YAML file. Validates every field. */
ts_status arch_load(const char *name_or_path, arch_chip *out);
ts_status arch_parse(const char *yaml_text, size_t len, const char *filename, arch_chip *out);
void      arch_derive(const arch_chip *chip, arch_derived *out);
/* Names of the bundled presets, NULL-terminated. */
const char *const *arch_preset_names(void);
/* Directory holding the presets (for messages and listing). */
const char *arch_config_dir(void);

#endif

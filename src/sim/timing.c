/* timing.c: the latency formulas of docs/isa.md "Timing", and the traffic,
 * MAC and energy accounting of one instruction. Keep both in step with the
 * document: tests/test_sim.c checks single instructions against it. */
#include "sim/sim_int.h"

#include <math.h>

#define F(in, fmt, name) ((in)->f[ISA_F_##fmt##_##name])

/* Fill/drain of the systolic array: the config's figure, or R + C. */
static double sim_fill(const arch_chip *chip) {
    const arch_matrix *mx = &chip->core.matrix;
    return mx->fill_latency > 0 ? mx->fill_latency : mx->rows + mx->cols;
}

/* MATMUL: k cycles to load the weights (one row of B per cycle), m cycles
 * to stream the rows of A, fill/drain. BF16 streams at bf16_rate. */
static double sim_matmul_latency(const arch_chip *chip, const isa_inst *in) {
    double km = (double)F(in, MM, k) + (double)F(in, MM, m);
    double rate = F(in, MM, dtype) == 1 ? chip->core.matrix.bf16_rate : 1.0;
    if (!(rate > 0)) rate = 1.0; /* sim_exec rejects BF16 on such a chip */
    return ceil(km / rate) + sim_fill(chip);
}

/* Functions and ops that take the transcendental path of the vector unit. */
static bool sim_vec_transcendental(const isa_inst *in) {
    if (in->op == ISA_VDIV) return true;
    if (in->op != ISA_VACT) return false;
    switch ((int)F(in, VEC, func)) {
    case ISA_ACT_SIGMOID: case ISA_ACT_TANH: case ISA_ACT_GELU: case ISA_ACT_EXP:
    case ISA_ACT_RSQRT: case ISA_ACT_RECIP: case ISA_ACT_SQRT: case ISA_ACT_LOG:
        return true;
    default:
        return false;
    }
}

/* Vector: ceil(elements / lanes) lane-groups, each `cost` cycles, plus the
 * pipeline latency. */
static double sim_vector_latency(const arch_chip *chip, const isa_inst *in) {
    const arch_vector *v = &chip->core.vector;
    bool rq = in->op == ISA_VREQUANT;
    double elems = rq ? (double)F(in, RQ, rows) * (double)F(in, RQ, cols)
                      : (double)F(in, VEC, rows) * (double)F(in, VEC, cols);
    double cost = sim_vec_transcendental(in) && v->transcendental_cost > 0 ? v->transcendental_cost : 1;
    return ceil(elems / v->lanes) * cost + v->latency;
}

double sim_fixed_latency(const arch_chip *chip, const isa_inst *in) {
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (in->op == ISA_NOP) return 1;
    if (in->op == ISA_END || in->op == ISA_BARRIER) return 0;
    if (in->op == ISA_MATMUL) return sim_matmul_latency(chip, in);
    if (d && (d->format == ISA_FMT_VEC || d->format == ISA_FMT_RQ)) return sim_vector_latency(chip, in);
    return 0;
}

uint64_t sim_dma_bytes(const isa_inst *in) {
    return F(in, DMA, rows) * F(in, DMA, row_bytes);
}

/* Bytes per cycle of the memory LOAD/STORE reach: HBM, or the host link on
 * a chip without DRAM. */
double sim_dma_bandwidth(const arch_chip *chip) {
    double gbps = chip->hbm.bytes > 0 ? chip->hbm.gbps : chip->host_gbps;
    return gbps / chip->clock_ghz;
}

/* One transfer cannot move more than the core's SRAM port per cycle. */
double sim_dma_port_cap(const arch_chip *chip) {
    int p = chip->core.sram.bytes_per_cycle;
    return p > 0 ? p : INFINITY;
}

double sim_dma_setup(const arch_chip *chip) { return (double)chip->core.dma.setup_cycles; }
double sim_dma_latency(const arch_chip *chip) { return (double)chip->hbm.latency_cycles; }

/* ---- accounting -------------------------------------------------------- */

static int64_t sim_dt_bytes(int dt) {
    switch (dt) {
    case ISA_DT_INT8: case ISA_DT_UINT8: return 1;
    case ISA_DT_BF16: case ISA_DT_INT16: return 2;
    default: return 4;
    }
}

/* Counts `elems` elements read or written in SRAM or ACC (ACC entries are
 * 4 bytes whatever the type). */
static void sim_count_vec_side(sim_result *r, bool acc, int dt, int64_t elems, bool write) {
    int64_t bytes = elems * (acc ? 4 : sim_dt_bytes(dt));
    if (acc) *(write ? &r->acc_write : &r->acc_read) += bytes;
    else *(write ? &r->sram_write : &r->sram_read) += bytes;
}

static bool sim_vec_has_src1(const isa_inst *in) {
    switch (in->op) {
    case ISA_VADD: case ISA_VSUB: case ISA_VMUL: case ISA_VMAX: case ISA_VMIN: case ISA_VDIV:
        return F(in, VEC, bcast) != 3;
    default:
        return false;
    }
}

static void sim_count_vector(const isa_inst *in, sim_result *r) {
    int64_t rows = (int64_t)F(in, VEC, rows), cols = (int64_t)F(in, VEC, cols);
    int64_t elems = rows * cols;
    int st = (int)F(in, VEC, stype), dt = (int)F(in, VEC, dtype);
    r->vector_elems += elems;
    if (in->op != ISA_VFILL) sim_count_vec_side(r, F(in, VEC, s0space), st, elems, false);
    if (sim_vec_has_src1(in)) {
        int64_t n1 = elems;
        if (F(in, VEC, bcast) == 1) n1 = cols;
        else if (F(in, VEC, bcast) == 2) n1 = rows;
        sim_count_vec_side(r, F(in, VEC, s1space), st, n1, false);
    }
    sim_count_vec_side(r, F(in, VEC, dspace), dt, in->op == ISA_VREDUCE ? rows : elems, true);
}

/* VREQUANT: int32 in, dtype out, a 12-byte {mult, shift, zp} record per
 * column read from SRAM in per_column mode. */
static void sim_count_requant(const isa_inst *in, sim_result *r) {
    int64_t rows = (int64_t)F(in, RQ, rows), cols = (int64_t)F(in, RQ, cols);
    r->vector_elems += rows * cols;
    sim_count_vec_side(r, F(in, RQ, s0space), ISA_DT_INT32, rows * cols, false);
    if (F(in, RQ, mode) == ISA_RQ_PER_COLUMN) r->sram_read += cols * 12;
    sim_count_vec_side(r, F(in, RQ, dspace), (int)F(in, RQ, dtype), rows * cols, true);
}

void sim_count_inst(const arch_chip *chip, const isa_inst *in, sim_result *r) {
    (void)chip;
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (in->op == ISA_LOAD || in->op == ISA_STORE) {
        int64_t b = (int64_t)sim_dma_bytes(in);
        if (in->op == ISA_LOAD) { r->hbm_read += b; r->sram_write += b; }
        else { r->hbm_write += b; r->sram_read += b; }
    } else if (in->op == ISA_MATMUL) {
        int64_t m = (int64_t)F(in, MM, m), k = (int64_t)F(in, MM, k), n = (int64_t)F(in, MM, n);
        bool bf16 = F(in, MM, dtype) == 1;
        *(bf16 ? &r->bf16_macs : &r->int8_macs) += m * k * n;
        r->sram_read += (m * k + k * n) * (bf16 ? 2 : 1);
        r->acc_write += m * n * 4;
        if (F(in, MM, accumulate)) r->acc_read += m * n * 4;
    } else if (in->op == ISA_VREQUANT) {
        sim_count_requant(in, r);
    } else if (d && d->format == ISA_FMT_VEC) {
        sim_count_vector(in, r);
    }
}

void sim_finish_result(const arch_chip *chip, sim_result *r) {
    const arch_energy *e = &chip->energy;
    double pj_to_mj = 1e-9;
    r->seconds = (double)r->cycles / (chip->clock_ghz * 1e9);
    double macs_per_cycle = (double)chip->core.matrix.rows * chip->core.matrix.cols * chip->cores;
    double bf16_rate = chip->core.matrix.bf16_rate > 0 ? chip->core.matrix.bf16_rate : 1.0;
    double equiv = (double)r->int8_macs + (double)r->bf16_macs / bf16_rate;
    r->mac_util = r->cycles ? equiv / (macs_per_cycle * (double)r->cycles) : 0;
    r->chip_cores = chip->cores;
    r->mac_util_used = r->cores ? r->mac_util * chip->cores / r->cores : 0;
    r->achieved_tops = r->seconds > 0 ? 2.0 * (double)(r->int8_macs + r->bf16_macs) / r->seconds / 1e12 : 0;
    for (int g = 0; g < ISA_ENGINES; g++) {
        double s = 0;
        for (int c = 0; c < r->cores; c++) s += r->busy_cycles[c][g];
        r->busy_pct[g] = r->cycles && r->cores ? 100.0 * s / ((double)r->cycles * r->cores) : 0;
    }
    sim_energy *en = &r->energy;
    en->mac = ((double)r->int8_macs * e->pj_int8_mac + (double)r->bf16_macs * e->pj_bf16_mac) * pj_to_mj;
    en->sram = (double)(r->sram_read + r->sram_write) * e->pj_sram_byte * pj_to_mj;
    en->acc = (double)(r->acc_read + r->acc_write) * e->pj_sram_byte * pj_to_mj;
    en->hbm = (double)(r->hbm_read + r->hbm_write) * e->pj_hbm_byte * pj_to_mj;
    en->vector = (double)r->vector_elems * e->pj_vector_op * pj_to_mj;
    en->static_ = e->static_watts * r->seconds * 1e3;
    en->total = en->mac + en->sram + en->acc + en->hbm + en->vector + en->static_;
    r->clock_ghz = chip->clock_ghz;
}

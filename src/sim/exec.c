/*
 * exec.c: sim_exec, the functional half of the simulator. It checks an
 * instruction's operands against the memories and the chip, then applies its
 * data effect exactly as docs/isa.md defines it, through the host kernels of
 * kernels_*.c. SYS instructions have no data effect (the timing half handles
 * tokens, barriers and END).
 */
#include <string.h>

#include "sim/exec_int.h"

/* ---- kernel path ----------------------------------------------------------- */

static int forced_path = -1;  /* -1: the best the host supports */

sim_kernel_path sim_kernel_path_best(void) {
    static int best = -1;
    if (best < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vnni"))
            best = SIM_PATH_AVX512;
        else if (__builtin_cpu_supports("avx2"))
            best = SIM_PATH_AVX2;
        else
            best = SIM_PATH_SCALAR;
    }
    return (sim_kernel_path)best;
}

/* Forcing a path the host lacks falls back to the best it has. */
void sim_kernel_force_path(sim_kernel_path p) { forced_path = (int)p; }

sim_kernel_path sim_kernel_path_active(void) {
    sim_kernel_path best = sim_kernel_path_best();
    if (forced_path < 0 || forced_path > (int)best) return best;
    return (sim_kernel_path)forced_path;
}

sim_kernel_path sim_kpath(void) { return sim_kernel_path_active(); }

/* ---- range checks ------------------------------------------------------------ */

/* Units [base, base + (rows-1)*stride + len) must lie in [0, limit). All
 * inputs are < 2^48, so the arithmetic cannot overflow 64 bits. */
ts_status sim_check_span(const char *what, uint64_t base, uint64_t rows, uint64_t stride, uint64_t len,
                         uint64_t limit, const char *space, const char *unit) {
    if (rows == 0 || len == 0) return TS_OK;
    uint64_t end = base + (rows - 1) * stride + len;
    if (end > limit)
        return ts_error(TS_ERR_RANGE, "%s: %s %s [0x%llx, 0x%llx) out of range (%s has 0x%llx %s)", what, space,
                        unit, (unsigned long long)base, (unsigned long long)end, space,
                        (unsigned long long)limit, unit);
    return TS_OK;
}

/* ---- DMA ------------------------------------------------------------------------ */

static ts_status exec_dma(const isa_inst *in, const sim_mem *m) {
    uint64_t sram = in->f[ISA_F_DMA_sram], hbm = in->f[ISA_F_DMA_hbm], rows = in->f[ISA_F_DMA_rows];
    uint64_t ss = in->f[ISA_F_DMA_sram_stride], hs = in->f[ISA_F_DMA_hbm_stride], rb = in->f[ISA_F_DMA_row_bytes];
    bool load = in->op == ISA_LOAD;
    if (rows == 0 || rb == 0) return TS_OK;
    ts_status st = sim_check_span("sram", sram, rows, ss, rb, m->sram_bytes, "SRAM", "bytes");
    if (!st) st = sim_check_span("hbm", hbm, rows, hs, rb, m->hbm_bytes, "HBM", "bytes");
    if (st) return st;
    /* rows of the destination must not overlap, or the result would depend on order */
    if (rows > 1 && (load ? ss : hs) < rb)
        return ts_error(TS_ERR_INVALID, "%s (%llu) < row_bytes (%llu): destination rows overlap",
                        load ? "sram_stride" : "hbm_stride", (unsigned long long)(load ? ss : hs),
                        (unsigned long long)rb);
    for (uint64_t r = 0; r < rows; r++) {
        uint8_t *s = m->sram + sram + r * ss, *h = m->hbm + hbm + r * hs;
        if (load) memcpy(s, h, rb);
        else memcpy(h, s, rb);
    }
    return TS_OK;
}

/* ---- MATMUL ---------------------------------------------------------------------- */

static ts_status exec_matmul(const isa_inst *in, const sim_mem *m, const arch_chip *chip) {
    uint64_t M = in->f[ISA_F_MM_m], K = in->f[ISA_F_MM_k], N = in->f[ISA_F_MM_n];
    uint64_t a = in->f[ISA_F_MM_a], b = in->f[ISA_F_MM_b], acc = in->f[ISA_F_MM_acc];
    uint64_t sa = in->f[ISA_F_MM_a_stride], sb = in->f[ISA_F_MM_b_stride], sc = in->f[ISA_F_MM_acc_stride];
    bool bf16 = in->f[ISA_F_MM_dtype] == ISA_MM_BF16, accumulate = in->f[ISA_F_MM_accumulate] != 0;
    uint64_t es = bf16 ? 2 : 1;
    if (K > (uint64_t)chip->core.matrix.rows)
        return ts_error(TS_ERR_RANGE, "k = %llu exceeds the matrix unit's %d rows", (unsigned long long)K,
                        chip->core.matrix.rows);
    if (N > (uint64_t)chip->core.matrix.cols)
        return ts_error(TS_ERR_RANGE, "n = %llu exceeds the matrix unit's %d columns", (unsigned long long)N,
                        chip->core.matrix.cols);
    if (bf16 && !(chip->core.matrix.bf16_rate > 0))
        return ts_error(TS_ERR_UNSUPPORTED, "dtype=bf16: chip '%s' has no BF16 matrix support", chip->name);
    if (M == 0 || N == 0) return TS_OK;
    if (M > 1 && sc < N)
        return ts_error(TS_ERR_INVALID, "acc_stride (%llu) < n (%llu): output rows overlap",
                        (unsigned long long)sc, (unsigned long long)N);
    ts_status st = sim_check_span("a", a, M, sa * es, K * es, m->sram_bytes, "SRAM", "bytes");
    if (!st) st = sim_check_span("b", b, K, sb * es, N * es, m->sram_bytes, "SRAM", "bytes");
    if (!st) st = sim_check_span("acc", acc, M, sc, N, m->acc_bytes / 4, "ACC", "entries");
    if (st) return st;
    if (bf16)  /* the kernels read bf16 with memcpy: a and b need no alignment */
        return sim_mm_bf16((const uint16_t *)(m->sram + a), (int64_t)sa, (const uint16_t *)(m->sram + b),
                           (int64_t)sb, (float *)(m->acc + 4 * acc), (int64_t)sc, (int)M, (int)K, (int)N, accumulate);
    return sim_mm_int8((const int8_t *)(m->sram + a), (int64_t)sa, (const int8_t *)(m->sram + b), (int64_t)sb,
                       (int32_t *)(m->acc + 4 * acc), (int64_t)sc, (int)M, (int)K, (int)N, accumulate);
}

ts_status sim_exec(const isa_inst *in, const sim_mem *m, const arch_chip *chip) {
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (!d) return ts_error(TS_ERR_INVALID, "unknown opcode 0x%02x", (unsigned)in->op);
    switch (d->format) {
    case ISA_FMT_SYS: return TS_OK;
    case ISA_FMT_DMA: return exec_dma(in, m);
    case ISA_FMT_MM: return exec_matmul(in, m, chip);
    case ISA_FMT_VEC: return sim_exec_vec(in, m);
    case ISA_FMT_RQ: return sim_exec_requant(in, m);
    default: return ts_error(TS_ERR_INTERNAL, "%s: no executor for format %s", d->name, isa_format_name(d->format));
    }
}

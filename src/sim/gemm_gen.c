/* gemm_gen.c: builds a tiled, double-buffered, multi-core GEMM program
 * through the isa API (the bench, the tests and `make run` use it).
 *
 * Output blocks of bm x bn are dealt round-robin to the cores. Per block, K
 * is walked in steps of R (the array's rows): DMA-in loads an A tile
 * (bm x R) and a B tile (R x bn) into one of two buffers; the matrix unit
 * runs bn/C MATMULs (bm x R x C) accumulating into the block's ACC buffer;
 * the vector unit requantizes (or copies) it to an SRAM output buffer; and
 * DMA-out stores it. Tokens, one meaning per engine pair:
 *   dma_in -> matrix   a load step is in SRAM       (signal on the B load)
 *   matrix -> dma_in   a load buffer is free again  (last MATMUL of a step)
 *   matrix -> vector   a block's ACC is final       (last MATMUL of a block)
 *   vector -> matrix   an ACC buffer is free again
 *   vector -> dma_out  an output buffer is ready
 *   dma_out -> vector  an output buffer is free again
 * A producer waits for a "free" token only once every buffer is used. */
#include "sim/sim_int.h"

#include <math.h>
#include <string.h>

#define SIM_ALIGN(x) (((x) + 63) & ~(int64_t)63)
#define BIT(e) (1u << (e))

typedef struct gemm_ctx {
    const sim_gemm_spec *s;
    isa_program *p;
    int64_t R, C, bm, bn, osz;
    int64_t io_bytes, a_bytes, out_base, out_bytes, acc_elems;
    int nacc, nout;
    bool panel;            /* B panel (K x bn) stays in SRAM over a core's row blocks */
    int64_t panel_base;    /* SRAM address of the panel */
} gemm_ctx;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* SRAM needed for two load buffers (A tiles, and B tiles unless B is a
 * resident panel of K x bn) and nout output buffers. */
static int64_t gemm_sram_need(int64_t R, int64_t K, int64_t bm, int64_t bn, int64_t osz, int nout, bool panel) {
    int64_t loads = panel ? 2 * SIM_ALIGN(bm * R) + SIM_ALIGN(cdiv(K, R) * R * bn) : 2 * SIM_ALIGN(bm * R + R * bn);
    return loads + nout * SIM_ALIGN(bm * bn * osz);
}

/* Estimated cycles of a blocking: the slower of per-core compute (MATMUL
 * formula) and all traffic over the shared bandwidth, plus the pipeline's
 * start (the first load step) and end (the last block's drain and store),
 * which nothing overlaps. */
static double gemm_estimate(const arch_chip *chip, const sim_gemm_spec *s, int64_t bm, int64_t bn, int64_t osz,
                            bool panel) {
    int64_t R = chip->core.matrix.rows, C = chip->core.matrix.cols;
    double fill = chip->core.matrix.fill_latency > 0 ? chip->core.matrix.fill_latency : (double)(R + C);
    int64_t mblocks = cdiv(s->M, bm), panels = cdiv(s->N, bn), blocks = mblocks * panels;
    int64_t busy = TS_MIN(panel ? panels : blocks, (int64_t)chip->cores);
    int64_t per_core = panel ? mblocks * cdiv(panels, chip->cores) : cdiv(blocks, chip->cores);
    double per_block = (double)cdiv(s->K, R) * (double)cdiv(bn, C) * ((double)R + (double)bm + fill);
    double compute = (double)per_core * per_block;
    double b_bytes = (double)(panel ? panels : blocks) * (double)s->K * (double)bn;
    double bytes = (double)blocks * (double)s->K * (double)bm + b_bytes + (double)(s->M * s->N * osz);
    double bw = sim_dma_bandwidth(chip), fixed = sim_dma_setup(chip) + sim_dma_latency(chip);
    if (!(bw > 0)) bw = 1;
    double start = fixed + (double)busy * (double)(R * (bm + bn)) / bw;
    double end = ceil((double)(bm * bn) / chip->core.vector.lanes) + chip->core.vector.latency + fixed +
                 (double)busy * (double)(bm * bn * osz) / bw;
    return fmax(compute, bytes / bw) + start + end;
}

static bool gemm_fits(const arch_chip *chip, const sim_gemm_spec *s, int64_t bm, int64_t bn, int64_t osz, int nacc,
                      bool panel) {
    int64_t R = chip->core.matrix.rows;
    if (bm < 1 || bn < 1 || bm > 65535 || bn > 65535) return false;
    /* a panel needs two K steps: reloading its tiles for the next panel then
     * waits (through the load-buffer tokens) for the matrix to be done with them */
    if (panel && cdiv(s->K, R) < 2) return false;
    if ((int64_t)nacc * bm * bn * 4 > chip->core.acc_bytes) return false;
    return gemm_sram_need(R, s->K, bm, bn, osz, 1, panel) <= chip->core.sram.bytes;
}

/* Picks bm x bn (bn a multiple of C) and the B scheme minimizing the estimate. */
static ts_status gemm_choose(const arch_chip *chip, const sim_gemm_spec *s, int64_t osz, int64_t *bm, int64_t *bn,
                             bool *panel) {
    int64_t C = chip->core.matrix.cols;
    int64_t mmax = TS_MIN(s->M, 65535), nmax = TS_MIN(cdiv(s->N, C) * C, 65535 / C * C);
    double best = INFINITY;
    int64_t ms[40], ns[40]; int nm = 0, nn = 0;
    for (int64_t v = 16; v < mmax && nm < 38; v *= 2) ms[nm++] = v;
    ms[nm++] = mmax;
    for (int64_t v = C; v < nmax && nn < 38; v *= 2) ns[nn++] = v;
    ns[nn++] = nmax;
    for (int pm = 0; pm < 2; pm++) {
        if ((pm && s->b_scheme == SIM_GEMM_STREAM_B) || (!pm && s->b_scheme == SIM_GEMM_PANEL_B)) continue;
        for (int i = 0; i < nm; i++)
            for (int j = 0; j < nn; j++) {
                int64_t m = s->block_m > 0 ? s->block_m : ms[i], n = s->block_n > 0 ? s->block_n : ns[j];
                if (!gemm_fits(chip, s, m, n, osz, 1, pm)) continue;
                double t = gemm_estimate(chip, s, m, n, osz, pm);
                if (t < best) { best = t; *bm = m; *bn = n; *panel = pm; }
            }
    }
    if (best == INFINITY)
        return ts_error(TS_ERR_INVALID, "gemm: no block of %s fits chip '%s' (SRAM %lld bytes, ACC %lld bytes)",
                        s->block_m > 0 || s->block_n > 0 ? "the requested size" : "any size", chip->name,
                        (long long)chip->core.sram.bytes, (long long)chip->core.acc_bytes);
    return TS_OK;
}

/* Appends in, with its opcode field set as a decoded instruction has it. */
static ts_status gemm_emit(gemm_ctx *g, int core, const isa_inst *in) {
    isa_inst c = *in;
    c.f[ISA_F_ALL_opcode] = (uint64_t)c.op;
    return isa_program_append(g->p, core, &c);
}

/* SRAM address of the B tile of K step ks in load buffer buf. */
static int64_t gemm_b_tile(const gemm_ctx *g, int64_t buf, int64_t k0) {
    return g->panel ? g->panel_base + k0 * g->bn : buf + g->a_bytes;
}

/* One K step's loads: the A tile, and the B tile unless it is in the
 * resident panel already (load_b false). The last one signals the matrix. */
static ts_status gemm_loads(gemm_ctx *g, int core, int64_t step, int64_t m0, int64_t mb, int64_t n0,
                            int64_t nb, int64_t k0, int64_t kk, bool load_b) {
    const sim_gemm_spec *s = g->s;
    int64_t buf = (step % 2) * g->io_bytes;
    isa_inst a = {.op = ISA_LOAD}, b = {.op = ISA_LOAD};
    a.f[ISA_F_ALL_wait] = step >= 2 ? BIT(ISA_ENG_MATRIX) : 0;
    a.f[ISA_F_ALL_signal] = load_b ? 0 : BIT(ISA_ENG_MATRIX);
    a.f[ISA_F_DMA_sram] = (uint64_t)buf;
    a.f[ISA_F_DMA_hbm] = s->a_addr + (uint64_t)(m0 * s->K + k0);
    a.f[ISA_F_DMA_rows] = (uint64_t)mb;
    a.f[ISA_F_DMA_row_bytes] = (uint64_t)kk;
    a.f[ISA_F_DMA_hbm_stride] = (uint64_t)s->K;
    a.f[ISA_F_DMA_sram_stride] = (uint64_t)g->R;
    b.f[ISA_F_ALL_signal] = BIT(ISA_ENG_MATRIX);
    b.f[ISA_F_DMA_sram] = (uint64_t)gemm_b_tile(g, buf, k0);
    b.f[ISA_F_DMA_hbm] = s->b_addr + (uint64_t)(k0 * s->N + n0);
    b.f[ISA_F_DMA_rows] = (uint64_t)kk;
    b.f[ISA_F_DMA_row_bytes] = (uint64_t)nb;
    b.f[ISA_F_DMA_hbm_stride] = (uint64_t)s->N;
    b.f[ISA_F_DMA_sram_stride] = (uint64_t)g->bn;
    ts_status st = gemm_emit(g, core, &a);
    return st || !load_b ? st : gemm_emit(g, core, &b);
}

/* The MATMULs of one K step of block lb (its local index on the core). */
static ts_status gemm_matmuls(gemm_ctx *g, int core, int64_t lb, int64_t step, int64_t k0, bool last_k,
                              int64_t mb, int64_t nb, int64_t kk) {
    bool first_k = k0 == 0;
    int64_t buf = (step % 2) * g->io_bytes, ntiles = cdiv(nb, g->C);
    for (int64_t j = 0; j < ntiles; j++) {
        isa_inst in = {.op = ISA_MATMUL};
        unsigned wait = 0, sig = 0;
        if (j == 0) wait |= BIT(ISA_ENG_DMA_IN);
        if (j == 0 && first_k && lb >= g->nacc) wait |= BIT(ISA_ENG_VECTOR);
        if (j == ntiles - 1) sig |= BIT(ISA_ENG_DMA_IN) | (last_k ? BIT(ISA_ENG_VECTOR) : 0);
        in.f[ISA_F_ALL_wait] = wait;
        in.f[ISA_F_ALL_signal] = sig;
        in.f[ISA_F_MM_dtype] = 0;
        in.f[ISA_F_MM_accumulate] = first_k ? 0 : 1;
        in.f[ISA_F_MM_a] = (uint64_t)buf;
        in.f[ISA_F_MM_b] = (uint64_t)(gemm_b_tile(g, buf, k0) + j * g->C);
        in.f[ISA_F_MM_acc] = (uint64_t)((lb % g->nacc) * g->acc_elems + j * g->C);
        in.f[ISA_F_MM_m] = (uint64_t)mb;
        in.f[ISA_F_MM_k] = (uint64_t)kk;
        in.f[ISA_F_MM_n] = (uint64_t)TS_MIN(g->C, nb - j * g->C);
        in.f[ISA_F_MM_acc_stride] = (uint64_t)g->bn;
        in.f[ISA_F_MM_a_stride] = (uint64_t)g->R;
        in.f[ISA_F_MM_b_stride] = (uint64_t)g->bn;
        ts_status st = gemm_emit(g, core, &in);
        if (st) return st;
    }
    return TS_OK;
}

/* ACC block -> SRAM output buffer: VREQUANT to int8 or VMOV as int32. */
static ts_status gemm_drain(gemm_ctx *g, int core, int64_t lb, int64_t mb, int64_t nb) {
    const sim_gemm_spec *s = g->s;
    isa_inst in = {.op = s->out_int32 ? ISA_VMOV : ISA_VREQUANT};
    uint64_t dst = (uint64_t)(g->out_base + (lb % g->nout) * g->out_bytes);
    uint64_t src = (uint64_t)((lb % g->nacc) * g->acc_elems);
    in.f[ISA_F_ALL_wait] = BIT(ISA_ENG_MATRIX) | (lb >= g->nout ? BIT(ISA_ENG_DMA_OUT) : 0);
    in.f[ISA_F_ALL_signal] = BIT(ISA_ENG_MATRIX) | BIT(ISA_ENG_DMA_OUT);
    if (s->out_int32) {
        in.f[ISA_F_VEC_stype] = ISA_DT_INT32;
        in.f[ISA_F_VEC_dtype] = ISA_DT_INT32;
        in.f[ISA_F_VEC_dst] = dst;
        in.f[ISA_F_VEC_src0] = src;
        in.f[ISA_F_VEC_rows] = (uint64_t)mb;
        in.f[ISA_F_VEC_cols] = (uint64_t)nb;
        in.f[ISA_F_VEC_dst_stride] = (uint64_t)g->bn;
        in.f[ISA_F_VEC_src0_stride] = (uint64_t)g->bn;
        in.f[ISA_F_VEC_s0space] = ISA_SP_ACC;
    } else {
        in.f[ISA_F_RQ_mode] = ISA_RQ_PER_TENSOR;
        in.f[ISA_F_RQ_dtype] = ISA_DT_INT8;
        in.f[ISA_F_RQ_dst] = dst;
        in.f[ISA_F_RQ_src0] = src;
        in.f[ISA_F_RQ_rows] = (uint64_t)mb;
        in.f[ISA_F_RQ_cols] = (uint64_t)nb;
        in.f[ISA_F_RQ_dst_stride] = (uint64_t)g->bn;
        in.f[ISA_F_RQ_src0_stride] = (uint64_t)g->bn;
        in.f[ISA_F_RQ_s0space] = ISA_SP_ACC;
        in.f[ISA_F_RQ_zp] = (uint64_t)(uint16_t)(int16_t)s->rq_zp;
        in.f[ISA_F_RQ_shift] = (uint64_t)s->rq_shift;
        in.f[ISA_F_RQ_mult] = (uint64_t)(uint32_t)s->rq_mult;
    }
    return gemm_emit(g, core, &in);
}

static ts_status gemm_store(gemm_ctx *g, int core, int64_t lb, int64_t m0, int64_t mb, int64_t n0, int64_t nb) {
    const sim_gemm_spec *s = g->s;
    isa_inst in = {.op = ISA_STORE};
    in.f[ISA_F_ALL_wait] = BIT(ISA_ENG_VECTOR);
    in.f[ISA_F_ALL_signal] = BIT(ISA_ENG_VECTOR);
    in.f[ISA_F_DMA_sram] = (uint64_t)(g->out_base + (lb % g->nout) * g->out_bytes);
    in.f[ISA_F_DMA_hbm] = s->c_addr + (uint64_t)((m0 * s->N + n0) * g->osz);
    in.f[ISA_F_DMA_rows] = (uint64_t)mb;
    in.f[ISA_F_DMA_row_bytes] = (uint64_t)(nb * g->osz);
    in.f[ISA_F_DMA_hbm_stride] = (uint64_t)(s->N * g->osz);
    in.f[ISA_F_DMA_sram_stride] = (uint64_t)(g->bn * g->osz);
    return gemm_emit(g, core, &in);
}

/* Everything for one output block, appended to its core's stream. The
 * engines' instructions interleave in the stream; each engine only sees its
 * own, in order. */
static ts_status gemm_block(gemm_ctx *g, int core, int64_t lb, int64_t *step, int64_t m0, int64_t n0, bool load_b) {
    const sim_gemm_spec *s = g->s;
    int64_t mb = TS_MIN(g->bm, s->M - m0), nb = TS_MIN(g->bn, s->N - n0);
    int64_t ksteps = cdiv(s->K, g->R);
    ts_status st = TS_OK;
    for (int64_t ks = 0; !st && ks < ksteps; ks++, (*step)++) {
        int64_t k0 = ks * g->R, kk = TS_MIN(g->R, s->K - k0);
        st = gemm_loads(g, core, *step, m0, mb, n0, nb, k0, kk, load_b);
        if (!st) st = gemm_matmuls(g, core, lb, *step, k0, ks == ksteps - 1, mb, nb, kk);
    }
    if (!st) st = gemm_drain(g, core, lb, mb, nb);
    if (!st) st = gemm_store(g, core, lb, m0, mb, n0, nb);
    return st;
}

static ts_status gemm_ends(gemm_ctx *g, int core) {
    for (int e = 0; e < ISA_ENGINES; e++) {
        isa_inst in = {.op = ISA_END};
        in.f[ISA_F_SYS_engine] = (uint64_t)e;
        ts_status st = gemm_emit(g, core, &in);
        if (st) return st;
    }
    return TS_OK;
}

static ts_status gemm_check(const arch_chip *chip, const sim_gemm_spec *s) {
    if (s->M < 1 || s->N < 1 || s->K < 1 || s->M > (1 << 24) || s->N > (1 << 24) || s->K > (1 << 24))
        return ts_error(TS_ERR_INVALID, "gemm: sizes M=%lld N=%lld K=%lld must be in [1, 2^24]",
                        (long long)s->M, (long long)s->N, (long long)s->K);
    if (chip->cores < 1 || chip->core.matrix.rows < 1 || chip->core.matrix.cols < 1)
        return ts_error(TS_ERR_INVALID, "gemm: chip '%s' has no matrix unit", chip->name);
    if (s->b_scheme < SIM_GEMM_AUTO || s->b_scheme > SIM_GEMM_PANEL_B)
        return ts_error(TS_ERR_INVALID, "gemm: unknown B scheme %d", s->b_scheme);
    if (!s->out_int32 && (s->rq_shift < 0 || s->rq_shift > 62 || s->rq_zp < -32768 || s->rq_zp > 32767))
        return ts_error(TS_ERR_INVALID, "gemm: requantize shift %d (0..62) or zero point %d (int16) out of range",
                        (int)s->rq_shift, (int)s->rq_zp);
    uint64_t lim = 1ull << 40, osz = s->out_int32 ? 4 : 1;
    if (s->a_addr + (uint64_t)(s->M * s->K) > lim || s->b_addr + (uint64_t)(s->K * s->N) > lim ||
        s->c_addr + (uint64_t)(s->M * s->N) * osz > lim)
        return ts_error(TS_ERR_RANGE, "gemm: matrices reach past the 40-bit HBM address space");
    return TS_OK;
}

ts_status sim_build_gemm_program(const arch_chip *chip, const sim_gemm_spec *s, isa_program **out,
                                 sim_gemm_plan *plan) {
    *out = NULL;
    ts_status st = gemm_check(chip, s);
    if (st) return st;
    gemm_ctx g = {.s = s, .R = chip->core.matrix.rows, .C = chip->core.matrix.cols, .osz = s->out_int32 ? 4 : 1};
    st = gemm_choose(chip, s, g.osz, &g.bm, &g.bn, &g.panel);
    if (st) return st;
    g.nacc = gemm_fits(chip, s, g.bm, g.bn, g.osz, 2, g.panel) ? 2 : 1;
    g.nout = gemm_sram_need(g.R, s->K, g.bm, g.bn, g.osz, 2, g.panel) <= chip->core.sram.bytes ? 2 : 1;
    g.a_bytes = SIM_ALIGN(g.bm * g.R);
    g.io_bytes = g.panel ? g.a_bytes : SIM_ALIGN(g.a_bytes + g.R * g.bn);
    g.panel_base = 2 * g.io_bytes;
    g.out_base = g.panel_base + (g.panel ? SIM_ALIGN(cdiv(s->K, g.R) * g.R * g.bn) : 0);
    g.out_bytes = SIM_ALIGN(g.bm * g.bn * g.osz);
    g.acc_elems = g.bm * g.bn;
    int64_t mblocks = cdiv(s->M, g.bm), nblocks = cdiv(s->N, g.bn), blocks = mblocks * nblocks;
    int cores = (int)TS_MIN((int64_t)chip->cores, TS_MIN(g.panel ? nblocks : blocks, ISA_MAX_CORES));
    g.p = isa_program_new(cores);
    if (!g.p) return TS_ERR_NOMEM;
    int64_t step[ISA_MAX_CORES] = {0}, local[ISA_MAX_CORES] = {0};
    for (int64_t b = 0; !st && b < blocks; b++) {
        /* streaming: blocks dealt round-robin; panel: a core takes every row
         * block of its column panels, loading each panel once */
        int64_t mi = g.panel ? b % mblocks : b / nblocks, ni = g.panel ? b / mblocks : b % nblocks;
        int core = (int)(g.panel ? ni % cores : b % cores);
        st = gemm_block(&g, core, local[core]++, &step[core], mi * g.bm, ni * g.bn, !g.panel || mi == 0);
    }
    for (int c = 0; !st && c < cores; c++) st = gemm_ends(&g, c);
    if (st) { isa_program_free(g.p); return st; }
    if (plan) *plan = (sim_gemm_plan){(int)g.bm, (int)g.bn, (int)g.R, (int)blocks, g.nacc, 2, g.panel};
    *out = g.p;
    return TS_OK;
}

/* sim.c: a simulated machine's lifetime, its memories and program checks.
 * The scheduler is sched.c, the latency formulas timing.c. */
#include "sim/sim_int.h"

#include <string.h>
#include <sys/mman.h>

/* Device memory is as large as the chip's HBM (16-32 GiB on the presets),
 * far more than a host may have free, and a program touches a little of it.
 * So it is reserved, not committed: an anonymous MAP_NORESERVE mapping whose
 * pages are zero until written. This is the one allocation that bypasses
 * ts_malloc, because a heap allocator would commit it. */
static ts_status sim_map_device(uint64_t bytes, uint8_t **out) {
    void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return ts_error(TS_ERR_NOMEM, "cannot reserve %llu bytes of simulated device memory",
                        (unsigned long long)bytes);
    *out = p;
    return TS_OK;
}

/* The engine of every instruction, and nothing queued behind an END. */
static ts_status sim_check_stream(sim_machine *m, int c) {
    bool ended[ISA_ENGINES] = {false};
    int count[ISA_ENGINES] = {0};
    for (int i = 0; i < m->prog->n_inst[c]; i++) {
        const isa_inst *in = &m->prog->inst[c][i];
        const isa_op_desc *d = isa_op_info((unsigned)in->op);
        if (!d) return ts_error(TS_ERR_PARSE, "core %d, instruction %d: unknown opcode 0x%02x",
                                c, i, (unsigned)in->op);
        int e = isa_inst_engine(in);
        if (e < 0 || e >= ISA_ENGINES)
            return ts_error(TS_ERR_PARSE, "core %d, instruction %d (%s): bad engine %d", c, i, d->name, e);
        if (ended[e])
            return ts_error(TS_ERR_INVALID, "core %d, instruction %d (%s): queued on engine %s after its END",
                            c, i, d->name, isa_engine_name(e));
        if (in->op == ISA_END) ended[e] = true;
        count[e]++;
    }
    for (int e = 0; e < ISA_ENGINES; e++) {
        m->eng[c][e].queue = ts_malloc(sizeof(int) * (size_t)(count[e] ? count[e] : 1));
        if (!m->eng[c][e].queue) return TS_ERR_NOMEM;
        m->eng[c][e].n_queue = 0;
    }
    for (int i = 0; i < m->prog->n_inst[c]; i++) {
        sim_engine *g = &m->eng[c][isa_inst_engine(&m->prog->inst[c][i])];
        g->queue[g->n_queue++] = i;
    }
    return TS_OK;
}

static bool sim_prog_has_dma(const isa_program *p) {
    for (int c = 0; c < p->n_cores; c++)
        for (int i = 0; i < p->n_inst[c]; i++)
            if (p->inst[c][i].op == ISA_LOAD || p->inst[c][i].op == ISA_STORE) return true;
    return false;
}

static ts_status sim_check_chip(const arch_chip *chip, const isa_program *prog) {
    if (chip->reference_only)
        return ts_error(TS_ERR_INVALID, "chip '%s' is an analytic reference point, not a simulable chip",
                        chip->name);
    if (prog->n_cores < 1 || prog->n_cores > chip->cores || prog->n_cores > ISA_MAX_CORES)
        return ts_error(TS_ERR_INVALID, "program has %d core streams but chip '%s' has %d cores",
                        prog->n_cores, chip->name, chip->cores);
    if (chip->clock_ghz <= 0 || chip->core.matrix.rows <= 0 || chip->core.matrix.cols <= 0 ||
        chip->core.vector.lanes <= 0 || chip->core.sram.bytes <= 0)
        return ts_error(TS_ERR_INVALID, "chip '%s': clock, matrix size, vector lanes and SRAM must be > 0",
                        chip->name);
    if (sim_prog_has_dma(prog) && !(sim_dma_bandwidth(chip) > 0))
        return ts_error(TS_ERR_INVALID, "chip '%s' has no %s bandwidth for LOAD/STORE", chip->name,
                        chip->hbm.bytes > 0 ? "hbm.gbps" : "host link (host_gbps)");
    return TS_OK;
}

static ts_status sim_alloc_memories(sim_machine *m) {
    const arch_chip *c = &m->chip;
    m->host_window = c->hbm.bytes <= 0;
    m->hbm_bytes = m->host_window ? SIM_HOST_WINDOW_BYTES : (uint64_t)c->hbm.bytes;
    ts_status st = sim_map_device(m->hbm_bytes, &m->hbm);
    if (st) return st;
    m->sram = ts_calloc((size_t)m->cores, sizeof(uint8_t *));
    m->acc = ts_calloc((size_t)m->cores, sizeof(uint8_t *));
    if (!m->sram || !m->acc) return TS_ERR_NOMEM;
    for (int i = 0; i < m->cores; i++) {
        m->sram[i] = ts_calloc(1, (size_t)c->core.sram.bytes);
        m->acc[i] = ts_calloc(1, (size_t)(c->core.acc_bytes > 0 ? c->core.acc_bytes : 4));
        if (!m->sram[i] || !m->acc[i]) return TS_ERR_NOMEM;
    }
    /* barrier arrivals per (engine, 16-bit id) */
    m->barrier_arrived = ts_calloc((size_t)ISA_ENGINES << 16, sizeof(int32_t));
    return m->barrier_arrived ? TS_OK : TS_ERR_NOMEM;
}

ts_status sim_new(const arch_chip *chip, const isa_program *prog, sim_machine **out) {
    *out = NULL;
    if (!chip || !prog) return ts_error(TS_ERR_INVALID, "sim_new: chip and program are required");
    ts_status st = sim_check_chip(chip, prog);
    if (st) return st;
    sim_machine *m = ts_calloc(1, sizeof *m);
    if (!m) return TS_ERR_NOMEM;
    m->chip = *chip;
    m->prog = prog;
    m->cores = prog->n_cores;
    st = sim_alloc_memories(m);
    for (int c = 0; !st && c < m->cores; c++) st = sim_check_stream(m, c);
    if (st) { sim_free(m); return st; }
    *out = m;
    return TS_OK;
}

void sim_free(sim_machine *m) {
    if (!m) return;
    if (m->hbm) munmap(m->hbm, (size_t)m->hbm_bytes);
    for (int i = 0; i < m->cores; i++) {
        if (m->sram) ts_free(m->sram[i]);
        if (m->acc) ts_free(m->acc[i]);
        for (int e = 0; e < ISA_ENGINES; e++) {
            ts_free(m->eng[i][e].queue);
            ts_free(m->eng[i][e].pend);
        }
    }
    ts_free(m->sram);
    ts_free(m->acc);
    ts_free(m->barrier_arrived);
    ts_free(m->slices);
    ts_free(m->bw);
    ts_free(m);
}

/* ---- memory access -------------------------------------------------------- */

static ts_status sim_range(const char *what, uint64_t addr, uint64_t n, uint64_t size) {
    if (addr > size || n > size - addr)
        return ts_error(TS_ERR_RANGE, "%s range [0x%llx, 0x%llx) is outside its %llu bytes", what,
                        (unsigned long long)addr, (unsigned long long)(addr + n),
                        (unsigned long long)size);
    return TS_OK;
}

uint64_t sim_hbm_size(const sim_machine *m) { return m->hbm_bytes; }
bool sim_has_hbm(const sim_machine *m) { return !m->host_window; }

ts_status sim_hbm_write(sim_machine *m, uint64_t addr, const void *src, uint64_t n) {
    ts_status st = sim_range(m->host_window ? "host window" : "HBM", addr, n, m->hbm_bytes);
    if (!st && n) memcpy(m->hbm + addr, src, (size_t)n);
    return st;
}

ts_status sim_hbm_read(const sim_machine *m, uint64_t addr, void *dst, uint64_t n) {
    ts_status st = sim_range(m->host_window ? "host window" : "HBM", addr, n, m->hbm_bytes);
    if (!st && n) memcpy(dst, m->hbm + addr, (size_t)n);
    return st;
}

static ts_status sim_core_ok(const sim_machine *m, int core) {
    if (core < 0 || core >= m->cores)
        return ts_error(TS_ERR_RANGE, "core %d does not exist (program uses %d)", core, m->cores);
    return TS_OK;
}

ts_status sim_sram_write(sim_machine *m, int core, uint64_t addr, const void *src, uint64_t n) {
    ts_status st = sim_core_ok(m, core);
    if (!st) st = sim_range("SRAM", addr, n, (uint64_t)m->chip.core.sram.bytes);
    if (!st && n) memcpy(m->sram[core] + addr, src, (size_t)n);
    return st;
}

ts_status sim_sram_read(const sim_machine *m, int core, uint64_t addr, void *dst, uint64_t n) {
    ts_status st = sim_core_ok(m, core);
    if (!st) st = sim_range("SRAM", addr, n, (uint64_t)m->chip.core.sram.bytes);
    if (!st && n) memcpy(dst, m->sram[core] + addr, (size_t)n);
    return st;
}

ts_status sim_acc_read(const sim_machine *m, int core, uint64_t elem, void *dst, uint64_t n_elems) {
    ts_status st = sim_core_ok(m, core);
    uint64_t size = m->chip.core.acc_bytes > 0 ? (uint64_t)m->chip.core.acc_bytes : 0;
    if (!st && (elem > UINT64_MAX / 4 || n_elems > UINT64_MAX / 4))
        st = ts_error(TS_ERR_RANGE, "ACC element range too large");
    if (!st) st = sim_range("ACC", elem * 4, n_elems * 4, size);
    if (!st && n_elems) memcpy(dst, m->acc[core] + elem * 4, (size_t)n_elems * 4);
    return st;
}

void sim_enable_trace(sim_machine *m, bool on) { m->tracing = on; }

void sim_reset(sim_machine *m) {
    m->ran = false;
    memset(m->tokens, 0, sizeof m->tokens);
    memset(m->barrier_arrived, 0, ((size_t)ISA_ENGINES << 16) * sizeof(int32_t));
    for (int c = 0; c < m->cores; c++)
        for (int e = 0; e < ISA_ENGINES; e++) m->eng[c][e].n_pend = m->eng[c][e].head = 0;
    m->n_slices = 0;
    m->n_bw = 0;
}

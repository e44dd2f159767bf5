/* sched.c: the event-driven scheduler. Time is in cycles (a double: shared
 * bandwidth makes transfer ends fractional). Each step starts every engine
 * that can start, then jumps to the next event. Data effects happen when an
 * instruction starts: the tokens that let it start guarantee its inputs are
 * final, and its consumers wait for its completion signal.
 *
 * A DMA occupies its engine for setup + data (the data phase moves at a fair
 * share of the memory bandwidth, recomputed whenever a transfer starts or
 * ends); the memory latency then runs as a tail that overlaps the engine's
 * next instruction, and the DMA's signals are given when the tail ends. */
#include "sim/sim_int.h"

#include <math.h>
#include <string.h>

typedef struct sim_run_ctx {
    sim_machine *m;
    sim_result  *r;
    sim_mem      mem[ISA_MAX_CORES];
    double       now;
    double       bw, cap;  /* DMA bytes/cycle: shared total, per-transfer cap */
    double       latency;  /* DMA memory latency tail, cycles */
} sim_run_ctx;

#define FOR_ENGINES(m, c, e)                  \
    for (int c = 0; c < (m)->cores; c++)      \
        for (int e = 0; e < ISA_ENGINES; e++)

static const isa_inst *sim_inst(const sim_machine *m, int c, int idx) { return &m->prog->inst[c][idx]; }

static const isa_inst *sim_cur(const sim_machine *m, int c, int e) {
    const sim_engine *g = &m->eng[c][e];
    return sim_inst(m, c, g->queue[g->pos]);
}

static const char *sim_opname(const isa_inst *in) {
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    return d ? d->name : "?";
}

static ts_status sim_record(sim_machine *m, int c, int e, double start, double end, int idx) {
    if (!m->tracing) return TS_OK;
    if (m->n_slices == m->cap_slices) {
        int64_t cap = m->cap_slices ? m->cap_slices * 2 : 4096;
        sim_slice *s = ts_realloc(m->slices, sizeof(sim_slice) * (size_t)cap);
        if (!s) return TS_ERR_NOMEM;
        m->slices = s;
        m->cap_slices = cap;
    }
    m->slices[m->n_slices++] = (sim_slice){start, end, c, e, idx};
    return TS_OK;
}

/* Instruction idx of (c, e) is complete: its signals are given. */
static void sim_signal(sim_run_ctx *x, int c, int e, int idx) {
    unsigned sig = (unsigned)sim_inst(x->m, c, idx)->f[ISA_F_ALL_signal];
    for (int t = 0; t < ISA_ENGINES; t++)
        if (sig >> t & 1) x->m->tokens[c][e][t]++;
    x->r->inst_count[c][e]++;
    x->r->instructions++;
}

/* The engine is free of its current instruction: busy time, trace, next. */
static ts_status sim_release(sim_run_ctx *x, int c, int e) {
    sim_engine *g = &x->m->eng[c][e];
    isa_opcode op = sim_cur(x->m, c, e)->op;
    bool end = op == ISA_END;
    if (op != ISA_BARRIER) x->r->busy_cycles[c][e] += x->now - g->start;  /* waiting is not work */
    ts_status st = end ? TS_OK : sim_record(x->m, c, e, g->start, x->now, g->cur);
    g->pos++;
    g->state = end || g->pos == g->n_queue ? SIM_DONE : SIM_IDLE;
    return st;
}

static ts_status sim_complete(sim_run_ctx *x, int c, int e) {
    sim_signal(x, c, e, x->m->eng[c][e].cur);
    return sim_release(x, c, e);
}

/* A DMA's data has moved: free the engine, signal after the latency. */
static ts_status sim_dma_done(sim_run_ctx *x, int c, int e) {
    sim_engine *g = &x->m->eng[c][e];
    if (!(x->latency > 0)) return sim_complete(x, c, e);
    if (g->n_pend == g->cap_pend) {
        int cap = g->cap_pend ? 2 * g->cap_pend : 8;
        sim_pending *p = ts_malloc(sizeof *p * (size_t)cap);
        if (!p) return TS_ERR_NOMEM;
        for (int i = 0; i < g->n_pend; i++) p[i] = g->pend[(g->head + i) % g->cap_pend];
        ts_free(g->pend);
        g->pend = p;
        g->head = 0;
        g->cap_pend = cap;
    }
    g->pend[(g->head + g->n_pend++) % g->cap_pend] = (sim_pending){x->now + x->latency, g->cur};
    return sim_release(x, c, e);
}

static bool sim_tokens_ready(const sim_machine *m, int c, int e, const isa_inst *in) {
    unsigned w = (unsigned)in->f[ISA_F_ALL_wait];
    for (int g = 0; g < ISA_ENGINES; g++)
        if ((w >> g & 1) && m->tokens[c][g][e] <= 0) return false;
    return true;
}

/* Tokens available, and a BARRIER also waits for its engine's DMA latency
 * tails: it is a fence, so what a core stored is in memory when the others
 * pass the barrier. */
static bool sim_can_start(const sim_machine *m, int c, int e) {
    const isa_inst *in = sim_cur(m, c, e);
    if (in->op == ISA_BARRIER && m->eng[c][e].n_pend) return false;
    return sim_tokens_ready(m, c, e, in);
}

static void sim_take_tokens(sim_machine *m, int c, int e, const isa_inst *in) {
    unsigned w = (unsigned)in->f[ISA_F_ALL_wait];
    for (int g = 0; g < ISA_ENGINES; g++)
        if (w >> g & 1) m->tokens[c][g][e]--;
}

/* Engine e of core c arrives at BARRIER id; the last arrival releases the
 * engine e of every core. */
static ts_status sim_barrier(sim_run_ctx *x, int c, int e, unsigned id) {
    sim_machine *m = x->m;
    int32_t *n = &m->barrier_arrived[((size_t)e << 16) | id];
    m->eng[c][e].state = SIM_BARRIER;
    if (++*n < m->cores) return TS_OK;
    *n = 0;
    for (int k = 0; k < m->cores; k++) {
        ts_status st = sim_complete(x, k, e);
        if (st) return st;
    }
    return TS_OK;
}

static ts_status sim_exec_at(sim_run_ctx *x, int c, int idx, const isa_inst *in) {
    ts_status st = sim_exec(in, &x->mem[c], &x->m->chip);
    if (st) ts_error_prefix("core %d, instruction %d (%s): ", c, idx, sim_opname(in));
    return st;
}

/* Starts the next instruction of (c, e); its tokens are available. */
static ts_status sim_start(sim_run_ctx *x, int c, int e) {
    sim_machine *m = x->m;
    sim_engine *g = &m->eng[c][e];
    const isa_inst *in = sim_cur(m, c, e);
    sim_take_tokens(m, c, e, in);
    g->cur = g->queue[g->pos];
    g->start = x->now;
    if (in->op == ISA_END) return sim_complete(x, c, e);
    if (in->op == ISA_BARRIER) return sim_barrier(x, c, e, (unsigned)in->f[ISA_F_SYS_id] & 0xffff);
    ts_status st = sim_exec_at(x, c, g->cur, in);
    if (st) return st;
    sim_count_inst(&m->chip, in, x->r);
    if (in->op == ISA_LOAD || in->op == ISA_STORE) {
        g->state = SIM_DMA;
        g->fixed_end = x->now + sim_dma_setup(&m->chip);
        g->remaining = (double)sim_dma_bytes(in);
        g->end = INFINITY;
    } else {
        g->state = SIM_BUSY;
        g->end = x->now + sim_fixed_latency(&m->chip, in);
    }
    return TS_OK;
}

/* Starts everything that can start now; repeats because instructions that
 * take no time (END, a released barrier) give tokens at once. */
static ts_status sim_start_ready(sim_run_ctx *x, bool *all_done) {
    sim_machine *m = x->m;
    bool changed = true;
    while (changed) {
        changed = false;
        *all_done = true;
        FOR_ENGINES(m, c, e) {
            sim_engine *g = &m->eng[c][e];
            if (g->state == SIM_IDLE && g->pos >= g->n_queue) g->state = SIM_DONE;
            if (g->state != SIM_DONE || g->n_pend) *all_done = false;
            if (g->state != SIM_IDLE || !sim_can_start(m, c, e)) continue;
            ts_status st = sim_start(x, c, e);
            if (st) return st;
            changed = true;
        }
    }
    return TS_OK;
}

static bool sim_in_data_phase(const sim_engine *g, double now) {
    return g->state == SIM_DMA && now >= g->fixed_end;
}

/* For the trace: the bandwidth in use, when it changes. */
static ts_status sim_record_bw(sim_machine *m, double t, int active, double rate) {
    if (!m->tracing || (m->n_bw && m->bw[m->n_bw - 1].transfers == active)) return TS_OK;
    if (m->n_bw == m->cap_bw) {
        int64_t cap = m->cap_bw ? m->cap_bw * 2 : 1024;
        sim_bw_sample *b = ts_realloc(m->bw, sizeof *b * (size_t)cap);
        if (!b) return TS_ERR_NOMEM;
        m->bw = b;
        m->cap_bw = cap;
    }
    m->bw[m->n_bw++] = (sim_bw_sample){t, active, rate * active};
    return TS_OK;
}

/* Bytes per cycle each transfer in its data phase gets now: a fair share of
 * the memory bandwidth, capped by the SRAM port. */
static ts_status sim_dma_rate(sim_run_ctx *x, double *rate) {
    int active = 0;
    FOR_ENGINES(x->m, c, e) active += sim_in_data_phase(&x->m->eng[c][e], x->now);
    *rate = active ? fmin(x->bw / active, x->cap) : 0;
    return sim_record_bw(x->m, x->now, active, *rate);
}

/* The time of the next event: an instruction's end, a DMA's setup end or
 * projected data end at the current rate (kept in g->end), a latency tail's
 * end. INFINITY if nothing is in flight. */
static double sim_next_event(sim_run_ctx *x, double rate) {
    double t = INFINITY;
    FOR_ENGINES(x->m, c, e) {
        sim_engine *g = &x->m->eng[c][e];
        if (g->n_pend) t = fmin(t, g->pend[g->head].t);
        if (g->state == SIM_BUSY) t = fmin(t, g->end);
        if (g->state != SIM_DMA) continue;
        if (!sim_in_data_phase(g, x->now)) { t = fmin(t, g->fixed_end); continue; }
        g->end = x->now + g->remaining / rate;
        t = fmin(t, g->end);
    }
    return t;
}

static ts_status sim_advance_engine(sim_run_ctx *x, int c, int e, double eps) {
    sim_engine *g = &x->m->eng[c][e];
    while (g->n_pend && g->pend[g->head].t <= x->now + eps) {
        sim_signal(x, c, e, g->pend[g->head].index);
        g->head = (g->head + 1) % g->cap_pend;
        g->n_pend--;
    }
    if (g->state == SIM_BUSY && g->end <= x->now + eps) return sim_complete(x, c, e);
    if (g->state == SIM_DMA && x->now >= g->fixed_end && g->end <= x->now + eps) return sim_dma_done(x, c, e);
    return TS_OK;
}

/* Moves time to t: transfers progress, whatever ends by t completes. */
static ts_status sim_advance(sim_run_ctx *x, double t, double rate) {
    double dt = t - x->now, eps = 1e-9 * fmax(1.0, t);
    FOR_ENGINES(x->m, c, e) {
        sim_engine *g = &x->m->eng[c][e];
        if (sim_in_data_phase(g, x->now)) g->remaining -= rate * dt;
    }
    x->now = t;
    FOR_ENGINES(x->m, c, e) {
        ts_status st = sim_advance_engine(x, c, e, eps);
        if (st) return st;
    }
    return TS_OK;
}

/* Appends one blocked engine's description to msg. */
static size_t sim_describe_blocked(const sim_machine *m, int c, int e, bool first, char *msg, size_t n, size_t cap) {
    const sim_engine *g = &m->eng[c][e];
    const isa_inst *in = sim_cur(m, c, e);
    n += (size_t)snprintf(msg + n, cap - n, "%s core %d, engine %s, instruction %d (%s) ", first ? "" : ";", c,
                          isa_engine_name(e), g->queue[g->pos], sim_opname(in));
    if (g->state == SIM_BARRIER)
        return n + (size_t)snprintf(msg + n, cap - n, "waits at BARRIER %u", (unsigned)in->f[ISA_F_SYS_id]);
    n += (size_t)snprintf(msg + n, cap - n, "waits for a token from");
    for (int k = 0; k < ISA_ENGINES; k++)
        if ((in->f[ISA_F_ALL_wait] >> k & 1) && m->tokens[c][k][e] <= 0)
            n += (size_t)snprintf(msg + n, cap - n, " %s", isa_engine_name(k));
    return n;
}

/* Nothing is in flight and some engine is not done: name every blocked one. */
static ts_status sim_deadlock(sim_run_ctx *x) {
    sim_machine *m = x->m;
    char msg[1536];
    size_t n = (size_t)snprintf(msg, sizeof msg, "deadlock at cycle %.0f:", ceil(x->now));
    int listed = 0, blocked = 0;
    FOR_ENGINES(m, c, e) {
        if (m->eng[c][e].state == SIM_DONE) continue;
        blocked++;
        if (listed >= 8 || n >= sizeof msg - 200) continue;
        n = sim_describe_blocked(m, c, e, listed++ == 0, msg, n, sizeof msg);
    }
    if (blocked > listed) snprintf(msg + n, sizeof msg - n, "; and %d more", blocked - listed);
    return ts_error(TS_ERR_DEADLOCK, "%s", msg);
}

static void sim_run_init(sim_run_ctx *x, sim_machine *m, sim_result *r) {
    memset(r, 0, sizeof *r);
    *x = (sim_run_ctx){.m = m, .r = r};
    x->bw = sim_dma_bandwidth(&m->chip);
    x->cap = sim_dma_port_cap(&m->chip);
    x->latency = sim_dma_latency(&m->chip);
    for (int c = 0; c < m->cores; c++) {
        x->mem[c] = (sim_mem){m->hbm, m->hbm_bytes, m->sram[c], (uint64_t)m->chip.core.sram.bytes,
                              m->acc[c], m->chip.core.acc_bytes > 0 ? (uint64_t)m->chip.core.acc_bytes : 0};
        for (int e = 0; e < ISA_ENGINES; e++) {
            m->eng[c][e].pos = 0;
            m->eng[c][e].state = m->eng[c][e].n_queue ? SIM_IDLE : SIM_DONE;
        }
    }
    r->cores = m->cores;
    r->host_window = m->host_window;
    snprintf(r->chip, sizeof r->chip, "%s", m->chip.name);
}

ts_status sim_run(sim_machine *m, sim_result *out) {
    if (m->ran) return ts_error(TS_ERR_INVALID, "sim_run: this machine has already run its program");
    m->ran = true;
    sim_run_ctx x;
    sim_run_init(&x, m, out);
    double t0 = ts_now_sec();
    for (;;) {
        bool all_done;
        ts_status st = sim_start_ready(&x, &all_done);
        if (st) return st;
        if (all_done) break;
        double rate;
        st = sim_dma_rate(&x, &rate);
        if (st) return st;
        double t = sim_next_event(&x, rate);
        if (t == INFINITY) return sim_deadlock(&x);
        st = sim_advance(&x, t, rate);
        if (st) return st;
    }
    out->cycles = (uint64_t)ceil(x.now - 1e-9 * fmax(1.0, x.now));
    out->host_seconds = ts_now_sec() - t0;
    sim_finish_result(&m->chip, out);
    return TS_OK;
}

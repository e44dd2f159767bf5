/* trace.c: Chrome trace-event JSON of a run (chrome://tracing, Perfetto):
 * a process per core, a thread per engine, an "X" slice per instruction. */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void sim_trace_meta(ts_json *j, const char *what, int pid, int tid, const char *name) {
    ts_json_begin_obj(j);
    ts_json_key(j, "name"); ts_json_str(j, what);
    ts_json_key(j, "ph"); ts_json_str(j, "M");
    ts_json_key(j, "pid"); ts_json_int(j, pid);
    ts_json_key(j, "tid"); ts_json_int(j, tid);
    ts_json_key(j, "args"); ts_json_begin_obj(j);
    ts_json_key(j, "name"); ts_json_str(j, name);
    ts_json_end_obj(j);
    ts_json_end_obj(j);
}

static void sim_trace_tracks(const sim_machine *m, ts_json *j) {
    char name[64];
    for (int c = 0; c < m->cores; c++) {
        snprintf(name, sizeof name, "core %d", c);
        sim_trace_meta(j, "process_name", c, 0, name);
        for (int e = 0; e < ISA_ENGINES; e++) sim_trace_meta(j, "thread_name", c, e, isa_engine_name(e));
    }
}

static void sim_trace_slice(const sim_machine *m, ts_json *j, const sim_slice *s, double us_per_cycle) {
    const isa_inst *in = &m->prog->inst[s->core][s->index];
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    char text[512];
    ts_json_begin_obj(j);
    ts_json_key(j, "name"); ts_json_str(j, d ? d->name : "?");
    ts_json_key(j, "cat"); ts_json_str(j, isa_engine_name(s->engine));
    ts_json_key(j, "ph"); ts_json_str(j, "X");
    ts_json_key(j, "pid"); ts_json_int(j, s->core);
    ts_json_key(j, "tid"); ts_json_int(j, s->engine);
    ts_json_key(j, "ts"); ts_json_num(j, s->start * us_per_cycle);
    ts_json_key(j, "dur"); ts_json_num(j, (s->end - s->start) * us_per_cycle);
    ts_json_key(j, "args"); ts_json_begin_obj(j);
    ts_json_key(j, "index"); ts_json_int(j, s->index);
    ts_json_key(j, "inst"); ts_json_str(j, isa_format_inst(in, text, sizeof text));
    ts_json_key(j, "start_cycle"); ts_json_num(j, s->start);
    ts_json_key(j, "cycles"); ts_json_num(j, s->end - s->start);
    if (in->op == ISA_LOAD || in->op == ISA_STORE) {  /* the slice is setup + data; signals come later */
        ts_json_key(j, "then_latency_cycles"); ts_json_num(j, sim_dma_latency(&m->chip));
    }
    ts_json_end_obj(j);
    ts_json_end_obj(j);
}

/* The memory bandwidth in use, as a counter track of its own process. */
static void sim_trace_bw(const sim_machine *m, ts_json *j, double us_per_cycle) {
    sim_trace_meta(j, "process_name", m->cores, 0, m->host_window ? "host link" : "HBM");
    for (int64_t i = 0; i < m->n_bw; i++) {
        const sim_bw_sample *b = &m->bw[i];
        ts_json_begin_obj(j);
        ts_json_key(j, "name"); ts_json_str(j, "bandwidth");
        ts_json_key(j, "ph"); ts_json_str(j, "C");
        ts_json_key(j, "pid"); ts_json_int(j, m->cores);
        ts_json_key(j, "ts"); ts_json_num(j, b->t * us_per_cycle);
        ts_json_key(j, "args"); ts_json_begin_obj(j);
        ts_json_key(j, "GB/s"); ts_json_num(j, b->bytes_per_cycle * m->chip.clock_ghz);
        ts_json_key(j, "transfers"); ts_json_int(j, b->transfers);
        ts_json_end_obj(j);
        ts_json_end_obj(j);
    }
}

static void sim_trace_stream(const sim_machine *m, FILE *f) {
    ts_json j;
    ts_json_init(&j, f, false);
    ts_json_begin_obj(&j);
    ts_json_key(&j, "displayTimeUnit"); ts_json_str(&j, "ns");
    ts_json_key(&j, "otherData"); ts_json_begin_obj(&j);
    ts_json_key(&j, "chip"); ts_json_str(&j, m->chip.name);
    ts_json_key(&j, "clock_ghz"); ts_json_num(&j, m->chip.clock_ghz);
    ts_json_end_obj(&j);
    ts_json_key(&j, "traceEvents"); ts_json_begin_arr(&j);
    sim_trace_tracks(m, &j);
    double us_per_cycle = 1.0 / (m->chip.clock_ghz * 1e3);
    for (int64_t i = 0; i < m->n_slices; i++) {
        sim_trace_slice(m, &j, &m->slices[i], us_per_cycle);
        fputc('\n', f);  /* one event per line keeps big traces diffable */
    }
    sim_trace_bw(m, &j, us_per_cycle);
    ts_json_end_arr(&j);
    ts_json_end_obj(&j);
    fputc('\n', f);
}

static ts_status trace_write_job(FILE *f, void *ctx) {
    sim_trace_stream(ctx, f);
    return TS_OK;  /* stream errors are caught by ferror in ts_write_atomic */
}

ts_status sim_write_trace(const sim_machine *m, const char *path) {
    return ts_write_atomic(path, trace_write_job, (void *)m, false);
}

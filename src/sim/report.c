/* report.c: a simulation's results as a table for people and as JSON. */
#include "sim/sim_int.h"

static const char *sim_engine_label[ISA_ENGINES] = {"dma_in", "matrix", "vector", "dma_out"};

static double sim_pct(double busy, uint64_t cycles) { return cycles ? 100.0 * busy / (double)cycles : 0; }

static void sim_print_busy(const sim_result *r, FILE *f) {
    fprintf(f, "\nengine busy %%      dma_in   matrix   vector  dma_out   instructions\n");
    for (int c = 0; c < r->cores; c++) {
        int64_t n = 0;
        fprintf(f, "  core %-10d", c);
        for (int e = 0; e < ISA_ENGINES; e++) {
            fprintf(f, " %7.1f%%", sim_pct(r->busy_cycles[c][e], r->cycles));
            n += r->inst_count[c][e];
        }
        fprintf(f, "   %lld\n", (long long)n);
    }
    fprintf(f, "  %-15s", "all cores");
    for (int e = 0; e < ISA_ENGINES; e++) fprintf(f, " %7.1f%%", r->busy_pct[e]);
    fprintf(f, "   %lld\n", (long long)r->instructions);
}

static void sim_print_bytes(const sim_result *r, FILE *f) {
    fprintf(f, "\nbytes moved             read          written\n");
    fprintf(f, "  %-12s %14lld %16lld\n", r->host_window ? "host window" : "HBM",
            (long long)r->hbm_read, (long long)r->hbm_write);
    fprintf(f, "  %-12s %14lld %16lld\n", "SRAM", (long long)r->sram_read, (long long)r->sram_write);
    fprintf(f, "  %-12s %14lld %16lld\n", "ACC", (long long)r->acc_read, (long long)r->acc_write);
}

static void sim_print_energy(const sim_result *r, FILE *f) {
    const sim_energy *e = &r->energy;
    fprintf(f, "\nenergy (mJ)\n");
    fprintf(f, "  %-12s %12.6f\n  %-12s %12.6f\n  %-12s %12.6f\n", "MACs", e->mac, "SRAM", e->sram, "ACC", e->acc);
    fprintf(f, "  %-12s %12.6f\n  %-12s %12.6f\n  %-12s %12.6f\n", r->host_window ? "host link" : "HBM", e->hbm,
            "vector", e->vector, "static", e->static_);
    fprintf(f, "  %-12s %12.6f\n", "total", e->total);
}

void sim_report_print(const sim_result *r, FILE *f) {
    fprintf(f, "chip            %s (%d of %d cores used, %.3f GHz)\n", r->chip, r->cores, r->chip_cores,
            r->clock_ghz);
    fprintf(f, "cycles          %llu\n", (unsigned long long)r->cycles);
    fprintf(f, "time            %.3f us\n", r->seconds * 1e6);
    fprintf(f, "MACs            %lld int8, %lld bf16\n", (long long)r->int8_macs, (long long)r->bf16_macs);
    fprintf(f, "MAC utilization %.1f%% of the chip", 100.0 * r->mac_util);
    if (r->cores < r->chip_cores) fprintf(f, " (%.1f%% of the %d cores used)", 100.0 * r->mac_util_used, r->cores);
    fputc('\n', f);
    fprintf(f, "achieved        %.3f TOPS\n", r->achieved_tops);
    sim_print_busy(r, f);
    sim_print_bytes(r, f);
    sim_print_energy(r, f);
    fprintf(f, "\nsimulated in %.3f s host time\n", r->host_seconds);
}

static void sim_json_engines(const sim_result *r, ts_json *j) {
    ts_json_key(j, "busy_pct"); ts_json_begin_obj(j);
    for (int e = 0; e < ISA_ENGINES; e++) { ts_json_key(j, sim_engine_label[e]); ts_json_num(j, r->busy_pct[e]); }
    ts_json_end_obj(j);
    ts_json_key(j, "per_core"); ts_json_begin_arr(j);
    for (int c = 0; c < r->cores; c++) {
        ts_json_begin_obj(j);
        ts_json_key(j, "core"); ts_json_int(j, c);
        ts_json_key(j, "busy_pct"); ts_json_begin_obj(j);
        for (int e = 0; e < ISA_ENGINES; e++) {
            ts_json_key(j, sim_engine_label[e]);
            ts_json_num(j, sim_pct(r->busy_cycles[c][e], r->cycles));
        }
        ts_json_end_obj(j);
        ts_json_key(j, "instructions"); ts_json_begin_obj(j);
        for (int e = 0; e < ISA_ENGINES; e++) { ts_json_key(j, sim_engine_label[e]); ts_json_int(j, r->inst_count[c][e]); }
        ts_json_end_obj(j);
        ts_json_end_obj(j);
    }
    ts_json_end_arr(j);
}

static void sim_json_pair(ts_json *j, const char *k, int64_t rd, int64_t wr) {
    ts_json_key(j, k); ts_json_begin_obj(j);
    ts_json_key(j, "read"); ts_json_int(j, rd);
    ts_json_key(j, "write"); ts_json_int(j, wr);
    ts_json_end_obj(j);
}

static void sim_json_energy(const sim_result *r, ts_json *j) {
    const sim_energy *e = &r->energy;
    ts_json_key(j, "energy_mj"); ts_json_begin_obj(j);
    ts_json_key(j, "mac"); ts_json_num(j, e->mac);
    ts_json_key(j, "sram"); ts_json_num(j, e->sram);
    ts_json_key(j, "acc"); ts_json_num(j, e->acc);
    ts_json_key(j, "hbm"); ts_json_num(j, e->hbm);
    ts_json_key(j, "vector"); ts_json_num(j, e->vector);
    ts_json_key(j, "static"); ts_json_num(j, e->static_);
    ts_json_key(j, "total"); ts_json_num(j, e->total);
    ts_json_end_obj(j);
}

void sim_report_json(const sim_result *r, FILE *f, bool pretty) {
    ts_json j;
    ts_json_init(&j, f, pretty);
    ts_json_begin_obj(&j);
    ts_json_key(&j, "chip"); ts_json_str(&j, r->chip);
    ts_json_key(&j, "cores"); ts_json_int(&j, r->cores);
    ts_json_key(&j, "clock_ghz"); ts_json_num(&j, r->clock_ghz);
    ts_json_key(&j, "host_window"); ts_json_bool(&j, r->host_window);
    ts_json_key(&j, "cycles"); ts_json_int(&j, (int64_t)r->cycles);
    ts_json_key(&j, "seconds"); ts_json_num(&j, r->seconds);
    ts_json_key(&j, "instructions"); ts_json_int(&j, r->instructions);
    ts_json_key(&j, "int8_macs"); ts_json_int(&j, r->int8_macs);
    ts_json_key(&j, "bf16_macs"); ts_json_int(&j, r->bf16_macs);
    ts_json_key(&j, "vector_elements"); ts_json_int(&j, r->vector_elems);
    ts_json_key(&j, "chip_cores"); ts_json_int(&j, r->chip_cores);
    ts_json_key(&j, "mac_utilization"); ts_json_num(&j, r->mac_util);
    ts_json_key(&j, "mac_utilization_used_cores"); ts_json_num(&j, r->mac_util_used);
    ts_json_key(&j, "achieved_tops"); ts_json_num(&j, r->achieved_tops);
    sim_json_engines(r, &j);
    ts_json_key(&j, "bytes"); ts_json_begin_obj(&j);
    sim_json_pair(&j, "hbm", r->hbm_read, r->hbm_write);
    sim_json_pair(&j, "sram", r->sram_read, r->sram_write);
    sim_json_pair(&j, "acc", r->acc_read, r->acc_write);
    ts_json_end_obj(&j);
    sim_json_energy(r, &j);
    ts_json_key(&j, "host_seconds"); ts_json_num(&j, r->host_seconds);
    ts_json_end_obj(&j);
    fputc('\n', f);
}

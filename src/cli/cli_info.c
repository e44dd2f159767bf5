/*
 * tessera info: a chip's configuration and its derived figures.
 *
 *   tessera info --target npu-256t [--json]
 *   tessera info                      # every preset side by side
 */
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: tessera info [--target NAME|PATH] [--json]\n"
            "\n"
            "Shows a chip's configuration and the figures derived from it (peak INT8\n"
            "TOPS = 2 x R x C x cores x clock, peak BF16, SRAM, HBM, roofline ridge).\n"
            "Without --target, lists every bundled preset side by side.\n"
            "NAME is a preset in %s; PATH a YAML file (copy a preset and edit it).\n",
            arch_config_dir());
}

static void print_size(FILE *f, const char *label, int64_t bytes) {
    if (bytes >= (int64_t)1 << 30)
        fprintf(f, "  %-22s %.2f GiB\n", label, bytes / (double)(1 << 30));
    else if (bytes >= 1 << 20)
        fprintf(f, "  %-22s %.2f MiB\n", label, bytes / (double)(1 << 20));
    else
        fprintf(f, "  %-22s %.2f KiB\n", label, bytes / 1024.0);
}

static void print_human(const arch_chip *c, const arch_derived *d) {
    printf("%s: %s\n", c->name, c->description);
    if (c->process_nm) printf("  %-22s %d nm\n", "process", c->process_nm);
    printf("  %-22s %d\n", "cores", c->cores);
    printf("  %-22s %.3f GHz\n", "clock", c->clock_ghz);
    if (!c->reference_only) {
        const arch_core *k = &c->core;
        printf("  %-22s %d x %d MACs/cycle/core (BF16 at %.2fx)\n", "matrix unit",
               k->matrix.rows, k->matrix.cols, k->matrix.bf16_rate);
        printf("  %-22s %d lanes\n", "vector unit", k->vector.lanes);
        print_size(stdout, "SRAM per core", k->sram.bytes);
        print_size(stdout, "accumulator per core", k->acc_bytes);
    }
    if (c->hbm.bytes) print_size(stdout, "HBM", c->hbm.bytes);
    else printf("  %-22s none (host memory over the %.0f GB/s host link)\n", "HBM", c->host_gbps);
    printf("  %-22s %.1f GB/s\n", "HBM bandwidth", c->hbm.gbps);
    printf("derived:\n");
    printf("  %-22s %.1f TOPS\n", "peak INT8", d->peak_int8_tops);
    printf("  %-22s %.1f TFLOPS\n", "peak BF16", d->peak_bf16_tflops);
    if (!c->reference_only) print_size(stdout, "SRAM total", d->sram_bytes);
    printf("  %-22s %.1f ops/byte\n", "roofline ridge", d->ridge_ops_per_byte);
    if (c->reference_only) printf("  (analytic reference point: peaks only, not simulable)\n");
}

static void print_json(const arch_chip *c, const arch_derived *d) {
    ts_json j;
    ts_json_init(&j, stdout, true);
    ts_json_begin_obj(&j);
    ts_json_key(&j, "name"); ts_json_str(&j, c->name);
    ts_json_key(&j, "description"); ts_json_str(&j, c->description);
    ts_json_key(&j, "reference_only"); ts_json_bool(&j, c->reference_only);
    ts_json_key(&j, "process_nm"); ts_json_int(&j, c->process_nm);
    ts_json_key(&j, "cores"); ts_json_int(&j, c->cores);
    ts_json_key(&j, "clock_ghz"); ts_json_num(&j, c->clock_ghz);
    if (!c->reference_only) {
        ts_json_key(&j, "matrix_rows"); ts_json_int(&j, c->core.matrix.rows);
        ts_json_key(&j, "matrix_cols"); ts_json_int(&j, c->core.matrix.cols);
        ts_json_key(&j, "bf16_rate"); ts_json_num(&j, c->core.matrix.bf16_rate);
        ts_json_key(&j, "vector_lanes"); ts_json_int(&j, c->core.vector.lanes);
        ts_json_key(&j, "sram_bytes_per_core"); ts_json_int(&j, c->core.sram.bytes);
        ts_json_key(&j, "acc_bytes_per_core"); ts_json_int(&j, c->core.acc_bytes);
    }
    ts_json_key(&j, "peak_int8_tops"); ts_json_num(&j, d->peak_int8_tops);
    ts_json_key(&j, "peak_bf16_tflops"); ts_json_num(&j, d->peak_bf16_tflops);
    ts_json_key(&j, "sram_bytes"); ts_json_int(&j, d->sram_bytes);
    ts_json_key(&j, "hbm_bytes"); ts_json_int(&j, c->hbm.bytes);
    ts_json_key(&j, "hbm_gbps"); ts_json_num(&j, c->hbm.gbps);
    ts_json_key(&j, "host_gbps"); ts_json_num(&j, c->host_gbps);
    ts_json_key(&j, "ridge_ops_per_byte"); ts_json_num(&j, d->ridge_ops_per_byte);
    ts_json_end_obj(&j);
    fputc('\n', stdout);
}

/* One row per preset, so architects can compare classes at a glance. */
static int list_presets(bool json) {
    const char *const *names = arch_preset_names();
    if (!json)
        printf("%-14s %6s %8s %10s %11s %10s %10s %9s\n", "preset", "cores", "GHz",
               "INT8 TOPS", "BF16 TFLOPS", "SRAM MiB", "HBM GB/s", "ridge");
    ts_json j;
    ts_json_init(&j, stdout, true);
    if (json) ts_json_begin_arr(&j);
    for (int i = 0; names[i]; i++) {
        arch_chip c;
        arch_derived d;
        if (arch_load(names[i], &c) != TS_OK)
            return cli_fail("info", 1, "%s", ts_last_error());
        arch_derive(&c, &d);
        if (json) {
            ts_json_begin_obj(&j);
            ts_json_key(&j, "name"); ts_json_str(&j, c.name);
            ts_json_key(&j, "peak_int8_tops"); ts_json_num(&j, d.peak_int8_tops);
            ts_json_key(&j, "peak_bf16_tflops"); ts_json_num(&j, d.peak_bf16_tflops);
            ts_json_key(&j, "hbm_gbps"); ts_json_num(&j, c.hbm.gbps);
            ts_json_end_obj(&j);
        } else {
            printf("%-14s %6d %8.3f %10.1f %11.1f %10.1f %10.0f %9.1f\n", c.name, c.cores,
                   c.clock_ghz, d.peak_int8_tops, d.peak_bf16_tflops,
                   d.sram_bytes / 1048576.0, c.hbm.gbps, d.ridge_ops_per_byte);
        }
    }
    if (json) { ts_json_end_arr(&j); fputc('\n', stdout); }
    return 0;
}

int cli_info(int argc, char **argv) {
    const char *target = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        else if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "--target") && i + 1 < argc) target = argv[++i];
        else if (!strncmp(argv[i], "--target=", 9)) target = argv[i] + 9;
        else { usage(stderr); return cli_fail("info", 2, "unknown argument '%s'", argv[i]); }
    }
    if (!target) return list_presets(json);
    arch_chip chip;
    if (arch_load(target, &chip) != TS_OK) return cli_fail("info", 1, "%s", ts_last_error());
    arch_derived d;
    arch_derive(&chip, &d);
    if (json) print_json(&chip, &d);
    else print_human(&chip, &d);
    return 0;
}

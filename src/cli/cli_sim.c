/* tessera sim: simulate a program on a chip; print the report, optionally
 * load inputs into / dump outputs from device memory and write a trace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "isa/isa.h"
#include "sim/sim.h"

#define CLI_SIM_MAX_IO 64

typedef struct cli_dump {
    uint64_t addr;
    int      rank;
    int64_t  dims[TS_MAX_RANK];
    ts_dtype dtype;
    const char *path;
} cli_dump;

typedef struct cli_sim_args {
    const char *program, *target, *trace;
    bool        json;
    int         n_load, n_dump;
    uint64_t    load_addr[CLI_SIM_MAX_IO];
    const char *load_path[CLI_SIM_MAX_IO];
    cli_dump    dump[CLI_SIM_MAX_IO];
} cli_sim_args;

static void cli_sim_usage(FILE *f) {
    fprintf(f,
            "usage: tessera sim PROGRAM.bin|PROGRAM.s [--target NAME|PATH] [--load ADDR=FILE.npy ...]\n"
            "                   [--dump ADDR:SHAPE:DTYPE=FILE.npy ...] [--trace TRACE.json] [--json]\n\n"
            "Simulates the program on the chip (default npu-256t): bit-exact results and timing.\n"
            "  --load ADDR=FILE.npy            copy the array's bytes into device memory at ADDR\n"
            "  --dump ADDR:SHAPE:DTYPE=FILE    after the run, save device memory at ADDR as .npy,\n"
            "                                  e.g. 0x100000:256x256:int8=c.npy\n"
            "  --trace FILE                    Chrome/Perfetto trace: a track per core and engine\n"
            "  --json                          the report as JSON\n"
            "ADDR is decimal or 0x hex. Device memory is HBM, or on a chip without DRAM a\n"
            "%llu-byte host-memory window reached over the host link.\n",
            (unsigned long long)SIM_HOST_WINDOW_BYTES);
}

static bool cli_parse_u64(const char *s, size_t len, uint64_t *out) {
    char buf[64];
    if (len == 0 || len >= sizeof buf || s[0] == '-' || s[0] == '+') return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* "256x256" or "256,256" (rank >= 1). */
static bool cli_parse_shape(const char *s, size_t len, cli_dump *d) {
    d->rank = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != 'x' && s[j] != ',') j++;
        uint64_t v;
        if (d->rank == TS_MAX_RANK || !cli_parse_u64(s + i, j - i, &v) || v > (1ull << 40)) return false;
        d->dims[d->rank++] = (int64_t)v;
        if (j == len) return true;
        i = j + 1;
        if (i == len) return false;
    }
    return false;
}

static int cli_parse_load(cli_sim_args *a, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (a->n_load == CLI_SIM_MAX_IO) return cli_fail("sim", 2, "at most %d --load options", CLI_SIM_MAX_IO);
    if (!eq || !eq[1] || !cli_parse_u64(arg, (size_t)(eq - arg), &a->load_addr[a->n_load]))
        return cli_fail("sim", 2, "--load '%s': expected ADDR=FILE.npy", arg);
    a->load_path[a->n_load++] = eq + 1;
    return 0;
}

static int cli_parse_dump(cli_sim_args *a, const char *arg) {
    if (a->n_dump == CLI_SIM_MAX_IO) return cli_fail("sim", 2, "at most %d --dump options", CLI_SIM_MAX_IO);
    cli_dump *d = &a->dump[a->n_dump];
    const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *eq = c2 ? strchr(c2 + 1, '=') : NULL;
    if (!eq || !eq[1] || !cli_parse_u64(arg, (size_t)(c1 - arg), &d->addr) ||
        !cli_parse_shape(c1 + 1, (size_t)(c2 - c1 - 1), d))
        return cli_fail("sim", 2, "--dump '%s': expected ADDR:SHAPE:DTYPE=FILE.npy (e.g. 0x1000:64x64:int8=c.npy)",
                        arg);
    char dt[32];
    size_t n = (size_t)(eq - c2 - 1);
    if (n >= sizeof dt) n = sizeof dt - 1;
    memcpy(dt, c2 + 1, n);
    dt[n] = '\0';
    d->dtype = ts_dtype_from_name(dt);
    if (d->dtype == TS_UNDEFINED || d->dtype == TS_STRING || ts_dtype_size(d->dtype) == 0)
        return cli_fail("sim", 2, "--dump '%s': unknown dtype '%s' (int8, uint8, int32, float32, bfloat16, ...)",
                        arg, dt);
    d->path = eq + 1;
    a->n_dump++;
    return 0;
}

static int cli_sim_parse(int argc, char **argv, cli_sim_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool has_val = i + 1 < argc;
        int rc = 0;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) { cli_sim_usage(stdout); return -1; }
        else if (!strcmp(s, "--json")) a->json = true;
        else if (!strcmp(s, "--target") && has_val) a->target = argv[++i];
        else if (!strcmp(s, "--trace") && has_val) {
            a->trace = argv[++i];
            if (!a->trace[0]) return cli_fail("sim", 2, "--trace needs a file name");
        }
        else if (!strcmp(s, "--load") && has_val) rc = cli_parse_load(a, argv[++i]);
        else if (!strcmp(s, "--dump") && has_val) rc = cli_parse_dump(a, argv[++i]);
        else if (s[0] == '-' && s[1]) return cli_fail("sim", 2, "unknown or incomplete option '%s' (see --help)", s);
        else if (!a->program) a->program = s;
        else return cli_fail("sim", 2, "more than one program given ('%s', '%s')", a->program, s);
        if (rc) return rc;
    }
    if (!a->program) { cli_sim_usage(stderr); return 2; }
    if (!a->target) a->target = "npu-256t";
    return 0;
}

static bool cli_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static ts_status cli_sim_load_program(const char *path, isa_program **p) {
    if (cli_ends_with(path, ".s") || cli_ends_with(path, ".asm")) return isa_assemble_file(path, p);
    return isa_program_load(path, p);
}

static ts_status cli_sim_loads(sim_machine *m, const cli_sim_args *a) {
    for (int i = 0; i < a->n_load; i++) {
        ts_tensor *t = NULL;
        ts_status st = ts_npy_read(a->load_path[i], &t);
        if (!st) {
            st = sim_hbm_write(m, a->load_addr[i], t->data, ts_tensor_nbytes(t));
            if (st) ts_error_prefix("--load %s: ", a->load_path[i]);
        }
        ts_tensor_free(t);
        if (st) return st;
    }
    return TS_OK;
}

static uint64_t cli_dump_bytes(const cli_dump *d) {
    int64_t n = ts_shape_numel(d->rank, d->dims);
    return n < 0 ? UINT64_MAX : (uint64_t)n * ts_dtype_size(d->dtype);
}

/* Checked before the run so that a bad --dump costs no simulation time. */
static ts_status cli_sim_check_dumps(const sim_machine *m, const cli_sim_args *a) {
    for (int i = 0; i < a->n_dump; i++) {
        const cli_dump *d = &a->dump[i];
        uint64_t n = cli_dump_bytes(d);
        if (n == UINT64_MAX || d->addr > sim_hbm_size(m) || n > sim_hbm_size(m) - d->addr)
            return ts_error(TS_ERR_RANGE, "--dump %s: [0x%llx, +%llu bytes) is outside device memory (%llu bytes)",
                            d->path, (unsigned long long)d->addr, (unsigned long long)n,
                            (unsigned long long)sim_hbm_size(m));
    }
    return TS_OK;
}

static ts_status cli_sim_dump_one(const sim_machine *m, const cli_dump *d) {
    ts_tensor *t = ts_tensor_new(d->dtype, d->rank, d->dims);
    if (!t) return TS_ERR_NOMEM;
    ts_status st = sim_hbm_read(m, d->addr, t->data, ts_tensor_nbytes(t));
    if (!st) st = ts_npy_write(d->path, t);
    ts_tensor_free(t);
    return st;
}

/* Trace and dumps; if one fails, the ones already written are removed so
 * that a failed command leaves no outputs. */
static ts_status cli_sim_outputs(const sim_machine *m, const cli_sim_args *a) {
    const char *written[CLI_SIM_MAX_IO + 1];
    int n = 0;
    ts_status st = TS_OK;
    if (a->trace) {
        st = sim_write_trace(m, a->trace);
        if (!st) written[n++] = a->trace;
    }
    for (int i = 0; !st && i < a->n_dump; i++) {
        st = cli_sim_dump_one(m, &a->dump[i]);
        if (!st) written[n++] = a->dump[i].path;
    }
    if (st)
        while (n > 0) remove(written[--n]);
    return st;
}

static int cli_sim_run(const cli_sim_args *a, const arch_chip *chip, isa_program *prog) {
    sim_machine *m = NULL;
    sim_result r;
    ts_status st = sim_new(chip, prog, &m);
    if (st) ts_error_prefix("%s: ", a->program);
    if (!st) st = cli_sim_loads(m, a);
    if (!st) st = cli_sim_check_dumps(m, a);
    if (!st) {
        sim_enable_trace(m, a->trace != NULL);
        st = sim_run(m, &r);
        if (st) ts_error_prefix("%s: ", a->program);
    }
    if (!st) st = cli_sim_outputs(m, a);
    sim_free(m);
    if (st) return cli_fail("sim", 1, "%s", ts_last_error());
    if (a->json) sim_report_json(&r, stdout, true);
    else sim_report_print(&r, stdout);
    return 0;
}

int cli_sim(int argc, char **argv) {
    cli_sim_args a = {0};
    int rc = cli_sim_parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    arch_chip chip;
    if (arch_load(a.target, &chip)) return cli_fail("sim", 1, "%s", ts_last_error());
    isa_program *prog = NULL;
    if (cli_sim_load_program(a.program, &prog)) return cli_fail("sim", 1, "%s", ts_last_error());
    rc = cli_sim_run(&a, &chip, prog);
    isa_program_free(prog);
    return rc;
}

/* tessera run: runs a model on a device through the public API and writes
 * every graph output to OUTDIR/NAME.npy. All or nothing: outputs are written
 * under temporary names and renamed only once every one of them is on disk;
 * the output directory is created only after the run succeeded. */
#include "cli/cli.h"
#include "tessera.h"
#include "base/base.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_MAX_INPUTS 64
/* Room for DIR/NAME.npy: DIR is checked against RUN_MAX_DIR up front so that
 * no path is ever cut short (a cut path would name another directory). */
#define RUN_PATH 4096
#define RUN_MAX_DIR (RUN_PATH - 600)

typedef struct {
    const char *model, *target, *out_dir, *dump_ir;
    const char *in_spec[RUN_MAX_INPUTS]; int n_in;
    int  threads, repeat;
    bool json;
    tessera_image_options img;
} run_args;

static void run_usage(FILE *f) {
    fprintf(f,
        "usage: tessera run MODEL.onnx [--target cpu] --input NAME=FILE ... --output-dir DIR\n"
        "                   [--threads N] [--json] [--dump-ir=PASS] [--repeat N] [image options]\n"
        "\n"
        "Runs MODEL on the device and writes every graph output to DIR/NAME.npy.\n"
        "NAME is the output's name made file-safe: each character outside\n"
        "[A-Za-z0-9._-] becomes '_', a leading '.' becomes '_', and a name that\n"
        "repeats an earlier output's file gets '_2', '_3', ... Nothing is written if\n"
        "the run fails; DIR is created when missing.\n"
        "\n"
        "  --input NAME=FILE  a graph input: .npy (any dtype), or a .png/.jpg/.jpeg image\n"
        "                     (float32 [1,3,H,W]); 'FILE' alone when the model has one input\n"
        "  --threads N        CPU threads (default: all cores)\n"
        "  --json             print a JSON summary (outputs, total time, time per op type,\n"
        "                     the 10 slowest nodes)\n"
        "  --dump-ir=PASS     print the IR after pass PASS ('all': after every pass) to stderr\n"
        "  --repeat N         run N times (after one warm-up when N > 1); report the median\n"
        "                     (and, with --json, the fastest run)\n"
        "\n"
        "image preprocessing, in this order:\n"
        "  decode to 8-bit RGB; --resize HxW (bilinear); scale to [0,1] (x/255);\n"
        "  --mean r,g,b and --std r,g,b: x = (x - mean) / std per channel (RGB order,\n"
        "  default 0 and 1); --channel-order rgb|bgr (default rgb); --layout nchw|nhwc\n"
        "  (default nchw); a batch dim of 1 is added.\n");
}

/* ---- flags ------------------------------------------------------------------- */

static int run_bad(const char *flag, const char *v, const char *want) {
    return cli_fail("run", 2, "%s '%s': expected %s", flag, v ? v : "", want);
}

static bool run_parse_floats(const char *v, float out[3]) {
    char *end;
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        out[i] = strtof(p, &end);
        if (end == p || !isfinite(out[i]) || (i < 2 && *end != ',') || (i == 2 && *end)) return false;
        p = end + 1;
    }
    return true;
}

static bool run_parse_int(const char *v, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || x < lo || x > hi) return false;
    *out = (int)x;
    return true;
}

/* An option's value: "--flag=value" or "--flag value" (not "--flag --other"). */
static const char *run_value(int argc, char **argv, int *i, const char *flag) {
    size_t n = strlen(flag);
    if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=') return argv[*i] + n + 1;
    if (!strcmp(argv[*i], flag) && *i + 1 < argc && strncmp(argv[*i + 1], "--", 2))
        return argv[++*i];
    return NULL;
}

static int run_image_flag(const char *flag, const char *v, tessera_image_options *img) {
    if (!strcmp(flag, "--resize")) {
        char *x = v ? strchr(v, 'x') : NULL;
        if (!x) return run_bad(flag, v, "HxW, e.g. 224x224");
        char h[32];
        snprintf(h, sizeof h, "%.*s", (int)(x - v), v);
        if (!run_parse_int(h, 1, 1 << 16, &img->height) || !run_parse_int(x + 1, 1, 1 << 16, &img->width))
            return run_bad(flag, v, "HxW, integers in 1..65536");
    } else if (!strcmp(flag, "--mean")) {
        if (!run_parse_floats(v, img->mean)) return run_bad(flag, v, "three numbers r,g,b");
    } else if (!strcmp(flag, "--std")) {
        if (!run_parse_floats(v, img->std) || !img->std[0] || !img->std[1] || !img->std[2])
            return run_bad(flag, v, "three non-zero numbers r,g,b");
    } else if (!strcmp(flag, "--channel-order")) {
        if (strcmp(v, "rgb") && strcmp(v, "bgr")) return run_bad(flag, v, "rgb or bgr");
        img->bgr = !strcmp(v, "bgr");
    } else if (!strcmp(flag, "--layout")) {
        if (strcmp(v, "nchw") && strcmp(v, "nhwc")) return run_bad(flag, v, "nchw or nhwc");
        img->nhwc = !strcmp(v, "nhwc");
    }
    return 0;
}

static const char *const run_image_flags[] = {"--resize", "--mean", "--std", "--channel-order",
                                              "--layout"};

static int run_parse_one(int argc, char **argv, int *i, run_args *a) {
    const char *arg = argv[*i], *v;
    if (!strcmp(arg, "--json")) { a->json = true; return 0; }
    if ((v = run_value(argc, argv, i, "--input"))) {
        const char *eq = strchr(v, '=');
        if (!v[0] || eq == v || (eq && !eq[1]))
            return run_bad("--input", v, "NAME=FILE (or FILE for a one-input model)");
        if (a->n_in == RUN_MAX_INPUTS) return cli_fail("run", 2, "more than %d --input flags", RUN_MAX_INPUTS);
        a->in_spec[a->n_in++] = v;
        return 0;
    }
    if ((v = run_value(argc, argv, i, "--output-dir"))) {
        char want[64];
        snprintf(want, sizeof want, "a directory path of 1..%d characters", RUN_MAX_DIR);
        return (a->out_dir = v)[0] && strlen(v) <= RUN_MAX_DIR ? 0 : run_bad("--output-dir", v, want);
    }
    if ((v = run_value(argc, argv, i, "--target"))) { a->target = v; return 0; }
    if ((v = run_value(argc, argv, i, "--dump-ir"))) { a->dump_ir = v; return 0; }
    if ((v = run_value(argc, argv, i, "--threads"))) {
        char want[48];
        snprintf(want, sizeof want, "an integer in 1..%d", TS_MAX_THREADS);
        return run_parse_int(v, 1, TS_MAX_THREADS, &a->threads) ? 0 : run_bad("--threads", v, want);
    }
    if ((v = run_value(argc, argv, i, "--repeat")))
        return run_parse_int(v, 1, 1 << 24, &a->repeat) ? 0 : run_bad("--repeat", v, "an integer in 1..16777216");
    for (size_t k = 0; k < TS_ARRAY_LEN(run_image_flags); k++)
        if ((v = run_value(argc, argv, i, run_image_flags[k])))
            return run_image_flag(run_image_flags[k], v, &a->img);
    if (arg[0] == '-') return cli_fail("run", 2, "unknown or incomplete option '%s' (see --help)", arg);
    if (!arg[0]) return run_bad("MODEL", arg, "a path to an .onnx file");
    if (a->model) return cli_fail("run", 2, "two models given: '%s' and '%s'", a->model, arg);
    a->model = arg;
    return 0;
}

static int run_parse(int argc, char **argv, run_args *a) {
    *a = (run_args){.target = "cpu", .repeat = 1};
    for (int i = 1; i < argc; i++) {
        int rc = run_parse_one(argc, argv, &i, a);
        if (rc) return rc;
    }
    if (!a->model) return cli_fail("run", 2, "no model given (see --help)");
    if (!a->out_dir && !a->json) return cli_fail("run", 2, "--output-dir DIR is required (or --json alone to only time the run)");
    return 0;
}

/* ---- inputs ------------------------------------------------------------------ */

static bool run_is_image(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

/* Reads every --input into the session; errors name the flag and the file. */
static int run_inputs(const run_args *a, const tessera_model *m, tessera_session *s) {
    bool given[RUN_MAX_INPUTS] = {false};
    for (int i = 0; i < a->n_in; i++) {
        const char *spec = a->in_spec[i], *eq = strchr(spec, '=');
        char name[512];
        const char *file = eq ? eq + 1 : spec;
        if (!eq && tessera_model_num_inputs(m) != 1)
            return cli_fail("run", 2, "--input %s: give NAME=FILE (the model has %d inputs)", spec,
                            tessera_model_num_inputs(m));
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - spec) : 511,
                 eq ? spec : tessera_model_input_name(m, 0));
        tessera_tensor *t = NULL;
        tessera_status st = run_is_image(file) ? tessera_image_read(file, &a->img, &t)
                                               : tessera_tensor_read(file, &t);
        if (!st) st = tessera_session_set_input(s, name, t);
        tessera_tensor_free(t);
        if (st) return cli_fail("run", 1, "--input %s: %s", spec, tessera_last_error());
        for (int k = 0; k < tessera_model_num_inputs(m) && k < RUN_MAX_INPUTS; k++)
            if (!strcmp(tessera_model_input_name(m, k), name)) given[k] = true;
    }
    for (int k = 0; k < tessera_model_num_inputs(m) && k < RUN_MAX_INPUTS; k++)
        if (!given[k])
            return cli_fail("run", 2, "input '%s' not given (add --input %s=FILE.npy)",
                            tessera_model_input_name(m, k), tessera_model_input_name(m, k));
    return 0;
}

/* ---- outputs ----------------------------------------------------------------- */

/* The documented file-safe mapping (see run_usage). */
static void run_safe_name(const char *name, char *buf, size_t n) {
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < n; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        buf[k] = ok && !(k == 0 && c == '.') ? c : '_';
        k++;
    }
    if (k == 0) buf[k++] = '_';
    buf[k] = 0;
}

typedef struct { char file[RUN_PATH], tmp[RUN_PATH]; } run_out_file;

static void run_file_names(const run_args *a, const tessera_model *m, run_out_file *f) {
    int n = tessera_model_num_outputs(m);
    for (int i = 0; i < n; i++) {
        char safe[512], cand[600];
        run_safe_name(tessera_model_output_name(m, i), safe, sizeof safe);
        snprintf(f[i].file, sizeof f[i].file, "%s/%s.npy", a->out_dir, safe);
        for (int k = 0, dup = 2; k < i; k++)   /* names that map to one file get _2, _3 */
            if (!strcmp(f[k].file, f[i].file)) {
                snprintf(cand, sizeof cand, "%s_%d", safe, dup++);
                snprintf(f[i].file, sizeof f[i].file, "%s/%s.npy", a->out_dir, cand);
                k = -1;   /* the new name may collide too: check again */
            }
        snprintf(f[i].tmp, sizeof f[i].tmp, "%s/.tessera-%d-%d.npy.tmp", a->out_dir, (int)getpid(), i);
    }
}

/* mkdir -p: the directory and any missing parents. *created is the length
 * of the shallowest directory this call made (0: none), so that a failed run
 * can remove exactly what it made. */
static int run_mkdirs(const char *dir, size_t *created) {
    char path[RUN_PATH];
    snprintf(path, sizeof path, "%s", dir);
    *created = 0;
    for (char *p = path + 1;; p++) {
        if (*p && *p != '/') continue;
        char c = *p;
        *p = 0;
        if (mkdir(path, 0777) == 0) { if (!*created) *created = strlen(path); }
        else if (errno != EEXIST) return -1;
        *p = c;
        if (!c) break;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

/* Removes the directories run_mkdirs made, deepest first (rmdir: only if
 * empty, so never a user's file). */
static void run_rmdirs(const char *dir, size_t created) {
    char path[RUN_PATH];
    snprintf(path, sizeof path, "%s", dir);
    while (created && strlen(path) >= created) {
        rmdir(path);
        char *slash = strrchr(path, '/');
        if (!slash) break;
        *slash = 0;
    }
}

static int run_write(const run_args *a, const tessera_model *m, tessera_session *s,
                     run_out_file *f) {
    int n = tessera_model_num_outputs(m), i = 0, rc = 0;
    size_t created = 0;
    if (run_mkdirs(a->out_dir, &created) != 0) {
        int e = errno;
        run_rmdirs(a->out_dir, created);
        return cli_fail("run", 1, "--output-dir %s: %s", a->out_dir, strerror(e));
    }
    for (; i < n && !rc; i++) {
        const tessera_tensor *t;
        if (tessera_session_get_output(s, tessera_model_output_name(m, i), &t) ||
            tessera_tensor_write_npy(f[i].tmp, t))
            rc = cli_fail("run", 1, "%s", tessera_last_error());
    }
    for (int k = 0; k < i && !rc; k++)
        if (rename(f[k].tmp, f[k].file) != 0)
            rc = cli_fail("run", 1, "%s: %s", f[k].file, strerror(errno));
    if (rc) {
        for (int k = 0; k < i; k++) unlink(f[k].tmp);
        run_rmdirs(a->out_dir, created);
    }
    return rc;
}

/* ---- report ------------------------------------------------------------------ */

static void run_json(const run_args *a, const tessera_model *m, tessera_session *s,
                     const tessera_device *d, const run_out_file *f, double median, double best) {
    ts_json j;
    ts_json_init(&j, stdout, true);
    ts_json_begin_obj(&j);
    ts_json_key(&j, "model"); ts_json_str(&j, a->model);
    ts_json_key(&j, "device"); ts_json_str(&j, tessera_device_name(d));
    ts_json_key(&j, "threads"); ts_json_int(&j, tessera_device_threads(d));
    ts_json_key(&j, "runs"); ts_json_int(&j, a->repeat);
    ts_json_key(&j, "seconds"); ts_json_num(&j, median);
    ts_json_key(&j, "min_seconds"); ts_json_num(&j, best);
    ts_json_key(&j, "outputs"); ts_json_begin_arr(&j);
    for (int i = 0; i < tessera_model_num_outputs(m); i++) {
        const tessera_tensor *t;
        if (tessera_session_get_output(s, tessera_model_output_name(m, i), &t)) continue;
        ts_json_begin_obj(&j);
        ts_json_key(&j, "name"); ts_json_str(&j, tessera_model_output_name(m, i));
        ts_json_key(&j, "file");
        if (a->out_dir) ts_json_str(&j, f[i].file); else ts_json_null(&j);
        ts_json_key(&j, "dtype"); ts_json_str(&j, ts_dtype_name((ts_dtype)tessera_tensor_dtype(t)));
        ts_json_key(&j, "shape"); ts_json_begin_arr(&j);
        for (int d2 = 0; d2 < tessera_tensor_rank(t); d2++) ts_json_int(&j, tessera_tensor_dims(t)[d2]);
        ts_json_end_arr(&j);
        ts_json_end_obj(&j);
    }
    ts_json_end_arr(&j);
    const tessera_op_time *ops;
    int n_ops = tessera_session_op_times(s, &ops);
    ts_json_key(&j, "ops"); ts_json_begin_arr(&j);
    for (int i = 0; i < n_ops; i++) {
        ts_json_begin_obj(&j);
        ts_json_key(&j, "op_type"); ts_json_str(&j, ops[i].op_type);
        ts_json_key(&j, "count"); ts_json_int(&j, ops[i].count);
        ts_json_key(&j, "seconds"); ts_json_num(&j, ops[i].seconds);
        ts_json_end_obj(&j);
    }
    ts_json_end_arr(&j);
    const tessera_node_time *nodes;
    int n_nodes = tessera_session_node_times(s, &nodes);
    ts_json_key(&j, "slowest_nodes"); ts_json_begin_arr(&j);
    for (int i = 0; i < n_nodes && i < 10; i++) {
        ts_json_begin_obj(&j);
        ts_json_key(&j, "name"); ts_json_str(&j, nodes[i].name);
        ts_json_key(&j, "op_type"); ts_json_str(&j, nodes[i].op_type);
        ts_json_key(&j, "seconds"); ts_json_num(&j, nodes[i].seconds);
        ts_json_end_obj(&j);
    }
    ts_json_end_arr(&j);
    ts_json_end_obj(&j);
    fputc('\n', stdout);
}

static void run_text(const tessera_model *m, tessera_session *s, const run_out_file *f,
                     double median, int repeat) {
    for (int i = 0; i < tessera_model_num_outputs(m); i++) {
        const tessera_tensor *t;
        char shape[128];
        if (tessera_session_get_output(s, tessera_model_output_name(m, i), &t)) continue;
        printf("wrote %s  %s %s\n", f[i].file, ts_dtype_name((ts_dtype)tessera_tensor_dtype(t)),
               ts_shape_str(tessera_tensor_rank(t), tessera_tensor_dims(t), shape, sizeof shape));
    }
    printf("time: %.3f ms%s\n", median * 1e3, repeat > 1 ? " (median)" : "");
    const tessera_op_time *ops;
    int n = tessera_session_op_times(s, &ops);
    double total = 0;
    for (int i = 0; i < n; i++) total += ops[i].seconds;
    for (int i = 0; i < n && i < 8; i++)   /* the op types that take the time (last run) */
        printf("  %-22s %4d x %9.3f ms %5.1f%%\n", ops[i].op_type, ops[i].count,
               ops[i].seconds * 1e3, total > 0 ? 100 * ops[i].seconds / total : 0.0);
}

static int run_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs a->repeat times (plus a warm-up when repeating); returns the median
 * and the fastest run (on a busy machine the best estimate of the cost). */
static int run_timed(const run_args *a, tessera_session *s, double *median, double *best) {
    int n = a->repeat;
    double *t = ts_calloc((size_t)n, sizeof *t);
    if (!t) return cli_fail("run", 1, "%s", tessera_last_error());
    int rc = 0;
    for (int i = n > 1 ? -1 : 0; i < n && !rc; i++) {
        if (tessera_session_run(s)) rc = cli_fail("run", 1, "%s: %s", a->model, tessera_last_error());
        else if (i >= 0) t[i] = tessera_session_last_seconds(s);
    }
    qsort(t, (size_t)n, sizeof *t, run_cmp_double);
    *median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    *best = t[0];
    ts_free(t);
    return rc;
}

int cli_run(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { run_usage(stdout); return 0; }
    run_args a;
    int rc = run_parse(argc, argv, &a);
    if (rc) return rc;
    tessera_device *d = NULL; tessera_model *m = NULL; tessera_session *s = NULL;
    run_out_file *files = NULL;
    tessera_device_options dopt = {.threads = a.threads};
    tessera_session_options sopt = {.dump_ir = a.dump_ir, .dump_to = stderr};
    double median = 0, best = 0;
    if (tessera_device_open(a.target, &dopt, &d))
        rc = cli_fail("run", 2, "--target %s: %s", a.target, tessera_last_error());
    else if (tessera_model_load(a.model, &m) || tessera_session_create(d, m, &sopt, &s))
        rc = cli_fail("run", 1, "%s", tessera_last_error());
    else if (!(rc = run_inputs(&a, m, s)) && !(rc = run_timed(&a, s, &median, &best))) {
        files = ts_calloc((size_t)tessera_model_num_outputs(m) + 1, sizeof *files);
        if (!files) rc = cli_fail("run", 1, "%s", tessera_last_error());
        else if (a.out_dir) {
            run_file_names(&a, m, files);
            rc = run_write(&a, m, s, files);
        }
        if (!rc && a.json) run_json(&a, m, s, d, files, median, best);
        else if (!rc) run_text(m, s, files, median, a.repeat);
    }
    ts_free(files);
    tessera_session_free(s);
    tessera_model_free(m);
    tessera_device_close(d);
    return rc;
}

/* tessera conformance: runs ONNX backend test cases (model.onnx +
 * test_data_set_N/input_K.pb, output_K.pb) and compares the outputs with
 * ONNX's own rule, numpy.testing.assert_allclose:
 *     |got - expected| <= atol + rtol * |expected|   (NaN matches NaN)
 * with rtol 1e-3, atol 1e-7, the same dtype and shape. A case dir's data.json
 * may set "rtol"/"atol" (as ONNX's loader reads them), and the table below
 * widens them where a case needs it, with the reason.
 *
 * Each case runs in a child process: a kernel that crashes or hangs fails
 * its own case and the run goes on. A case is skipped, with the reason, when
 * the model or its data needs something Tessera does not support (an op, a
 * dtype such as string, a subgraph); every other problem is a failure. */
#include "cli/cli.h"
#include "tessera.h"
#include "base/base.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Per-case tolerances beyond ONNX's defaults (keep README.md's table in sync). */
typedef struct { const char *name; double rtol, atol; const char *reason; } cf_override;
#define CF_BF16_TRUNC "ONNX 1.12's reference truncates float32 to bfloat16; Tessera rounds " \
                      "to nearest even (as later ONNX releases specify): 1 bfloat16 ulp apart"
static const cf_override cf_overrides[] = {
    {"test_cast_FLOAT_to_BFLOAT16", 1e-2, 1e-7, CF_BF16_TRUNC},
    {"test_castlike_FLOAT_to_BFLOAT16", 1e-2, 1e-7, CF_BF16_TRUNC},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded", 1e-2, 1e-7, CF_BF16_TRUNC},
    {NULL, 0, 0, NULL},
};

typedef struct {
    const char *filter;
    bool        verbose, fork;
    int         threads;
    int         timeout_s;
    int         passed, failed, skipped;
    char      **failures; int n_failures;
} cf_run;

enum { CF_PASS = 'P', CF_FAIL = 'F', CF_SKIP = 'S' };

/* snprintf for paths: vsnprintf through a function so that the compiler
 * does not guess at truncation; a path that does not fit is cut (and then
 * fails to open, naming itself). */
static void cf_path(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cf_path(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* ---- one case (runs in the child) ---------------------------------------------- */

typedef struct { char kind; char msg[1536]; } cf_result;

static void cf_set(cf_result *r, char kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cf_set(cf_result *r, char kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    r->kind = kind;
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

/* A failing call: skip if Tessera lacks a feature, fail otherwise. The
 * case dir is already on the line: a leading ".../model.onnx: " goes. */
static void cf_from_status(cf_result *r, tessera_status st, const char *where) {
    const char *msg = tessera_last_error(), *cut = strstr(msg, "model.onnx: ");
    if (cut && !memchr(msg, ' ', (size_t)(cut - msg))) msg = cut + strlen("model.onnx: ");
    size_t wl = strlen(where);   /* a message that already starts with the path: once is enough */
    bool named = !strncmp(msg, where, wl) && !strncmp(msg + wl, ": ", 2);
    cf_set(r, st == TESSERA_ERR_UNSUPPORTED ? CF_SKIP : CF_FAIL, "%s: %s", where, named ? msg + wl + 2 : msg);
}

static bool cf_is_float(tessera_dtype t) {
    return t == TESSERA_F32 || t == TESSERA_F64 || t == TESSERA_F16 || t == TESSERA_BF16;
}

static size_t cf_elem_size(tessera_dtype t) {
    switch (t) {
    case TESSERA_U8: case TESSERA_I8: case TESSERA_BOOL: return 1;
    case TESSERA_U16: case TESSERA_I16: case TESSERA_F16: case TESSERA_BF16: return 2;
    case TESSERA_I32: case TESSERA_U32: case TESSERA_F32: return 4;
    default: return 8;
    }
}

static bool cf_same_shape(const tessera_tensor *a, const tessera_tensor *b) {
    if (tessera_tensor_rank(a) != tessera_tensor_rank(b)) return false;
    for (int d = 0; d < tessera_tensor_rank(a); d++)
        if (tessera_tensor_dims(a)[d] != tessera_tensor_dims(b)[d]) return false;
    return true;
}

static void cf_shape(const tessera_tensor *t, char *buf, size_t n) {
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < tessera_tensor_rank(t) && len < n; d++)
        len += (size_t)snprintf(buf + len, n - len, "%s%lld", d ? "," : "",
                                (long long)tessera_tensor_dims(t)[d]);
    if (len < n) snprintf(buf + len, n - len, "]");
}

/* Compares one output; on mismatch fills r and returns false. */
static bool cf_compare(const tessera_tensor *got, const tessera_tensor *want, double rtol,
                       double atol, const char *label, cf_result *r) {
    char gs[128], ws[128];
    if (tessera_tensor_dtype(got) != tessera_tensor_dtype(want)) {
        cf_set(r, CF_FAIL, "%s: dtype %d, expected %d", label, tessera_tensor_dtype(got),
               tessera_tensor_dtype(want));
        return false;
    }
    if (!cf_same_shape(got, want)) {
        cf_shape(got, gs, sizeof gs); cf_shape(want, ws, sizeof ws);
        cf_set(r, CF_FAIL, "%s: shape %s, expected %s", label, gs, ws);
        return false;
    }
    int64_t n = tessera_tensor_numel(want), bad = 0, first = -1;
    double max_abs = 0, max_rel = 0;
    bool fl = cf_is_float(tessera_tensor_dtype(want));
    size_t es = cf_elem_size(tessera_tensor_dtype(want));
    const char *gp = tessera_tensor_data(got), *wp = tessera_tensor_data(want);
    for (int64_t i = 0; i < n; i++) {
        if (!fl) {   /* integers and bools: exact, bytewise (int64 beyond 2^53 too) */
            if (memcmp(gp + i * es, wp + i * es, es)) { bad++; if (first < 0) first = i; }
            continue;
        }
        double g = tessera_tensor_get(got, i), w = tessera_tensor_get(want, i);
        if (isnan(w) || isnan(g)) {
            if (isnan(w) != isnan(g)) { bad++; if (first < 0) first = i; }
            continue;
        }
        if (g == w) continue;   /* also equal infinities */
        double d = fabs(g - w), rel = w != 0 ? d / fabs(w) : INFINITY;
        max_abs = fmax(max_abs, d);
        max_rel = fmax(max_rel, rel);
        if (!(d <= atol + rtol * fabs(w))) { bad++; if (first < 0) first = i; }
    }
    if (!bad) return true;
    cf_set(r, CF_FAIL,
           "%s: %lld of %lld elements differ; max abs diff %.3g, max rel diff %.3g "
           "(rtol %g, atol %g); first at %lld: got %.9g, expected %.9g",
           label, (long long)bad, (long long)n, max_abs, max_rel, rtol, atol, (long long)first,
           tessera_tensor_get(got, first), tessera_tensor_get(want, first));
    return false;
}

/* numpy has no bfloat16: ONNX's test data stores bfloat16 tensors as
 * uint16 with the same bits. Retags t in place as `want` in that case. */
static void cf_fix_bf16(tessera_tensor **t, tessera_dtype want) {
    if (want != TESSERA_BF16 || tessera_tensor_dtype(*t) != TESSERA_U16) return;
    tessera_tensor *c = tessera_tensor_new(TESSERA_BF16, tessera_tensor_rank(*t),
                                           tessera_tensor_dims(*t), tessera_tensor_data(*t));
    if (!c) return;
    tessera_tensor_free(*t);
    *t = c;
}

/* Runs data set `ds` (a directory) through session s. */
static void cf_data_set(tessera_session *s, const tessera_model *m, const char *ds,
                        double rtol, double atol, cf_result *r) {
    char path[4096], label[512];
    int n_in = tessera_model_num_inputs(m), n_out = tessera_model_num_outputs(m);
    for (int i = 0; i < n_in; i++) {
        tessera_tensor *t = NULL;
        cf_path(path, sizeof path, "%s/input_%d.pb", ds, i);
        tessera_status st = tessera_tensor_read(path, &t);
        tessera_dtype dt = 0;
        tessera_model_input_info(m, i, &dt, NULL);
        if (!st) cf_fix_bf16(&t, dt);
        if (!st) st = tessera_session_set_input(s, tessera_model_input_name(m, i), t);
        tessera_tensor_free(t);
        if (st) { cf_from_status(r, st, path); return; }
    }
    tessera_status st = tessera_session_run(s);
    if (st) { cf_from_status(r, st, "run"); return; }
    for (int i = 0; i < n_out; i++) {
        tessera_tensor *want = NULL;
        const tessera_tensor *got = NULL;
        cf_path(path, sizeof path, "%s/output_%d.pb", ds, i);
        st = tessera_tensor_read(path, &want);
        if (st) { cf_from_status(r, st, path); return; }
        st = tessera_session_get_output(s, tessera_model_output_name(m, i), &got);
        if (!st) cf_fix_bf16(&want, tessera_tensor_dtype(got));
        snprintf(label, sizeof label, "%s: output %d '%s'", strrchr(ds, '/') + 1, i,
                 tessera_model_output_name(m, i));
        bool ok = !st && cf_compare(got, want, rtol, atol, label, r);
        if (st) cf_from_status(r, st, label);
        tessera_tensor_free(want);
        if (!ok) return;
    }
}

static int cf_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir starting with prefix; caller frees. */
static int cf_list(const char *dir, const char *prefix, char ***out) {
    DIR *d = opendir(dir);
    char **names = NULL; int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix))) continue;
        char **p = ts_realloc(names, (size_t)(n + 1) * sizeof *names);
        if (!p) break;
        names = p;
        if (!(names[n] = ts_strdup(e->d_name))) break;
        n++;
    }
    if (d) closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cf_cmp_str);
    *out = names;
    return n;
}

static void cf_free_list(char **names, int n) {
    for (int i = 0; i < n; i++) ts_free(names[i]);
    ts_free(names);
}

/* One "key": number from data.json's text; false (with the reason in r) if
 * the key is there but its value is not a finite number >= 0. */
static bool cf_json_tol(const char *buf, const char *key, const char *path, double *out, cf_result *r) {
    char quoted[16];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(buf, quoted);
    if (!p) return true;
    p += strlen(quoted);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    char *end = NULL;
    double v = *p == ':' ? strtod(p + 1, &end) : NAN;
    if (!end || end == p + 1 || !isfinite(v) || v < 0) {
        cf_set(r, CF_FAIL, "%s: \"%s\" is not a number >= 0", path, key);
        return false;
    }
    *out = v;
    return true;
}

/* "rtol"/"atol" from the case's data.json, as ONNX's loader reads them. A
 * data.json that is there but unreadable or malformed fails the case: a
 * tolerance silently dropped would change what the case checks. */
static bool cf_read_json_tol(const char *dir, double *rtol, double *atol, cf_result *r) {
    char path[4096], buf[4096];
    cf_path(path, sizeof path, "%s/data.json", dir);
    if (access(path, F_OK) != 0) return true;
    struct stat sb;
    FILE *f = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? fopen(path, "r") : NULL;
    if (!f) { cf_set(r, CF_FAIL, "%s: not a readable file", path); return false; }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err) { cf_set(r, CF_FAIL, "%s: read failed", path); return false; }
    buf[n] = 0;
    return cf_json_tol(buf, "rtol", path, rtol, r) && cf_json_tol(buf, "atol", path, atol, r);
}

static bool cf_case_tol(const char *dir, double *rtol, double *atol, cf_result *r) {
    *rtol = 1e-3; *atol = 1e-7;
    if (!cf_read_json_tol(dir, rtol, atol, r)) return false;
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    for (const cf_override *o = cf_overrides; o->name; o++)
        if (!strcmp(o->name, name)) { *rtol = o->rtol; *atol = o->atol; }
    return true;
}

static void cf_case(const char *dir, int threads, cf_result *r) {
    char path[4096];
    double rtol, atol;
    if (!cf_case_tol(dir, &rtol, &atol, r)) return;
    tessera_device *dev = NULL; tessera_model *m = NULL; tessera_session *s = NULL;
    tessera_device_options dopt = {.threads = threads};
    cf_path(path, sizeof path, "%s/model.onnx", dir);
    tessera_status st = tessera_device_open("cpu", &dopt, &dev);
    if (st) { cf_from_status(r, st, "device"); return; }
    /* Some test data disagree with the shapes their model declares (the
     * CastLike cases feed 'like' as [1] to a [3,4] input); ONNX's runner does
     * not check declared shapes, so neither does this one. */
    tessera_session_options sopt = {.any_shape = true};
    if ((st = tessera_model_load(path, &m)) || (st = tessera_session_create(dev, m, &sopt, &s))) {
        cf_from_status(r, st, "load");
    } else {
        char **sets; int n = cf_list(dir, "test_data_set_", &sets);
        cf_set(r, CF_PASS, "%d data set%s", n, n == 1 ? "" : "s");
        if (!n) cf_set(r, CF_FAIL, "no test_data_set_* directories");
        for (int i = 0; i < n && r->kind == CF_PASS; i++) {
            cf_path(path, sizeof path, "%s/%s", dir, sets[i]);
            cf_data_set(s, m, path, rtol, atol, r);
        }
        if (r->kind == CF_PASS) cf_set(r, CF_PASS, "%d data set%s", n, n == 1 ? "" : "s");
        cf_free_list(sets, n);
    }
    tessera_session_free(s);
    tessera_model_free(m);
    tessera_device_close(dev);
}

/* ---- isolation: one child process per case ------------------------------------- */

static void cf_case_forked(const cf_run *run, const char *dir, cf_result *r) {
    int fds[2];
    if (pipe(fds) != 0) { cf_set(r, CF_FAIL, "pipe: %s", strerror(errno)); return; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { cf_set(r, CF_FAIL, "fork: %s", strerror(errno)); close(fds[0]); close(fds[1]); return; }
    if (pid == 0) {
        close(fds[0]);
        alarm((unsigned)run->timeout_s);
        cf_result cr = {CF_FAIL, "no result"};
        cf_case(dir, run->threads, &cr);
        ssize_t w = write(fds[1], &cr, sizeof cr);
        /* exit(), not _exit(): under SANITIZE=address the leak checker runs
         * at exit and its non-zero status fails the case */
        exit(w == (ssize_t)sizeof cr ? 0 : 3);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t k = read(fds[0], (char *)r + got, sizeof *r - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        cf_set(r, CF_FAIL, "timed out after %d s", run->timeout_s);
    else if (WIFSIGNALED(status))
        cf_set(r, CF_FAIL, "crashed: %s", strsignal(WTERMSIG(status)));
    else if (got != sizeof *r)
        cf_set(r, CF_FAIL, "child exited with status %d without a result", WEXITSTATUS(status));
    else if (WEXITSTATUS(status) != 0)
        cf_set(r, CF_FAIL, "exited with status %d after a %s result (a sanitizer report above?)",
               WEXITSTATUS(status), r->kind == CF_PASS ? "passing" : r->kind == CF_SKIP ? "skip" : "failing");
    r->msg[sizeof r->msg - 1] = 0;
}

static void cf_record(cf_run *run, const char *dir, const cf_result *r) {
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (r->kind == CF_PASS) {
        run->passed++;
        if (run->verbose) printf("PASS %s (%s)\n", name, r->msg);
    } else if (r->kind == CF_SKIP) {
        run->skipped++;
        printf("SKIP %s: %s\n", name, r->msg);
    } else {
        run->failed++;
        printf("FAIL %s: %s\n", name, r->msg);
        char **p = ts_realloc(run->failures, (size_t)(run->n_failures + 1) * sizeof *p);
        if (p) { run->failures = p; run->failures[run->n_failures++] = ts_strdup(name); }
    }
    fflush(stdout);
}

static bool cf_is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool cf_has_model(const char *dir) {
    char path[4096];
    cf_path(path, sizeof path, "%s/model.onnx", dir);
    return access(path, R_OK) == 0;
}

/* A case dir, or a tree of them (depth-limited). */
static void cf_walk(cf_run *run, const char *dir, int depth) {
    if (cf_has_model(dir)) {
        const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        if (run->filter && !strstr(name, run->filter)) return;
        cf_result r = {CF_FAIL, ""};
        if (run->fork) cf_case_forked(run, dir, &r);
        else cf_case(dir, run->threads, &r);
        cf_record(run, dir, &r);
        return;
    }
    if (depth >= 4) return;
    char **names; int n = cf_list(dir, "", &names);
    char path[4096];
    for (int i = 0; i < n; i++) {
        cf_path(path, sizeof path, "%s/%s", dir, names[i]);
        if (cf_is_dir(path)) cf_walk(run, path, depth + 1);
    }
    cf_free_list(names, n);
}

static void cf_usage(FILE *f) {
    fprintf(f,
        "usage: tessera conformance [--target cpu] [--filter SUBSTR] [--verbose]\n"
        "                           [--threads N] [--timeout SEC] [--no-fork] DIR...\n"
        "\n"
        "Runs ONNX backend test cases. DIR is a case (model.onnx + test_data_set_*/\n"
        "input_N.pb, output_N.pb) or a directory of cases, e.g.\n"
        "/usr/share/libonnx-testdata/data/node. Outputs must match within ONNX's\n"
        "tolerances (rtol 1e-3, atol 1e-7; see README.md for per-case overrides).\n"
        "Prints each failure with its largest difference and each skip with its\n"
        "reason, then 'N passed, N failed, N skipped'. Exit 1 if any case failed.\n"
        "\n"
        "  --filter SUBSTR  only cases whose name contains SUBSTR\n"
        "  --verbose        also list passing cases\n"
        "  --threads N      CPU threads per case (default 1)\n"
        "  --timeout SEC    per-case limit (default 60)\n"
        "  --no-fork        run cases in this process (for debuggers; a crash ends the run)\n");
}

static int cf_int_arg(const char *flag, const char *v, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || x < lo || x > hi)
        return cli_fail("conformance", 2, "%s needs an integer in %d..%d, got '%s'", flag, lo, hi,
                        v ? v : "");
    *out = (int)x;
    return 0;
}

int cli_conformance(int argc, char **argv) {
    cf_run run = {.fork = true, .threads = 1, .timeout_s = 60};
    int n_dirs = 0, rc;
    char **dirs = ts_calloc((size_t)argc + 1, sizeof *dirs);
    if (!dirs) return cli_fail("conformance", 1, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { cf_usage(stdout); ts_free(dirs); return 0; }
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) run.verbose = true;
        else if (!strcmp(a, "--no-fork")) run.fork = false;
        else if (!strcmp(a, "--filter") && v) { run.filter = v; i++; }
        else if (!strcmp(a, "--target") && v) {
            i++;
            if (strcmp(v, "cpu")) { ts_free(dirs); return cli_fail("conformance", 2, "--target %s: only 'cpu' is available", v); }
        } else if (!strcmp(a, "--threads")) {
            if ((rc = cf_int_arg(a, v, 1, TS_MAX_THREADS, &run.threads))) { ts_free(dirs); return rc; }
            i++;
        } else if (!strcmp(a, "--timeout")) {
            if ((rc = cf_int_arg(a, v, 1, 1 << 20, &run.timeout_s))) { ts_free(dirs); return rc; }
            i++;
        } else if (a[0] == '-') {
            ts_free(dirs);
            return cli_fail("conformance", 2, "unknown or incomplete option '%s' (see --help)", a);
        } else if (!cf_is_dir(a)) {
            ts_free(dirs);
            return cli_fail("conformance", 2, "'%s': not a directory", a);
        } else dirs[n_dirs++] = argv[i];
    }
    if (!n_dirs) { cf_usage(stderr); ts_free(dirs); return 2; }
    for (int i = 0; i < n_dirs; i++) {
        char d[4096];
        snprintf(d, sizeof d, "%s", dirs[i]);
        size_t n = strlen(d);
        while (n > 1 && d[n - 1] == '/') d[--n] = 0;
        cf_walk(&run, d, 0);
    }
    if (run.n_failures) {
        printf("failed cases:");
        for (int i = 0; i < run.n_failures; i++) printf(" %s", run.failures[i]);
        printf("\n");
    }
    bool none = !run.passed && !run.failed && !run.skipped;   /* a wrong DIR or --filter */
    if (none)
        fprintf(stderr, "tessera conformance: no cases (directories with model.onnx)%s%s%s found in %s%s\n",
                run.filter ? " matching --filter '" : "", run.filter ? run.filter : "",
                run.filter ? "'" : "", dirs[0], n_dirs > 1 ? " ..." : "");
    printf("%d passed, %d failed, %d skipped\n", run.passed, run.failed, run.skipped);
    for (int i = 0; i < run.n_failures; i++) ts_free(run.failures[i]);
    ts_free(run.failures);
    ts_free(dirs);
    return run.failed || none ? 1 : 0;
}

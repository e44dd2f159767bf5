/* test_runtime: the public API (include/tessera.h) on the CPU device:
 * misuse gives errors naming the cause, the executor frees intermediates
 * after their last reader, unsupported ops are listed in one message, and
 * `tessera run` round-trips .npy files (all-or-nothing output). Models are
 * written here with protobuf-c, independently of the ONNX loader. */
#include "harness.h"
#include "tessera.h"
#include "runtime/runtime.h"
#include "cpu/cpu.h"
#include "onnx.pb-c.h"

#include <jpeglib.h>
#include <png.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- writing small ONNX models -------------------------------------------------- */

typedef struct { const char *name; int rank; int64_t dims[4]; const char *sym[4]; } tm_io;

static Onnx__ValueInfoProto *tm_value_info(const tm_io *io, int elem_type) {
    Onnx__ValueInfoProto *v = calloc(1, sizeof *v);
    Onnx__TypeProto *t = calloc(1, sizeof *t);
    Onnx__TypeProto__Tensor *tt = calloc(1, sizeof *tt);
    Onnx__TensorShapeProto *sh = calloc(1, sizeof *sh);
    onnx__value_info_proto__init(v); onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt); onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)io->rank;
    sh->dim = calloc((size_t)io->rank + 1, sizeof *sh->dim);
    for (int d = 0; d < io->rank; d++) {
        Onnx__TensorShapeProto__Dimension *dim = calloc(1, sizeof *dim);
        onnx__tensor_shape_proto__dimension__init(dim);
        if (io->sym[d]) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = (char *)io->sym[d];
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = io->dims[d];
        }
        sh->dim[d] = dim;
    }
    tt->has_elem_type = 1; tt->elem_type = elem_type; tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE; t->tensor_type = tt;
    v->name = (char *)io->name; v->type = t;
    return v;
}

static void tm_free_value_info(Onnx__ValueInfoProto *v) {
    Onnx__TensorShapeProto *sh = v->type->tensor_type->shape;
    for (size_t d = 0; d < sh->n_dim; d++) free(sh->dim[d]);
    free(sh->dim); free(sh); free(v->type->tensor_type); free(v->type); free(v);
}

/* A model of one node `op` reading every input, writing every output (float32). */
static void tm_write_model(const char *path, const char *op, const tm_io *in, int n_in,
                           const tm_io *out, int n_out) {
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    char *in_names[8], *out_names[8];
    for (int i = 0; i < n_in; i++) in_names[i] = (char *)in[i].name;
    for (int i = 0; i < n_out; i++) out_names[i] = (char *)out[i].name;
    node.n_input = (size_t)n_in; node.input = in_names;
    node.n_output = (size_t)n_out; node.output = out_names;
    node.op_type = (char *)op; node.name = (char *)"node0";
    Onnx__NodeProto *nodes[1] = {&node};
    Onnx__ValueInfoProto *vin[8], *vout[8];
    for (int i = 0; i < n_in; i++) vin[i] = tm_value_info(&in[i], 1);
    for (int i = 0; i < n_out; i++) vout[i] = tm_value_info(&out[i], 1);
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = (char *)"g"; g.n_node = 1; g.node = nodes;
    g.n_input = (size_t)n_in; g.input = vin; g.n_output = (size_t)n_out; g.output = vout;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = (char *)""; opset.has_version = 1; opset.version = 17;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1; m.ir_version = 8; m.n_opset_import = 1; m.opset_import = opsets;
    m.graph = &g;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    onnx__model_proto__pack(&m, buf);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, len, f) == len);
    if (f) fclose(f);
    free(buf);
    for (int i = 0; i < n_in; i++) tm_free_value_info(vin[i]);
    for (int i = 0; i < n_out; i++) tm_free_value_info(vout[i]);
}

static char tm_dir[256];

static const char *tm_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tm_dir, name);
    return buf[k];
}

static void tm_cleanup(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tm_dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", tm_dir);
}

static void tm_setup(void) {
    if (tm_dir[0]) return;
    snprintf(tm_dir, sizeof tm_dir, "/tmp/tessera_test_runtime_%d", (int)getpid());
    mkdir(tm_dir, 0777);
    atexit(tm_cleanup);
}

static tessera_tensor *tm_random(int rank, const int64_t *dims) {
    tessera_tensor *t = tessera_tensor_new(TESSERA_F32, rank, dims, NULL);
    float *p = tessera_tensor_data(t);
    for (int64_t i = 0; i < tessera_tensor_numel(t); i++) p[i] = th_rand_float(-2, 2);
    return t;
}

/* While an op group is being written its kernels may be missing: such a
 * test says so and checks nothing (it cannot pass by accident once they exist). */
static bool tm_have(const char *op) {
    if (cpu_kernel_find("", op) && ir_op_find("", op)) return true;
    printf("  (%s not implemented yet: test skipped)\n", op);
    return false;
}

static bool tm_msg_has(const char *needle) {
    bool ok = strstr(tessera_last_error(), needle) != NULL;
    if (!ok) fprintf(stderr, "  message '%s' lacks '%s'\n", tessera_last_error(), needle);
    return ok;
}

/* ---- API misuse -------------------------------------------------------------------- */

TEST(unknown_device_and_missing_file) {
    tessera_device *d = NULL;
    CHECK(tessera_device_open("tpu9000", NULL, &d) == TESSERA_ERR_UNSUPPORTED && !d);
    CHECK(tm_msg_has("tpu9000") && tm_msg_has("cpu"));
    tessera_model *m = NULL;
    CHECK(tessera_model_load("/nonexistent/dir/model.onnx", &m) != TESSERA_OK && !m);
    CHECK(tm_msg_has("/nonexistent/dir/model.onnx"));
    tessera_tensor *t = NULL;
    CHECK(tessera_tensor_read("/nonexistent/x.npy", &t) == TESSERA_ERR_IO && !t);
    CHECK(tm_msg_has("/nonexistent/x.npy"));
    /* NULL handles (left by failed calls) give errors or zeros, not crashes */
    CHECK(tessera_session_run(NULL) == TESSERA_ERR_INVALID && tm_msg_has("session"));
    CHECK(tessera_session_set_input(NULL, "x", NULL) == TESSERA_ERR_INVALID);
    CHECK(tessera_session_create(NULL, NULL, NULL, NULL) == TESSERA_ERR_INVALID);
    CHECK(tessera_model_num_inputs(NULL) == 0 && !tessera_model_input_name(NULL, 0));
    CHECK(!tessera_tensor_data(NULL) && tessera_tensor_numel(NULL) == 0);
    tessera_session_free(NULL); tessera_model_free(NULL); tessera_device_close(NULL);
    tessera_tensor_free(NULL);
}

/* Add with a symbolic batch shared by both inputs. */
static tessera_session *tm_add_session(tessera_device **d, tessera_model **m) {
    tm_setup();
    tm_io in[2] = {{"a", 2, {0, 4}, {"batch", NULL}}, {"b", 2, {0, 4}, {"batch", NULL}}};
    tm_io out[1] = {{"sum", 2, {0, 4}, {"batch", NULL}}};
    tm_write_model(tm_path("add.onnx"), "Add", in, 2, out, 1);
    tessera_session *s = NULL;
    CHECK(tessera_device_open("cpu", &(tessera_device_options){.threads = 2}, d) == TESSERA_OK);
    CHECK(tessera_model_load(tm_path("add.onnx"), m) == TESSERA_OK);
    if (*d && *m) CHECK(tessera_session_create(*d, *m, NULL, &s) == TESSERA_OK);
    if (!s) fprintf(stderr, "  %s\n", tessera_last_error());
    return s;
}

TEST(misuse_names_the_cause) {
    if (!tm_have("Add")) return;
    tessera_device *d = NULL; tessera_model *m = NULL;
    tessera_session *s = tm_add_session(&d, &m);
    if (!s) { tessera_model_free(m); tessera_device_close(d); return; }
    tessera_tensor *a = tm_random(2, (int64_t[]){3, 4});
    tessera_tensor *wrong_shape = tm_random(2, (int64_t[]){3, 5});
    tessera_tensor *other_batch = tm_random(2, (int64_t[]){2, 4});
    tessera_tensor *ints = tessera_tensor_new(TESSERA_I32, 2, (int64_t[]){3, 4}, NULL);
    const tessera_tensor *y = NULL;

    CHECK(tessera_session_set_input(s, "nope", a) == TESSERA_ERR_INVALID);
    CHECK(tm_msg_has("'nope'") && tm_msg_has("'a'"));
    CHECK(tessera_session_set_input(s, "a", ints) == TESSERA_ERR_INVALID);
    CHECK(tm_msg_has("'a'") && tm_msg_has("int32") && tm_msg_has("float32"));
    CHECK(tessera_session_set_input(s, "a", wrong_shape) == TESSERA_ERR_INVALID);
    CHECK(tm_msg_has("'a'") && tm_msg_has("[3,5]"));
    CHECK(tessera_session_get_output(s, "sum", &y) == TESSERA_ERR_INVALID && !y);
    CHECK(tessera_session_set_input(s, "a", a) == TESSERA_OK);
    CHECK(tessera_session_run(s) == TESSERA_ERR_INVALID);   /* b not set */
    CHECK(tm_msg_has("'b'"));
    CHECK(tessera_session_set_input(s, "b", other_batch) == TESSERA_OK);
    CHECK(tessera_session_run(s) == TESSERA_ERR_INVALID);   /* batch 3 vs 2 */
    CHECK(tm_msg_has("'batch'") && tm_msg_has("'a'") && tm_msg_has("'b'"));
    CHECK(tessera_session_get_output(s, "bogus", &y) == TESSERA_ERR_INVALID);
    CHECK(tm_msg_has("'bogus'") && tm_msg_has("'sum'"));

    tessera_tensor_free(a); tessera_tensor_free(wrong_shape);
    tessera_tensor_free(other_batch); tessera_tensor_free(ints);
    tessera_session_free(s); tessera_model_free(m); tessera_device_close(d);
}

TEST(add_with_symbolic_batch_matches_scalar) {
    if (!tm_have("Add")) return;
    tessera_device *d = NULL; tessera_model *m = NULL;
    tessera_session *s = tm_add_session(&d, &m);
    if (!s) { tessera_model_free(m); tessera_device_close(d); return; }
    for (int64_t batch = 1; batch <= 5; batch += 4) {   /* the same session, two batch sizes */
        int64_t dims[2] = {batch, 4};
        tessera_tensor *a = tm_random(2, dims), *b = tm_random(2, dims);
        const tessera_tensor *y = NULL;
        CHECK(tessera_session_set_input(s, "a", a) == TESSERA_OK);
        CHECK(tessera_session_set_input(s, "b", b) == TESSERA_OK);
        CHECK(tessera_session_run(s) == TESSERA_OK);
        CHECK(tessera_session_get_output(s, "sum", &y) == TESSERA_OK);
        if (y) {
            CHECK(tessera_tensor_rank(y) == 2 && tessera_tensor_dims(y)[0] == batch);
            const float *pa = tessera_tensor_data(a), *pb = tessera_tensor_data(b);
            const float *py = tessera_tensor_data(y);
            for (int64_t i = 0; i < batch * 4; i++) CHECK_NEAR(py[i], pa[i] + pb[i], 1e-6);
            const tessera_op_time *ops;
            CHECK(tessera_session_op_times(s, &ops) == 1 && !strcmp(ops[0].op_type, "Add"));
        }
        tessera_tensor_free(a); tessera_tensor_free(b);
    }
    tessera_session_free(s); tessera_model_free(m); tessera_device_close(d);
}

/* Fails the n-th allocation of a whole open/load/create/set/run/get flow,
 * for every n: each call fails cleanly with a message or succeeds with the
 * right answer (and, under SANITIZE=address, nothing leaks). */
TEST(allocation_failures_fail_cleanly) {
    if (!tm_have("Add")) return;
    tm_setup();
    tm_io in[2] = {{"a", 2, {0, 4}, {"batch", NULL}}, {"b", 2, {0, 4}, {"batch", NULL}}};
    tm_io out[1] = {{"sum", 2, {0, 4}, {"batch", NULL}}};
    tm_write_model(tm_path("add_oom.onnx"), "Add", in, 2, out, 1);
    tessera_tensor *a = tm_random(2, (int64_t[]){2, 4}), *b = tm_random(2, (int64_t[]){2, 4});
    int ok_runs = 0;
    for (long n = 0; n < 400; n++) {
        tessera_device *d = NULL; tessera_model *m = NULL; tessera_session *s = NULL;
        const tessera_tensor *y = NULL;
        ts_alloc_fail_after(n);
        tessera_status st = tessera_device_open("cpu", &(tessera_device_options){.threads = 2}, &d);
        if (!st) st = tessera_model_load(tm_path("add_oom.onnx"), &m);
        if (!st) st = tessera_session_create(d, m, NULL, &s);
        if (!st) st = tessera_session_set_input(s, "a", a);
        if (!st) st = tessera_session_set_input(s, "b", b);
        if (!st) st = tessera_session_run(s);
        if (!st) st = tessera_session_get_output(s, "sum", &y);
        ts_alloc_fail_after(-1);
        if (st) {
            CHECK_MSG(tessera_last_error()[0], "allocation %ld: status %d without a message", n, st);
        } else {
            const float *pa = tessera_tensor_data(a), *pb = tessera_tensor_data(b);
            const float *py = tessera_tensor_data(y);
            for (int i = 0; i < 8; i++) CHECK_NEAR(py[i], pa[i] + pb[i], 1e-6);
            ok_runs++;
        }
        tessera_session_free(s); tessera_model_free(m); tessera_device_close(d);
    }
    CHECK(ok_runs > 0);   /* the flow needs fewer than 400 allocations */
    tessera_tensor_free(a); tessera_tensor_free(b);
}

/* Two sessions from one model (the second loads its own graph), on two
 * devices with different thread counts, agree. */
TEST(two_sessions_one_model) {
    if (!tm_have("Add")) return;
    tessera_device *d1 = NULL, *d2 = NULL; tessera_model *m = NULL;
    tessera_session *s1 = tm_add_session(&d1, &m), *s2 = NULL;
    CHECK(tessera_device_open("cpu", &(tessera_device_options){.threads = 1}, &d2) == TESSERA_OK);
    if (s1 && d2) CHECK(tessera_session_create(d2, m, NULL, &s2) == TESSERA_OK);
    tessera_tensor *a = tm_random(2, (int64_t[]){7, 4}), *b = tm_random(2, (int64_t[]){7, 4});
    const tessera_tensor *y1 = NULL, *y2 = NULL;
    tessera_session *ss[2] = {s1, s2};
    for (int k = 0; k < 2 && s2; k++) {
        CHECK(tessera_session_set_input(ss[k], "a", a) == TESSERA_OK);
        CHECK(tessera_session_set_input(ss[k], "b", b) == TESSERA_OK);
        CHECK(tessera_session_run(ss[k]) == TESSERA_OK);
    }
    if (s2) {
        CHECK(tessera_session_get_output(s1, "sum", &y1) == TESSERA_OK);
        CHECK(tessera_session_get_output(s2, "sum", &y2) == TESSERA_OK);
        if (y1 && y2) CHECK(!memcmp(tessera_tensor_data(y1), tessera_tensor_data(y2), 28 * sizeof(float)));
    }
    tessera_tensor_free(a); tessera_tensor_free(b);
    tessera_session_free(s1); tessera_session_free(s2);
    tessera_model_free(m); tessera_device_close(d1); tessera_device_close(d2);
}

/* ---- executor -------------------------------------------------------------------- */

/* x -> Relu -> Add(., x) -> Relu -> Add(., x) ... : n nodes, all in-graph. */
static ir_graph *tm_chain(int n, int64_t len) {
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){len}), prev = x;
    ir_graph_add_input(g, x);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "v%d", i);
        int v = ir_add_value(g, name, TS_UNDEFINED, -1, NULL);
        snprintf(name, sizeof name, "n%d", i);
        if (i % 2 == 0) ir_add_node(g, "Relu", name, &prev, 1, &v, 1);
        else ir_add_node(g, "Add", name, (int[]){prev, x}, 2, &v, 1);
        prev = v;
    }
    ir_graph_add_output(g, prev);
    return g;
}

TEST(liveness_frees_intermediates) {
    if (!tm_have("Add") || !tm_have("Relu")) return;
    const int n = 8; const int64_t len = 1000;
    tessera_device *d = NULL;
    CHECK(tessera_device_open("cpu", NULL, &d) == TESSERA_OK);
    tessera_session *s = NULL;
    if (d) CHECK(rt_session_from_graph(d, tm_chain(n, len), &s) == TS_OK);
    if (!s) { fprintf(stderr, "  %s\n", tessera_last_error()); tessera_device_close(d); return; }
    tessera_tensor *x = tm_random(1, (int64_t[]){len});
    const tessera_tensor *y = NULL;
    CHECK(tessera_session_set_input(s, "x", x) == TESSERA_OK);
    CHECK(tessera_session_run(s) == TESSERA_OK);
    CHECK(tessera_session_get_output(s, "v7", &y) == TESSERA_OK);
    rt_exec_stats st = rt_cpu_last_stats(rt_session_program(s));
    /* every intermediate but the output is freed once read; at most two
     * buffers (a node's input and output) are alive at once */
    CHECK_MSG(st.freed_early == n - 1, "freed %lld", (long long)st.freed_early);
    CHECK_MSG(st.peak_bytes <= 2 * len * 4, "peak %lld bytes", (long long)st.peak_bytes);
    /* the timing report: one entry per node, grouped by op type, slowest first */
    const tessera_node_time *nt;
    const tessera_op_time *ot;
    int n_nt = tessera_session_node_times(s, &nt), n_ot = tessera_session_op_times(s, &ot);
    CHECK(n_nt == n && n_ot == 2);
    double sum_nodes = 0, sum_ops = 0;
    for (int i = 0; i < n_nt; i++) {
        sum_nodes += nt[i].seconds;
        if (i) CHECK(nt[i].seconds <= nt[i - 1].seconds);
    }
    for (int i = 0; i < n_ot; i++) { sum_ops += ot[i].seconds; CHECK(ot[i].count == n / 2); }
    CHECK_NEAR(sum_nodes, sum_ops, 1e-9);
    CHECK(sum_ops <= tessera_session_last_seconds(s) + 1e-9);
    const float *px = tessera_tensor_data(x), *py = y ? tessera_tensor_data(y) : NULL;
    for (int64_t i = 0; py && i < len; i++) {
        float v = px[i];
        for (int k = 0; k < n; k++) v = k % 2 == 0 ? (v > 0 ? v : 0) : v + px[i];
        CHECK_NEAR(py[i], v, 1e-5);
    }
    tessera_tensor_free(x);
    tessera_session_free(s);
    tessera_device_close(d);
}

TEST(unsupported_ops_in_one_message) {
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int x = ir_add_value(g, "x", TS_F32, 1, (int64_t[]){4});
    int a = ir_add_value(g, "a", TS_UNDEFINED, -1, NULL), b = ir_add_value(g, "b", TS_UNDEFINED, -1, NULL);
    int c = ir_add_value(g, "c", TS_UNDEFINED, -1, NULL);
    ir_graph_add_input(g, x);
    ir_add_node(g, "FrobnicateA", "fa1", &x, 1, &a, 1);
    ir_add_node(g, "FrobnicateB", "fb1", &a, 1, &b, 1);
    ir_add_node(g, "FrobnicateA", "fa2", &b, 1, &c, 1);
    ir_graph_add_output(g, c);
    tessera_device *d = NULL;
    tessera_session *s = NULL;
    CHECK(tessera_device_open("cpu", NULL, &d) == TESSERA_OK);
    if (d) CHECK(rt_session_from_graph(d, g, &s) == TS_ERR_UNSUPPORTED && !s);
    CHECK(tm_msg_has("FrobnicateA") && tm_msg_has("fa1, fa2") && tm_msg_has("FrobnicateB") &&
          tm_msg_has("fb1"));
    tessera_device_close(d);
}

/* ---- tessera run: .npy round trip ------------------------------------------------- */

static int tm_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tm_sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *tm_cli(void) {
    static char path[512];
    const char *b = getenv("TESSERA_BUILD");
    snprintf(path, sizeof path, "%s/tessera", b ? b : "build");
    return path;
}

TEST(cli_run_npy_round_trip) {
    if (!tm_have("Relu")) return;
    tm_setup();
    tm_io in[1] = {{"x", 3, {2, 3, 5}, {NULL}}};
    tm_io out[1] = {{"out/put:0", 3, {2, 3, 5}, {NULL}}};
    tm_write_model(tm_path("relu.onnx"), "Relu", in, 1, out, 1);
    ts_tensor *x = ts_tensor_new(TS_F32, 3, (int64_t[]){2, 3, 5});
    for (int i = 0; i < 30; i++) ((float *)x->data)[i] = th_rand_float(-1, 1);
    CHECK(ts_npy_write(tm_path("x.npy"), x) == TS_OK);
    CHECK(tm_sh("%s run %s --target cpu --input x=%s --output-dir %s --threads 2 >/dev/null",
                tm_cli(), tm_path("relu.onnx"), tm_path("x.npy"), tm_path("out")) == 0);
    ts_tensor *y = NULL;
    CHECK(ts_npy_read(tm_path("out/out_put_0.npy"), &y) == TS_OK);   /* the file-safe name */
    if (y) {
        CHECK(y->dtype == TS_F32 && y->rank == 3 && y->dims[2] == 5);
        for (int i = 0; i < 30; i++) {
            float v = ((float *)x->data)[i];
            CHECK(((float *)y->data)[i] == (v > 0 ? v : 0));
        }
    }
    ts_tensor_free(y);
    ts_tensor_free(x);
}

TEST(cli_run_failures_write_nothing) {
    if (!tm_have("Relu")) return;
    tm_setup();
    tm_io in[1] = {{"x", 1, {4}, {NULL}}};
    tm_io out[1] = {{"y", 1, {4}, {NULL}}};
    tm_write_model(tm_path("relu1.onnx"), "Relu", in, 1, out, 1);
    struct stat sb;
    /* missing input file: exit non-zero, message names the file, no output dir */
    CHECK(tm_sh("%s run %s --input x=%s --output-dir %s 2>%s", tm_cli(), tm_path("relu1.onnx"),
                tm_path("missing.npy"), tm_path("none1"), tm_path("err1")) != 0);
    CHECK(stat(tm_path("none1"), &sb) != 0);
    CHECK(tm_sh("grep -q missing.npy %s", tm_path("err1")) == 0);
    /* wrong shape: names the input */
    ts_tensor *x = ts_tensor_new(TS_F32, 1, (int64_t[]){5});
    CHECK(ts_npy_write(tm_path("x5.npy"), x) == TS_OK);
    ts_tensor_free(x);
    CHECK(tm_sh("%s run %s --input x=%s --output-dir %s 2>%s", tm_cli(), tm_path("relu1.onnx"),
                tm_path("x5.npy"), tm_path("none2"), tm_path("err2")) != 0);
    CHECK(stat(tm_path("none2"), &sb) != 0);
    CHECK(tm_sh("grep -q \"input 'x'\" %s", tm_path("err2")) == 0);
    /* a bad flag names the flag */
    CHECK(tm_sh("%s run %s --input x=%s --resize 12 --output-dir %s 2>%s", tm_cli(),
                tm_path("relu1.onnx"), tm_path("x5.npy"), tm_path("none3"), tm_path("err3")) == 2);
    CHECK(tm_sh("grep -q -- --resize %s", tm_path("err3")) == 0);
}

/* ---- tessera conformance --------------------------------------------------------- */

static void tm_write_pb(const char *path, const float *v, int n) {
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[1] = {n};
    t.n_dims = 1; t.dims = dims;
    t.has_data_type = 1; t.data_type = 1;
    t.n_float_data = (size_t)n; t.float_data = (float *)v;
    size_t len = onnx__tensor_proto__get_packed_size(&t);
    uint8_t *buf = malloc(len);
    onnx__tensor_proto__pack(&t, buf);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, len, f) == len);
    if (f) fclose(f);
    free(buf);
}

/* A case dir: model `op` on x[n], expected output relu(x) * (1 + rel) + abs. */
static void tm_case(const char *name, const char *op, double rel, double abs) {
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/cases/%s", tm_dir, name);
    snprintf(path, sizeof path, "%s/cases", tm_dir);
    mkdir(path, 0777); mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/test_data_set_0", dir);
    mkdir(path, 0777);
    tm_io in[1] = {{"x", 1, {16}, {NULL}}}, out[1] = {{"y", 1, {16}, {NULL}}};
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    tm_write_model(path, op, in, 1, out, 1);
    float x[16], y[16];
    for (int i = 0; i < 16; i++) {
        x[i] = th_rand_float(0.5f, 2.0f) * (i % 2 ? 1 : -1);
        y[i] = (float)((x[i] > 0 ? x[i] : 0) * (1 + rel) + abs);
    }
    snprintf(path, sizeof path, "%s/test_data_set_0/input_0.pb", dir);
    tm_write_pb(path, x, 16);
    snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
    tm_write_pb(path, y, 16);
}

/* The runner must tell right from wrong: exact and within-tolerance outputs
 * pass, a 1e-2 relative error fails with its difference, an unknown op is a
 * skip, and a missing data set is a failure. */
TEST(conformance_runner_judges) {
    if (!tm_have("Relu")) return;
    tm_setup();
    tm_case("test_exact", "Relu", 0, 0);
    tm_case("test_within_rtol", "Relu", 5e-4, 0);
    tm_case("test_off_by_1e-2", "Relu", 1e-2, 0);
    tm_case("test_off_by_atol", "Relu", 0, 1e-3);
    tm_case("test_unknown_op", "NoSuchOp", 0, 0);
    char path[600];
    snprintf(path, sizeof path, "%s/cases/test_no_data", tm_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/cases/test_no_data/model.onnx", tm_dir);
    tm_write_model(path, "Relu", (tm_io[]){{"x", 1, {4}, {NULL}}}, 1, (tm_io[]){{"y", 1, {4}, {NULL}}}, 1);
    const char *log = tm_path("conf.log");
    CHECK(tm_sh("%s conformance %s/cases > %s 2>&1", tm_cli(), tm_dir, log) == 1);
    CHECK(tm_sh("grep -q '^2 passed, 3 failed, 1 skipped$' %s", log) == 0);
    CHECK(tm_sh("grep -q '^FAIL test_off_by_1e-2: .*max rel diff 0.0099' %s", log) == 0);
    CHECK(tm_sh("grep -q '^FAIL test_off_by_atol' %s", log) == 0);
    CHECK(tm_sh("grep -q '^FAIL test_no_data: no test_data_set' %s", log) == 0);
    CHECK(tm_sh("grep -q '^SKIP test_unknown_op: .*NoSuchOp' %s", log) == 0);
    CHECK(tm_sh("%s conformance --filter exact %s/cases > %s 2>&1", tm_cli(), tm_dir, log) == 0);
    CHECK(tm_sh("grep -q '^1 passed, 0 failed, 0 skipped$' %s", log) == 0);
    if (th_failed_checks) tm_sh("cat %s >&2", log);
}

/* ---- images ---------------------------------------------------------------------- */

static void tm_write_png(const char *path, int w, int h, const uint8_t *rgb) {
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) { CHECK(0); fclose(f); return; }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, rgb + (size_t)y * (size_t)w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static void tm_write_jpeg(const char *path, int w, int h, const uint8_t color[3]) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    FILE *f = fopen(path, "wb");
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w; c.image_height = (JDIMENSION)h;
    c.input_components = 3; c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    for (int x = 0; x < w; x++) memcpy(row + x * 3, color, 3);
    while (c.next_scanline < c.image_height) jpeg_write_scanlines(&c, &row, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    fclose(f);
}

/* Pixel values are exact without resizing: (v/255 - mean) / std, in the
 * requested channel order and layout. */
TEST(image_png_preprocessing_exact) {
    tm_setup();
    int w = 5, h = 3;
    uint8_t rgb[5 * 3 * 3];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)th_rand_int(0, 255);
    tm_write_png(tm_path("img.png"), w, h, rgb);
    tessera_image_options o = {.mean = {0.485f, 0.456f, 0.406f}, .std = {0.229f, 0.224f, 0.225f}};
    for (int bgr = 0; bgr < 2; bgr++)
        for (int nhwc = 0; nhwc < 2; nhwc++) {
            o.bgr = bgr; o.nhwc = nhwc;
            tessera_tensor *t = NULL;
            CHECK(tessera_image_read(tm_path("img.png"), &o, &t) == TESSERA_OK);
            if (!t) continue;
            const int64_t *d = tessera_tensor_dims(t);
            CHECK(tessera_tensor_rank(t) == 4 && d[0] == 1);
            CHECK(nhwc ? (d[1] == h && d[2] == w && d[3] == 3) : (d[1] == 3 && d[2] == h && d[3] == w));
            const float *p = tessera_tensor_data(t);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++) {
                        float want = ((float)rgb[(y * w + x) * 3 + c] / 255.0f - o.mean[c]) / o.std[c];
                        int oc = bgr ? 2 - c : c;
                        size_t i = nhwc ? (size_t)((y * w + x) * 3 + oc) : (size_t)((oc * h + y) * w + x);
                        CHECK_NEAR(p[i], want, 1e-5);
                    }
            tessera_tensor_free(t);
        }
}

/* Bilinear with half-pixel centers: a row [0, 255] upsampled to 4 pixels
 * samples at -0.25, 0.25, 0.75, 1.25 (clamped): 0, 63.75, 191.25, 255. */
TEST(image_resize_bilinear_half_pixel) {
    tm_setup();
    uint8_t rgb[2 * 3] = {0, 0, 0, 255, 255, 255};
    tm_write_png(tm_path("row.png"), 2, 1, rgb);
    tessera_image_options o = {.height = 2, .width = 4};
    tessera_tensor *t = NULL;
    CHECK(tessera_image_read(tm_path("row.png"), &o, &t) == TESSERA_OK);
    if (!t) return;
    CHECK(tessera_tensor_dims(t)[2] == 2 && tessera_tensor_dims(t)[3] == 4);
    const float *p = tessera_tensor_data(t);
    const float want[4] = {0, 63.75f / 255, 191.25f / 255, 1};
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 4; x++) CHECK_NEAR(p[(c * 2 + y) * 4 + x], want[x], 1e-6);
    tessera_tensor_free(t);
}

TEST(image_jpeg_and_bad_files) {
    tm_setup();
    const uint8_t color[3] = {200, 100, 30};
    tm_write_jpeg(tm_path("solid.jpg"), 16, 8, color);
    tessera_tensor *t = NULL;
    CHECK(tessera_image_read(tm_path("solid.jpg"), NULL, &t) == TESSERA_OK);
    if (t) {
        const float *p = tessera_tensor_data(t);
        CHECK(tessera_tensor_dims(t)[2] == 8 && tessera_tensor_dims(t)[3] == 16);
        for (int c = 0; c < 3; c++)   /* JPEG is lossy: a solid color within 3/255 */
            CHECK_NEAR(p[c * 128 + 37], color[c] / 255.0, 3.0 / 255);
        tessera_tensor_free(t);
    }
    /* truncated PNG, and a text file with an image name: errors name the file */
    FILE *src = fopen(tm_path("img.png"), "rb"), *dst = fopen(tm_path("cut.png"), "wb");
    char buf[40];
    size_t n = src ? fread(buf, 1, sizeof buf, src) : 0;
    if (dst) { fwrite(buf, 1, n, dst); fclose(dst); }
    if (src) fclose(src);
    CHECK(tessera_image_read(tm_path("cut.png"), NULL, &t) != TESSERA_OK && !t);
    CHECK(tm_msg_has("cut.png"));
    dst = fopen(tm_path("text.jpg"), "w");
    if (dst) { fputs("not an image\n", dst); fclose(dst); }
    CHECK(tessera_image_read(tm_path("text.jpg"), NULL, &t) == TESSERA_ERR_PARSE && !t);
    CHECK(tm_msg_has("text.jpg"));
}

TEST_MAIN()

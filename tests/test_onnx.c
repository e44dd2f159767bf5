/* test_onnx.c: the ONNX loader against models built independently by the
 * onnx Python package (tools/make_onnx_tests.py, run at test time into a
 * temporary directory, with fresh random values and the expected values
 * saved by numpy), malformed models, and mutated/truncated/random bytes. */
#include "harness.h"
#include "frontend/onnx.h"

#include <stdlib.h>
#include <unistd.h>

static char t_dir[256];

static void t_cleanup(void) {
    char cmd[300];
    if (!t_dir[0]) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", t_dir);
}

/* Builds the models once (first call); false (and a failed check) if the
 * generator cannot run. */
static bool t_models(void) {
    static int state;   /* 0 not tried, 1 ok, -1 failed */
    if (state) return state > 0;
    snprintf(t_dir, sizeof t_dir, "/tmp/tessera_onnx_XXXXXX");
    if (!mkdtemp(t_dir)) { t_dir[0] = 0; state = -1; CHECK(!"mkdtemp"); return false; }
    atexit(t_cleanup);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/make_onnx_tests.py '%s' %llu", t_dir,
             (unsigned long long)(th_rand_u64() >> 1));
    state = system(cmd) == 0 ? 1 : -1;
    CHECK_MSG(state > 0, "'%s' failed (needs python3-onnx, run from the repository root)", cmd);
    return state > 0;
}

static void t_path(char *buf, size_t n, const char *name) {
    if ((size_t)snprintf(buf, n, "%s/%.200s", t_dir, name) >= n) buf[0] = 0;
}

static ir_graph *t_load(const char *name) {
    char p[512];
    t_path(p, sizeof p, name);
    ir_graph *g = NULL;
    ts_status st = onnx_load(p, &g);
    CHECK_MSG(st == TS_OK, "%s: %s", name, ts_last_error());
    return g;
}

/* The tensor equals the numpy file byte for byte (same shape). */
static void t_check_npy(const ts_tensor *t, const char *npy) {
    char p[512];
    t_path(p, sizeof p, npy);
    ts_tensor *ref = NULL;
    if (ts_npy_read(p, &ref) != TS_OK) { CHECK_MSG(0, "%s: %s", npy, ts_last_error()); return; }
    CHECK_MSG(t->rank == ref->rank && ts_tensor_numel(t) == ts_tensor_numel(ref), "%s: shape", npy);
    for (int d = 0; d < t->rank && d < ref->rank; d++) CHECK(t->dims[d] == ref->dims[d]);
    CHECK_MSG(ts_dtype_size(t->dtype) == ts_dtype_size(ref->dtype), "%s: %s vs %s", npy,
              ts_dtype_name(t->dtype), ts_dtype_name(ref->dtype));
    if (ts_tensor_nbytes(t) == ts_tensor_nbytes(ref))
        CHECK_MSG(memcmp(t->data, ref->data, ts_tensor_nbytes(t)) == 0, "%s: values differ", npy);
    ts_tensor_free(ref);
}

static const ts_tensor *t_const(const ir_graph *g, const char *name) {
    int id = ir_find_value(g, name);
    CHECK_MSG(id >= 0 && g->values[id].data, "constant '%s' missing", name);
    return id >= 0 ? g->values[id].data : NULL;
}

/* ---- valid models ------------------------------------------------------------- */

TEST(initializers_of_every_dtype_raw_and_typed) {
    if (!t_models()) return;
    ir_graph *g = t_load("dtypes.onnx");
    if (!g) return;
    static const char *const names[] = {"float32", "uint8", "int8", "uint16", "int16", "int32", "int64",
                                        "bool", "float16", "float64", "uint32", "uint64", "bfloat16"};
    static const ts_dtype types[] = {TS_F32, TS_U8, TS_I8, TS_U16, TS_I16, TS_I32, TS_I64,
                                     TS_BOOL, TS_F16, TS_F64, TS_U32, TS_U64, TS_BF16};
    for (size_t i = 0; i < TS_ARRAY_LEN(names); i++)
        for (int raw = 0; raw < 2; raw++) {
            char nm[64], npy[80];
            snprintf(nm, sizeof nm, "%s_%s", names[i], raw ? "raw" : "typed");
            snprintf(npy, sizeof npy, "%s.npy", nm);
            const ts_tensor *t = t_const(g, nm);
            if (!t) continue;
            CHECK_MSG(t->dtype == types[i], "%s: dtype %s", nm, ts_dtype_name(t->dtype));
            t_check_npy(t, npy);
        }
    const ts_tensor *e = t_const(g, "empty_f32");
    CHECK(e && e->rank == 2 && e->dims[0] == 0 && e->dims[1] == 3);
    ir_graph_free(g);
}

TEST(structure_inputs_outputs_attributes) {
    if (!t_models()) return;
    ir_graph *g = t_load("structure.onnx");
    if (!g) return;
    CHECK(g->opset == 13 && g->n_inputs == 1 && g->n_outputs == 2 && g->n_nodes == 3);
    const ir_value *x = &g->values[g->inputs[0]];
    CHECK(!strcmp(x->name, "x") && x->dtype == TS_F32 && x->rank == 4);
    CHECK(x->dims[0] == IR_DIM_UNKNOWN && x->dim_param[0] && !strcmp(x->dim_param[0], "batch"));
    CHECK(x->dims[1] == 3 && x->dims[3] == 8 && !x->dim_param[1]);
    t_check_npy(t_const(g, "W"), "structure_W.npy");
    t_check_npy(t_const(g, "B"), "structure_B.npy");
    const ir_node *conv = &g->nodes[0], *relu = &g->nodes[1], *foo = &g->nodes[2];
    CHECK(!strcmp(conv->op_type, "Conv") && !strcmp(conv->name, "conv0") && conv->n_in == 3);
    CHECK(conv->in[1] == ir_find_value(g, "W") && conv->out[0] == relu->in[0]);
    int cnt;
    const int64_t *ks = ir_attr_ints(conv, "kernel_shape", &cnt);
    CHECK(ks && cnt == 2 && ks[0] == 3 && ks[1] == 3);
    const ir_value *co = &g->values[conv->out[0]];          /* from value_info */
    CHECK(co->rank == 4 && co->dims[1] == 4 && co->dim_param[0] && !strcmp(co->dim_param[0], "batch"));
    CHECK(!strcmp(foo->domain, "test.custom") && foo->n_in == 3 && foo->in[1] == -1);
    CHECK(ir_attr_float(foo, "f", 0) == 1.5f && ir_attr_int(foo, "i", 0) == -3);
    CHECK(!strcmp(ir_attr_string(foo, "s", ""), "hello"));
    const float *fl = ir_attr_floats(foo, "floats", &cnt);
    CHECK(fl && cnt == 2 && fl[1] == -2.0f);
    const int64_t *in = ir_attr_ints(foo, "ints", &cnt);
    CHECK(in && cnt == 3 && in[2] == 3);
    const ir_attr *ss = ir_attr_find(foo, "strings");
    CHECK(ss && ss->type == IR_ATTR_STRINGS && ss->n == 2 && !strcmp(ss->strings[1], "cde"));
    const ts_tensor *tv = ir_attr_tensor(foo, "t");
    CHECK(tv && tv->dtype == TS_I64 && ((int64_t *)tv->data)[1] == -8);
    const ir_attr *sg = ir_attr_find(foo, "g");
    CHECK(sg && sg->type == IR_ATTR_GRAPH && sg->g && sg->g->n_nodes == 1 &&
          !strcmp(sg->g->nodes[0].op_type, "Neg"));
    CHECK(ir_verify(g) == TS_OK);
    ir_graph_free(g);
}

TEST(unsorted_nodes_are_sorted) {
    if (!t_models()) return;
    ir_graph *g = t_load("unsorted.onnx");
    if (!g) return;
    CHECK(g->n_nodes == 2 && !strcmp(g->nodes[0].op_type, "Conv") && !strcmp(g->nodes[1].op_type, "Relu"));
    ir_graph_free(g);
}

TEST(constant_nodes_become_constants) {
    if (!t_models()) return;
    ir_graph *g = t_load("constants.onnx");
    if (!g) return;
    t_check_npy(t_const(g, "c_tensor"), "c_tensor.npy");
    const ts_tensor *f = t_const(g, "c_float"), *fs = t_const(g, "c_floats");
    const ts_tensor *i = t_const(g, "c_int"), *is = t_const(g, "c_ints");
    CHECK(f && f->dtype == TS_F32 && f->rank == 0 && *(float *)f->data == 2.5f);
    CHECK(fs && fs->rank == 1 && fs->dims[0] == 3 && ((float *)fs->data)[2] == 3.25f);
    CHECK(i && i->dtype == TS_I64 && i->rank == 0 && *(int64_t *)i->data == -42);
    CHECK(is && is->dims[0] == 4 && ((int64_t *)is->data)[3] == 8);
    /* a Constant writing a graph output stays a node */
    int out = ir_find_value(g, "c_out");
    CHECK(out >= 0 && !g->values[out].data && g->values[out].producer >= 0);
    CHECK(g->n_nodes == 2);
    ir_graph_free(g);
}

TEST(external_data) {
    if (!t_models()) return;
    ir_graph *g = t_load("ext/model.onnx");
    if (!g) return;
    t_check_npy(t_const(g, "ext_a"), "ext_a.npy");
    t_check_npy(t_const(g, "ext_b"), "ext_b.npy");
    ir_graph_free(g);
    /* from memory, without a directory, external data is refused */
    char p[512];
    uint8_t *data;
    size_t len;
    t_path(p, sizeof p, "ext/model.onnx");
    if (ts_read_file(p, &data, &len) != TS_OK) { CHECK(0); return; }
    CHECK(onnx_load_buffer(data, len, "mem.onnx", NULL, &g) != TS_OK);
    CHECK(strstr(ts_last_error(), "mem.onnx") && strstr(ts_last_error(), "ext_a"));
    ts_free(data);
}

TEST(subgraph_ops_load_then_resolve_refuses) {
    if (!t_models()) return;
    ir_graph *g = t_load("with_if.onnx");
    if (!g) return;
    const ir_attr *a = ir_attr_find(&g->nodes[0], "then_branch");
    CHECK(a && a->type == IR_ATTR_GRAPH && a->g->n_nodes == 1);
    CHECK(ir_resolve_ops(g) == TS_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(ts_last_error(), "If") && strstr(ts_last_error(), "branch") &&
              strstr(ts_last_error(), "subgraph"), "%s", ts_last_error());
    ir_graph_free(g);
}

TEST(tensor_files) {
    if (!t_models()) return;
    char p[512];
    ts_tensor *t = NULL;
    char *name = NULL;
    t_path(p, sizeof p, "tensor_f32.pb");
    CHECK(onnx_load_tensor_named(p, &t, &name) == TS_OK);
    if (t) { t_check_npy(t, "tensor_f32.npy"); CHECK(name && !strcmp(name, "input_name")); }
    ts_tensor_free(t);
    ts_free(name);
    t_path(p, sizeof p, "tensor_i64.pb");
    CHECK(onnx_load_tensor(p, &t) == TS_OK);
    if (t) { t_check_npy(t, "tensor_i64.npy"); ts_tensor_free(t); }
    t_path(p, sizeof p, "no_such.pb");
    CHECK(onnx_load_tensor(p, &t) == TS_ERR_IO && strstr(ts_last_error(), "no_such.pb"));
}

/* ---- malformed models ------------------------------------------------------------ */

TEST(malformed_models_give_messages) {
    if (!t_models()) return;
    char p[512], line[512];
    t_path(p, sizeof p, "malformed.txt");
    FILE *f = fopen(p, "r");
    if (!f) { CHECK(!"malformed.txt"); return; }
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        tab[strcspn(tab + 1, "\n") + 1] = 0;
        const char *file = line, *want = tab + 1;
        ir_graph *g = NULL;
        t_path(p, sizeof p, file);
        ts_status st = onnx_load(p, &g);
        CHECK_MSG(st != TS_OK && !g, "%s loaded", file);
        const char *e = ts_last_error();
        CHECK_MSG(strstr(e, file) && strstr(e, want), "%s: message '%s' lacks '%s'", file, e, want);
        ir_graph_free(g);
        count++;
    }
    fclose(f);
    CHECK(count >= 25);
}

/* Loads bytes; whatever happens, no crash, and an error names the file. */
static void t_try_bytes(const uint8_t *data, size_t len) {
    ir_graph *g = NULL;
    ts_status st = onnx_load_buffer(data, len, "fuzz.onnx", NULL, &g);
    if (st == TS_OK) { CHECK(g && ir_verify(g) == TS_OK); ir_graph_free(g); return; }
    CHECK(!g);
    CHECK_MSG(strstr(ts_last_error(), "fuzz.onnx") != NULL, "%s", ts_last_error());
    ts_tensor *t = NULL;
    if (onnx_tensor_from_buffer(data, len, "fuzz.pb", &t) == TS_OK) ts_tensor_free(t);
}

static uint8_t *t_read(const char *name, size_t *len) {
    char p[512];
    uint8_t *d = NULL;
    t_path(p, sizeof p, name);
    CHECK(ts_read_file(p, &d, len) == TS_OK);
    return d;
}

TEST(truncated_files_at_every_offset) {
    if (!t_models()) return;
    static const char *const files[] = {"structure.onnx", "constants.onnx", "dtypes.onnx"};
    for (size_t f = 0; f < TS_ARRAY_LEN(files); f++) {
        size_t len;
        uint8_t *d = t_read(files[f], &len);
        if (!d) continue;
        size_t step = len > 3000 ? len / 1500 : 1;
        for (size_t cut = 0; cut < len; cut += step) t_try_bytes(d, cut);
        ts_free(d);
    }
}

TEST(mutated_and_random_bytes) {
    if (!t_models()) return;
    size_t len;
    uint8_t *d = t_read("structure.onnx", &len);
    if (!d) return;
    uint8_t *m = ts_malloc(len);
    for (int iter = 0; iter < 1500; iter++) {
        memcpy(m, d, len);
        int flips = th_rand_int(1, 8);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)th_rand_int(0, (int)len - 1);
            m[at] = k % 2 ? (uint8_t)th_rand_u64() : (uint8_t)(m[at] ^ (1u << th_rand_int(0, 7)));
        }
        t_try_bytes(m, len);
    }
    for (int iter = 0; iter < 500; iter++) {
        size_t n = (size_t)th_rand_int(0, (int)len);
        for (size_t k = 0; k < n; k++) m[k] = (uint8_t)th_rand_u64();
        t_try_bytes(m, n);
    }
    ts_free(m);
    ts_free(d);
}

/* Appends a length-delimited field (tag, varint length, payload). */
static size_t t_wrap(uint8_t *buf, size_t len, int field, size_t cap) {
    uint8_t head[16];
    size_t h = 0;
    head[h++] = (uint8_t)(field << 3 | 2);
    for (size_t v = len; ; v >>= 7) {
        head[h++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) break;
    }
    if (len + h > cap) return len;
    memmove(buf + h, buf, len);
    memcpy(buf, head, h);
    return len + h;
}

TEST(deeply_nested_subgraphs_are_refused) {
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = ts_malloc(cap);
    for (int level = 0; level < 20000; level++) {
        len = t_wrap(buf, len, 6, cap);   /* AttributeProto.g */
        len = t_wrap(buf, len, 5, cap);   /* NodeProto.attribute */
        len = t_wrap(buf, len, 1, cap);   /* GraphProto.node */
    }
    len = t_wrap(buf, len, 7, cap);       /* ModelProto.graph */
    ir_graph *g = NULL;
    CHECK(onnx_load_buffer(buf, len, "deep.onnx", NULL, &g) != TS_OK && !g);
    CHECK_MSG(strstr(ts_last_error(), "deep.onnx") && strstr(ts_last_error(), "nest"), "%s", ts_last_error());
    ts_free(buf);
}

TEST(allocation_failures_clean_up) {
    if (!t_models()) return;
    size_t len;
    uint8_t *d = t_read("structure.onnx", &len);
    if (!d) return;
    bool loaded = false;
    for (long fail = 0; fail < 5000 && !loaded; fail += fail < 400 ? 1 : 37) {
        ir_graph *g = NULL;
        ts_alloc_fail_after(fail);
        ts_status st = onnx_load_buffer(d, len, "nomem.onnx", NULL, &g);
        ts_alloc_fail_after(-1);
        if (st == TS_OK) { loaded = true; ir_graph_free(g); }
        else CHECK_MSG(!g && strstr(ts_last_error(), "nomem.onnx"), "%s", ts_last_error());
    }
    CHECK(loaded);
    ts_free(d);
}

TEST_MAIN()

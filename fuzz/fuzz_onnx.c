/*
 * fuzz_onnx: libFuzzer harness for the ONNX loader. Any bytes must either be
 * rejected with a message naming the file (and no graph), or load into a
 * graph that passes the verifier, dumps, and survives op resolution, static
 * shape inference (which runs every op's infer function on shapes and
 * constants taken from the input) and the pass pipeline. The same bytes
 * are also tried as a TensorProto file.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined with the sources of
 * src/base, src/ir, src/frontend and build/gen/onnx.pb-c.c, -Isrc -Ibuild/gen,
 * linked with -lprotobuf-c -lm -lpthread. Seeds: any .onnx models, e.g. the
 * model.onnx files of /usr/share/libonnx-testdata/data/node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx.h"

static void must(int cond) { if (!cond) abort(); }

static void check_graph(ir_graph *g) {
    must(ir_verify(g) == TS_OK);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) { ir_dump(g, devnull); fclose(devnull); }
    if (ir_resolve_ops(g) != TS_OK) return;
    (void)ir_infer_shapes(g);
    /* the pass pipeline (no constant evaluator here) must keep the graph valid */
    if (ir_run_passes(g, NULL, NULL, NULL) == TS_OK) must(ir_verify(g) == TS_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ir_graph *g = NULL;
    if (onnx_load_buffer(data, size, "fuzz.onnx", NULL, &g) == TS_OK) {
        must(g != NULL);
        check_graph(g);
        ir_graph_free(g);
    } else {
        must(g == NULL && strstr(ts_last_error(), "fuzz.onnx") != NULL);
    }
    ts_tensor *t = NULL;
    if (onnx_tensor_from_buffer(data, size, "fuzz.pb", &t) == TS_OK) {
        must(t != NULL);
        ts_tensor_free(t);
    } else {
        must(t == NULL && strstr(ts_last_error(), "fuzz.pb") != NULL);
    }
    return 0;
}

/* onnx_load.c: reading model and tensor files: the protobuf-c allocator, a
 * nesting check before parsing, opset_import, and the entry points. */
#include "frontend/onnx_int.h"

#include <libgen.h>
#include <string.h>

/* ---- protobuf-c through Tessera's allocation hook --------------------------- */

static void *onnx_pb_alloc(void *data, size_t n) { (void)data; return ts_malloc(n); }
static void onnx_pb_free(void *data, void *p) { (void)data; ts_free(p); }
ProtobufCAllocator onnx_allocator = {onnx_pb_alloc, onnx_pb_free, NULL};

/* ---- nesting check ---------------------------------------------------------- */

/* protobuf-c parses nested messages recursively without a depth limit, so a
 * small file of deeply nested attributes/graphs could exhaust the stack.
 * This walk follows the wire format with the message descriptors and fails
 * beyond ONNX_MAX_NEST levels; anything else malformed is left to protobuf-c. */
#define ONNX_MAX_NEST 100

static bool onnx_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static bool onnx_skip(const uint8_t **p, const uint8_t *end, unsigned wire, uint64_t *len) {
    uint64_t v;
    switch (wire) {
    case 0: return onnx_varint(p, end, &v);
    case 1: if (end - *p < 8) return false; *p += 8; return true;
    case 5: if (end - *p < 4) return false; *p += 4; return true;
    case 2: if (!onnx_varint(p, end, len) || *len > (uint64_t)(end - *p)) return false; return true;
    default: return false;
    }
}

static int onnx_nest_depth(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *d, int depth) {
    if (depth > ONNX_MAX_NEST) return depth;
    int worst = depth;
    while (p < end) {
        uint64_t tag, len = 0;
        if (!onnx_varint(&p, end, &tag) || !onnx_skip(&p, end, (unsigned)(tag & 7), &len)) return worst;
        if ((tag & 7) != 2) continue;
        const ProtobufCFieldDescriptor *f = tag >> 3 <= UINT32_MAX
            ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3)) : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            int sub = onnx_nest_depth(p, p + len, f->descriptor, depth + 1);
            if (sub > worst) worst = sub;
        }
        if (worst > ONNX_MAX_NEST) return worst;
        p += len;
    }
    return worst;
}

ts_status onnx_check_nesting(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *desc) {
    if (onnx_nest_depth(data, data + len, desc, 0) > ONNX_MAX_NEST)
        return ts_error(TS_ERR_UNSUPPORTED, "messages nest deeper than %d levels", ONNX_MAX_NEST);
    return TS_OK;
}

/* ---- models ------------------------------------------------------------------- */

/* The default domain's opset; ONNX says 1 when a model imports none. */
static int onnx_opset(const Onnx__ModelProto *m) {
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        bool dflt = !o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx");
        if (dflt && o->has_version) return o->version > 100000 ? 100000 : (int)o->version;
    }
    return 1;
}

static ts_status onnx_model_convert(const onnx_src *src, const Onnx__ModelProto *m, ir_graph **out) {
    if (!m->graph) return ts_error(TS_ERR_INVALID, "the model has no graph");
    if (m->n_functions)
        return ts_error(TS_ERR_UNSUPPORTED, "model-local functions ('%s') are not supported",
                        m->functions[0]->name ? m->functions[0]->name : "");
    onnx_ctx c = {.src = src, .depth = 0, .opset = onnx_opset(m)};
    return onnx_graph_convert(&c, m->graph, false, out);
}

ts_status onnx_load_buffer(const uint8_t *data, size_t len, const char *name, const char *base_dir,
                           ir_graph **out) {
    onnx_src src = {.file = name ? name : "<memory>", .dir = base_dir};
    *out = NULL;
    ts_status st = onnx_check_nesting(data, len, &onnx__model_proto__descriptor);
    Onnx__ModelProto *m = NULL;
    if (st == TS_OK && !(m = onnx__model_proto__unpack(&onnx_allocator, len, data)))
        st = ts_error(TS_ERR_PARSE, "not a valid ONNX model (protobuf parsing failed: truncated or corrupt)");
    if (st == TS_OK) st = onnx_model_convert(&src, m, out);
    if (m) onnx__model_proto__free_unpacked(m, &onnx_allocator);
    if (st) ts_error_prefix("%s: ", src.file);
    return st;
}

/* dirname() may modify its argument: work on a copy. */
static char *onnx_dir_of(const char *path) {
    char *copy = ts_strdup(path);
    if (!copy) return NULL;
    char *dir = ts_strdup(dirname(copy));
    ts_free(copy);
    return dir;
}

ts_status onnx_load(const char *path, ir_graph **out) {
    uint8_t *data;
    size_t len;
    *out = NULL;
    ts_status st = ts_read_file(path, &data, &len);
    if (st) return st;
    char *dir = onnx_dir_of(path);
    st = dir ? onnx_load_buffer(data, len, path, dir, out) : TS_ERR_NOMEM;
    ts_free(dir);
    ts_free(data);
    return st;
}

/* ---- tensor files ---------------------------------------------------------------- */

static ts_status onnx_tensor_parse(const uint8_t *data, size_t len, const onnx_src *src,
                                   ts_tensor **out, char **name) {
    ts_status st = onnx_check_nesting(data, len, &onnx__tensor_proto__descriptor);
    Onnx__TensorProto *tp = NULL;
    if (st == TS_OK && !(tp = onnx__tensor_proto__unpack(&onnx_allocator, len, data)))
        st = ts_error(TS_ERR_PARSE, "not a valid TensorProto (protobuf parsing failed)");
    if (st == TS_OK) st = onnx_tensor_convert(src, tp, "tensor", out);
    if (st == TS_OK && name && !(*name = ts_strdup(tp->name ? tp->name : ""))) {
        ts_tensor_free(*out);
        *out = NULL;
        st = TS_ERR_NOMEM;
    }
    if (tp) onnx__tensor_proto__free_unpacked(tp, &onnx_allocator);
    if (st) ts_error_prefix("%s: ", src->file);
    return st;
}

ts_status onnx_tensor_from_buffer(const uint8_t *data, size_t len, const char *name, ts_tensor **out) {
    onnx_src src = {.file = name ? name : "<memory>", .dir = NULL};
    *out = NULL;
    return onnx_tensor_parse(data, len, &src, out, NULL);
}

ts_status onnx_load_tensor_named(const char *path, ts_tensor **out, char **name) {
    uint8_t *data;
    size_t len;
    *out = NULL;
    if (name) *name = NULL;
    ts_status st = ts_read_file(path, &data, &len);
    if (st) return st;
    char *dir = onnx_dir_of(path);
    onnx_src src = {.file = path, .dir = dir};
    st = dir ? onnx_tensor_parse(data, len, &src, out, name) : TS_ERR_NOMEM;
    ts_free(dir);
    ts_free(data);
    return st;
}

ts_status onnx_load_tensor(const char *path, ts_tensor **out) {
    return onnx_load_tensor_named(path, out, NULL);
}

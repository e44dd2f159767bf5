/*
 * onnx_int.h: shared inside the frontend layer only (public: onnx.h).
 */
#ifndef TESSERA_FRONTEND_ONNX_INT_H
#define TESSERA_FRONTEND_ONNX_INT_H

#include "frontend/onnx.h"
#include "onnx.pb-c.h"

/* Subgraph nesting allowed (protobuf nesting is checked separately). */
#define ONNX_MAX_DEPTH 32

/* Where a model came from: for messages and for external data. */
typedef struct onnx_src {
    const char *file;      /* shown in messages */
    const char *dir;       /* external data base, NULL = refused */
} onnx_src;

/* protobuf-c allocations through ts_malloc/ts_free. */
extern ProtobufCAllocator onnx_allocator;

/* Fails if protobuf messages nest deeper than protobuf-c can parse safely
 * (it recurses once per level). */
ts_status onnx_check_nesting(const uint8_t *data, size_t len,
                             const ProtobufCMessageDescriptor *desc);

/* TensorProto -> tensor; `what` names it in messages ("initializer 'w'"). */
ts_status onnx_tensor_convert(const onnx_src *src, const Onnx__TensorProto *tp,
                              const char *what, ts_tensor **out);
/* ONNX element type -> ts_dtype; unsupported types fail naming `what`. */
ts_status onnx_dtype(int32_t onnx_type, const char *what, ts_dtype *out);

/* Graph conversion, used for the main graph and (recursively) subgraphs. */
typedef struct onnx_ctx {
    const onnx_src *src;
    int depth;
    int opset;
} onnx_ctx;
ts_status onnx_graph_convert(onnx_ctx *c, const Onnx__GraphProto *gp, bool sub, ir_graph **out);

/* Copies one attribute onto n (subgraphs converted through c). */
ts_status onnx_attr_convert(onnx_ctx *c, ir_node *n, const Onnx__AttributeProto *a);
/* Checks types of well-known attribute names (kernel_shape is INTS...). */
ts_status onnx_attr_check(const ir_node *n);

#endif

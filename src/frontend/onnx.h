/*
 * frontend: ONNX import. Reads a .onnx model (protobuf, parsed with
 * protobuf-c code generated at build time from Debian's onnx.proto) into
 * Tessera's graph IR, and single TensorProto files (the input_N.pb /
 * output_N.pb of ONNX backend test cases) into tensors.
 *
 *   ir_graph *g;
 *   if (onnx_load("model.onnx", &g) != TS_OK) {
 *       fprintf(stderr, "%s\n", ts_last_error());   // names file and node
 *       return 1;
 *   }
 *   ir_resolve_ops(g); ir_infer_shapes(g); ...
 *   ir_graph_free(g);
 *
 * What the loaded graph holds:
 *   - g->opset: the default domain's ("" or "ai.onnx") version from
 *     opset_import (1 when a model has none, as ONNX specifies);
 *   - graph inputs that are not initializers, with dtypes and shapes from
 *     their type (unknown dims IR_DIM_UNKNOWN, symbolic ones also named in
 *     dim_param); value_info shapes on intermediate values;
 *   - initializers and Constant nodes as constant values (a Constant whose
 *     output is a graph output stays a node, so outputs stay node outputs);
 *     every TensorProto storage (raw_data, the typed fields, external data
 *     files next to the model);
 *   - nodes in topological order with attributes of every ONNX type that the
 *     IR can hold (subgraphs of If/Loop/Scan load as IR_ATTR_GRAPH; running
 *     them is refused by ir_resolve_ops with a clear message).
 * The loader verifies the graph (cycles, undefined tensors, two writers of
 * one tensor) and checks the types of well-known attributes. Every error
 * names the file and the node, tensor or field at fault; malformed files
 * never crash it and allocations never exceed a small multiple of the input.
 *
 * Prefix: onnx_. Depends on base and ir.
 */
#ifndef TESSERA_FRONTEND_ONNX_H
#define TESSERA_FRONTEND_ONNX_H

#include "base/base.h"
#include "ir/ir.h"

/* Loads a model; external data files are looked up next to it. */
ts_status onnx_load(const char *path, ir_graph **out);
/* Loads a model from memory. `name` is used in messages; external data is
 * read relative to base_dir, and refused when base_dir is NULL. */
ts_status onnx_load_buffer(const uint8_t *data, size_t len, const char *name,
                           const char *base_dir, ir_graph **out);

/* Loads a serialized TensorProto (name optional: set to a ts_malloc'd copy
 * of the tensor's name, "" when it has none). */
ts_status onnx_load_tensor(const char *path, ts_tensor **out);
ts_status onnx_load_tensor_named(const char *path, ts_tensor **out, char **name);
ts_status onnx_tensor_from_buffer(const uint8_t *data, size_t len, const char *name,
                                  ts_tensor **out);

#endif

/*
 * ir: Tessera's graph IR, its op registry (shape and type inference), the
 * verifier and the passes.
 *
 * A graph is an array of values (tensors: name, dtype, shape, optional
 * constant data) and an array of nodes (op type, attributes, input and output
 * value ids) in topological order. Graph inputs/outputs are value ids. The
 * same structures hold forward and backward (training) graphs: a gradient is
 * just another value, a backward op just another node.
 *
 *   ir_graph *g = ir_graph_new();
 *   int x = ir_add_value(g, "x", TS_F32, 2, (int64_t[]){1, 8});
 *   int w = ir_add_const(g, "w", weights);           // takes ownership
 *   int y = ir_add_value(g, "y", TS_UNDEFINED, -1, NULL);
 *   ir_node *n = ir_add_node(g, "MatMul", "mm0", (int[]){x, w}, 2, &y, 1);
 *   ir_graph_add_input(g, x); ir_graph_add_output(g, y);
 *   ir_infer_shapes(g);      // fills y's dtype and shape
 *
 * Ops: each op type has an ir_opdef with an infer function. Inference runs in
 * two settings with the same function:
 *   - statically (ir_infer_shapes): inputs have known shapes, and `data` only
 *     for constants; an op that needs a value it does not have (Reshape's
 *     shape from a computed tensor) returns IR_NEED_VALUE and its outputs stay
 *     unknown;
 *   - at run time (the executor): every input has data, so inference always
 *     succeeds and gives the exact output shapes to allocate.
 * Infer functions only see inputs whose shapes are fully known.
 *
 * Prefix: ir_. Depends on base only.
 */
#ifndef TESSERA_IR_H
#define TESSERA_IR_H

#include "base/base.h"

/* ---- attributes ---------------------------------------------------------- */

typedef enum ir_attr_type {
    IR_ATTR_UNDEFINED = 0, IR_ATTR_FLOAT, IR_ATTR_INT, IR_ATTR_STRING, IR_ATTR_TENSOR,
    IR_ATTR_GRAPH, IR_ATTR_FLOATS, IR_ATTR_INTS, IR_ATTR_STRINGS
} ir_attr_type;

struct ir_graph;

typedef struct ir_attr {
    char        *name;
    ir_attr_type type;
    float        f;
    int64_t      i;
    char        *s;          /* STRING (NUL-terminated; may hold embedded bytes up to s_len) */
    size_t       s_len;
    ts_tensor   *t;          /* TENSOR */
    struct ir_graph *g;      /* GRAPH (subgraphs; executors may reject them) */
    int          n;          /* count for FLOATS/INTS/STRINGS */
    float       *floats;
    int64_t     *ints;
    char       **strings;
} ir_attr;

/* ---- values and nodes ---------------------------------------------------- */

#define IR_DIM_UNKNOWN (-1)

typedef struct ir_value {
    char      *name;
    ts_dtype   dtype;                 /* TS_UNDEFINED until inferred */
    int        rank;                  /* -1 = unknown rank */
    int64_t    dims[TS_MAX_RANK];     /* IR_DIM_UNKNOWN where unknown */
    char      *dim_param[TS_MAX_RANK];/* symbolic names ("batch") or NULL */
    ts_tensor *data;                  /* constant (initializer / folded), owned; else NULL */
    int        producer;              /* node index, -1 for inputs/constants */
    bool       is_input, is_output;
} ir_value;

typedef struct ir_node {
    char    *name;
    char    *op_type;                 /* "Conv" */
    char    *domain;                  /* "" for the default ONNX domain */
    int      n_in, n_out;
    int     *in;                      /* value ids; -1 = omitted optional input */
    int     *out;
    int      n_attr;
    ir_attr *attrs;
    const struct ir_opdef *def;       /* resolved by ir_resolve_ops, may be NULL */
    bool     dead;                    /* marked by passes; removed by ir_compact */
} ir_node;

typedef struct ir_graph {
    char     *name;
    int       opset;                  /* default-domain opset version */
    ir_value *values;  int n_values, cap_values;
    ir_node  *nodes;   int n_nodes,  cap_nodes;
    int      *inputs;  int n_inputs;  /* value ids of graph inputs (not constants) */
    int      *outputs; int n_outputs;
    int      *name_index; int index_cap; /* private: name -> value id hash */
} ir_graph;

ir_graph *ir_graph_new(void);
void      ir_graph_free(ir_graph *g);
/* Adds a value; rank -1 = unknown. Returns its id or -1 (error set). Names
 * must be unique; ir_find_value looks them up. */
int       ir_add_value(ir_graph *g, const char *name, ts_dtype dtype, int rank, const int64_t *dims);
int       ir_add_const(ir_graph *g, const char *name, ts_tensor *data);   /* takes ownership */
int       ir_find_value(const ir_graph *g, const char *name);
ir_node  *ir_add_node(ir_graph *g, const char *op_type, const char *name,
                      const int *in, int n_in, const int *out, int n_out);
/* Attribute setters copy their arguments. */
ts_status ir_node_set_int(ir_node *n, const char *name, int64_t v);
ts_status ir_node_set_float(ir_node *n, const char *name, float v);
ts_status ir_node_set_string(ir_node *n, const char *name, const char *s);
ts_status ir_node_set_ints(ir_node *n, const char *name, const int64_t *v, int count);
ts_status ir_node_set_floats(ir_node *n, const char *name, const float *v, int count);
ts_status ir_node_set_tensor(ir_node *n, const char *name, ts_tensor *t); /* takes ownership */
ts_status ir_graph_add_input(ir_graph *g, int value);
ts_status ir_graph_add_output(ir_graph *g, int value);
/* Also settable: */
ts_status ir_node_set_domain(ir_node *n, const char *domain);
ts_status ir_node_set_bytes(ir_node *n, const char *name, const char *s, size_t len);
ts_status ir_node_set_strings(ir_node *n, const char *name, const char *const *v, int count);
ts_status ir_node_set_graph(ir_node *n, const char *name, ir_graph *sub); /* takes ownership */
void      ir_node_remove_attr(ir_node *n, const char *name);
ts_status ir_value_set_dim_param(ir_value *v, int dim, const char *param);
/* True when dtype, rank and every dim are known. */
bool      ir_value_known(const ir_value *v);
/* Pointers from ir_add_node and into g->values/g->nodes stay valid only
 * until the next ir_add_value/ir_add_const/ir_add_node/ir_compact. A NULL or
 * empty value name gets a generated unique one ("_v12"); an empty node name
 * gets "<op_type>_<index>", so every message can name its node. */

/* Removes dead nodes and values nothing refers to; keeps ids dense. */
ts_status ir_compact(ir_graph *g);
/* Recomputes producers and sorts nodes topologically; fails on a cycle
 * (the message names a node on it). */
ts_status ir_toposort(ir_graph *g);

/* Attribute getters: the default when absent. */
const ir_attr *ir_attr_find(const ir_node *n, const char *name);
int64_t        ir_attr_int(const ir_node *n, const char *name, int64_t def);
float          ir_attr_float(const ir_node *n, const char *name, float def);
const char    *ir_attr_string(const ir_node *n, const char *name, const char *def);
/* Returns the array and sets *count; NULL (count 0) when absent. */
const int64_t *ir_attr_ints(const ir_node *n, const char *name, int *count);
const float   *ir_attr_floats(const ir_node *n, const char *name, int *count);
const ts_tensor *ir_attr_tensor(const ir_node *n, const char *name);

/* ---- op registry and inference --------------------------------------------- */

/* Returned by infer functions that need an input's value they do not have. */
#define IR_NEED_VALUE ((ts_status)100)

typedef struct ir_infer_ctx {
    const ir_node    *node;
    int               opset;
    int               n_in;
    const ts_tensor **in;   /* NULL for omitted optional inputs; data may be NULL (static) */
    int               n_out;
    ts_tensor       **out;  /* set dtype, rank, dims; data untouched */
} ir_infer_ctx;

typedef ts_status (*ir_infer_fn)(ir_infer_ctx *c);

typedef struct ir_opdef {
    const char *op_type;     /* "Conv" */
    int min_inputs, max_inputs;   /* max -1 = variadic */
    int min_outputs, max_outputs;
    ir_infer_fn infer;
} ir_opdef;

/* Op groups: each file src/ir/op_<group>.c defines one table, ended by an
 * entry with op_type NULL. ir_op_find searches them all. */
extern const ir_opdef ir_ops_elementwise[]; /* math, activations, compare, logic, Cast, Where */
extern const ir_opdef ir_ops_nn[];          /* MatMul Gemm Conv pools norms Resize quant ops */
extern const ir_opdef ir_ops_shape[];       /* Reshape Transpose Concat Slice Gather Pad ... */
extern const ir_opdef ir_ops_reduce[];      /* Reduce*, ArgMax/Min, Softmax family, TopK, CumSum */

const ir_opdef *ir_op_find(const char *domain, const char *op_type);
/* Adds a table (same form) searched after the built-in ones for `domain`
 * ("" = the default ONNX domain): custom ops, tests. At most 8 tables. */
ts_status ir_add_op_table(const char *domain, const ir_opdef *table);
/* Sets node->def for every node; fails listing every unsupported op type
 * with its node names, in one message. */
ts_status ir_resolve_ops(ir_graph *g);
/* Static shape/type inference over the whole graph (see header comment). */
ts_status ir_infer_shapes(ir_graph *g);
/* Binds the actual input shapes (in[i] for g->inputs[i]; only dtype, rank
 * and dims are read) to the declared ones: a fixed dim must match, a
 * symbolic dim ("batch") takes the actual size and must be the same size
 * everywhere it appears. Then re-runs ir_infer_shapes from scratch (computed
 * values lose their old shapes). Errors name the input and the dim. */
ts_status ir_bind_inputs(ir_graph *g, const ts_tensor *const *in, int n_in);
/* Infer one node given input tensors (data may be NULL for non-constants). */
ts_status ir_infer_node(const ir_node *n, int opset, const ts_tensor **in, int n_in,
                        ts_tensor **out, int n_out);

/* Shared inference helpers for op files. */
/* Numpy-style broadcast of a and b into out dims; error names the node. */
ts_status ir_broadcast_shape(const ir_node *n, int ra, const int64_t *da, int rb,
                             const int64_t *db, int *rout, int64_t *dout);
/* Normalizes a possibly negative axis for rank r; error names the node. */
ts_status ir_norm_axis(const ir_node *n, int64_t axis, int rank, int *out);
void      ir_set_out(ts_tensor *out, ts_dtype dtype, int rank, const int64_t *dims);

/* Fused activations (pass "fuse-activation"). A Conv, ConvTranspose, Gemm
 * or MatMul node may carry two internal attributes; the kernel applies the
 * activation to each output element after bias (Conv/Gemm) and before
 * writing it:
 *   "activation"        STRING: Relu | LeakyRelu | Clip | Sigmoid | HardSigmoid
 *                               | HardSwish | Tanh
 *   "activation_params" FLOATS: LeakyRelu [alpha]; Clip [min, max] (either
 *                               may be +-INFINITY); HardSigmoid [alpha, beta];
 *                               none for the others.
 * ONNX never defines these attributes on these ops, so an imported model
 * cannot carry them by accident. A device that cannot honour some pair
 * registers a filter; the pass then fuses only what the filter accepts
 * (without one, every pair above is fused). */
typedef bool (*ir_fusion_filter_fn)(const char *op_type, const char *activation);
void ir_set_fusion_filter(ir_fusion_filter_fn fn);

/* ---- verifier, dumps and passes ---------------------------------------------- */

/* Checks ids in range, one producer per value, no cycles, inputs defined
 * before use, known dtypes on constants. Message names the node. */
ts_status ir_verify(const ir_graph *g);
/* Human-readable dump (one line per node with shapes), for --dump-ir. */
void      ir_dump(const ir_graph *g, FILE *f);

typedef ts_status (*ir_pass_fn)(ir_graph *g);
typedef struct ir_pass { const char *name; ir_pass_fn run; const char *summary; } ir_pass;

/* The default pipeline, in order: "fold-constants", "eliminate-identity",
 * "eliminate-dead", "fold-batchnorm", "fold-conv-affine", "fuse-hardswish",
 * "fuse-activation"; NULL-terminated. ir_run_passes first runs static
 * ir_infer_shapes (so passes and dumps see what is knowable), accepts
 * dump_after "import" (the IR before any pass), and calls ir_toposort and
 * ir_verify after each pass. A pass that rewrites a node into another op
 * sets its def, so ir_resolve_ops need not run again. */
const ir_pass *ir_default_passes(void);
const ir_pass *ir_pass_find(const char *name);
/* Runs the pipeline with ir_verify between passes; dumps the IR after the
 * pass named dump_after ("all" for every pass, NULL for none) to dump_to. */
ts_status ir_run_passes(ir_graph *g, const ir_pass *passes, const char *dump_after, FILE *dump_to);

/* Constant folding evaluates nodes whose inputs are all constant through a
 * callback (the CPU device registers it: ir stays below cpu). */
typedef ts_status (*ir_eval_fn)(void *ctx, const ir_node *n, int opset,
                                const ts_tensor **in, int n_in, ts_tensor **out, int n_out);
void ir_set_const_evaluator(ir_eval_fn fn, void *ctx);

#endif

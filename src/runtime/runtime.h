/*
 * runtime (internal): the device interface behind include/tessera.h, and
 * the graph executor the CPU device uses.
 *
 * A device is a struct of function pointers plus a context, in the manner of
 * ggml-backend: the public API only talks to rt_device, so a new device (the
 * NPU simulator, several chips) plugs in by adding one open function to the
 * registry in device.c. Entries marked (optional) may be NULL; the comment
 * says what the runtime does instead.
 *
 * Lifecycle: open -> prepare(graph) -> run(program, inputs) ... ->
 * program_free -> close. A device may hold several programs at once.
 *
 * Prefix: rt_. Depends on base, ir, frontend, cpu.
 */
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include "base/base.h"
#include "ir/ir.h"

#define RT_DEVICE_VERSION 1

typedef struct rt_program rt_program;   /* a graph prepared for one device */

/* Per-op-type timing of one run. */
typedef struct rt_op_time {
    const char *op_type;                 /* points into the program's graph */
    int         count;
    double      seconds;
} rt_op_time;

typedef struct rt_node_time {
    const char *name, *op_type;          /* point into the program's graph */
    double      seconds;
} rt_node_time;

typedef struct rt_profile {
    double        seconds;               /* whole run */
    rt_op_time   *ops;   int n_ops, cap_ops;
    rt_node_time *nodes; int n_nodes, cap_nodes;   /* in execution order */
} rt_profile;

typedef struct rt_prepare_options {
    const char *dump_ir;                 /* pass name, "all" or NULL */
    FILE       *dump_to;
} rt_prepare_options;

typedef struct rt_device rt_device;
struct rt_device {
    int         version;                 /* RT_DEVICE_VERSION */
    const char *name;                    /* "cpu" */
    void       *context;                 /* the device's own state */
    int         threads;

    /* (optional) Why node n cannot run here, or NULL if it can. The runtime
     * asks it about every node before prepare() and reports all misses in
     * one message. NULL entry: prepare() alone decides. */
    const char *(*unsupported)(rt_device *d, const ir_node *n);
    /* Takes ownership of g (freed even on failure), checks, optimizes and
     * plans it. */
    ts_status (*prepare)(rt_device *d, ir_graph *g, const rt_prepare_options *opt,
                         rt_program **out);
    /* Runs with in[i] bound to graph input i (borrowed, shapes already
     * checked); sets out[i] for graph output i (caller frees). */
    ts_status (*run)(rt_device *d, rt_program *p, const ts_tensor **in,
                     ts_tensor **out, rt_profile *prof);
    void      (*program_free)(rt_device *d, rt_program *p);
    /* (optional) The graph a program runs, after passes (for reports). NULL: none. */
    const ir_graph *(*program_graph)(rt_device *d, const rt_program *p);
    /* (optional) Releases the context. NULL: nothing to release. */
    void      (*close)(rt_device *d);
};

/* Opens a device by name ("cpu"); threads <= 0: all cores. */
ts_status rt_device_open(const char *name, int threads, rt_device **out);
void      rt_device_close(rt_device *d);

/* The CPU device (cpu_device.c). */
ts_status rt_cpu_open(const char *name, int threads, rt_device **out);

/* Collects every node of g that `why` rejects into one message
 * "unsupported ops: Foo (nodes a, b); Bar (node c)". TS_OK when none. */
typedef const char *(*rt_check_fn)(void *ctx, const ir_node *n);
ts_status rt_check_ops(const ir_graph *g, rt_check_fn why, void *ctx, const char *device);

/* Liveness (executor.c): last_use[v] = index of the last node reading value
 * v, or -1 if none reads it. Graph outputs get n_nodes (never freed early). */
ts_status rt_last_uses(const ir_graph *g, int **last_use);

/* Buffer reuse across nodes and runs (executor.c). A run frees a buffer
 * back to the arena after its last reader; the next node needing a similar
 * size takes it, so a steady-state run neither maps nor faults in new pages.
 * Buffers are 64-byte aligned and rounded up to whole cache lines. */
typedef struct rt_arena {
    void **free;  int n_free, cap_free;    /* buffers not in use */
    int64_t bytes;                         /* all buffers, in use or not */
} rt_arena;
void *rt_arena_get(rt_arena *a, size_t bytes);   /* NULL: out of memory (error set) */
void  rt_arena_put(rt_arena *a, void *p);
/* Returns buffers not taken since the last trim to the system. */
void  rt_arena_trim(rt_arena *a);
void  rt_arena_free(rt_arena *a);

void rt_profile_add(rt_profile *p, const ir_node *n, double seconds);
void rt_profile_reset(rt_profile *p);
void rt_profile_free(rt_profile *p);

/* Executor statistics of the last run, for tests: tensors freed before the
 * end of the run and the peak bytes of intermediates alive at once. */
typedef struct rt_exec_stats {
    int64_t freed_early;
    int64_t peak_bytes;
} rt_exec_stats;
rt_exec_stats rt_cpu_last_stats(const rt_program *p);

/* Builds a session from an in-memory graph (tests; takes ownership of g). */
struct tessera_session;
struct tessera_device;
ts_status rt_session_from_graph(struct tessera_device *d, ir_graph *g,
                                struct tessera_session **out);
const rt_program *rt_session_program(const struct tessera_session *s);

#endif

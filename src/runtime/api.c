/* api.c: include/tessera.h over the device interface.
 *
 * Public handles are thin: a tessera_tensor is a ts_tensor, a device wraps an
 * rt_device, a model is a loaded graph plus a copy of its input signature, a
 * session a prepared program plus its bound inputs and last outputs. */
#include "tessera.h"
#include "runtime/runtime.h"
#include "frontend/onnx.h"

#include <stdlib.h>
#include <string.h>

_Static_assert((int)TESSERA_ERR_INTERNAL == (int)TS_ERR_INTERNAL, "status codes match");
_Static_assert((int)TESSERA_BF16 == (int)TS_BF16, "dtype codes match");
_Static_assert(TESSERA_MAX_RANK == TS_MAX_RANK, "ranks match");

#define T(x)  ((ts_tensor *)(x))
#define CT(x) ((const ts_tensor *)(x))

const char *tessera_last_error(void) { return ts_last_error(); }
const char *tessera_status_str(tessera_status st) { return ts_status_str((ts_status)st); }

static tessera_status api_null(const char *what) {
    return (tessera_status)ts_error(TS_ERR_INVALID, "%s is NULL", what);
}

/* ---- tensors ---------------------------------------------------------------- */

tessera_tensor *tessera_tensor_new(tessera_dtype dtype, int rank, const int64_t *dims,
                                   const void *data) {
    if (!ts_dtype_size((ts_dtype)dtype)) {
        ts_error(TS_ERR_INVALID, "tensor: unknown dtype %d", (int)dtype);
        return NULL;
    }
    ts_tensor *t = ts_tensor_new((ts_dtype)dtype, rank, dims);
    if (t && data && ts_tensor_nbytes(t)) memcpy(t->data, data, ts_tensor_nbytes(t));
    return (tessera_tensor *)t;
}

void           tessera_tensor_free(tessera_tensor *t) { ts_tensor_free(T(t)); }
/* Accessors accept NULL (a failed call left it so) and return 0/NULL. */
tessera_dtype  tessera_tensor_dtype(const tessera_tensor *t) { return t ? (tessera_dtype)CT(t)->dtype : 0; }
int            tessera_tensor_rank(const tessera_tensor *t) { return t ? CT(t)->rank : 0; }
const int64_t *tessera_tensor_dims(const tessera_tensor *t) { return t ? CT(t)->dims : NULL; }
int64_t        tessera_tensor_numel(const tessera_tensor *t) { return t ? ts_tensor_numel(CT(t)) : 0; }
void          *tessera_tensor_data(const tessera_tensor *t) { return t ? CT(t)->data : NULL; }
double         tessera_tensor_get(const tessera_tensor *t, int64_t i) { return ts_tensor_get(CT(t), i); }

static bool api_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

tessera_status tessera_tensor_read(const char *path, tessera_tensor **out) {
    if (!path || !out) return api_null(!path ? "path" : "out");
    *out = NULL;
    ts_tensor *t = NULL;
    ts_status st = api_ends_with(path, ".pb") ? onnx_load_tensor(path, &t) : ts_npy_read(path, &t);
    *out = (tessera_tensor *)t;
    return (tessera_status)st;
}

tessera_status tessera_tensor_write_npy(const char *path, const tessera_tensor *t) {
    if (!path || !t) return api_null(!path ? "path" : "tensor");
    return (tessera_status)ts_npy_write(path, CT(t));
}

/* ---- devices ------------------------------------------------------------------ */

struct tessera_device { rt_device *rt; };

tessera_status tessera_device_open(const char *name, const tessera_device_options *opt,
                                   tessera_device **out) {
    if (!out) return api_null("out");
    *out = NULL;
    tessera_device *d = ts_calloc(1, sizeof *d);
    if (!d) return TESSERA_ERR_NOMEM;
    ts_status st = rt_device_open(name, opt ? opt->threads : 0, &d->rt);
    if (st) { ts_free(d); return (tessera_status)st; }
    *out = d;
    return TESSERA_OK;
}

void tessera_device_close(tessera_device *d) {
    if (!d) return;
    rt_device_close(d->rt);
    ts_free(d);
}

const char *tessera_device_name(const tessera_device *d) { return d ? d->rt->name : NULL; }
int tessera_device_threads(const tessera_device *d) { return d ? d->rt->threads : 0; }

/* ---- models ------------------------------------------------------------------- */

/* What a session checks inputs against, copied so it outlives the graph. */
typedef struct api_io {
    char    *name;
    ts_dtype dtype;
    int      rank;                       /* -1: any */
    int64_t  dims[TS_MAX_RANK];          /* IR_DIM_UNKNOWN: any */
    char    *dim_param[TS_MAX_RANK];
} api_io;

struct tessera_model {
    char     *path;
    ir_graph *g;                         /* NULL once a session took it */
    api_io   *in;  int n_in;
    api_io   *out; int n_out;
};

static void api_io_free(api_io *io, int n) {
    for (int i = 0; io && i < n; i++) {
        ts_free(io[i].name);
        for (int d = 0; d < TS_MAX_RANK; d++) ts_free(io[i].dim_param[d]);
    }
    ts_free(io);
}

static ts_status api_io_copy(const ir_graph *g, const int *ids, int n, api_io **out) {
    api_io *io = ts_calloc((size_t)(n > 0 ? n : 1), sizeof *io);
    if (!io) return TS_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const ir_value *v = &g->values[ids[i]];
        io[i].name = ts_strdup(v->name ? v->name : "");
        io[i].dtype = v->dtype;
        io[i].rank = v->rank;
        for (int d = 0; d < v->rank && d < TS_MAX_RANK; d++) {
            io[i].dims[d] = v->dims[d];
            if (v->dim_param[d] && !(io[i].dim_param[d] = ts_strdup(v->dim_param[d]))) goto nomem;
        }
        if (!io[i].name) goto nomem;
    }
    *out = io;
    return TS_OK;
nomem:
    api_io_free(io, n);
    return TS_ERR_NOMEM;
}

void tessera_model_free(tessera_model *m) {
    if (!m) return;
    ts_free(m->path);
    ir_graph_free(m->g);
    api_io_free(m->in, m->n_in);
    api_io_free(m->out, m->n_out);
    ts_free(m);
}

tessera_status tessera_model_load(const char *path, tessera_model **out) {
    if (!path || !out) return api_null(!path ? "path" : "out");
    *out = NULL;
    if (api_ends_with(path, ".tsr"))
        return (tessera_status)ts_error(TS_ERR_UNSUPPORTED,
                                        "%s: compiled .tsr programs need the NPU compiler, "
                                        "not available yet", path);
    tessera_model *m = ts_calloc(1, sizeof *m);
    if (!m) return TESSERA_ERR_NOMEM;
    ts_status st = (m->path = ts_strdup(path)) ? onnx_load(path, &m->g) : TS_ERR_NOMEM;
    if (!st) {
        m->n_in = m->g->n_inputs; m->n_out = m->g->n_outputs;
        st = api_io_copy(m->g, m->g->inputs, m->n_in, &m->in);
        if (!st) st = api_io_copy(m->g, m->g->outputs, m->n_out, &m->out);
    }
    if (st) { tessera_model_free(m); return (tessera_status)st; }
    *out = m;
    return TESSERA_OK;
}

int tessera_model_num_inputs(const tessera_model *m) { return m ? m->n_in : 0; }
int tessera_model_num_outputs(const tessera_model *m) { return m ? m->n_out : 0; }
const char *tessera_model_input_name(const tessera_model *m, int i) {
    return m && i >= 0 && i < m->n_in ? m->in[i].name : NULL;
}
const char *tessera_model_output_name(const tessera_model *m, int i) {
    return m && i >= 0 && i < m->n_out ? m->out[i].name : NULL;
}

int tessera_model_input_info(const tessera_model *m, int i, tessera_dtype *dtype,
                             int64_t dims[TESSERA_MAX_RANK]) {
    if (!m || i < 0 || i >= m->n_in) return -1;
    const api_io *io = &m->in[i];
    if (dtype) *dtype = (tessera_dtype)io->dtype;
    for (int d = 0; dims && d < io->rank; d++) dims[d] = io->dim_param[d] ? -1 : io->dims[d];
    return io->rank;
}

/* ---- sessions ----------------------------------------------------------------- */

struct tessera_session {
    tessera_device  *dev;
    rt_program      *prog;
    api_io          *in;  int n_in;      /* borrowed from the model, or owned (own_io) */
    api_io          *out; int n_out;
    bool             own_io;
    bool             any_shape;          /* tessera_session_options.any_shape */
    ts_tensor      **inputs;             /* set by the caller, copied */
    ts_tensor      **outputs;            /* of the last run */
    rt_profile       prof;
    tessera_op_time *times;              /* prof.ops sorted, slowest first */
    tessera_node_time *node_times;       /* prof.nodes sorted, slowest first */
};

void tessera_session_free(tessera_session *s) {
    if (!s) return;
    if (s->prog) s->dev->rt->program_free(s->dev->rt, s->prog);
    for (int i = 0; s->inputs && i < s->n_in; i++) ts_tensor_free(s->inputs[i]);
    for (int i = 0; s->outputs && i < s->n_out; i++) ts_tensor_free(s->outputs[i]);
    ts_free(s->inputs);
    ts_free(s->outputs);
    if (s->own_io) { api_io_free(s->in, s->n_in); api_io_free(s->out, s->n_out); }
    rt_profile_free(&s->prof);
    ts_free(s->times);
    ts_free(s->node_times);
    ts_free(s);
}

static const char *api_unsupported(void *ctx, const ir_node *n) {
    rt_device *d = ctx;
    return d->unsupported(d, n);
}

/* Takes ownership of g. Every op is checked before the device sees the
 * graph, so one message lists all that it lacks. */
static ts_status api_session_new(tessera_device *d, ir_graph *g, const rt_prepare_options *po,
                                 tessera_session *s) {
    s->dev = d;
    s->inputs = ts_calloc((size_t)s->n_in + 1, sizeof *s->inputs);
    s->outputs = ts_calloc((size_t)s->n_out + 1, sizeof *s->outputs);
    ts_status st = s->inputs && s->outputs ? TS_OK : TS_ERR_NOMEM;
    if (!st && d->rt->unsupported) st = rt_check_ops(g, api_unsupported, d->rt, d->rt->name);
    if (st) { ir_graph_free(g); return st; }
    st = d->rt->prepare(d->rt, g, po, &s->prog);
    if (st || !d->rt->program_graph) return st;
    /* the device binds inputs by position: passes must keep the signature */
    const ir_graph *pg = d->rt->program_graph(d->rt, s->prog);
    bool same = pg->n_inputs == s->n_in && pg->n_outputs == s->n_out;
    for (int i = 0; same && i < s->n_in; i++)
        same = !strcmp(pg->values[pg->inputs[i]].name, s->in[i].name);
    for (int i = 0; same && i < s->n_out; i++)
        same = !strcmp(pg->values[pg->outputs[i]].name, s->out[i].name);
    return same ? TS_OK : ts_error(TS_ERR_INTERNAL, "the passes changed the graph's inputs or outputs");
}

tessera_status tessera_session_create(tessera_device *d, tessera_model *m,
                                      const tessera_session_options *opt,
                                      tessera_session **out) {
    if (!d || !m || !out) return api_null(!d ? "device" : !m ? "model" : "out");
    *out = NULL;
    /* The first session takes the loaded graph (passes rewrite it); later
     * ones load their own copy from the file. */
    ir_graph *g = m->g;
    m->g = NULL;
    ts_status st = g ? TS_OK : onnx_load(m->path, &g);
    if (st) return (tessera_status)st;
    tessera_session *s = ts_calloc(1, sizeof *s);
    if (!s) { ir_graph_free(g); return TESSERA_ERR_NOMEM; }
    s->in = m->in; s->n_in = m->n_in; s->out = m->out; s->n_out = m->n_out;
    s->any_shape = opt && opt->any_shape;
    rt_prepare_options po = {opt ? opt->dump_ir : NULL, opt ? opt->dump_to : NULL};
    st = api_session_new(d, g, &po, s);
    if (st) {
        ts_error_prefix("%s: ", m->path);
        tessera_session_free(s);
        return (tessera_status)st;
    }
    *out = s;
    return TESSERA_OK;
}

ts_status rt_session_from_graph(tessera_device *d, ir_graph *g, tessera_session **out) {
    *out = NULL;
    tessera_session *s = ts_calloc(1, sizeof *s);
    if (!s) { ir_graph_free(g); return TS_ERR_NOMEM; }
    s->own_io = true;
    s->n_in = g->n_inputs; s->n_out = g->n_outputs;
    ts_status st = api_io_copy(g, g->inputs, s->n_in, &s->in);
    if (!st) st = api_io_copy(g, g->outputs, s->n_out, &s->out);
    if (st) { ir_graph_free(g); tessera_session_free(s); return st; }
    st = api_session_new(d, g, NULL, s);
    if (st) { tessera_session_free(s); return st; }
    *out = s;
    return TS_OK;
}

const rt_program *rt_session_program(const tessera_session *s) { return s->prog; }

static int api_find(const api_io *io, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(io[i].name, name)) return i;
    return -1;
}

static ts_status api_unknown_name(const char *kind, const char *name, const api_io *io, int n) {
    char list[512] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "",
                 io[i].name);
    return ts_error(TS_ERR_INVALID, "unknown %s '%s' (the model's %ss: %s)", kind, name, kind,
                    n ? list : "none");
}

/* A symbolic dim ("batch") must have one size across all inputs. Checked at
 * run time: while the caller sets inputs one by one, they may disagree. */
static ts_status api_check_symbols(const tessera_session *s) {
    for (int i = 0; i < s->n_in; i++)
        for (int d = 0; d < s->in[i].rank; d++) {
            const char *sym = s->in[i].dim_param[d];
            for (int j = 0; sym && j < i; j++)
                for (int e = 0; e < s->in[j].rank; e++)
                    if (s->in[j].dim_param[e] && !strcmp(s->in[j].dim_param[e], sym) &&
                        s->inputs[j]->dims[e] != s->inputs[i]->dims[d])
                        return ts_error(TS_ERR_INVALID,
                                        "input '%s': dim %d ('%s') is %lld but input '%s' has "
                                        "'%s' = %lld", s->in[i].name, d, sym,
                                        (long long)s->inputs[i]->dims[d], s->in[j].name, sym,
                                        (long long)s->inputs[j]->dims[e]);
        }
    return TS_OK;
}

static ts_status api_check_input(const api_io *io, const ts_tensor *t, bool any_shape) {
    char want[96], got[96];
    if (io->dtype != TS_UNDEFINED && t->dtype != io->dtype)
        return ts_error(TS_ERR_INVALID, "input '%s': dtype %s, the model expects %s", io->name,
                        ts_dtype_name(t->dtype), ts_dtype_name(io->dtype));
    bool ok = any_shape || io->rank < 0 || io->rank == t->rank;
    for (int d = 0; ok && !any_shape && io->rank >= 0 && d < io->rank; d++)
        ok = io->dim_param[d] || io->dims[d] < 0 || io->dims[d] == t->dims[d];
    if (!ok) {
        size_t len = (size_t)snprintf(want, sizeof want, "[");
        for (int d = 0; d < io->rank && len < sizeof want; d++)   /* symbols and unknowns as '?' */
            len += io->dim_param[d] || io->dims[d] < 0
                       ? (size_t)snprintf(want + len, sizeof want - len, "%s?", d ? "," : "")
                       : (size_t)snprintf(want + len, sizeof want - len, "%s%lld", d ? "," : "",
                                          (long long)io->dims[d]);
        if (len < sizeof want) snprintf(want + len, sizeof want - len, "]");
        return ts_error(TS_ERR_INVALID, "input '%s': shape %s, the model expects %s", io->name,
                        ts_shape_str(t->rank, t->dims, got, sizeof got), want);
    }
    return TS_OK;
}

tessera_status tessera_session_set_input(tessera_session *s, const char *name,
                                         const tessera_tensor *t) {
    if (!s || !name || !t) return api_null(!s ? "session" : !name ? "name" : "tensor");
    int i = api_find(s->in, s->n_in, name);
    if (i < 0) return (tessera_status)api_unknown_name("input", name, s->in, s->n_in);
    ts_status st = api_check_input(&s->in[i], CT(t), s->any_shape);
    if (st) return (tessera_status)st;
    ts_tensor *c = ts_tensor_clone(CT(t));
    if (!c) return TESSERA_ERR_NOMEM;
    ts_tensor_free(s->inputs[i]);
    s->inputs[i] = c;
    return TESSERA_OK;
}

static int api_op_cmp(const void *a, const void *b) {
    double x = ((const tessera_op_time *)a)->seconds, y = ((const tessera_op_time *)b)->seconds;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int api_node_cmp(const void *a, const void *b) {
    double x = ((const tessera_node_time *)a)->seconds, y = ((const tessera_node_time *)b)->seconds;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorted copies of the profile for the public API (NULL on OOM: no report). */
static void api_sort_times(tessera_session *s) {
    ts_free(s->times);
    ts_free(s->node_times);
    s->times = ts_calloc((size_t)s->prof.n_ops + 1, sizeof *s->times);
    s->node_times = ts_calloc((size_t)s->prof.n_nodes + 1, sizeof *s->node_times);
    for (int i = 0; s->times && i < s->prof.n_ops; i++)
        s->times[i] = (tessera_op_time){s->prof.ops[i].op_type, s->prof.ops[i].count,
                                        s->prof.ops[i].seconds};
    for (int i = 0; s->node_times && i < s->prof.n_nodes; i++)
        s->node_times[i] = (tessera_node_time){s->prof.nodes[i].name, s->prof.nodes[i].op_type,
                                               s->prof.nodes[i].seconds};
    if (s->times) qsort(s->times, (size_t)s->prof.n_ops, sizeof *s->times, api_op_cmp);
    if (s->node_times)
        qsort(s->node_times, (size_t)s->prof.n_nodes, sizeof *s->node_times, api_node_cmp);
}

tessera_status tessera_session_run(tessera_session *s) {
    if (!s) return api_null("session");
    for (int i = 0; i < s->n_in; i++)
        if (!s->inputs[i])
            return (tessera_status)ts_error(TS_ERR_INVALID, "input '%s' is not set",
                                            s->in[i].name);
    ts_status st = s->any_shape ? TS_OK : api_check_symbols(s);
    if (st) return (tessera_status)st;
    for (int i = 0; i < s->n_out; i++) { ts_tensor_free(s->outputs[i]); s->outputs[i] = NULL; }
    st = s->dev->rt->run(s->dev->rt, s->prog, (const ts_tensor **)s->inputs,
                                   s->outputs, &s->prof);
    api_sort_times(s);
    return (tessera_status)st;
}

tessera_status tessera_session_get_output(tessera_session *s, const char *name,
                                          const tessera_tensor **out) {
    if (!s || !name || !out) return api_null(!s ? "session" : !name ? "name" : "out");
    *out = NULL;
    int i = api_find(s->out, s->n_out, name);
    if (i < 0) return (tessera_status)api_unknown_name("output", name, s->out, s->n_out);
    if (!s->outputs[i])
        return (tessera_status)ts_error(TS_ERR_INVALID,
                                        "output '%s': no successful run yet", name);
    *out = (const tessera_tensor *)s->outputs[i];
    return TESSERA_OK;
}

double tessera_session_last_seconds(const tessera_session *s) { return s ? s->prof.seconds : 0; }

int tessera_session_op_times(const tessera_session *s, const tessera_op_time **times) {
    *times = s ? s->times : NULL;
    return *times ? s->prof.n_ops : 0;
}

int tessera_session_node_times(const tessera_session *s, const tessera_node_time **times) {
    *times = s ? s->node_times : NULL;
    return *times ? s->prof.n_nodes : 0;
}

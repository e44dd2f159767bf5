/* executor.c: what every device's executor shares: the one-message op
 * check, liveness (when a value's buffer can go) and the timing profile. */
#include "runtime/runtime.h"

#include <string.h>

/* ---- unsupported ops: one message for the whole graph -------------------------- */

typedef struct {
    const char *op_type, *why;
    char *nodes; size_t len, cap; int count;
} rt_miss;

static ts_status rt_miss_add_node(rt_miss *m, const char *node) {
    size_t need = m->len + strlen(node) + 3;
    if (need > m->cap) {
        size_t cap = TS_MAX(need, m->cap * 2);
        char *p = ts_realloc(m->nodes, cap);
        if (!p) return TS_ERR_NOMEM;
        m->nodes = p; m->cap = cap;
    }
    m->len += (size_t)sprintf(m->nodes + m->len, "%s%s", m->count ? ", " : "", node);
    m->count++;
    return TS_OK;
}

/* Groups misses by op type, in order of first appearance. */
static ts_status rt_collect(const ir_graph *g, rt_check_fn why, void *ctx, rt_miss **out, int *n) {
    rt_miss *ms = NULL; int nm = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *node = &g->nodes[i];
        if (node->dead) continue;
        const char *w = why(ctx, node);
        if (!w) continue;
        int k = 0;
        while (k < nm && strcmp(ms[k].op_type, node->op_type)) k++;
        if (k == nm) {
            rt_miss *p = ts_realloc(ms, (size_t)(nm + 1) * sizeof *p);
            if (!p) goto nomem;
            ms = p;
            memset(&ms[nm++], 0, sizeof *ms);
            ms[k].op_type = node->op_type; ms[k].why = w;
        }
        if (rt_miss_add_node(&ms[k], node->name ? node->name : "?")) goto nomem;
    }
    *out = ms; *n = nm;
    return TS_OK;
nomem:
    for (int k = 0; k < nm; k++) ts_free(ms[k].nodes);
    ts_free(ms);
    return TS_ERR_NOMEM;
}

ts_status rt_check_ops(const ir_graph *g, rt_check_fn why, void *ctx, const char *device) {
    rt_miss *ms; int nm;
    if (rt_collect(g, why, ctx, &ms, &nm)) return TS_ERR_NOMEM;
    if (!nm) return TS_OK;
    size_t cap = 64;
    for (int k = 0; k < nm; k++) cap += strlen(ms[k].op_type) + strlen(ms[k].why) + ms[k].len + 32;
    char *msg = ts_malloc(cap);
    size_t len = 0;
    if (msg) {
        len = (size_t)snprintf(msg, cap, "%d unsupported op type%s on device %s:", nm,
                               nm > 1 ? "s" : "", device);
        for (int k = 0; k < nm; k++)
            len += (size_t)snprintf(msg + len, cap - len, "%s %s (%s; node%s %s)",
                                    k ? ";" : "", ms[k].op_type, ms[k].why,
                                    ms[k].count > 1 ? "s" : "", ms[k].nodes);
        ts_error(TS_ERR_UNSUPPORTED, "%s", msg);
    }
    ts_free(msg);
    for (int k = 0; k < nm; k++) ts_free(ms[k].nodes);
    ts_free(ms);
    return msg ? TS_ERR_UNSUPPORTED : TS_ERR_NOMEM;
}

/* ---- liveness -------------------------------------------------------------------- */

ts_status rt_last_uses(const ir_graph *g, int **last_use) {
    int *lu = ts_malloc((size_t)(g->n_values > 0 ? g->n_values : 1) * sizeof *lu);
    if (!lu) return TS_ERR_NOMEM;
    for (int v = 0; v < g->n_values; v++) lu[v] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && n->in[k] < g->n_values) lu[n->in[k]] = i;
    }
    for (int k = 0; k < g->n_outputs; k++) lu[g->outputs[k]] = g->n_nodes;
    *last_use = lu;
    return TS_OK;
}

/* ---- buffer arena -------------------------------------------------------------- */

/* Each buffer has a 64-byte prefix holding its capacity and whether it was
 * taken since the last trim; the caller sees the data after it. */
#define RT_LINE 64
typedef struct { size_t cap; bool used; } rt_buf_head;

static rt_buf_head *rt_head(void *p) { return (rt_buf_head *)((char *)p - RT_LINE); }

void *rt_arena_get(rt_arena *a, size_t bytes) {
    size_t need = (bytes + RT_LINE - 1) & ~(size_t)(RT_LINE - 1);
    int best = -1;
    /* best fit, but never more than twice the need: a small tensor must not
     * pin a large buffer */
    for (int i = 0; i < a->n_free; i++) {
        size_t cap = rt_head(a->free[i])->cap;
        if (cap >= need && cap <= 2 * need + 4096 &&
            (best < 0 || cap < rt_head(a->free[best])->cap))
            best = i;
    }
    if (best >= 0) {
        void *p = a->free[best];
        a->free[best] = a->free[--a->n_free];
        rt_head(p)->used = true;
        return p;
    }
    if (need + RT_LINE < need) { ts_error(TS_ERR_NOMEM, "tensor of %zu bytes", bytes); return NULL; }
    char *base = ts_aligned_alloc(RT_LINE, need + RT_LINE);
    if (!base) return NULL;
    *(rt_buf_head *)base = (rt_buf_head){need, true};
    a->bytes += (int64_t)need;
    return base + RT_LINE;
}

static void rt_release(rt_arena *a, void *p) {
    a->bytes -= (int64_t)rt_head(p)->cap;
    ts_aligned_free(rt_head(p));
}

void rt_arena_put(rt_arena *a, void *p) {
    if (!p) return;
    if (a->n_free == a->cap_free) {
        int cap = a->cap_free ? a->cap_free * 2 : 64;
        void **f = ts_realloc(a->free, (size_t)cap * sizeof *f);
        if (!f) { rt_release(a, p); return; }   /* cannot keep it: give it back */
        a->free = f; a->cap_free = cap;
    }
    a->free[a->n_free++] = p;
}

void rt_arena_trim(rt_arena *a) {
    int k = 0;
    for (int i = 0; i < a->n_free; i++) {
        if (rt_head(a->free[i])->used) {
            rt_head(a->free[i])->used = false;
            a->free[k++] = a->free[i];
        } else {
            rt_release(a, a->free[i]);
        }
    }
    a->n_free = k;
}

void rt_arena_free(rt_arena *a) {
    for (int i = 0; i < a->n_free; i++) rt_release(a, a->free[i]);
    ts_free(a->free);
    memset(a, 0, sizeof *a);
}

/* ---- profile ------------------------------------------------------------------- */

static void rt_profile_node(rt_profile *p, const ir_node *n, double seconds) {
    if (p->n_nodes == p->cap_nodes) {
        int cap = p->cap_nodes ? p->cap_nodes * 2 : 64;
        rt_node_time *t = ts_realloc(p->nodes, (size_t)cap * sizeof *t);
        if (!t) return;   /* a profile entry lost to OOM is not worth failing a run */
        p->nodes = t; p->cap_nodes = cap;
    }
    p->nodes[p->n_nodes++] = (rt_node_time){n->name, n->op_type, seconds};
}

void rt_profile_add(rt_profile *p, const ir_node *n, double seconds) {
    rt_profile_node(p, n, seconds);
    for (int i = 0; i < p->n_ops; i++)
        if (!strcmp(p->ops[i].op_type, n->op_type)) {
            p->ops[i].count++;
            p->ops[i].seconds += seconds;
            return;
        }
    if (p->n_ops == p->cap_ops) {
        int cap = p->cap_ops ? p->cap_ops * 2 : 16;
        rt_op_time *o = ts_realloc(p->ops, (size_t)cap * sizeof *o);
        if (!o) return;
        p->ops = o; p->cap_ops = cap;
    }
    p->ops[p->n_ops++] = (rt_op_time){n->op_type, 1, seconds};
}

void rt_profile_reset(rt_profile *p) { p->n_ops = p->n_nodes = 0; p->seconds = 0; }

void rt_profile_free(rt_profile *p) {
    ts_free(p->ops);
    ts_free(p->nodes);
    memset(p, 0, sizeof *p);
}

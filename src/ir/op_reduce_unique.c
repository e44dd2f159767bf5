/* Unique's grouping, shared by inference (the output size depends on the
 * values) and the CPU kernel (op_reduce.h). Items are the elements of the
 * flattened input, or its slices along `axis`; they are merge-sorted by
 * value (slices lexicographically), ties by position, so equal items form
 * runs whose first member is their first occurrence. */
#include "ir/op_reduce.h"

#include <string.h>

typedef struct uq_ctx { const ts_tensor *x; int64_t K, O, I; } uq_ctx;

/* Element j of item k. */
static double uq_at(const uq_ctx *c, int64_t k, int64_t j) {
    return ts_tensor_get(c->x, (j / c->I * c->K + k) * c->I + j % c->I);
}

static int uq_cmp(const uq_ctx *c, int64_t a, int64_t b) {
    for (int64_t j = 0; j < c->O * c->I; j++) {
        double u = uq_at(c, a, j), v = uq_at(c, b, j);
        if (u != v) return u < v ? -1 : 1;
    }
    return 0;
}

static void uq_sort(const uq_ctx *c, int64_t *v, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2, i = 0, j = h, k = 0;
    uq_sort(c, v, tmp, h);
    uq_sort(c, v + h, tmp, n - h);
    while (i < h && j < n) tmp[k++] = uq_cmp(c, v[j], v[i]) < 0 ? v[j++] : v[i++];   /* stable */
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof(int64_t) * (size_t)n);
}

void ir_unique_free(ir_unique *u) {
    ts_free(u->first);
    memset(u, 0, sizeof *u);
}

ts_status ir_unique_run(const ir_node *n, const ts_tensor *x, ir_unique *u) {
    memset(u, 0, sizeof *u);
    uq_ctx c = {x, ts_tensor_numel(x), 1, 1};
    const ir_attr *ax = ir_attr_find(n, "axis");
    bool sorted = ir_attr_int(n, "sorted", 1) != 0;
    if (ax) {
        int a;
        ts_status st = ir_norm_axis(n, ax->i, x->rank, &a);
        if (st) return st;
        c.K = x->dims[a];
        for (int d = 0; d < x->rank; d++) {
            if (d < a) c.O *= x->dims[d];
            if (d > a) c.I *= x->dims[d];
        }
        u->axis = a;
    } else {
        u->axis = -1;
    }
    /* first | counts | inverse | order | tmp, one block */
    int64_t *m = ts_malloc(sizeof(int64_t) * (size_t)(5 * c.K) + 1);
    if (!m) return TS_ERR_NOMEM;
    u->first = m; u->counts = m + c.K; u->inverse = m + 2 * c.K;
    int64_t *order = m + 3 * c.K, *tmp = m + 4 * c.K;
    for (int64_t k = 0; k < c.K; k++) order[k] = k;
    uq_sort(&c, order, tmp, c.K);
    u->n_items = c.K;
    for (int64_t s = 0; s < c.K; s++) {
        if (s == 0 || uq_cmp(&c, order[s - 1], order[s]) != 0) {
            u->first[u->count] = order[s];
            u->counts[u->count++] = 0;
        }
        u->counts[u->count - 1]++;
        u->inverse[order[s]] = u->count - 1;
    }
    if (!sorted) {
        /* groups by first occurrence: walk the items in order, renumbering */
        int64_t *remap = tmp, next = 0;
        for (int64_t g = 0; g < u->count; g++) remap[g] = -1;
        for (int64_t k = 0; k < c.K; k++)
            if (remap[u->inverse[k]] < 0) remap[u->inverse[k]] = next++;
        for (int64_t g = 0; g < u->count; g++) {   /* order[] is free now: old first/counts */
            order[remap[g]] = u->first[g];
        }
        for (int64_t g = 0; g < u->count; g++) u->first[g] = order[g];
        for (int64_t g = 0; g < u->count; g++) order[remap[g]] = u->counts[g];
        for (int64_t g = 0; g < u->count; g++) u->counts[g] = order[g];
        for (int64_t k = 0; k < c.K; k++) u->inverse[k] = remap[u->inverse[k]];
    }
    return TS_OK;
}

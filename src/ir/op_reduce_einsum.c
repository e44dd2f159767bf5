/* Einsum equation parser shared by inference and the CPU kernel (op_reduce.h). */
#include "ir/op_reduce.h"

#include <string.h>

static int es_label(char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
    return -1;
}

/* One term: its letters in order and where "..." sits among them (-1: none). */
typedef struct es_term { int letters[TS_MAX_RANK + 1]; int n; int ell_at; } es_term;

static ts_status es_error(const ir_node *n, const char *eq, const char *at, const char *what) {
    return ts_error(TS_ERR_INVALID, "node '%s' (Einsum): equation '%s' at offset %d: %s",
                    n->name, eq, (int)(at - eq), what);
}

/* Parses letters up to ',' / "->" / end; *p is left on the stop character. */
static ts_status es_term_parse(const ir_node *n, const char *eq, const char **p, es_term *t) {
    t->n = 0;
    t->ell_at = -1;
    for (const char *s = *p;; s++) {
        if (*s == ' ') continue;
        if (*s == ',' || *s == '\0' || (s[0] == '-' && s[1] == '>')) { *p = s; return TS_OK; }
        if (s[0] == '.') {
            if (s[1] != '.' || s[2] != '.' || t->ell_at >= 0) return es_error(n, eq, s, "bad ellipsis");
            t->ell_at = t->n;
            s += 2;
            continue;
        }
        int l = es_label(*s);
        if (l < 0) return es_error(n, eq, s, "not a letter");
        if (t->n > TS_MAX_RANK) return es_error(n, eq, s, "too many labels");
        t->letters[t->n++] = l;
    }
}

/* Labels of operand k's dims, with its ellipsis right-aligned into ell_max. */
static ts_status es_operand(const ir_node *n, ir_einsum *e, int k, const es_term *t,
                            const ts_tensor *x, int ell_max) {
    int ell = t->ell_at >= 0 ? x->rank - t->n : 0;
    e->rank[k] = x->rank;
    for (int d = 0, li = 0; d < x->rank; d++) {
        int l;
        if (t->ell_at >= 0 && d >= t->ell_at && d < t->ell_at + ell)
            l = IR_EINSUM_LETTERS + (ell_max - ell) + (d - t->ell_at);
        else
            l = t->letters[li++];
        e->labels[k][d] = l;
        int64_t sz = x->dims[d];
        if (e->size[l] < 0 || e->size[l] == 1) e->size[l] = sz;
        else if (sz != 1 && sz != e->size[l])
            return ts_error(TS_ERR_INVALID, "node '%s' (Einsum): input %d dim %d has size %lld, "
                            "another operand gives that label size %lld", n->name, k, d,
                            (long long)sz, (long long)e->size[l]);
    }
    return TS_OK;
}

static ts_status es_output(const ir_node *n, const char *eq, const char *p, ir_einsum *e,
                           int ell_max, const int *count) {
    bool in_out[IR_EINSUM_LABELS] = {false};
    e->out_rank = 0;
    if (p) {
        es_term t;
        const char *s = p;
        ts_status st = es_term_parse(n, eq, &s, &t);
        if (st) return st;
        if (*s) return es_error(n, eq, s, "unexpected text in the output");
        for (int i = 0; i <= t.n; i++) {
            if (i == t.ell_at) {
                if (e->out_rank + ell_max > TS_MAX_RANK) return es_error(n, eq, p, "output rank too large");
                for (int j = 0; j < ell_max; j++) e->out_labels[e->out_rank++] = IR_EINSUM_LETTERS + j;
            }
            if (i == t.n) break;
            int l = t.letters[i];
            if (!count[l] || in_out[l]) return es_error(n, eq, p, "output label unknown or repeated");
            in_out[l] = true;
            if (e->out_rank >= TS_MAX_RANK) return es_error(n, eq, p, "output rank too large");
            e->out_labels[e->out_rank++] = l;
        }
    } else {
        for (int j = 0; j < ell_max; j++) e->out_labels[e->out_rank++] = IR_EINSUM_LETTERS + j;
        for (int l = 0; l < IR_EINSUM_LETTERS; l++) {
            if (count[l] != 1) continue;
            if (e->out_rank >= TS_MAX_RANK) return es_error(n, eq, eq, "output rank too large");
            e->out_labels[e->out_rank++] = l;
        }
    }
    for (int i = 0; i < e->out_rank; i++) in_out[e->out_labels[i]] = true;
    e->n_sum = 0;
    for (int l = 0; l < IR_EINSUM_LABELS; l++)
        if (e->size[l] >= 0 && !in_out[l]) e->sum_labels[e->n_sum++] = l;
    return TS_OK;
}

ts_status ir_einsum_parse(const ir_node *n, const ts_tensor **in, int n_in, ir_einsum *e) {
    const char *eq = ir_attr_string(n, "equation", NULL);
    if (!eq) return ts_error(TS_ERR_INVALID, "node '%s' (Einsum): attribute 'equation' missing", n->name);
    if (n_in > IR_EINSUM_MAX_IN)
        return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (Einsum): %d operands (at most %d)", n->name,
                        n_in, IR_EINSUM_MAX_IN);
    memset(e, 0, sizeof *e);
    e->n_in = n_in;
    for (int l = 0; l < IR_EINSUM_LABELS; l++) e->size[l] = -1;
    es_term terms[IR_EINSUM_MAX_IN];
    int ell_max = 0, count[IR_EINSUM_LABELS] = {0};
    const char *p = eq;
    for (int k = 0; k < n_in; k++) {
        ts_status st = es_term_parse(n, eq, &p, &terms[k]);
        if (st) return st;
        bool last = k == n_in - 1;
        if (last ? *p == ',' : *p != ',') return es_error(n, eq, p, "term count differs from input count");
        if (*p == ',') p++;
        int ell = in[k]->rank - terms[k].n;
        if (terms[k].ell_at >= 0 ? ell < 0 : ell != 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "term %d has %d labels for an input of rank %d", k, terms[k].n, in[k]->rank);
            return es_error(n, eq, p, msg);
        }
        if (terms[k].ell_at >= 0) ell_max = TS_MAX(ell_max, ell);
        for (int i = 0; i < terms[k].n; i++) count[terms[k].letters[i]]++;
    }
    for (int k = 0; k < n_in; k++) {
        ts_status st = es_operand(n, e, k, &terms[k], in[k], ell_max);
        if (st) return st;
    }
    return es_output(n, eq, *p ? p + 2 : NULL, e, ell_max, count);
}

/*
 * asm.c: the assembler. Text to isa_program, driven entirely by the field
 * tables of isa.def: an instruction is `OPNAME key=value ...`, the keys are
 * the field names of the opcode's format, and each field's kind says how its
 * value is read (number, engine list, dtype name, ...). Grammar and examples:
 * docs/isa.md "Assembly". Every error names file:line:column.
 */
#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isa/isa.h"

#define ASM_NAME_MAX 64
#define ASM_TOKEN_MAX 256

typedef struct asm_equ {
    char    name[ASM_NAME_MAX];
    int64_t value;
} asm_equ;

typedef struct asm_state {
    const char  *file;
    int          line;
    const char  *line_start;  /* for columns */
    asm_equ     *equ;
    int          n_equ, cap_equ;
    int          core;
    isa_program *prog;
} asm_state;

static int col_of(const asm_state *s, const char *p) { return (int)(p - s->line_start) + 1; }

static ts_status asm_err(const asm_state *s, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ts_status asm_err(const asm_state *s, const char *at, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error(TS_ERR_PARSE, "%s:%d:%d: %s", s->file, s->line, col_of(s, at), msg);
}

static bool is_ident_start(int c) { return isalpha(c) || c == '_'; }
static bool is_ident(int c) { return isalnum(c) || c == '_'; }
static bool is_comment(int c) { return c == '#' || c == ';'; }
static bool at_end(const char *p, const char *e) { return p >= e || is_comment(*p); }

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    return p;
}

/* Reads an identifier at *p into buf; false if none or too long. */
static bool read_ident(const char **p, const char *e, char *buf) {
    const char *q = *p;
    if (q >= e || !is_ident_start((unsigned char)*q)) return false;
    while (q < e && is_ident((unsigned char)*q)) q++;
    if (q - *p >= ASM_NAME_MAX) return false;
    memcpy(buf, *p, (size_t)(q - *p));
    buf[q - *p] = 0;
    *p = q;
    return true;
}

static const asm_equ *find_equ(const asm_state *s, const char *name) {
    for (int i = 0; i < s->n_equ; i++)
        if (!strcmp(s->equ[i].name, name)) return &s->equ[i];
    return NULL;
}

/* ---- integer expressions: + - * / % ( ) unary -, numbers, .equ names ----- */

typedef struct expr {
    const asm_state *s;
    const char *p, *e;
    ts_status st;
} expr;

static int64_t expr_add(expr *x);

static int64_t expr_fail(expr *x, const char *at, const char *msg) {
    if (!x->st) x->st = asm_err(x->s, at, "%s", msg);
    return 0;
}

static int64_t expr_number(expr *x) {
    const char *start = x->p;
    int base = 10;
    if (x->e - x->p > 2 && x->p[0] == '0' && (x->p[1] == 'x' || x->p[1] == 'X')) base = 16, x->p += 2;
    else if (x->e - x->p > 2 && x->p[0] == '0' && (x->p[1] == 'b' || x->p[1] == 'B')) base = 2, x->p += 2;
    uint64_t v = 0;
    int digits = 0;
    while (x->p < x->e) {
        int c = (unsigned char)*x->p, d;
        if (c == '_') { x->p++; continue; }  /* 0x1000_0000 */
        if (isdigit(c)) d = c - '0';
        else if (isxdigit(c)) d = 10 + tolower(c) - 'a';
        else break;
        if (d >= base) break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return expr_fail(x, start, "number too large");
        v = v * (uint64_t)base + (uint64_t)d;
        digits++;
        x->p++;
    }
    if (!digits) return expr_fail(x, start, "expected a number");
    if (x->p < x->e && is_ident((unsigned char)*x->p)) return expr_fail(x, x->p, "bad digit in number");
    if (v > (uint64_t)INT64_MAX) return expr_fail(x, start, "number too large");
    return (int64_t)v;
}

static int64_t expr_primary(expr *x) {
    if (x->st) return 0;
    if (x->p >= x->e) return expr_fail(x, x->p, "expected a value");
    char c = *x->p;
    if (c == '(') {
        x->p++;
        int64_t v = expr_add(x);
        if (x->st) return 0;
        if (x->p >= x->e || *x->p != ')') return expr_fail(x, x->p, "expected ')'");
        x->p++;
        return v;
    }
    if (c == '-') {
        x->p++;
        int64_t v = expr_primary(x);
        if (v == INT64_MIN) return expr_fail(x, x->p, "overflow");
        return -v;
    }
    if (c == '+') { x->p++; return expr_primary(x); }
    if (isdigit((unsigned char)c)) return expr_number(x);
    if (is_ident_start((unsigned char)c)) {
        const char *at = x->p;
        char name[ASM_NAME_MAX];
        if (!read_ident(&x->p, x->e, name)) return expr_fail(x, at, "name too long");
        const asm_equ *q = find_equ(x->s, name);
        if (!q) {
            if (!x->st) x->st = asm_err(x->s, at, "unknown name '%s' (define it with .equ)", name);
            return 0;
        }
        return q->value;
    }
    return expr_fail(x, x->p, "expected a number, a name or '('");
}

static int64_t expr_mul(expr *x) {
    int64_t v = expr_primary(x);
    while (!x->st && x->p < x->e && (*x->p == '*' || *x->p == '/' || *x->p == '%')) {
        char op = *x->p++;
        const char *at = x->p;
        int64_t r = expr_primary(x);
        if (x->st) return 0;
        if (op == '*') {
            if (__builtin_mul_overflow(v, r, &v)) return expr_fail(x, at, "overflow");
        } else {
            if (r == 0) return expr_fail(x, at, "division by zero");
            if (v == INT64_MIN && r == -1) return expr_fail(x, at, "overflow");
            v = op == '/' ? v / r : v % r;
        }
    }
    return v;
}

static int64_t expr_add(expr *x) {
    int64_t v = expr_mul(x);
    while (!x->st && x->p < x->e && (*x->p == '+' || *x->p == '-')) {
        char op = *x->p++;
        const char *at = x->p;
        int64_t r = expr_mul(x);
        if (x->st) return 0;
        if (op == '+' ? __builtin_add_overflow(v, r, &v) : __builtin_sub_overflow(v, r, &v))
            return expr_fail(x, at, "overflow");
    }
    return v;
}

/* Evaluates the whole token [p, e) as an integer expression. */
static ts_status eval_int(const asm_state *s, const char *p, const char *e, int64_t *out) {
    expr x = {s, p, e, TS_OK};
    int64_t v = expr_add(&x);
    if (!x.st && x.p < e) x.st = asm_err(s, x.p, "unexpected '%c' in expression", *x.p);
    *out = v;
    return x.st;
}

/* ---- field values --------------------------------------------------------- */

static int name_index(const char *const *names, int n, const char *tok, size_t len) {
    for (int i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len && !strncasecmp(names[i], tok, len)) return i;
    return -1;
}

/* A float literal: digits with '.', an exponent, inf or nan (not hex). */
static bool looks_float(const char *p, const char *e) {
    const char *q = p;
    if (q < e && (*q == '-' || *q == '+')) q++;
    if (e - q >= 3 && (!strncasecmp(q, "inf", 3) || !strncasecmp(q, "nan", 3))) return true;
    if (e - q >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) return false;
    if (q >= e || !(isdigit((unsigned char)*q) || *q == '.')) return false;
    for (; q < e; q++)
        if (*q == '.' || *q == 'e' || *q == 'E') return true;
    return false;
}

static ts_status read_float_bits(const asm_state *s, const char *p, const char *e, uint64_t *out) {
    char buf[ASM_TOKEN_MAX];
    size_t n = (size_t)(e - p);
    if (n >= sizeof buf) return asm_err(s, p, "value too long");
    memcpy(buf, p, n);
    buf[n] = 0;
    if (n && (buf[n - 1] == 'f' || buf[n - 1] == 'F') && strncasecmp(buf + (n > 3 ? n - 3 : 0), "inf", 3))
        buf[--n] = 0;  /* 1.5f */
    char *end;
    float f = strtof(buf, &end);
    if (end != buf + n || n == 0) return asm_err(s, p + (end - buf), "bad float literal");
    uint32_t bits;
    memcpy(&bits, &f, 4);
    *out = bits;
    return TS_OK;
}

/* Engine list "dma_in,vector" (or "none") into a mask. */
static ts_status read_engmask(const asm_state *s, const char *p, const char *e, uint64_t *out) {
    uint64_t m = 0;
    if ((size_t)(e - p) == 4 && !strncasecmp(p, "none", 4)) { *out = 0; return TS_OK; }
    while (p < e) {
        const char *q = p;
        while (q < e && *q != ',') q++;
        int eng = -1;
        for (int i = 0; i < ISA_ENGINES; i++)
            if ((size_t)(q - p) == strlen(isa_engine_name(i)) && !strncasecmp(p, isa_engine_name(i), (size_t)(q - p)))
                eng = i;
        if (eng < 0) return asm_err(s, p, "unknown engine '%.*s' (dma_in, matrix, vector, dma_out)", (int)(q - p), p);
        if (m & (1u << eng)) return asm_err(s, p, "engine '%s' listed twice", isa_engine_name(eng));
        m |= 1u << eng;
        p = q < e ? q + 1 : q;
        if (q < e && p == e) return asm_err(s, q, "trailing ','");
    }
    *out = m;
    return TS_OK;
}

/* Symbolic names for an enumerated field kind; n = 0 if none. */
static const char *const *kind_names(isa_field_kind k, unsigned op, int *n) {
    static const char *const dtypes[ISA_DT_COUNT] = {"int8", "int32", "bf16", "fp32", "uint8", "int16"};
    static const char *const mm[ISA_MM_COUNT] = {"int8", "bf16"};
    static const char *const spaces[2] = {"sram", "acc"};
    static const char *const bc[4] = {"full", "row", "col", "scalar"};
    static const char *const rq[ISA_RQ_COUNT] = {"per_tensor", "per_column"};
    static const char *const engines[ISA_ENGINES] = {"dma_in", "matrix", "vector", "dma_out"};
    static const char *acts[ISA_ACT_COUNT], *reds[ISA_RED_COUNT];
    for (int i = 0; i < ISA_ACT_COUNT; i++) acts[i] = isa_act_name((unsigned)i);
    for (int i = 0; i < ISA_RED_COUNT; i++) reds[i] = isa_reduce_name((unsigned)i);
    switch (k) {
    case ISA_K_DTYPE:  *n = ISA_DT_COUNT; return dtypes;
    case ISA_K_MMTYPE: *n = ISA_MM_COUNT; return mm;
    case ISA_K_SPACE:  *n = 2; return spaces;
    case ISA_K_BCAST:  *n = 4; return bc;
    case ISA_K_RQMODE: *n = ISA_RQ_COUNT; return rq;
    case ISA_K_ENGINE: *n = ISA_ENGINES; return engines;
    case ISA_K_FUNC:
        if (op == ISA_VACT) { *n = ISA_ACT_COUNT; return acts; }
        if (op == ISA_VREDUCE) { *n = ISA_RED_COUNT; return reds; }
        break;
    default: break;
    }
    *n = 0;
    return NULL;
}

/* Range check of an integer v for field fd; SINT fields also take negatives. */
static ts_status fit_field(const asm_state *s, const char *at, const isa_field_desc *fd, int64_t v, uint64_t *out) {
    uint64_t mask = fd->width == 64 ? ~0ull : (1ull << fd->width) - 1;
    bool neg_ok = fd->kind == ISA_K_SINT || fd->kind == ISA_K_IMM;
    int64_t lo = neg_ok ? -(int64_t)(1ull << (fd->width - 1)) : 0;
    if (fd->kind == ISA_K_SINT) mask >>= 1;  /* signed: -2^(w-1) .. 2^(w-1)-1 */
    if (v < lo || (v > 0 && (uint64_t)v > mask))
        return asm_err(s, at, "%s=%lld out of range (%lld..%llu)", fd->name, (long long)v, (long long)lo,
                       (unsigned long long)mask);
    *out = (uint64_t)v & (fd->width == 64 ? ~0ull : (1ull << fd->width) - 1);
    return TS_OK;
}

/* Is the whole token [p, e) the name of an .equ constant? */
static bool is_equ_token(const asm_state *s, const char *p, const char *e) {
    char nm[ASM_NAME_MAX];
    const char *q = p;
    return read_ident(&q, e, nm) && q == e && find_equ(s, nm);
}

static ts_status read_value(const asm_state *s, unsigned op, const isa_field_desc *fd, const char *p,
                            const char *e, uint64_t *out) {
    int n;
    const char *const *names = kind_names(fd->kind, op, &n);
    bool ident = is_ident_start((unsigned char)*p) && !is_equ_token(s, p, e);
    if (names && ident) {
        int i = name_index(names, n, p, (size_t)(e - p));
        if (i >= 0) { *out = (uint64_t)i; return TS_OK; }
        char list[256] = "";
        for (int j = 0; j < n; j++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", names[j]);
        return asm_err(s, p, "unknown %s '%.*s' (one of: %s)", fd->name, (int)(e - p), p, list);
    }
    if (fd->kind == ISA_K_FUNC && ident)
        return asm_err(s, p, "func names apply to VACT and VREDUCE only (%s takes func=0)", isa_op_info(op)->name);
    if (fd->kind == ISA_K_ENGMASK && ident) return read_engmask(s, p, e, out);
    if (fd->kind == ISA_K_IMM && looks_float(p, e)) return read_float_bits(s, p, e, out);
    int64_t v;
    ts_status st = eval_int(s, p, e, &v);
    if (st) return st;
    return fit_field(s, p, fd, v, out);
}

/* ---- lines ------------------------------------------------------------------ */

static ts_status do_directive(asm_state *s, const char *p, const char *e) {
    const char *at = p;
    char name[ASM_NAME_MAX];
    p++;
    if (!read_ident(&p, e, name)) return asm_err(s, at, "expected a directive name after '.'");
    p = skip_ws(p, e);
    if (!strcmp(name, "core")) {
        const char *v0 = p;
        while (p < e && !isspace((unsigned char)*p) && !is_comment(*p)) p++;
        if (v0 == p) return asm_err(s, v0, ".core needs a core number");
        int64_t c;
        ts_status st = eval_int(s, v0, p, &c);
        if (st) return st;
        if (c < 0 || c >= ISA_MAX_CORES) return asm_err(s, v0, "core %lld out of range 0..%d", (long long)c, ISA_MAX_CORES - 1);
        s->core = (int)c;
        if (s->core >= s->prog->n_cores) s->prog->n_cores = s->core + 1;
    } else if (!strcmp(name, "equ")) {
        const char *nat = p;
        char nm[ASM_NAME_MAX];
        if (!read_ident(&p, e, nm)) return asm_err(s, nat, ".equ needs a name");
        if (find_equ(s, nm)) return asm_err(s, nat, "'%s' is already defined", nm);
        p = skip_ws(p, e);
        if (p < e && *p == '=') p = skip_ws(p + 1, e);  /* .equ N = 5 reads too */
        const char *v0 = p;
        while (p < e && !isspace((unsigned char)*p) && !is_comment(*p)) p++;
        if (v0 == p) return asm_err(s, v0, ".equ %s needs a value", nm);
        int64_t v;
        ts_status st = eval_int(s, v0, p, &v);
        if (st) return st;
        if (s->n_equ == s->cap_equ) {
            int cap = s->cap_equ ? 2 * s->cap_equ : 16;
            asm_equ *n = ts_realloc(s->equ, (size_t)cap * sizeof *n);
            if (!n) return TS_ERR_NOMEM;
            s->equ = n;
            s->cap_equ = cap;
        }
        snprintf(s->equ[s->n_equ].name, ASM_NAME_MAX, "%s", nm);
        s->equ[s->n_equ++].value = v;
    } else {
        return asm_err(s, at, "unknown directive '.%s' (.core, .equ)", name);
    }
    p = skip_ws(p, e);
    if (!at_end(p, e)) return asm_err(s, p, "unexpected text after .%s", name);
    return TS_OK;
}

static ts_status do_instruction(asm_state *s, const char *p, const char *e) {
    const char *at = p;
    char name[ASM_NAME_MAX];
    if (!read_ident(&p, e, name)) return asm_err(s, at, "expected an instruction name");
    int code = isa_op_by_name(name);
    if (code < 0) return asm_err(s, at, "unknown instruction '%s'", name);
    const isa_op_desc *d = isa_op_info((unsigned)code);
    isa_inst in;
    memset(&in, 0, sizeof in);
    in.op = (isa_opcode)code;
    in.f[ISA_F_ALL_opcode] = (uint64_t)code;
    bool seen[ISA_FIELD_COUNT] = {false};
    for (;;) {
        p = skip_ws(p, e);
        if (at_end(p, e)) break;
        const char *kat = p;
        char key[ASM_NAME_MAX];
        if (!read_ident(&p, e, key)) return asm_err(s, kat, "expected key=value");
        int id = isa_field_by_name(d->format, key);
        if (id < 0 || id == ISA_F_ALL_opcode)
            return asm_err(s, kat, "%s has no field '%s'", d->name, key);
        if (seen[id]) return asm_err(s, kat, "field '%s' given twice", key);
        seen[id] = true;
        p = skip_ws(p, e);
        if (p >= e || *p != '=') return asm_err(s, p, "expected '=' after '%s'", key);
        p = skip_ws(p + 1, e);
        const char *v0 = p;
        while (p < e && !isspace((unsigned char)*p) && !is_comment(*p)) p++;
        if (v0 == p) return asm_err(s, v0, "missing value for '%s'", key);
        ts_status st = read_value(s, (unsigned)code, isa_field_info((isa_field_id)id), v0, p, &in.f[id]);
        if (st) return st;
    }
    if (isa_validate(&in) != TS_OK) {
        ts_error_prefix("%s:%d:%d: ", s->file, s->line, col_of(s, at));
        return TS_ERR_PARSE;
    }
    return isa_program_append(s->prog, s->core, &in);
}

static ts_status do_line(asm_state *s, const char *p, const char *e) {
    p = skip_ws(p, e);
    if (at_end(p, e)) return TS_OK;
    if (*p == '.') return do_directive(s, p, e);
    return do_instruction(s, p, e);
}

ts_status isa_assemble_buf(const char *text, size_t len, const char *filename, isa_program **out) {
    asm_state s;
    memset(&s, 0, sizeof s);
    s.file = filename ? filename : "<input>";
    *out = NULL;
    s.prog = isa_program_new(1);
    if (!s.prog) return TS_ERR_NOMEM;
    ts_status st = TS_OK;
    const char *p = text, *end = text + len;
    for (s.line = 1; p < end; s.line++) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        s.line_start = p;
        const char *nul = memchr(p, 0, (size_t)(e - p));
        if (nul) { st = asm_err(&s, nul, "NUL byte in text"); break; }
        if ((st = do_line(&s, p, e)) != TS_OK) break;
        p = e + 1;
    }
    ts_free(s.equ);
    if (st) { isa_program_free(s.prog); return st; }
    *out = s.prog;
    return TS_OK;
}

ts_status isa_assemble(const char *text, const char *filename, isa_program **out) {
    return isa_assemble_buf(text, strlen(text), filename, out);
}

ts_status isa_assemble_file(const char *path, isa_program **out) {
    uint8_t *data;
    size_t len;
    *out = NULL;
    ts_status st = ts_read_file(path, &data, &len);
    if (st) return st;
    st = isa_assemble_buf((const char *)data, len, path, out);
    ts_free(data);
    return st;
}

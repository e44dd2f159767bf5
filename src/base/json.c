/* json.c: a streaming JSON writer (commas, indentation and escaping). */
#include "base/base.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#define TS_JSON_MAX_DEPTH ((int)TS_ARRAY_LEN(((ts_json *)0)->need_comma))

void ts_json_init(ts_json *j, FILE *f, bool pretty) {
    *j = (ts_json){.f = f, .pretty = pretty};
}

static void ts_json_newline(ts_json *j) {
    if (!j->pretty) return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

/* Before any value or key: a comma if needed, and indentation. A value right
 * after a key needs neither. */
static void ts_json_pre(ts_json *j) {
    if (j->after_key) { j->after_key = false; return; }
    int d = j->depth < TS_JSON_MAX_DEPTH ? j->depth : TS_JSON_MAX_DEPTH - 1;
    if (j->need_comma[d]) fputc(',', j->f);
    j->need_comma[d] = true;
    if (j->depth > 0) ts_json_newline(j);
}

static void ts_json_open(ts_json *j, char c) {
    ts_json_pre(j);
    fputc(c, j->f);
    j->depth++;
    if (j->depth < TS_JSON_MAX_DEPTH) j->need_comma[j->depth] = false;
}

static void ts_json_close(ts_json *j, char c) {
    int d = j->depth < TS_JSON_MAX_DEPTH ? j->depth : TS_JSON_MAX_DEPTH - 1;
    bool had_items = j->need_comma[d];
    if (j->depth > 0) j->depth--;
    if (had_items) ts_json_newline(j);
    fputc(c, j->f);
}

void ts_json_begin_obj(ts_json *j) { ts_json_open(j, '{'); }
void ts_json_end_obj(ts_json *j) { ts_json_close(j, '}'); }
void ts_json_begin_arr(ts_json *j) { ts_json_open(j, '['); }
void ts_json_end_arr(ts_json *j) { ts_json_close(j, ']'); }

/* Quoted string with JSON escapes; bytes >= 0x80 pass through (UTF-8). */
static void ts_json_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

void ts_json_key(ts_json *j, const char *k) {
    ts_json_pre(j);
    ts_json_quoted(j->f, k);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = true;
}

void ts_json_str(ts_json *j, const char *s) { ts_json_pre(j); ts_json_quoted(j->f, s); }

void ts_json_int(ts_json *j, int64_t v) { ts_json_pre(j); fprintf(j->f, "%" PRId64, v); }

void ts_json_num(ts_json *j, double v) {
    ts_json_pre(j);
    if (!isfinite(v)) { fputs("null", j->f); return; }
    /* Shortest of %.15g / %.17g that reads back exactly. */
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, j->f);
}

void ts_json_bool(ts_json *j, bool v) { ts_json_pre(j); fputs(v ? "true" : "false", j->f); }

void ts_json_null(ts_json *j) { ts_json_pre(j); fputs("null", j->f); }

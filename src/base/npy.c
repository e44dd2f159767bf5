/* npy.c: NumPy .npy read and atomic write.
 *
 * Format: "\x93NUMPY", major, minor, header length (u16 LE for v1, u32 LE for
 * v2/v3), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and '\n' so the data starts on a 64-byte boundary.
 * Everything read is untrusted: every length is checked before use. */
#include "base/base.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAX_HEADER (1u << 20)   /* far above anything numpy writes */

typedef struct { const char *descr; ts_dtype dtype; } npy_descr;

/* numpy's spelling of each dtype on a little-endian machine; bfloat16 has none. */
static const npy_descr npy_descrs[] = {
    {"<f4", TS_F32}, {"<f2", TS_F16}, {"<f8", TS_F64}, {"|i1", TS_I8},
    {"|u1", TS_U8},  {"<i2", TS_I16}, {"<u2", TS_U16}, {"<i4", TS_I32},
    {"<u4", TS_U32}, {"<i8", TS_I64}, {"<u8", TS_U64}, {"|b1", TS_BOOL},
};

static const char *npy_descr_of(ts_dtype t) {
    for (size_t i = 0; i < TS_ARRAY_LEN(npy_descrs); i++)
        if (npy_descrs[i].dtype == t) return npy_descrs[i].descr;
    return NULL;
}

/* Maps a descr to a dtype; 1-byte types may carry any byte-order mark. */
static ts_status npy_dtype_of(const char *path, const char *d, ts_dtype *out) {
    size_t n = strlen(d);
    if (n == 3 && (d[0] == '<' || d[0] == '|' || d[0] == '=') ) {
        for (size_t i = 0; i < TS_ARRAY_LEN(npy_descrs); i++) {
            const char *c = npy_descrs[i].descr;
            bool one_byte = c[0] == '|';
            if (strcmp(c + 1, d + 1) == 0 && (one_byte || d[0] != '|')) {
                *out = npy_descrs[i].dtype;
                return TS_OK;
            }
        }
    }
    if (n == 3 && d[0] == '>' && d[2] != '1')
        return ts_error(TS_ERR_UNSUPPORTED,
                        "%s: big-endian dtype '%s' is not supported (save little-endian)",
                        path, d);
    if (n == 3 && d[0] == '>') return npy_dtype_of(path, (char[]){'|', d[1], d[2], 0}, out);
    return ts_error(TS_ERR_UNSUPPORTED, "%s: unsupported .npy dtype '%s'", path, d);
}

/* ---- header dict parser ------------------------------------------------- */

typedef struct {
    const char *p, *end, *path;
    char descr[32];
    int fortran;          /* -1 unset */
    int rank;             /* -1 unset */
    int64_t dims[TS_MAX_RANK];
} npy_hdr;

static void npy_ws(npy_hdr *h) {
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static bool npy_eat(npy_hdr *h, char c) {
    npy_ws(h);
    if (h->p < h->end && *h->p == c) { h->p++; return true; }
    return false;
}

static ts_status npy_bad(npy_hdr *h, const char *what) {
    return ts_error(TS_ERR_PARSE, "%s: bad .npy header: %s", h->path, what);
}

/* A quoted Python string without escapes into buf. */
static ts_status npy_string(npy_hdr *h, char *buf, size_t n) {
    npy_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return npy_bad(h, "expected a string");
    char q = *h->p++;
    size_t len = 0;
    while (h->p < h->end && *h->p != q) {
        if (len + 1 >= n) return npy_bad(h, "string too long");
        buf[len++] = *h->p++;
    }
    if (h->p >= h->end) return npy_bad(h, "unterminated string");
    h->p++;
    buf[len] = '\0';
    return TS_OK;
}

static ts_status npy_bool(npy_hdr *h) {
    npy_ws(h);
    size_t left = (size_t)(h->end - h->p);
    if (left >= 4 && memcmp(h->p, "True", 4) == 0) { h->p += 4; h->fortran = 1; return TS_OK; }
    if (left >= 5 && memcmp(h->p, "False", 5) == 0) { h->p += 5; h->fortran = 0; return TS_OK; }
    return npy_bad(h, "'fortran_order' must be True or False");
}

static ts_status npy_int(npy_hdr *h, int64_t *v) {
    npy_ws(h);
    if (h->p >= h->end || *h->p < '0' || *h->p > '9') return npy_bad(h, "expected a dimension");
    int64_t x = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        int d = *h->p++ - '0';
        if (x > (INT64_MAX - d) / 10) return npy_bad(h, "dimension too large");
        x = x * 10 + d;
    }
    if (h->p < h->end && *h->p == 'L') h->p++;   /* Python 2 long suffix */
    *v = x;
    return TS_OK;
}

/* '(' [dim (',' dim)* [',']] ')' */
static ts_status npy_shape(npy_hdr *h) {
    if (!npy_eat(h, '(')) return npy_bad(h, "'shape' must be a tuple");
    h->rank = 0;
    if (npy_eat(h, ')')) return TS_OK;
    for (;;) {
        if (h->rank >= TS_MAX_RANK)
            return ts_error(TS_ERR_UNSUPPORTED, "%s: .npy rank above %d", h->path, TS_MAX_RANK);
        ts_status st = npy_int(h, &h->dims[h->rank]);
        if (st) return st;
        h->rank++;
        bool comma = npy_eat(h, ',');
        if (npy_eat(h, ')')) return TS_OK;
        if (!comma) return npy_bad(h, "expected ',' or ')' in 'shape'");
    }
}

static ts_status npy_entry(npy_hdr *h) {
    char key[32];
    ts_status st = npy_string(h, key, sizeof key);
    if (st) return st;
    if (!npy_eat(h, ':')) return npy_bad(h, "expected ':'");
    if (strcmp(key, "descr") == 0) return npy_string(h, h->descr, sizeof h->descr);
    if (strcmp(key, "fortran_order") == 0) return npy_bool(h);
    if (strcmp(key, "shape") == 0) return npy_shape(h);
    return ts_error(TS_ERR_PARSE, "%s: bad .npy header: unknown key '%s'", h->path, key);
}

static ts_status npy_dict(npy_hdr *h) {
    if (!npy_eat(h, '{')) return npy_bad(h, "expected '{'");
    while (!npy_eat(h, '}')) {
        ts_status st = npy_entry(h);
        if (st) return st;
        if (!npy_eat(h, ',')) {
            if (npy_eat(h, '}')) break;
            return npy_bad(h, "expected ',' or '}'");
        }
    }
    if (!h->descr[0] || h->fortran < 0 || h->rank < 0)
        return npy_bad(h, "missing 'descr', 'fortran_order' or 'shape'");
    return TS_OK;
}

/* ---- read --------------------------------------------------------------- */

/* Reads the preamble and header text; *data_off = where the array starts. */
static ts_status npy_read_header(FILE *f, const char *path, npy_hdr *h, char **text,
                                 long *data_off) {
    uint8_t pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return ts_error(TS_ERR_PARSE, "%s: not a .npy file (bad magic)", path);
    uint32_t major = pre[6], hlen, off = 10;
    if (major == 1) {
        hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return ts_error(TS_ERR_PARSE, "%s: truncated .npy header", path);
        hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
               (uint32_t)pre[11] << 24;
        off = 12;
    } else {
        return ts_error(TS_ERR_UNSUPPORTED, "%s: .npy version %u is not supported", path, major);
    }
    if (hlen > NPY_MAX_HEADER)
        return ts_error(TS_ERR_PARSE, "%s: .npy header length %u too large", path, hlen);
    *text = ts_malloc(hlen + 1);
    if (!*text) { ts_error_prefix("%s: ", path); return TS_ERR_NOMEM; }
    if (fread(*text, 1, hlen, f) != hlen)
        return ts_error(TS_ERR_PARSE, "%s: truncated .npy header", path);
    (*text)[hlen] = '\0';
    *h = (npy_hdr){.p = *text, .end = *text + hlen, .path = path, .fortran = -1, .rank = -1};
    *data_off = (long)(off + hlen);
    return npy_dict(h);
}

static ts_status npy_read_file(FILE *f, const char *path, ts_tensor **out) {
    npy_hdr h;
    char *text = NULL;
    long off = 0;
    ts_dtype dt = TS_UNDEFINED;
    ts_status st = npy_read_header(f, path, &h, &text, &off);
    if (!st) st = npy_dtype_of(path, h.descr, &dt);
    ts_free(text);
    if (st) return st;
    if (h.fortran)
        return ts_error(TS_ERR_UNSUPPORTED,
                        "%s: Fortran-order .npy arrays are not supported (save C order)", path);
    int64_t n = ts_shape_numel(h.rank, h.dims);
    struct stat sb;
    if (n < 0 || (uint64_t)n > (uint64_t)INT64_MAX / ts_dtype_size(dt))
        return ts_error(TS_ERR_PARSE, "%s: .npy shape too large", path);
    uint64_t need = (uint64_t)n * ts_dtype_size(dt);
    /* Check the size before allocating, so a lying header cannot ask for terabytes. */
    if (fstat(fileno(f), &sb) != 0 || (uint64_t)sb.st_size < (uint64_t)off ||
        (uint64_t)sb.st_size - (uint64_t)off < need)
        return ts_error(TS_ERR_PARSE, "%s: truncated .npy data: need %llu bytes after header",
                        path, (unsigned long long)need);
    ts_tensor *t = ts_tensor_new(dt, h.rank, h.dims);
    if (!t) { ts_error_prefix("%s: ", path); return TS_ERR_NOMEM; }
    if (need && fread(t->data, 1, (size_t)need, f) != need) {
        ts_tensor_free(t);
        return ts_error(TS_ERR_IO, "%s: read failed or truncated .npy data", path);
    }
    *out = t;
    return TS_OK;
}

ts_status ts_npy_read(const char *path, ts_tensor **out) {
    *out = NULL;
    FILE *f = ts_open_regular(path);
    if (!f) return TS_ERR_IO;
    ts_status st = npy_read_file(f, path, out);
    fclose(f);
    return st;
}

/* ---- write -------------------------------------------------------------- */

/* Header text, padded so that preamble + header is a multiple of 64. */
static size_t npy_format_header(const ts_tensor *t, const char *descr, char *buf,
                                size_t cap, int *version) {
    int n = snprintf(buf, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->rank; i++)
        n += snprintf(buf + n, cap - (size_t)n, "%lld%s", (long long)t->dims[i],
                      t->rank == 1 ? "," : (i + 1 < t->rank ? ", " : ""));
    n += snprintf(buf + n, cap - (size_t)n, "), }");
    size_t len = (size_t)n + 1;                 /* + '\n' */
    *version = len + 10 > 65535 ? 2 : 1;
    size_t pre = *version == 1 ? 10 : 12;
    size_t total = (pre + len + 63) / 64 * 64;
    memset(buf + n, ' ', total - pre - len);
    buf[total - pre - 1] = '\n';
    return total - pre;
}

static ts_status npy_write_stream(FILE *f, const char *path, const ts_tensor *t,
                                  const char *descr) {
    char hdr[512];
    int version;
    size_t hlen = npy_format_header(t, descr, hdr, sizeof hdr, &version);
    uint8_t pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)version, 0,
                       (uint8_t)hlen, (uint8_t)(hlen >> 8), 0, 0};
    size_t plen = version == 1 ? 10 : 12;
    size_t nb = ts_tensor_nbytes(t);
    if (fwrite(pre, 1, plen, f) != plen || fwrite(hdr, 1, hlen, f) != hlen ||
        (nb && fwrite(t->data, 1, nb, f) != nb) || fflush(f) != 0)
        return ts_error(TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return TS_OK;
}

typedef struct { const char *path; const ts_tensor *t; const char *descr; } npy_job;

static ts_status npy_write_job(FILE *f, void *ctx) {
    const npy_job *j = ctx;
    return npy_write_stream(f, j->path, j->t, j->descr);
}

ts_status ts_npy_write(const char *path, const ts_tensor *t) {
    const char *descr = npy_descr_of(t->dtype);
    if (!descr)
        return ts_error(TS_ERR_UNSUPPORTED, "%s: dtype %s has no .npy equivalent", path,
                        ts_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > TS_MAX_RANK || ts_tensor_numel(t) < 0)
        return ts_error(TS_ERR_INVALID, "%s: tensor has an invalid shape", path);
    npy_job job = {path, t, descr};
    return ts_write_atomic(path, npy_write_job, &job, true);
}

/*
 * program.c: isa_program in memory and the .bin container on disk.
 *
 * File layout (all little-endian, see docs/isa.md "Program file"):
 *   header, ISA_FILE_HEADER_BYTES = 320 bytes (struct isa_file_header)
 *   instructions of core 0, then core 1, ..., 32 bytes each
 * The CRC-32 covers the whole file with the crc field read as zero, so a
 * flipped bit anywhere is caught before any instruction is trusted.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isa/isa.h"

/* Documents the layout; the code (de)serializes field by field so the bytes
 * do not depend on the host's endianness or struct padding. */
struct isa_file_header {
    uint8_t  magic[8];       /* "TSRPROG\0" */
    uint32_t version;        /* ISA_FILE_VERSION */
    uint32_t header_bytes;   /* 320 */
    uint32_t inst_bytes;     /* 32 */
    uint32_t n_cores;        /* 1..ISA_MAX_CORES */
    uint32_t crc32;          /* CRC-32 (IEEE) of the file with this field zero */
    uint32_t reserved0;      /* 0 */
    uint64_t total_inst;     /* sum of n_inst */
    uint32_t n_inst[ISA_MAX_CORES]; /* per core; 0 for cores >= n_cores */
    uint8_t  reserved[24];   /* 0 */
};
_Static_assert(sizeof(struct isa_file_header) == ISA_FILE_HEADER_BYTES, "header is 320 bytes");
_Static_assert(offsetof(struct isa_file_header, crc32) == 24, "crc at 24");
_Static_assert(offsetof(struct isa_file_header, total_inst) == 32, "total at 32");
_Static_assert(offsetof(struct isa_file_header, n_inst) == 40, "counts at 40");
_Static_assert(offsetof(struct isa_file_header, reserved) == 296, "reserved at 296");
_Static_assert(ISA_INST_BYTES == 32, "instructions are 32 bytes");

enum { OFF_VERSION = 8, OFF_HDR = 12, OFF_INSTB = 16, OFF_CORES = 20, OFF_CRC = 24,
       OFF_RES0 = 28, OFF_TOTAL = 32, OFF_COUNTS = 40, OFF_RES = 296 };

/* ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) --------------- */

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
    if (!crc_table[1]) crc_init();  /* idempotent: racing threads write equal values */
    for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

/* CRC of the file image with its crc field taken as zero. */
static uint32_t file_crc(const uint8_t *data, size_t len) {
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t c = crc_update(0xffffffffu, data, OFF_CRC);
    c = crc_update(c, zero, 4);
    c = crc_update(c, data + OFF_CRC + 4, len - OFF_CRC - 4);
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* ---- in memory ----------------------------------------------------------- */

isa_program *isa_program_new(int n_cores) {
    if (n_cores < 1 || n_cores > ISA_MAX_CORES) {
        ts_error(TS_ERR_INVALID, "program: %d cores (must be 1..%d)", n_cores, ISA_MAX_CORES);
        return NULL;
    }
    isa_program *p = ts_calloc(1, sizeof *p);
    if (p) p->n_cores = n_cores;
    return p;
}

void isa_program_free(isa_program *p) {
    if (!p) return;
    for (int c = 0; c < ISA_MAX_CORES; c++) ts_free(p->inst[c]);
    ts_free(p);
}

ts_status isa_program_append(isa_program *p, int core, const isa_inst *in) {
    if (core < 0 || core >= ISA_MAX_CORES)
        return ts_error(TS_ERR_INVALID, "core %d out of range 0..%d", core, ISA_MAX_CORES - 1);
    if (p->n_inst[core] >= (int)ISA_MAX_INST_PER_CORE)
        return ts_error(TS_ERR_RANGE, "core %d: more than %u instructions", core, ISA_MAX_INST_PER_CORE);
    if (p->n_inst[core] == p->cap[core]) {
        int cap = p->cap[core] ? 2 * p->cap[core] : 64;
        isa_inst *n = ts_realloc(p->inst[core], (size_t)cap * sizeof *n);
        if (!n) return TS_ERR_NOMEM;
        p->inst[core] = n;
        p->cap[core] = cap;
    }
    p->inst[core][p->n_inst[core]++] = *in;
    if (core >= p->n_cores) p->n_cores = core + 1;
    return TS_OK;
}

/* ---- serialization ------------------------------------------------------- */

ts_status isa_program_write(const isa_program *p, uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    if (p->n_cores < 1 || p->n_cores > ISA_MAX_CORES)
        return ts_error(TS_ERR_INVALID, "program: %d cores (must be 1..%d)", p->n_cores, ISA_MAX_CORES);
    uint64_t total = 0;
    for (int c = 0; c < p->n_cores; c++) total += (uint64_t)p->n_inst[c];
    size_t n = ISA_FILE_HEADER_BYTES + (size_t)total * ISA_INST_BYTES;
    uint8_t *b = ts_calloc(1, n);
    if (!b) return TS_ERR_NOMEM;
    memcpy(b, ISA_FILE_MAGIC, 8);
    put32(b + OFF_VERSION, ISA_FILE_VERSION);
    put32(b + OFF_HDR, ISA_FILE_HEADER_BYTES);
    put32(b + OFF_INSTB, ISA_INST_BYTES);
    put32(b + OFF_CORES, (uint32_t)p->n_cores);
    put64(b + OFF_TOTAL, total);
    uint8_t *q = b + ISA_FILE_HEADER_BYTES;
    for (int c = 0; c < p->n_cores; c++) {
        put32(b + OFF_COUNTS + 4 * c, (uint32_t)p->n_inst[c]);
        for (int i = 0; i < p->n_inst[c]; i++, q += ISA_INST_BYTES) {
            if (isa_validate(&p->inst[c][i]) != TS_OK) {
                ts_error_prefix("core %d, instruction %d: ", c, i);
                ts_free(b);
                return TS_ERR_INVALID;
            }
            isa_encode(&p->inst[c][i], q);
        }
    }
    put32(b + OFF_CRC, file_crc(b, n));
    *data = b;
    *len = n;
    return TS_OK;
}

/* Checks every header field; on success *total is the instruction count. */
static ts_status check_header(const uint8_t *d, size_t len, const char *name, uint64_t *total) {
    if (len < ISA_FILE_HEADER_BYTES)
        return ts_error(TS_ERR_PARSE, "%s: truncated: %zu bytes, a program header is %d", name, len,
                        ISA_FILE_HEADER_BYTES);
    if (memcmp(d, ISA_FILE_MAGIC, 8))
        return ts_error(TS_ERR_PARSE, "%s: not a Tessera program (bad magic)", name);
    if (get32(d + OFF_VERSION) != ISA_FILE_VERSION)
        return ts_error(TS_ERR_PARSE, "%s: program version %u, this build reads version %d", name,
                        get32(d + OFF_VERSION), ISA_FILE_VERSION);
    if (get32(d + OFF_HDR) != ISA_FILE_HEADER_BYTES || get32(d + OFF_INSTB) != ISA_INST_BYTES)
        return ts_error(TS_ERR_PARSE, "%s: header size %u / instruction size %u (expected %d / %d)", name,
                        get32(d + OFF_HDR), get32(d + OFF_INSTB), ISA_FILE_HEADER_BYTES, ISA_INST_BYTES);
    uint32_t cores = get32(d + OFF_CORES);
    if (cores < 1 || cores > ISA_MAX_CORES)
        return ts_error(TS_ERR_PARSE, "%s: %u cores (must be 1..%d)", name, cores, ISA_MAX_CORES);
    uint64_t sum = 0;
    for (uint32_t c = 0; c < ISA_MAX_CORES; c++) {
        uint32_t n = get32(d + OFF_COUNTS + 4 * c);
        if (c >= cores && n)
            return ts_error(TS_ERR_PARSE, "%s: core %u has %u instructions but the file has %u cores", name, c, n, cores);
        if (n > ISA_MAX_INST_PER_CORE)
            return ts_error(TS_ERR_PARSE, "%s: core %u: %u instructions (limit %u)", name, c, n, ISA_MAX_INST_PER_CORE);
        sum += n;
    }
    if (get64(d + OFF_TOTAL) != sum)
        return ts_error(TS_ERR_PARSE, "%s: header total %llu != sum of per-core counts %llu", name,
                        (unsigned long long)get64(d + OFF_TOTAL), (unsigned long long)sum);
    if (get32(d + OFF_RES0)) return ts_error(TS_ERR_PARSE, "%s: reserved header field is not zero", name);
    for (int i = OFF_RES; i < ISA_FILE_HEADER_BYTES; i++)
        if (d[i]) return ts_error(TS_ERR_PARSE, "%s: reserved header byte %d is not zero", name, i);
    uint64_t want = ISA_FILE_HEADER_BYTES + sum * ISA_INST_BYTES;
    if ((uint64_t)len != want)
        return ts_error(TS_ERR_PARSE, "%s: %s: %zu bytes, header promises %llu", name,
                        (uint64_t)len < want ? "truncated" : "trailing bytes", len, (unsigned long long)want);
    uint32_t crc = file_crc(d, len);
    if (crc != get32(d + OFF_CRC))
        return ts_error(TS_ERR_PARSE, "%s: checksum mismatch (file says 0x%08x, contents give 0x%08x)",
                        name, get32(d + OFF_CRC), crc);
    *total = sum;
    return TS_OK;
}

ts_status isa_program_read(const uint8_t *d, size_t len, const char *name, isa_program **out) {
    uint64_t total;
    *out = NULL;
    if (!name) name = "program";
    ts_status st = check_header(d, len, name, &total);
    if (st) return st;
    isa_program *p = isa_program_new((int)get32(d + OFF_CORES));
    if (!p) return TS_ERR_NOMEM;
    const uint8_t *q = d + ISA_FILE_HEADER_BYTES;
    for (int c = 0; c < p->n_cores; c++) {
        int n = (int)get32(d + OFF_COUNTS + 4 * c);
        if (n) {
            p->inst[c] = ts_malloc((size_t)n * sizeof(isa_inst));
            if (!p->inst[c]) { isa_program_free(p); return TS_ERR_NOMEM; }
            p->cap[c] = n;
        }
        for (int i = 0; i < n; i++, q += ISA_INST_BYTES) {
            if ((st = isa_decode(q, &p->inst[c][i])) != TS_OK) {
                ts_error_prefix("%s: core %d, instruction %d: ", name, c, i);
                isa_program_free(p);
                return st;
            }
        }
        p->n_inst[c] = n;
    }
    *out = p;
    return TS_OK;
}

ts_status isa_program_load(const char *path, isa_program **out) {
    uint8_t *data;
    size_t len;
    *out = NULL;
    ts_status st = ts_read_file(path, &data, &len);
    if (st) return st;
    st = isa_program_read(data, len, path, out);
    ts_free(data);
    return st;
}

typedef struct { const uint8_t *data; size_t len; } program_bytes;

/* A short fwrite sets the stream's error flag, which ts_write_atomic reports. */
static ts_status program_write_job(FILE *f, void *ctx) {
    const program_bytes *b = ctx;
    fwrite(b->data, 1, b->len, f);
    return TS_OK;
}

/* Atomic (ts_write_atomic): readers never see a partial program, and a
 * failure leaves no file behind. */
ts_status isa_program_save(const char *path, const isa_program *p) {
    program_bytes b;
    uint8_t *data;
    ts_status st = isa_program_write(p, &data, &b.len);
    if (st) { ts_error_prefix("%s: ", path); return st; }
    b.data = data;
    st = ts_write_atomic(path, program_write_job, &b, true);
    ts_free(data);
    return st;
}

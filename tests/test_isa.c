/*
 * test_isa: the instruction set's tables, encoder and decoder, the program
 * container, the assembler and the disassembler. Random valid instructions
 * of every opcode round-trip through bytes and through text; garbage,
 * corrupted and truncated inputs are rejected with messages, never a crash.
 */
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "isa/isa.h"

static uint64_t fmask(const isa_field_desc *fd) { return fd->width == 64 ? ~0ull : (1ull << fd->width) - 1; }

/* A defined value for every enumerated kind, random bits for the rest. */
static uint64_t rand_field(unsigned op, const isa_field_desc *fd) {
    switch (fd->kind) {
    case ISA_K_DTYPE: return (uint64_t)th_rand_int(0, ISA_DT_COUNT - 1);
    case ISA_K_MMTYPE: return (uint64_t)th_rand_int(0, ISA_MM_COUNT - 1);
    case ISA_K_RQMODE: return (uint64_t)th_rand_int(0, ISA_RQ_COUNT - 1);
    case ISA_K_FUNC:
        if (op == ISA_VACT) return (uint64_t)th_rand_int(0, ISA_ACT_COUNT - 1);
        if (op == ISA_VREDUCE) return (uint64_t)th_rand_int(0, ISA_RED_COUNT - 1);
        return 0;
    default: {
        uint64_t v = th_rand_u64() & fmask(fd);
        if (th_rand_int(0, 3) == 0) v &= 0xff;  /* small values too */
        if (th_rand_int(0, 5) == 0) v = 0;
        return v;
    }
    }
}

static int all_opcodes(int *codes) {
    int n = 0;
    for (int c = 0; c < 256; c++)
        if (isa_op_info((unsigned)c)) codes[n++] = c;
    return n;
}

static isa_inst rand_inst(unsigned code) {
    isa_inst in;
    memset(&in, 0, sizeof in);
    in.op = (isa_opcode)code;
    in.f[ISA_F_ALL_opcode] = code;
    isa_format fmt = isa_op_info(code)->format;
    for (int i = 0; i < ISA_FIELD_COUNT; i++)
        if (i != ISA_F_ALL_opcode && isa_field_in_format((isa_field_id)i, fmt))
            in.f[i] = rand_field(code, isa_field_info((isa_field_id)i));
    return in;
}

TEST(tables_consistent) {
    int codes[256], n = all_opcodes(codes);
    CHECK(n >= 17);
    for (int f = ISA_FMT_SYS; f < ISA_FMT_COUNT; f++) {
        uint64_t used[4] = {0, 0, 0, 0};
        for (int i = 0; i < ISA_FIELD_COUNT; i++) {
            const isa_field_desc *fd = isa_field_info((isa_field_id)i);
            if (!isa_field_in_format((isa_field_id)i, (isa_format)f)) continue;
            CHECK(fd->word >= 0 && fd->word < 4 && fd->lo + fd->width <= 64);
            uint64_t m = fmask(fd) << fd->lo;
            CHECK_MSG(!(used[fd->word] & m), "format %s: field %s overlaps another", isa_format_name((isa_format)f), fd->name);
            used[fd->word] |= m;
            CHECK(isa_field_by_name((isa_format)f, fd->name) == i);
        }
    }
    for (int i = 0; i < n; i++) {
        const isa_op_desc *d = isa_op_info((unsigned)codes[i]);
        CHECK(isa_op_by_name(d->name) == codes[i]);
        CHECK(d->format != ISA_FMT_ALL);
    }
    CHECK(isa_op_by_name("matmul") == ISA_MATMUL);
    CHECK(isa_op_by_name("FOO") == -1);
}

TEST(encode_decode_round_trip) {
    int codes[256], n = all_opcodes(codes);
    for (int i = 0; i < n; i++)
        for (int it = 0; it < 200; it++) {
            isa_inst in = rand_inst((unsigned)codes[i]), out;
            uint8_t b[ISA_INST_BYTES], b2[ISA_INST_BYTES];
            CHECK(isa_validate(&in) == TS_OK);
            isa_encode(&in, b);
            CHECK(b[0] == codes[i]);
            CHECK_MSG(isa_decode(b, &out) == TS_OK, "%s", ts_last_error());
            CHECK(out.op == in.op && !memcmp(out.f, in.f, sizeof in.f));
            isa_encode(&out, b2);
            CHECK(!memcmp(b, b2, sizeof b));
        }
}

TEST(encoding_is_little_endian_shift_mask) {
    isa_inst in;
    memset(&in, 0, sizeof in);
    in.op = ISA_MATMUL;
    in.f[ISA_F_MM_m] = 0x1234;      /* w2 bits 0..15 */
    in.f[ISA_F_MM_b] = 0xdeadbeef;  /* w1 bits 0..31 */
    in.f[ISA_F_ALL_signal] = 0x4;   /* w0 bits 12..15 */
    uint8_t b[ISA_INST_BYTES];
    isa_encode(&in, b);
    CHECK(b[0] == 0x20 && b[1] == 0x40);
    CHECK(b[8] == 0xef && b[9] == 0xbe && b[10] == 0xad && b[11] == 0xde);
    CHECK(b[16] == 0x34 && b[17] == 0x12);
}

TEST(decode_rejects_garbage) {
    uint8_t b[ISA_INST_BYTES];
    isa_inst out;
    for (int c = 0; c < 256; c++) {
        memset(b, 0, sizeof b);
        b[0] = (uint8_t)c;
        CHECK((isa_decode(b, &out) == TS_OK) == (isa_op_info((unsigned)c) != NULL));
    }
    int codes[256], n = all_opcodes(codes);
    for (int i = 0; i < n; i++) {
        /* every bit outside the format's fields is rejected */
        isa_inst in = rand_inst((unsigned)codes[i]);
        isa_encode(&in, b);
        uint64_t used[4] = {0xffff, 0, 0, 0};
        isa_format fmt = isa_op_info((unsigned)codes[i])->format;
        for (int f = 0; f < ISA_FIELD_COUNT; f++)
            if (isa_field_in_format((isa_field_id)f, fmt)) {
                const isa_field_desc *fd = isa_field_info((isa_field_id)f);
                used[fd->word] |= fmask(fd) << fd->lo;
            }
        for (int bit = 0; bit < 256; bit++) {
            if (used[bit / 64] >> (bit % 64) & 1) continue;
            uint8_t c[ISA_INST_BYTES];
            memcpy(c, b, sizeof c);
            c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK_MSG(isa_decode(c, &out) == TS_ERR_PARSE, "%s: stray bit %d accepted", isa_op_info((unsigned)codes[i])->name, bit);
        }
    }
    /* undefined enumerated values */
    isa_inst in;
    memset(&in, 0, sizeof in);
    in.op = ISA_VACT;
    in.f[ISA_F_VEC_func] = ISA_ACT_COUNT;
    CHECK(isa_validate(&in) == TS_ERR_INVALID);
    isa_encode(&in, b);
    CHECK(isa_decode(b, &out) == TS_ERR_PARSE);
    CHECK(strstr(ts_last_error(), "func") != NULL);
    in.f[ISA_F_VEC_func] = 0;
    in.f[ISA_F_VEC_dtype] = 9;
    isa_encode(&in, b);
    CHECK(isa_decode(b, &out) == TS_ERR_PARSE);
    in.f[ISA_F_VEC_dtype] = 0;
    in.op = ISA_VADD;
    in.f[ISA_F_VEC_func] = 1;  /* func must be 0 outside VACT/VREDUCE */
    isa_encode(&in, b);
    CHECK(isa_decode(b, &out) == TS_ERR_PARSE);
    memset(&in, 0, sizeof in);
    in.op = ISA_MATMUL;
    in.f[ISA_F_MM_dtype] = 2;
    isa_encode(&in, b);
    CHECK(isa_decode(b, &out) == TS_ERR_PARSE);
    /* validate: too wide, and a field of another format */
    in.f[ISA_F_MM_dtype] = 0;
    in.f[ISA_F_MM_m] = 1u << 16;
    CHECK(isa_validate(&in) == TS_ERR_INVALID);
    in.f[ISA_F_MM_m] = 1;
    in.f[ISA_F_DMA_rows] = 1;
    CHECK(isa_validate(&in) == TS_ERR_INVALID);
    for (int it = 0; it < 20000; it++) {  /* random words: never a crash */
        for (int i = 0; i < ISA_INST_BYTES; i++) b[i] = (uint8_t)th_rand_u64();
        if (isa_decode(b, &out) == TS_OK) {
            uint8_t c[ISA_INST_BYTES];
            isa_encode(&out, c);
            CHECK(!memcmp(b, c, sizeof b));
        }
    }
}

static isa_program *rand_program(void) {
    int codes[256], n = all_opcodes(codes);
    isa_program *p = isa_program_new(th_rand_int(1, 5));
    for (int c = 0; c < p->n_cores; c++) {
        int ni = th_rand_int(0, 40);
        for (int i = 0; i < ni; i++) {
            isa_inst in = rand_inst((unsigned)codes[th_rand_int(0, n - 1)]);
            CHECK(isa_program_append(p, c, &in) == TS_OK);
        }
    }
    return p;
}

static bool programs_equal(const isa_program *a, const isa_program *b) {
    if (a->n_cores != b->n_cores) return false;
    for (int c = 0; c < a->n_cores; c++) {
        if (a->n_inst[c] != b->n_inst[c]) return false;
        for (int i = 0; i < a->n_inst[c]; i++)
            if (a->inst[c][i].op != b->inst[c][i].op || memcmp(a->inst[c][i].f, b->inst[c][i].f, sizeof a->inst[c][i].f))
                return false;
    }
    return true;
}

TEST(program_write_read_round_trip) {
    for (int it = 0; it < 50; it++) {
        isa_program *p = rand_program(), *q;
        uint8_t *data;
        size_t len;
        CHECK(isa_program_write(p, &data, &len) == TS_OK);
        CHECK(len == ISA_FILE_HEADER_BYTES + 32 * (size_t)(p->n_inst[0] + p->n_inst[1] + p->n_inst[2] + p->n_inst[3] + p->n_inst[4]));
        CHECK(!memcmp(data, "TSRPROG", 8));
        CHECK_MSG(isa_program_read(data, len, "mem", &q) == TS_OK, "%s", ts_last_error());
        CHECK(q && programs_equal(p, q));
        isa_program_free(q);
        ts_free(data);
        isa_program_free(p);
    }
}

TEST(program_save_load_file) {
    char path[] = "/tmp/tessera_test_isa_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    isa_program *p = rand_program(), *q = NULL;
    CHECK(isa_program_save(path, p) == TS_OK);
    CHECK_MSG(isa_program_load(path, &q) == TS_OK, "%s", ts_last_error());
    CHECK(q && programs_equal(p, q));
    isa_program_free(q);
    /* an invalid program is not saved, and the old file stays whole */
    p->inst[0] = ts_realloc(p->inst[0], (size_t)(p->n_inst[0] + 1) * sizeof(isa_inst));
    p->cap[0] = p->n_inst[0] + 1;
    memset(&p->inst[0][p->n_inst[0]], 0, sizeof(isa_inst));
    p->inst[0][p->n_inst[0]].op = ISA_MATMUL;
    p->inst[0][p->n_inst[0]++].f[ISA_F_MM_dtype] = 3;
    CHECK(isa_program_save(path, p) == TS_ERR_INVALID);
    CHECK(strstr(ts_last_error(), "instruction") != NULL);
    CHECK(isa_program_load(path, &q) == TS_OK);
    isa_program_free(q);
    isa_program_free(p);
    unlink(path);
    CHECK(isa_program_load(path, &q) == TS_ERR_IO);
    CHECK(strstr(ts_last_error(), path) != NULL);
}

TEST(program_rejects_corruption_and_truncation) {
    isa_program *p = rand_program(), *q;
    uint8_t *data;
    size_t len;
    CHECK(isa_program_write(p, &data, &len) == TS_OK);
    uint8_t *copy = malloc(len);
    for (int it = 0; it < 300; it++) {  /* any single flipped bit is caught */
        memcpy(copy, data, len);
        size_t at = (size_t)th_rand_u64() % len;
        copy[at] ^= (uint8_t)(1u << th_rand_int(0, 7));
        CHECK_MSG(isa_program_read(copy, len, "bad.bin", &q) == TS_ERR_PARSE, "flip at %zu accepted", at);
        CHECK(strstr(ts_last_error(), "bad.bin") != NULL);
    }
    for (size_t n = 0; n < len; n += 1 + (size_t)th_rand_int(0, 40)) {
        CHECK(isa_program_read(data, n, "short.bin", &q) == TS_ERR_PARSE);
        CHECK(strstr(ts_last_error(), "short.bin") != NULL);
    }
    uint8_t *longer = calloc(1, len + 32);
    memcpy(longer, data, len);
    CHECK(isa_program_read(longer, len + 32, "long.bin", &q) == TS_ERR_PARSE);
    free(longer);
    free(copy);
    ts_free(data);
    isa_program_free(p);
}

/* Writes a bad instruction with a valid checksum: the error names it. */
TEST(program_names_bad_instruction) {
    isa_program *p = isa_program_new(2), *q;
    isa_inst in;
    memset(&in, 0, sizeof in);
    in.op = ISA_NOP;
    for (int i = 0; i < 3; i++) isa_program_append(p, 1, &in);
    uint8_t *data;
    size_t len;
    CHECK(isa_program_write(p, &data, &len) == TS_OK);
    data[ISA_FILE_HEADER_BYTES + 2 * 32] = 0xee;  /* core 1, instruction 2: unknown opcode */
    /* recompute the CRC the way docs/isa.md says */
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        uint8_t byte = (i >= 24 && i < 28) ? 0 : data[i];
        crc ^= byte;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    crc ^= 0xffffffffu;
    for (int i = 0; i < 4; i++) data[24 + i] = (uint8_t)(crc >> (8 * i));
    CHECK(isa_program_read(data, len, "x.bin", &q) == TS_ERR_PARSE);
    CHECK_MSG(strstr(ts_last_error(), "x.bin: core 1, instruction 2") != NULL, "%s", ts_last_error());
    ts_free(data);
    isa_program_free(p);
}

static char *disasm_text(const isa_program *p) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK(isa_disassemble(p, f) == TS_OK);
    fclose(f);
    return buf;
}

TEST(asm_disasm_round_trip) {
    for (int it = 0; it < 60; it++) {
        isa_program *p = rand_program(), *q;
        char *text = disasm_text(p);
        CHECK_MSG(isa_assemble(text, "rt.s", &q) == TS_OK, "%s", ts_last_error());
        if (q) {
            CHECK(programs_equal(p, q));
            uint8_t *d1, *d2;
            size_t l1, l2;
            CHECK(isa_program_write(p, &d1, &l1) == TS_OK && isa_program_write(q, &d2, &l2) == TS_OK);
            CHECK(l1 == l2 && !memcmp(d1, d2, l1));
            ts_free(d1);
            ts_free(d2);
            isa_program_free(q);
        }
        free(text);
        isa_program_free(p);
    }
}

TEST(asm_features) {
    const char *src =
        "# a comment\n"
        ".equ TILE = 64\n"
        ".equ BASE 0x1000\n"
        "  ; another comment\n"
        "load sram=BASE+TILE*2 hbm=0x10_0000 rows=(TILE-4)/2 row_bytes=TILE%7 signal=matrix,vector\n"
        "VADD dtype=fp32 stype=fp32 bcast=scalar imm=-1.5f cols=3 rows=1  # trailing\n"
        "VFILL dtype=int32 imm=-7 rows=1 cols=1\n"
        "VREQUANT mult=-2147483648 zp=-32768 shift=62 dtype=uint8 mode=per_column\n"
        "VACT func=hsigmoid imm=0.2 wait=none\n"
        ".core 2\n"
        "END engine=dma_out\n"
        "NOP engine=2 wait=0b1010\n";
    isa_program *p;
    CHECK_MSG(isa_assemble(src, "f.s", &p) == TS_OK, "%s", ts_last_error());
    if (!p) return;
    CHECK(p->n_cores == 3 && p->n_inst[0] == 5 && p->n_inst[1] == 0 && p->n_inst[2] == 2);
    const isa_inst *in = &p->inst[0][0];
    CHECK(in->op == ISA_LOAD && in->f[ISA_F_DMA_sram] == 0x1080 && in->f[ISA_F_DMA_hbm] == 0x100000);
    CHECK(in->f[ISA_F_DMA_rows] == 30 && in->f[ISA_F_DMA_row_bytes] == 1 && in->f[ISA_F_ALL_signal] == 6);
    CHECK(p->inst[0][1].f[ISA_F_VEC_imm] == 0xbfc00000u);
    CHECK(p->inst[0][2].f[ISA_F_VEC_imm] == 0xfffffff9u);
    CHECK(p->inst[0][3].f[ISA_F_RQ_mult] == 0x80000000u && p->inst[0][3].f[ISA_F_RQ_zp] == 0x8000);
    CHECK(p->inst[0][3].f[ISA_F_RQ_dtype] == ISA_DT_UINT8 && p->inst[0][3].f[ISA_F_RQ_mode] == ISA_RQ_PER_COLUMN);
    CHECK(p->inst[0][4].f[ISA_F_VEC_func] == ISA_ACT_HSIGMOID && p->inst[0][4].f[ISA_F_VEC_imm] == 0x3e4ccccdu);
    CHECK(p->inst[2][0].op == ISA_END && p->inst[2][0].f[ISA_F_SYS_engine] == ISA_ENG_DMA_OUT);
    CHECK(p->inst[2][1].f[ISA_F_SYS_engine] == 2 && p->inst[2][1].f[ISA_F_ALL_wait] == 10);
    isa_program_free(p);
}

TEST(asm_errors_name_line_and_column) {
    struct { const char *src, *where, *what; } cases[] = {
        {"NOP\nFOO x=1\n", "e.s:2:1:", "unknown instruction"},
        {"MATMUL m=1 q=2\n", "e.s:1:12:", "no field 'q'"},
        {"MATMUL m=65536\n", "e.s:1:10:", "out of range"},
        {"MATMUL m=-1\n", "e.s:1:10:", "out of range"},
        {"  MATMUL m=1 m=2\n", "e.s:1:14:", "twice"},
        {"VADD dtype=int7\n", "e.s:1:12:", "unknown dtype"},
        {"NOP wait=dma_in,foo\n", "e.s:1:17:", "unknown engine"},
        {"NOP\n\n.core 64\n", "e.s:3:7:", "out of range"},
        {".bogus\n", "e.s:1:1:", "unknown directive"},
        {"LOAD sram=UNDEF\n", "e.s:1:11:", "unknown name"},
        {"LOAD sram=1+\n", "e.s:1:13:", "expected"},
        {"LOAD sram=(1\n", "e.s:1:13:", "expected ')'"},
        {"LOAD sram=4/0\n", "e.s:1:13:", "division by zero"},
        {"LOAD sram\n", "e.s:1:10:", "expected '='"},
        {"LOAD sram=\n", "e.s:1:11:", "missing value"},
        {".equ A 1\n.equ A 2\n", "e.s:2:6:", "already defined"},
        {"VADD imm=1.5.5\n", "e.s:1:", "float"},
        {"VREQUANT shift=64\n", "e.s:1:16:", "out of range"},
        {"VREQUANT zp=32768\n", "e.s:1:13:", "out of range"},
        {"LOAD sram=99999999999999999999\n", "e.s:1:11:", "too large"},
        {"VADD func=relu\n", "e.s:1:", "func"},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(cases); i++) {
        isa_program *p = NULL;
        ts_status st = isa_assemble(cases[i].src, "e.s", &p);
        CHECK_MSG(st == TS_ERR_PARSE && !p, "case %zu accepted", i);
        const char *e = ts_last_error();
        CHECK_MSG(strstr(e, cases[i].where) == e && strstr(e, cases[i].what), "case %zu: got '%s', want '%s...%s'", i,
                  e, cases[i].where, cases[i].what);
    }
    isa_program *p = NULL;
    CHECK(isa_assemble_buf("NOP\0", 4, "z.s", &p) == TS_ERR_PARSE && strstr(ts_last_error(), "z.s:1:4:"));
    /* found by fuzz_asm: a sign as the last byte of an unterminated buffer */
    char *exact = malloc(11);
    memcpy(exact, "VACT imm=+0", 11);
    CHECK(isa_assemble_buf(exact, 11, "x.s", &p) == TS_OK);
    isa_program_free(p);
    free(exact);
}

/* docs/isa.md carries the field tables; they must match isa.def. */
TEST(docs_match_tables) {
    uint8_t *doc = NULL;
    size_t len = 0;
    if (ts_read_file("docs/isa.md", &doc, &len) != TS_OK && ts_read_file("../docs/isa.md", &doc, &len) != TS_OK) {
        CHECK_MSG(0, "docs/isa.md not found (run from the repository root)");
        return;
    }
    char *text = ts_malloc(len + 1);
    memcpy(text, doc, len);
    text[len] = 0;
    static const char *kinds[] = {"UINT", "SINT", "ADDR", "ENGINE", "ENGMASK", "DTYPE", "MMTYPE", "FUNC", "SPACE",
                                  "BCAST", "RQMODE", "IMM"};
    for (int i = 0; i < ISA_FIELD_COUNT; i++) {
        const isa_field_desc *fd = isa_field_info((isa_field_id)i);
        char row[160];
        snprintf(row, sizeof row, "| `%s` | %d | %d..%d | %d | %s |", fd->name, fd->word, fd->lo + fd->width - 1,
                 fd->lo, fd->width, kinds[fd->kind]);
        CHECK_MSG(strstr(text, row) != NULL, "docs/isa.md lacks the row %s", row);
    }
    for (int c = 0; c < 256; c++) {
        const isa_op_desc *d = isa_op_info((unsigned)c);
        if (!d) continue;
        char row[96];
        snprintf(row, sizeof row, "| `%s` | 0x%02x | ", d->name, c);
        CHECK_MSG(strstr(text, row) != NULL, "docs/isa.md lacks the opcode row %s", row);
    }
    ts_free(text);
    ts_free(doc);
}

TEST_MAIN()

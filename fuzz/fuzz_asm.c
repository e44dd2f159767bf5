/*
 * fuzz_asm: libFuzzer harness for the assembler. Any text must either fail
 * with a message or give a program that survives every round trip:
 * program -> bytes -> program, and program -> text -> program -> same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"

static void must(int cond) { if (!cond) abort(); }

static uint8_t *bytes_of(const isa_program *p, size_t *len) {
    uint8_t *d;
    must(isa_program_write(p, &d, len) == TS_OK);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    isa_program *p = NULL, *q = NULL, *r = NULL;
    if (isa_assemble_buf((const char *)data, size, "fuzz.s", &p) != TS_OK) {
        must(p == NULL && strstr(ts_last_error(), "fuzz.s") != NULL);
        return 0;
    }
    size_t l1, l2, l3;
    uint8_t *b1 = bytes_of(p, &l1);
    must(isa_program_read(b1, l1, "fuzz.bin", &q) == TS_OK);
    uint8_t *b2 = bytes_of(q, &l2);
    must(l1 == l2 && !memcmp(b1, b2, l1));
    char *text = NULL;
    size_t tn = 0;
    FILE *f = open_memstream(&text, &tn);
    must(f && isa_disassemble(q, f) == TS_OK);
    fclose(f);
    must(isa_assemble_buf(text, tn, "disasm.s", &r) == TS_OK);
    uint8_t *b3 = bytes_of(r, &l3);
    must(l1 == l3 && !memcmp(b1, b3, l1));
    free(text);
    ts_free(b1);
    ts_free(b2);
    ts_free(b3);
    isa_program_free(p);
    isa_program_free(q);
    isa_program_free(r);
    return 0;
}

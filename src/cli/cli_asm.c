/* tessera asm: assembly text (docs/isa.md "Assembly") to a program binary. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "isa/isa.h"

static void asm_usage(FILE *f) {
    fprintf(f, "usage: tessera asm FILE.s -o FILE.bin\n"
               "  Assembles NPU assembly (grammar: docs/isa.md) into a program binary.\n"
               "  The output is written atomically: nothing is written on an error.\n");
}

int cli_asm(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { asm_usage(stdout); return 0; }
        if (!strcmp(argv[i], "-o")) {
            if (++i >= argc) return cli_fail("asm", 2, "-o needs a file name");
            if (!argv[i][0]) return cli_fail("asm", 2, "-o '': needs a file name");
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            asm_usage(stderr);
            return cli_fail("asm", 2, "unknown option '%s'", argv[i]);
        } else if (in) {
            return cli_fail("asm", 2, "more than one input file ('%s', '%s')", in, argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in || !out) { asm_usage(stderr); return 2; }
    isa_program *p;
    if (isa_assemble_file(in, &p) != TS_OK) return cli_fail("asm", 1, "%s", ts_last_error());
    ts_status st = isa_program_save(out, p);
    isa_program_free(p);
    if (st) return cli_fail("asm", 1, "%s", ts_last_error());
    return 0;
}

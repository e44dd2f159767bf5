/* tessera disasm: a program binary to assembly text that `tessera asm`
 * turns back into the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "isa/isa.h"

static void disasm_usage(FILE *f) {
    fprintf(f, "usage: tessera disasm FILE.bin [-o FILE.s]\n"
               "  Prints the program as assembly (to stdout, or atomically to FILE.s).\n");
}

static ts_status disasm_write_job(FILE *f, void *ctx) { return isa_disassemble(ctx, f); }

/* Atomically (ts_write_atomic): nothing is left behind on an error. */
static int disasm_to_file(const isa_program *p, const char *path) {
    if (ts_write_atomic(path, disasm_write_job, (void *)p, false) != TS_OK)
        return cli_fail("disasm", 1, "%s", ts_last_error());
    return 0;
}

int cli_disasm(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { disasm_usage(stdout); return 0; }
        if (!strcmp(argv[i], "-o")) {
            if (++i >= argc) return cli_fail("disasm", 2, "-o needs a file name");
            if (!argv[i][0]) return cli_fail("disasm", 2, "-o '': needs a file name");
            out = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            disasm_usage(stderr);
            return cli_fail("disasm", 2, "unknown option '%s'", argv[i]);
        } else if (in) {
            return cli_fail("disasm", 2, "more than one input file ('%s', '%s')", in, argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in) { disasm_usage(stderr); return 2; }
    isa_program *p;
    if (isa_program_load(in, &p) != TS_OK) return cli_fail("disasm", 1, "%s", ts_last_error());
    int rc = 0;
    if (out) rc = disasm_to_file(p, out);
    else if (isa_disassemble(p, stdout) != TS_OK) rc = cli_fail("disasm", 1, "%s", ts_last_error());
    isa_program_free(p);
    return rc;
}

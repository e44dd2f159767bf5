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

/* Disassembles into a temporary file beside path, then renames it. */
static int disasm_to_file(const isa_program *p, const char *path) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        return cli_fail("disasm", 1, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return cli_fail("disasm", 1, "%s: cannot create temporary file: %s", path, strerror(errno));
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(tmp); return cli_fail("disasm", 1, "%s: %s", path, strerror(errno)); }
    ts_status st = isa_disassemble(p, f);
    if (fclose(f) != 0 && !st) st = ts_error(TS_ERR_IO, "write failed: %s", strerror(errno));
    if (!st && rename(tmp, path) != 0) st = ts_error(TS_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
    if (st) { unlink(tmp); return cli_fail("disasm", 1, "%s: %s", path, ts_last_error()); }
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

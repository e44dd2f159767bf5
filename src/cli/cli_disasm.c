/* tessera disasm: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_disasm(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("disasm", 1, "not built yet"); }

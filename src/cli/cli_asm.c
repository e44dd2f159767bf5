/* tessera asm: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_asm(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("asm", 1, "not built yet"); }

/* tessera run: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_run(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("run", 1, "not built yet"); }

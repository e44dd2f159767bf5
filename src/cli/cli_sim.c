/* tessera sim: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_sim(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("sim", 1, "not built yet"); }

/* tessera info: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_info(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("info", 1, "not built yet"); }

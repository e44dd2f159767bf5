/* tessera conformance: placeholder until its layer lands (owned by the helper building it). */
#include "cli/cli.h"
int cli_conformance(int argc, char **argv) { (void)argc; (void)argv; return cli_fail("conformance", 1, "not built yet"); }

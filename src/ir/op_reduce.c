/* ir op table "reduce": filled by the helper building these ops. */
#include "ir/ir.h"
const ir_opdef ir_ops_reduce[] = {{NULL, 0, 0, 0, 0, NULL}};

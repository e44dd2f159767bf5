/* ir op table "elementwise": filled by the helper building these ops. */
#include "ir/ir.h"
const ir_opdef ir_ops_elementwise[] = {{NULL, 0, 0, 0, 0, NULL}};

/*
 * Unique: an op that makes data rather than moves it.
 * Unique's grouping is shared with its infer function (ir/op_shape.h), so
 * the output sizes planned and the values written agree.
 */
#include "cpu/op_shape_int.h"
#include "ir/op_shape.h"

#include <string.h>

ts_status shp_unique(cpu_ctx *ctx, const ir_node *n, const ts_tensor **in, int n_in,
                     ts_tensor **out, int n_out) {
    (void)ctx; (void)n_in;
    const ts_tensor *x = in[0];
    const ir_attr *a = ir_attr_find(n, "axis");
    int axis = -1;
    ts_status s = a ? ir_norm_axis(n, a->i, x->rank, &axis) : TS_OK;
    ir_unique u;
    if (s || (s = ir_shape_unique(n, x, axis, ir_attr_int(n, "sorted", 1) != 0, &u))) return s;
    /* Y: unique slice k is input slice first[k]; as rows of [outer, dim, inner] */
    size_t es = ts_dtype_size(x->dtype);
    int64_t outer = 1, inner = 1;
    for (int i = 0; axis >= 0 && i < x->rank; i++) {
        if (i < axis) outer *= x->dims[i];
        if (i > axis) inner *= x->dims[i];
    }
    size_t row = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < u.n_unique; k++)
            memcpy((char *)out[0]->data + (size_t)(o * u.n_unique + k) * row,
                   (const char *)x->data + (size_t)(o * u.n_slices + u.first[k]) * row, row);
    const int64_t *parts[3] = {u.first, u.inverse, u.count};
    for (int i = 1; i < n_out && i < 4; i++)
        if (out[i] && out[i]->data)
            memcpy(out[i]->data, parts[i - 1], ts_tensor_nbytes(out[i]));
    ir_shape_unique_free(&u);
    return TS_OK;
}


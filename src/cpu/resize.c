/*
 * resize.c: Resize (opsets 10..19) and Upsample on float32, any rank, plus
 * DepthToSpace and SpaceToDepth (any dtype).
 *
 * Resize is separable: every resized axis gets a table of taps (input index
 * and weight per output coordinate, or "outside" for tf_crop_and_resize),
 * then one 1-D pass per axis from the last axis to the first, which is the
 * order of ONNX's reference recursion. nearest has one tap, linear two,
 * cubic four; antialias widens the linear/cubic filter by 1/scale when
 * downscaling.
 */
#include "cpu/cpu_int.h"

#include <math.h>
#include <string.h>

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_NN, CT_TF_CROP };
enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL };

typedef struct rs_opts {
    int mode, ctm, nearest;
    float cubic_a, extrapolation;
    bool exclude_outside, antialias;
} rs_opts;

/* Taps of one axis: out_len rows of `width` (index, weight) pairs. */
typedef struct rs_axis {
    int64_t in_len, out_len;
    int width;
    int64_t *idx;       /* out_len * width */
    float *w;
    bool *outside;      /* tf_crop_and_resize: the output takes extrapolation */
} rs_axis;

static bool pick(const char *s, const char *const *names, int n, int *out) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) { *out = i; return true; }
    return false;
}

static ts_status rs_read_opts(const ir_node *n, int opset, bool upsample, rs_opts *o) {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const ctms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                       "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                       "tf_crop_and_resize"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const char *mode = ir_attr_string(n, "mode", "nearest");
    if (!strcmp(mode, "bilinear") || !strcmp(mode, "trilinear")) mode = "linear";
    bool old = upsample || opset < 11;   /* Upsample and Resize-10: asymmetric, floor */
    const char *ctm = old ? "asymmetric" : ir_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = old ? "floor" : ir_attr_string(n, "nearest_mode", "round_prefer_floor");
    if (!pick(mode, modes, 3, &o->mode) || !pick(ctm, ctms, 7, &o->ctm) || !pick(nm, nms, 4, &o->nearest))
        return ts_error(TS_ERR_INVALID, "node '%s' (%s): unknown mode '%s', coordinate mode '%s' or nearest mode '%s'",
                        n->name, n->op_type, mode, ctm, nm);
    o->cubic_a = ir_attr_float(n, "cubic_coeff_a", -0.75f);
    o->extrapolation = ir_attr_float(n, "extrapolation_value", 0.0f);
    o->exclude_outside = ir_attr_int(n, "exclude_outside", 0) != 0;
    o->antialias = ir_attr_int(n, "antialias", 0) != 0;
    return TS_OK;
}

/* Input coordinate of output coordinate x on one axis. lout is the
 * unrounded output length in * scale, as in ONNX's reference (it matters
 * for align_corners when the scale does not divide the length). */
static double rs_coord(const rs_opts *o, double x, double scale, int64_t lin, double lout,
                       double roi_start, double roi_end) {
    switch (o->ctm) {
    case CT_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case CT_HALF_PIXEL_SYM: {
        double adj = floor(lout) / lout, center = (double)lin / 2.0;
        return center * (1 - adj) + (x + 0.5) / scale - 0.5;
    }
    case CT_PYTORCH: return lout > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CT_ALIGN: return lout == 1 ? 0.0 : x * (double)(lin - 1) / (lout - 1);
    case CT_ASYM: return x / scale;
    case CT_TF_NN: return (x + 0.5) / scale;
    default:
        return lout != 1 ? roi_start * (double)(lin - 1) + x * (roi_end - roi_start) * (double)(lin - 1) / (lout - 1)
                        : 0.5 * (roi_start + roi_end) * (double)(lin - 1);
    }
}

static int64_t rs_nearest(int mode, double x) {
    double f = floor(x);
    switch (mode) {
    case NM_ROUND_FLOOR: return (int64_t)(x - f == 0.5 ? f : floor(x + 0.5));
    case NM_ROUND_CEIL: return (int64_t)(x - f == 0.5 ? f + 1 : floor(x + 0.5));
    case NM_FLOOR: return (int64_t)f;
    default: return (int64_t)ceil(x);
    }
}

/* Filter weight at distance t (>= 0) for linear and cubic kernels. */
static double rs_kernel(const rs_opts *o, double t) {
    t = fabs(t);
    if (o->mode == RS_LINEAR) return t < 1 ? 1 - t : 0;
    double a = o->cubic_a;
    if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
    return 0;
}

/* Taps of output coordinate x: linear/cubic weights over neighbours of the
 * input coordinate, edge-clamped (or dropped with exclude_outside). */
static void rs_taps(const rs_opts *o, double xi, double scale, const rs_axis *ax, int64_t *idx, float *w) {
    int width = ax->width;
    if (o->mode == RS_NEAREST) {
        int64_t i = rs_nearest(o->nearest, xi);
        idx[0] = TS_MIN(TS_MAX(i, 0), ax->in_len - 1);
        w[0] = 1.0f;
        return;
    }
    double support = o->mode == RS_LINEAR ? 1.0 : 2.0, stretch = 1.0;
    if (o->antialias && scale < 1.0) stretch = 1.0 / scale;
    int64_t first = (int64_t)floor(xi) - (int64_t)ceil(support * stretch) + 1;
    double sum = 0, wt[64];
    for (int t = 0; t < width; t++) {
        int64_t i = first + t;
        double k = rs_kernel(o, (xi - (double)i) / stretch);
        if (o->exclude_outside && (i < 0 || i >= ax->in_len)) k = 0;
        wt[t] = k;
        sum += k;
        idx[t] = TS_MIN(TS_MAX(i, 0), ax->in_len - 1);
    }
    /* antialias and exclude_outside renormalize; plain kernels sum to 1 */
    bool norm = o->exclude_outside || stretch != 1.0;
    for (int t = 0; t < width; t++) w[t] = (float)(norm && sum != 0 ? wt[t] / sum : wt[t]);
}

static void rs_axis_free(rs_axis *a) {
    ts_free(a->idx);
    ts_free(a->w);
    ts_free(a->outside);
}

static ts_status rs_axis_init(const rs_opts *o, int64_t lin, int64_t lout, double scale,
                              double roi_s, double roi_e, rs_axis *a) {
    memset(a, 0, sizeof *a);
    a->in_len = lin;
    a->out_len = lout;
    double stretch = o->antialias && scale < 1.0 ? 1.0 / scale : 1.0;
    a->width = o->mode == RS_NEAREST ? 1 : (int)(2 * ceil((o->mode == RS_LINEAR ? 1.0 : 2.0) * stretch));
    if (a->width > 64) return ts_error(TS_ERR_UNSUPPORTED, "Resize: antialias filter wider than 64 taps");
    size_t n = (size_t)(lout * a->width) + 1;
    a->idx = ts_malloc(n * sizeof(int64_t));
    a->w = ts_malloc(n * sizeof(float));
    a->outside = ts_calloc((size_t)lout + 1, sizeof(bool));
    if (!a->idx || !a->w || !a->outside) { rs_axis_free(a); return TS_ERR_NOMEM; }
    for (int64_t x = 0; x < lout; x++) {
        double xi = rs_coord(o, (double)x, scale, lin, (double)lin * scale, roi_s, roi_e);
        if (o->ctm == CT_TF_CROP && (xi < 0 || xi > (double)(lin - 1))) a->outside[x] = true;
        rs_taps(o, xi, scale, a, a->idx + x * a->width, a->w + x * a->width);
    }
    return TS_OK;
}

/* Whether the axis maps every output to the same input (no pass needed). */
static bool rs_identity(const rs_axis *a) {
    if (a->in_len != a->out_len) return false;
    for (int64_t x = 0; x < a->out_len; x++) {
        if (a->outside[x]) return false;
        for (int t = 0; t < a->width; t++) {
            float w = a->w[x * a->width + t];
            if (w != 0.0f && !(w == 1.0f && a->idx[x * a->width + t] == x)) return false;
        }
    }
    return true;
}

typedef struct rs_pass {
    const rs_axis *ax;
    const float *src;
    float *dst;
    int64_t inner;
    float extrapolation;
} rs_pass;

/* Rows r = outer * out_len + x of the destination. */
static void rs_pass_rows(void *arg, int64_t r0, int64_t r1) {
    const rs_pass *p = arg;
    const rs_axis *a = p->ax;
    for (int64_t r = r0; r < r1; r++) {
        int64_t outer = r / a->out_len, x = r % a->out_len;
        float *d = p->dst + r * p->inner;
        const float *s = p->src + outer * a->in_len * p->inner;
        if (a->outside[x]) {
            for (int64_t i = 0; i < p->inner; i++) d[i] = p->extrapolation;
            continue;
        }
        const int64_t *idx = a->idx + x * a->width;
        const float *w = a->w + x * a->width;
        if (p->inner == 1) {
            float v = 0;
            for (int t = 0; t < a->width; t++) v += w[t] * s[idx[t]];
            d[0] = a->width == 1 ? s[idx[0]] : v;
            continue;
        }
        if (a->width == 1) { memcpy(d, s + idx[0] * p->inner, sizeof(float) * (size_t)p->inner); continue; }
        for (int64_t i = 0; i < p->inner; i++) d[i] = 0.0f;
        for (int t = 0; t < a->width; t++)
            if (w[t] != 0.0f) cpu_axpy(d, s + idx[t] * p->inner, w[t], p->inner);
    }
}

/* nearest without extrapolation: one gather through per-axis index tables
 * instead of one pass per axis. Rows = every output index but the last. */
typedef struct rs_near {
    const rs_axis *ax;       /* one per axis */
    int rank;
    const float *x;
    float *y;
    int64_t in_str[TS_MAX_RANK];
    const int64_t *ydims;
    bool last_identity;
} rs_near;

static void rs_near_rows(void *arg, int64_t r0, int64_t r1) {
    const rs_near *j = arg;
    int last = j->rank - 1;
    int64_t ow = j->ydims[last];
    for (int64_t r = r0; r < r1; r++) {
        int64_t rem = r, src = 0;
        for (int a = last - 1; a >= 0; a--) {
            int64_t c = rem % j->ydims[a];
            rem /= j->ydims[a];
            src += j->ax[a].idx[c] * j->in_str[a];
        }
        const float *xr = j->x + src;
        float *yr = j->y + r * ow;
        if (j->last_identity) { memcpy(yr, xr, sizeof(float) * (size_t)ow); continue; }
        const int64_t *ix = j->ax[last].idx;
        for (int64_t q = 0; q < ow; q++) yr[q] = xr[ix[q]];
    }
}

static ts_status rs_nearest_run(cpu_ctx *ctx, const rs_opts *o, const ts_tensor *x, ts_tensor *y,
                                const double *scales) {
    rs_axis ax[TS_MAX_RANK];
    int r = x->rank, made = 0;
    ts_status st = TS_OK;
    for (; made < r && !st; made++)
        st = rs_axis_init(o, x->dims[made], y->dims[made], scales[made], 0, 1, &ax[made]);
    if (!st) {
        rs_near j = {ax, r, x->data, y->data, {0}, y->dims, rs_identity(&ax[r - 1])};
        int64_t str = 1;
        for (int a = r - 1; a >= 0; a--) { j.in_str[a] = str; str *= x->dims[a]; }
        int64_t rows = ts_tensor_numel(y) / y->dims[r - 1];
        ts_parallel_for(ctx->pool, rows, TS_MAX(1, 4096 / TS_MAX(y->dims[r - 1], 1)), rs_near_rows, &j);
    } else {
        made--;   /* the failed axis freed itself */
    }
    for (int a = 0; a < made; a++) rs_axis_free(&ax[a]);
    return st;
}

/* Resizes x into y given per-axis scales and roi (NULL = none). */
static ts_status rs_run(cpu_ctx *ctx, const ir_node *n, const rs_opts *o, const ts_tensor *x,
                        ts_tensor *y, const double *scales, const double *roi) {
    int r = x->rank;
    int64_t cur[TS_MAX_RANK];
    memcpy(cur, x->dims, sizeof(int64_t) * (size_t)r);
    const float *src = x->data;
    float *bufs[2] = {NULL, NULL};
    int which = 0;
    ts_status st = TS_OK;
    if (ts_tensor_numel(y) == 0) return TS_OK;
    if (o->mode == RS_NEAREST && o->ctm != CT_TF_CROP && r >= 1) {
        st = rs_nearest_run(ctx, o, x, y, scales);
        if (st == TS_ERR_NOMEM) ts_error(st, "node '%s' (%s): out of memory", n->name, n->op_type);
        return st;
    }
    for (int a = r - 1; a >= 0 && !st; a--) {
        rs_axis ax;
        st = rs_axis_init(o, x->dims[a], y->dims[a], scales[a], roi ? roi[a] : 0, roi ? roi[r + a] : 1, &ax);
        if (st) break;
        if (rs_identity(&ax)) { rs_axis_free(&ax); continue; }
        int64_t inner = 1, outer = 1;
        for (int i = a + 1; i < r; i++) inner *= cur[i];
        for (int i = 0; i < a; i++) outer *= cur[i];
        cur[a] = y->dims[a];
        size_t bytes = sizeof(float) * (size_t)(outer * cur[a] * inner + 1);
        if (!bufs[which]) bufs[which] = ts_malloc(bytes);
        else bufs[which] = ts_realloc(bufs[which], bytes);
        if (!bufs[which]) { rs_axis_free(&ax); st = TS_ERR_NOMEM; break; }
        rs_pass p = {&ax, src, bufs[which], inner, o->extrapolation};
        ts_parallel_for(ctx->pool, outer * cur[a], TS_MAX(1, 2048 / TS_MAX(inner, 1)), rs_pass_rows, &p);
        src = bufs[which];
        which ^= 1;
        rs_axis_free(&ax);
    }
    if (!st) memcpy(y->data, src, sizeof(float) * (size_t)ts_tensor_numel(y));
    ts_free(bufs[0]);
    ts_free(bufs[1]);
    if (st == TS_ERR_NOMEM) ts_error(st, "node '%s' (%s): out of memory", n->name, n->op_type);
    return st;
}

CPU_KERNEL_DECL(cpu_run_resize) {
    (void)n_out;
    const ts_tensor *x = in[0];
    ts_status st = cpu_nn_need_f32(n, x, "X");
    rs_opts o;
    if (!st) st = rs_read_opts(n, ctx->opset, false, &o);
    if (st) return st;
    int r = x->rank;
    const ts_tensor *roi_t = ctx->opset >= 11 && n_in > 1 ? in[1] : NULL;
    const ts_tensor *sc = n_in > (ctx->opset >= 11 ? 2 : 1) ? in[ctx->opset >= 11 ? 2 : 1] : NULL;
    if (sc && ts_tensor_numel(sc) == 0) sc = NULL;
    int cnt = 0;
    const int64_t *axes_attr = ir_attr_ints(n, "axes", &cnt);
    int axes[TS_MAX_RANK], na = axes_attr ? cnt : r;
    for (int i = 0; i < na; i++) {
        int64_t av = axes_attr ? axes_attr[i] : i;
        axes[i] = (int)(av < 0 ? av + r : av);
    }
    double scales[TS_MAX_RANK], roi[2 * TS_MAX_RANK];
    for (int i = 0; i < r; i++) {
        scales[i] = x->dims[i] ? (double)out[0]->dims[i] / (double)x->dims[i] : 1.0;
        roi[i] = 0.0;
        roi[r + i] = 1.0;
    }
    if (sc)
        for (int i = 0; i < na; i++) scales[axes[i]] = ts_tensor_get(sc, i);
    const char *policy = ir_attr_string(n, "keep_aspect_ratio_policy", "stretch");
    if (!sc && strcmp(policy, "stretch")) {
        /* sizes with a kept aspect ratio: one scale for every resized axis */
        const ts_tensor *sz = n_in > 3 ? in[3] : NULL;
        bool larger = !strcmp(policy, "not_smaller");
        double k = larger ? 0 : INFINITY;
        for (int i = 0; sz && i < na; i++) {
            double v = x->dims[axes[i]] ? ts_tensor_get(sz, i) / (double)x->dims[axes[i]] : 1.0;
            k = larger ? fmax(k, v) : fmin(k, v);
        }
        for (int i = 0; sz && i < na; i++) scales[axes[i]] = k;
    }
    if (o.ctm == CT_TF_CROP && roi_t && ts_tensor_numel(roi_t) == 2 * na)
        for (int i = 0; i < na; i++) {
            roi[axes[i]] = ts_tensor_get(roi_t, i);
            roi[r + axes[i]] = ts_tensor_get(roi_t, na + i);
        }
    return rs_run(ctx, n, &o, x, out[0], scales, roi);
}

CPU_KERNEL_DECL(cpu_run_upsample) {
    (void)n_in; (void)n_out;
    const ts_tensor *x = in[0];
    ts_status st = cpu_nn_need_f32(n, x, "X");
    rs_opts o;
    if (!st) st = rs_read_opts(n, ctx->opset, true, &o);
    if (st) return st;
    double scales[TS_MAX_RANK];
    int cnt = 0;
    const float *f = ir_attr_floats(n, "scales", &cnt);
    for (int i = 0; i < x->rank; i++)
        scales[i] = ctx->opset >= 9 && n_in > 1 ? ts_tensor_get(in[1], i) : (f && i < cnt ? f[i] : 1.0);
    return rs_run(ctx, n, &o, x, out[0], scales, NULL);
}

/* ---- DepthToSpace / SpaceToDepth ---------------------------------------------- */

/* y[n, c, h*b+i, w*b+j] <-> x[n, src_c, h, w] with src_c from the mode. */
static ts_status depth_space(const ir_node *n, const ts_tensor *x, ts_tensor *y, bool to_space) {
    size_t es = ts_dtype_size(x->dtype);
    if (!es) return ts_error(TS_ERR_UNSUPPORTED, "node '%s' (%s): unsupported type", n->name, n->op_type);
    int64_t b = ir_attr_int(n, "blocksize", 1);
    bool crd = to_space && !strcmp(ir_attr_string(n, "mode", "DCR"), "CRD");
    const ts_tensor *deep = to_space ? x : y, *wide = to_space ? y : x;
    int64_t N = deep->dims[0], Cd = deep->dims[1], H = deep->dims[2], W = deep->dims[3];
    int64_t Cw = wide->dims[1];
    const char *xs = x->data;
    char *yd = y->data;
    for (int64_t bn = 0; bn < N; bn++)
        for (int64_t c = 0; c < Cw; c++)
            for (int64_t i = 0; i < b; i++)
                for (int64_t j = 0; j < b; j++) {
                    int64_t dc = crd ? c * b * b + i * b + j : (i * b + j) * Cw + c;
                    for (int64_t h = 0; h < H; h++)
                        for (int64_t w = 0; w < W; w++) {
                            int64_t di = ((bn * Cd + dc) * H + h) * W + w;
                            int64_t wi = ((bn * Cw + c) * H * b + h * b + i) * W * b + w * b + j;
                            if (to_space) memcpy(yd + wi * es, xs + di * es, es);
                            else memcpy(yd + di * es, xs + wi * es, es);
                        }
                }
    return TS_OK;
}

CPU_KERNEL_DECL(cpu_run_depth_to_space) {
    (void)ctx; (void)n_in; (void)n_out;
    return depth_space(n, in[0], out[0], true);
}

CPU_KERNEL_DECL(cpu_run_space_to_depth) {
    (void)ctx; (void)n_in; (void)n_out;
    return depth_space(n, in[0], out[0], false);
}

/*
 * The strided copy engine behind the data-movement kernels (see
 * op_shape_int.h). A copy is planned once (axes simplified, a strategy
 * picked), then cut into work items that ts_parallel_for hands to threads:
 *   RUN   the last axis is contiguous on both sides: one memcpy per line;
 *   ELEM  the last axis is strided somewhere: an element loop per line;
 *   BLOCK a transpose (the source is contiguous along another axis than the
 *         destination): 32x32 tiles so that both sides stay in cache.
 */
#include "cpu/op_shape_int.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

enum { RUN, ELEM, BLOCK };
#define TILE 32
#define PAR_BYTES (32 * 1024)      /* below this a copy stays on one thread */

typedef struct plan {
    int rank;                      /* after simplification; >= 1 */
    int64_t dims[SHP_MAX_DIMS], ds[SHP_MAX_DIMS], ss[SHP_MAX_DIMS];
    size_t es;
    char *dst;
    const char *src;
    int mode;
    int k;                         /* BLOCK: the axis contiguous in the source */
    /* work items: an odometer over `nouter` axes (outer[]), the last of which
     * may be cut in chunks of `chunk` (BLOCK rows, or segments of a long line). */
    int nouter, outer[SHP_MAX_DIMS];
    int64_t odims[SHP_MAX_DIMS];   /* item counts per outer axis (chunked) */
    int64_t chunk[SHP_MAX_DIMS];   /* elements per item along each outer axis */
    int64_t seg;                   /* RUN/ELEM: elements of the last axis per item */
    int64_t nseg;
} plan;

void shp_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) { strides[i] = s; s *= dims[i]; }
}

/* n elements from s (stride ss) to d (stride ds), strides in elements. */
static void copy_line(char *d, int64_t ds, const char *s, int64_t ss, int64_t n, size_t es) {
    if (ds == 1 && ss == 1) { memcpy(d, s, (size_t)n * es); return; }
#define LINE(T)                                                              \
    do {                                                                     \
        T *dt = (T *)d; const T *st = (const T *)s;                          \
        for (int64_t i = 0; i < n; i++) dt[i * ds] = st[i * ss];             \
    } while (0)
    switch (es) {
    case 1: LINE(uint8_t); break;
    case 2: LINE(uint16_t); break;
    case 4: LINE(uint32_t); break;
    case 8: LINE(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)(i * ds) * es, s + (ss * i) * (int64_t)es, es);
    }
#undef LINE
}

#ifdef __SSE2__
/* 4-byte tile with 4x4 register transposes (SSE2 is baseline on x86-64);
 * the ragged edge falls back to the scalar loop. */
static void copy_tile4(uint32_t *d, int64_t drow, const uint32_t *s, int64_t scol,
                       int64_t rows, int64_t cols) {
    int64_t r4 = rows & ~(int64_t)3, c4 = cols & ~(int64_t)3;
    for (int64_t i = 0; i < r4; i += 4)
        for (int64_t j = 0; j < c4; j += 4) {
            const float *sp = (const float *)(s + i + j * scol);
            __m128 a = _mm_loadu_ps(sp), b = _mm_loadu_ps(sp + scol),
                   c = _mm_loadu_ps(sp + 2 * scol), e = _mm_loadu_ps(sp + 3 * scol);
            _MM_TRANSPOSE4_PS(a, b, c, e);
            float *dp = (float *)(d + i * drow + j);
            _mm_storeu_ps(dp, a);
            _mm_storeu_ps(dp + drow, b);
            _mm_storeu_ps(dp + 2 * drow, c);
            _mm_storeu_ps(dp + 3 * drow, e);
        }
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = i < r4 ? c4 : 0; j < cols; j++) d[i * drow + j] = s[i + j * scol];
}
#endif

/* A rows x cols tile: dst contiguous along cols, src contiguous along rows. */
static void copy_tile(char *d, int64_t drow, const char *s, int64_t scol, int64_t rows,
                      int64_t cols, size_t es) {
#ifdef __SSE2__
    if (es == 4) { copy_tile4((uint32_t *)d, drow, (const uint32_t *)s, scol, rows, cols); return; }
#endif
#define BLK(T)                                                               \
    do {                                                                     \
        T *dt = (T *)d; const T *st = (const T *)s;                          \
        for (int64_t i = 0; i < rows; i++)                                   \
            for (int64_t j = 0; j < cols; j++) dt[i * drow + j] = st[i + j * scol]; \
    } while (0)
    switch (es) {
    case 1: BLK(uint8_t); break;
    case 2: BLK(uint16_t); break;
    case 4: BLK(uint32_t); break;
    case 8: BLK(uint64_t); break;
    default:
        for (int64_t i = 0; i < rows; i++)
            copy_line(d + (size_t)(i * drow) * es, 1, s + (int64_t)es * i, scol, cols, es);
    }
#undef BLK
}

/* Drops size-1 axes and merges neighbours contiguous in both tensors. */
static void simplify(plan *p, int rank, const int64_t *dims, const int64_t *ds,
                     const int64_t *ss) {
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 1) continue;
        if (r > 0 && p->ds[r - 1] == dims[i] * ds[i] && p->ss[r - 1] == dims[i] * ss[i]) {
            p->dims[r - 1] *= dims[i];
            p->ds[r - 1] = ds[i];
            p->ss[r - 1] = ss[i];
            continue;
        }
        p->dims[r] = dims[i]; p->ds[r] = ds[i]; p->ss[r] = ss[i];
        r++;
    }
    if (r == 0) { p->dims[0] = 1; p->ds[0] = p->ss[0] = 1; r = 1; }
    p->rank = r;
}

static void choose_mode(plan *p) {
    int last = p->rank - 1;
    p->mode = p->ds[last] == 1 && p->ss[last] == 1 ? RUN : ELEM;
    p->k = -1;
    if (p->mode == ELEM && p->ds[last] == 1 && p->dims[last] >= 8) {
        for (int i = last - 1; i >= 0; i--)
            if (p->ss[i] == 1 && p->dims[i] >= 8) { p->k = i; p->mode = BLOCK; break; }
    }
}

/* Lays out the work items; long lines are cut so small outer counts still
 * spread over threads. */
static void plan_items(plan *p) {
    int last = p->rank - 1;
    p->nouter = 0;
    if (p->mode == BLOCK) {
        p->outer[p->nouter] = p->k;
        p->odims[p->nouter] = (p->dims[p->k] + TILE - 1) / TILE;
        p->chunk[p->nouter++] = TILE;
    }
    for (int i = 0; i < last; i++) {
        if (i == p->k) continue;
        p->outer[p->nouter] = i;
        p->odims[p->nouter] = p->dims[i];
        p->chunk[p->nouter++] = 1;
    }
    p->seg = p->dims[last];
    p->nseg = 1;
    if (p->mode != BLOCK) {
        int64_t lines = 1;
        for (int i = 0; i < last; i++) lines *= p->dims[i];
        int64_t bytes = p->dims[last] * (int64_t)p->es;
        if (lines < 64 && bytes >= 2 * PAR_BYTES) {
            p->nseg = TS_MIN(64, bytes / PAR_BYTES);
            p->seg = (p->dims[last] + p->nseg - 1) / p->nseg;
            p->nseg = (p->dims[last] + p->seg - 1) / p->seg;
        }
    }
}

/* Runs items [begin, end): decode the first into an odometer, then step. */
static void run_items(void *arg, int64_t begin, int64_t end) {
    const plan *p = arg;
    int last = p->rank - 1;
    int64_t idx[SHP_MAX_DIMS + 1];
    int64_t item = begin / p->nseg, seg = begin % p->nseg;
    for (int j = p->nouter - 1; j >= 0; j--) { idx[j] = item % p->odims[j]; item /= p->odims[j]; }
    for (int64_t w = begin; w < end; w++) {
        int64_t doff = 0, soff = 0;
        for (int j = 0; j < p->nouter; j++) {
            int a = p->outer[j];
            doff += idx[j] * p->chunk[j] * p->ds[a];
            soff += idx[j] * p->chunk[j] * p->ss[a];
        }
        char *d = p->dst + doff * (int64_t)p->es;
        const char *s = p->src + soff * (int64_t)p->es;
        if (p->mode == BLOCK) {
            /* outer[0] is the blocked axis k */
            int64_t rows = TS_MIN(TILE, p->dims[p->k] - idx[0] * TILE);
            for (int64_t c0 = 0; c0 < p->dims[last]; c0 += TILE)
                copy_tile(d + c0 * (int64_t)p->es, p->ds[p->k],
                          s + c0 * p->ss[last] * (int64_t)p->es, p->ss[last], rows,
                          TS_MIN(TILE, p->dims[last] - c0), p->es);
        } else {
            int64_t first = seg * p->seg, n = TS_MIN(p->seg, p->dims[last] - first);
            copy_line(d + first * p->ds[last] * (int64_t)p->es, p->ds[last],
                      s + first * p->ss[last] * (int64_t)p->es, p->ss[last], n, p->es);
        }
        if (++seg < p->nseg) continue;
        seg = 0;
        for (int j = p->nouter - 1; j >= 0; j--) {
            if (++idx[j] < p->odims[j]) break;
            idx[j] = 0;
        }
    }
}

void shp_copy(cpu_ctx *ctx, size_t esize, int rank, const int64_t *dims, void *dst,
              const int64_t *dst_stride, const void *src, const int64_t *src_stride) {
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0) return;
    plan p;
    p.es = esize;
    p.dst = dst;
    p.src = src;
    simplify(&p, rank, dims, dst_stride, src_stride);
    choose_mode(&p);
    plan_items(&p);
    int64_t items = p.nseg;
    for (int j = 0; j < p.nouter; j++) items *= p.odims[j];
    int64_t total = 1;
    for (int i = 0; i < p.rank; i++) total *= p.dims[i];
    int64_t item_bytes = total / items * (int64_t)esize;
    int64_t grain = TS_MAX(1, PAR_BYTES / TS_MAX(item_bytes, 1));
    ts_parallel_for(ctx ? ctx->pool : NULL, items, grain, run_items, &p);
}

typedef struct mc_arg { char *d; const char *s; size_t n; } mc_arg;

static void memcpy_range(void *arg, int64_t b, int64_t e) {
    const mc_arg *a = arg;
    size_t lo = (size_t)b * PAR_BYTES, hi = TS_MIN((size_t)e * PAR_BYTES, a->n);
    memcpy(a->d + lo, a->s + lo, hi - lo);
}

void shp_memcpy(cpu_ctx *ctx, void *dst, const void *src, size_t bytes) {
    if (dst == src || bytes == 0) return;
    mc_arg a = {dst, src, bytes};
    int64_t blocks = (int64_t)((bytes + PAR_BYTES - 1) / PAR_BYTES);
    ts_parallel_for(ctx ? ctx->pool : NULL, blocks, 4, memcpy_range, &a);
}

typedef struct fill_arg { char *d; const void *v; size_t es; } fill_arg;

static void fill_range(void *arg, int64_t b, int64_t e) {
    const fill_arg *a = arg;
#define FILL(T)                                                              \
    do {                                                                     \
        T v; memcpy(&v, a->v, sizeof v); T *d = (T *)a->d;                   \
        for (int64_t i = b; i < e; i++) d[i] = v;                            \
    } while (0)
    switch (a->es) {
    case 1: memset(a->d + b, *(const uint8_t *)a->v, (size_t)(e - b)); break;
    case 2: FILL(uint16_t); break;
    case 4: FILL(uint32_t); break;
    case 8: FILL(uint64_t); break;
    default:
        for (int64_t i = b; i < e; i++) memcpy(a->d + (size_t)i * a->es, a->v, a->es);
    }
#undef FILL
}

void shp_fill(cpu_ctx *ctx, void *dst, int64_t n, const void *value, size_t esize) {
    fill_arg a = {dst, value, esize};
    ts_parallel_for(ctx ? ctx->pool : NULL, n, TS_MAX(1, PAR_BYTES / (int64_t)esize), fill_range,
                    &a);
}

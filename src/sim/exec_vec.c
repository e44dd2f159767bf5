/*
 * exec_vec.c: the vector unit's instructions (VADD..VFILL, VREQUANT).
 *
 * An operand is rows x cols elements of one dtype in SRAM (byte address) or
 * ACC (entry index, 4-byte types only), rows `stride` elements apart. Work
 * goes row by row in chunks: load and convert to the compute type (fp32 for
 * float sources, int32 widened to int64 results for integers), compute,
 * convert and store. Sources are read as they were before the instruction:
 * a source that overlaps the destination in any other way than the very
 * same elements is copied first.
 */
#include <math.h>
#include <string.h>

#include "sim/exec_int.h"

#define CHUNK 512  /* elements per step; a multiple of 16 (VREDUCE lanes) */
_Static_assert(CHUNK % 16 == 0, "chunks start at VREDUCE lane 0");

typedef struct vopnd {
    const char *name;     /* field name, for messages */
    uint8_t    *base;     /* sram or acc */
    uint64_t    off;      /* byte offset of element (0, 0) */
    uint64_t    stride;   /* bytes between rows */
    uint64_t    rows, cols;
    unsigned    dt;
    size_t      es;
    uint8_t    *copy;     /* snapshot, when the destination overlaps it */
} vopnd;

static ts_status opnd_init(vopnd *o, const char *name, const sim_mem *m, unsigned space, uint64_t addr,
                           uint64_t stride, uint64_t rows, uint64_t cols, unsigned dt) {
    memset(o, 0, sizeof *o);
    o->name = name;
    o->dt = dt;
    o->es = isa_dtype_size(dt);
    o->rows = rows;
    o->cols = cols;
    if (!strcmp(name, "dst") && rows > 1 && stride < cols)  /* results would depend on write order */
        return ts_error(TS_ERR_INVALID, "dst_stride (%llu) < %llu columns: dst rows overlap",
                        (unsigned long long)stride, (unsigned long long)cols);
    if (space == ISA_SP_ACC) {
        if (o->es != 4)
            return ts_error(TS_ERR_INVALID, "%s: %s elements cannot live in ACC (4-byte entries)", name,
                            isa_dtype_name(dt));
        o->base = m->acc;
        o->off = addr * 4;
        o->stride = stride * 4;
        return sim_check_span(name, addr, rows, stride, cols, m->acc_bytes / 4, "ACC", "entries");
    }
    o->base = m->sram;
    o->off = addr;
    o->stride = stride * o->es;
    return sim_check_span(name, addr, rows, stride * o->es, cols * o->es, m->sram_bytes, "SRAM", "bytes");
}

static uint64_t opnd_end(const vopnd *o) {
    return o->rows && o->cols ? o->off + (o->rows - 1) * o->stride + o->cols * o->es : o->off;
}

/* Snapshots src if writing dst could change what src reads later. */
static ts_status opnd_guard(vopnd *src, const vopnd *dst) {
    if (src->base != dst->base || !src->rows || !src->cols || !dst->rows || !dst->cols) return TS_OK;
    if (opnd_end(src) <= dst->off || opnd_end(dst) <= src->off) return TS_OK;
    if (src->off == dst->off && src->stride == dst->stride && src->es == dst->es && src->cols == dst->cols)
        return TS_OK;  /* the same elements: each is read before it is written */
    size_t n = (size_t)(opnd_end(src) - src->off);
    src->copy = ts_malloc(n);
    if (!src->copy) return TS_ERR_NOMEM;
    memcpy(src->copy, src->base + src->off, n);
    return TS_OK;
}

static const uint8_t *opnd_at(const vopnd *o, uint64_t r, uint64_t c) {
    const uint8_t *p = o->copy ? o->copy : o->base + o->off;
    return p + r * o->stride + c * o->es;
}

static uint8_t *opnd_wr(const vopnd *o, uint64_t r, uint64_t c) { return o->base + o->off + r * o->stride + c * o->es; }

static float imm_f32(const isa_inst *in) {
    uint32_t u = (uint32_t)in->f[ISA_F_VEC_imm];
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- elementwise binary ops ------------------------------------------------------ */

typedef struct vwork {
    float   fa[CHUNK], fb[CHUNK];
    int32_t ia[CHUNK], ib[CHUNK];
    int64_t io[CHUNK];
} vwork;

/* src1 chunk for row r, columns [c0, c0+n): full, row vector, column vector or imm. */
static void load_src1(const isa_inst *in, const vopnd *s1, bool fdom, uint64_t r, uint64_t c0, int n, vwork *w) {
    unsigned bc = (unsigned)in->f[ISA_F_VEC_bcast];
    if (bc == ISA_BC_SCALAR || bc == ISA_BC_COL) {
        float fv = 0;
        int32_t iv = 0;
        if (bc == ISA_BC_SCALAR) {
            fv = imm_f32(in);
            iv = (int32_t)(uint32_t)in->f[ISA_F_VEC_imm];
        } else if (fdom) {  /* read only the element's own bytes */
            sim_v_load_f32(s1->dt, opnd_at(s1, r, 0), &fv, 1);
        } else {
            sim_v_load_i32(s1->dt, opnd_at(s1, r, 0), &iv, 1);
        }
        for (int i = 0; i < n; i++) { w->fb[i] = fv; w->ib[i] = iv; }
        return;
    }
    const uint8_t *p = opnd_at(s1, bc == ISA_BC_ROW ? 0 : r, c0);
    if (fdom) sim_v_load_f32(s1->dt, p, w->fb, n);
    else sim_v_load_i32(s1->dt, p, w->ib, n);
}

static ts_status run_binary(const isa_inst *in, vopnd *dst, vopnd *s0, vopnd *s1) {
    bool fdom = isa_dtype_is_float(s0->dt);
    unsigned op = (unsigned)in->op;
    if (op == ISA_VDIV && !fdom)
        return ts_error(TS_ERR_INVALID, "VDIV needs a float stype (bf16, fp32), not %s", isa_dtype_name(s0->dt));
    vwork *w = ts_malloc(sizeof *w);
    if (!w) return TS_ERR_NOMEM;
    for (uint64_t r = 0; r < dst->rows; r++) {
        for (uint64_t c0 = 0; c0 < dst->cols; c0 += CHUNK) {
            int n = (int)TS_MIN((uint64_t)CHUNK, dst->cols - c0);
            load_src1(in, s1, fdom, r, c0, n, w);
            if (fdom) {
                sim_v_load_f32(s0->dt, opnd_at(s0, r, c0), w->fa, n);
                sim_v_binary_f32(op, w->fa, w->fb, w->fa, n);
                sim_v_store_f32(dst->dt, w->fa, opnd_wr(dst, r, c0), n);
            } else {
                sim_v_load_i32(s0->dt, opnd_at(s0, r, c0), w->ia, n);
                sim_v_binary_i64(op, w->ia, w->ib, w->io, n);
                sim_v_store_i64(dst->dt, w->io, opnd_wr(dst, r, c0), n);
            }
        }
    }
    ts_free(w);
    return TS_OK;
}

/* ---- unary ops: VMOV, VACT ------------------------------------------------------------ */

static ts_status run_unary(const isa_inst *in, vopnd *dst, vopnd *s0) {
    unsigned op = (unsigned)in->op, func = (unsigned)in->f[ISA_F_VEC_func];
    bool fdom = isa_dtype_is_float(s0->dt);
    bool int_act = op == ISA_VACT && !fdom && (func == ISA_ACT_RELU || func == ISA_ACT_RELU6);
    if (op == ISA_VACT && !fdom && !int_act) fdom = true;  /* integer input to a float function */
    vwork *w = ts_malloc(sizeof *w);
    if (!w) return TS_ERR_NOMEM;
    for (uint64_t r = 0; r < dst->rows; r++) {
        for (uint64_t c0 = 0; c0 < dst->cols; c0 += CHUNK) {
            int n = (int)TS_MIN((uint64_t)CHUNK, dst->cols - c0);
            const uint8_t *sp = opnd_at(s0, r, c0);
            uint8_t *dp = opnd_wr(dst, r, c0);
            if (op == ISA_VMOV && s0->dt == dst->dt) {
                memmove(dp, sp, (size_t)n * s0->es);  /* a copy keeps every bit, NaN payloads too */
            } else if (fdom) {
                sim_v_load_f32(s0->dt, sp, w->fa, n);
                if (op == ISA_VACT) sim_v_act_f32(func, w->fa, n, imm_f32(in));
                sim_v_store_f32(dst->dt, w->fa, dp, n);
            } else {
                sim_v_load_i32(s0->dt, sp, w->ia, n);
                if (op == ISA_VACT) sim_v_act_i64(func, w->ia, w->io, n);
                else for (int i = 0; i < n; i++) w->io[i] = w->ia[i];
                sim_v_store_i64(dst->dt, w->io, dp, n);
            }
        }
    }
    ts_free(w);
    return TS_OK;
}

/* ---- VREDUCE --------------------------------------------------------------------------- */

/* fp32 reductions use 16 lanes: lane j takes columns j, j+16, ... in order
 * (sum starts at +0, max at -inf, min at +inf), then lanes fold j += j+8,
 * j+4, j+2, j+1. max/min are IEEE 754-2019 maximum/minimum. CHUNK is a
 * multiple of 16, so every chunk starts at lane 0. */
static ts_status run_reduce(const isa_inst *in, vopnd *dst, vopnd *s0) {
    unsigned func = (unsigned)in->f[ISA_F_VEC_func];
    bool fdom = isa_dtype_is_float(s0->dt);
    vwork *w = ts_malloc(sizeof *w);
    if (!w) return TS_ERR_NOMEM;
    for (uint64_t r = 0; r < s0->rows; r++) {
        float lanes[16];
        float init = func == ISA_RED_SUM ? 0.0f : func == ISA_RED_MAX ? -INFINITY : INFINITY;
        int64_t acc = func == ISA_RED_SUM ? 0 : func == ISA_RED_MAX ? INT64_MIN : INT64_MAX;
        for (int j = 0; j < 16; j++) lanes[j] = init;
        for (uint64_t c0 = 0; c0 < s0->cols; c0 += CHUNK) {
            int n = (int)TS_MIN((uint64_t)CHUNK, s0->cols - c0);
            if (fdom) {
                sim_v_load_f32(s0->dt, opnd_at(s0, r, c0), w->fa, n);
                sim_v_reduce_f32(func, w->fa, n, lanes);
            } else {
                sim_v_load_i32(s0->dt, opnd_at(s0, r, c0), w->ia, n);
                for (int i = 0; i < n; i++) {
                    int64_t v = w->ia[i];
                    acc = func == ISA_RED_SUM ? acc + v : func == ISA_RED_MAX ? TS_MAX(acc, v) : TS_MIN(acc, v);
                }
            }
        }
        if (fdom) {
            float res = sim_v_reduce_fold(func, lanes);
            sim_v_store_f32(dst->dt, &res, opnd_wr(dst, r, 0), 1);
        } else {
            sim_v_store_i64(dst->dt, &acc, opnd_wr(dst, r, 0), 1);
        }
    }
    ts_free(w);
    return TS_OK;
}

/* ---- VFILL ----------------------------------------------------------------------------- */

static ts_status run_fill(const isa_inst *in, vopnd *dst) {
    vwork *w = ts_malloc(sizeof *w);
    if (!w) return TS_ERR_NOMEM;
    bool fdom = isa_dtype_is_float(dst->dt);
    for (int i = 0; i < CHUNK; i++) {
        w->fa[i] = imm_f32(in);
        w->io[i] = (int32_t)(uint32_t)in->f[ISA_F_VEC_imm];
    }
    for (uint64_t r = 0; r < dst->rows; r++)
        for (uint64_t c0 = 0; c0 < dst->cols; c0 += CHUNK) {
            int n = (int)TS_MIN((uint64_t)CHUNK, dst->cols - c0);
            if (fdom) sim_v_store_f32(dst->dt, w->fa, opnd_wr(dst, r, c0), n);
            else sim_v_store_i64(dst->dt, w->io, opnd_wr(dst, r, c0), n);
        }
    ts_free(w);
    return TS_OK;
}

/* ---- the VEC format ---------------------------------------------------------------------- */

ts_status sim_exec_vec(const isa_inst *in, const sim_mem *m) {
    const uint64_t *f = in->f;
    unsigned op = (unsigned)in->op;
    uint64_t rows = f[ISA_F_VEC_rows], cols = f[ISA_F_VEC_cols];
    unsigned dt = (unsigned)f[ISA_F_VEC_dtype], st = (unsigned)f[ISA_F_VEC_stype];
    bool binary = op >= ISA_VADD && op <= ISA_VDIV;
    vopnd dst, s0, s1;
    memset(&s0, 0, sizeof s0);
    memset(&s1, 0, sizeof s1);
    if (rows == 0 || cols == 0) return TS_OK;
    ts_status rc = opnd_init(&dst, "dst", m, (unsigned)f[ISA_F_VEC_dspace], f[ISA_F_VEC_dst], f[ISA_F_VEC_dst_stride],
                             rows, op == ISA_VREDUCE ? 1 : cols, dt);
    if (rc) return rc;
    if (op != ISA_VFILL) {
        rc = opnd_init(&s0, "src0", m, (unsigned)f[ISA_F_VEC_s0space], f[ISA_F_VEC_src0], f[ISA_F_VEC_src0_stride],
                       rows, cols, st);
        if (!rc) rc = opnd_guard(&s0, &dst);
    }
    if (!rc && binary && f[ISA_F_VEC_bcast] != ISA_BC_SCALAR) {
        unsigned bc = (unsigned)f[ISA_F_VEC_bcast];
        rc = opnd_init(&s1, "src1", m, (unsigned)f[ISA_F_VEC_s1space], f[ISA_F_VEC_src1], f[ISA_F_VEC_src1_stride],
                       bc == ISA_BC_ROW ? 1 : rows, bc == ISA_BC_COL ? 1 : cols, st);
        if (!rc) rc = opnd_guard(&s1, &dst);
    }
    if (!rc) {
        if (binary) rc = run_binary(in, &dst, &s0, &s1);
        else if (op == ISA_VMOV || op == ISA_VACT) rc = run_unary(in, &dst, &s0);
        else if (op == ISA_VREDUCE) rc = run_reduce(in, &dst, &s0);
        else if (op == ISA_VFILL) rc = run_fill(in, &dst);
        else rc = ts_error(TS_ERR_INTERNAL, "no vector executor for opcode 0x%02x", op);
    }
    ts_free(s0.copy);
    ts_free(s1.copy);
    return rc;
}

/* ---- VREQUANT (format RQ) ---------------------------------------------------------------- */

/* Per-column parameters: SRAM[params + 12*c] = {int32 mult, int32 shift, int32 zp}. */
static ts_status load_rq_table(const isa_inst *in, const sim_mem *m, uint64_t cols, int32_t **tab) {
    uint64_t at = in->f[ISA_F_RQ_params];
    ts_status st = sim_check_span("params", at, 1, 0, cols * 12, m->sram_bytes, "SRAM", "bytes");
    if (st) return st;
    int32_t *t = ts_malloc((size_t)cols * 3 * sizeof *t);
    if (!t) return TS_ERR_NOMEM;
    for (uint64_t c = 0; c < cols; c++) {
        int32_t rec[3];
        memcpy(rec, m->sram + at + 12 * c, 12);
        if (rec[1] < 0 || rec[1] > ISA_RQ_MAX_SHIFT) {
            ts_free(t);
            return ts_error(TS_ERR_RANGE, "params: column %llu: shift %d out of range 0..%d",
                            (unsigned long long)c, rec[1], ISA_RQ_MAX_SHIFT);
        }
        t[c] = rec[0];
        t[cols + c] = rec[1];
        t[2 * cols + c] = rec[2];
    }
    *tab = t;
    return TS_OK;
}

static ts_status requant_rows(const isa_inst *in, vopnd *dst, vopnd *s0, const int32_t *tab, uint64_t cols) {
    bool per_col = tab != NULL;
    int32_t pm[1] = {(int32_t)(uint32_t)in->f[ISA_F_RQ_mult]};
    int32_t ps[1] = {(int32_t)in->f[ISA_F_RQ_shift]};
    int32_t pz[1] = {(int16_t)(uint16_t)in->f[ISA_F_RQ_zp]};
    vwork *w = ts_malloc(sizeof *w);
    if (!w) return TS_ERR_NOMEM;
    for (uint64_t r = 0; r < dst->rows; r++)
        for (uint64_t c0 = 0; c0 < cols; c0 += CHUNK) {
            int n = (int)TS_MIN((uint64_t)CHUNK, cols - c0);
            sim_v_load_i32(ISA_DT_INT32, opnd_at(s0, r, c0), w->ia, n);
            if (per_col) sim_v_requant(w->ia, tab + c0, tab + cols + c0, tab + 2 * cols + c0, true, dst->dt, w->io, n);
            else sim_v_requant(w->ia, pm, ps, pz, false, dst->dt, w->io, n);
            sim_v_store_i64(dst->dt, w->io, opnd_wr(dst, r, c0), n);
        }
    ts_free(w);
    return TS_OK;
}

ts_status sim_exec_requant(const isa_inst *in, const sim_mem *m) {
    const uint64_t *f = in->f;
    uint64_t rows = f[ISA_F_RQ_rows], cols = f[ISA_F_RQ_cols];
    unsigned dt = (unsigned)f[ISA_F_RQ_dtype];
    if (dt != ISA_DT_INT8 && dt != ISA_DT_UINT8 && dt != ISA_DT_INT16 && dt != ISA_DT_INT32)
        return ts_error(TS_ERR_INVALID, "dtype %s: VREQUANT writes int8, uint8, int16 or int32", isa_dtype_name(dt));
    if (f[ISA_F_RQ_mode] == ISA_RQ_PER_TENSOR && f[ISA_F_RQ_shift] > ISA_RQ_MAX_SHIFT)
        return ts_error(TS_ERR_RANGE, "shift %llu out of range 0..%d", (unsigned long long)f[ISA_F_RQ_shift],
                        ISA_RQ_MAX_SHIFT);
    if (rows == 0 || cols == 0) return TS_OK;
    vopnd dst, s0;
    memset(&s0, 0, sizeof s0);
    int32_t *tab = NULL;
    ts_status rc = opnd_init(&dst, "dst", m, (unsigned)f[ISA_F_RQ_dspace], f[ISA_F_RQ_dst], f[ISA_F_RQ_dst_stride],
                             rows, cols, dt);
    if (!rc) rc = opnd_init(&s0, "src0", m, (unsigned)f[ISA_F_RQ_s0space], f[ISA_F_RQ_src0],
                            f[ISA_F_RQ_src0_stride], rows, cols, ISA_DT_INT32);
    if (!rc) rc = opnd_guard(&s0, &dst);
    if (!rc && f[ISA_F_RQ_mode] == ISA_RQ_PER_COLUMN) rc = load_rq_table(in, m, cols, &tab);
    if (!rc) rc = requant_rows(in, &dst, &s0, tab, cols);
    ts_free(tab);
    ts_free(s0.copy);
    return rc;
}

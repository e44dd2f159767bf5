/*
 * disasm.c: isa_program to assembly text that isa_assemble reads back into
 * the same bytes. Fields print by kind (engine lists, dtype names, hex
 * addresses); fields that are 0 are left out (0 is the assembler's default),
 * except dtypes, engines and modes, which always print because they say
 * what the instruction is about.
 */
#include <stdarg.h>
#include <string.h>

#include "isa/isa.h"

static const char *enum_name(isa_field_kind k, unsigned op, uint64_t v) {
    static const char *const mm[ISA_MM_COUNT] = {"int8", "bf16"};
    static const char *const spaces[2] = {"sram", "acc"};
    static const char *const bc[4] = {"full", "row", "col", "scalar"};
    static const char *const rq[ISA_RQ_COUNT] = {"per_tensor", "per_column"};
    switch (k) {
    case ISA_K_DTYPE:  return isa_dtype_name((unsigned)v);
    case ISA_K_MMTYPE: return v < ISA_MM_COUNT ? mm[v] : NULL;
    case ISA_K_SPACE:  return v < 2 ? spaces[v] : NULL;
    case ISA_K_BCAST:  return v < 4 ? bc[v] : NULL;
    case ISA_K_RQMODE: return v < ISA_RQ_COUNT ? rq[v] : NULL;
    case ISA_K_ENGINE: return v < ISA_ENGINES ? isa_engine_name((int)v) : NULL;
    case ISA_K_FUNC:
        if (op == ISA_VACT) return isa_act_name((unsigned)v);
        if (op == ISA_VREDUCE) return isa_reduce_name((unsigned)v);
        return NULL;
    default: return NULL;
    }
}

/* Appends printf output at *pos, never past n. */
static void emit(char *buf, size_t n, size_t *pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void emit(char *buf, size_t n, size_t *pos, const char *fmt, ...) {
    if (*pos >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *pos, n - *pos, fmt, ap);
    va_end(ap);
    if (w > 0) *pos += (size_t)w;
}

static void emit_field(char *buf, size_t n, size_t *pos, const isa_inst *in, const isa_field_desc *fd, uint64_t v) {
    const char *nm = enum_name(fd->kind, (unsigned)in->op, v);
    if (nm) { emit(buf, n, pos, " %s=%s", fd->name, nm); return; }
    switch (fd->kind) {
    case ISA_K_ENGMASK:
        emit(buf, n, pos, " %s=", fd->name);
        for (int e = 0, first = 1; e < ISA_ENGINES; e++)
            if (v & (1u << e)) { emit(buf, n, pos, "%s%s", first ? "" : ",", isa_engine_name(e)); first = 0; }
        break;
    case ISA_K_SINT: {
        int64_t s = (int64_t)(v << (64 - fd->width)) >> (64 - fd->width);  /* sign-extend */
        emit(buf, n, pos, " %s=%lld", fd->name, (long long)s);
        break;
    }
    case ISA_K_ADDR:
    case ISA_K_IMM:
        emit(buf, n, pos, " %s=0x%llx", fd->name, (unsigned long long)v);
        break;
    default:
        emit(buf, n, pos, " %s=%llu", fd->name, (unsigned long long)v);
        break;
    }
}

const char *isa_format_inst(const isa_inst *in, char *buf, size_t n) {
    size_t pos = 0;
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (n) buf[0] = 0;
    if (!d) { emit(buf, n, &pos, "<bad opcode 0x%02x>", (unsigned)in->op); return buf; }
    emit(buf, n, &pos, "%s", d->name);
    for (int i = 0; i < ISA_FIELD_COUNT; i++) {
        const isa_field_desc *fd = isa_field_info((isa_field_id)i);
        if (i == ISA_F_ALL_opcode || !isa_field_in_format((isa_field_id)i, d->format)) continue;
        uint64_t v = in->f[i];
        bool always = fd->kind == ISA_K_DTYPE || fd->kind == ISA_K_MMTYPE || fd->kind == ISA_K_ENGINE ||
                      fd->kind == ISA_K_RQMODE;
        if (!v && !always) continue;
        emit_field(buf, n, &pos, in, fd, v);
    }
    /* a float immediate also shows its value, as a comment */
    if (d->format == ISA_FMT_VEC && in->f[ISA_F_VEC_imm]) {
        unsigned t = (unsigned)(in->op == ISA_VFILL ? in->f[ISA_F_VEC_dtype] : in->f[ISA_F_VEC_stype]);
        if (isa_dtype_is_float(t) || (in->op == ISA_VACT && in->f[ISA_F_VEC_func] == ISA_ACT_LEAKY) ||
            (in->op == ISA_VACT && in->f[ISA_F_VEC_func] == ISA_ACT_HSIGMOID)) {
            uint32_t bits = (uint32_t)in->f[ISA_F_VEC_imm];
            float f;
            memcpy(&f, &bits, 4);
            emit(buf, n, &pos, "  # imm=%.9g", (double)f);
        }
    }
    return buf;
}

ts_status isa_disassemble(const isa_program *p, FILE *out) {
    char line[1024];
    long total = 0;
    for (int c = 0; c < p->n_cores; c++) total += p->n_inst[c];
    fprintf(out, "# Tessera NPU program: %d core%s, %ld instructions\n", p->n_cores, p->n_cores == 1 ? "" : "s",
            total);
    for (int c = 0; c < p->n_cores; c++) {
        fprintf(out, ".core %d\n", c);
        for (int i = 0; i < p->n_inst[c]; i++)
            fprintf(out, "    %s\n", isa_format_inst(&p->inst[c][i], line, sizeof line));
    }
    if (fflush(out) != 0 || ferror(out)) return ts_error(TS_ERR_IO, "disassembly: write failed");
    return TS_OK;
}

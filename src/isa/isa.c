/*
 * isa.c: the tables isa.def expands into, and the encoder, validator and
 * decoder built on them. Encoding is shift/mask on four little-endian 64-bit
 * words, so the bytes are the same on every host.
 */
#include <string.h>
#include <strings.h>

#include "isa/isa.h"

static const isa_op_desc isa_ops[256] = {
#define ISA_OP(name, code, engine, format, summary) [code] = {#name, engine, ISA_FMT_##format, summary},
#include "isa/isa.def"
};

static const isa_field_desc isa_fields[ISA_FIELD_COUNT] = {
#define ISA_FIELD(format, name, word, lo, width, kind, summary) \
    {#name, ISA_FMT_##format, word, lo, width, ISA_K_##kind, summary},
#include "isa/isa.def"
};

/* Every field must lie inside its word: checked once at compile time. */
#define ISA_FIELD(format, name, word, lo, width, kind, summary) \
    _Static_assert((word) >= 0 && (word) < 4 && (lo) >= 0 && (width) >= 1 && (lo) + (width) <= 64, \
                   "isa.def: field " #format "." #name " does not fit its word");
#include "isa/isa.def"

static const char *const engine_names[ISA_ENGINES] = {"dma_in", "matrix", "vector", "dma_out"};
static const char *const format_names[ISA_FMT_COUNT] = {"ALL", "SYS", "DMA", "MM", "VEC", "RQ"};
static const char *const dtype_names[ISA_DT_COUNT] = {"int8", "int32", "bf16", "fp32", "uint8", "int16"};
static const uint8_t dtype_sizes[ISA_DT_COUNT] = {1, 4, 2, 4, 1, 2};
static const char *const act_names[ISA_ACT_COUNT] = {
    "relu", "relu6", "sigmoid", "tanh", "gelu", "exp", "rsqrt", "recip",
    "hswish", "hsigmoid", "sqrt", "log", "leaky"};
static const char *const reduce_names[ISA_RED_COUNT] = {"sum", "max", "min"};

const isa_op_desc *isa_op_info(unsigned code) {
    return code < 256 && isa_ops[code].name ? &isa_ops[code] : NULL;
}

const isa_field_desc *isa_field_info(isa_field_id id) {
    return (unsigned)id < ISA_FIELD_COUNT ? &isa_fields[id] : NULL;
}

const char *isa_engine_name(int e) { return e >= 0 && e < ISA_ENGINES ? engine_names[e] : "?"; }
const char *isa_format_name(isa_format f) { return (unsigned)f < ISA_FMT_COUNT ? format_names[f] : "?"; }
const char *isa_dtype_name(unsigned dt) { return dt < ISA_DT_COUNT ? dtype_names[dt] : NULL; }
const char *isa_act_name(unsigned f) { return f < ISA_ACT_COUNT ? act_names[f] : NULL; }
const char *isa_reduce_name(unsigned f) { return f < ISA_RED_COUNT ? reduce_names[f] : NULL; }
size_t isa_dtype_size(unsigned dt) { return dt < ISA_DT_COUNT ? dtype_sizes[dt] : 0; }
bool isa_dtype_is_float(unsigned dt) { return dt == ISA_DT_BF16 || dt == ISA_DT_FP32; }

int isa_op_by_name(const char *name) {
    for (int c = 0; c < 256; c++)
        if (isa_ops[c].name && !strcasecmp(isa_ops[c].name, name)) return c;
    return -1;
}

int isa_field_by_name(isa_format fmt, const char *name) {
    for (int i = 0; i < ISA_FIELD_COUNT; i++)
        if ((isa_fields[i].format == fmt || isa_fields[i].format == ISA_FMT_ALL) &&
            !strcmp(isa_fields[i].name, name))
            return i;
    return -1;
}

bool isa_field_in_format(isa_field_id id, isa_format fmt) {
    return (unsigned)id < ISA_FIELD_COUNT &&
           (isa_fields[id].format == ISA_FMT_ALL || isa_fields[id].format == fmt);
}

int isa_inst_engine(const isa_inst *in) {
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (!d) return -1;
    if (d->engine == ISA_ENG_SELF) return (int)(in->f[ISA_F_SYS_engine] & 3);
    return (int)d->engine;
}

static uint64_t field_mask(const isa_field_desc *fd) {
    return fd->width == 64 ? ~0ull : (1ull << fd->width) - 1;
}

/* The enumerated value of field id is defined for opcode op (the func field
 * means an activation for VACT, a reduction for VREDUCE, nothing otherwise). */
static bool enum_value_ok(unsigned op, int id, uint64_t v) {
    switch (isa_fields[id].kind) {
    case ISA_K_DTYPE:  return v < ISA_DT_COUNT;
    case ISA_K_MMTYPE: return v < ISA_MM_COUNT;
    case ISA_K_RQMODE: return v < ISA_RQ_COUNT;
    case ISA_K_FUNC:
        if (op == ISA_VACT) return v < ISA_ACT_COUNT;
        if (op == ISA_VREDUCE) return v < ISA_RED_COUNT;
        return v == 0;
    default: return true;
    }
}

ts_status isa_validate(const isa_inst *in) {
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    if (!d) return ts_error(TS_ERR_INVALID, "unknown opcode 0x%02x", (unsigned)in->op);
    for (int i = 0; i < ISA_FIELD_COUNT; i++) {
        const isa_field_desc *fd = &isa_fields[i];
        uint64_t v = in->f[i];
        if (i == ISA_F_ALL_opcode) continue;
        if (!isa_field_in_format((isa_field_id)i, d->format)) {
            if (v) return ts_error(TS_ERR_INVALID, "%s has no field '%s' (format %s)", d->name,
                                   fd->name, format_names[d->format]);
            continue;
        }
        if (v & ~field_mask(fd))
            return ts_error(TS_ERR_INVALID, "%s: field '%s' = %llu does not fit in %d bits", d->name,
                            fd->name, (unsigned long long)v, fd->width);
        if (!enum_value_ok((unsigned)in->op, i, v))
            return ts_error(TS_ERR_INVALID, "%s: field '%s' has undefined value %llu", d->name,
                            fd->name, (unsigned long long)v);
    }
    return TS_OK;
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

void isa_encode(const isa_inst *in, uint8_t out[ISA_INST_BYTES]) {
    uint64_t w[4] = {0, 0, 0, 0};
    const isa_op_desc *d = isa_op_info((unsigned)in->op);
    isa_format fmt = d ? d->format : ISA_FMT_ALL;
    for (int i = 0; i < ISA_FIELD_COUNT; i++) {
        const isa_field_desc *fd = &isa_fields[i];
        if (!isa_field_in_format((isa_field_id)i, fmt)) continue;
        uint64_t v = i == ISA_F_ALL_opcode ? (uint64_t)((unsigned)in->op & 0xff) : in->f[i];
        w[fd->word] |= (v & field_mask(fd)) << fd->lo;
    }
    for (int i = 0; i < 4; i++) put_le64(out + 8 * i, w[i]);
}

ts_status isa_decode(const uint8_t in[ISA_INST_BYTES], isa_inst *out) {
    uint64_t w[4], used[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) w[i] = get_le64(in + 8 * i);
    unsigned code = (unsigned)(w[0] & 0xff);
    const isa_op_desc *d = isa_op_info(code);
    if (!d) return ts_error(TS_ERR_PARSE, "unknown opcode 0x%02x", code);
    memset(out, 0, sizeof *out);
    out->op = (isa_opcode)code;
    for (int i = 0; i < ISA_FIELD_COUNT; i++) {
        const isa_field_desc *fd = &isa_fields[i];
        if (!isa_field_in_format((isa_field_id)i, d->format)) continue;
        uint64_t v = (w[fd->word] >> fd->lo) & field_mask(fd);
        used[fd->word] |= field_mask(fd) << fd->lo;
        if (!enum_value_ok(code, i, v))
            return ts_error(TS_ERR_PARSE, "%s: field '%s' has undefined value %llu", d->name,
                            fd->name, (unsigned long long)v);
        out->f[i] = v;
    }
    for (int i = 0; i < 4; i++)
        if (w[i] & ~used[i])
            return ts_error(TS_ERR_PARSE, "%s: bits 0x%016llx of word %d are outside its fields",
                            d->name, (unsigned long long)(w[i] & ~used[i]), i);
    return TS_OK;
}

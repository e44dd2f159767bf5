/*
 * isa: Tessera's NPU instruction set (see docs/isa.md, the contract, and
 * isa.def, the single source of truth this header expands).
 *
 * A core has four engines, each with its own in-order instruction queue:
 * DMA-in (HBM -> SRAM), matrix (INT8/BF16 tiles into the accumulator),
 * vector (elementwise, requantize, activations, reductions) and DMA-out
 * (SRAM -> HBM). Engines order themselves with tokens (wait/signal masks in
 * every instruction) and cores with BARRIER.
 *
 * A program is one instruction stream per core; the simulator dispatches each
 * instruction to the queue of the engine that executes it, in stream order.
 *
 *   isa_inst in = {0}; in.op = ISA_MATMUL; in.f[ISA_F_M] = 64; ...
 *   uint8_t bytes[ISA_INST_BYTES]; isa_encode(&in, bytes);
 *   isa_decode(bytes, &out);            // fails on a bad opcode or field
 *
 * Prefix: isa_. Depends on base only.
 */
#ifndef TESSERA_ISA_H
#define TESSERA_ISA_H

#include "base/base.h"

#define ISA_INST_BYTES 32
#define ISA_ENGINES 4

typedef enum isa_engine {
    ISA_ENG_DMA_IN = 0,
    ISA_ENG_MATRIX = 1,
    ISA_ENG_VECTOR = 2,
    ISA_ENG_DMA_OUT = 3,
    ISA_ENG_SELF = 4 /* isa.def only: the `engine` field decides */
} isa_engine;

typedef enum isa_format {
    ISA_FMT_ALL, ISA_FMT_SYS, ISA_FMT_DMA, ISA_FMT_MM, ISA_FMT_VEC, ISA_FMT_RQ, ISA_FMT_COUNT
} isa_format;

/* How the assembler reads a field and the disassembler prints it. */
typedef enum isa_field_kind {
    ISA_K_UINT, ISA_K_SINT, ISA_K_ADDR, ISA_K_ENGINE, ISA_K_ENGMASK, ISA_K_DTYPE,
    ISA_K_MMTYPE, ISA_K_FUNC, ISA_K_SPACE, ISA_K_BCAST, ISA_K_RQMODE, ISA_K_IMM
} isa_field_kind;

typedef enum isa_opcode {
#define ISA_OP(name, code, engine, format, summary) ISA_##name = code,
#include "isa/isa.def"
    ISA_OPCODE_LIMIT = 256
} isa_opcode;

/* Field ids: ISA_F_<FORMAT>_<name>, e.g. ISA_F_MM_m, ISA_F_DMA_hbm. */
typedef enum isa_field_id {
#define ISA_FIELD(format, name, word, lo, width, kind, summary) ISA_F_##format##_##name,
#include "isa/isa.def"
    ISA_FIELD_COUNT
} isa_field_id;

/* Element types of the vector unit (VEC dtype/stype fields). */
typedef enum isa_dtype {
    ISA_DT_INT8 = 0, ISA_DT_INT32 = 1, ISA_DT_BF16 = 2, ISA_DT_FP32 = 3,
    ISA_DT_UINT8 = 4, ISA_DT_INT16 = 5, ISA_DT_COUNT
} isa_dtype;

/* VACT functions (VEC func field with VACT). */
typedef enum isa_act {
    ISA_ACT_RELU = 0, ISA_ACT_RELU6 = 1, ISA_ACT_SIGMOID = 2, ISA_ACT_TANH = 3,
    ISA_ACT_GELU = 4, ISA_ACT_EXP = 5, ISA_ACT_RSQRT = 6, ISA_ACT_RECIP = 7,
    ISA_ACT_HSWISH = 8, ISA_ACT_HSIGMOID = 9, ISA_ACT_SQRT = 10, ISA_ACT_LOG = 11,
    ISA_ACT_LEAKY = 12, /* negative slope = imm (fp32 bits) */
    ISA_ACT_COUNT
} isa_act;

/* VREDUCE kinds (VEC func field with VREDUCE). */
typedef enum isa_reduce { ISA_RED_SUM = 0, ISA_RED_MAX = 1, ISA_RED_MIN = 2, ISA_RED_COUNT } isa_reduce;

/* VREQUANT modes (RQ mode field): where mult/shift/zp come from. */
typedef enum isa_requant_mode {
    ISA_RQ_PER_TENSOR = 0,  /* the instruction's mult, shift and zp fields */
    ISA_RQ_PER_COLUMN = 1,  /* SRAM[params + 12*c] = {int32 mult, int32 shift, int32 zp} */
    ISA_RQ_COUNT
} isa_requant_mode;

/* VEC bcast field: the shape of src1. */
typedef enum isa_bcast {
    ISA_BC_FULL = 0, ISA_BC_ROW = 1, ISA_BC_COL = 2, ISA_BC_SCALAR = 3
} isa_bcast;

/* Memory spaces of vector operands (dspace/s0space/s1space). */
typedef enum isa_space { ISA_SP_SRAM = 0, ISA_SP_ACC = 1 } isa_space;

/* MATMUL dtype field. */
typedef enum isa_mm_type { ISA_MM_INT8 = 0, ISA_MM_BF16 = 1, ISA_MM_COUNT } isa_mm_type;

#define ISA_RQ_MAX_SHIFT 62

/* A decoded instruction: the opcode and every field of its format (and the
 * common ones), indexed by isa_field_id. Fields not in its format are 0. */
typedef struct isa_inst {
    isa_opcode op;
    uint64_t   f[ISA_FIELD_COUNT];
} isa_inst;

typedef struct isa_field_desc {
    const char    *name;     /* "hbm_stride" */
    isa_format     format;
    int            word, lo, width;
    isa_field_kind kind;
    const char    *summary;
} isa_field_desc;

typedef struct isa_op_desc {
    const char *name;     /* "MATMUL"; NULL for unused codes */
    isa_engine  engine;
    isa_format  format;
    const char *summary;
} isa_op_desc;

const isa_op_desc    *isa_op_info(unsigned code);  /* NULL if not an opcode */
const isa_field_desc *isa_field_info(isa_field_id id); /* NULL if out of range */
const char           *isa_engine_name(int engine);  /* "dma_in", ... ; "?" if bad */
const char           *isa_format_name(isa_format f); /* "SYS", "DMA", ... */
/* Names of enumerated values; NULL when the value has none. */
const char *isa_dtype_name(unsigned dt);            /* "int8", "bf16", ... */
const char *isa_act_name(unsigned f);               /* "relu", ... */
const char *isa_reduce_name(unsigned f);            /* "sum", "max", "min" */
size_t      isa_dtype_size(unsigned dt);            /* bytes; 0 if bad */
bool        isa_dtype_is_float(unsigned dt);        /* bf16, fp32 */
/* Opcode by name (case-insensitive); -1 if none. */
int isa_op_by_name(const char *name);
/* Field of format fmt (or ALL) called name; -1 if none. */
int isa_field_by_name(isa_format fmt, const char *name);
/* Engine that executes this instruction (resolves ISA_ENG_SELF). */
int isa_inst_engine(const isa_inst *in);
/* Does field id belong to instructions of format fmt (ALL fields always do)? */
bool isa_field_in_format(isa_field_id id, isa_format fmt);

/* Checks that in->op is an opcode, every field fits its width, fields of
 * other formats are 0, and enumerated fields hold a defined value (dtype,
 * func, mode). TS_ERR_INVALID with a message naming the field. */
ts_status isa_validate(const isa_inst *in);
/* Encodes in (which should pass isa_validate: out-of-width bits are
 * dropped). The opcode comes from in->op, not f[ISA_F_ALL_opcode]. */
void      isa_encode(const isa_inst *in, uint8_t out[ISA_INST_BYTES]);
/* Fails (TS_ERR_PARSE) on an unknown opcode, bits set outside the format's
 * fields, or a field out of range (an undefined dtype, func, mode). Sets
 * out->op and every field, f[ISA_F_ALL_opcode] included. */
ts_status isa_decode(const uint8_t in[ISA_INST_BYTES], isa_inst *out);

/* ---- programs ------------------------------------------------------------ */

#define ISA_MAX_CORES 64

typedef struct isa_program {
    int       n_cores;
    int       n_inst[ISA_MAX_CORES];
    isa_inst *inst[ISA_MAX_CORES];  /* per core, in stream order */
    int       cap[ISA_MAX_CORES];   /* allocated entries of inst[c] */
} isa_program;

/* Binary program container (.bin): see docs/isa.md "Program file". A
 * header of ISA_FILE_HEADER_BYTES (magic, version, core count, per-core
 * instruction counts, CRC-32 of the whole file) then the instructions of
 * core 0, core 1, ... Loading checks everything and decodes every
 * instruction; errors name the file (and core and instruction index). */
#define ISA_FILE_MAGIC "TSRPROG\0"
#define ISA_FILE_VERSION 1
#define ISA_FILE_HEADER_BYTES 320
/* Instructions per core a file may hold (a sanity bound, 512 MiB). */
#define ISA_MAX_INST_PER_CORE (1u << 24)

ts_status isa_program_load(const char *path, isa_program **out);
ts_status isa_program_read(const uint8_t *data, size_t len, const char *name, isa_program **out);
ts_status isa_program_save(const char *path, const isa_program *p);
/* Serialized bytes, for callers that embed a program (e.g. a .tsr). */
ts_status isa_program_write(const isa_program *p, uint8_t **data, size_t *len);
void      isa_program_free(isa_program *p);
isa_program *isa_program_new(int n_cores);
ts_status isa_program_append(isa_program *p, int core, const isa_inst *in);

/* Assembly text <-> program. Errors name file, line and column.
 * isa_assemble_buf reads len bytes (no NUL needed; a NUL byte is an error). */
ts_status isa_assemble(const char *text, const char *filename, isa_program **out);
ts_status isa_assemble_buf(const char *text, size_t len, const char *filename, isa_program **out);
ts_status isa_assemble_file(const char *path, isa_program **out);
ts_status isa_disassemble(const isa_program *p, FILE *out);
/* One instruction as text ("MATMUL m=64 k=128 ..."), into buf. */
const char *isa_format_inst(const isa_inst *in, char *buf, size_t n);

#endif

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

typedef enum isa_format { ISA_FMT_ALL, ISA_FMT_SYS, ISA_FMT_DMA, ISA_FMT_MM, ISA_FMT_VEC } isa_format;

typedef enum isa_opcode {
#define ISA_OP(name, code, engine, format, summary) ISA_##name = code,
#include "isa/isa.def"
    ISA_OPCODE_LIMIT = 256
} isa_opcode;

/* Field ids: ISA_F_<FORMAT>_<name>, e.g. ISA_F_MM_m, ISA_F_DMA_hbm. */
typedef enum isa_field_id {
#define ISA_FIELD(format, name, word, lo, width, summary) ISA_F_##format##_##name,
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

/* VREQUANT modes (VEC func field with VREQUANT): where mult/shift come from. */
typedef enum isa_requant_mode {
    ISA_RQ_PER_TENSOR = 0,  /* imm = mult, src1 = shift (low 8 bits), zp from src1_stride */
    ISA_RQ_PER_COLUMN = 1   /* src1 (SRAM) holds per column {int32 mult, int32 shift, int32 zp} */
} isa_requant_mode;

/* A decoded instruction: the opcode and every field of its format (and the
 * common ones), indexed by isa_field_id. Fields not in its format are 0. */
typedef struct isa_inst {
    isa_opcode op;
    uint64_t   f[ISA_FIELD_COUNT];
} isa_inst;

typedef struct isa_field_desc {
    const char *name;     /* "hbm_stride" */
    isa_format  format;
    int         word, lo, width;
    const char *summary;
} isa_field_desc;

typedef struct isa_op_desc {
    const char *name;     /* "MATMUL"; NULL for unused codes */
    isa_engine  engine;
    isa_format  format;
    const char *summary;
} isa_op_desc;

const isa_op_desc    *isa_op_info(unsigned code);  /* NULL if not an opcode */
const isa_field_desc *isa_field_info(isa_field_id id);
const char           *isa_engine_name(int engine);  /* "dma_in", ... */
/* Engine that executes this instruction (resolves ISA_ENG_SELF). */
int isa_inst_engine(const isa_inst *in);

void      isa_encode(const isa_inst *in, uint8_t out[ISA_INST_BYTES]);
/* Fails (TS_ERR_PARSE) on an unknown opcode, bits set outside the format's
 * fields, or a field out of range (a 2-bit engine field of a SYS op etc.). */
ts_status isa_decode(const uint8_t in[ISA_INST_BYTES], isa_inst *out);

/* ---- programs ------------------------------------------------------------ */

#define ISA_MAX_CORES 64

typedef struct isa_program {
    int       n_cores;
    int       n_inst[ISA_MAX_CORES];
    isa_inst *inst[ISA_MAX_CORES];  /* per core, in stream order */
} isa_program;

/* Binary program container (.bin): see docs/isa.md "Program file". */
ts_status isa_program_load(const char *path, isa_program **out);
ts_status isa_program_read(const uint8_t *data, size_t len, const char *name, isa_program **out);
ts_status isa_program_save(const char *path, const isa_program *p);
/* Serialized bytes, for callers that embed a program (e.g. a .tsr). */
ts_status isa_program_write(const isa_program *p, uint8_t **data, size_t *len);
void      isa_program_free(isa_program *p);
isa_program *isa_program_new(int n_cores);
ts_status isa_program_append(isa_program *p, int core, const isa_inst *in);

/* Assembly text <-> program. Errors name file, line and column. */
ts_status isa_assemble(const char *text, const char *filename, isa_program **out);
ts_status isa_assemble_file(const char *path, isa_program **out);
ts_status isa_disassemble(const isa_program *p, FILE *out);
/* One instruction as text ("MATMUL m=64 k=128 ..."), into buf. */
const char *isa_format_inst(const isa_inst *in, char *buf, size_t n);

#endif

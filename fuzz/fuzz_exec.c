/*
 * fuzz_exec: libFuzzer harness for the functional simulator. The input is a
 * sequence of 32-byte instructions; each that decodes is executed on small
 * memories (sanitizers catch any out-of-bounds access). sim_exec must
 * either apply it or refuse it with a message, never crash.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/exec.h"

enum { HBM = 1 << 16, SRAM = 1 << 16, ACC = 1 << 14 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t hbm[HBM], sram[SRAM], acc[ACC] __attribute__((aligned(64)));
    arch_chip chip;
    memset(&chip, 0, sizeof chip);
    chip.core.matrix.rows = 64;
    chip.core.matrix.cols = 48;
    chip.core.matrix.bf16_rate = 0.5;
    sim_mem m = {hbm, HBM, sram, SRAM, acc, ACC};
    for (size_t i = 0; i < sizeof sram; i++) sram[i] = (uint8_t)(i * 131 + 7);
    if (size > 0) sim_kernel_force_path((sim_kernel_path)(data[0] % 3));
    for (size_t off = 1; off + ISA_INST_BYTES <= size; off += ISA_INST_BYTES) {
        isa_inst in;
        if (isa_decode(data + off, &in) != TS_OK) continue;
        ts_status st = sim_exec(&in, &m, &chip);
        if (st != TS_OK && ts_last_error()[0] == 0) abort();  /* a refusal must say why */
    }
    return 0;
}

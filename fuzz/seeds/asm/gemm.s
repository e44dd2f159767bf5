# one INT8 tile and the vector unit's instructions, as seeds for fuzz_asm
.equ A = 0x0
.equ B = 0x2000
.equ OUT = 0x6000
.core 0
LOAD sram=A hbm=0x0 rows=64 row_bytes=128 hbm_stride=128 sram_stride=128
LOAD sram=B hbm=0x10000 rows=128 row_bytes=128 hbm_stride=128 sram_stride=128 signal=matrix
MATMUL wait=dma_in signal=vector dtype=int8 a=A b=B acc=0 m=64 k=128 n=128 a_stride=128 b_stride=128 acc_stride=128 accumulate=1
VREQUANT wait=matrix signal=dma_out dtype=int8 src0=0 s0space=acc dst=OUT rows=64 cols=128 src0_stride=128 dst_stride=128 mult=1073741824 shift=38 zp=-3 mode=per_tensor
VADD dtype=fp32 stype=fp32 dst=0x100 src0=0x200 src1=0x300 rows=2 cols=8 dst_stride=8 src0_stride=8 src1_stride=8 bcast=row
VACT func=gelu dtype=bf16 stype=fp32 rows=1 cols=16 imm=0.5
VREDUCE func=max dtype=fp32 stype=bf16 rows=4 cols=33
VFILL dtype=int16 imm=-5 rows=1 cols=3 dspace=sram
VMOV dtype=int8 stype=fp32 s0space=acc rows=1 cols=4
STORE wait=vector sram=OUT hbm=0x20000 rows=64 row_bytes=128 hbm_stride=128 sram_stride=128
.core 1
BARRIER engine=matrix id=3
NOP engine=vector wait=dma_in,matrix signal=0b1001
END engine=dma_out

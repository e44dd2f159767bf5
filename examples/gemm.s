# gemm.s: C = requant(A x B), a 256x256x256 INT8 GEMM tiled for npu-256t
# (128x128 matrix units), written by hand from docs/isa.md.
#
#   A: 256x256 int8 at HBM 0x000000 (row-major)
#   B: 256x256 int8 at HBM 0x010000
#   C: 256x256 int8 at HBM 0x020000, C = sat(round(A*B * MULT / 2^SHIFT) + ZP)
#
# Four cores each compute one 128x128 quadrant of C: core q takes rows
# 128*(q/2) and columns 128*(q%2). K = 256 is walked in two steps of 128; the
# two steps load into different SRAM buffers, so DMA-in fetches step 1 while
# the matrix unit multiplies step 0 (double buffering). Then the vector unit
# requantizes the INT32 accumulator into SRAM and DMA-out stores it.
#
# Tokens: LOAD B signals the matrix unit (its step is in SRAM); the last
# MATMUL signals the vector unit (ACC final); VREQUANT signals DMA-out.
#
#   tessera asm examples/gemm.s -o gemm.bin
#   tessera sim gemm.bin --target npu-256t --load 0=a.npy --load 0x10000=b.npy \
#       --dump 0x20000:256x256:int8=c.npy --trace gemm.trace.json
# (scripts/run-example.sh does exactly this with random inputs and checks C.)

.equ A      = 0x000000
.equ B      = 0x010000
.equ C      = 0x020000
.equ N      = 256           # row length of A, B and C in bytes
.equ T      = 128           # tile: the array is 128 x 128
.equ BUF0   = 0x0000        # SRAM: step 0 A tile, then its B tile at +0x4000
.equ BUF1   = 0x8000        # SRAM: step 1
.equ BOFF   = 0x4000
.equ OUT    = 0x10000       # SRAM: the requantized 128x128 int8 block
.equ MULT   = 1073741824    # 2^30: with SHIFT 41 the scale is 2^-11
.equ SHIFT  = 41
.equ ZP     = 0

.core 0                   # C rows 0..127, columns 0..127
.equ ROW0 = 0*T*N
.equ COL0 = 0*T
LOAD   sram=BUF0      hbm=A+ROW0        rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF0+BOFF hbm=B+COL0        rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
LOAD   sram=BUF1      hbm=A+ROW0+T      rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF1+BOFF hbm=B+T*N+COL0    rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
MATMUL wait=dma_in a=BUF0 b=BUF0+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=0
MATMUL wait=dma_in a=BUF1 b=BUF1+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=1 signal=vector
VREQUANT wait=matrix signal=dma_out mode=per_tensor dtype=int8 dst=OUT dspace=sram src0=0 s0space=acc rows=T cols=T dst_stride=T src0_stride=T mult=MULT shift=SHIFT zp=ZP
STORE  wait=vector sram=OUT hbm=C+ROW0+COL0 rows=T row_bytes=T hbm_stride=N sram_stride=T
END engine=dma_in
END engine=matrix
END engine=vector
END engine=dma_out
.core 1                   # C rows 0..127, columns 128..255
.equ ROW1 = 0*T*N
.equ COL1 = 1*T
LOAD   sram=BUF0      hbm=A+ROW1        rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF0+BOFF hbm=B+COL1        rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
LOAD   sram=BUF1      hbm=A+ROW1+T      rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF1+BOFF hbm=B+T*N+COL1    rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
MATMUL wait=dma_in a=BUF0 b=BUF0+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=0
MATMUL wait=dma_in a=BUF1 b=BUF1+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=1 signal=vector
VREQUANT wait=matrix signal=dma_out mode=per_tensor dtype=int8 dst=OUT dspace=sram src0=0 s0space=acc rows=T cols=T dst_stride=T src0_stride=T mult=MULT shift=SHIFT zp=ZP
STORE  wait=vector sram=OUT hbm=C+ROW1+COL1 rows=T row_bytes=T hbm_stride=N sram_stride=T
END engine=dma_in
END engine=matrix
END engine=vector
END engine=dma_out
.core 2                   # C rows 128..255, columns 0..127
.equ ROW2 = 1*T*N
.equ COL2 = 0*T
LOAD   sram=BUF0      hbm=A+ROW2        rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF0+BOFF hbm=B+COL2        rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
LOAD   sram=BUF1      hbm=A+ROW2+T      rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF1+BOFF hbm=B+T*N+COL2    rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
MATMUL wait=dma_in a=BUF0 b=BUF0+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=0
MATMUL wait=dma_in a=BUF1 b=BUF1+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=1 signal=vector
VREQUANT wait=matrix signal=dma_out mode=per_tensor dtype=int8 dst=OUT dspace=sram src0=0 s0space=acc rows=T cols=T dst_stride=T src0_stride=T mult=MULT shift=SHIFT zp=ZP
STORE  wait=vector sram=OUT hbm=C+ROW2+COL2 rows=T row_bytes=T hbm_stride=N sram_stride=T
END engine=dma_in
END engine=matrix
END engine=vector
END engine=dma_out
.core 3                   # C rows 128..255, columns 128..255
.equ ROW3 = 1*T*N
.equ COL3 = 1*T
LOAD   sram=BUF0      hbm=A+ROW3        rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF0+BOFF hbm=B+COL3        rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
LOAD   sram=BUF1      hbm=A+ROW3+T      rows=T row_bytes=T hbm_stride=N sram_stride=T
LOAD   sram=BUF1+BOFF hbm=B+T*N+COL3    rows=T row_bytes=T hbm_stride=N sram_stride=T signal=matrix
MATMUL wait=dma_in a=BUF0 b=BUF0+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=0
MATMUL wait=dma_in a=BUF1 b=BUF1+BOFF acc=0 m=T k=T n=T acc_stride=T a_stride=T b_stride=T accumulate=1 signal=vector
VREQUANT wait=matrix signal=dma_out mode=per_tensor dtype=int8 dst=OUT dspace=sram src0=0 s0space=acc rows=T cols=T dst_stride=T src0_stride=T mult=MULT shift=SHIFT zp=ZP
STORE  wait=vector sram=OUT hbm=C+ROW3+COL3 rows=T row_bytes=T hbm_stride=N sram_stride=T
END engine=dma_in
END engine=matrix
END engine=vector
END engine=dma_out

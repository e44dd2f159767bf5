#!/usr/bin/python3
"""Tooling for the bundled GEMM example: make random inputs, or check a
simulated result against a NumPy reference of docs/isa.md's arithmetic.

  gemm_check.py make DIR [SEED]      writes DIR/a.npy, DIR/b.npy (256x256 int8)
  gemm_check.py check DIR            compares DIR/c.npy with requant(A @ B)
"""
import sys
import numpy as np

MULT, SHIFT, ZP = 1 << 30, 41, 0  # as in examples/gemm.s


def requant(acc):
    """round(acc * MULT / 2^SHIFT), ties to even, + ZP, saturated to int8."""
    v = acc.astype(np.int64) * MULT
    q = v >> SHIFT
    rem = v - (q << SHIFT)
    half = 1 << (SHIFT - 1)
    q = q + ((rem > half) | ((rem == half) & (q & 1 == 1)))
    return np.clip(q + ZP, -128, 127).astype(np.int8)


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "make":
        rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else None)
        np.save(f"{d}/a.npy", rng.integers(-128, 128, (256, 256), dtype=np.int8))
        np.save(f"{d}/b.npy", rng.integers(-128, 128, (256, 256), dtype=np.int8))
        return 0
    a, b, c = (np.load(f"{d}/{n}.npy") for n in "abc")
    want = requant(a.astype(np.int64) @ b.astype(np.int64))
    bad = int((c != want).sum())
    if c.dtype != np.int8 or c.shape != (256, 256) or bad:
        print(f"C differs from the NumPy reference in {bad} of {want.size} elements")
        return 1
    print(f"C (256x256 int8) equals the NumPy reference (A @ B, requantized); "
          f"{int((want == 127).sum() + (want == -128).sum())} saturated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Compares two directories of .npy outputs (tests/ort_compare.sh).

usage: /usr/bin/python3 tools/compare_npy.py GOT_DIR REF_DIR [TOL]

For every REF_DIR/*.npy, GOT_DIR must hold the same file with the same dtype
and shape, and the relative L2 error ||got - ref|| / max(||ref||, 1e-12) must
be <= TOL (default 1e-4). Prints one line per output; exit 1 on a mismatch.
"""
import os
import sys

import numpy as np


def main():
    got_dir, ref_dir = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
    names = sorted(f for f in os.listdir(ref_dir) if f.endswith(".npy"))
    ok = bool(names)
    if not names:
        print(f"  no reference outputs in {ref_dir}")
    for name in names:
        ref = np.load(os.path.join(ref_dir, name))
        path = os.path.join(got_dir, name)
        if not os.path.exists(path):
            print(f"  {name}: missing from tessera's outputs"); ok = False; continue
        got = np.load(path)
        if got.dtype != ref.dtype or got.shape != ref.shape:
            print(f"  {name}: tessera {got.dtype}{list(got.shape)}, onnxruntime {ref.dtype}{list(ref.shape)}")
            ok = False; continue
        g, r = got.astype(np.float64), ref.astype(np.float64)
        err = np.linalg.norm(g - r) / max(np.linalg.norm(r), 1e-12)
        good = bool(err <= tol)
        mad = float(np.max(np.abs(g - r))) if g.size else 0.0
        print(f"  {name}: relative L2 error {err:.3g} (tolerance {tol:g}), max abs diff {mad:.3g}"
              f"{'' if good else '  MISMATCH'}")
        ok = ok and good
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

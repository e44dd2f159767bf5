#!/usr/bin/python3
"""Builds random single-op cases of Tessera's data-movement ops (Reshape,
Transpose, Slice, Pad, Split, Concat, Gather*, Scatter*, Expand, Tile,
Squeeze/Unsqueeze, Flatten, Shape, ConstantOfShape, Range, Compress,
ReverseSequence, Unique, EyeLike), independently of Tessera, to compare its CPU device with
onnxruntime (tests/shape_ort.sh). Each case is one node with fresh random
shapes, data, attributes and index/shape inputs (as initializers); the cases
are grouped into one model per opset (9, 11, 13, 18, 19) so that each model
is one run on each side.

usage: /usr/bin/python3 tools/make_shape_models.py OUTDIR [SEED] [CASES]

Writes OUTDIR/opsetN_PART/model.onnx, its inputs as .npy files and inputs.txt
('input_name file' lines), like tools/make_models.py. Output names are
'<index>_<op>_y<k>'. Needs python3-onnx and python3-numpy (Debian).
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = None
DT = [np.float32, np.int64, np.uint8, np.bool_, np.float64, np.int32, np.int8]


def rdata(shape, dt=None):
    """Random data of a random (or the given) type."""
    dt = dt or DT[rng.integers(len(DT))]
    if dt == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if np.issubdtype(dt, np.floating):
        return rng.standard_normal(shape).astype(dt)
    lo = 0 if dt == np.uint8 else -100
    return rng.integers(lo, 100, shape).astype(dt)


def rshape(r, lo=1, hi=4):
    return [int(rng.integers(lo, hi + 1)) for _ in range(r)]


def i64(v):
    return np.array(v, dtype=np.int64)


def neg(axis, rank):
    """The axis, written negative half of the time."""
    return axis - rank if rng.random() < 0.5 else axis


# Each builder gets a rank r, dims d (sometimes with a 0) and data x of those
# dims, and returns (op, opset, attributes, data inputs, constant inputs
# (None = omitted), output count).

def transpose(r, d, x):
    return "Transpose", 13, dict(perm=[int(p) for p in rng.permutation(r)]), [x], [], 1


def bound(dim):
    big = [2**63 - 1, -2**63, 2**31 - 1, -2**31]
    return int(rng.choice(big)) if rng.random() < 0.2 else int(rng.integers(-dim - 2, dim + 3))


def slice_(r, d, x, attrs=False):
    axes = [int(a) for a in rng.permutation(r)[:int(rng.integers(1, r + 1))]]
    st, en = [bound(d[a]) for a in axes], [bound(d[a]) for a in axes]
    axes = [neg(a, r) for a in axes]
    if attrs:
        return "Slice", 9, dict(starts=st, ends=en, axes=axes), [x], [], 1
    steps = [int(rng.choice([-3, -2, -1, 1, 2, 3])) for _ in axes]
    return "Slice", 13, {}, [x], [i64(st), i64(en), i64(axes), i64(steps)], 1


def slice9(r, d, x):
    return slice_(r, d, x, attrs=True)


def pad(r, d, x):
    mode = ["constant", "reflect", "edge", "wrap"][int(rng.integers(4))]
    d = rshape(r, 1 if mode == "constant" else 2, 5)
    x = rdata(d)
    opset = 19 if mode == "wrap" or rng.random() < 0.3 else 13
    # onnxruntime 1.30 wants reflect pads < dim and wrap pads <= dim (it
    # fills a wider wrap with zeros; the spec's torus repeats the data);
    # negative pads (crops) only in constant mode
    pads = []
    for _ in range(2):
        for a in range(r):
            hi = d[a] - 1 if mode == "reflect" else min(d[a], 3) if mode == "wrap" else 3
            lo = -(d[a] // 2) if mode == "constant" else 0
            pads.append(int(rng.integers(lo, hi + 1)))
    value = rdata([], x.dtype) if mode == "constant" else None
    return "Pad", opset, dict(mode=mode), [x], [i64(pads), value], 1


def split(r, d, x):
    ax, n = int(rng.integers(r)), int(rng.integers(1, 4))
    if rng.random() < 0.5 or d[ax] == 0:   # onnxruntime rejects num_outputs on an empty axis
        sizes = list(rng.multinomial(d[ax], [1.0 / n] * n))
        return "Split", 13, dict(axis=neg(ax, r)), [x], [i64(sizes)], n
    # opset 18 num_outputs: chunks of ceil(dim / n), the last one smaller;
    # onnxruntime needs every chunk non-empty
    n = min(n, d[ax])
    if math.ceil(d[ax] / n) * (n - 1) >= d[ax]:
        n = 1
    return "Split", 18, dict(axis=ax, num_outputs=n), [x], [], n


def concat(r, d, x):
    ax, xs = int(rng.integers(r)), []
    for _ in range(int(rng.integers(1, 4))):
        dd = list(d)
        dd[ax] = int(rng.integers(0, 4))
        xs.append(rdata(dd, x.dtype))
    return "Concat", 13, dict(axis=neg(ax, r)), xs, [], 1


def gather(r, d, x):
    d = rshape(r)
    ax = int(rng.integers(r))
    shape = rshape(int(rng.integers(0, 3)), 0, 3)
    idx = rng.integers(-d[ax], d[ax], shape).astype(rng.choice([np.int64, np.int32]))
    return "Gather", 13, dict(axis=neg(ax, r)), [rdata(d), idx], [], 1


def gather_elements(r, d, x):
    d = rshape(r)
    ax = int(rng.integers(r))
    shape = [int(rng.integers(0, d[i] + 1)) if i != ax else int(rng.integers(0, 5)) for i in range(r)]
    idx = rng.integers(-d[ax], d[ax], shape).astype(np.int64)
    return "GatherElements", 13, dict(axis=neg(ax, r)), [rdata(d), idx], [], 1


def gather_nd(r, d, x):
    d = rshape(r)
    b = int(rng.integers(0, r))
    k = int(rng.integers(1, r - b + 1))
    shape = d[:b] + rshape(int(rng.integers(0, 2)), 1, 3)
    idx = np.stack([rng.integers(-d[b + j], d[b + j], shape) for j in range(k)], -1).astype(np.int64)
    return "GatherND", 13, dict(batch_dims=b), [rdata(d), idx], [], 1


REDUCTIONS = ["none", "add", "mul", "max", "min"]


def scatter_nd(r, d, x):
    d = rshape(r)
    red = REDUCTIONS[int(rng.integers(5))]
    k = int(rng.integers(1, r + 1))
    # distinct index tuples: duplicates make 'none' undefined
    tuples = np.array(np.meshgrid(*[np.arange(v) for v in d[:k]], indexing="ij")).reshape(k, -1).T
    m = int(rng.integers(1, len(tuples) + 1))
    idx = tuples[rng.permutation(len(tuples))[:m]].astype(np.int64)
    if red == "none":
        x = rdata(d)
        upd = rdata([m] + d[k:], x.dtype)
    else:   # small integers in float: every order of the updates gives the same result
        x = rng.integers(-3, 4, d).astype(np.float32)
        upd = rng.integers(-3, 4, [m] + d[k:]).astype(np.float32)
    return "ScatterND", 18, dict(reduction=red), [x, idx, upd], [], 1


def scatter_elements(r, d, x):
    d = rshape(r)
    ax = int(rng.integers(r))
    red = REDUCTIONS[int(rng.integers(5))]
    shape = [int(rng.integers(1, d[i] + 1)) for i in range(r)]
    # distinct targets along the axis at every position: a permutation prefix
    idx = np.zeros(shape, np.int64)
    first = tuple(slice(0, 1) if i == ax else slice(None) for i in range(r))
    it = np.nditer(idx[first], flags=["multi_index"])
    for _ in it:
        at = tuple(it.multi_index[i] if i != ax else slice(None) for i in range(r))
        idx[at] = rng.permutation(d[ax])[:shape[ax]] - (d[ax] if rng.random() < 0.3 else 0)
    x = rng.integers(-3, 4, d).astype(np.float32)
    upd = rng.integers(-3, 4, shape).astype(np.float32)
    return "ScatterElements", 18, dict(axis=neg(ax, r), reduction=red), [x, idx, upd], [], 1


def expand(r, d, x):
    d = [1 if rng.random() < 0.4 else v for v in d]
    shape = [1] * int(rng.integers(0, 6 - r)) + d
    shape = [int(rng.integers(1, 4)) if v == 1 and rng.random() < 0.6 else
             1 if rng.random() < 0.2 else v for v in shape]
    return "Expand", 13, {}, [rdata(d)], [i64(shape)], 1


def tile(r, d, x):
    return "Tile", 13, {}, [x], [i64(rshape(r, 0, 3))], 1


def reshape(r, d, x):
    d = rshape(r)
    target = list(reversed(d))
    if rng.random() < 0.5:
        target[int(rng.integers(r))] = -1
    if target[0] == d[0] and rng.random() < 0.5:
        target[0] = 0   # copy the input's dim
    return "Reshape", 14, {}, [rdata(d)], [i64(target)], 1


def squeeze(r, d, x):
    opset = 11 if rng.random() < 0.5 else 13
    d = [1 if rng.random() < 0.4 else v for v in d]
    axes = [neg(a, r) for a in range(r) if d[a] == 1 and rng.random() < 0.7]
    if not axes:
        return "Squeeze", opset, {}, [rdata(d)], [], 1
    if opset == 11:
        return "Squeeze", opset, dict(axes=axes), [rdata(d)], [], 1
    return "Squeeze", opset, {}, [rdata(d)], [i64(axes)], 1


def unsqueeze(r, d, x):
    opset = 11 if rng.random() < 0.5 else 13
    k = int(rng.integers(1, 3))
    axes = [neg(int(a), r + k) for a in rng.permutation(r + k)[:k]]
    if opset == 11:
        return "Unsqueeze", opset, dict(axes=axes), [x], [], 1
    return "Unsqueeze", opset, {}, [x], [i64(axes)], 1


def flatten(r, d, x):
    return "Flatten", 13, dict(axis=int(rng.integers(-r, r + 1))), [x], [], 1


def shape(r, d, x):
    attrs = {}
    if rng.random() < 0.5:
        attrs["start"] = int(rng.integers(-6, 6))
    if rng.random() < 0.5:
        attrs["end"] = int(rng.integers(-6, 6))
    return "Shape", 15, attrs, [x], [], 1


def constant_of_shape(r, d, x):
    value = numpy_helper.from_array(rdata([1]))
    return "ConstantOfShape", 13, dict(value=value), [], [i64(rshape(r, 0, 4))], 1


def range_(r, d, x):
    dt = [np.float32, np.float64, np.int32, np.int64, np.int16][int(rng.integers(5))]
    if np.issubdtype(dt, np.floating):
        v = [rng.uniform(-10, 10), rng.uniform(-10, 10), rng.uniform(-3, 3)]
    else:
        v = [rng.integers(-20, 20), rng.integers(-20, 20), rng.choice([-3, -2, -1, 1, 2, 3])]
    return "Range", 13, {}, [np.array(a, dt) for a in v], [], 1


def compress(r, d, x):
    attrs, n = {}, int(np.prod(d))
    if rng.random() < 0.6:
        ax = int(rng.integers(r))
        attrs["axis"], n = neg(ax, r), d[ax]
    cond = rng.integers(0, 2, [int(rng.integers(0, n + 1))]).astype(np.bool_)
    return "Compress", 11, attrs, [x, cond], [], 1


def reverse_sequence(r, d, x):
    d = rshape(3)
    ba = int(rng.integers(2))
    lens = rng.integers(1, d[1 - ba] + 1, [d[ba]]).astype(np.int64)
    return "ReverseSequence", 10, dict(batch_axis=ba, time_axis=1 - ba), [rdata(d), lens], [], 1


def unique(r, d, x):
    x = rng.integers(0, 3, d).astype([np.float32, np.int64, np.int8][int(rng.integers(3))])
    attrs = dict(sorted=int(rng.integers(2)))
    if rng.random() < 0.5 and r > 0:
        attrs["axis"] = neg(int(rng.integers(r)), r)
    return "Unique", 11, attrs, [x], [], 4


def eye_like(r, d, x):
    d = rshape(2, 0, 5)
    attrs = dict(k=int(rng.integers(-5, 6)))
    if rng.random() < 0.5:
        attrs["dtype"] = [TensorProto.FLOAT, TensorProto.INT64, TensorProto.DOUBLE][int(rng.integers(3))]
    # onnxruntime's EyeLike takes float, double, int32, int64 inputs
    x = rdata(d, [np.float32, np.float64, np.int32, np.int64][int(rng.integers(4))])
    return "EyeLike", 9, attrs, [x], [], 1


BUILDERS = [transpose, slice_, slice9, pad, split, concat, gather, gather_elements, gather_nd,
            scatter_nd, scatter_elements, expand, tile, reshape, squeeze, unsqueeze, flatten,
            shape, constant_of_shape, range_, compress, reverse_sequence, unique, eye_like]


def case(i):
    r = int(rng.integers(1, 5))
    d = rshape(r, 0 if rng.random() < 0.1 else 1, 5)
    return BUILDERS[i % len(BUILDERS)](r, d, rdata(d))


TYPES = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.int64: TensorProto.INT64,
         np.int32: TensorProto.INT32, np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8,
         np.bool_: TensorProto.BOOL, np.int16: TensorProto.INT16}
# every case runs at one of these opsets: the first one >= what it needs
GROUPS = [9, 11, 13, 18, 19]


def main():
    global rng
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int.from_bytes(os.urandom(4), "little")
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 96
    print(f"make_shape_models: seed {seed}")
    rng = np.random.default_rng(seed)
    groups = {}   # (opset, part) -> model; `tessera run` takes at most 64 inputs
    for i in range(count):
        op, opset, attrs, data, consts, n_out = case(i)
        key = (next(v for v in GROUPS if v >= opset), 0)
        while len(groups.get(key, {}).get("files", [])) + len(data) > 48:
            key = (key[0], key[1] + 1)
        g = groups.setdefault(key, dict(nodes=[], inits=[], vin=[], vout=[], files=[]))
        ins = []
        for j, a in enumerate(data):
            name = f"c{i}_x{j}"
            ins.append(name)
            g["vin"].append(helper.make_tensor_value_info(name, TYPES[a.dtype.type], list(a.shape)))
            g["files"].append((name, a))
        for j, a in enumerate(consts):
            if a is None:
                ins.append("")
                continue
            name = f"c{i}_k{j}"
            ins.append(name)
            g["inits"].append(numpy_helper.from_array(a, name))
        while ins and ins[-1] == "":
            ins.pop()
        outs = [f"{i:03d}_{op}_y{k}" for k in range(n_out)]
        g["nodes"].append(helper.make_node(op, ins, outs, name=f"{op}_{i}", **attrs))
        g["vout"] += [onnx.ValueInfoProto(name=o) for o in outs]
    for (opset, part), g in sorted(groups.items()):
        d = os.path.join(out, f"opset{opset}_{part}")
        os.makedirs(d, exist_ok=True)
        graph = helper.make_graph(g["nodes"], f"shape_ops_{opset}", g["vin"], g["vout"], g["inits"])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.save(m, os.path.join(d, "model.onnx"))
        with open(os.path.join(d, "inputs.txt"), "w") as f:
            for name, a in g["files"]:
                np.save(os.path.join(d, name + ".npy"), a)
                f.write(f"{name} {name}.npy\n")


if __name__ == "__main__":
    main()

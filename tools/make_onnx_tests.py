#!/usr/bin/python3
"""Builds the ONNX models that tests/test_onnx.c loads, into OUTDIR.

Run with Debian's python (python3-onnx, python3-numpy):
    /usr/bin/python3 tools/make_onnx_tests.py OUTDIR [SEED]

Valid models come with the expected values of their tensors as .npy files
(bfloat16 as uint16 bit patterns), written by numpy, so the C test compares
the loader against an independent encoder. Malformed models are listed in
OUTDIR/malformed.txt as 'file<TAB>substring the error message must contain'.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

OUT = sys.argv[1]
RNG = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
MALFORMED = []

# dtype name -> (TensorProto type, numpy dtype, typed field)
DTYPES = {
    "float32": (TensorProto.FLOAT, np.float32, "float_data"),
    "uint8": (TensorProto.UINT8, np.uint8, "int32_data"),
    "int8": (TensorProto.INT8, np.int8, "int32_data"),
    "uint16": (TensorProto.UINT16, np.uint16, "int32_data"),
    "int16": (TensorProto.INT16, np.int16, "int32_data"),
    "int32": (TensorProto.INT32, np.int32, "int32_data"),
    "int64": (TensorProto.INT64, np.int64, "int64_data"),
    "bool": (TensorProto.BOOL, np.bool_, "int32_data"),
    "float16": (TensorProto.FLOAT16, np.float16, "int32_data"),
    "float64": (TensorProto.DOUBLE, np.float64, "double_data"),
    "uint32": (TensorProto.UINT32, np.uint32, "uint64_data"),
    "uint64": (TensorProto.UINT64, np.uint64, "uint64_data"),
    "bfloat16": (TensorProto.BFLOAT16, np.uint16, "int32_data"),
}


def path(name):
    return os.path.join(OUT, name)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    with open(path(name), "wb") as f:
        f.write(model.SerializeToString())


def model_of(graph, opset=13):
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def random_values(name, shape):
    _, npdt, _ = DTYPES[name]
    if name == "bool":
        return RNG.integers(0, 2, size=shape).astype(np.bool_)
    if name in ("float32", "float64", "float16"):
        return (RNG.standard_normal(size=shape) * 10).astype(npdt)
    if name == "bfloat16":  # bit patterns of finite bfloat16 values
        f = (RNG.standard_normal(size=shape) * 10).astype(np.float32)
        return (f.view(np.uint32) >> 16).astype(np.uint16)
    info = np.iinfo(npdt)
    lo, hi = max(int(info.min), -(2**62)), min(int(info.max), 2**62)
    return RNG.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64 if lo < 0 else np.uint64).astype(npdt)


def tensor_of(name, dtype_name, values, raw):
    onnx_type, _, field = DTYPES[dtype_name]
    t = TensorProto()
    t.name = name
    t.data_type = onnx_type
    t.dims.extend(values.shape)
    flat = values.reshape(-1)
    if raw:
        t.raw_data = flat.astype(flat.dtype.newbyteorder("<")).tobytes()
    elif field == "int32_data":
        bits = flat.view(np.uint16) if dtype_name == "float16" else flat
        t.int32_data.extend(int(v) for v in bits)
    else:
        getattr(t, field).extend(v.item() for v in flat)
    return t


def sink_graph(name, inits, extra_nodes=(), extra_outputs=()):
    """A graph whose one custom node reads every initializer (so none is
    dropped as unused)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    names = [t.name for t in inits] + [n.output[0] for n in extra_nodes if n.op_type == "Constant"]
    sink = helper.make_node("Sink", ["x"] + names, ["y"], name="sink", domain="test.sink")
    return helper.make_graph(list(extra_nodes) + [sink], name, [x], [y] + list(extra_outputs), initializer=inits)


def make_dtypes():
    inits = []
    for dt in DTYPES:
        for raw in (True, False):
            shape = tuple(int(d) for d in RNG.integers(1, 5, size=int(RNG.integers(0, 4))))
            vals = random_values(dt, shape)
            name = f"{dt}_{'raw' if raw else 'typed'}"
            inits.append(tensor_of(name, dt, vals, raw))
            np.save(path(name + ".npy"), vals)
    empty = tensor_of("empty_f32", "float32", np.zeros((0, 3), np.float32), False)
    inits.append(empty)
    m = helper.make_model(sink_graph("dtypes", inits), opset_imports=[helper.make_opsetid("", 13),
                                                                     helper.make_opsetid("test.sink", 1)])
    save(m, "dtypes.onnx", check=False)


def make_structure():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 8, 8])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, None)
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = RNG.standard_normal((4,)).astype(np.float32)
    np.save(path("structure_W.npy"), w)
    np.save(path("structure_B.npy"), b)
    inits = [tensor_of("W", "float32", w, True), tensor_of("B", "float32", b, False)]
    conv = helper.make_node("Conv", ["x", "W", "B"], ["conv_out"], name="conv0",
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    relu = helper.make_node("Relu", ["conv_out"], ["y"], name="relu0")
    sub_out = helper.make_tensor_value_info("sub_y", TensorProto.FLOAT, None)
    sub = helper.make_graph([helper.make_node("Neg", ["x"], ["sub_y"], name="sub_neg")], "body", [], [sub_out])
    attrs = dict(f=1.5, i=-3, s="hello", t=helper.make_tensor("tv", TensorProto.INT64, [2], [7, -8]),
                 floats=[0.5, -2.0], ints=[1, 2, 3], strings=["ab", "cde"], g=sub)
    custom = helper.make_node("Foo", ["x", "", "y"], ["z"], name="custom0", domain="test.custom", **attrs)
    vi = [helper.make_tensor_value_info("conv_out", TensorProto.FLOAT, ["batch", 4, 8, 8])]
    g = helper.make_graph([conv, relu, custom], "structure", [x], [y, z], initializer=inits, value_info=vi)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("test.custom", 1)])
    save(m, "structure.onnx", check=False)
    # nodes listed in reverse order: the loader sorts them
    g2 = helper.make_graph([relu, conv], "unsorted", [x], [y], initializer=inits)
    save(model_of(g2), "unsorted.onnx", check=False)
    # an If node: loads, then ir_resolve_ops refuses it with a message
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t_out"])], "then", [],
                               [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e_out"])], "else", [],
                               [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, None)])
    ifn = helper.make_node("If", ["cond"], ["r"], name="branch", then_branch=then_g, else_branch=else_g)
    g3 = helper.make_graph([ifn], "with_if", [x, cond], [helper.make_tensor_value_info("r", TensorProto.FLOAT, None)])
    save(model_of(g3), "with_if.onnx", check=False)


def make_constants():
    tv = RNG.standard_normal((2, 3)).astype(np.float32)
    np.save(path("c_tensor.npy"), tv)
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"], value=helper.make_tensor("v", TensorProto.FLOAT, [2, 3],
                                                                                 tv.reshape(-1).tolist())),
        helper.make_node("Constant", [], ["c_float"], value_float=2.5),
        helper.make_node("Constant", [], ["c_floats"], value_floats=[1.0, -1.5, 3.25]),
        helper.make_node("Constant", [], ["c_int"], value_int=-42),
        helper.make_node("Constant", [], ["c_ints"], value_ints=[5, 6, 7, 8]),
    ]
    out_const = helper.make_node("Constant", [], ["c_out"], name="const_out", value_ints=[9])
    g = sink_graph("constants", [], nodes + [out_const], [helper.make_tensor_value_info("c_out", TensorProto.INT64, [1])])
    save(model_of(g), "constants.onnx", check=False)


def external_tensor(name, dims, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return t


def make_external():
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    b = RNG.standard_normal((5,)).astype(np.float32)
    os.makedirs(path("ext"), exist_ok=True)
    with open(path("ext/weights.bin"), "wb") as f:
        f.write(a.tobytes() + bytes(64 - a.nbytes % 64) + b.tobytes())
    np.save(path("ext_a.npy"), a)
    np.save(path("ext_b.npy"), b)
    off_b = a.nbytes + (64 - a.nbytes % 64)
    ok = [external_tensor("ext_a", [3, 4], "weights.bin", 0, a.nbytes), external_tensor("ext_b", [5], "weights.bin", off_b)]
    save(model_of(sink_graph("external", ok)), "ext/model.onnx", check=False)
    bad = {
        "ext_escape.onnx": (external_tensor("e", [5], "../ext/weights.bin"), "escapes"),
        "ext_abs.onnx": (external_tensor("e", [5], "/etc/passwd"), "escapes"),
        "ext_missing.onnx": (external_tensor("e", [5], "nope.bin"), "nope.bin"),
        "ext_short.onnx": (external_tensor("e", [5], "weights.bin", off_b + 4), "too short"),
        "ext_length.onnx": (external_tensor("e", [5], "weights.bin", 0, 12), "length"),
        "ext_huge.onnx": (external_tensor("e", [1 << 20, 1 << 20], "weights.bin"), "too short"),
    }
    for name, (t, msg) in bad.items():
        save(model_of(sink_graph("bad_external", [t])), "ext/" + name, check=False)
        MALFORMED.append(("ext/" + name, msg))


def malformed(name, graph, msg, opset=13):
    save(model_of(graph, opset), name, check=False)
    MALFORMED.append((name, msg))


def make_malformed():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = tensor_of("W", "float32", np.ones((1, 1, 3, 3), np.float32), True)
    conv = helper.make_node("Conv", ["x", "W"], ["y"], name="badconv", kernel_shape=1.5)
    malformed("bad_attr_type.onnx", helper.make_graph([conv], "g", [x], [y], initializer=[w]), "kernel_shape")
    n1 = helper.make_node("Add", ["x", "c"], ["a"], name="cyc_a")
    n2 = helper.make_node("Add", ["a", "x"], ["c"], name="cyc_c")
    n3 = helper.make_node("Relu", ["c"], ["y"], name="after")
    malformed("cycle.onnx", helper.make_graph([n1, n2, n3], "g", [x], [y]), "cycle")
    ghost = helper.make_node("Add", ["x", "ghost"], ["y"], name="reads_ghost")
    malformed("missing_tensor.onnx", helper.make_graph([ghost], "g", [x], [y]), "ghost")
    relu = helper.make_node("Relu", ["x"], ["y"], name="r")
    malformed("missing_output.onnx", helper.make_graph([relu], "g", [x], [y, helper.make_tensor_value_info(
        "nowhere", TensorProto.FLOAT, None)]), "nowhere")
    dup = [helper.make_node("Relu", ["x"], ["y"], name="w1"), helper.make_node("Neg", ["x"], ["y"], name="w2")]
    malformed("dup_writer.onnx", helper.make_graph(dup, "g", [x], [y]), "w2")

    def with_init(t, name, msg):
        malformed(name, helper.make_graph([helper.make_node("Add", ["x", t.name], ["y"])], "g", [x], [y],
                                          initializer=[t]), msg)
    big = TensorProto(name="big", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40, 1 << 40], raw_data=b"\0" * 4)
    with_init(big, "absurd_init_dims.onnx", "overflow")
    lie = TensorProto(name="lie", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20], raw_data=b"\0" * 16)
    with_init(lie, "lying_init_dims.onnx", "raw_data")
    neg = TensorProto(name="neg", data_type=TensorProto.FLOAT, dims=[-3], raw_data=b"")
    with_init(neg, "negative_dims.onnx", "negative")
    short = TensorProto(name="short", data_type=TensorProto.FLOAT, dims=[4], raw_data=b"\0" * 10)
    with_init(short, "raw_length.onnx", "raw_data")
    cnt = TensorProto(name="cnt", data_type=TensorProto.FLOAT, dims=[4], float_data=[1.0, 2.0])
    with_init(cnt, "typed_count.onnx", "float_data")
    wrong = TensorProto(name="wrongfield", data_type=TensorProto.INT64, dims=[2], float_data=[1.0, 2.0])
    with_init(wrong, "wrong_field.onnx", "float_data")
    s = TensorProto(name="str", data_type=TensorProto.STRING, dims=[1], string_data=[b"a"])
    with_init(s, "string_init.onnx", "string")
    unk = TensorProto(name="unk", data_type=99, dims=[1], raw_data=b"\0")
    with_init(unk, "unknown_dtype.onnx", "99")
    rng = TensorProto(name="range8", data_type=TensorProto.INT8, dims=[2], int32_data=[1, 300])
    with_init(rng, "int8_range.onnx", "does not fit")
    nodata = TensorProto(name="nodata", data_type=TensorProto.FLOAT, dims=[3])
    with_init(nodata, "no_data.onnx", "no data")
    xh = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1 << 62, 1 << 62])
    malformed("absurd_input_dims.onnx", helper.make_graph([relu], "g", [xh], [y]), "overflow")
    seq = helper.make_tensor_sequence_value_info("x", TensorProto.FLOAT, None)
    malformed("sequence_input.onnx", helper.make_graph([relu], "g", [seq], [y]), "tensor types")
    noop = helper.make_node("", ["x"], ["y"], name="noop")
    malformed("no_op_type.onnx", helper.make_graph([noop], "g", [x], [y]), "op_type")
    const_bad = helper.make_node("Constant", [], ["c"], name="cbad", value_float=1.0, value_int=2)
    malformed("constant_two_values.onnx", helper.make_graph([const_bad, relu], "g", [x], [y]), "cbad")
    m = helper.make_model(helper.make_graph([relu], "g", [x], [y]))
    m.ClearField("graph")
    save(m, "no_graph.onnx", check=False)
    MALFORMED.append(("no_graph.onnx", "no graph"))


def make_tensor_files():
    v = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    np.save(path("tensor_f32.npy"), v)
    with open(path("tensor_f32.pb"), "wb") as f:
        f.write(tensor_of("input_name", "float32", v, True).SerializeToString())
    i = RNG.integers(-1000, 1000, size=(5,)).astype(np.int64)
    np.save(path("tensor_i64.npy"), i)
    with open(path("tensor_i64.pb"), "wb") as f:
        f.write(tensor_of("", "int64", i, False).SerializeToString())


def main():
    os.makedirs(OUT, exist_ok=True)
    make_dtypes()
    make_structure()
    make_constants()
    make_external()
    make_malformed()
    make_tensor_files()
    with open(path("malformed.txt"), "w") as f:
        for name, msg in MALFORMED:
            f.write(f"{name}\t{msg}\n")


main()

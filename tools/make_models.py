#!/usr/bin/python3
"""Builds small ONNX models with random weights, independently of Tessera,
to compare Tessera's CPU device with onnxruntime (tests/ort_compare.sh).

usage: /usr/bin/python3 tools/make_models.py OUTDIR [SEED]

For each model NAME it writes OUTDIR/NAME/model.onnx, one OUTDIR/NAME/NAME_IN.npy
per graph input (fresh random data) and OUTDIR/NAME/inputs.txt listing
'input_name file' lines. Needs python3-onnx and python3-numpy (Debian).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
rng = None


def const(name, shape, scale=0.3, dtype=np.float32):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(dtype), name)


def arr(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def bn(prefix, c, x, y):
    """BatchNormalization with random statistics (variance kept positive)."""
    inits = [arr(prefix + "_s", rng.uniform(0.5, 1.5, c)), arr(prefix + "_b", rng.uniform(-0.2, 0.2, c)),
             arr(prefix + "_m", rng.uniform(-0.2, 0.2, c)), arr(prefix + "_v", rng.uniform(0.5, 1.5, c))]
    node = helper.make_node("BatchNormalization", [x, prefix + "_s", prefix + "_b", prefix + "_m", prefix + "_v"],
                            [y], name=prefix, epsilon=1e-5)
    return [node], inits


def conv(name, x, y, cin, cout, k, stride=1, pad=None, group=1, bias=True):
    pad = k // 2 if pad is None else pad
    inits = [const(name + "_w", (cout, cin // group, k, k), scale=1.0 / np.sqrt(cin // group * k * k))]
    ins = [x, name + "_w"]
    if bias:
        inits.append(const(name + "_b", (cout,), 0.1))
        ins.append(name + "_b")
    node = helper.make_node("Conv", ins, [y], name=name, kernel_shape=[k, k], strides=[stride, stride],
                            pads=[pad] * 4, group=group)
    return [node], inits


def model(name, nodes, inits, inputs, outputs):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tessera-tools")
    onnx.checker.check_model(m)
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def cnn():
    n, i = [], []
    for part in (conv("c1", "x", "c1", 3, 8, 3), ([helper.make_node("Relu", ["c1"], ["r1"])], []),
                 ([helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2])], []),
                 conv("c2", "p1", "c2", 8, 16, 3, stride=2), bn("bn2", 16, "c2", "b2"),
                 ([helper.make_node("Relu", ["b2"], ["r2"]),
                   helper.make_node("AveragePool", ["r2"], ["a2"], kernel_shape=[3, 3], strides=[1, 1],
                                    pads=[1, 1, 1, 1], count_include_pad=0),
                   helper.make_node("GlobalAveragePool", ["a2"], ["g"]),
                   helper.make_node("Flatten", ["g"], ["f"], axis=1),
                   helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["l"], transB=1),
                   helper.make_node("Softmax", ["l"], ["y"], axis=-1)],
                  [const("fc_w", (10, 16)), const("fc_b", (10,), 0.1)])):
        n += part[0]; i += part[1]
    return model("cnn", n, i, [f32("x", [2, 3, 32, 32])], [f32("y", [2, 10])]), {"x": (2, 3, 32, 32)}


def mobilenet_block():
    c, e, s = 16, 64, 16
    n, i = [], []
    parts = [conv("expand", "x", "e", c, e, 1, bias=False), bn("bn_e", e, "e", "eb"),
             ([helper.make_node("HardSwish", ["eb"], ["eh"])], []),
             conv("dw", "eh", "d", e, e, 3, group=e, bias=False), bn("bn_d", e, "d", "db"),
             ([helper.make_node("HardSwish", ["db"], ["dh"]),
               helper.make_node("GlobalAveragePool", ["dh"], ["se_p"])], []),
             conv("se1", "se_p", "se1", e, s, 1), ([helper.make_node("Relu", ["se1"], ["se_r"])], []),
             conv("se2", "se_r", "se2", s, e, 1),
             ([helper.make_node("HardSigmoid", ["se2"], ["se_g"], alpha=1.0 / 6, beta=0.5),
               helper.make_node("Mul", ["dh", "se_g"], ["se"])], []),
             conv("project", "se", "p", e, c, 1, bias=False), bn("bn_p", c, "p", "pb"),
             ([helper.make_node("Add", ["pb", "x"], ["y"])], [])]
    for part in parts:
        n += part[0]; i += part[1]
    return model("mobilenetv3_block", n, i, [f32("x", [1, c, 28, 28])], [f32("y", [1, c, 28, 28])]), \
        {"x": (1, c, 28, 28)}


def transformer_block():
    b, t, d, h = 2, 16, 64, 4
    hd = d // h
    i = [arr("ln1_s", rng.uniform(0.8, 1.2, d)), arr("ln1_b", rng.uniform(-0.1, 0.1, d)),
         arr("ln2_s", rng.uniform(0.8, 1.2, d)), arr("ln2_b", rng.uniform(-0.1, 0.1, d)),
         arr("heads", [b, t, h, hd], np.int64), arr("merge", [b, t, d], np.int64),
         arr("scale", np.sqrt(hd)), arr("half", 0.5), arr("one", 1.0), arr("rsqrt2", 1 / np.sqrt(2))]
    for w, shape in (("wq", (d, d)), ("wk", (d, d)), ("wv", (d, d)), ("wo", (d, d)), ("w1", (d, 4 * d)),
                     ("w2", (4 * d, d))):
        i.append(const(w, shape, 1 / np.sqrt(shape[0])))
        i.append(const(w + "_b", (shape[1],), 0.05))
    n = [helper.make_node("LayerNormalization", ["x", "ln1_s", "ln1_b"], ["ln1"], axis=-1, epsilon=1e-5)]
    for p in ("q", "k", "v"):
        n += [helper.make_node("MatMul", ["ln1", "w" + p], [p + "0"]),
              helper.make_node("Add", [p + "0", "w" + p + "_b"], [p + "1"]),
              helper.make_node("Reshape", [p + "1", "heads"], [p + "2"]),
              helper.make_node("Transpose", [p + "2"], [p], perm=[0, 2, 1, 3] if p != "k" else [0, 2, 3, 1])]
    n += [helper.make_node("MatMul", ["q", "k"], ["qk"]),
          helper.make_node("Div", ["qk", "scale"], ["qks"]),
          helper.make_node("Softmax", ["qks"], ["att"], axis=-1),
          helper.make_node("MatMul", ["att", "v"], ["ctx0"]),
          helper.make_node("Transpose", ["ctx0"], ["ctx1"], perm=[0, 2, 1, 3]),
          helper.make_node("Reshape", ["ctx1", "merge"], ["ctx"]),
          helper.make_node("MatMul", ["ctx", "wo"], ["o0"]),
          helper.make_node("Add", ["o0", "wo_b"], ["o1"]),
          helper.make_node("Add", ["o1", "x"], ["res1"]),
          helper.make_node("LayerNormalization", ["res1", "ln2_s", "ln2_b"], ["ln2"], axis=-1, epsilon=1e-5),
          helper.make_node("MatMul", ["ln2", "w1"], ["m0"]),
          helper.make_node("Add", ["m0", "w1_b"], ["m1"]),
          # Gelu written out with Erf (opset 17 has no Gelu op)
          helper.make_node("Mul", ["m1", "rsqrt2"], ["g0"]),
          helper.make_node("Erf", ["g0"], ["g1"]),
          helper.make_node("Add", ["g1", "one"], ["g2"]),
          helper.make_node("Mul", ["m1", "g2"], ["g3"]),
          helper.make_node("Mul", ["g3", "half"], ["gelu"]),
          helper.make_node("MatMul", ["gelu", "w2"], ["m2"]),
          helper.make_node("Add", ["m2", "w2_b"], ["m3"]),
          helper.make_node("Add", ["m3", "res1"], ["y"])]
    return model("transformer_block", n, i, [f32("x", [b, t, d])], [f32("y", [b, t, d])]), {"x": (b, t, d)}


def fpn():
    n, i = [], []
    parts = [conv("lat4", "c4", "l4", 32, 16, 1), conv("lat3", "c3", "l3", 16, 16, 1),
             ([helper.make_node("Resize", ["l4", "", "up_scales"], ["u4"], mode="nearest"),
               helper.make_node("Add", ["u4", "l3"], ["p3"]),
               helper.make_node("Resize", ["l4", "", "up_scales"], ["u4l"], mode="linear",
                                coordinate_transformation_mode="half_pixel"),
               helper.make_node("Concat", ["p3", "u4l"], ["cat"], axis=1)],
              [arr("up_scales", [1, 1, 2, 2])]),
             conv("smooth", "cat", "y", 32, 8, 3)]
    for part in parts:
        n += part[0]; i += part[1]
    return model("fpn", n, i, [f32("c3", [1, 16, 32, 32]), f32("c4", [1, 32, 16, 16])],
                 [f32("y", [1, 8, 32, 32])]), {"c3": (1, 16, 32, 32), "c4": (1, 32, 16, 16)}


def embedding():
    i = [const("table", (100, 32), 1.0), const("pos", (8, 32), 0.5), const("proj", (32, 16), 0.2)]
    n = [helper.make_node("Gather", ["table", "ids"], ["emb"], axis=0),
         helper.make_node("Add", ["emb", "pos"], ["e1"]),
         helper.make_node("ReduceMean", ["e1"], ["mean"], axes=[1], keepdims=0),
         helper.make_node("MatMul", ["mean", "proj"], ["y"])]
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 8])
    return model("embedding", n, i, [ids], [f32("y", [2, 16])]), {"ids": ("int64", 100, (2, 8))}


def qdq():
    i = [arr("x_scale", 0.02), arr("x_zp", 128, np.uint8), arr("w_scale", [0.01] * 8),
         arr("w_zp", [0] * 8, np.int8), arr("y_scale", 0.05), arr("y_zp", 0, np.uint8),
         numpy_helper.from_array(rng.integers(-100, 100, (8, 3, 3, 3)).astype(np.int8), "w_q"),
         const("bias", (8,), 0.1)]
    n = [helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"]),
         helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["xd"]),
         helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["wd"], axis=0),
         helper.make_node("Conv", ["xd", "wd", "bias"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("QuantizeLinear", ["r", "y_scale", "y_zp"], ["yq"]),
         helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zp"], ["y"])]
    return model("qdq", n, i, [f32("x", [1, 3, 16, 16])], [f32("y", [1, 8, 16, 16])]), {"x": (1, 3, 16, 16)}


def dynamic_batch():
    n, i = conv("c1", "x", "c1", 3, 8, 3)
    i += [const("fc_w", (8 * 8 * 8, 5), 0.05), arr("zero", [0], np.int64), arr("minus1", [-1], np.int64)]
    n += [helper.make_node("Relu", ["c1"], ["r1"]),
          helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
          # flatten through the runtime shape: Reshape(p1, [N, -1]) with N from Shape
          helper.make_node("Shape", ["p1"], ["s"]),
          helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
          helper.make_node("Concat", ["n", "minus1"], ["flat_shape"], axis=0),
          helper.make_node("Reshape", ["p1", "flat_shape"], ["flat"]),
          helper.make_node("MatMul", ["flat", "fc_w"], ["y"])]
    return model("dynamic_batch", n, i, [f32("x", ["N", 3, 16, 16])], [f32("y", ["N", 5])]), \
        {"x": (3, 3, 16, 16)}


def dynamic_batch_5():
    """The dynamic-batch model (fresh weights) at batch 5: the symbolic dim really varies."""
    m, _ = dynamic_batch()
    m.graph.name = "dynamic_batch_5"
    return m, {"x": (5, 3, 16, 16)}


MODELS = [cnn, mobilenet_block, transformer_block, fpn, embedding, qdq, dynamic_batch, dynamic_batch_5]


def main():
    global rng
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int.from_bytes(os.urandom(4), "little")
    rng = np.random.default_rng(seed)
    print(f"make_models: seed {seed}")
    for make in MODELS:
        m, inputs = make()
        d = os.path.join(out, m.graph.name)
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "model.onnx"))
        with open(os.path.join(d, "inputs.txt"), "w") as f:
            for name, spec in inputs.items():
                if spec[0] == "int64":
                    a = rng.integers(0, spec[1], spec[2]).astype(np.int64)
                else:
                    a = rng.standard_normal(spec).astype(np.float32)
                np.save(os.path.join(d, f"in_{name}.npy"), a)
                f.write(f"{name} in_{name}.npy\n")


if __name__ == "__main__":
    main()

"""ONNX: ``model.onnx`` built with ``onnx.helper``, random-initialised weights, NCHW like PyTorch.

Weight initialisers are named ``<layer>.<weight>`` (the PyTorch state_dict names where the two
agree); constants the graph needs that are not learned (shapes, pads, fixed scales) are named
``<layer>.const.<what>`` and are not parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from dlp2c.codegen.layout import cf_axis, cf_perm, cf_shape, cl_perm, is_spatial, same_pads
from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.registry import EmitterRegistry, refuse
from dlp2c.codegen.targets.pytorch import (
    conv_pads,
    permute_axes,
    prelu_shape,
    resolve_layer,
    stat_shape,
    transpose_crop,
)
from onnx import TensorProto, helper, numpy_helper

TARGET = "onnx"
OPSET = 28  # onnx 1.23's newest opset; the pinned onnxruntime (1.32) runs it
IR_VERSION = 11  # accepted with opset 28 by onnx.checker and onnxruntime 1.32
EMITTERS = EmitterRegistry(TARGET)

_DTYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "float64": TensorProto.DOUBLE,
           "int32": TensorProto.INT32, "int64": TensorProto.INT64}

# Keras activation -> (ONNX op, attributes); None for the identity.
_ACT: dict[str, tuple[str, dict[str, Any]] | None] = {
    "linear": None, "relu": ("Relu", {}), "sigmoid": ("Sigmoid", {}), "tanh": ("Tanh", {}),
    "hard_sigmoid": ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}), "softplus": ("Softplus", {}),
    "softsign": ("Softsign", {}), "elu": ("Elu", {"alpha": 1.0}), "selu": ("Selu", {}), "gelu": ("Gelu", {}),
    "mish": ("Mish", {}), "exponential": ("Exp", {}), "leaky_relu": ("LeakyRelu", {"alpha": 0.2}),
}
_RNN_ACT = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid"}


class OnnxWriter:
    def __init__(self, seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(seed)
        self._names: set[str] = set()

    def tmp(self, base: str) -> str:
        name, k = base, 1
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def weight(self, name: str, shape: tuple[int, ...], kind: str = "normal") -> str:
        if kind == "zeros":
            value = np.zeros(shape, np.float32)
        elif kind == "ones":
            value = np.ones(shape, np.float32)
        elif kind == "positive":
            value = self.rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else max(shape[0], 1)
            value = (self.rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))).astype(np.float32)
        self.inits.append(numpy_helper.from_array(value, self.tmp(name)))
        return name

    def const(self, layer: str, what: str, value: Any, dtype: Any = np.float32) -> str:
        name = self.tmp(f"{layer}.const.{what}")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], output: str | None = None, name: str | None = None,
             outputs: list[str] | None = None, **attrs: Any) -> str:
        outs = outputs or [output or self.tmp(name or op.lower())]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.tmp(f"{name or outs[0]}:{op}"), **attrs))
        return outs[0]

    def activate(self, act: str, x: str, out: str, rank: int) -> str:
        if act in ("softmax", "log_softmax"):
            op = "Softmax" if act == "softmax" else "LogSoftmax"
            return self.node(op, [x], out, axis=cf_axis(-1, rank))
        if act == "relu6":
            return self.node("Clip", [x, self.const(out, "min", 0.0), self.const(out, "max", 6.0)], out)
        if act in ("swish", "silu"):
            return self.node("Mul", [x, self.node("Sigmoid", [x], name=f"{out}_sigmoid")], out)
        spec = _ACT[act]
        if spec is None:
            return self.node("Identity", [x], out)
        return self.node(spec[0], [x], out, **spec[1])

    def transpose(self, x: str, perm: list[int], name: str) -> str:
        return self.node("Transpose", [x], name=name, perm=perm)


def _out(s: Step) -> str:
    return s.name


def _seq_in(w: OnnxWriter, s: Step) -> str:
    return w.transpose(s.x, [0, 2, 1], f"{s.name}_channels_first")


@EMITTERS.emits("Input")
def _input(s: Step, w: OnnxWriter) -> None:
    if s.out.dtype.startswith("int"):
        w.node("Cast", [f"{s.name}_ids"], s.name, to=TensorProto.INT64)


@EMITTERS.emits("Dense")
def _dense(s: Step, w: OnnxWriter) -> None:
    p = s.params
    n_in, units = s.t.shape[-1], p["units"]
    pre = s.name if p["activation"] == "linear" else f"{s.name}_linear"
    if s.t.rank == 1:
        inputs = [s.x, w.weight(f"{s.name}.weight", (units, n_in))]
        if p["use_bias"]:
            inputs.append(w.weight(f"{s.name}.bias", (units,), "zeros"))
        w.node("Gemm", inputs, pre, transB=1)
    else:
        y = w.node("MatMul", [s.x, w.weight(f"{s.name}.kernel", (n_in, units))], name=f"{s.name}_matmul")
        if p["use_bias"]:
            w.node("Add", [y, w.weight(f"{s.name}.bias", (units,), "zeros")], pre)
        else:
            w.node("Identity", [y], pre)
    if pre != s.name:
        w.activate(p["activation"], pre, s.name, s.out.rank)


@EMITTERS.emits("Activation")
def _activation(s: Step, w: OnnxWriter) -> None:
    w.activate(s.params["activation"], s.x, s.name, s.out.rank)


@EMITTERS.emits("ReLU")
def _relu(s: Step, w: OnnxWriter) -> None:
    p = s.params
    x = s.x
    if p["threshold"] == 0:
        y = w.node("LeakyRelu", [x], name=f"{s.name}_leaky", alpha=float(p["negative_slope"])) \
            if p["negative_slope"] else w.node("Relu", [x], name=f"{s.name}_relu")
    else:
        t = w.const(s.name, "threshold", p["threshold"])
        below = w.node("Mul", [w.node("Sub", [x, t], name=f"{s.name}_shift"),
                               w.const(s.name, "slope", p["negative_slope"])], name=f"{s.name}_below")
        y = w.node("Where", [w.node("GreaterOrEqual", [x, t], name=f"{s.name}_mask"), x, below], name=f"{s.name}_where")
    if p["max_value"] is not None:
        w.node("Min", [y, w.const(s.name, "max", p["max_value"])], s.name)
    else:
        w.node("Identity", [y], s.name)


@EMITTERS.emits("LeakyReLU")
def _leaky(s: Step, w: OnnxWriter) -> None:
    w.node("LeakyRelu", [s.x], s.name, alpha=float(s.params["negative_slope"]))


@EMITTERS.emits("PReLU")
def _prelu(s: Step, w: OnnxWriter) -> None:
    w.node("PRelu", [s.x, w.weight(f"{s.name}.alpha", prelu_shape(s), "zeros")], s.name)


@EMITTERS.emits("ELU")
def _elu(s: Step, w: OnnxWriter) -> None:
    w.node("Elu", [s.x], s.name, alpha=float(s.params["alpha"]))


@EMITTERS.emits("Softmax")
def _softmax(s: Step, w: OnnxWriter) -> None:
    w.node("Softmax", [s.x], s.name, axis=cf_axis(s.params["axis"], s.t.rank))


@EMITTERS.emits("Dropout")
def _dropout(s: Step, w: OnnxWriter) -> None:
    w.node("Dropout", [s.x, w.const(s.name, "ratio", s.params["rate"])], s.name)


@EMITTERS.emits("Lambda")
def _lambda(s: Step, w: OnnxWriter) -> None:
    if s.out.shape != s.t.shape:
        raise refuse(s, TARGET, "that changes the shape", "its code was not imported (untrusted): write it by hand")
    w.node("Identity", [s.x], s.name)


def _flat_pads(pads: list[tuple[int, int]]) -> list[int]:
    return [b for b, _ in pads] + [a for _, a in pads]


def _conv_node(w: OnnxWriter, s: Step, x: str, out: str, c_in: int, c_out: int, kernel: tuple[int, ...],
               strides: tuple[int, ...], pads: list[tuple[int, int]], dilation: tuple[int, ...], groups: int,
               bias: bool, weight: str) -> str:
    inputs = [x, w.weight(f"{weight}.weight", (c_out, c_in // groups, *kernel))]
    if bias:
        inputs.append(w.weight(f"{weight}.bias", (c_out,), "zeros"))
    return w.node("Conv", inputs, out, kernel_shape=list(kernel), strides=list(strides), pads=_flat_pads(pads),
                  dilations=list(dilation), group=groups)


@EMITTERS.emits("Conv1D", "Conv2D", "Conv3D")
def _conv(s: Step, w: OnnxWriter) -> None:
    p = s.params
    n = len(p["kernel_size"])
    pads = conv_pads(s, p["kernel_size"], p["strides"], p["dilation_rate"])
    x = _seq_in(w, s) if n == 1 else s.x
    linear = p["activation"] == "linear" and n != 1
    y = _conv_node(w, s, x, s.name if linear else f"{s.name}_conv", s.t.shape[-1], p["filters"], p["kernel_size"],
                   p["strides"], pads, p["dilation_rate"], p["groups"], p["use_bias"], s.name)
    if n == 1:
        y = w.transpose(y, [0, 2, 1], f"{s.name}_ntc")
    if not linear:
        w.activate(p["activation"], y, s.name, s.out.rank)


@EMITTERS.emits("Conv2DTranspose")
def _deconv(s: Step, w: OnnxWriter) -> None:
    p = s.params
    crop = transpose_crop(s)
    c_in, f, g = s.t.shape[-1], p["filters"], p["groups"]
    inputs = [s.x, w.weight(f"{s.name}.weight", (c_in, f // g, *p["kernel_size"]))]
    if p["use_bias"]:
        inputs.append(w.weight(f"{s.name}.bias", (f,), "zeros"))
    out_pad = list(p["output_padding"]) if p["output_padding"] else [0, 0]
    linear = p["activation"] == "linear"
    y = w.node("ConvTranspose", inputs, s.name if linear else f"{s.name}_deconv", kernel_shape=list(p["kernel_size"]),
               strides=list(p["strides"]), pads=_flat_pads(crop), dilations=list(p["dilation_rate"]), group=g,
               output_padding=out_pad)
    if not linear:
        w.activate(p["activation"], y, s.name, s.out.rank)


@EMITTERS.emits("DepthwiseConv2D", "SeparableConv2D")
def _depthwise(s: Step, w: OnnxWriter) -> None:
    p = s.params
    c = s.t.shape[-1]
    mid = c * p["depth_multiplier"]
    pads = conv_pads(s, p["kernel_size"], p["strides"], p["dilation_rate"])
    separable = s.op == "SeparableConv2D"
    linear = p["activation"] == "linear"
    last = s.name if linear else f"{s.name}_conv"
    y = _conv_node(w, s, s.x, f"{s.name}_dw" if separable else last, c, mid, p["kernel_size"], p["strides"], pads,
                   p["dilation_rate"], c, p["use_bias"] and not separable,
                   f"{s.name}_depthwise" if separable else s.name)
    if separable:
        y = _conv_node(w, s, y, last, mid, p["filters"], (1, 1), (1, 1), [(0, 0), (0, 0)], (1, 1), 1, p["use_bias"],
                       f"{s.name}_pointwise")
    if not linear:
        w.activate(p["activation"], y, s.name, s.out.rank)


@EMITTERS.emits("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
def _pool(s: Step, w: OnnxWriter) -> None:
    p = s.params
    n = len(p["pool_size"])
    strides = p["strides"] or p["pool_size"]
    padding = p["padding"]
    attrs: dict[str, Any] = {"kernel_shape": list(p["pool_size"]), "strides": list(strides)}
    if isinstance(padding, str):
        pads = [same_pads(d, k, st) if padding == "same" else (0, 0)
                for d, k, st in zip(s.t.shape[:-1], p["pool_size"], strides, strict=True)]
        include = 0
    else:
        pads = [(v, v) for v in padding]
        include = 1
    attrs["pads"] = _flat_pads(pads)
    attrs["ceil_mode"] = int(p["ceil_mode"])
    is_max = s.op.startswith("Max")
    if not is_max:
        attrs["count_include_pad"] = include
    x = _seq_in(w, s) if n == 1 else s.x
    out = f"{s.name}_ncl" if n == 1 else s.name
    w.node("MaxPool" if is_max else "AveragePool", [x], out, **attrs)
    if n == 1:
        w.node("Transpose", [out], s.name, perm=[0, 2, 1])


@EMITTERS.emits("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D")
def _global(s: Step, w: OnnxWriter) -> None:
    axes = [1] if s.op.endswith("1D") else [2, 3]
    op = "ReduceMean" if "Average" in s.op else "ReduceMax"
    w.node(op, [s.x, w.const(s.name, "axes", axes, np.int64)], s.name, keepdims=int(s.params["keepdims"]))


def _channel_axis(s: Step, axis: int) -> None:
    if axis not in (-1, s.t.rank):
        raise refuse(s, TARGET, f"over axis {axis} (not the channels)", "normalise over the channels (axis -1)")


@EMITTERS.emits("BatchNormalization")
def _bn(s: Step, w: OnnxWriter) -> None:
    p = s.params
    _channel_axis(s, p["axis"])
    c = s.t.shape[-1]
    scale = w.weight(f"{s.name}.weight", (c,), "ones") if p["scale"] else w.const(s.name, "scale", np.ones(c))
    bias = w.weight(f"{s.name}.bias", (c,), "zeros") if p["center"] else w.const(s.name, "bias", np.zeros(c))
    mean = w.weight(f"{s.name}.running_mean", (c,), "zeros")
    var = w.weight(f"{s.name}.running_var", (c,), "positive")
    x = _seq_in(w, s) if s.t.rank == 2 else s.x
    out = f"{s.name}_ncl" if s.t.rank == 2 else s.name
    w.node("BatchNormalization", [x, scale, bias, mean, var], out, epsilon=float(p["epsilon"]),
           momentum=float(p["momentum"]))
    if s.t.rank == 2:
        w.node("Transpose", [out], s.name, perm=[0, 2, 1])


@EMITTERS.emits("LayerNormalization")
def _ln(s: Step, w: OnnxWriter) -> None:
    p = s.params
    axes = sorted(a if a > 0 else a + s.t.rank + 1 for a in p["axis"])
    if axes != [s.t.rank]:
        raise refuse(s, TARGET, f"over axes {list(p['axis'])}", "normalise over the last axis")
    c = s.t.shape[-1]
    scale = w.weight(f"{s.name}.weight", (c,), "ones") if p["scale"] else w.const(s.name, "scale", np.ones(c))
    inputs = [s.x, scale]
    if p["center"]:
        inputs.append(w.weight(f"{s.name}.bias", (c,), "zeros"))
    if is_spatial(s.t):
        inputs[0] = w.transpose(s.x, cl_perm(s.t.rank), f"{s.name}_nhwc")
        y = w.node("LayerNormalization", inputs, name=f"{s.name}_ln", axis=-1, epsilon=float(p["epsilon"]))
        w.node("Transpose", [y], s.name, perm=cf_perm(s.t.rank))
    else:
        w.node("LayerNormalization", inputs, s.name, axis=-1, epsilon=float(p["epsilon"]))


@EMITTERS.emits("LRN")
def _lrn(s: Step, w: OnnxWriter) -> None:
    p = s.params
    if p["region"] != "across_channels":  # Caffe's rule: mean of squares over a size x size window, shift 1
        pad = (p["size"] - 1) // 2
        square = w.node("Mul", [s.x, s.x], name=f"{s.name}_square")
        mean = w.node("AveragePool", [square], name=f"{s.name}_mean", kernel_shape=[p["size"]] * 2,
                      pads=[pad] * 4, count_include_pad=1)
        scaled = w.node("Add", [w.node("Mul", [mean, w.const(s.name, "alpha", p["alpha"])], name=f"{s.name}_scaled"),
                                w.const(s.name, "one", 1.0)], name=f"{s.name}_shifted")
        power = w.node("Pow", [scaled, w.const(s.name, "beta", -p["beta"])], name=f"{s.name}_power")
        w.node("Mul", [s.x, power], s.name)
        return
    w.node("LRN", [s.x], s.name, size=p["size"], alpha=float(p["alpha"]), beta=float(p["beta"]), bias=float(p["bias"]))


@EMITTERS.emits("Normalization")
def _normalization(s: Step, w: OnnxWriter) -> None:
    shape = stat_shape(s)
    mean = s.params["mean"]
    var = s.params["variance"]
    if mean and var:  # given statistics are constants of the model
        mean_t, var_t = w.const(s.name, "mean", np.reshape(mean, shape)), w.const(s.name, "variance",
                                                                                 np.reshape(var, shape))
    else:
        mean_t, var_t = w.weight(f"{s.name}.mean", shape, "zeros"), w.weight(f"{s.name}.variance", shape, "ones")
    std = w.node("Max", [w.node("Sqrt", [var_t], name=f"{s.name}_sqrt"), w.const(s.name, "eps", 1e-7)],
                 name=f"{s.name}_std")
    if s.params["invert"]:
        w.node("Add", [mean_t, w.node("Mul", [s.x, std], name=f"{s.name}_scaled")], s.name)
    else:
        w.node("Div", [w.node("Sub", [s.x, mean_t], name=f"{s.name}_centered"), std], s.name)


@EMITTERS.emits("Rescaling")
def _rescaling(s: Step, w: OnnxWriter) -> None:
    y = w.node("Mul", [s.x, w.const(s.name, "scale", s.params["scale"])], name=f"{s.name}_scaled")
    w.node("Add", [y, w.const(s.name, "offset", s.params["offset"])], s.name)


@EMITTERS.emits("Scale")
def _scale(s: Step, w: OnnxWriter) -> None:
    _channel_axis(s, s.params["axis"])
    c = s.t.shape[-1]
    view = w.const(s.name, "shape", stat_shape(s), np.int64)
    gamma = w.node("Reshape", [w.weight(f"{s.name}_gamma", (c,), "ones"), view], name=f"{s.name}_gamma_view")
    if s.params["bias_term"]:
        y = w.node("Mul", [s.x, gamma], name=f"{s.name}_scaled")
        beta = w.node("Reshape", [w.weight(f"{s.name}_beta", (c,), "zeros"), view], name=f"{s.name}_beta_view")
        w.node("Add", [y, beta], s.name)
    else:
        w.node("Mul", [s.x, gamma], s.name)


@EMITTERS.emits("Concatenate")
def _concat(s: Step, w: OnnxWriter) -> None:
    w.node("Concat", list(s.inputs), s.name, axis=cf_axis(s.params["axis"], s.t.rank))


@EMITTERS.emits("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "ScaledAdd")
def _merge(s: Step, w: OnnxWriter) -> None:
    rank = max(t.rank for t in s.in_types)
    xs = []
    for x, t in zip(s.inputs, s.in_types, strict=True):
        if t.rank == rank:
            xs.append(x)
        elif t.rank == 1 and rank >= 3:  # a channel vector beside images: (N, C) -> (N, C, 1, 1)
            axes = w.const(s.name, "axes", list(range(2, rank + 1)), np.int64)
            xs.append(w.node("Unsqueeze", [x, axes], name=f"{s.name}_{x}_channels"))
        else:
            raise refuse(s, TARGET, f"of a rank-{t.rank} and a rank-{rank} tensor", "reshape them to one rank first")
    if s.op == "Subtract":
        w.node("Sub", xs, s.name)
    elif s.op == "ScaledAdd":
        scaled = w.node("Mul", [xs[1], w.const(s.name, "scale", s.params["scale"])], name=f"{s.name}_scaled")
        w.node("Add", [xs[0], scaled], s.name)
    else:
        op = {"Add": "Sum", "Multiply": "Mul", "Average": "Mean", "Maximum": "Max", "Minimum": "Min"}[s.op]
        if op == "Mul":
            y = xs[0]
            for i, other in enumerate(xs[1:]):
                y = w.node("Mul", [y, other], s.name if i == len(xs) - 2 else None, name=f"{s.name}_mul")
        else:
            w.node(op, xs, s.name)


@EMITTERS.emits("Flatten")
def _flatten(s: Step, w: OnnxWriter) -> None:
    w.node("Flatten", [s.x], s.name, axis=1)


@EMITTERS.emits("Reshape")
def _reshape(s: Step, w: OnnxWriter) -> None:
    x = s.x
    if is_spatial(s.t):
        x = w.transpose(x, cl_perm(s.t.rank), f"{s.name}_channels_last")
    target = w.const(s.name, "shape", [0, *s.params["target_shape"]], np.int64)
    if is_spatial(s.out):
        y = w.node("Reshape", [x, target], name=f"{s.name}_reshaped")
        w.node("Transpose", [y], s.name, perm=cf_perm(s.out.rank))
    else:
        w.node("Reshape", [x, target], s.name)


@EMITTERS.emits("Permute")
def _permute(s: Step, w: OnnxWriter) -> None:
    w.node("Transpose", [s.x], s.name, perm=permute_axes(s))


@EMITTERS.emits("RepeatVector")
def _repeat(s: Step, w: OnnxWriter) -> None:
    y = w.node("Unsqueeze", [s.x, w.const(s.name, "axes", [1], np.int64)], name=f"{s.name}_unsqueeze")
    w.node("Tile", [y, w.const(s.name, "repeats", [1, s.params["n"], 1], np.int64)], s.name)


@EMITTERS.emits("ZeroPadding1D", "ZeroPadding2D")
def _zero_pad(s: Step, w: OnnxWriter) -> None:
    f = s.params["padding"]
    pads = [0, f[0], 0, 0, f[1], 0] if s.op.endswith("1D") else [0, 0, f[0], f[2], 0, 0, f[1], f[3]]
    w.node("Pad", [s.x, w.const(s.name, "pads", pads, np.int64)], s.name)


@EMITTERS.emits("Cropping1D", "Cropping2D")
def _crop(s: Step, w: OnnxWriter) -> None:
    c = s.params["cropping"]
    big = np.iinfo(np.int64).max
    if s.op.endswith("1D"):
        starts, ends, axes = [c[0]], [-c[1] if c[1] else big], [1]
    else:
        starts, ends, axes = [c[0], c[2]], [-c[1] if c[1] else big, -c[3] if c[3] else big], [2, 3]
    w.node("Slice", [s.x, w.const(s.name, "starts", starts, np.int64), w.const(s.name, "ends", ends, np.int64),
                     w.const(s.name, "axes", axes, np.int64)], s.name)


@EMITTERS.emits("UpSampling1D", "UpSampling2D")
def _upsample(s: Step, w: OnnxWriter) -> None:
    size = s.params["size"]
    if s.op.endswith("1D"):
        scales = [1.0, float(size[0]), 1.0]
        mode = "nearest"
    else:
        scales = [1.0, 1.0, *map(float, size)]
        mode = s.params["interpolation"]
        if mode not in ("nearest", "bilinear"):
            raise refuse(s, TARGET, f"with {mode} interpolation", "use nearest or bilinear")
    attrs: dict[str, Any] = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    if mode == "bilinear":
        attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    w.node("Resize", [s.x, "", w.const(s.name, "scales", scales)], s.name, **attrs)


@EMITTERS.emits("Embedding")
def _embedding(s: Step, w: OnnxWriter) -> None:
    p = s.params
    table = w.weight(f"{s.name}.weight", (p["input_dim"], p["output_dim"]))
    w.node("Gather", [table, s.x], s.name, axis=0)


_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_RNN_OP = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _rnn_node(w: OnnxWriter, s: Step, op: str, p: dict[str, Any], x: str, dirs: int, seq: str, last: str) -> None:
    if p["return_state"]:
        raise refuse(s, TARGET, "with return_state")
    u, n_in, gates = p["units"], s.t.shape[-1], _GATES[op]
    acts = [p["activation"]] if op == "SimpleRNN" else [p["recurrent_activation"], p["activation"], p["activation"]]
    if op == "GRU":
        acts = acts[:2]
    if any(a not in _RNN_ACT for a in acts):
        raise refuse(s, TARGET, f"with activations {acts}", "use tanh, relu or sigmoid")
    inputs = [x, w.weight(f"{s.name}.W", (dirs, gates * u, n_in)), w.weight(f"{s.name}.R", (dirs, gates * u, u))]
    if p["use_bias"]:
        inputs.append(w.weight(f"{s.name}.B", (dirs, 2 * gates * u), "zeros"))
    # onnxruntime runs only time-major recurrent ops (layout 0): (T, N, F) in, (T, dirs, N, H) out
    inputs[0] = w.transpose(x, [1, 0, 2], f"{s.name}_time_major")
    attrs: dict[str, Any] = {"hidden_size": u, "activations": [_RNN_ACT[a] for a in acts] * dirs}
    if "hard_sigmoid" in acts:  # Keras 3's hard sigmoid: x / 6 + 1/2, clipped
        attrs["activation_alpha"] = [1 / 6 if a == "hard_sigmoid" else 0.0 for a in acts] * dirs
        attrs["activation_beta"] = [0.5 if a == "hard_sigmoid" else 0.0 for a in acts] * dirs
    if dirs == 2:
        attrs["direction"] = "bidirectional"
    if op == "GRU":
        attrs["linear_before_reset"] = int(p["reset_after"])
    y, y_h = w.tmp(f"{s.name}_Y_time_major"), w.tmp(f"{s.name}_Y_h_dirs_first")
    w.node(_RNN_OP[op], inputs, outputs=[y, y_h], name=s.name, **attrs)
    w.node("Transpose", [y], seq, perm=[2, 0, 1, 3])  # (N, T, dirs, H)
    w.node("Transpose", [y_h], last, perm=[1, 0, 2])  # (N, dirs, H)


@EMITTERS.emits("SimpleRNN", "LSTM", "GRU")
def _rnn(s: Step, w: OnnxWriter) -> None:
    p = s.params
    x = s.x
    if p["go_backwards"]:
        big = np.iinfo(np.int64).max
        x = w.node("Slice", [x, w.const(s.name, "starts", [-1], np.int64),
                             w.const(s.name, "ends", [-big], np.int64), w.const(s.name, "axes", [1], np.int64),
                             w.const(s.name, "steps", [-1], np.int64)], name=f"{s.name}_reversed")
    seq, last = w.tmp(f"{s.name}_Y"), w.tmp(f"{s.name}_Y_h")
    _rnn_node(w, s, s.op, p, x, 1, seq, last)
    if p["return_sequences"]:  # Y: (N, T, 1, H)
        w.node("Squeeze", [seq, w.const(s.name, "seq_axes", [2], np.int64)], s.name)
    else:  # Y_h: (N, 1, H)
        w.node("Squeeze", [last, w.const(s.name, "last_axes", [1], np.int64)], s.name)


@EMITTERS.emits("Bidirectional")
def _bidirectional(s: Step, w: OnnxWriter) -> None:
    inner = s.params["layer"]
    ip = resolve_layer(inner)
    if ip["go_backwards"]:
        raise refuse(s, TARGET, "around a layer that already reads backwards")
    u = ip["units"]
    seq, last = w.tmp(f"{s.name}_Y"), w.tmp(f"{s.name}_Y_h")
    _rnn_node(w, s, inner["op"], ip, s.x, 2, seq, last)
    mode = s.params["merge_mode"]
    if ip["return_sequences"]:  # Y: (N, T, 2, H)
        both, axis = seq, 2
        flat_shape = [0, 0, 2 * u]
    else:  # Y_h: (N, 2, H)
        both, axis = last, 1
        flat_shape = [0, 2 * u]
    if mode == "concat":
        w.node("Reshape", [both, w.const(s.name, "shape", flat_shape, np.int64)], s.name)
        return
    reduce = {"sum": "ReduceSum", "ave": "ReduceMean", "mul": "ReduceProd"}[mode]
    w.node(reduce, [both, w.const(s.name, "axes", [axis], np.int64)], s.name, keepdims=0)


@EMITTERS.emits("TimeDistributed")
def _time_distributed(s: Step, w: OnnxWriter) -> None:
    from dlp2c.common.catalog import TensorType
    from dlp2c.common.graph import Node

    inner = s.params["layer"]
    item = TensorType(s.t.shape[1:], s.t.dtype)
    out_item = TensorType(s.out.shape[1:], s.out.dtype)
    items = f"{s.name}_items"
    inner_step = Step(node=Node(s.node.id, inner["op"], inner["params"]), name=f"{s.name}_step", inputs=(items,),
                      in_types=(item,), out=out_item, params=resolve_layer(inner), count=0)
    x = w.transpose(s.x, [0, 2, 1, *range(3, s.t.rank + 1)], f"{s.name}_time_first") if is_spatial(s.t) else s.x
    w.node("Reshape", [x, w.const(s.name, "items_shape", [-1, *cf_shape(item.shape)], np.int64)], items)
    EMITTERS.get(inner_step)(inner_step, w)
    # (N, T) from the input at run time (T may be free), then the item's own shape
    batch_time = w.node("Slice", [w.node("Shape", [x], name=f"{s.name}_shape"), w.const(s.name, "zero", [0], np.int64),
                                  w.const(s.name, "two", [2], np.int64)], name=f"{s.name}_batch_time")
    rest = [-1 if d is None else d for d in cf_shape(out_item.shape)]
    back = w.node("Concat", [batch_time, w.const(s.name, "item_shape", rest, np.int64)], name=f"{s.name}_seq_shape",
                  axis=0)
    if is_spatial(s.out):
        y = w.node("Reshape", [inner_step.name, back], name=f"{s.name}_seq")
        w.node("Transpose", [y], s.name, perm=[0, 2, 1, *range(3, s.out.rank + 1)])
    else:
        w.node("Reshape", [inner_step.name, back], s.name)


def _value_info(name: str, dtype: str, shape: tuple[int | None, ...]) -> onnx.ValueInfoProto:
    dims: list[Any] = ["N", *[d if d is not None else f"{name}_d{i}" for i, d in enumerate(cf_shape(shape))]]
    return helper.make_tensor_value_info(name, _DTYPES[dtype], dims)


def build(plan: Plan, seed: int = 0) -> onnx.ModelProto:
    w = OnnxWriter(seed)
    for s in plan.steps:
        w._names.add(s.name)
    for s in plan.steps:
        EMITTERS.get(s)(s, w)
    inputs = [_value_info(f"{s.name}_ids" if s.out.dtype.startswith("int") else s.name, s.out.dtype, s.out.shape)
              for s in plan.inputs]
    outputs = [_value_info(s.name, s.out.dtype, s.out.shape) for s in plan.outputs]
    graph = helper.make_graph(w.nodes, plan.model_name, inputs, outputs, w.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                              producer_name="dlpaper2code")
    model.doc_string = "Generated by DLPaper2Code; weights are random."
    return model


def render(plan: Plan) -> dict[str, bytes]:
    return {"model.onnx": build(plan).SerializeToString()}


def parameter_count(model: onnx.ModelProto) -> int:
    """Learned numbers: every initialiser but the ``.const.`` ones (shapes, pads, fixed factors)."""
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer if ".const." not in t.name)

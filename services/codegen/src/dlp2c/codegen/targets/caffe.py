"""Caffe: ``deploy.prototxt`` and ``netspec.py``, a pycaffe NetSpec script that writes the same net.

Every layer has one top named like the layer (NetSpec's rule), so both files come from one list of
:class:`CaffeLayer`. Blobs are NCHW. Layers only the Caffe fork we build has (Pad, Permute,
Upsample, ReLU6, HardSigmoid, ``ceil_mode``) are used only where stock Caffe has no equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlp2c.codegen.layout import cf_axis, cf_perm, cf_shape, cl_perm, is_spatial, same_pads
from dlp2c.codegen.names import comment
from dlp2c.codegen.plan import Plan, Step
from dlp2c.codegen.pyexpr import lit
from dlp2c.codegen.registry import EmitterRegistry, refuse

TARGET = "caffe"
EMITTERS = EmitterRegistry(TARGET)
FREE_SIZE = 8  # Caffe blobs have fixed sizes: a free size in the graph becomes this


class Enum(str):
    """A protobuf enum value: bare in prototxt, ``P.<Message>.<VALUE>`` in NetSpec."""

    def __new__(cls, value: str, message: str) -> Enum:
        obj = super().__new__(cls, value)
        obj.message = message  # type: ignore[attr-defined]
        return obj


@dataclass
class CaffeLayer:
    name: str
    type: str
    bottoms: list[str]
    params: dict[str, Any] = field(default_factory=dict)  # e.g. {"convolution_param": {...}}
    note: str = ""


class CaffeWriter:
    def __init__(self) -> None:
        self.layers: list[CaffeLayer] = []
        self.blob: dict[str, str] = {}  # step name -> the blob holding its value

    def add(self, name: str, type_: str, bottoms: list[str], note: str = "", **params: Any) -> str:
        self.layers.append(CaffeLayer(name, type_, bottoms, params, note))
        return name

    def src(self, s: Step, i: int = 0) -> str:
        return self.blob[s.inputs[i]]

    def done(self, s: Step, blob: str) -> None:
        self.blob[s.name] = blob


_ACT = {"relu": ("ReLU", {}), "sigmoid": ("Sigmoid", {}), "tanh": ("TanH", {}), "elu": ("ELU", {}),
        "relu6": ("ReLU6", {}), "softplus": ("BNLL", {}), "exponential": ("Exp", {}),
        "leaky_relu": ("ReLU", {"relu_param": {"negative_slope": 0.2}}),
        "hard_sigmoid": ("HardSigmoid", {"hardsigmoid_param": {"alpha": 1 / 6, "beta": 0.5}})}


def activate(w: CaffeWriter, s: Step, act: str, bottom: str, name: str) -> str:
    """The activation as its own layer; returns the blob holding the result."""
    if act == "linear":
        return bottom
    if act == "softmax":
        return w.add(name, "Softmax", [bottom], softmax_param={"axis": cf_axis(-1, s.out.rank)})
    if act in ("swish", "silu"):  # x * sigmoid(x)
        gate = w.add(f"{name}_sigmoid", "Sigmoid", [bottom])
        return w.add(name, "Eltwise", [bottom, gate], eltwise_param={"operation": Enum("PROD", "Eltwise")})
    if act not in _ACT:
        raise refuse(s, TARGET, f"with activation {act!r}", "Caffe has no such layer")
    type_, params = _ACT[act]
    return w.add(name, type_, [bottom], **params)


def _fused(w: CaffeWriter, s: Step, layer_blob: str) -> None:
    w.done(s, activate(w, s, s.params["activation"], layer_blob, s.name))


def _main_name(s: Step) -> str:
    """The name of a layer followed by its fused activation (which takes the step's name)."""
    return s.name if s.params.get("activation", "linear") == "linear" else f"{s.name}_linear"


@EMITTERS.emits("Input")
def _input(s: Step, w: CaffeWriter) -> None:
    dims = [1, *(FREE_SIZE if d is None else d for d in cf_shape(s.out.shape))]
    w.done(s, w.add(s.name, "Input", [], input_param={"shape": [{"dim": dims}]}))


@EMITTERS.emits("Dense")
def _dense(s: Step, w: CaffeWriter) -> None:
    if s.t.rank > 2:
        raise refuse(s, TARGET, "on an image", "Caffe's InnerProduct flattens channels with space; insert Flatten "
                     "or pool first")
    p = s.params
    param: dict[str, Any] = {"num_output": p["units"], "bias_term": p["use_bias"]}
    if s.t.rank == 2:  # a sequence (N, T, D): one product per step, over the last axis
        param["axis"] = 2
    blob = w.add(_main_name(s), "InnerProduct", [w.src(s)], inner_product_param=param)
    _fused(w, s, blob)


@EMITTERS.emits("Activation")
def _activation(s: Step, w: CaffeWriter) -> None:
    w.done(s, activate(w, s, s.params["activation"], w.src(s), s.name))


@EMITTERS.emits("ReLU", "LeakyReLU")
def _relu(s: Step, w: CaffeWriter) -> None:
    p = s.params
    if p.get("threshold", 0) != 0:
        raise refuse(s, TARGET, "with a threshold")
    slope = float(p["negative_slope"])
    if s.op == "ReLU" and p["max_value"] is not None:
        if p["max_value"] != 6 or slope:
            raise refuse(s, TARGET, f"capped at {p['max_value']}", "Caffe caps only at 6 (ReLU6)")
        w.done(s, w.add(s.name, "ReLU6", [w.src(s)]))
        return
    params = {"relu_param": {"negative_slope": slope}} if slope else {}
    w.done(s, w.add(s.name, "ReLU", [w.src(s)], **params))


@EMITTERS.emits("PReLU")
def _prelu(s: Step, w: CaffeWriter) -> None:
    shared = set(s.params["shared_axes"] or ())
    spatial = set(range(1, s.t.rank))
    if shared >= spatial | {s.t.rank}:
        w.done(s, w.add(s.name, "PReLU", [w.src(s)], prelu_param={"channel_shared": True}))
    elif shared == spatial:
        w.done(s, w.add(s.name, "PReLU", [w.src(s)]))
    else:
        raise refuse(s, TARGET, "with a slope per pixel", "share the slopes over the spatial axes (shared_axes)")


@EMITTERS.emits("ELU")
def _elu(s: Step, w: CaffeWriter) -> None:
    w.done(s, w.add(s.name, "ELU", [w.src(s)], elu_param={"alpha": float(s.params["alpha"])}))


@EMITTERS.emits("Softmax")
def _softmax(s: Step, w: CaffeWriter) -> None:
    w.done(s, w.add(s.name, "Softmax", [w.src(s)], softmax_param={"axis": cf_axis(s.params["axis"], s.t.rank)}))


@EMITTERS.emits("Dropout")
def _dropout(s: Step, w: CaffeWriter) -> None:
    w.done(s, w.add(s.name, "Dropout", [w.src(s)], dropout_param={"dropout_ratio": float(s.params["rate"])}))


@EMITTERS.emits("Lambda")
def _lambda(s: Step, w: CaffeWriter) -> None:
    if s.out.shape != s.t.shape:
        raise refuse(s, TARGET, "that changes the shape", "its code was not imported (untrusted): write it by hand")
    w.done(s, w.src(s))  # identity: the next layer reads the same blob


def _pad_layer(w: CaffeWriter, s: Step, bottom: str, pads: list[tuple[int, int]], value: float = 0.0) -> str:
    (top, bottom_), (left, right) = pads
    params: dict[str, Any] = {"pad_u": top, "pad_d": bottom_, "pad_l": left, "pad_r": right}
    if value:
        params["pad_value"] = value
    return w.add(f"{s.name}_pad", "Pad", [bottom], pad_param=params)


def _split(pads: list[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]] | None]:
    sym = [min(b, a) for b, a in pads]
    rest = [(b - m, a - m) for (b, a), m in zip(pads, sym, strict=True)]
    return sym, (rest if any(b or a for b, a in rest) else None)


def _window_pads(s: Step, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...]):
    padding = s.params["padding"]
    if padding == "same":
        return [same_pads(n, k, st, d) for n, k, st, d in zip(s.t.shape[:-1], kernel, strides, dilation, strict=True)]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    return [(v, v) for v in padding]


def _conv_param(num_output: int, kernel: tuple[int, ...], strides: tuple[int, ...], pads: list[int],
                dilation: tuple[int, ...], group: int, bias: bool) -> dict[str, Any]:
    param: dict[str, Any] = {"num_output": num_output, "bias_term": bias, "kernel_size": list(kernel)}
    if any(v != 1 for v in strides):
        param["stride"] = list(strides)
    if any(pads):
        param["pad"] = list(pads)
    if any(v != 1 for v in dilation):
        param["dilation"] = list(dilation)
    if group != 1:
        param["group"] = group
    return param


@EMITTERS.emits("Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D")
def _conv(s: Step, w: CaffeWriter) -> None:
    p = s.params
    pads = _window_pads(s, p["kernel_size"], p["strides"], p["dilation_rate"])
    sym, rest = _split(pads)
    bottom = w.src(s)
    if rest is not None:
        if len(rest) != 2:
            raise refuse(s, TARGET, "with uneven 'same' padding in 3D", "use explicit symmetric padding")
        bottom = _pad_layer(w, s, bottom, rest)
    c = s.t.shape[-1]
    if s.op in ("Conv2D", "Conv3D"):
        blob = w.add(_main_name(s), "Convolution", [bottom], convolution_param=_conv_param(
            p["filters"], p["kernel_size"], p["strides"], sym, p["dilation_rate"], p["groups"], p["use_bias"]))
    else:
        separable = s.op == "SeparableConv2D"
        mid = c * p["depth_multiplier"]
        dw = f"{s.name}_depthwise" if separable else _main_name(s)
        blob = w.add(dw, "Convolution", [bottom], convolution_param=_conv_param(
            mid, p["kernel_size"], p["strides"], sym, p["dilation_rate"], c, p["use_bias"] and not separable))
        if separable:
            blob = w.add(_main_name(s), "Convolution", [blob], convolution_param=_conv_param(
                p["filters"], (1, 1), (1, 1), [0, 0], (1, 1), 1, p["use_bias"]))
    _fused(w, s, blob)


@EMITTERS.emits("Conv2DTranspose")
def _deconv(s: Step, w: CaffeWriter) -> None:
    from dlp2c.codegen.targets.pytorch import transpose_crop

    p = s.params
    if p["output_padding"] and any(p["output_padding"]):
        raise refuse(s, TARGET, "with output_padding")
    crop = transpose_crop(s)
    if any(b != a for b, a in crop):
        raise refuse(s, TARGET, f"cropping unevenly ({crop})", "use an even kernel size with stride 2 and 'same'")
    blob = w.add(_main_name(s), "Deconvolution", [w.src(s)], convolution_param=_conv_param(
        p["filters"], p["kernel_size"], p["strides"], [b for b, _ in crop], p["dilation_rate"], p["groups"],
        p["use_bias"]))
    _fused(w, s, blob)


@EMITTERS.emits("MaxPooling2D", "AveragePooling2D")
def _pool(s: Step, w: CaffeWriter) -> None:
    p = s.params
    is_max = s.op.startswith("Max")
    strides = p["strides"] or p["pool_size"]
    pads = _window_pads(s, p["pool_size"], strides, (1, 1))
    sym, rest = _split(pads)
    bottom = w.src(s)
    if p["padding"] == "same" and any(b or a for b, a in pads) and not is_max:
        _average_real_pixels(s, w, pads)
        return
    if rest is not None:
        bottom = _pad_layer(w, s, bottom, rest, float("-inf") if is_max else 0.0)
    (kh, kw), (sh, sw) = p["pool_size"], strides
    param: dict[str, Any] = {"pool": Enum("MAX" if is_max else "AVE", "Pooling"), "kernel_h": kh, "kernel_w": kw,
                             "stride_h": sh, "stride_w": sw}
    if any(sym):
        param["pad_h"], param["pad_w"] = sym
    if _needs_floor(s, sym, rest):
        param["ceil_mode"] = False
    w.done(s, w.add(s.name, "Pooling", [bottom], pooling_param=param))


def _average_real_pixels(s: Step, w: CaffeWriter, pads: list[tuple[int, int]]) -> None:
    """Keras' 'same' average divides by the real pixels of each window; Caffe's by the whole window.

    Pool the input with zero padding, then multiply by the reciprocal of the pooled ones of a
    constant blob: the fraction of real pixels per window (a DummyData blob, no parameters).
    """
    p = s.params
    (kh, kw), (sh, sw) = p["pool_size"], p["strides"] or p["pool_size"]
    sym, rest = _split(pads)
    param = {"pool": Enum("AVE", "Pooling"), "kernel_h": kh, "kernel_w": kw, "stride_h": sh, "stride_w": sw,
             "pad_h": sym[0], "pad_w": sym[1]}
    x = w.src(s)
    height, width, channels = s.t.shape
    ones = w.add(f"{s.name}_ones", "DummyData", [], dummy_data_param={
        "shape": [{"dim": [1, channels, height, width]}], "data_filler": [{"type": "constant", "value": 1.0}]})
    if rest is not None:
        x, ones = _pad_layer(w, s, x, rest), w.add(f"{s.name}_ones_pad", "Pad", [ones], pad_param={
            "pad_u": rest[0][0], "pad_d": rest[0][1], "pad_l": rest[1][0], "pad_r": rest[1][1]})
    if _needs_floor(s, sym, rest):
        param["ceil_mode"] = False
    summed = w.add(f"{s.name}_window", "Pooling", [x], pooling_param=dict(param))
    share = w.add(f"{s.name}_share", "Pooling", [ones], pooling_param=dict(param))
    inverse = w.add(f"{s.name}_inverse", "Power", [share], power_param={"power": -1.0})
    out_h, out_w = s.out.shape[:2]
    per_pixel = w.add(f"{s.name}_divisor", "Reshape", [inverse],
                      reshape_param={"shape": {"dim": [channels, out_h, out_w]}})
    w.done(s, w.add(s.name, "Scale", [summed, per_pixel], scale_param={"axis": 1}))


def _needs_floor(s: Step, sym: list[int], rest: list[tuple[int, int]] | None) -> bool:
    """Caffe rounds the output size up: say 'ceil_mode: false' only where rounding down differs."""
    p = s.params
    strides = p["strides"] or p["pool_size"]
    for axis, (n, k, st, pad) in enumerate(zip(s.t.shape[:2], p["pool_size"], strides, sym, strict=True)):
        size = n + (sum(rest[axis]) if rest else 0)
        ceil_out = -(-(size + 2 * pad - k) // st) + 1
        if pad > 0 and (ceil_out - 1) * st >= size + pad:
            ceil_out -= 1
        if ceil_out != s.out.shape[axis]:
            return True
    return False


@EMITTERS.emits("GlobalAveragePooling2D", "GlobalMaxPooling2D")
def _global(s: Step, w: CaffeWriter) -> None:
    pool = Enum("AVE" if "Average" in s.op else "MAX", "Pooling")
    keep = s.params["keepdims"]
    blob = w.add(s.name if keep else f"{s.name}_pool", "Pooling", [w.src(s)],
                 pooling_param={"pool": pool, "global_pooling": True})
    w.done(s, blob if keep else w.add(s.name, "Flatten", [blob]))


@EMITTERS.emits("BatchNormalization")
def _bn(s: Step, w: CaffeWriter) -> None:
    p = s.params
    if p["axis"] not in (-1, s.t.rank) or s.t.rank == 2:
        raise refuse(s, TARGET, "over a sequence or a non-channel axis", "Caffe normalises channels of images")
    affine = p["center"] or p["scale"]
    bn = w.add(f"{s.name}_bn" if affine else s.name, "BatchNorm", [w.src(s)],
               batch_norm_param={"eps": float(p["epsilon"])})
    if p["scale"]:
        bn = w.add(s.name, "Scale", [bn], scale_param={"bias_term": p["center"]})
    elif p["center"]:
        bn = w.add(s.name, "Bias", [bn])
    w.done(s, bn)


@EMITTERS.emits("LRN")
def _lrn(s: Step, w: CaffeWriter) -> None:
    p = s.params
    region = Enum("ACROSS_CHANNELS" if p["region"] == "across_channels" else "WITHIN_CHANNEL", "LRN")
    param = {"local_size": p["size"], "alpha": float(p["alpha"]), "beta": float(p["beta"]), "k": float(p["bias"])}
    if p["region"] != "across_channels":
        param["norm_region"] = region
    w.done(s, w.add(s.name, "LRN", [w.src(s)], lrn_param=param))


@EMITTERS.emits("Normalization")
def _normalization(s: Step, w: CaffeWriter) -> None:
    """(x - mean) / std as a Bias (-mean) and a Scale (1 / std) per channel."""
    p = s.params
    if p["mean"] is not None or p["invert"] or tuple(p["axis"]) not in ((-1,), (s.t.rank,)):
        raise refuse(s, TARGET, "with given statistics, invert, or other axes than the channels",
                     "Caffe keeps statistics only as weights of a .caffemodel")
    centered = w.add(f"{s.name}_center", "Bias", [w.src(s)])
    w.done(s, w.add(s.name, "Scale", [centered]))


@EMITTERS.emits("Rescaling")
def _rescaling(s: Step, w: CaffeWriter) -> None:
    w.done(s, w.add(s.name, "Power", [w.src(s)], power_param={
        "power": 1.0, "scale": float(s.params["scale"]), "shift": float(s.params["offset"])}))


@EMITTERS.emits("Scale")
def _scale(s: Step, w: CaffeWriter) -> None:
    if s.params["axis"] not in (-1, s.t.rank):
        raise refuse(s, TARGET, "over a non-channel axis")
    w.done(s, w.add(s.name, "Scale", [w.src(s)], scale_param={"bias_term": s.params["bias_term"]}))


@EMITTERS.emits("Concatenate")
def _concat(s: Step, w: CaffeWriter) -> None:
    bottoms = [w.src(s, i) for i in range(len(s.inputs))]
    w.done(s, w.add(s.name, "Concat", bottoms, concat_param={"axis": cf_axis(s.params["axis"], s.t.rank)}))


@EMITTERS.emits("Cropping2D")
def _crop(s: Step, w: CaffeWriter) -> None:
    """Caffe's Crop takes its output size from a second blob: a DummyData blob of that size."""
    top, _bottom, left, _right = s.params["cropping"]
    dims = [1, *cf_shape(s.out.shape)]
    ref = w.add(f"{s.name}_size", "DummyData", [], dummy_data_param={"shape": [{"dim": dims}]})
    w.done(s, w.add(s.name, "Crop", [w.src(s), ref], crop_param={"axis": 2, "offset": [top, left]}))


def _channel_broadcast(s: Step, w: CaffeWriter) -> bool:
    """An image times (or plus) a per-channel vector: Caffe's two-bottom Scale (or Bias) layer."""
    if s.op not in ("Multiply", "Add") or len(s.inputs) != 2:
        return False
    a, b = s.in_types
    if a.rank != 3 and b.rank != 3:
        return False
    image, vector = (0, 1) if a.rank == 3 and a.shape != b.shape else (1, 0)
    v = s.in_types[vector]
    if v.shape not in ((v.shape[-1],), (1, 1, v.shape[-1])) or v.shape == s.in_types[image].shape:
        return False
    blob = w.src(s, vector)
    if v.rank == 3:  # (N, C, 1, 1) -> (N, C)
        blob = w.add(f"{s.name}_vector", "Flatten", [blob])
    layer = "Scale" if s.op == "Multiply" else "Bias"
    # axis 0: the (N, C) vector lines up with the image's first two axes
    w.done(s, w.add(s.name, layer, [w.src(s, image), blob], **{f"{layer.lower()}_param": {"axis": 0}}))
    return True


@EMITTERS.emits("Add", "Subtract", "Multiply", "Average", "Maximum", "ScaledAdd")
def _eltwise(s: Step, w: CaffeWriter) -> None:
    if _channel_broadcast(s, w):
        return
    if len({t.shape for t in s.in_types}) > 1:
        raise refuse(s, TARGET, "of tensors of different shapes", "Caffe's Eltwise does not broadcast")
    n = len(s.inputs)
    operation = {"Multiply": "PROD", "Maximum": "MAX"}.get(s.op, "SUM")
    param: dict[str, Any] = {"operation": Enum(operation, "Eltwise")}
    if s.op == "Subtract":
        param["coeff"] = [1.0, -1.0]
    elif s.op == "Average":
        param["coeff"] = [1.0 / n] * n
    elif s.op == "ScaledAdd":
        param["coeff"] = [1.0, float(s.params["scale"])]
    if operation == "SUM" and "coeff" not in param:
        param = {}
    w.done(s, w.add(s.name, "Eltwise", [w.src(s, i) for i in range(n)], **({"eltwise_param": param} if param else {})))


@EMITTERS.emits("Flatten")
def _flatten(s: Step, w: CaffeWriter) -> None:
    w.done(s, w.add(s.name, "Flatten", [w.src(s)]))


@EMITTERS.emits("Reshape")
def _reshape(s: Step, w: CaffeWriter) -> None:
    bottom = w.src(s)
    if is_spatial(s.t):  # the graph's Reshape reads channels-last order
        bottom = w.add(f"{s.name}_channels_last", "Permute", [bottom], permute_param={"order": cl_perm(s.t.rank)})
    dims = [0, *s.params["target_shape"]]
    if not is_spatial(s.out):
        w.done(s, w.add(s.name, "Reshape", [bottom], reshape_param={"shape": {"dim": dims}}))
        return
    y = w.add(f"{s.name}_reshaped", "Reshape", [bottom], reshape_param={"shape": {"dim": dims}})
    w.done(s, w.add(s.name, "Permute", [y], permute_param={"order": cf_perm(s.out.rank)}))


@EMITTERS.emits("Permute")
def _permute(s: Step, w: CaffeWriter) -> None:
    from dlp2c.codegen.targets.pytorch import permute_axes

    w.done(s, w.add(s.name, "Permute", [w.src(s)], permute_param={"order": permute_axes(s)}))


@EMITTERS.emits("ZeroPadding2D")
def _zero_pad(s: Step, w: CaffeWriter) -> None:
    t, b, left, r = s.params["padding"]
    w.done(s, w.add(s.name, "Pad", [w.src(s)], pad_param={"pad_u": t, "pad_d": b, "pad_l": left, "pad_r": r}))


@EMITTERS.emits("UpSampling2D")
def _upsample(s: Step, w: CaffeWriter) -> None:
    sy, sx = s.params["size"]
    if sy != sx or s.params["interpolation"] != "nearest":
        raise refuse(s, TARGET, "other than nearest with one factor", "Caffe's Upsample repeats pixels by one scale")
    w.done(s, w.add(s.name, "Upsample", [w.src(s)], upsample_param={"scale": sy}))


@EMITTERS.emits("Embedding")
def _embedding(s: Step, w: CaffeWriter) -> None:
    p = s.params
    w.done(s, w.add(s.name, "Embed", [w.src(s)], embed_param={
        "num_output": p["output_dim"], "input_dim": p["input_dim"], "bias_term": False}))


_SEQUENCE = "Caffe's Convolution and Pooling here run on NCHW images; a sequence layer has no deploy equivalent"
EMITTERS.unsupported("Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                     "ZeroPadding1D", "Cropping1D", "UpSampling1D", because=_SEQUENCE)
@EMITTERS.emits("LSTM")
def _lstm(s: Step, w: CaffeWriter) -> None:
    """Caffe's LSTM runs time-major (T, N, D) with a sequence-continuation blob (T, N), 0 where a
    sequence starts. Here: permute in; the continuation is ones shaped like the input's (T, N),
    times a constant (0, 1, ..., 1) per step, so any batch size works; permute back (every step) or
    crop the last step (``return_sequences`` false). Gates and cell match Keras' defaults exactly."""
    p = s.params
    steps = s.t.shape[0]
    if steps is None:
        raise refuse(s, TARGET, "on a sequence of unknown length", "give the Input a fixed number of steps")
    for key, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        if p[key] != default:
            raise refuse(s, TARGET, f"with {key} {p[key]!r}", f"Caffe's LSTM has {default} only")
    for key in ("go_backwards", "stateful", "return_state"):
        if p[key]:
            raise refuse(s, TARGET, f"with {key}")
    if not p["use_bias"]:
        raise refuse(s, TARGET, "without a bias", "Caffe's LSTM always has one")
    name, units = s.name, p["units"]
    x = w.add(f"{name}_time_major", "Permute", [w.src(s)], permute_param={"order": [1, 0, 2]})
    ones = w.add(f"{name}_ones", "Power", [x], power_param={"power": 1.0, "scale": 0.0, "shift": 1.0})
    per_step = w.add(f"{name}_steps", "Reduction", [ones], reduction_param={
        "operation": Enum("MEAN", "Reduction"), "axis": 2})
    mask = w.add(f"{name}_first", "DummyData", [], dummy_data_param={
        "shape": [{"dim": [1]}], "data_filler": [{"type": "constant", "value": 0.0}]})
    if steps > 1:
        rest = w.add(f"{name}_rest", "DummyData", [], dummy_data_param={
            "shape": [{"dim": [steps - 1]}], "data_filler": [{"type": "constant", "value": 1.0}]})
        mask = w.add(f"{name}_mask", "Concat", [mask, rest], concat_param={"axis": 0})
    cont = w.add(f"{name}_cont", "Scale", [per_step, mask], scale_param={"axis": 0})
    seq = w.add(lstm_core_name(s), "LSTM", [x, cont], recurrent_param={"num_output": units})
    if p["return_sequences"]:
        w.done(s, w.add(name, "Permute", [seq], permute_param={"order": [1, 0, 2]}))
        return
    batch_major = w.add(f"{name}_batch_major", "Permute", [seq], permute_param={"order": [1, 0, 2]})
    ref = w.add(f"{name}_step_size", "DummyData", [], dummy_data_param={"shape": [{"dim": [1, 1, units]}]})
    last = w.add(f"{name}_last_step", "Crop", [batch_major, ref], crop_param={"axis": 1, "offset": [steps - 1, 0]})
    w.done(s, w.add(name, "Reshape", [last], reshape_param={"shape": {"dim": [0, -1]}}))


def lstm_core_name(s: Step) -> str:
    """The Caffe LSTM layer (the one with the weights) of an LSTM step."""
    return f"{s.name}_time_major_lstm"


EMITTERS.unsupported("SimpleRNN", "GRU", "Bidirectional", because=(
    "Caffe's RNN adds an output layer (o = tanh(W h + b)) that Keras' SimpleRNN does not have, and Caffe "
    "has no GRU"))
EMITTERS.unsupported("TimeDistributed", because="Caffe has no wrapper that maps a layer over time steps")
EMITTERS.unsupported("LayerNormalization", because="Caffe's MVN adds epsilon to the standard deviation, not the "
                     "variance, and has no learned scale; there is no exact equivalent")
EMITTERS.unsupported("Minimum", because="Caffe's Eltwise has SUM, PROD and MAX but no MIN")
EMITTERS.unsupported("RepeatVector", because="Caffe has no layer that repeats a vector into a sequence")


# --- rendering ----------------------------------------------------------------------------------

def _pb_value(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value == float("inf"):
            return "inf"
        if value == float("-inf"):
            return "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(type(value).__name__)


def _pb_fields(params: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in params.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                lines.append(f"{indent}{key} {{")
                lines += _pb_fields(item, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(f"{indent}{key}: {_pb_value(item)}")
    return lines


def prototxt(plan: Plan, layers: list[CaffeLayer]) -> str:
    lines = [f"# {comment(plan.graph.name)}: Caffe deploy net generated by DLPaper2Code (NCHW blobs)",
             f'name: "{plan.model_name}"']
    for layer in layers:
        if layer.note:
            lines.append(f"# {comment(layer.note)}")
        lines.append("layer {")
        lines.append(f'  name: "{layer.name}"')
        lines.append(f'  type: "{layer.type}"')
        lines += [f'  bottom: "{b}"' for b in layer.bottoms]
        lines.append(f'  top: "{layer.name}"')
        lines += _pb_fields(layer.params, "  ")
        lines.append("}")
    return "\n".join(lines) + "\n"


def _py_value(value: Any) -> str:
    if isinstance(value, Enum):
        return f"P.{value.message}.{value}"  # type: ignore[attr-defined]
    if isinstance(value, dict):
        return "dict(" + ", ".join(f"{k}={_py_value(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_py_value(v) for v in value) + "]"
    return lit(value)


def netspec(plan: Plan, layers: list[CaffeLayer]) -> str:
    body = []
    for layer in layers:
        args = [f"n.{b}" for b in layer.bottoms] + [f"{k}={_py_value(v)}" for k, v in layer.params.items()]
        body.append(f"    n.{layer.name} = L.{layer.type}({', '.join(args)})")
    lines = "\n".join(body)
    return f'''# {comment(plan.graph.name)}: pycaffe NetSpec script generated by DLPaper2Code.
# Run: python netspec.py [OUT.prototxt]   (writes the deploy net; the same as deploy.prototxt)
import sys

from caffe import layers as L, params as P, NetSpec


def build_net():
    n = NetSpec()
{lines}
    net = n.to_proto()
    net.name = {plan.model_name!r}
    return net


if __name__ == "__main__":
    text = str(build_net())
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        print(text)
'''


def layers_of(plan: Plan) -> list[CaffeLayer]:
    w = CaffeWriter()
    for s in plan.steps:
        EMITTERS.get(s)(s, w)
        if s.label != s.op and w.layers and not w.layers[-1].note:
            w.layers[-1].note = s.label
    _name_outputs(plan, w)
    return w.layers


def _name_outputs(plan: Plan, w: CaffeWriter) -> None:
    """An output that is an alias (a Lambda or a linear activation) still needs a blob of its own name."""
    for s in plan.outputs:
        if w.blob[s.name] != s.name:
            w.add(s.name, "Split", [w.blob[s.name]])
            w.blob[s.name] = s.name


def render(plan: Plan) -> dict[str, str]:
    layers = layers_of(plan)
    return {"deploy.prototxt": prototxt(plan, layers), "netspec.py": netspec(plan, layers)}


def output_blobs(plan: Plan) -> list[str]:
    return [s.name for s in plan.outputs]

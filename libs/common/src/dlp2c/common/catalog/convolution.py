"""Convolutions: Conv1D/2D/3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import known, require_rank, spatial, transposed_out
from dlp2c.common.catalog.spec import OpSpec, TensorType
from dlp2c.common.errors import ShapeError


def _channels(op: str, t: TensorType) -> int:
    return known(op, t.shape[-1], "number of input channels")


def _conv(op: str, n: int):
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, n + 1)
        groups = p.get("groups", 1)
        c_in = t.shape[-1]
        if c_in is not None and (c_in % groups or p["filters"] % groups):
            raise ShapeError(
                f"{op} with {groups} groups needs input channels ({c_in}) and filters ({p['filters']}) "
                f"divisible by {groups}",
                hint=f"make both multiples of {groups}",
            )
        if p["padding"] == "causal" and n != 1:
            raise ShapeError(f"{op} does not support padding 'causal' (Conv1D only)", hint="use 'same'")
        dims = spatial(op, t.shape[:-1], p["kernel_size"], p["strides"], p["padding"], p["dilation_rate"])
        return TensorType((*dims, p["filters"]))

    def count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
        k = 1
        for size in p["kernel_size"]:
            k *= size
        c_in = _channels(op, inputs[0]) // p.get("groups", 1)
        return k * c_in * p["filters"] + (p["filters"] if p["use_bias"] else 0)

    return rule, count


def _conv_spec(op: str, n: int, aliases: tuple[str, ...], doc: str) -> OpSpec:
    rule, count = _conv(op, n)
    groups = (P.int_("groups", 1, "grouped convolution: channels split into this many groups", min=1),)
    return OpSpec(
        op, "convolution", doc,
        (P.int_("filters", doc="number of output channels", min=1), *P.window(n), *groups,
         P.activation(), P.use_bias()),
        rule, count, aliases=aliases,
    )


def _transpose(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    require_rank("Conv2DTranspose", t, 3)
    pads = [p["padding"]] * 2 if isinstance(p["padding"], str) else list(p["padding"])
    out_pad = p["output_padding"] or (None, None)
    dims = [
        transposed_out(n, k, s, pad, d, op)
        for n, k, s, pad, d, op in zip(t.shape[:2], p["kernel_size"], p["strides"], pads,
                                       p["dilation_rate"], out_pad, strict=True)
    ]
    return TensorType((*dims, p["filters"]))


def _transpose_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    kh, kw = p["kernel_size"]
    c_in = _channels("Conv2DTranspose", inputs[0]) // p["groups"]
    return kh * kw * c_in * p["filters"] + (p["filters"] if p["use_bias"] else 0)


def _image_window(op: str, p: Mapping[str, Any], t: TensorType) -> list[int | None]:
    """Output height and width of a 2D window op over an image input."""
    require_rank(op, t, 3)
    return spatial(op, t.shape[:2], p["kernel_size"], p["strides"], p["padding"], p["dilation_rate"])


def _depthwise(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    dims = _image_window("DepthwiseConv2D", p, t)
    c = t.shape[-1]
    return TensorType((*dims, None if c is None else c * p["depth_multiplier"]))


def _depthwise_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    kh, kw = p["kernel_size"]
    c = _channels("DepthwiseConv2D", inputs[0]) * p["depth_multiplier"]
    return kh * kw * c + (c if p["use_bias"] else 0)


def _separable(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    return TensorType((*_image_window("SeparableConv2D", p, inputs[0]), p["filters"]))


def _separable_count(p: Mapping[str, Any], inputs: Sequence[TensorType], _o: TensorType) -> int:
    kh, kw = p["kernel_size"]
    mid = _channels("SeparableConv2D", inputs[0]) * p["depth_multiplier"]
    return kh * kw * mid + mid * p["filters"] + (p["filters"] if p["use_bias"] else 0)


_DEPTH = P.int_("depth_multiplier", 1, "output channels per input channel", min=1)

OPS = [
    _conv_spec("Conv1D", 1, ("conv1d", "conv 1d", "1d conv", "temporal conv", "convolution1d"),
               "1D convolution over a sequence (time, channels)."),
    _conv_spec("Conv2D", 2, ("conv", "conv2d", "convolution", "convolution2d", "conv layer", "convolutional",
                             "conv 2d", "2d conv", "cnn"), "2D convolution over an image."),
    _conv_spec("Conv3D", 3, ("conv3d", "conv 3d", "3d conv", "convolution3d"),
               "3D convolution over a volume (depth, height, width, channels)."),
    OpSpec(
        "Conv2DTranspose", "convolution", "Transposed (fractionally strided) 2D convolution: upsamples.",
        (P.int_("filters", doc="number of output channels", min=1), *P.window(2),
         P.ints("output_padding", None, 2, "extra rows/columns on one side of the output", min=0),
         P.int_("groups", 1, "grouped transposed convolution", min=1), P.activation(), P.use_bias()),
        _transpose, _transpose_count,
        aliases=("conv2dtranspose", "deconv", "deconvolution", "transposed conv", "transposed convolution",
                 "upconv", "up-conv", "up conv", "fractionally strided conv"),
    ),
    OpSpec(
        "DepthwiseConv2D", "convolution", "Depthwise 2D convolution: one filter per input channel.",
        (*P.window(2), _DEPTH, P.activation(), P.use_bias()),
        _depthwise, _depthwise_count,
        aliases=("depthwiseconv2d", "depthwise conv", "depthwise", "dw conv", "conv dw", "dwconv",
                 "depthwise convolution", "convolutiondepthwise"),
    ),
    OpSpec(
        "SeparableConv2D", "convolution", "Depthwise then pointwise 2D convolution.",
        (P.int_("filters", doc="number of output channels", min=1), *P.window(2), _DEPTH,
         P.activation(), P.use_bias()),
        _separable, _separable_count,
        aliases=("separableconv2d", "separable conv", "sepconv", "sep conv", "separable convolution",
                 "depthwise separable conv"),
    ),
]

"""Shorthands for declaring parameters, and the parameter groups several ops share."""

from __future__ import annotations

from typing import Any

from dlp2c.common.catalog.spec import REQUIRED, Kind, Param

ACTIVATIONS = (
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus",
    "softsign", "elu", "selu", "swish", "silu", "gelu", "mish", "exponential", "leaky_relu",
)
DTYPES = ("float32", "float16", "float64", "int32", "int64")


def int_(name: str, default: Any = REQUIRED, doc: str = "", **kw: Any) -> Param:
    return Param(name, Kind.INT, default, doc, **kw)


def float_(name: str, default: Any = REQUIRED, doc: str = "", **kw: Any) -> Param:
    return Param(name, Kind.FLOAT, default, doc, **kw)


def bool_(name: str, default: Any, doc: str = "") -> Param:
    return Param(name, Kind.BOOL, default, doc)


def str_(name: str, default: Any, choices: tuple[str, ...] | None = None, doc: str = "") -> Param:
    return Param(name, Kind.STRING, default, doc, choices=choices)


def ints(name: str, default: Any = REQUIRED, length: int | None = None, doc: str = "", **kw: Any) -> Param:
    return Param(name, Kind.INTS, default, doc, length=length, **kw)


def floats(name: str, default: Any = None, doc: str = "", **kw: Any) -> Param:
    return Param(name, Kind.FLOATS, default, doc, **kw)


def shape(name: str, default: Any = REQUIRED, doc: str = "", **kw: Any) -> Param:
    return Param(name, Kind.SHAPE, default, doc, **kw)


def padding(length: int, default: Any = "valid") -> Param:
    return Param("padding", Kind.PADDING, default,
                 "'valid', 'same', 'causal' (1D) or explicit zero padding per spatial axis, both sides",
                 length=length)


def layer(name: str = "layer") -> Param:
    return Param(name, Kind.LAYER, REQUIRED, "the wrapped layer: {\"op\": ..., \"params\": {...}}")


def activation(default: str = "linear") -> Param:
    return str_("activation", default, ACTIVATIONS, "activation fused into the layer")


def use_bias(default: bool = True) -> Param:
    return bool_("use_bias", default, "add a learned bias")


def window(n: int, *, kernel_name: str = "kernel_size", kernel_default: Any = REQUIRED,
           strides_default: Any = 1, dilation: bool = True) -> tuple[Param, ...]:
    """kernel, strides, padding (and dilation) for an n-dimensional sliding window."""
    out = [
        ints(kernel_name, kernel_default, n, "window size per spatial axis (a scalar applies to all)", min=1),
        ints("strides", strides_default, n, "step per spatial axis", min=1),
        padding(n),
    ]
    if dilation:
        out.append(ints("dilation_rate", 1, n, "gap between kernel taps", min=1))
    return tuple(out)

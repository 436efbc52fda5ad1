"""Reshaping: Flatten, Reshape, Permute, RepeatVector, padding, cropping, upsampling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog import params as P
from dlp2c.common.catalog.rules import prod, require_rank
from dlp2c.common.catalog.spec import OpSpec, TensorType
from dlp2c.common.errors import ShapeError


def _flatten(_p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    return TensorType((prod(t.shape),), t.dtype)


def _reshape(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    target = list(p["target_shape"])
    total = prod(t.shape)
    free = [i for i, d in enumerate(target) if d == -1]
    if len(free) > 1:
        raise ShapeError(f"Reshape target {tuple(target)} has more than one -1", hint="give all but one size")
    fixed = prod([d for d in target if d != -1])
    if free:
        if total is not None and fixed is not None:
            if fixed == 0 or total % fixed:
                raise ShapeError(f"Reshape cannot turn {t} ({total} values) into {tuple(target)}")
            target[free[0]] = total // fixed
        else:
            target[free[0]] = None
    elif total is not None and fixed is not None and total != fixed:
        raise ShapeError(
            f"Reshape cannot turn {t} ({total} values) into {tuple(target)} ({fixed} values)",
            hint="the product of the target sizes must equal the input's; use -1 for one free size",
        )
    return TensorType(tuple(target), t.dtype)


def _permute(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    t = inputs[0]
    dims = p["dims"]
    if sorted(dims) != list(range(1, t.rank + 1)):
        raise ShapeError(f"Permute dims {list(dims)} are not a permutation of 1..{t.rank} for input {t}")
    return TensorType(tuple(t.shape[d - 1] for d in dims), t.dtype)


def _repeat(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    require_rank("RepeatVector", inputs[0], 1)
    return TensorType((p["n"], inputs[0].shape[0]))


def _edges(op: str, n: int, key: str, sign: int):
    """ZeroPadding (sign +1) and Cropping (sign -1): [before, after] per spatial axis, flattened."""
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, n + 1)
        amounts = p[key]
        out: list[int | None] = []
        for axis, size in enumerate(t.shape[:-1]):
            delta = sign * (amounts[2 * axis] + amounts[2 * axis + 1])
            new = None if size is None else size + delta
            if new is not None and new <= 0:
                raise ShapeError(f"{op} removes {-delta} of {size} along spatial axis {axis + 1} of {t}",
                                 hint="crop less")
            out.append(new)
        return TensorType((*out, t.shape[-1]), t.dtype)
    return rule


def _upsample(op: str, n: int):
    def rule(p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
        t = inputs[0]
        require_rank(op, t, n + 1)
        dims = [None if d is None else d * s for d, s in zip(t.shape[:-1], p["size"], strict=True)]
        return TensorType((*dims, t.shape[-1]), t.dtype)
    return rule


_EDGE_DOC = "[before, after] for each spatial axis in order, flattened (2D: [top, bottom, left, right])"

OPS = [
    OpSpec("Flatten", "reshaping", "Flatten everything but the batch into a vector.", (), _flatten,
           accepts_int=True, aliases=("flatten", "flat", "flattening", "reshape to vector")),
    OpSpec("Reshape", "reshaping", "Reshape to a target shape (without batch); one size may be -1.",
           (P.ints("target_shape", doc="new shape without batch; -1 once for a derived size", min=-1),),
           _reshape, accepts_int=True, aliases=("reshape", "view")),
    OpSpec("Permute", "reshaping", "Reorder axes (1-based, batch excluded).",
           (P.ints("dims", doc="new order of axes 1..rank", min=1),), _permute, accepts_int=True,
           aliases=("permute", "transpose")),
    OpSpec("RepeatVector", "reshaping", "Repeat a vector n times into a sequence.",
           (P.int_("n", doc="number of repetitions", min=1),), _repeat, aliases=("repeatvector", "repeat")),
    OpSpec("ZeroPadding1D", "reshaping", "Pad a sequence with zeros.",
           (P.ints("padding", 1, 2, _EDGE_DOC, min=0),), _edges("ZeroPadding1D", 1, "padding", 1),
           aliases=("zeropadding1d",)),
    OpSpec("ZeroPadding2D", "reshaping", "Pad an image with zeros.",
           (P.ints("padding", 1, 4, _EDGE_DOC, min=0),), _edges("ZeroPadding2D", 2, "padding", 1),
           aliases=("zeropadding2d", "zero padding", "zeropad", "pad", "padding")),
    OpSpec("Cropping1D", "reshaping", "Crop a sequence.",
           (P.ints("cropping", 1, 2, _EDGE_DOC, min=0),), _edges("Cropping1D", 1, "cropping", -1),
           aliases=("cropping1d",)),
    OpSpec("Cropping2D", "reshaping", "Crop an image.",
           (P.ints("cropping", 0, 4, _EDGE_DOC, min=0),), _edges("Cropping2D", 2, "cropping", -1),
           aliases=("cropping2d", "crop", "cropping")),
    OpSpec("UpSampling1D", "reshaping", "Repeat each time step.",
           (P.ints("size", 2, 1, "repetitions", min=1),), _upsample("UpSampling1D", 1),
           aliases=("upsampling1d",)),
    OpSpec("UpSampling2D", "reshaping", "Enlarge an image by repeating (or interpolating) pixels.",
           (P.ints("size", 2, 2, "factor per spatial axis", min=1),
            P.str_("interpolation", "nearest", ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
                   "how new pixels are filled")),
           _upsample("UpSampling2D", 2), aliases=("upsampling2d", "upsample", "upsampling", "up-sampling", "unpool",
                                                   "unpooling", "up")),
]

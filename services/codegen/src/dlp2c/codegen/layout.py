"""Channels-first layouts (PyTorch, ONNX, Caffe) against the graph's channels-last one (Keras).

The graph stores tensors without the batch and with channels last: an image is (H, W, C), a
sequence (T, F), a vector (F,). Channels-first targets keep images and volumes as (C, H, W) and
(C, D, H, W); sequences and vectors keep their order (batch first, features last), as PyTorch's
recurrent layers and Linear expect.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlp2c.common.catalog import TensorType

Dims = tuple[int | None, ...]


def is_spatial(t: TensorType) -> bool:
    """Images and volumes change order in channels-first targets; sequences and vectors do not."""
    return t.rank >= 3


def cf_shape(shape: Sequence[int | None]) -> Dims:
    """The shape (without batch) a channels-first target holds for a graph shape."""
    shape = tuple(shape)
    return (shape[-1], *shape[:-1]) if len(shape) >= 3 else shape


def cf_axis(axis: int, rank: int) -> int:
    """A Keras axis (batch is 0, negatives from the end) of a rank-``rank`` tensor, channels-first."""
    positive = axis if axis >= 0 else axis + rank + 1
    if rank < 3 or positive == 0:
        return positive
    return 1 if positive == rank else positive + 1


def cf_perm(rank: int) -> list[int]:
    """Axes (batch included) that turn a channels-last tensor channels-first."""
    return [0, rank, *range(1, rank)] if rank >= 3 else list(range(rank + 1))


def cl_perm(rank: int) -> list[int]:
    """Axes (batch included) that turn a channels-first tensor channels-last."""
    return [0, *range(2, rank + 1), 1] if rank >= 3 else list(range(rank + 1))


def same_pads(size: int | None, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras' 'same' padding along one axis: (before, after), the odd pixel after."""
    if size is None:
        raise ValueError("'same' padding needs a known size")
    effective = dilation * (kernel - 1) + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def window_pads(size: int | None, kernel: int, stride: int, padding: object, dilation: int = 1,
                ceil_mode: bool = False, causal: bool = False) -> tuple[int, int]:
    """(before, after) zero pixels that make a floor-mode window op match the graph's padding.

    Covers 'valid', 'same', 'causal', explicit symmetric pads and Caffe's ceil mode (extra pixels
    after, so that rounding down gives what rounding up gave).
    """
    effective = dilation * (kernel - 1) + 1
    if padding == "valid":
        before = after = 0
    elif padding == "causal" or causal:
        before, after = effective - 1, 0
    elif padding == "same":
        return same_pads(size, kernel, stride, dilation)
    else:
        before = after = int(padding)  # type: ignore[call-overload]
    if ceil_mode and size is not None:
        span = size + before + after - effective
        floor_out = span // stride + 1
        ceil_out = -(-span // stride) + 1
        if before > 0 and (ceil_out - 1) * stride >= size + before:
            ceil_out -= 1
        after += (ceil_out - floor_out) * stride
    return before, after

"""Building blocks of shape rules: rank checks with fixes, window arithmetic, broadcasting.

The paper's Table 1 (which layer may follow which) is not a table here: it falls out of these rank
rules. An image is rank 3 (height, width, channels), a sequence rank 2 (time, features), a vector
rank 1; every rule says which ranks it takes and, when it is given another, which layer to insert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dlp2c.common.catalog.spec import TensorType
from dlp2c.common.errors import ShapeError

Dim = int | None

_RANK_NAMES = {1: "a vector (features)", 2: "a sequence (time, features)", 3: "an image (height, width, channels)",
               4: "a volume (depth, height, width, channels)"}

# What to insert when an op wants rank `want` and is given rank `got`.
_FIXES = {
    (1, 3): "insert Flatten (or GlobalAveragePooling2D) before it",
    (1, 2): "insert Flatten, or GlobalAveragePooling1D, or set return_sequences=false on the recurrent layer before it",
    (1, 4): "insert Flatten (or GlobalAveragePooling3D) before it",
    (2, 1): "insert Reshape to (time, features) or Embedding before it",
    (2, 3): "insert Reshape to (time, features), e.g. rows as time steps",
    (3, 1): "insert Reshape to (height, width, channels) before it",
    (3, 2): "insert Reshape to (height, width, channels) before it",
}


def rank_name(rank: int) -> str:
    return _RANK_NAMES.get(rank, f"a rank-{rank} tensor")


def require_rank(op: str, t: TensorType, *ranks: int) -> None:
    if t.rank in ranks:
        return
    want = " or ".join(rank_name(r) for r in ranks)
    hint = _FIXES.get((ranks[0], t.rank), "")
    raise ShapeError(f"{op} needs {want}, but its input is {t}", hint=hint, got=list(t.shape))


def single(inputs: Sequence[TensorType]) -> TensorType:
    return inputs[0]


def same(_p: Mapping[str, Any], inputs: Sequence[TensorType]) -> TensorType:
    """The shape rule of element-wise layers: the output is the input."""
    return inputs[0]


def window_out(size: Dim, kernel: int, stride: int, padding: Any, dilation: int = 1,
               ceil_mode: bool = False) -> Dim:
    """Output length of a sliding window along one axis (None stays None; <= 0 means it does not fit).

    ``padding`` is "valid", "same", "causal" or an explicit pixel count added on both sides.
    ``ceil_mode`` is Caffe's pooling rule: round up, but never start a window inside the padding.
    """
    if size is None:
        return None
    if padding in ("same", "causal"):
        return math.ceil(size / stride)
    k = dilation * (kernel - 1) + 1
    pad = 0 if padding == "valid" else padding
    span = size + 2 * pad - k
    if span < 0:
        return 0
    if not ceil_mode:
        return span // stride + 1
    out = math.ceil(span / stride) + 1
    if pad > 0 and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def transposed_out(size: Dim, kernel: int, stride: int, padding: Any, dilation: int = 1,
                   output_padding: int | None = None) -> Dim:
    """Output length of a transposed convolution along one axis (Keras' and Caffe's rule)."""
    if size is None:
        return None
    k = dilation * (kernel - 1) + 1
    if isinstance(padding, int):
        return (size - 1) * stride + k - 2 * padding + (output_padding or 0)
    if output_padding is None:
        return size * stride if padding == "same" else size * stride + max(k - stride, 0)
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


def spatial(op: str, dims: Sequence[Dim], kernel: Sequence[int], strides: Sequence[int], padding: Any,
            dilation: Sequence[int] | None = None, ceil_mode: bool = False) -> list[Dim]:
    """Window arithmetic over every spatial axis; a kernel bigger than its input is an error."""
    pads = [padding] * len(dims) if isinstance(padding, str) else list(padding)
    dilation = dilation or [1] * len(dims)
    out: list[Dim] = []
    for axis, (n, k, s, p, d) in enumerate(zip(dims, kernel, strides, pads, dilation, strict=True)):
        o = window_out(n, k, s, p, d, ceil_mode)
        if o is not None and o <= 0:
            extent = d * (k - 1) + 1
            raise ShapeError(
                f"{op} window of {extent} does not fit in an input of {n} along spatial axis {axis + 1}"
                + (f" (padding {p})" if not isinstance(p, str) else f" (padding '{p}')"),
                hint="use a smaller kernel, padding 'same', or remove a downsampling layer before it",
            )
        out.append(o)
    return out


def broadcast(op: str, shapes: Sequence[TensorType]) -> TensorType:
    """Element-wise merge (Add, Multiply, ...): equal shapes, or numpy-broadcastable ones."""
    rank = max(t.rank for t in shapes)
    out: list[Dim] = []
    for axis in range(rank):
        sizes = {t.shape[axis - rank + t.rank] for t in shapes if axis - rank + t.rank >= 0}
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            listing = ", ".join(str(t) for t in shapes)
            raise ShapeError(
                f"{op} needs inputs of the same shape, got {listing}",
                hint="make the branches end with the same number of channels and the same spatial size",
            )
        out.append(known.pop() if known else (None if None in sizes else 1))
    return TensorType(tuple(out), shapes[0].dtype)


def prod(dims: Sequence[Dim]) -> Dim:
    total = 1
    for d in dims:
        if d is None:
            return None
        total *= d
    return total


def known(op: str, dim: Dim, what: str) -> int:
    """A dimension that decides a parameter count must be known."""
    if dim is None:
        raise ShapeError(f"{op} needs a known {what} to size its weights, but it is unknown",
                         hint="give the Input a fixed shape")
    return dim


def axis_index(op: str, axis: int, rank: int) -> int:
    """Keras axes count the batch as axis 0; ours do not. Returns an index into shape."""
    idx = axis - 1 if axis > 0 else rank + axis
    if not 0 <= idx < rank:
        raise ShapeError(f"{op} axis {axis} does not exist for a rank-{rank} input")
    return idx

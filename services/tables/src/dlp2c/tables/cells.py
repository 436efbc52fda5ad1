"""What one table cell says: a layer (op and the parameters its notation fixes), a number, a shape.

Cell text comes from a PDF and is untrusted: it is matched against patterns and the catalog's
aliases, and only the numbers and op names that come out of that matching travel on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.catalog.notation import read_notation
from dlp2c.common.catalog.registry import CATALOG, AliasMatch

TIMES = "x\u00d7*"
DIMS = re.compile(rf"\d+(?:\s*[{TIMES}]\s*\d+)+")
REPEAT = re.compile(rf"^\s*(?:(?P<a>\d+)\s*[{TIMES}]|[{TIMES}]\s*(?P<b>\d+))\s*$")
LEADING_REPEAT = re.compile(rf"^\s*(?P<n>\d+)\s*[{TIMES}]\s+(?=\D)")
STRIDE_SUFFIX = re.compile(r"\s*/\s*s?(?P<s>\d+)\s*$", re.IGNORECASE)
STRIDE_WORDS = re.compile(r"\s*,?\s*stride\s*(?P<s>\d+)\s*$", re.IGNORECASE)  # ResNet's `7x7, 64, stride 2`
GROUPS = re.compile(r"\s*,?\s*(?:C|G|groups?)\s*=\s*(?P<g>\d+)\s*$")  # ResNeXt's `3x3, 128, C=32`
WIDTH_FIRST = re.compile(r"^(?P<n>\d+)\s*-\s*d\s+(?P<rest>[A-Za-z].*)$", re.IGNORECASE)  # `1000-d fc`
KERNEL_FIRST = re.compile(rf"^(?P<k>\d+)\s*[{TIMES}]\s*(?P<k2>\d+)\s+(?P<rest>[A-Za-z].*)$")  # `1x1 conv`
BLOCK = re.compile(rf"^\[(?P<body>[^\[\]]+)\]\s*[{TIMES}]\s*(?P<n>\d{{1,3}})$")  # `[3x3, 64; 3x3, 64] x2`
INPUT = re.compile(r"^(?:input|image|data)\b(?P<rest>.*)$", re.IGNORECASE)
# A layer's name with its index (`Conv1`, `fc6`, `pool5`, `conv2_x`, `conv4_3`, PReLU's `conv2 1`): the index
# is not part of the op.
INDEXED = re.compile(r"^(?P<name>[A-Za-z][A-Za-z ]*?)[ _-]?\d{1,2}(?:[ _-](?:\d{1,2}|x))?$")
# Header words that happen to be aliases of an op (`Repeat` is Keras's RepeatVector): in a table they
# name a column, never a layer.
HEADERS = {"repeat", "repeats", "times", "output", "input", "size", "shape", "stride", "kernel"}
# Ops a table row may name that carry no layer of their own in our graphs (the rows are kept as notes).
NOT_LAYERS = {"Input"}


@dataclass
class LayerCell:
    op: str
    params: dict[str, Any] = field(default_factory=dict)
    repeat: int = 1
    shape: tuple[int, ...] | None = None  # an Input's (H, W, C)
    text: str = ""


# A layer's parameters without its name, beside a column of names (PReLU's `7x7, 64, /2`, `3x3, /3`, `4096`).
SPEC = re.compile(rf"^(?:(?P<k>\d+)\s*[{TIMES}]\s*(?P<k2>\d+))?\s*,?\s*(?P<n>\d+)?\s*(?:,?\s*/\s*s?(?P<s>\d+))?$")
KERNEL_OPS = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"}
POOL_OPS = {"MaxPooling2D", "AveragePooling2D"}


def read_spec(op: str, text: str) -> dict[str, Any] | None:
    """The parameters ``text`` gives a layer of type ``op``; None when it is not such a spec."""
    m = SPEC.match(" ".join(text.split()))
    if not m or not any(m.group(g) for g in ("k", "n", "s")):
        return None
    params: dict[str, Any] = {}
    k, n, s = m.group("k"), m.group("n"), m.group("s")
    if op in KERNEL_OPS | POOL_OPS and k:
        size = int(k) if k == m.group("k2") else [int(k), int(m.group("k2"))]
        params["pool_size" if op in POOL_OPS else "kernel_size"] = size
    if n and op == "Dense" and not k and not s:
        params["units"] = int(n)
    elif n and op in KERNEL_OPS - {"DepthwiseConv2D"}:
        params["filters"] = int(n)
    elif n:
        return None  # a number this op has no place for
    if s and op in KERNEL_OPS | POOL_OPS:
        params["strides"] = int(s)
    return params or None


def dims(text: str) -> list[int]:
    """The numbers of the first `a x b x c` group in ``text`` ([] when there is none)."""
    m = DIMS.search(text)
    return [int(v) for v in re.findall(r"\d+", m.group(0))] if m else []


def repeat_of(text: str) -> int | None:
    """``5x`` or ``x3`` alone in a cell: the rows it marks repeat that many times."""
    m = REPEAT.match(text)
    if not m:
        return None
    return int(m.group("a") or m.group("b"))


def _input(text: str) -> LayerCell | None:
    m = INPUT.match(text.strip())
    if not m:
        return None
    rest = m.group("rest").strip(" :()")
    shape = dims(rest)
    if rest and not shape and not re.search(r"rgb|colou?r|gr[ae]y|mono|image", rest, re.IGNORECASE):
        return None  # "Input size", "input resolution": a header, not the input layer
    channels = 3 if re.search(r"rgb|colou?r", text, re.IGNORECASE) else None
    if re.search(r"gr[ae]y|mono", text, re.IGNORECASE):
        channels = 1
    if len(shape) == 2:
        shape = [*shape, channels or 3]
    return LayerCell("Input", {}, 1, tuple(shape) if len(shape) == 3 else None, text)


def _lookup(name: str) -> AliasMatch | None:
    match = CATALOG.lookup(name, cutoff=0.86)
    if match is not None and match.score == 1.0:
        return match
    indexed = INDEXED.match(name)
    if indexed:  # `Conv1` is conv layer 1, not a near miss of `Conv1D`
        bare = CATALOG.lookup(indexed.group("name"), cutoff=1.0)
        if bare is not None:
            return bare
    return match


def _with(layer: LayerCell | None, params: dict[str, Any], text: str) -> LayerCell | None:
    """``layer`` with the ``params`` its op takes added (the rest dropped), its text set to ``text``."""
    if layer is None:
        return None
    takes = {p.name for p in CATALOG.get(layer.op).params}
    layer.params = {**layer.params, **{k: v for k, v in params.items() if k in takes}}
    layer.text = text
    return layer


def read_layer(text: str) -> LayerCell | None:
    """The layer a cell names (``conv3-64``, ``Conv dw / s2``, ``5x Conv / s1``, ``2x2 maxpool, /2``,
    ``7x7, 64, stride 2``, ``1x1 conv``, ``1000-d fc``, ``3x3, 128, C=32``)."""
    cleaned = " ".join(text.replace("\u2212", "-").split())
    if not cleaned or len(cleaned) > 60:
        return None
    for pattern, key in ((STRIDE_WORDS, "strides"), (GROUPS, "groups")):
        m = pattern.search(cleaned)
        if m and m.start() > 0:
            return _with(read_layer(cleaned[:m.start()]), {key: int(m.group(1))}, text)
    m = WIDTH_FIRST.match(cleaned)
    if m:
        return _with(read_layer(m.group("rest")), {"units": int(m.group("n"))}, text)
    m = KERNEL_FIRST.match(cleaned)
    if m and read_notation(cleaned) is None:
        k, k2 = int(m.group("k")), int(m.group("k2"))
        size = k if k == k2 else [k, k2]
        return _with(read_layer(m.group("rest")), {"kernel_size": size, "pool_size": size}, text)
    notation = read_notation(cleaned)
    if notation is not None:
        op, params, _ = notation
        return LayerCell(op, CATALOG.get(op).check_params(params, text), 1, None, text)
    if not re.search(r"[A-Za-z]{2}", cleaned):
        return None
    found = _input(cleaned)
    if found is not None:
        return found
    repeat = 1
    m = LEADING_REPEAT.match(cleaned)
    if m:
        repeat, cleaned = int(m.group("n")), cleaned[m.end():]
    params: dict[str, Any] = {}
    stride = STRIDE_SUFFIX.search(cleaned)
    if stride and not re.search(r",\s*/\s*\d+\s*$", cleaned):
        params["strides"] = int(stride.group("s"))
        cleaned = cleaned[:stride.start()]
    if re.fullmatch(r"[\d\s.,%x\u00d7*/()-]+", cleaned) or cleaned.lower() in HEADERS:
        return None
    match = _lookup(cleaned)
    if match is None:
        return None
    takes = {p.name for p in CATALOG.get(match.op).params}
    params = {**match.params, **{k: v for k, v in params.items() if k in takes}}
    return LayerCell(match.op, params, repeat, None, text)


def read_sequence(text: str) -> list[LayerCell] | None:
    """Several layers in one cell, separated by commas (ResNet's `average pool, 1000-d fc, softmax`)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or not all(parts):
        return None
    layers = [read_layer(p) for p in parts]
    return None if any(layer is None for layer in layers) else layers  # type: ignore[return-value]


@dataclass
class Block:
    """A bracketed block repeated ``repeat`` times: its layers in order (a ResNet stage)."""
    layers: list[LayerCell]
    repeat: int
    text: str


def read_block(text: str) -> Block | None:
    """``[3x3, 64; 3x3, 64] x2``: the layers inside the bracket (`;` between them) and the multiplier."""
    m = BLOCK.match(" ".join(text.split()))
    if not m:
        return None
    layers: list[LayerCell] = []
    for item in m.group("body").split(";"):
        found = read_layer(item)
        found_all = [found] if found is not None else read_sequence(item)
        if not found_all:
            return None
        layers.extend(found_all)
    return Block(layers, max(1, int(m.group("n"))), text)


def names_layers(text: str) -> bool:
    """Whether ``text`` reads as one layer, a comma list of layers or a bracketed block."""
    return bool(text) and (read_layer(text) is not None or read_block(text) is not None
                           or read_sequence(", ".join(text.splitlines())) is not None)

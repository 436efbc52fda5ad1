"""Layer notations papers print, read into an op and its hyper-parameters.

VGG writes `conv3-64` and `FC-4096` (Caffe's `conv4_3` and `fc6` are layer names, not notations),
ResNet `3x3 conv, 64, /2`, MobileNet `Conv dw / s1`, Caffe's draw_net `Pooling (MAX)`. Each pattern
here names the op and the params it fixes; the alias index in the registry handles the plain names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Notation:
    pattern: re.Pattern[str]
    op: str
    params: Callable[[re.Match[str]], dict[str, Any]]
    example: str


def _n(regex: str, op: str, params: Callable[[re.Match[str]], dict[str, Any]], example: str) -> Notation:
    return Notation(re.compile(regex, re.IGNORECASE), op, params, example)


def _int(m: re.Match[str], group: str) -> int:
    return int(m.group(group))


def _stride(m: re.Match[str]) -> dict[str, Any]:
    return {"strides": _int(m, "s")} if m.group("s") else {}


_K = r"(?P<k>\d+)\s*[x\u00d7*]\s*(?P=k)"  # "3x3", also with the multiplication sign (square kernels)

NOTATIONS: tuple[Notation, ...] = (
    _n(r"^conv(?P<k>\d+)[- ](?P<f>\d{2,})$", "Conv2D",
       lambda m: {"kernel_size": _int(m, "k"), "filters": _int(m, "f")}, "conv3-64"),
    _n(rf"^{_K}\s*conv\w*\s*,?\s*(?P<f>\d+)\s*(?:,\s*/\s*(?P<s>\d+))?$", "Conv2D",
       lambda m: {"kernel_size": _int(m, "k"), "filters": _int(m, "f"), **_stride(m)}, "3x3 conv, 64, /2"),
    _n(rf"^{_K}\s*,\s*(?P<f>\d+)\s*(?:,\s*/\s*(?P<s>\d+))?$", "Conv2D",
       lambda m: {"kernel_size": _int(m, "k"), "filters": _int(m, "f"), **_stride(m)}, "7x7, 96, /2"),
    _n(r"^conv\s*dw\s*(?:/\s*s(?P<s>\d+))?$", "DepthwiseConv2D",
       lambda m: {"kernel_size": 3, **_stride(m)}, "Conv dw / s1"),
    # `FC-4096`, `fc 1000` and `fc4096` give units; `fc6`/`fc7` (AlexNet) and `fc 1` are layer names.
    _n(r"^(?:fc|dense|fully[- ]connected)(?:[-_ ](?P<u>\d{2,})|(?P<v>\d{3,}))$", "Dense",
       lambda m: {"units": int(m.group("u") or m.group("v"))}, "FC-4096"),
    _n(rf"^{_K}\s*max\s*pool\w*\s*(?:,\s*/\s*(?P<s>\d+))?$", "MaxPooling2D",
       lambda m: {"pool_size": _int(m, "k"), **_stride(m)}, "3x3 max pool, /2"),
    _n(rf"^{_K}\s*(?:avg|average)\s*pool\w*\s*(?:,\s*/\s*(?P<s>\d+))?$", "AveragePooling2D",
       lambda m: {"pool_size": _int(m, "k"), **_stride(m)}, "2x2 avg pool, /2"),
    _n(r"^dropout\s*\(?\s*(?P<r>0?\.\d+)\s*\)?$", "Dropout", lambda m: {"rate": float(m.group("r"))}, "dropout 0.5"),
)


def read_notation(text: str) -> tuple[str, dict[str, Any], str] | None:
    """(op, params, the notation's example) for a layer written in a paper's shorthand, else None."""
    cleaned = " ".join(text.strip().split())
    for notation in NOTATIONS:
        m = notation.pattern.match(cleaned)
        if m:
            return notation.op, notation.params(m), notation.example
    return None

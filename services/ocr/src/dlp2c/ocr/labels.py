"""What a node's text says: its name, its layer type (corrected against the known names), and the
hyper-parameters the drawing shows.

The drawings name a layer the way their framework does (Keras ``conv2d_1 (Conv2D)`` or
``conv2d_1: Conv2D``, Caffe ``conv1 (Convolution)``), so a type read by OCR is matched against
that framework's own names first (``C0nv2D`` -> ``Conv2D``, ``(Cancat)`` -> ``Concat``), then the
catalog's aliases. Numbers are read where the drawing prints them (Caffe's ``kernel size: 3``,
``stride: 2``, ``pad: 1``, ``pool MAX``; Keras' ``Output shape: (None, 28, 28, 32)``); nothing is
guessed. Everything read here is untrusted text: it is returned as data, never evaluated.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.catalog import CATALOG
from dlp2c.common.importers.caffe import V1_TYPES

KERAS_TYPES = (*CATALOG.names(), "InputLayer")
CAFFE_TYPES = tuple(sorted({*V1_TYPES.values(), "Input", "BatchNorm", "Scale", "ELU", "PReLU", "Pad", "Reshape",
                            "Embed", "LSTM", "RNN", "Permute", "Reduction", "Crop", "Bias", "Interp"}))
# Caffe types as catalog ops (the drawing's pool method picks the pooling)
CAFFE_OPS = {"Convolution": "Conv2D", "Deconvolution": "Conv2DTranspose", "InnerProduct": "Dense",
             "ReLU": "ReLU", "Sigmoid": "Activation", "TanH": "Activation", "Softmax": "Softmax",
             "Concat": "Concatenate", "Eltwise": "Add", "Flatten": "Flatten", "Dropout": "Dropout",
             "Input": "Input", "Embed": "Embedding", "LSTM": "LSTM", "RNN": "SimpleRNN", "Pad": "ZeroPadding2D",
             "BatchNorm": "BatchNormalization", "Scale": "Scale", "LRN": "LRN", "ELU": "ELU", "PReLU": "PReLU",
             "Reshape": "Reshape", "Permute": "Permute"}
MIN_RATIO = 0.6  # below this similarity a read type is not trusted to name any known one
_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                         "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9"})
_SHAPE = re.compile(r"\(\s*None\s*[,.]?([^()]*)\)", re.IGNORECASE)
_NUMBER = r"([0-9OoDQlI|iSsBZzg]{1,4})"
_CAFFE_KEYS = {"kernel size": "kernel_size", "stride": "stride", "pad": "pad"}
# "key: 3" (after a colon OCR's O for 0 and l for 1 are read as digits) or "key 3"
_KEY_VALUE = re.compile(r"\b([A-Za-z]{2,7}(?:\s+[A-Za-z]{2,5})?)\s*(?:[:;]\s*" + _NUMBER + r"|[.,]?\s*(\d{1,4}))"
                        r"(?![A-Za-z0-9])")
_POOL = re.compile(r"\bp\w{2,3}\s+(MAX|AVE|STOCHASTIC|M\w{1,2}|A\w{1,2})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Label:
    """What one node says. ``kind``: ``layer``, ``blob`` (a Caffe data blob) or ``unknown``."""

    kind: str
    name: str = ""
    type: str = ""  # the framework's type name, corrected (Conv2D, Convolution, ...)
    op: str = ""  # the catalog op, when the type has one
    confidence: float = 0.0  # how surely the type was recognised (1.0: read exactly)
    params: dict[str, Any] = field(default_factory=dict)  # what the drawing shows, read as numbers
    output_shape: tuple[int | None, ...] | None = None
    text: str = ""  # what was read, as read

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name, "type": self.type, "op": self.op,
                                "confidence": round(self.confidence, 3), "text": self.text}
        if self.params:
            data["params"] = self.params
        if self.output_shape is not None:
            data["output_shape"] = list(self.output_shape)
        return data


def closest(word: str, vocabulary: tuple[str, ...]) -> tuple[str, float]:
    """The known name nearest to ``word`` (case and separators ignored) and its similarity, 0-1."""
    key = re.sub(r"[\s_\-]+", "", word).lower()
    best, ratio = "", 0.0
    for name in vocabulary:
        r = difflib.SequenceMatcher(None, key, name.lower()).ratio()
        if r > ratio:
            best, ratio = name, r
    return best, ratio


def _number(text: str) -> int:
    return int(text.translate(_DIGITS))


def _clean_name(text: str) -> str:
    """A layer or blob name as drawn: OCR's stray spaces around underscores closed, odd marks dropped."""
    text = re.sub(r"\s*_\s*", "_", text.strip())
    text = re.sub(r"[^\w.\-/ ]", "", text).strip(" ._-")
    return re.sub(r"\s+", "_", text)


def _shapes(text: str) -> list[tuple[int | None, ...]]:
    found = []
    for match in _SHAPE.finditer(text):
        dims = [d for d in re.split(r"[,.\s]+", match.group(1)) if d]
        try:
            found.append((None, *(_number(d) for d in dims)))
        except ValueError:
            continue
    return found


def _output_shape(text: str) -> tuple[int | None, ...] | None:
    marked = re.search(r"output\s*(?:shape)?\s*[:;.]?", text, re.IGNORECASE)
    if marked:  # Keras 3: "Output shape: (None, ...)"; Keras 2 lists the input's, then the output's
        after = _shapes(text[marked.end():])
        if after and "shape" in marked.group(0).lower():
            return after[0]
    shapes = _shapes(text)
    return shapes[-1] if shapes else None


def _type_word(text: str) -> tuple[str, str] | None:
    """(name, type) from ``name (Type)`` or ``name: Type``, the type being the last such mark."""
    for match in re.finditer(r"[({[]\s*([A-Za-z][A-Za-z0-9_ ]{1,30}?)\s*[)}\]]", text):
        word = match.group(1)
        if word.strip().lower() != "none":
            return text[:match.start()].strip().splitlines()[-1] if text[:match.start()].strip() else "", word
    for line in text.splitlines():
        match = re.match(r"\s*([\w .\-]{1,60}?)\s*[:;]\s*([A-Z][A-Za-z0-9]{1,30})\s*$", line)
        if match and match.group(1).strip().lower() not in ("input", "output", "kernel size", "stride", "pad"):
            return match.group(1), match.group(2)
    return None


def _caffe_numbers(text: str) -> dict[str, int]:
    """``kernel size: 3``, ``stride: 2``, ``pad: 1``, on lines or in one (keys matched loosely: ``kemel size``)."""
    found: dict[str, int] = {}
    for match in _KEY_VALUE.finditer(text):
        key, ratio = closest(match.group(1), tuple(_CAFFE_KEYS))
        if ratio >= 0.6 and _CAFFE_KEYS[key] not in found:
            try:
                found[_CAFFE_KEYS[key]] = _number(match.group(2) or match.group(3))
            except ValueError:
                continue
    return found


def read_label(text: str, style: str = "", shape: str = "") -> Label:
    """What a node's text says. ``style``: ``keras`` or ``caffe`` when known (picks the names matched
    first); ``shape``: the node's outline from flow detection (an octagon in Caffe is a blob)."""
    flat = " ".join(text.split())
    if not flat:
        return Label("unknown", text=text)
    found = _type_word(text)
    if found is None:
        if style == "caffe" or shape == "octagon":
            return Label("blob", name=_clean_name(text.splitlines()[0] if text.splitlines() else text),
                         confidence=1.0, text=text)
        return Label("unknown", text=text)
    raw_name, word = found
    vocabularies = (CAFFE_TYPES, KERAS_TYPES) if style == "caffe" else (KERAS_TYPES, CAFFE_TYPES)
    best, ratio = closest(word, vocabularies[0])
    if ratio < 0.9 and not style:
        other, other_ratio = closest(word, vocabularies[1])
        if other_ratio > ratio:
            best, ratio = other, other_ratio
    if ratio < MIN_RATIO:
        alias = CATALOG.lookup(word)
        if alias is None:
            return Label("unknown", name=_clean_name(raw_name), text=text)
        best, ratio = alias.op, alias.score
    is_caffe = best in CAFFE_TYPES and (style == "caffe" or best not in KERAS_TYPES)
    params: dict[str, Any] = {}
    if is_caffe:
        op = CAFFE_OPS.get(best, "")
        params.update(_caffe_numbers(text))
        pool = _POOL.search(text)
        if best == "Pooling":
            method = pool.group(1).upper()[:1] if pool else ""
            params["pool"] = {"M": "MAX", "A": "AVE", "S": "STOCHASTIC"}.get(method, "")
            op = {"MAX": "MaxPooling2D", "AVE": "AveragePooling2D"}.get(params["pool"], "")
        output_shape = None
    else:
        op = "Input" if best == "InputLayer" else best
        output_shape = _output_shape(text)
    return Label("layer", name=_clean_name(raw_name), type=best, op=op, confidence=ratio, params=params,
                 output_shape=output_shape, text=text)

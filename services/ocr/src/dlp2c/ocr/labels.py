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

import dataclasses
import difflib
import functools
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
# MXNet's plot_network names its ops its own way ("FullyConnected\n128", "Convolution\n7x7/2, 96",
# "Pooling\nmax, 3x3/2"): as catalog ops, where Keras' names do not already say them
MXNET_OPS = {"FullyConnected": "Dense", "Convolution": "Conv2D", "Deconvolution": "Conv2DTranspose",
             "Pooling": "", "SoftmaxOutput": "Softmax", "Concat": "Concatenate", "BatchNorm": "BatchNormalization",
             "ElementWiseSum": "Add", "LeakyReLU": "LeakyReLU"}
_MXNET_SHAPE = re.compile(r"(\d+)\s*[xX]\s*(\d+)(?:\s*/\s*(\d+))?(?:\s*,\s*(\d+))?")
MIN_RATIO = 0.6  # below this similarity a read type is not trusted to name any known one
_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                         "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "+": "4", "?": "2",
                         "L": "1", "t": "1"})
# "(None, 28, 28, 32)", and as OCR leaves it: "(one. 200. 128)", "None, 10)" (a bracket lost),
# "(None, 380}" (a bracket misread)
_SHAPE = re.compile(r"(?<![A-Za-z])\(?\s*N?[oa0]ne\s*[,.]([^(){}\[\]\n]*?)\s*(?:[)}\]]|$)",
                    re.IGNORECASE | re.MULTILINE)
# "pool MAX" as OCR leaves it ("poolAVE", "nool MAX", "poo! MAX", "poo] MAX", "poolMAxX", "pool MA."),
# or BVLC draw_net's "(MAX Pooling)"
_POOL = re.compile(r"(?<![A-Za-z])(?:[pn]?[a-z]{1,3}[!\])}|]?\s*|(?<=[(\[{]))"
                   r"(STOCHASTIC|M[A-Z][A-Za-z]?|A[VY][A-Za-z]?)(?![a-z])")


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


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)?")
_OPENERS = "([{<|!:;'\"1lI"  # what OCR makes of the bracket or colon before a type
_NOT_TYPES = {"none", "shape", "kernel", "size", "stride", "pool", "max", "ave"}
# "Input shape:" (or "Input shace:"), "pad: 0", "input:": a key, not a type
_KEYWORD_AFTER = re.compile(r"\s*(?:[sS]\w{2,5}\s*[:;]|[:;]|[.,]?\s*\d|$)")  # ... or "pad. 2"


@dataclass(frozen=True)
class _Typed:
    line: int  # where the type word is: line index, offset in the line
    start: int
    type: str
    ratio: float
    marked: bool  # the word sat after a bracket or colon, or on a line of its own after the name


@functools.lru_cache(maxsize=4096)
def _closest_cached(word: str, vocabulary: tuple[str, ...]) -> tuple[str, float]:
    return closest(word, vocabulary)


def _find_type(text: str, vocabulary: tuple[str, ...], marked_bonus: float = 0.15,
               bracketed_only: bool = False, min_ratio: float = MIN_RATIO) -> _Typed | None:
    """The word of ``text`` most like a known type name, and the name written before it.

    OCR garbles the marks around a type (``[Corv2D:``, ``!Dropout!``), splits it (``In putLayer``) and
    a layer's name often spells its type too (``dense_1 (Dense)``): every word and pair of words is
    tried, and a tie goes to the one that is marked (after a bracket or colon, capitalised, later):
    ``marked_bonus`` is how much nearer a marked word counts; ``bracketed_only``: only words right
    after an opening bracket are tried."""
    best: tuple[float, int, int, _Typed] | None = None
    offset = 0
    for index, line in enumerate(text.splitlines()):
        for match in re.finditer(r"[A-Za-z][A-Za-z0-9]*", line):
            words = [match.group(0)]
            rest = line[match.end():]
            pair = re.match(r"[ '\u2019`]([A-Za-z0-9][A-Za-z0-9]*)", rest)  # "AveragePooling 2D", "MaxPoo'ng2D" too
            if pair:
                words.append(match.group(0) + pair.group(1))
            before = line[:match.start()].rstrip()
            named_above = index > 0 and re.search(r"[A-Za-z0-9_]{3}", "".join(text.splitlines()[:index])) is not None
            marked = (bool(before) and before[-1] in _OPENERS) or (named_above and not before)
            # a node that says only "Input" is an input layer, and so is one that says "(Input"
            keyword = (match.group(0).lower() in ("input", "output", "pad") and _KEYWORD_AFTER.match(rest) is not None
                       and len(text.split()) > 1 and not before.endswith(("(", "[", "{")))
            bracketed = bool(before) and before[-1] in "([{<"
            # a word joined by "_" is part of the layer's name ("average" of "average_pooling2d"): it
            # spells a type when nothing else does, but a type written as one outbids it
            in_name = line[match.start() - 1:match.start()] == "_" or line[match.end():match.end() + 1] == "_"
            for word in words:
                if keyword or word.lower() in _NOT_TYPES or len(word) < 3 or (bracketed_only and not bracketed):
                    continue
                found, ratio = _closest_cached(word, vocabulary)
                bonus = marked_bonus * marked + 0.02 * word[0].isupper() - 0.05 * in_name
                # on a tie the longer reading wins: "Average Pooling2D" is AveragePooling2D, not Average
                key = (ratio + bonus, offset + match.start(), len(word))
                if ratio >= min_ratio and (best is None or key > best[:3]):
                    best = (*key, _Typed(index, match.start(), found, ratio, marked))
        offset += len(line) + 1
    return best[3] if best else None


def _name_before(text: str, typed: _Typed) -> str:
    """The layer's name: what is written before its type on the type's line (``conv1 (Convolution)``),
    the line's start up to its first bracket when the type word opens the line (``dense_1 (Dense)``
    read as its name), or the line above (Caffe's ``conv1`` over ``(Convolution)``)."""
    lines = text.splitlines()
    line = lines[typed.line]
    before = re.split(r"[(\[{<|!:;]", line[:typed.start])[0].strip()
    if before:
        return before
    head = re.split(r"[(\[{<|!:;]", line)[0].strip()
    if head and head != line.strip():
        return head
    return lines[typed.line - 1] if typed.line > 0 else ""


_CAFFE_KEYS = {"kernel size": "kernel_size", "stride": "stride", "pad": "pad"}  # in the order Caffe prints them
# a key as OCR leaves it: "kernelsize", "kerne!l size", "kernel s:ze", "kerne} size", "keme) size", "kemels@e"
_KEY_LETTER = r"(?:[A-Za-z!|}\])@]|:(?=[a-z]{2}))"
_KEY_WORD = re.compile(r"[A-Za-z]" + _KEY_LETTER + r"{1,11}")
_BLANKS = re.compile(r"[ \t]+")
_WORD_START = re.compile(r"(?<![A-Za-z_])[A-Za-z]")  # "3suxde: 1": a value may run into the next key
_KEY_SEPARATOR = re.compile(r"[ \t:;.,'\u2018\u2019\"`\-~]*")  # "stride' 1" (a curly quote too), "sride:.2"
# what OCR makes of a digit where a number must be: a 0 whose sides come apart ("()", "{)"), a 1 as a
# letter or a mark ("l", "|", "!", "t", "£"), a 5 as an S
_VALUE_DIGITS = str.maketrans({**dict.fromkeys("OoDQ@G({[", "0"), **dict.fromkeys("lI|i!Ltf£}]jJ", "1"),
                               **dict.fromkeys("Ss", "5"), "B": "8", "Z": "2", "z": "2", "g": "9", "+": "4"})
_ZERO_SIDES = re.compile(r"^[({\[][)}\]]")
_NEXT_KEY = "sSpP"  # a value run into the key after it ("3suxde: 1", "Lpad: 4") ends where that key starts


def _caffe_value(text: str, start: int) -> int | None:
    """The number written at ``start`` (after a key), as OCR leaves its digits, or None."""
    token = _ZERO_SIDES.sub("0", re.match(r"\S{0,6}", text[start:]).group(0))
    for end in range(min(3, len(token)), 0, -1):
        value, rest = token[:end], token[end:]
        digits = value.translate(_VALUE_DIGITS)
        # after a digit read as one, only digits: "1}" is a 1 and a stray bracket, "5S" a 5
        after_digit = re.sub(r"^\D*\d", "", value) if re.search(r"\d", value) else ""
        if not digits.isdigit() or (end == 3 and not value.isdigit()) or (after_digit and not after_digit.isdigit()):
            continue
        if not rest or not rest[0].isalnum() or rest[0] in _NEXT_KEY:
            return int(digits)
    return None


def _caffe_numbers(text: str) -> dict[str, int]:
    """``kernel size: 3``, ``stride: 2``, ``pad: 1``, on lines or in one (keys matched loosely: ``kemel size``).

    Caffe prints the three in that order: a value whose key OCR garbled past recognition ("sone: 1")
    takes the one place left between the keys read before and after it."""
    keys = tuple(_CAFFE_KEYS)
    candidates = []  # (similarity, start, end, the key's place in Caffe's order, value)
    for start in (m.start() for m in _WORD_START.finditer(text)):
        first = _KEY_WORD.match(text, start)
        if first is None:
            continue
        spans = [first.end()]
        second = _BLANKS.match(text, first.end())
        if second and (word := _KEY_WORD.match(text, second.end())) and word.end() - second.end() <= 5:
            spans.append(word.end())  # "kernel size"
        for end in spans:
            value = _caffe_value(text, _KEY_SEPARATOR.match(text, end).end())
            if value is not None:
                key, ratio = _closest_cached(text[start:end], keys)
                if ratio >= 0.3:
                    candidates.append((ratio, start, end, keys.index(key) if ratio >= 0.6 else None, value))
    taken: list[tuple[int, int, int | None, int]] = []
    for _, start, end, place, value in sorted(candidates, key=lambda c: -c[0]):
        if all(end <= s or start >= e for s, e, _, _ in taken):
            taken.append((start, end, place, value))
    read = [(place, value) for _, _, place, value in sorted(taken)]
    found: dict[str, int] = {}
    for i, (place, value) in enumerate(read):
        if place is None:
            before = next((p for p, _ in reversed(read[:i]) if p is not None), -1)
            after = next((p for p, _ in read[i + 1:] if p is not None), len(keys))
            place = before + 1 if after - before == 2 else None
        if place is not None and _CAFFE_KEYS[keys[place]] not in found:
            found[_CAFFE_KEYS[keys[place]]] = value
    # Caffe pads less than the kernel (its pooling refuses more): a larger pad in 0, 6, 8 and 9 is OCR's 0
    pad, kernel = found.get("pad"), found.get("kernel_size")
    if pad is not None and kernel is not None and pad >= kernel and set(str(pad)) <= set("0689"):
        found["pad"] = 0
    return found


def _blob(text: str) -> Label:
    wordiest = max(text.splitlines(), key=lambda line: len(re.findall(r"\w", line)))
    return Label("blob", name=_clean_name(wordiest), confidence=1.0, text=text)


# OCR reads a narrow sans-serif "i" as a colon ("(Pool:ng)", "kernel s:ze", "average_pool:ng2d"); Caffe's
# drawings never write a colon between two lower-case letters (Keras 2's "lstm: LSTM" does, once OCR has
# dropped the space and lowered the type, so there the colon stays); a colon before a single letter is a
# key's, before a value read as a letter ("kemelsze:i")
_COLON_FOR_I = re.compile(r"(?<=[a-z]):(?=[a-z]{2})")
# ... and one between a lower-case letter and a capital is a letter lost in a CamelCase type ("Inne:Praduct")
_COLON_IN_TYPE = re.compile(r"(?<=[a-z]):(?=[A-Z][a-z])")


def read_label(text: str, style: str = "", shape: str = "") -> Label:
    """What a node's text says. ``style``: ``keras`` or ``caffe`` when known (picks the names matched
    first); ``shape``: the node's outline from flow detection (an octagon in Caffe is a blob)."""
    if style != "caffe":
        return _read_label(text, style, shape)
    cleaned = _COLON_IN_TYPE.sub("", _COLON_FOR_I.sub("i", text))
    return dataclasses.replace(_read_label(cleaned, style, shape), text=text)


def _read_label(text: str, style: str, shape: str) -> Label:
    flat = " ".join(text.split())
    if not flat:  # in a Caffe drawing every node is a layer (a box) or a blob, and a layer names its type
        return Label("blob" if style == "caffe" and shape != "box" else "unknown", text=text)
    # Caffe draws its layers as boxes and its blobs as octagons: the outline settles which, and the
    # text only when the outline is not known
    if style == "caffe" and shape and shape != "box":
        return _blob(text)
    vocabularies = (CAFFE_TYPES, KERAS_TYPES) if style == "caffe" else (KERAS_TYPES, CAFFE_TYPES)
    # a Caffe layer's type is the bracketed word under its name (which may spell a type too: dropout_1)
    # (its parameters follow: "pad. 2" or "Stale |" must not outbid a garbled "(Convokitan)")
    typed = _find_type(text, vocabularies[0], 0.4, bracketed_only=True) if style == "caffe" else None
    typed = typed or _find_type(text, vocabularies[0], 0.4 if style == "caffe" else 0.15)
    if not style and (typed is None or typed.ratio < 0.9):
        other = _find_type(text, vocabularies[1])
        if other is not None and (typed is None or other.ratio > typed.ratio):
            typed = other
    if style != "caffe" and (typed is None or typed.ratio < 0.9):
        mxnet = _find_type(text, tuple(MXNET_OPS))
        # MXNet prints its op alone, first on its line: "pooling2d" inside Keras' "max_pooling2d_4" is not one
        opens_line = mxnet is not None and not re.search(r"\w", text.splitlines()[mxnet.line][:mxnet.start])
        if mxnet is not None and opens_line and mxnet.ratio >= 0.85 and (typed is None or mxnet.ratio > typed.ratio):
            return _mxnet(text, mxnet)
    if typed is None and style == "caffe" and shape == "box":
        # Caffe draws its layers, and only them, as boxes: a box is a layer whatever OCR made of its
        # type ("(Rew)"), the nearest bracketed type taken on less evidence, else a layer not read
        # (kept in the flow, so the edges through it stay whole)
        typed = _find_type(text, vocabularies[0], 0.4, bracketed_only=True, min_ratio=0.5)
        if typed is None:
            return Label("unknown", text=text)
    if typed is None or (style == "caffe" and not typed.marked and shape != "box"):
        # a Caffe blob is its name alone (which may well spell a type: a Dropout's output "dropout")
        if style == "caffe" or shape == "octagon":
            return _blob(text)
        return Label("unknown", text=text)
    raw_name, best, ratio = _name_before(text, typed), typed.type, typed.ratio
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


def _mxnet(text: str, typed: _Typed) -> Label:
    """An MXNet node: its op's name over what it prints (kernel, stride and filters, or units)."""
    op, params = MXNET_OPS[typed.type], {}
    rest = "\n".join(text.splitlines()[typed.line + 1:]).translate(str.maketrans({"I": "1", "l": "1", "O": "0"}))
    shape = _MXNET_SHAPE.search(rest)
    if shape:
        params["kernel_size"] = int(shape.group(1))
        if shape.group(3):
            params["stride"] = int(shape.group(3))
        if shape.group(4):
            params["filters"] = int(shape.group(4))
    elif typed.type == "FullyConnected" and re.fullmatch(r"\s*\d{1,6}\s*", rest):
        params["units"] = int(rest)
    if typed.type == "Pooling":
        method = re.search(r"\b(max|avg|sum)\b", rest, re.IGNORECASE)
        op = {"max": "MaxPooling2D", "avg": "AveragePooling2D"}.get(method.group(1).lower() if method else "", "")
    return Label("layer", type=typed.type, op=op, confidence=typed.ratio, params=params, text=text)

"""A Caffe net drawn the way Caffe's ``draw_net.py`` draws it.

Layers are record boxes coloured by type (convolution red, pooling orange, inner product purple,
others blue; in-place neuron layers green), data blobs are grey octagons between them, left to right
by default, and convolution and pooling boxes carry their kernel, stride and pad. Drawn from the
prototxt itself, so what is drawn is exactly the net Caffe would load.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from dlp2c.common.importers.prototxt import Message, parse

_TYPE_COLOURS = {"Convolution": "#FF5050", "Deconvolution": "#FF5050", "Pooling": "#FF9900",
                 "InnerProduct": "#CC33FF"}
_DEFAULT_COLOUR = "#6495ED"
_NEURON_COLOUR = "#90EE90"
_BLOB_COLOUR = "#E0E0E0"
_POOL_METHODS = {0: "MAX", 1: "AVE", 2: "STOCHASTIC", "MAX": "MAX", "AVE": "AVE", "STOCHASTIC": "STOCHASTIC"}


@functools.lru_cache(maxsize=4)
def _parsed(prototxt: str) -> Message:
    """A prototxt is drawn and counted; parse it once (treat the result as read-only)."""
    return parse(prototxt, "deploy.prototxt")


@dataclass(frozen=True)
class CaffeLook:
    rankdir: str = "LR"  # draw_net's default
    dpi: int = 96

    @property
    def name(self) -> str:
        return f"caffe-{self.rankdir.lower()}"


def _escape(text: str) -> str:
    """Text for inside a quoted DOT string of a record node: no way out of the string or the record."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return re.sub(r'([{}|<>"\\])', r"\\\1", cleaned)


def _quote(text: str) -> str:
    """A quoted DOT string for a plain (non-record) label."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return '"' + re.sub(r'(["\\])', r"\\\1", cleaned) + '"'


def _first(msg: Message, key: str, default: int) -> int:
    values = msg.all(key)
    return int(values[0]) if values else default


def _label(layer: Message) -> list[str]:
    name, kind = str(layer.get("name", "")), str(layer.get("type", ""))
    parts = [name, f"({kind})"]
    if kind in ("Convolution", "Deconvolution"):
        conv = layer.get("convolution_param") or Message()
        kernel = _first(conv, "kernel_size", _first(conv, "kernel_h", 1))
        parts += [f"kernel size: {kernel}", f"stride: {_first(conv, 'stride', 1)}", f"pad: {_first(conv, 'pad', 0)}"]
    elif kind == "Pooling":
        pool = layer.get("pooling_param") or Message()
        method = _POOL_METHODS.get(pool.get("pool", 0), str(pool.get("pool")))
        kernel = _first(pool, "kernel_size", _first(pool, "kernel_h", 1))
        parts += [f"pool {method}", f"kernel size: {kernel}", f"stride: {_first(pool, 'stride', 1)}",
                  f"pad: {_first(pool, 'pad', 0)}"]
    return parts


def caffe_dot(prototxt: str, look: CaffeLook = CaffeLook()) -> str:
    """DOT text of a deploy prototxt, in draw_net's look; node ids are stable for a given net."""
    net = _parsed(prototxt)
    # draw_net puts a label's lines side by side across the flow and stacked along it
    separator = "\\n" if look.rankdir in ("LR", "RL") else " "
    lines = [f"digraph {_quote(str(net.get('name', 'net')))} {{", f"rankdir={look.rankdir};", f"dpi={look.dpi};"]
    ids = {what["blob"]: node for node, what in drawn_nodes(prototxt).items() if "blob" in what}
    declared: set[str] = set()

    def blob(name: str) -> str:
        node = ids[name]
        if node not in declared:  # declared where first used, as draw_net adds them
            declared.add(node)
            lines.append(f'{node} [label={_quote(name)}, shape=octagon, style=filled, fillcolor="{_BLOB_COLOUR}"];')
        return node

    for shape_name in net.all("input"):  # old-style net inputs, drawn as blobs
        blob(str(shape_name))
    for i, layer in enumerate(net.all("layer")):
        bottoms, tops = [str(b) for b in layer.all("bottom")], [str(t) for t in layer.all("top")]
        in_place = len(bottoms) == 1 and len(tops) == 1 and bottoms == tops
        colour = _NEURON_COLOUR if in_place else _TYPE_COLOURS.get(str(layer.get("type")), _DEFAULT_COLOUR)
        node = f"l{i}"
        label = separator.join(_escape(part) for part in _label(layer))
        lines.append(f'{node} [label="{label}", shape=record, style=filled, fillcolor="{colour}"];')
        for name in bottoms:
            lines.append(f"{blob(name)} -> {node};")
        for name in tops:
            lines.append(f"{node} -> {blob(name)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def drawn_nodes(prototxt: str) -> dict[str, dict[str, str]]:
    """What each node of ``caffe_dot``'s drawing stands for: ``{"layer": name, "type": type}`` for
    ``l<i>``, ``{"blob": name}`` for ``b<j>``. The one numbering of the drawing: ``caffe_dot`` uses it."""
    net = _parsed(prototxt)
    found: dict[str, dict[str, str]] = {}
    blobs: dict[str, str] = {}

    def blob(name: str) -> None:
        if name not in blobs:
            blobs[name] = f"b{len(blobs)}"
            found[blobs[name]] = {"blob": name}

    for shape_name in net.all("input"):
        blob(str(shape_name))
    for i, layer in enumerate(net.all("layer")):
        for name in layer.all("bottom"):
            blob(str(name))
        found[f"l{i}"] = {"layer": str(layer.get("name", "")), "type": str(layer.get("type", ""))}
        for name in layer.all("top"):
            blob(str(name))
    return found


def drawn_node_count(prototxt: str) -> int:
    """How many boxes and octagons draw_net draws for a net: its layers plus its distinct blobs."""
    return len(drawn_nodes(prototxt))

"""What was read from one design figure: its layers and their connections, as drawn.

A figure graph sits between the pixels and the graph IR. Every node keeps its box in the image and
how sure each reading is, so a person (or the website's overlay) can see what was understood and
where; a Caffe drawing's data blobs are collapsed away (layer -> blob -> layer becomes layer ->
layer), since blobs are tensors, not layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FigureNode:
    id: str
    kind: str  # layer | blob | unknown
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    name: str = ""
    type: str = ""  # the drawing's own type name (Conv2D, Convolution, ...)
    op: str = ""  # the catalog op it stands for, when known
    confidence: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    output_shape: tuple[int | None, ...] | None = None
    text: str = ""
    shape: str = ""  # the drawn outline, from flow detection: box | octagon | ellipse | other

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "box": list(self.box), "name": self.name,
                                "type": self.type, "op": self.op, "confidence": round(self.confidence, 3),
                                "text": self.text}
        if self.params:
            data["params"] = dict(self.params)
        if self.output_shape is not None:
            data["output_shape"] = list(self.output_shape)
        if self.shape:
            data["shape"] = self.shape
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FigureNode:
        shape = data.get("output_shape")
        return cls(str(data["id"]), str(data["kind"]), tuple(int(v) for v in data["box"]),  # type: ignore[arg-type]
                   str(data.get("name", "")), str(data.get("type", "")), str(data.get("op", "")),
                   float(data.get("confidence", 0.0)), dict(data.get("params", {})),
                   None if shape is None else tuple(shape), str(data.get("text", "")), str(data.get("shape", "")))


@dataclass(frozen=True)
class FigureEdge:
    tail: str
    head: str
    confidence: float = 1.0


@dataclass
class FigureGraph:
    width: int
    height: int
    style: str  # keras | caffe | other: how the figure was read
    nodes: list[FigureNode] = field(default_factory=list)
    edges: list[FigureEdge] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage

    def node(self, node_id: str) -> FigureNode:
        return next(n for n in self.nodes if n.id == node_id)

    def layers(self) -> FigureGraph:
        """The same figure with its blobs collapsed: layer -> blob -> layer becomes layer -> layer."""
        return FigureGraph(self.width, self.height, self.style,
                           [n for n in self.nodes if n.kind != "blob"],
                           [FigureEdge(t, h, c) for (t, h), c in
                            collapse({n.id for n in self.nodes if n.kind == "blob"},
                                     {(e.tail, e.head): e.confidence for e in self.edges}).items()],
                           dict(self.seconds))

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "style": self.style,
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
                "nodes": [n.to_json() for n in self.nodes],
                "edges": [{"tail": e.tail, "head": e.head, "confidence": round(e.confidence, 3)} for e in self.edges]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FigureGraph:
        return cls(int(data["width"]), int(data["height"]), str(data.get("style", "other")),
                   [FigureNode.from_json(n) for n in data.get("nodes", [])],
                   [FigureEdge(str(e["tail"]), str(e["head"]), float(e.get("confidence", 1.0)))
                    for e in data.get("edges", [])],
                   {str(k): float(v) for k, v in data.get("seconds", {}).items()})


def collapse(blobs: set[str], edges: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Edges among the nodes that are not blobs: each blob's producers joined to its consumers, through
    chains of blobs too; a confidence is the weakest link's. Self-loops (in-place layers) are dropped."""
    out: dict[str, list[tuple[str, float]]] = {}
    for (tail, head), confidence in edges.items():
        out.setdefault(tail, []).append((head, confidence))
    found: dict[tuple[str, str], float] = {}
    for (tail, head), confidence in edges.items():
        if tail in blobs:
            continue
        stack, seen = [(head, confidence)], set()
        while stack:
            node, weakest = stack.pop()
            if node not in blobs:
                if node != tail:
                    found[(tail, node)] = max(found.get((tail, node), 0.0), weakest)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.extend((nxt, min(weakest, c)) for nxt, c in out.get(node, []))
    return dict(sorted(found.items()))

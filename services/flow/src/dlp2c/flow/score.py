"""How well a detected flow matches a drawing's ground truth (the simulator's node boxes and edges).

Detected nodes are matched to true ones by box overlap (IoU, greedy from the best pair); an edge is
found when its two ends match the true edge's ends, in the right direction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlp2c.flow.detect import Flow

MIN_IOU = 0.5


@dataclass(frozen=True)
class Score:
    true_nodes: int
    found_nodes: int
    matched_nodes: int
    true_edges: int
    found_edges: int
    matched_edges: int

    @property
    def node_recall(self) -> float:
        return self.matched_nodes / self.true_nodes if self.true_nodes else 1.0

    @property
    def node_precision(self) -> float:
        return self.matched_nodes / self.found_nodes if self.found_nodes else 1.0

    @property
    def edge_recall(self) -> float:  # the paper's edge accuracy
        return self.matched_edges / self.true_edges if self.true_edges else 1.0

    @property
    def edge_precision(self) -> float:
        return self.matched_edges / self.found_edges if self.found_edges else 1.0

    @property
    def exact(self) -> bool:
        return (self.matched_nodes == self.true_nodes == self.found_nodes
                and self.matched_edges == self.true_edges == self.found_edges)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(true_boxes: dict[str, Sequence[float]], found_boxes: dict[str, Sequence[float]]) -> dict[str, str]:
    """True node -> detected node, one to one, by the best overlaps first."""
    pairs = sorted(((iou(tb, fb), t, f) for t, tb in true_boxes.items() for f, fb in found_boxes.items()),
                   reverse=True)
    matched: dict[str, str] = {}
    used: set[str] = set()
    for overlap, t, f in pairs:
        if overlap < MIN_IOU:
            break
        if t not in matched and f not in used:
            matched[t] = f
            used.add(f)
    return matched


def score(flow: Flow, truth: dict[str, Any]) -> Score:
    """``truth``: an image entry of a simulated model's meta (``nodes`` with ``dot`` and ``box``, ``edges``)."""
    true_boxes = {n["dot"]: n["box"] for n in truth["nodes"]}
    matched = match(true_boxes, {n.id: n.box for n in flow.nodes})
    true_edges = {(t, h) for t, h in truth["edges"]}
    found = {(e.tail, e.head) for e in flow.edges}
    hits = sum(1 for t, h in true_edges if t in matched and h in matched and (matched[t], matched[h]) in found)
    return Score(len(true_boxes), len(flow.nodes), len(matched), len(true_edges), len(found), hits)

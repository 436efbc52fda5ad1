"""Nodes, edges and direction in a network figure, from its pixels (OpenCV).

The paper's method, made robust to fills and scale:

1. Ink: adaptive Gaussian threshold, so filled boxes (Caffe's coloured layers, the black headers of
   Keras 3) and faint lines both count, whatever the contrast.
2. Solid shapes: everything the page background cannot reach. A closed outline encloses its inside
   (text included); an open line encloses nothing.
3. Nodes: the solid shapes opened with a kernel wider than any line or arrowhead, so only shapes
   with an inside survive. The kernel scales with the drawing: it is a fraction of the typical node's
   shorter side, measured first.
4. Edges: the ink that remains outside the nodes, in connected pieces. A piece joins the nodes it
   comes near; an end that is thick (an arrowhead, by its distance transform) marks a head, the
   others are tails. Merged lines (Graphviz's ``concentrate``) give one edge per tail and head.
   A pointed node (Caffe's octagon) is filled out to the rectangle of its tips, which covers an
   arrowhead ending on a cut corner: a line with no head found looks for it there, in the raw ink.

Geometry only: what a node says is read by OCR (``dlp2c.ocr``); what it stands for is decided later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.figure import FigureEdge, FigureGraph, FigureNode
from dlp2c.common.pixels import quantile

MAX_PIXELS = 60_000_000  # beyond this a figure is refused rather than processed for minutes
MIN_SIDE = 8
SMALL_TEXT = 12.0  # letter height (pixels) below which a figure is enlarged first
PAGE_TOLERANCE = 25  # grey levels from the page's median within which a region is the page's colour


class FlowError(Dlp2cError):
    code = "flow"


@dataclass(frozen=True)
class Node:
    id: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels (x1, y1 exclusive)
    shape: str  # box | octagon | ellipse | other
    fill: tuple[int, int, int]  # the median colour inside, RGB
    confidence: float


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    confidence: float


@dataclass
class Flow:
    width: int
    height: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"width": self.width, "height": self.height, "seconds": round(self.seconds, 4),
                "nodes": [{"id": n.id, "box": list(n.box), "shape": n.shape, "fill": list(n.fill),
                           "confidence": round(n.confidence, 3)} for n in self.nodes],
                "edges": [{"tail": e.tail, "head": e.head, "confidence": round(e.confidence, 3)} for e in self.edges]}

    def to_figure(self) -> FigureGraph:
        """The flow as a figure graph whose nodes are not read yet (kind ``unknown``): what OCR takes."""
        return FigureGraph(self.width, self.height, "other",
                           [FigureNode(n.id, "unknown", n.box, confidence=n.confidence, shape=n.shape)
                            for n in self.nodes],
                           [FigureEdge(e.tail, e.head, e.confidence) for e in self.edges], {"flow": self.seconds})


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        return (image[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)  # over white, as on a page
    return image


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark strokes and the rims of filled shapes (adaptive Gaussian threshold), as 0/255."""
    block = max(15, (min(gray.shape) // 20) | 1)
    block = min(block, 51)
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, 12)
    dark = (gray < 96).astype(np.uint8) * 255  # solid dark fills (Keras 3 headers) are ink throughout
    ink = cv2.bitwise_or(adaptive, dark)
    page = int(np.median(gray))
    if page >= 160:
        # beside a dark arrowhead the local mean drops and a faint line's pixels fall under the
        # adaptive threshold: thin strokes clearly darker than the page are ink whatever their
        # neighbours (broad fills are left to the adaptive threshold, which finds their rims, and
        # the grey rims of what is dark already, white letters' counters in a dark band, stay out)
        darker = (gray < page - 60).astype(np.uint8) * 255
        broad = cv2.morphologyEx(darker, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        keep_out = cv2.bitwise_or(broad, cv2.dilate(dark, np.ones((3, 3), np.uint8)))
        ink = cv2.bitwise_or(ink, cv2.bitwise_and(darker, cv2.bitwise_not(keep_out)))
    return ink


def solid_mask(ink: np.ndarray, text_height: float, gray: np.ndarray | None = None) -> np.ndarray:
    """Every pixel inside a closed outline, as 0/255: what the page background cannot reach, less
    the empty faces that branching edges enclose with the nodes they join (a face holds no ink; a
    node's inside holds its label). With ``gray``, a face the colour of the page may also hold
    specks of JPEG noise (a filled node's inside is its fill's colour, whose dark letters can merge
    with its rim). Holes no bigger than a few letters stay solid (letter counters)."""
    free = (ink == 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
    if count <= 1:
        return np.full_like(ink, 255)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.zeros(count, bool)
    outside[border] = True
    floor = 4 * text_height ** 2
    speck = max(4.0, (text_height / 3) ** 2)  # smaller than any letter's ink
    page = int(np.median(gray)) if gray is not None else 255
    for i in range(1, count):
        if outside[i] or stats[i, cv2.CC_STAT_AREA] < floor:
            continue
        x, y, w, h = (int(v) for v in stats[i, :4])
        hole = (labels[y:y + h, x:x + w] == i).astype(np.uint8)
        contours, _ = cv2.findContours(hole, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        filled = np.zeros_like(hole)
        cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
        islands = cv2.connectedComponentsWithStats(filled - hole, connectivity=8)[2][1:, cv2.CC_STAT_AREA]
        if (gray is not None and int(islands.sum()) > 0.002 * filled.sum()
                and abs(int(np.median(gray[y:y + h, x:x + w][hole > 0])) - page) <= PAGE_TOLERANCE):
            islands = islands[islands >= speck]  # page-coloured: specks are noise, not a label
        if int(islands.sum()) <= 0.002 * filled.sum():
            outside[i] = True
    solid = np.where(outside, 0, 255).astype(np.uint8)
    solid[0] = 255  # label 0: the ink itself
    return solid[labels]


def _text_height(ink: np.ndarray) -> float:
    """The typical height of a glyph: the median height of the small pieces of ink."""
    stats = cv2.connectedComponentsWithStats(ink, connectivity=8)[2]
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    small = heights[(heights >= 4) & (heights <= 80) & (widths <= 2 * heights)]
    return float(np.median(small)) if small.size else 10.0


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    return cv2.connectedComponentsWithStats(mask, connectivity=8)[:3]


@dataclass(frozen=True)
class Taper:
    lean: float  # how far the corners are cut, as a share of the height
    flat: float  # the share of rows on the flat of the sides
    left: int  # where the outline's sides are (x, in pixels; right exclusive)
    right: int


def _taper(solid: np.ndarray, box: tuple[int, int, int, int], k: int) -> Taper | None:
    """How far a node's corners are cut, as a share of its height (0 for a box, about half for
    Caffe's octagons), and the share of rows on the flat of its sides (an octagon has one, an
    ellipse not). Opening the nodes squares off their tips, so the sides are read from the solid
    mask, row by row across the node: where most rows end is the side, and the first and last rows
    end further in when the corners are cut. Lines and arrowheads joining the side only ever reach
    further out (a row that leaves the node's reach is dropped)."""
    x, y, w, h = box
    pad = max(k, h)
    x0, x1 = max(0, x - pad), min(solid.shape[1], x + w + pad)
    middle = x + w // 2 - x0
    lefts: list[int] = []
    rights: list[int] = []
    for fraction in np.linspace(0.08, 0.92, 11):
        row = solid[y + int(fraction * (h - 1)), x0:x1] > 0
        if not row[middle]:
            continue
        gaps = np.flatnonzero(~row[:middle])
        if gaps.size:
            lefts.append(int(gaps[-1]) + 1)
        gaps = np.flatnonzero(~row[middle:])
        if gaps.size:
            rights.append(-(middle + int(gaps[0])))  # mirrored: further out is smaller on both sides
    if len(lefts) < 5 or len(rights) < 5:
        return None

    def side(ends: list[int]) -> tuple[int, float, int]:
        base = min(ends, key=lambda v: (-sum(abs(u - v) <= 1 for u in ends), v))  # the most rows, innermost
        return min(ends[0], ends[-1]) - base, sum(abs(u - base) <= 1 for u in ends) / len(ends), base

    (cut_left, flat_left, left), (cut_right, flat_right, right) = side(lefts), side(rights)
    return Taper((cut_left + cut_right) / 2 / max(h, 1), (flat_left + flat_right) / 2, x0 + left, x0 - right)


def _shape_of(mask: np.ndarray, taper: Taper | None = None) -> str:
    """``mask``: the node's opened core; ``taper``: how its whole outline leans (``_taper``)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return "other"
    if taper is not None:
        if taper.lean < 0.1:
            return "box"
        if taper.lean >= 0.2:
            return "octagon" if taper.flat >= 0.25 else "ellipse"
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    _x, _y, w, h = cv2.boundingRect(contour)
    extent = area / max(w * h, 1)
    corners = len(cv2.approxPolyDP(contour, 0.04 * cv2.arcLength(contour, True), True))
    if extent > 0.9:
        return "box"
    if 0.8 < extent <= 0.9 and corners >= 6:
        return "octagon"
    if 0.72 < extent <= 0.82:
        return "ellipse"
    return "other"


def detect(image: np.ndarray) -> Flow:
    """The nodes and directed edges of a figure (H x W, RGB, RGBA or grey, uint8)."""
    started = time.perf_counter()
    if image.ndim not in (2, 3) or image.dtype != np.uint8:
        raise FlowError(f"expected an 8-bit image, got an array of shape {image.shape} and type {image.dtype}")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return Flow(width, height, seconds=time.perf_counter() - started)
    if height * width > MAX_PIXELS:
        raise FlowError(f"the figure has {height * width:,} pixels, more than {MAX_PIXELS:,}",
                        hint="scale it down first")
    rgb = _as_rgb(image)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = ink_mask(gray)
    text_height = _text_height(ink)
    zoom = 1.0
    if text_height < SMALL_TEXT and height * width * (SMALL_TEXT / text_height) ** 2 <= MAX_PIXELS:
        # small print: thin lines and arrowheads a few pixels wide; look at it larger
        zoom = min(3.0, SMALL_TEXT / text_height)
        rgb = cv2.resize(rgb, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        ink = ink_mask(gray)
        text_height = _text_height(ink)
    # seal the one- or two-pixel gaps that faint outlines get (JPEG, light lines, enlargement)
    seal = max(3, round(text_height / 4)) | 1
    solid = solid_mask(cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((seal, seal), np.uint8)), text_height, gray)
    nodes_mask, k = _node_mask(solid, text_height)
    count, labels, stats = _components(nodes_mask)
    flow = Flow(width, height)
    order = sorted(range(1, count), key=lambda i: (stats[i, cv2.CC_STAT_TOP], stats[i, cv2.CC_STAT_LEFT]))
    ids: dict[int, str] = {}
    boxes: set[int] = set()  # nodes whose box is their outline: an edge ends right on it
    pointed: set[int] = set()  # ... and those among them filled out to their tips (octagons)
    for label in order:
        x, y, w, h = (int(v) for v in stats[label, :4])
        node_id = f"n{len(flow.nodes)}"
        ids[label] = node_id
        inside = labels[y:y + h, x:x + w] == label
        fill = tuple(int(quantile(channel, 0.5)) for channel in rgb[y:y + h, x:x + w][inside].T)
        taper = _taper(solid, (x, y, w, h), k)
        shape = _shape_of(inside.astype(np.uint8) * 255, taper)
        tight = shape == "box"
        if taper is not None and shape != "box" and taper.left < x and taper.right > x + w:
            # the opened core lacks a pointed node's tips, where its edges end: the node is its
            # outline's whole width (its cut corners are taken in too)
            span = labels[y:y + h, taper.left:taper.right]
            span[span == 0] = label
            nodes_mask[y:y + h, taper.left:taper.right][span == label] = 255
            x, w, tight = taper.left, taper.right - taper.left, True
            pointed.add(label)
        if tight:
            boxes.add(label)
        flow.nodes.append(Node(node_id, (x, y, x + w, y + h), shape, fill, 1.0))
    if len(flow.nodes) >= 2:
        flow.edges = _edges(ink, labels, ids, nodes_mask, k, boxes, pointed)
    if zoom != 1.0:
        flow.nodes = [Node(n.id, tuple(round(v / zoom) for v in n.box), n.shape, n.fill, n.confidence)  # type: ignore[misc]
                      for n in flow.nodes]
    flow.seconds = time.perf_counter() - started
    return flow


def _node_mask(solid: np.ndarray, text_height: float) -> tuple[np.ndarray, int]:
    """Solid shapes with an inside: open away lines and arrowheads with a kernel scaled to the text.

    Graphviz draws an arrowhead about as wide as a lower-case letter is tall and a node at least
    five times that, whatever the DPI; 2.5 letter heights sits between them."""
    k = max(3, round(2.5 * text_height))
    opened = cv2.morphologyEx(solid, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    count, labels, stats = _components(opened)
    keep = np.zeros(count, bool)
    for i in range(1, count):
        w, h = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        keep[i] = min(w, h) >= k and stats[i, cv2.CC_STAT_AREA] >= k * k
    return np.where(keep[labels], 255, 0).astype(np.uint8), k


def _nearest(labels: np.ndarray, reach: int) -> np.ndarray:
    """Each pixel's nearest node (its label) where one is within ``reach`` pixels, else 0. Between two
    close nodes (Graphviz packs a left-right layout tight) each end of a short arrow is the end of the
    node it is nearer, not of the one with the larger label."""
    outside = np.where(labels > 0, 0, 255).astype(np.uint8)
    distance, piece = cv2.distanceTransformWithLabels(outside, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_CCOMP)
    owner = np.zeros(int(piece.max(initial=0)) + 1, np.int32)
    inside = labels > 0
    owner[piece[inside]] = labels[inside]
    return np.where(distance <= reach, owner[piece], 0)


def _ends_in(piece: np.ndarray, zone: np.ndarray) -> bool:
    """Whether a piece of line ends within a zone: what is left of it outside stays in one piece (a
    line passing through is cut in two)."""
    rest = (piece & ~zone).astype(np.uint8)
    stats = cv2.connectedComponentsWithStats(rest, connectivity=8)[2]
    return int((stats[1:, cv2.CC_STAT_AREA] >= 3).sum()) <= 1


def _swallowed_head(end: np.ndarray, origin: tuple[int, int], labels: np.ndarray, node: int,
                    ink_depth: np.ndarray, k: int) -> float:
    """How thick the ink is just inside a pointed node where a line's ``end`` (a mask placed at
    ``origin``) meets it: an arrowhead on a cut corner, under the node's fill, or only its outline."""
    ys, xs = np.nonzero(end)
    if ys.size == 0:
        return 0.0
    r = max(2, k // 2)
    x0, y0 = max(0, origin[0] + int(xs.min()) - r), max(0, origin[1] + int(ys.min()) - r)
    x1, y1 = origin[0] + int(xs.max()) + r + 1, origin[1] + int(ys.max()) + r + 1
    inside = labels[y0:y1, x0:x1] == node
    window = np.zeros(inside.shape, np.uint8)
    window[ys + origin[1] - y0, xs + origin[0] - x0] = 255
    reached = cv2.dilate(window, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0
    inside &= reached
    return float(ink_depth[y0:y1, x0:x1][inside].max()) if inside.any() else 0.0


def _edges(ink: np.ndarray, labels: np.ndarray, ids: dict[int, str], nodes_mask: np.ndarray,
           k: int, boxes: set[int] | None = None, pointed: set[int] | None = None) -> list[Edge]:
    """Edges from the ink outside the nodes; ``k`` is the node-opening kernel (an arrowhead is shorter).
    ``boxes``: the labels of nodes that are boxes, whose opened core is their whole outline, so a
    line ends right on it (a line that only passes near a box, a long skip, does not join it); a line
    that touches one node only may end a little short of a box (arrows drawn off their nodes).
    ``pointed``: nodes filled out to their tips (a rectangle over an octagon), which swallows an
    arrowhead that ends on a cut corner; a line with no head found looks for it there."""
    reach = max(4, k // 2 + 2)  # pointed shapes (octagons) reach past the opened core by up to k / 2
    head_reach = max(reach, k)
    grown = cv2.dilate(nodes_mask, np.ones((3, 3), np.uint8), iterations=1)
    # the adaptive threshold can drop a line's pixel right beside a dark arrowhead: close such gaps
    lines = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    lines = cv2.bitwise_and(lines, cv2.bitwise_not(grown))
    boxes = boxes or set()
    # labels dilated as 16-bit images (a figure has far fewer than 65,535 nodes), the larger label winning
    depth = np.uint16 if int(labels.max(initial=0)) < 65535 else np.float32
    others = np.arange(int(labels.max(initial=0)) + 1).astype(depth)
    others[list(boxes)] = 0
    near = cv2.dilate(others[labels], np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    if boxes:
        touch = max(3, k // 8)
        only_boxes = np.zeros_like(others)
        only_boxes[list(boxes)] = list(boxes)
        near = np.maximum(near, cv2.dilate(only_boxes[labels], np.ones((2 * touch + 1, 2 * touch + 1), np.uint8)))
    near = near.astype(np.int32)
    short: np.ndarray | None = None  # where a line may end short of a box: made when a line needs it
    around = _nearest(labels, head_reach)
    count, pieces, stats = _components(lines)
    distance = cv2.distanceTransform(lines, cv2.DIST_L2, 3)
    ink_depth: np.ndarray | None = None  # the unmasked ink's distance transform, made when needed
    found: dict[tuple[str, str], float] = {}
    for piece in range(1, count):
        if stats[piece, cv2.CC_STAT_AREA] < 6:
            continue
        x, y, w, h = (int(v) for v in stats[piece, :4])
        sel = pieces[y:y + h, x:x + w] == piece
        touched = near[y:y + h, x:x + w][sel]
        ends = [int(t) for t in np.unique(touched) if t > 0 and t in ids]
        if len(ends) == 1 and boxes:  # a line with one end on a node: its other end may stop short of a box
            if short is None:
                short = cv2.dilate(labels.astype(depth),
                                   np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(np.int32)
            zones = short[y:y + h, x:x + w]
            ends += [t for t in (int(t) for t in np.unique(zones[sel])) if t in boxes and t not in ends
                     and _ends_in(sel, zones == t)]
        if len(ends) < 2:
            continue
        dist = distance[y:y + h, x:x + w][sel]
        zone = around[y:y + h, x:x + w][sel]
        stroke = max(float(np.median(dist)), 1.0)
        thickness = {end: float(dist[zone == end].max()) if (zone == end).any() else 0.0 for end in ends}
        widest, thinnest = max(thickness.values()), min(thickness.values())
        # an arrowhead is several strokes wide, and clearly wider than the piece's other ends (where
        # a pointed node's tip can look thick too)
        bar = max(2.0, 1.8 * stroke, 0.7 * widest, 1.4 * thinnest)
        heads = [(e, t) for e, t in thickness.items() if t >= bar]
        if not heads and pointed and any(end in pointed for end in ends):
            if ink_depth is None:
                ink_depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
            for end in ends:
                if end in pointed:
                    at_end = np.zeros_like(sel)
                    at_end[sel] = zone == end
                    thickness[end] = max(thickness[end], _swallowed_head(at_end, (x, y), labels, end, ink_depth, k))
            widest = max(thickness.values())
            bar = max(bar, 0.7 * widest)
            heads = [(e, t) for e, t in thickness.items() if t >= bar]
        tails = [(e, t) for e, t in thickness.items() if t < bar]
        if not heads or not tails:
            continue  # an undirected line, or one that cannot be told: no flow to read
        confidence = 1.0 if len(tails) == 1 or len(heads) == 1 else 0.5
        for tail, _ in tails:
            for head, _ in heads:
                key = (ids[tail], ids[head])
                found[key] = max(found.get(key, 0.0), confidence)
    return [Edge(t, h, c) for (t, h), c in sorted(found.items())]

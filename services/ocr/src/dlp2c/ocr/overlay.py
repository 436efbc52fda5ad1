"""What was understood of a figure, drawn over it: each node boxed and labelled with what was read,
each edge an arrow (red when unsure). The CLI's ``--overlay``, the run report and the website use it."""

from __future__ import annotations

import numpy as np
from dlp2c.common.figure import FigureGraph
from PIL import Image, ImageDraw, ImageFont

_KIND_COLOURS = {"layer": (0, 114, 178), "blob": (120, 120, 120), "unknown": (213, 94, 0)}


def overlay(image: np.ndarray, graph: FigureGraph) -> Image.Image:
    """The figure, paled, with each detected node boxed and labelled with what was read, and each edge
    drawn as an arrow from box centre to box centre (red when unsure)."""
    base = Image.fromarray(image).convert("RGB")
    pale = Image.blend(base, Image.new("RGB", base.size, "white"), 0.55)
    draw = ImageDraw.Draw(pale)
    size = max(10, min(28, round(min(base.size) / 60)))
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        font = ImageFont.load_default()
    boxes = {n.id: n.box for n in graph.nodes}
    for edge in graph.edges:
        if edge.tail in boxes and edge.head in boxes:
            start, end = _between(boxes[edge.tail], boxes[edge.head])
            _arrow(draw, start, end, (0, 158, 115) if edge.confidence >= 0.9 else (204, 0, 0), max(2, size // 6))
    for node in graph.nodes:
        colour = _KIND_COLOURS.get(node.kind, (213, 94, 0))
        draw.rectangle(node.box, outline=colour, width=max(2, size // 6))
        caption = node.type or node.name or node.kind
        if node.params:
            caption += " " + " ".join(f"{k}={v}" for k, v in node.params.items())
        if node.output_shape is not None:
            caption += " " + "x".join("?" if d is None else str(d) for d in node.output_shape[1:])
        x, y = node.box[0], max(0, node.box[1] - size - 4)
        box = draw.textbbox((x, y), caption, font=font)
        draw.rectangle(box, fill=(255, 255, 255))
        draw.text((x, y), caption, fill=colour, font=font)
    return pale


def _between(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Where the line between two boxes' centres leaves the first box and enters the second."""
    ca = np.array([(a[0] + a[2]) / 2, (a[1] + a[3]) / 2])
    cb = np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])
    vector = cb - ca

    def exit_at(box: tuple[int, int, int, int], centre: np.ndarray, direction: np.ndarray) -> np.ndarray:
        half = np.array([(box[2] - box[0]) / 2, (box[3] - box[1]) / 2])
        steps = [half[i] / abs(direction[i]) for i in (0, 1) if direction[i]]
        return centre + direction * min([*steps, 1.0])

    return exit_at(a, ca, vector), exit_at(b, cb, -vector)


def _arrow(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
           colour: tuple[int, int, int], width: int) -> None:
    draw.line([tuple(map(float, start)), tuple(map(float, end))], fill=colour, width=width)
    vector = np.subtract(end, start)
    length = float(np.hypot(*vector)) or 1.0
    unit = vector / length
    tip = np.asarray(end, dtype=float)
    side = np.array([-unit[1], unit[0]]) * 3 * width
    back = tip - unit * 5 * width
    draw.polygon([tuple(map(float, p)) for p in (tip, back + side, back - side)], fill=colour)
